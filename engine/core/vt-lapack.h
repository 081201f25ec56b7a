/* vt-lapack.h: the few LAPACK routines the engine calls, from OpenBLAS
 * (which carries LAPACK), declared here in their Fortran form. Matrices are
 * column-major; a symmetric matrix is its own transpose, so row-major
 * callers pass it unchanged. Each wrapper returns LAPACK's info: 0 on
 * success, > 0 when the matrix is singular (gesv) or not positive definite
 * (posv). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Solves A X = B for X, A (n, n) by LU with partial pivoting (what
 * numpy.linalg.solve calls). A is overwritten; B (n, nrhs), column-major,
 * becomes X. */
int  vt_lapack_gesv  (int      n,
                      int      nrhs,
                      double  *a,
                      double  *b);
/* The same for a symmetric positive definite A, by Cholesky. */
int  vt_lapack_posv  (int      n,
                      int      nrhs,
                      double  *a,
                      double  *b);
/* vt_lapack_posv in blocks of columns, checking @cancellable between them,
 * so that even n = 10,000 stops within milliseconds of a Cancel; returns
 * VT_LAPACK_CANCELLED then (A and B are left half done). Only the lower
 * triangle of A is read. */
#define VT_LAPACK_CANCELLED G_MININT
int  vt_lapack_posv_cancellable (int            n,
                                 int            nrhs,
                                 double        *a,
                                 double        *b,
                                 GCancellable  *cancellable);
/* vt_lapack_gesv in the same way: LU with partial pivoting by blocks of
 * columns (LAPACK's dgetrf on each panel), the trailing update and the
 * triangular solves by blocks, @cancellable checked between them. */
int  vt_lapack_gesv_cancellable (int            n,
                                 int            nrhs,
                                 double        *a,
                                 double        *b,
                                 GCancellable  *cancellable);
/* The @k largest eigenvalues of the symmetric A (n, n), ascending, into
 * @values (k), and their eigenvectors into @vectors (n, k), column-major:
 * vector j is vectors[j * n .. j * n + n). A is destroyed. By dsyevr (MRRR). */
int  vt_lapack_syevr_top (int      n,
                          int      k,
                          double  *a,
                          double  *values,
                          double  *vectors);

G_END_DECLS
