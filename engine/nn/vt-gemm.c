/* vt-gemm.c: single-precision matrix product with an AVX-512 kernel.
 *
 * Why our own: the machines Vitrine is measured on run AVX-512 at twice
 * the AVX2 rate (two 512-bit FMAs a cycle), but OpenBLAS is held to its
 * Haswell (AVX2) kernels there (OPENBLAS_CORETYPE, set because older
 * OpenBLAS builds misbehave on these CPUs), so it can reach at most half
 * of the CPU. PyTorch's convolutions (oneDNN) pick AVX-512 themselves.
 *
 * The kernel is the usual blocked one (Goto; BLIS's loop order): B is
 * copied in blocks of KC × NC into zero-padded column panels NR wide, the
 * inner kernel keeps an MR × NR tile of C in registers (24 of the 32 zmm)
 * and multiplies a panel of B by MR rows of A, broadcast from where they
 * are. A is not copied: in a forward pass it is often the larger operand
 * (a convolution's weights against a few columns of pixels), and copying
 * it cost more than the product gained. */
#include "vt-gemm.h"

#include <cblas.h>

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
#define KC 384   /* depth of a block: best of 128, 192, 256 and 384 in bench-gemm */
#define MC 192   /* rows of A per block (a multiple of MR) */
#define NC 512   /* columns of B per block (a multiple of NR): 768 KB, in L2 */

/* Each thread's copy of the current block of B. */
static GPrivate b_block_key = G_PRIVATE_INIT (g_aligned_free);

static float *
b_block_get (void)
{
  float *block = g_private_get (&b_block_key);

  if (block == NULL)
    {
      block = g_aligned_alloc (KC * NC, sizeof (float), 64);
      g_private_set (&b_block_key, block);
    }
  return block;
}

/* What the rows of a tile past the end of A read. */
static const float zero_row[KC];

/* op(B) (kc, nc) → panels of NR columns, each stored k-major (NR values
 * per k), zero-padded. @b points at op(B)'s element (0, 0): row-major
 * (K, N) as is, or (N, K) read transposed. The copy of a row is two
 * vectors (a memcpy call of 128 bytes cost more than the product here). */
__attribute__ ((target ("avx512f")))
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

      __mmask16 left_mask = cols >= 16 ? 0xffff : (__mmask16) ((1u << cols) - 1);
      __mmask16 right_mask = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16) ((1u << (cols - 16)) - 1) : 0;

      if (!trans_b)
        {
          for (int p = 0; p < kc; p++)
            {
              const float *row = b + p * ldb + left;

              _mm512_store_ps (panel + (gsize) p * NR, _mm512_maskz_loadu_ps (left_mask, row));
              _mm512_store_ps (panel + (gsize) p * NR + 16, _mm512_maskz_loadu_ps (right_mask, row + 16));
            }
        }
      else
        {
          /* lane j reads row left + j of B (N, K): a gather per 16 values */
          const float *first = b + (gsize) left * ldb;
          __m512i lanes = _mm512_mullo_epi32 (_mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                              _mm512_set1_epi32 ((int) ldb));
          __m512i lanes_right = _mm512_add_epi32 (lanes, _mm512_set1_epi32 (16 * (int) ldb));

          for (int p = 0; p < kc; p++)
            {
              _mm512_store_ps (panel + (gsize) p * NR,
                               _mm512_mask_i32gather_ps (_mm512_setzero_ps (), left_mask, lanes, first + p, 4));
              _mm512_store_ps (panel + (gsize) p * NR + 16,
                               _mm512_mask_i32gather_ps (_mm512_setzero_ps (), right_mask, lanes_right, first + p, 4));
            }
        }
    }
}

/* C tile (rows, cols) = alpha · A rows · Bpanel + beta · C tile. The
 * register tile is always MR × NR (the panel is zero-padded, rows past
 * the end of A point at zeros); only the rows and columns that exist are
 * read and written. Every loop over the tile is unrolled so that the
 * accumulators stay in registers. */
__attribute__ ((target ("avx512f")))
static void
kernel (int          kc,
        const float *a_rows[MR],
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
          __m512 ai = _mm512_set1_ps (a_rows[i][p]);

          left[i] = _mm512_fmadd_ps (ai, b0, left[i]);
          right[i] = _mm512_fmadd_ps (ai, b1, right[i]);
        }
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
  float *b_block = b_block_get ();

  for (int jc = 0; jc < n; jc += NC)
    {
      int nc = MIN (NC, n - jc);

      for (int pc = 0; pc < k; pc += KC)
        {
          int kc = MIN (KC, k - pc);
          /* the first block of depth applies beta; the others add to it */
          float block_beta = pc == 0 ? beta : 1.0f;

          pack_b (b_block, trans_b ? b + (gsize) jc * ldb + pc : b + (gsize) pc * ldb + jc,
                  ldb, trans_b, kc, nc);
          /* MC rows of A stay in L2 while every panel of B meets them; one
           * panel of B stays in L1 while the rows pass through it */
          for (int ic = 0; ic < m; ic += MC)
            for (int jr = 0; jr < nc; jr += NR)
              for (int ir = ic; ir < MIN (m, ic + MC); ir += MR)
                {
                  const float *a_rows[MR];

                  for (int i = 0; i < MR; i++)
                    a_rows[i] = ir + i < m ? a + (gsize) (ir + i) * lda + pc : zero_row;
                  kernel (kc, a_rows, b_block + (gsize) jr * kc, c + (gsize) ir * ldc + jc + jr, ldc,
                          MIN (MR, m - ir), MIN (NR, nc - jr), alpha, block_beta);
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
