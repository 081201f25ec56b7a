/* vt-weights.c: checked access to checkpoint tensors. */
#include "vt-weights.h"

G_DEFINE_QUARK (vt-model-error-quark, vt_model_error)

struct _VtWeights
{
  VtCheckpoint *checkpoint;
  char         *prefix;
  GPtrArray    *owned;
};

VtWeights *
vt_weights_new (VtCheckpoint *checkpoint,
                const char   *prefix)
{
  VtWeights *self = g_new0 (VtWeights, 1);

  self->checkpoint = vt_checkpoint_ref (checkpoint);
  self->prefix = g_strdup (prefix);
  self->owned = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
vt_weights_free (VtWeights *self)
{
  if (self == NULL)
    return;
  vt_checkpoint_unref (self->checkpoint);
  g_free (self->prefix);
  g_ptr_array_unref (self->owned);
  g_free (self);
}

float *
vt_weights_alloc (VtWeights *self,
                  gsize      n_floats)
{
  float *p = g_new0 (float, MAX (n_floats, 1));

  g_ptr_array_add (self->owned, p);
  return p;
}

gboolean
vt_weights_has (VtWeights  *self,
                const char *name)
{
  return vt_weights_lookup (self, name) != NULL;
}

const VtTensor *
vt_weights_lookup (VtWeights  *self,
                   const char *name)
{
  g_autofree char *full = g_strconcat (self->prefix, name, NULL);
  return vt_checkpoint_lookup (self->checkpoint, full);
}

const float *
vt_weights_get (VtWeights     *self,
                const char    *name,
                guint          ndim,
                const gint64  *shape,
                GError       **error)
{
  g_autofree char *full = g_strconcat (self->prefix, name, NULL);
  const VtTensor *tensor = vt_checkpoint_lookup (self->checkpoint, full);
  gboolean match;

  if (tensor == NULL)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR,
                   "%s: tensor “%s” is missing", vt_checkpoint_get_path (self->checkpoint), full);
      return NULL;
    }
  match = tensor->ndim == ndim;
  for (guint i = 0; match && i < ndim; i++)
    match = shape[i] < 0 || shape[i] == tensor->shape[i];
  if (!match || !vt_dtype_is_float (tensor->dtype))
    {
      g_autofree char *expected = vt_format_shape (ndim, shape);
      g_autofree char *found = vt_tensor_format_shape (tensor);
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_SHAPE,
                   "%s: tensor “%s” has shape %s of %s, expected %s of a float type",
                   vt_checkpoint_get_path (self->checkpoint), full, found,
                   vt_dtype_name (tensor->dtype), expected);
      return NULL;
    }

  /* F32 views stay in the map; anything else becomes an owned copy. */
  if (tensor->dtype == VT_DTYPE_F32 && ((guintptr) tensor->data % sizeof (float)) == 0)
    return (const float *) tensor->data;
  {
    float *copy = vt_tensor_dup_float (tensor);
    g_ptr_array_add (self->owned, copy);
    return copy;
  }
}
