/* test-coop.c: CoOp prompt learning (engine/methods/active/vt-coop.c) on
 * the OpenCLIP fixture's text tower, and on the same weights in Hugging
 * Face CLIPModel's layout (tests/fixtures/coop/hf_clip, the "hf_" cases),
 * against PyTorch (tests/reference/make_coop_fixture.py), shared and
 * class-specific context: the prompts' token ids after the cut, the seeded start of the
 * context, the loss and its gradient with respect to the context (max
 * |ours − ref| / max |ref| ≤ 1e-4), and ten SGD steps on a cosine schedule
 * (each loss within 1e-4, the context after them within 1e-4 relative).
 * Then the errors: a prompt longer than the context, a checkpoint without
 * a text tower. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "io/vt-checkpoint.h"
#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-coop.h"
#include "models/vt-model.h"
#include "vt-test-util.h"

#define TOLERANCE 1e-4

typedef struct
{
  VtCheckpoint  *fixture;
  VtCheckpoint  *checkpoint;
  VtModel       *model;
  VtTokenizer   *tokenizer;
  char         **classes;
  guint          n_ctx;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *path = vt_test_fixture ("coop/coop.safetensors");
  /* the "hf_" cases run on the Hugging Face layout's copy */
  g_autofree char *model_path = data && g_str_has_prefix (data, "hf_")
                                  ? vt_test_fixture ("coop/hf_clip/model.safetensors")
                                  : vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GHashTable *metadata;
  JsonArray *names;

  f->fixture = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  f->checkpoint = vt_checkpoint_open (model_path, &error);
  g_assert_no_error (error);
  f->model = vt_model_new (f->checkpoint, &error);
  g_assert_no_error (error);
  f->tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
  g_assert_no_error (error);
  metadata = vt_checkpoint_get_metadata (f->fixture);
  json_parser_load_from_data (parser, g_hash_table_lookup (metadata, "classes"), -1, &error);
  g_assert_no_error (error);
  names = json_node_get_array (json_parser_get_root (parser));
  f->classes = g_new0 (char *, json_array_get_length (names) + 1);
  for (guint i = 0; i < json_array_get_length (names); i++)
    f->classes[i] = g_strdup (json_array_get_string_element (names, i));
  f->n_ctx = (guint) g_ascii_strtoull (g_hash_table_lookup (metadata, "n_ctx"), NULL, 10);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_strfreev (f->classes);
  vt_tokenizer_free (f->tokenizer);
  vt_model_free (f->model);
  vt_checkpoint_unref (f->checkpoint);
  vt_checkpoint_unref (f->fixture);
}

static const VtTensor *
lookup (Fixture    *f,
        const char *name)
{
  const VtTensor *t = vt_checkpoint_lookup (f->fixture, name);

  g_assert_nonnull (t);
  return t;
}

/* max |a − b| / max |b| over @n values, printed. */
static double
relative (const char  *what,
          const float *ours,
          const float *ref,
          gsize        n)
{
  double worst = 0.0, scale = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      worst = MAX (worst, fabs ((double) ours[i] - ref[i]));
      scale = MAX (scale, fabs ((double) ref[i]));
    }
  g_assert_cmpfloat (scale, >, 0.0);
  g_test_message ("%s: largest difference %.3g of largest %.3g (relative %.3g)", what, worst, scale, worst / scale);
  return worst / scale;
}

static VtCoop *
coop_for (Fixture    *f,
          const char *name,
          gboolean    csc)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  VtCoopOptions options;
  VtCoop *coop;

  json_parser_load_from_data (parser, g_hash_table_lookup (vt_checkpoint_get_metadata (f->fixture), "seeds"), -1,
                              &error);
  g_assert_no_error (error);
  vt_coop_options_init (&options);
  options.n_ctx = f->n_ctx;
  options.csc = csc;
  options.seed = (guint64) json_object_get_int_member (json_node_get_object (json_parser_get_root (parser)), name);
  /* the fixture's ten steps: 5 epochs of two batches of 3, base rate 0.2 */
  options.lr = 0.2;
  options.epochs = 5;
  options.batch = 3;
  coop = vt_coop_new (f->model, f->tokenizer, (const char * const *) f->classes, &options, &error);
  g_assert_no_error (error);
  return coop;
}

static void
test_case (Fixture       *f,
           gconstpointer  data)
{
  const char *name = data;
  gboolean csc = g_str_has_suffix (name, "csc");
  g_autoptr(VtCoop) coop = coop_for (f, name, csc);
  g_autofree char *ids_key = g_strdup_printf ("%s.ids", name);
  g_autofree char *context_key = g_strdup_printf ("%s.context", name);
  g_autofree char *loss_key = g_strdup_printf ("%s.loss", name);
  g_autofree char *grad_key = g_strdup_printf ("%s.grad", name);
  g_autofree char *losses_key = g_strdup_printf ("%s.losses", name);
  g_autofree char *final_key = g_strdup_printf ("%s.final", name);
  const VtTensor *ids = lookup (f, ids_key);
  const VtTensor *features_t = lookup (f, "features");
  g_autofree float *features = vt_tensor_dup_float (features_t);
  g_autofree float *context = vt_tensor_dup_float (lookup (f, context_key));
  g_autofree float *ref_loss = vt_tensor_dup_float (lookup (f, loss_key));
  g_autofree float *ref_grad = vt_tensor_dup_float (lookup (f, grad_key));
  g_autofree float *ref_losses = vt_tensor_dup_float (lookup (f, losses_key));
  g_autofree float *ref_final = vt_tensor_dup_float (lookup (f, final_key));
  const gint32 *labels = (const gint32 *) lookup (f, "labels")->data;
  guint n = (guint) features_t->shape[0];
  gsize size = vt_coop_get_context_size (coop);
  g_autofree float *grad = g_new0 (float, size);
  g_autofree guint *rows = g_new (guint, n);
  g_autoptr(GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  double loss, worst = 0.0;

  /* the cut prompts: as many tokens as PyTorch's, the same ids */
  g_assert_cmpuint (vt_coop_get_n_classes (coop), ==, ids->shape[0]);
  g_assert_cmpuint (vt_coop_get_length (coop), ==, ids->shape[1]);
  g_assert_cmpuint (vt_coop_get_length (coop), <, 16);
  g_assert_cmpmem (vt_coop_get_ids (coop), ids->nbytes, ids->data, ids->nbytes);
  g_assert_cmpuint (size, ==, lookup (f, context_key)->numel);
  /* the seeded start: the same Box–Muller draws */
  g_assert_cmpfloat (relative ("start context", vt_coop_get_context (coop), context, size), <=, 1e-6);

  g_assert_true (vt_coop_loss_backward (coop, features, labels, n, &loss, grad, &error));
  g_assert_no_error (error);
  g_test_message ("loss %.7f, PyTorch %.7f", loss, ref_loss[0]);
  g_assert_cmpfloat (fabs (loss - ref_loss[0]), <=, TOLERANCE);
  g_assert_cmpfloat (relative ("∂loss/∂context", grad, ref_grad, size), <=, TOLERANCE);

  for (guint i = 0; i < n; i++)
    rows[i] = i;
  g_assert_true (vt_coop_train (coop, features, rows, labels, n, losses, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (losses->len, ==, lookup (f, losses_key)->numel);
  for (guint i = 0; i < losses->len; i++)
    worst = MAX (worst, fabs (g_array_index (losses, double, i) - ref_losses[i]));
  g_test_message ("ten steps' losses: largest difference %.3g (first %.5f, last %.5f)", worst,
                  g_array_index (losses, double, 0), g_array_index (losses, double, losses->len - 1));
  g_assert_cmpfloat (worst, <=, TOLERANCE);
  g_assert_cmpfloat (relative ("context after ten steps", vt_coop_get_context (coop), ref_final, size), <=,
                     TOLERANCE);

  /* the steps moved the context, and reset puts it back */
  g_assert_cmpfloat (relative ("moved", vt_coop_get_context (coop), context, size), >, 10 * TOLERANCE);
  vt_coop_reset (coop);
  g_assert_cmpfloat (relative ("reset", vt_coop_get_context (coop), context, size), <=, 1e-6);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *resnet_path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autoptr(VtCheckpoint) resnet_checkpoint = NULL;
  g_autoptr(VtModel) resnet = NULL;
  g_autoptr(VtCoop) coop = NULL;
  g_autoptr(GError) error = NULL;
  VtCoopOptions options;

  /* 16 context vectors do not fit the fixture's context of 16 */
  vt_coop_options_init (&options);
  coop = vt_coop_new (f->model, f->tokenizer, (const char * const *) f->classes, &options, &error);
  g_assert_null (coop);
  g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "airplane"));
  g_assert_nonnull (strstr (error->message, "n_ctx"));
  g_clear_error (&error);

  /* a checkpoint without a text tower */
  resnet_checkpoint = vt_checkpoint_open (resnet_path, &error);
  g_assert_no_error (error);
  resnet = vt_model_new (resnet_checkpoint, &error);
  g_assert_no_error (error);
  options.n_ctx = 4;
  coop = vt_coop_new (resnet, f->tokenizer, (const char * const *) f->classes, &options, &error);
  g_assert_null (coop);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* a label outside the classes */
  coop = vt_coop_new (f->model, f->tokenizer, (const char * const *) f->classes, &options, &error);
  g_assert_no_error (error);
  {
    float x[32] = { 1.0f };
    guint row = 0;
    gint32 label = 99;

    g_assert_false (vt_coop_train (coop, x, &row, &label, 1, NULL, &error));
    g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/engine/coop/shared", Fixture, "shared", fixture_setup, test_case, fixture_teardown);
  g_test_add ("/engine/coop/csc", Fixture, "csc", fixture_setup, test_case, fixture_teardown);
  g_test_add ("/engine/coop/hf/shared", Fixture, "hf_shared", fixture_setup, test_case, fixture_teardown);
  g_test_add ("/engine/coop/hf/csc", Fixture, "hf_csc", fixture_setup, test_case, fixture_teardown);
  g_test_add ("/engine/coop/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  return g_test_run ();
}
