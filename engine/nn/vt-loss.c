/* vt-loss.c: cross-entropy, binary cross-entropy and MSE. */
#include "vt-loss.h"

#include <math.h>

G_DEFINE_QUARK (vt-loss-error-quark, vt_loss_error)

/* Σ of the weights of the samples that count. */
static double
weight_sum (const gint32 *target,
            const float  *weight,
            int           n,
            gint32        ignore_index)
{
  double sum = 0.0;

  for (int i = 0; i < n; i++)
    if (target[i] != ignore_index)
      sum += weight != NULL ? weight[i] : 1.0;
  return sum;
}

double
vt_cross_entropy_forward (float         *probs,
                          const float   *logits,
                          const gint32  *target,
                          const float   *weight,
                          int            n,
                          int            k,
                          float          smoothing,
                          gint32         ignore_index,
                          GError       **error)
{
  double total = 0.0, wsum;

  for (int i = 0; i < n; i++)
    if (target[i] != ignore_index && (target[i] < 0 || target[i] >= k))
      {
        g_set_error (error, VT_LOSS_ERROR, VT_LOSS_ERROR_TARGET,
                     "sample %d: class %d is outside 0…%d", i, target[i], k - 1);
        return NAN;
      }
  wsum = weight_sum (target, weight, n, ignore_index);
  if (!(wsum != 0.0))
    {
      g_set_error (error, VT_LOSS_ERROR, VT_LOSS_ERROR_EMPTY,
                   "no sample counts towards the loss (all ignored, or weights summing to 0)");
      return NAN;
    }
  for (int i = 0; i < n; i++)
    {
      const float *z = logits + (gsize) i * k;
      float *p = probs + (gsize) i * k;
      double top = -INFINITY, sum = 0.0, log_sum, nll_mean = 0.0;

      for (int j = 0; j < k; j++)
        top = MAX (top, z[j]);
      for (int j = 0; j < k; j++)
        sum += exp (z[j] - top);
      log_sum = log (sum) + top;
      for (int j = 0; j < k; j++)
        {
          p[j] = (float) exp (z[j] - log_sum);
          nll_mean += log_sum - z[j];
        }
      if (target[i] == ignore_index)
        continue;
      nll_mean /= k;
      total += (weight != NULL ? weight[i] : 1.0)
               * ((1.0 - smoothing) * (log_sum - z[target[i]]) + smoothing * nll_mean);
    }
  return total / wsum;
}

void
vt_cross_entropy_backward (float        *dlogits,
                           const float  *probs,
                           const gint32 *target,
                           const float  *weight,
                           int           n,
                           int           k,
                           float         smoothing,
                           gint32        ignore_index,
                           float         dloss)
{
  double wsum = weight_sum (target, weight, n, ignore_index);

  for (int i = 0; i < n; i++)
    {
      double g;

      if (target[i] == ignore_index)
        continue;
      g = dloss * (weight != NULL ? weight[i] : 1.0) / wsum;
      for (int j = 0; j < k; j++)
        {
          double q = smoothing / k + (j == target[i] ? 1.0 - smoothing : 0.0);

          dlogits[(gsize) i * k + j] += (float) (g * (probs[(gsize) i * k + j] - q));
        }
    }
}

double
vt_bce_logits_forward (const float *z,
                       const float *t,
                       int          n)
{
  double total = 0.0;

  for (int i = 0; i < n; i++)
    total += MAX (z[i], 0.0) - (double) z[i] * t[i] + log1p (exp (-fabs ((double) z[i])));
  return total / n;
}

void
vt_bce_logits_backward (float       *dz,
                        const float *z,
                        const float *t,
                        int          n,
                        float        dloss)
{
  for (int i = 0; i < n; i++)
    dz[i] += (float) (dloss * (1.0 / (1.0 + exp (-(double) z[i])) - t[i]) / n);
}

double
vt_mse_forward (const float *a,
                const float *b,
                gsize        n)
{
  double total = 0.0;

  for (gsize i = 0; i < n; i++)
    total += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return total / n;
}

void
vt_mse_backward (float       *da,
                 float       *db,
                 const float *a,
                 const float *b,
                 gsize        n,
                 float        dloss)
{
  for (gsize i = 0; i < n; i++)
    {
      float g = (float) (dloss * 2.0 * ((double) a[i] - b[i]) / n);

      if (da != NULL)
        da[i] += g;
      if (db != NULL)
        db[i] -= g;
    }
}

guint
vt_count_correct (const float  *logits,
                  const gint32 *target,
                  guint         n,
                  guint         k)
{
  guint correct = 0;

  for (guint i = 0; i < n; i++)
    {
      const float *row = logits + (gsize) i * k;
      guint best = 0;

      for (guint c = 1; c < k; c++)
        if (row[c] > row[best])
          best = c;
      correct += best == (guint) target[i];
    }
  return correct;
}
