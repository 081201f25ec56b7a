/* test-attention.c: attention maps (vt-attention-maps.h) against PyTorch.
 *
 * tests/reference/make_attention_fixtures.py wrote, for the shared timm ViT
 * and DeiT fixtures and for a synthetic six-layer attention, every layer's
 * probabilities and each intermediate: the heads fused, the rollout
 * products (with and without discarding, from a start layer, and as
 * vit-explain computes them, by a literal copy of its code), the class and
 * token maps, DINO's mass masks and an upsampled map. From the same
 * probabilities, ours must agree within 1e-5; the largest difference is
 * printed per fixture. Our own forward pass's probabilities are checked
 * against the fixture's (timm's) too.
 *
 * The CLIP text tower's token × token attention of two prompts, every
 * layer's heads and their fusions, comes from
 * make_text_attention_fixture.py (OpenCLIP's text tower, and two Hugging
 * Face CLIPModel fixtures' in HF's layout, in torch, over the full context,
 * cut to the prompt's tokens), with the rollout over the layers; the labels
 * come from its own decoding of the same ids. */
#include <math.h>
#include <string.h>

#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attention-maps.h"
#include "methods/attribution/vt-text-attention.h"
#include "core/vt-json.h"
#include "models/vt-model.h"
#include "run/vt-spec.h"
#include "vt-test-util.h"

#define TOLERANCE 1e-5

/* The script's CASES, in its order. */
typedef struct
{
  VtHeadFusion  fusion;
  double        discard_ratio;
  int           start_layer;
  gboolean      compat;
} Case;

static const Case cases[] = {
  { VT_HEAD_FUSION_MEAN, 0.0, 0, FALSE },
  { VT_HEAD_FUSION_MAX, 0.9, 0, FALSE },
  { VT_HEAD_FUSION_MIN, 0.5, 1, FALSE },
  { VT_HEAD_FUSION_MEAN, 0.5, 0, FALSE },
  { VT_HEAD_FUSION_MEAN, 0.0, 0, TRUE },
  { VT_HEAD_FUSION_MAX, 0.9, 0, TRUE },
  { VT_HEAD_FUSION_MIN, 0.5, 1, TRUE },
};
#define QUERY_AFTER_PREFIX 5
#define SHARE 0.6

static char *
case_name (const Case *c)
{
  char ratio[G_ASCII_DTOSTR_BUF_SIZE];

  /* Python's f"{x:g}" for these ratios. */
  g_ascii_formatd (ratio, sizeof ratio, "%g", c->discard_ratio);
  return g_strdup_printf ("%s.discard%s.start%d%s", vt_head_fusion_name (c->fusion), ratio, c->start_layer,
                          c->compat ? ".compat" : "");
}

typedef struct
{
  const char    *fixture;
  VtCheckpoint  *io;
  double         worst;
  guint          compared;
} Check;

/* Image @b's slice (@n values) of the stored tensor @name against @values. */
static void
expect (Check       *check,
        const char  *name,
        int          b,
        const float *values,
        gsize        n)
{
  const VtTensor *t = vt_checkpoint_lookup (check->io, name);
  g_autofree float *want = NULL;
  double worst = 0;

  if (t == NULL)
    g_error ("%s: the fixture has no “%s”", check->fixture, name);
  if (t->numel != (gsize) t->shape[0] * n)
    g_error ("%s: “%s” holds %" G_GSIZE_FORMAT " values, expected %" G_GINT64_FORMAT " × %" G_GSIZE_FORMAT,
             check->fixture, name, t->numel, t->shape[0], n);
  want = vt_tensor_dup_float (t);
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) values[i] - want[(gsize) b * n + i]));
  if (!(worst <= TOLERANCE))
    g_error ("%s: %s[%d] differs by %.3g (tolerance %.0e)", check->fixture, name, b, worst, TOLERANCE);
  check->worst = MAX (check->worst, worst);
  check->compared++;
}

static float *
stored (VtCheckpoint *io,
        const char   *name,
        const char   *fixture)
{
  const VtTensor *t = vt_checkpoint_lookup (io, name);

  if (t == NULL)
    g_error ("%s: the fixture has no “%s”", fixture, name);
  return vt_tensor_dup_float (t);
}

static void
test_fixture (gconstpointer data)
{
  const char *fixture = data;
  g_autofree char *file = g_strdup_printf ("attention/%s.safetensors", fixture);
  g_autofree char *path = vt_test_fixture (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) io = vt_checkpoint_open (path, &error);
  g_autoptr(GPtrArray) probs = g_ptr_array_new_with_free_func (g_free);
  const VtTensor *first;
  Check check = { fixture, io, 0, 0 };
  int depth = 0, batch, heads, t, prefix, patches, gh;

  g_assert_no_error (error);
  for (;; depth++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%d.attn_probs", depth);

      if (vt_checkpoint_lookup (io, name) == NULL)
        break;
      g_ptr_array_add (probs, stored (io, name, fixture));
    }
  g_assert_cmpint (depth, >=, 2);
  first = vt_checkpoint_lookup (io, "blocks.0.attn_probs");
  batch = first->shape[0];
  heads = first->shape[1];
  t = first->shape[2];
  /* The patches are the class map's length; the prefix is the rest. */
  patches = vt_checkpoint_lookup (io, "class_map.blocks.0")->shape[2];
  prefix = t - patches;
  gh = (int) lround (sqrt (patches));
  g_assert_cmpint (gh * gh, ==, patches);

  for (int b = 0; b < batch; b++)
    {
      g_autofree const float **layers = g_new (const float *, depth);
      g_autofree float *matrix = g_new (float, (gsize) t * t);
      g_autofree float *map = g_new (float, (gsize) heads * patches);
      g_autofree float *mask = g_new (float, (gsize) heads * patches);
      g_autofree float *first_class = g_new (float, patches);
      g_autofree float *upsampled = g_new (float, (gsize) 64 * patches);

      for (int i = 0; i < depth; i++)
        layers[i] = (const float *) g_ptr_array_index (probs, i) + (gsize) b * heads * t * t;

      for (int f = VT_HEAD_FUSION_MEAN; f <= VT_HEAD_FUSION_MIN; f++)
        for (int i = 0; i < depth; i++)
          {
            g_autofree char *name = g_strdup_printf ("fused.%s.blocks.%d", vt_head_fusion_name (f), i);

            vt_attention_fuse_heads (layers[i], heads, t, f, matrix);
            expect (&check, name, b, matrix, (gsize) t * t);
          }

      for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
        {
          VtRolloutOptions options;
          g_autofree char *key = case_name (&cases[c]);
          g_autofree char *product = g_strdup_printf ("rollout.%s", key);
          g_autofree char *class_map = g_strdup_printf ("class_map.rollout.%s", key);

          vt_rollout_options_init (&options);
          options.fusion = cases[c].fusion;
          options.discard_ratio = cases[c].discard_ratio;
          options.start_layer = cases[c].start_layer;
          options.compat = cases[c].compat;
          g_assert_true (vt_attention_rollout (layers, depth, heads, t, &options, matrix, &error));
          g_assert_no_error (error);
          expect (&check, product, b, matrix, (gsize) t * t);
          vt_attention_class_map (matrix, t, prefix, map);
          expect (&check, class_map, b, map, patches);
          if (c == 0)
            memcpy (first_class, map, sizeof (float) * patches);
          if (cases[c].compat)
            {
              /* vit-explain's mask: the class row over its maximum. */
              g_autofree char *compat = g_strdup_printf ("compat.%s", key);
              float top = 0;

              for (int p = 0; p < patches; p++)
                top = MAX (top, map[p]);
              for (int p = 0; p < patches; p++)
                map[p] /= top;
              expect (&check, compat, b, map, patches);
            }
        }

      for (int i = 0; i < depth; i++)
        {
          g_autofree char *class_name = g_strdup_printf ("class_map.blocks.%d", i);
          g_autofree char *token_name = g_strdup_printf ("token_map.blocks.%d", i);
          g_autofree char *mask_name = g_strdup_printf ("mass_mask.blocks.%d", i);

          for (int h = 0; h < heads; h++)
            {
              vt_attention_class_map (layers[i] + (gsize) h * t * t, t, prefix, map + (gsize) h * patches);
              vt_attention_mass_mask (map + (gsize) h * patches, patches, SHARE, mask + (gsize) h * patches);
            }
          expect (&check, class_name, b, map, (gsize) heads * patches);
          expect (&check, mask_name, b, mask, (gsize) heads * patches);
          for (int h = 0; h < heads; h++)
            vt_attention_token_map (layers[i] + (gsize) h * t * t, t, prefix, prefix + QUERY_AFTER_PREFIX,
                                    map + (gsize) h * patches);
          expect (&check, token_name, b, map, (gsize) heads * patches);
        }

      vt_attention_mass_mask (first_class, patches, SHARE, mask);
      expect (&check, "mass_mask.rollout", b, mask, patches);
      vt_attention_upsample (first_class, gh, gh, 8 * gh, 8 * gh, upsampled);
      expect (&check, "upsample.rollout", b, upsampled, (gsize) 64 * patches);
    }
  g_test_message ("%s: %u tensors compared, largest difference %.3g", fixture, check.compared, check.worst);
}

/* Our forward pass taps the probabilities the maps start from: they must
 * be timm's (the fixture's, checked by the script against timm's own). */
static void
test_forward (gconstpointer data)
{
  const char *fixture = data;
  g_autofree char *weights_file = g_strdup_printf ("reference/timm/%s.safetensors", fixture);
  g_autofree char *weights_path = vt_test_asset (weights_file);
  g_autofree char *io_file = g_strdup_printf ("attention/%s.safetensors", fixture);
  g_autofree char *io_path = vt_test_fixture (io_file);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) weights = NULL;
  g_autoptr(VtCheckpoint) io = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTaps) taps = NULL;
  const VtTensor *pixels;
  g_autofree float *input = NULL;
  Check check = { fixture, NULL, 0, 0 };

  weights = vt_checkpoint_open (weights_path, &error);
  g_assert_no_error (error);
  io = vt_checkpoint_open (io_path, &error);
  g_assert_no_error (error);
  check.io = io;
  model = vt_model_new (weights, &error);
  g_assert_no_error (error);
  pixels = vt_checkpoint_lookup (io, "input.pixel_values");
  g_assert_nonnull (pixels);
  input = vt_tensor_dup_float (pixels);
  taps = vt_model_forward (model, input, pixels->shape[0], pixels->shape[2], pixels->shape[3],
                           VT_TAP_ATTENTION, &error);
  g_assert_no_error (error);
  for (int i = 0; i < vt_model_get_architecture (model)->depth; i++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%d.attn_probs", i);
      const VtTap *tap = vt_taps_lookup (taps, name);

      g_assert_nonnull (tap);
      for (int b = 0; b < tap->shape[0]; b++)
        expect (&check, name, b, tap->data + (gsize) b * (tap->numel / tap->shape[0]), tap->numel / tap->shape[0]);
    }
  g_assert_cmpuint (check.compared, >, 0);
  g_print ("# %s forward: largest difference %.3g\n", fixture, check.worst);
}

/* With one layer, R = A' = (F + I) / row sum, so the class row shows what
 * discarding left of F's row 0: all of it, however high the ratio; while
 * vit-explain's discarding takes entries of that row away. */
static void
test_class_token_kept (void)
{
  g_autofree char *path = vt_test_fixture ("attention/synthetic.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) io = vt_checkpoint_open (path, &error);
  g_autofree float *probs = NULL;
  g_autofree float *fused = NULL;
  g_autofree float *kept = NULL;
  g_autofree float *compat = NULL;
  const float *layers[1];
  const VtTensor *tensor;
  VtRolloutOptions options;
  int heads, t, zeros = 0;
  double sum = 1.0;

  g_assert_no_error (error);
  tensor = vt_checkpoint_lookup (io, "blocks.5.attn_probs");
  g_assert_nonnull (tensor);
  heads = tensor->shape[1];
  t = tensor->shape[2];
  probs = vt_tensor_dup_float (tensor);
  fused = g_new (float, (gsize) t * t);
  kept = g_new (float, (gsize) t * t);
  compat = g_new (float, (gsize) t * t);
  layers[0] = probs;
  vt_attention_fuse_heads (probs, heads, t, VT_HEAD_FUSION_MEAN, fused);

  vt_rollout_options_init (&options);
  options.discard_ratio = 0.99;
  g_assert_true (vt_attention_rollout (layers, 1, heads, t, &options, kept, &error));
  g_assert_no_error (error);
  for (int k = 0; k < t; k++)
    sum += fused[k];
  for (int k = 1; k < t; k++)
    g_assert_cmpfloat_with_epsilon (kept[k], fused[k] / sum, 1e-6);
  /* Rows sum to 1. */
  for (int q = 0; q < t; q++)
    {
      double row = 0;

      for (int k = 0; k < t; k++)
        row += kept[(gsize) q * t + k];
      g_assert_cmpfloat_with_epsilon (row, 1.0, 1e-5);
    }

  options.compat = TRUE;
  g_assert_true (vt_attention_rollout (layers, 1, heads, t, &options, compat, &error));
  for (int k = 1; k < t; k++)
    zeros += compat[k] == 0.0f;
  g_assert_cmpint (zeros, >, 0);
}

static void
test_bad_options (void)
{
  float probs[4] = { 0.5f, 0.5f, 0.25f, 0.75f };
  const float *layers[1] = { probs };
  float out[4];
  VtRolloutOptions options;
  g_autoptr(GError) error = NULL;

  vt_rollout_options_init (&options);
  options.start_layer = 1;
  g_assert_false (vt_attention_rollout (layers, 1, 1, 2, &options, out, &error));
  g_assert_error (error, VT_ATTENTION_ERROR, VT_ATTENTION_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "start layer 1 does not exist: the model has 1 layers"));
  g_clear_error (&error);

  options.start_layer = 0;
  options.discard_ratio = 1.0;
  g_assert_false (vt_attention_rollout (layers, 1, 1, 2, &options, out, &error));
  g_assert_error (error, VT_ATTENTION_ERROR, VT_ATTENTION_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "discard ratio of 1"));
}

/* The step's keys read back to the same step after Save Spec…, and the
 * constructor the window uses gives what a spec with its files gives. */
static void
test_spec_round_trip (void)
{
  static const char *text =
    "{\"steps\": ["
    " {\"kind\": \"attention\", \"id\": \"a\", \"checkpoint\": \"m\", \"input\": \"x.safetensors\","
    "  \"images\": \"input.pixel_values\", \"heads\": [3, 0], \"rollout\": {\"fusion\": \"min\","
    "  \"discard_ratio\": 0.9, \"start_layer\": 2}, \"mass_mask\": {\"share\": 0.5, \"layer\": 1},"
    "  \"compat\": true, \"formats\": [\"png\"]},"
    " {\"kind\": \"attention\", \"id\": \"b\", \"checkpoint\": \"m\", \"dataset\": \"d\","
    "  \"split\": \"test\", \"samples\": [7, 1], \"rollout\": false, \"mass_mask\": true},"
    " {\"kind\": \"attention\", \"id\": \"c\", \"checkpoint\": \"m\", \"files\": [\"a.jpg\"]},"
    " {\"kind\": \"attention\", \"id\": \"d\", \"checkpoint\": \"m\", \"prompt\": \"a photo of a cat.\","
    "  \"text_rollout\": {\"fusion\": \"min\", \"start_layer\": 1}},"
    " {\"kind\": \"attention\", \"id\": \"e\", \"checkpoint\": \"m\", \"files\": [\"a.jpg\"], \"prompt\": \"a dog\","
    "  \"heads\": [1]}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (text, "/specs", &error);
  g_autoptr(VtSpec) again = NULL;
  g_autoptr(VtSpec) built = vt_spec_new (NULL, "/specs");
  g_autofree char *data = NULL;
  g_autofree char *again_data = NULL;
  g_autofree char *built_data = NULL;
  g_autofree char *read_data = NULL;
  g_autoptr(VtSpec) one = NULL;
  const VtAttentionStep *a, *d, *e;
  const char *files[] = { "a.jpg", NULL };

  g_assert_no_error (error);
  a = g_ptr_array_index (spec->steps, 0);
  g_assert_cmpuint (a->n_head_layers, ==, 2);
  g_assert_cmpuint (a->head_layers[0], ==, 3);
  g_assert_cmpint (a->rollout_options.fusion, ==, VT_HEAD_FUSION_MIN);
  g_assert_cmpfloat (a->rollout_options.discard_ratio, ==, 0.9);
  g_assert_cmpint (a->rollout_options.start_layer, ==, 2);
  g_assert_cmpint (a->mass_layer, ==, 1);
  g_assert_null (a->prompt);
  g_assert_cmpstr (((const VtAttentionStep *) g_ptr_array_index (spec->steps, 3))->prompt, ==, "a photo of a cat.");
  g_assert_cmpstr (((const VtAttentionStep *) g_ptr_array_index (spec->steps, 4))->prompt, ==, "a dog");
  d = g_ptr_array_index (spec->steps, 3);
  g_assert_true (d->text_rollout);
  g_assert_cmpint (d->text_rollout_options.fusion, ==, VT_HEAD_FUSION_MIN);
  g_assert_cmpint (d->text_rollout_options.start_layer, ==, 1);
  /* On by default beside a prompt, mean from the first layer. */
  e = g_ptr_array_index (spec->steps, 4);
  g_assert_true (e->text_rollout);
  g_assert_cmpint (e->text_rollout_options.fusion, ==, VT_HEAD_FUSION_MEAN);
  g_assert_cmpint (e->text_rollout_options.start_layer, ==, 0);
  g_assert_true (a->compat);
  data = vt_spec_to_data (spec);
  again = vt_spec_new_from_data (data, "/specs", &error);
  g_assert_no_error (error);
  again_data = vt_spec_to_data (again);
  g_assert_cmpstr (data, ==, again_data);

  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_attention_step_new ("c", "m", files), &error));
  g_assert_no_error (error);
  one = vt_spec_new_from_data ("{\"steps\": [{\"kind\": \"attention\", \"id\": \"c\", \"checkpoint\": \"m\","
                               " \"files\": [\"a.jpg\"]}]}", "/specs", &error);
  g_assert_no_error (error);
  built_data = vt_spec_to_data (built);
  read_data = vt_spec_to_data (one);
  g_assert_cmpstr (built_data, ==, read_data);
}

/* A text fixture of make_text_attention_fixture.py: its file, the model
 * (a shared asset or a fixture of our own) and its vocabulary (OpenAI's
 * BPE file, or the script's small Hugging Face pair in a fixture folder). */
typedef struct
{
  const char  *fixture;
  const char  *asset;       /* the model under ../shared/assets, or NULL */
  const char  *model;       /* the model under tests/fixtures */
  const char  *hf_vocab;    /* a vocab.json + merges.txt folder under tests/fixtures, or NULL */
  gboolean     own_config;  /* the model's weights under the config.json the fixture holds */
} TextCase;

static const TextCase text_cases[] = {
  { "text", "reference/openclip/clip_vit.safetensors", NULL, NULL, FALSE },
  { "text-hf-full", NULL, "forward/hf_clip_full", "attention/hf-vocab", FALSE },
  { "text-hf-arch", NULL, "arch/hf-clip", "attention/hf-vocab", FALSE },
  /* The text tower's activation is gelu, the vision tower's quick_gelu. */
  { "text-hf-gelu", NULL, "forward/hf_clip_full", "attention/hf-vocab", TRUE },
};

/* The script's ROLLOUTS, in its order; a start layer the model does not
 * have is left out there and here. */
static const struct { VtHeadFusion fusion; int start_layer; } text_rollouts[] = {
  { VT_HEAD_FUSION_MEAN, 0 },
  { VT_HEAD_FUSION_MAX, 1 },
  { VT_HEAD_FUSION_MIN, 0 },
};

static VtTokenizer *
text_case_tokenizer (const TextCase *c)
{
  g_autoptr(GError) error = NULL;
  VtTokenizer *tokenizer;

  if (c->hf_vocab == NULL)
    {
      g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
      tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
    }
  else
    {
      g_autofree char *dir = vt_test_fixture (c->hf_vocab);
      g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);
      g_autofree char *merges = g_build_filename (dir, "merges.txt", NULL);
      tokenizer = vt_tokenizer_new_from_hf (vocab, merges, &error);
    }
  g_assert_no_error (error);
  return tokenizer;
}

/* A text tower on each of the script's prompts: ids, labels, every layer's
 * heads and fusions and the rollouts within the tolerance, and nothing
 * above the diagonal (causal attention). */
static void
test_text (gconstpointer data)
{
  const TextCase *c = data;
  g_autofree char *file = g_strdup_printf ("attention/%s.safetensors", c->fixture);
  g_autofree char *path = vt_test_fixture (file);
  g_autofree char *model_path = c->asset ? vt_test_asset (c->asset) : vt_test_fixture (c->model);
  g_autofree char *config_dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) io = vt_checkpoint_open (path, &error);
  g_autoptr(VtCheckpoint) weights = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTokenizer) tokenizer = text_case_tokenizer (c);
  g_autoptr(JsonNode) prompts = NULL;
  g_autoptr(GList) names = NULL;
  static const VtHeadFusion fusions[] = { VT_HEAD_FUSION_MEAN, VT_HEAD_FUSION_MAX, VT_HEAD_FUSION_MIN };
  Check check = { c->fixture, io, 0, 0 };
  guint expected = 0;

  g_assert_no_error (error);
  if (c->own_config)
    {
      g_autofree char *weights_file = g_build_filename (model_path, "model.safetensors", NULL);
      g_autofree char *config = g_build_filename ((config_dir = vt_test_tmpdir ()), "config.json", NULL);

      g_assert_true (g_file_set_contents (config, g_hash_table_lookup (vt_checkpoint_get_metadata (io), "config"), -1,
                                          NULL));
      g_free (model_path);
      model_path = vt_test_copy (weights_file, config_dir, "model.safetensors");
    }
  weights = vt_checkpoint_open (model_path, &error);
  g_assert_no_error (error);
  model = vt_model_new (weights, &error);
  g_assert_no_error (error);
  g_assert_true (vt_text_attention_supported (model));
  prompts = vt_json_parse (g_hash_table_lookup (vt_checkpoint_get_metadata (io), "prompts"), -1, path, &error);
  g_assert_no_error (error);
  names = json_object_get_members (json_node_get_object (prompts));
  g_assert_cmpuint (g_list_length (names), ==, 2);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const char *prompt = json_object_get_string_member (json_node_get_object (prompts), name);
      g_autoptr(VtTextAttention) text = vt_text_attention_compute (model, tokenizer, prompt, &error);
      g_autofree char *ids_name = g_strdup_printf ("%s.ids", name);
      g_autofree char *labels_key = g_strdup_printf ("labels.%s", name);
      g_autofree float *ids = stored (io, ids_name, c->fixture);
      g_autofree float *rolled = NULL;
      g_autoptr(JsonNode) labels = NULL;
      JsonArray *want_labels;
      int t;

      g_assert_no_error (error);
      t = text->tokens;
      g_assert_cmpint (vt_checkpoint_lookup (io, ids_name)->shape[1], ==, t);
      for (int i = 0; i < t; i++)
        g_assert_cmpfloat (text->ids[i], ==, ids[i]);
      labels = vt_json_parse (g_hash_table_lookup (vt_checkpoint_get_metadata (io), labels_key), -1, path, &error);
      g_assert_no_error (error);
      want_labels = json_node_get_array (labels);
      g_assert_cmpuint (g_strv_length (text->labels), ==, t);
      for (int i = 0; i < t; i++)
        g_assert_cmpstr (text->labels[i], ==, json_array_get_string_element (want_labels, i));

      g_assert_cmpint (text->layers, ==, vt_model_get_architecture (model)->text_depth);
      g_assert_cmpint (text->heads, ==, vt_model_get_architecture (model)->text_heads);
      for (int layer = 0; layer < text->layers; layer++)
        {
          const float *heads = vt_text_attention_layer (text, layer);
          g_autofree char *heads_name = g_strdup_printf ("%s.text.blocks.%d.heads", name, layer);
          g_autofree float *fused = g_new (float, (gsize) t * t);

          expect (&check, heads_name, 0, heads, (gsize) text->heads * t * t);
          for (int h = 0; h < text->heads; h++)
            for (int q = 0; q < t; q++)
              for (int k = q + 1; k < t; k++)
                g_assert_cmpfloat (heads[((gsize) h * t + q) * t + k], ==, 0.0f);
          for (guint f = 0; f < G_N_ELEMENTS (fusions); f++)
            {
              g_autofree char *fused_name = g_strdup_printf ("%s.text.blocks.%d.%s", name, layer,
                                                             vt_head_fusion_name (fusions[f]));

              vt_attention_fuse_heads (heads, text->heads, t, fusions[f], fused);
              expect (&check, fused_name, 0, fused, (gsize) t * t);
            }
          expected += 4;
        }

      rolled = g_new (float, (gsize) t * t);
      for (guint r = 0; r < G_N_ELEMENTS (text_rollouts); r++)
        {
          g_autofree char *rollout_name = g_strdup_printf ("%s.text.rollout.%s.start%d", name,
                                                           vt_head_fusion_name (text_rollouts[r].fusion),
                                                           text_rollouts[r].start_layer);
          gboolean ok = vt_text_attention_rollout (text, text_rollouts[r].fusion, text_rollouts[r].start_layer,
                                                   rolled, &error);

          if (text_rollouts[r].start_layer >= text->layers)
            {
              /* Refused, naming the layer count; the script wrote none. */
              g_assert_false (ok);
              g_assert_error (error, VT_ATTENTION_ERROR, VT_ATTENTION_ERROR_INVALID);
              g_assert_nonnull (strstr (error->message, "layers"));
              g_assert_null (vt_checkpoint_lookup (io, rollout_name));
              g_clear_error (&error);
              continue;
            }
          g_assert_true (ok);
          g_assert_no_error (error);
          expect (&check, rollout_name, 0, rolled, (gsize) t * t);
          for (int q = 0; q < t; q++)
            for (int k = q + 1; k < t; k++)
              g_assert_cmpfloat (rolled[(gsize) q * t + k], ==, 0.0f);
          expected++;
        }
    }
  g_assert_cmpuint (check.compared, ==, expected);
  g_print ("# %s: largest difference %.3g over %u tensors\n", c->fixture, check.worst, check.compared);
  if (config_dir != NULL)
    {
      g_clear_pointer (&model, vt_model_free);
      g_clear_pointer (&weights, vt_checkpoint_unref);
      vt_test_rm_rf (config_dir);
    }
}

/* A checkpoint with no text tower is refused, naming it; so is a prompt with
 * nothing to tokenize. */
static void
test_text_refused (void)
{
  g_autofree char *vit_path = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *clip_path = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) vit_weights = vt_checkpoint_open (vit_path, &error);
  g_autoptr(VtCheckpoint) clip_weights = vt_checkpoint_open (clip_path, &error);
  g_autoptr(VtModel) vit = vt_model_new (vit_weights, &error);
  g_autoptr(VtModel) clip = vt_model_new (clip_weights, &error);
  g_autoptr(VtTokenizer) tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
  VtTextAttention *none;

  g_assert_no_error (error);
  g_assert_false (vt_text_attention_supported (vit));
  none = vt_text_attention_compute (vit, tokenizer, "a cat", &error);
  g_assert_null (none);
  g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "vit_cls.safetensors"));
  g_clear_error (&error);
  none = vt_text_attention_compute (clip, tokenizer, "   ", &error);
  g_assert_null (none);
  g_assert_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/engine/attention/vit-cls", "vit_cls", test_fixture);
  g_test_add_data_func ("/engine/attention/deit-distilled", "deit_distilled", test_fixture);
  g_test_add_data_func ("/engine/attention/synthetic", "synthetic", test_fixture);
  g_test_add_data_func ("/engine/attention/forward-vit-cls", "vit_cls", test_forward);
  g_test_add_data_func ("/engine/attention/forward-deit-distilled", "deit_distilled", test_forward);
  g_test_add_func ("/engine/attention/class-token-kept", test_class_token_kept);
  g_test_add_func ("/engine/attention/bad-options", test_bad_options);
  g_test_add_func ("/engine/attention/spec-round-trip", test_spec_round_trip);
  g_test_add_data_func ("/engine/attention/text", &text_cases[0], test_text);
  g_test_add_data_func ("/engine/attention/text-hf-full", &text_cases[1], test_text);
  g_test_add_data_func ("/engine/attention/text-hf-arch", &text_cases[2], test_text);
  g_test_add_data_func ("/engine/attention/text-hf-gelu", &text_cases[3], test_text);
  g_test_add_func ("/engine/attention/text-refused", test_text_refused);
  return g_test_run ();
}
