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

void     vt_tensor_free           (VtTensor       *tensor);

/* "[16, 3, 3, 3]"; "[]" for a scalar. */
char    *vt_tensor_format_shape   (const VtTensor *tensor);

/* A newly allocated float32 copy of the tensor's values, whatever its dtype. */
float   *vt_tensor_dup_float      (const VtTensor *tensor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTensor, vt_tensor_free)

G_END_DECLS
