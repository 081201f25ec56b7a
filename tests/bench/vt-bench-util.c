/* vt-bench-util.c: what the benchmarks share. */
#include "vt-bench-util.h"

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
vt_bench_median (GArray *times)
{
  g_return_val_if_fail (times->len > 0, 0.0);
  g_array_sort (times, compare_doubles);
  return g_array_index (times, double, times->len / 2);
}
