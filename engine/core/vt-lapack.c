/* vt-lapack.c: calling OpenBLAS's LAPACK. */
#include "vt-lapack.h"

extern void dgesv_ (const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
                    double *b, const int *ldb, int *info);
extern void dposv_ (const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                    double *b, const int *ldb, int *info);
extern void dsyevd_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                     double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

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
vt_lapack_syevd (int     n,
                 double *a,
                 double *w)
{
  int info = 0, lwork = -1, liwork = -1, iwork_size;
  double work_size;
  g_autofree double *work = NULL;
  g_autofree int *iwork = NULL;

  /* First ask for the workspace sizes, then run. */
  dsyevd_ ("V", "L", &n, a, &n, w, &work_size, &lwork, &iwork_size, &liwork, &info);
  if (info != 0)
    return info;
  lwork = (int) work_size;
  liwork = iwork_size;
  work = g_new (double, MAX (lwork, 1));
  iwork = g_new (int, MAX (liwork, 1));
  dsyevd_ ("V", "L", &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
  return info;
}
