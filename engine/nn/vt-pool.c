/* vt-pool.c: pooling, forward and backward. */
#include "vt-pool.h"

#include <math.h>

int
vt_pool_out_size (int size,
                  int kernel,
                  int stride,
                  int pad)
{
  return (size + 2 * pad - kernel) / stride + 1;
}

void
vt_maxpool_forward (float       *out,
                    gint32      *argmax,
                    const float *in,
                    int          planes,
                    int          h,
                    int          w,
                    int          kernel,
                    int          stride,
                    int          pad)
{
  int oh = vt_pool_out_size (h, kernel, stride, pad), ow = vt_pool_out_size (w, kernel, stride, pad);

  for (int p = 0; p < planes; p++)
    {
      const float *plane = in + (gsize) p * h * w;

      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          {
            float best = -INFINITY;
            gint32 at = -1;

            for (int i = 0; i < kernel; i++)
              for (int j = 0; j < kernel; j++)
                {
                  int iy = y * stride - pad + i, ix = x * stride - pad + j;

                  if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                    continue;
                  /* a NaN wins, as in PyTorch */
                  if (at < 0 || plane[iy * w + ix] > best || isnan (plane[iy * w + ix]))
                    {
                      best = plane[iy * w + ix];
                      at = iy * w + ix;
                      if (isnan (best))
                        goto found;
                    }
                }
          found:
            out[((gsize) p * oh + y) * ow + x] = best;
            argmax[((gsize) p * oh + y) * ow + x] = at;
          }
    }
}

void
vt_maxpool_backward (float        *din,
                     const float  *dout,
                     const gint32 *argmax,
                     int           planes,
                     int           h,
                     int           w,
                     int           oh,
                     int           ow)
{
  for (int p = 0; p < planes; p++)
    for (int i = 0; i < oh * ow; i++)
      din[(gsize) p * h * w + argmax[(gsize) p * oh * ow + i]] += dout[(gsize) p * oh * ow + i];
}

void
vt_avgpool_forward (float       *out,
                    const float *in,
                    int          planes,
                    int          h,
                    int          w,
                    int          kernel,
                    int          stride,
                    int          pad)
{
  int oh = vt_pool_out_size (h, kernel, stride, pad), ow = vt_pool_out_size (w, kernel, stride, pad);

  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          double sum = 0.0;

          for (int i = 0; i < kernel; i++)
            for (int j = 0; j < kernel; j++)
              {
                int iy = y * stride - pad + i, ix = x * stride - pad + j;

                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                  sum += in[((gsize) p * h + iy) * w + ix];
              }
          out[((gsize) p * oh + y) * ow + x] = (float) (sum / (kernel * kernel));
        }
}

void
vt_avgpool_backward (float       *din,
                     const float *dout,
                     int          planes,
                     int          h,
                     int          w,
                     int          kernel,
                     int          stride,
                     int          pad)
{
  int oh = vt_pool_out_size (h, kernel, stride, pad), ow = vt_pool_out_size (w, kernel, stride, pad);

  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          float g = dout[((gsize) p * oh + y) * ow + x] / (float) (kernel * kernel);

          for (int i = 0; i < kernel; i++)
            for (int j = 0; j < kernel; j++)
              {
                int iy = y * stride - pad + i, ix = x * stride - pad + j;

                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                  din[((gsize) p * h + iy) * w + ix] += g;
              }
        }
}

void
vt_global_avgpool_backward (float       *din,
                            const float *dout,
                            int          planes,
                            int          hw)
{
  for (int p = 0; p < planes; p++)
    {
      float g = dout[p] / (float) hw;

      for (int i = 0; i < hw; i++)
        din[(gsize) p * hw + i] += g;
    }
}
