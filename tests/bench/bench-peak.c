/* bench-peak.c: this core's single-precision FMA peak, in GFLOP/s.
 *
 * Independent chains of fused multiply-adds, more than the FMA latency
 * times the units so the units never wait and few enough to stay in
 * registers (16 of AVX-512's 32, 12 of AVX2's 16), 16 lanes wide with
 * AVX-512 and 8 with AVX2, a multiply-add counted as 2. Prints one JSON
 * line; forward.sh reads "best". A benchmark, not a test. */
#include <glib.h>
#include <stdio.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define CHAINS 16
#define CHAINS_AVX2 12
#define ROUNDS 100000000L

__attribute__ ((target ("avx512f")))
static double
avx512_peak (void)
{
  __m512 acc[CHAINS], x = _mm512_set1_ps (0.999999f), y = _mm512_set1_ps (1e-7f);
  float lanes[16];
  gint64 start;

  for (int i = 0; i < CHAINS; i++)
    acc[i] = _mm512_set1_ps ((float) i);
  start = g_get_monotonic_time ();
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++)
      acc[i] = _mm512_fmadd_ps (acc[i], x, y);
  for (int i = 1; i < CHAINS; i++)
    acc[0] = _mm512_add_ps (acc[0], acc[i]);
  _mm512_storeu_ps (lanes, acc[0]);
  /* the sum is printed nowhere but keeps the loop from being dropped */
  if (lanes[0] == 12345.0f)
    g_print (" ");
  return 2.0 * 16 * CHAINS * ROUNDS / ((g_get_monotonic_time () - start) / 1e6) / 1e9;
}

__attribute__ ((target ("avx2,fma")))
static double
avx2_peak (void)
{
  __m256 acc[CHAINS_AVX2], x = _mm256_set1_ps (0.999999f), y = _mm256_set1_ps (1e-7f);
  float lanes[8];
  gint64 start;

  for (int i = 0; i < CHAINS_AVX2; i++)
    acc[i] = _mm256_set1_ps ((float) i);
  start = g_get_monotonic_time ();
  for (long r = 0; r < ROUNDS; r++)
#pragma GCC unroll 12
    for (int i = 0; i < CHAINS_AVX2; i++)
      acc[i] = _mm256_fmadd_ps (acc[i], x, y);
  for (int i = 1; i < CHAINS_AVX2; i++)
    acc[0] = _mm256_add_ps (acc[0], acc[i]);
  _mm256_storeu_ps (lanes, acc[0]);
  if (lanes[0] == 12345.0f)
    g_print (" ");
  return 2.0 * 8 * CHAINS_AVX2 * ROUNDS / ((g_get_monotonic_time () - start) / 1e6) / 1e9;
}

int
main (void)
{
  double avx2 = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma") ? avx2_peak () : 0.0;
  double avx512 = __builtin_cpu_supports ("avx512f") ? avx512_peak () : 0.0;

  printf ("{\"avx2\": %.1f, \"avx512\": %.1f, \"best\": %.1f}\n", avx2, avx512, MAX (avx2, avx512));
  return 0;
}
#else
int
main (void)
{
  fprintf (stderr, "bench-peak measures x86-64 FMA units only\n");
  return 1;
}
#endif
