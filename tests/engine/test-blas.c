/* test-blas.c: which OpenBLAS kernels a CPU should get. OpenBLAS 0.3.21
 * falls back to Prescott (SSE3) on CPUs newer than itself; Vitrine asks for
 * Haswell's AVX2 kernels there, and leaves every other choice alone. */
#include "core/vt-blas.h"

static void
test_better_core (void)
{
  /* A CPU OpenBLAS did not know, that has AVX2 and FMA. */
  g_assert_cmpstr (vt_blas_better_core ("Prescott", TRUE), ==, "Haswell");
  g_assert_cmpstr (vt_blas_better_core ("Core2", TRUE), ==, "Haswell");
  /* AVX kernels but no AVX2 ones. */
  g_assert_cmpstr (vt_blas_better_core ("Sandybridge", TRUE), ==, "Haswell");
  g_assert_cmpstr (vt_blas_better_core (NULL, TRUE), ==, "Haswell");
  /* Cores with AVX2 kernels stay, whatever the spelling. */
  g_assert_null (vt_blas_better_core ("Haswell", TRUE));
  g_assert_null (vt_blas_better_core ("Zen", TRUE));
  g_assert_null (vt_blas_better_core ("SkylakeX", TRUE));
  g_assert_null (vt_blas_better_core ("cooperlake", TRUE));
  g_assert_null (vt_blas_better_core ("SapphireRapids", TRUE));
  /* A CPU without AVX2 keeps what OpenBLAS chose: Haswell's kernels would
   * not run on it. */
  g_assert_null (vt_blas_better_core ("Prescott", FALSE));
  g_assert_null (vt_blas_better_core ("Nehalem", FALSE));
}

static void
test_core_name (void)
{
  g_assert_nonnull (vt_blas_core ());
  g_assert_cmpstr (vt_blas_core (), !=, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/blas/better-core", test_better_core);
  g_test_add_func ("/engine/blas/core-name", test_core_name);
  return g_test_run ();
}
