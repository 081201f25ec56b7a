/* test-small-window.c: every area usable in a small window (1024×600), in
 * the real window, in process, under Xvfb.
 *
 * The window is set to 1024×600 with the demo checkpoint and dataset open,
 * then with the OpenCLIP fixture open (whose long summary once raised the
 * window's minimum height to 819 px). Each area is shown in turn; for each
 * the window's measured minimum size is at most 1024×600, the area's key
 * widgets (plot, chart, grid, table, buttons) are allocated at least a
 * stated size and lie inside the window, and a screenshot is saved into
 * $VITRINE_ARTIFACTS (small-<area>.png). Every test runs as a watchdog
 * step. */
#include <gtk/gtk.h>
#include <string.h>

#include "vitrine-application.h"
#include "vitrine-attribution-page.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

#define SMALL_WIDTH  1024
#define SMALL_HEIGHT 600

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
dataset_idle (gpointer page)
{
  return !vitrine_dataset_page_is_busy (page);
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

/* The window's surface (its frame included) is 1024×600. */
static gboolean
has_small_size (gpointer window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  return gdk_surface_get_width (surface) == SMALL_WIDTH && gdk_surface_get_height (surface) == SMALL_HEIGHT;
}

static void
close_window (VitrineWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}

/* The first widget under @root (depth first) of @type; with @label, the
 * first button whose label contains it. */
static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type)
      && (label == NULL || (gtk_button_get_label (GTK_BUTTON (root)) != NULL
                            && strstr (gtk_button_get_label (GTK_BUTTON (root)), label) != NULL)))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, label);

      if (found)
        return found;
    }
  return NULL;
}

static VitrineWindow *
small_window (const char *checkpoint)
{
  VitrineWindow *window = vitrine_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), SMALL_WIDTH, SMALL_HEIGHT);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", checkpoint);
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
  return window;
}

/* The window's own minimum size fits 1024×600. */
static void
assert_minimum_fits (VitrineWindow *window,
                     const char    *area)
{
  int min_width, min_height;

  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_VERTICAL, SMALL_WIDTH, &min_height, NULL, NULL, NULL);
  g_test_message ("%s: the window's minimum size is %d×%d", area, min_width, min_height);
  if (min_width > SMALL_WIDTH || min_height > SMALL_HEIGHT)
    g_error ("%s: the window's minimum size %d×%d is larger than %d×%d",
             area, min_width, min_height, SMALL_WIDTH, SMALL_HEIGHT);
}

/* @widget (@what) is allocated at least @width×@height and lies inside
 * the window. */
static void
assert_usable (VitrineWindow *window,
               GtkWidget     *widget,
               const char    *area,
               const char    *what,
               int            width,
               int            height)
{
  graphene_rect_t bounds;

  if (widget == NULL)
    g_error ("%s: no %s", area, what);
  if (!gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &bounds))
    g_error ("%s: the %s is not laid out in the window", area, what);
  g_test_message ("%s: the %s is %.0f×%.0f at (%.0f, %.0f)", area, what,
                  bounds.size.width, bounds.size.height, bounds.origin.x, bounds.origin.y);
  if (bounds.size.width < width || bounds.size.height < height)
    g_error ("%s: the %s is %.0f×%.0f, less than %d×%d", area, what,
             bounds.size.width, bounds.size.height, width, height);
  if (bounds.origin.x < 0 || bounds.origin.y < 0
      || bounds.origin.x + bounds.size.width > gtk_widget_get_width (GTK_WIDGET (window)) + 0.5
      || bounds.origin.y + bounds.size.height > gtk_widget_get_height (GTK_WIDGET (window)) + 0.5)
    g_error ("%s: the %s (%.0f×%.0f at %.0f, %.0f) is not inside the %d×%d window", area, what,
             bounds.size.width, bounds.size.height, bounds.origin.x, bounds.origin.y,
             gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
}

/* Shows @area at 1024×600, checks the window's minimum size, and saves
 * the screenshot small-<@name>.png. */
static void
show_small (VitrineWindow *window,
            const char    *area,
            const char    *name)
{
  g_autofree char *file = g_strdup_printf ("small-%s.png", name);
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), file, NULL);

  g_assert_true (vitrine_window_shows_area (window, area));
  vitrine_window_show_area (window, area);
  vt_gui_step_begin (30, "lay out the %s area at %d×%d", area, SMALL_WIDTH, SMALL_HEIGHT);
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (window), 10000));
  vt_gui_step_end ();
  assert_minimum_fits (window, area);
  g_test_message ("%s: the window is %d×%d inside its frame", area,
                  gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
  /* Within its minimum, the window keeps the size it was given. */
  vt_gui_wait_until (has_small_size, window, 10, "the window to be 1024×600");
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));
}

/* The Runs panel below every area keeps to a strip. */
static void
assert_runs_panel_small (VitrineWindow *window,
                         const char    *area)
{
  int height = gtk_widget_get_height (GTK_WIDGET (vitrine_window_get_runs_panel (window)));

  if (height > SMALL_HEIGHT / 3)
    g_error ("%s: the Runs panel is %d px tall, more than a third of the window", area, height);
}

static gboolean
text_idle (gpointer text)
{
  return !vitrine_text_attention_is_busy (text);
}

static void
test_demo_areas (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *folder = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
  VitrineWindow *window = small_window (demo);
  GtkWidget *page;

  vitrine_window_open_dataset (window, folder_file);
  vt_gui_wait_until (dataset_idle, vitrine_window_get_dataset_page (window), 60, "the dataset to open");

  show_small (window, "model", "model");
  page = GTK_WIDGET (vitrine_window_get_model_page (window));
  assert_usable (window, GTK_WIDGET (vitrine_model_page_get_column_view (vitrine_window_get_model_page (window))), "model", "tensor table", 300, 150);
  assert_usable (window, vitrine_model_page_get_histogram (vitrine_window_get_model_page (window)), "model", "histogram", 200, 140);
  assert_runs_panel_small (window, "model");

  show_small (window, "predict", "predict");
  page = GTK_WIDGET (vitrine_window_get_predict_page (window));
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Image"), "predict", "Open Image button", 40, 20);
  assert_usable (window, find_widget (page, GTK_TYPE_PICTURE, NULL), "predict", "picture", 200, 200);
  assert_runs_panel_small (window, "predict");

  show_small (window, "attribution", "attribution");
  page = GTK_WIDGET (vitrine_window_get_attribution_page (window));
  assert_usable (window, vitrine_attribution_page_get_view (vitrine_window_get_attribution_page (window)), "attribution", "row of maps", 300, 200);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Compute"), "attribution", "Compute button", 40, 20);
  assert_runs_panel_small (window, "attribution");

  /* The area's COMET page: its charts, the masks and Start in view. */
  vitrine_attribution_page_show_comet (vitrine_window_get_attribution_page (window), TRUE);
  show_small (window, "attribution", "comet");
  {
    VitrineCometPage *comet = vitrine_attribution_page_get_comet_page (vitrine_window_get_attribution_page (window));

    assert_usable (window, vitrine_comet_page_get_loss_chart (comet), "comet", "loss chart", 200, 150);
    assert_usable (window, vitrine_comet_page_get_masks_view (comet), "comet", "masks", 200, 150);
    assert_usable (window, find_widget (GTK_WIDGET (comet), GTK_TYPE_BUTTON, "COMET"), "comet", "Start button", 40, 20);
  }
  assert_runs_panel_small (window, "attribution");
  vitrine_attribution_page_show_comet (vitrine_window_get_attribution_page (window), FALSE);

  show_small (window, "dataset", "dataset");
  page = GTK_WIDGET (vitrine_window_get_dataset_page (window));
  assert_usable (window, find_widget (page, GTK_TYPE_GRID_VIEW, NULL), "dataset", "thumbnail grid", 300, 200);
  assert_usable (window, gtk_widget_get_ancestor (find_widget (page, GTK_TYPE_LIST_BOX, NULL), GTK_TYPE_SCROLLED_WINDOW),
                 "dataset", "class list", 100, 150);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Extract"), "dataset", "Extract button", 40, 20);
  assert_runs_panel_small (window, "dataset");

  show_small (window, "incremental", "incremental");
  page = GTK_WIDGET (vitrine_window_get_incremental_page (window));
  assert_usable (window, vitrine_incremental_page_get_chart (vitrine_window_get_incremental_page (window)), "incremental", "chart", 300, 150);
  assert_usable (window, find_widget (page, GTK_TYPE_STACK_SWITCHER, NULL), "incremental", "view switcher", 60, 20);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Run"), "incremental", "Run button", 40, 20);
  assert_runs_panel_small (window, "incremental");

  show_small (window, "labeling", "labeling");
  page = GTK_WIDGET (vitrine_window_get_labeling_page (window));
  assert_usable (window, find_widget (page, GTK_TYPE_PICTURE, NULL), "labeling", "sample picture", 150, 150);
  assert_usable (window, vitrine_labeling_page_get_bar_chart (vitrine_window_get_labeling_page (window)), "labeling", "bar chart", 150, 100);
  assert_usable (window, vitrine_labeling_page_get_accuracy_chart (vitrine_window_get_labeling_page (window)), "labeling", "accuracy chart", 150, 100);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Round"), "labeling", "Start Round button", 40, 20);
  assert_runs_panel_small (window, "labeling");

  show_small (window, "train", "train");
  page = GTK_WIDGET (vitrine_window_get_train_page (window));
  assert_usable (window, vitrine_train_page_get_loss_chart (vitrine_window_get_train_page (window)), "train", "loss chart", 300, 100);
  assert_usable (window, vitrine_train_page_get_accuracy_chart (vitrine_window_get_train_page (window)), "train", "accuracy chart", 300, 100);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Training"), "train", "Start Training button", 40, 20);
  assert_runs_panel_small (window, "train");

  show_small (window, "embedding", "embedding");
  page = GTK_WIDGET (vitrine_window_get_embedding_page (window));
  assert_usable (window, vitrine_embedding_page_get_scatter (vitrine_window_get_embedding_page (window)), "embedding", "plot", 300, 250);
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Run"), "embedding", "Run button", 40, 20);
  assert_runs_panel_small (window, "embedding");

  show_small (window, "workspace", "workspace");
  assert_runs_panel_small (window, "workspace");

  close_window (window);
}

/* The OpenCLIP fixture: a ViT with a text tower, the longest summary. */
static void
test_clip_areas (void)
{
  g_autofree char *clip = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  VitrineWindow *window = small_window (clip);
  GtkWidget *page;

  show_small (window, "model", "model-clip");
  assert_usable (window, GTK_WIDGET (vitrine_model_page_get_column_view (vitrine_window_get_model_page (window))), "model (CLIP)", "tensor table", 300, 150);
  assert_usable (window, vitrine_model_page_get_histogram (vitrine_window_get_model_page (window)), "model (CLIP)", "histogram", 200, 140);
  assert_runs_panel_small (window, "model (CLIP)");

  show_small (window, "predict", "predict-clip");
  page = GTK_WIDGET (vitrine_window_get_predict_page (window));
  assert_usable (window, find_widget (page, GTK_TYPE_BUTTON, "Image"), "predict (CLIP)", "Open Image button", 40, 20);
  assert_usable (window, find_widget (page, GTK_TYPE_PICTURE, NULL), "predict (CLIP)", "picture", 200, 200);
  assert_usable (window, find_widget (page, GTK_TYPE_ENTRY, NULL), "predict (CLIP)", "classes entry", 100, 20);

  show_small (window, "attention", "attention");
  page = GTK_WIDGET (vitrine_window_get_attention_page (window));
  /* The fixture's grid of tokens is small (its natural size); the view
   * beside it keeps its requested 320×300. */
  assert_usable (window, GTK_WIDGET (vitrine_attention_page_get_grid (vitrine_window_get_attention_page (window))), "attention", "token grid", 200, 50);
  assert_usable (window, vitrine_attention_page_get_view (vitrine_window_get_attention_page (window)), "attention", "attention view", 320, 300);
  assert_runs_panel_small (window, "attention");

  /* The Text mode: a prompt's token × token heatmap. */
  {
    VitrineAttentionPage *attention = vitrine_window_get_attention_page (window);
    VitrineTextAttention *text = vitrine_attention_page_get_text (attention);

    vitrine_attention_page_set_mode (attention, "text");
    vitrine_text_attention_run (text, "a photo of a cat.");
    vt_gui_wait_until (text_idle, text, 60, "the text tower");
    g_assert_null (vitrine_text_attention_get_error (text));
    show_small (window, "attention", "attention-text");
    assert_usable (window, vitrine_text_attention_get_view (text), "attention (text)", "token heatmap", 320, 240);
    assert_usable (window, find_widget (GTK_WIDGET (text), GTK_TYPE_ENTRY, NULL), "attention (text)", "prompt entry", 100, 20);
    assert_usable (window, find_widget (GTK_WIDGET (text), GTK_TYPE_BUTTON, "Attention"), "attention (text)", "Show Attention button",
                   40, 20);
    assert_runs_panel_small (window, "attention (text)");
  }

  close_window (window);
}

/* At the window's own minimum size (asked for 1×1, it gets its minimum)
 * the Embedding plot and the Incremental chart keep a usable size: the
 * plot once got 70 px there. */
static void
test_minimum_size (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "resnet20-12fca82f.safetensors", NULL);
  VitrineWindow *window = vitrine_window_new (app);
  g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "small-minimum-embedding.png", NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1, 1);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");

  vitrine_window_show_area (window, "embedding");
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (window), 10000));
  g_test_message ("the window at its minimum is %d×%d inside its frame",
                  gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));
  assert_usable (window, vitrine_embedding_page_get_scatter (vitrine_window_get_embedding_page (window)),
                 "embedding (minimum size)", "plot", 300, 250);
  assert_usable (window, find_widget (GTK_WIDGET (vitrine_window_get_embedding_page (window)), GTK_TYPE_BUTTON, "Run"),
                 "embedding (minimum size)", "Run button", 40, 20);

  vitrine_window_show_area (window, "incremental");
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (window), 10000));
  assert_usable (window, vitrine_incremental_page_get_chart (vitrine_window_get_incremental_page (window)),
                 "incremental (minimum size)", "chart", 300, 140);
  assert_usable (window, find_widget (GTK_WIDGET (vitrine_window_get_incremental_page (window)), GTK_TYPE_BUTTON, "Run"),
                 "incremental (minimum size)", "Run button", 40, 20);
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/small-window/demo-areas", test_demo_areas, 180 },
    { "/gui/small-window/clip-areas", test_clip_areas, 180 },
    { "/gui/small-window/minimum-size", test_minimum_size, 120 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
