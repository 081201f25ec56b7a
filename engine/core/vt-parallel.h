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
 * per thread, and returns when all are done. Each thread takes the next
 * chunk not yet taken, so one that the system holds up (these are shared
 * machines) holds up only the chunk it has. With one thread, or n ≤ 1, it
 * simply calls func (0, n, data); so it does inside another loop's chunk. */
typedef void (*VtRangeFunc) (gsize begin, gsize end, gpointer data);

void  vt_parallel_for      (gsize        n,
                            VtRangeFunc  func,
                            gpointer     data);
/* The same, with OpenBLAS held to one thread while the chunks run, so each
 * chunk's matrix products run on its own core. For many small products
 * (attention heads, the images of a batch), which OpenBLAS splits badly.
 * The setting is process-wide; the engine is its only user. */
void  vt_parallel_for_single_blas (gsize        n,
                                   VtRangeFunc  func,
                                   gpointer     data);
/* As vt_parallel_for_single_blas, with each index of [0, @n) a chunk of
 * its own: for a few pieces of work more than there are threads (the
 * parts of a matrix product), taken by whichever thread is free. */
void  vt_parallel_for_each (gsize        n,
                            VtRangeFunc  func,
                            gpointer     data);
int   vt_parallel_threads  (void);
/* Sets the engine's thread count (OpenBLAS's, which the loops above and
 * the extractor's decoding threads follow) to @threads; 0 or less puts back
 * the count the process started with (OPENBLAS_NUM_THREADS, or every core).
 * The Preferences set it; loops started afterwards use it. */
void  vt_parallel_set_threads (int threads);
/* The count the process started with, which 0 above puts back. */
int   vt_parallel_default_threads (void);
/* The most threads any loop above was shared among since the thread count
 * was last set (0: none ran since); 1 for loops run in one piece. It tells
 * what the setting did to the work that really ran. */
int   vt_parallel_peak_threads (void);
/* Whether this thread is running a chunk of a loop above. A loop started
 * from inside one runs on its caller's thread, in one piece. */
gboolean vt_parallel_in_region (void);

G_END_DECLS
