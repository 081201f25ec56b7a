/* bench-tflite.c: images per second of the uint8 TensorFlow Lite
 * interpreter on one image, repeated.
 *
 *   OPENBLAS_NUM_THREADS=T bench-tflite MODEL.tflite IMAGE N
 *
 * Prints the top class index, the median seconds per image over N runs
 * and images/s. The thread count is the engine's (vt-parallel.h). */
#include <stdio.h>
#include <stdlib.h>

#include "core/vt-parallel.h"
#include "models/vt-tflite-interpreter.h"

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(VtTfliteModel) model = NULL;
  g_autoptr(VtTfliteInterpreter) interpreter = NULL;
  g_autoptr(VtImage) image = NULL;
  g_autofree guint8 *input = NULL;
  g_autofree double *seconds = NULL;
  const VtTfliteTensor *out;
  const guint8 *values;
  int n;
  guint best = 0;

  if (argc != 4 || (n = atoi (argv[3])) < 1)
    {
      fprintf (stderr, "usage: %s MODEL.tflite IMAGE N\n", argv[0]);
      return 2;
    }
  if (!(file = g_mapped_file_new (argv[1], FALSE, &error)) ||
      !(model = vt_tflite_parse ((const guint8 *) g_mapped_file_get_contents (file),
                                 g_mapped_file_get_length (file), argv[1], &error)) ||
      !(interpreter = vt_tflite_interpreter_new (model, argv[1], &error)) ||
      !(image = vt_image_load (argv[2], &error)) ||
      !(input = vt_tflite_interpreter_preprocess (interpreter, image, &error)))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  seconds = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();
      vt_tflite_interpreter_invoke (interpreter, input);
      seconds[i] = (g_get_monotonic_time () - start) / 1e6;
    }
  values = vt_tflite_interpreter_get_output (interpreter, 0, &out);
  for (gsize i = 1; i < out->numel; i++)
    if (values[i] > values[best])
      best = (guint) i;
  qsort (seconds, n, sizeof (double), compare);
  printf ("threads %d top1 %u median %.3f s/image %.2f images/s (%.0f M multiply-adds)\n",
          vt_parallel_threads (), best, seconds[n / 2], 1.0 / seconds[n / 2],
          vt_tflite_interpreter_get_cost (interpreter) / 1e6);
  return 0;
}
