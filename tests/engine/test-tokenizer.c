/* test-tokenizer.c: CLIP's BPE tokenizer against OpenCLIP's ids (the shared
 * fixtures) and OpenAI's SimpleTokenizer (tests/reference/
 * make_tokenizer_fixture.py: apostrophes, numbers, accents, emoji, HTML
 * entities, special tokens, truncation, empty text). */
#include <json-glib/json-glib.h>
#include <zlib.h>

#include "io/vt-checkpoint.h"
#include "models/vt-model.h"
#include "models/vt-tokenizer.h"
#include "models/vt-zero-shot.h"
#include <math.h>
#include <string.h>
#include "vt-test-util.h"

static VtTokenizer *
load (void)
{
  g_autofree char *path = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autoptr(GError) error = NULL;
  VtTokenizer *tokenizer = vt_tokenizer_new_from_bpe_file (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (vt_tokenizer_get_vocab_size (tokenizer), ==, 49408);
  return tokenizer;
}

static void
check_ids (VtTokenizer *tokenizer,
           const char  *text,
           JsonArray   *want,
           int          context)
{
  g_autofree gint64 *ids = g_new (gint64, context);

  g_assert_cmpint (json_array_get_length (want), ==, context);
  vt_tokenizer_tokenize (tokenizer, text, context, ids);
  for (int i = 0; i < context; i++)
    if (ids[i] != json_array_get_int_element (want, i))
      g_error ("“%s”: id %d is %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
               text, i, ids[i], json_array_get_int_element (want, i));
}

/* The texts and ids stored by OpenCLIP 2.32 itself. */
static void
test_openclip_fixture (void)
{
  g_autoptr(VtTokenizer) tokenizer = load ();
  g_autofree char *config_path = vt_test_asset ("reference/openclip/clip_vit.json");
  g_autofree char *io_path = vt_test_asset ("reference/openclip/clip_vit.io.safetensors");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) io = NULL;
  JsonObject *tok;
  JsonArray *texts;
  const VtTensor *ids;
  int context;

  json_parser_load_from_file (parser, config_path, &error);
  g_assert_no_error (error);
  tok = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "tokenizer");
  texts = json_object_get_array_member (tok, "texts");
  context = json_object_get_int_member (tok, "context_length");
  io = vt_checkpoint_open (io_path, &error);
  g_assert_no_error (error);
  ids = vt_checkpoint_lookup (io, "input.text_ids");
  g_assert_cmpuint (ids->shape[0], ==, json_array_get_length (texts));

  for (guint t = 0; t < json_array_get_length (texts); t++)
    {
      g_autofree gint64 *ours = g_new (gint64, context);
      vt_tokenizer_tokenize (tokenizer, json_array_get_string_element (texts, t), context, ours);
      for (int i = 0; i < context; i++)
        g_assert_cmpint (ours[i], ==, (gint64) vt_dtype_read_double (ids->dtype, ids->data, (gsize) t * context + i));
    }
}

static void
test_reference_texts (void)
{
  g_autoptr(VtTokenizer) tokenizer = load ();
  g_autofree char *path = vt_test_fixture ("tokenizer/clip-ids.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *texts, *ids;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  texts = json_object_get_array_member (root, "texts");
  ids = json_object_get_array_member (root, "ids");
  for (guint t = 0; t < json_array_get_length (texts); t++)
    check_ids (tokenizer, json_array_get_string_element (texts, t), json_array_get_array_element (ids, t),
               json_object_get_int_member (root, "context_length"));
  g_test_message ("%u texts tokenized as OpenAI's SimpleTokenizer does", json_array_get_length (texts));
}

/* A Hugging Face vocab.json + merges.txt pair, small enough to follow by hand. */
static void
test_hf_pair (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);
  g_autofree char *merges = g_build_filename (dir, "merges.txt", NULL);
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ids[6];

  g_assert_true (g_file_set_contents (vocab,
    "{\"c\": 0, \"a\": 1, \"t\": 2, \"t</w>\": 3, \"at</w>\": 4, \"cat</w>\": 5, \"a</w>\": 6,"
    " \"<|startoftext|>\": 7, \"<|endoftext|>\": 8}", -1, NULL));
  g_assert_true (g_file_set_contents (merges, "#version: 0.2\na t</w>\nc at</w>\n", -1, NULL));
  tokenizer = vt_tokenizer_new_from_hf (vocab, merges, &error);
  g_assert_no_error (error);
  vt_tokenizer_tokenize (tokenizer, "Cat a", 6, ids);
  g_assert_cmpint (ids[0], ==, 7);
  g_assert_cmpint (ids[1], ==, 5);   /* c + at</w> -> cat</w> */
  g_assert_cmpint (ids[2], ==, 6);
  g_assert_cmpint (ids[3], ==, 8);
  g_assert_cmpint (ids[4], ==, 0);

  /* A vocabulary without the special tokens is refused. */
  g_assert_true (g_file_set_contents (vocab, "{\"a\": 0}", -1, NULL));
  g_clear_pointer (&tokenizer, vt_tokenizer_free);
  tokenizer = vt_tokenizer_new_from_hf (vocab, merges, &error);
  g_assert_null (tokenizer);
  g_assert_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT);
  vt_test_rm_rf (dir);
}

/* Writes @size bytes of @byte gzip'd to @name in @dir. */
static char *
write_gzip (const char *dir,
            const char *name,
            int         byte,
            gsize       size)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *block = g_malloc (65536);
  gzFile file = gzopen (path, "wb");

  g_assert_nonnull (file);
  memset (block, byte, 65536);
  for (gsize done = 0; done < size; done += 65536)
    g_assert_cmpint (gzwrite (file, block, (unsigned) MIN (65536, size - done)), >, 0);
  g_assert_cmpint (gzclose (file), ==, Z_OK);
  return path;
}

static void
assert_bpe_refused (const char *path,
                    const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTokenizer) tokenizer = vt_tokenizer_new_from_bpe_file (path, &error);

  g_assert_null (tokenizer);
  g_assert_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, what));
}

/* Bad merges files found by fuzz-tokenizer: a gzip holding nothing failed
 * without saying why (NULL and no error); a gzip bomb was inflated whole. */
static void
test_bpe_bad_files (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *empty = write_gzip (dir, "empty.txt.gz", 0, 0);
  g_autofree char *one_line = write_gzip (dir, "one-line.txt.gz", 'a', 4096);
  g_autofree char *bomb = write_gzip (dir, "bomb.txt.gz", 'a', (gsize) 40 << 20);
  g_autofree char *plain = vt_test_write_file (dir, "plain.txt.gz", "#version\na b\n", 13);

  assert_bpe_refused (empty, "expected 48894 BPE merges");
  /* Exactly 4096 bytes: the memory stream's buffer has no room for a NUL. */
  assert_bpe_refused (one_line, "expected 48894 BPE merges");
  assert_bpe_refused (bomb, "more than 32 MiB");
  assert_bpe_refused (plain, "not a gzip'd BPE merges file");
  vt_test_rm_rf (dir);
}

/* A vocab.json that is empty, comment-only, nested too deep or gives a
 * token twice: the first two gave a Json-CRITICAL, the third a SIGSEGV in
 * json-glib, the last was read silently with one of the two ids. */
static void
test_hf_bad_vocab (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);
  g_autofree char *merges = g_build_filename (dir, "merges.txt", NULL);
  g_autofree char *nested = vt_test_nested_json (100000);
  g_autofree char *deep = g_strdup_printf ("{\"a\": %s}", nested);
  const struct { const char *text; const char *phrase; } cases[] = {
    { "", "vocab.json: is empty" },
    { "/* ids */", "vocab.json: holds no JSON value" },
    { deep, "vocab.json: line 1, byte offset 69: JSON nests deeper than 64 levels" },
    { "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1, \"a\": 2, \"a\": 3}", "vocab.json: $: “a” is given twice" },
  };

  g_assert_true (g_file_set_contents (merges, "#version: 0.2\n", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VtTokenizer) tokenizer = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_file_set_contents (vocab, cases[i].text, -1, NULL));
      tokenizer = vt_tokenizer_new_from_hf (vocab, merges, &error);
      g_assert_null (tokenizer);
      g_assert_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, vocab));
      g_assert_nonnull (strstr (error->message, cases[i].phrase));
    }
  vt_test_rm_rf (dir);
}

/* Zero-shot over the fixture's three texts, prompt "{}": the probabilities
 * are the softmax of the logits_per_image OpenCLIP stored. */
static void
test_zero_shot (void)
{
  g_autoptr(VtTokenizer) tokenizer = load ();
  g_autofree char *weights_path = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *io_path = vt_test_asset ("reference/openclip/clip_vit.io.safetensors");
  g_autofree char *config_path = vt_test_asset ("reference/openclip/clip_vit.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) weights = vt_checkpoint_open (weights_path, &error);
  g_autoptr(VtCheckpoint) io = vt_checkpoint_open (io_path, &error);
  g_autoptr(VtModel) model = vt_model_new (weights, &error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) classes = NULL;
  g_autofree float *pixels = NULL;
  g_autofree float *logits = NULL;
  JsonArray *texts;
  double probs[3], expected[3], sum = 0.0, worst = 0.0;

  g_assert_no_error (error);
  g_assert_true (vt_zero_shot_supported (model));
  json_parser_load_from_file (parser, config_path, &error);
  g_assert_no_error (error);
  texts = json_object_get_array_member (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "tokenizer"), "texts");
  for (guint i = 0; i < json_array_get_length (texts); i++)
    g_strv_builder_add (builder, json_array_get_string_element (texts, i));
  classes = g_strv_builder_end (builder);

  pixels = vt_tensor_dup_float (vt_checkpoint_lookup (io, "input.pixel_values"));
  logits = vt_tensor_dup_float (vt_checkpoint_lookup (io, "logits_per_image"));
  g_assert_true (vt_zero_shot_classify (model, tokenizer, pixels, (const char * const *) classes, "{}", probs, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    sum += expected[i] = exp (logits[i]);
  for (int i = 0; i < 3; i++)
    worst = MAX (worst, fabs (probs[i] - expected[i] / sum));
  g_test_message ("zero-shot: largest difference from OpenCLIP's softmax %.3g", worst);
  g_assert_cmpfloat (worst, <, 1e-5);

  /* A model without a text tower cannot. */
  {
    g_autofree char *vit_path = vt_test_asset ("reference/timm/vit_cls.safetensors");
    g_autoptr(VtCheckpoint) vit = vt_checkpoint_open (vit_path, &error);
    g_autoptr(VtModel) vit_model = vt_model_new (vit, &error);
    g_assert_false (vt_zero_shot_supported (vit_model));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/tokenizer/openclip-fixture", test_openclip_fixture);
  g_test_add_func ("/engine/tokenizer/reference-texts", test_reference_texts);
  g_test_add_func ("/engine/tokenizer/hf-pair", test_hf_pair);
  g_test_add_func ("/engine/tokenizer/hf-bad-vocab", test_hf_bad_vocab);
  g_test_add_func ("/engine/tokenizer/zero-shot", test_zero_shot);
  g_test_add_func ("/engine/tokenizer/bpe-bad-files", test_bpe_bad_files);
  return g_test_run ();
}
