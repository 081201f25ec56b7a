/* bench-forward.c: images per second of Vitrine's forward pass.
 *
 *   bench-forward CHECKPOINT SIZE BATCH REPEATS
 *
 * Random normalized input; one warm-up pass, then REPEATS timed passes;
 * prints the median images/s, the fastest pass's (for comparing builds on
 * a shared machine, whose other tenants slow some passes) and the peak RSS
 * as one JSON line. A benchmark, not a test: it never fails on time. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "models/vt-model.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autofree float *pixels = NULL;
  g_autofree double *seconds = NULL;
  g_autoptr(GRand) rng = g_rand_new_with_seed (5);
  struct rusage usage;
  int size, batch, repeats;

  if (argc != 5)
    {
      g_printerr ("usage: %s CHECKPOINT SIZE BATCH REPEATS\n", argv[0]);
      return 2;
    }
  size = atoi (argv[2]);
  batch = atoi (argv[3]);
  repeats = atoi (argv[4]);
  checkpoint = vt_checkpoint_open (argv[1], &error);
  if (checkpoint)
    model = vt_model_new (checkpoint, &error);
  if (model == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  pixels = g_new (float, (gsize) batch * 3 * size * size);
  for (gsize i = 0; i < (gsize) batch * 3 * size * size; i++)
    pixels[i] = (float) g_rand_double_range (rng, -2.0, 2.0);
  seconds = g_new (double, repeats);

  for (int r = -1; r < repeats; r++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(VtTaps) taps = vt_model_forward (model, pixels, batch, size, size, VT_TAP_OUTPUTS, &error);

      if (taps == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      if (r >= 0)
        seconds[r] = (g_get_monotonic_time () - start) / 1e6;
    }
  qsort (seconds, repeats, sizeof (double), compare_doubles);
  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"images_per_second\": %.3f, \"best_images_per_second\": %.3f, \"peak_rss_mb\": %.1f}\n",
          batch / seconds[repeats / 2], batch / seconds[0], usage.ru_maxrss / 1024.0);
  return 0;
}
