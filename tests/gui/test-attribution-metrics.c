/* test-attribution-metrics.c: the Attribution area's Metrics page and the
 * row's colour scales, in the real window, in process, under Xvfb.
 *
 * With the demo ResNet-20 and the demo CIFAR-10 sample (200 test JPEGs)
 * open and Grad-CAM and IG ticked on the Maps page, a faithfulness run over
 * the first 6 images (deletion and insertion in 8 steps, ROAD in both
 * orders) draws each method's curve as soon as the step has measured it,
 * while the run still runs; at the end every drawn curve's points and every
 * mean in the table equal the curve and mean of its results.json; Open
 * Results in the Runs panel reopens the curves, the spec saved from the
 * panel runs with `vitrine --batch` to the same results, and Export writes
 * the charts and a CSV of the same points. A longer run cancelled after its
 * first curve stops within a bound, says so, and writes no results.json.
 * In the row of maps, Grad-CAM's colour scale is the same with IG beside
 * it as alone (each family has its own). Every test runs as a watchdog
 * step. */
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vitrine-application.h"
#include "vitrine-attribution-page.h"
#include "vitrine-faithfulness-panel.h"
#include "vitrine-figure-view.h"
#include "vitrine-window.h"
#include "methods/attribution/vt-cam.h"
#include "report/vt-csv.h"
#include "vt-gui-program.h"
#include "vt-gui-runs.h"
#include "vt-gui-util.h"
#include "vt-gui-window.h"
#include "vt-test-util.h"

/* The methods measured, in the row's order (the CAMs before the gradients). */
static const char * const methods[] = { "gradcam", "ig", NULL };
/* The results' labels the run draws, one chart each. */
static const char * const labels[] = { "deletion", "insertion", "road_morf", "road_lerf", NULL };
#define N_CURVES (2 * 4)
/* Cancel is checked between a metric's steps, a fraction of a second here. */
#define CANCEL_BOUND_S 10

static VitrineApplication *app;

static gboolean
page_idle (gpointer page)
{
  return !vitrine_attribution_page_is_busy (page);
}

/* The demo checkpoint and sample open, the Attribution area shown with
 * exactly @chosen ticked. */
static VitrineWindow *
open_demo (const char * const *chosen)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  VitrineWindow *window = vt_gui_open_window (app, demo);
  VitrineAttributionPage *page = vitrine_window_get_attribution_page (window);

  vt_gui_open_dataset (window, sample);
  g_assert_true (vitrine_window_shows_area (window, "attribution"));
  vitrine_window_show_area (window, "attribution");
  vt_gui_wait_until (page_idle, page, 60, "the model's layers to be listed");
  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    g_assert_true (vitrine_attribution_page_set_method (page, vt_cam_method_name (m),
                                                        g_strv_contains (chosen, vt_cam_method_name (m))));
  g_assert_true (vitrine_attribution_page_set_method (page, "ig", g_strv_contains (chosen, "ig")));
  return window;
}

static VitrineFaithfulnessPanel *
panel_of (VitrineWindow *window)
{
  return vitrine_attribution_page_get_faithfulness_panel (vitrine_window_get_attribution_page (window));
}

/* What the test sees of a run's curve events, after the panel has drawn
 * each (its handler was connected first). */
typedef struct
{
  VitrineFaithfulnessPanel *panel;
  guint                     events;
  guint                     drawn_while_running;
} Live;

static void
on_event (VitrineRun    *run,
          const VtEvent *event,
          Live          *live)
{
  if (event->kind != VT_EVENT_METRIC || g_strcmp0 (event->x_name, "method") != 0)
    return;
  live->events++;
  /* Drawn as it came: one more curve, and the run not over. */
  g_assert_cmpuint (vitrine_faithfulness_panel_get_n_curves (live->panel), ==, live->events);
  if (vitrine_run_get_state (run) == VITRINE_RUN_RUNNING)
    live->drawn_while_running++;
}

static VitrineRun *
start (VitrineWindow *window,
       Live          *live)
{
  VitrineFaithfulnessPanel *panel = panel_of (window);
  guint before = g_list_model_get_n_items (vitrine_window_get_runs (window));
  VitrineRun *run;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), "faithfulness.start", NULL));
  g_assert_null (vitrine_faithfulness_panel_get_error (panel));
  run = vitrine_faithfulness_panel_get_run (panel);
  g_assert_nonnull (run);
  g_assert_cmpuint (vt_gui_run_position (window, run), ==, before);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "attribution");
  live->panel = panel;
  g_signal_connect (run, "event", G_CALLBACK (on_event), live);
  return run;
}

/* The metric entry labelled @label of @step's "metrics". */
static JsonObject *
metric_entry (JsonObject *step,
              const char *label)
{
  JsonArray *metrics = json_object_get_array_member (step, "metrics");

  for (guint k = 0; k < json_array_get_length (metrics); k++)
    {
      JsonObject *metric = json_array_get_object_element (metrics, k);

      if (g_str_equal (json_object_get_string_member (metric, "label"), label))
        return metric;
    }
  g_assert_not_reached ();
}

/* Every chart draws, per method in the row's order, exactly the curve
 * results.json states for it, and the table its mean; returns the points
 * compared. */
static guint
assert_curves_are_results (VitrineFaithfulnessPanel *panel,
                           VitrineRun               *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = vitrine_run_load_step_result (run, "faithfulness", &error);
  guint compared = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (vitrine_faithfulness_panel_get_n_curves (panel), ==, N_CURVES);
  for (guint k = 0; labels[k]; k++)
    {
      JsonObject *metric = metric_entry (json_node_get_object (node), labels[k]);
      JsonArray *results = json_object_get_array_member (metric, "results");
      VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (
                           vitrine_faithfulness_panel_get_chart (panel, labels[k])));

      g_assert_nonnull (figure);
      g_assert_true (gtk_widget_get_visible (vitrine_faithfulness_panel_get_chart (panel, labels[k])));
      g_assert_cmpuint (figure->rows, ==, 2);
      g_assert_cmpuint (json_array_get_length (results), ==, 2);
      for (guint m = 0; methods[m]; m++)
        {
          JsonObject *entry = json_array_get_object_element (results, m);
          JsonArray *x = json_object_get_array_member (entry, "x");
          JsonArray *y = json_object_get_array_member (entry, "y");

          g_assert_cmpstr (json_object_get_string_member (entry, "method"), ==, methods[m]);
          g_assert_cmpstr (figure->row_labels[m], ==, methods[m]);
          g_assert_cmpuint (figure->cols, ==, json_array_get_length (y));
          g_assert_cmpuint (json_array_get_length (x), ==, json_array_get_length (y));
          for (guint p = 0; p < figure->cols; p++)
            {
              g_assert_cmpfloat (figure->values[(gsize) m * figure->cols + p], ==,
                                 json_array_get_double_element (y, p));
              compared++;
            }
          /* The x axis's first label is the first x. */
          {
            g_autofree char *first = g_strdup_printf ("%.3g", json_array_get_double_element (x, 0));

            g_assert_cmpstr (figure->col_labels[0], ==, first);
          }
          g_assert_cmpfloat (vitrine_faithfulness_panel_get_mean (panel, labels[k], methods[m]), ==,
                             json_object_get_double_member (entry, "mean"));
        }
    }
  return compared;
}

typedef struct
{
  guint rows;
} CsvCount;

static gboolean
count_row (guint          row,
           guint          n_fields,
           char * const  *fields,
           gpointer       data,
           GError       **error)
{
  CsvCount *count = data;

  g_assert_cmpuint (n_fields, ==, 4);
  if (row > 0)
    count->rows++;
  return TRUE;
}

/* A metric run to the end: curves drawn live and equal to the results;
 * Open Results, Save Spec… with --batch, and Export. */
static void
test_run (void)
{
  VitrineWindow *window = open_demo (methods);
  VitrineFaithfulnessPanel *panel = panel_of (window);
  VitrineRunsPanel *runs_panel = vitrine_window_get_runs_panel (window);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "attribution-metrics.png", NULL);
  g_autofree char *batch_dir = NULL;
  g_autofree char *base = g_build_filename (tmp, "curves", NULL);
  g_autofree char *csv = g_build_filename (tmp, "curves.csv", NULL);
  g_autoptr(GError) error = NULL;
  Live live = { 0 };
  CsvCount count = { 0 };
  VitrineRun *run;
  GtkWidget *open_results;
  guint points, n_svg = 0;

  vitrine_attribution_page_show_metrics (vitrine_window_get_attribution_page (window));
  vitrine_faithfulness_panel_configure (panel, 6, 8, TRUE, TRUE, TRUE);
  vt_gui_step_begin (180, "a metric run over 6 images");
  run = start (window, &live);
  vt_gui_wait_until (vt_gui_run_done, run, 170, "the metric run to end");
  vt_gui_step_end ();
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_null (vitrine_faithfulness_panel_get_error (panel));
  g_test_message ("%s", vitrine_faithfulness_panel_get_status (panel));
  g_assert_nonnull (strstr (vitrine_faithfulness_panel_get_status (panel), "Done"));
  g_assert_cmpuint (live.events, ==, N_CURVES);
  /* All but the last could only have been drawn live; events of one
   * frame may be drained after the run's end is known, so at least one. */
  g_test_message ("%u of %u curves drawn while the run ran", live.drawn_while_running, live.events);
  g_assert_cmpuint (live.drawn_while_running, >=, 1);
  points = assert_curves_are_results (panel, run);
  g_test_message ("%u drawn points equal results.json's", points);
  g_assert_true (vt_gui_wait_painted (vitrine_faithfulness_panel_get_chart (panel, "deletion"), 10000));
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));

  /* Export: a figure set per chart, and the points as CSV. */
  g_assert_true (vitrine_faithfulness_panel_export_curves (panel, base, &error));
  g_assert_no_error (error);
  for (guint k = 0; labels[k]; k++)
    for (guint e = 0; e < 3; e++)
      {
        static const char * const extensions[] = { "png", "svg", "pdf" };
        g_autofree char *file = g_strdup_printf ("%s-%s.%s", base, labels[k], extensions[e]);

        g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
      }
  g_assert_true (vitrine_faithfulness_panel_export_csv (panel, csv, &error));
  g_assert_no_error (error);
  g_assert_true (vt_csv_read (csv, count_row, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count.rows, ==, points);

  /* Open Results reopens the curves on the Metrics page. */
  vitrine_window_show_area (window, "model");
  open_results = vitrine_runs_panel_get_button (runs_panel, vt_gui_run_position (window, run), "open-results");
  g_assert_true (gtk_widget_get_sensitive (open_results));
  g_signal_emit_by_name (open_results, "clicked");
  g_assert_true (vitrine_window_shows_area (window, "attribution"));
  g_assert_true (vitrine_faithfulness_panel_get_run (panel) == run);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (panel)));
  g_assert_null (vitrine_faithfulness_panel_get_error (panel));
  assert_curves_are_results (panel, run);

  /* And in a window with no checkpoint open. */
  {
    VitrineWindow *bare = vitrine_window_new (app);

    gtk_window_present (GTK_WINDOW (bare));
    vitrine_window_open_results (bare, vitrine_run_get_results_dir (run));
    g_assert_true (vitrine_window_shows_area (bare, "attribution"));
    g_assert_null (vitrine_faithfulness_panel_get_error (panel_of (bare)));
    assert_curves_are_results (panel_of (bare), run);
    vt_gui_close_window (GTK_WINDOW (bare));
  }

  vt_gui_step_begin (180, "batch reproduces the metric run");
  batch_dir = vt_gui_assert_batch_reproduces (runs_panel, run, tmp, &n_svg);
  vt_gui_step_end ();
  /* The step's curve figures: deletion, insertion, ROAD's two orders. */
  g_assert_cmpuint (n_svg, ==, 4);
  vt_test_rm_rf (tmp);
  vt_gui_close_window (GTK_WINDOW (window));
}

static gboolean
has_curve (gpointer panel)
{
  return vitrine_faithfulness_panel_get_n_curves (panel) > 0;
}

/* A run over the 200 images cancelled after its first curve. */
static void
test_cancel (void)
{
  VitrineWindow *window = open_demo (methods);
  VitrineFaithfulnessPanel *panel = panel_of (window);
  g_autofree char *none = NULL;
  Live live = { 0 };
  VitrineRun *run;
  gint64 cancelled;

  vitrine_attribution_page_show_metrics (vitrine_window_get_attribution_page (window));
  vitrine_faithfulness_panel_configure (panel, 0, 16, TRUE, TRUE, TRUE);
  run = start (window, &live);
  vt_gui_wait_until (has_curve, panel, 240, "the first curve of the long run");
  g_assert_true (vitrine_faithfulness_panel_is_running (panel));
  cancelled = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), "faithfulness.cancel", NULL));
  vt_gui_wait_until (vt_gui_run_done, run, CANCEL_BOUND_S, "the cancelled metric run to end");
  g_test_message ("stopped %.0f ms after Cancel, %u curves drawn", (g_get_monotonic_time () - cancelled) / 1e3,
                  vitrine_faithfulness_panel_get_n_curves (panel));
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_CANCELLED);
  g_assert_cmpuint (vitrine_faithfulness_panel_get_n_curves (panel), <, N_CURVES);
  g_assert_nonnull (strstr (vitrine_faithfulness_panel_get_status (panel), "Cancelled"));
  g_assert_null (vitrine_faithfulness_panel_get_error (panel));
  none = g_build_filename (vitrine_run_get_results_dir (run), "results.json", NULL);
  g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  vt_gui_close_window (GTK_WINDOW (window));
}

/* Grad-CAM alone, then with IG beside it: its values and its colour
 * scale (0 to its maximum) are the same, so its colours are; IG's scale
 * is its own, symmetric about 0. */
static void
test_family_scales (void)
{
  static const char * const cam[] = { "gradcam", NULL };
  VitrineWindow *window = open_demo (cam);
  VitrineAttributionPage *page = vitrine_window_get_attribution_page (window);
  GtkWidget *view = vitrine_attribution_page_get_view (page);
  g_autofree char *image = vt_gui_demo_file ("cifar10-test-sample/airplane/0000.jpg");
  g_autoptr(GFile) file = g_file_new_for_path (image);
  g_autofree double *alone = NULL;
  gsize plane;
  double lo, hi;
  VtFigure *figure;

  vt_gui_step_begin (90, "Grad-CAM alone");
  vitrine_attribution_page_open (page, file);
  vt_gui_wait_until (page_idle, page, 80, "Grad-CAM's map");
  g_assert_null (vitrine_attribution_page_get_error (page));
  figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));
  g_assert_cmpuint (figure->n_maps, ==, 1);
  g_assert_nonnull (figure->map_min);
  lo = figure->map_min[0];
  hi = figure->map_max[0];
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, >, 0.0);
  g_assert_cmpfloat (hi, <=, 1.0);
  plane = (gsize) figure->rows * figure->cols;
  alone = g_memdup2 (figure->values, sizeof (double) * plane);
  vt_gui_step_end ();

  vt_gui_step_begin (120, "Grad-CAM beside IG");
  g_assert_true (vitrine_attribution_page_set_method (page, "ig", TRUE));
  vitrine_attribution_page_compute (page);
  vt_gui_wait_until (page_idle, page, 110, "the maps of Grad-CAM and IG");
  g_assert_null (vitrine_attribution_page_get_error (page));
  figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));
  g_assert_cmpuint (figure->n_maps, ==, 2);
  g_test_message ("Grad-CAM 0 … %g; IG %g … %g", figure->map_max[0], figure->map_min[1], figure->map_max[1]);
  g_assert_cmpfloat (figure->map_min[0], ==, lo);
  g_assert_cmpfloat (figure->map_max[0], ==, hi);
  for (gsize i = 0; i < plane; i++)
    g_assert_cmpfloat (figure->values[i], ==, alone[i]);
  g_assert_cmpfloat (figure->map_min[1], ==, -figure->map_max[1]);
  g_assert_cmpfloat (figure->map_max[1], >, 0.0);
  /* Two scales, two colour bars: the row is drawn. */
  g_assert_true (vt_gui_wait_painted (view, 10000));
  vt_gui_step_end ();
  vt_gui_close_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/attribution-metrics/run", test_run, 480 },
    { "/gui/attribution-metrics/cancel", test_cancel, 300 },
    { "/gui/attribution-metrics/family-scales", test_family_scales, 240 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
