/* bench-gemm.c: GFLOP/s of vt_gemm and of OpenBLAS's cblas_sgemm, one
 * thread, on the products of ViT-S/16 and ResNet-50 at batch 1.
 *
 *   OPENBLAS_NUM_THREADS=1 bench-gemm
 *
 * Each product is run until half a second has passed, after a warm-up;
 * prints one line per shape. A benchmark, not a test. */
#include <cblas.h>
#include <stdio.h>

#include "nn/vt-gemm.h"

typedef struct
{
  const char *what;
  gboolean    trans_b;
  int         m, n, k;
} Shape;

static const Shape shapes[] = {
  { "ViT-S qkv (tokens x 384 . 384x1152^T)", TRUE, 197, 1152, 384 },
  { "ViT-S fc1 (tokens x 384 . 384x1536^T)", TRUE, 197, 1536, 384 },
  { "ViT-S fc2 (tokens x 1536 . 1536x384^T)", TRUE, 197, 384, 1536 },
  { "ViT-S attention q.k^T (197x64 . 64x197)", TRUE, 197, 197, 64 },
  { "ViT-S attention p.v (197x197 . 197x64)", FALSE, 197, 64, 197 },
  { "ViT-B fc1 (tokens x 768 . 768x3072^T)", TRUE, 197, 3072, 768 },
  { "ResNet-50 stem 7x7 (64 x 147 . 147x12544)", FALSE, 64, 12544, 147 },
  { "ResNet-50 layer1 1x1 (64 x 64 . 64x3136)", FALSE, 64, 3136, 64 },
  { "ResNet-50 layer1 3x3 (64 x 576 . 576x3136)", FALSE, 64, 3136, 576 },
  { "ResNet-50 layer1 1x1 (256 x 64 . 64x3136)", FALSE, 256, 3136, 64 },
  { "ResNet-50 layer2 3x3 (128 x 1152 . 1152x784)", FALSE, 128, 784, 1152 },
  { "ResNet-50 layer3 3x3 (256 x 2304 . 2304x196)", FALSE, 256, 196, 2304 },
  { "ResNet-50 layer3 1x1 (1024 x 256 . 256x196)", FALSE, 1024, 196, 256 },
  { "ResNet-50 layer4 3x3 (512 x 4608 . 4608x49)", FALSE, 512, 49, 4608 },
  { "ResNet-50 layer4 1x1 (2048 x 512 . 512x49)", FALSE, 2048, 49, 512 },
};

typedef void (*Gemm) (gboolean, int, int, int, float, const float *, int, const float *, int,
                      float, const float *, float *, int, const VtGemmEpilogue *);

static void
openblas (gboolean trans_b, int m, int n, int k, float alpha, const float *a, int lda,
          const float *b, int ldb, float beta, const float *bias, float *c, int ldc,
          const VtGemmEpilogue *epilogue)
{
  g_assert (bias == NULL && epilogue == NULL);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
               alpha, a, lda, b, ldb, beta, c, ldc);
}

static double
gflops (Gemm gemm, const Shape *s, const float *a, const float *b, float *c)
{
  int ldb = s->trans_b ? s->k : s->n;
  gint64 start, now;
  int runs = 0;

  gemm (s->trans_b, s->m, s->n, s->k, 1.0f, a, s->k, b, ldb, 0.0f, NULL, c, s->n, NULL);
  start = g_get_monotonic_time ();
  do
    {
      gemm (s->trans_b, s->m, s->n, s->k, 1.0f, a, s->k, b, ldb, 0.0f, NULL, c, s->n, NULL);
      runs++;
      now = g_get_monotonic_time ();
    }
  while (now - start < 500000);
  return 2.0 * s->m * s->n * s->k * runs / ((now - start) / 1e6) / 1e9;
}

int
main (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);

  printf ("vt_gemm kernel: %s\n", vt_gemm_uses_avx512 () ? "AVX-512" : "OpenBLAS");
  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const Shape *s = &shapes[i];
      g_autofree float *a = g_new (float, (gsize) s->m * s->k);
      g_autofree float *b = g_new (float, (gsize) s->k * s->n);
      g_autofree float *c = g_new (float, (gsize) s->m * s->n);
      double ours, theirs;

      for (gsize j = 0; j < (gsize) s->m * s->k; j++)
        a[j] = (float) g_rand_double_range (rng, -1, 1);
      for (gsize j = 0; j < (gsize) s->k * s->n; j++)
        b[j] = (float) g_rand_double_range (rng, -1, 1);
      ours = gflops (vt_gemm, s, a, b, c);
      theirs = gflops (openblas, s, a, b, c);
      printf ("%-46s vt_gemm %6.1f GFLOP/s  OpenBLAS %6.1f  ratio %.2f\n", s->what, ours, theirs, ours / theirs);
    }
  return 0;
}
