/* pretend-prescott.c: preloaded into vitrine by test-batch, this makes
 * OpenBLAS seem to have chosen Prescott, as 0.3.21 does on CPUs newer than
 * itself, until OPENBLAS_CORETYPE is set; then it answers what OpenBLAS
 * really chose. So the test sees the binary start itself again. */
#include <dlfcn.h>
#include <stdlib.h>

char *openblas_get_corename (void);

char *
openblas_get_corename (void)
{
  char *(*real) (void) = (char *(*) (void)) dlsym (RTLD_NEXT, "openblas_get_corename");

  if (getenv ("OPENBLAS_CORETYPE") == NULL)
    return (char *) "Prescott";
  return real ();
}
