/* vt-gemm.c: single-precision matrix product with an AVX-512 kernel.
 *
 * Why our own: the machines Vitrine is measured on run AVX-512 at twice
 * the AVX2 rate (two 512-bit FMAs a cycle), but OpenBLAS is held to its
 * Haswell (AVX2) kernels there (OPENBLAS_CORETYPE, set because older
 * OpenBLAS builds misbehave on these CPUs), so it can reach at most half
 * of the CPU. PyTorch's convolutions (oneDNN) pick AVX-512 themselves.
 *
 * The kernel is the usual blocked one (Goto; BLIS's loop order): B is
 * copied in blocks of KC × NC into column panels NR wide, A in blocks of
 * MC × KC into row panels MR tall, both zero-padded, so the inner kernel
 * reads two aligned streams and keeps an MR × NR tile of C in registers
 * (24 of the 32 zmm). A block of B stays in L2, one panel of it in L1. */
#include "vt-gemm.h"

#include <cblas.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define VT_GEMM_AVX512 1
#include <immintrin.h>
#else
#define VT_GEMM_AVX512 0
#endif

static void
gemm_openblas (gboolean     trans_b,
               int          m,
               int          n,
               int          k,
               float        alpha,
               const float *a,
               int          lda,
               const float *b,
               int          ldb,
               float        beta,
               float       *c,
               int          ldc)
{
  cblas_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
               alpha, a, lda, b, ldb, beta, c, ldc);
}

#if VT_GEMM_AVX512

#define MR 12    /* rows of the register tile */
#define NR 32    /* columns: two 16-float vectors */
#define KC 256   /* depth of a block: one NR panel of B is 32 KB, in L1 */
#define MC 192   /* rows of A per block (a multiple of MR) */
#define NC 512   /* columns of B per block (a multiple of NR): 512 KB, in L2 */

/* Per-thread copies of the current blocks of A and B. */
typedef struct
{
  float *a;
  float *b;
} Blocks;

static void
blocks_free (gpointer data)
{
  Blocks *blocks = data;

  g_aligned_free (blocks->a);
  g_aligned_free (blocks->b);
  g_free (blocks);
}

static GPrivate blocks_key = G_PRIVATE_INIT (blocks_free);

static Blocks *
blocks_get (void)
{
  Blocks *blocks = g_private_get (&blocks_key);

  if (blocks == NULL)
    {
      blocks = g_new0 (Blocks, 1);
      blocks->a = g_aligned_alloc (MC * KC, sizeof (float), 64);
      blocks->b = g_aligned_alloc (KC * NC, sizeof (float), 64);
      g_private_set (&blocks_key, blocks);
    }
  return blocks;
}

/* A (mc, kc) → panels of MR rows, each stored k-major (MR values per k). */
static void
pack_a (float       *packed,
        const float *a,
        gsize        lda,
        int          mc,
        int          kc)
{
  for (int top = 0; top < mc; top += MR)
    {
      float *panel = packed + (gsize) top * kc;
      int rows = MIN (MR, mc - top);

      for (int i = 0; i < MR; i++)
        {
          const float *row = a + (gsize) (top + i) * lda;

          if (i < rows)
            for (int p = 0; p < kc; p++)
              panel[(gsize) p * MR + i] = row[p];
          else
            for (int p = 0; p < kc; p++)
              panel[(gsize) p * MR + i] = 0.0f;
        }
    }
}

/* op(B) (kc, nc) → panels of NR columns, each stored k-major (NR values
 * per k). @b points at op(B)'s element (0, 0): row-major (K, N) as is, or
 * (N, K) read transposed. */
static void
pack_b (float       *packed,
        const float *b,
        gsize        ldb,
        gboolean     trans_b,
        int          kc,
        int          nc)
{
  for (int left = 0; left < nc; left += NR)
    {
      float *panel = packed + (gsize) left * kc;
      int cols = MIN (NR, nc - left);

      if (!trans_b)
        for (int p = 0; p < kc; p++)
          {
            memcpy (panel + (gsize) p * NR, b + p * ldb + left, sizeof (float) * cols);
            memset (panel + (gsize) p * NR + cols, 0, sizeof (float) * (NR - cols));
          }
      else
        for (int j = 0; j < NR; j++)
          {
            const float *column = b + (gsize) (left + j) * ldb;

            if (j < cols)
              for (int p = 0; p < kc; p++)
                panel[(gsize) p * NR + j] = column[p];
            else
              for (int p = 0; p < kc; p++)
                panel[(gsize) p * NR + j] = 0.0f;
          }
    }
}

/* C tile (rows, cols) = alpha · Apanel · Bpanel + beta · C tile. The
 * register tile is always MR × NR (the panels are zero-padded); only the
 * rows and columns that exist are read and written. Every loop over the
 * tile is unrolled so that the accumulators stay in registers. */
__attribute__ ((target ("avx512f")))
static void
kernel (int          kc,
        const float *a_panel,
        const float *b_panel,
        float       *c,
        gsize        ldc,
        int          rows,
        int          cols,
        float        alpha,
        float        beta)
{
  __m512 left[MR], right[MR];

#pragma GCC unroll 12
  for (int i = 0; i < MR; i++)
    left[i] = right[i] = _mm512_setzero_ps ();

  for (int p = 0; p < kc; p++)
    {
      __m512 b0 = _mm512_load_ps (b_panel);
      __m512 b1 = _mm512_load_ps (b_panel + 16);

#pragma GCC unroll 12
      for (int i = 0; i < MR; i++)
        {
          __m512 ai = _mm512_set1_ps (a_panel[i]);

          left[i] = _mm512_fmadd_ps (ai, b0, left[i]);
          right[i] = _mm512_fmadd_ps (ai, b1, right[i]);
        }
      a_panel += MR;
      b_panel += NR;
    }

  __mmask16 left_mask = cols >= 16 ? 0xffff : (__mmask16) ((1u << cols) - 1);
  __mmask16 right_mask = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16) ((1u << (cols - 16)) - 1) : 0;
  __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);

#pragma GCC unroll 12
  for (int i = 0; i < MR; i++)
    if (i < rows)
      {
        float *row = c + i * ldc;
        __m512 r0 = _mm512_mul_ps (va, left[i]);
        __m512 r1 = _mm512_mul_ps (va, right[i]);

        /* beta 0 must not read C: it may hold anything, NaN included */
        if (beta != 0.0f)
          {
            r0 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (left_mask, row), r0);
            r1 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (right_mask, row + 16), r1);
          }
        _mm512_mask_storeu_ps (row, left_mask, r0);
        _mm512_mask_storeu_ps (row + 16, right_mask, r1);
      }
}

static void
gemm_avx512 (gboolean     trans_b,
             int          m,
             int          n,
             int          k,
             float        alpha,
             const float *a,
             int          lda,
             const float *b,
             int          ldb,
             float        beta,
             float       *c,
             int          ldc)
{
  Blocks *blocks = blocks_get ();

  for (int jc = 0; jc < n; jc += NC)
    {
      int nc = MIN (NC, n - jc);

      for (int pc = 0; pc < k; pc += KC)
        {
          int kc = MIN (KC, k - pc);
          /* the first block of depth applies beta; the others add to it */
          float block_beta = pc == 0 ? beta : 1.0f;

          pack_b (blocks->b, trans_b ? b + (gsize) jc * ldb + pc : b + (gsize) pc * ldb + jc,
                  ldb, trans_b, kc, nc);
          for (int ic = 0; ic < m; ic += MC)
            {
              int mc = MIN (MC, m - ic);

              pack_a (blocks->a, a + (gsize) ic * lda + pc, lda, mc, kc);
              /* one panel of B in L1 while A's panels pass through it */
              for (int jr = 0; jr < nc; jr += NR)
                for (int ir = 0; ir < mc; ir += MR)
                  kernel (kc, blocks->a + (gsize) ir * kc, blocks->b + (gsize) jr * kc,
                          c + (gsize) (ic + ir) * ldc + jc + jr, ldc,
                          MIN (MR, mc - ir), MIN (NR, nc - jr), alpha, block_beta);
            }
        }
    }
}

#endif

gboolean
vt_gemm_uses_avx512 (void)
{
#if VT_GEMM_AVX512
  return __builtin_cpu_supports ("avx512f");
#else
  return FALSE;
#endif
}

void
vt_gemm (gboolean     trans_b,
         int          m,
         int          n,
         int          k,
         float        alpha,
         const float *a,
         int          lda,
         const float *b,
         int          ldb,
         float        beta,
         float       *c,
         int          ldc)
{
#if VT_GEMM_AVX512
  /* A few rows (a classifier head on one image) are a matrix-vector
   * product, bound by reading B; copying B first would only add to it. */
  if (k > 0 && m >= MR / 2 && vt_gemm_uses_avx512 ())
    {
      gemm_avx512 (trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
#endif
  gemm_openblas (trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
