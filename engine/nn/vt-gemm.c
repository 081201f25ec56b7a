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
               const float *bias,
               float       *c,
               int          ldc)
{
  if (bias != NULL)
    {
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
          c[(gsize) i * ldc + j] = bias[j] + (beta != 0.0f ? beta * c[(gsize) i * ldc + j] : 0.0f);
      beta = 1.0f;
    }
  /* One row (a classifier head on one image) is a matrix-vector product:
   * sgemm would first copy all of B, 8 MB for ResNet-50's head. */
  if (m == 1)
    cblas_sgemv (CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, trans_b ? n : k, trans_b ? k : n,
                 alpha, b, ldb, a, 1, beta, c, 1);
  else
    cblas_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                 alpha, a, lda, b, ldb, beta, c, ldc);
}

/* The epilogue on C (m, n) as a pass of its own, for the OpenBLAS path;
 * the same operations in the same order as the kernel's. */
static void
apply_epilogue (const VtGemmEpilogue *e,
                int                   m,
                int                   n,
                float                *c,
                int                   ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        float v = c[(gsize) i * ldc + j];

        if (e->row_scale != NULL)
          v = v * e->row_scale[i];
        if (e->row_shift != NULL)
          v = v + e->row_shift[i];
        if (e->add != NULL)
          v = v + e->add[(gsize) i * e->ld_add + j];
        if (e->relu)
          v = v < 0.0f ? 0.0f : v;
        c[(gsize) i * ldc + j] = v;
      }
}

const VtGemmEpilogue *
vt_gemm_epilogue_at (const VtGemmEpilogue *epilogue,
                     int                   row,
                     int                   col,
                     VtGemmEpilogue       *block)
{
  if (epilogue == NULL)
    return NULL;
  *block = *epilogue;
  if (block->row_scale != NULL)
    block->row_scale += row;
  if (block->row_shift != NULL)
    block->row_shift += row;
  if (block->add != NULL)
    block->add += (gsize) row * block->ld_add + col;
  return block;
}

#if VT_GEMM_AVX512

#define MR VT_GEMM_TILE_ROWS
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

/* The lanes of a 16-float half of a panel that hold columns, for a
 * panel or tile of @cols columns counted from the half's start. */
static inline __mmask16
half_mask (int cols)
{
  return cols >= 16 ? 0xffff : cols > 0 ? (__mmask16) ((1u << cols) - 1) : 0;
}

/* One row of a panel: @cols values of @row (up to NR) into @dst, zeros
 * after them. */
__attribute__ ((target ("avx512f")))
static inline void
copy_panel_row (float       *dst,
                const float *row,
                int          cols)
{
  _mm512_store_ps (dst, _mm512_maskz_loadu_ps (half_mask (cols), row));
  _mm512_store_ps (dst + 16, _mm512_maskz_loadu_ps (half_mask (cols - 16), row + 16));
}

/* What the rows of a tile past the end of A read. */
static const float zero_row[KC];

/* r[i][j] → r[j][i] for a 16 × 16 block: pairs of rows interleaved by
 * 32 bits, then by 64 bits (r[4g + c] then holds, in 128-bit lane L,
 * rows 4g … 4g+3 of column 4L + c), then 128-bit lanes gathered twice. */
__attribute__ ((target ("avx512f")))
static inline void
transpose_16x16 (__m512 r[16])
{
  __m512 t[16];

  for (int i = 0; i < 8; i++)
    {
      t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
    }
  for (int g = 0; g < 4; g++)
    {
      __m512d a = _mm512_castps_pd (t[4 * g]), b = _mm512_castps_pd (t[4 * g + 1]);
      __m512d c = _mm512_castps_pd (t[4 * g + 2]), d = _mm512_castps_pd (t[4 * g + 3]);

      r[4 * g] = _mm512_castpd_ps (_mm512_unpacklo_pd (a, c));
      r[4 * g + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (a, c));
      r[4 * g + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (b, d));
      r[4 * g + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (b, d));
    }
  for (int c = 0; c < 4; c++)
    {
      /* lanes 0 and 2, and 1 and 3, of rows 0-3 with rows 4-7, and of rows 8-11 with 12-15 */
      __m512 even_low = _mm512_shuffle_f32x4 (r[c], r[4 + c], 0x88);
      __m512 odd_low = _mm512_shuffle_f32x4 (r[c], r[4 + c], 0xdd);
      __m512 even_high = _mm512_shuffle_f32x4 (r[8 + c], r[12 + c], 0x88);
      __m512 odd_high = _mm512_shuffle_f32x4 (r[8 + c], r[12 + c], 0xdd);

      t[c] = _mm512_shuffle_f32x4 (even_low, even_high, 0x88);
      t[8 + c] = _mm512_shuffle_f32x4 (even_low, even_high, 0xdd);
      t[4 + c] = _mm512_shuffle_f32x4 (odd_low, odd_high, 0x88);
      t[12 + c] = _mm512_shuffle_f32x4 (odd_low, odd_high, 0xdd);
    }
  for (int i = 0; i < 16; i++)
    r[i] = t[i];
}

/* op(B) (kc, nc) → panels of NR columns, each stored k-major (NR values
 * per k), zero-padded. @b points at op(B)'s element (0, 0): row-major
 * (K, N) as is, or (N, K) read transposed. The copy of a row is two
 * vectors (a memcpy call of 128 bytes cost more than the product here);
 * a transposed B is read along its rows, 16 × 16 at a time, and
 * transposed in registers (gathers across rows were a sixth of ViT-S/16's
 * time at batch 1, its weights coming from memory). */
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

      if (!trans_b)
        for (int p = 0; p < kc; p++)
          copy_panel_row (panel + (gsize) p * NR, b + p * ldb + left, cols);
      else
        for (int half = 0; half < 2; half++)
          {
            int rows = CLAMP (cols - 16 * half, 0, 16);
            const float *top = b + (gsize) (left + 16 * half) * ldb;

            for (int p0 = 0; p0 < kc; p0 += 16)
              {
                int depth = MIN (16, kc - p0);
                __mmask16 depth_mask = half_mask (depth);
                __m512 r[16];

#pragma GCC unroll 16
                for (int i = 0; i < 16; i++)
                  r[i] = i < rows ? _mm512_maskz_loadu_ps (depth_mask, top + (gsize) i * ldb + p0)
                                  : _mm512_setzero_ps ();
                transpose_16x16 (r);
#pragma GCC unroll 16
                for (int q = 0; q < 16; q++)
                  if (q < depth)
                    _mm512_store_ps (panel + (gsize) (p0 + q) * NR + 16 * half, r[q]);
              }
          }
    }
}

/* C tile (rows, cols) = alpha · A rows · Bpanel + beta · C tile (+ bias,
 * one value per column, when not NULL), then the epilogue @e (offset to
 * the tile) when not NULL. The register tile is always
 * MR × NR (the panel is zero-padded, rows past the end of A point at
 * zeros); only the rows and columns that exist are read and written.
 * Every loop over the tile is unrolled so that the accumulators stay in
 * registers. */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
kernel_of (const int    mr,      /* rows of the tile that are computed: 4, 8 or MR */
           const int    halves,  /* its 16-column halves that are: 1 or 2 */
           int          kc,
           const float *a_rows[MR],
           const float *b_panel,
           float       *c,
           gsize        ldc,
           int          rows,
           int          cols,
           float        alpha,
           float        beta,
           const float *bias,
           const VtGemmEpilogue *e)
{
  __m512 left[MR], right[MR];

#pragma GCC unroll 12
  for (int i = 0; i < mr; i++)
    left[i] = right[i] = _mm512_setzero_ps ();

  for (int p = 0; p < kc; p++)
    {
      __m512 b0 = _mm512_load_ps (b_panel);
      __m512 b1 = halves == 2 ? _mm512_load_ps (b_panel + 16) : _mm512_setzero_ps ();

#pragma GCC unroll 12
      for (int i = 0; i < mr; i++)
        {
          __m512 ai = _mm512_set1_ps (a_rows[i][p]);

          left[i] = _mm512_fmadd_ps (ai, b0, left[i]);
          if (halves == 2)
            right[i] = _mm512_fmadd_ps (ai, b1, right[i]);
        }
      b_panel += NR;
    }

  __mmask16 left_mask = half_mask (cols);
  __mmask16 right_mask = half_mask (cols - 16);
  __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);
  __m512 bias_left = _mm512_setzero_ps (), bias_right = _mm512_setzero_ps ();

  if (bias != NULL)
    {
      bias_left = _mm512_maskz_loadu_ps (left_mask, bias);
      bias_right = _mm512_maskz_loadu_ps (right_mask, bias + 16);
    }

#pragma GCC unroll 12
  for (int i = 0; i < mr; i++)
    if (i < rows)
      {
        float *row = c + i * ldc;
        __m512 r0 = _mm512_fmadd_ps (va, left[i], bias_left);
        __m512 r1 = _mm512_fmadd_ps (va, right[i], bias_right);

        /* beta 0 must not read C: it may hold anything, NaN included */
        if (beta != 0.0f)
          {
            r0 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (left_mask, row), r0);
            r1 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (right_mask, row + 16), r1);
          }
        if (e != NULL)
          {
            if (e->row_scale != NULL)
              {
                r0 = _mm512_mul_ps (r0, _mm512_set1_ps (e->row_scale[i]));
                r1 = _mm512_mul_ps (r1, _mm512_set1_ps (e->row_scale[i]));
              }
            if (e->row_shift != NULL)
              {
                r0 = _mm512_add_ps (r0, _mm512_set1_ps (e->row_shift[i]));
                r1 = _mm512_add_ps (r1, _mm512_set1_ps (e->row_shift[i]));
              }
            if (e->add != NULL)
              {
                r0 = _mm512_add_ps (r0, _mm512_maskz_loadu_ps (left_mask, e->add + (gsize) i * e->ld_add));
                r1 = _mm512_add_ps (r1, _mm512_maskz_loadu_ps (right_mask, e->add + (gsize) i * e->ld_add + 16));
              }
            if (e->relu)
              {
                /* max (0, v) gives v where v is NaN (the second operand) */
                r0 = _mm512_max_ps (_mm512_setzero_ps (), r0);
                r1 = _mm512_max_ps (_mm512_setzero_ps (), r1);
              }
          }
        _mm512_mask_storeu_ps (row, left_mask, r0);
        _mm512_mask_storeu_ps (row + 16, right_mask, r1);
      }
}

/* The tile's last rows or columns, when a product's rows or columns are
 * not a multiple of the tile's, leave part of it unused: a narrower
 * kernel does the tail (ResNet's 64 channels are 5 tiles and 4 rows; its
 * 196 pixels 6 panels and 4 columns), instead of the full tile's work. */
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
        float        beta,
        const float *bias,
        const VtGemmEpilogue *e)
{
  if (cols <= 16)
    {
      if (rows <= 4)
        kernel_of (4, 1, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
      else if (rows <= 8)
        kernel_of (8, 1, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
      else
        kernel_of (MR, 1, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
    }
  else if (rows <= 4)
    kernel_of (4, 2, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
  else if (rows <= 8)
    kernel_of (8, 2, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
  else
    kernel_of (MR, 2, kc, a_rows, b_panel, c, ldc, rows, cols, alpha, beta, bias, e);
}

/* One block of B (kc × nc, packed) against all rows of A: C += its part,
 * then the epilogue (for the last block of depth; else NULL).
 * MC rows of A stay in L2 while every panel of B meets them; one panel of
 * B stays in L1 while the rows pass through it. */
static void
multiply_block (const float *b_block,
                int          m,
                int          nc,
                int          kc,
                float        alpha,
                const float *a,
                int          lda,
                float        beta,
                const float *bias,
                float       *c,
                int          ldc,
                const VtGemmEpilogue *epilogue)
{
  for (int ic = 0; ic < m; ic += MC)
    for (int jr = 0; jr < nc; jr += NR)
      for (int ir = ic; ir < MIN (m, ic + MC); ir += MR)
        {
          const float *a_rows[MR];
          VtGemmEpilogue tile;

          for (int i = 0; i < MR; i++)
            a_rows[i] = ir + i < m ? a + (gsize) (ir + i) * lda : zero_row;
          kernel (kc, a_rows, b_block + (gsize) jr * kc, c + (gsize) ir * ldc + jr, ldc,
                  MIN (MR, m - ir), MIN (NR, nc - jr), alpha, beta,
                  bias != NULL ? bias + jr : NULL, vt_gemm_epilogue_at (epilogue, ir, jr, &tile));
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
             const float *bias,
             float       *c,
             int          ldc,
             const VtGemmEpilogue *epilogue)
{
  float *b_block = b_block_get ();

  for (int jc = 0; jc < n; jc += NC)
    {
      int nc = MIN (NC, n - jc);
      VtGemmEpilogue columns;

      for (int pc = 0; pc < k; pc += KC)
        {
          int kc = MIN (KC, k - pc);

          pack_b (b_block, trans_b ? b + (gsize) jc * ldb + pc : b + (gsize) pc * ldb + jc,
                  ldb, trans_b, kc, nc);
          /* the first block of depth applies beta and the bias, the last
           * the epilogue; the others add to it */
          multiply_block (b_block, m, nc, kc, alpha, a + pc, lda, pc == 0 ? beta : 1.0f,
                          pc == 0 && bias != NULL ? bias + jc : NULL, c + jc, ldc,
                          pc + kc == k ? vt_gemm_epilogue_at (epilogue, 0, jc, &columns) : NULL);
        }
    }
}

/* A packed B (K, N) is the blocks of KC rows that gemm_avx512 copies,
 * one after the other, each with all of its panels: element (p, q) of a
 * block of kc rows is at panel (q / NR) · kc · NR + (p % KC) · NR + q % NR
 * from the block's start, and block b starts at b · KC · (N rounded up to
 * NR). */
static gsize
padded_columns (int n)
{
  return (gsize) (n + NR - 1) / NR * NR;
}

static void
pack_avx512 (float       *packed,
             gboolean     trans_b,
             int          k,
             int          n,
             const float *b,
             int          ldb)
{
  for (int pc = 0; pc < k; pc += KC)
    pack_b (packed + (gsize) pc * padded_columns (n), trans_b ? b + pc : b + (gsize) pc * ldb,
            ldb, trans_b, MIN (KC, k - pc), n);
}

__attribute__ ((target ("avx512f")))
static void
pack_rows_avx512 (float       *packed,
                  int          k,
                  int          n,
                  int          first_row,
                  int          rows,
                  const float *src,
                  int          ld_src)
{
  gsize stride = padded_columns (n);

  for (int p = first_row; p < first_row + rows; p++)
    {
      int pc = p / KC * KC, kc = MIN (KC, k - pc);
      float *dst = packed + (gsize) pc * stride + (gsize) (p - pc) * NR;
      const float *row = src + (gsize) (p - first_row) * ld_src;

      for (int left = 0; left < n; left += NR, dst += (gsize) kc * NR)
        copy_panel_row (dst, row + left, MIN (NR, n - left));
    }
}

static void
gemm_packed_avx512 (int          m,
                    int          n,
                    int          k,
                    float        alpha,
                    const float *a,
                    int          lda,
                    const float *packed,
                    float        beta,
                    const float *bias,
                    float       *c,
                    int          ldc,
                    const VtGemmEpilogue *epilogue)
{
  for (int pc = 0; pc < k; pc += KC)
    multiply_block (packed + (gsize) pc * padded_columns (n), m, n, MIN (KC, k - pc), alpha,
                    a + pc, lda, pc == 0 ? beta : 1.0f, pc == 0 ? bias : NULL, c, ldc,
                    pc + KC >= k ? epilogue : NULL);
}

#endif

static gboolean openblas_forced;

void
vt_gemm_force_openblas (gboolean force)
{
  openblas_forced = force;
}

gboolean
vt_gemm_uses_avx512 (void)
{
#if VT_GEMM_AVX512
  return !openblas_forced && __builtin_cpu_supports ("avx512f");
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
         const float *bias,
         float       *c,
         int          ldc,
         const VtGemmEpilogue *epilogue)
{
#if VT_GEMM_AVX512
  /* A few rows (a classifier head on one image) are a matrix-vector
   * product, bound by reading B; copying B first would only add to it. */
  if (k > 0 && m >= MR / 2 && vt_gemm_uses_avx512 ())
    {
      gemm_avx512 (trans_b, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc, epilogue);
      return;
    }
#endif
  gemm_openblas (trans_b, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc);
  if (epilogue != NULL)
    apply_epilogue (epilogue, m, n, c, ldc);
}

/* Without AVX-512 a packed B is B itself, row-major (K, N), one panel. */

gsize
vt_gemm_packed_size (int k,
                     int n)
{
#if VT_GEMM_AVX512
  if (vt_gemm_uses_avx512 ())
    return (gsize) k * padded_columns (n);
#endif
  return (gsize) k * n;
}

void
vt_gemm_pack (float       *packed,
              gboolean     trans_b,
              int          k,
              int          n,
              const float *b,
              int          ldb)
{
#if VT_GEMM_AVX512
  if (vt_gemm_uses_avx512 ())
    {
      pack_avx512 (packed, trans_b, k, n, b, ldb);
      return;
    }
#endif
  for (int p = 0; p < k; p++)
    for (int q = 0; q < n; q++)
      packed[(gsize) p * n + q] = trans_b ? b[(gsize) q * ldb + p] : b[(gsize) p * ldb + q];
}

void
vt_gemm_pack_rows (float       *packed,
                   int          k,
                   int          n,
                   int          first_row,
                   int          rows,
                   const float *src,
                   int          ld_src)
{
#if VT_GEMM_AVX512
  if (vt_gemm_uses_avx512 ())
    {
      pack_rows_avx512 (packed, k, n, first_row, rows, src, ld_src);
      return;
    }
#endif
  for (int p = 0; p < rows; p++)
    memcpy (packed + (gsize) (first_row + p) * n, src + (gsize) p * ld_src, sizeof (float) * n);
}

void
vt_gemm_packed (int          m,
                int          n,
                int          k,
                float        alpha,
                const float *a,
                int          lda,
                const float *packed,
                float        beta,
                const float *bias,
                float       *c,
                int          ldc,
                const VtGemmEpilogue *epilogue)
{
#if VT_GEMM_AVX512
  if (k > 0 && vt_gemm_uses_avx512 ())
    {
      gemm_packed_avx512 (m, n, k, alpha, a, lda, packed, beta, bias, c, ldc, epilogue);
      return;
    }
#endif
  gemm_openblas (FALSE, m, n, k, alpha, a, lda, packed, n, beta, bias, c, ldc);
  if (epilogue != NULL)
    apply_epilogue (epilogue, m, n, c, ldc);
}
