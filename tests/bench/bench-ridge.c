/* bench-ridge.c: RanPAC's ridge search, three ways, on one stage's Gram
 * matrix: for each of the 17 λ, an LU solve (dgesv, what RanPAC's code and
 * numpy's solve do) or a Cholesky solve (dposv); or one eigendecomposition
 * (dsyevd) after which each λ costs two matrix products.
 *
 *   bench-ridge M SAMPLES CLASSES
 *
 * H is ReLU of a Gaussian (SAMPLES, M), G = HᵀH, Q = HᵀY. Prints seconds
 * for each way as JSON. A benchmark, not a test. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vt-lapack.h"
#include "core/vt-random.h"

extern void dsyevd_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                     double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

static const double lambdas[] = { 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0,
                                  1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

int
main (int   argc,
      char *argv[])
{
  int m, n, k, info, lwork = -1, liwork = -1, iwork_size;
  g_autofree double *h = NULL, *g = NULL, *q = NULL, *a = NULL, *b = NULL, *w = NULL, *z = NULL, *work = NULL;
  g_autofree int *iwork = NULL;
  double work_size, t0, lu, cholesky, eigen;
  VtRandom random;
  int failed_cholesky = 0;

  if (argc != 4)
    return 2;
  m = atoi (argv[1]);
  n = atoi (argv[2]);
  k = atoi (argv[3]);
  vt_random_init (&random, 0);
  h = g_new (double, (gsize) n * m);
  for (gsize i = 0; i < (gsize) n * m; i++)
    h[i] = MAX (vt_random_gauss (&random), 0.0);
  g = g_new (double, (gsize) m * m);
  q = g_new0 (double, (gsize) k * m);
  cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, m, m, n, 1.0, h, m, h, m, 0.0, g, m);
  for (int i = 0; i < n; i++)
    cblas_daxpy (m, 1.0, h + (gsize) i * m, 1, q + (gsize) (i % k) * m, 1);
  a = g_new (double, (gsize) m * m);
  b = g_new (double, (gsize) k * m);

  t0 = now ();
  for (guint l = 0; l < G_N_ELEMENTS (lambdas); l++)
    {
      memcpy (a, g, sizeof (double) * m * m);
      for (int d = 0; d < m; d++)
        a[(gsize) d * m + d] += lambdas[l];
      memcpy (b, q, sizeof (double) * k * m);
      vt_lapack_gesv (m, k, a, b);
    }
  lu = now () - t0;

  t0 = now ();
  for (guint l = 0; l < G_N_ELEMENTS (lambdas); l++)
    {
      memcpy (a, g, sizeof (double) * m * m);
      for (int d = 0; d < m; d++)
        a[(gsize) d * m + d] += lambdas[l];
      memcpy (b, q, sizeof (double) * k * m);
      failed_cholesky += vt_lapack_posv (m, k, a, b) != 0;
    }
  cholesky = now () - t0;

  /* G = V diag(e) Vᵀ; (G + λI)⁻¹Q = V diag(1/(e + λ)) VᵀQ. */
  t0 = now ();
  memcpy (a, g, sizeof (double) * m * m);
  w = g_new (double, m);
  dsyevd_ ("V", "L", &m, a, &m, w, &work_size, &lwork, &iwork_size, &liwork, &info);
  lwork = (int) work_size;
  liwork = iwork_size;
  work = g_new (double, lwork);
  iwork = g_new (int, liwork);
  dsyevd_ ("V", "L", &m, a, &m, w, work, &lwork, iwork, &liwork, &info);
  z = g_new (double, (gsize) k * m);
  /* Column-major V is a; zt (k, M) = Qᵀ... rows: z[c] = Vᵀ q_c. */
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, k, m, m, 1.0, q, m, a, m, 0.0, z, m);
  for (guint l = 0; l < G_N_ELEMENTS (lambdas); l++)
    {
      g_autofree double *scaled = g_memdup2 (z, sizeof (double) * k * m);
      for (int c = 0; c < k; c++)
        for (int j = 0; j < m; j++)
          scaled[(gsize) c * m + j] /= w[j] + lambdas[l];
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, k, m, m, 1.0, scaled, m, a, m, 0.0, b, m);
    }
  eigen = now () - t0;
  printf ("{\"m\": %d, \"samples\": %d, \"lu_s\": %.2f, \"cholesky_s\": %.2f, \"cholesky_failures\": %d, "
          "\"eigen_s\": %.2f}\n", m, n, lu, cholesky, failed_cholesky, eigen);
  return info != 0;
}
