/* test-safetensors.c: the reader on real, crafted and malformed files. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/vt-checkpoint.h"
#include "io/vt-safetensors.h"
#include "vt-test-util.h"

static void
test_real_file (void)
{
  g_autofree char *path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  const VtTensor *conv1;

  g_assert_no_error (error);
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (ckpt), ==, 97);
  g_assert_cmpuint (vt_checkpoint_get_n_shards (ckpt), ==, 1);
  conv1 = vt_checkpoint_lookup (ckpt, "module.conv1.weight");
  g_assert_nonnull (conv1);
  g_assert_cmpint (conv1->dtype, ==, VT_DTYPE_F32);
  g_assert_cmpuint (conv1->ndim, ==, 4);
  g_assert_cmpint (conv1->shape[0], ==, 16);
  g_assert_cmpint (conv1->shape[3], ==, 3);
  g_assert_cmpuint (conv1->nbytes, ==, 1728);
  g_assert_cmpstr (g_hash_table_lookup (vt_checkpoint_get_metadata (ckpt), "format"), ==, "pt");
  /* BatchNorm running statistics are buffers, not parameters. */
  g_assert_cmpuint (vt_checkpoint_count_parameters (ckpt), ==, 269722);
  g_assert_null (vt_checkpoint_get_config (ckpt));
}

/* F16 and BF16 convert to float on request. */
static void
test_half_precision (void)
{
  g_autofree char *path = vt_test_fixture ("stats/edge.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  const VtTensor *f16, *bf16;
  g_autofree float *values = NULL;

  g_assert_no_error (error);
  f16 = vt_checkpoint_lookup (ckpt, "f16_special");
  g_assert_cmpint (f16->dtype, ==, VT_DTYPE_F16);
  values = vt_tensor_dup_float (f16);
  /* [1, nan, -2.5, inf, 0, -inf, 7, nan] */
  g_assert_cmpfloat (values[0], ==, 1.0f);
  g_assert_true (isnan (values[1]));
  g_assert_cmpfloat (values[2], ==, -2.5f);
  g_assert_true (isinf (values[3]) && values[3] > 0);
  g_assert_true (isinf (values[5]) && values[5] < 0);
  g_assert_cmpfloat (values[6], ==, 7.0f);

  bf16 = vt_checkpoint_lookup (ckpt, "bf16_normal");
  g_assert_cmpint (bf16->dtype, ==, VT_DTYPE_BF16);
  g_assert_cmpuint (bf16->numel, ==, 1000);

  g_assert_cmpfloat (vt_half_to_float (0x3c00), ==, 1.0f);
  g_assert_cmpfloat (vt_half_to_float (0xc000), ==, -2.0f);
  g_assert_cmpfloat (vt_half_to_float (0x7bff), ==, 65504.0f);
  g_assert_cmpfloat (vt_half_to_float (0x0001), ==, 0x1p-24f);   /* smallest subnormal */
  g_assert_cmpfloat (vt_half_to_float (0x03ff), ==, 1023 * 0x1p-24f);
  g_assert_cmpfloat (vt_half_to_float (0x8000), ==, -0.0f);
  g_assert_cmpfloat (vt_bfloat16_to_float (0x3f80), ==, 1.0f);
  g_assert_cmpfloat (vt_bfloat16_to_float (0xc2f7), ==, -123.5f);
}

typedef struct
{
  const char *name;
  const char *header;
  gsize       data_size;
  int         code;
  const char *message;      /* a phrase the message must contain */
} BadCase;

static const BadCase bad_cases[] = {
  { "not-json", "{\"a\": {\"dtype\": \"F32\",", 0, VT_SAFETENSORS_ERROR_JSON, "not valid JSON" },
  { "not-an-object-start", "[1, 2, 3]", 0, VT_SAFETENSORS_ERROR_HEADER, "does not start with" },
  { "unknown-dtype", "{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16,
    VT_SAFETENSORS_ERROR_DTYPE, "unknown dtype F128" },
  { "shape-mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20,
    VT_SAFETENSORS_ERROR_SHAPE, "needs 24 bytes but data_offsets span 20" },
  { "negative-dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
    VT_SAFETENSORS_ERROR_SHAPE, "not a non-negative integer" },
  { "too-many-dimensions", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1,
    VT_SAFETENSORS_ERROR_SHAPE, "at most 8" },
  { "offsets-out-of-range", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
    VT_SAFETENSORS_ERROR_OFFSETS, "out of range" },
  { "offsets-unordered", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", 16,
    VT_SAFETENSORS_ERROR_OFFSETS, "out of order" },
  { "offsets-overlap",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24,
    VT_SAFETENSORS_ERROR_OFFSETS, "overlaps" },
  { "offsets-gap",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24,
    VT_SAFETENSORS_ERROR_OFFSETS, "unused bytes before tensor “b”" },
  { "trailing-bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12,
    VT_SAFETENSORS_ERROR_OFFSETS, "4 bytes after the last tensor" },
  { "offsets-not-integers", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}", 8,
    VT_SAFETENSORS_ERROR_OFFSETS, "pair of non-negative integers" },
  { "entry-missing-key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
    VT_SAFETENSORS_ERROR_HEADER, "needs “dtype”, “shape” and “data_offsets”" },
  { "metadata-not-strings", "{\"__metadata__\":{\"epoch\":3}}", 0,
    VT_SAFETENSORS_ERROR_METADATA, "“epoch” is not a string" },
  /* json-glib keeps the last of the two: the file would open as if the
   * header described one tensor. */
  { "duplicate-tensor",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
    VT_SAFETENSORS_ERROR_JSON, "$: “a” is given twice" },
  { "duplicate-metadata-key", "{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}}", 0,
    VT_SAFETENSORS_ERROR_JSON, "$.__metadata__: “format” is given twice" },
  { "comment-only", "{/* nothing */", 0, VT_SAFETENSORS_ERROR_JSON, "not valid JSON" },
};

static void
test_bad_case (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *name = g_strdup_printf ("%s.safetensors", c->name);
  g_autofree char *path = vt_test_write_safetensors (dir, name, c->header, c->data_size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);

  g_assert_null (ckpt);
  g_assert_error (error, VT_SAFETENSORS_ERROR, c->code);
  g_test_message ("%s", error->message);
  /* The message names the file and says what is wrong. */
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, c->message));
  vt_test_rm_rf (dir);
}

/* A header of 0x280 bytes: its length's first bytes, 0x80 0x02, are also
 * how a pickle (protocol 2) starts, and such a file once opened as one. */
static void
test_pickle_like_length (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  const char *tensor = ",\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  g_autoptr(GString) header = g_string_new ("{\"__metadata__\":{\"pad\":\"");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = NULL;

  while (header->len + strlen ("\"}") + strlen (tensor) < 0x280)
    g_string_append_c (header, 'x');
  g_string_append (header, "\"}");
  g_string_append (header, tensor);
  g_assert_cmpuint (header->len, ==, 0x280);
  path = vt_test_write_safetensors (dir, "pickle-like.safetensors", header->str, 4);
  ckpt = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_lookup (ckpt, "t"));
  vt_test_rm_rf (dir);
}

static void
write_raw (const char   *path,
           const guint8 *bytes,
           gsize         n)
{
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, (const char *) bytes, n, &error);
  g_assert_no_error (error);
}

static void
expect_open_error (const char *path,
                   GQuark      domain,
                   int         code,
                   const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);

  g_assert_null (ckpt);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, phrase));
}

static void
test_header_length (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *short_path = g_build_filename (dir, "short.safetensors", NULL);
  g_autofree char *huge_path = g_build_filename (dir, "huge.safetensors", NULL);
  g_autofree char *past_path = g_build_filename (dir, "past.safetensors", NULL);
  g_autofree char *empty_path = g_build_filename (dir, "empty.safetensors", NULL);
  const guint8 short_file[] = { 1, 2, 3, 4 };
  const guint8 huge[] = { 0, 0, 0, 0, 0, 1, 0, 0, '{', '}' };        /* 2^40 */
  const guint8 past[] = { 0xe8, 0x03, 0, 0, 0, 0, 0, 0, '{', '}' };  /* 1000 */

  write_raw (short_path, short_file, sizeof short_file);
  write_raw (huge_path, huge, sizeof huge);
  write_raw (past_path, past, sizeof past);
  write_raw (empty_path, NULL, 0);

  expect_open_error (short_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_TRUNCATED, "too short");
  expect_open_error (empty_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_TRUNCATED, "0 bytes is too short");
  expect_open_error (huge_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER, "absurdly large");
  expect_open_error (past_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_TRUNCATED, "runs past the end of the file");
  vt_test_rm_rf (dir);
}

/* A real checkpoint cut in half: the last tensors point past the end. */
static void
test_truncated_real_file (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_write_truncated (asset, dir, "resnet20-truncated.safetensors", 1, 2);

  expect_open_error (path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS, "out of range");
  vt_test_rm_rf (dir);
}

/* Files of other formats are named as what they are, not as a damaged
 * safetensors file with an absurd header length. */
static void
test_other_formats (void)
{
  static const struct { const char *asset; const char *phrase; } cases[] = {
    { "models/coral-mobilenet/parrot.jpg", "is a JPEG image, not a safetensors file" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = vt_test_asset (cases[i].asset);
      g_autofree char *phrase = g_strdup_printf ("%s: %s", path, cases[i].phrase);

      expect_open_error (path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_FORMAT, phrase);
    }
}

static void
test_missing_file (void)
{
  expect_open_error ("/nonexistent/model.safetensors", VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN,
                     "/nonexistent/model.safetensors: cannot be read");
}

static void
test_sharded (void)
{
  g_autofree char *index = vt_test_fixture ("arch/hf-clip/model.safetensors.index.json");
  g_autofree char *folder = vt_test_fixture ("arch/hf-clip");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (index, &error);
  g_autoptr(VtCheckpoint) from_folder = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (vt_checkpoint_get_n_shards (ckpt), ==, 2);
  g_assert_nonnull (vt_checkpoint_lookup (ckpt, "vision_model.embeddings.class_embedding"));
  g_assert_nonnull (vt_checkpoint_lookup (ckpt, "text_model.final_layer_norm.weight"));
  g_assert_nonnull (vt_checkpoint_get_config (ckpt));

  /* A folder opens the checkpoint inside it. */
  from_folder = vt_checkpoint_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (from_folder), ==, vt_checkpoint_get_n_tensors (ckpt));
}

static char *
write_text (const char *dir,
            const char *name,
            const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  write_raw (path, (const guint8 *) text, strlen (text));
  return path;
}

static void
test_sharded_errors (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  const char *shard_a = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  const char *shard_b = "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
  g_autofree char *a = vt_test_write_safetensors (dir, "a.safetensors", shard_a, 8);
  g_autofree char *b = vt_test_write_safetensors (dir, "b.safetensors", shard_b, 12);
  g_autofree char *missing = write_text (dir, "missing.index.json",
                                         "{\"weight_map\":{\"a\":\"a.safetensors\",\"c\":\"c.safetensors\"}}");
  g_autofree char *absent = write_text (dir, "absent.index.json",
                                        "{\"weight_map\":{\"a\":\"a.safetensors\",\"z\":\"a.safetensors\"}}");
  g_autofree char *duplicate = write_text (dir, "duplicate.index.json",
                                           "{\"weight_map\":{\"a\":\"a.safetensors\",\"b\":\"b.safetensors\"}}");
  g_autofree char *no_map = write_text (dir, "nomap.index.json", "{\"metadata\":{}}");
  g_autofree char *broken = write_text (dir, "broken.index.json", "{\"weight_map\":");

  expect_open_error (missing, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_SHARD, "shard “c.safetensors” is missing");
  expect_open_error (absent, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_SHARD, "tensor “z” is not in its shard");
  expect_open_error (duplicate, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_DUPLICATE, "tensor “a” is also in another shard");
  expect_open_error (no_map, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "needs a “weight_map”");
  expect_open_error (broken, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "not valid JSON");
  expect_open_error (dir, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN, "holds no model.safetensors");
  vt_test_rm_rf (dir);
}

/* Deep nesting in a tensor entry and in the metadata: json-glib's parser
 * recursed once per level and overflowed the stack (SIGSEGV). */
static void
test_deep_nesting (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *nested = vt_test_nested_json (100000);
  g_autofree char *in_tensor = g_strdup_printf ("{\"w\":%s}", nested);
  g_autofree char *in_metadata = g_strdup_printf ("{\"__metadata__\":{\"a\":%s}}", nested);
  g_autofree char *tensor_path = vt_test_write_safetensors (dir, "tensor.safetensors", in_tensor, 0);
  g_autofree char *metadata_path = vt_test_write_safetensors (dir, "metadata.safetensors", in_metadata, 0);

  expect_open_error (tensor_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_JSON, "nests deeper than 64 levels");
  expect_open_error (tensor_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_JSON, tensor_path);
  /* “{” and 64 “[” make 65 levels: “{"w":” takes bytes 0 to 4, so the
   * 64th “[” is at byte offset 68 of the header. */
  expect_open_error (tensor_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_JSON, "header: line 1, byte offset 68");
  expect_open_error (metadata_path, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_JSON, "nests deeper than 64 levels");
  vt_test_rm_rf (dir);
}

/* Empty and comment-only JSON beside a checkpoint gave a Json-CRITICAL
 * (fatal under G_DEBUG=fatal-warnings) before any message. */
static void
test_empty_json (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *shard = vt_test_write_safetensors (dir, "a.safetensors",
                                                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  g_autofree char *empty_index = write_text (dir, "empty.index.json", "");
  g_autofree char *blank_index = write_text (dir, "blank.index.json", " \n\t\n");
  g_autofree char *comment_index = write_text (dir, "comment.index.json", "/* weight_map to come */\n");
  g_autofree char *config_dir = g_build_filename (dir, "with-config", NULL);
  g_autofree char *model = NULL;
  g_autofree char *config = NULL;

  expect_open_error (empty_index, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "empty.index.json: is empty");
  expect_open_error (blank_index, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "blank.index.json: is empty");
  expect_open_error (comment_index, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX,
                     "comment.index.json: holds no JSON value, only comments");

  g_assert_cmpint (g_mkdir (config_dir, 0755), ==, 0);
  model = vt_test_write_safetensors (config_dir, "model.safetensors",
                                     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  config = write_text (config_dir, "config.json", "");
  expect_open_error (model, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, "config.json: is empty");
  g_free (config);
  config = write_text (config_dir, "config.json", "/* a comment */ // not one\n");
  expect_open_error (model, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, "config.json: not valid JSON");
  g_free (config);
  config = write_text (config_dir, "config.json", "/* a comment */");
  expect_open_error (model, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, "config.json: holds no JSON value");
  vt_test_rm_rf (dir);
}

/* A deeply nested index or config.json crashed as the header did. */
static void
test_deep_index_and_config (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *nested = vt_test_nested_json (100000);
  g_autofree char *index_text = g_strdup_printf ("{\"weight_map\":{},\"metadata\":%s}", nested);
  g_autofree char *index = write_text (dir, "deep.index.json", index_text);
  g_autofree char *model = vt_test_write_safetensors (dir, "model.safetensors",
                                                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  g_autofree char *config = write_text (dir, "config.json", nested);

  expect_open_error (index, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "deep.index.json: line 1, byte offset");
  expect_open_error (model, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, "config.json: line 1, byte offset 64: JSON nests deeper");
  vt_test_rm_rf (dir);
}

/* An index names shards beside it: “..”, an absolute path or a repeated
 * tensor name would make it read files elsewhere, or one tensor from two
 * places. */
static void
test_index_paths (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *inner = g_build_filename (dir, "inner", NULL);
  g_autofree char *outside = vt_test_write_safetensors (dir, "outside.safetensors",
                                                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  g_autofree char *parent = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *absolute_text = g_strdup_printf ("{\"weight_map\":{\"a\":\"%s\"}}", outside);
  g_autofree char *twice = NULL;

  g_assert_cmpint (g_mkdir (inner, 0755), ==, 0);
  parent = write_text (inner, "parent.index.json", "{\"weight_map\":{\"a\":\"../outside.safetensors\"}}");
  absolute = write_text (inner, "absolute.index.json", absolute_text);
  twice = write_text (dir, "twice.index.json",
                      "{\"weight_map\":{\"a\":\"outside.safetensors\",\"a\":\"outside.safetensors\"}}");

  expect_open_error (parent, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX,
                     "parent.index.json: weight_map entry “a” names “../outside.safetensors”");
  expect_open_error (absolute, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "absolute.index.json: weight_map entry “a” names");
  expect_open_error (twice, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "twice.index.json: $.weight_map: “a” is given twice");
  vt_test_rm_rf (dir);
}

static void
test_bad_config (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *model = vt_test_write_safetensors (dir, "model.safetensors",
                                                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  g_autofree char *config = write_text (dir, "config.json", "{\"num_classes\": 10,");

  expect_open_error (model, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, "config.json: not valid JSON");
  vt_test_rm_rf (dir);
}

/* Reads every byte of @tensor, as a forward pass reads a weight. */
static guint64
sum_bytes (const VtTensor *tensor)
{
  const volatile guint8 *p = tensor->data;
  guint64 sum = 0;

  for (gsize i = 0; i < tensor->nbytes; i++)
    sum += p[i];
  return sum;
}

static gpointer
sum_in_thread (gpointer tensor)
{
  return GSIZE_TO_POINTER ((gsize) sum_bytes (tensor));
}

/* The tensor whose bytes come last in the file. */
static const VtTensor *
last_tensor (VtCheckpoint *ckpt)
{
  const VtTensor *last = vt_checkpoint_get_tensor (ckpt, 0);

  for (guint i = 1; i < vt_checkpoint_get_n_tensors (ckpt); i++)
    if (vt_checkpoint_get_tensor (ckpt, i)->data > last->data)
      last = vt_checkpoint_get_tensor (ckpt, i);
  return last;
}

/* `cp other.safetensors open.safetensors` truncates the open file first.
 * Reading weights from the map then used to kill the process with SIGBUS;
 * now they read as zeros, in any thread, and the check names the file. */
static void
test_truncated_while_open (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_copy (asset, dir, "model.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  g_autofree char *sha = NULL;
  const VtTensor *last, *first;
  GThread *thread;

  g_assert_no_error (error);
  last = last_tensor (ckpt);
  first = vt_checkpoint_lookup (ckpt, "module.conv1.weight");
  g_assert_cmpuint (sum_bytes (last), >, 0);
  g_assert_true (vt_checkpoint_check (ckpt, &error));
  g_assert_no_error (error);

  g_assert_cmpint (truncate (path, 0), ==, 0);
  thread = g_thread_new ("reader", sum_in_thread, (gpointer) last);
  g_assert_cmpuint (GPOINTER_TO_SIZE (g_thread_join (thread)), ==, 0);
  g_assert_cmpuint (sum_bytes (first), ==, 0);
  sha = vt_checkpoint_sha256 (ckpt, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sha);

  g_assert_false (vt_checkpoint_check (ckpt, &error));
  g_assert_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CHANGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "cut short"));
  vt_test_rm_rf (dir);
}

static void
expect_changed (VtCheckpoint *ckpt,
                const char   *path,
                const char   *phrase)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vt_checkpoint_check (ckpt, &error));
  g_assert_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CHANGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, phrase));
}

/* Changes that cause no fault are seen too: the same bytes rewritten in
 * place with the old times put back (the change time cannot be), another
 * file renamed over it, the file removed. */
static void
test_changed_while_open (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_copy (asset, dir, "model.safetensors");
  g_autofree char *other = vt_test_copy (asset, dir, "other.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  struct stat st;
  struct timespec times[2];
  guint8 byte = 0;
  int fd;

  g_assert_no_error (error);
  g_assert_true (vt_checkpoint_check (ckpt, &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  g_usleep (20000);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, &byte, 1, st.st_size - 1), ==, 1);
  close (fd);
  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
  expect_changed (ckpt, path, "changed on disk");

  g_clear_pointer (&ckpt, vt_checkpoint_unref);
  ckpt = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (vt_checkpoint_check (ckpt, &error));
  g_assert_cmpint (g_rename (other, path), ==, 0);
  expect_changed (ckpt, path, "replaced by another file");
  g_assert_cmpint (g_unlink (path), ==, 0);
  expect_changed (ckpt, path, "is gone");
  vt_test_rm_rf (dir);
}

/* A FIFO used to block open() forever, and /dev/zero to be read until
 * memory ran out; each is refused at once, by name. The alarm makes the
 * old behaviour fail in seconds instead of hanging. */
static void
test_not_regular (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *fifo = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *index = g_build_filename (dir, "model.safetensors.index.json", NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (mkfifo (index, 0600), ==, 0);
  alarm (20);
  expect_open_error (fifo, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN, "is a FIFO, not a regular file");
  expect_open_error (index, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, "is a FIFO, not a regular file");
  expect_open_error ("/dev/zero", VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN,
                     "/dev/zero: is a character device, not a regular file");
  alarm (0);
  vt_test_rm_rf (dir);
}

/* The Model area's values table: a 4-D convolution weight sliced at
 * [5, 2, :, :] is the 3×3 block at that offset of the row-major values, a
 * 1-D bias wraps in rows of 8 (the last row short, NaN past the end), and
 * a cut-off table keeps the first rows and columns. */
static void
test_read_slice (void)
{
  g_autofree char *path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  const VtTensor *conv, *bias;
  g_autofree float *conv_values = NULL;
  g_autofree float *bias_values = NULL;
  const gint64 leading[] = { 5, 2 };
  double out[64];
  gint64 rows, cols;

  g_assert_no_error (error);
  conv = vt_checkpoint_lookup (ckpt, "module.conv1.weight");
  bias = vt_checkpoint_lookup (ckpt, "module.bn1.bias");
  g_assert_nonnull (conv);
  g_assert_nonnull (bias);
  g_assert_cmpuint (conv->ndim, ==, 4);
  conv_values = vt_tensor_dup_float (conv);
  vt_tensor_read_slice (conv, leading, 16, 8, out, &rows, &cols);
  g_assert_cmpint (rows, ==, 3);
  g_assert_cmpint (cols, ==, 3);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpfloat (out[r * 3 + c], ==, conv_values[((5 * 3 + 2) * 3 + r) * 3 + c]);
  /* At most 2 rows and 2 columns of it. */
  vt_tensor_read_slice (conv, leading, 2, 2, out, &rows, &cols);
  g_assert_cmpint (rows, ==, 3);
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 2; c++)
      g_assert_cmpfloat (out[r * 2 + c], ==, conv_values[((5 * 3 + 2) * 3 + r) * 3 + c]);

  g_assert_cmpuint (bias->ndim, ==, 1);
  g_assert_cmpint (bias->shape[0], ==, 16);
  bias_values = vt_tensor_dup_float (bias);
  vt_tensor_read_slice (bias, NULL, 16, 5, out, &rows, &cols);
  g_assert_cmpint (rows, ==, 4);
  g_assert_cmpint (cols, ==, 5);
  for (int i = 0; i < 20; i++)
    if (i < 16)
      g_assert_cmpfloat (out[i], ==, bias_values[i]);
    else
      g_assert_true (isnan (out[i]));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/safetensors/real-file", test_real_file);
  g_test_add_func ("/engine/tensor/read-slice", test_read_slice);
  g_test_add_func ("/engine/safetensors/half-precision", test_half_precision);
  g_test_add_func ("/engine/safetensors/header-length", test_header_length);
  g_test_add_func ("/engine/safetensors/pickle-like-length", test_pickle_like_length);
  g_test_add_func ("/engine/safetensors/truncated-real-file", test_truncated_real_file);
  g_test_add_func ("/engine/safetensors/missing-file", test_missing_file);
  g_test_add_func ("/engine/safetensors/other-formats", test_other_formats);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/engine/safetensors/%s", bad_cases[i].name);
      g_test_add_data_func (name, &bad_cases[i], test_bad_case);
    }
  g_test_add_func ("/engine/checkpoint/sharded", test_sharded);
  g_test_add_func ("/engine/checkpoint/sharded-errors", test_sharded_errors);
  g_test_add_func ("/engine/checkpoint/bad-config", test_bad_config);
  g_test_add_func ("/engine/safetensors/deep-nesting", test_deep_nesting);
  g_test_add_func ("/engine/checkpoint/empty-json", test_empty_json);
  g_test_add_func ("/engine/checkpoint/deep-index-and-config", test_deep_index_and_config);
  g_test_add_func ("/engine/checkpoint/index-paths", test_index_paths);
  g_test_add_func ("/engine/checkpoint/truncated-while-open", test_truncated_while_open);
  g_test_add_func ("/engine/checkpoint/changed-while-open", test_changed_while_open);
  g_test_add_func ("/engine/checkpoint/not-regular", test_not_regular);
  return g_test_run ();
}
