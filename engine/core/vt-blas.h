/* vt-blas.h: which OpenBLAS kernels this process runs, and getting good
 * ones on CPUs that OpenBLAS 0.3.21 does not know.
 *
 * OpenBLAS picks its kernels (its "core") when the library loads, from the
 * CPU's model number. On a CPU newer than the library (an Intel Xeon of the
 * Sapphire Rapids class, for Debian 12's 0.3.21) it falls back to Prescott,
 * SSE3 kernels at a fraction of the machine, unless OPENBLAS_CORETYPE says
 * otherwise. The variable is read before main() runs, so setting it means
 * starting the program again: vt_blas_choose_kernels() does that. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The core OpenBLAS chose for this process, e.g. "Haswell", "Zen". */
const char *vt_blas_core (void);

/* What OPENBLAS_CORETYPE should be for a CPU with these features whose
 * cores OpenBLAS detected as @detected, or NULL to leave it be: "Haswell"
 * (AVX2 and FMA, which OpenBLAS runs well everywhere) when the CPU has
 * both but @detected has no AVX2 kernels. Only the name is looked at. */
const char *vt_blas_better_core (const char *detected,
                                 gboolean    cpu_has_avx2_fma);

/* Starts the program again (same executable, same arguments) with
 * OPENBLAS_CORETYPE set, when vt_blas_better_core() says the kernels
 * chosen are poor for this CPU and the variable is not set already (a
 * value the user set is theirs). Call it first thing in main(). Returns
 * only when it did not start again, or when that failed. */
void        vt_blas_choose_kernels (char **argv);

G_END_DECLS
