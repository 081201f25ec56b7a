/* vt-blas.c: see vt-blas.h. */
#include "vt-blas.h"

#include <cblas.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *
vt_blas_core (void)
{
  const char *name = openblas_get_corename ();

  return name != NULL ? name : "unknown";
}

/* OpenBLAS 0.3.21's x86-64 cores that have AVX2 kernels. */
static const char *const avx2_cores[] = {
  "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Excavator",
};

const char *
vt_blas_better_core (const char *detected,
                     gboolean    cpu_has_avx2_fma)
{
  if (!cpu_has_avx2_fma)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (avx2_cores); i++)
    if (detected != NULL && g_ascii_strcasecmp (detected, avx2_cores[i]) == 0)
      return NULL;
  return "Haswell";
}

static gboolean
cpu_has_avx2_fma (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
#else
  return FALSE;
#endif
}

void
vt_blas_choose_kernels (char **argv)
{
  const char *better;

  if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    return;
  better = vt_blas_better_core (vt_blas_core (), cpu_has_avx2_fma ());
  if (better == NULL)
    return;
  /* Set before exec, so the new process cannot start again in turn. */
  g_setenv ("OPENBLAS_CORETYPE", better, TRUE);
  execv ("/proc/self/exe", argv);
  /* Still here: carry on with the kernels we have, slower but correct. */
  g_message ("could not restart with OPENBLAS_CORETYPE=%s: %s", better, g_strerror (errno));
}
