/* vt-sparse.h: the symmetric sparse graphs t-SNE and UMAP build from each
 * point's neighbours, in CSR form. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint    n;
  gsize   *row_starts;   /* n + 1 */
  guint   *columns;      /* ascending within a row */
  double  *values;
} VtSparse;

/* How an edge's weight comes from its two directed weights (0 where a
 * direction is absent): t-SNE sums them, UMAP takes the fuzzy union. */
typedef double (*VtCombineFunc) (double forward,
                                 double backward);

/* From @k neighbours per point (@indices and @weights, (n, k)): the matrix
 * with entry (i, j) = combine (w_ij, w_ji) wherever either is positive.
 * Zero and negative weights are left out. */
VtSparse  *vt_sparse_symmetrize  (const guint    *indices,
                                  const double   *weights,
                                  guint           n,
                                  guint           k,
                                  VtCombineFunc   combine);
void       vt_sparse_free        (VtSparse       *sparse);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtSparse, vt_sparse_free)

G_END_DECLS
