/* test-ops.c: each BLAS path against its naive reference, on random data
 * with awkward sizes (odd, prime, not multiples of the SIMD width). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "nn/vt-gemm.h"
#include "nn/vt-ops.h"

static void
fill (float   *x,
      gsize    n,
      GRand   *rng)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

static double
max_diff (const float *a,
          const float *b,
          gsize        n)
{
  double worst = 0.0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]));
  return worst;
}

/* C = alpha·A·op(B) + beta·C + bias in double, strides as vt_gemm takes them. */
static void
gemm_naive (gboolean trans_b, int m, int n, int k, float alpha, const float *a, int lda,
            const float *b, int ldb, float beta, const float *bias, float *c, int ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double acc = 0.0;

        for (int p = 0; p < k; p++)
          acc += (double) a[(gsize) i * lda + p] * (trans_b ? b[(gsize) j * ldb + p] : b[(gsize) p * ldb + j]);
        c[(gsize) i * ldc + j] = (float) (alpha * acc + (beta != 0.0f ? beta * c[(gsize) i * ldc + j] : 0.0)
                                          + (bias != NULL ? bias[j] : 0.0));
      }
}

/* Sizes around the kernel's tile (12 × 32) and blocks (depth 384, 192 rows,
 * 512 columns), a few rows (the matrix-vector path), padded leading
 * dimensions, alpha, beta, a bias, and an epilogue (scale and shift per
 * row, a matrix added, ReLU); beta 0 over a C full of NaN must not read it. The same product with B packed beforehand must give the
 * same. */
static void
check_gemm (void)
{
  static const struct { int m, n, k; } sizes[] = {
    { 1, 40, 17 }, { 5, 33, 64 }, { 6, 1, 3 }, { 12, 32, 256 }, { 13, 31, 257 },
    { 197, 197, 64 }, { 197, 64, 197 }, { 203, 529, 300 }, { 64, 49, 600 }, { 25, 17, 1 },
  };
  g_autoptr(GRand) rng = g_rand_new_with_seed (9);
  double worst = 0.0;

  g_test_message ("vt_gemm runs %s", vt_gemm_uses_avx512 () ? "its AVX-512 kernel" : "OpenBLAS");
  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int trans_b = 0; trans_b < 2; trans_b++)
      for (int beta = 0; beta < 2; beta++)
        for (int extras = 0; extras < 3; extras++)   /* none, a bias, a bias and an epilogue */
        {
          int m = sizes[s].m, n = sizes[s].n, k = sizes[s].k;
          int lda = k + 3, ldb = (trans_b ? k : n) + 5, ldc = n + 2;
          gsize b_rows = trans_b ? n : k;
          g_autofree float *a = g_new (float, (gsize) m * lda), *b = g_new (float, b_rows * ldb);
          g_autofree float *fast = g_new (float, (gsize) m * ldc), *naive = g_new (float, (gsize) m * ldc);
          g_autofree float *bias = g_new (float, n), *from_packed = g_new (float, (gsize) m * ldc);
          float *packed = g_aligned_alloc (vt_gemm_packed_size (k, n), sizeof (float), 64);
          gboolean with_bias = extras > 0;
          g_autofree float *scale = g_new (float, m), *shift = g_new (float, m);
          g_autofree float *add = g_new (float, (gsize) m * (n + 1));
          VtGemmEpilogue epilogue = { scale, shift, add, n + 1, TRUE };
          const VtGemmEpilogue *e = extras == 2 ? &epilogue : NULL;

          fill (a, (gsize) m * lda, rng);
          fill (bias, n, rng);
          fill (b, b_rows * ldb, rng);
          fill (scale, m, rng);
          fill (shift, m, rng);
          fill (add, (gsize) m * (n + 1), rng);
          if (beta)
            fill (fast, (gsize) m * ldc, rng);
          else
            for (gsize i = 0; i < (gsize) m * ldc; i++)
              fast[i] = NAN;
          memcpy (naive, fast, sizeof (float) * m * ldc);
          memcpy (from_packed, fast, sizeof (float) * m * ldc);
          vt_gemm (trans_b, m, n, k, 0.5f, a, lda, b, ldb, beta, with_bias ? bias : NULL, fast, ldc, e);
          gemm_naive (trans_b, m, n, k, 0.5f, a, lda, b, ldb, beta, with_bias ? bias : NULL, naive, ldc);
          for (int i = 0; e != NULL && i < m; i++)
            for (int j = 0; j < n; j++)
              {
                float v = naive[(gsize) i * ldc + j] * scale[i] + shift[i] + add[(gsize) i * (n + 1) + j];
                naive[(gsize) i * ldc + j] = MAX (v, 0.0f);
              }
          vt_gemm_pack (packed, trans_b, k, n, b, ldb);
          vt_gemm_packed (m, n, k, 0.5f, a, lda, packed, beta, with_bias ? bias : NULL, from_packed, ldc, e);
          for (int i = 0; i < m; i++)
            {
              worst = MAX (worst, max_diff (fast + (gsize) i * ldc, naive + (gsize) i * ldc, n));
              worst = MAX (worst, max_diff (from_packed + (gsize) i * ldc, naive + (gsize) i * ldc, n));
              /* the padding between rows is left as it was */
              for (int j = n; j < ldc; j++)
                {
                  g_assert_true (memcmp (&fast[(gsize) i * ldc + j], &naive[(gsize) i * ldc + j], sizeof (float)) == 0);
                  g_assert_true (memcmp (&from_packed[(gsize) i * ldc + j], &naive[(gsize) i * ldc + j], sizeof (float)) == 0);
                }
            }
          g_aligned_free (packed);
        }
  g_test_message ("gemm: %.3g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);

  /* The epilogue's ReLU keeps a NaN, as PyTorch's does: row 0 of A is NaN. */
  {
    const int m = 13, n = 40, k = 20;
    float a[13 * 20], b[20 * 40], c[13 * 40];
    VtGemmEpilogue relu = { NULL, NULL, NULL, 0, TRUE };

    fill (a, m * k, rng);
    fill (b, k * n, rng);
    a[3] = NAN;
    vt_gemm (FALSE, m, n, k, 1.0f, a, k, b, n, 0.0f, NULL, c, n, &relu);
    for (int j = 0; j < n; j++)
      {
        g_assert_true (isnan (c[j]));
        g_assert_cmpfloat (c[n + j], >=, 0.0f);
      }
  }
}

static void
test_gemm (void)
{
  check_gemm ();
}

/* The path CPUs without AVX-512 take, B packed or not. */
static void
test_gemm_openblas (void)
{
  vt_gemm_force_openblas (TRUE);
  check_gemm ();
  vt_gemm_force_openblas (FALSE);
}

static void
test_linear (void)
{
  /* small; then many rows, so that on several threads the product is cut
   * by rows, each core copying the (transposed) weight */
  static const struct { int n, in, out; } sizes[] = { { 7, 53, 29 }, { 300, 96, 64 } };
  g_autoptr(GRand) rng = g_rand_new_with_seed (1);
  int threads = openblas_get_num_threads ();

  openblas_set_num_threads (3);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int n = sizes[i].n, in = sizes[i].in, out = sizes[i].out;
      g_autofree float *x = g_new (float, n * in), *w = g_new (float, out * in), *b = g_new (float, out);
      g_autofree float *fast = g_new (float, n * out), *naive = g_new (float, n * out);

      fill (x, n * in, rng);
      fill (w, out * in, rng);
      fill (b, out, rng);
      vt_linear_forward (fast, x, w, b, n, in, out);
      vt_linear_forward_naive (naive, x, w, b, n, in, out);
      g_test_message ("linear %d×%d→%d: %.3g", n, in, out, max_diff (fast, naive, n * out));
      g_assert_cmpfloat (max_diff (fast, naive, n * out), <, 1e-5);
      /* another weight of the same shape, no bias */
      fill (w, out * in, rng);
      vt_linear_forward (fast, x, w, NULL, n, in, out);
      vt_linear_forward_naive (naive, x, w, NULL, n, in, out);
      g_assert_cmpfloat (max_diff (fast, naive, n * out), <, 1e-5);
    }
  openblas_set_num_threads (threads);
}

static void
test_conv2d (void)
{
  static const struct { int c, h, w, k, kernel, stride, pad; } cases[] = {
    { 3, 17, 13, 5, 3, 1, 1 },   /* same padding */
    { 4, 12, 10, 7, 5, 1, 2 },   /* same padding, two columns of it */
    { 4, 16, 16, 6, 3, 2, 1 },   /* strided */
    { 3, 23, 23, 8, 7, 2, 3 },   /* a ResNet stem */
    { 5, 9, 11, 7, 1, 1, 0 },    /* 1×1, no im2col */
    { 5, 9, 11, 7, 1, 2, 0 },    /* 1×1 strided downsample */
    { 3, 32, 32, 4, 8, 8, 0 },   /* a ViT patch embedding */
    /* large enough to go in strips of 128 or 416 pixels, across output rows */
    { 64, 30, 30, 6, 3, 1, 1 },
    { 64, 61, 61, 6, 3, 2, 1 },
    { 3, 100, 100, 8, 7, 2, 3 },
    /* many channels on a small image: the product is cut by rows, each core copying B */
    { 64, 7, 7, 250, 3, 1, 1 },
    { 130, 9, 9, 200, 1, 1, 0 },
    { 100, 13, 13, 300, 1, 2, 0 },
  };
  g_autoptr(GRand) rng = g_rand_new_with_seed (2);
  int threads = openblas_get_num_threads ();

  /* several threads, whatever the machine has, so that products are cut */
  openblas_set_num_threads (3);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int c = cases[i].c, h = cases[i].h, w = cases[i].w, k = cases[i].k, kn = cases[i].kernel;
      int oh = vt_conv2d_out_size (h, kn, cases[i].stride, cases[i].pad);
      int ow = vt_conv2d_out_size (w, kn, cases[i].stride, cases[i].pad);
      gsize n_out = (gsize) k * oh * ow;
      g_autofree float *in = g_new (float, c * h * w), *wt = g_new (float, k * c * kn * kn), *b = g_new (float, k);
      g_autofree float *fast = g_new (float, n_out), *naive = g_new (float, n_out);
      g_autofree float *scale = g_new (float, k), *shift = g_new (float, k), *add = g_new (float, n_out);
      /* the bias alone; then epilogues: everything (a bottleneck's last
       * convolution), BatchNorm with a bias (put in first), and a residual
       * with a bias (which becomes the shift) */
      const VtGemmEpilogue epilogues[] = {
        { scale, shift, add, oh * ow, TRUE },
        { scale, shift, NULL, 0, FALSE },
        { NULL, NULL, add, oh * ow, TRUE },
      };
      double worst = 0.0;

      fill (wt, k * c * kn * kn, rng);
      fill (b, k, rng);
      fill (scale, k, rng);
      fill (shift, k, rng);
      fill (add, n_out, rng);
      for (int variant = -1; variant < (int) G_N_ELEMENTS (epilogues); variant++)
        {
          const VtGemmEpilogue *e = variant >= 0 ? &epilogues[variant] : NULL;
          const float *bias = variant == 0 ? NULL : b;

          /* a new input each time: a product cut by rows must not reuse the
           * copy of B a core made for the last one of the same shape */
          fill (in, c * h * w, rng);
          vt_conv2d_forward (fast, in, wt, bias, c, h, w, k, kn, kn, cases[i].stride, cases[i].pad, e);
          vt_conv2d_forward_naive (naive, in, wt, bias, c, h, w, k, kn, kn, cases[i].stride, cases[i].pad);
          for (gsize j = 0; e != NULL && j < n_out; j++)
            {
              float v = naive[j];
              gsize channel = j / (oh * ow);

              v = e->row_scale ? v * e->row_scale[channel] : v;
              v = e->row_shift ? v + e->row_shift[channel] : v;
              v = e->add ? v + e->add[j] : v;
              naive[j] = e->relu && v < 0.0f ? 0.0f : v;
            }
          worst = MAX (worst, max_diff (fast, naive, n_out));
        }
      /* float32 sums of c·kn² products in [-1, 1]: rounding grows with the depth */
      double tolerance = MAX (1e-5, 1e-7 * c * kn * kn);

      g_test_message ("conv %d×%d stride %d, depth %d: %.3g (tolerance %.2g)", kn, kn, cases[i].stride,
                      c * kn * kn, worst, tolerance);
      g_assert_cmpfloat (worst, <, tolerance);
    }
  openblas_set_num_threads (threads);
}

static void
test_conv2d_openblas (void)
{
  vt_gemm_force_openblas (TRUE);
  test_conv2d ();
  vt_gemm_force_openblas (FALSE);
}

static void
test_attention (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  const int t = 19, c = 24, heads = 3;
  g_autofree float *qkv = g_new (float, t * 3 * c);
  g_autofree float *fast = g_new (float, t * c), *naive = g_new (float, t * c);
  g_autofree float *pf = g_new (float, heads * t * t), *pn = g_new (float, heads * t * t);
  g_autofree float *scores = g_new (float, t * t);

  fill (qkv, t * 3 * c, rng);
  for (int causal = 0; causal <= 1; causal++)
    {
      vt_attention_forward (fast, pf, NULL, qkv, t, c, heads, causal);
      vt_attention_forward_naive (naive, pn, qkv, t, c, heads, causal);
      g_assert_cmpfloat (max_diff (fast, naive, t * c), <, 1e-5);
      g_assert_cmpfloat (max_diff (pf, pn, heads * t * t), <, 1e-6);
      /* Without probabilities asked for, the output is the same. */
      vt_attention_forward (fast, NULL, scores, qkv, t, c, heads, causal);
      g_assert_cmpfloat (max_diff (fast, naive, t * c), <, 1e-5);
      if (causal)
        g_assert_cmpfloat (pf[1], ==, 0.0f);   /* row 0 sees only itself */
    }
}

static void
test_pointwise (void)
{
  float x[5] = { -2.0f, -0.5f, 0.0f, 0.5f, 2.0f };
  float g[5], q[5];
  float row[3] = { 1.0f, 2.0f, 3.0f };
  float pooled[2], planes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

  memcpy (g, x, sizeof x);
  memcpy (q, x, sizeof x);
  vt_gelu (g, 5);
  vt_quick_gelu (q, 5);
  /* torch.nn.functional.gelu(torch.tensor(2.0)) = 1.9544997 */
  g_assert_cmpfloat (fabs (g[4] - 1.9544997f), <, 1e-6);
  g_assert_cmpfloat (fabs (g[0] + 0.0455003f), <, 1e-6);
  g_assert_cmpfloat (g[2], ==, 0.0f);
  /* 2·σ(3.404) = 1.9364… */
  g_assert_cmpfloat (fabs (q[4] - 2.0f / (1.0f + expf (-3.404f))), <, 1e-6);
  vt_softmax_rows (row, 1, 3);
  g_assert_cmpfloat (fabs (row[0] + row[1] + row[2] - 1.0f), <, 1e-6);
  g_assert_cmpfloat (fabs (row[2] - 0.66524096f), <, 1e-6);
  vt_global_avgpool (pooled, planes, 2, 4);
  g_assert_cmpfloat (pooled[0], ==, 2.5f);
  g_assert_cmpfloat (pooled[1], ==, 6.5f);
}

/* ResNet's 3×3 stride-2 max pooling with -inf padding, on a 5×4 plane
 * worked out by hand; a NaN reaches every window over it, as in PyTorch. */
static void
test_maxpool (void)
{
  float plane[20] = { 1, 9, 2, 0,
                      3, 4, 5, 6,
                      -1, -2, 8, 7,
                      0, 0, 0, -5,
                      2, 1, 3, 4 };
  float expected[6] = { 9, 9, 4, 8, 2, 4 };
  float out[6];

  vt_maxpool2d (out, plane, 1, 5, 4, 3, 2, 1);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (out[i], ==, expected[i]);
  plane[0] = NAN;
  vt_maxpool2d (out, plane, 1, 5, 4, 3, 2, 1);
  g_assert_true (isnan (out[0]));
  for (int i = 1; i < 6; i++)
    g_assert_cmpfloat (out[i], ==, expected[i]);
}

/* Other windows than ResNet's take the general path: against the max over
 * each window read directly, on two channels of random values. */
static void
test_maxpool_windows (void)
{
  const int windows[][3] = { { 2, 2, 0 }, { 3, 1, 1 }, { 3, 2, 0 }, { 5, 3, 2 }, { 1, 1, 0 } };
  const int c = 2, h = 11, w = 9;
  g_autoptr(GRand) rng = g_rand_new_with_seed (8);
  float in[2 * 11 * 9], out[2 * 11 * 9];

  fill (in, G_N_ELEMENTS (in), rng);
  for (gsize t = 0; t < G_N_ELEMENTS (windows); t++)
    {
      int kernel = windows[t][0], stride = windows[t][1], pad = windows[t][2];
      int oh = vt_conv2d_out_size (h, kernel, stride, pad), ow = vt_conv2d_out_size (w, kernel, stride, pad);

      vt_maxpool2d (out, in, c, h, w, kernel, stride, pad);
      for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
          for (int ox = 0; ox < ow; ox++)
            {
              float m = -INFINITY;

              for (int y = oy * stride - pad; y < oy * stride - pad + kernel; y++)
                for (int x = ox * stride - pad; x < ox * stride - pad + kernel; x++)
                  if (y >= 0 && y < h && x >= 0 && x < w)
                    m = MAX (m, in[(ch * h + y) * w + x]);
              g_assert_cmpfloat (out[(ch * oh + oy) * ow + ox], ==, m);
            }
    }
}

/* The residual add with ReLU, on an array large enough to be spread over
 * the cores; a NaN stays NaN, as in PyTorch. */
static void
test_add_relu (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (4);
  const gsize n = 37 * 3001;
  g_autofree float *x = g_new (float, n), *y = g_new (float, n), *out = g_new (float, n);

  fill (x, n, rng);
  fill (y, n, rng);
  x[5] = NAN;
  memcpy (out, x, sizeof (float) * n);
  vt_add_relu (out, y, n);
  g_assert_true (isnan (out[5]));
  for (gsize i = 0; i < n; i++)
    if (i != 5)
      g_assert_cmpfloat (out[i], ==, MAX (x[i] + y[i], 0.0f));
}

/* The fast exp and erf against libm over the range the kernels see. */
static void
test_approximations (void)
{
  double worst_exp = 0.0, worst_erf = 0.0;

  g_assert_cmpfloat (vt_exp_approx (-INFINITY), ==, 0.0f);
  for (double x = -80.0; x <= 80.0; x += 0.01)
    {
      double e = exp ((float) x);   /* the input as the kernel sees it */
      worst_exp = MAX (worst_exp, fabs (vt_exp_approx ((float) x) - e) / e);
    }
  for (double x = -6.0; x <= 6.0; x += 0.001)
    worst_erf = MAX (worst_erf, fabs (vt_erf_approx ((float) x) - erf ((float) x)));
  g_test_message ("exp: largest relative error %.3g; erf: largest absolute error %.3g", worst_exp, worst_erf);
  g_assert_cmpfloat (worst_exp, <, 3e-7);
  g_assert_cmpfloat (worst_erf, <, 5e-7);
}

/* NaN and infinity through the fast exp and what uses it: converting a NaN
 * to an integer inside fast_expf was undefined (x86 gave a finite number),
 * and e^+∞ came out as e^88. Now they propagate as libm's do. */
static void
test_approximations_special (void)
{
  float gelu[3] = { NAN, INFINITY, -INFINITY };
  float quick[2] = { NAN, INFINITY };
  float row[20];

  g_assert_true (isnan (vt_exp_approx (NAN)));
  g_assert_true (isnan (vt_exp_approx (-NAN)));
  g_assert_cmpfloat (vt_exp_approx (INFINITY), ==, INFINITY);
  g_assert_cmpfloat (vt_exp_approx (-INFINITY), ==, 0.0f);
  g_assert_cmpfloat (vt_exp_approx (88.0f), ==, vt_exp_approx (88.0f));
  g_assert_true (isnan (vt_erf_approx (NAN)));
  g_assert_cmpfloat (vt_erf_approx (INFINITY), ==, 1.0f);

  vt_gelu (gelu, 3);
  g_assert_true (isnan (gelu[0]));
  g_assert_cmpfloat (gelu[1], ==, INFINITY);
  vt_quick_gelu (quick, 2);
  g_assert_true (isnan (quick[0]));
  g_assert_cmpfloat (quick[1], ==, INFINITY);

  /* A NaN activation makes its softmax row NaN, through the vector lanes
   * (16 at a time) and the tail alike. */
  for (int j = 0; j < 20; j++)
    row[j] = (float) j / 10;
  row[3] = NAN;
  vt_softmax_rows (row, 1, 20);
  for (int j = 0; j < 20; j++)
    g_assert_true (isnan (row[j]));
  for (int j = 0; j < 20; j++)
    row[j] = (float) j / 10;
  row[18] = NAN;
  vt_softmax_rows (row, 1, 20);
  g_assert_true (isnan (row[0]) && isnan (row[18]));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/ops/gemm", test_gemm);
  g_test_add_func ("/engine/ops/gemm-openblas", test_gemm_openblas);
  g_test_add_func ("/engine/ops/linear", test_linear);
  g_test_add_func ("/engine/ops/conv2d", test_conv2d);
  g_test_add_func ("/engine/ops/conv2d-openblas", test_conv2d_openblas);
  g_test_add_func ("/engine/ops/attention", test_attention);
  g_test_add_func ("/engine/ops/pointwise", test_pointwise);
  g_test_add_func ("/engine/ops/add-relu", test_add_relu);
  g_test_add_func ("/engine/ops/maxpool", test_maxpool);
  g_test_add_func ("/engine/ops/maxpool-windows", test_maxpool_windows);
  g_test_add_func ("/engine/ops/approximations", test_approximations);
  g_test_add_func ("/engine/ops/approximations-special", test_approximations_special);
  return g_test_run ();
}
