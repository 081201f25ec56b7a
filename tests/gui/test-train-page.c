/* test-train-page.c: the Train area in the real window, in process, under
 * Xvfb.
 *
 * With the demo ResNet-20 and the demo CIFAR-10 sample (1,000 training and
 * 1,000 test JPEGs) open, a head run in batches of 100 draws its loss curve
 * point by point while it runs; Cancel after the first epoch stops it and
 * keeps that epoch's checkpoint; a 1-epoch run finishes with the curves the
 * events drew, equal to its results.json; Open Trained Checkpoint opens the
 * checkpoint it wrote; the run reopens from the Runs panel in the Train area
 * with the report's curves; its spec, saved from the panel, runs with
 * `vitrine --batch` to the same results. Hugging Face's CLIP cannot train
 * yet: the area says why and Start is off. The recipe's fields for the
 * step schedules, shuffling and the optimizer show and go as they apply,
 * reach the run's spec, and Ctrl+Return and Ctrl+period start and cancel.
 * Every test runs as a watchdog step. */
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "vitrine-application.h"
#include "vitrine-figure-view.h"
#include "vitrine-train-page.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-runs.h"
#include "vt-gui-util.h"
#include "vt-gui-window.h"
#include "vt-test-util.h"

/* The demo sample's 1,000 training images in batches of 100. */
#define BATCH           100
#define STEPS_PER_EPOCH 10

static VitrineApplication *app;

static gboolean
has_loss_point (gpointer page)
{
  return vitrine_train_page_get_n_loss_points (page) > 0;
}

static gboolean
has_epoch (gpointer page)
{
  return vitrine_train_page_get_n_epochs_done (page) > 0;
}

/* The demo checkpoint and sample, and the Train area shown. */
static VitrineWindow *
open_demo (void)
{
  g_autofree char *demo = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = vt_gui_demo_file ("cifar10-cil");
  VitrineWindow *window = vt_gui_open_window (app, demo);

  vt_gui_open_dataset (window, sample);
  g_assert_true (vitrine_window_shows_area (window, "train"));
  vitrine_window_show_area (window, "train");
  g_assert_true (vitrine_train_page_can_train (vitrine_window_get_train_page (window)));
  g_assert_null (vitrine_train_page_get_unsupported (vitrine_window_get_train_page (window)));
  return window;
}

/* The first button under @root whose label contains @label. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && gtk_button_get_label (GTK_BUTTON (root)) != NULL &&
      strstr (gtk_button_get_label (GTK_BUTTON (root)), label) != NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found)
        return found;
    }
  return NULL;
}

static const char *
visible_area (VitrineWindow *window)
{
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (vitrine_window_get_train_page (window)));

  g_assert_true (GTK_IS_STACK (stack));
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* Starts the page's run with @epochs and returns it (the window's list holds it). */
static VitrineRun *
start (VitrineWindow *window,
       guint          epochs)
{
  VitrineTrainPage *page = vitrine_window_get_train_page (window);
  guint before = g_list_model_get_n_items (vitrine_window_get_runs (window));
  VitrineRun *run;

  vitrine_train_page_configure (page, epochs, BATCH, 0.01);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "train.start", NULL));
  g_assert_null (vitrine_train_page_get_error (page));
  run = vitrine_train_page_get_run (page);
  g_assert_nonnull (run);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, before + 1);
  g_assert_cmpuint (vt_gui_run_position (window, run), ==, before);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "train");
  return run;
}

/* The finite points of the figure in @view, series @series. */
static guint
finite_points (GtkWidget *view,
               guint      series)
{
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));
  guint n = 0;

  g_assert_nonnull (figure);
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
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));

  g_assert_cmpuint (point, <, figure->cols);
  return figure->values[(gsize) series * figure->cols + point];
}

/* Five epochs started; the loss curve has points while the run goes;
 * Cancel after the first epoch ends stops it, and the checkpoint of the
 * last finished epoch is on disk and opens. */
static void
test_live_and_cancel (void)
{
  VitrineWindow *window = open_demo ();
  VitrineTrainPage *page = vitrine_window_get_train_page (window);
  VitrineRun *run = start (window, 5);
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "train-area-running.png", NULL);
  g_autoptr(VtCheckpoint) trained = NULL;
  g_autoptr(GError) error = NULL;
  guint epochs, points;

  vt_gui_wait_until (has_loss_point, page, 60, "the first loss point");
  /* A point is drawn while the run is still going: the curve is live. */
  g_assert_true (vitrine_train_page_is_running (page));
  g_assert_cmpuint (finite_points (vitrine_train_page_get_loss_chart (page), 0), ==,
                    vitrine_train_page_get_n_loss_points (page));
  vt_gui_wait_until (has_epoch, page, 120, "the first epoch to end");
  g_assert_true (vitrine_train_page_is_running (page));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (page), "Training")));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (page), "Checkpoint")));
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));

  vt_gui_step_begin (30, "Cancel");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "train.cancel", NULL));
  vt_gui_wait_until (vt_gui_run_done, run, 30, "the cancelled run to end");
  vt_gui_step_end ();
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_CANCELLED);
  epochs = vitrine_train_page_get_n_epochs_done (page);
  points = vitrine_train_page_get_n_loss_points (page);
  g_test_message ("cancelled after %u epochs, %u loss points: %s", epochs, points,
                  vitrine_train_page_get_status (page));
  g_assert_cmpuint (epochs, >=, 1);
  g_assert_cmpuint (epochs, <, 5);
  g_assert_cmpuint (points, >=, epochs * STEPS_PER_EPOCH);
  g_assert_cmpuint (points, <, 5 * STEPS_PER_EPOCH);
  /* What was drawn stays: every step's loss, every finished epoch's accuracy. */
  g_assert_cmpuint (finite_points (vitrine_train_page_get_loss_chart (page), 0), ==, points);
  g_assert_cmpuint (finite_points (vitrine_train_page_get_accuracy_chart (page), 1), ==, epochs);
  g_assert_nonnull (strstr (vitrine_train_page_get_status (page), "Cancelled"));
  g_assert_null (vitrine_train_page_get_error (page));

  g_assert_nonnull (vitrine_train_page_get_trained_checkpoint (page));
  g_assert_true (g_str_has_prefix (vitrine_train_page_get_trained_checkpoint (page), vitrine_run_get_results_dir (run)));
  trained = vt_checkpoint_open (vitrine_train_page_get_trained_checkpoint (page), &error);
  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_lookup (trained, "module.linear.weight"));
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (page), "Checkpoint")));
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (page), "Training")));
  vt_gui_close_window (GTK_WINDOW (window));
}

/* A 1-epoch head run to the end: ten loss points and one accuracy each
 * side, as its results.json says; the checkpoint reopens in the window;
 * the run reopens from the Runs panel with its curves; batch reproduces. */
static void
test_full_run (void)
{
  VitrineWindow *window = open_demo ();
  VitrineTrainPage *page = vitrine_window_get_train_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  VitrineRun *run = start (window, 1);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "train-area.png", NULL);
  g_autofree char *trained = NULL;
  g_autofree char *batch_dir = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *result;
  JsonArray *epochs;
  double test_accuracy, train_accuracy, live_loss[STEPS_PER_EPOCH];
  VtInspection *inspection;
  guint position, n_svg = 0;

  vt_gui_wait_until (vt_gui_run_done, run, 120, "the 1-epoch run");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_null (vitrine_train_page_get_error (page));
  g_assert_cmpuint (vitrine_train_page_get_n_loss_points (page), ==, STEPS_PER_EPOCH);
  g_assert_cmpuint (vitrine_train_page_get_n_epochs_done (page), ==, 1);
  /* Once the epoch's steps are known the curve spans exactly the run. */
  g_assert_cmpuint (vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_train_page_get_loss_chart (page)))->cols,
                    ==, STEPS_PER_EPOCH);
  g_assert_cmpuint (finite_points (vitrine_train_page_get_loss_chart (page), 0), ==, STEPS_PER_EPOCH);
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));
  for (guint s = 0; s < STEPS_PER_EPOCH; s++)
    live_loss[s] = figure_value (vitrine_train_page_get_loss_chart (page), 0, s);

  /* The curves the events drew are what the run wrote. */
  result = vt_gui_step_result (run, "train", &node);
  epochs = json_object_get_array_member (result, "epochs");
  g_assert_cmpuint (json_array_get_length (epochs), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result, "steps"), ==, STEPS_PER_EPOCH);
  train_accuracy = json_object_get_double_member (json_array_get_object_element (epochs, 0), "train_accuracy");
  test_accuracy = json_object_get_double_member (result, "test_accuracy");
  g_assert_cmpfloat (figure_value (vitrine_train_page_get_accuracy_chart (page), 0, 0), ==, train_accuracy);
  g_assert_cmpfloat (figure_value (vitrine_train_page_get_accuracy_chart (page), 1, 0), ==, test_accuracy);
  g_assert_true (test_accuracy > 0.5);
  {
    /* The mean loss of the epoch is the mean of the drawn steps' (equal batches). */
    double sum = 0.0;

    for (guint s = 0; s < STEPS_PER_EPOCH; s++)
      sum += figure_value (vitrine_train_page_get_loss_chart (page), 0, s);
    g_assert_cmpfloat_with_epsilon (sum / STEPS_PER_EPOCH,
                                    json_object_get_double_member (json_array_get_object_element (epochs, 0), "loss"),
                                    1e-6);
  }
  trained = g_build_filename (vitrine_run_get_results_dir (run), json_object_get_string_member (result, "checkpoint"),
                              NULL);
  g_assert_cmpstr (vitrine_train_page_get_trained_checkpoint (page), ==, trained);
  g_assert_nonnull (strstr (vitrine_train_page_get_status (page), "Done"));

  /* Open Trained Checkpoint: the window's model is the trained one. */
  vt_gui_step_begin (60, "Open Trained Checkpoint");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "train.open-checkpoint", NULL));
  g_assert_true (vitrine_window_is_loading (window));
  vt_gui_wait_until (vt_gui_window_loaded, window, 60, "the trained checkpoint to load");
  vt_gui_step_end ();
  inspection = vitrine_model_page_get_inspection (vitrine_window_get_model_page (window));
  g_assert_cmpstr (vt_checkpoint_get_path (inspection->checkpoint), ==, trained);
  g_assert_cmpstr (visible_area (window), ==, "model");

  /* Open Results in the Runs panel: the Train area, with the report's curves. */
  position = vt_gui_run_position (window, run);
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, position, "open-results")));
  g_signal_emit_by_name (vitrine_runs_panel_get_button (panel, position, "open-results"), "clicked");
  g_assert_cmpstr (visible_area (window), ==, "train");
  g_assert_true (vitrine_train_page_get_run (page) == run);
  /* The loss of every step, as it was drawn live (from the run's steps
   * table, which holds six significant digits, as every table a run writes). */
  g_assert_cmpuint (finite_points (vitrine_train_page_get_loss_chart (page), 0), ==, STEPS_PER_EPOCH);
  for (guint s = 0; s < STEPS_PER_EPOCH; s++)
    g_assert_cmpfloat_with_epsilon (figure_value (vitrine_train_page_get_loss_chart (page), 0, s), live_loss[s],
                                    5e-6 * live_loss[s]);
  g_assert_cmpfloat (figure_value (vitrine_train_page_get_accuracy_chart (page), 1, 0), ==, test_accuracy);
  g_assert_cmpstr (vitrine_train_page_get_trained_checkpoint (page), ==, trained);

  /* The run's spec, saved from the panel, runs with `vitrine --batch` to the same results. */
  vt_gui_step_begin (120, "batch reproduces the train run");
  batch_dir = vt_gui_assert_batch_reproduces (panel, run, tmp, &n_svg);
  vt_gui_step_end ();
  g_assert_cmpuint (n_svg, ==, 3);
  vt_test_rm_rf (tmp);
  vt_gui_close_window (GTK_WINDOW (window));
}

/* OpenCLIP's ModifiedResNet image tower runs forward but has no backward
 * pass yet: the area shows and says so, and Start is off. */
static void
test_unsupported (void)
{
  g_autofree char *modified_resnet = vt_test_fixture ("forward/openclip_rn/model.safetensors");
  VitrineWindow *window = vt_gui_open_window (app, modified_resnet);
  VitrineTrainPage *page = vitrine_window_get_train_page (window);

  g_assert_true (vitrine_window_shows_area (window, "train"));
  g_assert_false (vitrine_train_page_can_train (page));
  g_assert_nonnull (vitrine_train_page_get_unsupported (page));
  g_test_message ("%s", vitrine_train_page_get_unsupported (page));
  g_assert_nonnull (strstr (vitrine_train_page_get_unsupported (page), "cannot be trained"));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (page), "Training")));
  /* The action is off: activating it does nothing (no run, no error). */
  gtk_widget_activate_action (GTK_WIDGET (page), "train.start", NULL);
  g_assert_null (vitrine_train_page_get_run (page));
  g_assert_null (vitrine_train_page_get_error (page));
  vt_gui_close_window (GTK_WINDOW (window));
}

/* The first check button under @root whose label contains @label. */
static GtkWidget *
find_check (GtkWidget  *root,
            const char *label)
{
  if (GTK_IS_CHECK_BUTTON (root) && gtk_check_button_get_label (GTK_CHECK_BUTTON (root)) != NULL &&
      strstr (gtk_check_button_get_label (GTK_CHECK_BUTTON (root)), label) != NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_check (child, label);

      if (found)
        return found;
    }
  return NULL;
}

/* The widget that the label @text (its mnemonic included) under @root names. */
static GtkWidget *
labelled (GtkWidget  *root,
          const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), text) == 0)
        return gtk_label_get_mnemonic_widget (GTK_LABEL (child));
      if ((found = labelled (child, text)) != NULL)
        return found;
    }
  return NULL;
}

/* Runs the shortcut @page's own controllers bind to @keyval + @mods, as a
 * key press would (GTK has no public way to synthesize the event). */
static void
press_shortcut (GtkWidget       *page,
                guint            keyval,
                GdkModifierType  mods)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (page);
  g_autoptr(GtkShortcutTrigger) wanted = gtk_keyval_trigger_new (keyval, mods);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint s = 0; s < g_list_model_get_n_items (G_LIST_MODEL (controller)); s++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), s);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), wanted))
            {
              g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, page, NULL));
              return;
            }
        }
    }
  g_assert_not_reached ();
}

/* The recipe's conditional fields, their reaching the spec, and the keys. */
static void
test_recipe (void)
{
  VitrineWindow *window = open_demo ();
  VitrineTrainPage *page = vitrine_window_get_train_page (window);
  GtkWidget *optimizer = labelled (GTK_WIDGET (page), "_Optimizer");
  GtkWidget *momentum = labelled (GTK_WIDGET (page), "_Momentum");
  GtkWidget *schedule = labelled (GTK_WIDGET (page), "_Schedule");
  GtkWidget *gamma = labelled (GTK_WIDGET (page), "Gamma");
  GtkWidget *shuffle = find_check (GTK_WIDGET (page), "uffle");
  GtkWidget *decay_at;
  g_autoptr(JsonNode) spec = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *step;
  JsonArray *milestones;
  VitrineRun *run;

  g_assert_nonnull (optimizer);
  g_assert_nonnull (gamma);
  g_assert_nonnull (shuffle);
  /* SGD's momentum is off for Adam and AdamW. */
  g_assert_true (gtk_widget_get_sensitive (momentum));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (optimizer), 1);
  g_assert_false (gtk_widget_get_sensitive (momentum));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (optimizer), 0);
  g_assert_true (gtk_widget_get_sensitive (momentum));

  /* Constant: no decay fields; Step: its period and gamma; Multi-step: its epochs and gamma. */
  g_assert_false (gtk_widget_get_visible (gamma));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (schedule), 2);
  decay_at = labelled (GTK_WIDGET (page), "Deca_y at");
  g_assert_true (GTK_IS_SPIN_BUTTON (decay_at));
  g_assert_true (gtk_widget_get_visible (gamma) && gtk_widget_get_visible (decay_at));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (schedule), 3);
  decay_at = labelled (GTK_WIDGET (page), "Deca_y at");
  g_assert_true (GTK_IS_ENTRY (decay_at));
  g_assert_true (gtk_widget_get_visible (decay_at));

  /* Epochs that do not increase are refused in the field's words, and nothing runs. */
  vitrine_train_page_configure (page, 3, BATCH, 0.01);
  gtk_editable_set_text (GTK_EDITABLE (decay_at), "2, 1");
  press_shortcut (GTK_WIDGET (page), GDK_KEY_Return, GDK_CONTROL_MASK);
  g_assert_null (vitrine_train_page_get_run (page));
  g_assert_nonnull (vitrine_train_page_get_error (page));
  g_test_message ("%s", vitrine_train_page_get_error (page));
  g_assert_nonnull (strstr (vitrine_train_page_get_error (page), "Decay at"));
  g_assert_nonnull (strstr (vitrine_train_page_get_error (page), "“1”"));

  /* Ctrl+Return starts the run the fields say; Ctrl+period cancels it. */
  gtk_editable_set_text (GTK_EDITABLE (decay_at), "1, 2");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gamma), 0.5);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (shuffle), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (find_check (GTK_WIDGET (page), "raining mode")), TRUE);
  press_shortcut (GTK_WIDGET (page), GDK_KEY_Return, GDK_CONTROL_MASK);
  g_assert_null (vitrine_train_page_get_error (page));
  run = vitrine_train_page_get_run (page);
  g_assert_nonnull (run);
  g_assert_true (vitrine_train_page_is_running (page));
  spec = json_from_string (vitrine_run_get_spec (run), &error);
  g_assert_no_error (error);
  step = json_array_get_object_element (json_object_get_array_member (json_node_get_object (spec), "steps"), 0);
  g_assert_cmpstr (json_object_get_string_member (step, "schedule"), ==, "multistep");
  milestones = json_object_get_array_member (step, "milestones");
  g_assert_cmpuint (json_array_get_length (milestones), ==, 2);
  g_assert_cmpint (json_array_get_int_element (milestones, 0), ==, 1);
  g_assert_cmpint (json_array_get_int_element (milestones, 1), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (step, "gamma"), ==, 0.5);
  g_assert_false (json_object_get_boolean_member (step, "shuffle"));
  g_assert_cmpstr (json_object_get_string_member (step, "batchnorm"), ==, "train");
  vt_gui_step_begin (30, "Ctrl+period cancels");
  press_shortcut (GTK_WIDGET (page), GDK_KEY_period, GDK_CONTROL_MASK);
  vt_gui_wait_until (vt_gui_run_done, run, 30, "the cancelled run to end");
  vt_gui_step_end ();
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_CANCELLED);
  vt_gui_close_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/train-page/live-and-cancel", test_live_and_cancel, 240 },
    { "/gui/train-page/full-run", test_full_run, 300 },
    { "/gui/train-page/unsupported", test_unsupported, 60 },
    { "/gui/train-page/recipe", test_recipe, 120 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
