/* vt-neighbors.h: the k nearest neighbours of every row, exactly.
 *
 * Brute force: distances to all rows come from sgemm in blocks of queries
 * (‖a‖² + ‖b‖² − 2a·b), a bounded heap keeps the k closest, and the
 * chosen k are re-measured in float64 and sorted, so their distances are
 * exact. O(N²D) work, but at BLAS speed: 50,000 x 64 takes seconds. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @indices (n, k): row i's neighbours, nearest first, never i itself;
 * @sq_distances (n, k): their squared Euclidean distances. k < n. */
gboolean  vt_neighbors_exact  (const float   *x,
                               guint          n,
                               guint          dim,
                               guint          k,
                               guint         *indices,
                               double        *sq_distances,
                               GCancellable  *cancellable,
                               GError       **error);

/* Re-measures row @query's @k @chosen neighbours in float64 and writes them
 * to @indices and @sq_distances, nearest first (ties by index), so that
 * every search gives its result in one order and one precision. */
void      vt_neighbors_sort_row  (const float   *x,
                                  guint          dim,
                                  gsize          query,
                                  guint          k,
                                  const guint   *chosen,
                                  guint         *indices,
                                  double        *sq_distances);

/* The @k nearest of one row among some: the candidates are the rows
 * @rows[0 … n_rows − 1] of @x; @query is a position in @rows, never its own
 * neighbour. Writes positions in @rows to @positions and their squared
 * Euclidean distances, in float64, to @sq_distances, nearest first (ties
 * by position): what vt_neighbors_exact gives that row when @rows is every
 * row. Returns how many it wrote: MIN (k, n_rows − 1). For one click on a
 * plot: O(n_rows · dim), no blocking. */
guint     vt_neighbors_of_row    (const float   *x,
                                  guint          dim,
                                  const guint   *rows,
                                  guint          n_rows,
                                  guint          query,
                                  guint          k,
                                  guint         *positions,
                                  double        *sq_distances);

G_END_DECLS
