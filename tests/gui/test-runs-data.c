/* test-runs-data.c: the Dataset and Embedding areas' work as runs, in the
 * real window, in process, under Xvfb.
 *
 * An extraction in the Dataset area and a projection in the Embedding area
 * are runs of the batch mode's `extract` and `project` steps: each is
 * listed in the Runs panel, its spec saved from there runs with the real
 * `vitrine --batch` to the same results.json and SVG figures; each results
 * folder reopens in its area without computing again; Cancel in the Runs
 * panel stops an extraction; and a t-SNE beside a running extraction gives
 * what it gives alone. Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "vitrine-application.h"
#include "vitrine-incremental-page.h"
#include "vitrine-predict-page.h"
#include "vitrine-store-item.h"
#include "vitrine-scatter-view.h"
#include "vitrine-window.h"
#include "features/vt-feature-cache.h"
#include "vt-gui-runs.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-gui-window.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static VitrineRun *
run_at (VitrineWindow *window,
        guint          i)
{
  g_autoptr(VitrineRun) run = g_list_model_get_item (vitrine_window_get_runs (window), i);
  return run;   /* the window's list holds it */
}

static VitrineWindow *
open_window (const char *checkpoint)
{
  VitrineWindow *window = vt_gui_open_window (app, checkpoint);

  if (checkpoint)
    {
      /* Opening a checkpoint is an inspect run of the Model area: the
       * first row of the Runs panel, before the runs these tests make. */
      g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 1);
      g_assert_cmpstr (vitrine_run_get_area (run_at (window, 0)), ==, "model");
    }
  return window;
}

static void
open_dataset (VitrineWindow *window,
              const char    *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);

  vitrine_window_open_dataset (window, file);
  g_assert_true (vitrine_dataset_page_is_busy (page));
  vt_gui_wait_until (vt_gui_dataset_idle, page, 60, "the dataset to open");
}


/* The area the window shows: the areas' stack is the pages' parent. */
static const char *
visible_area (VitrineWindow *window)
{
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (vitrine_window_get_dataset_page (window)));

  g_assert_true (GTK_IS_STACK (stack));
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* The entry of @dir's results.json for its only step. */
static JsonObject *
only_step (JsonParser *parser,
           const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "results.json", NULL);
  g_autoptr(GError) error = NULL;
  JsonArray *steps;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, 1);
  return json_array_get_object_element (steps, 0);
}

/* The (x, y) of every point in the layout table of @dir's project step. */
static GArray *
read_layout (const char *dir)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *step = only_step (parser, dir);
  g_autofree char *path = g_build_filename (dir, json_object_get_string_member (step, "layout_table"), NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *points = g_array_new (FALSE, FALSE, sizeof (float));
  int x = -1, y = -1;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) fields = NULL;

      /* CIFAR-10's class names need no quotes: a plain split reads them. */
      g_assert_null (strchr (lines[i], '"'));
      fields = g_strsplit (lines[i], ",", -1);
      if (i == 0)
        {
          for (int f = 0; fields[f]; f++)
            {
              if (g_str_equal (fields[f], "x"))
                x = f;
              else if (g_str_equal (fields[f], "y"))
                y = f;
            }
          g_assert_cmpint (x, >=, 0);
          g_assert_cmpint (y, >=, 0);
          continue;
        }
      g_assert_cmpuint (g_strv_length (fields), >, (guint) MAX (x, y));
      g_array_append_val (points, (float) { (float) g_ascii_strtod (fields[x], NULL) });
      g_array_append_val (points, (float) { (float) g_ascii_strtod (fields[y], NULL) });
    }
  return points;
}

/* The Embedding area shows, point for point, the layout of @dir. */
static void
assert_shows_layout (VitrineEmbeddingPage *page,
                     const char           *dir)
{
  g_autoptr(GArray) want = read_layout (dir);
  VitrineScatterView *scatter = VITRINE_SCATTER_VIEW (vitrine_embedding_page_get_scatter (page));
  guint n = 0;
  const float *shown = vitrine_embedding_page_get_layout (page, &n);

  g_assert_nonnull (shown);
  g_assert_cmpuint (2 * n, ==, want->len);
  g_assert_cmpuint (vitrine_scatter_view_get_n_points (scatter), ==, n);
  for (guint i = 0; i < want->len; i++)
    g_assert_cmpfloat (shown[i], ==, g_array_index (want, float, i));
}

/* The run the Dataset area starts: listed, finished, its store shown. */
static VitrineRun *
extract (VitrineWindow *window)
{
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  GListModel *runs = vitrine_window_get_runs (window);
  guint before = g_list_model_get_n_items (runs);
  VitrineRun *run;

  vitrine_dataset_page_extract (page);
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, before + 1);
  run = run_at (window, before);
  g_assert_true (vitrine_dataset_page_get_run (page) == run);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "dataset");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_RUNNING);
  vt_gui_wait_until (vt_gui_dataset_idle, page, 120, "the extraction run");
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_nonnull (vitrine_dataset_page_get_store (page));
  return run;
}

/* The layout events a run hands the window through its "event" signal. */
typedef struct
{
  guint   n;
  guint   n_points;
  double  last_iteration;
} LayoutEvents;

static void
on_layout_event (VitrineRun    *run,
                 const VtEvent *event,
                 LayoutEvents  *seen)
{
  if (event->kind != VT_EVENT_TENSOR || g_strcmp0 (event->name, "layout") != 0)
    return;
  /* A layout of every point, newer than the one before. */
  g_assert_cmpuint (event->n_dims, ==, 2);
  g_assert_cmpuint (event->shape[0], ==, seen->n_points);
  g_assert_cmpuint (event->shape[1], ==, 2);
  g_assert_cmpstr (event->x_name, ==, "iteration");
  g_assert_cmpfloat (event->x, >, seen->last_iteration);
  seen->last_iteration = event->x;
  seen->n++;
}

/* A t-SNE of the store the Dataset area made, run in the Embedding area:
 * listed, its layouts moving the points through the run's events. */
static VitrineRun *
project (VitrineWindow *window)
{
  VitrineEmbeddingPage *page = vitrine_window_get_embedding_page (window);
  GListModel *runs = vitrine_window_get_runs (window);
  guint before = g_list_model_get_n_items (runs);
  /* t-SNE's first layout is its start, iteration 0. */
  LayoutEvents seen = { 0, 200, -1 };
  VitrineRun *run;
  gulong handler;

  vitrine_window_show_area (window, "embedding");
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_TSNE, 30, 50000);
  vitrine_embedding_page_run (page);
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, before + 1);
  run = run_at (window, before);
  g_assert_true (vitrine_embedding_page_get_run (page) == run);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "embedding");
  /* Before the first event: they come on the main loop. */
  handler = g_signal_connect (run, "event", G_CALLBACK (on_layout_event), &seen);
  vt_gui_wait_until (vt_gui_run_done, run, 120, "the t-SNE run");
  g_signal_handler_disconnect (run, handler);
  g_assert_null (vitrine_embedding_page_get_error (page));
  g_assert_false (vitrine_embedding_page_is_running (page));
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_test_message ("%u layout events (the last of iteration %.0f); %s", seen.n, seen.last_iteration,
                  vitrine_embedding_page_get_status (page));
  /* The events are coalesced (how many reach the window depends on its
   * frame rate), but the newest always comes before the run ends. The
   * page showed each, then the results folder's layout. */
  g_assert_cmpuint (seen.n, >=, 1);
  g_assert_cmpuint (vitrine_embedding_page_get_n_layouts (page), ==, seen.n + 1);
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (page), "t-SNE of 200 samples"));
  assert_shows_layout (page, vitrine_run_get_results_dir (run));
  return run;
}

/* In the real window: an extraction, then a t-SNE of its store; both in
 * the Runs panel; each one's spec, saved from the panel, runs with
 * `vitrine --batch` to the same results.json and SVG figures. */
static void
test_batch_reproduces (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  g_autofree char *tmp = vt_test_tmpdir ();
  VitrineWindow *window = open_window (demo);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrineRun *extraction, *projection;
  g_autofree char *batch_extract = NULL;
  g_autofree char *batch_project = NULL;
  guint n_svg = 0;

  open_dataset (window, sample);
  extraction = extract (window);
  g_assert_cmpuint (vitrine_dataset_page_get_store (vitrine_window_get_dataset_page (window))->n_samples, ==, 200);
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 1, "save-spec")));
  projection = project (window);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 3);
  {
    g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "runs-data-panel.png", NULL);

    vt_gui_spin (300);
    g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));
    g_test_message ("screenshot: %s", shot);
  }
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 2, "save-spec")));

  batch_extract = vt_gui_assert_batch_reproduces (panel, extraction, tmp, NULL);
  {
    /* The batch extracted its own store (a cache of its own), of the same shape. */
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *step = only_step (parser, batch_extract);

    g_assert_false (json_object_get_boolean_member (step, "reused"));
    g_assert_cmpint (json_object_get_int_member (step, "samples"), ==, 200);
    g_assert_cmpstr (json_object_get_string_member (step, "store"), !=,
                     vitrine_dataset_page_get_store_path (vitrine_window_get_dataset_page (window), NULL));
  }
  batch_project = vt_gui_assert_batch_reproduces (panel, projection, tmp, &n_svg);
  g_assert_cmpuint (n_svg, ==, 1);
  vt_gui_close_window (GTK_WINDOW (window));

  /* What --batch wrote reopens too: its own store, and the layout. */
  window = open_window (NULL);
  vitrine_window_open_results (window, batch_extract);
  vt_gui_wait_until (vt_gui_dataset_idle, vitrine_window_get_dataset_page (window), 60, "the batch's store");
  g_assert_null (vitrine_dataset_page_get_error (vitrine_window_get_dataset_page (window)));
  g_assert_cmpuint (vitrine_dataset_page_get_store (vitrine_window_get_dataset_page (window))->n_samples, ==, 200);
  g_assert_true (g_str_has_prefix (vitrine_dataset_page_get_store_path (vitrine_window_get_dataset_page (window), NULL),
                                   tmp));
  vitrine_window_open_results (window, batch_project);
  g_assert_null (vitrine_embedding_page_get_error (vitrine_window_get_embedding_page (window)));
  assert_shows_layout (vitrine_window_get_embedding_page (window), batch_project);
  vt_gui_close_window (GTK_WINDOW (window));
  vt_test_rm_rf (tmp);
}

/* Each results folder reopens (vitrine_window_open_results) in the area
 * that made it: the Dataset area with the store the run wrote, the
 * Embedding area with the layout in the folder, point for point, and
 * nothing computed again. */
static void
test_reopen (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  VitrineWindow *window = open_window (demo);
  g_autofree char *extract_dir = NULL;
  g_autofree char *project_dir = NULL;
  VitrineDatasetPage *dataset_page;
  VitrineEmbeddingPage *embedding_page;
  VitrineRun *run;

  open_dataset (window, sample);
  extract_dir = g_strdup (vitrine_run_get_results_dir (extract (window)));
  project_dir = g_strdup (vitrine_run_get_results_dir (project (window)));
  vt_gui_close_window (GTK_WINDOW (window));

  /* A window with nothing open: the extraction's folder. */
  window = open_window (NULL);
  dataset_page = vitrine_window_get_dataset_page (window);
  embedding_page = vitrine_window_get_embedding_page (window);
  vitrine_window_open_results (window, extract_dir);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 1);
  run = run_at (window, 0);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "dataset");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_cmpstr (visible_area (window), ==, "dataset");
  vt_gui_wait_until (vt_gui_dataset_idle, dataset_page, 60, "the reopened store and dataset");
  g_assert_null (vitrine_dataset_page_get_error (dataset_page));
  g_assert_true (vitrine_dataset_page_get_run (dataset_page) == run);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *step = only_step (parser, extract_dir);
    VtFeatureStore *store = vitrine_dataset_page_get_store (dataset_page);

    g_assert_nonnull (store);
    g_assert_cmpint (store->n_samples, ==, json_object_get_int_member (step, "samples"));
    g_assert_cmpint (store->dim, ==, json_object_get_int_member (step, "dim"));
    g_assert_cmpint (store->n_classes, ==, json_object_get_int_member (step, "classes"));
    g_assert_cmpstr (vitrine_dataset_page_get_store_path (dataset_page, NULL), ==,
                     json_object_get_string_member (step, "store"));
    g_assert_nonnull (vitrine_dataset_page_get_dataset (dataset_page));
    g_assert_cmpuint (vitrine_dataset_page_get_dataset (dataset_page)->n_samples, ==, store->n_samples);
  }

  /* The projection's folder: the layout from the file, no run started. */
  vitrine_window_open_results (window, project_dir);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 2);
  run = run_at (window, 1);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "embedding");
  g_assert_cmpstr (visible_area (window), ==, "embedding");
  g_assert_null (vitrine_embedding_page_get_error (embedding_page));
  g_assert_false (vitrine_embedding_page_is_running (embedding_page));
  g_assert_true (vitrine_embedding_page_get_run (embedding_page) == run);
  g_assert_cmpuint (vitrine_embedding_page_get_n_layouts (embedding_page), ==, 1);
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (embedding_page), "t-SNE of 200 samples"));
  assert_shows_layout (embedding_page, project_dir);
  vt_gui_spin (200);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 2);
  vt_gui_close_window (GTK_WINDOW (window));
  vt_test_rm_rf (extract_dir);
  vt_test_rm_rf (project_dir);
}

/* Cancel in the Runs panel stops an extraction of the 50,000 CIFAR-10
 * training JPEGs within the Dataset area's bound for its own Cancel; the
 * run is cancelled, writes no results.json, and the page says so. */
static void
test_cancel_extraction (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *train = vt_test_asset ("datasets/cifar10-jpg/train");
  VitrineWindow *window = open_window (demo);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  g_autofree char *none = NULL;
  VitrineRun *run;
  GtkWidget *cancel;
  gint64 start;

  open_dataset (window, train);
  g_assert_cmpuint (vitrine_dataset_page_get_dataset (page)->n_samples, ==, 50000);
  vitrine_dataset_page_extract (page);
  run = run_at (window, 1);
  vt_gui_spin (1500);
  g_assert_true (vitrine_dataset_page_is_busy (page));
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_RUNNING);
  cancel = vitrine_runs_panel_get_button (panel, 1, "cancel");
  g_assert_nonnull (cancel);
  g_assert_true (gtk_widget_get_sensitive (cancel));
  start = g_get_monotonic_time ();
  g_signal_emit_by_name (cancel, "clicked");
  vt_gui_wait_until (vt_gui_dataset_idle, page, 10, "the cancelled extraction to stop");
  g_test_message ("extraction stopped %.0f ms after Cancel", (g_get_monotonic_time () - start) / 1e3);
  vt_gui_wait_until (vt_gui_run_done, run, 10, "the cancelled run to end");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_CANCELLED);
  none = g_build_filename (vitrine_run_get_results_dir (run), "results.json", NULL);
  g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_null (vitrine_dataset_page_get_store (page));
  vt_gui_close_window (GTK_WINDOW (window));
}

/* Runs side by side: a t-SNE while an extraction of the 50,000 CIFAR-10
 * training JPEGs runs gives the results a t-SNE alone gave, and the
 * extraction, still running, is cancelled alone from its row. */
static void
test_side_by_side (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  g_autofree char *train = vt_test_asset ("datasets/cifar10-jpg/train");
  VitrineWindow *window = open_window (demo);
  VitrineDatasetPage *dataset_page = vitrine_window_get_dataset_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrineRun *alone, *extraction, *beside;

  open_dataset (window, sample);
  extract (window);
  alone = project (window);

  vitrine_window_show_area (window, "dataset");
  open_dataset (window, train);
  vitrine_dataset_page_extract (dataset_page);
  extraction = run_at (window, 3);
  g_assert_cmpstr (vitrine_run_get_area (extraction), ==, "dataset");
  beside = project (window);
  g_assert_true (beside == run_at (window, 4));
  /* 50,000 images take minutes here: the extraction is still under way. */
  g_assert_cmpint (vitrine_run_get_state (extraction), ==, VITRINE_RUN_RUNNING);
  g_assert_cmpstr (vitrine_run_get_results_dir (beside), !=, vitrine_run_get_results_dir (alone));
  vt_gui_assert_same_results (vitrine_run_get_results_dir (alone), vitrine_run_get_results_dir (beside));

  g_signal_emit_by_name (vitrine_runs_panel_get_button (panel, 3, "cancel"), "clicked");
  vt_gui_wait_until (vt_gui_run_done, extraction, 10, "the extraction beside the t-SNE to stop");
  g_assert_cmpint (vitrine_run_get_state (extraction), ==, VITRINE_RUN_CANCELLED);
  g_assert_cmpint (vitrine_run_get_state (beside), ==, VITRINE_RUN_FINISHED);
  vt_gui_wait_until (vt_gui_dataset_idle, dataset_page, 10, "the Dataset area after the cancelled run");
  g_assert_null (vitrine_dataset_page_get_error (dataset_page));
  vt_gui_close_window (GTK_WINDOW (window));
}

static gboolean
predicted (gpointer page)
{
  return !vitrine_predict_page_is_busy (page);
}

static gboolean
incremental_done (gpointer page)
{
  return !vitrine_incremental_page_is_running (page);
}

/* One run of each of the five areas that run (Model's inspection of the
 * opened checkpoint, Predict, Dataset's extraction, Embedding's t-SNE,
 * Incremental on the numpy-checked CIL fixture stores) in one window, each
 * listed in the Runs panel; each run's Save Spec… run by the real
 * `vitrine --batch` gives the same results.json (times and paths aside),
 * the same files, and the same tables and SVG figures byte for byte. */
static void
test_every_area (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  g_autofree char *cat_path = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autoptr(GFile) cat = g_file_new_for_path (cat_path);
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *tmp = vt_test_tmpdir ();
  static const char * const methods[] = { "nmc", "simplecil", "gda", "ranpac", NULL };
  static const char * const areas[] = { "model", "predict", "dataset", "embedding", "incremental" };
  VitrineWindow *window = open_window (demo);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrinePredictPage *predict = vitrine_window_get_predict_page (window);
  VitrineIncrementalPage *incremental = vitrine_window_get_incremental_page (window);
  g_autoptr(GError) error = NULL;
  guint n_svg = 0;

  /* An earlier test extracted the same sample into this process's cache:
   * clear it, so that the window extracts as the batch run (with a cache
   * of its own) will, and results.json says "reused": false on both. */
  {
    g_autofree char *cache = vt_feature_cache_dir ();

    g_assert_true (vt_feature_cache_clear (cache, g_get_real_time (), NULL, &error));
    g_assert_no_error (error);
  }
  vitrine_window_show_area (window, "predict");
  vitrine_predict_page_open (predict, cat);
  vt_gui_wait_until (predicted, predict, 60, "the prediction's run");
  g_assert_null (vitrine_predict_page_get_error (predict));

  vitrine_window_show_area (window, "dataset");
  open_dataset (window, sample);
  extract (window);
  project (window);

  g_assert_true (vitrine_incremental_page_add_store (incremental, train, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_incremental_page_add_store (incremental, test, TRUE, &error));
  g_assert_no_error (error);
  vitrine_window_show_area (window, "incremental");
  vitrine_incremental_page_configure (incremental, "B0-Inc2", methods, 1000);
  vitrine_incremental_page_run (incremental);
  g_assert_true (vitrine_incremental_page_is_running (incremental));
  vt_gui_wait_until (incremental_done, incremental, 120, "the incremental run");
  g_assert_null (vitrine_incremental_page_get_error (incremental));

  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, G_N_ELEMENTS (areas));
  for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
    {
      VitrineRun *run = run_at (window, i);
      guint n = 0;

      g_assert_cmpstr (vitrine_run_get_area (run), ==, areas[i]);
      g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
      g_free (vt_gui_assert_batch_reproduces (panel, run, tmp, &n));
      n_svg += n;
    }
  /* The t-SNE's layout and the incremental run's charts at the least. */
  g_test_message ("%u SVG figures of five areas alike", n_svg);
  g_assert_cmpuint (n_svg, >, 1);
  vt_gui_close_window (GTK_WINDOW (window));
  vt_test_rm_rf (tmp);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/runs-data/batch-reproduces", test_batch_reproduces, 300 },
    { "/gui/runs/every-area", test_every_area, 400 },
    { "/gui/runs-data/reopen", test_reopen, 300 },
    { "/gui/runs-data/cancel-extraction", test_cancel_extraction, 120 },
    { "/gui/runs-data/side-by-side", test_side_by_side, 300 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
