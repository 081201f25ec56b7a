/* vt-stats.h: summary statistics and a histogram of a tensor's values. */
#pragma once

#include "vt-tensor.h"

G_BEGIN_DECLS

/* Bins are equal-width over [lo, hi], the last one closed, exactly as
 * numpy.histogram (values, bins=n_bins, range=(lo, hi)) bins them. */
typedef struct
{
  guint    n_bins;
  double   lo;
  double   hi;
  guint64 *counts;
} VtHistogram;

/* Statistics of the finite values; NaN and ±Inf are only counted.
 * std is the population standard deviation (numpy's default, ddof=0). */
typedef struct
{
  gsize        count;
  gsize        n_finite;
  gsize        n_nan;
  gsize        n_inf;
  double       min;
  double       max;
  double       mean;
  double       std;
  VtHistogram  histogram;
} VtTensorStats;

#define VT_STATS_DEFAULT_BINS 64

void     vt_tensor_stats_compute   (const VtTensor *tensor,
                                    guint           n_bins,
                                    VtTensorStats  *stats);
void     vt_tensor_stats_clear     (VtTensorStats  *stats);

VtHistogram *vt_histogram_copy     (const VtHistogram *histogram);
void         vt_histogram_free     (VtHistogram       *histogram);
guint64      vt_histogram_max_count (const VtHistogram *histogram);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtHistogram, vt_histogram_free)

G_END_DECLS
