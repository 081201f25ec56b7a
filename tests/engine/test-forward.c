/* test-forward.c: forward passes against the upstream code's own outputs.
 *
 * For each fixture in shared/assets/reference (written by timm 1.0 and
 * OpenCLIP 2.32 on Debian's PyTorch) and in tests/fixtures/forward (written by
 * tests/reference/make_cifar_fixture.py), run the stored input through our
 * forward pass and compare every stored tensor that has a tap of the same
 * name: max abs difference ≤ 1e-4, printed per fixture. A stored tensor we do
 * not produce fails the test unless it is listed as input or derived. */
#include <math.h>
#include <string.h>

#include "io/vt-safetensors.h"
#include "models/vt-layer-list.h"
#include "models/vt-model.h"
#include "vt-test-util.h"

#define TOLERANCE 1e-4

/* Stored tensors that are inputs, or that the test derives itself. */
static gboolean
is_input_or_derived (const char *name)
{
  return g_str_has_prefix (name, "input.") ||
         g_str_equal (name, "text.eot_index") || g_str_has_prefix (name, "logit_scale") ||
         g_str_has_prefix (name, "logits_per_");
}

static double
compare (const VtTensor *expected,
         const VtTap    *tap,
         const char     *fixture)
{
  g_autofree float *values = vt_tensor_dup_float (expected);
  double worst = 0.0;

  if (tap->numel != expected->numel || tap->ndim != expected->ndim)
    g_error ("%s: %s has %" G_GSIZE_FORMAT " elements in %u dims, expected %" G_GSIZE_FORMAT " in %u",
             fixture, expected->name, tap->numel, tap->ndim, expected->numel, expected->ndim);
  for (guint d = 0; d < tap->ndim; d++)
    g_assert_cmpint (tap->shape[d], ==, expected->shape[d]);
  for (gsize i = 0; i < tap->numel; i++)
    worst = MAX (worst, fabs ((double) tap->data[i] - values[i]));
  return worst;
}

/* Compares every stored tensor with the taps of @taps that share its name;
 * returns the largest difference and counts what was compared. */
static double
compare_all (VtCheckpoint *io,
             VtTaps       *image,
             VtTaps       *text,
             const char   *fixture,
             guint        *n_compared)
{
  double worst = 0.0;

  for (guint i = 0; i < vt_checkpoint_get_n_tensors (io); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (io, i);
      const VtTap *tap = vt_taps_lookup (image, t->name);
      double diff;

      if (tap == NULL && text != NULL)
        tap = vt_taps_lookup (text, t->name);
      if (tap == NULL)
        {
          if (!is_input_or_derived (t->name))
            g_error ("%s: we produce no “%s”", fixture, t->name);
          continue;
        }
      diff = compare (t, tap, fixture);
      if (diff > TOLERANCE)
        g_error ("%s: %s differs by %.3g (tolerance %.0e)", fixture, t->name, diff, TOLERANCE);
      worst = MAX (worst, diff);
      (*n_compared)++;
    }
  return worst;
}

/* exp(logit_scale) · image_norm · text_normᵀ, as CLIP's forward returns it. */
static double
compare_clip_logits (VtCheckpoint *io,
                     VtTaps       *image,
                     VtTaps       *text)
{
  const VtTensor *expected = vt_checkpoint_lookup (io, "logits_per_image");
  const VtTensor *scale = vt_checkpoint_lookup (io, "logit_scale_exp");
  const VtTap *img = vt_taps_lookup (image, "image_embeds_norm");
  const VtTap *txt = vt_taps_lookup (text, "text_embeds_norm");
  g_autofree float *want = vt_tensor_dup_float (expected);
  g_autofree float *s = vt_tensor_dup_float (scale);
  int n_img = img->shape[0], n_txt = txt->shape[0], e = img->shape[1];
  double worst = 0.0;

  for (int i = 0; i < n_img; i++)
    for (int j = 0; j < n_txt; j++)
      {
        double dot = 0.0;
        for (int k = 0; k < e; k++)
          dot += (double) img->data[i * e + k] * txt->data[j * e + k];
        worst = MAX (worst, fabs (s[0] * dot - want[i * n_txt + j]));
      }
  return worst;
}

/* The index of tensor @name in @io, in the order the reference wrote it:
 * the order PyTorch's hooks saw the outputs in. */
static int
io_index (VtCheckpoint *io,
          const char   *name)
{
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (io); i++)
    if (g_str_equal (vt_checkpoint_get_tensor (io, i)->name, name))
      return (int) i;
  return -1;
}

/* The layer list at the reference's input size names the outputs PyTorch
 * computed, each with PyTorch's shape (less the batch), and @in_order, in
 * PyTorch's order (our reference scripts write the tensors as the hooks
 * saw them; the upstream fixtures were written by the safetensors library,
 * which sorts them by name). Layers the reference did not hook are passed
 * over. */
static void
check_layer_list (VtModel        *model,
                  VtCheckpoint   *io,
                  const VtTensor *pixels,
                  const char     *fixture,
                  gboolean        in_order)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtLayerList) list = vt_layer_list_new (model, (int) pixels->shape[2], (int) pixels->shape[3], &error);
  int last = -1;
  guint matched = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (list->layers[0].name, ==, "input");
  g_assert_cmpuint (list->layers[0].ndim, ==, 3);
  g_assert_true (memcmp (list->layers[0].shape, pixels->shape + 1, sizeof (gint64) * 3) == 0);
  for (guint i = 1; i < list->n_layers; i++)
    {
      const VtLayer *layer = &list->layers[i];
      int index = io_index (io, layer->name);
      const VtTensor *ref;

      if (index < 0)
        continue;
      ref = vt_checkpoint_get_tensor (io, (guint) index);
      if (in_order && index <= last)
        g_error ("%s: the layer list has %s after %s, PyTorch computed it before", fixture, layer->name,
                 vt_checkpoint_get_tensor (io, (guint) last)->name);
      last = index;
      g_assert_cmpuint (layer->ndim + 1, ==, ref->ndim);
      g_assert_true (memcmp (layer->shape, ref->shape + 1, sizeof (gint64) * layer->ndim) == 0);
      matched++;
    }
  g_test_message ("%s: %u layers listed, %u of them with PyTorch's shapes%s", fixture, list->n_layers - 1,
                  matched, in_order ? " and in its order" : "");
  g_assert_cmpuint (matched, >=, 3);
}

static void
run_fixture (const char *weights_path,
             const char *io_path,
             const char *name,
             gboolean    in_order)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) weights = vt_checkpoint_open (weights_path, &error);
  g_autoptr(VtCheckpoint) io = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTaps) image = NULL;
  g_autoptr(VtTaps) text = NULL;
  const VtTensor *pixels, *ids;
  g_autofree float *input = NULL;
  guint n_compared = 0;
  double worst;

  g_assert_no_error (error);
  io = vt_checkpoint_open (io_path, &error);
  g_assert_no_error (error);
  model = vt_model_new (weights, &error);
  g_assert_no_error (error);

  pixels = vt_checkpoint_lookup (io, "input.pixel_values");
  g_assert_nonnull (pixels);
  input = vt_tensor_dup_float (pixels);
  image = vt_model_forward (model, input, pixels->shape[0], pixels->shape[2], pixels->shape[3],
                            VT_TAP_BLOCKS | VT_TAP_ATTENTION, &error);
  g_assert_no_error (error);

  ids = vt_checkpoint_lookup (io, "input.text_ids");
  if (ids != NULL)
    {
      g_assert_cmpint (ids->dtype, ==, VT_DTYPE_I64);
      text = vt_model_forward_text (model, (const gint64 *) ids->data, ids->shape[0], ids->shape[1],
                                    VT_TAP_BLOCKS | VT_TAP_ATTENTION, &error);
      g_assert_no_error (error);
    }

  worst = compare_all (io, image, text, name, &n_compared);
  if (text != NULL)
    {
      double logits = compare_clip_logits (io, image, text);
      g_assert_cmpfloat (logits, <=, TOLERANCE);
      worst = MAX (worst, logits);
      n_compared++;
    }
  g_test_message ("%s: %u tensors compared, largest absolute difference %.3g", name, n_compared, worst);
  g_assert_cmpuint (n_compared, >=, 4);
  check_layer_list (model, io, pixels, name, in_order);
}

static void
test_upstream_fixture (gconstpointer data)
{
  const char *name = data;   /* "timm/vit_cls" */
  g_autofree char *w = g_strdup_printf ("reference/%s.safetensors", name);
  g_autofree char *io = g_strdup_printf ("reference/%s.io.safetensors", name);
  g_autofree char *weights_path = vt_test_asset (w);
  g_autofree char *io_path = vt_test_asset (io);

  run_fixture (weights_path, io_path, name, FALSE);
}

/* He et al.'s CIFAR ResNet-20, real weights, block by block. */
static void
test_cifar_resnet20 (void)
{
  g_autofree char *weights_path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *io_path = vt_test_fixture ("forward/cifar_resnet20.io.safetensors");

  run_fixture (weights_path, io_path, "cifar_resnet20", TRUE);
}

/* Our own fixtures (tests/reference/make_forward_fixtures.py): torchvision's
 * ResNet and ViT, Hugging Face's CLIP vision tower. */
static void
test_own_fixture (gconstpointer data)
{
  const char *name = data;
  g_autofree char *w = g_strdup_printf ("forward/%s/model.safetensors", name);
  g_autofree char *io = g_strdup_printf ("forward/%s.io.safetensors", name);
  g_autofree char *weights_path = vt_test_fixture (w);
  g_autofree char *io_path = vt_test_fixture (io);

  run_fixture (weights_path, io_path, name, TRUE);
}

/* timm's vit_cls at 48×48 and 24×24: position embeddings resampled. */
static void
test_resized_vit (gconstpointer data)
{
  const char *name = data;
  g_autofree char *weights_path = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *io = g_strdup_printf ("forward/%s.io.safetensors", name);
  g_autofree char *io_path = vt_test_fixture (io);

  run_fixture (weights_path, io_path, name, TRUE);
}

/* Writes the tensors of @source to @path, with @drop left out, @reshape
 * given a different shape of the same size, and @poison's first value NaN. */
static void
write_variant (const char *source,
               const char *path,
               const char *drop,
               const char *reshape,
               const char *poison)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (source, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) ndims = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) shapes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (ckpt); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (ckpt, i);
      gint64 *shape = g_memdup2 (t->shape, sizeof t->shape);
      guint ndim = t->ndim;
      float *values = vt_tensor_dup_float (t);

      if (g_strcmp0 (t->name, drop) == 0)
        {
          g_free (shape);
          g_free (values);
          continue;
        }
      if (g_strcmp0 (t->name, reshape) == 0)
        {
          shape[0] /= 2;
          shape[1] *= 2;
        }
      if (g_strcmp0 (t->name, poison) == 0)
        values[0] = NAN;
      g_ptr_array_add (names, t->name);
      g_array_append_val (ndims, ndim);
      g_ptr_array_add (shapes, shape);
      g_ptr_array_add (data, values);
    }
  vt_safetensors_write_f32 (path, names->len, (const char * const *) names->pdata, (const guint *) ndims->data,
                            (const gint64 * const *) shapes->pdata, (const float * const *) data->pdata, NULL, &error);
  g_assert_no_error (error);
}

/* A checkpoint that does not fit its architecture names the tensor and both
 * shapes; NaN in an output is reported, not returned as numbers. */
static void
test_bad_checkpoints (void)
{
  g_autofree char *source = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *io_path = vt_test_asset ("reference/timm/vit_cls.io.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  g_autofree char *reshaped = g_build_filename (dir, "reshaped.safetensors", NULL);
  g_autofree char *poisoned = g_build_filename (dir, "poisoned.safetensors", NULL);
  g_autoptr(GError) error = NULL;

  write_variant (source, missing, "blocks.1.mlp.fc2.bias", NULL, NULL);
  write_variant (source, reshaped, NULL, "blocks.0.attn.proj.weight", NULL);
  write_variant (source, poisoned, NULL, NULL, "head.bias");

  {
    g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (missing, &error);
    g_autoptr(VtModel) model = vt_model_new (ckpt, &error);
    g_assert_null (model);
    g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "“blocks.1.mlp.fc2.bias” is missing"));
    g_clear_error (&error);
  }
  {
    g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (reshaped, &error);
    g_autoptr(VtModel) model = vt_model_new (ckpt, &error);
    g_assert_null (model);
    g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_SHAPE);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "“blocks.0.attn.proj.weight” has shape [32, 128] of F32, expected [64, 64]"));
    g_clear_error (&error);
  }
  {
    g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (poisoned, &error);
    g_autoptr(VtModel) model = vt_model_new (ckpt, &error);
    g_autoptr(VtCheckpoint) io = vt_checkpoint_open (io_path, &error);
    const VtTensor *pixels = vt_checkpoint_lookup (io, "input.pixel_values");
    g_autofree float *input = vt_tensor_dup_float (pixels);
    g_autoptr(VtTaps) taps = NULL;

    g_assert_nonnull (model);
    taps = vt_model_forward (model, input, 2, 32, 32, VT_TAP_OUTPUTS, &error);
    g_assert_null (taps);
    g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "NaN"));
  }
  vt_test_rm_rf (dir);
}

/* A CLIP ResNet takes its heads from the config, refuses an image of
 * another size than its attention pool was trained for, and one missing an
 * attention-pool tensor names it. */
static void
test_modified_resnet_errors (void)
{
  g_autofree char *source = vt_test_fixture ("forward/openclip_rn/model.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (source, &error);
  g_autoptr(VtModel) model = vt_model_new (ckpt, &error);
  g_autofree float *input = g_new0 (float, 3 * 32 * 32);

  g_assert_no_error (error);
  /* Heads from the config's head_width (64): width 8 · 32 / 64. */
  g_assert_cmpint (vt_model_get_architecture (model)->heads, ==, 4);
  g_assert_cmpstr (vt_model_get_architecture (model)->heads_source, ==, "config.json");
  g_assert_null (vt_model_forward (model, input, 1, 32, 32, VT_TAP_OUTPUTS, &error));
  g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "takes 64×64 images"));
  g_clear_error (&error);

  write_variant (source, missing, "visual.attnpool.k_proj.bias", NULL, NULL);
  {
    g_autoptr(VtCheckpoint) broken = vt_checkpoint_open (missing, &error);
    g_autoptr(VtModel) none = vt_model_new (broken, &error);
    g_assert_null (none);
    g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR);
    g_assert_nonnull (strstr (error->message, "“visual.attnpool.k_proj.bias” is missing"));
  }
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const char *fixtures[] = {
    "timm/vit_cls", "timm/vit_avg", "timm/deit_distilled",
    "timm/resnet_basic", "timm/resnet_bottleneck",
    "openclip/clip_vit", "openclip/clip_vit_quickgelu",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/forward/%s", fixtures[i]);
      g_test_add_data_func (path, fixtures[i], test_upstream_fixture);
    }
  g_test_add_func ("/engine/forward/cifar-resnet20", test_cifar_resnet20);
  g_test_add_data_func ("/engine/forward/torchvision-resnet", "tv_resnet", test_own_fixture);
  g_test_add_data_func ("/engine/forward/torchvision-vit", "tv_vit", test_own_fixture);
  g_test_add_data_func ("/engine/forward/hf-clip-vision", "hf_clip_vision", test_own_fixture);
  g_test_add_data_func ("/engine/forward/hf-clip-model", "hf_clip_full", test_own_fixture);
  g_test_add_data_func ("/engine/forward/openclip-modified-resnet", "openclip_rn", test_own_fixture);
  g_test_add_func ("/engine/forward/openclip-modified-resnet-errors", test_modified_resnet_errors);
  g_test_add_data_func ("/engine/forward/vit-resampled-up", "vit_cls_48", test_resized_vit);
  g_test_add_data_func ("/engine/forward/vit-resampled-down", "vit_cls_24", test_resized_vit);
  g_test_add_func ("/engine/forward/bad-checkpoints", test_bad_checkpoints);
  return g_test_run ();
}
