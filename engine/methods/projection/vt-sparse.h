/* vt-sparse.h: the symmetric sparse graphs t-SNE and UMAP build from each
 * point's neighbours, in CSR form. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values in float32, as sklearn keeps t-SNE's P and umap-learn its graph:
 * with 32-bit columns, 8 bytes an entry, which at a million points and
 * t-SNE's 91 neighbours is most of what the method holds. */
typedef struct
{
  guint    n;
  gsize   *row_starts;    /* n + 1 */
  guint   *columns;       /* ascending within a row */
  float   *values;
  gsize    build_bytes;   /* the most vt_sparse_symmetrize held at once, this result included */
} VtSparse;

/* How an edge's weight comes from its two directed weights (0 where a
 * direction is absent): t-SNE sums them, UMAP takes the fuzzy union. */
typedef double (*VtCombineFunc) (double forward,
                                 double backward);

/* From @k neighbours per point (@indices and @weights, (n, k)): the matrix
 * with entry (i, j) = combine (w_ij, w_ji) wherever either is positive,
 * rounded to float32 once. Zero and negative weights are left out; a
 * column named twice in a row adds its weights (in slot order). */
VtSparse  *vt_sparse_symmetrize  (const guint    *indices,
                                  const double   *weights,
                                  guint           n,
                                  guint           k,
                                  VtCombineFunc   combine);
/* The most bytes vt_sparse_symmetrize (…, @n, @k, …) holds at once, its
 * result included, with every weight positive and no pair mutual:
 * 20 n k + 16 (n + 1) + 8 k per thread. That is 8 bytes for each of the
 * at most 2 n k entries, 4 for each of the n k reversed pairs it lists
 * while it builds, two row-start arrays and a row's scratch per thread;
 * nothing is sorted beyond one row's k neighbours. */
gsize      vt_sparse_symmetrize_bytes (guint     n,
                                       guint     k);
void       vt_sparse_free        (VtSparse       *sparse);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtSparse, vt_sparse_free)

G_END_DECLS
