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

G_END_DECLS
