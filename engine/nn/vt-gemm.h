/* vt-gemm.h: single-precision matrix product, on one thread.
 *
 * C (M, N) = alpha · A (M, K) · op(B) + beta · C + bias, row-major, where
 * op(B) is B (K, N) or, with @trans_b, Bᵀ for B (N, K) (nn.Linear's
 * weight), and @bias (N), added to every row, may be NULL. With beta 0, C
 * is not read.
 * On a CPU with AVX-512 it runs our own kernel; elsewhere it is OpenBLAS's
 * cblas_sgemm. The callers spread products over the cores themselves. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What is done to each value v of C once the product is complete, in the
 * same pass over it (a convolution's BatchNorm, residual and ReLU):
 * v · row_scale[i] + row_shift[i] for row i, then + add[i, j] (M × N,
 * @ld_add apart), then max (v, 0) (a NaN stays NaN). Each step is left out
 * where its field is NULL or FALSE; a NULL epilogue is none. */
typedef struct
{
  const float *row_scale;
  const float *row_shift;
  const float *add;
  int          ld_add;
  gboolean     relu;
} VtGemmEpilogue;

void      vt_gemm            (gboolean     trans_b,
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
                              const VtGemmEpilogue *epilogue);

/* Whether vt_gemm runs the AVX-512 kernel on this CPU (for tests and
 * benchmarks to say which one they measured). */
gboolean  vt_gemm_uses_avx512 (void);
/* For tests: the OpenBLAS path even where AVX-512 is there, so that both
 * are checked on one machine. Not while products run. */
void      vt_gemm_force_openblas (gboolean force);

/* Rows of the kernel's register tile: blocks of rows that are a multiple
 * of it waste none of its work. */
#define VT_GEMM_TILE_ROWS 12

/* The same product with op(B) copied beforehand into the layout the kernel
 * reads (vt_gemm_pack), for products that share it: a core that takes
 * several blocks of rows of one product copies B once for all of them.
 * Any number of rows, from 1, may then be multiplied by it
 * (vt_gemm_packed: @a (M, K), @c (M, N)). @packed holds
 * vt_gemm_packed_size floats and is 64-byte aligned (g_aligned_alloc). */
gsize     vt_gemm_packed_size (int          k,
                               int          n);
void      vt_gemm_pack        (float       *packed,
                               gboolean     trans_b,
                               int          k,
                               int          n,
                               const float *b,
                               int          ldb);
/* Rows [first_row, first_row + rows) of B (K, N), from @src (row-major,
 * @ld_src apart): for a B that is made row by row (a convolution's
 * im2col), straight into the layout. */
void      vt_gemm_pack_rows   (float       *packed,
                               int          k,
                               int          n,
                               int          first_row,
                               int          rows,
                               const float *src,
                               int          ld_src);
void      vt_gemm_packed      (int          m,
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
                               const VtGemmEpilogue *epilogue);

/* The epilogue of the block of C that starts at row @row, column @col, in
 * @block (which it returns; NULL for none). */
const VtGemmEpilogue *vt_gemm_epilogue_at (const VtGemmEpilogue *epilogue,
                                           int                   row,
                                           int                   col,
                                           VtGemmEpilogue       *block);

G_END_DECLS
