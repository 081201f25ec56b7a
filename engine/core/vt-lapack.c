/* vt-lapack.c: calling OpenBLAS's LAPACK. */
#include "vt-lapack.h"

extern void dgesv_ (const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
                    double *b, const int *ldb, int *info);
extern void dposv_ (const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                    double *b, const int *ldb, int *info);

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
