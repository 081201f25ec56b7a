/* vt-stats.c: tensor statistics in double precision.
 *
 * Values are read in their stored dtype and accumulated in double, so the
 * figures agree with numpy on the same tensor cast to float64. */
#include "vt-stats.h"

#include <math.h>
#include <string.h>

/* numpy.histogram's bin search: a first guess from the scaled value, then a
 * correction against the linspace edges, so values on an edge land where
 * numpy puts them. */
static guint
histogram_bin (const VtHistogram *h,
               const double      *edges,
               double             x)
{
  double span = h->hi - h->lo;
  gint64 last = (gint64) h->n_bins - 1;
  double t;
  gint64 i;

  /* Values spanning more than the double range (±1.7e308) overflow
   * hi - lo; halving both sides keeps the ratio finite. */
  if (isfinite (span))
    t = (x - h->lo) * (h->n_bins / span);
  else
    t = (x * 0.5 - h->lo * 0.5) * (h->n_bins / (h->hi * 0.5 - h->lo * 0.5));
  /* Clamp before converting: a cast of an out-of-range double is undefined. */
  i = !(t > 0) ? 0 : t >= last ? last : (gint64) t;

  if (x < edges[i] && i > 0)
    i--;
  else if (i < last && x >= edges[i + 1])
    i++;
  return (guint) i;
}

static double *
histogram_edges (const VtHistogram *h)
{
  /* numpy.linspace: start + k * step, with the last edge set exactly. */
  double *edges = g_new (double, h->n_bins + 1);
  double span = h->hi - h->lo;
  double step = span / h->n_bins;

  for (guint k = 0; k < h->n_bins; k++)
    {
      if (isfinite (span))
        edges[k] = h->lo + k * step;
      else   /* as in histogram_bin: avoid the overflowing span */
        edges[k] = h->lo / h->n_bins * (h->n_bins - k) + h->hi / h->n_bins * k;
    }
  edges[h->n_bins] = h->hi;
  return edges;
}

void
vt_tensor_stats_compute (const VtTensor *tensor,
                         guint           n_bins,
                         VtTensorStats  *stats)
{
  double sum = 0.0, sq = 0.0;
  double lo = INFINITY, hi = -INFINITY;

  g_return_if_fail (tensor != NULL);
  g_return_if_fail (n_bins > 0);

  memset (stats, 0, sizeof *stats);
  stats->count = tensor->numel;

  for (gsize i = 0; i < tensor->numel; i++)
    {
      double x = vt_dtype_read_double (tensor->dtype, tensor->data, i);

      if (isnan (x))
        stats->n_nan++;
      else if (isinf (x))
        stats->n_inf++;
      else
        {
          stats->n_finite++;
          sum += x;
          lo = MIN (lo, x);
          hi = MAX (hi, x);
        }
    }

  stats->histogram.n_bins = n_bins;
  stats->histogram.counts = g_new0 (guint64, n_bins);
  if (stats->n_finite == 0)
    {
      stats->min = stats->max = stats->mean = stats->std = NAN;
      stats->histogram.lo = 0.0;
      stats->histogram.hi = 1.0;
      return;
    }

  stats->min = lo;
  stats->max = hi;
  stats->mean = sum / stats->n_finite;
  /* numpy widens an empty range by 0.5 on each side. */
  stats->histogram.lo = lo == hi ? lo - 0.5 : lo;
  stats->histogram.hi = lo == hi ? hi + 0.5 : hi;

  g_autofree double *edges = histogram_edges (&stats->histogram);
  for (gsize i = 0; i < tensor->numel; i++)
    {
      double x = vt_dtype_read_double (tensor->dtype, tensor->data, i);

      if (!isfinite (x))
        continue;
      sq += (x - stats->mean) * (x - stats->mean);
      stats->histogram.counts[histogram_bin (&stats->histogram, edges, x)]++;
    }
  stats->std = sqrt (sq / stats->n_finite);
}

void
vt_tensor_stats_clear (VtTensorStats *stats)
{
  g_clear_pointer (&stats->histogram.counts, g_free);
}

VtHistogram *
vt_histogram_copy (const VtHistogram *histogram)
{
  VtHistogram *copy = g_new (VtHistogram, 1);

  *copy = *histogram;
  copy->counts = g_memdup2 (histogram->counts, sizeof (guint64) * histogram->n_bins);
  return copy;
}

void
vt_histogram_free (VtHistogram *histogram)
{
  if (histogram == NULL)
    return;
  g_free (histogram->counts);
  g_free (histogram);
}

guint64
vt_histogram_max_count (const VtHistogram *histogram)
{
  guint64 m = 0;

  for (guint i = 0; i < histogram->n_bins; i++)
    m = MAX (m, histogram->counts[i]);
  return m;
}
