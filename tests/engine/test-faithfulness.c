/* test-faithfulness.c: deletion and insertion (vt-faithfulness.h), ROAD
 * (vt-faithfulness-road.h, vt-road-imputation.h) and the localization
 * metrics (vt-faithfulness-localization.h) against the plain numpy, scipy
 * and scikit-learn implementations in
 * tests/reference/make_faithfulness_fixture.py, on its random images and
 * maps and its fixed linear classifier, run here through the classifier
 * callback: every value within 1e-6, the largest difference printed. The
 * ROAD imputation of a 32 × 32 image with 90 % of its pixels removed is
 * within 1e-6 of scipy's spsolve. Also: ties (a constant map goes in pixel
 * order), empty masks, the errors for bad steps, percentages, maps and
 * masks, Cancel, and the wrappers of a VtModel and a VtTrainable on the
 * real CIFAR ResNet-20. */
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "methods/attribution/vt-faithfulness.h"
#include "methods/attribution/vt-faithfulness-localization.h"
#include "methods/attribution/vt-faithfulness-road.h"
#include "methods/attribution/vt-map-rank.h"
#include "methods/attribution/vt-road-imputation.h"
#include "models/vt-architecture.h"
#include "vt-test-util.h"

#define TOLERANCE 1e-6

typedef struct
{
  VtCheckpoint *fixture;
  float        *images;
  float        *maps;
  float        *masks;
  gint64       *labels;
  gint64       *targets;
  gint64       *predicted;
  int           n, height, width;
  /* The linear classifier: logits = weight · x + bias. */
  float        *weight;
  float        *bias;
  int           classes;
  float        *logits;
  int           calls;
} Fixture;

static void
fixture_free (Fixture *f)
{
  vt_checkpoint_unref (f->fixture);
  g_free (f->images);
  g_free (f->maps);
  g_free (f->masks);
  g_free (f->labels);
  g_free (f->targets);
  g_free (f->predicted);
  g_free (f->weight);
  g_free (f->bias);
  g_free (f->logits);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

static const VtTensor *
tensor (Fixture    *f,
        const char *name)
{
  const VtTensor *t = vt_checkpoint_lookup (f->fixture, name);

  if (t == NULL)
    g_error ("the fixture has no tensor “%s”", name);
  return t;
}

static gint64 *
read_classes (Fixture    *f,
              const char *name)
{
  const VtTensor *t = tensor (f, name);
  gint64 *out = g_new (gint64, t->numel);

  for (gsize i = 0; i < t->numel; i++)
    out[i] = (gint64) vt_dtype_read_double (t->dtype, t->data, i);
  return out;
}

static double
read_value (const VtTensor *t,
            gsize           i)
{
  return vt_dtype_read_double (t->dtype, t->data, i);
}

static const char *
metadata (Fixture    *f,
          const char *key)
{
  const char *value = g_hash_table_lookup (vt_checkpoint_get_metadata (f->fixture), key);

  g_assert_nonnull (value);
  return value;
}

static Fixture *
fixture_open (void)
{
  g_autofree char *path = vt_test_fixture ("attribution/faithfulness-metrics.safetensors");
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);
  const VtTensor *images;

  f->fixture = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  images = tensor (f, "images");
  f->n = (int) images->shape[0];
  f->height = (int) images->shape[2];
  f->width = (int) images->shape[3];
  f->images = vt_tensor_dup_float (images);
  f->maps = vt_tensor_dup_float (tensor (f, "maps"));
  f->masks = vt_tensor_dup_float (tensor (f, "masks"));
  f->labels = read_classes (f, "labels");
  f->targets = read_classes (f, "targets");
  f->predicted = read_classes (f, "predicted");
  f->weight = vt_tensor_dup_float (tensor (f, "classifier.weight"));
  f->bias = vt_tensor_dup_float (tensor (f, "classifier.bias"));
  f->classes = (int) tensor (f, "classifier.bias")->numel;
  return f;
}

/* The fixture's classifier, in double as the script computes it, handed
 * back as float32. */
static const float *
linear_logits (gpointer      user_data,
               const float  *pixels,
               int           batch,
               int           height,
               int           width,
               int          *n_classes,
               GError      **error)
{
  Fixture *f = user_data;
  gsize d = (gsize) 3 * height * width;

  g_assert_cmpint (height, ==, f->height);
  g_assert_cmpint (width, ==, f->width);
  g_free (f->logits);
  f->logits = g_new (float, (gsize) batch * f->classes);
  for (int b = 0; b < batch; b++)
    for (int k = 0; k < f->classes; k++)
      {
        double sum = f->bias[k];

        for (gsize i = 0; i < d; i++)
          sum += (double) f->weight[k * d + i] * pixels[b * d + i];
        f->logits[b * f->classes + k] = (float) sum;
      }
  *n_classes = f->classes;
  f->calls++;
  return f->logits;
}

static VtClassifier *
linear_classifier (Fixture *f)
{
  return vt_classifier_new (linear_logits, f, NULL);
}

/* The largest difference between @values (n) and the fixture's @name,
 * NaN matching NaN only. */
static double
compare (Fixture      *f,
         const char   *name,
         const double *values,
         gsize         n)
{
  const VtTensor *ref = tensor (f, name);
  double diff = 0;

  g_assert_cmpuint (ref->numel, ==, n);
  for (gsize i = 0; i < n; i++)
    {
      double r = read_value (ref, i);

      if (isnan (r) || isnan (values[i]))
        {
          g_assert_true (isnan (r) && isnan (values[i]));
          continue;
        }
      diff = MAX (diff, fabs (values[i] - r));
    }
  g_test_message ("%s: largest difference %.3g over %" G_GSIZE_FORMAT " values", name, diff, n);
  g_assert_cmpfloat (diff, <=, TOLERANCE);
  return diff;
}

static void
test_blur (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  double kernel[VT_FAITHFULNESS_BLUR_SIZE];
  gsize image = (gsize) 3 * f->height * f->width;
  g_autofree float *out = g_new (float, image);
  g_autofree double *wide = g_new (double, image);

  vt_faithfulness_blur_kernel (kernel);
  compare (f, "blur.kernel", kernel, VT_FAITHFULNESS_BLUR_SIZE);
  vt_faithfulness_blur (f->images, f->height, f->width, out);
  for (gsize i = 0; i < image; i++)
    wide[i] = out[i];
  compare (f, "blur.image0", wide, image);
}

static void
check_game (Fixture                 *f,
            VtFaithfulnessGame       game,
            VtFaithfulnessSubstrate  substrate)
{
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFaithfulnessCurve) curve = NULL;
  g_autofree char *name = g_strdup_printf ("%s.%s", vt_faithfulness_game_name (game),
                                           vt_faithfulness_substrate_name (substrate));
  g_autofree char *auc = g_strdup_printf ("%s.auc", name);
  g_autofree char *mean_auc = g_strdup_printf ("%s.mean_auc", name);
  VtFaithfulnessOptions options;

  vt_faithfulness_options_init (&options);
  g_assert_cmpint (options.steps, ==, atoi (metadata (f, "steps")));
  options.substrate = substrate;
  /* 6 images in batches of 4 and 2. */
  options.batch_size = 4;
  f->calls = 0;
  curve = vt_faithfulness_run (game, classifier, f->images, f->maps, f->n, f->height, f->width, NULL, &options, NULL,
                               &error);
  g_assert_no_error (error);
  g_assert_cmpint (curve->n_points, ==, options.steps + 1);
  /* Batched: one call per step per batch, and one for the predictions. */
  g_assert_cmpint (f->calls, ==, 2 * (options.steps + 2));
  g_assert_cmpfloat (curve->x[0], ==, 0);
  g_assert_cmpfloat (curve->x[options.steps], ==, 1);
  compare (f, name, curve->values, (gsize) f->n * curve->n_points);
  compare (f, auc, curve->summary, f->n);
  compare (f, mean_auc, &curve->mean_summary, 1);
  g_assert_nonnull (strstr (curve->definition, vt_faithfulness_game_name (game)));
  g_assert_nonnull (strstr (curve->definition, vt_faithfulness_substrate_name (substrate)));
  g_assert_nonnull (strstr (curve->definition, "32 equal steps"));
  g_test_message ("%s", curve->definition);
}

static void
test_deletion_insertion (void)
{
  g_autoptr(Fixture) f = fixture_open ();

  check_game (f, VT_FAITHFULNESS_DELETION, VT_FAITHFULNESS_SUBSTRATE_ZEROS);
  check_game (f, VT_FAITHFULNESS_DELETION, VT_FAITHFULNESS_SUBSTRATE_BLUR);
  check_game (f, VT_FAITHFULNESS_INSERTION, VT_FAITHFULNESS_SUBSTRATE_ZEROS);
  check_game (f, VT_FAITHFULNESS_INSERTION, VT_FAITHFULNESS_SUBSTRATE_BLUR);
}

/* Given targets, and 7 steps over 64 pixels: chunks of 9 and 10. */
static void
test_odd_steps (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFaithfulnessCurve) curve = NULL;
  VtFaithfulnessOptions options;

  vt_faithfulness_options_init (&options);
  options.steps = atoi (metadata (f, "odd_steps"));
  curve = vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, f->images, f->maps, f->n, f->height, f->width,
                               f->targets, &options, NULL, &error);
  g_assert_no_error (error);
  compare (f, "deletion.zeros.targets.steps7", curve->values, (gsize) f->n * curve->n_points);
  g_assert_nonnull (strstr (curve->definition, "target class"));
}

/* A constant map is ranked in pixel order: its curves are those of a map
 * falling with the pixel index. */
static void
test_ties (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_autoptr(GError) error = NULL;
  gsize plane = (gsize) f->height * f->width;
  g_autofree float *flat = g_new (float, plane);
  g_autofree float *ramp = g_new (float, plane);
  g_autofree guint *order = g_new (guint, plane);
  VtFaithfulnessOptions options;
  VtRoadOptions road;

  for (gsize p = 0; p < plane; p++)
    {
      flat[p] = 0.25f;
      ramp[p] = -(float) p;
    }
  g_assert_true (vt_map_rank (flat, plane, 0, order, &error));
  for (gsize p = 0; p < plane; p++)
    g_assert_cmpuint (order[p], ==, p);
  vt_faithfulness_options_init (&options);
  vt_road_options_init (&road);
  for (int game = 0; game < 2; game++)
    {
      g_autoptr(VtFaithfulnessCurve) a = vt_faithfulness_run (game, classifier, f->images, flat, 1, f->height,
                                                              f->width, NULL, &options, NULL, &error);
      g_autoptr(VtFaithfulnessCurve) b = vt_faithfulness_run (game, classifier, f->images, ramp, 1, f->height,
                                                              f->width, NULL, &options, NULL, &error);

      g_assert_no_error (error);
      for (int i = 0; i < a->n_points; i++)
        g_assert_cmpfloat (a->values[i], ==, b->values[i]);
    }
  for (int order_kind = 0; order_kind < 2; order_kind++)
    {
      g_autoptr(VtFaithfulnessCurve) a = vt_road_confidence_change (order_kind, classifier, f->images, flat, 1,
                                                                    f->height, f->width, NULL, &road, NULL, &error);
      g_autoptr(VtFaithfulnessCurve) b = vt_road_confidence_change (order_kind, classifier, f->images, ramp, 1,
                                                                    f->height, f->width, NULL, &road, NULL, &error);

      g_assert_no_error (error);
      for (int i = 0; i < a->n_points; i++)
        g_assert_cmpfloat (a->values[i], ==, b->values[i]);
    }
}

/* 90 % of a 32 × 32 image removed (922 unknowns): conjugate gradients
 * against scipy's spsolve. */
static void
test_road_imputation (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(GError) error = NULL;
  const VtTensor *removed_ref = tensor (f, "road.removed32");
  g_autofree float *image = vt_tensor_dup_float (tensor (f, "image32"));
  g_autofree float *map = vt_tensor_dup_float (tensor (f, "map32"));
  gsize plane = 32 * 32, n = removed_ref->numel, count = 0;
  g_autofree guint *order = g_new (guint, plane);
  g_autofree guint8 *removed = g_new (guint8, plane);
  g_autofree float *out = g_new (float, 3 * plane);
  g_autofree double *imputed = g_new (double, 3 * n);
  g_autoptr(GTimer) timer = g_timer_new ();

  g_assert_true (vt_map_rank (map, plane, 0, order, &error));
  vt_road_removed (VT_ROAD_MORF, order, plane, 90, removed);
  for (gsize p = 0; p < plane; p++)
    count += removed[p];
  g_assert_cmpuint (count, ==, n);
  for (gsize i = 0; i < n; i++)
    g_assert_true (removed[(gsize) read_value (removed_ref, i)]);
  g_timer_start (timer);
  g_assert_true (vt_road_impute (image, removed, 32, 32, NULL, NULL, out, &error));
  g_assert_no_error (error);
  g_test_message ("imputed %" G_GSIZE_FORMAT " pixels x 3 channels in %.3g ms", n,
                  g_timer_elapsed (timer, NULL) * 1e3);
  for (int c = 0; c < 3; c++)
    for (gsize i = 0; i < n; i++)
      imputed[c * n + i] = out[c * plane + (gsize) read_value (removed_ref, i)];
  compare (f, "road.solution32", imputed, 3 * n);
  /* Kept pixels are the image's. */
  for (gsize p = 0; p < 3 * plane; p++)
    if (!removed[p % plane])
      g_assert_cmpfloat (out[p], ==, image[p]);
}

static void
test_road (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_auto(GStrv) noise = NULL;
  g_autofree char *noise_text = g_strdup (metadata (f, "noise"));
  VtRoadOptions options;

  vt_road_options_init (&options);
  g_assert_cmpint (options.n_percentages, ==, 9);
  g_strdelimit (noise_text, "[]", ' ');
  noise = g_strsplit (noise_text, ",", -1);
  g_assert_cmpuint (g_strv_length (noise), ==, 3);
  for (int c = 0; c < 3; c++)
    options.noise[c] = g_ascii_strtod (noise[c], NULL);
  options.seed = (guint32) atoi (metadata (f, "seed"));
  options.batch_size = 4;
  for (int order = 0; order < 2; order++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VtFaithfulnessCurve) accuracy = NULL;
      g_autoptr(VtFaithfulnessCurve) change = NULL;
      g_autofree char *name = g_strdup_printf ("road.accuracy.%s", vt_road_order_name (order));
      g_autofree char *change_name = g_strdup_printf ("road.confidence.%s", vt_road_order_name (order));
      gsize n = (gsize) f->n * options.n_percentages;

      accuracy = vt_road_accuracy (order, classifier, f->images, f->maps, f->n, f->height, f->width, f->labels,
                                   &options, NULL, &error);
      g_assert_no_error (error);
      compare (f, name, accuracy->values, n);
      g_test_message ("%s; accuracy at 10 %%: %.3g, at 90 %%: %.3g", accuracy->definition, accuracy->mean[0],
                      accuracy->mean[8]);
      g_assert_nonnull (strstr (accuracy->definition, order == VT_ROAD_MORF ? "MoRF" : "LeRF"));
      change = vt_road_confidence_change (order, classifier, f->images, f->maps, f->n, f->height, f->width, NULL,
                                          &options, NULL, &error);
      g_assert_no_error (error);
      compare (f, change_name, change->values, n);
      g_assert_nonnull (strstr (change->definition, "pytorch-grad-cam"));
      /* The summary is the mean over the percentages. */
      for (int b = 0; b < f->n; b++)
        {
          double sum = 0;

          for (int j = 0; j < options.n_percentages; j++)
            sum += change->values[(gsize) b * options.n_percentages + j];
          g_assert_cmpfloat (fabs (change->summary[b] - sum / options.n_percentages), <, 1e-12);
        }
    }
}

static void
test_localization (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFaithfulnessScores) ap = NULL;
  g_autoptr(VtFaithfulnessScores) comet = NULL;
  g_autoptr(VtFaithfulnessScores) pointing = NULL;
  g_autoptr(VtFaithfulnessScores) mass = NULL;
  g_autoptr(VtFaithfulnessCurve) iou = NULL;
  const VtTensor *ap_ref = tensor (f, "pixel_ap");
  double mean = 0;
  int counted = 0;

  ap = vt_localization_pixel_ap (f->maps, f->masks, f->n, f->height, f->width, &error);
  g_assert_no_error (error);
  compare (f, "pixel_ap", ap->values, f->n);
  for (int b = 0; b < f->n; b++)
    if (!isnan (read_value (ap_ref, b)))
      {
        mean += read_value (ap_ref, b);
        counted++;
      }
  /* The last image's mask is empty: it does not count. */
  g_assert_cmpint (ap->n_counted, ==, f->n - 1);
  g_assert_cmpint (counted, ==, f->n - 1);
  g_assert_cmpfloat (fabs (ap->mean - mean / counted), <=, TOLERANCE);

  comet = vt_localization_comet_ap (f->maps, f->masks, f->n, f->height, f->width, &error);
  g_assert_no_error (error);
  compare (f, "comet_ap", &comet->mean, 1);
  g_assert_nonnull (strstr (comet->definition, "COMET"));

  pointing = vt_localization_pointing_game (f->maps, f->masks, f->n, f->height, f->width,
                                            atoi (metadata (f, "tolerance")), &error);
  g_assert_no_error (error);
  compare (f, "pointing", pointing->values, f->n);
  g_test_message ("pixel AP %.4f, COMET's %.4f, pointing game %.3g", ap->mean, comet->mean, pointing->mean);

  mass = vt_localization_mask_mass (f->maps, f->masks, f->n, f->height, f->width, &error);
  g_assert_no_error (error);
  compare (f, "mask_mass", mass->values, f->n);
  g_assert_cmpint (mass->n_counted, ==, f->n - 1);
  g_assert_true (mass->mean > 0 && mass->mean < 1);

  iou = vt_localization_iou_curve (f->maps, f->masks, f->n, f->height, f->width, &error);
  g_assert_no_error (error);
  compare (f, "iou", iou->values, (gsize) f->n * iou->n_points);
  g_assert_cmpint (iou->n_counted, ==, f->n - 1);
  g_assert_true (isnan (iou->summary[f->n - 1]));
  g_assert_true (isfinite (iou->mean_summary));
}

/* @call returns NULL and sets the test's `error` to an invalid input. */
#define ASSERT_INVALID(call) \
  G_STMT_START { \
    g_assert_null (call); \
    g_assert_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID); \
    g_test_message ("%s", error->message); \
    g_clear_error (&error); \
  } G_STMT_END

static void
test_errors (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_autoptr(GError) error = NULL;
  gsize plane = (gsize) f->height * f->width, all = (gsize) f->n * plane;
  g_autofree float *empty = g_new0 (float, all);
  g_autofree float *half = g_memdup2 (f->masks, sizeof (float) * all);
  g_autofree float *nan_map = g_memdup2 (f->maps, sizeof (float) * all);
  g_autofree float *big_map = g_memdup2 (f->maps, sizeof (float) * all);
  g_autofree guint8 *removed = g_new (guint8, plane);
  g_autofree float *out = g_new (float, 3 * plane);
  double bad_percentages[] = { 10, 100 }, negative[] = { -5 }, not_a_number[] = { NAN };
  gint64 bad_targets[6] = { 0, 1, 2, 3, 4, 0 };
  VtFaithfulnessOptions options;
  VtRoadOptions road;

  half[3] = 0.5f;
  nan_map[plane + 5] = NAN;
  big_map[7] = 1.5f;
  vt_faithfulness_options_init (&options);
  options.steps = 0;
  ASSERT_INVALID (vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, f->images, f->maps, f->n, f->height,
                                       f->width, NULL, &options, NULL, &error));
  options.steps = (int) plane + 1;
  ASSERT_INVALID (vt_faithfulness_run (VT_FAITHFULNESS_INSERTION, classifier, f->images, f->maps, f->n, f->height,
                                       f->width, NULL, &options, NULL, &error));
  vt_faithfulness_options_init (&options);
  ASSERT_INVALID (vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, f->images, nan_map, f->n, f->height,
                                       f->width, NULL, &options, NULL, &error));
  g_assert_null (vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, f->images, f->maps, f->n, f->height,
                                      f->width, bad_targets, &options, NULL, &error));
  g_assert_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_CLASSIFIER);
  g_assert_nonnull (strstr (error->message, "0 to 3"));
  g_clear_error (&error);

  vt_road_options_init (&road);
  road.percentages = bad_percentages;
  road.n_percentages = 2;
  ASSERT_INVALID (vt_road_accuracy (VT_ROAD_MORF, classifier, f->images, f->maps, f->n, f->height, f->width,
                                    f->labels, &road, NULL, &error));
  road.percentages = negative;
  road.n_percentages = 1;
  ASSERT_INVALID (vt_road_accuracy (VT_ROAD_LERF, classifier, f->images, f->maps, f->n, f->height, f->width,
                                    f->labels, &road, NULL, &error));
  road.percentages = not_a_number;
  ASSERT_INVALID (vt_road_confidence_change (VT_ROAD_LERF, classifier, f->images, f->maps, f->n, f->height,
                                             f->width, NULL, &road, NULL, &error));
  road.n_percentages = 0;
  ASSERT_INVALID (vt_road_accuracy (VT_ROAD_MORF, classifier, f->images, f->maps, f->n, f->height, f->width,
                                    f->labels, &road, NULL, &error));
  vt_road_options_init (&road);
  road.noise[1] = -1;
  ASSERT_INVALID (vt_road_accuracy (VT_ROAD_MORF, classifier, f->images, f->maps, f->n, f->height, f->width,
                                    f->labels, &road, NULL, &error));
  memset (removed, 1, plane);
  g_assert_false (vt_road_impute (f->images, removed, f->height, f->width, NULL, NULL, out, &error));
  g_assert_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID);
  g_clear_error (&error);

  ASSERT_INVALID (vt_localization_pixel_ap (f->maps, empty, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_pixel_ap (f->maps, half, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_pixel_ap (nan_map, f->masks, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_comet_ap (f->maps, empty, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_comet_ap (big_map, f->masks, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_comet_ap (empty, f->masks, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_pointing_game (f->maps, empty, f->n, f->height, f->width, 15, &error));
  ASSERT_INVALID (vt_localization_pointing_game (f->maps, f->masks, f->n, f->height, f->width, -1, &error));
  ASSERT_INVALID (vt_localization_mask_mass (f->maps, empty, f->n, f->height, f->width, &error));
  ASSERT_INVALID (vt_localization_iou_curve (f->maps, empty, f->n, f->height, f->width, &error));
}

static void
test_cancel (void)
{
  g_autoptr(Fixture) f = fixture_open ();
  g_autoptr(VtClassifier) classifier = linear_classifier (f);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  VtFaithfulnessOptions options;
  VtRoadOptions road;

  g_cancellable_cancel (cancellable);
  vt_faithfulness_options_init (&options);
  g_assert_null (vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, f->images, f->maps, f->n, f->height,
                                      f->width, NULL, &options, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  vt_road_options_init (&road);
  g_assert_null (vt_road_accuracy (VT_ROAD_MORF, classifier, f->images, f->maps, f->n, f->height, f->width, NULL,
                                   &road, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The wrappers of a VtModel and a VtTrainable on the real ResNet-20 and
 * the CAM fixture's CIFAR-10 images: the same predictions as PyTorch's
 * (the fixture's), the same probabilities as each other, and a deletion
 * curve that starts at the image's probability and ends at that of the
 * all-zeros image. */
static void
test_model_classifier (void)
{
  g_autofree char *cam_path = vt_test_fixture ("attribution/cam-cifar_resnet20.safetensors");
  g_autofree char *weights = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) cam = vt_checkpoint_open (cam_path, &error);
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtArchitecture) arch = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTrainable) trainable = NULL;
  g_autoptr(VtClassifier) by_model = NULL;
  g_autoptr(VtClassifier) by_trainable = NULL;
  g_autoptr(VtFaithfulnessCurve) curve = NULL;
  const VtTensor *input, *predicted_ref;
  g_autofree float *pixels = NULL;
  g_autofree float *zeros = NULL;
  g_autofree float *maps = NULL;
  gint64 predicted[8], again[8];
  double p_model[8], p_trainable[8], p_zeros[8];
  VtFaithfulnessOptions options;
  int batch, h, w;

  g_assert_no_error (error);
  checkpoint = vt_checkpoint_open (weights, &error);
  g_assert_no_error (error);
  arch = vt_architecture_recognize (checkpoint);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  trainable = vt_trainable_new (checkpoint, arch, &error);
  g_assert_no_error (error);
  input = vt_checkpoint_lookup (cam, "input");
  predicted_ref = vt_checkpoint_lookup (cam, "predicted");
  g_assert_nonnull (input);
  g_assert_nonnull (predicted_ref);
  batch = (int) input->shape[0];
  h = (int) input->shape[2];
  w = (int) input->shape[3];
  g_assert_cmpint (batch, <=, 8);
  pixels = vt_tensor_dup_float (input);
  by_model = vt_classifier_new_for_model (model);
  by_trainable = vt_classifier_new_for_trainable (trainable);
  g_assert_true (vt_classifier_score (by_model, pixels, batch, h, w, NULL, NULL, predicted, &error));
  g_assert_true (vt_classifier_score (by_model, pixels, batch, h, w, predicted, p_model, NULL, &error));
  g_assert_true (vt_classifier_score (by_trainable, pixels, batch, h, w, predicted, p_trainable, again, &error));
  g_assert_no_error (error);
  for (int b = 0; b < batch; b++)
    {
      g_assert_cmpint (predicted[b], ==, (gint64) vt_dtype_read_double (predicted_ref->dtype, predicted_ref->data, b));
      g_assert_cmpint (again[b], ==, predicted[b]);
      g_assert_cmpfloat (fabs (p_model[b] - p_trainable[b]), <, 1e-4);
    }

  zeros = g_new0 (float, (gsize) batch * 3 * h * w);
  g_assert_true (vt_classifier_score (by_model, zeros, batch, h, w, predicted, p_zeros, NULL, &error));
  maps = g_new (float, (gsize) batch * h * w);
  for (gsize p = 0; p < (gsize) batch * h * w; p++)
    maps[p] = (float) ((p * 7919) % 1024) / 1024;
  vt_faithfulness_options_init (&options);
  options.steps = 4;
  curve = vt_faithfulness_run (VT_FAITHFULNESS_DELETION, by_model, pixels, maps, batch, h, w, NULL, &options, NULL,
                               &error);
  g_assert_no_error (error);
  for (int b = 0; b < batch; b++)
    {
      g_assert_cmpfloat (fabs (curve->values[b * 5] - p_model[b]), <, 1e-6);
      g_assert_cmpfloat (fabs (curve->values[b * 5 + 4] - p_zeros[b]), <, 1e-6);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/faithfulness/blur", test_blur);
  g_test_add_func ("/engine/faithfulness/deletion-insertion", test_deletion_insertion);
  g_test_add_func ("/engine/faithfulness/odd-steps", test_odd_steps);
  g_test_add_func ("/engine/faithfulness/ties", test_ties);
  g_test_add_func ("/engine/faithfulness/road-imputation", test_road_imputation);
  g_test_add_func ("/engine/faithfulness/road", test_road);
  g_test_add_func ("/engine/faithfulness/localization", test_localization);
  g_test_add_func ("/engine/faithfulness/errors", test_errors);
  g_test_add_func ("/engine/faithfulness/cancel", test_cancel);
  g_test_add_func ("/engine/faithfulness/model-classifier", test_model_classifier);
  return g_test_run ();
}
