/* test-optim.c: optimizers, schedules and clipping against torch.optim.
 *
 * Each fixture (tests/reference/make_grad_fixtures.py) is ten steps of one
 * optimizer and schedule on nn.Linear(5, 3) with cross-entropy on 8
 * samples, the weight and the bias in two groups with their own learning
 * rate and weight decay. We run the same ten steps with our kernels
 * (vt_linear_forward, vt_cross_entropy_*, vt_linear_backward) and
 * optimizer, and compare each step's learning rates and loss, and the final
 * parameters, to 1e-5 relative. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "nn/vt-linear.h"
#include "nn/vt-loss.h"
#include "nn/vt-ops.h"
#include "nn/vt-optim.h"
#include "vt-test-util.h"

#define TOLERANCE 1e-5

static const char *
meta_string (VtCheckpoint *ckpt,
             const char   *key)
{
  return g_hash_table_lookup (vt_checkpoint_get_metadata (ckpt), key);
}

static double
meta (VtCheckpoint *ckpt,
      const char   *key,
      double        fallback)
{
  const char *v = meta_string (ckpt, key);

  return v != NULL ? g_ascii_strtod (v, NULL) : fallback;
}

static float *
fixture_values (VtCheckpoint *ckpt,
     const char   *name,
     gsize         n)
{
  const VtTensor *t = vt_checkpoint_lookup (ckpt, name);

  if (t == NULL)
    g_error ("no tensor %s", name);
  g_assert_cmpuint (t->numel, ==, n);
  return vt_tensor_dup_float (t);
}

static double
rel_diff (const float *a,
          const float *b,
          gsize        n)
{
  double worst = 0.0, scale = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      worst = MAX (worst, fabs ((double) a[i] - b[i]));
      scale = MAX (scale, fabs (b[i]));
    }
  return worst / scale;
}

static void
recipe_from (VtCheckpoint        *ckpt,
             VtOptimizerSettings *settings,
             VtSchedule          *schedule)
{
  const char *optimizer = meta_string (ckpt, "optimizer"), *kind = meta_string (ckpt, "schedule");

  memset (settings, 0, sizeof *settings);
  memset (schedule, 0, sizeof *schedule);
  settings->kind = g_str_equal (optimizer, "sgd") ? VT_OPTIMIZER_SGD
                   : g_str_equal (optimizer, "adam") ? VT_OPTIMIZER_ADAM : VT_OPTIMIZER_ADAMW;
  settings->momentum = meta (ckpt, "momentum", 0.0);
  settings->nesterov = meta (ckpt, "nesterov", 0.0) != 0.0;
  settings->beta1 = 0.9;
  settings->beta2 = 0.999;
  settings->eps = 1e-8;
  schedule->kind = g_str_equal (kind, "constant") ? VT_SCHEDULE_CONSTANT
                   : g_str_equal (kind, "step") ? VT_SCHEDULE_STEP
                   : g_str_equal (kind, "multistep") ? VT_SCHEDULE_MULTI_STEP : VT_SCHEDULE_COSINE;
  schedule->warmup = (int) meta (ckpt, "warmup", 0);
  schedule->warmup_start = meta (ckpt, "warmup_start", 1.0);
  schedule->step_size = (int) meta (ckpt, "step_size", 0);
  schedule->gamma = meta (ckpt, "gamma", 1.0);
  schedule->total = (int) meta (ckpt, "total", 0);
  schedule->min_lr = meta (ckpt, "min_lr", 0.0);
  if (meta_string (ckpt, "milestones") != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (meta_string (ckpt, "milestones"), ",", -1);

      for (int i = 0; parts[i] != NULL; i++)
        schedule->milestones[schedule->n_milestones++] = atoi (parts[i]);
    }
}

static void
check_optim (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("grad/optim_%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (relative);
  g_autoptr(GError) error = NULL;
  VtCheckpoint *ckpt = vt_checkpoint_open (path, &error);
  const int n = 8, in = 5, out = 3, steps = 10;
  VtOptimizerSettings settings;
  VtSchedule schedule;
  g_autoptr(VtOptimizer) opt = NULL;
  g_autofree float *x = NULL, *target_f = NULL, *w = NULL, *b = NULL, *lr = NULL, *loss = NULL;
  g_autofree float *final_w = NULL, *final_b = NULL;
  float dw[15], db[3], logits[24], probs[24], dlogits[24];
  gint32 target[8];
  double lr_worst = 0.0, loss_worst = 0.0, clip = meta (ckpt, "clip", 0.0);
  int wg, bg;

  g_assert_no_error (error);
  x = fixture_values (ckpt, "in.x", n * in);
  target_f = fixture_values (ckpt, "in.target", n);
  w = fixture_values (ckpt, "init.weight", out * in);
  b = fixture_values (ckpt, "init.bias", out);
  lr = fixture_values (ckpt, "lr", steps * 2);
  loss = fixture_values (ckpt, "loss", steps);
  final_w = fixture_values (ckpt, "final.weight", out * in);
  final_b = fixture_values (ckpt, "final.bias", out);
  for (int i = 0; i < n; i++)
    target[i] = (gint32) target_f[i];
  recipe_from (ckpt, &settings, &schedule);
  opt = vt_optimizer_new (&settings, &schedule, &error);
  g_assert_no_error (error);
  wg = vt_optimizer_add_group (opt, meta (ckpt, "lr", 0), meta (ckpt, "weight_decay", 0));
  bg = vt_optimizer_add_group (opt, meta (ckpt, "lr", 0) * meta (ckpt, "bias_lr_scale", 1),
                               meta (ckpt, "bias_weight_decay", 0));
  vt_optimizer_add_param (opt, wg, w, dw, out * in);
  vt_optimizer_add_param (opt, bg, b, db, out);
  for (int s = 0; s < steps; s++)
    {
      double l;

      vt_optimizer_zero_grad (opt);
      vt_linear_forward_naive (logits, x, w, b, n, in, out);
      l = vt_cross_entropy_forward (probs, logits, target, NULL, n, out, 0.0f, -100, &error);
      g_assert_no_error (error);
      memset (dlogits, 0, sizeof dlogits);
      vt_cross_entropy_backward (dlogits, probs, target, NULL, n, out, 0.0f, -100, 1.0f);
      vt_linear_backward (NULL, dw, db, dlogits, x, w, n, in, out);
      if (clip > 0.0)
        g_assert_cmpfloat (vt_optimizer_clip_grad_norm (opt, clip), >, clip);   /* it does clip */
      loss_worst = MAX (loss_worst, fabs (l - loss[s]) / fabs (loss[s]));
      for (int g = 0; g < 2; g++)
        lr_worst = MAX (lr_worst, fabs (vt_optimizer_get_lr (opt, g) - lr[s * 2 + g]) / lr[s * 2 + g]);
      vt_optimizer_step (opt);
    }
  g_assert_cmpint (vt_optimizer_get_step (opt), ==, steps);
  g_test_message ("%s: learning rates %.3g, losses %.3g, weight %.3g, bias %.3g (relative)", name,
                  lr_worst, loss_worst, rel_diff (w, final_w, out * in), rel_diff (b, final_b, out));
  g_assert_cmpfloat (lr_worst, <=, TOLERANCE);
  g_assert_cmpfloat (loss_worst, <=, TOLERANCE);
  g_assert_cmpfloat (rel_diff (w, final_w, out * in), <=, TOLERANCE);
  g_assert_cmpfloat (rel_diff (b, final_b, out), <=, TOLERANCE);
  vt_checkpoint_unref (ckpt);
}

static void
test_sgd (void)
{
  check_optim ("sgd");
}

static void
test_sgd_nesterov_step (void)
{
  check_optim ("sgd_nesterov_step");
}

static void
test_adam_multistep (void)
{
  check_optim ("adam_multistep");
}

static void
test_adamw_cosine_clip (void)
{
  check_optim ("adamw_cosine_clip");
}

/* Settings out of range are errors that name the setting. */
static void
test_invalid (void)
{
  VtOptimizerSettings sgd = { VT_OPTIMIZER_SGD, 0.0, TRUE, 0, 0, 0 };
  VtOptimizerSettings adam = { VT_OPTIMIZER_ADAM, 0.0, FALSE, 0.9, 1.0, 1e-8 };
  VtOptimizerSettings ok = { VT_OPTIMIZER_SGD, 0.9, FALSE, 0, 0, 0 };
  VtSchedule constant = { .kind = VT_SCHEDULE_CONSTANT };
  VtSchedule cosine = { .kind = VT_SCHEDULE_COSINE, .warmup = 5, .warmup_start = 0.1, .total = 5 };
  VtSchedule multi = { .kind = VT_SCHEDULE_MULTI_STEP, .gamma = 0.1, .milestones = { 5, 3 }, .n_milestones = 2 };
  struct { const VtOptimizerSettings *settings; const VtSchedule *schedule; const char *says; } cases[] = {
    { &sgd, &constant, "nesterov" },
    { &adam, &constant, "betas" },
    { &ok, &cosine, "total" },
    { &ok, &multi, "milestones" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VtOptimizer) opt = vt_optimizer_new (cases[i].settings, cases[i].schedule, &error);

      g_assert_null (opt);
      g_assert_error (error, VT_OPTIM_ERROR, VT_OPTIM_ERROR_INVALID);
      g_assert_true (strstr (error->message, cases[i].says) != NULL);
    }
}

/* Clipping scales every gradient by one factor to the norm asked for,
 * leaves gradients under it alone, and leaves a NaN norm for the caller. */
static void
test_clip (void)
{
  VtOptimizerSettings settings = { VT_OPTIMIZER_SGD, 0.0, FALSE, 0, 0, 0 };
  VtSchedule constant = { .kind = VT_SCHEDULE_CONSTANT };
  g_autoptr(VtOptimizer) opt = vt_optimizer_new (&settings, &constant, NULL);
  float a[2] = { 0 }, ga[2] = { 3.0f, 0.0f }, b[1] = { 0 }, gb[1] = { 4.0f };
  double norm;

  vt_optimizer_add_param (opt, vt_optimizer_add_group (opt, 0.1, 0.0), a, ga, 2);
  vt_optimizer_add_param (opt, vt_optimizer_add_group (opt, 0.1, 0.0), b, gb, 1);
  norm = vt_optimizer_clip_grad_norm (opt, 1.0);
  g_assert_cmpfloat_with_epsilon (norm, 5.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (ga[0], 3.0 / (5.0 + 1e-6), 1e-6);
  g_assert_cmpfloat_with_epsilon (gb[0], 4.0 / (5.0 + 1e-6), 1e-6);
  norm = vt_optimizer_clip_grad_norm (opt, 10.0);
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (gb[0], 4.0 / (5.0 + 1e-6), 1e-6);
  ga[1] = NAN;
  g_assert_true (isnan (vt_optimizer_clip_grad_norm (opt, 1.0)));
  g_assert_cmpfloat_with_epsilon (gb[0], 4.0 / (5.0 + 1e-6), 1e-6);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/optim/sgd", test_sgd);
  g_test_add_func ("/engine/optim/sgd-nesterov-step", test_sgd_nesterov_step);
  g_test_add_func ("/engine/optim/adam-multistep", test_adam_multistep);
  g_test_add_func ("/engine/optim/adamw-cosine-clip", test_adamw_cosine_clip);
  g_test_add_func ("/engine/optim/invalid", test_invalid);
  g_test_add_func ("/engine/optim/clip", test_clip);
  return g_test_run ();
}
