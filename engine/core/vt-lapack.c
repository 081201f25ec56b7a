/* vt-lapack.c: calling OpenBLAS's LAPACK. */
#include "vt-lapack.h"

#include <string.h>

extern void dgesv_ (const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
                    double *b, const int *ldb, int *info);
extern void dposv_ (const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                    double *b, const int *ldb, int *info);
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
