/* test-comet-page.c: the Attribution area's COMET page in the real window,
 * in process, under Xvfb.
 *
 * With the demo ResNet-20 (the detector) and the demo CIFAR-10 sample (200
 * test JPEGs, no training split: COMET trains on the images it masks, as
 * data/demo/comet-demo.json runs it) open, a tiny run (a ResNet-8
 * predictor, a width-8 selector, 32 training and 16 test images in
 * batches of 8, two epochs) draws a point a step of each per-step series
 * and one an epoch of the test split's, as its results.json and tables
 * state them; the masks are redrawn every epoch and at the end are the
 * first test images' masks of the maps file it wrote; the run reopens from
 * the Runs panel in the Attribution area, with the report's curves and the
 * same masks, and its folder in a window with no checkpoint open; its spec, saved from the panel, runs with `vitrine --batch`
 * to the same results. Cancel after the first epoch of a long run stops it
 * within a bound, keeps that epoch's maps file (the masks drawn last) and
 * writes no results.json. Every test runs as a watchdog step. */
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "vitrine-application.h"
#include "vitrine-attribution-page.h"
#include "vitrine-comet-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-runs.h"
#include "vt-gui-util.h"
#include "vt-gui-window.h"
#include "vt-test-util.h"

/* The tiny run: 32 training images in batches of 8. */
#define BATCH           8
#define TRAIN_IMAGES    32
#define TEST_IMAGES     16
#define STEPS_PER_EPOCH (TRAIN_IMAGES / BATCH)
#define EPOCHS          2
/* The masks the step emits every epoch: the first 8 test images'. */
#define SHOWN_MASKS     8
/* Cancel is checked before every batch, a fraction of a second here;
 * the Runs panel's extraction Cancel has the same bound. */
#define CANCEL_BOUND_S  10

static VitrineApplication *app;

/* An epoch has ended and its masks are drawn: the step emits the masks
 * after the epoch's numbers, and the window may take them in two frames. */
static gboolean
has_epoch (gpointer page)
{
  return vitrine_comet_page_get_n_epochs_done (page) > 0 && vitrine_comet_page_get_n_mask_draws (page) > 0;
}

/* The demo checkpoint and sample, and the Attribution area's COMET page shown. */
static VitrineWindow *
open_demo (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-test-sample");
  VitrineWindow *window = vt_gui_open_window (app, demo);

  vt_gui_open_dataset (window, sample);
  g_assert_true (vitrine_window_shows_area (window, "attribution"));
  vitrine_window_show_area (window, "attribution");
  vitrine_attribution_page_show_comet (vitrine_window_get_attribution_page (window), TRUE);
  return window;
}

static VitrineCometPage *
comet_page (VitrineWindow *window)
{
  return vitrine_attribution_page_get_comet_page (vitrine_window_get_attribution_page (window));
}

/* Starts the page's run and returns it (the window's list holds it). */
static VitrineRun *
start (VitrineWindow *window,
       guint          epochs,
       guint          train_images)
{
  VitrineCometPage *page = comet_page (window);
  guint before = g_list_model_get_n_items (vitrine_window_get_runs (window));
  VitrineRun *run;

  vitrine_comet_page_configure (page, epochs, BATCH, train_images, TEST_IMAGES, 8, 8);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "comet.start", NULL));
  g_assert_null (vitrine_comet_page_get_error (page));
  run = vitrine_comet_page_get_run (page);
  g_assert_nonnull (run);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, before + 1);
  g_assert_cmpuint (vt_gui_run_position (window, run), ==, before);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "attribution");
  return run;
}

static VtFigure *
figure_of (GtkWidget *view)
{
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));

  g_assert_nonnull (figure);
  return figure;
}

/* The finite points of series @series of the figure in @view. */
static guint
finite_points (GtkWidget *view,
               guint      series)
{
  VtFigure *figure = figure_of (view);
  guint n = 0;

  g_assert_cmpuint (series, <, figure->rows);
  for (guint p = 0; p < figure->cols; p++)
    n += isfinite (figure->values[(gsize) series * figure->cols + p]);
  return n;
}

static double
figure_value (GtkWidget *view,
              guint      series,
              guint      point)
{
  VtFigure *figure = figure_of (view);

  g_assert_cmpuint (point, <, figure->cols);
  return figure->values[(gsize) series * figure->cols + point];
}

/* The masks view shows the first test images' masks of the maps file at
 * @path (map "comet"), value for value. */
static void
assert_masks_are_file (VitrineCometPage *page,
                       const char       *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) maps = vt_checkpoint_open (path, &error);
  const VtTensor *comet;
  g_autofree float *values = NULL;
  VtFigure *figure = figure_of (vitrine_comet_page_get_masks_view (page));
  gsize plane;

  g_assert_no_error (error);
  comet = vt_checkpoint_lookup (maps, "comet");
  g_assert_nonnull (comet);
  g_assert_cmpuint (comet->ndim, ==, 3);
  g_assert_cmpint (comet->shape[0], ==, TEST_IMAGES);
  g_assert_cmpuint (figure->n_maps, ==, SHOWN_MASKS);
  g_assert_cmpint (figure->rows, ==, comet->shape[1]);
  g_assert_cmpint (figure->cols, ==, comet->shape[2]);
  plane = (gsize) figure->rows * figure->cols;
  values = vt_tensor_dup_float (comet);
  for (gsize i = 0; i < SHOWN_MASKS * plane; i++)
    g_assert_cmpfloat (figure->values[i], ==, values[i]);
}

/* Two epochs to the end: every step's and epoch's points, equal to what
 * the run wrote; the final masks are the maps file's; Open Results shows
 * it again; batch reproduces it. */
static void
test_full_run (void)
{
  static const char * const epoch_members[] = { "test_predictor_accuracy", "test_detector_accuracy", "test_area" };
  static const char * const loss_members[] = { "l1", "l2", "hinge" };
  VitrineWindow *window = open_demo ();
  VitrineCometPage *page = comet_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrineRun *run = start (window, EPOCHS, TRAIN_IMAGES);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "comet-page.png", NULL);
  g_autofree char *maps = NULL;
  g_autofree char *batch_dir = NULL;
  g_autoptr(JsonNode) node = NULL;
  GtkWidget *open_results;
  JsonObject *result;
  JsonArray *epochs;
  guint n_svg = 0;

  vt_gui_wait_until (vt_gui_run_done, run, 180, "the 2-epoch COMET run");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_null (vitrine_comet_page_get_error (page));
  g_test_message ("%s", vitrine_comet_page_get_status (page));
  g_assert_nonnull (strstr (vitrine_comet_page_get_status (page), "Done"));
  g_assert_cmpuint (vitrine_comet_page_get_n_steps (page), ==, EPOCHS * STEPS_PER_EPOCH);
  g_assert_cmpuint (vitrine_comet_page_get_n_epochs_done (page), ==, EPOCHS);
  /* Masks drawn after the epochs, then once from the maps file. A run's
   * tensor events coalesce (vitrine-run.c: only the newest of a name
   * waits for the main loop), so two epochs that end within one frame, as
   * these tiny ones can on a loaded machine, draw once: at least one live
   * draw, at most one an epoch. */
  g_assert_cmpuint (vitrine_comet_page_get_n_mask_draws (page), >=, 2);
  g_assert_cmpuint (vitrine_comet_page_get_n_mask_draws (page), <=, EPOCHS + 1);
  /* Once an epoch's steps are known the per-step curves span the run, a point a step in each series. */
  for (guint s = 0; s < 3; s++)
    {
      g_assert_cmpuint (figure_of (vitrine_comet_page_get_loss_chart (page))->cols, ==, EPOCHS * STEPS_PER_EPOCH);
      g_assert_cmpuint (finite_points (vitrine_comet_page_get_loss_chart (page), s), ==, EPOCHS * STEPS_PER_EPOCH);
      g_assert_cmpuint (finite_points (vitrine_comet_page_get_rate_chart (page), s), ==, EPOCHS * STEPS_PER_EPOCH);
      g_assert_cmpuint (finite_points (vitrine_comet_page_get_epoch_chart (page), s), ==, EPOCHS);
    }
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));

  /* The points the events drew are what the run wrote: the test split's
   * per epoch exactly, each epoch's mean losses the mean of its steps'
   * (equal batches), the area and accuracies within [0, 1]. */
  result = vt_gui_step_result (run, "comet", &node);
  epochs = json_object_get_array_member (result, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, EPOCHS);
  g_assert_cmpint (json_object_get_int_member (result, "steps"), ==, EPOCHS * STEPS_PER_EPOCH);
  for (guint e = 0; e < EPOCHS; e++)
    {
      JsonObject *epoch = json_array_get_object_element (epochs, e);

      for (guint m = 0; m < G_N_ELEMENTS (epoch_members); m++)
        g_assert_cmpfloat (figure_value (vitrine_comet_page_get_epoch_chart (page), m, e), ==,
                           json_object_get_double_member (epoch, epoch_members[m]));
      for (guint m = 0; m < G_N_ELEMENTS (loss_members); m++)
        {
          double sum = 0.0;

          for (guint s = 0; s < STEPS_PER_EPOCH; s++)
            sum += figure_value (vitrine_comet_page_get_loss_chart (page), m, e * STEPS_PER_EPOCH + s);
          g_assert_cmpfloat_with_epsilon (sum / STEPS_PER_EPOCH, json_object_get_double_member (epoch, loss_members[m]),
                                          1e-6 * MAX (1.0, fabs (sum / STEPS_PER_EPOCH)));
        }
      {
        double area = 0.0;

        for (guint s = 0; s < STEPS_PER_EPOCH; s++)
          area += figure_value (vitrine_comet_page_get_rate_chart (page), 0, e * STEPS_PER_EPOCH + s);
        g_assert_cmpfloat_with_epsilon (area / STEPS_PER_EPOCH, json_object_get_double_member (epoch, "area"), 1e-6);
      }
    }
  for (guint s = 0; s < 3; s++)
    for (guint p = 0; p < EPOCHS * STEPS_PER_EPOCH; p++)
      {
        double value = figure_value (vitrine_comet_page_get_rate_chart (page), s, p);

        g_assert_true (value >= 0.0 && value <= 1.0);
      }
  maps = g_build_filename (vitrine_run_get_results_dir (run), json_object_get_string_member (result, "maps"), NULL);
  assert_masks_are_file (page, maps);

  /* Open Results in the Runs panel: the COMET page, the report's curves per epoch and the same masks. */
  vitrine_attribution_page_show_comet (vitrine_window_get_attribution_page (window), FALSE);
  vitrine_window_show_area (window, "model");
  open_results = vitrine_runs_panel_get_button (panel, vt_gui_run_position (window, run), "open-results");
  g_assert_true (gtk_widget_get_sensitive (open_results));
  g_signal_emit_by_name (open_results, "clicked");
  g_assert_true (vitrine_window_shows_area (window, "attribution"));
  g_assert_true (vitrine_comet_page_get_run (page) == run);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
  g_assert_null (vitrine_comet_page_get_error (page));
  for (guint e = 0; e < EPOCHS; e++)
    {
      JsonObject *epoch = json_array_get_object_element (epochs, e);

      for (guint m = 0; m < G_N_ELEMENTS (epoch_members); m++)
        g_assert_cmpfloat (figure_value (vitrine_comet_page_get_epoch_chart (page), m, e), ==,
                           json_object_get_double_member (epoch, epoch_members[m]));
      for (guint m = 0; m < G_N_ELEMENTS (loss_members); m++)
        g_assert_cmpfloat (figure_value (vitrine_comet_page_get_loss_chart (page), m, e), ==,
                           json_object_get_double_member (epoch, loss_members[m]));
    }
  assert_masks_are_file (page, maps);

  /* Its folder reopens in a window with no checkpoint open: the area shows for it. */
  {
    VitrineWindow *bare = vitrine_window_new (app);
    VitrineCometPage *bare_page = comet_page (bare);

    gtk_window_present (GTK_WINDOW (bare));
    g_assert_false (vitrine_window_shows_area (bare, "attribution"));
    vitrine_window_open_results (bare, vitrine_run_get_results_dir (run));
    g_assert_true (vitrine_window_shows_area (bare, "attribution"));
    g_assert_nonnull (vitrine_comet_page_get_run (bare_page));
    g_assert_null (vitrine_comet_page_get_error (bare_page));
    assert_masks_are_file (bare_page, maps);
    vt_gui_close_window (GTK_WINDOW (bare));
  }

  /* The run's spec, saved from the panel, runs with `vitrine --batch` to the same results. */
  vt_gui_step_begin (180, "batch reproduces the COMET run");
  batch_dir = vt_gui_assert_batch_reproduces (panel, run, tmp, &n_svg);
  vt_gui_step_end ();
  /* The step's two figures, <id>-losses and <id>-test. */
  g_assert_cmpuint (n_svg, ==, 2);
  vt_test_rm_rf (tmp);
  vt_gui_close_window (GTK_WINDOW (window));
}

/* Cancel after the first epoch of a long run: it stops within the bound,
 * keeps the last finished epoch's maps file, whose masks are the ones
 * drawn last, and writes no results.json. */
static void
test_cancel (void)
{
  VitrineWindow *window = open_demo ();
  VitrineCometPage *page = comet_page (window);
  VitrineRun *run = start (window, 50, 2 * TRAIN_IMAGES);
  g_autofree char *maps = NULL;
  g_autofree char *none = NULL;
  gint64 cancelled;
  guint epochs;

  vt_gui_wait_until (has_epoch, page, 120, "the first epoch to end");
  g_assert_true (vitrine_comet_page_is_running (page));
  g_assert_cmpuint (vitrine_comet_page_get_n_mask_draws (page), >=, 1);
  cancelled = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "comet.cancel", NULL));
  vt_gui_wait_until (vt_gui_run_done, run, CANCEL_BOUND_S, "the cancelled COMET run to end");
  g_test_message ("stopped %.0f ms after Cancel", (g_get_monotonic_time () - cancelled) / 1e3);
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_CANCELLED);
  epochs = vitrine_comet_page_get_n_epochs_done (page);
  g_test_message ("cancelled after %u epochs: %s", epochs, vitrine_comet_page_get_status (page));
  g_assert_cmpuint (epochs, >=, 1);
  g_assert_cmpuint (epochs, <, 50);
  /* At most a draw an epoch (tensor events coalesce, see above). */
  g_assert_cmpuint (vitrine_comet_page_get_n_mask_draws (page), <=, epochs);
  g_assert_cmpuint (finite_points (vitrine_comet_page_get_epoch_chart (page), 0), ==, epochs);
  g_assert_nonnull (strstr (vitrine_comet_page_get_status (page), "Cancelled"));
  g_assert_null (vitrine_comet_page_get_error (page));
  maps = g_build_filename (vitrine_run_get_results_dir (run), "comet-maps.safetensors", NULL);
  assert_masks_are_file (page, maps);
  none = g_build_filename (vitrine_run_get_results_dir (run), "results.json", NULL);
  g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  vt_gui_close_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/comet-page/full-run", test_full_run, 480 },
    { "/gui/comet-page/cancel", test_cancel, 240 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
