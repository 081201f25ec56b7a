/* bench-tflite.c: images per second of the TensorFlow Lite interpreter,
 * the uint8 path or the float path, on one image repeated.
 *
 *   OPENBLAS_NUM_THREADS=T bench-tflite MODEL.tflite IMAGE N [uint8|float] [BATCH]
 *
 * Each of N runs invokes the graph BATCH times (default 1; the graphs take
 * one image, so a batch is that many invokes in a row). Prints the top
 * class index, the median seconds per image over the N runs and images/s.
 * The thread count is the engine's (vt-parallel.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  g_autofree float *input_float = NULL;
  g_autofree double *seconds = NULL;
  const VtTfliteTensor *out;
  gboolean use_float;
  int n, batch = argc > 5 ? atoi (argv[5]) : 1;
  guint best = 0;

  if (argc < 4 || argc > 6 || (n = atoi (argv[3])) < 1 || batch < 1 ||
      (argc > 4 && strcmp (argv[4], "uint8") != 0 && strcmp (argv[4], "float") != 0))
    {
      fprintf (stderr, "usage: %s MODEL.tflite IMAGE N [uint8|float] [BATCH]\n", argv[0]);
      return 2;
    }
  use_float = argc > 4 && strcmp (argv[4], "float") == 0;
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
  input_float = vt_tflite_interpreter_dequantize_input (interpreter, input);
  seconds = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      gint64 start = g_get_monotonic_time ();

      for (int b = 0; b < batch; b++)
        if (!use_float)
          vt_tflite_interpreter_invoke (interpreter, input);
        else if (!vt_tflite_interpreter_invoke_float (interpreter, input_float, &error))
          {
            fprintf (stderr, "%s\n", error->message);
            return 1;
          }
      seconds[i] = (g_get_monotonic_time () - start) / 1e6 / batch;
    }
  out = &model->tensors[model->outputs[0]];
  if (use_float)
    {
      const float *values = vt_tflite_interpreter_get_output_float (interpreter, 0);
      for (gsize i = 1; i < out->numel; i++)
        if (values[i] > values[best])
          best = (guint) i;
    }
  else
    {
      const guint8 *values = vt_tflite_interpreter_get_output (interpreter, 0, &out);
      for (gsize i = 1; i < out->numel; i++)
        if (values[i] > values[best])
          best = (guint) i;
    }
  qsort (seconds, n, sizeof (double), compare);
  printf ("%s threads %d batch %d top1 %u median %.4f s/image %.2f images/s (%.0f M multiply-adds)\n",
          use_float ? "float" : "uint8", vt_parallel_threads (), batch, best, seconds[n / 2], 1.0 / seconds[n / 2],
          vt_tflite_interpreter_get_cost (interpreter) / 1e6);
  return 0;
}
