/* vt-pca.h: principal component analysis to a few dimensions.
 *
 * The covariance (D x D, float64, accumulated in blocks of rows) goes to
 * LAPACK's dsyevr for its top eigenvectors. Signs follow scikit-learn's
 * svd_flip: in each component the sample with the largest |score| scores
 * positive, so our layouts look like sklearn.decomposition.PCA's. */
#pragma once

#include "vt-projection.h"

G_BEGIN_DECLS

typedef struct
{
  guint    dim;
  guint    n_components;
  double  *mean;                      /* dim */
  double  *components;                /* (n_components, dim), largest first */
  double  *explained_variance;        /* n_components, with the N − 1 divisor */
  double  *explained_variance_ratio;  /* of the total variance */
} VtPca;

VtPca  *vt_pca_fit        (const float  *x,
                           guint         n,
                           guint         dim,
                           guint         n_components,
                           GCancellable *cancellable,
                           GError      **error);
/* @out: (n, n_components). */
void    vt_pca_transform  (const VtPca  *pca,
                           const float  *x,
                           guint         n,
                           float        *out);
void    vt_pca_free       (VtPca        *pca);
/* The first two principal components' scores of @x into @out (n, 2), the
 * second column 0 when the features have one dimension: where t-SNE and
 * UMAP start their layouts. */
gboolean vt_pca_project_2d (const float  *x,
                            guint         n,
                            guint         dim,
                            float        *out,
                            GCancellable *cancellable,
                            GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtPca, vt_pca_free)

G_END_DECLS
