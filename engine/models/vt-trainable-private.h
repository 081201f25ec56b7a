/* vt-trainable-private.h: what a family gives VtTrainable (vt-trainable.c):
 * its parameters, bound through vt_trainable_bind, and a table of its
 * layout, forward and backward passes. */
#pragma once

#include "models/vt-trainable.h"
#include "models/vt-weights.h"

G_BEGIN_DECLS

/* What a parameter is, for VtTrainPart. */
typedef enum
{
  VT_PARAM_OTHER,
  VT_PARAM_NORM,
  VT_PARAM_HEAD,
} VtParamKind;

typedef struct
{
  VtTrainableParam  pub;
  const float      *stored;   /* in the checkpoint (or converted once by VtWeights) */
  VtParamKind       kind;
  int               block;    /* the block it belongs to, -1 before the first, n_blocks after the last */
} VtParam;

/* What a text tower reads: token ids (B, L), and the token embeddings
 * (B, L, C) to use instead of the rows the ids pick, or NULL. The ids
 * still say where each text ends (its largest id). */
typedef struct
{
  const gint64 *ids;
  const float  *embeddings;
} VtTextInput;

typedef struct
{
  /* A text tower takes @height tokens (and @width 0). */
  gboolean (*check_input) (gpointer family, int height, int width, GError **error);
  /* Declares every node for this batch shape. */
  void     (*layout)      (gpointer family, VtTape *tape, int batch, int height, int width);
  /* @input: pixels (B, 3, H, W) floats, or a text tower's VtTextInput,
   * its ids checked against the vocabulary. */
  void     (*forward)     (gpointer family, gconstpointer input);
  /* From the gradient held by @target (every later one zero): the
   * gradients of every node up to it, the input's only if @input, and
   * every trainable parameter's (+=). */
  void     (*backward)    (gpointer family, const VtTapeNode *target, gboolean input);
  void     (*free)        (gpointer family);
  /* BatchNorm in training mode or not; NULL for a family without BatchNorm. */
  void     (*set_batchnorm_training) (gpointer family, gboolean training);
  /* Whether the batch shape just laid out can run in the present mode, or
   * FALSE with an error; NULL for a family where every shape can. */
  gboolean (*check_layout) (gpointer family, GError **error);
} VtTrainableFamily;

/* Binds the parameter @name (in the checkpoint, after the architecture's
 * prefix) of @shape, or NULL with an error. */
VtParam  *vt_trainable_bind       (VtTrainable   *self,
                                   VtWeights     *weights,
                                   const char    *name,
                                   VtParamKind    kind,
                                   int            block,
                                   guint          ndim,
                                   const gint64  *shape,
                                   GError       **error);
/* The same when the checkpoint may not have it: NULL and no error then. */
gboolean  vt_trainable_bind_optional (VtTrainable   *self,
                                      VtWeights     *weights,
                                      const char    *name,
                                      VtParamKind    kind,
                                      int            block,
                                      guint          ndim,
                                      const gint64  *shape,
                                      VtParam      **out,
                                      GError       **error);
/* Makes @data (@dtype, @shape; the family's, living as long as it) what
 * vt_trainable_lookup_buffer gives for @name. */
void      vt_trainable_add_buffer (VtTrainable   *self,
                                   const char    *name,
                                   VtDType        dtype,
                                   guint          ndim,
                                   const gint64  *shape,
                                   gconstpointer  data);
/* The tape's work memory of its largest node's size, @which 0 or 1. */
float    *vt_trainable_scratch    (VtTrainable *self,
                                   int          which);
/* A text tower's token embedding (vocab, C): its rows are the
 * vocabulary, and vt_trainable_forward_text refuses ids outside it. */
void      vt_trainable_set_token_embedding (VtTrainable *self,
                                            VtParam     *embedding);
void      vt_trainable_set_n_blocks (VtTrainable *self,
                                     int          n_blocks);

/* The families, each in its own file. */
gpointer  vt_trainable_resnet_new (VtTrainable *self, VtCheckpoint *checkpoint,
                                   const VtArchitecture *arch, const VtTrainableFamily **family,
                                   GError **error);
gpointer  vt_trainable_vit_new    (VtTrainable *self, VtCheckpoint *checkpoint,
                                   const VtArchitecture *arch, const VtTrainableFamily **family,
                                   GError **error);
/* A CLIP checkpoint's text tower (in vt-trainable-vit.c: the same blocks). */
gpointer  vt_trainable_text_new   (VtTrainable *self, VtCheckpoint *checkpoint,
                                   const VtArchitecture *arch, const VtTrainableFamily **family,
                                   GError **error);

G_END_DECLS
