/* vt-lapack.c: calling OpenBLAS's LAPACK. */
#include "vt-lapack.h"

#include <cblas.h>
#include <string.h>

extern void dgesv_ (const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
                    double *b, const int *ldb, int *info);
extern void dposv_ (const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                    double *b, const int *ldb, int *info);
extern void dpotrf_ (const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dgetrf_ (const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
extern void dlaswp_ (const int *n, double *a, const int *lda, const int *k1, const int *k2, const int *ipiv,
                     const int *incx);
extern void dsyevr_ (const char *jobz, const char *range, const char *uplo, const int *n,
                     double *a, const int *lda, const double *vl, const double *vu,
                     const int *il, const int *iu, const double *abstol, int *m, double *w,
                     double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
                     int *iwork, const int *liwork, int *info);

int
vt_lapack_gesv (int     n,
                int     nrhs,
                double *a,
                double *b)
{
  g_autofree int *pivots = g_new (int, MAX (n, 1));
  int info = 0;

  dgesv_ (&n, &nrhs, a, &n, pivots, b, &n, &info);
  return info;
}

int
vt_lapack_posv (int     n,
                int     nrhs,
                double *a,
                double *b)
{
  int info = 0;

  dposv_ ("L", &n, &nrhs, a, &n, b, &n, &info);
  return info;
}

/* Columns per block: a trailing update of n = 10,000 is then about 0.33
 * GFLOP, some milliseconds, between two looks at the cancellable (256
 * overran Cancel's 200 ms on a loaded 2-core machine). */
#define POSV_BLOCK 128

/* The two triangular solves after a blocked factorization, by blocks of
 * rows of B so that a large solve looks at the cancellable between blocks:
 * L Y = B with L the lower triangle of @a (unit diagonal for LU), then
 * U X = Y with U either Lᵀ (Cholesky) or the upper triangle of @a (LU). */
static int
solve_triangles_blocked (int            n,
                         int            nrhs,
                         const double  *a,
                         double        *b,
                         gboolean       unit_lower,
                         gboolean       upper_is_lower_transposed,
                         GCancellable  *cancellable)
{
  const int nb = POSV_BLOCK;

  for (int i = 0; i < n; i += nb)
    {
      int ib = MIN (nb, n - i);

      if (g_cancellable_is_cancelled (cancellable))
        return VT_LAPACK_CANCELLED;
      if (i > 0)
        cblas_dgemm (CblasColMajor, CblasNoTrans, CblasNoTrans, ib, nrhs, i, -1.0, a + i, n, b, n, 1.0, b + i, n);
      cblas_dtrsm (CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, unit_lower ? CblasUnit : CblasNonUnit,
                   ib, nrhs, 1.0, a + i + (gsize) i * n, n, b + i, n);
    }
  for (int i = ((n - 1) / nb) * nb; i >= 0; i -= nb)
    {
      int ib = MIN (nb, n - i), after = n - i - ib;

      if (g_cancellable_is_cancelled (cancellable))
        return VT_LAPACK_CANCELLED;
      if (after > 0 && upper_is_lower_transposed)
        cblas_dgemm (CblasColMajor, CblasTrans, CblasNoTrans, ib, nrhs, after, -1.0,
                     a + i + ib + (gsize) i * n, n, b + i + ib, n, 1.0, b + i, n);
      else if (after > 0)
        cblas_dgemm (CblasColMajor, CblasNoTrans, CblasNoTrans, ib, nrhs, after, -1.0,
                     a + i + (gsize) (i + ib) * n, n, b + i + ib, n, 1.0, b + i, n);
      cblas_dtrsm (CblasColMajor, CblasLeft, upper_is_lower_transposed ? CblasLower : CblasUpper,
                   upper_is_lower_transposed ? CblasTrans : CblasNoTrans, CblasNonUnit, ib, nrhs,
                   1.0, a + i + (gsize) i * n, n, b + i, n);
    }
  return 0;
}

int
vt_lapack_posv_cancellable (int            n,
                            int            nrhs,
                            double        *a,
                            double        *b,
                            GCancellable  *cancellable)
{
  const int nb = POSV_BLOCK;

  /* Right-looking blocked Cholesky, A = L Lᵀ, column-major lower: factor
   * the diagonal block, solve the panel below it, update the trailing
   * matrix one block of columns at a time. */
  for (int k = 0; k < n; k += nb)
    {
      int kb = MIN (nb, n - k), rest = n - k - kb, info = 0;
      double *diagonal = a + k + (gsize) k * n;

      if (g_cancellable_is_cancelled (cancellable))
        return VT_LAPACK_CANCELLED;
      dpotrf_ ("L", &kb, diagonal, &n, &info);
      if (info != 0)
        return info > 0 ? k + info : info;
      if (rest == 0)
        break;
      cblas_dtrsm (CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, rest, kb,
                   1.0, diagonal, n, diagonal + kb, n);
      for (int j = k + kb; j < n; j += nb)
        {
          int jb = MIN (nb, n - j), below = n - j - jb;

          if (g_cancellable_is_cancelled (cancellable))
            return VT_LAPACK_CANCELLED;
          cblas_dsyrk (CblasColMajor, CblasLower, CblasNoTrans, jb, kb, -1.0, a + j + (gsize) k * n, n,
                       1.0, a + j + (gsize) j * n, n);
          if (below > 0)
            cblas_dgemm (CblasColMajor, CblasNoTrans, CblasTrans, below, jb, kb, -1.0,
                         a + j + jb + (gsize) k * n, n, a + j + (gsize) k * n, n,
                         1.0, a + j + jb + (gsize) j * n, n);
        }
    }

  return solve_triangles_blocked (n, nrhs, a, b, FALSE, TRUE, cancellable);
}

int
vt_lapack_gesv_cancellable (int            n,
                            int            nrhs,
                            double        *a,
                            double        *b,
                            GCancellable  *cancellable)
{
  const int nb = POSV_BLOCK, one = 1;
  g_autofree int *pivots = g_new (int, MAX (n, 1));

  /* Right-looking blocked LU, P A = L U: factor the panel below and at the
   * diagonal, swap the same rows left and right of it, solve for U's block
   * row, update the trailing matrix one block of columns at a time. */
  for (int k = 0; k < n; k += nb)
    {
      int kb = MIN (nb, n - k), rows = n - k, rest = n - k - kb, info = 0, first = k + 1, last = k + kb;
      double *diagonal = a + k + (gsize) k * n;

      if (g_cancellable_is_cancelled (cancellable))
        return VT_LAPACK_CANCELLED;
      dgetrf_ (&rows, &kb, diagonal, &n, pivots + k, &info);
      if (info != 0)
        return info > 0 ? k + info : info;
      for (int i = k; i < k + kb; i++)
        pivots[i] += k;
      if (k > 0)
        dlaswp_ (&k, a, &n, &first, &last, pivots, &one);
      if (rest == 0)
        break;
      dlaswp_ (&rest, a + (gsize) (k + kb) * n, &n, &first, &last, pivots, &one);
      cblas_dtrsm (CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasUnit, kb, rest,
                   1.0, diagonal, n, a + k + (gsize) (k + kb) * n, n);
      for (int j = k + kb; j < n; j += nb)
        {
          int jb = MIN (nb, n - j);

          if (g_cancellable_is_cancelled (cancellable))
            return VT_LAPACK_CANCELLED;
          cblas_dgemm (CblasColMajor, CblasNoTrans, CblasNoTrans, rest, jb, kb, -1.0,
                       diagonal + kb, n, a + k + (gsize) j * n, n, 1.0, a + k + kb + (gsize) j * n, n);
        }
    }

  /* P B, then L Y = P B (unit diagonal), then U X = Y, by blocks of rows. */
  {
    int first = 1;
    dlaswp_ (&nrhs, b, &n, &first, &n, pivots, &one);
  }
  return solve_triangles_blocked (n, nrhs, a, b, TRUE, FALSE, cancellable);
}

int
vt_lapack_syevr_top (int     n,
                     int     k,
                     double *a,
                     double *values,
                     double *vectors)
{
  int il = n - k + 1, iu = n, m = 0, info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double vl = 0, vu = 0, abstol = 0, work_size = 0;
  g_autofree int *support = g_new (int, 2 * MAX (n, 1));
  /* LAPACK may use all n entries of the eigenvalue array as workspace. */
  g_autofree double *all_values = g_new (double, MAX (n, 1));

  /* Ask for the workspace sizes first, as LAPACK intends. */
  dsyevr_ ("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, all_values, vectors, &n,
           support, &work_size, &lwork, &iwork_size, &liwork, &info);
  if (info != 0)
    return info;
  lwork = (int) work_size;
  liwork = iwork_size;
  g_autofree double *work = g_new (double, MAX (lwork, 1));
  g_autofree int *iwork = g_new (int, MAX (liwork, 1));
  dsyevr_ ("V", "I", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, all_values, vectors, &n,
           support, work, &lwork, iwork, &liwork, &info);
  memcpy (values, all_values, k * sizeof (double));
  return info;
}
