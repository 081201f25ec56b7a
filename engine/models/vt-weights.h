/* vt-weights.h: binding checkpoint tensors to a model, checked by name and
 * shape. F32 tensors stay in the memory map when aligned; anything else
 * (F16, BF16, unaligned) is converted once into memory the binder owns. */
#pragma once

#include "io/vt-checkpoint.h"

G_BEGIN_DECLS

#define VT_MODEL_ERROR (vt_model_error_quark ())
GQuark vt_model_error_quark (void);

typedef enum
{
  VT_MODEL_ERROR_UNSUPPORTED,     /* a family or variant with no forward pass */
  VT_MODEL_ERROR_MISSING_TENSOR,
  VT_MODEL_ERROR_SHAPE,           /* a tensor of the wrong shape or type */
  VT_MODEL_ERROR_INPUT,           /* input of the wrong size */
  VT_MODEL_ERROR_CONFIG,          /* a config.json value the model cannot use */
} VtModelError;

typedef struct _VtWeights VtWeights;

VtWeights   *vt_weights_new        (VtCheckpoint *checkpoint,
                                    const char   *prefix);
void         vt_weights_free       (VtWeights    *weights);

/* The tensor named @prefix + @name as float32, or NULL with @error set
 * (missing, or shape differs from @shape; a -1 in @shape matches any size). */
const float *vt_weights_get        (VtWeights     *weights,
                                    const char    *name,
                                    guint          ndim,
                                    const gint64  *shape,
                                    GError       **error);
/* Whether @prefix + @name exists. */
gboolean     vt_weights_has        (VtWeights     *weights,
                                    const char    *name);
/* The tensor @prefix + @name as stored (any dtype), or NULL. */
const VtTensor *vt_weights_lookup  (VtWeights     *weights,
                                    const char    *name);
/* Memory owned by the weights, freed with them (folded BatchNorm, packed
 * projections). */
float       *vt_weights_alloc      (VtWeights     *weights,
                                    gsize          n_floats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtWeights, vt_weights_free)

/* Shorthand for a shape literal: VT_SHAPE (64, 3, 7, 7) */
#define VT_SHAPE(...) (sizeof ((gint64[]) { __VA_ARGS__ }) / sizeof (gint64)), ((const gint64[]) { __VA_ARGS__ })

G_END_DECLS
