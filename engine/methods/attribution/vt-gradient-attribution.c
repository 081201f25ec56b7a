/* vt-gradient-attribution.c: gradient, gradient × input, SmoothGrad,
 * Integrated Gradients and gradient-weighted attention rollout (see
 * vt-gradient-attribution.h for the definitions). Every method that reads
 * ∂y/∂x runs its images (noisy copies, points on the path) through one
 * loop, input_gradients, in chunks of options->max_batch; sums run in
 * double, maps are float. */
#include "vt-gradient-attribution.h"
#include "vt-attention-maps.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-gradient-attribution-error-quark, vt_gradient_attribution_error)

/* What the automatic chunk may take: activations and their gradients. */
#define AUTO_BATCH_BYTES (1024.0 * 1024.0 * 1024.0)
#define AUTO_BATCH_MAX 64

/* The titles are the methods' names in the literature, untranslated, as
 * vt-cam.c's are. */
static const struct
{
  const char *name;
  const char *title;
} methods[VT_GRADIENT_ATTRIBUTION_N_METHODS] = {
  [VT_GRADIENT_ATTRIBUTION_GRADIENT] = { "gradient", "Gradient" },
  [VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT] = { "gradient_x_input", "Gradient × Input" },
  [VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD] = { "smoothgrad", "SmoothGrad" },
  [VT_GRADIENT_ATTRIBUTION_IG] = { "ig", "Integrated Gradients" },
  [VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT] = { "gradient_rollout", "Gradient Rollout" },
};

static const char *const rules[VT_IG_N_RULES] = {
  [VT_IG_RULE_GAUSS_LEGENDRE] = "gausslegendre",
  [VT_IG_RULE_RIEMANN_TRAPEZOID] = "riemann_trapezoid",
};

static const char *const baselines[VT_IG_N_BASELINES] = {
  [VT_IG_BASELINE_ZEROS] = "zeros",
  [VT_IG_BASELINE_BLACK] = "black",
  [VT_IG_BASELINE_BLUR] = "blur",
  [VT_IG_BASELINE_NOISE] = "noise",
};

void
vt_gradient_attribution_options_init (VtGradientAttributionOptions *options)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

  memset (options, 0, sizeof *options);
  options->samples = 25;
  options->noise_level = 0.15;
  options->rule = VT_IG_RULE_GAUSS_LEGENDRE;
  options->steps = 50;
  options->baseline = VT_IG_BASELINE_ZEROS;
  options->blur_sigma = 5.0;
  options->seed = 0;
  memcpy (options->mean, imagenet_mean, sizeof options->mean);
  memcpy (options->std, imagenet_std, sizeof options->std);
  options->max_batch = 0;
}

const char *
vt_gradient_attribution_method_name (VtGradientAttributionMethod method)
{
  g_return_val_if_fail (method < VT_GRADIENT_ATTRIBUTION_N_METHODS, NULL);
  return methods[method].name;
}

const char *
vt_gradient_attribution_method_title (VtGradientAttributionMethod method)
{
  g_return_val_if_fail (method < VT_GRADIENT_ATTRIBUTION_N_METHODS, NULL);
  return methods[method].title;
}

/* The index of @name in @names (@n of them), or an error listing them. */
static gboolean
lookup_name (const char         *what,
             const char         *name,
             const char *const  *names,
             int                 n,
             int                *index,
             GError            **error)
{
  g_autoptr(GString) known = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    if (g_strcmp0 (name, names[i]) == 0)
      {
        *index = i;
        return TRUE;
      }
  for (int i = 0; i < n; i++)
    g_string_append_printf (known, "%s“%s”", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
  g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
               "unknown %s “%s”: expected %s", what, name ? name : "(null)", known->str);
  return FALSE;
}

gboolean
vt_gradient_attribution_method_from_name (const char                   *name,
                                          VtGradientAttributionMethod  *method,
                                          GError                      **error)
{
  const char *names[VT_GRADIENT_ATTRIBUTION_N_METHODS];
  int index;

  for (int m = 0; m < VT_GRADIENT_ATTRIBUTION_N_METHODS; m++)
    names[m] = methods[m].name;
  if (!lookup_name ("gradient attribution method", name, names, VT_GRADIENT_ATTRIBUTION_N_METHODS, &index, error))
    return FALSE;
  *method = index;
  return TRUE;
}

const char *
vt_ig_rule_name (VtIgRule rule)
{
  g_return_val_if_fail (rule < VT_IG_N_RULES, NULL);
  return rules[rule];
}

gboolean
vt_ig_rule_from_name (const char  *name,
                      VtIgRule    *rule,
                      GError     **error)
{
  int index;

  if (!lookup_name ("Integrated Gradients rule", name, rules, VT_IG_N_RULES, &index, error))
    return FALSE;
  *rule = index;
  return TRUE;
}

const char *
vt_ig_baseline_name (VtIgBaseline baseline)
{
  g_return_val_if_fail (baseline < VT_IG_N_BASELINES, NULL);
  return baselines[baseline];
}

gboolean
vt_ig_baseline_from_name (const char    *name,
                          VtIgBaseline  *baseline,
                          GError       **error)
{
  int index;

  if (!lookup_name ("Integrated Gradients baseline", name, baselines, VT_IG_N_BASELINES, &index, error))
    return FALSE;
  *baseline = index;
  return TRUE;
}

static char *
baseline_definition (const VtGradientAttributionOptions *options)
{
  switch (options->baseline)
    {
    case VT_IG_BASELINE_ZEROS:
      return g_strdup ("zeros (0 in normalized space: the mean colour)");
    case VT_IG_BASELINE_BLACK:
      return g_strdup_printf ("black (pixel 0, normalized: -mean/std, mean %g %g %g, std %g %g %g)",
                              options->mean[0], options->mean[1], options->mean[2], options->std[0],
                              options->std[1], options->std[2]);
    case VT_IG_BASELINE_BLUR:
      return g_strdup_printf ("blur (Gaussian, sigma %g px, truncate 4, reflect: scipy.ndimage.gaussian_filter)",
                              options->blur_sigma);
    case VT_IG_BASELINE_NOISE:
      return g_strdup_printf ("noise (uniform [0, 1) pixels, normalized; numpy RandomState(%u).random_sample)",
                              options->seed);
    case VT_IG_N_BASELINES:
      break;
    }
  return g_strdup_printf ("unknown (%d)", options->baseline);
}

char *
vt_gradient_attribution_definition (VtGradientAttributionMethod         method,
                                    const VtGradientAttributionOptions *options)
{
  g_autofree char *baseline = NULL;

  g_return_val_if_fail (method < VT_GRADIENT_ATTRIBUTION_N_METHODS, NULL);
  switch (method)
    {
    case VT_GRADIENT_ATTRIBUTION_GRADIENT:
      return g_strdup ("gradient: sum_c dy/dx_c (y the target logit, x the normalized input), signed");
    case VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT:
      return g_strdup ("gradient_x_input: sum_c x_c * dy/dx_c, signed");
    case VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD:
      return g_strdup_printf ("smoothgrad: sum_c mean_s dy/dx_c(x + sigma * N(0, 1)), %d samples, "
                              "sigma = %g * (max - min of x), signed; numpy RandomState(%u).standard_normal",
                              options->samples, options->noise_level, options->seed);
    case VT_GRADIENT_ATTRIBUTION_IG:
      baseline = baseline_definition (options);
      return g_strdup_printf ("ig: sum_c (x - x')_c * sum_k w_k dy/dx_c(x' + a_k (x - x')), signed; %s, %d steps "
                              "(Captum's); baseline x' %s; gap = sum of attributions - (y(x) - y(x'))",
                              options->rule < VT_IG_N_RULES ? rules[options->rule] : "unknown", options->steps,
                              baseline);
    case VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT:
      return g_strdup ("gradient_rollout: R = I; per block R += mean_heads(relu(dy/dA * A)) R; the class token's "
                       "row over the patches, bilinear up-sampling with half-pixel centres (Chefer et al. 2021)");
    case VT_GRADIENT_ATTRIBUTION_N_METHODS:
      break;
    }
  g_assert_not_reached ();
}

/* The Gauss–Legendre nodes t (ascending) and weights v on [−1, 1]: Newton
 * on the Legendre polynomial from Tricomi's first guess, to double
 * precision (numpy's leggauss polishes eigenvalues the same way). */
static void
gauss_legendre (int     n,
                double *t,
                double *v)
{
  for (int i = 0; i < (n + 1) / 2; i++)
    {
      double z = cos (G_PI * (i + 0.75) / (n + 0.5)), dp = 1;

      for (int iteration = 0; iteration < 100; iteration++)
        {
          double p0 = 1, p1 = 0, step;

          /* p0 = P_n(z), p1 = P_{n−1}(z) by the three-term recurrence. */
          for (int j = 1; j <= n; j++)
            {
              double p2 = p1;

              p1 = p0;
              p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
            }
          dp = n * (z * p0 - p1) / (z * z - 1);
          step = p0 / dp;
          z -= step;
          if (fabs (step) <= 1e-16)
            break;
        }
      t[i] = -z;
      t[n - 1 - i] = z;
      v[i] = v[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
    }
}

void
vt_ig_rule_points (VtIgRule  rule,
                   int       steps,
                   double   *alphas,
                   double   *weights)
{
  g_return_if_fail (steps >= (rule == VT_IG_RULE_RIEMANN_TRAPEZOID ? 2 : 1));
  if (rule == VT_IG_RULE_GAUSS_LEGENDRE)
    {
      gauss_legendre (steps, alphas, weights);
      for (int k = 0; k < steps; k++)
        {
          alphas[k] = 0.5 * (1 + alphas[k]);
          weights[k] *= 0.5;
        }
      return;
    }
  /* np.linspace(0, 1, n) and Captum's deltas. */
  for (int k = 0; k < steps; k++)
    {
      alphas[k] = k == steps - 1 ? 1.0 : k * (1.0 / (steps - 1));
      weights[k] = 1.0 / steps;
    }
  weights[0] /= 2;
  weights[steps - 1] /= 2;
}

/* scipy.ndimage's "reflect" (d c b a | a b c d | d c b a), for any index. */
static int
reflect_index (int i,
               int n)
{
  int period = 2 * n;

  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - 1 - i;
}

/* plane (H, W) -> out (H, W): scipy.ndimage.gaussian_filter(plane, sigma,
 * mode="reflect", truncate=4.0), rows (axis 0) first, in double. */
static void
gaussian_blur (const float *plane,
               int          height,
               int          width,
               double       sigma,
               float       *out)
{
  int radius = (int) (4.0 * sigma + 0.5);
  gsize n = (gsize) height * width;
  g_autofree double *kernel = g_new (double, 2 * radius + 1);
  g_autofree double *columns = g_new (double, n);
  double sum = 0;

  for (int j = -radius; j <= radius; j++)
    sum += kernel[j + radius] = exp (-0.5 / (sigma * sigma) * j * j);
  for (int j = 0; j <= 2 * radius; j++)
    kernel[j] /= sum;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double acc = 0;

        for (int j = -radius; j <= radius; j++)
          acc += kernel[j + radius] * plane[(gsize) reflect_index (y + j, height) * width + x];
        columns[(gsize) y * width + x] = acc;
      }
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double acc = 0;

        for (int j = -radius; j <= radius; j++)
          acc += kernel[j + radius] * columns[(gsize) y * width + reflect_index (x + j, width)];
        out[(gsize) y * width + x] = (float) acc;
      }
}

void
vt_ig_baseline_image (const VtGradientAttributionOptions *options,
                      const float                        *pixels,
                      int                                 height,
                      int                                 width,
                      VtRandom                           *random,
                      float                              *baseline)
{
  gsize plane = (gsize) height * width;

  for (int c = 0; c < 3; c++)
    {
      float *out = baseline + c * plane;

      switch (options->baseline)
        {
        case VT_IG_BASELINE_ZEROS:
          memset (out, 0, sizeof (float) * plane);
          break;
        case VT_IG_BASELINE_BLACK:
          for (gsize p = 0; p < plane; p++)
            out[p] = (float) (-(double) options->mean[c] / options->std[c]);
          break;
        case VT_IG_BASELINE_BLUR:
          gaussian_blur (pixels + c * plane, height, width, options->blur_sigma, out);
          break;
        case VT_IG_BASELINE_NOISE:
          for (gsize p = 0; p < plane; p++)
            out[p] = (float) ((vt_random_double (random) - options->mean[c]) / options->std[c]);
          break;
        case VT_IG_N_BASELINES:
          g_return_if_reached ();
        }
    }
}

static gboolean
check_options (VtGradientAttributionMethod         method,
               const VtGradientAttributionOptions *options,
               GError                            **error)
{
#define FAIL(...) G_STMT_START { g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, \
                                              VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS, __VA_ARGS__); \
                                 return FALSE; } G_STMT_END
  if (method >= VT_GRADIENT_ATTRIBUTION_N_METHODS)
    FAIL ("unknown gradient attribution method %d", method);
  if (options->max_batch < 0)
    FAIL ("max_batch is %d: it must be at least 1, or 0 for automatic", options->max_batch);
  if (method == VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD)
    {
      if (options->samples < 1)
        FAIL ("smoothgrad: samples is %d: it must be at least 1", options->samples);
      if (!(options->noise_level >= 0 && isfinite (options->noise_level)))
        FAIL ("smoothgrad: noise_level is %g: it must be a finite number ≥ 0", options->noise_level);
    }
  if (method != VT_GRADIENT_ATTRIBUTION_IG)
    return TRUE;
  if ((guint) options->rule >= VT_IG_N_RULES)
    FAIL ("ig: unknown rule %d: expected gausslegendre or riemann_trapezoid", options->rule);
  if ((guint) options->baseline >= VT_IG_N_BASELINES)
    FAIL ("ig: unknown baseline %d: expected zeros, black, blur or noise", options->baseline);
  if (options->steps < 1)
    FAIL ("ig: steps is %d: it must be at least 1", options->steps);
  if (options->rule == VT_IG_RULE_RIEMANN_TRAPEZOID && options->steps < 2)
    FAIL ("ig: riemann_trapezoid needs at least 2 steps (it has both ends), not %d", options->steps);
  if (options->baseline == VT_IG_BASELINE_BLUR && !(options->blur_sigma > 0 && options->blur_sigma <= 1000))
    FAIL ("ig: blur_sigma is %g: it must be above 0 and at most 1000 pixels", options->blur_sigma);
  if (options->baseline == VT_IG_BASELINE_BLACK || options->baseline == VT_IG_BASELINE_NOISE)
    for (int c = 0; c < 3; c++)
      if (!(fabsf (options->std[c]) > 0 && isfinite (options->std[c]) && isfinite (options->mean[c])))
        FAIL ("ig: the %s baseline needs the checkpoint's normalization: mean %g and std %g of channel %d",
              baselines[options->baseline], options->mean[c], options->std[c], c);
  return TRUE;
#undef FAIL
}

/* ---- images through the model ------------------------------------------- */

typedef struct
{
  VtTrainable  *model;
  int           height, width, chunk;
  gsize         image;        /* 3 · H · W */
  GCancellable *cancellable;
} Runner;

/* The model's logits after a forward pass, or an error. */
static const VtTapeNode *
logits_tap (Runner  *runner,
            GError **error)
{
  const VtTapeNode *logits = vt_trainable_lookup_tap (runner->model, "logits");

  if (logits == NULL)
    g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_TARGET,
                 "the model has no classifier (no “logits”): a gradient attribution explains a class logit");
  return logits;
}

/* The class that row @row (of image @image) of @logits explains: the given
 * target, checked, or the row's argmax; @argmax gets the argmax. */
static gboolean
resolve_target (const float   *row,
                int            classes,
                const gint64  *targets,
                int            image,
                gint64        *target,
                gint64        *argmax,
                GError       **error)
{
  gint64 k = 0;

  for (int j = 1; j < classes; j++)
    if (row[j] > row[k])
      k = j;
  if (argmax)
    *argmax = k;
  if (targets != NULL)
    {
      if (targets[image] < 0 || targets[image] >= classes)
        {
          g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_TARGET,
                       "target class %" G_GINT64_FORMAT " of image %d is out of range: the model has %d classes "
                       "(0 to %d)", targets[image], image, classes, classes - 1);
          return FALSE;
        }
      k = targets[image];
    }
  *target = k;
  return TRUE;
}

/* inputs (n, 3, H, W) -> logits (n, K), forward passes only; *classes = K. */
static gboolean
forward_logits (Runner       *runner,
                const float  *inputs,
                gsize         n,
                float       **logits_out,
                int          *classes,
                GError      **error)
{
  g_autofree float *out = NULL;

  for (gsize start = 0; start < n; start += runner->chunk)
    {
      int rows = (int) MIN ((gsize) runner->chunk, n - start);
      const VtTapeNode *logits;

      if (g_cancellable_set_error_if_cancelled (runner->cancellable, error) ||
          !vt_trainable_forward (runner->model, inputs + start * runner->image, rows, runner->height, runner->width,
                                 error) ||
          (logits = logits_tap (runner, error)) == NULL)
        return FALSE;
      *classes = (int) logits->shape[1];
      if (out == NULL)
        out = g_new (float, n * *classes);
      memcpy (out + start * *classes, logits->value, sizeof (float) * rows * *classes);
    }
  *logits_out = g_steal_pointer (&out);
  return TRUE;
}

/* Writes row @row's input (3, H, W). */
typedef void (*MakeInput)    (gpointer      data,
                              gsize         row,
                              float        *x);
/* Takes ∂y/∂x (3, H, W) of row @row. */
typedef void (*TakeGradient) (gpointer      data,
                              gsize         row,
                              const float  *grad);

/* The gradient of each row's target logit with respect to its input, for
 * @n_rows rows, @per_image of them for each image (row r is image
 * r / per_image's): @make writes each input, @take reads each gradient.
 * @targets (images) or NULL for each row's own argmax, which @argmax
 * (n_rows) receives if not NULL. Rows are made in order. */
static gboolean
input_gradients (Runner        *runner,
                 gsize          n_rows,
                 int            per_image,
                 const gint64  *targets,
                 MakeInput      make,
                 TakeGradient   take,
                 gpointer       data,
                 gint64        *argmax,
                 GError       **error)
{
  g_autofree float *x = g_new (float, (gsize) runner->chunk * runner->image);
  g_autofree float *dlogits = NULL;

  for (gsize start = 0; start < n_rows; start += runner->chunk)
    {
      int rows = (int) MIN ((gsize) runner->chunk, n_rows - start), classes;
      const VtTapeNode *logits, *input;

      for (int i = 0; i < rows; i++)
        make (data, start + i, x + i * runner->image);
      if (g_cancellable_set_error_if_cancelled (runner->cancellable, error) ||
          !vt_trainable_forward (runner->model, x, rows, runner->height, runner->width, error) ||
          (logits = logits_tap (runner, error)) == NULL)
        return FALSE;
      classes = (int) logits->shape[1];
      if (dlogits == NULL)
        dlogits = g_new (float, (gsize) runner->chunk * classes);
      memset (dlogits, 0, sizeof (float) * rows * classes);
      for (int i = 0; i < rows; i++)
        {
          gsize row = start + i;
          gint64 k;

          if (!resolve_target (logits->value + (gsize) i * classes, classes, targets, (int) (row / per_image), &k,
                               argmax ? argmax + row : NULL, error))
            return FALSE;
          dlogits[(gsize) i * classes + k] = 1.0f;
        }
      if (!vt_trainable_backward (runner->model, "logits", dlogits, error))
        return FALSE;
      input = vt_trainable_lookup_tap (runner->model, "input");
      g_assert (input != NULL && input->grad != NULL);
      for (int i = 0; i < rows; i++)
        take (data, start + i, input->grad + i * runner->image);
    }
  return TRUE;
}

/* ---- gradient and gradient × input --------------------------------------- */

typedef struct
{
  const float *pixels;
  float       *maps;
  gsize        plane;
  gboolean     times_input;
} Plain;

static void
plain_make (gpointer  data,
            gsize     row,
            float    *x)
{
  Plain *self = data;

  memcpy (x, self->pixels + row * 3 * self->plane, sizeof (float) * 3 * self->plane);
}

static void
plain_take (gpointer     data,
            gsize        row,
            const float *grad)
{
  Plain *self = data;
  const float *x = self->pixels + row * 3 * self->plane;
  float *map = self->maps + row * self->plane;

  for (gsize p = 0; p < self->plane; p++)
    {
      double sum = 0;

      for (int c = 0; c < 3; c++)
        sum += (double) grad[c * self->plane + p] * (self->times_input ? x[c * self->plane + p] : 1.0f);
      map[p] = (float) sum;
    }
}

/* ---- SmoothGrad ------------------------------------------------------------ */

typedef struct
{
  const float *pixels;
  gsize        image;
  int          samples;
  double      *sigma;     /* (B) */
  double      *sum;       /* (B, 3, H, W): Σ_s ∂y/∂x */
  VtRandom     random;
} Smooth;

static void
smooth_make (gpointer  data,
             gsize     row,
             float    *x)
{
  Smooth *self = data;
  gsize b = row / self->samples;
  const float *clean = self->pixels + b * self->image;

  for (gsize p = 0; p < self->image; p++)
    x[p] = (float) (clean[p] + self->sigma[b] * vt_random_gauss (&self->random));
}

static void
smooth_take (gpointer     data,
             gsize        row,
             const float *grad)
{
  Smooth *self = data;
  double *sum = self->sum + row / self->samples * self->image;

  for (gsize p = 0; p < self->image; p++)
    sum[p] += grad[p];
}

/* ---- Integrated Gradients --------------------------------------------------- */

typedef struct
{
  const float  *pixels;
  const float  *baselines;  /* (B, 3, H, W) */
  gsize         image;
  int           steps;
  const double *alphas, *weights;
  double       *sum;        /* (B, 3, H, W): Σ_k w_k ∂y/∂x */
} Path;

static void
path_make (gpointer  data,
           gsize     row,
           float    *x)
{
  Path *self = data;
  gsize b = row / self->steps;
  double alpha = self->alphas[row % self->steps];
  const float *end = self->pixels + b * self->image, *start = self->baselines + b * self->image;

  for (gsize p = 0; p < self->image; p++)
    x[p] = (float) (start[p] + alpha * ((double) end[p] - start[p]));
}

static void
path_take (gpointer     data,
           gsize        row,
           const float *grad)
{
  Path *self = data;
  double *sum = self->sum + row / self->steps * self->image, w = self->weights[row % self->steps];

  for (gsize p = 0; p < self->image; p++)
    sum[p] += w * grad[p];
}

/* The clean images' logits: the targets, the predictions and, for IG, y(x)
 * (@target_logits, B). */
static gboolean
clean_targets (Runner        *runner,
               const float   *pixels,
               int            batch,
               const gint64  *targets,
               gint64        *targets_out,
               gint64        *predicted_out,
               double        *target_logits,
               int           *classes,
               GError       **error)
{
  g_autofree float *logits = NULL;

  if (!forward_logits (runner, pixels, batch, &logits, classes, error))
    return FALSE;
  for (int b = 0; b < batch; b++)
    {
      if (!resolve_target (logits + (gsize) b * *classes, *classes, targets, b, &targets_out[b], &predicted_out[b],
                           error))
        return FALSE;
      if (target_logits)
        target_logits[b] = logits[(gsize) b * *classes + targets_out[b]];
    }
  return TRUE;
}

static gboolean
integrated_gradients (Runner                             *runner,
                      const VtGradientAttributionOptions *options,
                      const float                        *pixels,
                      int                                 batch,
                      const gint64                       *targets,
                      float                              *maps,
                      gint64                             *targets_out,
                      gint64                             *predicted_out,
                      double                             *gaps,
                      GError                            **error)
{
  gsize image = runner->image, plane = image / 3;
  g_autofree double *alphas = g_new (double, options->steps);
  g_autofree double *weights = g_new (double, options->steps);
  g_autofree double *y = g_new (double, batch);
  g_autofree float *base = g_new (float, batch * image);
  g_autofree float *base_logits = NULL;
  Path path = { pixels, base, image, options->steps, alphas, weights, g_new0 (double, batch * image) };
  g_autofree double *sum = path.sum;
  VtRandom random;
  int classes;

  vt_ig_rule_points (options->rule, options->steps, alphas, weights);
  vt_random_init (&random, options->seed);
  for (int b = 0; b < batch; b++)
    vt_ig_baseline_image (options, pixels + b * image, runner->height, runner->width, &random, base + b * image);
  if (!clean_targets (runner, pixels, batch, targets, targets_out, predicted_out, y, &classes, error) ||
      !forward_logits (runner, base, batch, &base_logits, &classes, error) ||
      !input_gradients (runner, (gsize) batch * options->steps, options->steps, targets_out, path_make, path_take,
                        &path, NULL, error))
    return FALSE;
  for (int b = 0; b < batch; b++)
    {
      const float *x = pixels + b * image, *x0 = base + b * image;
      const double *s = sum + b * image;
      float *map = maps + b * plane;
      double total = 0;

      for (gsize p = 0; p < plane; p++)
        {
          double m = 0;

          for (int c = 0; c < 3; c++)
            {
              gsize i = c * plane + p;

              m += ((double) x[i] - x0[i]) * s[i];
            }
          map[p] = (float) m;
        }
      /* Over the unsummed attributions, channel after channel. */
      for (gsize i = 0; i < image; i++)
        total += ((double) x[i] - x0[i]) * s[i];
      if (gaps)
        gaps[b] = total - (y[b] - base_logits[(gsize) b * classes + targets_out[b]]);
    }
  return TRUE;
}

/* ---- gradient rollout ------------------------------------------------------ */

/* The prefix of the ViT's taps ("" or "visual.") and its depth, from the
 * tape of a forward pass; 0 blocks when it has no attention. */
static int
attention_blocks (VtTrainable  *model,
                  const char  **prefix)
{
  static const char *const prefixes[] = { "", "visual." };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      int depth = 0;

      for (;; depth++)
        {
          g_autofree char *name = g_strdup_printf ("%sblocks.%d.attn_probs", prefixes[i], depth);

          if (vt_trainable_lookup_tap (model, name) == NULL)
            break;
        }
      if (depth > 0)
        {
          *prefix = prefixes[i];
          return depth;
        }
    }
  return 0;
}

/* One image's rollout: probs[l], grads[l] (heads, T, T) for each of @depth
 * blocks -> the class token's row R[0, prefix …] (gh · gw). */
static void
rollout_image (const float * const *probs,
               const float * const *grads,
               int                  depth,
               int                  heads,
               int                  tokens,
               int                  prefix,
               float               *row)
{
  gsize tt = (gsize) tokens * tokens;
  g_autofree double *r = g_new0 (double, tt);
  g_autofree double *fused = g_new (double, tt);
  g_autofree double *product = g_new (double, tt);

  for (int i = 0; i < tokens; i++)
    r[(gsize) i * tokens + i] = 1;
  for (int l = 0; l < depth; l++)
    {
      for (gsize e = 0; e < tt; e++)
        {
          double sum = 0;

          for (int h = 0; h < heads; h++)
            sum += MAX ((double) grads[l][h * tt + e] * probs[l][h * tt + e], 0.0);
          fused[e] = sum / heads;
        }
      /* product = fused · r, then r += product. */
      memset (product, 0, sizeof (double) * tt);
      for (int q = 0; q < tokens; q++)
        for (int k = 0; k < tokens; k++)
          {
            double a = fused[(gsize) q * tokens + k];
            const double *rk = r + (gsize) k * tokens;
            double *pq = product + (gsize) q * tokens;

            if (a != 0)
              for (int j = 0; j < tokens; j++)
                pq[j] += a * rk[j];
          }
      for (gsize e = 0; e < tt; e++)
        r[e] += product[e];
    }
  for (int p = prefix; p < tokens; p++)
    row[p - prefix] = (float) r[p];
}

static gboolean
gradient_rollout (Runner        *runner,
                  const float   *pixels,
                  int            batch,
                  const gint64  *targets,
                  float         *maps,
                  gint64        *targets_out,
                  gint64        *predicted_out,
                  GError       **error)
{
  gsize plane = (gsize) runner->height * runner->width;
  g_autofree float *dlogits = NULL;
  g_autofree float *grid = NULL;
  g_autofree const float **probs = NULL;
  g_autofree const float **grads = NULL;

  for (int start = 0; start < batch; start += runner->chunk)
    {
      int rows = MIN (runner->chunk, batch - start), classes, depth, heads, tokens, patches, gh, gw, prefix;
      const VtTapeNode *logits, *patch, *first;
      const char *tp = "";
      g_autofree char *patch_name = NULL;
      g_autofree char *first_name = NULL;

      if (g_cancellable_set_error_if_cancelled (runner->cancellable, error) ||
          !vt_trainable_forward (runner->model, pixels + start * runner->image, rows, runner->height, runner->width,
                                 error))
        return FALSE;
      depth = attention_blocks (runner->model, &tp);
      patch_name = g_strconcat (tp, "embed.patch", NULL);
      first_name = g_strconcat (tp, "blocks.0.attn_probs", NULL);
      patch = vt_trainable_lookup_tap (runner->model, patch_name);
      if (depth == 0 || patch == NULL)
        {
          g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_MODEL,
                       "gradient_rollout needs a ViT's attention (the taps blocks.N.attn_probs): this model has none");
          return FALSE;
        }
      first = vt_trainable_lookup_tap (runner->model, first_name);
      heads = (int) first->shape[1];
      tokens = (int) first->shape[2];
      patches = (int) patch->shape[1];
      prefix = tokens - patches;
      /* The grid has the input's aspect ratio: gh · gw = patches. */
      gw = (int) lround (sqrt ((double) patches * runner->width / runner->height));
      gh = gw > 0 ? patches / gw : 0;
      if (prefix < 1 || gh * gw != patches)
        {
          g_set_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_MODEL,
                       "gradient_rollout explains the class token's row of attention: this ViT has %d tokens for %d "
                       "patches, so no class token", tokens, patches);
          return FALSE;
        }
      if ((logits = logits_tap (runner, error)) == NULL)
        return FALSE;
      classes = (int) logits->shape[1];
      if (dlogits == NULL)
        {
          dlogits = g_new (float, (gsize) runner->chunk * classes);
          grid = g_new (float, patches);
          probs = g_new (const float *, depth);
          grads = g_new (const float *, depth);
        }
      memset (dlogits, 0, sizeof (float) * rows * classes);
      for (int i = 0; i < rows; i++)
        {
          int b = start + i;

          if (!resolve_target (logits->value + (gsize) i * classes, classes, targets, b, &targets_out[b],
                               &predicted_out[b], error))
            return FALSE;
          dlogits[(gsize) i * classes + targets_out[b]] = 1.0f;
        }
      if (!vt_trainable_backward (runner->model, "logits", dlogits, error))
        return FALSE;
      for (int i = 0; i < rows; i++)
        {
          gsize per_image = (gsize) heads * tokens * tokens;

          for (int l = 0; l < depth; l++)
            {
              g_autofree char *name = g_strdup_printf ("%sblocks.%d.attn_probs", tp, l);
              const VtTapeNode *node = vt_trainable_lookup_tap (runner->model, name);

              probs[l] = node->value + i * per_image;
              grads[l] = node->grad + i * per_image;
            }
          rollout_image (probs, grads, depth, heads, tokens, prefix, grid);
          vt_attention_upsample (grid, gh, gw, runner->height, runner->width, maps + (start + i) * plane);
        }
    }
  return TRUE;
}

/* ---- the entry point ------------------------------------------------------- */

gboolean
vt_gradient_attribute (VtTrainable                        *model,
                       VtGradientAttributionMethod         method,
                       const VtGradientAttributionOptions *options,
                       const float                        *pixels,
                       int                                 batch,
                       int                                 height,
                       int                                 width,
                       const gint64                       *targets,
                       float                              *maps,
                       gint64                             *targets_out,
                       gint64                             *predicted_out,
                       double                             *gaps,
                       double                             *seconds,
                       GCancellable                       *cancellable,
                       GError                            **error)
{
  g_autoptr(GTimer) timer = g_timer_new ();
  gsize plane = (gsize) height * width;
  Runner runner = { model, height, width, 0, 3 * plane, cancellable };
  gboolean ok = FALSE;
  int classes;

  g_return_val_if_fail (model != NULL && options != NULL && batch >= 0, FALSE);
  runner.chunk = options->max_batch;
  if (seconds)
    *seconds = 0;
  if (gaps)
    for (int b = 0; b < batch; b++)
      gaps[b] = NAN;
  if (!check_options (method, options, error) || !vt_trainable_check_input (model, height, width, error))
    return FALSE;
  if (batch == 0)
    return TRUE;
  if (runner.chunk == 0)
    runner.chunk = (int) CLAMP (AUTO_BATCH_BYTES / MAX (vt_trainable_bytes (model, 1, height, width), 1.0), 1,
                                AUTO_BATCH_MAX);
  /* Only the rollout reads no input gradient. */
  vt_trainable_set_input_gradient (model, method != VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT);

  switch (method)
    {
    case VT_GRADIENT_ATTRIBUTION_GRADIENT:
    case VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT:
      {
        Plain plain = { pixels, maps, plane, method == VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT };

        /* The images' own pass gives the predictions: no pass before it. */
        ok = input_gradients (&runner, batch, 1, targets, plain_make, plain_take, &plain, predicted_out, error);
        for (int b = 0; ok && b < batch; b++)
          targets_out[b] = targets ? targets[b] : predicted_out[b];
        break;
      }

    case VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD:
      {
        g_autofree double *sigma = g_new (double, batch);
        Smooth smooth = { pixels, runner.image, options->samples, sigma, g_new0 (double, batch * runner.image) };
        g_autofree double *sum = smooth.sum;

        for (int b = 0; b < batch; b++)
          {
            const float *x = pixels + b * runner.image;
            float lo = x[0], hi = x[0];

            for (gsize p = 1; p < runner.image; p++)
              {
                lo = MIN (lo, x[p]);
                hi = MAX (hi, x[p]);
              }
            sigma[b] = options->noise_level * ((double) hi - lo);
          }
        vt_random_init (&smooth.random, options->seed);
        ok = clean_targets (&runner, pixels, batch, targets, targets_out, predicted_out, NULL, &classes, error) &&
             input_gradients (&runner, (gsize) batch * options->samples, options->samples, targets_out, smooth_make,
                              smooth_take, &smooth, NULL, error);
        for (int b = 0; ok && b < batch; b++)
          for (gsize p = 0; p < plane; p++)
            {
              const double *s = sum + b * runner.image;

              maps[b * plane + p] = (float) ((s[p] + s[plane + p] + s[2 * plane + p]) / options->samples);
            }
        break;
      }

    case VT_GRADIENT_ATTRIBUTION_IG:
      ok = integrated_gradients (&runner, options, pixels, batch, targets, maps, targets_out, predicted_out, gaps,
                                 error);
      break;

    case VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT:
      ok = gradient_rollout (&runner, pixels, batch, targets, maps, targets_out, predicted_out, error);
      break;

    case VT_GRADIENT_ATTRIBUTION_N_METHODS:
      g_assert_not_reached ();
    }
  if (seconds)
    *seconds = g_timer_elapsed (timer, NULL);
  return ok;
}
