/* vt-faithfulness-road.c: ROAD's curves (vt-faithfulness-road.h). */
#include "vt-faithfulness-road.h"
#include "vt-map-rank.h"
#include "vt-road-imputation.h"

#include "core/vt-parallel.h"
#include "core/vt-random.h"

#include <math.h>
#include <string.h>

static const double default_percentages[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90 };

void
vt_road_options_init (VtRoadOptions *options)
{
  options->percentages = default_percentages;
  options->n_percentages = G_N_ELEMENTS (default_percentages);
  for (int c = 0; c < 3; c++)
    options->noise[c] = 0.01;
  options->seed = 0;
  options->batch_size = 64;
}

const char *
vt_road_order_name (VtRoadOrder order)
{
  return order == VT_ROAD_MORF ? "morf" : "lerf";
}

void
vt_road_removed (VtRoadOrder  order,
                 const guint *ranked,
                 gsize        n_pixels,
                 double       percentage,
                 guint8      *removed)
{
  gsize count = (gsize) floor ((double) n_pixels * percentage / 100.0);

  memset (removed, 0, n_pixels);
  for (gsize r = 0; r < count; r++)
    removed[order == VT_ROAD_MORF ? ranked[r] : ranked[n_pixels - 1 - r]] = 1;
}

typedef enum
{
  MEASURE_ACCURACY,
  MEASURE_CONFIDENCE_CHANGE,
} Measure;

/* One batch of imputations, run in parallel: image first + b of @pixels
 * with removed[b] and gauss[b] into imputed[b]. */
typedef struct
{
  const float  *pixels;
  int           first, height, width;
  const double *noise;
  guint8       *removed;    /* (batch, H·W) */
  double       *gauss;      /* (batch, 3·H·W), NULL without noise */
  float        *imputed;    /* (batch, 3, H, W) */
  GError      **errors;     /* (batch) */
} BatchWork;

static void
impute_range (gsize    begin,
              gsize    end,
              gpointer data)
{
  BatchWork *work = data;
  gsize plane = (gsize) work->height * work->width;

  for (gsize b = begin; b < end; b++)
    vt_road_impute (work->pixels + (work->first + b) * 3 * plane, work->removed + b * plane, work->height,
                    work->width, work->noise, work->gauss ? work->gauss + b * 3 * plane : NULL,
                    work->imputed + b * 3 * plane, &work->errors[b]);
}

static char *
definition (Measure              measure,
            VtRoadOrder          order,
            const VtRoadOptions *options,
            gboolean             given)
{
  g_autoptr(GString) percentages = g_string_new (NULL);

  for (int j = 0; j < options->n_percentages; j++)
    g_string_append_printf (percentages, "%s%g", j ? "," : "", options->percentages[j]);
  return g_strdup_printf ("ROAD %s, %s (Rong et al. 2022): at each percentage p of %s the floor(HW p/100) %s "
                          "relevant pixels (map order, ties by index) removed and filled by noisy linear imputation "
                          "(neighbours 1/6 direct, 1/12 diagonal, conjugate gradients; noise sigma %g,%g,%g per "
                          "channel, seed %u); no retraining; %s",
                          measure == MEASURE_ACCURACY ? "accuracy" : "confidence change (pytorch-grad-cam's variant)",
                          order == VT_ROAD_MORF ? "MoRF" : "LeRF", percentages->str,
                          order == VT_ROAD_MORF ? "most" : "least", options->noise[0], options->noise[1],
                          options->noise[2], options->seed,
                          measure == MEASURE_ACCURACY
                            ? (given ? "accuracy against the labels" : "agreement with the class predicted on the image")
                            : (given ? "softmax probability of the target class after minus before, per image; "
                                       "summary: mean over the percentages"
                                     : "softmax probability of the predicted class after minus before, per image; "
                                       "summary: mean over the percentages"));
}

static VtFaithfulnessCurve *
road_run (Measure               measure,
          VtRoadOrder           order,
          VtClassifier         *classifier,
          const float          *pixels,
          const float          *maps,
          int                   n_images,
          int                   height,
          int                   width,
          const gint64         *classes,
          const VtRoadOptions  *options,
          GCancellable         *cancellable,
          GError              **error)
{
  gsize plane = (gsize) height * width, image = 3 * plane;
  int n_points = options->n_percentages;
  int batch = options->batch_size > 0 ? MIN (options->batch_size, n_images) : n_images;
  gboolean noisy = FALSE;
  g_autoptr(VtFaithfulnessCurve) curve = NULL;
  g_autofree guint *order_of = NULL;
  g_autofree gint64 *wanted = g_new (gint64, n_images);
  g_autofree double *before = g_new0 (double, n_images);
  BatchWork batch_work = { 0 };
  gboolean failed = FALSE;
  g_autofree gint64 *predicted = g_new (gint64, batch);
  g_autofree double *after = g_new (double, batch);
  VtRandom random;

  g_return_val_if_fail (n_images > 0 && height > 0 && width > 0, NULL);
  if (n_points < 1)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "ROAD: no percentages given");
      return NULL;
    }
  for (int j = 0; j < n_points; j++)
    if (!(options->percentages[j] >= 0 && options->percentages[j] < 100))
      {
        g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                     "ROAD: percentage %d is %g, but must be at least 0 and below 100 (some pixels must stay to "
                     "impute from)", j, options->percentages[j]);
        return NULL;
      }
  for (int c = 0; c < 3; c++)
    {
      if (!(options->noise[c] >= 0 && isfinite (options->noise[c])))
        {
          g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                       "ROAD: the noise of channel %d is %g, but must be finite and at least 0", c, options->noise[c]);
          return NULL;
        }
      noisy |= options->noise[c] > 0;
    }

  curve = vt_faithfulness_curve_new (n_images, n_points, definition (measure, order, options, classes != NULL));
  for (int j = 0; j < n_points; j++)
    curve->x[j] = options->percentages[j];
  order_of = g_new (guint, (gsize) n_images * plane);
  for (int b = 0; b < n_images; b++)
    if (!vt_map_rank (maps + (gsize) b * plane, plane, b, order_of + (gsize) b * plane, error))
      return NULL;

  /* The classes scored, and the confidence before removal. */
  for (int first = 0; first < n_images; first += batch)
    {
      int n = MIN (batch, n_images - first);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (classes)
        memcpy (wanted + first, classes + first, sizeof (gint64) * n);
      else if (!vt_classifier_score (classifier, pixels + (gsize) first * image, n, height, width, NULL, NULL,
                                     wanted + first, error))
        return NULL;
      if (measure == MEASURE_CONFIDENCE_CHANGE &&
          !vt_classifier_score (classifier, pixels + (gsize) first * image, n, height, width, wanted + first,
                                before + first, NULL, error))
        return NULL;
    }

  vt_random_init (&random, options->seed);
  batch_work.pixels = pixels;
  batch_work.height = height;
  batch_work.width = width;
  batch_work.noise = options->noise;
  batch_work.removed = g_new (guint8, batch * plane);
  batch_work.gauss = noisy ? g_new (double, batch * image) : NULL;
  batch_work.imputed = g_new (float, batch * image);
  batch_work.errors = g_new0 (GError *, batch);
  for (int j = 0; !failed && j < n_points; j++)
    for (int first = 0; !failed && first < n_images; first += batch)
      {
        int n = MIN (batch, n_images - first);

        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          {
            failed = TRUE;
            break;
          }
        /* The noise is drawn in order, image by image; the systems are
         * then solved in parallel. */
        for (int b = 0; b < n; b++)
          {
            guint8 *removed = batch_work.removed + b * plane;
            gsize count = 0;

            vt_road_removed (order, order_of + (gsize) (first + b) * plane, plane, options->percentages[j], removed);
            for (gsize p = 0; noisy && p < plane; p++)
              count += removed[p];
            for (gsize i = 0; noisy && i < 3 * count; i++)
              batch_work.gauss[b * image + i] = vt_random_gauss (&random);
          }
        batch_work.first = first;
        vt_parallel_for (n, impute_range, &batch_work);
        for (int b = 0; b < n; b++)
          if (batch_work.errors[b])
            {
              if (!failed)
                g_propagate_error (error, g_steal_pointer (&batch_work.errors[b]));
              g_clear_error (&batch_work.errors[b]);
              failed = TRUE;
            }
        if (failed ||
            !vt_classifier_score (classifier, batch_work.imputed, n, height, width, wanted + first, after, predicted,
                                  error))
          {
            failed = TRUE;
            break;
          }
        for (int b = 0; b < n; b++)
          curve->values[(gsize) (first + b) * n_points + j] =
            measure == MEASURE_ACCURACY ? (predicted[b] == wanted[first + b]) : after[b] - before[first + b];
      }
  g_free (batch_work.removed);
  g_free (batch_work.gauss);
  g_free (batch_work.imputed);
  g_free (batch_work.errors);
  if (failed)
    return NULL;
  vt_faithfulness_curve_finish (curve, FALSE);
  return g_steal_pointer (&curve);
}

VtFaithfulnessCurve *
vt_road_accuracy (VtRoadOrder          order,
                  VtClassifier        *classifier,
                  const float         *pixels,
                  const float         *maps,
                  int                  n_images,
                  int                  height,
                  int                  width,
                  const gint64        *labels,
                  const VtRoadOptions *options,
                  GCancellable        *cancellable,
                  GError             **error)
{
  return road_run (MEASURE_ACCURACY, order, classifier, pixels, maps, n_images, height, width, labels, options,
                   cancellable, error);
}

VtFaithfulnessCurve *
vt_road_confidence_change (VtRoadOrder          order,
                           VtClassifier        *classifier,
                           const float         *pixels,
                           const float         *maps,
                           int                  n_images,
                           int                  height,
                           int                  width,
                           const gint64        *targets,
                           const VtRoadOptions *options,
                           GCancellable        *cancellable,
                           GError             **error)
{
  return road_run (MEASURE_CONFIDENCE_CHANGE, order, classifier, pixels, maps, n_images, height, width, targets,
                   options, cancellable, error);
}
