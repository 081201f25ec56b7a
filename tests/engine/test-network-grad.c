/* test-network-grad.c: whole-network backward passes (VtTrainable).
 *
 * For the real CIFAR ResNet-20, torchvision's ResNet over Bottlenecks, timm's
 * ViT (class token, and average pooling with fc_norm) and DeiT (distilled),
 * torchvision's ViT, OpenCLIP's ViT image tower and text tower (GELU and
 * QuickGELU) and Hugging Face CLIPModel's two towers (there S is on the
 * normalized image or text embedding), tests/reference/make_network_grad_fixtures.py
 * stores PyTorch's float64 autograd gradients of S = Σᵢ logits[i, indexᵢ]
 * (or of S = Σᵢ target[i, indexᵢ] for the target the fixture names)
 * with respect to the input, a few taps and a few parameters; ours must
 * agree to max |ours − ref| / max |ref| ≤ 1e-4, printed per tensor. The
 * trainable forward pass must give the inference pass's values (≤ 1e-6,
 * printed), a backward pass from an inner tap must carry its gradient on to
 * the input, and central finite differences of S along random directions
 * (summed in double) must match the input gradient.
 *
 * With BatchNorm in training mode (the *_bn_train fixtures: 8 images, S the
 * mean cross-entropy), the loss, the gradients and the running statistics
 * after the pass must be PyTorch's train() mode's. */
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "models/vt-model.h"
#include "models/vt-trainable.h"
#include "nn/vt-loss.h"
#include "vt-test-util.h"

#define REF_TOLERANCE 1e-4
#define SAME_TOLERANCE 1e-6

typedef struct
{
  VtCheckpoint   *fixture;
  VtCheckpoint   *checkpoint;
  VtArchitecture *arch;
  VtTrainable    *model;
  float          *input;
  int             batch, height, width;
  const VtTensor *index;
  const char     *target;    /* "logits", or the fixture's metadata "target" */
  float          *dlogits;   /* ∂S/∂target */
} Case;

static void
case_free (Case *c)
{
  vt_trainable_free (c->model);
  vt_architecture_free (c->arch);
  vt_checkpoint_unref (c->checkpoint);
  vt_checkpoint_unref (c->fixture);
  g_free (c->input);
  g_free (c->dlogits);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Case, case_free)

/* The fixture's checkpoint: "shared:<path under ../shared/assets>" or a
 * path from the repository root under tests/fixtures. */
static char *
checkpoint_path (VtCheckpoint *fixture)
{
  const char *where = g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "checkpoint");

  g_assert_nonnull (where);
  if (g_str_has_prefix (where, "shared:"))
    return vt_test_asset (where + strlen ("shared:"));
  g_assert_true (g_str_has_prefix (where, "tests/fixtures/"));
  return vt_test_fixture (where + strlen ("tests/fixtures/"));
}

static Case *
case_open (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("grad/net_%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (relative);
  g_autofree char *weights = NULL;
  g_autoptr(GError) error = NULL;
  Case *c = g_new0 (Case, 1);
  const VtTensor *input;
  int classes;

  c->fixture = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  weights = checkpoint_path (c->fixture);
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
  c->index = vt_checkpoint_lookup (c->fixture, "index");
  g_assert_nonnull (c->index);
  c->target = g_hash_table_lookup (vt_checkpoint_get_metadata (c->fixture), "target");
  if (c->target == NULL)
    c->target = "logits";
  classes = (int) vt_checkpoint_lookup (c->fixture, c->target)->shape[1];
  /* ∂S/∂logits: one at each image's class */
  c->dlogits = g_new0 (float, (gsize) c->batch * classes);
  for (int i = 0; i < c->batch; i++)
    c->dlogits[(gsize) i * classes + (int) vt_dtype_read_double (c->index->dtype, c->index->data, i)] = 1.0f;
  return c;
}

static void
forward_backward (Case *c)
{
  g_autoptr(GError) error = NULL;

  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  vt_trainable_backward (c->model, c->target, c->dlogits, &error);
  g_assert_no_error (error);
}

/* Every grad.<name> of the fixture against ours: a tap or a parameter. */
static void
test_against_pytorch (gconstpointer data)
{
  g_autoptr(Case) c = case_open (data);
  const VtTensor *logits = vt_checkpoint_lookup (c->fixture, c->target);
  g_autofree float *ref_logits = vt_tensor_dup_float (logits);
  guint n_taps = 0, n_params = 0;
  double rel;

  vt_trainable_set_part (c->model, VT_TRAIN_ALL, 0);
  forward_backward (c);
  rel = vt_test_relative_difference (vt_trainable_lookup_tap (c->model, c->target)->value, ref_logits, logits->numel);
  g_test_message ("%s: %s, relative difference %.3g", (const char *) data, c->target, rel);
  g_assert_cmpfloat (rel, <=, REF_TOLERANCE);

  for (guint i = 0; i < vt_checkpoint_get_n_tensors (c->fixture); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (c->fixture, i);
      const char *name = t->name + strlen ("grad.");
      const VtTapeNode *tap;
      const VtTrainableParam *param;
      g_autofree float *ref = NULL;
      const float *ours;
      gsize numel;

      if (!g_str_has_prefix (t->name, "grad."))
        continue;
      ref = vt_tensor_dup_float (t);
      if ((tap = vt_trainable_lookup_tap (c->model, name)) != NULL)
        {
          ours = tap->grad;
          numel = tap->numel;
          n_taps++;
        }
      else
        {
          param = vt_trainable_lookup_param (c->model, name);
          if (param == NULL)
            g_error ("%s: neither a tap nor a parameter", name);
          g_assert_nonnull (param->grad);
          ours = param->grad;
          numel = param->numel;
          n_params++;
        }
      g_assert_cmpuint (numel, ==, t->numel);
      rel = vt_test_relative_difference (ours, ref, numel);
      g_test_message ("%s: ∂S/∂%s, relative difference %.3g", (const char *) data, name, rel);
      g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
    }
  g_assert_cmpuint (n_taps, >=, 4);
  g_assert_cmpuint (n_params, >=, 4);
}

/* The trainable pass's values against the inference pass's, tap by tap. */
static void
test_same_forward (gconstpointer data)
{
  g_autoptr(Case) c = case_open (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtModel) model = vt_model_new (c->checkpoint, &error);
  g_autoptr(VtTaps) taps = NULL;
  guint compared = 0;
  double worst = 0.0;

  g_assert_no_error (error);
  taps = vt_model_forward (model, c->input, c->batch, c->height, c->width, VT_TAP_BLOCKS | VT_TAP_ATTENTION,
                           &error);
  g_assert_no_error (error);
  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vt_taps_get_n (taps); i++)
    {
      const VtTap *tap = vt_taps_get (taps, i);
      const VtTapeNode *ours = vt_trainable_lookup_tap (c->model, tap->name);
      double rel;

      if (ours == NULL)
        continue;
      g_assert_cmpuint (ours->numel, ==, tap->numel);
      rel = vt_test_relative_difference (ours->value, tap->data, tap->numel);
      g_test_message ("%s: %s, relative difference to the inference pass %.3g", (const char *) data, tap->name, rel);
      worst = MAX (worst, rel);
      compared++;
    }
  g_test_message ("%s: %u taps, largest relative difference %.3g", (const char *) data, compared, worst);
  g_assert_nonnull (vt_taps_lookup (taps, c->target));
  g_assert_cmpuint (compared, >=, 4);
  g_assert_cmpfloat (worst, <=, SAME_TOLERANCE);
}

/* A backward pass that starts at tap @through (with the fixture's gradient
 * there) gives the fixture's input gradient: every path from the input to
 * the logits crosses that tap. */
static void
test_from_tap (gconstpointer data)
{
  const char *const *spec = data;   /* { case, tap } */
  g_autoptr(Case) c = case_open (spec[0]);
  g_autoptr(GError) error = NULL;
  g_autofree char *grad_name = g_strdup_printf ("grad.%s", spec[1]);
  const VtTensor *at = vt_checkpoint_lookup (c->fixture, grad_name);
  const VtTensor *input = vt_checkpoint_lookup (c->fixture, "grad.input");
  g_autofree float *dtap = vt_tensor_dup_float (at);
  g_autofree float *ref = vt_tensor_dup_float (input);
  double rel;

  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  vt_trainable_backward (c->model, spec[1], dtap, &error);
  g_assert_no_error (error);
  rel = vt_test_relative_difference (vt_trainable_lookup_tap (c->model, "input")->grad, ref, input->numel);
  g_test_message ("%s: ∂S/∂input from %s, relative difference %.3g", spec[0], spec[1], rel);
  g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
  /* nothing after the target is touched: the output's gradient stays zero */
  g_assert_cmpfloat (vt_test_relative_difference (vt_trainable_lookup_tap (c->model, c->target)->grad,
                                          (float[64]) { 0 }, MIN (64, c->batch * 2)), ==, 0.0);
}

static double
scalar (Case        *c,
        const float *x)
{
  g_autoptr(GError) error = NULL;
  const VtTapeNode *logits;
  double s = 0.0;

  vt_trainable_forward (c->model, x, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  logits = vt_trainable_lookup_tap (c->model, c->target);
  for (gsize i = 0; i < logits->numel; i++)
    s += (double) c->dlogits[i] * logits->value[i];
  return s;
}

/* Central differences of S along random directions v, against ∇S · v, on
 * the small ViTs: smooth functions (GELU, softmax, LayerNorm). A ResNet's
 * ReLUs put kinks on every path, and a direction that moves all 6,144
 * pixels crosses some at any step float32 can resolve (on ResNet-20 the
 * difference was 2 % at a step of 1e-2 and 10 % at 1e-3); its ops are
 * checked by finite differences one by one in test-grad.c. */
static void
test_finite_differences (gconstpointer data)
{
  g_autoptr(Case) c = case_open (data);
  const double eps = 1e-2;
  gsize n = (gsize) c->batch * 3 * c->height * c->width;
  g_autofree float *grad = g_new (float, n);
  g_autofree float *x = g_new (float, n);
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);

  forward_backward (c);
  memcpy (grad, vt_trainable_lookup_tap (c->model, "input")->grad, sizeof (float) * n);
  for (int d = 0; d < 4; d++)
    {
      g_autofree float *v = g_new (float, n);
      double analytic = 0.0, terms = 0.0, numeric, rel;

      for (gsize i = 0; i < n; i++)
        {
          v[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
          analytic += (double) grad[i] * v[i];
          terms += fabs ((double) grad[i] * v[i]);
        }
      for (gsize i = 0; i < n; i++)
        x[i] = (float) (c->input[i] + eps * v[i]);
      numeric = scalar (c, x);
      for (gsize i = 0; i < n; i++)
        x[i] = (float) (c->input[i] - eps * v[i]);
      numeric = (numeric - scalar (c, x)) / (2 * eps);
      /* relative to Σ |∂S/∂xᵢ · vᵢ|: a direction whose terms cancel
       * leaves a small ∇S·v but the same absolute error */
      rel = fabs (numeric - analytic) / terms;
      g_test_message ("%s: direction %d, ∇S·v %.6g, finite difference %.6g, Σ|terms| %.4g, relative difference %.3g",
                      (const char *) data, d, analytic, numeric, terms, rel);
      g_assert_cmpfloat (rel, <=, 1e-4);
    }
}

/* A CLIP text tower (OpenCLIP's, Hugging Face's): the fixture's gradients
 * (taps and parameters), the values against the inference pass, and the
 * token embedding's gradient (vt_trainable_get_token_embedding: the
 * parameter the fixture's metadata names, OpenCLIP's name if none), which
 * is ∂S/∂text.embed.tokens summed into the rows the ids picked. */
static void
test_text_tower (gconstpointer data)
{
  g_autofree char *relative = g_strdup_printf ("grad/net_%s_text.safetensors", (const char *) data);
  g_autofree char *path = vt_test_fixture (relative);
  g_autofree char *weights = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (path, &error);
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(VtModel) inference = NULL;
  g_autoptr(VtTaps) taps = NULL;
  g_autofree float *dtarget = NULL;
  g_autofree double *rows = NULL;
  const VtTensor *ids, *index, *target;
  const VtTrainableParam *embedding;
  const VtTapeNode *tokens;
  const char *embedding_name;
  VtArchitecture *arch;
  guint compared = 0;
  int batch, length, e;

  g_assert_no_error (error);
  weights = checkpoint_path (fixture);
  checkpoint = vt_checkpoint_open (weights, &error);
  g_assert_no_error (error);
  arch = vt_architecture_recognize (checkpoint);
  model = vt_trainable_new_text (checkpoint, arch, &error);
  vt_architecture_free (arch);
  g_assert_no_error (error);
  vt_trainable_set_part (model, VT_TRAIN_ALL, 0);

  ids = vt_checkpoint_lookup (fixture, "input.text_ids");
  index = vt_checkpoint_lookup (fixture, "index");
  target = vt_checkpoint_lookup (fixture, "text_embeds_norm");
  g_assert_cmpint (ids->dtype, ==, VT_DTYPE_I64);
  batch = (int) ids->shape[0];
  length = (int) ids->shape[1];
  e = (int) target->shape[1];
  /* an image is refused, and ids outside the vocabulary */
  g_assert_false (vt_trainable_forward (model, (float[3 * 8 * 8]) { 0 }, 1, 8, 8, &error));
  g_clear_error (&error);
  g_assert_false (vt_trainable_forward_text (model, (gint64[]) { -1 }, 1, 1, &error));
  g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT);
  g_clear_error (&error);
  vt_trainable_forward_text (model, (const gint64 *) ids->data, batch, length, &error);
  g_assert_no_error (error);

  /* values: the inference pass's */
  inference = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  taps = vt_model_forward_text (inference, (const gint64 *) ids->data, batch, length,
                                VT_TAP_BLOCKS | VT_TAP_ATTENTION, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vt_taps_get_n (taps); i++)
    {
      const VtTap *tap = vt_taps_get (taps, i);
      const VtTapeNode *ours = vt_trainable_lookup_tap (model, tap->name);

      if (ours == NULL)
        continue;
      g_assert_cmpuint (ours->numel, ==, tap->numel);
      g_test_message ("%s text: %s, relative difference to the inference pass %.3g", (const char *) data, tap->name,
                      vt_test_relative_difference (ours->value, tap->data, tap->numel));
      g_assert_cmpfloat (vt_test_relative_difference (ours->value, tap->data, tap->numel), <=, SAME_TOLERANCE);
      compared++;
    }
  g_assert_cmpuint (compared, >=, 8);

  dtarget = g_new0 (float, (gsize) batch * e);
  for (int i = 0; i < batch; i++)
    dtarget[(gsize) i * e + ((const gint32 *) index->data)[i]] = 1.0f;
  vt_trainable_backward (model, "text_embeds_norm", dtarget, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (fixture); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (fixture, i);
      const char *name = t->name + strlen ("grad.");
      const VtTapeNode *tap;
      const VtTrainableParam *param;
      g_autofree float *ref = NULL;
      double rel;

      if (!g_str_has_prefix (t->name, "grad."))
        continue;
      ref = vt_tensor_dup_float (t);
      tap = vt_trainable_lookup_tap (model, name);
      param = vt_trainable_lookup_param (model, name);
      g_assert_true (tap != NULL || param != NULL);
      rel = vt_test_relative_difference (tap ? tap->grad : param->grad, ref, t->numel);
      g_test_message ("%s text: ∂S/∂%s, relative difference %.3g", (const char *) data, name, rel);
      g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
    }

  /* the token embedding's rows: Σ of ∂S/∂tokens over the places each id took */
  embedding_name = g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "token_embedding");
  embedding = vt_trainable_get_token_embedding (model);
  g_assert_nonnull (embedding);
  g_assert_cmpstr (embedding->name, ==, embedding_name ? embedding_name : "token_embedding.weight");
  tokens = vt_trainable_lookup_tap (model, "text.embed.tokens");
  {
    int c = (int) embedding->shape[1];
    const gint64 *id = (const gint64 *) ids->data;
    double worst = 0.0;

    rows = g_new0 (double, embedding->numel);
    for (gsize i = 0; i < (gsize) batch * length; i++)
      for (int ch = 0; ch < c; ch++)
        rows[(gsize) id[i] * c + ch] += tokens->grad[i * c + ch];
    for (gsize i = 0; i < embedding->numel; i++)
      worst = MAX (worst, fabs (embedding->grad[i] - rows[i]));
    g_test_message ("%s text: token_embedding.weight rows, largest difference %.3g", (const char *) data, worst);
    g_assert_cmpfloat (worst, <=, 1e-6);
  }
}

/* BatchNorm in training mode against PyTorch's train(): the loss, the
 * logits, every stored gradient, and each BatchNorm's running statistics
 * (and counter) after the one forward pass; then eval mode normalizes
 * with those updated statistics and changes them no more. */
static void
test_batchnorm_training (gconstpointer data)
{
  g_autoptr(Case) c = case_open (data);
  g_autoptr(GError) error = NULL;
  const VtTensor *logits_ref = vt_checkpoint_lookup (c->fixture, "logits");
  int k = (int) logits_ref->shape[1];
  g_autofree float *probs = g_new (float, (gsize) c->batch * k);
  g_autofree float *dlogits = g_new0 (float, (gsize) c->batch * k);
  g_autofree gint32 *target = g_new (gint32, c->batch);
  g_autofree float *ref = NULL;
  g_autofree float *before_eval = NULL;
  g_autofree float *eval_logits = NULL;
  const VtTapeNode *logits;
  guint n_grads = 0, n_running = 0, n_counters = 0;
  double loss, loss_ref, rel, worst_running = 0.0;

  g_assert_true (vt_trainable_has_batchnorm (c->model));
  g_assert_null (vt_trainable_lookup_buffer (c->model, "bn1.running_mean"));
  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  eval_logits = g_memdup2 (vt_trainable_lookup_tap (c->model, "logits")->value,
                           sizeof (float) * vt_trainable_lookup_tap (c->model, "logits")->numel);
  vt_trainable_set_part (c->model, VT_TRAIN_ALL, 0);
  vt_trainable_set_batchnorm_training (c->model, TRUE);
  g_assert_true (vt_trainable_get_batchnorm_training (c->model));
  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  logits = vt_trainable_lookup_tap (c->model, "logits");
  ref = vt_tensor_dup_float (logits_ref);
  rel = vt_test_relative_difference (logits->value, ref, logits->numel);
  g_test_message ("%s: logits, relative difference %.3g", (const char *) data, rel);
  g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
  for (int i = 0; i < c->batch; i++)
    target[i] = (gint32) vt_dtype_read_double (c->index->dtype, c->index->data, i);
  loss = vt_cross_entropy_forward (probs, logits->value, target, NULL, c->batch, k, 0.0f, -100, &error);
  g_assert_no_error (error);
  {
    const VtTensor *t = vt_checkpoint_lookup (c->fixture, "loss");

    loss_ref = vt_dtype_read_double (t->dtype, t->data, 0);
  }
  g_test_message ("%s: loss %.7g, PyTorch's %.7g, relative difference %.3g", (const char *) data, loss, loss_ref,
                  fabs (loss - loss_ref) / fabs (loss_ref));
  g_assert_cmpfloat (fabs (loss - loss_ref), <=, REF_TOLERANCE * fabs (loss_ref));
  vt_cross_entropy_backward (dlogits, probs, target, NULL, c->batch, k, 0.0f, -100, 1.0f);
  vt_trainable_backward (c->model, "logits", dlogits, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < vt_checkpoint_get_n_tensors (c->fixture); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (c->fixture, i);
      g_autofree float *expected = NULL;

      if (g_str_has_prefix (t->name, "grad."))
        {
          const char *name = t->name + strlen ("grad.");
          const VtTapeNode *tap = vt_trainable_lookup_tap (c->model, name);
          const VtTrainableParam *param = vt_trainable_lookup_param (c->model, name);

          g_assert_true (tap != NULL || (param != NULL && param->grad != NULL));
          expected = vt_tensor_dup_float (t);
          rel = vt_test_relative_difference (tap ? tap->grad : param->grad, expected, t->numel);
          g_test_message ("%s: ∂loss/∂%s, relative difference %.3g", (const char *) data, name, rel);
          g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
          n_grads++;
        }
      else if (g_str_has_prefix (t->name, "running."))
        {
          const VtTensor *ours = vt_trainable_lookup_buffer (c->model, t->name + strlen ("running."));

          if (ours == NULL)
            g_error ("%s: no buffer %s", (const char *) data, t->name + strlen ("running."));
          g_assert_cmpuint (ours->numel, ==, t->numel);
          if (g_str_has_suffix (t->name, ".num_batches_tracked"))
            {
              g_assert_cmpint (ours->dtype, ==, VT_DTYPE_I64);
              g_assert_cmpfloat (vt_dtype_read_double (ours->dtype, ours->data, 0), ==,
                                 vt_dtype_read_double (t->dtype, t->data, 0));
              n_counters++;
              continue;
            }
          g_assert_cmpint (ours->dtype, ==, VT_DTYPE_F32);
          expected = vt_tensor_dup_float (t);
          rel = vt_test_relative_difference ((const float *) ours->data, expected, t->numel);
          worst_running = MAX (worst_running, rel);
          /* a running average: float rounding only */
          g_assert_cmpfloat (rel, <=, 1e-5);
          n_running++;
        }
    }
  g_test_message ("%s: %u gradients, %u running statistics (largest relative difference %.3g), %u counters",
                  (const char *) data, n_grads, n_running, worst_running, n_counters);
  g_assert_cmpuint (n_grads, >=, 6);
  g_assert_cmpuint (n_running, >=, 2 * 16);   /* every BatchNorm: 19 in ResNet-20, 16 in tv_resnet */

  /* eval mode: the updated running statistics, which it leaves as they are */
  vt_trainable_set_batchnorm_training (c->model, FALSE);
  before_eval = g_memdup2 (vt_trainable_lookup_buffer (c->model, "bn1.running_var")->data, sizeof (float) * 16);
  vt_trainable_forward (c->model, c->input, c->batch, c->height, c->width, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (before_eval, sizeof (float) * 16, vt_trainable_lookup_buffer (c->model, "bn1.running_var")->data,
                   sizeof (float) * 16);
  /* the parameters are the same as before training mode: only the running statistics moved */
  rel = vt_test_relative_difference (vt_trainable_lookup_tap (c->model, "logits")->value, eval_logits,
                             vt_trainable_lookup_tap (c->model, "logits")->numel);
  g_test_message ("%s: eval-mode logits after the pass against before it, relative difference %.3g",
                  (const char *) data, rel);
  g_assert_cmpfloat (rel, >, 1e-4);
}

/* Hugging Face's separate q, k, v: with only one of a block's three
 * trainable, the packed product's gradient still reaches it (and only it),
 * equal to the fixture's. */
static void
test_one_projection (void)
{
  g_autoptr(Case) c = case_open ("hf_clip");
  const char *name = "vision_model.encoder.layers.1.self_attn.v_proj.weight";
  g_autofree char *grad_name = g_strdup_printf ("grad.%s", name);
  g_autofree float *ref = vt_tensor_dup_float (vt_checkpoint_lookup (c->fixture, grad_name));
  const VtTrainableParam *v, *q;
  double rel;

  vt_trainable_set_part (c->model, VT_TRAIN_NONE, 0);
  g_assert_true (vt_trainable_train_param (c->model, name));
  v = vt_trainable_lookup_param (c->model, name);
  q = vt_trainable_lookup_param (c->model, "vision_model.encoder.layers.1.self_attn.q_proj.weight");
  g_assert_null (q->grad);
  forward_backward (c);
  rel = vt_test_relative_difference (v->grad, ref, v->numel);
  g_test_message ("hf_clip: ∂S/∂%s trained alone, relative difference %.3g", name, rel);
  g_assert_cmpfloat (rel, <=, REF_TOLERANCE);
  g_assert_null (q->grad);
}

/* Which parameters train, and that frozen ones stay in the checkpoint. */
static void
test_parts (void)
{
  g_autoptr(Case) c = case_open ("cifar_resnet20");
  const VtTrainableParam *fc, *early, *late, *norm;

  vt_trainable_set_part (c->model, VT_TRAIN_HEAD, 0);
  fc = vt_trainable_lookup_param (c->model, "linear.weight");
  early = vt_trainable_lookup_param (c->model, "layer1.0.conv1.weight");
  late = vt_trainable_lookup_param (c->model, "layer3.2.conv2.weight");
  norm = vt_trainable_lookup_param (c->model, "layer1.0.bn1.weight");
  g_assert_nonnull (fc->grad);
  g_assert_null (early->grad);
  g_assert_null (late->grad);
  forward_backward (c);
  vt_trainable_set_part (c->model, VT_TRAIN_LAST_BLOCKS, 1);
  g_assert_nonnull (fc->grad);
  g_assert_nonnull (late->grad);
  g_assert_null (early->grad);
  g_assert_null (norm->grad);
  vt_trainable_set_part (c->model, VT_TRAIN_NORMS, 0);
  g_assert_null (fc->grad);
  g_assert_null (late->grad);
  g_assert_nonnull (norm->grad);
  /* the head's gradient from the head-only pass: with norms only, gone */
  forward_backward (c);
  g_assert_cmpfloat (fabs (norm->grad[0]), >, 0.0);
  g_assert_null (vt_trainable_lookup_param (c->model, "no.such.weight"));
  g_assert_false (vt_trainable_train_param (c->model, "no.such.weight"));
}

static void
test_unsupported (void)
{
  /* OpenCLIP's ModifiedResNet image tower: a forward pass, no backward pass yet */
  g_autofree char *path = vt_test_fixture ("forward/openclip_rn/model.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (path, &error);
  VtArchitecture *arch;
  VtTrainable *model;

  g_assert_no_error (error);
  arch = vt_architecture_recognize (checkpoint);
  model = vt_trainable_new (checkpoint, arch, &error);
  g_assert_null (model);
  g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "openclip_rn/model.safetensors"));
  vt_architecture_free (arch);
}

int
main (int    argc,
      char **argv)
{
  static const char *const cases[] = {
    "cifar_resnet20", "tv_resnet", "vit_cls", "deit_distilled", "vit_avg", "clip_vit", "clip_vit_quickgelu",
    "tv_vit", "hf_clip", "hf_clip_gelu",
  };
  static const char *const from_tap[][2] = {
    { "cifar_resnet20", "layer3.2.out" }, { "cifar_resnet20", "layer2.1.out" },
    { "tv_resnet", "stem.act" }, { "vit_cls", "blocks.0.out" }, { "deit_distilled", "embed.tokens" },
    { "vit_avg", "blocks.1.out" }, { "clip_vit", "visual.embed.pre_ln" }, { "tv_vit", "blocks.0.out" },
    { "hf_clip", "embed.tokens" },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ref = g_strdup_printf ("/engine/network-grad/%s/pytorch", cases[i]);
      g_autofree char *same = g_strdup_printf ("/engine/network-grad/%s/same-forward", cases[i]);

      g_test_add_data_func (ref, cases[i], test_against_pytorch);
      g_test_add_data_func (same, cases[i], test_same_forward);
    }
  for (guint i = 0; i < G_N_ELEMENTS (from_tap); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/network-grad/%s/from-%s", from_tap[i][0], from_tap[i][1]);
      g_test_add_data_func (path, from_tap[i], test_from_tap);
    }
  g_test_add_data_func ("/engine/network-grad/vit_cls/finite-differences", "vit_cls", test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/deit_distilled/finite-differences", "deit_distilled",
                        test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/clip_vit_quickgelu/finite-differences", "clip_vit_quickgelu",
                        test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/tv_vit/finite-differences", "tv_vit", test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/hf_clip/finite-differences", "hf_clip", test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/hf_clip_gelu/finite-differences", "hf_clip_gelu",
                        test_finite_differences);
  g_test_add_data_func ("/engine/network-grad/clip_vit/text-tower", "clip_vit", test_text_tower);
  g_test_add_data_func ("/engine/network-grad/hf_clip/text-tower", "hf_clip", test_text_tower);
  g_test_add_data_func ("/engine/network-grad/clip_vit_quickgelu/text-tower", "clip_vit_quickgelu", test_text_tower);
  g_test_add_data_func ("/engine/network-grad/cifar_resnet20_bn_train/pytorch", "cifar_resnet20_bn_train",
                        test_batchnorm_training);
  g_test_add_data_func ("/engine/network-grad/tv_resnet_bn_train/pytorch", "tv_resnet_bn_train",
                        test_batchnorm_training);
  g_test_add_func ("/engine/network-grad/parts", test_parts);
  g_test_add_func ("/engine/network-grad/hf_clip/one-projection", test_one_projection);
  g_test_add_func ("/engine/network-grad/unsupported", test_unsupported);
  return g_test_run ();
}
