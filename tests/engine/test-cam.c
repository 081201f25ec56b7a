/* test-cam.c: the CAM family (vt-cam.h) against pytorch-grad-cam's
 * formulas and post-processing, as tests/reference/make_cam_fixture.py
 * writes them out in numpy on PyTorch's float64 autograd: the real CIFAR
 * ResNet-20 (at layer3 and layer2) and ResNet-56, torchvision's ResNet,
 * timm's ViT and DeiT (tokens laid back on the patch grid). Every map of
 * every method must agree within 1e-4 per pixel (XGrad-CAM on ViT tokens:
 * 3e-4, see XGRADCAM_TOKEN_TOLERANCE), and the formulas alone, on the
 * fixture's float32 activations and gradients, within 1e-5; the largest
 * difference is printed. Also: the predicted target, the layers offered, and the
 * errors for a layer or a target that is not there. */
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "methods/attribution/vt-cam.h"
#include "models/vt-architecture.h"
#include "models/vt-trainable.h"
#include "vt-test-util.h"

#define CAM_TOLERANCE 1e-4
/* The formulas alone, from the fixture's own float32 activations and
 * gradient: only summation order differs. */
#define FORMULA_TOLERANCE 1e-5
/* XGrad-CAM divides by Σ_ij A_cij, which for a LayerNorm output can be
 * near 0 (0.017 for one channel of the DeiT fixture, against entries of
 * about 1), so the float32 forward pass's rounding of A (relative 1e-7)
 * grows about 100-fold there; the formula itself agrees to
 * FORMULA_TOLERANCE on equal inputs (test_formulas). */
#define XGRADCAM_TOKEN_TOLERANCE 3e-4

typedef struct
{
  VtCheckpoint   *fixture;
  VtCheckpoint   *checkpoint;
  VtArchitecture *arch;
  VtTrainable    *model;
  float          *input;
  gint64         *targets;
  gint64         *predicted;
  const char     *layer;
  int             batch, height, width;
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

static gint64 *
read_classes (VtCheckpoint *fixture,
              const char   *name,
              int           batch)
{
  const VtTensor *t = vt_checkpoint_lookup (fixture, name);
  gint64 *out = g_new (gint64, batch);

  g_assert_nonnull (t);
  g_assert_cmpint (t->numel, ==, batch);
  for (int i = 0; i < batch; i++)
    out[i] = (gint64) vt_dtype_read_double (t->dtype, t->data, i);
  return out;
}

static Case *
case_open (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("attribution/cam-%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (relative);
  g_autofree char *weights = NULL;
  g_autoptr(GError) error = NULL;
  Case *c = g_new0 (Case, 1);
  const VtTensor *input;
  const char *where;

  c->fixture = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  where = g_hash_table_lookup (vt_checkpoint_get_metadata (c->fixture), "checkpoint");
  g_assert_nonnull (where);
  weights = g_str_has_prefix (where, "shared:") ? vt_test_asset (where + strlen ("shared:"))
                                                : vt_test_fixture (where + strlen ("tests/fixtures/"));
  c->layer = g_hash_table_lookup (vt_checkpoint_get_metadata (c->fixture), "layer");
  g_assert_nonnull (c->layer);
  c->checkpoint = vt_checkpoint_open (weights, &error);
  g_assert_no_error (error);
  c->arch = vt_architecture_recognize (c->checkpoint);
  c->model = vt_trainable_new (c->checkpoint, c->arch, &error);
  g_assert_no_error (error);
  input = vt_checkpoint_lookup (c->fixture, "input");
  g_assert_nonnull (input);
  c->input = vt_tensor_dup_float (input);
  c->batch = (int) input->shape[0];
  c->height = (int) input->shape[2];
  c->width = (int) input->shape[3];
  c->targets = read_classes (c->fixture, "targets", c->batch);
  c->predicted = read_classes (c->fixture, "predicted", c->batch);
  return c;
}

/* Every method on the case, the fixture's targets given (or NULL:
 * predicted), compared map by map. */
static void
check_case (const char *name,
            gboolean    predicted)
{
  g_autoptr(Case) c = case_open (name);
  g_autoptr(GError) error = NULL;
  VtCamMethod all[VT_CAM_N_METHODS];
  float *maps[VT_CAM_N_METHODS];
  double seconds[VT_CAM_N_METHODS];
  g_autofree gint64 *targets = g_new (gint64, c->batch);
  g_autofree gint64 *argmax = g_new (gint64, c->batch);
  gsize n = (gsize) c->batch * c->height * c->width;

  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    {
      all[m] = m;
      maps[m] = g_new (float, n);
    }
  g_assert_true (vt_cam_compute (c->model, c->layer, c->arch->patch_size, c->input, c->batch, c->height, c->width,
                                 predicted ? NULL : c->targets, all, VT_CAM_N_METHODS, 16, targets, argmax, maps,
                                 seconds, NULL, &error));
  g_assert_no_error (error);
  for (int b = 0; b < c->batch; b++)
    {
      g_assert_cmpint (argmax[b], ==, c->predicted[b]);
      g_assert_cmpint (targets[b], ==, c->targets[b]);
    }
  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    {
      const char *method = vt_cam_method_name (m);
      const VtTensor *ref = vt_checkpoint_lookup (c->fixture, method);
      double diff = 0, top = 0;

      g_assert_nonnull (ref);
      g_assert_cmpint (ref->numel, ==, n);
      for (gsize p = 0; p < n; p++)
        {
          double r = vt_dtype_read_double (ref->dtype, ref->data, p);

          g_assert_true (isfinite (maps[m][p]));
          diff = MAX (diff, fabs (maps[m][p] - r));
          top = MAX (top, r);
        }
      g_test_message ("%s %s at %s: largest difference %.3g per pixel (maps in [0, %.3g]), %.3g s", name, method,
                      c->layer, diff, top, seconds[m]);
      /* A map that is all zeros would agree with nothing but zeros. */
      g_assert_cmpfloat (top, >, 0.5);
      g_assert_cmpfloat (diff, <=, m == VT_CAM_XGRADCAM && c->arch->patch_size > 0 ? XGRADCAM_TOKEN_TOLERANCE
                                                                                    : CAM_TOLERANCE);
      g_free (maps[m]);
    }
}

static void
test_cifar_resnet20 (void)
{
  check_case ("cifar_resnet20", FALSE);
}

static void
test_cifar_resnet20_layer2 (void)
{
  check_case ("cifar_resnet20_layer2", FALSE);
}

static void
test_cifar_resnet56 (void)
{
  check_case ("cifar_resnet56", FALSE);
}

static void
test_tv_resnet (void)
{
  check_case ("tv_resnet", FALSE);
}

/* The fixture's targets are the predicted classes: asked for "predicted". */
static void
test_vit_cls (void)
{
  check_case ("vit_cls", TRUE);
}

static void
test_deit_distilled (void)
{
  check_case ("deit_distilled", TRUE);
}

/* vt_cam_raw and vt_cam_postprocess on the fixture's float32 layer
 * activations and gradient, against numpy's maps from the same arrays. */
static void
test_formulas (void)
{
  const char *cases[] = { "cifar_resnet20", "cifar_resnet20_layer2", "cifar_resnet56", "tv_resnet", "vit_cls",
                          "deit_distilled" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Case) c = case_open (cases[i]);
      const VtTensor *value = vt_checkpoint_lookup (c->fixture, "layer.value");
      const VtTensor *grad = vt_checkpoint_lookup (c->fixture, "layer.grad");
      g_autofree float *a = NULL;
      g_autofree float *g = NULL;
      g_autofree float *cam = NULL;
      g_autofree float *map = g_new (float, (gsize) c->height * c->width);
      int channels, h, w;
      gsize per_image, plane = (gsize) c->height * c->width;

      g_assert_nonnull (value);
      g_assert_nonnull (grad);
      g_assert_cmpuint (value->ndim, ==, 4);
      channels = (int) value->shape[1];
      h = (int) value->shape[2];
      w = (int) value->shape[3];
      per_image = (gsize) channels * h * w;
      a = vt_tensor_dup_float (value);
      g = vt_tensor_dup_float (grad);
      cam = g_new (float, (gsize) h * w);
      for (int m = 0; m < VT_CAM_N_METHODS; m++)
        {
          g_autofree char *name = g_strdup_printf ("%s.from_layer", vt_cam_method_name (m));
          const VtTensor *ref = vt_checkpoint_lookup (c->fixture, name);
          double diff = 0;

          if (m == VT_CAM_SCORECAM)
            continue;
          g_assert_nonnull (ref);
          for (int b = 0; b < c->batch; b++)
            {
              g_autoptr(GError) error = NULL;

              g_assert_true (vt_cam_raw (m, a + b * per_image, g + b * per_image, channels, h, w, cam, &error));
              g_assert_no_error (error);
              vt_cam_postprocess (cam, h, w, c->height, c->width, map);
              for (gsize p = 0; p < plane; p++)
                diff = MAX (diff, fabs (map[p] - vt_dtype_read_double (ref->dtype, ref->data, b * plane + p)));
            }
          g_test_message ("%s %s from the same float32 layer: largest difference %.3g", cases[i],
                          vt_cam_method_name (m), diff);
          g_assert_cmpfloat (diff, <=, FORMULA_TOLERANCE);
        }
    }
}

/* The layers offered after a forward pass, and the default. */
static void
test_layer_names (void)
{
  const char *cases[][2] = { { "cifar_resnet20", "layer3" }, { "tv_resnet", "layer4" },
                             { "vit_cls", "blocks.1.norm1" }, { "deit_distilled", "blocks.1.norm1" } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Case) c = case_open (cases[i][0]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) names = NULL;
      g_autofree char *layer = NULL;

      g_assert_true (vt_trainable_forward (c->model, c->input, 1, c->height, c->width, &error));
      names = vt_cam_layer_names (c->model, c->arch->patch_size, c->height, c->width, &layer);
      g_assert_cmpstr (layer, ==, cases[i][1]);
      g_assert_cmpuint (names->len, >, 1);
      for (guint k = 0; k < names->len; k++)
        g_assert_cmpstr (g_ptr_array_index (names, k), !=, "input");
    }
}

static void
test_errors (void)
{
  g_autoptr(Case) c = case_open ("cifar_resnet20");
  g_autoptr(GError) error = NULL;
  VtCamMethod gradcam = VT_CAM_GRADCAM;
  g_autofree float *map = g_new (float, (gsize) c->height * c->width);
  float *maps[1] = { map };
  double seconds;
  gint64 targets, predicted, bad = 10;

  g_assert_false (vt_cam_compute (c->model, "layer9", 0, c->input, 1, c->height, c->width, NULL, &gradcam, 1, 16,
                                  &targets, &predicted, maps, &seconds, NULL, &error));
  g_assert_error (error, VT_CAM_ERROR, VT_CAM_ERROR_LAYER);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* logits are (B, 10): not a map */
  g_assert_false (vt_cam_compute (c->model, "logits", 0, c->input, 1, c->height, c->width, NULL, &gradcam, 1, 16,
                                  &targets, &predicted, maps, &seconds, NULL, &error));
  g_assert_error (error, VT_CAM_ERROR, VT_CAM_ERROR_LAYER);
  g_clear_error (&error);
  g_assert_false (vt_cam_compute (c->model, "layer3", 0, c->input, 1, c->height, c->width, &bad, &gradcam, 1, 16,
                                  &targets, &predicted, maps, &seconds, NULL, &error));
  g_assert_error (error, VT_CAM_ERROR, VT_CAM_ERROR_TARGET);
  g_assert_nonnull (strstr (error->message, "0 to 9"));
}

/* Names round-trip; the table has every method once. */
static void
test_names (void)
{
  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    {
      VtCamMethod back = VT_CAM_N_METHODS;

      g_assert_true (vt_cam_method_from_name (vt_cam_method_name (m), &back));
      g_assert_cmpint (back, ==, m);
      g_assert_nonnull (vt_cam_method_formula (m));
    }
  g_assert_false (vt_cam_method_from_name ("gradcam+", &(VtCamMethod) { 0 }));
  g_assert_false (vt_cam_method_uses_gradient (VT_CAM_EIGENCAM));
  g_assert_true (vt_cam_method_uses_gradient (VT_CAM_LAYERCAM));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/cam/cifar-resnet20", test_cifar_resnet20);
  g_test_add_func ("/engine/cam/cifar-resnet20-layer2", test_cifar_resnet20_layer2);
  g_test_add_func ("/engine/cam/cifar-resnet56", test_cifar_resnet56);
  g_test_add_func ("/engine/cam/tv-resnet", test_tv_resnet);
  g_test_add_func ("/engine/cam/vit-cls", test_vit_cls);
  g_test_add_func ("/engine/cam/deit-distilled", test_deit_distilled);
  g_test_add_func ("/engine/cam/formulas", test_formulas);
  g_test_add_func ("/engine/cam/layer-names", test_layer_names);
  g_test_add_func ("/engine/cam/errors", test_errors);
  g_test_add_func ("/engine/cam/names", test_names);
  return g_test_run ();
}
