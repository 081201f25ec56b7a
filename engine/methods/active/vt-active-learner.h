/* vt-active-learner.h: the model active learning retrains as labels come:
 * a linear head (logits = x Wᵀ + b) or a cosine head (logits = s · x̂ Ŵᵀ)
 * on a feature store's features, trained with softmax cross-entropy by SGD
 * (momentum, weight decay as torch.optim.SGD adds it to the gradient),
 * full-batch or in mini-batches.
 *
 * Everything is seeded: W starts at (2u − 1) / √D, u from vt-active-rng
 * with the seed (b at 0), and each epoch's mini-batch order is a
 * vt_active_rng_shuffle of the labeled rows from a stream seeded with
 * seed + 1 at each training. The same seed, labels and thread count give
 * the same weights (tests/reference/make_active_fixtures.py trains the same
 * recipe in PyTorch).
 *
 * With a store's CLIP checkpoint (vt-active-clip.h) two more: zero_shot,
 * the cosine head whose rows are the text embeddings of "a photo of a
 * {class}." (vt-zero-shot.h) at CLIP's logit scale, which labels do not
 * change; and coop, the same head over CoOp's learned prompts (vt-coop.h),
 * whose context vectors the labels train through the frozen text tower. */
#pragma once

#include <glib.h>

#include "vt-active-clip.h"

G_BEGIN_DECLS

#define VT_ACTIVE_ERROR (vt_active_error_quark ())
GQuark vt_active_error_quark (void);

typedef enum
{
  VT_ACTIVE_ERROR_INVALID,     /* a setting or an input out of range */
  VT_ACTIVE_ERROR_DIVERGED,    /* the loss became NaN or infinite */
} VtActiveError;

typedef enum
{
  VT_ACTIVE_LEARNER_LINEAR,
  VT_ACTIVE_LEARNER_COSINE,
  VT_ACTIVE_LEARNER_ZERO_SHOT,   /* needs a VtActiveClip */
  VT_ACTIVE_LEARNER_COOP,        /* needs a VtActiveClip */
} VtActiveLearnerKind;

/* Whether @kind is one of the CLIP learners (vt_active_learner_new_clip). */
#define VT_ACTIVE_LEARNER_IS_CLIP(kind) ((kind) == VT_ACTIVE_LEARNER_ZERO_SHOT || (kind) == VT_ACTIVE_LEARNER_COOP)

typedef struct
{
  VtActiveLearnerKind kind;
  double    cosine_scale;   /* s of the cosine head */
  double    lr;
  double    momentum;
  double    weight_decay;
  guint     epochs;
  guint     batch;          /* 0: full batch */
  gboolean  warm_start;     /* TRUE: a new training starts from the last weights (coop: context) */
  guint64   seed;
  guint     n_ctx;          /* coop: context vectors */
  gboolean  csc;            /* coop: one set per class */
} VtActiveLearnerOptions;

/* lr 0.1, momentum 0.9, weight decay 5e-4, 100 epochs, full batch, from
 * scratch, scale 10, seed 0; coop's 16 shared context vectors. */
void vt_active_learner_options_init (VtActiveLearnerOptions *options);
/* Sets the training settings to @kind's own defaults: coop's are CoOp's
 * (vt_coop_options_init: lr 0.002, batch 32, 50 epochs, momentum 0.9,
 * weight decay 5e-4), the others' those above. */
void vt_active_learner_options_defaults (VtActiveLearnerOptions *options,
                                         VtActiveLearnerKind     kind);

typedef struct _VtActiveLearner VtActiveLearner;

/* A linear or cosine head (options->kind) of @dim features and @n_classes. */
VtActiveLearner *vt_active_learner_new      (const VtActiveLearnerOptions *options,
                                             guint                         dim,
                                             guint                         n_classes);
/* A zero_shot or coop learner (options->kind) over @clip's store: @clip's
 * class names, its embedding size, its logit scale (the learner keeps
 * what it needs: @clip may go before it). NULL with @error when the text tower cannot embed the
 * prompts (coop: no backward pass for it, or prompts longer than its
 * context). */
VtActiveLearner *vt_active_learner_new_clip (const VtActiveLearnerOptions *options,
                                             VtActiveClip                 *clip,
                                             GError                      **error);
void             vt_active_learner_free     (VtActiveLearner *self);

/* Trains on rows @rows[0..n) of @features (rows of dim floats) with
 * classes @labels[0..n) in [0, n_classes). FALSE with @error when a label
 * is out of range or the loss diverges. */
/* FALSE, with an error, when there is nothing to train on or a label is
 * not one of the @k classes (naming the sample row): what every learner
 * checks before it trains. */
gboolean         vt_active_check_labels     (const guint     *rows,
                                             const gint32    *labels,
                                             guint            n,
                                             guint            k,
                                             GError         **error);
gboolean         vt_active_learner_train    (VtActiveLearner *self,
                                             const float     *features,
                                             const guint     *rows,
                                             const gint32    *labels,
                                             guint            n,
                                             GError         **error);
/* probs (n, K): the softmax of the logits of @features (n, dim). */
void             vt_active_learner_probs    (VtActiveLearner *self,
                                             const float     *features,
                                             guint            n,
                                             float           *probs);
/* The share of @features (n, dim) whose argmax class is @labels[i]. */
double           vt_active_learner_accuracy (VtActiveLearner *self,
                                             const float     *features,
                                             const gint64    *labels,
                                             guint            n);
VtActiveLearnerKind vt_active_learner_get_kind (VtActiveLearner *self);
guint            vt_active_learner_get_dim  (VtActiveLearner *self);
/* W (K, dim) and b (K; zeros for the cosine head), the learner's own
 * (the CLIP learners': the normalized text embeddings). */
const float     *vt_active_learner_weight   (VtActiveLearner *self);
const float     *vt_active_learner_bias     (VtActiveLearner *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtActiveLearner, vt_active_learner_free)

G_END_DECLS
