/* vt-simd.h: building a hot loop for AVX2 as well.
 *
 * VT_AVX2_CLONES before a function has GCC build it twice, for AVX2 and
 * for plain x86-64, and pick the copy at load time by what the CPU has
 * (an ifunc). The loops it is meant for keep one running sum per lane, so
 * both copies add in the same order and give the same result. Without
 * GCC on x86-64 (clang, other CPUs) it is nothing: one generic copy. */
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VT_AVX2_CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define VT_AVX2_CLONES
#endif
