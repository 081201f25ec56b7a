/* vt-cosine.c: L2 normalization and cosine logits. */
#include "vt-cosine.h"

#include <cblas.h>
#include <math.h>

#define NORM_EPS 1e-12

void
vt_l2norm_forward (float       *y,
                   float       *norm,
                   const float *x,
                   int          n,
                   int          c)
{
  for (int i = 0; i < n; i++)
    {
      double sq = 0.0, d;

      for (int j = 0; j < c; j++)
        sq += (double) x[(gsize) i * c + j] * x[(gsize) i * c + j];
      norm[i] = (float) sqrt (sq);
      d = MAX (sqrt (sq), NORM_EPS);
      for (int j = 0; j < c; j++)
        y[(gsize) i * c + j] = (float) (x[(gsize) i * c + j] / d);
    }
}

void
vt_l2norm_backward (float       *dx,
                    const float *dy,
                    const float *y,
                    const float *norm,
                    int          n,
                    int          c)
{
  for (int i = 0; i < n; i++)
    {
      const float *yi = y + (gsize) i * c, *gi = dy + (gsize) i * c;
      double dot = 0.0;

      if (norm[i] <= NORM_EPS)
        {
          /* the clamp is constant: y = x / eps */
          for (int j = 0; j < c; j++)
            dx[(gsize) i * c + j] += (float) (gi[j] / NORM_EPS);
          continue;
        }
      for (int j = 0; j < c; j++)
        dot += (double) yi[j] * gi[j];
      for (int j = 0; j < c; j++)
        dx[(gsize) i * c + j] += (float) ((gi[j] - yi[j] * dot) / norm[i]);
    }
}

void
vt_cosine_logits_forward (float       *logits,
                          float       *a_hat,
                          float       *a_norm,
                          float       *b_hat,
                          float       *b_norm,
                          const float *a,
                          const float *b,
                          float        scale,
                          int          n,
                          int          m,
                          int          c)
{
  vt_l2norm_forward (a_hat, a_norm, a, n, c);
  vt_l2norm_forward (b_hat, b_norm, b, m, c);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, m, c,
               scale, a_hat, c, b_hat, c, 0.0f, logits, m);
}

void
vt_cosine_logits_backward (float       *da,
                           float       *db,
                           float       *dscale,
                           const float *dlogits,
                           const float *a_hat,
                           const float *a_norm,
                           const float *b_hat,
                           const float *b_norm,
                           float        scale,
                           int          n,
                           int          m,
                           int          c)
{
  if (da != NULL)
    {
      /* dâ (N, C) = scale · dL (N, M) · b̂ (M, C) */
      g_autofree float *d_hat = g_new (float, (gsize) n * c);

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c, m,
                   scale, dlogits, m, b_hat, c, 0.0f, d_hat, c);
      vt_l2norm_backward (da, d_hat, a_hat, a_norm, n, c);
    }
  if (db != NULL)
    {
      /* db̂ (M, C) = scale · dLᵀ (M, N) · â (N, C) */
      g_autofree float *d_hat = g_new (float, (gsize) m * c);

      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, m, c, n,
                   scale, dlogits, m, a_hat, c, 0.0f, d_hat, c);
      vt_l2norm_backward (db, d_hat, b_hat, b_norm, m, c);
    }
  if (dscale != NULL)
    {
      double acc = 0.0;

      for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
          {
            double cosine = 0.0;

            for (int e = 0; e < c; e++)
              cosine += (double) a_hat[(gsize) i * c + e] * b_hat[(gsize) j * c + e];
            acc += dlogits[(gsize) i * m + j] * cosine;
          }
      *dscale += (float) acc;
    }
}
