/* vt-pca.c: PCA by an eigendecomposition of the covariance. */
#include "vt-pca.h"
#include "core/vt-lapack.h"

#include <cblas.h>
#include <glib/gi18n-lib.h>
#include <math.h>

/* Rows converted to float64 at a time: bounds the extra memory whatever N,
 * and is where Cancel is noticed (2,048 × 1,024² is about 2 GFLOP). */
#define BLOCK_ROWS 2048

static gboolean
compute_mean (const float *x, guint n, guint dim, double *mean, GCancellable *cancellable, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      if (i % (BLOCK_ROWS * 16) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (gsize j = 0; j < dim; j++)
        mean[j] += x[i * dim + j];
    }
  for (gsize j = 0; j < dim; j++)
    mean[j] /= n;
  return TRUE;
}

/* The lower triangle (column-major) of Σ (x − mean)(x − mean)ᵀ. */
static gboolean
accumulate_scatter (const float *x, guint n, guint dim, const double *mean, double *scatter,
                    GCancellable *cancellable, GError **error)
{
  g_autofree double *block = g_new (double, (gsize) BLOCK_ROWS * dim);

  for (gsize begin = 0; begin < n; begin += BLOCK_ROWS)
    {
      gsize rows = MIN (BLOCK_ROWS, n - begin);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (gsize i = 0; i < rows; i++)
        for (gsize j = 0; j < dim; j++)
          block[i * dim + j] = x[(begin + i) * dim + j] - mean[j];
      /* Row-major rows × dim is column-major dim × rows: scatter += A Aᵀ. */
      cblas_dsyrk (CblasColMajor, CblasLower, CblasNoTrans, dim, rows,
                   1.0, block, dim, 1.0, scatter, dim);
    }
  return TRUE;
}

VtPca *
vt_pca_fit (const float  *x,
            guint         n,
            guint         dim,
            guint         n_components,
            GCancellable *cancellable,
            GError      **error)
{
  if (dim == 0)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                   _("The features have no dimensions (width 0): there is nothing to project. "
                     "Extract them again with a model that gives features"));
      return NULL;
    }
  if (n_components == 0 || n_components > 3)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("PCA projects to 1, 2 or 3 dimensions; asked for %u"), n_components);
      return NULL;
    }
  if (n_components > dim)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("PCA cannot project %u-dimensional features to %u dimensions: ask for at most %u"),
                   dim, n_components, dim);
      return NULL;
    }
  if (!vt_projection_check_input (x, n, dim, 2, "PCA", error))
    return NULL;

  g_autoptr(VtPca) pca = g_new0 (VtPca, 1);
  pca->dim = dim;
  pca->n_components = n_components;
  pca->mean = g_new0 (double, dim);
  pca->components = g_new (double, (gsize) n_components * dim);
  pca->explained_variance = g_new (double, n_components);
  pca->explained_variance_ratio = g_new (double, n_components);

  g_autofree double *scatter = g_new0 (double, (gsize) dim * dim);
  if (!compute_mean (x, n, dim, pca->mean, cancellable, error) ||
      !accumulate_scatter (x, n, dim, pca->mean, scatter, cancellable, error))
    return NULL;

  double total = 0;
  for (gsize j = 0; j < dim; j++)
    total += scatter[j * dim + j];

  g_autofree double *values = g_new (double, n_components);
  g_autofree double *vectors = g_new (double, (gsize) dim * n_components);
  int info = vt_lapack_syevr_top (dim, n_components, scatter, values, vectors);
  if (info != 0)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                   _("PCA: the eigendecomposition of the covariance failed (LAPACK info %d)"), info);
      return NULL;
    }

  /* dsyevr gives them ascending; the first component is the largest. */
  for (guint c = 0; c < n_components; c++)
    {
      guint from = n_components - 1 - c;

      for (gsize j = 0; j < dim; j++)
        pca->components[c * dim + j] = vectors[from * dim + j];
      pca->explained_variance[c] = MAX (values[from], 0) / (n - 1);
      pca->explained_variance_ratio[c] = total > 0 ? MAX (values[from], 0) / total : 0;
    }

  /* svd_flip: the sample with the largest |score| scores positive. */
  g_autofree float *scores = g_new (float, (gsize) n * n_components);
  vt_pca_transform (pca, x, n, scores);
  for (guint c = 0; c < n_components; c++)
    {
      float largest = 0, sign = 1;

      for (gsize i = 0; i < n; i++)
        if (fabsf (scores[i * n_components + c]) > largest)
          {
            largest = fabsf (scores[i * n_components + c]);
            sign = scores[i * n_components + c] < 0 ? -1 : 1;
          }
      for (gsize j = 0; j < dim; j++)
        pca->components[c * dim + j] *= sign;
    }
  return g_steal_pointer (&pca);
}

void
vt_pca_transform (const VtPca *pca,
                  const float *x,
                  guint        n,
                  float       *out)
{
  guint k = pca->n_components;

  for (gsize i = 0; i < n; i++)
    for (guint c = 0; c < k; c++)
      {
        const double *component = pca->components + (gsize) c * pca->dim;
        double sum = 0;

        for (gsize j = 0; j < pca->dim; j++)
          sum += (x[i * pca->dim + j] - pca->mean[j]) * component[j];
        out[i * k + c] = sum;
      }
}

void
vt_pca_free (VtPca *pca)
{
  if (pca == NULL)
    return;
  g_free (pca->mean);
  g_free (pca->components);
  g_free (pca->explained_variance);
  g_free (pca->explained_variance_ratio);
  g_free (pca);
}

gboolean
vt_pca_project_2d (const float  *x,
                   guint         n,
                   guint         dim,
                   float        *out,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr(VtPca) pca = vt_pca_fit (x, n, dim, MIN (2, dim), cancellable, error);

  if (pca == NULL)
    return FALSE;
  vt_pca_transform (pca, x, n, out);
  if (dim == 1)
    for (gsize i = n; i-- > 0;)
      out[2 * i] = out[i], out[2 * i + 1] = 0;
  return TRUE;
}
