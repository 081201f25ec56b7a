/* vt-faithfulness-result.c: the metrics' results (vt-faithfulness-result.h). */
#include "vt-faithfulness-result.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-faithfulness-error-quark, vt_faithfulness_error)

VtFaithfulnessCurve *
vt_faithfulness_curve_new (int   n_images,
                           int   n_points,
                           char *definition)
{
  VtFaithfulnessCurve *curve = g_new0 (VtFaithfulnessCurve, 1);

  curve->definition = definition;
  curve->n_images = n_images;
  curve->n_points = n_points;
  curve->x = g_new0 (double, MAX (n_points, 1));
  curve->values = g_new0 (double, MAX ((gsize) n_images * n_points, 1));
  curve->mean = g_new0 (double, MAX (n_points, 1));
  curve->summary = g_new0 (double, MAX (n_images, 1));
  return curve;
}

void
vt_faithfulness_curve_free (VtFaithfulnessCurve *curve)
{
  if (curve == NULL)
    return;
  g_free (curve->definition);
  g_free (curve->x);
  g_free (curve->values);
  g_free (curve->mean);
  g_free (curve->summary);
  g_free (curve);
}

/* y (n) over x (n): the trapezoid rule divided by the x range. */
static double
normalized_auc (const double *x,
                const double *y,
                int           n)
{
  double area = 0;

  if (n < 2 || x[n - 1] == x[0])
    return n ? y[0] : 0;
  for (int i = 1; i < n; i++)
    area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area / (x[n - 1] - x[0]);
}

void
vt_faithfulness_curve_finish (VtFaithfulnessCurve *curve,
                              gboolean             auc)
{
  int n = curve->n_points;

  memset (curve->mean, 0, sizeof (double) * n);
  curve->mean_summary = 0;
  curve->n_counted = 0;
  for (int b = 0; b < curve->n_images; b++)
    {
      const double *y = curve->values + (gsize) b * n;
      double s = 0;

      if (n == 0 || isnan (y[0]))
        {
          curve->summary[b] = NAN;
          continue;
        }
      if (auc)
        s = normalized_auc (curve->x, y, n);
      else
        {
          for (int j = 0; j < n; j++)
            s += y[j];
          s /= n;
        }
      for (int j = 0; j < n; j++)
        curve->mean[j] += y[j];
      curve->summary[b] = s;
      curve->mean_summary += s;
      curve->n_counted++;
    }
  for (int j = 0; curve->n_counted && j < n; j++)
    curve->mean[j] /= curve->n_counted;
  if (curve->n_counted)
    curve->mean_summary /= curve->n_counted;
}

VtFaithfulnessScores *
vt_faithfulness_scores_new (int       n_images,
                            gboolean  per_image,
                            char     *definition)
{
  VtFaithfulnessScores *scores = g_new0 (VtFaithfulnessScores, 1);

  scores->definition = definition;
  scores->n_images = n_images;
  if (per_image)
    {
      scores->values = g_new (double, MAX (n_images, 1));
      for (int b = 0; b < n_images; b++)
        scores->values[b] = NAN;
    }
  return scores;
}

void
vt_faithfulness_scores_free (VtFaithfulnessScores *scores)
{
  if (scores == NULL)
    return;
  g_free (scores->definition);
  g_free (scores->values);
  g_free (scores);
}
