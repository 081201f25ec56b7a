/* vt-conv.c: grouped 2-D convolution, forward and backward. */
#include "vt-conv.h"

#include <cblas.h>
#include <string.h>

int
vt_conv_shape_out_h (const VtConvShape *s)
{
  return (s->h + 2 * s->pad - s->kh) / s->stride + 1;
}

int
vt_conv_shape_out_w (const VtConvShape *s)
{
  return (s->w + 2 * s->pad - s->kw) / s->stride + 1;
}

/* col (cg·kh·kw, OH·OW) from one group's channels in (cg, H, W). */
static void
im2col (float             *col,
        const float       *in,
        int                cg,
        const VtConvShape *s,
        int                oh,
        int                ow)
{
  for (int ch = 0; ch < cg; ch++)
    for (int i = 0; i < s->kh; i++)
      for (int j = 0; j < s->kw; j++)
        {
          float *row = col + ((gsize) (ch * s->kh + i) * s->kw + j) * oh * ow;

          for (int y = 0; y < oh; y++)
            {
              int iy = y * s->stride - s->pad + i;

              for (int x = 0; x < ow; x++)
                {
                  int ix = x * s->stride - s->pad + j;

                  row[y * ow + x] = iy >= 0 && iy < s->h && ix >= 0 && ix < s->w
                                    ? in[((gsize) ch * s->h + iy) * s->w + ix] : 0.0f;
                }
            }
        }
}

/* The reverse: din (cg, H, W) += every entry of col that came from it. */
static void
col2im_add (float             *din,
            const float       *col,
            int                cg,
            const VtConvShape *s,
            int                oh,
            int                ow)
{
  for (int ch = 0; ch < cg; ch++)
    for (int i = 0; i < s->kh; i++)
      for (int j = 0; j < s->kw; j++)
        {
          const float *row = col + ((gsize) (ch * s->kh + i) * s->kw + j) * oh * ow;

          for (int y = 0; y < oh; y++)
            {
              int iy = y * s->stride - s->pad + i;

              if (iy < 0 || iy >= s->h)
                continue;
              for (int x = 0; x < ow; x++)
                {
                  int ix = x * s->stride - s->pad + j;

                  if (ix >= 0 && ix < s->w)
                    din[((gsize) ch * s->h + iy) * s->w + ix] += row[y * ow + x];
                }
            }
        }
}

void
vt_conv_forward (float             *out,
                 const float       *in,
                 const float       *w,
                 const float       *bias,
                 const VtConvShape *s)
{
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups, r = cg * s->kh * s->kw;
  gsize p = (gsize) oh * ow;
  g_autofree float *col = g_new (float, (gsize) r * p);

  for (int n = 0; n < s->n; n++)
    for (int g = 0; g < s->groups; g++)
      {
        float *o = out + ((gsize) n * s->k + (gsize) g * kg) * p;

        im2col (col, in + ((gsize) n * s->c + (gsize) g * cg) * s->h * s->w, cg, s, oh, ow);
        /* out_g (kg, P) = w_g (kg, r) · col (r, P) */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, kg, (int) p, r,
                     1.0f, w + (gsize) g * kg * r, r, col, (int) p, 0.0f, o, (int) p);
        for (int k = 0; bias != NULL && k < kg; k++)
          for (gsize i = 0; i < p; i++)
            o[(gsize) k * p + i] += bias[g * kg + k];
      }
}

void
vt_conv_backward (float             *din,
                  float             *dw,
                  float             *dbias,
                  const float       *dout,
                  const float       *in,
                  const float       *w,
                  const VtConvShape *s)
{
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups, r = cg * s->kh * s->kw;
  gsize p = (gsize) oh * ow;
  g_autofree float *col = g_new (float, (gsize) r * p);

  for (int n = 0; n < s->n; n++)
    for (int g = 0; g < s->groups; g++)
      {
        const float *d = dout + ((gsize) n * s->k + (gsize) g * kg) * p;
        const float *wg = w + (gsize) g * kg * r;

        if (dw != NULL)
          {
            /* dw_g (kg, r) += dout_g (kg, P) · colᵀ (P, r) */
            im2col (col, in + ((gsize) n * s->c + (gsize) g * cg) * s->h * s->w, cg, s, oh, ow);
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, kg, r, (int) p,
                         1.0f, d, (int) p, col, (int) p, 1.0f, dw + (gsize) g * kg * r, r);
          }
        if (din != NULL)
          {
            /* dcol (r, P) = w_gᵀ (r, kg) · dout_g (kg, P), folded back onto the image */
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, r, (int) p, kg,
                         1.0f, wg, r, d, (int) p, 0.0f, col, (int) p);
            col2im_add (din + ((gsize) n * s->c + (gsize) g * cg) * s->h * s->w, col, cg, s, oh, ow);
          }
        for (int k = 0; dbias != NULL && k < kg; k++)
          {
            double acc = 0.0;

            for (gsize i = 0; i < p; i++)
              acc += d[(gsize) k * p + i];
            dbias[g * kg + k] += (float) acc;
          }
      }
}

/* The input pixel that output (y, x) reads through kernel tap (i, j), or -1
 * in the padding. */
static gssize
tap_index (const VtConvShape *s,
           int                y,
           int                x,
           int                i,
           int                j)
{
  int iy = y * s->stride - s->pad + i, ix = x * s->stride - s->pad + j;

  if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
    return -1;
  return (gssize) iy * s->w + ix;
}

void
vt_conv_forward_naive (float             *out,
                       const float       *in,
                       const float       *w,
                       const float       *bias,
                       const VtConvShape *s)
{
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups;
  gsize hw = (gsize) s->h * s->w;

  for (int n = 0; n < s->n; n++)
    for (int k = 0; k < s->k; k++)
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          {
            double acc = bias != NULL ? bias[k] : 0.0;
            int g = k / kg;

            for (int ch = 0; ch < cg; ch++)
              for (int i = 0; i < s->kh; i++)
                for (int j = 0; j < s->kw; j++)
                  {
                    gssize t = tap_index (s, y, x, i, j);

                    if (t >= 0)
                      acc += (double) w[(((gsize) k * cg + ch) * s->kh + i) * s->kw + j]
                             * in[((gsize) n * s->c + g * cg + ch) * hw + t];
                  }
            out[(((gsize) n * s->k + k) * oh + y) * ow + x] = (float) acc;
          }
}

void
vt_conv_backward_naive (float             *din,
                        float             *dw,
                        float             *dbias,
                        const float       *dout,
                        const float       *in,
                        const float       *w,
                        const VtConvShape *s)
{
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups;
  gsize hw = (gsize) s->h * s->w, wsize = (gsize) s->k * cg * s->kh * s->kw;
  g_autofree double *dw_acc = g_new0 (double, wsize);
  g_autofree double *din_acc = g_new0 (double, (gsize) s->n * s->c * hw);

  for (int n = 0; n < s->n; n++)
    for (int k = 0; k < s->k; k++)
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          {
            double d = dout[(((gsize) n * s->k + k) * oh + y) * ow + x];
            int g = k / kg;

            for (int ch = 0; ch < cg; ch++)
              for (int i = 0; i < s->kh; i++)
                for (int j = 0; j < s->kw; j++)
                  {
                    gssize t = tap_index (s, y, x, i, j);
                    gsize wi = (((gsize) k * cg + ch) * s->kh + i) * s->kw + j;
                    gsize ii = ((gsize) n * s->c + g * cg + ch) * hw + t;

                    if (t < 0)
                      continue;
                    dw_acc[wi] += d * in[ii];
                    din_acc[ii] += d * w[wi];
                  }
          }
  for (gsize i = 0; dw != NULL && i < wsize; i++)
    dw[i] += (float) dw_acc[i];
  for (gsize i = 0; din != NULL && i < (gsize) s->n * s->c * hw; i++)
    din[i] += (float) din_acc[i];
  for (int k = 0; dbias != NULL && k < s->k; k++)
    {
      double acc = 0.0;

      for (int n = 0; n < s->n; n++)
        for (gsize i = 0; i < (gsize) oh * ow; i++)
          acc += dout[((gsize) n * s->k + k) * oh * ow + i];
      dbias[k] += (float) acc;
    }
}
