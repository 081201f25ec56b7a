/* vt-conv.c: grouped 2-D convolution, forward and backward. */
#include "vt-conv.h"
#include "core/vt-parallel.h"
#include "vt-gemm.h"

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

/* A 1×1 convolution with stride 1 and no padding reads the image as its
 * own im2col matrix (cg, H·W): no copy either way. */
static gboolean
is_pointwise (const VtConvShape *s)
{
  return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* The output columns [*lo, *hi) whose input column x · stride − pad + j
 * falls inside the image (0 ≤ · < w): the rest read the zero padding.
 * Found once per kernel column so that the copies below have no test in
 * their inner loop (the tests cost as much as the product). */
static void
valid_columns (const VtConvShape *s,
               int                j,
               int                ow,
               int               *lo,
               int               *hi)
{
  int first = s->pad - j, last = s->w - 1 + s->pad - j;

  /* x ≥ ceil(first / stride), x ≤ floor(last / stride), for either sign */
  *lo = first <= 0 ? 0 : (first + s->stride - 1) / s->stride;
  *hi = last < 0 ? 0 : MIN (last / s->stride + 1, ow);
  *lo = MIN (*lo, *hi);
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
          int lo, hi;

          valid_columns (s, j, ow, &lo, &hi);
          for (int y = 0; y < oh; y++)
            {
              int iy = y * s->stride - s->pad + i;
              float *dst = row + (gsize) y * ow;
              const float *src;

              if (iy < 0 || iy >= s->h || lo == hi)
                {
                  memset (dst, 0, sizeof (float) * ow);
                  continue;
                }
              /* the input of output column lo, the first inside the image */
              src = in + ((gsize) ch * s->h + iy) * s->w + (lo * s->stride - s->pad + j);
              memset (dst, 0, sizeof (float) * lo);
              if (s->stride == 1)
                memcpy (dst + lo, src, sizeof (float) * (hi - lo));
              else
                for (int x = lo; x < hi; x++)
                  dst[x] = src[(x - lo) * s->stride];
              memset (dst + hi, 0, sizeof (float) * (ow - hi));
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
          int lo, hi;

          valid_columns (s, j, ow, &lo, &hi);
          for (int y = 0; y < oh; y++)
            {
              int iy = y * s->stride - s->pad + i;
              const float *src = row + (gsize) y * ow;
              float *dst;

              if (iy < 0 || iy >= s->h || lo == hi)
                continue;
              dst = din + ((gsize) ch * s->h + iy) * s->w + (lo * s->stride - s->pad + j);
              if (s->stride == 1)
                for (int x = lo; x < hi; x++)
                  dst[x - lo] += src[x];
              else
                for (int x = lo; x < hi; x++)
                  dst[(x - lo) * s->stride] += src[x];
            }
        }
}

/* Images [begin, end) of a batch. The batch goes in parts, one per core
 * (vt_parallel_for_each, OpenBLAS on one thread in each): the per-image
 * products are too small for OpenBLAS to split well (ResNet-20's 3×3
 * convolution at 32×32 is 16 × 144 by 144 × 1024), and two of its threads
 * on one of them ran slower than one. */
typedef struct
{
  const VtConvShape *s;
  int                parts;
  float             *out;
  const float       *in, *w, *bias;
  /* backward */
  float             *din, *dw, *dbias;
  const float       *dout;
  float             *partial_dw, *partial_dbias;   /* (parts − 1) × the parameter, zeroed */
} ConvJob;

static int
part_begin (const ConvJob *job,
            int            part)
{
  return (int) ((gint64) job->s->n * part / job->parts);
}

static void
forward_parts (gsize    first,
               gsize    last,
               gpointer data)
{
  const ConvJob *job = data;
  const VtConvShape *s = job->s;
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups, r = cg * s->kh * s->kw;
  gsize p = (gsize) oh * ow;
  gboolean direct = is_pointwise (s);
  g_autofree float *col = direct ? NULL : g_new (float, (gsize) r * p);

  for (int n = part_begin (job, (int) first); n < part_begin (job, (int) last); n++)
    for (int g = 0; g < s->groups; g++)
      {
        float *o = job->out + ((gsize) n * s->k + (gsize) g * kg) * p;
        const float *x = job->in + ((gsize) n * s->c + (gsize) g * cg) * s->h * s->w;

        if (!direct)
          im2col (col, x, cg, s, oh, ow);
        /* out_g (kg, P) = w_g (kg, r) · col (r, P) */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, kg, (int) p, r,
                     1.0f, job->w + (gsize) g * kg * r, r, direct ? x : col, (int) p, 0.0f, o, (int) p);
        for (int k = 0; job->bias != NULL && k < kg; k++)
          for (gsize i = 0; i < p; i++)
            o[(gsize) k * p + i] += job->bias[g * kg + k];
      }
}

static int
conv_parts (const VtConvShape *s)
{
  return MAX (1, MIN (vt_parallel_threads (), s->n));
}

void
vt_conv_forward (float             *out,
                 const float       *in,
                 const float       *w,
                 const float       *bias,
                 const VtConvShape *s)
{
  ConvJob job = { s, conv_parts (s), out, in, w, bias };

  vt_parallel_for_each (job.parts, forward_parts, &job);
}

static void
backward_parts (gsize    first,
                gsize    last,
                gpointer data)
{
  const ConvJob *job = data;
  const VtConvShape *s = job->s;
  int oh = vt_conv_shape_out_h (s), ow = vt_conv_shape_out_w (s);
  int cg = s->c / s->groups, kg = s->k / s->groups, r = cg * s->kh * s->kw;
  gsize p = (gsize) oh * ow, wsize = (gsize) s->k * r;
  gboolean direct = is_pointwise (s);
  g_autofree float *col = direct ? NULL : g_new (float, (gsize) r * p);

  for (gsize part = first; part < last; part++)
    {
      /* part 0 adds to the gradients themselves, the others to their own
       * partial sums, added in order afterwards: the same sums, in the same
       * order, for the same thread count */
      float *dw = job->dw == NULL ? NULL : part == 0 ? job->dw : job->partial_dw + (part - 1) * wsize;
      float *dbias = job->dbias == NULL ? NULL
                     : part == 0 ? job->dbias : job->partial_dbias + (part - 1) * s->k;

      for (int n = part_begin (job, (int) part); n < part_begin (job, (int) part + 1); n++)
        for (int g = 0; g < s->groups; g++)
          {
            const float *d = job->dout + ((gsize) n * s->k + (gsize) g * kg) * p;
            const float *wg = job->w + (gsize) g * kg * r;
            gsize at = ((gsize) n * s->c + (gsize) g * cg) * s->h * s->w;

            if (dw != NULL)
              {
                /* dw_g (kg, r) += dout_g (kg, P) · colᵀ (P, r), by vt_gemm: on ResNet-20's
                 * 3×3 layers at batch 128 its kernel took the backward pass from
                 * about 205 to 135 ms against OpenBLAS's (bench-grad, one thread) */
                if (!direct)
                  im2col (col, job->in + at, cg, s, oh, ow);
                vt_gemm (TRUE, kg, r, (int) p, 1.0f, d, (int) p, direct ? job->in + at : col, (int) p, 1.0f,
                         NULL, dw + (gsize) g * kg * r, r, NULL);
              }
            if (job->din != NULL && direct)
              /* din_g (cg, P) += w_gᵀ (cg, kg) · dout_g (kg, P) */
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, r, (int) p, kg,
                           1.0f, wg, r, d, (int) p, 1.0f, job->din + at, (int) p);
            else if (job->din != NULL)
              {
                /* dcol (r, P) = w_gᵀ (r, kg) · dout_g (kg, P), folded back onto the image */
                cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, r, (int) p, kg,
                             1.0f, wg, r, d, (int) p, 0.0f, col, (int) p);
                col2im_add (job->din + at, col, cg, s, oh, ow);
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
  gsize wsize = (gsize) s->k * (s->c / s->groups) * s->kh * s->kw;
  ConvJob job = { s, conv_parts (s), NULL, in, w, NULL, din, dw, dbias, dout, NULL, NULL };
  g_autofree float *partial_dw = NULL, *partial_dbias = NULL;

  if (job.parts > 1 && dw != NULL)
    job.partial_dw = partial_dw = g_new0 (float, (job.parts - 1) * wsize);
  if (job.parts > 1 && dbias != NULL)
    job.partial_dbias = partial_dbias = g_new0 (float, (gsize) (job.parts - 1) * s->k);
  vt_parallel_for_each (job.parts, backward_parts, &job);
  for (int part = 1; part < job.parts; part++)
    {
      for (gsize i = 0; dw != NULL && i < wsize; i++)
        dw[i] += partial_dw[(part - 1) * wsize + i];
      for (int k = 0; dbias != NULL && k < s->k; k++)
        dbias[k] += partial_dbias[(gsize) (part - 1) * s->k + k];
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
