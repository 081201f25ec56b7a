/* test-comet.c: COMET's selector, predictor and training step against
 * PyTorch (tests/reference/make_comet_fixture.py): the first step's losses
 * and every gradient of S and P within 1e-4 relative, ten AdamW steps'
 * losses within 1e-3, with the detector's BatchNorm in eval and in
 * training mode; the checkpoints it writes reopen. */
#include "vt-test-util.h"

#include "io/vt-checkpoint.h"
#include "methods/comet/vt-comet.h"
#include "methods/comet/vt-comet-predictor.h"
#include "models/vt-architecture.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define STEP_TOLERANCE 1e-4
#define STEPS_TOLERANCE 1e-3

typedef struct
{
  JsonParser      *parser;
  JsonObject      *expected;     /* step.json */
  VtCheckpoint    *batch;
  float           *pixels;
  gint32          *targets;
  int              n, height, width;
  VtCometSelector *selector;
  VtCheckpoint    *predictor_checkpoint;
  VtArchitecture  *predictor_arch;
  VtTrainable     *predictor;
  VtCheckpoint    *detector_checkpoint;
  VtArchitecture  *detector_arch;
  VtTrainable     *detector;
  VtComet         *comet;
} Case;

static Case *
case_open (gboolean detector_training)
{
  g_autofree char *json_path = vt_test_fixture ("comet/step.json");
  g_autofree char *batch_path = vt_test_fixture ("comet/batch.safetensors");
  g_autofree char *selector_path = vt_test_fixture ("comet/selector-init.safetensors");
  g_autofree char *predictor_path = vt_test_fixture ("comet/predictor-init.safetensors");
  g_autofree char *detector_path = NULL;
  g_autoptr(GError) error = NULL;
  Case *c = g_new0 (Case, 1);
  const VtTensor *x, *y;
  const char *detector;
  VtCometLossSettings loss;
  VtOptimizerSettings optimizer = { VT_OPTIMIZER_ADAMW, 0.0, FALSE, 0.9, 0.999, 1e-8 };
  VtSchedule schedule = { VT_SCHEDULE_MULTI_STEP, 0, 0.0, 1, 0.1, { 0 }, 0, 0, 0.0 };
  JsonArray *milestones;

  c->parser = json_parser_new ();
  json_parser_load_from_file (c->parser, json_path, &error);
  g_assert_no_error (error);
  c->expected = json_node_get_object (json_parser_get_root (c->parser));

  c->batch = vt_checkpoint_open (batch_path, &error);
  g_assert_no_error (error);
  x = vt_checkpoint_lookup (c->batch, "x");
  y = vt_checkpoint_lookup (c->batch, "y");
  g_assert_nonnull (x);
  g_assert_nonnull (y);
  c->n = (int) x->shape[0];
  c->height = (int) x->shape[2];
  c->width = (int) x->shape[3];
  c->pixels = vt_tensor_dup_float (x);
  c->targets = g_new (gint32, c->n);
  for (int i = 0; i < c->n; i++)
    c->targets[i] = (gint32) vt_dtype_read_double (y->dtype, y->data, i);

  c->selector = vt_comet_selector_open (selector_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vt_comet_selector_get_width (c->selector), ==,
                   json_object_get_int_member (c->expected, "selector_width"));
  c->predictor_checkpoint = vt_checkpoint_open (predictor_path, &error);
  g_assert_no_error (error);
  c->predictor_arch = vt_architecture_recognize (c->predictor_checkpoint);
  g_assert_cmpint (c->predictor_arch->depth, ==, json_object_get_int_member (c->expected, "predictor_depth"));
  c->predictor = vt_trainable_new (c->predictor_checkpoint, c->predictor_arch, &error);
  g_assert_no_error (error);
  detector = json_object_get_string_member (c->expected, "detector");
  g_assert_true (g_str_has_prefix (detector, "shared:"));
  detector_path = vt_test_asset (detector + strlen ("shared:"));
  c->detector_checkpoint = vt_checkpoint_open (detector_path, &error);
  g_assert_no_error (error);
  c->detector_arch = vt_architecture_recognize (c->detector_checkpoint);
  c->detector = vt_trainable_new (c->detector_checkpoint, c->detector_arch, &error);
  g_assert_no_error (error);
  vt_trainable_set_batchnorm_training (c->detector, detector_training);

  loss.a = json_object_get_double_member (c->expected, "a");
  loss.g = json_object_get_double_member (c->expected, "g");
  loss.b = json_object_get_double_member (c->expected, "b");
  loss.tau = json_object_get_double_member (c->expected, "tau");
  schedule.warmup = (int) json_object_get_int_member (c->expected, "warmup");
  schedule.warmup_start = json_object_get_double_member (c->expected, "warmup_start");
  schedule.gamma = json_object_get_double_member (c->expected, "gamma");
  milestones = json_object_get_array_member (c->expected, "milestones");
  schedule.n_milestones = (int) json_array_get_length (milestones);
  for (int i = 0; i < schedule.n_milestones; i++)
    schedule.milestones[i] = (int) json_array_get_int_element (milestones, i);
  c->comet = vt_comet_new (c->selector, c->predictor, c->detector, 10, &loss, &optimizer, &schedule,
                           json_object_get_double_member (c->expected, "lr"),
                           json_object_get_double_member (c->expected, "weight_decay"), &error);
  g_assert_no_error (error);
  return c;
}

static void
case_free (Case *c)
{
  vt_comet_free (c->comet);
  vt_trainable_free (c->detector);
  vt_architecture_free (c->detector_arch);
  vt_checkpoint_unref (c->detector_checkpoint);
  vt_trainable_free (c->predictor);
  vt_architecture_free (c->predictor_arch);
  vt_checkpoint_unref (c->predictor_checkpoint);
  vt_comet_selector_free (c->selector);
  g_free (c->pixels);
  g_free (c->targets);
  vt_checkpoint_unref (c->batch);
  g_object_unref (c->parser);
  g_free (c);
}

static double
compare_gradient (VtCheckpoint *gradients,
                  const char   *name,
                  const float  *ours,
                  gsize         numel)
{
  const VtTensor *ref = vt_checkpoint_lookup (gradients, name);
  g_autofree float *values = NULL;
  double rel;

  g_assert_nonnull (ref);
  g_assert_cmpuint (ref->numel, ==, numel);
  values = vt_tensor_dup_float (ref);
  rel = vt_test_relative_difference (ours, values, numel);
  g_test_message ("∂/∂%s: relative difference %.3g", name, rel);
  g_assert_cmpfloat (rel, <=, STEP_TOLERANCE);
  return rel;
}

static void
check_loss (const char *name,
            double      ours,
            double      ref,
            double      tolerance)
{
  double rel = fabs (ours - ref) / MAX (fabs (ref), 1e-6);

  g_test_message ("%s: ours %.7g, PyTorch %.7g, relative difference %.3g", name, ours, ref, rel);
  g_assert_cmpfloat (rel, <=, tolerance);
}

/* The first step: every loss and every gradient of S and P. */
static void
test_step (void)
{
  g_autofree char *gradients_path = vt_test_fixture ("comet/gradients.safetensors");
  g_autoptr(VtCheckpoint) gradients = NULL;
  g_autoptr(GError) error = NULL;
  Case *c = case_open (FALSE);
  JsonObject *first = json_object_get_object_member (c->expected, "first_step");
  VtCometLosses losses;
  guint compared = 0;
  double worst = 0.0;

  gradients = vt_checkpoint_open (gradients_path, &error);
  g_assert_no_error (error);
  g_assert_true (vt_comet_compute (c->comet, c->pixels, c->targets, c->n, c->height, c->width, &losses, &error));
  g_assert_no_error (error);
  check_loss ("L1", losses.l1, json_object_get_double_member (first, "l1"), STEP_TOLERANCE);
  check_loss ("L2", losses.l2, json_object_get_double_member (first, "l2"), STEP_TOLERANCE);
  check_loss ("hinge", losses.hinge, json_object_get_double_member (first, "hinge"), STEP_TOLERANCE);
  check_loss ("area", losses.area, json_object_get_double_member (first, "area"), STEP_TOLERANCE);
  check_loss ("area penalty", losses.area_penalty, json_object_get_double_member (first, "area_penalty"),
              STEP_TOLERANCE);
  check_loss ("L", losses.loss, json_object_get_double_member (first, "loss"), STEP_TOLERANCE);
  /* the fixture's τ makes both branches of the area term count */
  g_assert_cmpfloat (losses.area_penalty, >, 0.0);
  g_assert_cmpfloat (losses.hinge, >, 0.0);

  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *conv = vt_comet_selector_get_layer (c->selector, l);
      g_autofree char *weight = g_strdup_printf ("selector.%s.weight", conv->name);
      g_autofree char *bias = g_strdup_printf ("selector.%s.bias", conv->name);

      worst = MAX (worst, compare_gradient (gradients, weight, conv->dweight,
                                            (gsize) conv->out * conv->in * conv->kernel * conv->kernel));
      worst = MAX (worst, compare_gradient (gradients, bias, conv->dbias, conv->out));
      compared += 2;
    }
  for (guint i = 0; i < vt_trainable_get_n_params (c->predictor); i++)
    {
      const VtTrainableParam *p = vt_trainable_get_param (c->predictor, i);
      g_autofree char *name = g_strdup_printf ("predictor.%s", p->name);

      g_assert_nonnull (p->grad);
      worst = MAX (worst, compare_gradient (gradients, name, p->grad, p->numel));
      compared++;
    }
  /* every gradient in the fixture was compared */
  g_assert_cmpuint (compared, ==, vt_checkpoint_get_n_tensors (gradients));
  g_test_message ("%u gradients, largest relative difference %.3g", compared, worst);
  case_free (c);
}

static void
test_ten_steps (gconstpointer data)
{
  gboolean detector_training = GPOINTER_TO_INT (data);
  Case *c = case_open (detector_training);
  JsonArray *expected = json_object_get_array_member (c->expected, detector_training ? "steps_detector_train"
                                                                                   : "steps_detector_eval");
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (json_array_get_length (expected), ==, 10);
  for (guint s = 0; s < 10; s++)
    {
      VtCometLosses losses;
      g_autofree char *name = g_strdup_printf ("step %u: L", s);

      g_assert_true (vt_comet_train_step (c->comet, c->pixels, c->targets, c->n, c->height, c->width, &losses,
                                          &error));
      g_assert_no_error (error);
      check_loss (name, losses.loss, json_array_get_double_element (expected, s), STEPS_TOLERANCE);
    }
  case_free (c);
}

/* The selector saved reopens with the same weights; a fresh predictor
 * reopens as the CIFAR ResNet it names and trains. */
static void
test_checkpoints (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *selector_path = g_build_filename (dir, "selector.safetensors", NULL);
  g_autofree char *predictor_path = g_build_filename (dir, "predictor.safetensors", NULL);
  g_autoptr(VtCometSelector) selector = vt_comet_selector_new (8, 7);
  g_autoptr(VtCometSelector) reopened = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtArchitecture) arch = NULL;
  g_autoptr(VtTrainable) net = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vt_comet_selector_save (selector, selector_path, &error));
  g_assert_no_error (error);
  reopened = vt_comet_selector_open (selector_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vt_comet_selector_get_width (reopened), ==, 8);
  g_assert_cmpuint (vt_comet_selector_n_params (reopened), ==, vt_comet_selector_n_params (selector));
  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *a = vt_comet_selector_get_layer (selector, l), *b = vt_comet_selector_get_layer (reopened, l);

      g_assert_cmpmem (a->weight, sizeof (float) * a->out * a->in * a->kernel * a->kernel, b->weight,
                       sizeof (float) * b->out * b->in * b->kernel * b->kernel);
      g_assert_cmpmem (a->bias, sizeof (float) * a->out, b->bias, sizeof (float) * b->out);
    }

  g_assert_true (vt_comet_predictor_write_initial (predictor_path, 20, 10, 3, &error));
  g_assert_no_error (error);
  checkpoint = vt_checkpoint_open (predictor_path, &error);
  g_assert_no_error (error);
  arch = vt_architecture_recognize (checkpoint);
  g_assert_cmpint (arch->family, ==, VT_ARCH_CIFAR_RESNET);
  g_assert_cmpint (arch->depth, ==, 20);
  g_assert_cmpint (arch->num_classes, ==, 10);
  net = vt_trainable_new (checkpoint, arch, &error);
  g_assert_no_error (error);
  /* kaiming_normal_: layer3's convolutions have fan_in 576, so std √(2/576) */
  {
    const VtTensor *w = vt_checkpoint_lookup (checkpoint, "layer3.1.conv2.weight");
    const float *v = (const float *) w->data;
    double sq = 0.0, expected = 2.0 / 576.0;

    for (gsize i = 0; i < w->numel; i++)
      sq += (double) v[i] * v[i];
    g_test_message ("layer3.1.conv2.weight: variance %.4g, kaiming_normal_ %.4g", sq / w->numel, expected);
    g_assert_cmpfloat (fabs (sq / w->numel - expected), <, 0.05 * expected);
  }
  g_assert_false (vt_comet_predictor_write_initial (predictor_path, 21, 10, 3, &error));
  g_assert_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT);
  vt_test_rm_rf (dir);
}

/* Files that are not a selector, and image sizes it cannot take. */
static void
test_bad_input (void)
{
  g_autofree char *predictor_path = vt_test_fixture ("comet/predictor-init.safetensors");
  g_autoptr(VtCometSelector) selector = NULL;
  g_autoptr(GError) error = NULL;

  selector = vt_comet_selector_open (predictor_path, &error);
  g_assert_null (selector);
  g_assert_error (error, VT_COMET_ERROR, VT_COMET_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "predictor-init.safetensors"));
  g_assert_nonnull (strstr (error->message, "enc1.weight"));
  g_clear_error (&error);
  g_assert_false (vt_comet_selector_check_input (30, 32, &error));
  g_assert_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "multiples of 4"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/comet/step", test_step);
  g_test_add_data_func ("/engine/comet/ten-steps/detector-eval", GINT_TO_POINTER (FALSE), test_ten_steps);
  g_test_add_data_func ("/engine/comet/ten-steps/detector-train", GINT_TO_POINTER (TRUE), test_ten_steps);
  g_test_add_func ("/engine/comet/checkpoints", test_checkpoints);
  g_test_add_func ("/engine/comet/bad-input", test_bad_input);
  return g_test_run ();
}
