/* test-runs-model.c: the Model and Predict areas through the one run path,
 * in the real window, in process, under Xvfb.
 *
 * Opening a checkpoint inspects it as a run of an "inspect" step and a
 * prediction is a run of a "predict" step: each is listed in the Runs
 * panel, its spec saved from there runs in the real `vitrine --batch` to
 * the same results; a results folder reopens in the area that made it,
 * from its files alone; a damaged image fails its run with the file named
 * in the panel's row and in the area. Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vitrine-application.h"
#include "vitrine-figure-view.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-gui-runs.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
predicted (gpointer page)
{
  return !vitrine_predict_page_is_busy (page);
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

static void
close_window (VitrineWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}

static char *
demo_checkpoint (void)
{
  return g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "resnet20-12fca82f.safetensors", NULL);
}

static VitrineRun *
run_at (VitrineWindow *window,
        guint          i)
{
  g_autoptr(VitrineRun) run = g_list_model_get_item (vitrine_window_get_runs (window), i);
  return run;   /* the window's list holds it */
}

/* The area the window shows: the areas' stack is the pages' parent. */
static const char *
visible_area (VitrineWindow *window)
{
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (vitrine_window_get_model_page (window)));

  g_assert_true (GTK_IS_STACK (stack));
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
save_json (JsonNode   *node,
           const char *path)
{
  g_autofree char *text = json_to_string (node, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

/* The entry of results.json's first step (the window's runs have one). */
static JsonObject *
first_step (JsonNode *results)
{
  return json_array_get_object_element (json_object_get_array_member (json_node_get_object (results), "steps"), 0);
}

/* What the areas show against what the runs wrote -----------------------------------*/

/* The Model area shows, for @tensor, the statistics and histogram the run
 * wrote in @results (its results.json): the mean as the page formats it,
 * and every bin of the histogram drawn. */
static void
assert_model_shows (VitrineWindow *window,
                    JsonNode      *results,
                    const char    *tensor)
{
  VitrineModelPage *page = vitrine_window_get_model_page (window);
  JsonArray *tensors = json_object_get_array_member (first_step (results), "tensors");
  JsonObject *entry = NULL;
  const VtFigure *figure;
  JsonArray *counts;
  g_autofree char *mean = NULL;

  for (guint i = 0; i < json_array_get_length (tensors); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (tensors, i), "name"), tensor))
      entry = json_array_get_object_element (tensors, i);
  g_assert_nonnull (entry);
  g_assert_true (vitrine_model_page_select_tensor (page, tensor));
  mean = g_strdup_printf ("%.6g", json_object_get_double_member (entry, "mean"));
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Mean"), ==, mean);
  figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_model_page_get_histogram (page)));
  g_assert_nonnull (figure);
  counts = json_object_get_array_member (json_object_get_object_member (entry, "histogram"), "counts");
  g_assert_cmpuint (figure->histogram->n_bins, ==, json_array_get_length (counts));
  for (guint b = 0; b < figure->histogram->n_bins; b++)
    g_assert_cmpuint (figure->histogram->counts[b], ==, (guint64) json_array_get_int_element (counts, b));
}

/* The Predict area shows row @line (1: the first after the header) of the
 * run's CSV: each class and its probability, read back to the same double. */
static void
assert_predict_shows_row (VitrinePredictPage *page,
                          const char         *dir,
                          guint               line)
{
  g_autofree char *csv = g_build_filename (dir, "predict-predictions.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  g_auto(GStrv) row = NULL;
  const char *name;
  double p;
  guint n = 0;

  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  header = g_strsplit (lines[0], ",", -1);
  g_assert_cmpuint (g_strv_length (lines), >, line);
  row = g_strsplit (lines[line], ",", -1);
  /* CIFAR's class names and the test's paths hold no comma or quote. */
  g_assert_cmpstr (header[0], ==, "file");
  g_assert_cmpuint (g_strv_length (row), ==, g_strv_length (header));
  for (guint r = 0; 1 + 2 * r + 1 < g_strv_length (row); r++, n++)
    {
      g_assert_true (vitrine_predict_page_get_top (page, r, &name, &p));
      g_assert_cmpstr (name, ==, row[1 + 2 * r]);
      g_assert_cmpfloat (p, ==, g_ascii_strtod (row[2 + 2 * r], NULL));
    }
  g_assert_false (vitrine_predict_page_get_top (page, n, &name, &p));
  g_assert_cmpuint (n, ==, 5);
}

static void
assert_predict_shows_csv (VitrinePredictPage *page,
                          const char         *dir)
{
  assert_predict_shows_row (page, dir, 1);
}

/* The demo checkpoint inspected and a CIFAR cat predicted in one window:
 * the two runs, finished, in the Runs panel. */
static VitrineWindow *
inspect_and_predict (void)
{
  g_autofree char *demo = demo_checkpoint ();
  g_autofree char *cat_path = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autoptr(GFile) cat = g_file_new_for_path (cat_path);
  VitrineWindow *window = vitrine_window_new (app);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  GListModel *runs = vitrine_window_get_runs (window);

  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
  g_assert_true (vitrine_window_is_loading (window));
  /* Listed at once, while it runs. */
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 1);
  g_assert_cmpstr (vitrine_run_get_area (run_at (window, 0)), ==, "model");
  vt_gui_wait_until (loaded, window, 60, "the demo checkpoint's inspection");
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 0)), ==, VITRINE_RUN_FINISHED);
  g_assert_true (vitrine_model_page_get_run (vitrine_window_get_model_page (window)) == run_at (window, 0));

  g_assert_true (vitrine_window_shows_area (window, "predict"));
  vitrine_window_show_area (window, "predict");
  vitrine_predict_page_open (page, cat);
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 2);
  g_assert_cmpstr (vitrine_run_get_area (run_at (window, 1)), ==, "predict");
  vt_gui_wait_until (predicted, page, 60, "the prediction's run");
  g_assert_null (vitrine_predict_page_get_error (page));
  g_assert_true (vitrine_predict_page_shows_image (page));
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 1)), ==, VITRINE_RUN_FINISHED);
  g_assert_true (vitrine_predict_page_get_run (page) == run_at (window, 1));
  return window;
}

/* Tests ---------------------------------------------------------------------------*/

/* Each run is in the Runs panel with its buttons; what the areas show is
 * what the runs wrote; Save Spec… of each runs in --batch to the same. */
static void
test_inspect_and_predict (void)
{
  VitrineWindow *window = inspect_and_predict ();
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrineRun *inspected = run_at (window, 0), *prediction = run_at (window, 1);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *inspect_results = g_build_filename (vitrine_run_get_results_dir (inspected), "results.json", NULL);
  g_autofree char *predict_results = g_build_filename (vitrine_run_get_results_dir (prediction), "results.json", NULL);
  g_autoptr(JsonNode) inspection = load_json (inspect_results);
  g_autoptr(JsonNode) predictions = load_json (predict_results);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  JsonObject *first;

  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, i, "open-results")));
      g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, i, "rerun")));
      g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, i, "save-spec")));
      g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, i, "cancel")));
    }
  /* Model: ResNet-20's 97 tensors, each with its statistics and histogram. */
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Tensors"), ==, "97");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (first_step (inspection), "tensors")), ==, 97);
  assert_model_shows (window, inspection, "module.linear.weight");
  assert_model_shows (window, inspection, "module.layer2.1.bn2.running_var");

  /* Predict: the page's classes are the run's, for the cat it classified. */
  first = json_array_get_object_element (json_object_get_array_member (first_step (predictions), "predictions"), 0);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (first, "file"), "cat/0000.jpg"));
  assert_predict_shows_csv (page, vitrine_run_get_results_dir (prediction));

  /* Save Spec… of each: the real --batch gives the same. */
  for (guint i = 0; i < 2; i++)
    g_free (vt_gui_assert_batch_reproduces (panel, run_at (window, i), tmp, NULL));
  close_window (window);
  vt_test_rm_rf (tmp);
}

/* A results folder of each opens (vitrine_window_open_results: the command
 * line, Open and drops end there) in the area that made it, from its
 * files: a number changed in the file is what the area shows, so nothing
 * was computed again. */
static void
test_reopen (void)
{
  VitrineWindow *window = inspect_and_predict ();
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *inspect_dir = g_build_filename (tmp, "inspect", NULL);
  g_autofree char *predict_dir = g_build_filename (tmp, "predict", NULL);
  g_autofree char *copy = NULL;
  g_autofree char *inspect_json = g_build_filename (inspect_dir, "results.json", NULL);
  g_autoptr(JsonNode) inspection = NULL;
  VitrinePredictPage *page;
  VitrineWindow *other;
  JsonArray *tensors;

  /* Copies, so that the test may change them. */
  g_assert_cmpint (g_mkdir (inspect_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (predict_dir, 0755), ==, 0);
  copy = g_build_filename (vitrine_run_get_results_dir (run_at (window, 0)), "results.json", NULL);
  inspection = load_json (copy);
  g_clear_pointer (&copy, g_free);
  {
    const char *names[] = { "results.json", "predict-predictions.csv" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *from = g_build_filename (vitrine_run_get_results_dir (run_at (window, 1)), names[i], NULL);
        g_free (vt_test_copy (from, predict_dir, names[i]));
      }
  }
  close_window (window);

  /* The inspection, its first tensor's mean made 12345 in the file. */
  tensors = json_object_get_array_member (first_step (inspection), "tensors");
  json_object_set_double_member (json_array_get_object_element (tensors, 0), "mean", 12345.0);
  save_json (inspection, inspect_json);

  other = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (other));
  g_assert_false (vitrine_window_shows_area (other, "model"));
  g_assert_false (vitrine_window_shows_area (other, "predict"));
  vitrine_window_open_results (other, inspect_dir);
  g_assert_false (vitrine_window_is_loading (other));
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (other)), ==, 1);
  g_assert_cmpint (vitrine_run_get_state (run_at (other, 0)), ==, VITRINE_RUN_FINISHED);
  g_assert_cmpstr (vitrine_run_get_area (run_at (other, 0)), ==, "model");
  g_assert_true (vitrine_model_page_get_run (vitrine_window_get_model_page (other)) == run_at (other, 0));
  g_assert_cmpstr (visible_area (other), ==, "model");
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (other), "Tensors"), ==, "97");
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (other), "Model"), ==, "resnet20");
  assert_model_shows (other, inspection, json_object_get_string_member (json_array_get_object_element (tensors, 0),
                                                                         "name"));
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (other), "Mean"), ==, "12345");
  assert_model_shows (other, inspection, "module.linear.weight");
  /* The checkpoint is the window's, as if opened: it predicts. */
  g_assert_true (vitrine_window_shows_area (other, "predict"));

  /* The predictions, in the Predict area, as the CSV has them. */
  page = vitrine_window_get_predict_page (other);
  vitrine_window_open_results (other, predict_dir);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (other)), ==, 2);
  g_assert_cmpstr (vitrine_run_get_area (run_at (other, 1)), ==, "predict");
  g_assert_true (vitrine_predict_page_get_run (page) == run_at (other, 1));
  g_assert_null (vitrine_predict_page_get_error (page));
  g_assert_cmpstr (visible_area (other), ==, "predict");
  /* The classes at once; the picture once decoded. */
  assert_predict_shows_csv (page, predict_dir);
  vt_gui_wait_until (predicted, page, 30, "the reopened prediction's picture");
  g_assert_true (vitrine_predict_page_shows_image (page));
  close_window (other);

  /* A window with no checkpoint open shows the predictions too. */
  other = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (other));
  vitrine_window_open_results (other, predict_dir);
  g_assert_cmpstr (visible_area (other), ==, "predict");
  assert_predict_shows_csv (vitrine_window_get_predict_page (other), predict_dir);
  close_window (other);
  vt_test_rm_rf (tmp);
}

/* A batch run that classified two images reopens with a list of them:
 * each, chosen, shows its own CSV row and picture. */
static void
test_reopen_several_images (void)
{
  g_autofree char *demo = demo_checkpoint ();
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *ship = vt_test_asset ("datasets/cifar10-jpg/test/ship/0001.jpg");
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "two", NULL);
  g_autofree char *text = g_strdup_printf ("{\"name\": \"two images\", \"steps\": [{\"kind\": \"predict\", "
                                           "\"checkpoint\": \"%s\", \"images\": [\"%s\", \"%s\"]}]}",
                                           demo, cat, ship);
  g_autofree char *spec = vt_test_write_file (tmp, "two.json", text, strlen (text));
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_autoptr(GError) error = NULL;
  VitrineWindow *window;
  VitrinePredictPage *page;
  const char *name;
  double p;
  int status = -1;

  vt_gui_step_begin (120, "vitrine --batch %s", spec);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  vt_gui_step_end ();
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  page = vitrine_window_get_predict_page (window);
  vitrine_window_open_results (window, out);
  g_assert_cmpstr (visible_area (window), ==, "predict");
  g_assert_cmpstr (vitrine_run_get_name (run_at (window, 0)), ==, "two images");
  g_assert_cmpuint (vitrine_predict_page_get_n_predictions (page), ==, 2);
  assert_predict_shows_row (page, out, 1);
  vt_gui_wait_until (predicted, page, 30, "the first image's picture");
  g_assert_true (vitrine_predict_page_shows_image (page));

  vitrine_predict_page_choose_prediction (page, 1);
  assert_predict_shows_row (page, out, 2);
  g_assert_true (vitrine_predict_page_get_top (page, 0, &name, &p));
  g_test_message ("ship/0001.jpg: %s %.3f", name, p);
  vt_gui_wait_until (predicted, page, 30, "the second image's picture");
  g_assert_true (vitrine_predict_page_shows_image (page));
  g_assert_null (vitrine_predict_page_get_error (page));

  /* A prediction of one image has no list to choose from. */
  {
    g_autoptr(GFile) cat_file = g_file_new_for_path (cat);

    gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
    vt_gui_wait_until (loaded, window, 60, "the demo checkpoint's inspection");
    vitrine_window_show_area (window, "predict");
    vitrine_predict_page_open (page, cat_file);
    vt_gui_wait_until (predicted, page, 60, "the prediction's run");
    g_assert_cmpuint (vitrine_predict_page_get_n_predictions (page), ==, 1);
  }
  close_window (window);
  vt_test_rm_rf (tmp);
}

/* The progress bar of the Runs panel's row at @position: its text is the
 * run's message, an error's when it failed. */
static GtkProgressBar *
row_bar (VitrineRunsPanel *panel,
         guint             position)
{
  GtkWidget *row = gtk_widget_get_parent (vitrine_runs_panel_get_button (panel, position, "cancel"));

  for (GtkWidget *child = gtk_widget_get_first_child (row); child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_PROGRESS_BAR (child))
      return GTK_PROGRESS_BAR (child);
  g_assert_not_reached ();
}

static GtkMessageDialog *
find_error_dialog (GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_MESSAGE_DIALOG (w) && gtk_window_get_transient_for (w) == parent)
        return GTK_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* A damaged checkpoint: its inspect run fails, named in its row and in a
 * dialog, and the Model area keeps the inspection (and the run) it showed.
 * A damaged image: its predict run fails, and the Runs panel's row and the
 * Predict area say what is wrong with which file; the area then predicts
 * a good image. */
static void
test_damaged_image (void)
{
  g_autofree char *demo = demo_checkpoint ();
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *damaged = vt_test_write_truncated (cat, dir, "damaged.jpg", 1, 4);
  g_autofree char *damaged_checkpoint = vt_test_write_truncated (demo, dir, "damaged.safetensors", 1, 3);
  GtkMessageDialog *dialog;
  g_autoptr(GFile) damaged_file = g_file_new_for_path (damaged);
  g_autoptr(GFile) cat_file = g_file_new_for_path (cat);
  VitrineWindow *window = vitrine_window_new (app);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  GtkProgressBar *bar;
  VitrineRun *failed;
  const char *name;
  double p;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
  vt_gui_wait_until (loaded, window, 60, "the demo checkpoint's inspection");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", damaged_checkpoint);
  vt_gui_wait_until (loaded, window, 60, "the damaged checkpoint's inspection");
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 1)), ==, VITRINE_RUN_FAILED);
  g_test_message ("the row says: %s", gtk_progress_bar_get_text (row_bar (panel, 1)));
  g_assert_true (g_str_has_prefix (gtk_progress_bar_get_text (row_bar (panel, 1)), damaged_checkpoint));
  dialog = find_error_dialog (GTK_WINDOW (window));
  g_assert_nonnull (dialog);
  {
    g_autofree char *secondary = NULL;

    g_object_get (dialog, "secondary-text", &secondary, NULL);
    g_assert_true (g_str_has_prefix (secondary, damaged_checkpoint));
  }
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (vitrine_model_page_get_run (vitrine_window_get_model_page (window)) == run_at (window, 0));
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Tensors"), ==, "97");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "resnet20-12fca82f.safetensors — Vitrine");

  vitrine_window_show_area (window, "predict");
  vitrine_predict_page_open (page, damaged_file);
  vt_gui_wait_until (predicted, page, 60, "the damaged image's run");
  failed = run_at (window, 2);
  g_assert_cmpint (vitrine_run_get_state (failed), ==, VITRINE_RUN_FAILED);
  g_test_message ("the row says: %s", gtk_progress_bar_get_text (row_bar (panel, 2)));
  bar = row_bar (panel, 2);
  g_assert_true (g_str_has_prefix (gtk_progress_bar_get_text (bar), damaged));
  g_assert_nonnull (strstr (gtk_progress_bar_get_text (bar), "damaged JPEG"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (bar), "error"));
  g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 2, "open-results")));
  g_assert_nonnull (vitrine_predict_page_get_error (page));
  g_assert_true (g_str_has_prefix (vitrine_predict_page_get_error (page), damaged));
  g_assert_false (vitrine_predict_page_get_top (page, 0, &name, &p));
  g_assert_false (vitrine_predict_page_shows_image (page));

  /* The area is not stuck on the error. */
  vitrine_predict_page_open (page, cat_file);
  vt_gui_wait_until (predicted, page, 60, "the good image's run");
  g_assert_null (vitrine_predict_page_get_error (page));
  g_assert_true (vitrine_predict_page_get_top (page, 0, &name, &p));
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 3)), ==, VITRINE_RUN_FINISHED);
  close_window (window);
  vt_test_rm_rf (dir);
}

/* W&B's habit: Compare Runs… puts the finished runs of the last run's
 * area side by side. Two predictions (a cat, then the parrot) are its two
 * columns, with the rows vt_run_comparison_new makes of their results.json
 * (the images a setting that differs); the Model area has the one
 * inspection; Only differences and Export CSV… write the rows that
 * differ, as vt_run_comparison_to_csv does. */
static void
test_compare (void)
{
  VitrineWindow *window = inspect_and_predict ();
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  g_autofree char *parrot_path = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autoptr(GFile) parrot = g_file_new_for_path (parrot_path);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *csv_path = g_build_filename (tmp, "runs.csv", NULL);
  g_autofree char *written = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  JsonNode *results[2];
  VitrineRunComparison *comparison;
  GPtrArray *rows;
  gboolean images_differ = FALSE;
  g_autoptr(GError) error = NULL;

  vitrine_predict_page_open (page, parrot);
  vt_gui_wait_until (predicted, page, 60, "the parrot's prediction");
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 2)), ==, VITRINE_RUN_FINISHED);

  /* The main menu's item. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.compare-runs", NULL);
  comparison = vitrine_runs_panel_compare (panel);
  g_assert_cmpuint (vitrine_run_comparison_get_n_runs (comparison), ==, 2);
  for (guint r = 0; r < 2; r++)
    {
      results[r] = vitrine_run_load_results (run_at (window, 1 + r), &error);
      g_assert_no_error (error);
      g_ptr_array_add (names, g_path_get_basename (vitrine_run_get_results_dir (run_at (window, 1 + r))));
    }
  want = vt_run_comparison_new (results, 2);
  rows = vitrine_run_comparison_get_rows (comparison);
  g_assert_cmpuint (rows->len, ==, want->len);
  for (guint i = 0; i < rows->len; i++)
    {
      VtRunComparisonRow *a = g_ptr_array_index (rows, i), *b = g_ptr_array_index (want, i);

      g_assert_cmpstr (a->key, ==, b->key);
      g_assert_cmpint (a->differs, ==, b->differs);
      for (guint r = 0; r < 2; r++)
        g_assert_cmpstr (a->values[r], ==, b->values[r]);
      if (g_str_equal (a->key, "predict.images") && a->setting)
        {
          images_differ = a->differs;
          g_assert_true (g_str_has_suffix (a->values[0], "cat/0000.jpg"));
          g_assert_true (g_str_has_suffix (a->values[1], "parrot.jpg"));
        }
    }
  g_assert_true (images_differ);
  vt_gui_spin (300);
  g_assert_true (vt_gui_save_png (GTK_WIDGET (comparison),
                                  g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "runs-compare.png", NULL)));

  vitrine_run_comparison_set_area (comparison, "model");
  g_assert_cmpuint (vitrine_run_comparison_get_n_runs (comparison), ==, 1);
  vitrine_run_comparison_set_area (comparison, "predict");
  rows = vitrine_run_comparison_get_rows (comparison);
  vitrine_run_comparison_set_only_differences (comparison, TRUE);
  g_assert_true (vitrine_run_comparison_export (comparison, csv_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &written, NULL, NULL));
  expected = vt_run_comparison_to_csv (want, (const char * const *) names->pdata, 2, TRUE);
  g_assert_cmpstr (written, ==, expected);
  g_test_message ("%u rows, the CSV of those that differ:\n%s", want->len, written);
  /* Only the view changed, not the rows. */
  g_assert_true (vitrine_run_comparison_get_rows (comparison) == rows);
  /* Opening it again raises the same window. */
  g_assert_true (vitrine_runs_panel_compare (panel) == comparison);
  for (guint r = 0; r < 2; r++)
    json_node_unref (results[r]);
  close_window (window);
  vt_test_rm_rf (tmp);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/runs-model/inspect-and-predict", test_inspect_and_predict, 240 },
    { "/gui/runs-model/reopen", test_reopen, 180 },
    { "/gui/runs-model/reopen-several-images", test_reopen_several_images, 180 },
    { "/gui/runs-model/damaged-image", test_damaged_image, 120 },
    { "/gui/runs-model/compare", test_compare, 180 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
