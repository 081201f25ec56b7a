/* vt-faithfulness-localization.c: maps against ground-truth masks
 * (vt-faithfulness-localization.h). Counts are exact integers in double. */
#include "vt-faithfulness-localization.h"
#include "vt-map-rank.h"

#include <math.h>

#define COMET_BINS 40

/* Whether every mask value is 0 or 1, and every map value finite; counts
 * each image's positives into @positives (N). */
static gboolean
check_inputs (const char   *metric,
              const float  *maps,
              const float  *masks,
              int           n_images,
              gsize         plane,
              gsize        *positives,
              GError      **error)
{
  for (int b = 0; b < n_images; b++)
    {
      positives[b] = 0;
      for (gsize p = 0; p < plane; p++)
        {
          float m = masks[(gsize) b * plane + p];

          if (m != 0 && m != 1)
            {
              g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                           "%s: the mask of image %d is %g at pixel %" G_GSIZE_FORMAT ", but masks hold 0 or 1",
                           metric, b, m, p);
              return FALSE;
            }
          if (!isfinite (maps[(gsize) b * plane + p]))
            {
              g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                           "%s: the map of image %d is not finite at pixel %" G_GSIZE_FORMAT, metric, b, p);
              return FALSE;
            }
          positives[b] += m == 1;
        }
    }
  return TRUE;
}

static gboolean
check_some_mask (const char  *metric,
                 const gsize *positives,
                 int          n_images,
                 GError     **error)
{
  for (int b = 0; b < n_images; b++)
    if (positives[b] > 0)
      return TRUE;
  g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
               "%s: every one of the %d masks is empty, so no image has an object to find", metric, n_images);
  return FALSE;
}

static void
finish_mean (VtFaithfulnessScores *scores)
{
  double sum = 0;

  scores->n_counted = 0;
  for (int b = 0; b < scores->n_images; b++)
    if (!isnan (scores->values[b]))
      {
        sum += scores->values[b];
        scores->n_counted++;
      }
  scores->mean = scores->n_counted ? sum / scores->n_counted : NAN;
}

VtFaithfulnessScores *
vt_localization_pixel_ap (const float  *maps,
                          const float  *masks,
                          int           n_images,
                          int           height,
                          int           width,
                          GError      **error)
{
  const char *metric = "pixel AP";
  gsize plane = (gsize) height * width;
  g_autofree gsize *positives = g_new (gsize, MAX (n_images, 1));
  g_autofree guint *order = g_new (guint, plane);
  g_autoptr(VtFaithfulnessScores) scores = NULL;

  if (!check_inputs (metric, maps, masks, n_images, plane, positives, error) ||
      !check_some_mask (metric, positives, n_images, error))
    return NULL;
  scores = vt_faithfulness_scores_new (n_images, TRUE, g_strdup (
    "pixel AP: scikit-learn's average_precision_score of each image's mask pixels scored by the map (sum over the "
    "map's distinct values, largest first, of (R_k - R_k-1) P_k); mean over the images with a non-empty mask"));
  for (int b = 0; b < n_images; b++)
    {
      const float *map = maps + (gsize) b * plane;
      const float *mask = masks + (gsize) b * plane;
      double tp = 0, fp = 0, recall = 0, ap = 0;

      if (positives[b] == 0)
        continue;
      vt_map_rank (map, plane, b, order, NULL);
      for (gsize r = 0; r < plane; r++)
        {
          if (mask[order[r]] == 1)
            tp++;
          else
            fp++;
          /* A threshold at each distinct value: after the last tied pixel. */
          if (r + 1 < plane && map[order[r + 1]] == map[order[r]])
            continue;
          ap += (tp / positives[b] - recall) * (tp / (tp + fp));
          recall = tp / positives[b];
        }
      scores->values[b] = ap;
    }
  finish_mean (scores);
  return g_steal_pointer (&scores);
}

VtFaithfulnessScores *
vt_localization_comet_ap (const float  *maps,
                          const float  *masks,
                          int           n_images,
                          int           height,
                          int           width,
                          GError      **error)
{
  const char *metric = "COMET's pixel AP";
  gsize plane = (gsize) height * width;
  g_autofree gsize *positives = g_new (gsize, MAX (n_images, 1));
  /* Bins 1 … 39 of the edges i/40 (bin k is [k/40, (k+1)/40), the last
   * closed at 1), as np.histogram over COMET's confidence_list + [1.0]. */
  double true_hist[COMET_BINS] = { 0 }, false_hist[COMET_BINS] = { 0 };
  double tp[COMET_BINS], fp[COMET_BINS], fn[COMET_BINS], n_true = 0, ap = 0;
  g_autoptr(VtFaithfulnessScores) scores = NULL;
  int n = 0;

  if (!check_inputs (metric, maps, masks, n_images, plane, positives, error))
    return NULL;
  for (gsize p = 0; p < (gsize) n_images * plane; p++)
    {
      double v = maps[p];
      int k;

      if (v < 0 || v > 1)
        {
          g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                       "%s: the map of image %d is %g at pixel %" G_GSIZE_FORMAT ", but COMET's evaluator takes "
                       "maps in [0, 1]", metric, (int) (p / plane), v, p % plane);
          return NULL;
        }
      if (v < 1.0 / COMET_BINS)
        continue;
      /* The bin whose left edge i/40 is the last ≤ v (edges as numpy
       * builds them: i / 40.0). */
      for (k = COMET_BINS - 1; k > 1 && (double) k / COMET_BINS > v; k--)
        ;
      if (masks[p] == 1)
        true_hist[k]++;
      else
        false_hist[k]++;
    }
  /* Cumulated from the top bin, a first point put in front. */
  tp[0] = 1;
  fp[0] = 0;
  fn[0] = 10000;
  for (int k = COMET_BINS - 1; k >= 1; k--)
    n_true += true_hist[k];
  {
    double t = 0, f = 0;

    for (int k = COMET_BINS - 1; k >= 1; k--)
      {
        t += true_hist[k];
        f += false_hist[k];
        n++;
        tp[n] = t;
        fp[n] = f;
        fn[n] = n_true - t;
      }
  }
  if (n_true <= 0)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "%s: no positive ground truth in the set (no mask pixel where the map is at least 1/40)", metric);
      return NULL;
    }
  /* COMET's second check, "no positive prediction", cannot fail after
   * this one: a counted positive pixel is a prediction. */
  for (int k = 1; k <= n; k++)
    if (tp[k] + fp[k] != 0)
      ap += tp[k] / (tp[k] + fp[k]) * (tp[k] / (tp[k] + fn[k]) - tp[k - 1] / (tp[k - 1] + fn[k - 1]));
  scores = vt_faithfulness_scores_new (n_images, FALSE, g_strdup (
    "COMET's pixel AP (Zood123/COMET MaskEvaluator): maps in [0, 1]; positive and negative pixels of all images "
    "binned by the edges i/40, i = 1..39, and 1 (values below 1/40 left out); cumulated from the top bin after a "
    "first point tp=1, fp=0, fn=10000; AP = sum of P_k (R_k - R_k-1) where tp+fp > 0; a fraction (COMET prints "
    "it x 100)"));
  scores->n_counted = n_images;
  scores->mean = ap;
  return g_steal_pointer (&scores);
}

VtFaithfulnessScores *
vt_localization_mask_mass (const float  *maps,
                           const float  *masks,
                           int           n_images,
                           int           height,
                           int           width,
                           GError      **error)
{
  const char *metric = "mask mass";
  gsize plane = (gsize) height * width;
  g_autofree gsize *positives = g_new (gsize, MAX (n_images, 1));
  g_autoptr(VtFaithfulnessScores) scores = NULL;

  if (!check_inputs (metric, maps, masks, n_images, plane, positives, error) ||
      !check_some_mask (metric, positives, n_images, error))
    return NULL;
  scores = vt_faithfulness_scores_new (n_images, TRUE, g_strdup (
    "mask mass (Score-CAM's energy-based pointing game): the share of the map's positive mass on the mask, "
    "sum of max(map, 0) * mask over sum of max(map, 0); mean over the images with a non-empty mask and some "
    "positive mass"));
  for (int b = 0; b < n_images; b++)
    {
      const float *map = maps + (gsize) b * plane;
      const float *mask = masks + (gsize) b * plane;
      double inside = 0, total = 0;

      if (positives[b] == 0)
        continue;
      for (gsize p = 0; p < plane; p++)
        {
          double mass = MAX (map[p], 0.0f);

          total += mass;
          inside += mass * mask[p];
        }
      if (total > 0)
        scores->values[b] = inside / total;
    }
  finish_mean (scores);
  return g_steal_pointer (&scores);
}

VtFaithfulnessScores *
vt_localization_pointing_game (const float  *maps,
                               const float  *masks,
                               int           n_images,
                               int           height,
                               int           width,
                               int           tolerance,
                               GError      **error)
{
  const char *metric = "pointing game";
  gsize plane = (gsize) height * width;
  g_autofree gsize *positives = g_new (gsize, MAX (n_images, 1));
  g_autoptr(VtFaithfulnessScores) scores = NULL;

  if (tolerance < 0)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "%s: the tolerance is %d pixels, but must be 0 or more", metric, tolerance);
      return NULL;
    }
  if (!check_inputs (metric, maps, masks, n_images, plane, positives, error) ||
      !check_some_mask (metric, positives, n_images, error))
    return NULL;
  scores = vt_faithfulness_scores_new (n_images, TRUE, g_strdup_printf (
    "pointing game (TorchRay): a hit when a mask pixel lies at a distance below %d pixels of the map's first "
    "largest pixel (row-major); the fraction of hits over the images with a non-empty mask", tolerance));
  for (int b = 0; b < n_images; b++)
    {
      const float *map = maps + (gsize) b * plane;
      const float *mask = masks + (gsize) b * plane;
      gsize top = 0;
      int u, v;
      gboolean hit = FALSE;

      if (positives[b] == 0)
        continue;
      for (gsize p = 1; p < plane; p++)
        if (map[p] > map[top])
          top = p;
      v = (int) (top / width);
      u = (int) (top % width);
      for (int y = MAX (0, v - tolerance); !hit && y <= MIN (height - 1, v + tolerance); y++)
        for (int x = MAX (0, u - tolerance); x <= MIN (width - 1, u + tolerance); x++)
          if ((gint64) (y - v) * (y - v) + (gint64) (x - u) * (x - u) < (gint64) tolerance * tolerance &&
              mask[(gsize) y * width + x] == 1)
            {
              hit = TRUE;
              break;
            }
      scores->values[b] = hit;
    }
  finish_mean (scores);
  return g_steal_pointer (&scores);
}

VtFaithfulnessCurve *
vt_localization_iou_curve (const float  *maps,
                           const float  *masks,
                           int           n_images,
                           int           height,
                           int           width,
                           GError      **error)
{
  const char *metric = "IoU curve";
  const int n_points = 19;
  gsize plane = (gsize) height * width;
  g_autofree gsize *positives = g_new (gsize, MAX (n_images, 1));
  g_autofree guint *order = g_new (guint, plane);
  g_autoptr(VtFaithfulnessCurve) curve = NULL;

  if (!check_inputs (metric, maps, masks, n_images, plane, positives, error) ||
      !check_some_mask (metric, positives, n_images, error))
    return NULL;
  curve = vt_faithfulness_curve_new (n_images, n_points, g_strdup (
    "IoU curve: for k = 5, 10, ... 95, the IoU of the floor(HW k/100) highest map pixels (ties by index) with the "
    "mask; mean over the images with a non-empty mask; summary: trapezoid rule over k / 100, divided by its range"));
  for (int j = 0; j < n_points; j++)
    curve->x[j] = 5.0 * (j + 1) / 100;
  for (int b = 0; b < n_images; b++)
    {
      const float *mask = masks + (gsize) b * plane;
      double *values = curve->values + (gsize) b * n_points;
      gsize taken = 0, inside = 0;

      if (positives[b] == 0)
        {
          for (int j = 0; j < n_points; j++)
            values[j] = NAN;
          continue;
        }
      vt_map_rank (maps + (gsize) b * plane, plane, b, order, NULL);
      for (int j = 0; j < n_points; j++)
        {
          gsize count = (gsize) floor ((double) plane * (5.0 * (j + 1)) / 100.0);

          for (; taken < count; taken++)
            inside += mask[order[taken]] == 1;
          values[j] = (double) inside / (double) (count + positives[b] - inside);
        }
    }
  vt_faithfulness_curve_finish (curve, TRUE);
  return g_steal_pointer (&curve);
}
