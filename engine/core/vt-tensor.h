/* vt-tensor.h: a named, typed view of bytes that live elsewhere (usually a
 * memory-mapped checkpoint). A VtTensor never owns its data. */
#pragma once

#include "vt-dtype.h"

G_BEGIN_DECLS

#define VT_TENSOR_MAX_DIMS 8

typedef struct
{
  char          *name;
  VtDType        dtype;
  guint          ndim;
  gint64         shape[VT_TENSOR_MAX_DIMS];
  gsize          numel;
  gsize          nbytes;
  const guint8  *data;
} VtTensor;

/* A view named @name of @dtype and @shape over @data (may be NULL, to be
 * set by the caller), its numel and nbytes counted from the shape. */
VtTensor *vt_tensor_new           (const char     *name,
                                   VtDType         dtype,
                                   guint           ndim,
                                   const gint64   *shape,
                                   gconstpointer   data);
void     vt_tensor_free           (VtTensor       *tensor);

/* "[16, 3, 3, 3]"; "[]" for a scalar; a negative size (a shape pattern's
 * "any") as "*". */
char    *vt_format_shape          (guint           ndim,
                                   const gint64   *shape);
char    *vt_tensor_format_shape   (const VtTensor *tensor);

/* A newly allocated float32 copy of the tensor's values, whatever its dtype. */
float   *vt_tensor_dup_float      (const VtTensor *tensor);

/* A table of the tensor's values, as Netron shows them: the slice over its
 * last two dimensions at the indices @leading gives for the others
 * (ndim − 2 of them, each within its dimension); a 1-D tensor laid out in
 * rows of @max_cols; a scalar as one value. *rows and *cols are the
 * slice's whole size; @out receives its first MIN (*rows, @max_rows) ×
 * MIN (*cols, @max_cols) values, row-major with that many columns, read
 * exactly (vt_dtype_read_double). */
void     vt_tensor_read_slice     (const VtTensor *tensor,
                                   const gint64   *leading,
                                   guint           max_rows,
                                   guint           max_cols,
                                   double         *out,
                                   gint64         *rows,
                                   gint64         *cols);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTensor, vt_tensor_free)

G_END_DECLS
