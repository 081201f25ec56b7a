/* vt-nn-descent.h: approximate k nearest neighbours by nearest-neighbour
 * descent (Dong, Moses and Li, WWW 2011), started from a random-projection
 * forest, as pynndescent does it for umap-learn.
 *
 *   forest     min(64, 5 + round(√n / 20)) trees; each splits its points
 *              by the hyperplane halfway between two random points until a
 *              leaf holds at most max(10, k); all pairs within a leaf are
 *              the first guesses
 *   descent    max(5, round(log2 n)) rounds at most: each point's neighbours
 *              and reverse neighbours (at most 60 of each, chosen at random,
 *              split into those not yet joined and the rest) are measured
 *              against each other, and every pair that is nearer than a
 *              current neighbour replaces it; it stops early when a round
 *              changes fewer than 0.001·k·n neighbours
 *
 * Neighbours are "a neighbour of my neighbour is likely my neighbour": the
 * work grows about as n·k² instead of the exact search's n²·dim, which is
 * what lets UMAP take wide features (512 or 768 floats) at 50,000 points.
 * Seeded; the result does not depend on the thread count. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The same contract as vt_neighbors_exact(): @indices (n, k), row i's
 * neighbours nearest first, never i itself; @sq_distances their squared
 * Euclidean distances, measured in float64. k < n. The two arrays hold the
 * search's heaps while it runs, so that it needs only 1 byte a neighbour
 * more (and 960 a point for its two lists of candidates). */
gboolean  vt_neighbors_approximate  (const float   *x,
                                     guint          n,
                                     guint          dim,
                                     guint          k,
                                     guint32        seed,
                                     guint         *indices,
                                     double        *sq_distances,
                                     GCancellable  *cancellable,
                                     GError       **error);

G_END_DECLS
