/* bench-extract.c: images per second of Vitrine's extraction pipeline on a
 * dataset, and of the model alone on the same input.
 *
 *   bench-extract CHECKPOINT DATASET SPLIT|- RESIZE|- INTERPOLATION|- BATCH
 *
 * "pipeline": vt_extract_features over the whole dataset (decode, transform
 * and model, as a user runs it). "forward": the model alone on the first
 * batch of those samples, already transformed, run again and again; the
 * rate the pipeline would reach if decoding cost nothing (timed over up to 10 s of batches). RESIZE and INTERPOLATION override the model's preset ("-" keeps
 * it). Prints one JSON line with both rates and the peak RSS. A benchmark,
 * not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "features/vt-extractor.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree float *pixels = NULL;
  VtDatasetOptions dataset_options = { NULL, FALSE };
  VtExtractOptions options = { 0 };
  VtTransform t;
  struct rusage usage;
  gint64 start;
  double pipeline_s, forward_s;
  guint batch, n_batches = 0;

  if (argc != 7)
    {
      g_printerr ("usage: %s CHECKPOINT DATASET SPLIT|- RESIZE|- INTERPOLATION|- BATCH\n", argv[0]);
      return 2;
    }
  dataset_options.split = g_str_equal (argv[3], "-") ? NULL : argv[3];
  batch = (guint) atoi (argv[6]);
  if (!(checkpoint = vt_checkpoint_open (argv[1], &error)) ||
      !(model = vt_model_new (checkpoint, &error)) ||
      !(dataset = vt_dataset_open (argv[2], &dataset_options, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  vt_transform_init_from_architecture (&t, vt_model_get_architecture (model));
  if (!g_str_equal (argv[4], "-"))
    t.resize_size = atoi (argv[4]);
  if (!g_str_equal (argv[5], "-"))
    t.interpolation = g_str_equal (argv[5], "bicubic") ? VT_RESAMPLE_BICUBIC : VT_RESAMPLE_BILINEAR;

  options.batch_size = batch;
  start = g_get_monotonic_time ();
  store = vt_extract_features (model, dataset, &t, &options, NULL, &error);
  pipeline_s = (g_get_monotonic_time () - start) / 1e6;
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  pixels = g_new (float, (gsize) batch * 3 * t.crop_size * t.crop_size);
  for (guint i = 0; i < batch; i++)
    {
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, i, &error);
      if (image == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      vt_transform_apply (&t, image, pixels + (gsize) i * 3 * t.crop_size * t.crop_size);
    }
  start = g_get_monotonic_time ();
  for (n_batches = 0; n_batches < 3 || g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC; n_batches++)
    {
      g_autoptr(VtTaps) taps = vt_model_forward (model, pixels, (int) batch, t.crop_size, t.crop_size,
                                                 VT_TAP_OUTPUTS, &error);
      if (taps == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  forward_s = (g_get_monotonic_time () - start) / 1e6;
  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"samples\": %u, \"pipeline_images_per_second\": %.1f, \"forward_images_per_second\": %.1f, "
          "\"peak_rss_mb\": %.1f}\n", dataset->n_samples, dataset->n_samples / pipeline_s,
          (double) n_batches * batch / forward_s, usage.ru_maxrss / 1024.0);
  return 0;
}
