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
                              int          ldc);

/* Whether vt_gemm runs the AVX-512 kernel on this CPU (for tests and
 * benchmarks to say which one they measured). */
gboolean  vt_gemm_uses_avx512 (void);

G_END_DECLS
