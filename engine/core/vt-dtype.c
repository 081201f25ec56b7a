/* vt-dtype.c: element types and their conversion to float. */
#include "vt-dtype.h"

#include <string.h>

/* One table, so names, sizes and float-ness cannot drift apart. */
static const struct
{
  const char *name;
  gsize size;
  gboolean is_float;
} dtype_info[VT_N_DTYPES] = {
  [VT_DTYPE_F32]  = { "F32",  4, TRUE },
  [VT_DTYPE_F16]  = { "F16",  2, TRUE },
  [VT_DTYPE_BF16] = { "BF16", 2, TRUE },
  [VT_DTYPE_F64]  = { "F64",  8, TRUE },
  [VT_DTYPE_I64]  = { "I64",  8, FALSE },
  [VT_DTYPE_I32]  = { "I32",  4, FALSE },
  [VT_DTYPE_U8]   = { "U8",   1, FALSE },
  [VT_DTYPE_BOOL] = { "BOOL", 1, FALSE },
};

gboolean
vt_dtype_from_name (const char *name,
                    VtDType    *out)
{
  for (guint i = 0; i < VT_N_DTYPES; i++)
    if (g_strcmp0 (name, dtype_info[i].name) == 0)
      {
        *out = (VtDType) i;
        return TRUE;
      }
  return FALSE;
}

const char *
vt_dtype_name (VtDType dtype)
{
  g_return_val_if_fail (dtype < VT_N_DTYPES, NULL);
  return dtype_info[dtype].name;
}

gsize
vt_dtype_size (VtDType dtype)
{
  g_return_val_if_fail (dtype < VT_N_DTYPES, 0);
  return dtype_info[dtype].size;
}

gboolean
vt_dtype_is_float (VtDType dtype)
{
  g_return_val_if_fail (dtype < VT_N_DTYPES, FALSE);
  return dtype_info[dtype].is_float;
}

static float
bits_to_float (guint32 bits)
{
  float f;
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* IEEE 754 binary16 to binary32, subnormals, infinities and NaN included. */
float
vt_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;

  if (exponent == 0x1f)
    return bits_to_float (sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0)
    {
      if (mantissa == 0)
        return bits_to_float (sign);
      /* Subnormal: mantissa * 2^-24, exact in float. */
      float value = (float) mantissa * (1.0f / 16777216.0f);
      return sign ? -value : value;
    }
  return bits_to_float (sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/* bfloat16 is the top half of a binary32. */
float
vt_bfloat16_to_float (guint16 b)
{
  return bits_to_float ((guint32) b << 16);
}

/* Checkpoints are little-endian; so is every machine Vitrine targets, but
 * reading through memcpy keeps unaligned views legal. */
double
vt_dtype_read_double (VtDType       dtype,
                      const guint8 *data,
                      gsize         i)
{
  switch (dtype)
    {
    case VT_DTYPE_F32: { float v; memcpy (&v, data + 4 * i, 4); return v; }
    case VT_DTYPE_F64: { double v; memcpy (&v, data + 8 * i, 8); return v; }
    case VT_DTYPE_F16: { guint16 v; memcpy (&v, data + 2 * i, 2); return vt_half_to_float (GUINT16_FROM_LE (v)); }
    case VT_DTYPE_BF16: { guint16 v; memcpy (&v, data + 2 * i, 2); return vt_bfloat16_to_float (GUINT16_FROM_LE (v)); }
    case VT_DTYPE_I64: { gint64 v; memcpy (&v, data + 8 * i, 8); return (double) GINT64_FROM_LE (v); }
    case VT_DTYPE_I32: { gint32 v; memcpy (&v, data + 4 * i, 4); return GINT32_FROM_LE (v); }
    case VT_DTYPE_U8: return data[i];
    case VT_DTYPE_BOOL: return data[i] != 0;
    case VT_N_DTYPES:
    default:
      g_return_val_if_reached (0.0);
    }
}

void
vt_dtype_to_float (VtDType       dtype,
                   const guint8 *data,
                   gsize         count,
                   float        *out)
{
  if (dtype == VT_DTYPE_F32)
    {
      memcpy (out, data, count * sizeof (float));
      return;
    }
  for (gsize i = 0; i < count; i++)
    out[i] = (float) vt_dtype_read_double (dtype, data, i);
}
