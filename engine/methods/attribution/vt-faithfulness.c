/* vt-faithfulness.c: RISE's deletion and insertion (vt-faithfulness.h). */
#include "vt-faithfulness.h"
#include "vt-map-rank.h"

#include <math.h>
#include <string.h>

void
vt_faithfulness_options_init (VtFaithfulnessOptions *options)
{
  options->steps = 32;
  options->substrate = VT_FAITHFULNESS_SUBSTRATE_ZEROS;
  options->batch_size = 64;
}

const char *
vt_faithfulness_game_name (VtFaithfulnessGame game)
{
  return game == VT_FAITHFULNESS_DELETION ? "deletion" : "insertion";
}

const char *
vt_faithfulness_substrate_name (VtFaithfulnessSubstrate substrate)
{
  return substrate == VT_FAITHFULNESS_SUBSTRATE_ZEROS ? "zeros" : "blur";
}

gboolean
vt_faithfulness_substrate_from_name (const char              *name,
                                     VtFaithfulnessSubstrate *substrate)
{
  if (g_str_equal (name, "zeros"))
    *substrate = VT_FAITHFULNESS_SUBSTRATE_ZEROS;
  else if (g_str_equal (name, "blur"))
    *substrate = VT_FAITHFULNESS_SUBSTRATE_BLUR;
  else
    return FALSE;
  return TRUE;
}

/* scipy.ndimage's "reflect" index into n samples (d c b a | a b c d |
 * d c b a), for any j: the pattern repeats every 2n. */
static int
reflect (int j,
         int n)
{
  int m = ((j % (2 * n)) + 2 * n) % (2 * n);

  return m < n ? m : 2 * n - 1 - m;
}

void
vt_faithfulness_blur_kernel (double *kernel)
{
  const int size = VT_FAITHFULNESS_BLUR_SIZE, centre = size / 2;
  const double sigma = VT_FAITHFULNESS_BLUR_SIGMA;
  /* gaussian_filter1d's radius: int(truncate · σ + 0.5), truncate 4. */
  const int radius = (int) (4.0 * sigma + 0.5);
  double weights[2 * 20 + 1], sum = 0;

  g_assert (radius <= 20);
  for (int t = -radius; t <= radius; t++)
    sum += weights[t + radius] = exp (-0.5 * t * t / (sigma * sigma));
  /* correlate1d of the impulse: out[i] = Σ_t w_t · impulse[reflect(i + t)]. */
  for (int i = 0; i < size; i++)
    {
      double k = 0;

      for (int t = -radius; t <= radius; t++)
        if (reflect (i + t, size) == centre)
          k += weights[t + radius] / sum;
      kernel[i] = k;
    }
}

void
vt_faithfulness_blur (const float *pixels,
                      int          height,
                      int          width,
                      float       *out)
{
  const int half = VT_FAITHFULNESS_BLUR_SIZE / 2;
  double kernel[VT_FAITHFULNESS_BLUR_SIZE];
  gsize plane = (gsize) height * width;
  g_autofree double *rows = g_new (double, plane);

  vt_faithfulness_blur_kernel (kernel);
  for (int c = 0; c < 3; c++)
    {
      const float *x = pixels + c * plane;
      float *y = out + c * plane;

      /* Zero padding: taps outside the image add nothing. */
      for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++)
          {
            double sum = 0;

            for (int t = MAX (-half, -j); t <= MIN (half, width - 1 - j); t++)
              sum += kernel[t + half] * x[(gsize) i * width + j + t];
            rows[(gsize) i * width + j] = sum;
          }
      for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++)
          {
            double sum = 0;

            for (int t = MAX (-half, -i); t <= MIN (half, height - 1 - i); t++)
              sum += kernel[t + half] * rows[(gsize) (i + t) * width + j];
            y[(gsize) i * width + j] = (float) sum;
          }
    }
}

static char *
definition (VtFaithfulnessGame           game,
            const VtFaithfulnessOptions *options,
            gsize                        plane,
            gboolean                     given_targets)
{
  const char *substrate = options->substrate == VT_FAITHFULNESS_SUBSTRATE_ZEROS
                            ? "zeros (0 in normalized space)"
                            : "blur (RISE gkern: 11 x 11, sigma 5, zero padding)";

  return g_strdup_printf ("%s (RISE): pixels ranked by the map, largest first, ties by index; %s in %d equal "
                          "steps over %" G_GSIZE_FORMAT " pixels, %s the substrate %s; score: softmax probability of "
                          "the %s class, %d points; AUC: trapezoid rule over [0, 1]",
                          vt_faithfulness_game_name (game),
                          game == VT_FAITHFULNESS_DELETION ? "deleted" : "inserted", options->steps, plane,
                          game == VT_FAITHFULNESS_DELETION ? "set to" : "taken from", substrate,
                          given_targets ? "target" : "predicted", options->steps + 1);
}

VtFaithfulnessCurve *
vt_faithfulness_run (VtFaithfulnessGame           game,
                     VtClassifier                *classifier,
                     const float                 *pixels,
                     const float                 *maps,
                     int                          n_images,
                     int                          height,
                     int                          width,
                     const gint64                *targets,
                     const VtFaithfulnessOptions *options,
                     GCancellable                *cancellable,
                     GError                     **error)
{
  gsize plane = (gsize) height * width, image = 3 * plane;
  int steps = options->steps;
  int batch = options->batch_size > 0 ? MIN (options->batch_size, n_images) : n_images;
  g_autoptr(VtFaithfulnessCurve) curve = NULL;
  g_autofree guint *order = NULL;
  g_autofree float *start = NULL;
  g_autofree float *finish = NULL;
  g_autofree gint64 *target = NULL;
  g_autofree double *probabilities = NULL;

  g_return_val_if_fail (n_images > 0 && height > 0 && width > 0, NULL);
  if (steps < 1 || (gsize) steps > plane)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "%s: steps is %d, but must be 1 to %" G_GSIZE_FORMAT " (the pixels of a %d x %d image)",
                   vt_faithfulness_game_name (game), steps, plane, height, width);
      return NULL;
    }
  curve = vt_faithfulness_curve_new (n_images, steps + 1, definition (game, options, plane, targets != NULL));
  for (int i = 0; i <= steps; i++)
    curve->x[i] = (double) i / steps;
  order = g_new (guint, batch * plane);
  start = g_new (float, batch * image);
  finish = g_new (float, batch * image);
  target = g_new (gint64, batch);
  probabilities = g_new (double, batch);

  for (int first = 0; first < n_images; first += batch)
    {
      int n = MIN (batch, n_images - first);
      const float *x = pixels + (gsize) first * image;

      for (int b = 0; b < n; b++)
        if (!vt_map_rank (maps + (gsize) (first + b) * plane, plane, first + b, order + b * plane, error))
          return NULL;
      if (targets)
        memcpy (target, targets + first, sizeof (gint64) * n);
      else if (!vt_classifier_score (classifier, x, n, height, width, NULL, NULL, target, error))
        return NULL;

      /* Deletion goes from the image to the substrate, insertion back. */
      {
        float *image_copy = game == VT_FAITHFULNESS_DELETION ? start : finish;
        float *substrate = game == VT_FAITHFULNESS_DELETION ? finish : start;

        memcpy (image_copy, x, sizeof (float) * n * image);
        for (int b = 0; b < n; b++)
          if (options->substrate == VT_FAITHFULNESS_SUBSTRATE_BLUR)
            vt_faithfulness_blur (x + b * image, height, width, substrate + b * image);
          else
            memset (substrate + b * image, 0, sizeof (float) * image);
      }

      for (int i = 0; i <= steps; i++)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
              !vt_classifier_score (classifier, start, n, height, width, target, probabilities, NULL, error))
            return NULL;
          for (int b = 0; b < n; b++)
            curve->values[(gsize) (first + b) * (steps + 1) + i] = probabilities[b];
          if (i == steps)
            break;
          for (int b = 0; b < n; b++)
            {
              const guint *ranked = order + b * plane;
              gsize lo = (gsize) i * plane / steps, hi = (gsize) (i + 1) * plane / steps;

              for (int c = 0; c < 3; c++)
                {
                  float *s = start + b * image + c * plane;
                  const float *f = finish + b * image + c * plane;

                  for (gsize r = lo; r < hi; r++)
                    s[ranked[r]] = f[ranked[r]];
                }
            }
        }
    }
  vt_faithfulness_curve_finish (curve, TRUE);
  return g_steal_pointer (&curve);
}
