/* vt-dtype.h: the element types a checkpoint can hold, and conversion to float.
 *
 * Vitrine computes in float32; every stored type converts to it on request.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VT_DTYPE_F32,
  VT_DTYPE_F16,
  VT_DTYPE_BF16,
  VT_DTYPE_F64,
  VT_DTYPE_I64,
  VT_DTYPE_I32,
  VT_DTYPE_U8,
  VT_DTYPE_BOOL,
  VT_N_DTYPES
} VtDType;

gboolean     vt_dtype_from_name     (const char *name,
                                     VtDType    *out);
const char  *vt_dtype_name          (VtDType     dtype);
gsize        vt_dtype_size          (VtDType     dtype);
gboolean     vt_dtype_is_float      (VtDType     dtype);

float        vt_half_to_float       (guint16     h);
float        vt_bfloat16_to_float   (guint16     b);

/* Element i of a little-endian buffer of @dtype, as a double (exact for
 * every type but I64 beyond 2^53). */
double       vt_dtype_read_double   (VtDType        dtype,
                                     const guint8  *data,
                                     gsize          i);

/* Converts @count elements into @out (float32). */
void         vt_dtype_to_float      (VtDType        dtype,
                                     const guint8  *data,
                                     gsize          count,
                                     float         *out);

G_END_DECLS
