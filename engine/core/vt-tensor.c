/* vt-tensor.c: helpers on tensor views. */
#include "vt-tensor.h"

void
vt_tensor_free (VtTensor *tensor)
{
  if (tensor == NULL)
    return;
  g_free (tensor->name);
  g_free (tensor);
}

char *
vt_tensor_format_shape (const VtTensor *tensor)
{
  g_autoptr(GString) s = g_string_new ("[");

  for (guint i = 0; i < tensor->ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", tensor->shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (g_steal_pointer (&s), FALSE);
}

float *
vt_tensor_dup_float (const VtTensor *tensor)
{
  float *out = g_new (float, MAX (tensor->numel, 1));

  vt_dtype_to_float (tensor->dtype, tensor->data, tensor->numel, out);
  return out;
}
