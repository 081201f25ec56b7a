/* test-batch.c: `vitrine --batch` as a user runs it: the real binary, no
 * display, exit statuses 0 (ok), 1 (run failed), 2 (bad command line or spec). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <utime.h>

#include "io/vt-checkpoint.h"
#include "io/vt-safetensors.h"
#include "run/vt-run.h"
#include "vt-test-util.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* Runs vitrine with @args (NULL-terminated) and no display at all. */
static void
run_vitrine (Result      *result,
             const char  *first,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("VITRINE_BINARY"));
  va_start (args, first);
  for (const char *a = first; a; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &result->out, &result->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  result->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", result->status, result->out, result->err);
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
assert_file_starts_with (const char *dir,
                         const char *name,
                         const char *magic,
                         gsize       magic_len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    g_error ("%s was not written", path);
  g_assert_cmpuint (length, >, magic_len);
  g_assert_cmpmem (contents, magic_len, magic, magic_len);
}

/* The PNG's size from its IHDR chunk. */
static void
assert_png_size (const char *path,
                 guint32     width,
                 guint32     height)
{
  g_autofree char *contents = NULL;
  gsize length;
  guint32 w, h;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 24);
  memcpy (&w, contents + 16, 4);
  memcpy (&h, contents + 20, 4);
  g_assert_cmpuint (GUINT32_FROM_BE (w), ==, width);
  g_assert_cmpuint (GUINT32_FROM_BE (h), ==, height);
}

static void
test_inspect_demo (void)
{
  g_autofree char *source = g_strdup (g_getenv ("VITRINE_SOURCE_DIR"));
  g_autofree char *spec = g_build_filename (source, "data", "demo", "inspect-demo.json", NULL);
  g_autofree char *out = vt_test_tmpdir ();
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *expected_path = vt_test_fixture ("stats/resnet20-stats.json");
  g_autofree char *csv_path = g_build_filename (out, "inspect-tensors.csv", NULL);
  g_autofree char *csv = NULL;
  g_autofree char *png = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) expected = NULL;
  JsonObject *step, *summary, *arch;
  JsonArray *tensors, *figures;
  gboolean saw_done = FALSE;
  double worst = 0;

  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);

  /* stderr: one JSON object per line, ending in "done". */
  lines = g_strsplit (r.err, "\n", -1);
  for (guint i = 0; lines[i] && lines[i][0] == '{'; i++)
    {
      g_autoptr(JsonNode) event = json_from_string (lines[i], NULL);
      g_assert_nonnull (event);
      if (g_strcmp0 (json_object_get_string_member (json_node_get_object (event), "event"), "done") == 0)
        saw_done = TRUE;
    }
  g_assert_true (saw_done);

  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  summary = json_object_get_object_member (step, "summary");
  arch = json_object_get_object_member (step, "architecture");
  g_assert_cmpint (json_object_get_int_member (summary, "tensors"), ==, 97);
  g_assert_cmpint (json_object_get_int_member (summary, "parameters"), ==, 269722);
  g_assert_cmpstr (json_object_get_string_member (arch, "family"), ==, "CIFAR ResNet (option A)");
  g_assert_cmpstr (json_object_get_string_member (arch, "model"), ==, "resnet20");
  g_assert_cmpint (json_object_get_int_member (arch, "num_classes"), ==, 10);
  /* The spec is echoed. */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (results), "spec"), "name"),
                   ==, "Inspect the demo ResNet-20");

  /* Every tensor's statistics agree with numpy's. */
  expected = load_json (expected_path);
  tensors = json_object_get_array_member (step, "tensors");
  g_assert_cmpuint (json_array_get_length (tensors), ==, 97);
  for (guint i = 0; i < json_array_get_length (tensors); i++)
    {
      JsonObject *t = json_array_get_object_element (tensors, i);
      JsonObject *e = json_object_get_object_member (json_node_get_object (expected), json_object_get_string_member (t, "name"));
      const char *keys[] = { "min", "max", "mean", "std" };

      g_assert_nonnull (e);
      g_assert_cmpint (json_object_get_int_member (t, "elements"), ==, json_object_get_int_member (e, "count"));
      g_assert_cmpint (json_object_get_int_member (t, "nan"), ==, json_object_get_int_member (e, "nan"));
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          double ours = json_object_get_double_member (t, keys[k]);
          double numpy = json_object_get_double_member (e, keys[k]);
          worst = MAX (worst, fabs (ours - numpy) / MAX (1.0, fabs (numpy)));
        }
    }
  g_test_message ("results.json against numpy: largest relative difference %.3g", worst);
  g_assert_cmpfloat (worst, <=, 1e-12);

  /* Three formats of each requested histogram. */
  figures = json_object_get_array_member (step, "figures");
  g_assert_cmpuint (json_array_get_length (figures), ==, 9);
  assert_file_starts_with (out, "figures/inspect-histogram-module.conv1.weight.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/inspect-histogram-module.conv1.weight.svg", "<?xml", 5);
  assert_file_starts_with (out, "figures/inspect-histogram-module.conv1.weight.pdf", "%PDF", 4);
  assert_file_starts_with (out, "figures/inspect-histogram-module.linear.weight.pdf", "%PDF", 4);
  png = g_build_filename (out, "figures/inspect-histogram-module.layer3.2.conv2.weight.png", NULL);
  assert_png_size (png, 1280, 800);
  assert_file_starts_with (out, "run.log", "", 0);

  /* One CSV row per tensor. */
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "name,dtype,shape,elements,bytes,min,max,mean,std,nan,inf\n"));
  {
    g_auto(GStrv) rows = g_strsplit (csv, "\n", -1);
    g_assert_cmpuint (g_strv_length (rows), ==, 1 + 97 + 1);
  }

  /* Keep the figures where a person can look at them. */
  {
    g_autofree char *artifacts = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "batch-figures", NULL);
    g_autofree char *target = g_build_filename (artifacts, "histogram-layer3.2.conv2.weight.png", NULL);
    g_autofree char *contents = NULL;
    gsize length;

    g_mkdir_with_parents (artifacts, 0755);
    g_assert_true (g_file_get_contents (png, &contents, &length, NULL));
    g_assert_true (g_file_set_contents (target, contents, length, NULL));
  }
  vt_test_rm_rf (out);
}

static char *
write_spec (const char *dir,
            const char *name,
            const char *checkpoint,
            const char *extra)
{
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"%s\"%s}]}",
                                           checkpoint, extra ? extra : "");
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* Without --output, results go beside the spec, in a folder named after it. */
static void
test_default_output (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");
  g_autofree char *spec = write_spec (dir, "resnet56.json", ckpt, ", \"formats\": [\"svg\"], \"histograms\": [\"linear.weight\"]");
  g_autofree char *results = g_build_filename (dir, "resnet56", "results.json", NULL);
  g_autofree char *svg = g_build_filename (dir, "resnet56", "figures", "inspect-histogram-module.linear.weight.svg", NULL);
  g_autofree char *png = g_build_filename (dir, "resnet56", "figures", "inspect-histogram-module.linear.weight.png", NULL);
  g_auto(Result) r = { 0 };

  run_vitrine (&r, "--batch", spec, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_file_test (results, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (svg, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  vt_test_rm_rf (dir);
}

/* Writes @name in @dir with its modification time @offset seconds from now. */
static char *
write_aged_file (const char *dir,
                 const char *name,
                 gint64      offset)
{
  char *path = vt_test_write_file (dir, name, "partial", 7);
  struct utimbuf times = { (time_t) (g_get_real_time () / G_USEC_PER_SEC + offset),
                           (time_t) (g_get_real_time () / G_USEC_PER_SEC + offset) };

  g_assert_cmpint (g_utime (path, &times), ==, 0);
  return path;
}

/* A rerun into the folder of a good run fails: the good run's results.json
 * and metrics.csv must not stay to look like the rerun's, and the log says
 * why. The temporary files a killed run left (written here an hour old)
 * are swept; one younger than the rerun, and files not of Vitrine's
 * temporary-name pattern, stay. */
static void
test_rerun_supersedes (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *good = write_spec (dir, "good.json", ckpt, ", \"formats\": [\"svg\"], \"histograms\": [\"linear.weight\"]");
  g_autofree char *missing = g_build_filename (dir, "gone.safetensors", NULL);
  g_autofree char *bad = write_spec (dir, "bad.json", missing, NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *figures = g_build_filename (out, "figures", NULL);
  g_autofree char *results = g_build_filename (out, "results.json", NULL);
  g_autofree char *metrics = g_build_filename (out, "metrics.csv", NULL);
  g_autofree char *log_path = g_build_filename (out, "run.log", NULL);
  g_autofree char *log = NULL;
  g_autofree char *orphan = NULL;
  g_autofree char *orphan_figure = NULL;
  g_autofree char *orphan_store = NULL;
  g_autofree char *young = NULL;
  g_autofree char *users = NULL;

  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", good, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_file_test (results, G_FILE_TEST_IS_REGULAR));
  }
  /* As a kill between write and rename leaves them; and a metrics.csv an
   * incremental step of the good run would have written. */
  orphan = write_aged_file (out, "results.json.vitrine-partial-Xy12Zw", -3600);
  orphan_figure = write_aged_file (figures, "inspect-histogram-linear.weight.svg.vitrine-partial-export", -3600);
  orphan_store = write_aged_file (out, "x.safetensors.vitrine-partial-a1B2c3", -3600);
  young = write_aged_file (out, "run.log.vitrine-partial-Qq00Rr", 3600);
  users = write_aged_file (out, "notes.json.backup", -3600);
  g_assert_true (g_file_set_contents (metrics, "step,method,stage,classes_seen,seen_accuracy\n", -1, NULL));

  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", bad, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 1);
  }
  g_assert_false (g_file_test (results, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (metrics, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_test_message ("run.log:\n%s", log);
  g_assert_nonnull (strstr (log, "error: "));
  g_assert_nonnull (strstr (log, missing));
  g_assert_nonnull (strstr (log, "removed 3 temporary files"));
  g_assert_false (g_file_test (orphan, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (orphan_figure, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (orphan_store, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (young, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (users, G_FILE_TEST_EXISTS));
  vt_test_rm_rf (dir);
}

/* Runs started in the same second (the window names its runs by the
 * second) get folders of their own. */
static void
test_fresh_run_folder (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *parent = g_build_filename (dir, "runs", NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(GError) error = NULL;

  first = vt_run_new_folder (parent, "20260101-120000", &error);
  g_assert_no_error (error);
  second = vt_run_new_folder (parent, "20260101-120000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, !=, second);
  g_assert_true (g_file_test (first, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (second, G_FILE_TEST_IS_DIR));
  g_assert_true (g_str_has_suffix (second, "20260101-120000-2"));
  vt_test_rm_rf (dir);
}

static void
test_bad_specs (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *bad_bins = write_spec (dir, "bins.json", "m.safetensors", ", \"bins\": -3");
  g_autofree char *not_json = g_build_filename (dir, "broken.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_true (g_file_set_contents (not_json, "{\"steps\": [", -1, NULL));
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", bad_bins, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].bins: expected an integer"));
    g_assert_nonnull (strstr (r.err, bad_bins));
    /* A rejected spec writes nothing. */
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", not_json, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "not valid JSON"));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", "/nonexistent/spec.json", NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "/nonexistent/spec.json"));
  }
  vt_test_rm_rf (dir);
}

/* Each malformed file: exit 1, and a message naming the file and the fault. */
static void
test_malformed_checkpoints (void)
{
  static const struct { const char *name; const char *header; gsize data; const char *phrase; } cases[] = {
    { "past-eof", NULL, 0, "runs past the end of the file" },
    { "not-json", "{\"w\": [", 0, "not valid JSON" },
    { "unknown-dtype", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "unknown dtype Q4" },
    { "shape-mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes" },
    { "out-of-range", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 4, "out of range" },
    { "overlap", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6, "overlaps" },
    { "unordered", "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,0]}}", 4, "out of order" },
  };
  g_autofree char *dir = vt_test_tmpdir ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.safetensors", cases[i].name);
      g_autofree char *ckpt = NULL;
      g_autofree char *spec_name = g_strdup_printf ("%s.json", cases[i].name);
      g_autofree char *spec = NULL;
      g_autofree char *out = g_build_filename (dir, cases[i].name, NULL);
      g_autofree char *results = g_build_filename (out, "results.json", NULL);
      g_autofree char *log = g_build_filename (out, "run.log", NULL);
      g_auto(Result) r = { 0 };

      if (cases[i].header)
        ckpt = vt_test_write_safetensors (dir, file, cases[i].header, cases[i].data);
      else
        {
          const char past[] = { 0x10, 0x27, 0, 0, 0, 0, 0, 0, '{', '}' };
          ckpt = g_build_filename (dir, file, NULL);
          g_assert_true (g_file_set_contents (ckpt, past, sizeof past, NULL));
        }
      spec = write_spec (dir, spec_name, ckpt, NULL);
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      g_assert_cmpint (r.status, ==, 1);
      g_assert_nonnull (strstr (r.err, ckpt));
      if (strstr (r.err, cases[i].phrase) == NULL)
        g_error ("%s: stderr lacks “%s”: %s", cases[i].name, cases[i].phrase, r.err);
      /* No results from a failed run, but a log saying why. */
      g_assert_false (g_file_test (results, G_FILE_TEST_EXISTS));
      g_assert_true (g_file_test (log, G_FILE_TEST_IS_REGULAR));
    }
  vt_test_rm_rf (dir);
}

static void
test_missing_tensor (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *spec = write_spec (dir, "spec.json", ckpt, ", \"histograms\": [\"fc.weight\"]");
  g_auto(Result) r = { 0 };

  run_vitrine (&r, "--batch", spec, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no tensor named “fc.weight”"));
  vt_test_rm_rf (dir);
}

/* The "forward" step: taps written to safetensors agree with the upstream
 * OpenCLIP fixture, image and text towers both. */
static void
test_forward (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *weights = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *io = vt_test_asset ("reference/openclip/clip_vit.io.safetensors");
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\","
                                           " \"images\": \"input.pixel_values\", \"tokens\": \"input.text_ids\","
                                           " \"taps\": [\"blocks\", \"attention\"]}]}", weights, io);
  g_autofree char *spec = g_build_filename (dir, "forward.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *taps_path = g_build_filename (out, "forward-taps.safetensors", NULL);
  g_autoptr(VtCheckpoint) taps = NULL;
  g_autoptr(VtCheckpoint) expected = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) r = { 0 };
  guint compared = 0;
  double worst = 0.0;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);

  taps = vt_checkpoint_open (taps_path, &error);
  g_assert_no_error (error);
  expected = vt_checkpoint_open (io, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (taps); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (taps, i);
      const VtTensor *e = vt_checkpoint_lookup (expected, t->name);
      g_autofree float *a = NULL;
      g_autofree float *b = NULL;

      if (e == NULL)
        continue;
      g_assert_cmpuint (t->numel, ==, e->numel);
      a = vt_tensor_dup_float (t);
      b = vt_tensor_dup_float (e);
      for (gsize j = 0; j < t->numel; j++)
        worst = MAX (worst, fabs ((double) a[j] - b[j]));
      compared++;
    }
  g_test_message ("forward: %u taps compared with OpenCLIP's, largest difference %.3g", compared, worst);
  g_assert_cmpuint (compared, >=, 20);
  g_assert_cmpfloat (worst, <=, 1e-4);
  g_assert_nonnull (vt_checkpoint_lookup (taps, "visual.blocks.1.attn_probs"));
  g_assert_nonnull (vt_checkpoint_lookup (taps, "text_embeds_norm"));
  vt_test_rm_rf (dir);
}

static void
test_forward_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *weights = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *io = vt_test_asset ("reference/timm/vit_cls.io.safetensors");
  g_autofree char *missing = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\","
                                              " \"images\": \"pixels\"}]}", weights, io);
  g_autofree char *wrong = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\","
                                            " \"images\": \"logits\"}]}", weights, io);
  g_autofree char *no_input = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\"}]}",
                                               weights, io);
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);

  g_assert_true (g_file_set_contents (spec, missing, -1, NULL));
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", spec, NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "no tensor “pixels”"));
    g_assert_nonnull (strstr (r.err, "input.pixel_values"));
  }
  g_assert_true (g_file_set_contents (spec, wrong, -1, NULL));
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", spec, NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "expected (N, 3, H, W) images"));
  }
  g_assert_true (g_file_set_contents (spec, no_input, -1, NULL));
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", spec, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0]: name the input tensor"));
  }
  vt_test_rm_rf (dir);
}

/* The "evaluate" step on the demo sample: its confusion matrix is the one
 * PyTorch's predictions on the same files give. */
static void
test_evaluate_demo (void)
{
  g_autofree char *spec = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "evaluate-demo.json", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *expected_path = vt_test_fixture ("forward/cifar10-test-predictions.json");
  g_autofree char *out = vt_test_tmpdir ();
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autoptr(JsonNode) expected = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 want[10][10] = { { 0 } };
  JsonObject *e, *step;
  JsonArray *files, *predictions, *confusion, *classes;
  guint correct = 0, total = 0;
  g_auto(Result) r = { 0 };

  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);

  expected = load_json (expected_path);
  e = json_node_get_object (expected);
  files = json_object_get_array_member (e, "files");
  predictions = json_object_get_array_member (json_object_get_object_member (e, "predictions"), "resnet20");
  classes = json_object_get_array_member (e, "classes");
  for (guint i = 0; i < json_array_get_length (files); i++)
    g_hash_table_insert (index, (gpointer) json_array_get_string_element (files, i), GUINT_TO_POINTER (i + 1));

  for (guint c = 0; c < 10; c++)
    {
      const char *name = json_array_get_string_element (classes, c);
      g_autofree char *dir = g_build_filename (sample, name, NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      const char *file;

      g_assert_nonnull (d);
      while ((file = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *key = NULL;
          guint i;

          if (!g_str_has_suffix (file, ".jpg"))
            continue;
          key = g_strdup_printf ("%s/%s", name, file);
          i = GPOINTER_TO_UINT (g_hash_table_lookup (index, key));
          g_assert_cmpuint (i, >, 0);
          want[c][json_array_get_int_element (predictions, i - 1)]++;
          total++;
        }
      g_dir_close (d);
      correct += want[c][c];
    }
  g_assert_cmpuint (total, ==, 200);

  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  confusion = json_object_get_array_member (step, "confusion");
  for (guint c = 0; c < 10; c++)
    for (guint p = 0; p < 10; p++)
      g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (confusion, c), p), ==, want[c][p]);
  g_assert_cmpfloat (json_object_get_double_member (step, "top1"), ==, (double) correct / total);
  g_test_message ("evaluate: top-1 %.1f%% on the demo sample, confusion matrix as PyTorch's",
                  100.0 * correct / total);
  assert_file_starts_with (out, "figures/evaluate-confusion.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/evaluate-confusion.pdf", "%PDF", 4);
  assert_file_starts_with (out, "evaluate-confusion.csv", "true\\predicted,airplane", 23);
  assert_file_starts_with (out, "evaluate-per-class.csv", "class,images,correct,accuracy", 29);
  vt_test_rm_rf (out);
}

static void
test_evaluate_bad_datasets (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *good = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *three = g_build_filename (dir, "three", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *damaged = g_build_filename (dir, "damaged", NULL);
  static const struct { const char *dataset; const char *phrase; } cases[] = {
    { "three", "the dataset has 3 classes but the model has 10 outputs" },
    { "empty", "the class folder holds no images" },
    { "damaged", "damaged JPEG" },
    { "missing", "missing" },
  };

  /* three classes; a class folder with no image; a truncated JPEG. */
  for (guint c = 0; c < 10; c++)
    {
      g_autofree char *name = g_strdup_printf ("c%u", c);
      g_autofree char *class_dir = g_build_filename (damaged, name, NULL);
      g_autofree char *copy = NULL;
      g_autofree char *contents = NULL;
      gsize length;

      g_mkdir_with_parents (class_dir, 0755);
      g_assert_true (g_file_get_contents (good, &contents, &length, NULL));
      copy = g_build_filename (class_dir, "a.jpg", NULL);
      g_assert_true (g_file_set_contents (copy, contents, c == 7 ? length / 2 : length, NULL));
      if (c < 3)
        {
          g_autofree char *three_dir = g_build_filename (three, name, NULL);
          g_autofree char *three_copy = g_build_filename (three_dir, "a.jpg", NULL);
          g_mkdir_with_parents (three_dir, 0755);
          g_assert_true (g_file_set_contents (three_copy, contents, length, NULL));
        }
      {
        g_autofree char *empty_dir = g_build_filename (empty, name, NULL);
        g_mkdir_with_parents (empty_dir, 0755);
      }
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dataset = g_build_filename (dir, cases[i].dataset, NULL);
      g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"%s\"}]}",
                                               ckpt, dataset);
      g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, NULL);
      g_assert_cmpint (r.status, ==, 1);
      if (strstr (r.err, cases[i].phrase) == NULL)
        g_error ("%s: stderr lacks “%s”: %s", cases[i].dataset, cases[i].phrase, r.err);
    }
  vt_test_rm_rf (dir);
}

/* extract: a feature store from the CIFAR-10 binary fixture, JSON-line
 * progress, reuse on the second run, and spec errors named by path. */
static void
test_extract (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *store = g_build_filename (dir, "test.safetensors", NULL);
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"extract\", \"id\": \"x\", \"checkpoint\": \"%s\", "
                                           "\"dataset\": \"%s\", \"split\": \"test\", \"store\": \"%s\", "
                                           "\"logits\": true, \"batch\": 8, \"transform\": {\"resize\": 36}}]}",
                                           ckpt, data, store);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  static const struct { const char *step; const char *phrase; } bad[] = {
    { "\"split\": \"val\"", "$.steps[0].split: “val” is not one of train, test" },
    { "\"transform\": {\"resize\": 32, \"crop_pct\": 0.9}", "$.steps[0].transform: give “resize” or “crop_pct”" },
    { "\"transform\": {\"interpolation\": \"nearest\"}", "$.steps[0].transform.interpolation" },
    { "\"transform\": {\"normalize\": false, \"mean\": [0, 0, 0]}", "contradict" },
    { "\"logits\": 1", "$.steps[0].logits: expected true or false" },
    { "\"verify\": \"yes\"", "$.steps[0].verify: expected true or false" },
  };

  /* Extracts, reuses, then reuses after hashing every file again. */
  for (int run = 0; run < 3; run++)
    {
      g_auto(Result) r = { 0 };
      g_autoptr(JsonNode) results = NULL;
      g_autofree char *verify_text = NULL;
      JsonObject *step;

      if (run == 2)
        {
          GString *with = g_string_new (text);
          g_string_replace (with, "\"logits\": true", "\"logits\": true, \"verify\": true", 1);
          verify_text = g_string_free (with, FALSE);
        }
      g_assert_true (g_file_set_contents (spec, verify_text ? verify_text : text, -1, NULL));
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      g_assert_cmpint (r.status, ==, 0);
      results = load_json (results_path);
      step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
      g_assert_cmpint (json_object_get_int_member (step, "samples"), ==, 30);
      g_assert_cmpint (json_object_get_int_member (step, "dim"), ==, 64);
      g_assert_cmpstr (json_object_get_string_member (step, "dataset_format"), ==, "CIFAR-10 binary");
      g_assert_nonnull (strstr (json_object_get_string_member (step, "transform"), "resize 36 bilinear, center crop 32"));
      /* The first run extracts (with progress lines), the others reuse. */
      g_assert_cmpint (json_object_get_boolean_member (step, "reused"), ==, run >= 1);
      g_assert_cmpint (strstr (r.err, "\"message\":\"30/30 images") != NULL, ==, run == 0);
    }
  {
    g_autoptr(VtCheckpoint) file = NULL;
    g_autoptr(GError) error = NULL;
    GHashTable *metadata;

    file = vt_checkpoint_open (store, &error);
    g_assert_no_error (error);
    g_assert_cmpint (vt_checkpoint_lookup (file, "features")->shape[0], ==, 30);
    g_assert_cmpint (vt_checkpoint_lookup (file, "logits")->shape[1], ==, 10);
    g_assert_cmpint (vt_checkpoint_lookup (file, "labels")->dtype, ==, VT_DTYPE_I64);
    metadata = vt_checkpoint_get_metadata (file);
    g_assert_cmpstr (g_hash_table_lookup (metadata, "split"), ==, "test");
    g_assert_cmpuint (strlen (g_hash_table_lookup (metadata, "checkpoint_sha256")), ==, 64);
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *bad_text = g_strdup_printf ("{\"steps\": [{\"kind\": \"extract\", \"checkpoint\": \"%s\", "
                                                   "\"dataset\": \"%s\", %s}]}", ckpt, data, bad[i].step);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, bad_text, -1, NULL));
      run_vitrine (&r, "--batch", spec, NULL);
      g_assert_cmpint (r.status, ==, 2);
      if (strstr (r.err, bad[i].phrase) == NULL)
        g_error ("stderr lacks “%s”: %s", bad[i].phrase, r.err);
    }
  vt_test_rm_rf (dir);
}

/* incremental: NMC and GDA on the numpy-checked CIL fixture stores give the
 * metrics numpy gave; metrics.csv, the summary and the chart are written;
 * a missing store, a split that does not divide the classes and bad keys
 * are errors. */
typedef struct
{
  const char  *keys;     /* the step's keys after "kind", with placeholders */
  int          status;   /* the exit status expected */
  const char  *phrase;   /* a part of the message expected on stderr */
} BadStep;

/* Runs a one-step spec of @kind for each case, with the placeholders in
 * @replacements (pairs: name, value; NULL-terminated) filled in, and checks
 * the exit status and the message. */
static void
check_bad_steps (const char          *kind,
                 const BadStep       *cases,
                 guint                n_cases,
                 const char          *spec,
                 const char          *out,
                 const char * const  *replacements)
{
  for (guint i = 0; i < n_cases; i++)
    {
      g_auto(Result) r = { 0 };
      GString *keys = g_string_new (cases[i].keys);

      for (guint a = 0; replacements[a]; a += 2)
        g_string_replace (keys, replacements[a], replacements[a + 1], 0);
      g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"%s\", %s}]}", kind, keys->str);
      g_string_free (keys, TRUE);
      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      g_assert_cmpint (r.status, ==, cases[i].status);
      if (strstr (r.err, cases[i].phrase) == NULL)
        g_error ("stderr lacks “%s”: %s", cases[i].phrase, r.err);
    }
}

static void
test_incremental (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *expected_path = vt_test_fixture ("cil/expected.json");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *metrics_path = g_build_filename (out, "metrics.csv", NULL);
  g_autofree char *metrics = NULL;
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"incremental\", \"id\": \"run\", \"train\": \"%s\", "
                                           "\"test\": \"%s\", \"split\": \"B0-Inc2\", \"methods\": [\"nmc\", \"gda\"], "
                                           "\"formats\": [\"png\"]}]}", train, test);
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) expected = NULL;
  JsonObject *want, *step;
  JsonArray *methods;
  g_auto(Result) r = { 0 };
  static const BadStep bad[] = {
    { "\"train\": \"missing.safetensors\", \"test\": \"missing.safetensors\", \"split\": \"B0-Inc2\"", 1, "missing.safetensors" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0-Inc3\"", 1, "B0-Inc3 does not divide 10 classes" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0+Inc2\"", 2, "$.steps[0].split" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0-Inc2\", \"methods\": [\"ewc\"]", 2, "$.steps[0].methods[0]" },
  };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "\"message\":\"GDA, stage 5 of 5 (10 classes)"));
  g_assert_nonnull (strstr (r.err, "\"event\":\"metric\",\"step\":\"run\",\"series\":\"NMC\",\"point\":0"));

  expected = load_json (expected_path);
  want = json_object_get_object_member (json_array_get_object_element (
           json_object_get_array_member (json_node_get_object (expected), "runs"), 0), "methods");
  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  methods = json_object_get_array_member (step, "methods");
  g_assert_cmpuint (json_array_get_length (methods), ==, 2);
  for (guint m = 0; m < 2; m++)
    {
      JsonObject *got = json_array_get_object_element (methods, m);
      JsonObject *ref = json_object_get_object_member (want, json_object_get_string_member (got, "method"));

      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (got, "last_accuracy"),
                                      json_object_get_double_member (ref, "last"), 1e-9);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (got, "average_incremental_accuracy"),
                                      json_object_get_double_member (ref, "average_incremental"), 1e-9);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (got, "forgetting"),
                                      json_object_get_double_member (ref, "forgetting"), 1e-9);
    }
  g_assert_true (g_file_get_contents (metrics_path, &metrics, NULL, NULL));
  g_assert_true (g_str_has_prefix (metrics, "step,method,stage,classes_seen,seen_accuracy\nrun,nmc,1,2,"));
  {
    g_auto(GStrv) lines = g_strsplit (g_strchomp (metrics), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 2 * 5);
  }
  assert_file_starts_with (out, "run-summary.csv", "method,average_incremental_accuracy", 34);
  assert_file_starts_with (out, "figures/run-accuracy.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/run-gda-accuracy-matrix.png", "\x89PNG\r\n\x1a\n", 8);

  /* A store whose features and labels differ in length. */
  {
    g_autofree char *broken = g_build_filename (dir, "broken.safetensors", NULL);
    g_autofree char *broken_text = g_strdup_printf ("{\"steps\": [{\"kind\": \"incremental\", \"train\": \"%s\", "
                                                    "\"test\": \"%s\", \"split\": \"B0-Inc2\"}]}", broken, test);
    float features[4 * 8] = { 0 };
    gint64 labels[3] = { 0 }, indices[4] = { 0 };
    VtTensor tensors[3] = {
      { "features", VT_DTYPE_F32, 2, { 4, 8 }, 32, sizeof features, (const guint8 *) features },
      { "labels", VT_DTYPE_I64, 1, { 3 }, 3, sizeof labels, (const guint8 *) labels },
      { "indices", VT_DTYPE_I64, 1, { 4 }, 4, sizeof indices, (const guint8 *) indices },
    };
    const VtTensor *pointers[3] = { &tensors[0], &tensors[1], &tensors[2] };
    g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr(GError) error = NULL;
    g_auto(Result) rb = { 0 };

    g_hash_table_insert (metadata, "format", "vitrine feature store 1");
    g_hash_table_insert (metadata, "class_names", "[\"a\", \"b\"]");
    g_assert_true (vt_safetensors_write (broken, 3, pointers, metadata, &error));
    g_assert_true (g_file_set_contents (spec, broken_text, -1, NULL));
    run_vitrine (&rb, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (rb.status, ==, 1);
    g_assert_nonnull (strstr (rb.err, "differ in length"));
    g_assert_nonnull (strstr (rb.err, broken));
  }

  {
    const char * const replacements[] = { "TRAIN", train, "TEST", test, NULL };
    check_bad_steps ("incremental", bad, G_N_ELEMENTS (bad), spec, out, replacements);
  }
  vt_test_rm_rf (dir);
}

/* Lines in a text file. */
static guint
count_lines (const char *dir, const char *name, char **first_line)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit (g_strchomp (contents), "\n", -1);
  if (first_line != NULL)
    *first_line = g_strdup (lines[0]);
  return g_strv_length (lines);
}

static void
test_project (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *store = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *expected_path = vt_test_fixture ("projection/expected.json");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"project\", \"id\": \"pca\", \"store\": \"%s\", \"method\": \"pca\", \"samples\": 200},"
    " {\"kind\": \"project\", \"id\": \"tsne\", \"store\": \"%s\", \"samples\": 1000, \"formats\": [\"svg\", \"png\"]},"
    " {\"kind\": \"project\", \"id\": \"umap\", \"store\": \"%s\", \"method\": \"umap\", \"samples\": 1000,"
    " \"min_dist\": 0.05, \"neighbors\": \"approximate\", \"formats\": [\"pdf\"]}]}",
    store, store, store);
  g_autofree char *header = NULL;
  g_autofree char *first = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) expected = NULL;
  g_auto(Result) r = { 0 };
  static const BadStep bad[] = {
    { "\"store\": \"missing.safetensors\"", 1, "missing.safetensors" },
    { "\"store\": \"STORE\", \"color\": \"prediction\"", 1, "needs logits" },
    { "\"store\": \"STORE\", \"samples\": 20", 1, "perplexity 30 needs more than 30 samples; there are 20" },
    { "\"store\": \"STORE\", \"dimensions\": 3", 2, "$.steps[0].dimensions" },
    { "\"store\": \"STORE\", \"method\": \"isomap\"", 2, "$.steps[0].method" },
    { "\"store\": \"STORE\", \"method\": \"umap\", \"samples\": 12", 1, "15 neighbours needs more than 15 samples" },
    { "\"store\": \"STORE\", \"perplexity\": -5", 2, "$.steps[0].perplexity" },
    { "\"store\": \"STORE\", \"method\": \"umap\", \"neighbors\": \"fast\"", 2, "$.steps[0].neighbors" },
  };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);

  results = load_json (results_path);
  expected = load_json (expected_path);
  JsonArray *steps = json_object_get_array_member (json_node_get_object (results), "steps");
  JsonObject *pca = json_array_get_object_element (steps, 0);
  JsonObject *tsne = json_array_get_object_element (steps, 1);
  JsonArray *ratio = json_object_get_array_member (pca, "explained_variance_ratio");
  JsonArray *want_ratio = json_object_get_array_member (json_node_get_object (expected), "explained_variance_ratio");

  /* samples 200 of 2,000 = every 10th: the fixture's PCA input. */
  for (guint c = 0; c < 2; c++)
    g_assert_cmpfloat_with_epsilon (json_array_get_double_element (ratio, c),
                                    json_array_get_double_element (want_ratio, c), 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (pca, "trustworthiness"),
                                  json_object_get_double_member (json_node_get_object (expected), "trust_pca"), 1e-6);
  g_assert_cmpint (json_object_get_int_member (tsne, "points"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (tsne, "iterations"), ==, 1000);
  g_test_message ("t-SNE of 1,000: trustworthiness %.4f, kNN accuracy %.4f",
                  json_object_get_double_member (tsne, "trustworthiness"),
                  json_object_get_double_member (tsne, "knn_accuracy"));
  g_assert_cmpfloat (json_object_get_double_member (tsne, "trustworthiness"), >, 0.97);
  g_assert_cmpfloat (json_object_get_double_member (tsne, "knn_accuracy"), >,
                     json_object_get_double_member (pca, "knn_accuracy") + 0.2);

  {
    JsonObject *umap = json_array_get_object_element (steps, 2);
    g_test_message ("UMAP of 1,000: trustworthiness %.4f", json_object_get_double_member (umap, "trustworthiness"));
    g_assert_cmpint (json_object_get_int_member (umap, "epochs"), ==, 500);
    g_assert_cmpfloat (json_object_get_double_member (umap, "min_dist"), ==, 0.05);
    g_assert_true (json_object_get_boolean_member (umap, "approximate_neighbors"));
    g_assert_cmpfloat (json_object_get_double_member (umap, "trustworthiness"), >,
                       json_object_get_double_member (tsne, "trustworthiness") - 0.02);
    assert_file_starts_with (out, "figures/umap-layout.pdf", "%PDF", 4);
  }
  g_assert_cmpuint (count_lines (out, "tsne-layout.csv", &header), ==, 1001);
  g_assert_cmpstr (header, ==, "sample,label,class,x,y");
  g_assert_cmpuint (count_lines (out, "tsne-metadata.tsv", &header), ==, 1001);
  g_assert_cmpstr (header, ==, "class\tlabel");
  g_assert_cmpuint (count_lines (out, "tsne-tensors.tsv", &first), ==, 1000);
  {
    g_auto(GStrv) fields = g_strsplit (first, "\t", -1);
    g_assert_cmpuint (g_strv_length (fields), ==, 64);
  }
  assert_file_starts_with (out, "figures/tsne-layout.svg", "<?xml", 5);
  {
    g_autofree char *png = g_build_filename (out, "figures/tsne-layout.png", NULL);
    assert_png_size (png, 1280, 800);
  }
  assert_file_starts_with (out, "figures/pca-layout.pdf", "%PDF", 4);

  {
    const char * const replacements[] = { "STORE", store, NULL };
    check_bad_steps ("project", bad, G_N_ELEMENTS (bad), spec, out, replacements);
  }
  vt_test_rm_rf (dir);
}

static void
test_command_line (void)
{
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--version", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_str_has_prefix (r.out, "vitrine "));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--help", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "--batch"));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--output", "/tmp/x", NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "--output needs --batch"));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", "a.json", "b.json", NULL);
    g_assert_cmpint (r.status, ==, 2);
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--no-such-option", NULL);
    g_assert_cmpint (r.status, !=, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batch/inspect-demo", test_inspect_demo);
  g_test_add_func ("/batch/default-output", test_default_output);
  g_test_add_func ("/batch/bad-specs", test_bad_specs);
  g_test_add_func ("/batch/rerun-supersedes", test_rerun_supersedes);
  g_test_add_func ("/batch/fresh-run-folder", test_fresh_run_folder);
  g_test_add_func ("/batch/malformed-checkpoints", test_malformed_checkpoints);
  g_test_add_func ("/batch/missing-tensor", test_missing_tensor);
  g_test_add_func ("/batch/forward", test_forward);
  g_test_add_func ("/batch/forward-bad-input", test_forward_bad_input);
  g_test_add_func ("/batch/evaluate-demo", test_evaluate_demo);
  g_test_add_func ("/batch/evaluate-bad-datasets", test_evaluate_bad_datasets);
  g_test_add_func ("/batch/extract", test_extract);
  g_test_add_func ("/batch/incremental", test_incremental);
  g_test_add_func ("/batch/project", test_project);
  g_test_add_func ("/batch/command-line", test_command_line);
  return g_test_run ();
}
