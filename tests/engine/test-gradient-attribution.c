/* test-gradient-attribution.c: gradient, gradient × input, SmoothGrad,
 * Integrated Gradients and gradient rollout (vt-gradient-attribution.h)
 * against tests/reference/make_gradient_attribution_fixture.py, which
 * writes Captum's and Chefer et al.'s definitions out on PyTorch's float64
 * autograd: the real CIFAR ResNet-20, timm's ViT and DeiT. Gradient maps
 * must agree within 1e-4 per pixel after dividing by the reference's
 * largest |value|, IG maps within 1e-4 relative L2, and completeness gaps
 * within GAP_TOLERANCE; SmoothGrad and IG on the ReLU ResNet within
 * RELU_NOISY_TOLERANCE (float32 against float64, see there). The largest
 * differences are printed. Also: IG's
 * gap shrinks from 5 to 50 Gauss–Legendre steps, the baselines, the rules'
 * points, the errors, cancellation and the names. */
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "methods/attribution/vt-gradient-attribution.h"
#include "models/vt-architecture.h"
#include "models/vt-trainable.h"
#include "vt-test-util.h"

#define MAP_TOLERANCE 1e-4
#define IG_TOLERANCE 1e-4
/* SmoothGrad and IG on the ReLU network evaluate it at 75 and 150 inputs
 * near no training image, where some ReLU's input lies within float32's
 * rounding of 0 and flips its gradient: a difference of float32 against
 * float64, not of formula. PyTorch's own float32 autograd, against its
 * float64 on the same inputs (make_gradient_attribution_fixture.py
 * --float32), differs as much: 2.6e-4 per pixel for SmoothGrad; for IG
 * (gausslegendre, zeros, 50) 6.0e-4 relative L2 and 2.0e-3 per pixel, its
 * gaps up to 1.3e-2 of |gap| (gausslegendre, blur). Ours measured 6.0e-4 per pixel, 5.9e-4 relative L2
 * and gaps within 1.0e-4 of max(|gap|, |y(x) - y(x')|); clean inputs
 * (gradient, gradient × input) and the smooth ViTs agree to 1e-6. */
#define RELU_NOISY_TOLERANCE 1e-3
#define RELU_GAP_TOLERANCE 3e-4
/* The gap is Σ attributions − (y(x) − y(x')): a difference of two sums
 * that nearly cancel (for the smooth ViTs at 50 Gauss–Legendre steps the
 * gap is 1e-9 against y(x) − y(x') of order 1), so float32's rounding of
 * the logits (relative 6e-8) bounds what can agree: relative to the larger
 * of |gap| and |y(x) − y(x')|. */
#define GAP_TOLERANCE 1e-4

/* The ReLU network is the CIFAR ResNet (no patches). */
#define IS_RELU_NETWORK(c) ((c)->arch->patch_size == 0)

typedef struct
{
  VtCheckpoint                 *fixture;
  VtCheckpoint                 *checkpoint;
  VtArchitecture               *arch;
  VtTrainable                  *model;
  VtGradientAttributionOptions  options;
  float                        *input;
  gint64                       *targets;
  gint64                       *predicted;
  int                           batch, height, width;
} Case;

static void
case_free (Case *c)
{
  vt_trainable_free (c->model);
  vt_architecture_free (c->arch);
  vt_checkpoint_unref (c->checkpoint);
  vt_checkpoint_unref (c->fixture);
  g_free (c->input);
  g_free (c->targets);
  g_free (c->predicted);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Case, case_free)

static const VtTensor *
lookup (VtCheckpoint *fixture,
        const char   *name)
{
  const VtTensor *t = vt_checkpoint_lookup (fixture, name);

  if (t == NULL)
    g_error ("the fixture has no tensor “%s”", name);
  return t;
}

static const char *
metadata (VtCheckpoint *fixture,
          const char   *key)
{
  const char *value = g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), key);

  g_assert_nonnull (value);
  return value;
}

static gint64 *
read_classes (VtCheckpoint *fixture,
              const char   *name,
              int           batch)
{
  const VtTensor *t = lookup (fixture, name);
  gint64 *out = g_new (gint64, batch);

  g_assert_cmpint (t->numel, ==, batch);
  for (int i = 0; i < batch; i++)
    out[i] = (gint64) vt_dtype_read_double (t->dtype, t->data, i);
  return out;
}

/* "0.485 0.456 0.406" -> three floats, which must be the preset's. */
static void
read_triple (VtCheckpoint *fixture,
             const char   *key,
             const float   preset[3],
             float         out[3])
{
  g_auto(GStrv) parts = g_strsplit (metadata (fixture, key), " ", -1);

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  for (int c = 0; c < 3; c++)
    {
      out[c] = (float) g_ascii_strtod (parts[c], NULL);
      g_assert_cmpfloat (out[c], ==, preset[c]);
    }
}

static Case *
case_open (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("attribution/grad-%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (relative);
  g_autofree char *weights = NULL;
  g_autoptr(GError) error = NULL;
  Case *c = g_new0 (Case, 1);
  const VtTensor *input;
  const char *where;

  c->fixture = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  where = metadata (c->fixture, "checkpoint");
  g_assert_true (g_str_has_prefix (where, "shared:"));
  weights = vt_test_asset (where + strlen ("shared:"));
  c->checkpoint = vt_checkpoint_open (weights, &error);
  g_assert_no_error (error);
  c->arch = vt_architecture_recognize (c->checkpoint);
  c->model = vt_trainable_new (c->checkpoint, c->arch, &error);
  g_assert_no_error (error);
  input = lookup (c->fixture, "input");
  c->input = vt_tensor_dup_float (input);
  c->batch = (int) input->shape[0];
  c->height = (int) input->shape[2];
  c->width = (int) input->shape[3];
  c->targets = read_classes (c->fixture, "targets", c->batch);
  c->predicted = read_classes (c->fixture, "predicted", c->batch);

  /* The reference's settings, which must be the defaults, and the
   * checkpoint's normalization as Vitrine's preset has it. */
  vt_gradient_attribution_options_init (&c->options);
  g_assert_cmpint (atoi (metadata (c->fixture, "samples")), ==, c->options.samples);
  g_assert_cmpfloat (g_ascii_strtod (metadata (c->fixture, "noise_level"), NULL), ==, c->options.noise_level);
  g_assert_cmpint (atoi (metadata (c->fixture, "seed")), ==, c->options.seed);
  g_assert_cmpfloat (g_ascii_strtod (metadata (c->fixture, "blur_sigma"), NULL), ==, c->options.blur_sigma);
  read_triple (c->fixture, "mean", c->arch->mean, c->options.mean);
  read_triple (c->fixture, "std", c->arch->std, c->options.std);
  return c;
}

/* Runs @method with @options; targets the fixture's, or NULL (predicted). */
static float *
attribute (Case                               *c,
           VtGradientAttributionMethod         method,
           const VtGradientAttributionOptions *options,
           gboolean                            predicted,
           double                             *gaps)
{
  g_autoptr(GError) error = NULL;
  gsize n = (gsize) c->batch * c->height * c->width;
  float *maps = g_new (float, n);
  g_autofree gint64 *targets = g_new (gint64, c->batch);
  g_autofree gint64 *argmax = g_new (gint64, c->batch);
  double seconds;

  g_assert_true (vt_gradient_attribute (c->model, method, options, c->input, c->batch, c->height, c->width,
                                        predicted ? NULL : c->targets, maps, targets, argmax, gaps, &seconds, NULL,
                                        &error));
  g_assert_no_error (error);
  for (int b = 0; b < c->batch; b++)
    {
      g_assert_cmpint (argmax[b], ==, c->predicted[b]);
      g_assert_cmpint (targets[b], ==, c->targets[b]);
    }
  g_test_message ("%s: %.3g s", vt_gradient_attribution_method_name (method), seconds);
  return maps;
}

/* max |ours − ref| / max |ref| (per pixel, after normalising by the
 * reference's largest magnitude), and the relative L2 difference. */
static void
compare (const float    *ours,
         const VtTensor *ref,
         gsize           n,
         double         *per_pixel,
         double         *relative_l2)
{
  double top = 0, diff = 0, d2 = 0, r2 = 0;

  g_assert_cmpint (ref->numel, ==, n);
  for (gsize p = 0; p < n; p++)
    {
      double r = vt_dtype_read_double (ref->dtype, ref->data, p), d = ours[p] - r;

      g_assert_true (isfinite (ours[p]));
      top = MAX (top, fabs (r));
      diff = MAX (diff, fabs (d));
      d2 += d * d;
      r2 += r * r;
    }
  /* A map of zeros would agree with nothing but zeros. */
  g_assert_cmpfloat (top, >, 0);
  *per_pixel = diff / top;
  *relative_l2 = sqrt (d2 / r2);
}

static void
check_gradients (const char *name,
                 gboolean    predicted)
{
  static const VtGradientAttributionMethod all[] = { VT_GRADIENT_ATTRIBUTION_GRADIENT,
                                                     VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT,
                                                     VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD };
  g_autoptr(Case) c = case_open (name);
  gsize n = (gsize) c->batch * c->height * c->width;

  for (guint m = 0; m < G_N_ELEMENTS (all); m++)
    {
      const char *method = vt_gradient_attribution_method_name (all[m]);
      g_autofree double *gaps = g_new (double, c->batch);
      g_autofree float *maps = attribute (c, all[m], &c->options, predicted, gaps);
      double per_pixel, l2;

      compare (maps, lookup (c->fixture, method), n, &per_pixel, &l2);
      g_test_message ("%s %s: largest difference %.3g of the largest |value| (relative L2 %.3g)", name, method,
                      per_pixel, l2);
      g_assert_cmpfloat (per_pixel, <=, all[m] == VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD && IS_RELU_NETWORK (c)
                                        ? RELU_NOISY_TOLERANCE : MAP_TOLERANCE);
      for (int b = 0; b < c->batch; b++)
        g_assert_true (isnan (gaps[b]));
    }
}

/* Every IG case in the fixture ("ig.<rule>.<baseline>.<steps>"). */
static void
check_ig (const char *name,
          gboolean    predicted)
{
  g_autoptr(Case) c = case_open (name);
  gsize n = (gsize) c->batch * c->height * c->width;
  GHashTableIter iter;
  gpointer key;
  guint cases = 0;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) sorted = NULL;

  /* The names of the maps, from the fixture's tensor table. */
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (c->fixture); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (c->fixture, i);
      g_auto(GStrv) parts = g_strsplit (t->name, ".", -1);

      if (g_str_equal (parts[0], "ig") && g_strv_length (parts) == 4)
        g_hash_table_add (names, (gpointer) t->name);
    }
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    sorted = g_list_insert_sorted (sorted, key, (GCompareFunc) g_strcmp0);
  for (GList *l = sorted; l; l = l->next, cases++)
    {
      const char *map_name = l->data;
      g_auto(GStrv) parts = g_strsplit (map_name, ".", -1);
      g_autofree char *gap_name = g_strconcat (map_name, ".gap", NULL);
      g_autofree char *difference_name = g_strconcat (map_name, ".difference", NULL);
      const VtTensor *gap_ref = lookup (c->fixture, gap_name);
      const VtTensor *difference = lookup (c->fixture, difference_name);
      VtGradientAttributionOptions options = c->options;
      g_autofree double *gaps = g_new (double, c->batch);
      g_autofree float *maps = NULL;
      g_autoptr(GError) error = NULL;
      double per_pixel, l2, worst = 0;

      g_assert_true (vt_ig_rule_from_name (parts[1], &options.rule, &error));
      g_assert_true (vt_ig_baseline_from_name (parts[2], &options.baseline, &error));
      g_assert_no_error (error);
      options.steps = atoi (parts[3]);
      maps = attribute (c, VT_GRADIENT_ATTRIBUTION_IG, &options, predicted, gaps);
      compare (maps, lookup (c->fixture, map_name), n, &per_pixel, &l2);
      for (int b = 0; b < c->batch; b++)
        {
          double r = vt_dtype_read_double (gap_ref->dtype, gap_ref->data, b);
          double scale = MAX (fabs (r), fabs (vt_dtype_read_double (difference->dtype, difference->data, b)));

          g_test_message ("%s %s image %d: gap %.6g, reference %.6g (y(x) - y(x') %.4g)", name, map_name, b, gaps[b],
                          r, vt_dtype_read_double (difference->dtype, difference->data, b));
          worst = MAX (worst, fabs (gaps[b] - r) / scale);
        }
      g_test_message ("%s %s: relative L2 %.3g (per pixel %.3g of the largest |value|); gaps within %.3g", name,
                      map_name, l2, per_pixel, worst);
      g_assert_cmpfloat (l2, <=, IS_RELU_NETWORK (c) ? RELU_NOISY_TOLERANCE : IG_TOLERANCE);
      g_assert_cmpfloat (worst, <=, IS_RELU_NETWORK (c) ? RELU_GAP_TOLERANCE : GAP_TOLERANCE);
    }
  g_assert_cmpuint (cases, >=, 7);
}

/* The completeness gap shrinks with the steps: 5 against 50
 * Gauss–Legendre steps, on every image. */
static void
check_gap_shrinks (const char *name)
{
  g_autoptr(Case) c = case_open (name);
  VtGradientAttributionOptions options = c->options;
  g_autofree double *gaps5 = g_new (double, c->batch);
  g_autofree double *gaps50 = g_new (double, c->batch);
  g_autofree float *maps5 = NULL;
  g_autofree float *maps50 = NULL;

  options.steps = 5;
  maps5 = attribute (c, VT_GRADIENT_ATTRIBUTION_IG, &options, FALSE, gaps5);
  options.steps = 50;
  maps50 = attribute (c, VT_GRADIENT_ATTRIBUTION_IG, &options, FALSE, gaps50);
  for (int b = 0; b < c->batch; b++)
    {
      g_test_message ("%s image %d: |gap| %.3g at 5 steps, %.3g at 50", name, b, fabs (gaps5[b]), fabs (gaps50[b]));
      g_assert_cmpfloat (fabs (gaps50[b]), <, fabs (gaps5[b]));
    }
}

static void
check_rollout (const char *name)
{
  g_autoptr(Case) c = case_open (name);
  gsize n = (gsize) c->batch * c->height * c->width;
  g_autofree float *maps = attribute (c, VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT, &c->options, TRUE, NULL);
  double per_pixel, l2;

  compare (maps, lookup (c->fixture, "gradient_rollout"), n, &per_pixel, &l2);
  g_test_message ("%s gradient_rollout: largest difference %.3g of the largest |value| (relative L2 %.3g)", name,
                  per_pixel, l2);
  g_assert_cmpfloat (per_pixel, <=, MAP_TOLERANCE);
}

static void
test_cifar_resnet20_gradients (void)
{
  check_gradients ("cifar_resnet20", FALSE);
}

static void
test_cifar_resnet20_ig (void)
{
  check_ig ("cifar_resnet20", FALSE);
  check_gap_shrinks ("cifar_resnet20");
}

/* The ViT fixtures' targets are the predicted classes: asked for "predicted". */
static void
test_vit_cls (void)
{
  check_gradients ("vit_cls", TRUE);
  check_ig ("vit_cls", TRUE);
  check_gap_shrinks ("vit_cls");
  check_rollout ("vit_cls");
}

static void
test_deit_distilled (void)
{
  check_gradients ("deit_distilled", TRUE);
  check_ig ("deit_distilled", TRUE);
  check_gap_shrinks ("deit_distilled");
  check_rollout ("deit_distilled");
}

/* vt_ig_baseline_image against the reference's blur and noise baselines. */
static void
test_baselines (void)
{
  g_autoptr(Case) c = case_open ("cifar_resnet20");
  const VtIgBaseline kinds[] = { VT_IG_BASELINE_BLUR, VT_IG_BASELINE_NOISE };
  gsize image = (gsize) 3 * c->height * c->width;
  g_autofree float *base = g_new (float, image);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      VtGradientAttributionOptions options = c->options;
      g_autofree char *name = g_strconcat ("baseline.", vt_ig_baseline_name (kinds[i]), NULL);
      const VtTensor *ref = lookup (c->fixture, name);
      VtRandom random;
      double diff = 0;

      options.baseline = kinds[i];
      vt_random_init (&random, options.seed);
      for (int b = 0; b < c->batch; b++)
        {
          vt_ig_baseline_image (&options, c->input + b * image, c->height, c->width, &random, base);
          for (gsize p = 0; p < image; p++)
            diff = MAX (diff, fabs (base[p] - vt_dtype_read_double (ref->dtype, ref->data, b * image + p)));
        }
      g_test_message ("%s: largest difference %.3g", name, diff);
      g_assert_cmpfloat (diff, <=, 1e-6);
    }
  {
    VtGradientAttributionOptions options = c->options;

    options.baseline = VT_IG_BASELINE_BLACK;
    vt_ig_baseline_image (&options, c->input, c->height, c->width, NULL, base);
    for (int ch = 0; ch < 3; ch++)
      g_assert_cmpfloat (fabs (base[ch * image / 3] + c->arch->mean[ch] / c->arch->std[ch]), <=, 1e-6);
  }
}

/* The rules' points: Gauss–Legendre integrates polynomials of degree
 * 2n − 1 exactly on [0, 1]; Captum's trapezoid weights sum to (n − 1) / n. */
static void
test_rule_points (void)
{
  for (int n = 1; n <= 64; n++)
    {
      g_autofree double *alphas = g_new (double, n);
      g_autofree double *weights = g_new (double, n);

      vt_ig_rule_points (VT_IG_RULE_GAUSS_LEGENDRE, n, alphas, weights);
      for (int degree = 0; degree <= 2 * n - 1; degree++)
        {
          double sum = 0;

          for (int k = 0; k < n; k++)
            sum += weights[k] * pow (alphas[k], degree);
          g_assert_cmpfloat (fabs (sum - 1.0 / (degree + 1)), <=, 1e-13);
        }
      for (int k = 1; k < n; k++)
        g_assert_cmpfloat (alphas[k], >, alphas[k - 1]);
      if (n < 2)
        continue;
      vt_ig_rule_points (VT_IG_RULE_RIEMANN_TRAPEZOID, n, alphas, weights);
      {
        double sum = 0;

        for (int k = 0; k < n; k++)
          sum += weights[k];
        g_assert_cmpfloat (fabs (sum - (n - 1.0) / n), <=, 1e-14);
        g_assert_cmpfloat (alphas[0], ==, 0);
        g_assert_cmpfloat (alphas[n - 1], ==, 1);
      }
    }
}

/* Expects @method with @options to fail with @code; returns the message. */
static void
expect_error (Case                               *c,
              VtGradientAttributionMethod         method,
              const VtGradientAttributionOptions *options,
              const gint64                       *targets,
              int                                 code,
              const char                         *part)
{
  g_autoptr(GError) error = NULL;
  gsize plane = (gsize) c->height * c->width;
  g_autofree float *maps = g_new (float, plane);
  gint64 target, predicted;
  double gap;

  g_assert_false (vt_gradient_attribute (c->model, method, options, c->input, 1, c->height, c->width, targets, maps,
                                         &target, &predicted, &gap, NULL, NULL, &error));
  g_assert_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, part));
}

static void
test_errors (void)
{
  g_autoptr(Case) c = case_open ("cifar_resnet20");
  VtGradientAttributionOptions options = c->options;
  gint64 bad = 10;

  options.steps = 0;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_IG, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS, "steps is 0");
  options.steps = 1;
  options.rule = VT_IG_RULE_RIEMANN_TRAPEZOID;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_IG, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
                "at least 2 steps");
  options = c->options;
  options.baseline = (VtIgBaseline) 17;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_IG, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
                "unknown baseline 17");
  options = c->options;
  options.baseline = VT_IG_BASELINE_BLUR;
  options.blur_sigma = 0;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_IG, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS, "blur_sigma");
  options = c->options;
  options.samples = 0;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
                "samples is 0");
  options = c->options;
  options.noise_level = NAN;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
                "noise_level");
  options = c->options;
  options.max_batch = -1;
  expect_error (c, VT_GRADIENT_ATTRIBUTION_GRADIENT, &options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,
                "max_batch");
  /* A target out of range, for a method with a pass before its
   * gradients and for one without. */
  expect_error (c, VT_GRADIENT_ATTRIBUTION_GRADIENT, &c->options, &bad, VT_GRADIENT_ATTRIBUTION_ERROR_TARGET,
                "0 to 9");
  expect_error (c, VT_GRADIENT_ATTRIBUTION_IG, &c->options, &bad, VT_GRADIENT_ATTRIBUTION_ERROR_TARGET, "0 to 9");
  /* A ResNet has no attention. */
  expect_error (c, VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT, &c->options, NULL, VT_GRADIENT_ATTRIBUTION_ERROR_MODEL,
                "attn_probs");
}

/* A cancelled call stops with G_IO_ERROR_CANCELLED. */
static void
test_cancel (void)
{
  g_autoptr(Case) c = case_open ("cifar_resnet20");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree float *maps = g_new (float, (gsize) c->batch * c->height * c->width);
  g_autofree gint64 *targets = g_new (gint64, c->batch);
  g_autofree gint64 *predicted = g_new (gint64, c->batch);

  g_cancellable_cancel (cancellable);
  g_assert_false (vt_gradient_attribute (c->model, VT_GRADIENT_ATTRIBUTION_IG, &c->options, c->input, c->batch,
                                         c->height, c->width, NULL, maps, targets, predicted, NULL, NULL, cancellable,
                                         &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Names round-trip, unknown ones are errors that name them, and the
 * definitions carry the options. */
static void
test_names (void)
{
  VtGradientAttributionOptions options;
  g_autoptr(GError) error = NULL;
  VtGradientAttributionMethod method;
  VtIgBaseline baseline;
  VtIgRule rule;
  g_autofree char *ig = NULL;
  g_autofree char *blur = NULL;
  g_autofree char *smooth = NULL;

  vt_gradient_attribution_options_init (&options);
  for (int m = 0; m < VT_GRADIENT_ATTRIBUTION_N_METHODS; m++)
    {
      g_autofree char *definition = vt_gradient_attribution_definition (m, &options);

      g_assert_true (vt_gradient_attribution_method_from_name (vt_gradient_attribution_method_name (m), &method,
                                                               NULL));
      g_assert_cmpint (method, ==, m);
      g_assert_nonnull (vt_gradient_attribution_method_title (m));
      g_assert_true (g_str_has_prefix (definition, vt_gradient_attribution_method_name (m)));
    }
  for (int r = 0; r < VT_IG_N_RULES; r++)
    {
      g_assert_true (vt_ig_rule_from_name (vt_ig_rule_name (r), &rule, NULL));
      g_assert_cmpint (rule, ==, r);
    }
  for (int b = 0; b < VT_IG_N_BASELINES; b++)
    {
      g_assert_true (vt_ig_baseline_from_name (vt_ig_baseline_name (b), &baseline, NULL));
      g_assert_cmpint (baseline, ==, b);
    }
  g_assert_false (vt_ig_baseline_from_name ("gray", &baseline, &error));
  g_assert_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS);
  g_assert_nonnull (strstr (error->message, "“gray”"));
  g_assert_nonnull (strstr (error->message, "“blur”"));
  g_clear_error (&error);
  g_assert_false (vt_gradient_attribution_method_from_name ("integrated_gradients", &method, &error));
  g_assert_error (error, VT_GRADIENT_ATTRIBUTION_ERROR, VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS);
  g_assert_false (vt_ig_rule_from_name ("riemann_left", &rule, NULL));

  ig = vt_gradient_attribution_definition (VT_GRADIENT_ATTRIBUTION_IG, &options);
  g_assert_nonnull (strstr (ig, "gausslegendre, 50 steps"));
  g_assert_nonnull (strstr (ig, "zeros"));
  options.baseline = VT_IG_BASELINE_BLUR;
  options.blur_sigma = 2.5;
  blur = vt_gradient_attribution_definition (VT_GRADIENT_ATTRIBUTION_IG, &options);
  g_assert_nonnull (strstr (blur, "sigma 2.5 px"));
  smooth = vt_gradient_attribution_definition (VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD, &options);
  g_assert_nonnull (strstr (smooth, "25 samples"));
  g_assert_nonnull (strstr (smooth, "0.15"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/gradient-attribution/cifar-resnet20/gradients", test_cifar_resnet20_gradients);
  g_test_add_func ("/engine/gradient-attribution/cifar-resnet20/ig", test_cifar_resnet20_ig);
  g_test_add_func ("/engine/gradient-attribution/vit-cls", test_vit_cls);
  g_test_add_func ("/engine/gradient-attribution/deit-distilled", test_deit_distilled);
  g_test_add_func ("/engine/gradient-attribution/baselines", test_baselines);
  g_test_add_func ("/engine/gradient-attribution/rule-points", test_rule_points);
  g_test_add_func ("/engine/gradient-attribution/errors", test_errors);
  g_test_add_func ("/engine/gradient-attribution/cancel", test_cancel);
  g_test_add_func ("/engine/gradient-attribution/names", test_names);
  return g_test_run ();
}
