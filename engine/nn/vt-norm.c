/* vt-norm.c: BatchNorm and LayerNorm with their backward passes. Sums over
 * a channel or a row are in double: they cover up to N·HW values. */
#include "vt-norm.h"
#include "vt-ops.h"

#include <math.h>

void
vt_batchnorm_eval_forward (float       *y,
                           const float *x,
                           const float *gamma,
                           const float *beta,
                           const float *mean,
                           const float *var,
                           float        eps,
                           int          n,
                           int          c,
                           int          hw)
{
  g_autofree float *scale = g_new (float, c), *shift = g_new (float, c);

  vt_batchnorm_fold (scale, shift, gamma, beta, mean, var, eps, c);
  for (int i = 0; i < n; i++)
    for (int ch = 0; ch < c; ch++)
      {
        gsize o = ((gsize) i * c + ch) * hw;

        for (int p = 0; p < hw; p++)
          y[o + p] = x[o + p] * scale[ch] + shift[ch];
      }
}

void
vt_batchnorm_eval_backward (float       *dx,
                            float       *dgamma,
                            float       *dbeta,
                            const float *dy,
                            const float *x,
                            const float *gamma,
                            const float *mean,
                            const float *var,
                            float        eps,
                            int          n,
                            int          c,
                            int          hw)
{
  for (int ch = 0; ch < c; ch++)
    {
      double rstd = 1.0 / sqrt ((double) var[ch] + eps);
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      float scale = (float) (gamma[ch] * rstd);

      for (int i = 0; i < n; i++)
        {
          gsize o = ((gsize) i * c + ch) * hw;

          for (int p = 0; p < hw; p++)
            {
              sum_dy += dy[o + p];
              sum_dy_xhat += dy[o + p] * ((x[o + p] - (double) mean[ch]) * rstd);
              if (dx != NULL)
                dx[o + p] += dy[o + p] * scale;
            }
        }
      if (dgamma != NULL)
        dgamma[ch] += (float) sum_dy_xhat;
      if (dbeta != NULL)
        dbeta[ch] += (float) sum_dy;
    }
}

/* In eight lanes: one running sum would wait on each addition's latency,
 * and GCC may vectorize independent lanes without reordering any sum. */
#define LANES 8

void
vt_batchnorm_plane_moments (const float *x,
                            gsize        hw,
                            double       shift,
                            double      *sum,
                            double      *sq)
{
  double s[LANES] = { 0 }, q[LANES] = { 0 };
  gsize p = 0;

  for (; p + LANES <= hw; p += LANES)
    for (int l = 0; l < LANES; l++)
      {
        double d = x[p + l] - shift;

        s[l] += d;
        q[l] += d * d;
      }
  for (; p < hw; p++)
    {
      double d = x[p] - shift;

      s[0] += d;
      q[0] += d * d;
    }
  for (int l = 0; l < LANES; l++)
    {
      *sum += s[l];
      *sq += q[l];
    }
}

void
vt_batchnorm_finish_statistics (float  *save_mean,
                                float  *save_rstd,
                                float  *running_mean,
                                float  *running_var,
                                double  shift,
                                double  sum,
                                double  sq,
                                double  m,
                                float   eps,
                                float   momentum,
                                int     ch)
{
  double mean = shift + sum / m;
  /* Σ (x − mean)² = Σ (x − shift)² − (Σ (x − shift))² / M */
  double centred = MAX (sq - sum * sum / m, 0.0), var = centred / m;

  save_mean[ch] = (float) mean;
  save_rstd[ch] = (float) (1.0 / sqrt (var + eps));
  if (running_mean != NULL)
    running_mean[ch] = (float) ((1.0 - momentum) * running_mean[ch] + momentum * mean);
  if (running_var != NULL)
    running_var[ch] = (float) ((1.0 - momentum) * running_var[ch]
                               + momentum * (m > 1 ? centred / (m - 1) : var));
}

void
vt_batchnorm_train_statistics (float       *save_mean,
                               float       *save_rstd,
                               float       *running_mean,
                               float       *running_var,
                               const float *x,
                               float        eps,
                               float        momentum,
                               int          n,
                               int          c,
                               int          hw,
                               int          ch)
{
  double m = (double) n * hw, sum = 0.0, sq = 0.0, unused = 0.0, mean;

  for (int i = 0; i < n; i++)
    vt_batchnorm_plane_moments (x + ((gsize) i * c + ch) * hw, hw, 0.0, &sum, &unused);
  mean = sum / m;
  /* two passes, the second about the mean: the variance of values far
   * from zero stays exact */
  sum = 0.0;
  for (int i = 0; i < n; i++)
    vt_batchnorm_plane_moments (x + ((gsize) i * c + ch) * hw, hw, mean, &sum, &sq);
  vt_batchnorm_finish_statistics (save_mean, save_rstd, running_mean, running_var, mean, sum, sq, m, eps,
                                  momentum, ch);
}

void
vt_batchnorm_train_forward (float       *y,
                            float       *save_mean,
                            float       *save_rstd,
                            float       *running_mean,
                            float       *running_var,
                            const float *x,
                            const float *gamma,
                            const float *beta,
                            float        eps,
                            float        momentum,
                            int          n,
                            int          c,
                            int          hw)
{
  for (int ch = 0; ch < c; ch++)
    {
      double mean, rstd, g = gamma != NULL ? gamma[ch] : 1.0, b = beta != NULL ? beta[ch] : 0.0;

      vt_batchnorm_train_statistics (save_mean, save_rstd, running_mean, running_var, x, eps, momentum,
                                     n, c, hw, ch);
      mean = save_mean[ch];
      rstd = save_rstd[ch];
      for (int i = 0; i < n; i++)
        {
          gsize o = ((gsize) i * c + ch) * hw;

          for (int p = 0; p < hw; p++)
            y[o + p] = (float) ((x[o + p] - mean) * rstd * g + b);
        }
    }
}

/* With x̂ = (x − mean) · rstd and M = N·HW:
 *   dx = γ · rstd / M · (M · dy − Σ dy − x̂ · Σ dy · x̂) */
void
vt_batchnorm_train_backward (float       *dx,
                             float       *dgamma,
                             float       *dbeta,
                             const float *dy,
                             const float *x,
                             const float *gamma,
                             const float *save_mean,
                             const float *save_rstd,
                             int          n,
                             int          c,
                             int          hw)
{
  double m = (double) n * hw;

  for (int ch = 0; ch < c; ch++)
    {
      double mean = save_mean[ch], rstd = save_rstd[ch], sum_dy = 0.0, sum_dy_xhat = 0.0;
      double g = gamma != NULL ? gamma[ch] : 1.0;

      for (int i = 0; i < n; i++)
        {
          gsize o = ((gsize) i * c + ch) * hw;

          for (int p = 0; p < hw; p++)
            {
              sum_dy += dy[o + p];
              sum_dy_xhat += dy[o + p] * (x[o + p] - mean) * rstd;
            }
        }
      if (dgamma != NULL)
        dgamma[ch] += (float) sum_dy_xhat;
      if (dbeta != NULL)
        dbeta[ch] += (float) sum_dy;
      if (dx == NULL)
        continue;
      for (int i = 0; i < n; i++)
        {
          gsize o = ((gsize) i * c + ch) * hw;

          for (int p = 0; p < hw; p++)
            {
              double xhat = (x[o + p] - mean) * rstd;

              dx[o + p] += (float) (g * rstd / m * (m * dy[o + p] - sum_dy - xhat * sum_dy_xhat));
            }
        }
    }
}

void
vt_layernorm_forward (float       *y,
                      float       *mean,
                      float       *rstd,
                      const float *x,
                      const float *gamma,
                      const float *beta,
                      int          n,
                      int          c,
                      float        eps)
{
  for (int i = 0; i < n; i++)
    {
      const float *v = x + (gsize) i * c;
      float *out = y + (gsize) i * c;
      double sum = 0.0, sq = 0.0, mu, r;

      for (int j = 0; j < c; j++)
        sum += v[j];
      mu = sum / c;
      for (int j = 0; j < c; j++)
        sq += (v[j] - mu) * (v[j] - mu);
      r = 1.0 / sqrt (sq / c + eps);
      for (int j = 0; j < c; j++)
        out[j] = (float) ((v[j] - mu) * r * (gamma != NULL ? gamma[j] : 1.0)
                          + (beta != NULL ? beta[j] : 0.0));
      mean[i] = (float) mu;
      rstd[i] = (float) r;
    }
}

/* With x̂ = (x − mean) · rstd and g = dy · γ:
 *   dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) */
void
vt_layernorm_backward (float       *dx,
                       float       *dgamma,
                       float       *dbeta,
                       const float *dy,
                       const float *x,
                       const float *gamma,
                       const float *mean,
                       const float *rstd,
                       int          n,
                       int          c)
{
  for (int i = 0; i < n; i++)
    {
      const float *v = x + (gsize) i * c, *d = dy + (gsize) i * c;
      double mu = mean[i], r = rstd[i], mean_g = 0.0, mean_gx = 0.0;

      for (int j = 0; j < c; j++)
        {
          double xhat = (v[j] - mu) * r, g = d[j] * (gamma != NULL ? gamma[j] : 1.0);

          mean_g += g;
          mean_gx += g * xhat;
          if (dgamma != NULL)
            dgamma[j] += (float) (d[j] * xhat);
          if (dbeta != NULL)
            dbeta[j] += d[j];
        }
      mean_g /= c;
      mean_gx /= c;
      for (int j = 0; dx != NULL && j < c; j++)
        {
          double xhat = (v[j] - mu) * r, g = d[j] * (gamma != NULL ? gamma[j] : 1.0);

          dx[(gsize) i * c + j] += (float) (r * (g - mean_g - xhat * mean_gx));
        }
    }
}
