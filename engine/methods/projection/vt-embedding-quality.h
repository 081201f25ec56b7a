/* vt-embedding-quality.h: how well a layout keeps the data's neighbourhoods.
 *
 * Trustworthiness as sklearn.manifold.trustworthiness computes it:
 *   T(k) = 1 − 2 / (n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) − k)
 * where U_i are i's k nearest neighbours in the layout that are not among
 * its k nearest in the input, and r(i, j) is j's rank by input distance
 * from i (1 = nearest). And leave-one-out kNN accuracy in the layout: each
 * point labelled by the majority of its k nearest others (ties to the
 * smaller label, as sklearn's KNeighborsClassifier). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Needs k < n / 2. O(N²D): seconds at 10,000 points. NaN with @error set
 * when cancelled. */
double  vt_trustworthiness  (const float   *x,
                             guint          n,
                             guint          dim,
                             const float   *layout,
                             guint          dims,
                             guint          k,
                             GCancellable  *cancellable,
                             GError       **error);

double  vt_knn_accuracy     (const float   *layout,
                             guint          n,
                             guint          dims,
                             const gint64  *labels,
                             guint          k);

G_END_DECLS
