/* test-batch.c: `vitrine --batch` as a user runs it: the real binary, no
 * display, exit statuses 0 (ok), 1 (run failed), 2 (bad command line or spec). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "core/vt-blas.h"
#include "core/vt-json.h"
#include "features/vt-feature-store.h"
#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "io/vt-safetensors.h"
#include "methods/active/vt-active-learner.h"
#include "methods/attribution/vt-faithfulness.h"
#include "methods/attribution/vt-faithfulness-localization.h"
#include "methods/attribution/vt-faithfulness-road.h"
#include "methods/attribution/vt-randomization.h"
#include "methods/comet/vt-comet-selector.h"
#include "models/vt-inspection.h"
#include "models/vt-layer-list.h"
#include "models/vt-model.h"
#include "models/vt-trainable.h"
#include "models/vt-transform.h"
#include "models/vt-zero-shot.h"
#include "report/vt-report.h"
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

/* A child that outlives its deadline dies of SIGALRM (a pending alarm
 * survives exec), so that a hang fails the test instead of stalling it. */
static void
set_deadline (gpointer seconds)
{
  alarm (GPOINTER_TO_UINT (seconds));
}

/* Runs vitrine with @args (NULL-terminated) and no display at all, with
 * VITRINE_MEMORY_LIMIT set to @memory_limit where that is not NULL, and
 * killed after @deadline_s seconds where that is not 0. */
static void
run_vitrine_full (Result              *result,
                  const char          *memory_limit,
                  guint                deadline_s,
                  const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (char *) g_getenv ("VITRINE_BINARY"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  if (memory_limit)
    g_subprocess_launcher_setenv (launcher, "VITRINE_MEMORY_LIMIT", memory_limit, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "VITRINE_MEMORY_LIMIT");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  if (deadline_s > 0)
    g_subprocess_launcher_set_child_setup (launcher, set_deadline, GUINT_TO_POINTER (deadline_s), NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &result->out, &result->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  result->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", result->status, result->out, result->err);
}

static void
run_vitrine_argv (Result              *result,
                  const char          *memory_limit,
                  const char * const  *args)
{
  run_vitrine_full (result, memory_limit, 0, args);
}

static void
run_vitrine_va (Result      *result,
                guint        deadline_s,
                const char  *first,
                va_list      args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  for (const char *a = first; a; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  g_ptr_array_add (argv, NULL);
  run_vitrine_full (result, NULL, deadline_s, (const char * const *) argv->pdata);
}

/* Runs vitrine with @first… (NULL-terminated) and no display at all. */
static void
run_vitrine (Result      *result,
             const char  *first,
             ...)
{
  va_list args;

  va_start (args, first);
  run_vitrine_va (result, 0, first, args);
  va_end (args);
}

/* The same, killed by SIGALRM after @deadline_s seconds. */
static void
run_vitrine_within (Result      *result,
                    guint        deadline_s,
                    const char  *first,
                    ...)
{
  va_list args;

  va_start (args, first);
  run_vitrine_va (result, deadline_s, first, args);
  va_end (args);
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

  /* The layer list: the engine's, and it reads back as an inspection's. */
  {
    g_autofree char *demo = g_build_filename (source, "data", "demo", "resnet20-12fca82f.safetensors", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (demo, &error);
    g_autoptr(VtModel) model = NULL;
    g_autoptr(VtLayerList) want = NULL;
    g_autoptr(VtInspection) reopened = NULL;
    g_autoptr(JsonNode) written = NULL;
    g_autofree char *text = NULL;

    g_assert_no_error (error);
    model = vt_model_new (checkpoint, &error);
    g_assert_no_error (error);
    want = vt_layer_list_new (model, 0, 0, &error);
    g_assert_no_error (error);
    written = vt_layer_list_to_json (want);
    g_assert_true (json_node_equal (json_object_get_member (step, "layers"), written));
    g_assert_false (json_object_has_member (step, "layers_unavailable"));
    reopened = vt_inspection_new_from_json (checkpoint, json_array_get_element (json_object_get_array_member (
                                              json_node_get_object (results), "steps"), 0), results_path, &error);
    g_assert_no_error (error);
    g_assert_nonnull (reopened->layers);
    g_assert_cmpuint (reopened->layers->n_layers, ==, want->n_layers);
    for (guint i = 0; i < want->n_layers; i++)
      {
        g_assert_cmpstr (reopened->layers->layers[i].name, ==, want->layers[i].name);
        g_assert_cmpuint (reopened->layers->layers[i].ndim, ==, want->layers[i].ndim);
        g_assert_true (memcmp (reopened->layers->layers[i].shape, want->layers[i].shape,
                               sizeof (gint64) * want->layers[i].ndim) == 0);
      }
    text = vt_format_shape (want->layers[want->n_layers - 1].ndim,
                            want->layers[want->n_layers - 1].shape);
    g_assert_cmpstr (want->layers[want->n_layers - 1].name, ==, "logits");
    g_assert_cmpstr (text, ==, "[10]");
  }

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
/* The inspect step on the original torch.save file of ResNet-20: the same
 * architecture and tensors as from its safetensors twin, and the entry
 * beside the state dict shown as metadata. */
static void
test_inspect_pth (void)
{
  g_autofree char *th = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.th");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *spec = g_build_filename (dir, "inspect.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"%s\"}]}", th);
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  JsonObject *step, *summary, *arch;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  summary = json_object_get_object_member (step, "summary");
  arch = json_object_get_object_member (step, "architecture");
  g_assert_cmpint (json_object_get_int_member (summary, "tensors"), ==, 97);
  g_assert_cmpint (json_object_get_int_member (summary, "parameters"), ==, 269722);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (summary, "metadata"), "best_prec1"),
                   ==, "91.78000183105469");
  g_assert_cmpstr (json_object_get_string_member (arch, "model"), ==, "resnet20");
  vt_test_rm_rf (dir);
}

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

/* JSON that json-glib could not take: 100,000 nested “[” killed the batch
 * run with SIGSEGV (in the spec and in a config.json beside the
 * checkpoint); an empty spec gave a Json-CRITICAL first; a key given twice
 * was taken silently. Each is now refused, the file named. */
static void
test_bad_json (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *model_dir = g_build_filename (dir, "model", NULL);
  g_autofree char *nested = vt_test_nested_json (100000);
  g_autofree char *deep_text = g_strdup_printf ("{\"steps\": %s}", nested);
  g_autofree char *deep = vt_test_write_file (dir, "deep.json", deep_text, strlen (deep_text));
  g_autofree char *empty = vt_test_write_file (dir, "empty.json", "", 0);
  g_autofree char *twice = NULL;
  g_autofree char *model = NULL;
  g_autofree char *config = NULL;
  g_autofree char *deep_config = NULL;
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", deep, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, deep));
    g_assert_nonnull (strstr (r.err, "line 1, byte offset 73: JSON nests deeper than 64 levels"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", empty, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "empty.json: is empty"));
  }
  twice = write_spec (dir, "twice.json", "m.safetensors", ", \"bins\": 8, \"bins\": 16");
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", twice, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "twice.json: $.steps[0]: “bins” is given twice"));
  }

  g_assert_cmpint (g_mkdir (model_dir, 0755), ==, 0);
  model = vt_test_write_safetensors (model_dir, "model.safetensors",
                                     "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  config = vt_test_write_file (model_dir, "config.json", nested, strlen (nested));
  deep_config = write_spec (dir, "deep-config.json", model, NULL);
  {
    g_auto(Result) r = { 0 };
    run_vitrine (&r, "--batch", deep_config, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, config));
    g_assert_nonnull (strstr (r.err, "JSON nests deeper than 64 levels"));
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

/* The forward step's "gradients" on @fixture (tests/fixtures/grad/net_*.safetensors:
 * its "input" is the batch): runs @gradients_json and compares each
 * written grad.<name> with the fixture's grad.<ref_names[i]>, PyTorch's.
 * Returns the step's result object (owned by *results). */
static JsonObject *
run_gradients_against_fixture (const char          *dir,
                               const char          *checkpoint,
                               const char          *fixture,
                               const char          *gradients_json,
                               const char * const  *names,
                               const char * const  *ref_names,
                               JsonNode           **results)
{
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\","
                                           " \"images\": \"input\", \"gradients\": %s}]}", checkpoint, fixture, gradients_json);
  g_autofree char *spec = g_build_filename (dir, "gradients.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *taps_path = g_build_filename (out, "forward-taps.safetensors", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autoptr(VtCheckpoint) taps = NULL;
  g_autoptr(VtCheckpoint) expected = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) r = { 0 };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  if (r.status != 0)
    g_error ("vitrine failed: %s", r.err);
  taps = vt_checkpoint_open (taps_path, &error);
  g_assert_no_error (error);
  expected = vt_checkpoint_open (fixture, &error);
  g_assert_no_error (error);
  /* the forward taps are still there, beside the gradients */
  g_assert_nonnull (vt_checkpoint_lookup (taps, "logits"));
  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *name = g_strdup_printf ("grad.%s", names[i]);
      g_autofree char *ref_name = g_strdup_printf ("grad.%s", ref_names[i]);
      const VtTensor *t = vt_checkpoint_lookup (taps, name);
      const VtTensor *e = vt_checkpoint_lookup (expected, ref_name);
      g_autofree float *a = NULL;
      g_autofree float *b = NULL;
      double diff = 0.0, scale = 0.0;

      if (t == NULL)
        g_error ("%s: no tensor %s", taps_path, name);
      g_assert_nonnull (e);
      g_assert_cmpuint (t->ndim, ==, e->ndim);
      for (guint d = 0; d < t->ndim; d++)
        g_assert_cmpint (t->shape[d], ==, e->shape[d]);
      a = vt_tensor_dup_float (t);
      b = vt_tensor_dup_float (e);
      for (gsize j = 0; j < t->numel; j++)
        {
          diff = MAX (diff, fabs ((double) a[j] - b[j]));
          scale = MAX (scale, fabs ((double) b[j]));
        }
      g_test_message ("%s: %s against PyTorch's, relative difference %.3g", fixture, name, diff / scale);
      g_assert_cmpfloat (diff / scale, <=, 1e-4);
    }
  *results = load_json (results_path);
  vt_test_rm_rf (out);
  return json_array_get_object_element (json_object_get_array_member (json_node_get_object (*results), "steps"), 0);
}

/* "gradients" on the real ResNet-20: input, tap and parameter gradients
 * of Σᵢ logits[i, indexᵢ] as PyTorch's autograd gives them. */
static void
test_forward_gradients (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *fixture = vt_test_fixture ("grad/net_cifar_resnet20.safetensors");
  const char * const names[] = { "input", "layer2.1.out", "layer3.out", "layer1.0.conv1.weight", "linear.bias", NULL };
  /* layer3.out is layer3.2.out, the stage's last block */
  const char * const refs[] = { "input", "layer2.1.out", "layer3.2.out", "layer1.0.conv1.weight", "linear.bias", NULL };
  g_autoptr(JsonNode) results = NULL;
  JsonObject *step, *gradients;
  JsonArray *index;

  step = run_gradients_against_fixture (dir, ckpt, fixture,
                                        "{\"target\": \"logits\", \"index\": [3, 8], \"wrt\": [\"input\", "
                                        "\"layer2.1.out\", \"layer3.out\", \"layer1.0.conv1.weight\", \"linear.bias\"]}",
                                        names, refs, &results);
  gradients = json_object_get_object_member (step, "gradients");
  g_assert_cmpstr (json_object_get_string_member (gradients, "target"), ==, "logits");
  index = json_object_get_array_member (gradients, "index");
  g_assert_cmpuint (json_array_get_length (index), ==, 2);
  g_assert_cmpint (json_array_get_int_element (index, 0), ==, 3);
  g_assert_cmpint (json_array_get_int_element (index, 1), ==, 8);
  vt_test_rm_rf (dir);
}

/* "index": "predicted" on timm's ViT: the fixture's classes are the
 * argmax of the logits, so the gradients are the fixture's; attention
 * probabilities and a norm's output among them. */
static void
test_forward_gradients_predicted (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *fixture = vt_test_fixture ("grad/net_vit_cls.safetensors");
  const char * const names[] = { "input", "blocks.1.attn_probs", "blocks.1.norm1", "blocks.1.norm1.weight", NULL };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) expected = vt_checkpoint_open (fixture, &error);
  const VtTensor *want;
  JsonArray *index;
  JsonObject *step;

  g_assert_no_error (error);
  step = run_gradients_against_fixture (dir, ckpt, fixture,
                                        "{\"index\": \"predicted\", \"wrt\": [\"input\", \"blocks.1.attn_probs\", "
                                        "\"blocks.1.norm1\", \"blocks.1.norm1.weight\"]}", names, names, &results);
  index = json_object_get_array_member (json_object_get_object_member (step, "gradients"), "index");
  want = vt_checkpoint_lookup (expected, "index");
  g_assert_cmpuint (json_array_get_length (index), ==, want->numel);
  for (guint i = 0; i < want->numel; i++)
    g_assert_cmpint (json_array_get_int_element (index, i), ==, ((const gint32 *) want->data)[i]);
  vt_test_rm_rf (dir);
}

/* Bad "gradients": each error names its JSON path. */
static void
test_forward_gradients_bad_spec (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *fixture = vt_test_fixture ("grad/net_cifar_resnet20.safetensors");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  const struct { const char *gradients; int status; const char *phrase; } cases[] = {
    { "{\"target\": \"layer9.out\", \"index\": [3, 8], \"wrt\": [\"input\"]}", 1,
      "$.steps[0].gradients.target: no tap “layer9.out”" },
    { "{\"index\": [3, 10], \"wrt\": [\"input\"]}", 1,
      "$.steps[0].gradients.index[1]: 10 is out of range: “logits” has 10 values per image" },
    { "{\"index\": [3], \"wrt\": [\"input\"]}", 1, "$.steps[0].gradients.index: 1 classes for 2 images" },
    { "{\"index\": [3, 8], \"wrt\": [\"input\", \"layer7.weight\"]}", 1,
      "$.steps[0].gradients.wrt[1]: “layer7.weight” is neither" },
    { "{\"target\": \"layer2.out\", \"index\": [0, 0], \"wrt\": [\"layer3.out\"]}", 1,
      "$.steps[0].gradients.wrt[0]: “layer3.out” comes after the target" },
    { "{\"index\": [3, \"cat\"], \"wrt\": [\"input\"]}", 2, "$.steps[0].gradients.index[1]: expected a class" },
    { "{\"index\": \"largest\", \"wrt\": [\"input\"]}", 2, "$.steps[0].gradients.index: expected a list" },
    { "{\"index\": [3, 8]}", 2, "$.steps[0].gradients.wrt: name what" },
    { "{\"index\": [3, 8], \"wrt\": [\"input\"], \"scale\": 2}", 2, "$.steps[0].gradients" },
    { "[\"input\"]", 2, "$.steps[0].gradients: expected an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"%s\", "
                                               "\"input\": \"%s\", \"images\": \"input\", \"gradients\": %s}]}",
                                               ckpt, fixture, cases[i].gradients);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, NULL);
      if (r.status != cases[i].status || strstr (r.err, cases[i].phrase) == NULL)
        g_error ("case %u: exit %d (expected %d), stderr lacks “%s”: %s", i, r.status, cases[i].status,
                 cases[i].phrase, r.err);
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

/* Runs one predict step, given as the keys after "kind", in @dir. */
static void
run_predict_spec (Result      *r,
                  const char  *dir,
                  const char  *keys)
{
  g_autofree char *json = g_strdup_printf ("{\"steps\": [{\"kind\": \"predict\", %s}]}", keys);
  g_autofree char *spec = g_build_filename (dir, "predict.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_true (g_file_set_contents (spec, json, -1, NULL));
  run_vitrine (r, "--batch", spec, "--output", out, NULL);
}

/* The step's rows, in results.json and in <id>-predictions.csv, against
 * PyTorch's top-5 of the same files (tests/reference/make_predict_fixture.py).
 * Rows are matched by the file's name under the demo sample. */
static guint
check_predictions (const char *out,
                   JsonNode   *fixture,
                   guint       k)
{
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *csv_path = g_build_filename (out, "predict-predictions.csv", NULL);
  g_autoptr(JsonNode) results = load_json (results_path);
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *f = json_node_get_object (fixture);
  JsonArray *images = json_object_get_array_member (f, "images");
  JsonObject *step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results),
                                                                                  "steps"), 0);
  JsonArray *rows = json_object_get_array_member (step, "predictions");
  g_autoptr(GString) header = g_string_new ("file");
  double worst = 0.0;
  guint matched = 0;

  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  for (guint r = 1; r <= k; r++)
    g_string_append_printf (header, ",class_%u,probability_%u", r, r);
  g_assert_cmpstr (lines[0], ==, header->str);
  g_assert_cmpuint (g_strv_length (lines), ==, json_array_get_length (rows) + 2);
  g_assert_cmpstr (lines[json_array_get_length (rows) + 1], ==, "");
  g_assert_cmpint (json_object_get_int_member (step, "top"), ==, k);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *file = json_object_get_string_member (row, "file");
      JsonArray *classes = json_object_get_array_member (row, "classes");
      JsonArray *probabilities = json_object_get_array_member (row, "probabilities");
      g_auto(GStrv) fields = g_strsplit (lines[i + 1], ",", -1);

      /* The CSV row says what the JSON row says. */
      g_assert_cmpuint (g_strv_length (fields), ==, 1 + 2 * k);
      g_assert_cmpstr (fields[0], ==, file);
      g_assert_cmpuint (json_array_get_length (classes), ==, k);
      for (guint r = 0; r < k; r++)
        {
          g_assert_cmpstr (fields[1 + 2 * r], ==, json_array_get_string_element (classes, r));
          g_assert_cmpfloat (g_ascii_strtod (fields[2 + 2 * r], NULL), ==,
                             json_array_get_double_element (probabilities, r));
          if (r > 0)
            g_assert_cmpfloat (json_array_get_double_element (probabilities, r), <=,
                               json_array_get_double_element (probabilities, r - 1));
        }
      for (guint j = 0; j < json_array_get_length (images); j++)
        {
          g_autofree char *suffix = g_strdup_printf ("/%s", json_array_get_string_element (images, j));
          JsonArray *want_classes = json_array_get_array_element (json_object_get_array_member (f, "classes"), j);
          JsonArray *want = json_array_get_array_element (json_object_get_array_member (f, "probabilities"), j);

          if (!g_str_has_suffix (file, suffix))
            continue;
          for (guint r = 0; r < k; r++)
            {
              g_assert_cmpstr (json_array_get_string_element (classes, r), ==,
                               json_array_get_string_element (want_classes, r));
              worst = MAX (worst, fabs (json_array_get_double_element (probabilities, r) -
                                        json_array_get_double_element (want, r)));
            }
          matched++;
        }
    }
  g_test_message ("predict: %u images as PyTorch's top-%u, largest difference %.3g", matched, k, worst);
  g_assert_cmpfloat (worst, <=, 1e-5);
  return matched;
}

/* The "predict" step on the real CIFAR ResNet-20: image files, then the
 * demo sample as a dataset; its top classes and probabilities are
 * PyTorch's. */
static void
test_predict (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *fixture_path = vt_test_fixture ("forward/cifar10-predict-top5.json");
  g_autoptr(JsonNode) fixture = load_json (fixture_path);
  JsonArray *images = json_object_get_array_member (json_node_get_object (fixture), "images");
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (images); i++)
    g_string_append_printf (list, "%s\"%s/%s\"", i ? ", " : "", sample, json_array_get_string_element (images, i));
  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"predict\", \"checkpoint\": \"%s\", \"images\": [%s]",
                                             ckpt, list->str);
    g_auto(Result) r = { 0 };

    run_predict_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpuint (check_predictions (out, fixture, 5), ==, json_array_get_length (images));
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"top\": 3", ckpt, sample);
    g_auto(Result) r = { 0 };

    run_predict_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpuint (check_predictions (out, fixture, 3), ==, json_array_get_length (images));
  }
  vt_test_rm_rf (dir);
}

/* LIT's domain warning: each row's "max_probability" is PyTorch's largest
 * softmax probability of the image (tests/reference/make_predict_fixture.py
 * over the whole demo sample) and "outside_classes" says whether it is
 * below "outside_threshold" (Hendrycks & Gimpel's baseline; 0.5 by
 * default): the sample holds images on both sides. A higher threshold
 * flags more; one outside 0 to 1 is a spec error naming the key. */
static void
test_predict_outside_classes (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *fixture_path = vt_test_fixture ("forward/cifar10-predict-msp.json");
  g_autoptr(JsonNode) fixture = load_json (fixture_path);
  JsonArray *images = json_object_get_array_member (json_node_get_object (fixture), "images");
  JsonArray *want = json_object_get_array_member (json_node_get_object (fixture), "max_probability");
  guint flagged[2] = { 0, 0 };

  for (guint t = 0; t < 2; t++)
    {
      /* The default, then a stricter one. */
      double threshold = t == 0 ? 0.5 : 0.9;
      g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"top\": 2%s", ckpt,
                                               sample, t == 0 ? "" : ", \"outside_threshold\": 0.9");
      g_autoptr(JsonNode) results = NULL;
      g_auto(Result) r = { 0 };
      JsonObject *step;
      JsonArray *rows;
      guint confident = 0, matched = 0;
      double worst = 0;

      run_predict_spec (&r, dir, keys);
      g_assert_cmpint (r.status, ==, 0);
      results = load_json (results_path);
      step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
      g_assert_cmpfloat (json_object_get_double_member (step, "outside_threshold"), ==, threshold);
      rows = json_object_get_array_member (step, "predictions");
      g_assert_cmpuint (json_array_get_length (rows), ==, json_array_get_length (images));
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          const char *file = json_object_get_string_member (row, "file");
          double msp = json_object_get_double_member (row, "max_probability");
          gboolean outside = json_object_get_boolean_member (row, "outside_classes");

          g_assert_cmpfloat (msp, ==, json_array_get_double_element (json_object_get_array_member (row,
                                                                                                   "probabilities"), 0));
          g_assert_cmpint (outside, ==, msp < threshold);
          flagged[t] += outside;
          confident += !outside;
          for (guint j = 0; j < json_array_get_length (images); j++)
            {
              g_autofree char *suffix = g_strconcat ("/", json_array_get_string_element (images, j), NULL);
              double torch_msp = json_array_get_double_element (want, j);

              if (!g_str_has_suffix (file, suffix))
                continue;
              matched++;
              worst = MAX (worst, fabs (msp - torch_msp));
              /* PyTorch's flag too, unless it sits on the threshold. */
              if (fabs (torch_msp - threshold) > 1e-5)
                g_assert_cmpint (outside, ==, torch_msp < threshold);
            }
        }
      g_test_message ("threshold %.1f: %u of %u images outside the classes; max |ours − PyTorch| = %.2e", threshold,
                      flagged[t], json_array_get_length (rows), worst);
      g_assert_cmpuint (matched, ==, json_array_get_length (images));
      g_assert_cmpfloat (worst, <=, 1e-5);
      g_assert_cmpuint (flagged[t], >, 0);
      g_assert_cmpuint (confident, >, 0);
    }
  g_assert_cmpuint (flagged[1], >, flagged[0]);
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"outside_threshold\": 2",
                                             ckpt, sample);
    g_auto(Result) r = { 0 };

    run_predict_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].outside_threshold"));
  }
  vt_test_rm_rf (dir);
}

/* "inputs": each image's crop as the model saw it, <id>-input-<i>.png:
 * the un-normalized transform of the image rounded to 8 bits (within one
 * level of vt_transform_apply_unnormalized's, which test-datasets checks
 * against torchvision), and each row's size, share kept and scale, here
 * worked out by hand from the parrot's 512×929: ResNet-20's preset resizes
 * the shorter side to 32 (the longer to 58, as torchvision's int() rounds
 * it) and keeps the center 32×32; "resize": 64 makes it 64×116; "resize":
 * 0 does not resize, and the crop keeps 0.2% of the photo. */
static void
test_predict_inputs (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *parrot = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  static const struct
  {
    const char  *transform;   /* the step's "transform", or "" */
    int          resize;      /* its shorter side, 0: none */
    double       kept[2];     /* cat, parrot */
    double       scale[2];
  } cases[] = {
    { "", 32, { 1.0, 32.0 / 58.0 }, { 1.0, 58.0 / 929.0 } },
    { ", \"transform\": {\"resize\": 64}", 64, { 0.25, 32.0 * 32.0 / (64.0 * 116.0) }, { 2.0, 116.0 / 929.0 } },
    { ", \"transform\": {\"resize\": 0}", 0, { 1.0, 32.0 * 32.0 / (512.0 * 929.0) }, { 1.0, 1.0 } },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"images\": [\"%s\", \"%s\"], "
                                               "\"inputs\": true%s", ckpt, cat, parrot, cases[c].transform);
      g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
      g_autoptr(JsonNode) results = NULL;
      g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (ckpt, NULL);
      g_autoptr(VtModel) model = vt_model_new (checkpoint, NULL);
      g_auto(Result) r = { 0 };
      JsonArray *rows;
      VtTransform transform;

      g_assert_nonnull (model);
      vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
      transform.resize_size = cases[c].resize;
      run_predict_spec (&r, dir, keys);
      g_assert_cmpint (r.status, ==, 0);
      results = load_json (results_path);
      rows = json_object_get_array_member (json_array_get_object_element (
                 json_object_get_array_member (json_node_get_object (results), "steps"), 0), "predictions");
      for (guint i = 0; i < 2; i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          g_autofree char *name = g_strdup_printf ("predict-input-%u.png", i);
          g_autofree char *png_path = g_build_filename (out, name, NULL);
          g_autoptr(VtImage) image = vt_image_load (i == 0 ? cat : parrot, NULL);
          g_autoptr(VtImage) png = vt_image_load (png_path, NULL);
          g_autofree float *want = g_new (float, 3 * 32 * 32);
          int worst = 0;

          g_assert_cmpstr (json_object_get_string_member (row, "input"), ==, name);
          g_assert_cmpint (json_object_get_int_member (row, "width"), ==, image->width);
          g_assert_cmpint (json_object_get_int_member (row, "height"), ==, image->height);
          g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "kept"), cases[c].kept[i], 1e-12);
          g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "scale"), cases[c].scale[i], 1e-12);
          g_assert_nonnull (png);
          g_assert_cmpint (png->width, ==, 32);
          g_assert_cmpint (png->height, ==, 32);
          vt_transform_apply_unnormalized (&transform, image, want);
          for (int p = 0; p < 32 * 32; p++)
            for (int ch = 0; ch < 3; ch++)
              worst = MAX (worst, abs ((int) png->rgb[3 * p + ch] - (int) lround (want[ch * 32 * 32 + p] * 255.0)));
          g_test_message ("%s, case %u: the crop's PNG within %d of the transform's", name, c, worst);
          g_assert_cmpint (worst, <=, 1);
        }
    }
  vt_test_rm_rf (dir);
}

/* Bad keys name their JSON path; an image that cannot be read is named. */
static void
test_predict_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *good = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                            "cat", "0000.jpg", NULL);
  g_autofree char *broken = vt_test_write_file (dir, "broken.jpg", "\xff\xd8\xff\xe0 not a JPEG", 16);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  static const struct
  {
    const char  *keys;     /* after "checkpoint"; @IMAGE@: an image */
    int          status;
    const char  *message;
  } cases[] = {
    { "\"images\": [\"@IMAGE@\"], \"top\": 0", 2, "$.steps[0].top: expected an integer" },
    { "\"images\": [\"@IMAGE@\"], \"top\": 11", 1, "$.steps[0].top: 11 is more than the 10 classes" },
    { "\"images\": [\"@IMAGE@\"], \"topk\": 3", 2, "$.steps[0]" },
    { "\"images\": [\"@IMAGE@\"], \"inputs\": 1", 2, "$.steps[0].inputs: expected true or false" },
    { "\"images\": \"@IMAGE@\"", 2, "$.steps[0].images: expected a list of strings" },
    { "\"images\": [], \"top\": 1", 2, "$.steps[0].images: expected at least one image file" },
    { "\"images\": [\"@IMAGE@\"], \"dataset\": \"x\"", 2, "$.steps[0]: give “images”" },
    { "\"top\": 2", 2, "$.steps[0]: give “images”" },
    { "\"images\": [\"@IMAGE@\"], \"split\": \"test\"", 2, "$.steps[0].split: a split is of a dataset" },
    { "\"images\": [\"@IMAGE@\"], \"classes\": 3", 2, "$.steps[0].classes: expected a list of class names" },
    { "\"images\": [\"@IMAGE@\"], \"prompt\": \"a {}\"", 2, "$.steps[0].prompt: a prompt is for “classes”" },
    { "\"images\": [\"@IMAGE@\"], \"classes\": [\"cat\", \"dog\"]", 1, "“classes” is for CLIP models" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) rest = g_string_new (cases[i].keys);
      g_autofree char *keys = NULL;

      g_string_replace (rest, "@IMAGE@", good, 0);
      keys = g_strdup_printf ("\"checkpoint\": \"%s\", %s", ckpt, rest->str);
      g_auto(Result) r = { 0 };

      run_predict_spec (&r, dir, keys);
      g_assert_cmpint (r.status, ==, cases[i].status);
      g_assert_nonnull (strstr (r.err, cases[i].message));
    }
  /* The unreadable image is named, after a good one. */
  for (guint i = 0; i < 2; i++)
    {
      const char *bad = i == 0 ? broken : missing;
      g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"images\": [\"%s\", \"%s\"]", ckpt, good, bad);
      g_auto(Result) r = { 0 };

      run_predict_spec (&r, dir, keys);
      g_assert_cmpint (r.status, ==, 1);
      g_assert_nonnull (strstr (r.err, bad));
    }
  vt_test_rm_rf (dir);
}

/* Reads CSV files with Python's csv module; their rows as JSON, by file. */
static JsonNode *
python_csv_rows (const char * const *paths)
{
  static const char script[] =
    "import csv, json, sys\n"
    "rows = {}\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, newline='', encoding='utf-8') as f:\n"
    "        rows[path] = list(csv.reader(f, strict=True))\n"
    "print(json.dumps(rows))\n";
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, "/usr/bin/python3");
  g_ptr_array_add (argv, "-c");
  g_ptr_array_add (argv, (char *) script);
  for (guint i = 0; paths[i]; i++)
    g_ptr_array_add (argv, (char *) paths[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, set_deadline,
                               GUINT_TO_POINTER (60), &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("python3's csv module refused the tables: %s", err);
  return json_from_string (out, NULL);
}

/* Column @column of the rows of @rows from @first on, one string each. */
static char **
csv_column (JsonArray *rows,
            guint      first,
            guint      column)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = first; i < json_array_get_length (rows); i++)
    g_strv_builder_add (builder, json_array_get_string_element (json_array_get_array_element (rows, i), column));
  return g_strv_builder_end (builder);
}

static void
assert_same_names (char * const *got,
                   char * const *want)
{
  g_assert_cmpuint (g_strv_length ((char **) got), ==, g_strv_length ((char **) want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr (got[i], ==, want[i]);
}

/* Class names with a comma, a double quote and a line feed go through
 * evaluate, extract, incremental and project, and Python's csv module reads
 * every table's names back exactly as results.json has them. */
static void
test_csv_class_names (void)
{
  static const char * const names[] = { "air,plane", "auto\"mobile\"", "bi\nrd", "cat, \"the\"\ncat", "deer",
                                        "dog", "frog", "horse", "ship", "truck" };
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) tables = NULL;
  GStrvBuilder *builder = g_strv_builder_new ();
  g_auto(GStrv) want = NULL;
  JsonArray *per_class;
  g_auto(Result) r = { 0 };
  static const char * const files[] = { "evaluate-per-class.csv", "evaluate-confusion.csv", "inc-nmc-per-class.csv",
                                        "inc-nmc-confusion.csv", "pca-layout.csv" };
  g_autofree char **paths = g_new0 (char *, G_N_ELEMENTS (files) + 1);
  JsonObject *by_file;

  /* Two CIFAR-10 test images per class, under the odd names. */
  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      static const char * const cifar10[] = { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                              "horse", "ship", "truck" };
      g_autofree char *class_dir = g_build_filename (data, names[c], NULL);

      g_assert_cmpint (g_mkdir_with_parents (class_dir, 0755), ==, 0);
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *leaf = g_strdup_printf ("%04u.jpg", i);
          g_autofree char *source = g_build_filename (sample, cifar10[c], leaf, NULL);
          g_autofree char *copy = vt_test_copy (source, class_dir, leaf);
          g_assert_nonnull (copy);
        }
    }
  json = g_strdup_printf ("{\"steps\": ["
                          " {\"kind\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"data\", \"class_match\": \"index\","
                          "  \"formats\": [\"svg\"]},"
                          " {\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"data\"},"
                          " {\"kind\": \"incremental\", \"id\": \"inc\", \"train\": \"features\", \"test\": \"features\","
                          "  \"split\": \"B0-Inc5\", \"methods\": [\"nmc\"], \"formats\": [\"svg\"]},"
                          " {\"kind\": \"project\", \"id\": \"pca\", \"store\": \"features\", \"method\": \"pca\","
                          "  \"formats\": [\"svg\"]}]}", ckpt, ckpt);
  g_assert_true (g_file_set_contents (spec, json, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);

  /* The names as the dataset reader ordered them, from results.json. */
  results = load_json (results_path);
  per_class = json_object_get_array_member (
    json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0),
    "per_class");
  g_assert_cmpuint (json_array_get_length (per_class), ==, G_N_ELEMENTS (names));
  for (guint c = 0; c < json_array_get_length (per_class); c++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (per_class, c), "class");
      g_assert_true (g_strv_contains ((const char * const *) names, name));
      g_strv_builder_add (builder, name);
    }
  want = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    paths[i] = g_build_filename (out, files[i], NULL);
  tables = python_csv_rows ((const char * const *) paths);
  by_file = json_node_get_object (tables);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      JsonArray *rows = json_object_get_array_member (by_file, paths[i]);
      g_auto(GStrv) first_column = NULL;

      if (g_str_has_suffix (files[i], "-layout.csv"))
        {
          /* One row per image, in the class column; every name there. */
          g_auto(GStrv) classes = csv_column (rows, 1, 2);

          g_assert_cmpuint (g_strv_length (classes), ==, 2 * G_N_ELEMENTS (names));
          for (guint c = 0; classes[c]; c++)
            g_assert_true (g_strv_contains ((const char * const *) want, classes[c]));
          for (guint c = 0; want[c]; c++)
            g_assert_true (g_strv_contains ((const char * const *) classes, want[c]));
          continue;
        }
      /* The incremental step's tables are in its class order. */
      if (g_str_has_prefix (files[i], "inc-"))
        {
          JsonObject *inc = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results),
                                                                                         "steps"), 2);
          JsonArray *order = json_object_get_array_member (inc, "class_order");

          g_strfreev (want);
          builder = g_strv_builder_new ();
          for (guint c = 0; c < json_array_get_length (order); c++)
            g_strv_builder_add (builder, json_array_get_string_element (order, c));
          want = g_strv_builder_end (builder);
          g_strv_builder_unref (builder);
        }
      first_column = csv_column (rows, 1, 0);
      assert_same_names (first_column, want);
      if (g_str_has_suffix (files[i], "-confusion.csv"))
        {
          JsonArray *header = json_array_get_array_element (rows, 0);
          g_autoptr(GStrvBuilder) columns = g_strv_builder_new ();
          g_auto(GStrv) got = NULL;

          for (guint c = 1; c < json_array_get_length (header); c++)
            g_strv_builder_add (columns, json_array_get_string_element (header, c));
          got = g_strv_builder_end (columns);
          assert_same_names (got, want);
        }
    }
  for (guint i = 0; paths[i]; i++)
    g_free (paths[i]);
  vt_test_rm_rf (dir);
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

  static const char * const cifar10[] = { "airplane", "automobile", "bird", "cat", "deer",
                                          "dog", "frog", "horse", "ship", "truck" };

  /* three classes; a class folder with no image; a truncated JPEG. */
  for (guint c = 0; c < 10; c++)
    {
      const char *name = cifar10[c];
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

/* A CIFAR-10 model on Fashion-MNIST: ten classes each, but not the same
 * ones. Scored by position it would say 8.47%; it is refused, naming both
 * classes, unless the spec says the order is to be trusted. */
static void
test_evaluate_other_classes (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = g_strdup ("/usr/share/datasets/fashion-mnist");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  {
    g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"evaluate\", \"id\": \"fashion\", "
                                             "\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\"}]}",
                                             ckpt, data);
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "class 0 is “T-shirt/top” in the dataset but “airplane” for the model"));
    g_assert_nonnull (strstr (r.err, "\\\"class_match\\\": \\\"index\\\" to step “fashion”"));
  }
  /* CIFAR-10 images in folders c0 … c9: refused by name, taken by index. */
  {
    g_autofree char *good = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
    g_autofree char *renamed = g_build_filename (dir, "renamed", NULL);
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (good, &contents, &length, NULL));
    for (guint c = 0; c < 10; c++)
      {
        g_autofree char *name = g_strdup_printf ("c%u", c);
        g_autofree char *class_dir = g_build_filename (renamed, name, NULL);
        g_autofree char *copy = g_build_filename (class_dir, "a.jpg", NULL);

        g_mkdir_with_parents (class_dir, 0755);
        g_assert_true (g_file_set_contents (copy, contents, length, NULL));
      }
    for (guint by_index = 0; by_index < 2; by_index++)
      {
        g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"evaluate\", \"checkpoint\": \"%s\", "
                                                 "\"dataset\": \"%s\", %s\"formats\": [\"png\"]}]}", ckpt, renamed,
                                                 by_index ? "\"class_match\": \"index\", " : "");
        g_auto(Result) r = { 0 };

        g_assert_true (g_file_set_contents (spec, text, -1, NULL));
        run_vitrine (&r, "--batch", spec, "--output", out, NULL);
        g_assert_cmpint (r.status, ==, by_index ? 0 : 1);
        if (!by_index)
          g_assert_nonnull (strstr (r.err, "class 0 is “c0” in the dataset but “airplane” for the model"));
      }
  }
  {
    g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"evaluate\", \"checkpoint\": \"%s\", "
                                             "\"dataset\": \"%s\", \"class_match\": \"loose\"}]}", ckpt, data);
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].class_match: “loose” is not one of names, index"));
  }
  vt_test_rm_rf (dir);
}

/* A store named by a misspelt step id, or by a step that writes none, is a
 * spec error (exit 2) listing the ids there are, before any step runs. */
static void
test_store_references (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *extract = g_strdup_printf ("{\"kind\": \"extract\", \"id\": \"train-features\", \"checkpoint\": \"%s\", "
                                              "\"dataset\": \"%s\", \"split\": \"test\", \"store\": \"kept.safetensors\"}",
                                              ckpt, data);
  const struct { const char *step; const char *phrase; } cases[] = {
    { "{\"kind\": \"incremental\", \"train\": \"train-features\", \"test\": \"test-featuers\", \"split\": \"B0-Inc5\"}",
      "$.steps[1].test: “test-featuers” is neither the id of an earlier extract step (known: train-features) nor a store file" },
    { "{\"kind\": \"project\", \"store\": \"inspect\"}",
      "$.steps[1].store: “inspect” is neither the id of an earlier extract step" },
    { "{\"kind\": \"project\", \"store\": \"later\"}, {\"kind\": \"extract\", \"id\": \"later\", "
      "\"checkpoint\": \"x\", \"dataset\": \"y\"}",
      "$.steps[1].store: “later” is an extract step that comes later" },
    { "{\"kind\": \"inspect\", \"id\": \"look\", \"checkpoint\": \"x\"}, {\"kind\": \"project\", \"store\": \"look\"}",
      "$.steps[2].store: “look” is the id of a step of kind “inspect”, which writes no feature store" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"steps\": [%s, %s]}", extract, cases[i].step);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      g_assert_cmpint (r.status, ==, 2);
      if (strstr (r.err, cases[i].phrase) == NULL)
        g_error ("case %u: stderr lacks “%s”: %s", i, cases[i].phrase, r.err);
      /* Refused before anything ran. */
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }

  /* The path an earlier extract step writes is a store too, as is an id. */
  {
    g_autofree char *text = g_strdup_printf ("{\"steps\": [%s, {\"kind\": \"project\", \"store\": \"kept.safetensors\", "
                                             "\"method\": \"pca\", \"formats\": [\"png\"]}, "
                                             "{\"kind\": \"project\", \"store\": \"train-features\", \"method\": \"pca\", "
                                             "\"formats\": [\"png\"]}]}", extract);
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (r.status, ==, 0);
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
    { "\"train\": \"missing.safetensors\", \"test\": \"missing.safetensors\", \"split\": \"B0-Inc2\"", 2, "$.steps[0].train: “missing.safetensors” is neither the id of an earlier extract step (there is none) nor a store file" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0-Inc3\"", 1, "B0-Inc3 does not divide 10 classes" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0+Inc2\"", 2, "$.steps[0].split" },
    { "\"train\": \"TRAIN\", \"test\": \"TEST\", \"split\": \"B0-Inc2\", \"methods\": [\"ewc\"]", 2, "$.steps[0].methods[0]" },
  };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "\"message\":\"GDA, stage 5 of 5 (10 classes)"));
  g_assert_nonnull (strstr (r.err, "\"event\":\"metric\",\"step\":\"run\",\"series\":\"NMC\",\"x_name\":\"stage\",\"x\":0"));

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
    {
      /* Callers reuse one string for several files: replace it. */
      g_free (*first_line);
      *first_line = g_strdup (lines[0]);
    }
  return g_strv_length (lines);
}

/* The pool fixture's label of dataset index @id (make_active_fixtures.py:
 * 90 each of classes 0–2, then 30 of class 3, indices from 1000). */
static gint64
active_pool_label (gint64 id)
{
  gint64 i = id - 1000;

  return i < 270 ? i / 90 : 3;
}

/* active: three strategies with and without PCB, two seeds, on the small
 * pool and test stores: per run, round and seed the ids asked (fresh
 * ones, the first round the same random draw for every strategy), the
 * labeled classes as the oracle's labels count them, the tables and the
 * figures; and its spec errors. */
static void
test_active (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *pool = vt_test_fixture ("active/pool.safetensors");
  g_autofree char *test = vt_test_fixture ("active/test.safetensors");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *first_line = NULL;
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"active\", \"id\": \"al\", \"store\": \"%s\", "
                                           "\"test\": \"%s\", \"strategies\": [\"random\", \"entropy\", \"badge\"], "
                                           "\"pcb\": [false, true], \"rounds\": 3, \"budget\": 5, \"initial\": 8, "
                                           "\"seeds\": [0, 1], \"epochs\": 20, \"formats\": [\"png\"]}]}", pool, test);
  g_autoptr(JsonNode) results = NULL;
  JsonObject *step;
  JsonArray *runs, *curves;
  g_auto(Result) r = { 0 };
  JsonArray *first_rounds[2] = { NULL, NULL };
  static const BadStep bad[] = {
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"strategies\": [\"entropy\", \"bald\"]", 2,
      "$.steps[0].strategies[1]: “bald” is not one of random, least_confidence, margin, entropy, coreset, badge" },
    /* the fixture's stores say no checkpoint made them */
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"learner\": \"coop\"", 1,
      "does not say which checkpoint made it: the zero_shot and coop learners need the CLIP checkpoint" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"learner\": \"zero_shot\"", 1,
      "does not say which checkpoint made it: the zero_shot and coop learners need the CLIP checkpoint" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"learner\": \"svm\"", 2,
      "$.steps[0].learner: “svm” is not one of linear, cosine, zero_shot, coop" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"n_ctx\": 0", 2, "$.steps[0].n_ctx" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"pcb\": \"yes\"", 2, "$.steps[0].pcb: expected true, false or a list of them" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"pcb\": [true, 1]", 2, "$.steps[0].pcb[1]: expected true or false" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"seeds\": [1, -2]", 2, "$.steps[0].seeds[1]: expected a whole number" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"seeds\": 3", 2, "$.steps[0].seeds: expected a list of whole numbers" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"pcb_fallback\": \"skip\"", 2, "$.steps[0].pcb_fallback" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"budget\": 0", 2, "$.steps[0].budget" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"budget\": 100, \"rounds\": 3", 1,
      "$.steps[0]: initial + rounds × budget = 10 + 3 × 100 is more than the 300 samples of the pool" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"pool_samples\": 20, \"rounds\": 2", 1,
      "$.steps[0]: initial + rounds × budget = 10 + 2 × 10 is more than the 20 samples of the pool" },
    { "\"store\": \"POOL\", \"test\": \"TEST\", \"query\": 3", 2, "$.steps[0]" },
    { "\"store\": \"missing.safetensors\", \"test\": \"TEST\"", 2,
      "$.steps[0].store: “missing.safetensors” is neither the id of an earlier extract step" },
  };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "\"event\":\"metric\",\"step\":\"al\",\"series\":\"entropy+pcb seed 1\",\"x_name\":\"round\",\"x\":3"));

  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  runs = json_object_get_array_member (step, "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 3 * 2 * 2);
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      JsonArray *accuracy = json_object_get_array_member (run, "accuracy");
      JsonArray *selected = json_object_get_array_member (run, "selected");
      JsonArray *histogram = json_object_get_array_member (run, "histogram");
      guint seed = (guint) json_object_get_int_member (run, "seed");
      g_autoptr(GHashTable) asked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      gint64 counts[4] = { 0 };

      g_assert_cmpuint (json_array_get_length (accuracy), ==, 4);
      g_assert_cmpuint (json_array_get_length (selected), ==, 4);
      for (guint round = 0; round < 4; round++)
        {
          JsonArray *ids = json_array_get_array_element (selected, round);
          JsonArray *h = json_array_get_array_element (histogram, round);
          double a = json_array_get_double_element (accuracy, round);

          g_assert_cmpuint (json_array_get_length (ids), ==, round == 0 ? 8 : 5);
          for (guint j = 0; j < json_array_get_length (ids); j++)
            {
              gint64 id = json_array_get_int_element (ids, j);

              g_assert_cmpint (id, >=, 1000);
              g_assert_cmpint (id, <, 1300);
              g_assert_false (g_hash_table_contains (asked, &id));
              g_hash_table_add (asked, g_memdup2 (&id, sizeof id));
              counts[active_pool_label (id)]++;
            }
          for (guint c = 0; c < 4; c++)
            g_assert_cmpint (json_array_get_int_element (h, c), ==, counts[c]);
          g_assert_cmpfloat (a, >=, 0.0);
          g_assert_cmpfloat (a, <=, 1.0);
        }
      /* The first round is the seed's random draw, whatever the strategy. */
      if (first_rounds[seed] == NULL)
        first_rounds[seed] = json_array_get_array_element (selected, 0);
      else
        for (guint j = 0; j < 8; j++)
          g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (selected, 0), j), ==,
                           json_array_get_int_element (first_rounds[seed], j));
    }
  /* Features of well separated classes: 23 labels are enough to learn them. */
  curves = json_object_get_array_member (step, "curves");
  g_assert_cmpuint (json_array_get_length (curves), ==, 3 * 2);
  for (guint i = 0; i < json_array_get_length (curves); i++)
    {
      JsonObject *curve = json_array_get_object_element (curves, i);
      JsonArray *mean = json_object_get_array_member (curve, "mean_accuracy");

      g_assert_cmpfloat (json_array_get_double_element (mean, 3), >, 0.8);
    }
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (curves, 1), "name"), ==, "random+pcb");

  g_assert_cmpuint (count_lines (out, "al-rounds.csv", &first_line), ==, 1 + 12 * 4);
  g_assert_cmpstr (first_line, ==,
                   "strategy,pcb,seed,round,labeled,accuracy,smallest_class,largest_class,ant,bee,cicada,dragonfly");
  g_assert_cmpuint (count_lines (out, "al-selected.csv", &first_line), ==, 1 + 12 * 23);
  g_assert_cmpstr (first_line, ==, "strategy,pcb,seed,round,sample");
  g_assert_cmpuint (count_lines (out, "al-summary.csv", &first_line), ==, 1 + 6 * 4);
  assert_file_starts_with (out, "figures/al-learning-curves.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/al-smallest-class.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/al-class-balance.png", "\x89PNG\r\n\x1a\n", 8);

  /* pool_samples: only the store's first 100 samples are asked about. */
  {
    g_autofree char *small = g_strdup_printf ("{\"steps\": [{\"kind\": \"active\", \"id\": \"al\", \"store\": \"%s\", "
                                              "\"test\": \"%s\", \"strategies\": [\"coreset\"], \"pcb\": true, "
                                              "\"pool_samples\": 100, \"rounds\": 4, \"formats\": [\"svg\"]}]}", pool, test);
    g_autoptr(JsonNode) small_results = NULL;
    g_auto(Result) rs = { 0 };
    JsonObject *entry;
    JsonArray *selected;

    g_assert_true (g_file_set_contents (spec, small, -1, NULL));
    run_vitrine (&rs, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (rs.status, ==, 0);
    small_results = load_json (results_path);
    step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (small_results), "steps"), 0);
    g_assert_cmpint (json_object_get_int_member (step, "pool"), ==, 100);
    entry = json_array_get_object_element (json_object_get_array_member (step, "runs"), 0);
    selected = json_object_get_array_member (entry, "selected");
    g_assert_cmpuint (json_array_get_length (selected), ==, 5);
    for (guint round = 0; round < 5; round++)
      for (guint j = 0; j < 10; j++)
        g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (selected, round), j), <, 1100);
  }

  {
    const char * const replacements[] = { "POOL", pool, "TEST", test, NULL };
    check_bad_steps ("active", bad, G_N_ELEMENTS (bad), spec, out, replacements);
  }
  vt_test_rm_rf (dir);
}

/* active with the CLIP learners, on features of the OpenCLIP fixture's image
 * tower that an extract step of the same spec makes from the CIFAR-10
 * binary fixture's test split (30 images, 10 classes; the pool and the
 * test store, since its train split has 5 classes): coop with 4 shared context
 * vectors and zero_shot, two rounds each. The zero-shot head does not
 * learn, so its test accuracy is the same every round, and equal to that of
 * the head of the prompts' text embeddings computed here with the engine's
 * own zero-shot (vt_zero_shot_class_embeddings) over the test store; coop's
 * last round is the engine's coop learner's on the labels asked. A store
 * from a checkpoint without a text tower, prompts too long for the context
 * and a test store from another CLIP checkpoint are errors that say so. */
static void
test_active_clip (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *clip = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *test_store = g_build_filename (out, "test.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": ["
    " {\"kind\": \"extract\", \"id\": \"test\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\"},"
    " {\"kind\": \"active\", \"id\": \"coop\", \"store\": \"test\", \"test\": \"test\", \"learner\": \"coop\","
    "  \"n_ctx\": 4, \"epochs\": 10, \"batch\": 4, \"lr\": 0.05, \"strategies\": [\"entropy\"], \"pcb\": [false, true],"
    "  \"rounds\": 2, \"budget\": 3, \"initial\": 4, \"formats\": [\"svg\"]},"
    " {\"kind\": \"active\", \"id\": \"zs\", \"store\": \"test\", \"test\": \"test\", \"learner\": \"zero_shot\","
    "  \"strategies\": [\"margin\"], \"pcb\": true, \"rounds\": 2, \"budget\": 3, \"initial\": 4, \"formats\": [\"svg\"]}"
    "]}", clip, data);
  g_autoptr(JsonNode) results = NULL;
  g_auto(Result) r = { 0 };
  JsonArray *steps;
  JsonObject *coop, *zs;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  results = load_json (results_path);
  steps = json_object_get_array_member (json_node_get_object (results), "steps");
  coop = json_array_get_object_element (steps, 1);
  zs = json_array_get_object_element (steps, 2);
  g_assert_cmpstr (json_object_get_string_member (coop, "learner"), ==, "coop");
  g_assert_cmpstr (json_object_get_string_member (zs, "learner"), ==, "zero_shot");

  /* coop: two runs (with and without PCB) of 3 rounds, 4 + 3 + 3 asked */
  {
    JsonArray *runs = json_object_get_array_member (coop, "runs");

    g_assert_cmpuint (json_array_get_length (runs), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *run = json_array_get_object_element (runs, i);
        JsonArray *accuracy = json_object_get_array_member (run, "accuracy");
        JsonArray *selected = json_object_get_array_member (run, "selected");
        g_autoptr(GHashTable) asked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

        g_assert_cmpuint (json_array_get_length (accuracy), ==, 3);
        for (guint round = 0; round < 3; round++)
          {
            JsonArray *ids = json_array_get_array_element (selected, round);
            double a = json_array_get_double_element (accuracy, round);

            g_assert_cmpuint (json_array_get_length (ids), ==, round == 0 ? 4 : 3);
            for (guint j = 0; j < json_array_get_length (ids); j++)
              {
                gint64 id = json_array_get_int_element (ids, j);

                g_assert_false (g_hash_table_contains (asked, &id));
                g_hash_table_add (asked, g_memdup2 (&id, sizeof id));
              }
            g_assert_cmpfloat (a, >=, 0.0);
            g_assert_cmpfloat (a, <=, 1.0);
          }
      }
  }

  /* coop's last accuracy is that of the engine's coop learner trained
   * directly on the labels the step asked for, in the order it asked;
   * and that training moved the head away from the starting prompts' */
  {
    JsonObject *run = json_array_get_object_element (json_object_get_array_member (coop, "runs"), 0);
    JsonArray *selected = json_object_get_array_member (run, "selected");
    g_autoptr(GError) error = NULL;
    g_autoptr(VtFeatureStore) store = vt_feature_store_load (test_store, &error);
    g_autoptr(VtActiveClip) clip_model = NULL;
    g_autoptr(VtActiveLearner) learner = NULL;
    g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint));
    g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_autofree float *start = NULL;
    VtActiveLearnerOptions options;
    double moved = 0.0;

    g_assert_no_error (error);
    g_assert_false (json_object_get_boolean_member (run, "pcb"));
    clip_model = vt_active_clip_open (store, test_store, NULL, &error);
    g_assert_no_error (error);
    vt_active_learner_options_init (&options);
    vt_active_learner_options_defaults (&options, VT_ACTIVE_LEARNER_COOP);
    options.n_ctx = 4;
    options.epochs = 10;
    options.batch = 4;
    options.lr = 0.05;
    options.seed = (guint64) json_object_get_int_member (run, "seed");
    learner = vt_active_learner_new_clip (&options, clip_model, &error);
    g_assert_no_error (error);
    start = g_memdup2 (vt_active_learner_weight (learner), sizeof (float) * store->n_classes * store->dim);
    for (guint round = 0; round < json_array_get_length (selected); round++)
      {
        JsonArray *ids = json_array_get_array_element (selected, round);

        for (guint j = 0; j < json_array_get_length (ids); j++)
          for (guint i = 0; i < store->n_samples; i++)
            if (store->indices[i] == json_array_get_int_element (ids, j))
              {
                gint32 label = (gint32) store->labels[i];

                g_array_append_val (rows, i);
                g_array_append_val (labels, label);
              }
      }
    g_assert_cmpuint (rows->len, ==, 10);
    g_assert_true (vt_active_learner_train (learner, store->features, (const guint *) (gpointer) rows->data,
                                            (const gint32 *) (gpointer) labels->data, rows->len, &error));
    g_assert_no_error (error);
    for (gsize i = 0; i < (gsize) store->n_classes * store->dim; i++)
      moved = MAX (moved, fabs (vt_active_learner_weight (learner)[i] - start[i]));
    g_test_message ("coop: the head moved by up to %.3g", moved);
    g_assert_cmpfloat (moved, >, 1e-4);
    g_assert_cmpfloat (vt_active_learner_accuracy (learner, store->features, store->labels, store->n_samples), ==,
                       json_array_get_double_element (json_object_get_array_member (run, "accuracy"), 2));
  }

  /* zero_shot: the same accuracy each round, the engine's zero-shot head's */
  {
    JsonArray *accuracy = json_object_get_array_member (json_array_get_object_element (
                            json_object_get_array_member (zs, "runs"), 0), "accuracy");
    g_autoptr(GError) error = NULL;
    g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (clip, &error);
    g_autoptr(VtModel) model = vt_model_new (checkpoint, &error);
    g_autoptr(VtTokenizer) tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
    g_autoptr(VtFeatureStore) store = vt_feature_store_load (test_store, &error);
    g_autofree float *head = NULL;
    guint correct = 0;

    g_assert_no_error (error);
    head = g_new (float, (gsize) store->n_classes * store->dim);
    g_assert_true (vt_zero_shot_class_embeddings (model, tokenizer, (const char * const *) store->class_names,
                                                  VT_DEFAULT_PROMPT, head, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < store->n_samples; i++)
      {
        const float *x = store->features + (gsize) i * store->dim;
        double best = -INFINITY;
        gint64 guess = -1;

        for (guint c = 0; c < store->n_classes; c++)
          {
            double dot = 0.0;

            for (guint d = 0; d < store->dim; d++)
              dot += (double) x[d] * head[(gsize) c * store->dim + d];
            if (dot > best)
              best = dot, guess = c;
          }
        correct += guess == store->labels[i];
      }
    g_test_message ("zero-shot accuracy %u / %u", correct, store->n_samples);
    for (guint round = 0; round < 3; round++)
      g_assert_cmpfloat (json_array_get_double_element (accuracy, round), ==, (double) correct / store->n_samples);
  }

  /* a ResNet's features; prompts longer than the context */
  {
    g_autofree char *bad = g_strdup_printf (
      "{\"steps\": ["
      " {\"kind\": \"extract\", \"id\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"train\"},"
      " {\"kind\": \"active\", \"store\": \"train\", \"test\": \"train\", \"learner\": \"zero_shot\","
      "  \"rounds\": 1, \"budget\": 2, \"initial\": 2}]}", resnet, data);
    g_auto(Result) rb = { 0 };

    g_assert_true (g_file_set_contents (spec, bad, -1, NULL));
    run_vitrine (&rb, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (rb.status, ==, 1);
    g_assert_nonnull (strstr (rb.err, "which is no CLIP checkpoint with a text tower and a logit scale"));
  }
  {
    g_autofree char *bad = g_strdup_printf (
      "{\"steps\": ["
      " {\"kind\": \"extract\", \"id\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"train\"},"
      " {\"kind\": \"active\", \"store\": \"train\", \"test\": \"train\", \"learner\": \"coop\","
      "  \"rounds\": 1, \"budget\": 2, \"initial\": 2}]}", clip, data);
    g_auto(Result) rb = { 0 };

    g_assert_true (g_file_set_contents (spec, bad, -1, NULL));
    run_vitrine (&rb, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (rb.status, ==, 1);
    g_assert_nonnull (strstr (rb.err, "with 16 context vectors, more than the text tower's context of 16"));
  }
  {
    /* a test store from another CLIP checkpoint (same sizes, other weights) */
    g_autofree char *other = vt_test_asset ("reference/openclip/clip_vit_quickgelu.safetensors");
    g_autofree char *bad = g_strdup_printf (
      "{\"steps\": ["
      " {\"kind\": \"extract\", \"id\": \"pool\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\"},"
      " {\"kind\": \"extract\", \"id\": \"other\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\"},"
      " {\"kind\": \"active\", \"store\": \"pool\", \"test\": \"other\", \"learner\": \"zero_shot\","
      "  \"rounds\": 1, \"budget\": 2, \"initial\": 2}]}", clip, data, other, data);
    g_auto(Result) rb = { 0 };

    g_assert_true (g_file_set_contents (spec, bad, -1, NULL));
    run_vitrine (&rb, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (rb.status, ==, 1);
    g_assert_nonnull (strstr (rb.err, "other.safetensors was not extracted by"));
    g_assert_nonnull (strstr (rb.err, "clip_vit.safetensors, the pool's checkpoint"));
  }
  vt_test_rm_rf (dir);
}

/* The t-SNE step's exports hold exactly the store's rows @stride apart: each
 * tensors.tsv line the features in "%.7g", each metadata line the class
 * name and label, each layout line the sample index, label and class. The
 * store is read here through the checkpoint reader, not the store loader. */
static void
assert_exports_match_store (const char *out,
                            const char *store_path,
                            guint       n,
                            guint       stride)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) file = vt_checkpoint_open (store_path, &error);
  g_assert_no_error (error);
  const VtTensor *features = vt_checkpoint_lookup (file, "features");
  const VtTensor *labels = vt_checkpoint_lookup (file, "labels");
  const VtTensor *indices = vt_checkpoint_lookup (file, "indices");
  const char *names_json = g_hash_table_lookup (vt_checkpoint_get_metadata (file), "class_names");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, names_json, -1, NULL));
  JsonArray *names = json_node_get_array (json_parser_get_root (parser));
  guint dim = (guint) features->shape[1];
  g_autofree char *tensors_path = g_build_filename (out, "tsne-tensors.tsv", NULL);
  g_autofree char *metadata_path = g_build_filename (out, "tsne-metadata.tsv", NULL);
  g_autofree char *layout_path = g_build_filename (out, "tsne-layout.csv", NULL);
  g_autofree char *tensors = NULL, *metadata = NULL, *layout = NULL;

  g_assert_true (g_file_get_contents (tensors_path, &tensors, NULL, NULL));
  g_assert_true (g_file_get_contents (metadata_path, &metadata, NULL, NULL));
  g_assert_true (g_file_get_contents (layout_path, &layout, NULL, NULL));
  g_auto(GStrv) tensor_lines = g_strsplit (tensors, "\n", -1);
  g_auto(GStrv) metadata_lines = g_strsplit (metadata, "\n", -1);
  g_auto(GStrv) layout_lines = g_strsplit (layout, "\n", -1);
  g_assert_cmpuint (g_strv_length (tensor_lines), ==, n + 1);
  g_assert_cmpuint (g_strv_length (metadata_lines), ==, n + 2);
  g_assert_cmpuint (g_strv_length (layout_lines), ==, n + 2);
  for (guint i = 0; i < n; i++)
    {
      gsize row = (gsize) i * stride;
      const float *x = (const float *) features->data + row * dim;
      gint64 label = ((const gint64 *) labels->data)[row];
      const char *name = json_array_get_string_element (names, (guint) label);
      g_autoptr(GString) want = g_string_new (NULL);
      g_autofree char *want_metadata = g_strdup_printf ("%s\t%" G_GINT64_FORMAT, name, label);
      g_autofree char *want_layout = g_strdup_printf ("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%s,",
                                                      ((const gint64 *) indices->data)[row], label, name);

      for (guint j = 0; j < dim; j++)
        g_string_append_printf (want, j ? "\t%.7g" : "%.7g", x[j]);
      g_assert_cmpstr (tensor_lines[i], ==, want->str);
      g_assert_cmpstr (metadata_lines[i + 1], ==, want_metadata);
      g_assert_true (g_str_has_prefix (layout_lines[i + 1], want_layout));
    }
  g_assert_cmpstr (tensor_lines[n], ==, "");
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
    { "\"store\": \"missing.safetensors\"", 2, "$.steps[0].store: “missing.safetensors” is neither the id" },
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
  /* 1,000 points: below t-SNE's threshold for NN-descent. */
  g_assert_true (json_object_has_member (tsne, "approximate_neighbors"));
  g_assert_false (json_object_get_boolean_member (tsne, "approximate_neighbors"));
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
  assert_exports_match_store (out, store, 1000, 2);
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

/* "dimensions": 3 (PCA only) writes a third column, z, holding sklearn's
 * third component (tests/reference/make_projection_fixture.py, on the same
 * every-10th sample); the figure and the report still read x and y. */
static void
test_project_three_components (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *store = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *fixture_path = vt_test_fixture ("projection/small.safetensors");
  g_autofree char *expected_path = vt_test_fixture ("projection/expected.json");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *layout_path = g_build_filename (out, "pca3-layout.csv", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"project\", \"id\": \"pca3\", \"store\": \"%s\", \"method\": \"pca\","
    " \"dimensions\": 3, \"samples\": 200, \"formats\": [\"svg\"]}]}", store);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) expected = NULL;
  g_autofree char *layout = NULL;
  g_autofree char *header = NULL;
  g_auto(Result) r = { 0 };
  double worst = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  results = load_json (results_path);
  expected = load_json (expected_path);
  JsonObject *pca = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results),
                                                                                 "steps"), 0);
  JsonArray *ratio = json_object_get_array_member (pca, "explained_variance_ratio");
  JsonArray *want_ratio = json_object_get_array_member (json_node_get_object (expected),
                                                        "explained_variance_ratio_3");

  g_assert_cmpint (json_object_get_int_member (pca, "dimensions"), ==, 3);
  g_assert_cmpuint (json_array_get_length (ratio), ==, 3);
  for (guint c = 0; c < 3; c++)
    g_assert_cmpfloat_with_epsilon (json_array_get_double_element (ratio, c),
                                    json_array_get_double_element (want_ratio, c), 1e-6);
  g_assert_cmpuint (count_lines (out, "pca3-layout.csv", &header), ==, 201);
  g_assert_cmpstr (header, ==, "sample,label,class,x,y,z");
  assert_file_starts_with (out, "figures/pca3-layout.svg", "<?xml", 5);

  {
    const VtTensor *want = vt_checkpoint_lookup (fixture, "pca3_layout");
    g_autofree float *want_layout = vt_tensor_dup_float (want);
    g_auto(GStrv) lines = NULL;

    g_assert_true (g_file_get_contents (layout_path, &layout, NULL, NULL));
    lines = g_strsplit (layout, "\n", -1);
    g_assert_cmpuint (want->numel, ==, 600);
    for (guint i = 0; i < 200; i++)
      {
        g_auto(GStrv) fields = g_strsplit (lines[i + 1], ",", -1);
        guint n_fields = g_strv_length (fields);

        g_assert_cmpuint (n_fields, ==, 6);
        for (guint c = 0; c < 3; c++)
          worst = MAX (worst, fabs (g_ascii_strtod (fields[3 + c], NULL) - want_layout[3 * i + c]));
      }
  }
  g_test_message ("3-D PCA layout.csv: max |ours - sklearn| = %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-4);
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

/* Runs a one-step spec of @step_json (the step object's keys) with
 * VITRINE_MEMORY_LIMIT set to @limit (or unset), expecting exit 1 and every
 * one of @phrases (NULL-terminated) on stderr. */
static void
expect_refusal (const char          *dir,
                const char          *limit,
                const char          *step_json,
                const char * const  *phrases)
{
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{%s}]}", step_json);
  g_auto(Result) r = { 0 };

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  /* An allocation that fails aborts the process: run_vitrine_argv asserts
   * a normal exit, so only a refusal before allocating passes. */
  run_vitrine_argv (&r, limit, (const char * const[]) { "--batch", spec, "--output", out, NULL });
  g_assert_cmpint (r.status, ==, 1);
  for (guint i = 0; phrases[i]; i++)
    if (strstr (r.err, phrases[i]) == NULL)
      g_error ("stderr lacks “%s”: %s", phrases[i], r.err);
  g_assert_false (g_file_test (results, G_FILE_TEST_EXISTS));
  vt_test_rm_rf (out);
}

/* Allowed values that need more memory than there is are refused before
 * anything is allocated, with the amount and the key to lower. */
static void
test_memory_extract (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  /* 1024 × 3 × 4096² floats: one batch of pixels is 206.2 GB. The limit
   * only makes the refusal certain on a machine with that much memory. */
  g_autofree char *huge = g_strdup_printf ("\"kind\": \"extract\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"split\": \"test\", \"batch\": 1024, "
                                           "\"transform\": {\"resize\": 4096, \"crop\": 4096}", ckpt, data);
  const char * const huge_phrases[] = { "$.steps[0]: running", ckpt, "at batch 1024 and 4096×4096 pixels",
                                        "would need about", "1 batch being decoded: 206.2 GB", "but this machine has",
                                        "Lower $.steps[0].batch (now 1024) or $.steps[0].transform.crop (now 4096",
                                        NULL };
  /* The demo settings fit anywhere; a budget of 1 MB does not take them,
   * and the message says where that budget came from. */
  g_autofree char *small = g_strdup_printf ("\"kind\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                            "\"split\": \"test\", \"batch\": 16", ckpt, data);
  const char * const small_phrases[] = { "this machine has 1.0 MB (VITRINE_MEMORY_LIMIT)", "$.steps[0].batch (now 16)",
                                         NULL };

  expect_refusal (dir, "64G", huge, huge_phrases);
  expect_refusal (dir, "1M", small, small_phrases);
  vt_test_rm_rf (dir);
}

static void
test_memory_incremental (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  /* ranpac_dim's largest allowed value: three 100,000² matrices of doubles. */
  g_autofree char *step = g_strdup_printf ("\"kind\": \"incremental\", \"train\": \"%s\", \"test\": \"%s\", "
                                           "\"split\": \"B0-Inc2\", \"methods\": [\"nmc\", \"ranpac\"], "
                                           "\"ranpac_dim\": 100000", train, test);
  const char * const phrases[] = { "$.steps[0]: the class-incremental run would need about",
                                   "RanPAC's M×M matrices: 240.0 GB", "Lower $.steps[0].ranpac_dim (now 100000",
                                   "would fit in all of this memory", NULL };

  expect_refusal (dir, "64G", step, phrases);
  vt_test_rm_rf (dir);
}

static void
test_memory_project (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *store = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"project\", \"store\": \"%s\", \"method\": \"pca\"", store);
  g_autofree char *tsne = g_strdup_printf ("\"kind\": \"project\", \"store\": \"%s\", \"perplexity\": 100", store);
  const char * const phrases[] = { "$.steps[0]: PCA of 2000 samples would need about", "PCA's D×D matrices", "Lower $.steps[0].samples", NULL };
  const char * const tsne_phrases[] = { "t-SNE's neighbour affinities", "$.steps[0].perplexity (now 100: 301 neighbours",
                                        NULL };

  /* Too little for a 64-wide store's PCA, and for t-SNE's 301 neighbours
   * of each of the store's points. */
  expect_refusal (dir, "100K", step, phrases);
  expect_refusal (dir, "10M", tsne, tsne_phrases);
  vt_test_rm_rf (dir);
}

static void
test_memory_forward (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *weights = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *io = vt_test_asset ("reference/openclip/clip_vit.io.safetensors");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\", "
                                           "\"images\": \"input.pixel_values\", \"taps\": [\"attention\"]",
                                           weights, io);
  g_autofree char *input_phrase = g_strdup_printf ("Put fewer images or texts in %s", io);
  const char * const phrases[] = { "$.steps[0]: running the model on", "the image tower's activations and taps",
                                   input_phrase, "$.steps[0].taps", NULL };

  expect_refusal (dir, "1K", step, phrases);
  vt_test_rm_rf (dir);
}

/* The backward pass keeps every activation and its gradient: a budget
 * that the forward pass fits in but that is refused for "gradients". */
static void
test_memory_forward_gradients (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *fixture = vt_test_fixture ("grad/net_cifar_resnet20.safetensors");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\", "
                                           "\"images\": \"input\", \"gradients\": {\"index\": [3, 8], \"wrt\": [\"input\"]}",
                                           ckpt, fixture);
  g_autofree char *input_phrase = g_strdup_printf ("Put fewer images in %s", fixture);
  const char * const phrases[] = { "$.steps[0].gradients: a backward pass on",
                                   "the activations kept for the backward pass, their gradients and the parameters'",
                                   input_phrase, NULL };

  expect_refusal (dir, "4M", step, phrases);
  vt_test_rm_rf (dir);
}

/* A 40000×2 image is well within the decoders' pixel limit, but resizing
 * its shorter side to 4096 would make it 81,920,000×4096: refused, naming
 * the image, before the resize allocates. */
static void
test_memory_wide_image (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = g_build_filename (dir, "wide", NULL);
  g_autofree char *class_dir = g_build_filename (data, "c0", NULL);
  g_autofree char *image = NULL;
  const guint32 width = 40000, height = 2, row = width * 3;
  gsize size = 54 + (gsize) row * height;
  g_autofree guint8 *bmp = g_malloc0 (size);
  guint32 fields[] = { size, 0, 54, 40, width, height };
  g_autofree char *step = NULL;
  g_autofree char *phrase = NULL;

  /* BITMAPFILEHEADER and BITMAPINFOHEADER: 24-bit, uncompressed, grey. */
  bmp[0] = 'B';
  bmp[1] = 'M';
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      guint32 le = GUINT32_TO_LE (fields[i]);
      memcpy (bmp + 2 + 4 * i, &le, 4);
    }
  bmp[26] = 1;    /* planes */
  bmp[28] = 24;   /* bits per pixel */
  memset (bmp + 54, 128, (gsize) row * height);
  g_mkdir_with_parents (class_dir, 0755);
  image = vt_test_write_file (class_dir, "wide.bmp", bmp, size);

  step = g_strdup_printf ("\"kind\": \"extract\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"batch\": 1, "
                          "\"transform\": {\"resize\": 4096, \"crop\": 32}", ckpt, data);
  phrase = g_strdup_printf ("%s: resizing this 40000×2 image to 4096 pixels on its shorter side would make it "
                            "81920000×4096", image);
  {
    const char * const phrases[] = { phrase, "lower the transform's resize", NULL };
    expect_refusal (dir, NULL, step, phrases);
  }
  vt_test_rm_rf (dir);
}

/* One extract step of @checkpoint over @data, its store in @dir, with
 * @extra members. */
static char *
extract_spec (const char *checkpoint,
              const char *data,
              const char *dir,
              const char *extra)
{
  return g_strdup_printf ("{\"steps\": [{\"kind\": \"extract\", \"id\": \"x\", \"checkpoint\": \"%s\", "
                          "\"dataset\": \"%s\", \"split\": \"test\", \"store\": \"%s/store.safetensors\"%s}]}",
                          checkpoint, data, dir, extra);
}

static void
expect_batch_error (Result     *r,
                    int         status,
                    const char *phrase)
{
  g_assert_cmpint (r->status, ==, status);
  if (strstr (r->err, phrase) == NULL)
    g_error ("stderr lacks “%s”: %s", phrase, r->err);
}

/* Files that are not what they should be, through the real binary: a FIFO
 * as the checkpoint or the spec (each used to block open() forever; the
 * child's alarm turns that into a failure), a crop_pct in config.json or
 * in the spec that no resize can follow (1e-9 reached an undefined
 * float-to-int conversion and the resize was dropped), a mean beyond
 * float's range. */
static void
test_bad_files (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *fifo = g_build_filename (dir, "fifo.safetensors", NULL);
  g_autofree char *fifo_spec = g_build_filename (dir, "fifo-spec.json", NULL);
  g_autofree char *model_dir = g_build_filename (dir, "model", NULL);
  g_autofree char *config = g_build_filename (model_dir, "config.json", NULL);
  g_autofree char *ckpt = NULL;
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (mkfifo (fifo_spec, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (model_dir, 0700), ==, 0);
  ckpt = vt_test_copy (asset, model_dir, "model.safetensors");

  {
    g_auto(Result) r = { 0 };
    g_autofree char *text = extract_spec (fifo, data, dir, "");
    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine_within (&r, 30, "--batch", spec, "--output", out, NULL);
    expect_batch_error (&r, 1, "fifo.safetensors: is a FIFO, not a regular file");
  }
  {
    g_auto(Result) r = { 0 };
    run_vitrine_within (&r, 30, "--batch", fifo_spec, "--output", out, NULL);
    expect_batch_error (&r, 2, "fifo-spec.json: is a FIFO, not a regular file");
  }
  {
    g_auto(Result) r = { 0 };
    g_autofree char *text = extract_spec (ckpt, data, dir, "");
    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    g_assert_true (g_file_set_contents (config, "{\"pretrained_cfg\": {\"crop_pct\": 1e-9}}", -1, NULL));
    run_vitrine_within (&r, 60, "--batch", spec, "--output", out, NULL);
    expect_batch_error (&r, 1, "config.json: $.pretrained_cfg: crop_pct 1e-09 is out of range");
  }
  {
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (config, "{\"pretrained_cfg\": {\"std\": [0.2, 0, 0.2], \"mean\": [0.5, 0.5, 0.5]}}", -1, NULL));
    run_vitrine_within (&r, 60, "--batch", spec, "--output", out, NULL);
    expect_batch_error (&r, 1, "config.json: $.pretrained_cfg.std[1] is 0; it must be from 1e-06 to 1000");
    g_assert_cmpint (g_unlink (config), ==, 0);
  }
  {
    g_auto(Result) r = { 0 };
    g_autofree char *text = extract_spec (ckpt, data, dir, ", \"transform\": {\"crop_pct\": 1e-9}");
    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine_within (&r, 60, "--batch", spec, "--output", out, NULL);
    /* Refused with the spec, before any step runs. */
    expect_batch_error (&r, 2, "$.steps[0].transform.crop_pct: expected a number above 0.1 and at most 1");
  }
  {
    g_auto(Result) r = { 0 };
    g_autofree char *text = extract_spec (ckpt, data, dir, ", \"transform\": {\"mean\": [1e300, 0, 0]}");
    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine_within (&r, 60, "--batch", spec, "--output", out, NULL);
    expect_batch_error (&r, 2, "$.steps[0].transform.mean[0]: expected a number from -1000 to 1000");
  }
  vt_test_rm_rf (dir);
}

/* A feature store of @n samples of @dim features in @n_classes classes,
 * of which the first @used have samples. */
static char *
write_store_full (const char *dir,
                  const char *name,
                  guint       n,
                  guint       dim,
                  guint       n_classes,
                  guint       used)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree float *features = g_new0 (float, MAX ((gsize) n * dim, 1));
  g_autofree gint64 *labels = g_new0 (gint64, MAX (n, 1));
  g_autofree gint64 *indices = g_new0 (gint64, MAX (n, 1));
  GString *names = g_string_new ("[");
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      labels[i] = i % used;
      indices[i] = i;
      for (guint d = 0; d < dim; d++)
        features[(gsize) i * dim + d] = (float) ((i * 7 + d * 3) % 11);
    }
  for (guint c = 0; c < n_classes; c++)
    g_string_append_printf (names, "%s\"c%u\"", c ? ", " : "", c);
  g_string_append_c (names, ']');
  {
    VtTensor tensors[3] = {
      { "features", VT_DTYPE_F32, 2, { n, dim }, (gsize) n * dim, sizeof (float) * n * dim, (const guint8 *) features },
      { "labels", VT_DTYPE_I64, 1, { n }, n, sizeof (gint64) * n, (const guint8 *) labels },
      { "indices", VT_DTYPE_I64, 1, { n }, n, sizeof (gint64) * n, (const guint8 *) indices },
    };
    const VtTensor *pointers[3] = { &tensors[0], &tensors[1], &tensors[2] };

    g_hash_table_insert (metadata, "format", "vitrine feature store 1");
    g_hash_table_insert (metadata, "class_names", names->str);
    g_assert_true (vt_safetensors_write (path, 3, pointers, metadata, &error));
  }
  g_string_free (names, TRUE);
  return path;
}

static char *
write_store (const char *dir,
             const char *name,
             guint       n,
             guint       dim,
             guint       n_classes)
{
  return write_store_full (dir, name, n, dim, n_classes, n_classes);
}

/* Stores that hold nothing to use: the message names the one at fault. */
static void
test_empty_stores (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *good = write_store (dir, "good.safetensors", 40, 8, 4);
  g_autofree char *empty = write_store (dir, "empty.safetensors", 0, 8, 4);
  g_autofree char *flat = write_store (dir, "flat.safetensors", 40, 0, 4);
  g_autofree char *no_samples = g_strdup_printf ("\"kind\": \"incremental\", \"train\": \"%s\", \"test\": \"%s\", "
                                                 "\"split\": \"B0-Inc2\"", good, empty);
  g_autofree char *no_features = g_strdup_printf ("\"kind\": \"incremental\", \"train\": \"%s\", \"test\": \"%s\", "
                                                  "\"split\": \"B0-Inc2\", \"methods\": [\"gda\"]", flat, flat);
  g_autofree char *project = g_strdup_printf ("\"kind\": \"project\", \"store\": \"%s\", \"method\": \"pca\"", flat);
  g_autofree char *empty_phrase = g_strdup_printf ("%s: the test feature store holds no samples", empty);
  /* Zero-wide stores are refused when they are read, for any step. */
  g_autofree char *flat_phrase = g_strdup_printf ("%s: not a Vitrine feature store: “features” is 0 wide", flat);
  const char * const empty_phrases[] = { empty_phrase, NULL };
  const char * const flat_phrases[] = { flat_phrase, NULL };
  const char * const project_phrases[] = { flat_phrase, NULL };

  expect_refusal (dir, NULL, no_samples, empty_phrases);
  expect_refusal (dir, NULL, no_features, flat_phrases);
  expect_refusal (dir, NULL, project, project_phrases);
  vt_test_rm_rf (dir);
}

/* Errors of an incremental run say which store and what to change. */
static void
test_incremental_messages (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *good = write_store (dir, "good.safetensors", 40, 8, 4);
  g_autofree char *half = write_store_full (dir, "half.safetensors", 40, 8, 4, 2);
  g_autofree char *gap = g_strdup_printf ("\"kind\": \"incremental\", \"train\": \"%s\", \"test\": \"%s\", "
                                          "\"split\": \"B0-Inc2\", \"order\": \"given\", \"methods\": [\"nmc\"]",
                                          half, good);
  g_autofree char *stores = g_strdup_printf ("%s (train) and %s (test): ", half, good);
  const char * const gap_phrases[] = { stores, "the train store has no samples of stage 2's classes (2 to 3",
                                       NULL };

  expect_refusal (dir, NULL, gap, gap_phrases);
  vt_test_rm_rf (dir);
}

/* A crop the model cannot take, and a checkpoint whose outputs are NaN:
 * the message names the checkpoint and what to change. */
static void
test_model_messages (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *nan_ckpt = g_build_filename (dir, "nan.safetensors", NULL);
  g_autofree char *tiny = g_strdup_printf ("\"kind\": \"extract\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"split\": \"test\", \"transform\": {\"crop\": 1}", ckpt, data);
  g_autofree char *nan = g_strdup_printf ("\"kind\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                          "\"split\": \"test\", \"batch\": 8", nan_ckpt, data);
  g_autofree char *tiny_phrase = g_strdup_printf ("%s: the input is 1×1 pixels; this ResNet needs at least 8×8 "
                                                  "(it was trained at 32×32)", ckpt);
  g_autofree char *nan_phrase = g_strdup_printf ("%s: the output “logits” is NaN for input 0 of the batch", nan_ckpt);
  g_autofree char *batch_phrase = g_strdup_printf ("%s, the batch of samples 0 to 7: ", data);
  const char * const tiny_phrases[] = { tiny_phrase, "Change $.steps[0].transform.crop (now 1)", NULL };
  const char * const nan_phrases[] = { nan_phrase, batch_phrase, "inspect step", NULL };

  /* The demo ResNet-20 with its classifier's bias made NaN. */
  {
    g_autofree char *contents = NULL;
    g_autoptr(JsonNode) header = NULL;
    gsize length;
    guint64 header_length;
    JsonArray *offsets;
    gint64 begin, end;

    g_assert_true (g_file_get_contents (ckpt, &contents, &length, NULL));
    memcpy (&header_length, contents, 8);
    header_length = GUINT64_FROM_LE (header_length);
    {
      g_autofree char *text = g_strndup (contents + 8, header_length);
      header = json_from_string (text, NULL);
    }
    offsets = json_object_get_array_member (json_object_get_object_member (json_node_get_object (header),
                                                                           "module.linear.bias"), "data_offsets");
    begin = json_array_get_int_element (offsets, 0);
    end = json_array_get_int_element (offsets, 1);
    for (gint64 at = begin; at < end; at += 4)
      {
        float value = NAN;
        memcpy (contents + 8 + header_length + at, &value, 4);
      }
    g_assert_true (g_file_set_contents (nan_ckpt, contents, length, NULL));
  }
  expect_refusal (dir, NULL, tiny, tiny_phrases);
  expect_refusal (dir, NULL, nan, nan_phrases);
  vt_test_rm_rf (dir);
}

/* Heads that do not divide the width, or that nothing gives: the message
 * says where the count came from and where to give it. */
static void
test_heads_messages (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *source = vt_test_fixture ("arch/timm-vit/model.safetensors");
  g_autofree char *config_source = vt_test_fixture ("arch/timm-vit/config.json");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *seven_dir = g_build_filename (dir, "seven", NULL);
  g_autofree char *none_dir = g_build_filename (dir, "none", NULL);
  g_autofree char *seven = NULL;
  g_autofree char *none = NULL;
  g_autofree char *config = NULL;

  g_mkdir_with_parents (seven_dir, 0755);
  g_mkdir_with_parents (none_dir, 0755);
  seven = vt_test_copy (source, seven_dir, "model.safetensors");
  none = vt_test_copy (source, none_dir, "model.safetensors");
  /* The fixture's config.json with 7 heads instead of 3. */
  {
    g_autofree char *path = g_build_filename (seven_dir, "config.json", NULL);
    GString *text = NULL;

    g_assert_true (g_file_get_contents (config_source, &config, NULL, NULL));
    text = g_string_new (config);
    g_assert_cmpuint (g_string_replace (text, "\"num_heads\": 3", "\"num_heads\": 7", 0), ==, 1);
    g_assert_true (g_file_set_contents (path, text->str, -1, NULL));
    g_string_free (text, TRUE);
  }
  {
    g_autofree char *step = g_strdup_printf ("\"kind\": \"extract\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                             "\"split\": \"test\"", seven, data);
    g_autofree char *phrase = g_strdup_printf ("%s: the image tower's width of 96 does not split into 7 attention "
                                               "heads (the count came from config.json)", seven);
    const char * const phrases[] = { phrase, "\"model_args\": {\"num_heads\": N}", NULL };

    expect_refusal (dir, NULL, step, phrases);
  }
  {
    g_autofree char *step = g_strdup_printf ("\"kind\": \"extract\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                             "\"split\": \"test\"", none, data);
    g_autofree char *phrase = g_strdup_printf ("%s: nothing says how many attention heads the image tower has", none);
    const char * const phrases[] = { phrase, "width of 96 is no multiple of 64", "a config.json beside the checkpoint",
                                     NULL };

    expect_refusal (dir, NULL, step, phrases);
  }
  vt_test_rm_rf (dir);
}

/* results.json says which kernels the products ran on, and on a CPU with
 * AVX2 they are AVX2 ones: on a CPU OpenBLAS does not know (it says
 * Prescott), the binary starts itself again with OPENBLAS_CORETYPE set. */
static void
test_blas_kernels (void)
{
  g_autofree char *source = g_strdup (g_getenv ("VITRINE_SOURCE_DIR"));
  g_autofree char *spec = g_build_filename (source, "data", "demo", "inspect-demo.json", NULL);
  g_autofree char *out = vt_test_tmpdir ();
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  JsonObject *blas;
  const char *core;
  gboolean avx2_fma = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");

  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  results = load_json (results_path);
  blas = json_object_get_object_member (json_node_get_object (results), "blas");
  g_assert_nonnull (blas);
  core = json_object_get_string_member (blas, "core");
  g_test_message ("OpenBLAS core: %s (CPU %s AVX2 and FMA)", core, avx2_fma ? "has" : "lacks");
  g_assert_cmpint (json_object_get_int_member (blas, "threads"), >=, 1);
  if (g_getenv ("OPENBLAS_CORETYPE") == NULL)
    g_assert_null (vt_blas_better_core (core, avx2_fma));
  if (avx2_fma)
    g_assert_cmpstr (core, !=, "Prescott");

  /* The same binary on a CPU OpenBLAS does not know. */
  {
    g_auto(Result) r2 = { 0 };
    g_autoptr(JsonNode) again = NULL;
    const char *user_core = g_getenv ("OPENBLAS_CORETYPE");

    g_autofree char *asan_options = g_strdup (g_getenv ("ASAN_OPTIONS"));
    g_autofree char *preload_options = g_strdup_printf ("%s%sverify_asan_link_order=0", asan_options ? asan_options : "",
                                                        asan_options ? ":" : "");

    g_setenv ("LD_PRELOAD", g_getenv ("VITRINE_PRETEND_PRESCOTT"), TRUE);
    /* The preloaded library is not built with the sanitizers: ASan would
     * refuse to start after it. */
    g_setenv ("ASAN_OPTIONS", preload_options, TRUE);
    run_vitrine (&r2, "--batch", spec, "--output", out, NULL);
    g_unsetenv ("LD_PRELOAD");
    if (asan_options)
      g_setenv ("ASAN_OPTIONS", asan_options, TRUE);
    else
      g_unsetenv ("ASAN_OPTIONS");
    g_assert_cmpint (r2.status, ==, 0);
    again = load_json (results_path);
    blas = json_object_get_object_member (json_node_get_object (again), "blas");
    g_test_message ("OpenBLAS core pretending Prescott: %s", json_object_get_string_member (blas, "core"));
    if (user_core != NULL)
      /* What the user set is theirs: no restart, OpenBLAS's own choice. */
      g_assert_cmpstr (json_object_get_string_member (blas, "core"), ==, core);
    else if (avx2_fma)
      g_assert_cmpstr (json_object_get_string_member (blas, "core"), ==, "Haswell");
    else
      g_assert_cmpstr (json_object_get_string_member (blas, "core"), ==, "Prescott");
  }
}

/* SIGINT and SIGTERM cancel a long run as the window's Cancel does: the
 * process exits 1 soon after, run.log says it was cancelled, and no
 * results.json claims to be the run's. */
static void
test_signal_cancels (void)
{
  static const int signals[] = { SIGINT, SIGTERM };
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *store = g_build_filename (dir, "train.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *log_path = g_build_filename (out, "run.log", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  /* 50,000 JPEGs through ResNet-20: a minute or more on two cores. */
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"extract\", \"id\": \"x\", \"checkpoint\": \"%s\", "
                                           "\"dataset\": \"%s\", \"split\": \"train\", \"store\": \"%s\"}]}",
                                           ckpt, data, store);

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  /* A run that does not stop fails here instead of hanging to meson's timeout. */
  alarm (120);
  for (guint s = 0; s < G_N_ELEMENTS (signals); s++)
    {
      const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GDataInputStream) err = NULL;
      g_autoptr(GString) rest = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *log = NULL;
      gint64 sent = 0, ended;
      char *line;

      process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
      g_assert_no_error (error);
      err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
      /* Signal once the extraction reports progress, so it is mid-run. */
      while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
        {
          gboolean started = strstr (line, "\"event\":\"progress\"") != NULL;

          g_string_append_printf (rest, "%s\n", line);
          g_free (line);
          if (started)
            break;
        }
      g_assert_no_error (error);
      g_assert_nonnull (strstr (rest->str, "\"progress\""));
      sent = g_get_monotonic_time ();
      g_subprocess_send_signal (process, signals[s]);
      while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
        {
          g_string_append_printf (rest, "%s\n", line);
          g_free (line);
        }
      g_subprocess_wait (process, NULL, &error);
      ended = g_get_monotonic_time ();
      g_assert_no_error (error);
      g_test_message ("signal %d: exited %.0f ms after it; stderr:\n%s", signals[s], (ended - sent) / 1e3, rest->str);
      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
      /* Between two batches of 64 images, plus the process's teardown. */
      g_assert_cmpint (ended - sent, <, 5 * G_USEC_PER_SEC);
      g_assert_nonnull (strstr (rest->str, "cancelling the run"));
      g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
      g_assert_nonnull (strstr (log, "cancelled during step x"));
      g_assert_false (g_file_test (results_path, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (store, G_FILE_TEST_EXISTS));
    }
  alarm (0);
  vt_test_rm_rf (dir);
}

typedef struct
{
  GCancellable  *cancellable;
  guint          calls;
  VtFigureFormats formats;   /* of the first call */
} FigureCalls;

/* Stands for a slow figure: the user cancels while it is drawn. */
static gboolean
cancelling_writer (const VtFigure   *figure,
                   const char       *base_path,
                   VtFigureFormats   formats,
                   gpointer          user_data,
                   GError          **error)
{
  FigureCalls *calls = user_data;

  if (calls->calls++ == 0)
    calls->formats = formats;
  g_cancellable_cancel (calls->cancellable);
  return TRUE;
}

/* A Cancel while one format of a figure is drawn stops the run before the
 * next format (each of PNG, SVG and PDF of many points takes seconds). */
static void
test_figure_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *store = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *spec_path = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"project\", \"id\": \"pca\", \"store\": \"%s\", "
                                           "\"method\": \"pca\", \"formats\": [\"png\", \"svg\", \"pdf\"]}]}", store);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = NULL;
  FigureCalls calls = { cancellable, 0, 0 };
  VtRunOptions options = { .write_figure = cancelling_writer, .figure_data = &calls };

  g_assert_true (g_file_set_contents (spec_path, text, -1, NULL));
  spec = vt_spec_load (spec_path, &error);
  g_assert_no_error (error);
  g_assert_false (vt_run_execute (spec, out, &options, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (calls.calls, ==, 1);
  g_assert_cmpuint (calls.formats, ==, VT_FIGURE_FORMAT_PNG);
  g_assert_false (g_file_test (results, G_FILE_TEST_EXISTS));
  vt_test_rm_rf (dir);
}

/* Every map of the 10,000 CIFAR-10 test images at once would take about
 * 460 MB: refused under a 100 MB limit before the first image, naming
 * the keys that lower it. */
static void
test_memory_attention (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"attention\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"split\": \"test\", \"mass_mask\": true", vit, cifar);
  const char * const phrases[] = { "$.steps[0]: the attention maps of 10000 images of 32×32 pixels",
                                   "the maps and the input, every image's", "$.steps[0].samples",
                                   "$.steps[0].heads", NULL };

  expect_refusal (dir, "100M", step, phrases);
  vt_test_rm_rf (dir);
}

/* Runs one attention step, given as the keys after "kind", in @dir. */
static void
run_attention_spec (Result      *r,
                    const char  *dir,
                    const char  *keys)
{
  g_autofree char *json = g_strdup_printf ("{\"steps\": [{\"kind\": \"attention\", %s}]}", keys);
  g_autofree char *spec = g_build_filename (dir, "attention.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_true (g_file_set_contents (spec, json, -1, NULL));
  run_vitrine (r, "--batch", spec, "--output", out, NULL);
}

/* The largest difference between @name of @maps and @want of the fixture,
 * which hold the same values in other shapes (a grid, or its rows). */
static double
attention_difference (VtCheckpoint *maps,
                      const char   *name,
                      VtCheckpoint *fixture,
                      const char   *want)
{
  const VtTensor *a = vt_checkpoint_lookup (maps, name);
  const VtTensor *b = vt_checkpoint_lookup (fixture, want);
  g_autofree float *x = NULL;
  g_autofree float *y = NULL;
  double worst = 0;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (a->numel, ==, b->numel);
  x = vt_tensor_dup_float (a);
  y = vt_tensor_dup_float (b);
  for (gsize i = 0; i < a->numel; i++)
    worst = MAX (worst, fabs ((double) x[i] - y[i]));
  return worst;
}

/* The "attention" step on the timm DeiT fixture's two images (class and
 * distillation tokens): every map it writes is named and shaped as
 * results.json lists it, and holds what PyTorch computed from the same
 * input (tests/reference/make_attention_fixtures.py); then image files and
 * dataset samples as the input. */
static void
test_attention (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *deit = vt_test_asset ("reference/timm/deit_distilled.safetensors");
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *fixture_path = vt_test_fixture ("attention/deit_distilled.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "maps-attention.safetensors", NULL);
  static const struct
  {
    const char  *name;
    gint64       shape[4];
  } expected[] = {
    { "input.pixel_values", { 2, 3, 32, 32 } },
    { "blocks.1.heads", { 2, 4, 4, 4 } },
    { "blocks.1.heads.image", { 2, 4, 32, 32 } },
    { "rollout", { 2, 4, 4 } },
    { "rollout.image", { 2, 32, 32 } },
    { "rollout_compat", { 2, 4, 4 } },
    { "rollout_compat.image", { 2, 32, 32 } },
    { "mass_mask", { 2, 4, 4, 4 } },
    { "mass_mask.image", { 2, 4, 32, 32 } },
  };
  double worst = 0;

  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"maps\", \"checkpoint\": \"%s\", \"input\": \"%s\", "
                                             "\"images\": \"input.pixel_values\", \"heads\": [1], "
                                             "\"rollout\": {\"fusion\": \"max\", \"discard_ratio\": 0.9}, "
                                             "\"mass_mask\": {\"share\": 0.6}, \"compat\": true", deit, fixture_path);
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    g_autoptr(VtCheckpoint) maps = NULL;
    g_autoptr(VtCheckpoint) fixture = NULL;
    g_autoptr(GError) error = NULL;
    JsonObject *step;
    JsonArray *listing;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    results = load_json (results_path);
    step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
    g_assert_cmpstr (json_object_get_string_member (step, "output"), ==, "maps-attention.safetensors");
    g_assert_cmpint (json_object_get_int_member (step, "prefix_tokens"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (step, "layers"), ==, 2);
    listing = json_object_get_array_member (step, "maps");
    g_assert_cmpuint (json_array_get_length (listing), ==, G_N_ELEMENTS (expected));
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vt_checkpoint_get_n_tensors (maps), ==, G_N_ELEMENTS (expected));
    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        JsonObject *entry = json_array_get_object_element (listing, i);
        JsonArray *shape = json_object_get_array_member (entry, "shape");
        const VtTensor *t = vt_checkpoint_lookup (maps, expected[i].name);

        g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, expected[i].name);
        g_assert_nonnull (t);
        g_assert_cmpuint (json_array_get_length (shape), ==, t->ndim);
        for (guint d = 0; d < t->ndim; d++)
          {
            g_assert_cmpint (t->shape[d], ==, expected[i].shape[d]);
            g_assert_cmpint (json_array_get_int_element (shape, d), ==, expected[i].shape[d]);
          }
      }
    fixture = vt_checkpoint_open (fixture_path, &error);
    g_assert_no_error (error);
    worst = MAX (worst, attention_difference (maps, "input.pixel_values", fixture, "input.pixel_values"));
    worst = MAX (worst, attention_difference (maps, "blocks.1.heads", fixture, "class_map.blocks.1"));
    worst = MAX (worst, attention_difference (maps, "rollout", fixture, "class_map.rollout.max.discard0.9.start0"));
    worst = MAX (worst, attention_difference (maps, "rollout_compat", fixture,
                                              "compat.max.discard0.9.start0.compat"));
    worst = MAX (worst, attention_difference (maps, "mass_mask", fixture, "mass_mask.blocks.1"));
    g_test_message ("attention: the maps of DeiT's two images are PyTorch's within %.3g", worst);
    g_assert_cmpfloat (worst, <=, 1e-5);
    /* Per image the grid of heads, the rollout over the image and over
     * the patch grid, in every format. */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (step, "figures")), ==, 2 * 3 * 3);
    for (guint i = 0; i < 2; i++)
      for (guint f = 0; f < 3; f++)
        {
          static const char * const kinds[] = { "grid", "overlay", "rollout" };
          g_autofree char *name = g_strdup_printf ("maps-%s-%u.png", kinds[f], i);
          g_autofree char *figure = g_build_filename (out, "figures", name, NULL);

          g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));
        }
    /* The overlay shows the rollout at the image's size over the input
     * with its normalization (DeiT's ImageNet mean and std) undone. */
    {
      g_autoptr(GPtrArray) figures = vt_report_step_figures ("attention", step, out, &error);
      const VtTensor *overlay = vt_checkpoint_lookup (maps, "rollout.image");
      const VtTensor *pixels = vt_checkpoint_lookup (maps, "input.pixel_values");
      static const double mean[3] = { 0.485, 0.456, 0.406 }, std[3] = { 0.229, 0.224, 0.225 };
      const VtFigure *figure = NULL;
      g_autofree float *want_map = vt_tensor_dup_float (overlay);
      g_autofree float *want_pixels = vt_tensor_dup_float (pixels);

      g_assert_no_error (error);
      for (guint i = 0; i < figures->len; i++)
        if (g_str_equal (((VtReportFigure *) g_ptr_array_index (figures, i))->name, "maps-overlay-1"))
          figure = ((VtReportFigure *) g_ptr_array_index (figures, i))->figure;
      g_assert_nonnull (figure);
      g_assert_cmpint (figure->kind, ==, VT_FIGURE_OVERLAY);
      g_assert_cmpuint (figure->rows, ==, 32);
      g_assert_cmpuint (figure->cols, ==, 32);
      for (guint p = 0; p < 32 * 32; p++)
        g_assert_cmpfloat (figure->values[p], ==, want_map[32 * 32 + p]);
      for (guint p = 0; p < 3 * 32 * 32; p++)
        g_assert_cmpfloat_with_epsilon (figure->image[p], want_pixels[3 * 32 * 32 + p] * std[p / 1024] + mean[p / 1024],
                                        1e-6);
    }
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"files\": [\"%s\"], \"heads\": [0]", vit, cat);
    g_autofree char *default_path = g_build_filename (out, "attention-attention.safetensors", NULL);
    g_auto(Result) r = { 0 };
    g_autoptr(VtCheckpoint) maps = NULL;
    g_autoptr(GError) error = NULL;
    const VtTensor *rollout;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    maps = vt_checkpoint_open (default_path, &error);
    g_assert_no_error (error);
    /* The default: the heads asked for and the rollout. */
    g_assert_nonnull (vt_checkpoint_lookup (maps, "blocks.0.heads"));
    g_assert_null (vt_checkpoint_lookup (maps, "blocks.1.heads"));
    g_assert_null (vt_checkpoint_lookup (maps, "mass_mask"));
    rollout = vt_checkpoint_lookup (maps, "rollout");
    g_assert_nonnull (rollout);
    g_assert_cmpint (rollout->shape[0], ==, 1);
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\", "
                                             "\"samples\": [9999, 0], \"heads\": false", vit, cifar);
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    JsonObject *step;
    JsonArray *images;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    results = load_json (results_path);
    step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
    images = json_object_get_array_member (step, "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 2);
    g_assert_true (g_str_has_suffix (json_array_get_string_element (images, 0), "test/truck/0999.jpg"));
    g_assert_true (g_str_has_suffix (json_array_get_string_element (images, 1), "test/airplane/0000.jpg"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (step, "maps")), ==, 3);
  }
  vt_test_rm_rf (dir);
}

/* A prompt for the OpenCLIP fixture's text tower: alone, the step writes
 * every layer's heads and fusions and the rollout over the layers, equal to
 * PyTorch's (tests/reference/make_text_attention_fixture.py), the tokens'
 * labels in results.json and the file's metadata, and one token × token
 * figure per layer and one of the rollout, with the labels on both axes and
 * the upper triangle empty; beside image files, the image maps as well; a
 * Hugging Face CLIPModel folder with its own vocabulary gives its
 * reference's maps. A prompt for a model without a text tower, or a blank
 * one, a rollout start layer the text tower lacks and a text rollout
 * without a prompt are refused at their JSON path. */
static void
test_attention_text (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *clip = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *fixture_path = vt_test_fixture ("attention/text.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "words-attention.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
  g_autoptr(JsonNode) want_labels = NULL;
  JsonArray *labels;
  guint t;

  g_assert_no_error (error);
  want_labels = vt_json_parse (g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "labels.cat"), -1,
                               fixture_path, &error);
  g_assert_no_error (error);
  labels = json_node_get_array (want_labels);
  t = json_array_get_length (labels);
  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"words\", \"checkpoint\": \"%s\", "
                                             "\"prompt\": \"a photo of a cat.\"", clip);
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    g_autoptr(VtCheckpoint) maps = NULL;
    g_autoptr(GPtrArray) figures = NULL;
    g_autoptr(JsonNode) stored_labels = NULL;
    JsonObject *step, *text;
    JsonArray *tokens;
    double worst = 0;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    results = load_json (results_path);
    step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
    g_assert_false (json_object_has_member (step, "images"));
    text = json_object_get_object_member (step, "text");
    g_assert_cmpstr (json_object_get_string_member (text, "prompt"), ==, "a photo of a cat.");
    g_assert_cmpint (json_object_get_int_member (text, "layers"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (text, "heads"), ==, 2);
    tokens = json_object_get_array_member (text, "tokens");
    g_assert_cmpuint (json_array_get_length (tokens), ==, t);
    for (guint i = 0; i < t; i++)
      g_assert_cmpstr (json_array_get_string_element (tokens, i), ==, json_array_get_string_element (labels, i));
    /* Every layer's heads and the three fusions, and the rollout, nothing else. */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (step, "maps")), ==, 2 * 4 + 1);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (text, "rollout"), "fusion"), ==,
                     "mean");

    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vt_checkpoint_get_n_tensors (maps), ==, 2 * 4 + 1);
    stored_labels = vt_json_parse (g_hash_table_lookup (vt_checkpoint_get_metadata (maps), "text.tokens"), -1,
                                   maps_path, &error);
    g_assert_no_error (error);
    g_assert_true (json_node_equal (stored_labels, want_labels));
    for (int l = 0; l < 2; l++)
      {
        static const char * const parts[] = { "heads", "mean", "max", "min" };

        for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
          {
            g_autofree char *name = g_strdup_printf ("text.blocks.%d.%s", l, parts[p]);
            g_autofree char *want = g_strdup_printf ("cat.text.blocks.%d.%s", l, parts[p]);
            const VtTensor *m = vt_checkpoint_lookup (maps, name);

            g_assert_nonnull (m);
            g_assert_cmpint (m->shape[0], ==, 1);
            g_assert_cmpint (m->shape[m->ndim - 1], ==, t);
            worst = MAX (worst, attention_difference (maps, name, fixture, want));
          }
      }
    worst = MAX (worst, attention_difference (maps, "text.rollout", fixture, "cat.text.rollout.mean.start0"));
    g_test_message ("attention: the text tower's maps are PyTorch's within %.3g", worst);
    g_assert_cmpfloat (worst, <=, 1e-5);

    for (int l = 0; l < 2; l++)
      for (guint f = 0; f < 3; f++)
        {
          static const char * const formats[] = { "png", "svg", "pdf" };
          g_autofree char *name = g_strdup_printf ("words-text-layer-%d.%s", l, formats[f]);
          g_autofree char *figure = g_build_filename (out, "figures", name, NULL);

          g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));
        }
    for (guint f = 0; f < 3; f++)
      {
        static const char * const formats[] = { "png", "svg", "pdf" };
        g_autofree char *name = g_strdup_printf ("words-text-rollout.%s", formats[f]);
        g_autofree char *figure = g_build_filename (out, "figures", name, NULL);

        g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));
      }
    figures = vt_report_step_figures ("attention", step, out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (figures->len, ==, 3);
    {
      const VtFigure *figure = ((VtReportFigure *) g_ptr_array_index (figures, 2))->figure;
      g_autofree float *rollout = vt_tensor_dup_float (vt_checkpoint_lookup (maps, "text.rollout"));

      g_assert_cmpstr (((VtReportFigure *) g_ptr_array_index (figures, 2))->name, ==, "words-text-rollout");
      g_assert_cmpuint (figure->rows, ==, t);
      for (guint q = 0; q < t; q++)
        for (guint k = 0; k < t; k++)
          if (k > q)
            g_assert_true (isnan (figure->values[q * t + k]));
          else
            g_assert_cmpfloat (figure->values[q * t + k], ==, rollout[q * t + k]);
    }
    {
      const VtFigure *figure = ((VtReportFigure *) g_ptr_array_index (figures, 1))->figure;
      g_autofree float *mean = vt_tensor_dup_float (vt_checkpoint_lookup (maps, "text.blocks.1.mean"));

      g_assert_cmpstr (((VtReportFigure *) g_ptr_array_index (figures, 1))->name, ==, "words-text-layer-1");
      g_assert_cmpint (figure->kind, ==, VT_FIGURE_HEATMAP);
      g_assert_cmpuint (figure->rows, ==, t);
      g_assert_cmpuint (figure->cols, ==, t);
      for (guint i = 0; i < t; i++)
        {
          g_assert_cmpstr (figure->row_labels[i], ==, json_array_get_string_element (labels, i));
          g_assert_cmpstr (figure->col_labels[i], ==, json_array_get_string_element (labels, i));
        }
      for (guint q = 0; q < t; q++)
        for (guint k = 0; k < t; k++)
          if (k > q)
            g_assert_true (isnan (figure->values[q * t + k]));
          else
            g_assert_cmpfloat (figure->values[q * t + k], ==, mean[q * t + k]);
    }
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"words\", \"checkpoint\": \"%s\", \"files\": [\"%s\"], "
                                             "\"heads\": [1], \"rollout\": false, \"prompt\": \"a photo of a cat.\"",
                                             clip, cat);
    g_auto(Result) r = { 0 };
    g_autoptr(VtCheckpoint) maps = NULL;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    g_assert_nonnull (vt_checkpoint_lookup (maps, "blocks.1.heads"));
    g_assert_nonnull (vt_checkpoint_lookup (maps, "text.blocks.1.heads"));
    g_assert_cmpfloat (attention_difference (maps, "text.blocks.1.heads", fixture, "cat.text.blocks.1.heads"), <=, 1e-5);
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"words\", \"checkpoint\": \"%s\", \"prompt\": \"a photo of a "
                                             "cat.\", \"text_rollout\": {\"fusion\": \"max\", \"start_layer\": 1}",
                                             clip);
    g_auto(Result) r = { 0 };
    g_autoptr(VtCheckpoint) maps = NULL;

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (attention_difference (maps, "text.rollout", fixture, "cat.text.rollout.max.start1"), <=, 1e-5);
  }
  {
    /* A Hugging Face CLIPModel folder with the reference's vocabulary beside it. */
    g_autofree char *model_dir = g_build_filename (dir, "hf", NULL);
    g_autofree char *hf = vt_test_fixture ("forward/hf_clip_full");
    g_autofree char *vocab = vt_test_fixture ("attention/hf-vocab");
    g_autofree char *hf_fixture_path = vt_test_fixture ("attention/text-hf-full.safetensors");
    g_autoptr(VtCheckpoint) hf_fixture = vt_checkpoint_open (hf_fixture_path, &error);
    g_autofree char *keys = NULL;
    g_auto(Result) r = { 0 };
    g_autoptr(VtCheckpoint) maps = NULL;
    double worst;
    static const char * const files[][2] = {
      { "hf", "model.safetensors" }, { "hf", "config.json" }, { "vocab", "vocab.json" }, { "vocab", "merges.txt" },
    };

    g_assert_no_error (error);
    g_assert_cmpint (g_mkdir_with_parents (model_dir, 0700), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *source = g_build_filename (strcmp (files[i][0], "hf") == 0 ? hf : vocab, files[i][1], NULL);
        g_free (vt_test_copy (source, model_dir, files[i][1]));
      }
    keys = g_strdup_printf ("\"id\": \"words\", \"checkpoint\": \"%s/model.safetensors\", \"prompt\": "
                            "\"two dogs in a photo of a cat\"", model_dir);
    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    worst = attention_difference (maps, "text.blocks.1.heads", hf_fixture, "dogs.text.blocks.1.heads");
    worst = MAX (worst, attention_difference (maps, "text.rollout", hf_fixture, "dogs.text.rollout.mean.start0"));
    g_test_message ("attention: a Hugging Face CLIPModel's text maps are PyTorch's within %.3g", worst);
    g_assert_cmpfloat (worst, <=, 1e-5);
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"prompt\": \"a cat\", "
                                             "\"text_rollout\": {\"start_layer\": 2}", clip);
    g_auto(Result) r = { 0 };

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "$.steps[0].text_rollout.start_layer: layer 2 does not exist: the text tower "
                                     "has 2 layers (0 to 1)"));
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"files\": [\"%s\"], \"text_rollout\": true",
                                             vit, cat);
    g_auto(Result) r = { 0 };

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].text_rollout: "));
    g_assert_nonnull (strstr (r.err, "give “prompt”"));
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"prompt\": \"a cat\"", vit);
    g_auto(Result) r = { 0 };

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "$.steps[0].prompt: "));
    g_assert_nonnull (strstr (r.err, vit));
    g_assert_nonnull (strstr (r.err, "has no text tower"));
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"prompt\": \"  \"", clip);
    g_auto(Result) r = { 0 };

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].prompt: expected some text"));
  }
  {
    /* The images' options with a prompt alone would do nothing. */
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"prompt\": \"a cat\", \"heads\": [0]", clip);
    g_auto(Result) r = { 0 };

    run_attention_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "$.steps[0].heads: this is of the images' maps"));
  }
  vt_test_rm_rf (dir);
}

/* A layer that does not exist is named by its JSON path with the layer
 * count; a model without attention, by its checkpoint; bad keys by their
 * path; an unreadable image by its file. */
static void
test_attention_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *avg = vt_test_asset ("reference/timm/vit_avg.safetensors");
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *broken = vt_test_write_file (dir, "broken.jpg", "\xff\xd8\xff\xe0 not a JPEG", 16);
  static const struct
  {
    const char  *keys;     /* after "checkpoint"; @IMAGE@: an image, @BROKEN@: not one, @DATA@: CIFAR-10 */
    int          which;    /* 0: the ViT, 1: the ResNet, 2: the average-pooled ViT */
    int          status;
    const char  *message;
  } cases[] = {
    { "\"files\": [\"@IMAGE@\"], \"heads\": [0, 2]", 0, 1,
      "$.steps[0].heads[1]: layer 2 does not exist: the model has 2 layers (0 to 1)" },
    { "\"files\": [\"@IMAGE@\"], \"rollout\": {\"start_layer\": 5}", 0, 1,
      "$.steps[0].rollout.start_layer: layer 5 does not exist: the model has 2 layers (0 to 1)" },
    { "\"files\": [\"@IMAGE@\"], \"mass_mask\": {\"layer\": 2}", 0, 1,
      "$.steps[0].mass_mask.layer: layer 2 does not exist: the model has 2 layers" },
    { "\"files\": [\"@IMAGE@\"]", 1, 1, "has no attention layers to map" },
    { "\"files\": [\"@IMAGE@\"]", 2, 1, "has no class token" },
    { "\"files\": [\"@IMAGE@\"], \"rollout\": {\"discard_ratio\": 1}", 0, 2,
      "$.steps[0].rollout.discard_ratio: expected a number from 0 to below 1" },
    { "\"files\": [\"@IMAGE@\"], \"rollout\": {\"fusion\": \"median\"}", 0, 2, "$.steps[0].rollout.fusion" },
    { "\"files\": [\"@IMAGE@\"], \"heads\": [-1]", 0, 2, "$.steps[0].heads[0]: expected a layer index" },
    { "\"files\": [\"@IMAGE@\"], \"heads\": [1, 0, 1]", 0, 2, "$.steps[0].heads[2]: layer 1 is listed already" },
    { "\"files\": [\"@IMAGE@\"], \"rollout\": false, \"compat\": true", 0, 2, "$.steps[0].compat" },
    { "\"files\": [\"@IMAGE@\"], \"heads\": false, \"rollout\": false", 0, 2, "$.steps[0]: no maps asked for" },
    { "\"heads\": true", 0, 2, "$.steps[0]: give the images one way" },
    { "\"files\": [\"@IMAGE@\"], \"samples\": [0]", 0, 2, "$.steps[0].samples: this is of a dataset" },
    { "\"input\": \"x.safetensors\"", 0, 2, "$.steps[0].input: name the (N, 3, H, W) tensor" },
    { "\"dataset\": \"@DATA@\", \"split\": \"test\", \"samples\": [10000]", 0, 1,
      "$.steps[0].samples[0]: sample 10000 does not exist" },
    { "\"files\": [\"@IMAGE@\", \"@BROKEN@\"]", 0, 1, "broken.jpg" },
    { "\"files\": [\"@IMAGE@\"], \"skip_unreadable\": true", 0, 2, "$.steps[0].skip_unreadable: the attention step" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) rest = g_string_new (cases[i].keys);
      g_autofree char *keys = NULL;
      g_auto(Result) r = { 0 };

      g_string_replace (rest, "@IMAGE@", cat, 0);
      g_string_replace (rest, "@BROKEN@", broken, 0);
      g_string_replace (rest, "@DATA@", cifar, 0);
      keys = g_strdup_printf ("\"checkpoint\": \"%s\", %s",
                              cases[i].which == 1 ? resnet : cases[i].which == 2 ? avg : vit, rest->str);
      run_attention_spec (&r, dir, keys);
      if (r.status != cases[i].status || strstr (r.err, cases[i].message) == NULL)
        g_error ("case %u: status %d, expected %d with “%s”; stderr: %s", i, r.status, cases[i].status,
                 cases[i].message, r.err);
      if (cases[i].which == 1)
        g_assert_nonnull (strstr (r.err, resnet));
    }
  vt_test_rm_rf (dir);
}

/* The values of one metric series in `vitrine --batch`'s event lines (stderr), in order. */
static GArray *
metric_values (const char *events,
               const char *series)
{
  g_auto(GStrv) lines = g_strsplit (events, "\n", -1);
  g_autofree char *wanted = g_strdup_printf ("\"series\":\"%s\"", series);
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; lines[i]; i++)
    if (strstr (lines[i], "\"event\":\"metric\"") && strstr (lines[i], wanted))
      {
        g_autoptr(JsonParser) parser = json_parser_new ();
        double y;

        g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
        y = json_object_get_double_member (json_node_get_object (json_parser_get_root (parser)), "y");
        g_array_append_val (values, y);
      }
  return values;
}

static guint
metric_values_len_free (GArray *values)
{
  guint n = values->len;

  g_array_unref (values);
  return n;
}

/* The "train" step on the head of the demo ResNet-20 (20 CIFAR-10 images,
 * 2 epochs, augmented): the checkpoint, config, table and figures are
 * written; the trained head differs from the source's and nothing else
 * does; an "evaluate" step on the trained checkpoint gives the test
 * accuracy results.json states for the last epoch. */
static void
test_train_head (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *trained = g_build_filename (out, "tr", "model.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"epochs\": 2, "
    "\"batch\": 8, \"lr\": 0.05, \"augment\": {\"pad\": 4, \"flip\": true}, \"formats\": [\"png\"]}, "
    "{\"kind\": \"evaluate\", \"id\": \"ev\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\", "
    "\"formats\": [\"png\"]}]}", ckpt, data, trained, data);
  g_autoptr(GArray) losses = NULL;
  g_autoptr(GArray) test_accuracy = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) before = NULL;
  g_autoptr(VtCheckpoint) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_auto(Result) r = { 0 };
  JsonArray *steps, *epochs;
  JsonObject *train, *evaluate;
  guint changed = 0;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  /* 20 images in batches of 8: 3 steps an epoch, a loss and a rate each. */
  losses = metric_values (r.err, "loss");
  test_accuracy = metric_values (r.err, "test_accuracy");
  g_assert_cmpuint (losses->len, ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "lr")), ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "train_accuracy")), ==, 2);
  g_assert_cmpuint (test_accuracy->len, ==, 2);

  results = load_json (results_path);
  steps = json_object_get_array_member (json_node_get_object (results), "steps");
  train = json_array_get_object_element (steps, 0);
  evaluate = json_array_get_object_element (steps, 1);
  epochs = json_object_get_array_member (train, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, 2);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (train, "head"), "kept"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (train, "batchnorm"), "eval mode"));
  g_assert_cmpint (json_object_get_int_member (train, "trained_parameters"), ==, 64 * 10 + 10);
  g_assert_cmpfloat (json_object_get_double_member (train, "test_accuracy"), ==,
                     g_array_index (test_accuracy, double, 1));
  g_assert_cmpfloat (json_object_get_double_member (evaluate, "top1"), ==,
                     json_object_get_double_member (train, "test_accuracy"));
  g_test_message ("train: losses %.4f to %.4f, test accuracy %.3f, and evaluate on the trained checkpoint %.3f",
                  g_array_index (losses, double, 0), g_array_index (losses, double, 5),
                  json_object_get_double_member (train, "test_accuracy"),
                  json_object_get_double_member (evaluate, "top1"));
  assert_file_starts_with (out, "tr-metrics.csv", "epoch,loss,train_accuracy,test_accuracy\n1,", 42);
  assert_file_starts_with (out, "tr/config.json", "{", 1);
  assert_file_starts_with (out, "figures/tr-loss.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/tr-accuracy.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/tr-loss-per-step.png", "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpstr (json_object_get_string_member (train, "steps_table"), ==, "tr-steps.csv");
  {
    /* The steps table: one row per step with the loss the event said, to the table's six digits. */
    g_autofree char *steps_path = g_build_filename (out, "tr-steps.csv", NULL);
    g_autofree char *steps_text = NULL;
    g_auto(GStrv) rows = NULL;

    g_assert_true (g_file_get_contents (steps_path, &steps_text, NULL, NULL));
    rows = g_strsplit (steps_text, "\n", -1);
    g_assert_cmpstr (rows[0], ==, "step,epoch,loss,lr");
    g_assert_cmpuint (g_strv_length (rows), ==, 1 + 6 + 1);
    for (guint i = 0; i < 6; i++)
      {
        g_auto(GStrv) fields = g_strsplit (rows[1 + i], ",", -1);

        g_assert_cmpuint (g_strv_length (fields), ==, 4);
        g_assert_cmpint (atoi (fields[0]), ==, (int) i);
        g_assert_cmpint (atoi (fields[1]), ==, (int) (i / 3 + 1));
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (fields[2], NULL), g_array_index (losses, double, i),
                                        5e-6 * g_array_index (losses, double, i));
      }
  }

  before = vt_checkpoint_open (ckpt, &error);
  g_assert_no_error (error);
  after = vt_checkpoint_open (trained, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (after), ==, vt_checkpoint_get_n_tensors (before));
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (before); i++)
    {
      const VtTensor *a = vt_checkpoint_get_tensor (before, i);
      const VtTensor *b = vt_checkpoint_lookup (after, a->name);

      g_assert_nonnull (b);
      g_assert_cmpuint (a->nbytes, ==, b->nbytes);
      if (memcmp (a->data, b->data, a->nbytes) != 0)
        {
          g_assert_true (g_str_has_prefix (a->name, "module.linear."));
          changed++;
        }
    }
  g_assert_cmpuint (changed, ==, 2);
  vt_test_rm_rf (dir);
}

/* The number of tensors whose bytes differ between @a and @b, and of those
 * the ones named *.running_mean or *.running_var. */
static guint
count_changed (VtCheckpoint *a,
               VtCheckpoint *b,
               guint        *running)
{
  guint changed = 0;

  *running = 0;
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (a), ==, vt_checkpoint_get_n_tensors (b));
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (a); i++)
    {
      const VtTensor *x = vt_checkpoint_get_tensor (a, i);
      const VtTensor *y = vt_checkpoint_lookup (b, x->name);

      g_assert_nonnull (y);
      g_assert_cmpuint (x->nbytes, ==, y->nbytes);
      if (memcmp (x->data, y->data, x->nbytes) == 0)
        continue;
      changed++;
      if (g_str_has_suffix (x->name, ".running_mean") || g_str_has_suffix (x->name, ".running_var"))
        (*running)++;
    }
  return changed;
}

/* "batchnorm": one epoch of the head of ResNet-20 with "eval" keeps every
 * running statistic of the source checkpoint; with "train" all 19
 * BatchNorms' running_mean and running_var move (the head trains in both);
 * results.json says which. A ViT has no BatchNorm: "train" runs and says
 * it changed nothing. A mode that is neither is a spec error. */
static void
test_train_batchnorm (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"train\", \"id\": \"eval\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
    "\"batch\": 8, \"batchnorm\": \"eval\", \"formats\": [\"png\"]}, "
    "{\"kind\": \"train\", \"id\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
    "\"batch\": 8, \"batchnorm\": \"train\", \"formats\": [\"png\"]}]}", ckpt, data, ckpt, data);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *eval_path = g_build_filename (out, "eval", "model.safetensors", NULL);
  g_autofree char *train_path = g_build_filename (out, "train", "model.safetensors", NULL);
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) source = NULL;
  g_autoptr(VtCheckpoint) eval = NULL;
  g_autoptr(VtCheckpoint) train = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) r = { 0 };
  JsonArray *steps;
  guint changed, running;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  if (r.status != 0)
    g_error ("exit %d, stderr: %s", r.status, r.err);
  results = load_json (results_path);
  steps = json_object_get_array_member (json_node_get_object (results), "steps");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (json_array_get_object_element (steps, 0),
                                                                  "batchnorm"), "eval mode"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (json_array_get_object_element (steps, 1),
                                                                  "batchnorm"), "train mode"));
  /* the spec's echo names the mode, so the run reruns as it ran */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (
                     json_object_get_object_member (json_node_get_object (results), "spec"), "steps"), 1),
                   "batchnorm"), ==, "train");
  source = vt_checkpoint_open (ckpt, &error);
  g_assert_no_error (error);
  eval = vt_checkpoint_open (eval_path, &error);
  g_assert_no_error (error);
  train = vt_checkpoint_open (train_path, &error);
  g_assert_no_error (error);
  changed = count_changed (source, eval, &running);
  g_assert_cmpuint (running, ==, 0);
  g_assert_cmpuint (changed, ==, 2);          /* linear.weight and linear.bias */
  changed = count_changed (source, train, &running);
  g_test_message ("batchnorm train: %u tensors changed, %u of them running statistics", changed, running);
  g_assert_cmpuint (running, ==, 2 * 19);
  g_assert_cmpuint (changed, ==, 2 + 2 * 19);
  vt_test_rm_rf (out);

  /* a ViT (5 classes: a folder of c0 … c4) takes "train" as nothing to change */
  {
    g_autofree char *vit = vt_test_fixture ("arch/timm-vit/model.safetensors");
    g_autofree char *image = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
    g_autofree char *folder = g_build_filename (dir, "five", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *vit_text = NULL;
    g_autoptr(JsonNode) vit_results = NULL;
    g_auto(Result) v = { 0 };
    gsize length;

    g_assert_true (g_file_get_contents (image, &contents, &length, NULL));
    for (guint split = 0; split < 2; split++)
      for (guint c = 0; c < 5; c++)
        {
          g_autofree char *name = g_strdup_printf ("c%u", c);
          g_autofree char *class_dir = g_build_filename (folder, split ? "test" : "train", name, NULL);
          g_autofree char *copy = g_build_filename (class_dir, "a.jpg", NULL);

          g_mkdir_with_parents (class_dir, 0755);
          g_assert_true (g_file_set_contents (copy, contents, length, NULL));
        }
    vit_text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                "\"batchnorm\": \"train\", \"formats\": [\"png\"]}]}", vit, folder);
    g_assert_true (g_file_set_contents (spec, vit_text, -1, NULL));
    run_vitrine (&v, "--batch", spec, "--output", out, NULL);
    if (v.status != 0)
      g_error ("ViT: exit %d, stderr: %s", v.status, v.err);
    vit_results = load_json (results_path);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (
                       json_node_get_object (vit_results), "steps"), 0), "batchnorm"), ==,
                     "none: the model has no BatchNorm, so \"train\" changed nothing");
    vt_test_rm_rf (out);
  }
  vt_test_rm_rf (dir);
}

/* Every step's loss of fine-tuning the whole ResNet-20 with SGD, in the
 * stored order without augmentation, is PyTorch's (make_train_fixture.py)
 * within 1e-3 relative. */
static void
test_train_reference (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *fixture = vt_test_fixture ("train/resnet20-sgd-losses.json");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autoptr(JsonNode) reference = load_json (fixture);
  JsonObject *ref = json_node_get_object (reference);
  JsonArray *ref_losses = json_object_get_array_member (ref, "losses");
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"trains\": \"all\", "
    "\"epochs\": %d, \"batch\": %d, \"optimizer\": \"sgd\", \"lr\": %.17g, \"momentum\": %.17g, "
    "\"weight_decay\": %.17g, \"label_smoothing\": %.17g, \"shuffle\": false, \"formats\": [\"png\"]}]}",
    ckpt, data, (int) json_object_get_int_member (ref, "epochs"), (int) json_object_get_int_member (ref, "batch"),
    json_object_get_double_member (ref, "lr"), json_object_get_double_member (ref, "momentum"),
    json_object_get_double_member (ref, "weight_decay"), json_object_get_double_member (ref, "label_smoothing"));
  g_autoptr(GArray) losses = NULL;
  g_auto(Result) r = { 0 };
  double worst = 0.0;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  losses = metric_values (r.err, "loss");
  g_assert_cmpuint (losses->len, ==, json_array_get_length (ref_losses));
  g_assert_cmpuint (losses->len, >=, 20);
  for (guint i = 0; i < losses->len; i++)
    {
      double expected = json_array_get_double_element (ref_losses, i);
      double relative = fabs (g_array_index (losses, double, i) - expected) / fabs (expected);

      g_assert_true (isfinite (relative));
      worst = MAX (worst, relative);
    }
  g_test_message ("train: %u steps of SGD on the whole ResNet-20, largest relative loss difference from "
                  "PyTorch %.2e", losses->len, worst);
  g_assert_cmpfloat (worst, <=, 1e-3);
  vt_test_rm_rf (dir);
}

/* A loss that overflows stops the run (exit 1) naming the step and batch,
 * and writes no checkpoint; options out of range are spec errors (exit 2)
 * naming the JSON path. */
static void
test_train_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  static const struct { const char *keys; int status; const char *message; } cases[] = {
    { "\"trains\": \"all\", \"lr\": 1e30, \"batch\": 8", 1,
      "$.steps[0]: the loss became NaN at step 1 (epoch 1, batch 2 of 3); lower $.steps[0].lr (now 1e+30)" },
    { "\"momentum\": 1.5", 2, "$.steps[0].momentum: 1.5 is not in [0, 1)" },
    { "\"lr\": 0", 2, "$.steps[0].lr" },
    { "\"trains\": \"everything\"", 2, "$.steps[0].trains: “everything” is not one of head, last_blocks, norms, all" },
    { "\"augment\": {\"pad\": 100}", 2, "$.steps[0].augment.pad" },
    { "\"augment\": {\"rotate\": 10}", 2, "rotate" },
    { "\"schedule\": \"multistep\"", 2, "$.steps[0].milestones: the \"multistep\" schedule needs a list of epochs" },
    { "\"milestones\": [2, 1], \"schedule\": \"multistep\"", 2, "$.steps[0].milestones[1]" },
    { "\"warmup_epochs\": 3", 2, "$.steps[0].warmup_epochs" },
    { "\"label_smoothing\": 1", 2, "$.steps[0].label_smoothing: 1 is not in [0, 1)" },
    { "\"batch\": 0", 2, "$.steps[0].batch: expected an integer from 1 to 1024" },
    { "\"batchnorm\": \"training\"", 2, "$.steps[0].batchnorm: “training” is not one of eval, train" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": "
                                               "\"%s\", \"dataset\": \"%s\", \"epochs\": 3, %s, "
                                               "\"formats\": [\"png\"]}]}", ckpt, data, cases[i].keys);
      g_autofree char *model = g_build_filename (out, "tr", "model.safetensors", NULL);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      if (r.status != cases[i].status || strstr (r.err, cases[i].message) == NULL)
        g_error ("%s: exit %d, stderr: %s", cases[i].keys, r.status, r.err);
      g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
      vt_test_rm_rf (out);
    }
  /* Fashion-MNIST's ten classes fit the head; a CIFAR-100 folder would not. */
  {
    g_autofree char *hundred = vt_test_fixture ("datasets/cifar100-bin");
    g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"checkpoint\": \"%s\", "
                                             "\"dataset\": \"%s\", \"formats\": [\"png\"]}]}", ckpt, hundred);
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    if (r.status == 0 || strstr (r.err, "$.steps[0].dataset: ") == NULL ||
        strstr (r.err, "but the model's head has 10 outputs") == NULL)
      g_error ("CIFAR-100: exit %d, stderr: %s", r.status, r.err);
  }
  /* BatchNorm in training mode refuses one value per channel, as PyTorch
   * does ("Expected more than 1 value per channel when training"): one
   * image at 32×32 leaves the torchvision ResNet's layer4 a 1×1 map; at
   * 64×64 (2×2), PyTorch and the step train on one image. */
  {
    g_autofree char *tv = vt_test_fixture ("forward/tv_resnet/model.safetensors");
    g_autofree char *image = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
    g_autofree char *folder = g_build_filename (dir, "five", NULL);
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (image, &contents, &length, NULL));
    for (guint split = 0; split < 2; split++)
      for (guint c = 0; c < 5; c++)
        {
          g_autofree char *name = g_strdup_printf ("c%u", c);
          g_autofree char *class_dir = g_build_filename (folder, split ? "test" : "train", name, NULL);
          g_autofree char *copy = g_build_filename (class_dir, "a.jpg", NULL);

          g_mkdir_with_parents (class_dir, 0755);
          g_assert_true (g_file_set_contents (copy, contents, length, NULL));
        }
    for (int size = 32; size <= 64; size += 32)
      {
        g_autofree char *text = g_strdup_printf (
          "{\"steps\": [{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
          "\"batch\": 1, \"batchnorm\": \"train\", \"transform\": {\"resize\": %d, \"crop\": %d}, "
          "\"formats\": [\"png\"]}]}", tv, folder, size, size);
        g_autofree char *model = g_build_filename (out, "tr", "model.safetensors", NULL);
        g_auto(Result) r = { 0 };

        g_assert_true (g_file_set_contents (spec, text, -1, NULL));
        run_vitrine (&r, "--batch", spec, "--output", out, NULL);
        if (size == 32 &&
            (r.status != 1 || strstr (r.err, "$.steps[0].batch: epoch 1, batch 1 of 5, of size 1: layer4.0.bn2: ") == NULL ||
             strstr (r.err, ": BatchNorm in training mode needs more than 1 value per channel, but a batch of 1 "
                            "image over its 1×1 map gives it 1; use a batch of at least 2 images") == NULL))
          g_error ("one image at 32×32: exit %d, stderr: %s", r.status, r.err);
        if (size == 64 && r.status != 0)
          g_error ("one image at 64×64: exit %d, stderr: %s", r.status, r.err);
        g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS) == (size == 64));
        vt_test_rm_rf (out);
      }
  }
  vt_test_rm_rf (dir);
}

/* Classes named c0 … c9 are not the model's CIFAR-10 classes: the head
 * starts anew (results.json says so) and the trained checkpoint's
 * config.json names the dataset's classes, so evaluate takes it by name. */
static void
test_train_new_head (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *good = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *data = g_build_filename (dir, "renamed", NULL);
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *trained = g_build_filename (out, "tr", "model.safetensors", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(JsonNode) config = NULL;
  g_autofree char *config_path = g_build_filename (out, "tr", "config.json", NULL);
  g_auto(Result) r = { 0 };
  JsonArray *steps, *names;
  gsize length;

  g_assert_true (g_file_get_contents (good, &contents, &length, NULL));
  for (guint split = 0; split < 2; split++)
    for (guint c = 0; c < 10; c++)
      {
        g_autofree char *name = g_strdup_printf ("c%u", c);
        g_autofree char *class_dir = g_build_filename (data, split ? "test" : "train", name, NULL);
        g_autofree char *copy = g_build_filename (class_dir, "a.jpg", NULL);

        g_mkdir_with_parents (class_dir, 0755);
        g_assert_true (g_file_set_contents (copy, contents, length, NULL));
      }
  text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                          "\"batch\": 5, \"formats\": [\"png\"]}, {\"kind\": \"evaluate\", \"checkpoint\": \"%s\", "
                          "\"dataset\": \"%s\", \"split\": \"test\", \"formats\": [\"png\"]}]}", ckpt, data, trained, data);
  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  results = load_json (results_path);
  steps = json_object_get_array_member (json_node_get_object (results), "steps");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (json_array_get_object_element (steps, 0), "head"),
                                   "new: the dataset's classes are not the model's"));
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (steps, 1), "top1"), ==,
                     json_object_get_double_member (json_array_get_object_element (steps, 0), "test_accuracy"));
  config = load_json (config_path);
  names = json_object_get_array_member (json_node_get_object (config), "label_names");
  g_assert_cmpuint (json_array_get_length (names), ==, 10);
  g_assert_cmpstr (json_array_get_string_element (names, 9), ==, "c9");
  /* Without train/ and test/ the folder is one set: refused. */
  {
    g_autofree char *flat = g_build_filename (data, "train", NULL);
    g_autofree char *flat_text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"checkpoint\": \"%s\", "
                                                  "\"dataset\": \"%s\", \"formats\": [\"png\"]}]}", ckpt, flat);
    g_auto(Result) refused = { 0 };

    g_assert_true (g_file_set_contents (spec, flat_text, -1, NULL));
    run_vitrine (&refused, "--batch", spec, "--output", out, NULL);
    g_assert_cmpint (refused.status, !=, 0);
    g_assert_nonnull (strstr (refused.err, "$.steps[0].dataset: "));
    g_assert_nonnull (strstr (refused.err, "has no train and test splits"));
  }
  vt_test_rm_rf (dir);
}

/* Cancel (SIGINT) mid-run stops within a step, exits 1, and leaves the
 * checkpoint of the last finished epoch, which reopens. */
static void
test_train_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *trained = g_build_filename (out, "tr", "model.safetensors", NULL);
  /* 3 steps an epoch: far more epochs than the test waits for. */
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": \"%s\", "
                                           "\"dataset\": \"%s\", \"epochs\": 10000, \"batch\": 8, \"formats\": [\"png\"]}]}",
                                           ckpt, data);
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) reopened = NULL;
  gint64 sent, ended;
  char *line;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  alarm (120);
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  /* Signal once the first epoch is evaluated (and saved), mid-way through the second. */
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
    {
      gboolean second = strstr (line, "\"series\":\"loss\",\"x_name\":\"step\",\"x\":4.0") != NULL;

      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
      if (second)
        break;
    }
  g_assert_no_error (error);
  sent = g_get_monotonic_time ();
  g_subprocess_send_signal (process, SIGINT);
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
    {
      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
    }
  g_subprocess_wait (process, NULL, &error);
  ended = g_get_monotonic_time ();
  alarm (0);
  g_assert_no_error (error);
  g_test_message ("train: exited %.0f ms after SIGINT", (ended - sent) / 1e3);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_cmpint (ended - sent, <, 5 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (rest->str, "\"series\":\"test_accuracy\",\"x_name\":\"epoch\",\"x\":1.0"));
  reopened = vt_checkpoint_open (trained, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_lookup (reopened, "module.linear.weight"));
  vt_test_rm_rf (dir);
}

/* A batch whose activations do not fit is refused before training,
 * naming the batch key. */
static void
test_memory_train (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"train\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"batch\": 1024", ckpt, data);
  const char * const phrases[] = { "$.steps[0]: training on batches of 1024 images",
                                   "the activations kept for the backward pass, their gradients and the parameters'",
                                   "Lower $.steps[0].batch", NULL };

  expect_refusal (dir, "64M", step, phrases);
  vt_test_rm_rf (dir);
}

/* The "comet" step on ResNet-20 as the detector (20 CIFAR-10 training
 * images, 2 epochs of 3 steps, a ResNet-8 predictor and a selector of
 * width 8): every file is written and reopens, and what results.json
 * states is what the files give: the maps are σ(S(x)) of the saved
 * selector on the saved images, the test accuracies those of the saved
 * predictor on x ⊙ m and of the detector on x ⊙ (1 − m), and each epoch's
 * mean L1 the mean of its steps' events. */
static char *
comet_spec (const char *ckpt,
            const char *data,
            const char *more)
{
  return g_strdup_printf ("{\"steps\": [{\"kind\": \"comet\", \"id\": \"cm\", \"detector\": \"%s\", \"dataset\": "
                          "\"%s\", \"epochs\": 2, \"batch\": 8, \"seed\": 5%s%s, \"formats\": [\"png\"]}]}",
                          ckpt, data, more ? ", " : "", more ? more : "");
}

static guint
count_hits (VtTrainable  *net,
            const float  *pixels,
            const gint64 *labels,
            int           n,
            int           size)
{
  g_autoptr(GError) error = NULL;
  const VtTapeNode *logits;
  guint hits = 0;

  g_assert_true (vt_trainable_forward (net, pixels, n, size, size, &error));
  g_assert_no_error (error);
  logits = vt_trainable_lookup_tap (net, "logits");
  for (int i = 0; i < n; i++)
    {
      const float *row = logits->value + (gsize) i * logits->shape[1];
      int best = 0;

      for (int c = 1; c < logits->shape[1]; c++)
        if (row[c] > row[best])
          best = c;
      hits += best == labels[i];
    }
  return hits;
}

static void
test_comet_run (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *text = comet_spec (ckpt, data, "\"predictor_depth\": 8, \"selector_width\": 8, "
                                      "\"warmup_epochs\": 1, \"milestones\": [2]");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *selector_path = g_build_filename (out, "cm-selector.safetensors", NULL);
  g_autofree char *predictor_path = g_build_filename (out, "cm-predictor.safetensors", NULL);
  g_autofree char *initial_path = g_build_filename (out, "cm-predictor-initial.safetensors", NULL);
  g_autofree char *maps_path = g_build_filename (out, "cm-maps.safetensors", NULL);
  g_autoptr(GArray) l1 = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCometSelector) selector = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) predictor_checkpoint = NULL;
  g_autoptr(VtCheckpoint) initial = NULL;
  g_autoptr(VtCheckpoint) detector_checkpoint = NULL;
  g_autoptr(VtArchitecture) predictor_arch = NULL;
  g_autoptr(VtArchitecture) detector_arch = NULL;
  g_autoptr(VtTrainable) predictor = NULL;
  g_autoptr(VtTrainable) detector = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *masked_in = NULL;
  g_autofree float *masked_out = NULL;
  g_autofree gint64 *labels = NULL;
  g_auto(Result) r = { 0 };
  const VtTensor *mask, *pixels, *targets;
  JsonObject *comet;
  JsonArray *epochs;
  double largest = 0.0;
  int n, size;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  if (r.status != 0)
    g_error ("exit %d: %s", r.status, r.err);
  /* 20 images in batches of 8: 3 steps an epoch */
  l1 = metric_values (r.err, "l1");
  g_assert_cmpuint (l1->len, ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "l2")), ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "hinge")), ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "area")), ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "detector_accuracy")), ==, 6);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "test_detector_accuracy")), ==, 2);
  g_assert_cmpuint (metric_values_len_free (metric_values (r.err, "test_predictor_accuracy")), ==, 2);
  g_assert_nonnull (strstr (r.err, "\"event\":\"tensor\""));

  results = load_json (results_path);
  comet = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  epochs = json_object_get_array_member (comet, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, 2);
  g_assert_cmpint (json_object_get_int_member (comet, "epochs_finished"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (comet, "predictor_architecture"), ==, "resnet8");
  for (guint e = 0; e < 2; e++)
    {
      double mean = (8 * g_array_index (l1, double, 3 * e) + 8 * g_array_index (l1, double, 3 * e + 1) +
                     4 * g_array_index (l1, double, 3 * e + 2)) / 20;
      double stated = json_object_get_double_member (json_array_get_object_element (epochs, e), "l1");

      g_assert_cmpfloat (fabs (mean - stated), <, 1e-5 * fabs (stated) + 1e-5);
    }

  /* the selector reopens, and its masks of the stored images are the maps */
  selector = vt_comet_selector_open (selector_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vt_comet_selector_get_width (selector), ==, 8);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  mask = vt_checkpoint_lookup (maps, "comet");
  pixels = vt_checkpoint_lookup (maps, "input.pixel_values");
  targets = vt_checkpoint_lookup (maps, "targets");
  g_assert_nonnull (mask);
  g_assert_nonnull (pixels);
  g_assert_nonnull (targets);
  g_assert_nonnull (vt_checkpoint_lookup (maps, "predicted"));
  g_assert_nonnull (g_hash_table_lookup (vt_checkpoint_get_metadata (maps), "comet.definition"));
  n = (int) mask->shape[0];
  size = (int) mask->shape[1];
  g_assert_cmpint (n, ==, json_object_get_int_member (comet, "test_images"));
  g_assert_cmpint (pixels->shape[0], ==, n);
  {
    const float *logits = vt_comet_selector_forward (selector, (const float *) pixels->data, n, size, size);
    const float *stored = (const float *) mask->data;
    double area = 0.0;

    for (gsize i = 0; i < mask->numel; i++)
      {
        double m = 1.0 / (1.0 + exp (-(double) logits[i]));

        largest = MAX (largest, fabs (m - stored[i]));
        area += stored[i];
      }
    g_test_message ("maps against the reopened selector: largest difference %.3g", largest);
    g_assert_cmpfloat (largest, <, 1e-6);
    g_assert_cmpfloat (fabs (area / mask->numel - json_object_get_double_member (comet, "test_area")), <, 1e-5);
  }

  /* the saved predictor on x ⊙ m and the detector on x ⊙ (1 − m) score what results.json says */
  masked_in = g_new (float, pixels->numel);
  masked_out = g_new (float, pixels->numel);
  labels = g_new (gint64, n);
  for (int i = 0; i < n; i++)
    {
      gsize plane = (gsize) size * size;

      labels[i] = (gint64) vt_dtype_read_double (targets->dtype, targets->data, i);
      for (int c = 0; c < 3; c++)
        for (gsize p = 0; p < plane; p++)
          {
            gsize at = ((gsize) i * 3 + c) * plane + p;
            float m = ((const float *) mask->data)[(gsize) i * plane + p];

            masked_in[at] = ((const float *) pixels->data)[at] * m;
            masked_out[at] = ((const float *) pixels->data)[at] * (1.0f - m);
          }
    }
  predictor_checkpoint = vt_checkpoint_open (predictor_path, &error);
  g_assert_no_error (error);
  predictor_arch = vt_architecture_recognize (predictor_checkpoint);
  g_assert_cmpint (predictor_arch->depth, ==, 8);
  predictor = vt_trainable_new (predictor_checkpoint, predictor_arch, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat ((double) count_hits (predictor, masked_in, labels, n, size) / n, ==,
                     json_object_get_double_member (comet, "test_predictor_accuracy"));
  detector_checkpoint = vt_checkpoint_open (ckpt, &error);
  g_assert_no_error (error);
  detector_arch = vt_architecture_recognize (detector_checkpoint);
  detector = vt_trainable_new (detector_checkpoint, detector_arch, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat ((double) count_hits (detector, masked_out, labels, n, size) / n, ==,
                     json_object_get_double_member (comet, "test_detector_accuracy"));
  /* and the predictor trained: its weights are not the initial ones */
  initial = vt_checkpoint_open (initial_path, &error);
  g_assert_no_error (error);
  {
    const VtTensor *a = vt_checkpoint_lookup (initial, "linear.weight");
    const VtTensor *b = vt_checkpoint_lookup (predictor_checkpoint, "linear.weight");

    g_assert_cmpuint (a->nbytes, ==, b->nbytes);
    g_assert_true (memcmp (a->data, b->data, a->nbytes) != 0);
  }
  assert_file_starts_with (out, "cm-epochs.csv", "epoch,l1,l2,hinge,area,loss,", 28);
  assert_file_starts_with (out, "cm-steps.csv", "step,epoch,l1,l2,hinge,area,loss,lr\n0,1,", 40);
  assert_file_starts_with (out, "figures/cm-losses.png", "\x89PNG\r\n\x1a\n", 8);
  assert_file_starts_with (out, "figures/cm-test.png", "\x89PNG\r\n\x1a\n", 8);
  vt_test_rm_rf (dir);
}

/* Specs the step refuses, each naming its key; and a dataset whose
 * classes the detector's head does not have. */
static void
test_comet_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  static const struct { const char *keys; int status; const char *message; } cases[] = {
    { "\"tau\": 1.5", 2, "$.steps[0].tau: 1.5 is not in [0, 1]" },
    { "\"a\": -1", 2, "$.steps[0].a: -1 is not in [0, 1e+06]" },
    { "\"predictor_depth\": 21", 2, "$.steps[0].predictor_depth: a CIFAR ResNet has 6n + 2 layers" },
    { "\"selector_width\": 0", 2, "$.steps[0].selector_width" },
    { "\"detector_batchnorm\": \"training\"", 2, "$.steps[0].detector_batchnorm: “training” is not one of eval, train" },
    { "\"checkpoint\": \"x\"", 2, "checkpoint" },
    { "\"warmup_epochs\": 2", 2, "$.steps[0].warmup_epochs" },
    { "\"milestones\": [3]", 2, "$.steps[0].milestones[0]: not an epoch from 1 to 2" },
    { "\"lr\": 1e30, \"predictor_depth\": 8", 1, "$.steps[0]: epoch 1, batch 2 of 3: COMET's loss became" },
    { "\"transform\": {\"resize\": 30, \"crop\": 30}", 1,
      "$.steps[0].transform: images of 30 × 30 pixels: COMET's selector halves them twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = comet_spec (ckpt, data, cases[i].keys);
      g_autofree char *selector = g_build_filename (out, "cm-selector.safetensors", NULL);
      g_auto(Result) r = { 0 };

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      run_vitrine (&r, "--batch", spec, "--output", out, NULL);
      if (r.status != cases[i].status || strstr (r.err, cases[i].message) == NULL)
        g_error ("%s: exit %d, stderr: %s", cases[i].keys, r.status, r.err);
      g_assert_false (g_file_test (selector, G_FILE_TEST_EXISTS));
      vt_test_rm_rf (out);
    }
  /* no detector at all */
  {
    g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"comet\", \"dataset\": \"%s\"}]}", data);
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    if (r.status != 2 || strstr (r.err, "$.steps[0].detector") == NULL)
      g_error ("no detector: exit %d, stderr: %s", r.status, r.err);
  }
  /* CIFAR-100's classes are not ResNet-20's ten */
  {
    g_autofree char *hundred = vt_test_fixture ("datasets/cifar100-bin");
    g_autofree char *text = comet_spec (ckpt, hundred, "\"predictor_depth\": 8");
    g_auto(Result) r = { 0 };

    g_assert_true (g_file_set_contents (spec, text, -1, NULL));
    run_vitrine (&r, "--batch", spec, "--output", out, NULL);
    if (r.status == 0 || strstr (r.err, "$.steps[0].dataset: ") == NULL ||
        strstr (r.err, "but the detector's head has 10 outputs") == NULL)
      g_error ("CIFAR-100: exit %d, stderr: %s", r.status, r.err);
  }
  vt_test_rm_rf (dir);
}

/* Cancel during the second epoch: the run stops within seconds, and the
 * first epoch's files are there and reopen. */
static void
test_comet_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *selector_path = g_build_filename (out, "cm-selector.safetensors", NULL);
  g_autofree char *predictor_path = g_build_filename (out, "cm-predictor.safetensors", NULL);
  g_autofree char *maps_path = g_build_filename (out, "cm-maps.safetensors", NULL);
  g_autofree char *csv_path = g_build_filename (out, "cm-epochs.csv", NULL);
  /* 3 steps an epoch: far more epochs than the test waits for. */
  g_autofree char *text = g_strdup_printf ("{\"steps\": [{\"kind\": \"comet\", \"id\": \"cm\", \"detector\": \"%s\", "
                                           "\"dataset\": \"%s\", \"epochs\": 10000, \"batch\": 8, "
                                           "\"predictor_depth\": 8, \"formats\": [\"png\"]}]}", ckpt, data);
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCometSelector) selector = NULL;
  g_autoptr(VtCheckpoint) predictor = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autofree char *csv = NULL;
  gint64 sent, ended;
  char *line;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  alarm (120);
  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  /* Signal mid-way through the second epoch, the first one saved. */
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
    {
      gboolean second = strstr (line, "\"series\":\"l1\",\"x_name\":\"step\",\"x\":4.0") != NULL;

      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
      if (second)
        break;
    }
  g_assert_no_error (error);
  sent = g_get_monotonic_time ();
  g_subprocess_send_signal (process, SIGINT);
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
    {
      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
    }
  g_subprocess_wait (process, NULL, &error);
  ended = g_get_monotonic_time ();
  alarm (0);
  g_assert_no_error (error);
  g_test_message ("comet: exited %.0f ms after SIGINT", (ended - sent) / 1e3);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_cmpint (ended - sent, <, 5 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (rest->str, "\"series\":\"test_area\",\"x_name\":\"epoch\",\"x\":1.0"));
  selector = vt_comet_selector_open (selector_path, &error);
  g_assert_no_error (error);
  predictor = vt_checkpoint_open (predictor_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_lookup (predictor, "linear.weight"));
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_lookup (maps, "comet"));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_nonnull (strstr (csv, "\n1,"));
  vt_test_rm_rf (dir);
}

/* A batch whose activations do not fit is refused before training. */
static void
test_memory_comet (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"comet\", \"detector\": \"%s\", \"dataset\": \"%s\", "
                                           "\"batch\": 1024", ckpt, data);
  const char * const phrases[] = { "$.steps[0]: COMET on batches of 1024 images",
                                   "the predictor's activations, their gradients and its parameters'",
                                   "Lower $.steps[0].batch", NULL };

  expect_refusal (dir, "64M", step, phrases);
  vt_test_rm_rf (dir);
}

/* The "glyphs" step: a spurious glyph dataset on the CIFAR-10 JPEGs, in
 * the run's folder by default; results.json's counts, histograms and
 * agreement are those of the files it wrote (placements.csv), the reader
 * opens it with its masks, and a "train" step in the same spec fine-tunes
 * ResNet-20's head on it. */
static void
test_glyphs (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *dataset = g_build_filename (out, "gl", NULL);
  g_autofree char *placements = g_build_filename (dataset, "placements.csv", NULL);
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"glyph_dataset\", \"id\": \"gl\", \"backgrounds\": \"%s\", \"train_images\": 200, "
    "\"test_images\": 100, \"spurious\": true, \"agreement\": 0.8, \"seed\": 4, \"glyph_min\": 20, \"color\": [255, 255, 0]}, "
    "{\"kind\": \"train\", \"id\": \"tr\", \"checkpoint\": \"%s\", \"dataset\": \"out/gl\", \"batch\": 50, "
    "\"formats\": [\"png\"]}]}", backgrounds, ckpt);
  g_autoptr(JsonNode) results = NULL;
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(Result) r = { 0 };
  guint counts[2][10] = { { 0 } }, agree[2] = { 0 }, n[2] = { 0 };
  JsonObject *glyphs, *splits;

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "\"message\":\"rendering train images (0 of 300)\""));

  g_assert_true (g_file_get_contents (placements, &csv, NULL, NULL));
  lines = g_strsplit (g_strchomp (csv), "\n", -1);
  for (guint i = 1; lines[i]; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], ",", -1);
      guint s = g_str_equal (f[0], "test"), label = atoi (f[2]);

      n[s]++;
      counts[s][label]++;
      agree[s] += (guint) atoi (f[5]) == label;
      g_assert_cmpstr (f[9], ==, "255");
      g_assert_cmpstr (f[11], ==, "0");
    }
  g_assert_cmpuint (n[0], ==, 200);
  g_assert_cmpuint (n[1], ==, 100);

  results = load_json (results_path);
  glyphs = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
  g_assert_cmpstr (json_object_get_string_member (glyphs, "id"), ==, "gl");
  g_assert_cmpstr (json_object_get_string_member (glyphs, "dataset"), ==, dataset);
  g_assert_cmpstr (json_object_get_string_member (glyphs, "placements"), ==, placements);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (glyphs, "classes")), ==, 10);
  splits = json_object_get_object_member (glyphs, "splits");
  for (guint s = 0; s < 2; s++)
    {
      JsonObject *split = json_object_get_object_member (splits, s ? "test" : "train");
      JsonArray *histogram = json_object_get_array_member (split, "class_counts");

      g_assert_cmpint (json_object_get_int_member (split, "images"), ==, n[s]);
      for (guint c = 0; c < 10; c++)
        g_assert_cmpint (json_array_get_int_element (histogram, c), ==, counts[s][c]);
      g_assert_cmpfloat (json_object_get_double_member (split, "agreement"), ==, (double) agree[s] / n[s]);
      g_test_message ("%s: agreement %.3f, mean mask area %.3f", s ? "test" : "train",
                      json_object_get_double_member (split, "agreement"),
                      json_object_get_double_member (split, "mask_area"));
    }
  /* round(0.8 · 200) training images agree; the test split's backgrounds are random. */
  g_assert_cmpuint (agree[0], ==, 160);
  g_assert_cmpuint (agree[1], <, 30);

  {
    VtDatasetOptions options = { "test", FALSE, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(VtDataset) read = vt_dataset_open (dataset, &options, &error);
    g_autofree guint8 *mask = NULL;
    int width, height;

    g_assert_no_error (error);
    g_assert_cmpuint (read->n_samples, ==, 100);
    g_assert_true (vt_dataset_has_masks (read));
    mask = vt_dataset_read_mask (read, 99, &width, &height, &error);
    g_assert_no_error (error);
    g_assert_cmpint (width * height, ==, 32 * 32);
  }
  {
    JsonObject *train = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results),
                                                                                       "steps"), 1);
    g_assert_cmpstr (json_object_get_string_member (train, "id"), ==, "tr");
    g_test_message ("ResNet-20's head on the glyphs, one epoch: test accuracy %.3f",
                    json_object_get_double_member (train, "test_accuracy"));
  }
  vt_test_rm_rf (dir);
}

static void
test_glyphs_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  static const BadStep bad[] = {
    { "\"glyph_max\": 20", 2, "$.steps[0].backgrounds" },
    { "\"backgrounds\": \"BG\", \"glyph_max\": 40", 2, "$.steps[0].glyph_max: 40 is larger than the images (size 32)" },
    { "\"backgrounds\": \"BG\", \"size\": 4", 2, "$.steps[0].size" },
    { "\"backgrounds\": \"BG\", \"agreement\": 2", 2, "$.steps[0].agreement" },
    { "\"backgrounds\": \"BG\", \"color\": \"red\"", 2, "$.steps[0].color: expected “random” or [r, g, b]" },
    { "\"backgrounds\": \"BG\", \"color\": [1.5, 2, 3]", 2, "$.steps[0].color[0]: 1.5 is not an integer" },
    { "\"backgrounds\": \"BG\", \"colour\": \"random\"", 2, "$.steps[0].colour: unknown key" },
    { "\"backgrounds\": \"BG\", \"glyphs\": \"/nonexistent/fashion\"", 1,
      "$.steps[0].glyphs: /nonexistent/fashion: no such file or folder" },
    { "\"backgrounds\": \"/nonexistent/cifar\"", 1, "$.steps[0].backgrounds: /nonexistent/cifar: no such file" },
    { "\"backgrounds\": \"BG\", \"train_images\": 5", 1, "$.steps[0].train_images: 5 images cannot hold" },
  };
  const char * const replacements[] = { "BG", backgrounds, NULL };

  check_bad_steps ("glyph_dataset", bad, G_N_ELEMENTS (bad), spec, out, replacements);
  vt_test_rm_rf (dir);
}

static void
test_memory_glyphs (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"glyph_dataset\", \"backgrounds\": \"%s\", \"train_images\": 10000000",
                                           backgrounds);
  const char * const phrases[] = { "$.steps[0]: generating 10000000 + 1000 glyph images of 32×32 pixels would need about",
                                   "Lower $.steps[0].train_images (now 10000000)", NULL };

  expect_refusal (dir, "100M", step, phrases);
  vt_test_rm_rf (dir);
}

/* Runs one attribute step, given as the keys after "kind", in @dir. */
static void
run_attribute_spec (Result      *r,
                    const char  *dir,
                    const char  *keys)
{
  g_autofree char *json = g_strdup_printf ("{\"steps\": [{\"kind\": \"attribute\", %s}]}", keys);
  g_autofree char *spec = g_build_filename (dir, "attribute.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_true (g_file_set_contents (spec, json, -1, NULL));
  run_vitrine (r, "--batch", spec, "--output", out, NULL);
}

/* The maps of test-cam's tolerance: 1e-4 per pixel, XGrad-CAM on ViT
 * tokens 3e-4 (tests/engine/test-cam.c says why). */
#define ATTRIBUTE_TOLERANCE 1e-4
#define ATTRIBUTE_XGRADCAM_TOKEN_TOLERANCE 3e-4

static const char * const all_cam_methods[] = { "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam",
                                                "scorecam", NULL };

/* The maps file @maps_path holds, for each of @methods, PyTorch's map from
 * the fixture attribution/cam-@fixture_name.safetensors
 * (tests/reference/make_cam_fixture.py), and the classes each explains and
 * predicts; returns the largest difference. */
static double
assert_maps_are_fixture (const char          *maps_path,
                         const char          *fixture_name,
                         const char * const  *methods,
                         gboolean             tokens)
{
  g_autofree char *relative = g_strdup_printf ("attribution/cam-%s.safetensors", fixture_name);
  g_autofree char *fixture_path = vt_test_fixture (relative);
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) fixture = NULL;
  g_autoptr(GError) error = NULL;
  double worst = 0;

  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  fixture = vt_checkpoint_open (fixture_path, &error);
  g_assert_no_error (error);
  for (guint m = 0; methods[m]; m++)
    {
      const VtTensor *t = vt_checkpoint_lookup (maps, methods[m]);
      double diff;

      g_assert_nonnull (t);
      g_assert_true (t->dtype == VT_DTYPE_F32);
      g_assert_cmpuint (t->ndim, ==, 3);
      diff = attention_difference (maps, methods[m], fixture, methods[m]);
      g_test_message ("attribute %s %s: largest difference from PyTorch %.3g per pixel", fixture_name, methods[m], diff);
      g_assert_cmpfloat (diff, <=, tokens && g_str_equal (methods[m], "xgradcam") ? ATTRIBUTE_XGRADCAM_TOKEN_TOLERANCE
                                                                                : ATTRIBUTE_TOLERANCE);
      worst = MAX (worst, diff);
    }
  g_assert_cmpfloat (attention_difference (maps, "targets", fixture, "targets"), ==, 0);
  g_assert_cmpfloat (attention_difference (maps, "predicted", fixture, "predicted"), ==, 0);
  g_assert_true (vt_checkpoint_lookup (maps, "targets")->dtype == VT_DTYPE_I64);
  return worst;
}

static JsonObject *
first_step_result (JsonNode *results)
{
  return json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
}

/* The attribute step on the real CIFAR ResNet-20 at layer3, every CAM
 * method: from the fixture's preprocessed images and from the same three
 * CIFAR-10 test JPEGs as dataset samples (in batches of 2), the maps are
 * PyTorch's; the maps file and results.json state each method's definition
 * and the post-processing, and the figure is drawn. */
static void
test_attribute_resnet20 (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *fixture = vt_test_fixture ("attribution/cam-cifar_resnet20.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "cam-maps.safetensors", NULL);
  g_autofree char *figure = g_build_filename (out, "figures", "cam-maps.png", NULL);

  {
    g_autofree char *keys = g_strdup_printf ("\"id\": \"cam\", \"checkpoint\": \"%s\", \"input\": \"%s\", "
                                             "\"images\": \"input\", \"layer\": \"layer3\", \"target\": [3, 8, 5], "
                                             "\"methods\": [\"gradcam\", \"gradcam++\", \"hirescam\", \"xgradcam\", "
                                             "\"layercam\", \"eigencam\", {\"name\": \"scorecam\", \"score_batch\": 8}]",
                                             resnet, fixture);
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    g_autoptr(VtCheckpoint) maps = NULL;
    g_autoptr(GError) error = NULL;
    GHashTable *metadata;
    JsonObject *step;
    JsonArray *methods, *images;
    double worst;

    run_attribute_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    worst = assert_maps_are_fixture (maps_path, "cifar_resnet20", all_cam_methods, FALSE);
    g_test_message ("attribute: ResNet-20's maps from the fixture's input are PyTorch's within %.3g", worst);

    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    metadata = vt_checkpoint_get_metadata (maps);
    g_assert_cmpstr (g_hash_table_lookup (metadata, "layer"), ==, "layer3");
    g_assert_cmpstr (g_hash_table_lookup (metadata, "checkpoint"), ==, resnet);
    g_assert_nonnull (strstr (g_hash_table_lookup (metadata, "postprocessing"), "cam: Every map: ReLU"));
    g_assert_cmpint (vt_checkpoint_lookup (maps, "samples")->shape[0], ==, 3);
    g_assert_cmpfloat (vt_dtype_read_double (VT_DTYPE_I64, vt_checkpoint_lookup (maps, "samples")->data, 2), ==, 2);

    results = load_json (results_path);
    step = first_step_result (results);
    g_assert_cmpstr (json_object_get_string_member (step, "output"), ==, "cam-maps.safetensors");
    g_assert_cmpstr (json_object_get_string_member (step, "layer"), ==, "layer3");
    g_assert_cmpstr (json_object_get_string_member (step, "postprocessing"), ==,
                     g_hash_table_lookup (metadata, "postprocessing"));
    methods = json_object_get_array_member (step, "methods");
    g_assert_cmpuint (json_array_get_length (methods), ==, 7);
    for (guint m = 0; m < 7; m++)
      {
        JsonObject *entry = json_array_get_object_element (methods, m);
        g_autofree char *key = g_strdup_printf ("%s.definition", all_cam_methods[m]);
        const char *definition = json_object_get_string_member (entry, "definition");

        g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, all_cam_methods[m]);
        /* The formula, in results.json and the maps file alike. */
        g_assert_nonnull (strstr (definition, "cam"));
        g_assert_cmpstr (g_hash_table_lookup (metadata, key), ==, definition);
        g_assert_cmpfloat (json_object_get_double_member (entry, "seconds_per_image"), >, 0);
      }
    images = json_object_get_array_member (step, "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 3);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (images, 1), "target"), ==, 8);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (images, 1), "predicted"), ==, 8);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (step, "figures")), ==, 3);
    assert_png_size (figure, 1280, 800);
  }
  {
    /* The fixture's images are test/cat/0000, ship/0003 and dog/0001. */
    g_autofree char *keys = g_strdup_printf ("\"id\": \"cam\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                             "\"split\": \"test\", \"samples\": [3000, 8003, 5001], \"batch\": 2, "
                                             "\"target\": [3, 8, 5], \"methods\": [\"gradcam\", \"scorecam\"], "
                                             "\"formats\": [\"svg\"]", resnet, cifar);
    static const char * const methods[] = { "gradcam", "scorecam", NULL };
    static const char * const files[] = { "test/cat/0000.jpg", "test/ship/0003.jpg", "test/dog/0001.jpg" };
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    g_autoptr(VtCheckpoint) maps = NULL;
    g_autoptr(GError) error = NULL;
    JsonArray *images;

    run_attribute_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    assert_maps_are_fixture (maps_path, "cifar_resnet20", methods, FALSE);
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (vt_dtype_read_double (VT_DTYPE_I64, vt_checkpoint_lookup (maps, "samples")->data, 1), ==, 8003);
    results = load_json (results_path);
    images = json_object_get_array_member (first_step_result (results), "images");
    for (guint i = 0; i < 3; i++)
      g_assert_true (g_str_has_suffix (json_object_get_string_member (json_array_get_object_element (images, i), "name"),
                                       files[i]));
    /* The default layer: ResNet-20's last stage. */
    g_assert_cmpstr (json_object_get_string_member (first_step_result (results), "layer"), ==, "layer3");
  }
  vt_test_rm_rf (dir);
}

/* timm's ViT fixture at a block's norm1 (the class token dropped, the
 * patches on their grid), for the predicted classes, given and by default:
 * PyTorch's maps. */
/* The largest |a − b| over @n values, over the largest |b|; with @l2,
 * ‖a − b‖ / ‖b‖ instead. */
static double
relative_difference (const float *a,
                     const float *b,
                     gsize        n,
                     gboolean     l2)
{
  double worst = 0, top = 0, sq = 0, sq_ref = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) a[i] - b[i];

      worst = MAX (worst, fabs (d));
      top = MAX (top, fabs ((double) b[i]));
      sq += d * d;
      sq_ref += (double) b[i] * b[i];
    }
  if (l2)
    return sq_ref > 0 ? sqrt (sq / sq_ref) : sqrt (sq);
  return top > 0 ? worst / top : worst;
}

/* The gradient family through the step beside a CAM, on the real
 * ResNet-20 and the gradient fixture's images: each map is PyTorch's
 * (tests/reference/make_gradient_attribution_fixture.py) within
 * test-gradient-attribution's bounds (1e-4 of the largest |map| for the
 * gradients; 1e-3 for SmoothGrad, and 1e-3 relative L2 for IG, where
 * float32 ReLU flips at the noisy and path inputs set the limit), IG's completeness gap per image
 * is the reference's, options reach the definition, and the post-
 * processing names both families. */
static void
test_attribute_gradient (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *fixture_path = vt_test_fixture ("attribution/grad-cifar_resnet20.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "grad-maps.safetensors", NULL);
  g_autofree char *keys = g_strdup_printf ("\"id\": \"grad\", \"checkpoint\": \"%s\", \"input\": \"%s\", "
                                           "\"images\": \"input\", \"target\": [3, 8, 5], \"methods\": "
                                           "[\"gradcam\", \"gradient\", \"gradient_x_input\", \"smoothgrad\", "
                                           "{\"name\": \"ig\", \"steps\": 50, \"baseline\": \"zeros\"}]",
                                           resnet, fixture_path);
  static const struct { const char *method, *reference; double bound; gboolean l2; } checks[] = {
    { "gradient", "gradient", 1e-4, FALSE },
    { "gradient_x_input", "gradient_x_input", 1e-4, FALSE },
    { "smoothgrad", "smoothgrad", 1e-3, FALSE },
    { "ig", "ig.gausslegendre.zeros.50", 1e-3, TRUE },
  };
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) fixture = NULL;
  g_autoptr(GError) error = NULL;
  const VtTensor *gap, *difference;
  JsonObject *step;
  JsonArray *images, *methods;
  const char *postprocessing;

  run_attribute_spec (&r, dir, keys);
  g_assert_cmpint (r.status, ==, 0);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  fixture = vt_checkpoint_open (fixture_path, &error);
  g_assert_no_error (error);
  for (guint c = 0; c < G_N_ELEMENTS (checks); c++)
    {
      const VtTensor *ours = vt_checkpoint_lookup (maps, checks[c].method);
      const VtTensor *reference = vt_checkpoint_lookup (fixture, checks[c].reference);
      double d;

      g_assert_nonnull (ours);
      g_assert_nonnull (reference);
      g_assert_cmpint (ours->numel, ==, reference->numel);
      d = relative_difference ((const float *) ours->data, (const float *) reference->data, ours->numel,
                               checks[c].l2);
      g_test_message ("attribute %s: %.3g %s from PyTorch's", checks[c].method, d,
                      checks[c].l2 ? "relative L2" : "of the largest |map|");
      g_assert_cmpfloat (d, <=, checks[c].bound);
    }

  results = load_json (results_path);
  step = first_step_result (results);
  postprocessing = json_object_get_string_member (step, "postprocessing");
  g_assert_nonnull (strstr (postprocessing, "cam: "));
  g_assert_nonnull (strstr (postprocessing, "gradient: "));
  methods = json_object_get_array_member (step, "methods");
  g_assert_cmpuint (json_array_get_length (methods), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (methods, 4), "family"), ==,
                   "gradient");
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (methods, 4), "definition"),
                            "50 steps"));
  g_assert_true (json_object_has_member (json_array_get_object_element (methods, 4), "mean_abs_completeness_gap"));
  g_assert_false (json_object_has_member (json_array_get_object_element (methods, 0), "mean_abs_completeness_gap"));
  gap = vt_checkpoint_lookup (fixture, "ig.gausslegendre.zeros.50.gap");
  difference = vt_checkpoint_lookup (fixture, "ig.gausslegendre.zeros.50.difference");
  images = json_object_get_array_member (step, "images");
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *image = json_array_get_object_element (images, i);
      double ours = json_object_get_double_member (image, "ig.completeness_gap");
      double reference = ((const double *) gap->data)[i];
      double scale = MAX (fabs (reference), fabs (((const double *) difference->data)[i]));

      g_test_message ("image %u: IG's gap %.6g, PyTorch's %.6g", i, ours, reference);
      g_assert_cmpfloat (fabs (ours - reference), <=, 3e-4 * scale);
      g_assert_false (json_object_has_member (image, "gradcam.completeness_gap"));
    }
  vt_test_rm_rf (dir);
}

static void
test_attribute_vit (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *fixture = vt_test_fixture ("attribution/cam-vit_cls.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "attribute-maps.safetensors", NULL);

  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"input\": \"%s\", \"images\": \"input\", "
                                             "\"layer\": \"blocks.1.norm1\", \"target\": \"predicted\", "
                                             "\"methods\": [\"gradcam\", \"gradcam++\", \"hirescam\", \"xgradcam\", "
                                             "\"layercam\", \"eigencam\", \"scorecam\"], \"formats\": [\"png\"]",
                                             vit, fixture);
    g_auto(Result) r = { 0 };
    double worst;

    run_attribute_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    worst = assert_maps_are_fixture (maps_path, "vit_cls", all_cam_methods, TRUE);
    g_test_message ("attribute: the ViT's maps at blocks.1.norm1 are PyTorch's within %.3g", worst);
  }
  {
    g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"input\": \"%s\", \"images\": \"input\", "
                                             "\"methods\": [\"layercam\"], \"formats\": [\"png\"]", vit, fixture);
    static const char * const methods[] = { "layercam", NULL };
    g_auto(Result) r = { 0 };
    g_autoptr(JsonNode) results = NULL;
    JsonObject *step;

    run_attribute_spec (&r, dir, keys);
    g_assert_cmpint (r.status, ==, 0);
    assert_maps_are_fixture (maps_path, "vit_cls", methods, TRUE);
    results = load_json (results_path);
    step = first_step_result (results);
    /* The default: the last block's norm1, first among the layers offered. */
    g_assert_cmpstr (json_object_get_string_member (step, "layer"), ==, "blocks.1.norm1");
    g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (step, "layers"), 0), ==,
                     "blocks.0.norm1");
  }
  vt_test_rm_rf (dir);
}

/* ResNet-20 at layer2 for a class other than the predicted one (the
 * fixture's targets): PyTorch's maps; for the predicted class instead the
 * maps change; one class for every image is that class for each. */
static void
test_attribute_target (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *fixture_path = vt_test_fixture ("attribution/cam-cifar_resnet20_layer2.safetensors");
  g_autofree char *maps_path = g_build_filename (out, "attribute-maps.safetensors", NULL);
  g_autofree char *given_path = g_build_filename (dir, "given.safetensors", NULL);
  static const char * const methods[] = { "gradcam", "hirescam", "layercam", NULL };
  g_autoptr(VtCheckpoint) fixture = NULL;
  g_autoptr(VtCheckpoint) given = NULL;
  g_autoptr(VtCheckpoint) predicted = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) targets = g_string_new (NULL);
  const VtTensor *fixture_targets, *fixture_predicted;

  fixture = vt_checkpoint_open (fixture_path, &error);
  g_assert_no_error (error);
  fixture_targets = vt_checkpoint_lookup (fixture, "targets");
  fixture_predicted = vt_checkpoint_lookup (fixture, "predicted");
  for (guint i = 0; i < fixture_targets->numel; i++)
    {
      g_string_append_printf (targets, "%s%.0f", i ? ", " : "",
                              vt_dtype_read_double (fixture_targets->dtype, fixture_targets->data, i));
      /* The fixture explains other classes than the model predicts. */
      g_assert_cmpfloat (vt_dtype_read_double (fixture_targets->dtype, fixture_targets->data, i), !=,
                         vt_dtype_read_double (fixture_predicted->dtype, fixture_predicted->data, i));
    }

  for (guint pass = 0; pass < 3; pass++)
    {
      g_autofree char *target = pass == 0 ? g_strdup_printf ("[%s]", targets->str)
                                          : g_strdup (pass == 1 ? "\"predicted\"" : "4");
      g_autofree char *keys = g_strdup_printf ("\"checkpoint\": \"%s\", \"input\": \"%s\", \"images\": \"input\", "
                                               "\"layer\": \"layer2\", \"target\": %s, \"methods\": [\"gradcam\", "
                                               "\"hirescam\", \"layercam\"], \"formats\": [\"png\"]",
                                               resnet, fixture_path, target);
      g_auto(Result) r = { 0 };

      run_attribute_spec (&r, dir, keys);
      g_assert_cmpint (r.status, ==, 0);
      if (pass == 0)
        {
          assert_maps_are_fixture (maps_path, "cifar_resnet20_layer2", methods, FALSE);
          g_assert_cmpint (g_rename (maps_path, given_path), ==, 0);
        }
      else
        {
          g_autoptr(VtCheckpoint) maps = vt_checkpoint_open (maps_path, &error);
          const VtTensor *classes;

          g_assert_no_error (error);
          classes = vt_checkpoint_lookup (maps, "targets");
          for (guint i = 0; i < classes->numel; i++)
            g_assert_cmpfloat (vt_dtype_read_double (classes->dtype, classes->data, i), ==,
                               pass == 1 ? vt_dtype_read_double (fixture_predicted->dtype, fixture_predicted->data, i)
                                         : 4);
          if (pass == 1)
            predicted = g_steal_pointer (&maps);
        }
    }
  given = vt_checkpoint_open (given_path, &error);
  g_assert_no_error (error);
  for (guint m = 0; methods[m]; m++)
    {
      double change = attention_difference (given, methods[m], predicted, methods[m]);

      g_test_message ("attribute: %s changes by up to %.3g between the given and the predicted classes", methods[m],
                      change);
      g_assert_cmpfloat (change, >, 0.1);
    }
  vt_test_rm_rf (dir);
}

/* Bad keys by their JSON path; an unknown method with the known ones; an
 * unknown layer with the model's layers; a class out of range with the
 * class count; a family without a backward pass by its checkpoint. */
static void
test_attribute_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  /* OpenCLIP's ModifiedResNet: a forward pass, no backward pass yet */
  g_autofree char *rn = vt_test_fixture ("forward/openclip_rn/model.safetensors");
  g_autofree char *rn_input = vt_test_fixture ("forward/openclip_rn.io.safetensors");
  g_autofree char *fixture = vt_test_fixture ("attribution/cam-cifar_resnet20.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  static const struct
  {
    const char  *keys;     /* after "checkpoint" (ResNet-20); @INPUT@: the fixture's images, @DATA@: CIFAR-10 */
    int          status;
    const char  *message;
  } cases[] = {
    { "@INPUT@, \"methods\": [\"gradcam\", \"foo\"]", 2,
      "$.steps[0].methods[1]: unknown method “foo”; known: gradcam, gradcam++, hirescam, xgradcam, layercam, "
      "eigencam, scorecam, gradient, gradient_x_input, smoothgrad, ig, gradient_rollout" },
    { "@INPUT@, \"methods\": [{\"name\": \"saliency\"}]", 2,
      "$.steps[0].methods[0]: unknown method “saliency”; known: gradcam" },
    { "@INPUT@, \"methods\": [{\"name\": \"ig\", \"steps\": 0}]", 2, "$.steps[0].methods[0].steps" },
    { "@INPUT@, \"methods\": [{\"name\": \"ig\", \"baseline\": \"grey\"}]", 2, "$.steps[0].methods[0].baseline" },
    { "@INPUT@, \"methods\": [{\"name\": \"ig\", \"rule\": \"riemann_trapezoid\", \"steps\": 1}]", 2,
      "$.steps[0].methods[0].steps: the trapezoid rule needs at least 2 steps" },
    { "@INPUT@, \"methods\": [{\"name\": \"gradient\", \"steps\": 5}]", 2, "$.steps[0].methods[0]" },
    { "@INPUT@, \"methods\": [\"gradcam\", {\"name\": \"gradcam\"}]", 2,
      "$.steps[0].methods[1]: “gradcam” is listed already (at methods[0])" },
    { "@INPUT@, \"methods\": [{\"name\": \"gradcam\", \"score_batch\": 4}]", 2,
      "$.steps[0].methods[0].score_batch: only scorecam takes this" },
    { "@INPUT@, \"methods\": [{\"name\": \"scorecam\", \"score_batch\": 0}]", 2, "$.steps[0].methods[0].score_batch" },
    { "@INPUT@, \"methods\": [{\"name\": \"scorecam\", \"steps\": 4}]", 2, "$.steps[0].methods[0].steps" },
    { "@INPUT@, \"methods\": [7]", 2, "$.steps[0].methods[0]: expected a method's name" },
    { "@INPUT@", 2, "$.steps[0].methods: expected a list of methods" },
    { "@INPUT@, \"methods\": []", 2, "$.steps[0].methods: expected a list of methods" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"layer\": \"layer9\"", 1,
      "$.steps[0].layer: no layer “layer9” in @CKPT@ that a map can be made at; it has: layer1, layer2, layer3, conv1" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"layer\": \"linear\"", 1, "$.steps[0].layer: no layer “linear”" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"target\": [3, 10, 5]", 1,
      "$.steps[0].target[1]: class 10 is out of range: the model has 10 classes (0 to 9)" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"target\": 12", 1,
      "$.steps[0].target: class 12 is out of range: the model has 10 classes (0 to 9)" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"target\": [3, 8]", 1,
      "$.steps[0].target: 2 classes for 3 images (give one per image" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"target\": [3, -1, 5]", 2, "$.steps[0].target[1]: expected a class index" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"target\": \"true\"", 2, "$.steps[0].target: expected “predicted”" },
    { "\"methods\": [\"gradcam\"]", 2, "$.steps[0]: give the images one way" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"transform\": {\"crop\": 32}", 2, "$.steps[0].transform: the images in" },
    { "@INPUT@, \"methods\": [\"gradcam\"], \"samples\": [0]", 2, "$.steps[0].samples: this is of a dataset" },
    { "\"dataset\": \"@DATA@\", \"split\": \"test\", \"samples\": [10000], \"methods\": [\"gradcam\"]", 1,
      "$.steps[0].samples[0]: sample 10000 does not exist" },
    { "\"dataset\": \"@DATA@\", \"methods\": [\"gradcam\"], \"skip_unreadable\": true", 2,
      "$.steps[0].skip_unreadable: the attribute step explains every image" },
    { "@RN@, \"methods\": [\"gradcam\"]", 1, "no backward pass for a OpenAI / OpenCLIP CLIP (ModifiedResNet)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) rest = g_string_new (cases[i].keys);
      g_autoptr(GString) message = g_string_new (cases[i].message);
      g_autofree char *input = g_strdup_printf ("\"input\": \"%s\", \"images\": \"input\"", fixture);
      g_autofree char *rn_images = g_strdup_printf ("\"input\": \"%s\", \"images\": \"input.pixel_values\"", rn_input);
      g_autofree char *keys = NULL;
      gboolean untrainable = strstr (cases[i].keys, "@RN@") != NULL;
      g_auto(Result) r = { 0 };

      g_string_replace (rest, "@INPUT@", input, 0);
      g_string_replace (rest, "@RN@", rn_images, 0);
      g_string_replace (rest, "@DATA@", cifar, 0);
      g_string_replace (message, "@CKPT@", resnet, 0);
      keys = g_strdup_printf ("\"checkpoint\": \"%s\", %s", untrainable ? rn : resnet, rest->str);
      run_attribute_spec (&r, dir, keys);
      if (r.status != cases[i].status || strstr (r.err, message->str) == NULL)
        g_error ("case %u: status %d, expected %d with “%s”; stderr: %s", i, r.status, cases[i].status,
                 message->str, r.err);
      if (untrainable)
        g_assert_nonnull (strstr (r.err, rn));
    }
  vt_test_rm_rf (dir);
}

static void
test_memory_attribute (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"attribute\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"split\": \"test\", \"methods\": [\"gradcam\", \"hirescam\", "
                                           "\"scorecam\"]", resnet, cifar);
  const char * const phrases[] = { "$.steps[0]: the attribution maps of 10000 images of 32×32 pixels",
                                   "the maps and the input, every image's", "Lower $.steps[0].batch (now 16)",
                                   "$.steps[0].samples", NULL };

  expect_refusal (dir, "100M", step, phrases);
  vt_test_rm_rf (dir);
}

/* --- The faithfulness step ---------------------------------------------- */

/* A number of results.json: null is NaN (vt_run_add_number). */
static double
json_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

/* Whether @a and @b agree within @tolerance, NaN with NaN. */
static gboolean
same_number (double a,
             double b,
             double tolerance)
{
  return (isnan (a) && isnan (b)) || fabs (a - b) <= tolerance;
}

/* The entry of metric @label for @method in the faithfulness step's
 * @result, with the metric's object in @metric. */
static JsonObject *
faithfulness_entry (JsonObject  *result,
                    const char  *label,
                    const char  *method,
                    JsonObject **metric)
{
  JsonArray *metrics = json_object_get_array_member (result, "metrics");

  for (guint k = 0; k < json_array_get_length (metrics); k++)
    {
      JsonObject *m = json_array_get_object_element (metrics, k);
      JsonArray *results = json_object_get_array_member (m, "results");

      if (!g_str_equal (json_object_get_string_member (m, "label"), label))
        continue;
      for (guint i = 0; i < json_array_get_length (results); i++)
        if (g_str_equal (json_object_get_string_member (json_array_get_object_element (results, i), "method"), method))
          {
            *metric = m;
            return json_array_get_object_element (results, i);
          }
    }
  g_error ("results.json has no %s of %s", label, method);
}

/* The step's @label of @method equals what the engine gives on the same
 * maps: per image, the mean, the curve, and the definition. Returns the
 * largest difference. */
static double
assert_curve_is (JsonObject                *result,
                 const char                *label,
                 const char                *method,
                 const VtFaithfulnessCurve *want)
{
  JsonObject *metric = NULL;
  JsonObject *entry = faithfulness_entry (result, label, method, &metric);
  JsonArray *values = json_object_get_array_member (entry, "values");
  JsonArray *x = json_object_get_array_member (entry, "x");
  JsonArray *y = json_object_get_array_member (entry, "y");
  double worst = fabs (json_object_get_double_member (entry, "mean") - want->mean_summary);

  g_assert_nonnull (want);
  g_assert_cmpstr (json_object_get_string_member (metric, "definition"), ==, want->definition);
  g_assert_cmpuint (json_array_get_length (values), ==, want->n_images);
  g_assert_cmpuint (json_array_get_length (y), ==, want->n_points);
  for (int i = 0; i < want->n_images; i++)
    {
      double v = json_number (json_array_get_element (values, i));

      g_assert_true (same_number (v, want->summary[i], 1e-6));
      if (!isnan (v))
        worst = MAX (worst, fabs (v - want->summary[i]));
    }
  for (int k = 0; k < want->n_points; k++)
    {
      g_assert_cmpfloat (fabs (json_array_get_double_element (x, k) - want->x[k]), <=, 1e-12);
      worst = MAX (worst, fabs (json_array_get_double_element (y, k) - want->mean[k]));
    }
  g_assert_cmpfloat (worst, <=, 1e-6);
  return worst;
}

static double
assert_scores_are (JsonObject                 *result,
                   const char                 *label,
                   const char                 *method,
                   const VtFaithfulnessScores *want)
{
  JsonObject *metric = NULL;
  JsonObject *entry = faithfulness_entry (result, label, method, &metric);
  double mean = json_object_get_double_member (entry, "mean"), worst = fabs (mean - want->mean);

  g_assert_nonnull (want);
  g_assert_cmpstr (json_object_get_string_member (metric, "definition"), ==, want->definition);
  g_assert_cmpfloat (mean, >=, 0.0);
  g_assert_cmpfloat (mean, <=, 1.0);
  if (want->values)
    {
      JsonArray *values = json_object_get_array_member (entry, "values");

      g_assert_cmpuint (json_array_get_length (values), ==, want->n_images);
      for (int i = 0; i < want->n_images; i++)
        {
          double v = json_number (json_array_get_element (values, i));

          g_assert_true (same_number (v, want->values[i], 1e-6));
          g_assert_true (isnan (v) || (v >= 0.0 && v <= 1.0));
        }
    }
  g_assert_cmpfloat (worst, <=, 1e-6);
  return worst;
}

/* A tensor of the maps file as floats or integers. */
static float *
maps_floats (VtCheckpoint *maps,
             const char   *name)
{
  const VtTensor *t = vt_checkpoint_lookup (maps, name);

  g_assert_nonnull (t);
  return vt_tensor_dup_float (t);
}

static gint64 *
maps_integers (VtCheckpoint *maps,
               const char   *name)
{
  const VtTensor *t = vt_checkpoint_lookup (maps, name);

  g_assert_nonnull (t);
  g_assert_true (t->dtype == VT_DTYPE_I64);
  return g_memdup2 (t->data, t->nbytes);
}

/* Runs a spec @text (its steps) in @dir. */
static void
run_faithfulness_spec (Result      *r,
                       const char  *dir,
                       const char  *text)
{
  g_autofree char *spec = g_build_filename (dir, "faithfulness.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);

  g_assert_true (g_file_set_contents (spec, text, -1, NULL));
  run_vitrine (r, "--batch", spec, "--output", out, NULL);
}

/* The faithfulness step on the real ResNet-20 and 12 CIFAR-10 test JPEGs,
 * Grad-CAM and the gradient, in batches of 6: its maps are the attribute
 * step's, bit for bit; deletion, insertion (16 steps, zeros), ROAD (both
 * orders, at 10, 50 and 90 %) and ROAD's confidence change (MoRF at 20 and
 * 50 %, seed 5) are what the engine's functions give on those maps run
 * directly; a curve event per method and curve carries its mean; the
 * tables and the four curve figures are written. 12 images
 * (not more) keep it near 40 s under the sanitizers. */
static void
test_faithfulness_resnet20 (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "f-maps.safetensors", NULL);
  g_autofree char *attribute_path = g_build_filename (out, "a-maps.safetensors", NULL);
  g_autofree char *metrics_path = g_build_filename (out, "f-metrics.csv", NULL);
  g_autofree char *curves_path = g_build_filename (out, "f-curves.csv", NULL);
  static const char samples[] = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]";
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"faithfulness\", \"id\": \"f\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
    "\"split\": \"test\", \"samples\": %s, \"batch\": 6, \"methods\": [\"gradcam\", \"gradient\"], "
    "\"metrics\": [\"deletion\", {\"name\": \"insertion\", \"steps\": 16, \"substrate\": \"zeros\"}, "
    "{\"name\": \"road\", \"percentages\": [10, 50, 90]}, "
    "{\"name\": \"road_confidence_change\", \"order\": \"morf\", \"percentages\": [20, 50], \"seed\": 5}], "
    "\"formats\": [\"png\"]}, "
    "{\"kind\": \"attribute\", \"id\": \"a\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\", "
    "\"samples\": %s, \"methods\": [\"gradcam\", \"gradient\"], \"formats\": [\"png\"]}]}",
    resnet, cifar, samples, resnet, cifar, samples);
  static const char * const methods[] = { "gradcam", "gradient" };
  static const char * const figures[] = { "f-deletion", "f-insertion", "f-road-morf", "f-road-lerf" };
  static const double road_percentages[] = { 20, 50 };
  static const double road_accuracy_percentages[] = { 10, 50, 90 };
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *pixels = NULL;
  g_autofree gint64 *targets = NULL;
  g_autofree gint64 *labels = NULL;
  g_autofree char *metrics_csv = NULL;
  g_autofree char *curves_csv = NULL;
  JsonObject *step;
  double worst = 0;

  run_faithfulness_spec (&r, dir, text);
  if (r.status != 0)
    g_error ("status %d: %s", r.status, r.err);
  g_assert_nonnull (strstr (r.err, "\"event\":\"progress\",\"step\":\"f\""));
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(VtCheckpoint) a = vt_checkpoint_open (attribute_path, &error);
      g_autoptr(VtCheckpoint) f = vt_checkpoint_open (maps_path, &error);

      g_assert_no_error (error);
      g_assert_cmpfloat (attention_difference (f, methods[m], a, methods[m]), ==, 0);
      g_assert_cmpfloat (attention_difference (f, "targets", a, "targets"), ==, 0);
    }

  results = load_json (results_path);
  step = first_step_result (results);
  g_assert_cmpint (json_object_get_int_member (step, "images"), ==, 12);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  checkpoint = vt_checkpoint_open (resnet, &error);
  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  classifier = vt_classifier_new_for_model (model);
  pixels = maps_floats (maps, "input.pixel_values");
  targets = maps_integers (maps, "targets");
  labels = maps_integers (maps, "labels");
  g_assert_true (g_file_get_contents (metrics_path, &metrics_csv, NULL, NULL));
  g_assert_true (g_file_get_contents (curves_path, &curves_csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (metrics_csv, "method,metric,value\n"));
  g_assert_true (g_str_has_prefix (curves_csv, "method,metric,x,y\n"));
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autofree float *map = maps_floats (maps, methods[m]);
      VtFaithfulnessOptions game;
      VtRoadOptions road;
      g_autoptr(VtFaithfulnessCurve) deletion = NULL;
      g_autoptr(VtFaithfulnessCurve) insertion = NULL;
      g_autoptr(VtFaithfulnessCurve) morf = NULL;
      g_autoptr(VtFaithfulnessCurve) lerf = NULL;
      g_autoptr(VtFaithfulnessCurve) change = NULL;
      g_autofree char *row = NULL;

      vt_faithfulness_options_init (&game);
      deletion = vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, pixels, map, 12, 32, 32, targets, &game,
                                      NULL, &error);
      g_assert_no_error (error);
      game.steps = 16;
      insertion = vt_faithfulness_run (VT_FAITHFULNESS_INSERTION, classifier, pixels, map, 12, 32, 32, targets,
                                       &game, NULL, &error);
      g_assert_no_error (error);
      vt_road_options_init (&road);
      road.percentages = road_accuracy_percentages;
      road.n_percentages = 3;
      morf = vt_road_accuracy (VT_ROAD_MORF, classifier, pixels, map, 12, 32, 32, labels, &road, NULL, &error);
      g_assert_no_error (error);
      lerf = vt_road_accuracy (VT_ROAD_LERF, classifier, pixels, map, 12, 32, 32, labels, &road, NULL, &error);
      g_assert_no_error (error);
      road.percentages = road_percentages;
      road.n_percentages = 2;
      road.seed = 5;
      change = vt_road_confidence_change (VT_ROAD_MORF, classifier, pixels, map, 12, 32, 32, targets, &road, NULL,
                                          &error);
      g_assert_no_error (error);
      worst = MAX (worst, assert_curve_is (step, "deletion", methods[m], deletion));
      worst = MAX (worst, assert_curve_is (step, "insertion", methods[m], insertion));
      worst = MAX (worst, assert_curve_is (step, "road_morf", methods[m], morf));
      worst = MAX (worst, assert_curve_is (step, "road_lerf", methods[m], lerf));
      worst = MAX (worst, assert_curve_is (step, "road_confidence_change_morf", methods[m], change));
      g_assert_cmpint (change->n_points, ==, 2);
      g_assert_cmpint (insertion->n_points, ==, 17);
      row = g_strdup_printf ("\n%s,deletion,", methods[m]);
      g_assert_nonnull (strstr (metrics_csv, row));
    }
  g_test_message ("faithfulness: the step's numbers are the engine's within %.3g", worst);
  /* A curve event per method and curve metric, as each is measured
   * ("deletion/gradcam", x the method's index), its y the mean results.json
   * states. */
  {
    static const char * const curves[] = { "deletion", "insertion", "road_morf", "road_lerf",
                                            "road_confidence_change_morf" };
    g_auto(GStrv) lines = g_strsplit (r.err, "\n", -1);
    guint n_curves = 0;

    for (guint i = 0; lines[i]; i++)
      {
        g_autoptr(JsonNode) line = json_from_string (lines[i], NULL);
        JsonObject *event = line && JSON_NODE_HOLDS_OBJECT (line) ? json_node_get_object (line) : NULL;

        if (event == NULL || g_strcmp0 (json_object_get_string_member_with_default (event, "event", ""), "metric") ||
            g_strcmp0 (json_object_get_string_member_with_default (event, "x_name", ""), "method"))
          continue;
        for (guint c = 0; c < G_N_ELEMENTS (curves); c++)
          for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
            {
              g_autofree char *series = g_strdup_printf ("%s/%s", curves[c], methods[m]);
              JsonObject *metric;

              if (!g_str_equal (json_object_get_string_member (event, "series"), series))
                continue;
              n_curves++;
              g_assert_cmpfloat (json_object_get_double_member (event, "x"), ==, m);
              g_assert_cmpfloat (json_object_get_double_member (event, "y"), ==,
                                 json_object_get_double_member (faithfulness_entry (step, curves[c], methods[m], &metric),
                                                                "mean"));
            }
      }
    g_assert_cmpuint (n_curves, ==, G_N_ELEMENTS (curves) * G_N_ELEMENTS (methods));
  }
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.png", figures[i]);
      g_autofree char *path = g_build_filename (out, "figures", name, NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
  vt_test_rm_rf (dir);
}

/* A float64 tensor of a fixture (not narrowed to float). */
static const double *
fixture_doubles (VtCheckpoint *fixture,
                 const char   *name,
                 gsize         numel)
{
  const VtTensor *t = vt_checkpoint_lookup (fixture, name);

  g_assert_nonnull (t);
  g_assert_true (t->dtype == VT_DTYPE_F64);
  g_assert_cmpuint (t->numel, ==, numel);
  return (const double *) t->data;
}

/* The engine's re-initialization draws the weights numpy draws
 * (tests/reference/make_randomization_fixture.py), into copies: the
 * checkpoint's memory is never written, and restoring gives it back. */
static void
check_randomization_weights (const char   *resnet,
                             VtCheckpoint *fixture)
{
  static const char * const names[] = { "linear.weight", "layer3.2.conv1.weight" };
  static const char * const layers[] = { "head", "layer3.2" };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (resnet, &error);
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTrainable) trainable = NULL;
  g_auto(GStrv) all = NULL;
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  g_autofree const float **stored = NULL;
  guint n;

  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  trainable = vt_trainable_new (checkpoint, vt_model_get_architecture (model), &error);
  g_assert_no_error (error);
  all = vt_randomization_layers (trainable);
  {
    g_autofree char *joined = g_strjoinv (",", all);

    g_assert_cmpstr (joined, ==, g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "layers.cascading"));
  }
  n = vt_trainable_get_n_params (trainable);
  stored = g_new (const float *, n);
  for (guint i = 0; i < n; i++)
    {
      const VtTrainableParam *p = vt_trainable_get_param (trainable, i);

      stored[i] = p->value;
      g_ptr_array_add (before, g_memdup2 (p->value, sizeof (float) * p->numel));
    }
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *want_name = g_strdup_printf ("reinit.%s", names[k]);
      const VtTensor *want = vt_checkpoint_lookup (fixture, want_name);
      const VtTrainableParam *p;

      g_assert_true (vt_randomization_reinit (trainable, layers[k], 3, &error));
      g_assert_no_error (error);
      p = vt_trainable_lookup_param (trainable, names[k]);
      g_assert_nonnull (want);
      g_assert_cmpuint (want->numel, ==, p->numel);
      /* bit for bit: the same draws, the same arithmetic */
      g_assert_cmpmem (p->value, sizeof (float) * p->numel, want->data, want->nbytes);
    }
  g_assert_false (vt_randomization_reinit (trainable, "layer9.9", 3, &error));
  g_assert_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "head, layer3.2, layer3.1"));
  g_clear_error (&error);
  for (guint i = 0; i < n; i++)
    {
      const VtTrainableParam *p = vt_trainable_get_param (trainable, i);

      /* the memory map as it was, whatever the copies hold */
      g_assert_cmpmem (stored[i], sizeof (float) * p->numel, g_ptr_array_index (before, i), sizeof (float) * p->numel);
    }
  vt_randomization_restore (trainable);
  for (guint i = 0; i < n; i++)
    g_assert_true (vt_trainable_get_param (trainable, i)->value == stored[i]);
}

/* The model randomization check (the faithfulness step's "randomization")
 * on the real ResNet-20 and 4 CIFAR-10 test JPEGs, Grad-CAM and the
 * gradient, cascading over all 11 layers and independent over three
 * (given out of order): Spearman's ρ per step and image, of the maps and
 * of their absolute values, and SSIM, against scipy.stats.spearmanr and
 * scikit-image's formula on PyTorch's maps of the same re-initialized
 * weights (tests/reference/make_randomization_fixture.py), and equal to
 * those of the maps the step wrote; and Spearman and SSIM on the SAME
 * maps, the fixture's, equal to the reference's. */
static void
test_faithfulness_randomization (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *fixture_path = vt_test_fixture ("attribution/randomization-resnet20.safetensors");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "rc-maps.safetensors", NULL);
  g_autofree char *table_path = g_build_filename (out, "rc-randomization.csv", NULL);
  g_autofree char *randomized_path = g_build_filename (out, "rc-randomization-maps.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"faithfulness\", \"id\": \"rc\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
    "\"split\": \"test\", \"samples\": [0, 1, 2, 3], \"batch\": 3, \"methods\": [\"gradcam\", \"gradient\"], "
    "\"metrics\": [{\"name\": \"randomization\", \"seed\": 3, \"maps\": true}], \"formats\": [\"png\"]}, "
    "{\"kind\": \"faithfulness\", \"id\": \"ri\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
    "\"split\": \"test\", \"samples\": [0, 1, 2, 3], \"methods\": [\"gradcam\", \"gradient\"], "
    "\"metrics\": [{\"name\": \"randomization\", \"order\": \"independent\", \"seed\": 3, "
    "\"layers\": [\"stem\", \"head\", \"layer2.1\"]}], \"formats\": [\"png\"]}]}",
    resnet, cifar, resnet, cifar);
  static const char * const methods[] = { "gradcam", "gradient" };
  static const char * const cases[] = { "cascading", "independent" };
  /* in the order of VtRandomizationMeasure */
  static const char * const labels[] = { "randomization", "randomization_abs", "randomization_ssim" };
  static const char * const measures[] = { "rho", "rho_abs", "ssim" };
  static const char * const figures[] = { "rc-randomization", "rc-randomization-abs", "rc-randomization-ssim",
                                          "ri-randomization", "ri-randomization-abs", "ri-randomization-ssim" };
  g_auto(Result) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) randomized = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autofree char *table = NULL;
  g_auto(GStrv) rows = NULL;
  JsonArray *steps;
  double worst = 0, worst_same = 0, worst_own = 0, worst_map = 0;

  g_assert_no_error (error);
  check_randomization_weights (resnet, fixture);

  /* Spearman on the same maps: the engine's against scipy's. */
  {
    const VtTensor *a = vt_checkpoint_lookup (fixture, "pairs.a");
    const VtTensor *b = vt_checkpoint_lookup (fixture, "pairs.b");
    gsize plane = 32 * 32, n = a->numel / plane;
    const double *rho = fixture_doubles (fixture, "pairs.rho", n);
    const double *rho_abs = fixture_doubles (fixture, "pairs.rho_abs", n);
    const double *ssim = fixture_doubles (fixture, "pairs.ssim", n);

    for (gsize i = 0; i < n; i++)
      {
        const float *x = (const float *) a->data + i * plane, *y = (const float *) b->data + i * plane;

        worst_same = MAX (worst_same, fabs (vt_randomization_spearman (x, y, plane, FALSE) - rho[i]));
        worst_same = MAX (worst_same, fabs (vt_randomization_spearman (x, y, plane, TRUE) - rho_abs[i]));
        worst_same = MAX (worst_same, fabs (vt_randomization_ssim (x, y, 32, 32) - ssim[i]));
      }
    g_test_message ("randomization: Spearman and SSIM on the same maps within %.3g of scipy's and "
                    "scikit-image's formula", worst_same);
    g_assert_cmpfloat (worst_same, <=, 1e-6);
  }

  run_faithfulness_spec (&r, dir, text);
  if (r.status != 0)
    g_error ("status %d: %s", r.status, r.err);
  g_assert_nonnull (strstr (r.err, "randomization: 11 of 11 layers"));
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  randomized = vt_checkpoint_open (randomized_path, &error);
  g_assert_no_error (error);
  /* the same images, the same classes explained */
  g_assert_cmpfloat (attention_difference (maps, "input.pixel_values", fixture, "input"), <=, 1e-6);
  g_assert_cmpfloat (attention_difference (maps, "targets", fixture, "targets"), ==, 0);

  results = load_json (results_path);
  steps = json_object_get_array_member (json_node_get_object (results), "steps");
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      JsonObject *step = json_array_get_object_element (steps, c);
      g_autofree char *key = g_strdup_printf ("layers.%s", cases[c]);
      g_auto(GStrv) layers = g_strsplit (g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), key), ",", -1);
      guint n_steps = g_strv_length (layers);

      for (guint v = 0; v < G_N_ELEMENTS (labels); v++)
        for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
          {
            JsonObject *metric = NULL;
            JsonObject *entry = faithfulness_entry (step, labels[v], methods[m], &metric);
            JsonArray *names = json_object_get_array_member (metric, "layers");
            JsonArray *per_step = json_object_get_array_member (entry, "steps");
            JsonArray *y = json_object_get_array_member (entry, "y");
            g_autofree char *name = g_strdup_printf ("%s.%s.%s", cases[c], methods[m], measures[v]);
            const double *want = fixture_doubles (fixture, name, n_steps * 4);

            g_assert_cmpstr (json_object_get_string_member (metric, "order"), ==, cases[c]);
            g_assert_nonnull (strstr (json_object_get_string_member (metric, "definition"),
                                      v == VT_RANDOMIZATION_SSIM ? "SSIM" : "Spearman"));
            g_assert_cmpuint (json_array_get_length (names), ==, n_steps);
            g_assert_cmpuint (json_array_get_length (per_step), ==, n_steps);
            for (guint s = 0; s < n_steps; s++)
              {
                JsonObject *one = json_array_get_object_element (per_step, s);
                JsonArray *values = json_object_get_array_member (one, "values");
                double mean = 0;

                g_assert_cmpstr (json_array_get_string_element (names, s), ==, layers[s]);
                g_assert_cmpstr (json_object_get_string_member (one, "layer"), ==, layers[s]);
                for (guint b = 0; b < 4; b++)
                  {
                    double got = json_number (json_array_get_element (values, b));

                    g_assert_true (same_number (got, want[s * 4 + b], 1.0));
                    if (!isnan (got))
                      worst = MAX (worst, fabs (got - want[s * 4 + b]));
                    /* the cascading step's numbers are those of the maps it wrote */
                    if (c == 0)
                      {
                        g_autofree char *after_name = g_strdup_printf ("%s.%u", methods[m], s + 1);
                        g_autofree float *before = maps_floats (maps, methods[m]);
                        g_autofree float *after = maps_floats (randomized, after_name);
                        double own = v == VT_RANDOMIZATION_SSIM
                          ? vt_randomization_ssim (before + b * 1024, after + b * 1024, 32, 32)
                          : vt_randomization_spearman (before + b * 1024, after + b * 1024, 1024,
                                                       v == VT_RANDOMIZATION_SPEARMAN_ABS);

                        g_assert_true (same_number (got, own, 1e-12));
                        if (!isnan (own))
                          worst_own = MAX (worst_own, fabs (got - own));
                      }
                    mean += want[s * 4 + b] / 4;
                  }
                g_assert_cmpfloat (fabs (json_array_get_double_element (y, s) - mean), <=, 1e-6 + worst);
              }
          }
    }
  g_assert_cmpfloat (worst_own, <=, 1e-12);
  /* The randomized maps against PyTorch's float64 ones (the fixture's
   * pairs: cascading step, image, method). */
  {
    static const struct { guint step, image; const char *method; } pairs[] = {
      { 0, 0, "gradcam" }, { 0, 3, "gradient" }, { 5, 1, "gradcam" }, { 5, 2, "gradient" }, { 10, 0, "gradient" },
      { 10, 3, "gradcam" },
    };
    g_autofree float *want = maps_floats (fixture, "pairs.b");

    for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
      {
        g_autofree char *name = g_strdup_printf ("%s.%u", pairs[i].method, pairs[i].step + 1);
        g_autofree float *got = maps_floats (randomized, name);
        const float *x = got + pairs[i].image * 1024, *y = want + i * 1024;
        double diff = 0, norm = 0;

        for (guint k = 0; k < 1024; k++)
          {
            diff += ((double) x[k] - y[k]) * ((double) x[k] - y[k]);
            norm += (double) y[k] * y[k];
          }
        worst_map = MAX (worst_map, sqrt (diff / norm));
      }
    g_test_message ("randomization: the randomized maps within %.3g relative L2 of PyTorch's (float64)", worst_map);
    g_assert_cmpfloat (worst_map, <=, 1e-3);
  }
  /* PyTorch's own float32 pass moves the correlations by up to the
   * fixture's float32_deviation; ours are float32 maps too. */
  g_test_message ("randomization: the step's rho and SSIM within %.3g of scipy's and scikit-image's formula on "
                  "PyTorch's float64 maps (PyTorch float32: "
                  "%s for Grad-CAM, %s for the gradient)", worst,
                  (const char *) g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "float32_deviation.gradcam"),
                  (const char *) g_hash_table_lookup (vt_checkpoint_get_metadata (fixture),
                                                      "float32_deviation.gradient"));
  g_assert_cmpfloat (worst, <=, 2e-3);

  g_assert_true (g_file_get_contents (table_path, &table, NULL, NULL));
  g_assert_true (g_str_has_prefix (table, "method,step,layer,sample,spearman,spearman_abs,ssim\n"));
  rows = g_strsplit (table, "\n", -1);
  /* a row per method, step and image, and the header; the last line ends */
  g_assert_cmpuint (g_strv_length (rows), ==, 2 * 11 * 4 + 2);
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.png", figures[i]);
      g_autofree char *path = g_build_filename (out, "figures", file, NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }

  vt_test_rm_rf (dir);
}

/* A faithfulness run that Cancel stops: a spec and its results folder. */
typedef struct
{
  const char *spec;
  const char *out;
} FaithfulnessRun;

static gboolean
faithfulness_task (gpointer       data,
                   GCancellable  *cancellable,
                   GError       **error)
{
  const FaithfulnessRun *run = data;
  g_autoptr(VtSpec) spec = vt_spec_load (run->spec, error);

  g_assert_nonnull (spec);
  return vt_run_execute (spec, run->out, NULL, cancellable, error);
}

/* "[0, stride, 2 stride, …]": @n sample indices. */
static GString *
sample_list (guint n,
             guint stride)
{
  GString *list = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (list, "%s%u", i ? ", " : "", i * stride);
  g_string_append (list, "]");
  return list;
}

/* Cancel reaches inside a faithfulness step's metrics: CIFAR-10 test JPEGs
 * whose maps take under a second, then a deletion of 1,024 steps over 32
 * of them (some 15 s) or the randomization check of all 11 layers of
 * ResNet-20 over 128 (some 9 s), cancelled 2.5 s after the start (times
 * the deadline scale: the sanitized build is as much slower in every
 * phase). Deletion checks before each classifier call, on up to 64 images
 * (here 32); the randomization check between passes of 16 images. It
 * stops within the bound, and leaves the maps file it had finished and
 * nothing half-done: no results.json, no table, no figure. */
static void
test_faithfulness_cancel (void)
{
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  static const char * const metrics[] = { "{\"name\": \"deletion\", \"steps\": 1024}",
                                          "{\"name\": \"randomization\", \"maps\": true}" };
  static const char * const what[] = { "a deletion of 1,024 steps over 32 images",
                                       "the randomization check of ResNet-20 over 128 images" };
  static const guint n_images[] = { 32, 128 };

  for (guint k = 0; k < G_N_ELEMENTS (metrics); k++)
    {
      g_autoptr(GString) samples = sample_list (n_images[k], 10000 / n_images[k]);
      g_autofree char *dir = vt_test_tmpdir ();
      g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
      g_autofree char *out = g_build_filename (dir, "out", NULL);
      g_autofree char *text = g_strdup_printf (
        "{\"steps\": [{\"kind\": \"faithfulness\", \"id\": \"f\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
        "\"split\": \"test\", \"samples\": %s, \"methods\": [\"gradcam\"], \"metrics\": [%s], "
        "\"formats\": [\"png\"]}]}", resnet, cifar, samples->str, metrics[k]);
      FaithfulnessRun run = { spec, out };
      g_autoptr(GDir) listing = NULL;
      g_autoptr(GError) error = NULL;
      const char *name;

      g_assert_true (g_file_set_contents (spec, text, -1, NULL));
      vt_test_assert_cancels (what[k], faithfulness_task, &run, (guint) (2500 * vt_test_deadline_scale ()));
      /* The maps were done: the cancel came inside the metric. */
      listing = g_dir_open (out, 0, &error);
      g_assert_no_error (error);
      while ((name = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *path = g_build_filename (out, name, NULL);
          g_autoptr(GDir) figures = NULL;

          g_test_message ("%s: left %s", what[k], name);
          /* the run's folder for figures, made at its start, stays empty */
          if (g_str_equal (name, "figures"))
            {
              figures = g_dir_open (path, 0, &error);
              g_assert_no_error (error);
              g_assert_null (g_dir_read_name (figures));
            }
          else if (!g_str_equal (name, "f-maps.safetensors") && !g_str_equal (name, "run.log"))
            g_error ("%s: the cancelled run left %s", what[k], name);
        }
      {
        g_autofree char *maps = g_build_filename (out, "f-maps.safetensors", NULL);

        g_assert_true (g_file_test (maps, G_FILE_TEST_IS_REGULAR));
      }
      vt_test_rm_rf (dir);
    }
}

/* COMET's masks ranked beside Grad-CAM: a comet step, then a
 * faithfulness step whose "extra_maps" names it, on 4 of its 12 test
 * images out of order. The faithfulness step measures exactly the comet
 * step's masks of those images, its deletion curve of them is the
 * engine's, and a map of a sample the file lacks, a file that is not
 * there and a file of another split are errors naming the key. */
static void
test_comet_faithfulness (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *comet_maps_path = g_build_filename (out, "cm-maps.safetensors", NULL);
  g_autofree char *maps_path = g_build_filename (out, "f-maps.safetensors", NULL);
  static const gint64 chosen[] = { 7, 2, 11, 5 };
  static const struct { const char *samples, *extra, *split, *message; } bad[] = {
    { "[3, 20]", "\"cm\"", "test", "$.steps[1].extra_maps[0]: " },
    { "[3]", "\"cm\", \"nowhere.safetensors\"", "test", "$.steps[1].extra_maps[1]: " },
    { "[3]", "\"cm\"", "train", "$.steps[1].extra_maps[0]: " },
  };
  static const char * const bad_phrases[] = { "has no map of sample 20 (it holds 12 samples)", "nowhere.safetensors",
                                              "holds maps of" };
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtCheckpoint) comet_maps = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtClassifier) classifier = NULL;
  g_autoptr(VtFaithfulnessCurve) deletion = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *pixels = NULL;
  g_autofree float *map = NULL;
  g_autofree float *comet_map = NULL;
  g_autofree gint64 *targets = NULL;
  g_autofree gint64 *samples = NULL;
  VtFaithfulnessOptions game;
  JsonObject *step;
  JsonArray *methods;
  gboolean listed = FALSE;
  char *text;

  text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"comet\", \"id\": \"cm\", \"detector\": \"%s\", \"dataset\": \"%s\", \"epochs\": 1, "
    "\"batch\": 8, \"predictor_depth\": 8, \"selector_width\": 8, \"test_limit\": 12, \"formats\": [\"png\"]}, "
    "{\"kind\": \"faithfulness\", \"id\": \"f\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\", "
    "\"samples\": [7, 2, 11, 5], \"methods\": [\"gradcam\"], \"extra_maps\": [\"cm\"], \"metrics\": [\"deletion\"], "
    "\"formats\": [\"png\"]}]}", ckpt, data, ckpt, data);
  run_faithfulness_spec (&r, dir, text);
  g_free (text);
  if (r.status != 0)
    g_error ("status %d: %s", r.status, r.err);
  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 1);
  methods = json_object_get_array_member (step, "methods");
  for (guint m = 0; m < json_array_get_length (methods); m++)
    {
      JsonObject *entry = json_array_get_object_element (methods, m);

      if (g_str_equal (json_object_get_string_member (entry, "name"), "comet"))
        {
          listed = TRUE;
          g_assert_cmpstr (json_object_get_string_member (entry, "family"), ==, "file");
          g_assert_true (g_str_has_suffix (json_object_get_string_member (entry, "source"), "cm-maps.safetensors"));
        }
    }
  g_assert_true (listed);

  /* the measured maps are the comet step's, image for image */
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  comet_maps = vt_checkpoint_open (comet_maps_path, &error);
  g_assert_no_error (error);
  map = maps_floats (maps, "comet");
  comet_map = maps_floats (comet_maps, "comet");
  samples = maps_integers (maps, "samples");
  for (guint i = 0; i < G_N_ELEMENTS (chosen); i++)
    {
      g_assert_cmpint (samples[i], ==, chosen[i]);
      g_assert_cmpmem (map + i * 32 * 32, sizeof (float) * 32 * 32, comet_map + chosen[i] * 32 * 32,
                       sizeof (float) * 32 * 32);
    }

  /* and its deletion curve is the engine's on them */
  checkpoint = vt_checkpoint_open (ckpt, &error);
  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  classifier = vt_classifier_new_for_model (model);
  pixels = maps_floats (maps, "input.pixel_values");
  targets = maps_integers (maps, "targets");
  vt_faithfulness_options_init (&game);
  deletion = vt_faithfulness_run (VT_FAITHFULNESS_DELETION, classifier, pixels, map, 4, 32, 32, targets, &game, NULL,
                                  &error);
  g_assert_no_error (error);
  g_test_message ("comet beside gradcam: deletion differs from the engine's by %.3g",
                  assert_curve_is (step, "deletion", "comet", deletion));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto(Result) b = { 0 };

      text = g_strdup_printf (
        "{\"steps\": [{\"kind\": \"comet\", \"id\": \"cm\", \"detector\": \"%s\", \"dataset\": \"%s\", \"epochs\": 1, "
        "\"batch\": 8, \"predictor_depth\": 8, \"selector_width\": 8, \"test_limit\": 12, \"formats\": [\"png\"]}, "
        "{\"kind\": \"faithfulness\", \"id\": \"f\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"%s\", "
        "\"samples\": %s, \"methods\": [\"gradcam\"], \"extra_maps\": [%s], \"metrics\": [\"deletion\"], "
        "\"formats\": [\"png\"]}]}", ckpt, data, ckpt, data, bad[i].split, bad[i].samples, bad[i].extra);
      run_faithfulness_spec (&b, dir, text);
      g_free (text);
      if (b.status != 1 || strstr (b.err, bad[i].message) == NULL || strstr (b.err, bad_phrases[i]) == NULL)
        g_error ("%s: exit %d, stderr: %s", bad[i].extra, b.status, b.err);
    }
  vt_test_rm_rf (dir);
}

/* A glyph dataset made in the same spec (40 test images with masks): the
 * localization metrics through the step are the engine's on the same maps
 * and the dataset's masks, and in [0, 1]. */
static void
test_faithfulness_localization (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *glyphs = g_build_filename (out, "gl", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "loc-maps.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"glyph_dataset\", \"id\": \"gl\", \"backgrounds\": \"%s\", \"train_images\": 20, "
    "\"test_images\": 40, \"seed\": 3}, "
    "{\"kind\": \"faithfulness\", \"id\": \"loc\", \"checkpoint\": \"%s\", \"dataset\": \"out/gl\", "
    "\"split\": \"test\", \"methods\": [\"gradcam\", \"gradcam++\"], \"metrics\": [\"pixel_ap\", \"comet_ap\", "
    "{\"name\": \"pointing_game\", \"tolerance\": 2}, \"iou_curve\", \"mask_mass\"], \"formats\": [\"png\"]}]}",
    backgrounds, resnet);
  static const char * const methods[] = { "gradcam", "gradcam++" };
  VtDatasetOptions options = { "test", FALSE, NULL };
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *masks = g_new (float, 40 * 32 * 32);
  g_autofree gint64 *samples = NULL;
  g_autofree char *figure = g_build_filename (out, "figures", "loc-iou-curve.png", NULL);
  JsonObject *step;

  run_faithfulness_spec (&r, dir, text);
  if (r.status != 0)
    g_error ("status %d: %s", r.status, r.err);
  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 1);
  g_assert_cmpint (json_object_get_int_member (step, "images"), ==, 40);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  samples = maps_integers (maps, "samples");
  dataset = vt_dataset_open (glyphs, &options, &error);
  g_assert_no_error (error);
  g_assert_true (vt_dataset_has_masks (dataset));
  for (guint i = 0; i < 40; i++)
    {
      int w = 0, h = 0;
      g_autofree guint8 *mask = vt_dataset_read_mask (dataset, (guint) samples[i], &w, &h, &error);

      g_assert_no_error (error);
      g_assert_cmpint (w, ==, 32);
      g_assert_cmpint (h, ==, 32);
      for (int k = 0; k < 32 * 32; k++)
        masks[i * 32 * 32 + k] = mask[k] ? 1.0f : 0.0f;
    }
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autofree float *map = maps_floats (maps, methods[m]);
      g_autoptr(VtFaithfulnessScores) ap = vt_localization_pixel_ap (map, masks, 40, 32, 32, &error);
      g_autoptr(VtFaithfulnessScores) comet = vt_localization_comet_ap (map, masks, 40, 32, 32, &error);
      g_autoptr(VtFaithfulnessScores) pointing = vt_localization_pointing_game (map, masks, 40, 32, 32, 2, &error);
      g_autoptr(VtFaithfulnessCurve) iou = vt_localization_iou_curve (map, masks, 40, 32, 32, &error);
      g_autoptr(VtFaithfulnessScores) mass = vt_localization_mask_mass (map, masks, 40, 32, 32, &error);
      JsonObject *metric = NULL;
      JsonArray *y;

      g_assert_no_error (error);
      assert_scores_are (step, "pixel_ap", methods[m], ap);
      assert_scores_are (step, "comet_ap", methods[m], comet);
      assert_scores_are (step, "pointing_game", methods[m], pointing);
      assert_curve_is (step, "iou_curve", methods[m], iou);
      assert_scores_are (step, "mask_mass", methods[m], mass);
      y = json_object_get_array_member (faithfulness_entry (step, "iou_curve", methods[m], &metric), "y");
      for (guint k = 0; k < json_array_get_length (y); k++)
        {
          g_assert_cmpfloat (json_array_get_double_element (y, k), >=, 0.0);
          g_assert_cmpfloat (json_array_get_double_element (y, k), <=, 1.0);
        }
      g_test_message ("faithfulness on glyphs, %s: pixel AP %.3f, COMET's AP %.3f, pointing game %.3f, IoU %.3f, "
                      "mask mass %.3f", methods[m], ap->mean, comet->mean, pointing->mean, iou->mean_summary,
                      mass->mean);
    }
  g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));
  vt_test_rm_rf (dir);
}

/* COMET on a glyph dataset made in the same spec (40 training and 12 test
 * images), its masks judged against the exact glyph masks by the
 * faithfulness step through "extra_maps": pixel AP and COMET's AP of the
 * comet step's masks are what the engine gives on them. */
static void
test_comet_glyphs (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *glyphs = g_build_filename (out, "gl", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "cm-maps.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"glyph_dataset\", \"id\": \"gl\", \"backgrounds\": \"%s\", \"train_images\": 40, "
    "\"test_images\": 12, \"seed\": 3}, "
    "{\"kind\": \"comet\", \"id\": \"cm\", \"detector\": \"%s\", \"dataset\": \"out/gl\", \"epochs\": 1, "
    "\"batch\": 20, \"predictor_depth\": 8, \"selector_width\": 8, \"formats\": [\"png\"]}, "
    "{\"kind\": \"faithfulness\", \"id\": \"loc\", \"checkpoint\": \"%s\", \"dataset\": \"out/gl\", "
    "\"split\": \"test\", \"methods\": [\"gradcam\"], \"extra_maps\": [\"cm\"], "
    "\"metrics\": [\"pixel_ap\", \"comet_ap\"], \"formats\": [\"png\"]}]}", backgrounds, resnet, resnet);
  VtDatasetOptions options = { "test", FALSE, NULL };
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFaithfulnessScores) ap = NULL;
  g_autoptr(VtFaithfulnessScores) comet_ap = NULL;
  g_autofree float *masks = g_new (float, 12 * 32 * 32);
  g_autofree float *map = NULL;
  JsonObject *step;

  run_faithfulness_spec (&r, dir, text);
  if (r.status != 0)
    g_error ("status %d: %s", r.status, r.err);
  results = load_json (results_path);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 2);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  dataset = vt_dataset_open (glyphs, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->n_samples, ==, 12);
  for (guint i = 0; i < 12; i++)
    {
      int w = 0, h = 0;
      g_autofree guint8 *mask = vt_dataset_read_mask (dataset, i, &w, &h, &error);

      g_assert_no_error (error);
      g_assert_cmpint (w * h, ==, 32 * 32);
      for (int k = 0; k < 32 * 32; k++)
        masks[i * 32 * 32 + k] = mask[k] ? 1.0f : 0.0f;
    }
  map = maps_floats (maps, "comet");
  ap = vt_localization_pixel_ap (map, masks, 12, 32, 32, &error);
  g_assert_no_error (error);
  comet_ap = vt_localization_comet_ap (map, masks, 12, 32, 32, &error);
  g_assert_no_error (error);
  assert_scores_are (step, "pixel_ap", "comet", ap);
  assert_scores_are (step, "comet_ap", "comet", comet_ap);
  g_test_message ("COMET after one epoch on 40 glyph images: pixel AP %.3f, COMET's AP %.3f", ap->mean,
                  comet_ap->mean);
  vt_test_rm_rf (dir);
}

/* Bad metrics, and a localization metric on a dataset without masks. */
static void
test_faithfulness_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *input = g_strdup_printf ("\"checkpoint\": \"%s\", \"dataset\": \"%s\", \"split\": \"test\", "
                                            "\"samples\": [0, 1], \"methods\": [\"gradcam\"]", resnet, cifar);
  static const BadStep bad[] = {
    { "@IN@, \"metrics\": [\"deletion\", \"faithful\"]", 2,
      "$.steps[0].metrics[1]: unknown metric “faithful”; known: deletion, insertion, road, road_confidence_change, "
      "randomization, pixel_ap, comet_ap, pointing_game, iou_curve, mask_mass" },
    { "@IN@, \"metrics\": [{\"name\": \"randomization\", \"order\": \"sideways\"}]", 2,
      "$.steps[0].metrics[0].order" },
    { "@IN@, \"metrics\": [{\"name\": \"randomization\", \"layers\": []}]", 2,
      "$.steps[0].metrics[0].layers: expected a list of the layers to randomize" },
    { "@IN@, \"metrics\": [{\"name\": \"randomization\", \"layers\": [3]}]", 2,
      "$.steps[0].metrics[0].layers[0]: expected a string" },
    { "@IN@, \"metrics\": [{\"name\": \"randomization\", \"maps\": \"yes\"}]", 2, "$.steps[0].metrics[0].maps" },
    { "@IN@, \"metrics\": [{\"name\": \"randomization\", \"steps\": 4}]", 2, "$.steps[0].metrics[0]" },
    { "@IN@, \"metrics\": [\"deletion\", {\"name\": \"randomization\", \"layers\": [\"head\", \"layer9.9\"]}]", 1,
      "$.steps[0].metrics[1].layers[1]: no layer “layer9.9” to randomize; the model's layers, top first: head, "
      "layer3.2" },
    { "@IN@", 2, "$.steps[0].metrics: expected a list of metrics" },
    { "@IN@, \"metrics\": []", 2, "$.steps[0].metrics: expected a list of metrics" },
    { "@IN@, \"metrics\": [3]", 2, "$.steps[0].metrics[0]: expected a metric's name" },
    { "@IN@, \"metrics\": [\"road\", {\"name\": \"road\"}]", 2,
      "$.steps[0].metrics[1]: “road” is listed already (at metrics[0])" },
    { "@IN@, \"metrics\": [{\"name\": \"deletion\", \"steps\": 0}]", 2, "$.steps[0].metrics[0].steps" },
    { "@IN@, \"metrics\": [{\"name\": \"deletion\", \"steps\": 5000}]", 1, "$.steps[0].metrics[0] (deletion)" },
    { "@IN@, \"metrics\": [{\"name\": \"insertion\", \"substrate\": \"grey\"}]", 2, "$.steps[0].metrics[0].substrate" },
    { "@IN@, \"metrics\": [{\"name\": \"deletion\", \"order\": \"morf\"}]", 2, "$.steps[0].metrics[0].order" },
    { "@IN@, \"metrics\": [{\"name\": \"road\", \"percentages\": [10, 100]}]", 2,
      "$.steps[0].metrics[0].percentages[1]: expected a percentage from 0 to below 100" },
    { "@IN@, \"metrics\": [{\"name\": \"road\", \"percentages\": [\"ten\"]}]", 2,
      "$.steps[0].metrics[0].percentages[0]" },
    { "@IN@, \"metrics\": [{\"name\": \"road\", \"percentages\": []}]", 2,
      "$.steps[0].metrics[0].percentages: expected a list of percentages" },
    { "@IN@, \"metrics\": [{\"name\": \"road\", \"order\": \"up\"}]", 2, "$.steps[0].metrics[0].order" },
    { "@IN@, \"metrics\": [\"deletion\", \"pointing_game\"]", 1,
      "$.steps[0].metrics[1]: pointing_game needs ground-truth masks, and " },
    { "@IN@, \"metrics\": [\"pixel_ap\"]", 1, "cifar10-jpg, split test has none (a glyph_dataset step makes" },
    { "@IN@, \"metrics\": [\"deletion\"], \"skip_unreadable\": true", 2, "$.steps[0].skip_unreadable" },
    { "\"checkpoint\": \"@CKPT@\", \"methods\": [\"gradcam\"], \"metrics\": [\"deletion\"]", 2, "$.steps[0]" },
    { "\"checkpoint\": \"@CKPT@\", \"dataset\": \"@DATA@\", \"methods\": [\"gradcam\", \"foo\"], "
      "\"metrics\": [\"deletion\"]", 2,
      "$.steps[0].methods[1]: unknown method “foo”; known: gradcam" },
  };
  const char * const replacements[] = { "@IN@", input, "@DATA@", cifar, "@CKPT@", resnet, NULL };

  check_bad_steps ("faithfulness", bad, G_N_ELEMENTS (bad), spec, out, replacements);
  vt_test_rm_rf (dir);
}

static void
test_memory_faithfulness (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *step = g_strdup_printf ("\"kind\": \"faithfulness\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
                                           "\"split\": \"test\", \"methods\": [\"gradcam\", \"hirescam\", "
                                           "\"gradient\"], \"metrics\": [\"deletion\"]", resnet, cifar);
  const char * const phrases[] = { "$.steps[0]: the faithfulness of the attribution maps of 10000 images of 32×32",
                                   "the maps, the images and their masks, every image's",
                                   "Lower $.steps[0].batch (now 16)", "$.steps[0].samples", NULL };

  expect_refusal (dir, "100M", step, phrases);
  vt_test_rm_rf (dir);
}

/* data/demo/comet-demo.json as shipped: two epochs of COMET on the demo
 * set, then its masks ranked beside Grad-CAM and HiResCAM by deletion and
 * ROAD, every method in every metric's table. */
static void
test_comet_demo (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *spec = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "comet-demo.json", NULL);
  g_autofree char *metrics_path = g_build_filename (out, "faithfulness-metrics.csv", NULL);
  static const char * const rows[] = { "\ngradcam,deletion,", "\ncomet,deletion,", "\nhirescam,road_morf,",
                                       "\ncomet,road_morf,", "\ncomet,road_lerf," };
  g_autofree char *metrics = NULL;
  g_auto(Result) r = { 0 };

  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  if (r.status != 0)
    g_error ("exit %d: %s", r.status, r.err);
  g_assert_true (g_file_get_contents (metrics_path, &metrics, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_nonnull (strstr (metrics, rows[i]));
  assert_file_starts_with (out, "comet-epochs.csv", "epoch,l1,", 9);
  assert_file_starts_with (out, "figures/comet-losses.svg", "<?xml", 5);
  vt_test_rm_rf (dir);
}

/* data/demo/attribute-demo.json as shipped: eight samples of the demo
 * set, each explained for its predicted class by six methods, and the
 * figure in every format. */
static void
test_attribute_demo (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *spec = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "attribute-demo.json", NULL);
  g_autofree char *maps_path = g_build_filename (out, "attribute-maps.safetensors", NULL);
  static const char * const methods[] = { "gradcam", "gradcam++", "hirescam", "layercam", "eigencam", "scorecam" };
  g_auto(Result) r = { 0 };
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(GError) error = NULL;
  const VtTensor *targets, *predicted;

  run_vitrine (&r, "--batch", spec, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      const VtTensor *t = vt_checkpoint_lookup (maps, methods[m]);

      g_assert_nonnull (t);
      g_assert_cmpint (t->shape[0], ==, 8);
      g_assert_cmpint (t->shape[1], ==, 32);
      g_assert_cmpint (t->shape[2], ==, 32);
    }
  targets = vt_checkpoint_lookup (maps, "targets");
  predicted = vt_checkpoint_lookup (maps, "predicted");
  g_assert_cmpmem (targets->data, targets->nbytes, predicted->data, predicted->nbytes);
  for (guint f = 0; f < 3; f++)
    {
      static const char * const extensions[] = { "png", "svg", "pdf" };
      g_autofree char *name = g_strdup_printf ("attribute-maps.%s", extensions[f]);
      g_autofree char *figure = g_build_filename (out, "figures", name, NULL);

      g_assert_true (g_file_test (figure, G_FILE_TEST_IS_REGULAR));
    }
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batch/inspect-demo", test_inspect_demo);
  g_test_add_func ("/batch/inspect-pth", test_inspect_pth);
  g_test_add_func ("/batch/default-output", test_default_output);
  g_test_add_func ("/batch/bad-specs", test_bad_specs);
  g_test_add_func ("/batch/rerun-supersedes", test_rerun_supersedes);
  g_test_add_func ("/batch/fresh-run-folder", test_fresh_run_folder);
  g_test_add_func ("/batch/malformed-checkpoints", test_malformed_checkpoints);
  g_test_add_func ("/batch/bad-json", test_bad_json);
  g_test_add_func ("/batch/missing-tensor", test_missing_tensor);
  g_test_add_func ("/batch/forward", test_forward);
  g_test_add_func ("/batch/forward-bad-input", test_forward_bad_input);
  g_test_add_func ("/batch/forward-gradients", test_forward_gradients);
  g_test_add_func ("/batch/forward-gradients-predicted", test_forward_gradients_predicted);
  g_test_add_func ("/batch/forward-gradients-bad-spec", test_forward_gradients_bad_spec);
  g_test_add_func ("/batch/evaluate-demo", test_evaluate_demo);
  g_test_add_func ("/batch/evaluate-bad-datasets", test_evaluate_bad_datasets);
  g_test_add_func ("/batch/predict", test_predict);
  g_test_add_func ("/batch/predict-bad-input", test_predict_bad_input);
  g_test_add_func ("/batch/predict/inputs", test_predict_inputs);
  g_test_add_func ("/batch/predict/outside-classes", test_predict_outside_classes);
  g_test_add_func ("/batch/csv-class-names", test_csv_class_names);
  g_test_add_func ("/batch/evaluate-other-classes", test_evaluate_other_classes);
  g_test_add_func ("/batch/store-references", test_store_references);
  g_test_add_func ("/batch/extract", test_extract);
  g_test_add_func ("/batch/incremental", test_incremental);
  g_test_add_func ("/batch/project", test_project);
  g_test_add_func ("/batch/project/three-components", test_project_three_components);
  g_test_add_func ("/batch/command-line", test_command_line);
  g_test_add_func ("/batch/memory/extract", test_memory_extract);
  g_test_add_func ("/batch/memory/incremental", test_memory_incremental);
  g_test_add_func ("/batch/memory/project", test_memory_project);
  g_test_add_func ("/batch/memory/forward", test_memory_forward);
  g_test_add_func ("/batch/memory/forward-gradients", test_memory_forward_gradients);
  g_test_add_func ("/batch/memory/wide-image", test_memory_wide_image);
  g_test_add_func ("/batch/messages/empty-stores", test_empty_stores);
  g_test_add_func ("/batch/messages/incremental", test_incremental_messages);
  g_test_add_func ("/batch/messages/model", test_model_messages);
  g_test_add_func ("/batch/messages/heads", test_heads_messages);
  g_test_add_func ("/batch/blas-kernels", test_blas_kernels);
  g_test_add_func ("/batch/bad-files", test_bad_files);
  g_test_add_func ("/batch/signal-cancels", test_signal_cancels);
  g_test_add_func ("/batch/figure-cancel", test_figure_cancel);
  g_test_add_func ("/batch/attention", test_attention);
  g_test_add_func ("/batch/attention-bad-input", test_attention_bad_input);
  g_test_add_func ("/batch/attention-text", test_attention_text);
  g_test_add_func ("/batch/memory/attention", test_memory_attention);
  g_test_add_func ("/batch/active", test_active);
  g_test_add_func ("/batch/active/clip", test_active_clip);
  g_test_add_func ("/batch/train/head", test_train_head);
  g_test_add_func ("/batch/train/reference", test_train_reference);
  g_test_add_func ("/batch/train/batchnorm", test_train_batchnorm);
  g_test_add_func ("/batch/train/bad-input", test_train_bad_input);
  g_test_add_func ("/batch/train/new-head", test_train_new_head);
  g_test_add_func ("/batch/train/cancel", test_train_cancel);
  g_test_add_func ("/batch/memory/train", test_memory_train);
  g_test_add_func ("/batch/attribute/resnet20", test_attribute_resnet20);
  g_test_add_func ("/batch/attribute/vit", test_attribute_vit);
  g_test_add_func ("/batch/attribute/gradient", test_attribute_gradient);
  g_test_add_func ("/batch/attribute/target", test_attribute_target);
  g_test_add_func ("/batch/attribute/bad-input", test_attribute_bad_input);
  g_test_add_func ("/batch/attribute/demo", test_attribute_demo);
  g_test_add_func ("/batch/memory/attribute", test_memory_attribute);
  g_test_add_func ("/batch/faithfulness/resnet20", test_faithfulness_resnet20);
  g_test_add_func ("/batch/faithfulness/localization", test_faithfulness_localization);
  g_test_add_func ("/batch/faithfulness/bad-input", test_faithfulness_bad_input);
  g_test_add_func ("/batch/faithfulness/randomization", test_faithfulness_randomization);
  g_test_add_func ("/batch/faithfulness/cancel", test_faithfulness_cancel);
  g_test_add_func ("/batch/memory/faithfulness", test_memory_faithfulness);
  g_test_add_func ("/batch/comet/run", test_comet_run);
  g_test_add_func ("/batch/comet/bad-input", test_comet_bad_input);
  g_test_add_func ("/batch/comet/cancel", test_comet_cancel);
  g_test_add_func ("/batch/comet/faithfulness", test_comet_faithfulness);
  g_test_add_func ("/batch/comet/demo", test_comet_demo);
  g_test_add_func ("/batch/comet/glyphs", test_comet_glyphs);
  g_test_add_func ("/batch/memory/comet", test_memory_comet);
  g_test_add_func ("/batch/glyphs", test_glyphs);
  g_test_add_func ("/batch/glyphs-bad-input", test_glyphs_bad_input);
  g_test_add_func ("/batch/memory/glyphs", test_memory_glyphs);
  return g_test_run ();
}
