/* vt-coop.h: CoOp prompt learning (Zhou et al., "Learning to Prompt for
 * Vision-Language Models", IJCV 2022; the code PCB builds on): the class
 * prompts "X X … X {class}." of a CLIP text tower, whose n_ctx context
 * tokens are learned vectors instead of word embeddings, shared by every
 * class or one set per class (class-specific context, csc), the class name
 * at the end. The logits of an image are CLIP's: exp(logit_scale) ·
 * cos(image features, text features of each class's prompt), trained with
 * softmax cross-entropy through the frozen text tower's backward pass; only
 * the context vectors change.
 *
 * As the official code (trainers/coop.py): the context starts as
 * N(0, 0.02²) (drawn here from vt-active-rng: Box–Muller on two uniforms per
 * value, so that tests/reference/make_coop_fixture.py draws the same), the
 * optimizer is SGD with momentum and weight decay on a cosine schedule
 * (lr 0.002, momentum 0.9, weight decay 5e-4, PCB's recipe), in
 * mini-batches shuffled from vt-active-rng seeded with seed + 1. The
 * schedule anneals per step over all of a training's steps (Dassl steps it
 * per epoch, with one warm-up epoch at 1e-5: not done here).
 *
 * The text sequences are cut after the last end-of-text token among the
 * classes: under causal attention no token before the end sees a later
 * one, so the features are exactly the full context's. */
#pragma once

#include "models/vt-model.h"
#include "models/vt-tokenizer.h"

G_BEGIN_DECLS

typedef struct
{
  guint     n_ctx;          /* context vectors, 16 */
  gboolean  csc;            /* one set per class */
  double    lr;             /* 0.002 */
  double    momentum;       /* 0.9 */
  double    weight_decay;   /* 5e-4 */
  guint     epochs;         /* 50 */
  guint     batch;          /* 32; 0: full batch */
  guint64   seed;
} VtCoopOptions;

void vt_coop_options_init (VtCoopOptions *options);

typedef struct _VtCoop VtCoop;

/* The prompts of @class_names (NULL-terminated; "_" reads as a space) on
 * @model's text tower, tokenized by @tokenizer. NULL with @error when the
 * model has no CLIP text tower with a backward pass (OpenCLIP's, Hugging
 * Face's), or a prompt does not fit its context. */
VtCoop       *vt_coop_new           (VtModel              *model,
                                     VtTokenizer          *tokenizer,
                                     const char * const   *class_names,
                                     const VtCoopOptions  *options,
                                     GError              **error);
void          vt_coop_free          (VtCoop               *self);

guint         vt_coop_get_n_classes (VtCoop               *self);
/* The image features' size: the joint embedding's. */
guint         vt_coop_get_dim       (VtCoop               *self);
/* The tokens each prompt takes after the cut. */
guint         vt_coop_get_length    (VtCoop               *self);
/* The prompts' token ids (K, length). */
const gint64 *vt_coop_get_ids       (VtCoop               *self);
/* exp(logit_scale). */
float         vt_coop_get_scale     (VtCoop               *self);

/* The context: (n_ctx, C), or (K, n_ctx, C) with csc; C the text width. */
float        *vt_coop_get_context   (VtCoop               *self);
gsize         vt_coop_get_context_size (VtCoop            *self);
/* Back to its seeded start. */
void          vt_coop_reset         (VtCoop               *self);

/* The mean cross-entropy of @features (n, dim; image features, not
 * normalized) against @labels (n), in @loss, and its gradient with respect
 * to the context, added (+=) to @dcontext (the context's size). */
gboolean      vt_coop_loss_backward (VtCoop               *self,
                                     const float          *features,
                                     const gint32         *labels,
                                     guint                 n,
                                     double               *loss,
                                     float                *dcontext,
                                     GError              **error);

/* Trains the context from where it is on rows @rows[0..n) of @features
 * (rows of dim floats) with classes @labels (n). @losses (may be NULL)
 * gets each step's loss, before that step's update (epochs · batches of
 * them). FALSE with @error when a label is out of range or the loss
 * diverges. */
gboolean      vt_coop_train         (VtCoop               *self,
                                     const float          *features,
                                     const guint          *rows,
                                     const gint32         *labels,
                                     guint                 n,
                                     GArray               *losses,
                                     GError              **error);

/* The text features of each class's prompt (K, dim), normalized. */
gboolean      vt_coop_class_embeddings (VtCoop            *self,
                                        float             *embeddings,
                                        GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtCoop, vt_coop_free)

G_END_DECLS
