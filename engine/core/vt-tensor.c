/* vt-tensor.c: helpers on tensor views. */
#include "vt-tensor.h"

#include <math.h>

VtTensor *
vt_tensor_new (const char    *name,
               VtDType        dtype,
               guint          ndim,
               const gint64  *shape,
               gconstpointer  data)
{
  VtTensor *t;

  g_return_val_if_fail (ndim <= VT_TENSOR_MAX_DIMS, NULL);
  t = g_new0 (VtTensor, 1);
  t->name = g_strdup (name);
  t->dtype = dtype;
  t->ndim = ndim;
  t->numel = 1;
  for (guint d = 0; d < ndim; d++)
    {
      t->shape[d] = shape[d];
      t->numel *= (gsize) shape[d];
    }
  t->nbytes = t->numel * vt_dtype_size (dtype);
  t->data = data;
  return t;
}

void
vt_tensor_free (VtTensor *tensor)
{
  if (tensor == NULL)
    return;
  g_free (tensor->name);
  g_free (tensor);
}

char *
vt_format_shape (guint         ndim,
                 const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        g_string_append_printf (s, "%s*", i ? ", " : "");
      else
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

char *
vt_tensor_format_shape (const VtTensor *tensor)
{
  return vt_format_shape (tensor->ndim, tensor->shape);
}

float *
vt_tensor_dup_float (const VtTensor *tensor)
{
  float *out = g_new (float, MAX (tensor->numel, 1));

  vt_dtype_to_float (tensor->dtype, tensor->data, tensor->numel, out);
  return out;
}

void
vt_tensor_read_slice (const VtTensor *tensor,
                      const gint64   *leading,
                      guint           max_rows,
                      guint           max_cols,
                      double         *out,
                      gint64         *rows,
                      gint64         *cols)
{
  gsize start = 0;
  gint64 shown_rows, shown_cols, stride;

  if (tensor->ndim >= 2)
    {
      /* Row-major: the leading indices pick one (rows, cols) matrix. */
      for (guint d = 0; d + 2 < tensor->ndim; d++)
        {
          g_return_if_fail (leading[d] >= 0 && leading[d] < tensor->shape[d]);
          start = start * (gsize) tensor->shape[d] + (gsize) leading[d];
        }
      *rows = tensor->shape[tensor->ndim - 2];
      *cols = tensor->shape[tensor->ndim - 1];
      start *= (gsize) (*rows * *cols);
      stride = *cols;
    }
  else
    {
      gint64 n = tensor->ndim == 1 ? tensor->shape[0] : 1;

      *cols = MIN (n, (gint64) max_cols);
      *rows = *cols > 0 ? (n + *cols - 1) / *cols : 0;
      stride = *cols;
    }
  shown_rows = MIN (*rows, (gint64) max_rows);
  shown_cols = MIN (*cols, (gint64) max_cols);
  for (gint64 r = 0; r < shown_rows; r++)
    for (gint64 c = 0; c < shown_cols; c++)
      {
        gsize i = start + (gsize) (r * stride + c);

        /* The last row of a wrapped 1-D tensor is short. */
        out[r * shown_cols + c] = i < tensor->numel ? vt_dtype_read_double (tensor->dtype, tensor->data, i) : NAN;
      }
}
