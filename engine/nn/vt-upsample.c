/* vt-upsample.c: bilinear interpolation and its transpose. */
#include "vt-upsample.h"

#include <math.h>

typedef struct
{
  int   i0, i1;
  float l1;   /* weight of i1; i0 has 1 − l1 */
} Tap;

/* One axis's taps, as upsample_bilinear2d (align_corners=False). */
static Tap *
taps (int in,
      int out)
{
  Tap *t = g_new (Tap, out);
  float scale = (float) in / (float) out;

  for (int o = 0; o < out; o++)
    {
      float src = MAX ((o + 0.5f) * scale - 0.5f, 0.0f);
      int i0 = MIN ((int) src, in - 1);

      t[o].i0 = i0;
      t[o].i1 = MIN (i0 + 1, in - 1);
      t[o].l1 = src - i0;
    }
  return t;
}

void
vt_upsample_bilinear_forward (float       *out,
                              const float *in,
                              int          planes,
                              int          h,
                              int          w,
                              int          oh,
                              int          ow)
{
  g_autofree Tap *ty = taps (h, oh), *tx = taps (w, ow);

  for (int p = 0; p < planes; p++)
    {
      const float *plane = in + (gsize) p * h * w;

      for (int y = 0; y < oh; y++)
        {
          const float *r0 = plane + (gsize) ty[y].i0 * w, *r1 = plane + (gsize) ty[y].i1 * w;
          float ly = ty[y].l1;

          for (int x = 0; x < ow; x++)
            {
              float lx = tx[x].l1;
              float top = (1.0f - lx) * r0[tx[x].i0] + lx * r0[tx[x].i1];
              float bottom = (1.0f - lx) * r1[tx[x].i0] + lx * r1[tx[x].i1];

              out[((gsize) p * oh + y) * ow + x] = (1.0f - ly) * top + ly * bottom;
            }
        }
    }
}

void
vt_upsample_bilinear_backward (float       *din,
                               const float *dout,
                               int          planes,
                               int          h,
                               int          w,
                               int          oh,
                               int          ow)
{
  g_autofree Tap *ty = taps (h, oh), *tx = taps (w, ow);

  for (int p = 0; p < planes; p++)
    {
      float *plane = din + (gsize) p * h * w;

      for (int y = 0; y < oh; y++)
        {
          float *r0 = plane + (gsize) ty[y].i0 * w, *r1 = plane + (gsize) ty[y].i1 * w;
          float ly = ty[y].l1;

          for (int x = 0; x < ow; x++)
            {
              float g = dout[((gsize) p * oh + y) * ow + x], lx = tx[x].l1;

              r0[tx[x].i0] += (1.0f - ly) * (1.0f - lx) * g;
              r0[tx[x].i1] += (1.0f - ly) * lx * g;
              r1[tx[x].i0] += ly * (1.0f - lx) * g;
              r1[tx[x].i1] += ly * lx * g;
            }
        }
    }
}
