/* vt-bench-util.h: what the benchmarks share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sorts @times (doubles) in place and returns the middle one (of an even
 * count, the upper of the two): a step's time, the outliers of a machine
 * shared with other work aside. */
double vt_bench_median (GArray *times);

G_END_DECLS
