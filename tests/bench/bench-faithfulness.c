/* bench-faithfulness.c: the Vitrine side of faithfulness.sh: deletion
 * (zeros) and insertion (blur), 32 steps, and ROAD's accuracy, MoRF and
 * LeRF over 10 … 90 % (noise 0.01 / std_c on normalized pixels, seed 0),
 * through a VtModel, on the images, maps and labels that
 * faithfulness_torch.py prepare wrote.
 *
 *   bench-faithfulness CHECKPOINT INPUTS.safetensors [BATCH [IMAGES]]
 *
 * IMAGES: the first so many (all by default).
 * Prints seconds and results as one JSON line. Threads:
 * OPENBLAS_NUM_THREADS. A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>

#include "io/vt-checkpoint.h"
#include "methods/attribution/vt-faithfulness.h"
#include "methods/attribution/vt-faithfulness-road.h"

static const double imagenet_std[3] = { 0.229, 0.224, 0.225 };

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtCheckpoint) inputs = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtClassifier) classifier = NULL;
  g_autoptr(VtFaithfulnessCurve) deletion = NULL;
  g_autoptr(VtFaithfulnessCurve) insertion = NULL;
  g_autoptr(VtFaithfulnessCurve) morf = NULL;
  g_autoptr(VtFaithfulnessCurve) lerf = NULL;
  g_autofree float *images = NULL;
  g_autofree float *maps = NULL;
  g_autofree gint64 *labels = NULL;
  const VtTensor *t, *l;
  VtFaithfulnessOptions options;
  VtRoadOptions road;
  int n, h, w;
  gint64 start;
  double game_s, road_s;

  if (argc < 3)
    {
      g_printerr ("usage: %s CHECKPOINT INPUTS.safetensors [BATCH [IMAGES]]\n", argv[0]);
      return 2;
    }
  if (!(checkpoint = vt_checkpoint_open (argv[1], &error)) || !(model = vt_model_new (checkpoint, &error)) ||
      !(inputs = vt_checkpoint_open (argv[2], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  t = vt_checkpoint_lookup (inputs, "images");
  l = vt_checkpoint_lookup (inputs, "labels");
  if (t == NULL || l == NULL || vt_checkpoint_lookup (inputs, "maps") == NULL)
    {
      g_printerr ("%s: no images, maps or labels\n", argv[2]);
      return 1;
    }
  n = (int) t->shape[0];
  if (argc > 4)
    n = CLAMP (atoi (argv[4]), 1, n);
  h = (int) t->shape[2];
  w = (int) t->shape[3];
  images = vt_tensor_dup_float (t);
  maps = vt_tensor_dup_float (vt_checkpoint_lookup (inputs, "maps"));
  labels = g_new (gint64, n);
  for (int b = 0; b < n; b++)
    labels[b] = (gint64) vt_dtype_read_double (l->dtype, l->data, b);
  classifier = vt_classifier_new_for_model (model);

  vt_faithfulness_options_init (&options);
  if (argc > 3)
    options.batch_size = atoi (argv[3]);
  start = g_get_monotonic_time ();
  deletion = vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, images, maps, n, h, w, NULL, &options, NULL,
                                  &error);
  options.substrate = VT_FAITHFULNESS_SUBSTRATE_BLUR;
  if (deletion)
    insertion = vt_faithfulness_run (VT_FAITHFULNESS_INSERTION, classifier, images, maps, n, h, w, NULL, &options,
                                     NULL, &error);
  game_s = (g_get_monotonic_time () - start) / 1e6;

  vt_road_options_init (&road);
  road.batch_size = options.batch_size;
  for (int c = 0; c < 3; c++)
    road.noise[c] = 0.01 / imagenet_std[c];
  start = g_get_monotonic_time ();
  if (insertion)
    morf = vt_road_accuracy (VT_ROAD_MORF, classifier, images, maps, n, h, w, labels, &road, NULL, &error);
  if (morf)
    lerf = vt_road_accuracy (VT_ROAD_LERF, classifier, images, maps, n, h, w, labels, &road, NULL, &error);
  road_s = (g_get_monotonic_time () - start) / 1e6;
  if (lerf == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  printf ("{\"n\": %d, \"deletion_insertion_s\": %.3f, \"road_s\": %.3f, \"deletion_auc\": %.6f, "
          "\"insertion_auc\": %.6f, \"road_morf\": [", n, game_s, road_s, deletion->mean_summary,
          insertion->mean_summary);
  for (int j = 0; j < road.n_percentages; j++)
    printf ("%s%.4f", j ? ", " : "", morf->mean[j]);
  printf ("], \"road_lerf\": [");
  for (int j = 0; j < road.n_percentages; j++)
    printf ("%s%.4f", j ? ", " : "", lerf->mean[j]);
  printf ("]}\n");
  return 0;
}
