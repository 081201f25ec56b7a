/* vt-attention.c: softmax attention with its backward pass.
 *
 * With S = q kᵀ / √D, P = softmax(S) row by row, O = P v:
 *   dP = dO vᵀ (+ dprobs),  dv = Pᵀ dO,
 *   dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS k / √D,  dk = dSᵀ q / √D.
 * Masked entries have P = 0, hence dS = 0: the mask needs no backward. */
#include "vt-attention.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* probs row r (T) from scores in place: the causal mask leaves entries
 * after r out (probability 0). */
static void
softmax_row (float    *row,
             int       t,
             int       r,
             gboolean  causal)
{
  int end = causal ? r + 1 : t;
  float top = -INFINITY;
  double sum = 0.0;

  for (int j = 0; j < end; j++)
    top = MAX (top, row[j]);
  for (int j = 0; j < end; j++)
    {
      row[j] = expf (row[j] - top);
      sum += row[j];
    }
  for (int j = 0; j < end; j++)
    row[j] = (float) (row[j] / sum);
  for (int j = end; j < t; j++)
    row[j] = 0.0f;
}

void
vt_attn_forward (float       *out,
                 float       *probs,
                 const float *qkv,
                 int          b,
                 int          t,
                 int          c,
                 int          heads,
                 gboolean     causal)
{
  int d = c / heads;
  float scale = 1.0f / sqrtf ((float) d);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *q = qkv + (gsize) n * t * 3 * c + h * d;
        float *p = probs + ((gsize) n * heads + h) * t * t;

        /* S (T, T) = q (T, D) · kᵀ / √D */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d,
                     scale, q, 3 * c, q + c, 3 * c, 0.0f, p, t);
        for (int r = 0; r < t; r++)
          softmax_row (p + (gsize) r * t, t, r, causal);
        /* O (T, D) = P · v */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t,
                     1.0f, p, t, q + 2 * c, 3 * c, 0.0f, out + (gsize) n * t * c + h * d, c);
      }
}

void
vt_attn_backward (float       *dqkv,
                  const float *dout,
                  const float *dprobs,
                  const float *qkv,
                  const float *probs,
                  int          b,
                  int          t,
                  int          c,
                  int          heads)
{
  int d = c / heads;
  float scale = 1.0f / sqrtf ((float) d);
  g_autofree float *ds = g_new (float, (gsize) t * t);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        gsize base = (gsize) n * t * 3 * c + h * d;
        const float *q = qkv + base, *p = probs + ((gsize) n * heads + h) * t * t;
        const float *dout_h = dout + (gsize) n * t * c + h * d;
        float *dq = dqkv + base;

        /* dP (T, T) = dO (T, D) · vᵀ (+ dprobs) */
        if (dprobs != NULL)
          memcpy (ds, dprobs + ((gsize) n * heads + h) * t * t, sizeof (float) * t * t);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d,
                     1.0f, dout_h, c, q + 2 * c, 3 * c, dprobs != NULL ? 1.0f : 0.0f, ds, t);
        /* dv (T, D) += Pᵀ · dO */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t,
                     1.0f, p, t, dout_h, c, 1.0f, dq + 2 * c, 3 * c);
        for (int r = 0; r < t; r++)
          {
            float *row = ds + (gsize) r * t;
            const float *pr = p + (gsize) r * t;
            double dot = 0.0;

            for (int j = 0; j < t; j++)
              dot += (double) row[j] * pr[j];
            for (int j = 0; j < t; j++)
              row[j] = pr[j] * (row[j] - (float) dot);
          }
        /* dq += dS · k / √D, dk += dSᵀ · q / √D */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t,
                     scale, ds, t, q + c, 3 * c, 1.0f, dq, 3 * c);
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t,
                     scale, ds, t, q, 3 * c, 1.0f, dq + c, 3 * c);
      }
}

void
vt_attn_forward_naive (float       *out,
                       float       *probs,
                       const float *qkv,
                       int          b,
                       int          t,
                       int          c,
                       int          heads,
                       gboolean     causal)
{
  int d = c / heads;
  double scale = 1.0 / sqrt ((double) d);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *x = qkv + (gsize) n * t * 3 * c;
        float *p = probs + ((gsize) n * heads + h) * t * t;

        for (int i = 0; i < t; i++)
          {
            double top = -INFINITY, sum = 0.0;
            g_autofree double *s = g_new (double, t);

            for (int j = 0; j < t; j++)
              {
                double acc = 0.0;

                for (int e = 0; e < d; e++)
                  acc += (double) x[(gsize) i * 3 * c + h * d + e] * x[(gsize) j * 3 * c + c + h * d + e];
                s[j] = causal && j > i ? -INFINITY : acc * scale;
                top = MAX (top, s[j]);
              }
            for (int j = 0; j < t; j++)
              sum += s[j] = exp (s[j] - top);
            for (int j = 0; j < t; j++)
              p[(gsize) i * t + j] = (float) (s[j] / sum);
            for (int e = 0; e < d; e++)
              {
                double acc = 0.0;

                for (int j = 0; j < t; j++)
                  acc += s[j] / sum * x[(gsize) j * 3 * c + 2 * c + h * d + e];
                out[((gsize) n * t + i) * c + h * d + e] = (float) acc;
              }
          }
      }
}

void
vt_attn_backward_naive (float       *dqkv,
                        const float *dout,
                        const float *dprobs,
                        const float *qkv,
                        const float *probs,
                        int          b,
                        int          t,
                        int          c,
                        int          heads)
{
  int d = c / heads;
  double scale = 1.0 / sqrt ((double) d);
  g_autofree double *ds = g_new (double, (gsize) t * t);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *x = qkv + (gsize) n * t * 3 * c, *p = probs + ((gsize) n * heads + h) * t * t;
        const float *go = dout + (gsize) n * t * c;
        float *dx = dqkv + (gsize) n * t * 3 * c;

#define Q(i, e) x[(gsize) (i) * 3 * c + h * d + (e)]
#define K(i, e) x[(gsize) (i) * 3 * c + c + h * d + (e)]
#define V(i, e) x[(gsize) (i) * 3 * c + 2 * c + h * d + (e)]
#define DO(i, e) go[(gsize) (i) * c + h * d + (e)]
        for (int i = 0; i < t; i++)
          {
            double dot = 0.0;

            for (int j = 0; j < t; j++)
              {
                double dp = dprobs != NULL ? dprobs[(((gsize) n * heads + h) * t + i) * t + j] : 0.0;

                for (int e = 0; e < d; e++)
                  dp += (double) DO (i, e) * V (j, e);
                ds[(gsize) i * t + j] = dp;
                dot += dp * p[(gsize) i * t + j];
              }
            for (int j = 0; j < t; j++)
              ds[(gsize) i * t + j] = p[(gsize) i * t + j] * (ds[(gsize) i * t + j] - dot);
          }
        for (int j = 0; j < t; j++)
          for (int e = 0; e < d; e++)
            {
              double dq = 0.0, dk = 0.0, dv = 0.0;

              for (int i = 0; i < t; i++)
                {
                  dq += ds[(gsize) j * t + i] * K (i, e);
                  dk += ds[(gsize) i * t + j] * Q (i, e);
                  dv += (double) p[(gsize) i * t + j] * DO (i, e);
                }
              dx[(gsize) j * 3 * c + h * d + e] += (float) (dq * scale);
              dx[(gsize) j * 3 * c + c + h * d + e] += (float) (dk * scale);
              dx[(gsize) j * 3 * c + 2 * c + h * d + e] += (float) dv;
            }
#undef Q
#undef K
#undef V
#undef DO
      }
}
