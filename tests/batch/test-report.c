/* test-report.c: the figures a run writes are the ones vt_report_step_figures
 * builds from its finished results folder, for every step kind that has
 * figures: rendered to SVG with the same renderer, byte for byte. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "figures/vt-figure-render.h"
#include "io/vt-checkpoint.h"
#include "report/vt-csv.h"
#include "report/vt-report.h"
#include "report/vt-run-comparison.h"
#include "run/vt-run.h"
#include "vt-test-util.h"

/* The figure events of a run, in order. */
static void
record_figures (const VtEvent *event,
                gpointer       data)
{
  if (event->kind == VT_EVENT_FIGURE)
    {
      g_assert_nonnull (event->figure);
      g_ptr_array_add (data, g_strdup (event->name));
    }
}

/* An SVG file's text, but for the ids Cairo numbers per surface it makes
 * in the process ("surface56"), which say nothing about the drawing. */
static char *
read_svg (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) surface = g_regex_new ("surface[0-9]+", 0, 0, NULL);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return g_regex_replace_literal (surface, contents, -1, 0, "surface", 0, NULL);
}

typedef struct
{
  guint    k;
  double  *values;   /* k × k, from the CSV */
} Confusion;

static gboolean
read_confusion_row (guint row, guint n_fields, char * const *fields, gpointer data, GError **error)
{
  Confusion *c = data;

  g_assert_cmpuint (n_fields, ==, c->k + 1);
  for (guint p = 0; row > 0 && p < c->k; p++)
    c->values[(gsize) (row - 1) * c->k + p] = g_ascii_strtod (fields[p + 1], NULL);
  return TRUE;
}

static void
test_figures_from_results (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *again = g_build_filename (dir, "again", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *json = g_strdup_printf (
    "{\"steps\": ["
    " {\"kind\": \"inspect\", \"id\": \"inspect\", \"checkpoint\": \"%s\", \"formats\": [\"svg\"],"
    "  \"histograms\": [\"conv1.weight\", \"linear.weight\"]},"
    " {\"kind\": \"evaluate\", \"id\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"formats\": [\"svg\"]},"
    " {\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"logits\": true},"
    " {\"kind\": \"incremental\", \"id\": \"b0-inc5\", \"train\": \"%s\", \"test\": \"%s\", \"split\": \"B0-Inc5\","
    "  \"methods\": [\"nmc\", \"simplecil\"], \"formats\": [\"svg\"]},"
    " {\"kind\": \"project\", \"id\": \"pca\", \"store\": \"%s\", \"method\": \"pca\", \"color\": \"class\","
    "  \"formats\": [\"svg\"]},"
    " {\"kind\": \"project\", \"id\": \"confidence\", \"store\": \"features\", \"method\": \"pca\","
    "  \"color\": \"confidence\", \"formats\": [\"svg\"]}"
    "]}", ckpt, ckpt, sample, ckpt, sample, train, test, train);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, dir, &error);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  VtRunOptions options = { { record_figures, events }, vt_figure_export_writer, NULL };
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *steps;
  guint compared = 0, event = 0;
  static const char * const kinds[] = { "inspect", "evaluate", "extract", "incremental", "project", "project" };
  static const guint expected[] = { 2, 1, 0, 2 * 2 + 2, 1, 1 };

  g_assert_no_error (error);
  vt_run_execute (spec, out, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (again, 0755), ==, 0);

  json_parser_load_from_file (parser, results_path, &error);
  g_assert_no_error (error);
  steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, G_N_ELEMENTS (kinds));
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *result = json_array_get_object_element (steps, i);
      g_autoptr(GPtrArray) figures = vt_report_step_figures (kinds[i], result, out, &error);
      JsonArray *listing = json_object_has_member (result, "figures")
                           ? json_object_get_array_member (result, "figures") : NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (figures->len, ==, expected[i]);
      g_assert_cmpuint (listing ? json_array_get_length (listing) : 0, ==, figures->len);
      for (guint f = 0; f < figures->len; f++)
        {
          const VtReportFigure *figure = g_ptr_array_index (figures, f);
          g_autofree char *file = g_strdup_printf ("%s.svg", figure->name);
          g_autofree char *written = g_build_filename (out, "figures", file, NULL);
          g_autofree char *base = g_build_filename (again, figure->name, NULL);
          g_autofree char *redrawn = g_build_filename (again, file, NULL);
          g_autofree char *a = NULL;
          g_autofree char *b = NULL;

          /* Listed in results.json, announced by an event, in this order. */
          g_assert_true (g_str_has_prefix (json_array_get_string_element (listing, f), "figures/"));
          g_assert_cmpstr (json_array_get_string_element (listing, f) + strlen ("figures/"), ==, file);
          g_assert_cmpuint (event, <, events->len);
          g_assert_cmpstr (g_ptr_array_index (events, event), ==, figure->name);
          event++;
          g_assert_true (vt_figure_export (figure->figure, base, VT_FIGURE_FORMAT_SVG, &error));
          g_assert_no_error (error);
          a = read_svg (written);
          b = read_svg (redrawn);
          g_assert_cmpuint (strlen (a), >, 1000);
          if (!g_str_equal (a, b))
            g_error ("%s differs from the same figure drawn from results.json (%s)", written, redrawn);
          compared++;
        }
    }
  g_assert_cmpuint (event, ==, events->len);

  /* Drawn from the right numbers: the confusion heatmap is the CSV's. */
  {
    g_autoptr(GPtrArray) figures = vt_report_step_figures ("evaluate", json_array_get_object_element (steps, 1), out,
                                                           &error);
    const VtFigure *heatmap = ((VtReportFigure *) g_ptr_array_index (figures, 0))->figure;
    g_autofree char *csv = g_build_filename (out, "evaluate-confusion.csv", NULL);
    g_autofree double *values = g_new0 (double, 100);
    Confusion c = { 10, values };
    double total = 0;

    g_assert_true (vt_csv_read (csv, read_confusion_row, &c, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (heatmap->rows, ==, 10);
    for (guint i = 0; i < 100; i++)
      {
        g_assert_cmpfloat (heatmap->values[i], ==, values[i]);
        total += values[i];
      }
    g_assert_cmpfloat (total, ==, 200);
  }
  /* The titles the Incremental area shows; the per-class heatmap is exported. */
  {
    g_autoptr(GPtrArray) figures = vt_report_step_figures ("incremental", json_array_get_object_element (steps, 3),
                                                           out, &error);
    const VtReportFigure *matrix = g_ptr_array_index (figures, 0);
    const VtReportFigure *per_class = g_ptr_array_index (figures, 5);
    g_autofree char *per_class_svg = g_build_filename (out, "figures", "b0-inc5-per-class-accuracy.svg", NULL);

    g_assert_cmpstr (matrix->name, ==, "b0-inc5-nmc-accuracy-matrix");
    g_assert_true (g_str_has_suffix (matrix->figure->title, ": accuracy on each stage's classes"));
    g_assert_cmpstr (per_class->figure->title, ==, "Accuracy per class after the last stage");
    g_assert_cmpuint (per_class->figure->rows, ==, 2);
    g_assert_cmpuint (per_class->figure->cols, ==, 10);
    g_assert_true (g_file_test (per_class_svg, G_FILE_TEST_IS_REGULAR));
  }
  /* The confidence layout keeps its sequential palette. */
  {
    g_autoptr(GPtrArray) figures = vt_report_step_figures ("project", json_array_get_object_element (steps, 5), out,
                                                           &error);
    const VtFigure *scatter = ((VtReportFigure *) g_ptr_array_index (figures, 0))->figure;

    g_assert_cmpint (scatter->palette, ==, VT_FIGURE_PALETTE_SEQUENTIAL);
    g_assert_cmpuint (scatter->n_points, ==, 200);
  }
  g_test_message ("report: %u figures redrawn from results.json and the tables, byte-identical SVG", compared);
  vt_test_rm_rf (dir);
}

/* A results.json that lacks what a figure needs is an error, not a crash. */
static void
test_figures_bad_results (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string ("{\"id\": \"e\", \"per_class\": [{\"class\": \"a\"}], "
                                               "\"confusion\": [[1, 2]]}", &error);
  g_autoptr(GPtrArray) figures = NULL;

  g_assert_no_error (error);
  figures = vt_report_step_figures ("evaluate", json_node_get_object (node), "/nonexistent", &error);
  g_assert_null (figures);
  g_assert_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "step “e”: “confusion”"));
}

/* results.json's text, but for the run's times and the folder it ran in. */
static char *
results_text (const char *out)
{
  g_autofree char *path = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GRegex) times = g_regex_new ("\"(started|seconds)\" : [^,\\n]*", 0, 0, NULL);
  g_autofree char *timeless = NULL;
  g_autoptr(GString) placeless = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  timeless = g_regex_replace_literal (times, text, -1, 0, "\"\\1\" : -", 0, NULL);
  placeless = g_string_new (timeless);
  g_string_replace (placeless, out, "OUT", 0);
  return g_string_free (g_steal_pointer (&placeless), FALSE);
}

/* A spec built in code with the constructors (as the window builds its
 * runs), saved as Save Spec… saves it and loaded back as --batch loads it,
 * runs to the same results.json, one step of every kind. */
static void
test_saved_spec_runs_the_same (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *built_out = g_build_filename (dir, "built", NULL);
  g_autofree char *loaded_out = g_build_filename (dir, "loaded", NULL);
  g_autofree char *spec_path = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *io = vt_test_fixture ("forward/cifar_resnet20.io.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *cat = g_build_filename (sample, "cat", "0000.jpg", NULL);
  g_autofree char *ship = g_build_filename (sample, "ship", "0001.jpg", NULL);
  const char *images[] = { cat, ship, NULL };
  g_autoptr(VtSpec) built = vt_spec_new ("every kind", dir);
  g_autoptr(VtSpec) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  VtInspectStep *inspect = vt_inspect_step_new (NULL, ckpt);
  VtForwardStep *forward = vt_forward_step_new (NULL, ckpt, io);
  VtExtractStep *extract = vt_extract_step_new ("features", ckpt, sample);
  VtIncrementalStep *incremental = vt_incremental_step_new (NULL, "features", "features", "B0-Inc5");
  VtPredictStep *predict = vt_predict_step_new (NULL, ckpt, images);
  VtRunOptions options = { { NULL, NULL }, NULL, NULL };

  g_strfreev (inspect->histograms);
  inspect->histograms = g_strsplit ("conv1.weight", " ", -1);
  forward->images = g_strdup ("input.pixel_values");
  extract->logits = TRUE;
  incremental->methods = 1;   /* NMC */
  predict->top = 3;
  g_assert_true (vt_spec_add_step (built, (VtStep *) inspect, &error) &&
                 vt_spec_add_step (built, (VtStep *) forward, &error) &&
                 vt_spec_add_step (built, (VtStep *) vt_evaluate_step_new (NULL, ckpt, sample), &error) &&
                 vt_spec_add_step (built, (VtStep *) extract, &error) &&
                 vt_spec_add_step (built, (VtStep *) incremental, &error) &&
                 vt_spec_add_step (built, (VtStep *) vt_project_step_new (NULL, "features", VT_EMBEDDING_PCA), &error) &&
                 vt_spec_add_step (built, (VtStep *) predict, &error));
  g_assert_no_error (error);

  data = vt_spec_to_data (built);
  g_assert_true (g_file_set_contents (spec_path, data, -1, NULL));
  loaded = vt_spec_load (spec_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->steps->len, ==, 7);

  vt_run_execute (built, built_out, &options, NULL, &error);
  g_assert_no_error (error);
  vt_run_execute (loaded, loaded_out, &options, NULL, &error);
  g_assert_no_error (error);
  a = results_text (built_out);
  b = results_text (loaded_out);
  g_assert_nonnull (strstr (a, "\"predictions\""));
  if (!g_str_equal (a, b))
    g_error ("results.json of the built spec and of the saved one differ:\n%s\n----\n%s", a, b);
  vt_test_rm_rf (dir);
}

/* Runs `vitrine --batch @spec --output @out` in @cwd; its exit status. */
static int
batch_in (const char *cwd,
          const char *spec,
          const char *out)
{
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_test_message ("vitrine --batch %s in %s:\n%s", spec, cwd, err);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

/* A spec with relative paths, run from its folder as "spec.json"; the
 * "spec" its results.json echoes, saved in another folder (as Save Spec…
 * saves it) and run from a third (as Re-run runs it, from "/"), gives the
 * same results: the echo says where its relative paths start, and a step
 * id ("features") stays an id. */
static void
test_echoed_spec_reruns (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *inputs = g_build_filename (dir, "inputs", NULL);
  g_autofree char *elsewhere = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  g_autofree char *model_link = g_build_filename (inputs, "model.safetensors", NULL);
  g_autofree char *sample_link = g_build_filename (inputs, "sample", NULL);
  g_autofree char *first = g_build_filename (dir, "first", NULL);
  g_autofree char *again = g_build_filename (dir, "again", NULL);
  g_autofree char *echo_path = g_build_filename (elsewhere, "echo.json", NULL);
  g_autofree char *results = g_build_filename (first, "results.json", NULL);
  g_autofree char *echo_text = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *echo;
  const char *spec =
    "{\"name\": \"relative\", \"steps\": ["
    " {\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"model.safetensors\", \"dataset\": \"sample\"},"
    " {\"kind\": \"project\", \"store\": \"features\", \"method\": \"pca\", \"formats\": [\"svg\"]}"
    "]}";

  g_assert_cmpint (g_mkdir_with_parents (inputs, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0755), ==, 0);
  g_assert_cmpint (symlink (ckpt, model_link), ==, 0);
  g_assert_cmpint (symlink (sample, sample_link), ==, 0);
  g_free (vt_test_write_file (inputs, "spec.json", spec, strlen (spec)));

  g_assert_cmpint (batch_in (inputs, "spec.json", first), ==, 0);
  json_parser_load_from_file (parser, results, &error);
  g_assert_no_error (error);
  echo = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "spec");
  g_assert_cmpstr (json_object_get_string_member (echo, "base_dir"), ==, inputs);
  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (node, echo);
    echo_text = json_to_string (node, TRUE);
  }
  g_assert_true (g_file_set_contents (echo_path, echo_text, -1, NULL));

  g_assert_cmpint (batch_in ("/", echo_path, again), ==, 0);
  a = results_text (first);
  b = results_text (again);
  if (!g_str_equal (a, b))
    g_error ("the echoed spec, run from elsewhere, gives other results:\n%s\n----\n%s", b, a);
  vt_test_rm_rf (dir);
}

/* An event as a line to compare: kind, step and what the kind carries;
 * @out (the run's folder) becomes "OUT". Progress is kept apart. */
static char *
event_line (const char *kind,
            const char *step,
            const char *name,
            const char *path,
            const char *series,
            const char *x_name,
            double      x,
            double      y,
            const char *message,
            const char *out)
{
  g_autoptr(GString) line = g_string_new (NULL);

  g_string_append_printf (line, "%s %s", kind, step ? step : "-");
  if (g_str_equal (kind, "metric"))
    g_string_append_printf (line, " %s %s=%.17g y=%.17g", series, x_name, x, y);
  if (name)
    g_string_append_printf (line, " name=%s", name);
  if (path)
    g_string_append_printf (line, " path=%s", path);
  if (message && (g_str_equal (kind, "step") || g_str_equal (kind, "error")))
    g_string_append_printf (line, " message=%s", message);
  g_string_replace (line, out, "OUT", 0);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

typedef struct
{
  const char *out;
  GPtrArray  *lines;       /* everything but progress */
  GPtrArray  *steps;       /* the step of each progress event */
  gboolean    fractions_ok;
  GPtrArray  *values;      /* each metric event's values (a GArray of double), or NULL */
} Recorder;

static void
record_event (const VtEvent *e,
              gpointer       data)
{
  Recorder *r = data;

  if (e->kind == VT_EVENT_PROGRESS)
    {
      r->fractions_ok = r->fractions_ok && e->fraction >= 0.0 && e->fraction <= 1.0 && e->step != NULL;
      g_ptr_array_add (r->steps, g_strdup (e->step));
      /* Extraction says how fast it goes and how long it has left. */
      if (e->rate > 0 && e->seconds_left >= 0)
        g_ptr_array_add (r->steps, g_strdup_printf ("rate:%s", e->step));
      return;
    }
  if (e->kind == VT_EVENT_METRIC && r->values)
    {
      GArray *values = g_array_sized_new (FALSE, FALSE, sizeof (double), e->n_values);

      g_array_append_vals (values, e->values, e->n_values);
      g_ptr_array_add (r->values, values);
    }
  g_ptr_array_add (r->lines, event_line (vt_event_kind_name (e->kind), e->step, e->name, e->path, e->series, e->x_name,
                                         e->x, e->y, e->message, r->out));
}

/* The kinds of @lines of step @step, space-separated. */
static char *
kinds_of (GPtrArray  *lines,
          const char *step)
{
  g_autoptr(GString) kinds = g_string_new (NULL);
  g_autofree char *tag = g_strdup_printf (" %s", step);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      const char *space = strchr (line, ' ');
      gsize tag_len = strlen (tag);

      if (strncmp (space, tag, tag_len) == 0 && (space[tag_len] == ' ' || space[tag_len] == '\0'))
        g_string_append_printf (kinds, "%s%.*s", kinds->len ? " " : "", (int) (space - line), line);
    }
  return g_string_free (g_steal_pointer (&kinds), FALSE);
}

/* Runs @json, saved at @spec_path, with the real `vitrine --batch` into
 * @batch_out: its events but progress, from the JSON lines on stderr, as
 * event_line () writes them. */
static GPtrArray *
batch_event_lines (const char *json,
                   const char *spec_path,
                   const char *batch_out)
{
  GPtrArray *batch_lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) err_lines = NULL;
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec_path, "--output", batch_out, NULL };
  int status = 0;

  g_assert_true (g_file_set_contents (spec_path, json, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
                               &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("vitrine --batch %s failed:\n%s", spec_path, err);
  err_lines = g_strsplit (err, "\n", -1);
  for (guint i = 0; err_lines[i]; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *e;
      const char *kind;

      if (err_lines[i][0] != '{')
        continue;
      node = json_from_string (err_lines[i], &error);
      g_assert_no_error (error);
      e = json_node_get_object (node);
      kind = json_object_get_string_member (e, "event");
      if (g_str_equal (kind, "progress"))
        continue;
      g_ptr_array_add (batch_lines,
                       event_line (kind, json_object_get_string_member_with_default (e, "step", NULL),
                                   json_object_get_string_member_with_default (e, "name", NULL),
                                   json_object_get_string_member_with_default (e, "path", NULL),
                                   json_object_get_string_member_with_default (e, "series", NULL),
                                   json_object_get_string_member_with_default (e, "x_name", NULL),
                                   json_object_get_double_member_with_default (e, "x", 0),
                                   json_object_get_double_member_with_default (e, "y", 0),
                                   json_object_get_string_member_with_default (e, "message", NULL), batch_out));
    }
  return batch_lines;
}

/* One small step of every kind: the events in process (a recording sink)
 * are, kind by kind and in order, the ones the window and --batch get;
 * --batch prints the same ones as JSON lines on stderr (progress thinned);
 * metric events carry the accuracies results.json holds. */
static void
test_event_streams (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *batch_out = g_build_filename (dir, "batch", NULL);
  g_autofree char *spec_path = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *io = vt_test_fixture ("forward/cifar_resnet20.io.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *json = g_strdup_printf (
    "{\"steps\": ["
    " {\"kind\": \"inspect\", \"checkpoint\": \"%s\", \"histograms\": [\"conv1.weight\"], \"formats\": [\"svg\"]},"
    " {\"kind\": \"forward\", \"checkpoint\": \"%s\", \"input\": \"%s\", \"images\": \"input.pixel_values\"},"
    " {\"kind\": \"evaluate\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", \"formats\": [\"svg\"]},"
    " {\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"%s\"},"
    " {\"kind\": \"incremental\", \"train\": \"features\", \"test\": \"features\", \"split\": \"B0-Inc5\","
    "  \"methods\": [\"nmc\", \"simplecil\"], \"formats\": [\"svg\"]},"
    " {\"kind\": \"project\", \"store\": \"features\", \"method\": \"pca\", \"formats\": [\"svg\"]},"
    " {\"kind\": \"predict\", \"checkpoint\": \"%s\", \"images\": [\"%s/cat/0000.jpg\", \"%s/dog/0001.jpg\"]}"
    "]}", ckpt, ckpt, io, ckpt, sample, ckpt, sample, ckpt, sample, sample);
  static const struct { const char *step, *kinds; } expected[] = {
    { "inspect", "step table figure file" },
    { "forward", "step file" },
    { "evaluate", "step table table figure file" },
    { "features", "step file" },
    { "incremental", "step metric metric metric metric table table table table table figure file figure file "
                     "figure file figure file figure file figure file" },
    { "project", "step table file file table figure file" },
    { "predict", "step table" },
    { "-", "table file done" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, dir, &error);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) progress_steps = g_ptr_array_new_with_free_func (g_free);
  Recorder recorder = { out, lines, progress_steps, TRUE, NULL };
  VtRunOptions options = { { record_event, &recorder }, vt_figure_export_writer, NULL };
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) batch_lines = NULL;
  JsonArray *methods;
  guint metric = 0;

  g_assert_no_error (error);
  vt_run_execute (spec, out, &options, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *kinds = kinds_of (lines, expected[i].step);
      g_assert_cmpstr (kinds, ==, expected[i].kinds);
    }
  g_assert_true (recorder.fractions_ok);
  /* Every step but forward's taps reports progress as it goes. */
  for (guint i = 0; i + 1 < G_N_ELEMENTS (expected); i++)
    {
      gboolean seen = FALSE;
      for (guint p = 0; p < progress_steps->len && !seen; p++)
        seen = g_str_equal (g_ptr_array_index (progress_steps, p), expected[i].step);
      g_assert_true (seen);
    }
  g_assert_cmpstr (g_ptr_array_index (lines, 0), ==, "step inspect message=inspect");
  for (guint i = 0; i < 3; i++)
    {
      const char *step = (const char *[]) { "rate:evaluate", "rate:features", "rate:predict" }[i];
      gboolean seen = FALSE;

      for (guint p = 0; p < progress_steps->len && !seen; p++)
        seen = g_str_equal (g_ptr_array_index (progress_steps, p), step);
      /* Predict goes image by image: no rate to tell. */
      g_assert_true (seen == (i < 2));
    }

  /* Metric events: stage by stage, each method, its accuracy on the classes
   * seen, as results.json has it. */
  json_parser_load_from_file (parser, results_path, &error);
  g_assert_no_error (error);
  methods = json_object_get_array_member (
    json_array_get_object_element (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                                                 "steps"), 4), "methods");
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      guint stage = metric / 2, m = metric % 2;
      JsonObject *method;
      double y;
      g_autofree char *want = NULL;

      if (!g_str_has_prefix (line, "metric "))
        continue;
      method = json_array_get_object_element (methods, m);
      y = json_array_get_double_element (json_object_get_array_member (method, "seen_accuracy"), stage);
      want = event_line ("metric", "incremental", NULL, NULL, json_object_get_string_member (method, "title"), "stage",
                         stage, y, NULL, out);
      g_assert_cmpstr (line, ==, want);
      metric++;
    }
  g_assert_cmpuint (metric, ==, 4);

  /* --batch: the same events, as JSON lines on stderr. */
  batch_lines = batch_event_lines (json, spec_path, batch_out);
  g_assert_cmpuint (batch_lines->len, ==, lines->len);
  for (guint i = 0; i < lines->len; i++)
    g_assert_cmpstr (g_ptr_array_index (batch_lines, i), ==, g_ptr_array_index (lines, i));
  g_test_message ("events: %u in process and in --batch, step by step as expected", lines->len);
  vt_test_rm_rf (dir);
}

/* The step kinds that came after the others, a small run of each: the
 * forward step with "gradients", "attention" and "active". Their events in
 * process, kind by kind and in order, are the ones --batch prints as JSON
 * lines; the files they announce exist, and the active step's metric
 * events carry each run's accuracy and labeled classes, round by round,
 * as results.json holds them. */
static void
test_event_streams_new_kinds (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *batch_out = g_build_filename (dir, "batch", NULL);
  g_autofree char *spec_path = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *resnet = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *batch = vt_test_fixture ("grad/net_cifar_resnet20.safetensors");
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autofree char *pool = vt_test_fixture ("active/pool.safetensors");
  g_autofree char *test = vt_test_fixture ("active/test.safetensors");
  g_autofree char *json = g_strdup_printf (
    "{\"steps\": ["
    " {\"kind\": \"forward\", \"id\": \"gradients\", \"checkpoint\": \"%s\", \"input\": \"%s\", \"images\": \"input\","
    "  \"gradients\": {\"target\": \"logits\", \"index\": [3, 8], \"wrt\": [\"input\", \"linear.bias\"]}},"
    " {\"kind\": \"attention\", \"checkpoint\": \"%s\", \"files\": [\"%s/cat/0000.jpg\", \"%s/dog/0001.jpg\"],"
    "  \"heads\": [0], \"formats\": [\"svg\"]},"
    " {\"kind\": \"active\", \"store\": \"%s\", \"test\": \"%s\", \"strategies\": [\"random\", \"entropy\"],"
    "  \"pcb\": false, \"rounds\": 2, \"budget\": 5, \"initial\": 8, \"seeds\": [0], \"epochs\": 5,"
    "  \"formats\": [\"svg\"]}"
    "]}", resnet, batch, vit, sample, sample, pool, test);
  static const struct { const char *step, *kinds; } expected[] = {
    { "gradients", "step file" },
    /* the maps, then per image its grid, overlay and rollout */
    { "attention", "step file figure file figure file figure file figure file figure file figure file" },
    /* per run (random, entropy) its three rounds */
    { "active", "step metric metric metric metric metric metric table table table figure file figure file figure file" },
    { "-", "file done" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, dir, &error);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) progress_steps = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  Recorder recorder = { out, lines, progress_steps, TRUE, values };
  VtRunOptions options = { { record_event, &recorder }, vt_figure_export_writer, NULL };
  g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) batch_lines = NULL;
  JsonArray *steps, *runs;
  guint metric = 0;

  g_assert_no_error (error);
  vt_run_execute (spec, out, &options, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lines->len; i++)
    g_test_message ("event %u: %s", i, (const char *) g_ptr_array_index (lines, i));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *kinds = kinds_of (lines, expected[i].step);
      g_assert_cmpstr (kinds, ==, expected[i].kinds);
    }
  g_assert_true (recorder.fractions_ok);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (expected); i++)
    {
      gboolean seen = FALSE;
      for (guint p = 0; p < progress_steps->len && !seen; p++)
        seen = g_str_equal (g_ptr_array_index (progress_steps, p), expected[i].step);
      g_assert_true (seen);
    }

  /* Every file an event announces is there; each figure is followed by
   * its SVG. */
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      const char *at = strstr (line, " path=");

      if (at)
        {
          g_autofree char *file = g_build_filename (out, at + strlen (" path="), NULL);

          if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
            g_error ("%s: announced, not written", file);
        }
      if (g_str_has_prefix (line, "figure "))
        {
          const char *name = strstr (line, " name=") + strlen (" name=");
          g_autofree char *want = g_strdup_printf ("file %.*s path=figures/%s.svg", (int) (strchr (line + 7, ' ') - line - 7),
                                                   line + 7, name);

          g_assert_cmpuint (i + 1, <, lines->len);
          g_assert_cmpstr (g_ptr_array_index (lines, i + 1), ==, want);
        }
    }

  /* The gradients are in the taps file the forward step announces. */
  {
    g_autofree char *taps_path = g_build_filename (out, "gradients-taps.safetensors", NULL);
    g_autoptr(VtCheckpoint) taps = vt_checkpoint_open (taps_path, &error);

    g_assert_no_error (error);
    g_assert_nonnull (vt_checkpoint_lookup (taps, "grad.input"));
    g_assert_nonnull (vt_checkpoint_lookup (taps, "grad.linear.bias"));
  }

  /* Metric events: run by run (random, then entropy), round by round, its
   * accuracy on the test store and the classes it has labeled. */
  json_parser_load_from_file (parser, results_path, &error);
  g_assert_no_error (error);
  steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps");
  runs = json_object_get_array_member (json_array_get_object_element (steps, 2), "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 2);
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      guint run = metric / 3, round = metric % 3;
      JsonObject *entry;
      JsonArray *histogram;
      GArray *got;
      g_autofree char *series = NULL;
      g_autofree char *want = NULL;

      if (!g_str_has_prefix (line, "metric "))
        continue;
      g_assert_cmpuint (run, <, 2);
      entry = json_array_get_object_element (runs, run);
      series = g_strdup_printf ("%s seed %" G_GINT64_FORMAT, json_object_get_string_member (entry, "strategy"),
                                json_object_get_int_member (entry, "seed"));
      want = event_line ("metric", "active", NULL, NULL, series, "round", round,
                         json_array_get_double_element (json_object_get_array_member (entry, "accuracy"), round),
                         NULL, out);
      g_assert_cmpstr (line, ==, want);
      histogram = json_array_get_array_element (json_object_get_array_member (entry, "histogram"), round);
      got = g_ptr_array_index (values, metric);
      g_assert_cmpuint (got->len, ==, json_array_get_length (histogram));
      for (guint c = 0; c < got->len; c++)
        g_assert_cmpfloat (g_array_index (got, double, c), ==, json_array_get_int_element (histogram, c));
      metric++;
    }
  g_assert_cmpuint (metric, ==, 2 * 3);
  g_assert_cmpuint (values->len, ==, metric);

  /* --batch: the same events, as JSON lines on stderr. */
  batch_lines = batch_event_lines (json, spec_path, batch_out);
  g_assert_cmpuint (batch_lines->len, ==, lines->len);
  for (guint i = 0; i < lines->len; i++)
    g_assert_cmpstr (g_ptr_array_index (batch_lines, i), ==, g_ptr_array_index (lines, i));
  g_test_message ("events: %u in process and in --batch, step by step as expected", lines->len);
  vt_test_rm_rf (dir);
}

typedef struct
{
  GPtrArray  *rows;       /* VtRunComparisonRow */
  guint       n_runs;
  guint       n_read;
} CsvCheck;

/* Each CSV record is the row of the same index: key, kind, values. */
static gboolean
check_comparison_record (guint row, guint n_fields, char * const *fields, gpointer data, GError **error)
{
  CsvCheck *c = data;
  VtRunComparisonRow *r;

  g_assert_cmpuint (n_fields, ==, 2 + c->n_runs);
  c->n_read++;
  if (row == 0)
    {
      g_assert_cmpstr (fields[0], ==, "key");
      g_assert_cmpstr (fields[2], ==, "plain");
      g_assert_cmpstr (fields[3], ==, "resized, \"40\"");
      return TRUE;
    }
  r = g_ptr_array_index (c->rows, row - 1);
  g_assert_cmpstr (fields[0], ==, r->key);
  g_assert_cmpstr (fields[1], ==, r->setting ? "setting" : "result");
  for (guint i = 0; i < c->n_runs; i++)
    g_assert_cmpstr (fields[2 + i], ==, r->values[i] ? r->values[i] : "");
  return TRUE;
}

static const VtRunComparisonRow *
find_row (GPtrArray  *rows,
          const char *key,
          gboolean    setting)
{
  for (guint i = 0; i < rows->len; i++)
    {
      VtRunComparisonRow *row = g_ptr_array_index (rows, i);

      if (g_str_equal (row->key, key) && row->setting == setting)
        return row;
    }
  g_error ("no %s row %s in the comparison", setting ? "setting" : "result", key);
}

/* Two evaluate runs of ResNet-20 on the demo sample, the second with the
 * images resized to 40 before the crop: the comparison lists the spec's
 * keys as settings and the step's numbers as results, each value as its
 * results.json has it; only what differs is marked (the resize, the
 * accuracy if it moved; not the checkpoint or the image count), lists of
 * objects (per class, confusion) are left out, and the CSV reads back to
 * the same rows. */
static void
test_run_comparison (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  g_autofree char *ckpt = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  JsonNode *results[2];
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_path = g_build_filename (dir, "runs.csv", NULL);
  const char * const names[] = { "plain", "resized, \"40\"" };
  const VtRunComparisonRow *row;
  CsvCheck check = { NULL, 2, 0 };
  g_autoptr(GError) error = NULL;

  for (guint r = 0; r < 2; r++)
    {
      g_autofree char *json = g_strdup_printf ("{\"steps\": [{\"kind\": \"evaluate\", \"checkpoint\": \"%s\", "
                                               "\"dataset\": \"%s\"%s}]}", ckpt, sample,
                                               r == 1 ? ", \"transform\": {\"resize\": 40}" : "");
      g_autofree char *spec = g_strdup_printf ("%s/spec-%u.json", dir, r);
      g_autofree char *out = g_strdup_printf ("%s/out-%u", dir, r);
      g_autofree char *results_path = g_build_filename (out, "results.json", NULL);
      g_autofree char *text = NULL;

      g_assert_true (g_file_set_contents (spec, json, -1, NULL));
      g_assert_cmpint (batch_in (dir, spec, out), ==, 0);
      g_assert_true (g_file_get_contents (results_path, &text, NULL, NULL));
      results[r] = json_from_string (text, &error);
      g_assert_no_error (error);
    }
  rows = vt_run_comparison_new (results, 2);

  row = find_row (rows, "evaluate.checkpoint", TRUE);
  g_assert_false (row->differs);
  g_assert_cmpstr (row->values[0], ==, ckpt);
  row = find_row (rows, "evaluate.transform.resize", TRUE);
  g_assert_true (row->differs);
  g_assert_null (row->values[0]);
  g_assert_cmpstr (row->values[1], ==, "40");
  row = find_row (rows, "evaluate.images", FALSE);
  g_assert_false (row->differs);
  g_assert_cmpstr (row->values[0], ==, "200");
  for (guint r = 0; r < 2; r++)
    {
      JsonObject *step = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (results[r]), "steps"), 0);
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      row = find_row (rows, "evaluate.top1", FALSE);
      g_assert_cmpstr (row->values[r], ==,
                       g_ascii_dtostr (number, sizeof number, json_object_get_double_member (step, "top1")));
      g_assert_cmpint (row->differs, ==, json_object_get_double_member (step, "top1") !=
                       json_object_get_double_member (json_array_get_object_element (
                         json_object_get_array_member (json_node_get_object (results[1 - r]), "steps"), 0), "top1"));
      row = find_row (rows, "evaluate.transform", FALSE);
      g_assert_cmpstr (row->values[r], ==, json_object_get_string_member (step, "transform"));
      g_assert_true (row->differs);
    }
  /* Settings come first; lists of objects are not rows. */
  g_assert_true (((VtRunComparisonRow *) g_ptr_array_index (rows, 0))->setting);
  for (guint i = 0; i < rows->len; i++)
    {
      VtRunComparisonRow *r = g_ptr_array_index (rows, i);

      g_assert_cmpstr (r->key, !=, "evaluate.per_class");
      g_assert_cmpstr (r->key, !=, "evaluate.confusion");
      if (i > 0 && r->setting)
        g_assert_true (((VtRunComparisonRow *) g_ptr_array_index (rows, i - 1))->setting);
    }

  csv = vt_run_comparison_to_csv (rows, names, 2, FALSE);
  g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
  check.rows = rows;
  g_assert_true (vt_csv_read (csv_path, check_comparison_record, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.n_read, ==, rows->len + 1);
  g_test_message ("%u rows compared, CSV read back", rows->len);
  for (guint r = 0; r < 2; r++)
    json_node_unref (results[r]);
  vt_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/figures-from-results", test_figures_from_results);
  g_test_add_func ("/report/bad-results", test_figures_bad_results);
  g_test_add_func ("/report/saved-spec-runs-the-same", test_saved_spec_runs_the_same);
  g_test_add_func ("/report/echoed-spec-reruns", test_echoed_spec_reruns);
  g_test_add_func ("/report/event-streams", test_event_streams);
  g_test_add_func ("/report/event-streams-new-kinds", test_event_streams_new_kinds);
  g_test_add_func ("/report/run-comparison", test_run_comparison);
  return g_test_run ();
}
