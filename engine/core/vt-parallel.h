/* vt-parallel.h: splitting a loop over the cores the engine may use.
 *
 * The engine's thread count is OpenBLAS's (OPENBLAS_NUM_THREADS, or what
 * openblas_set_num_threads set), so one setting governs both. Work outside
 * the matrix products (attention per head, activations, norms) runs through
 * vt_parallel_for; a chunk may call single-threaded BLAS. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Calls @func (begin, end, @data) on disjoint chunks covering [0, @n), one
 * per thread, and returns when all are done. With one thread, or n ≤ 1,
 * it simply calls func (0, n, data). */
typedef void (*VtRangeFunc) (gsize begin, gsize end, gpointer data);

void  vt_parallel_for      (gsize        n,
                            VtRangeFunc  func,
                            gpointer     data);
/* The same on an explicit number of threads (for callers that have set
 * OpenBLAS to one thread for the duration). */
void  vt_parallel_for_n    (int          threads,
                            gsize        n,
                            VtRangeFunc  func,
                            gpointer     data);
int   vt_parallel_threads  (void);

G_END_DECLS
