/* bench-gradient-attribution.c: the gradient attributions of
 * vt-gradient-attribution.h over CIFAR-10 test JPEGs, timed (the Vitrine
 * side of gradient-attribution.sh).
 *
 *   bench-gradient-attribution CHECKPOINT CIFAR10_JPG_DIR N REPEATS [MAX_BATCH]
 *
 * Image i is test/<class i mod 10>/<i / 10, 4 digits>.jpg (classes in
 * CIFAR-10's order), normalized with the checkpoint's preset, as
 * gradient_attribution_torch.py reads them. Each method runs over the N
 * images in one call (targets: the predicted classes; images per forward
 * pass: MAX_BATCH, by default 0, the engine's choice), REPEATS times after a warm-up; prints the median milliseconds
 * per image of each as JSON. Threads: OPENBLAS_NUM_THREADS. A benchmark,
 * not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vt-blas.h"
#include "io/vt-checkpoint.h"
#include "io/vt-image.h"
#include "methods/attribution/vt-gradient-attribution.h"
#include "models/vt-trainable.h"
#include "vt-bench-util.h"

static const char *const classes[] = { "airplane", "automobile", "bird", "cat", "deer",
                                       "dog", "frog", "horse", "ship", "truck" };

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char                  *key;
    VtGradientAttributionMethod  method;
  } runs[] = {
    { "gradient", VT_GRADIENT_ATTRIBUTION_GRADIENT },
    { "gradient_x_input", VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT },
    { "smoothgrad_25", VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD },
    { "ig_gausslegendre_50", VT_GRADIENT_ATTRIBUTION_IG },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(GString) json = g_string_new ("{");
  g_autofree float *pixels = NULL;
  g_autofree float *maps = NULL;
  g_autofree gint64 *targets = NULL;
  g_autofree gint64 *predicted = NULL;
  VtGradientAttributionOptions options;
  VtArchitecture *arch;
  int n, repeats, side = 32;

  vt_blas_choose_kernels (argv);
  if (argc != 5 && argc != 6)
    {
      fprintf (stderr, "usage: bench-gradient-attribution CHECKPOINT CIFAR10_JPG_DIR N REPEATS [MAX_BATCH]\n");
      return 2;
    }
  n = atoi (argv[3]);
  repeats = MAX (atoi (argv[4]), 1);
  if (n < 1 || !(checkpoint = vt_checkpoint_open (argv[1], &error)))
    goto fail;
  arch = vt_architecture_recognize (checkpoint);
  if (!(model = vt_trainable_new (checkpoint, arch, &error)))
    goto fail;
  vt_gradient_attribution_options_init (&options);
  memcpy (options.mean, arch->mean, sizeof options.mean);
  memcpy (options.std, arch->std, sizeof options.std);
  options.max_batch = argc == 6 ? MAX (atoi (argv[5]), 0) : 0;
  pixels = g_new (float, (gsize) n * 3 * side * side);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%04d.jpg", i / 10);
      g_autofree char *path = g_build_filename (argv[2], "test", classes[i % 10], name, NULL);
      VtImage *image = vt_image_load (path, &error);

      if (image == NULL)
        goto fail;
      if (image->width != side || image->height != side)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not %d×%d", path, side, side);
          vt_image_free (image);
          goto fail;
        }
      vt_image_to_tensor (image, options.mean, options.std, pixels + (gsize) i * 3 * side * side);
      vt_image_free (image);
    }
  maps = g_new (float, (gsize) n * side * side);
  targets = g_new (gint64, n);
  predicted = g_new (gint64, n);
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

      for (int k = 0; k <= repeats; k++)
        {
          double seconds;

          if (!vt_gradient_attribute (model, runs[r].method, &options, pixels, n, side, side, NULL, maps, targets,
                                      predicted, NULL, &seconds, NULL, &error))
            goto fail;
          if (k > 0)   /* the first is a warm-up */
            g_array_append_val (times, seconds);
        }
      g_string_append_printf (json, "%s\"%s_ms\": %.4f", r ? ", " : "", runs[r].key,
                              1000 * vt_bench_median (times) / n);
    }
  g_string_append (json, "}");
  puts (json->str);
  return 0;

fail:
  fprintf (stderr, "bench-gradient-attribution: %s\n", error ? error->message : "bad arguments");
  return 1;
}
