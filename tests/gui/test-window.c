/* test-window.c: the real window, in process, under Xvfb.
 *
 * Opens checkpoints through the "win.open-file" action (the one the Open
 * button, drops, recent files and the command line all use) and checks what
 * the window then shows. Saves a screenshot to test-artifacts/. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "figures/vt-figure-render.h"
#include "io/vt-checkpoint.h"
#include "methods/projection/vt-embedding.h"
#include "models/vt-layer-list.h"
#include "methods/projection/vt-neighbors.h"
#include "vitrine-application.h"
#include "vitrine-figure-view.h"
#include "vitrine-sample-list.h"
#include "vitrine-store-item.h"
#include "vitrine-scatter-view.h"
#include "vitrine-tensor-node.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-runs.h"
#include "models/vt-transform.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static VitrineWindow *
open_window (const char *path)
{
  VitrineWindow *window = vitrine_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  if (path)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", path);
      g_assert_true (vitrine_window_is_loading (window));
      vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
    }
  return window;
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

static VitrineTensorNode *
row_node (GListModel *rows,
          guint       i)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
  return gtk_tree_list_row_get_item (row);
}

/* The node of the selected row; the page's tree keeps it alive. */
static VitrineTensorNode *
selected_node (VitrineModelPage *page)
{
  GtkSelectionModel *model = gtk_column_view_get_model (vitrine_model_page_get_column_view (page));
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (model));
  g_autoptr(VitrineTensorNode) node = NULL;

  g_assert_nonnull (row);
  node = gtk_tree_list_row_get_item (row);
  return node;
}

static guint64
histogram_total (VitrineModelPage *page)
{
  const VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_model_page_get_histogram (page)));
  guint64 total = 0;

  g_assert_nonnull (figure);
  for (guint i = 0; i < figure->histogram->n_bins; i++)
    total += figure->histogram->counts[i];
  return total;
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), name, NULL);

  g_assert_true (vt_gui_save_png (widget, path));
  g_test_message ("screenshot: %s", path);
}

/* Netron's habits in the Model area: a weight's values as a table of one
 * slice (the spin buttons choose [5, 2, :, :] of conv1's [16, 3, 3, 3]),
 * each cell the checkpoint's value; a 1-D tensor's values wrap in rows of
 * 8; the histogram's counts on a log scale, and its export as PNG, SVG and
 * PDF. */
static void
assert_values_and_histogram (VitrineModelPage *page,
                             const char       *checkpoint_path)
{
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (checkpoint_path, NULL);
  const VtTensor *conv = vt_checkpoint_lookup (checkpoint, "module.conv1.weight");
  const VtTensor *bias = vt_checkpoint_lookup (checkpoint, "module.bn1.bias");
  g_autofree float *conv_values = vt_tensor_dup_float (conv);
  g_autofree float *bias_values = vt_tensor_dup_float (bias);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *base = g_build_filename (dir, "histogram", NULL);
  VitrineFigureView *histogram = VITRINE_FIGURE_VIEW (vitrine_model_page_get_histogram (page));
  g_autoptr(GError) error = NULL;

  g_assert_true (vitrine_model_page_select_tensor (page, "module.conv1.weight"));
  g_assert_cmpstr (vitrine_model_page_get_values_title (page), ==, "Values [0, 0, :, :]");
  vitrine_model_page_set_slice (page, 0, 5);
  vitrine_model_page_set_slice (page, 1, 2);
  g_assert_cmpstr (vitrine_model_page_get_values_title (page), ==, "Values [5, 2, :, :]");
  vitrine_model_page_show_details (page, "values");
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (page))), "window-tensor-slice.png");
  vitrine_model_page_show_details (page, "statistics");
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 3; c++)
      {
        g_autofree char *want = g_strdup_printf ("%.6g", conv_values[((5 * 3 + 2) * 3 + r) * 3 + c]);

        g_assert_cmpstr (vitrine_model_page_get_value_text (page, r, c), ==, want);
      }
  g_assert_null (vitrine_model_page_get_value_text (page, 3, 0));

  g_assert_true (vitrine_model_page_select_tensor (page, "module.bn1.bias"));
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *want = g_strdup_printf ("%.6g", bias_values[i]);

      g_assert_cmpstr (vitrine_model_page_get_value_text (page, i / 8, i % 8), ==, want);
    }

  g_assert_false (vitrine_figure_view_get_figure (histogram)->log_y);
  /* What Export Histogram… does with the file chosen: */
  g_assert_true (vitrine_model_page_export_histogram (page, base, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      static const char * const suffixes[] = { ".png", ".svg", ".pdf" };
      g_autofree char *path = g_strconcat (base, suffixes[i], NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
  g_assert_true (vitrine_model_page_select_tensor (page, "module.conv1.weight"));
  vitrine_model_page_set_log_scale (page, TRUE);
  g_assert_true (vitrine_figure_view_get_figure (histogram)->log_y);
  /* It stays as another tensor is chosen. */
  g_assert_true (vitrine_model_page_select_tensor (page, "module.linear.weight"));
  g_assert_true (vitrine_figure_view_get_figure (histogram)->log_y);
  g_assert_cmpstr (vitrine_figure_view_get_figure (histogram)->y_label, ==, "count (log scale)");
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (page))), "window-tensor-values.png");
  vitrine_model_page_set_log_scale (page, FALSE);
  vt_test_rm_rf (dir);
}

static void
test_open_demo (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  VitrineWindow *window = open_window (demo);
  VitrineModelPage *page = vitrine_window_get_model_page (window);
  GListModel *rows = vitrine_model_page_get_rows (page);
  g_autoptr(VitrineTensorNode) first = NULL;
  g_autoptr(VitrineTensorNode) second = NULL;
  VitrineTensorNode *opened_on, *picked;

  /* The summary. */
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Architecture"), ==, "CIFAR ResNet (option A)");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Model"), ==, "resnet20");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Classes"), ==, "10");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Tensors"), ==, "97");
  g_assert_true (g_str_has_suffix (vitrine_model_page_get_fact (page, "Parameters"), "(0.27 M)"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "resnet20-12fca82f.safetensors — Vitrine");

  /* The tree: six top-level modules, the first opened on its first tensor. */
  g_assert_nonnull (rows);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 7);
  first = row_node (rows, 0);
  second = row_node (rows, 1);
  g_assert_cmpstr (vitrine_tensor_node_get_name (first), ==, "conv1");
  g_assert_cmpuint (vitrine_tensor_node_get_elements (first), ==, 432);
  g_assert_cmpstr (vitrine_tensor_node_get_path (second), ==, "module.conv1.weight");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Shape"), ==, "[16, 3, 3, 3]");
  g_assert_cmpuint (histogram_total (page), ==, 432);
  /* Each node the page shows must go when the page goes (see the end). */
  opened_on = selected_node (page);
  g_assert_true (opened_on == second);
  g_object_add_weak_pointer (G_OBJECT (opened_on), (gpointer *) &opened_on);

  /* Selecting a tensor deep in the tree shows its statistics. */
  g_assert_true (vitrine_model_page_select_tensor (page, "module.linear.weight"));
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Shape"), ==, "[10, 64]");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "NaN"), ==, "0");
  g_assert_cmpuint (histogram_total (page), ==, 640);
  picked = selected_node (page);
  g_assert_cmpstr (vitrine_tensor_node_get_path (picked), ==, "module.linear.weight");
  g_object_add_weak_pointer (G_OBJECT (picked), (gpointer *) &picked);

  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (window), "window-resnet20.png");

  assert_values_and_histogram (page, demo);

  /* Search keeps the modules leading to matches, expanded. */
  g_assert_true (vitrine_model_page_select_tensor (page, "module.linear.weight"));
  vitrine_model_page_set_search (page, "running_var");
  {
    guint leaves = 0;
    for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
      {
        g_autoptr(VitrineTensorNode) node = row_node (rows, i);
        if (vitrine_tensor_node_get_index (node) >= 0)
          {
            g_assert_true (g_str_has_suffix (vitrine_tensor_node_get_path (node), "running_var"));
            leaves++;
          }
      }
    /* ResNet-20 has 19 BatchNorm layers. */
    g_assert_cmpuint (leaves, ==, 19);
  }
  /* A module that was on screen before the search opens to its matches too. */
  vitrine_model_page_set_search (page, "linear");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  {
    g_autoptr(VitrineTensorNode) weight = row_node (rows, 1);
    g_assert_cmpstr (vitrine_tensor_node_get_path (weight), ==, "module.linear.weight");
  }
  vitrine_model_page_set_search (page, "running_var");
  vt_gui_spin (100);
  save_screenshot (GTK_WIDGET (window), "window-search.png");
  vitrine_model_page_set_search (page, "");
  /* Clearing the search folds the tree back to its six modules, but for
   * the way to the tensor selected before it (issue 23), which is still
   * selected with its statistics: linear and its weight and bias. */
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 8);
  {
    VitrineTensorNode *kept = selected_node (page);   /* the row's */

    g_assert_cmpstr (vitrine_tensor_node_get_path (kept), ==, "module.linear.weight");
  }
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Shape"), ==, "[10, 64]");
  g_assert_cmpuint (histogram_total (page), ==, 640);
  /* A tensor picked among the matches is the one kept. */
  vitrine_model_page_set_search (page, "conv1");
  g_assert_true (vitrine_model_page_select_tensor (page, "module.conv1.weight"));
  vitrine_model_page_set_search (page, "");
  {
    VitrineTensorNode *kept = selected_node (page);

    g_assert_cmpstr (vitrine_tensor_node_get_path (kept), ==, "module.conv1.weight");
  }
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Shape"), ==, "[16, 3, 3, 3]");
  /* Folded again: the six modules, conv1 open on its weight (7 rows). */
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 7);

  /* Sorting by bytes, largest first, puts layer3 on top. */
  {
    GtkColumnView *view = vitrine_model_page_get_column_view (page);
    g_autoptr(GtkColumnViewColumn) bytes = g_list_model_get_item (gtk_column_view_get_columns (view), 4);
    g_autoptr(VitrineTensorNode) top = NULL;

    g_assert_cmpstr (gtk_column_view_column_get_title (bytes), ==, "Bytes");
    gtk_column_view_sort_by_column (view, bytes, GTK_SORT_DESCENDING);
    top = row_node (rows, 0);
    g_assert_cmpstr (vitrine_tensor_node_get_name (top), ==, "layer3");
    gtk_column_view_sort_by_column (view, NULL, GTK_SORT_ASCENDING);
  }

  /* The Layers tab (Netron's layer list) shows the engine's list for the
   * checkpoint, row by row (test-forward checks the list against PyTorch). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (demo, &error);
    g_autoptr(VtModel) model = NULL;
    g_autoptr(VtLayerList) list = NULL;

    g_assert_no_error (error);
    model = vt_model_new (checkpoint, &error);
    g_assert_no_error (error);
    list = vt_layer_list_new (model, 0, 0, &error);
    g_assert_no_error (error);
    vitrine_model_page_show_tab (page, "layers");
    for (guint i = 0; i < list->n_layers; i++)
      {
        g_autofree char *shape = vt_format_shape (list->layers[i].ndim, list->layers[i].shape);

        g_assert_cmpstr (vitrine_model_page_get_layer_text (page, i, 0), ==, list->layers[i].name);
        g_assert_cmpstr (vitrine_model_page_get_layer_text (page, i, 1), ==, shape);
      }
    g_assert_null (vitrine_model_page_get_layer_text (page, list->n_layers, 0));
    g_assert_cmpstr (vitrine_model_page_get_layer_text (page, 0, 0), ==, "input");
    g_assert_cmpstr (vitrine_model_page_get_layer_text (page, 0, 1), ==, "[3, 32, 32]");
    g_assert_cmpstr (vitrine_model_page_get_layer_text (page, list->n_layers - 1, 0), ==, "logits");
    vt_gui_spin (100);
    save_screenshot (GTK_WIDGET (window), "model-layers.png");
    vitrine_model_page_show_tab (page, "tensors");
  }

  /* Selecting a tensor lends its node to the statistics and nothing more:
   * once the window is gone, no one holds the selected nodes. */
  g_clear_object (&first);
  g_clear_object (&second);
  close_window (window);
  g_assert_null (opened_on);
  g_assert_null (picked);
}

static gboolean
predicted (gpointer page)
{
  return !vitrine_predict_page_is_busy (page);
}

/* PyTorch's top-1 class for a CIFAR-10 test file (the reference fixture). */
static char *
pytorch_prediction (const char *file)
{
  g_autofree char *path = vt_test_fixture ("forward/cifar10-test-predictions.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *files;

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_array_member (root, "files");
  for (guint i = 0; i < json_array_get_length (files); i++)
    if (g_str_equal (json_array_get_string_element (files, i), file))
      {
        gint64 label = json_array_get_int_element (json_object_get_array_member (json_object_get_object_member (root, "predictions"), "resnet20"), i);
        return g_strdup (json_array_get_string_element (json_object_get_array_member (root, "classes"), label));
      }
  g_assert_not_reached ();
}

/* The Predict area: a CIFAR JPEG gets PyTorch's class; a large photo goes
 * through resize and crop; a file that is not an image reports its error. */
/* Open Image offers every format Predict reads, whatever the case of the
 * suffix or the content type the file manager reports. */
static void
test_predict_image_filter (void)
{
  g_autoptr(GtkFileFilter) filter = vitrine_predict_page_image_filter_new ();
  static const struct { const char *name; const char *type; gboolean shown; } files[] = {
    { "grace_hopper.bmp", "image/bmp", TRUE },
    { "parrot.jpg", "image/jpeg", TRUE },
    { "plot.PNG", "application/octet-stream", TRUE },
    { "scan.jpeg", NULL, TRUE },
    { "notes.txt", "text/plain", FALSE },
    { "model.safetensors", "application/octet-stream", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GFileInfo) info = g_file_info_new ();

      g_file_info_set_display_name (info, files[i].name);
      if (files[i].type != NULL)
        g_file_info_set_content_type (info, files[i].type);
      if (gtk_filter_match (GTK_FILTER (filter), info) != files[i].shown)
        g_error ("%s (%s) should %sbe offered", files[i].name, files[i].type, files[i].shown ? "" : "not ");
    }
}

/* The page shows the crop of @path that ResNet-20 was given: its eval
 * transform's (shorter side to 32, center crop 32), un-normalized, to within the PNG's 8-bit rounding. */
static void
assert_model_input (VitrinePredictPage *page,
                    const char         *checkpoint_path,
                    const char         *path)
{
  const VtImage *shown = vitrine_predict_page_get_model_input (page);
  g_autoptr(VtImage) image = vt_image_load (path, NULL);
  g_autofree float *want = g_new (float, 3 * 32 * 32);
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (checkpoint_path, NULL);
  g_autoptr(VtModel) model = vt_model_new (checkpoint, NULL);
  VtTransform transform;

  g_assert_nonnull (shown);
  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  g_assert_cmpint (shown->width, ==, 32);
  g_assert_cmpint (shown->height, ==, 32);
  vt_transform_apply_unnormalized (&transform, image, want);
  for (int p = 0; p < 32 * 32; p++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (abs ((int) shown->rgb[3 * p + c] - (int) lround (want[c * 32 * 32 + p] * 255.0)), <=, 1);
}

static void
test_predict (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *cat_path = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *parrot_path = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autofree char *expected = pytorch_prediction ("cat/0000.jpg");
  g_autoptr(GFile) cat = g_file_new_for_path (cat_path);
  g_autoptr(GFile) parrot = g_file_new_for_path (parrot_path);
  g_autoptr(GFile) not_image = g_file_new_for_path (demo);
  VitrineWindow *window = open_window (demo);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  const char *name;
  double p, total = 0.0;

  g_assert_true (vitrine_window_shows_area (window, "predict"));
  vitrine_window_show_area (window, "predict");
  vitrine_predict_page_open (page, cat);
  vt_gui_wait_until (predicted, page, 30, "the prediction");
  g_assert_null (vitrine_predict_page_get_error (page));
  g_assert_true (vitrine_predict_page_get_top (page, 0, &name, &p));
  g_test_message ("cat/0000.jpg: %s %.3f (PyTorch's top-1: %s)", name, p, expected);
  g_assert_cmpstr (name, ==, expected);
  for (guint i = 0; vitrine_predict_page_get_top (page, i, &name, &p); i++)
    total += p;
  g_assert_cmpfloat (total, >, 0.5);
  g_assert_cmpfloat (total, <=, 1.0 + 1e-9);
  g_assert_false (vitrine_predict_page_get_top (page, 5, &name, &p));
  /* A CIFAR image is what ResNet-20 takes: shown as it was, no warning. */
  assert_model_input (page, demo, cat_path);
  g_assert_null (vitrine_predict_page_get_input_warning (page));

  vitrine_predict_page_open (page, parrot);
  vt_gui_wait_until (predicted, page, 30, "the prediction");
  g_assert_null (vitrine_predict_page_get_error (page));
  g_assert_true (vitrine_predict_page_get_top (page, 0, &name, &p));
  g_test_message ("parrot.jpg (512×929, resized and cropped to 32×32): %s %.3f", name, p);
  /* LIT's habit: the crop the model saw, and a warning that the photo was
   * shrunk 16 times (929 pixels tall to 58, then cropped to 32). */
  assert_model_input (page, demo, parrot_path);
  g_assert_nonnull (vitrine_predict_page_get_input_warning (page));
  g_assert_nonnull (strstr (vitrine_predict_page_get_input_warning (page), "16 times smaller"));
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (window), "window-predict.png");

  vitrine_predict_page_open (page, not_image);
  vt_gui_wait_until (predicted, page, 30, "the failed prediction");
  g_assert_nonnull (vitrine_predict_page_get_error (page));
  g_assert_nonnull (strstr (vitrine_predict_page_get_error (page), "not a JPEG"));
  g_assert_false (vitrine_predict_page_get_top (page, 0, &name, &p));
  /* The parrot is not left beside the error as if it had failed. */
  g_assert_false (vitrine_predict_page_shows_image (page));
  close_window (window);

}

/* A CLIP checkpoint and the outputs its reference code stored. */
typedef struct
{
  gboolean     own_fixture;   /* tests/fixtures, else shared/assets */
  const char  *weights;
  const char  *io;
} ZeroShotCase;

static const ZeroShotCase clip_vit_case = { FALSE, "reference/openclip/clip_vit.safetensors",
                                            "reference/openclip/clip_vit.io.safetensors" };
static const ZeroShotCase clip_resnet_case = { TRUE, "forward/openclip_rn/model.safetensors",
                                               "forward/openclip_rn.io.safetensors" };

/* Zero-shot with CLIP: the OpenCLIP fixture's three texts as the classes and
 * "{}" as the prompt give, for cat/0000.jpg (the fixture's first image),
 * the softmax of the logits_per_image the reference stored: OpenCLIP's for
 * the ViT, our PyTorch re-implementation's for the ModifiedResNet (whose
 * text tower and texts are the ViT fixture's). */
static void
test_predict_zero_shot (gconstpointer data)
{
  const ZeroShotCase *c = data;
  g_autofree char *clip = c->own_fixture ? vt_test_fixture (c->weights) : vt_test_asset (c->weights);
  g_autofree char *io_path = c->own_fixture ? vt_test_fixture (c->io) : vt_test_asset (c->io);
  g_autofree char *config_path = vt_test_asset ("reference/openclip/clip_vit.json");
  g_autofree char *cat_path = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autoptr(GFile) cat = g_file_new_for_path (cat_path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) io = NULL;
  g_autofree float *logits = NULL;
  g_autoptr(GString) classes = g_string_new (NULL);
  VitrineWindow *window;
  VitrinePredictPage *page;
  JsonArray *texts;
  double sum = 0.0, worst = 0.0;
  const char *name;
  double p;

  json_parser_load_from_file (parser, config_path, &error);
  g_assert_no_error (error);
  texts = json_object_get_array_member (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "tokenizer"), "texts");
  for (guint i = 0; i < json_array_get_length (texts); i++)
    g_string_append_printf (classes, "%s%s", i ? ", " : "", json_array_get_string_element (texts, i));
  io = vt_checkpoint_open (io_path, &error);
  g_assert_no_error (error);
  logits = vt_tensor_dup_float (vt_checkpoint_lookup (io, "logits_per_image"));
  for (guint i = 0; i < 3; i++)
    sum += exp (logits[i]);

  window = open_window (clip);
  g_assert_true (vitrine_window_shows_area (window, "predict"));
  vitrine_window_show_area (window, "predict");
  page = vitrine_window_get_predict_page (window);

  /* No class names typed: a message, no prediction. */
  vitrine_predict_page_set_zero_shot (page, " , ", "{}");
  vitrine_predict_page_open (page, cat);
  g_assert_nonnull (vitrine_predict_page_get_error (page));

  vitrine_predict_page_set_zero_shot (page, classes->str, "{}");
  vitrine_predict_page_open (page, cat);
  vt_gui_wait_until (predicted, page, 30, "the zero-shot prediction");
  g_assert_null (vitrine_predict_page_get_error (page));
  for (guint r = 0; vitrine_predict_page_get_top (page, r, &name, &p); r++)
    for (guint i = 0; i < 3; i++)
      if (g_str_equal (name, json_array_get_string_element (texts, i)))
        worst = MAX (worst, fabs (p - exp (logits[i]) / sum));
  g_assert_true (vitrine_predict_page_get_top (page, 2, &name, &p));
  g_test_message ("zero-shot in the Predict area (%s): largest difference from the reference %.3g", c->weights,
                  worst);
  g_assert_cmpfloat (worst, <, 1e-5);
  vt_gui_spin (200);
  save_screenshot (GTK_WIDGET (window), c->own_fixture ? "window-zero-shot-resnet.png" : "window-zero-shot.png");
  close_window (window);
}

/* A Hugging Face CLIPModel folder with its own vocab.json + merges.txt
 * (600 tokens, as the fixture model's embedding has): zero-shot uses that
 * vocabulary. Without it, the bundled OpenAI vocabulary gives ids beyond
 * the model's 600 and the prediction fails with that said. */
static void
test_predict_own_vocabulary (void)
{
  g_autofree char *fixture = vt_test_fixture ("forward/hf_clip_full");
  g_autofree char *weights = g_build_filename (fixture, "model.safetensors", NULL);
  g_autofree char *config = g_build_filename (fixture, "config.json", NULL);
  g_autofree char *cat_path = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autoptr(GFile) cat = g_file_new_for_path (cat_path);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *copied_weights = vt_test_copy (weights, dir, "model.safetensors");
  g_autofree char *copied_config = vt_test_copy (config, dir, "config.json");
  g_autofree char *vocab_path = g_build_filename (dir, "vocab.json", NULL);
  g_autofree char *merges_path = g_build_filename (dir, "merges.txt", NULL);
  g_autoptr(GString) vocab = g_string_new ("{");
  const char *name;
  double p, total = 0;

  /* Letters alone and at a word's end; the special tokens at 598 and 599. */
  for (int c = 0; c < 26; c++)
    g_string_append_printf (vocab, "\"%c\": %d, \"%c</w>\": %d, ", 'a' + c, c, 'a' + c, 26 + c);
  g_string_append (vocab, "\"<|startoftext|>\": 598, \"<|endoftext|>\": 599}");
  g_assert_true (g_file_set_contents (merges_path, "#version: 0.2\nc a\n", -1, NULL));

  for (int round = 0; round < 2; round++)
    {
      VitrineWindow *window;
      VitrinePredictPage *page;

      if (round == 0)
        g_assert_true (g_file_set_contents (vocab_path, vocab->str, -1, NULL));
      else
        g_assert_cmpint (g_unlink (vocab_path), ==, 0);
      window = open_window (dir);
      page = vitrine_window_get_predict_page (window);
      vitrine_window_show_area (window, "predict");
      vitrine_predict_page_set_zero_shot (page, "cat, dog, ship", "a {}");
      vitrine_predict_page_open (page, cat);
      vt_gui_wait_until (predicted, page, 30, "the zero-shot prediction");
      if (round == 0)
        {
          g_assert_cmpstr (vitrine_predict_page_get_vocabulary (page), ==, vocab_path);
          g_assert_null (vitrine_predict_page_get_error (page));
          for (guint r = 0; vitrine_predict_page_get_top (page, r, &name, &p); r++)
            total += p;
          g_assert_cmpfloat_with_epsilon (total, 1.0, 1e-6);
        }
      else
        {
          g_assert_true (g_str_has_suffix (vitrine_predict_page_get_vocabulary (page), "bpe_simple_vocab_16e6.txt.gz"));
          g_assert_nonnull (vitrine_predict_page_get_error (page));
          g_assert_nonnull (strstr (vitrine_predict_page_get_error (page), "outside the vocabulary of 600"));
        }
      close_window (window);
    }
  vt_test_rm_rf (dir);
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

/* A damaged file: a dialog says what is wrong; nothing crashes; the window
 * stays usable. */
static void
test_malformed_shows_dialog (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_write_truncated (asset, dir, "truncated.safetensors", 1, 3);
  g_autofree char *secondary = NULL;
  VitrineWindow *window;
  GtkMessageDialog *dialog;

  window = open_window (path);
  dialog = find_error_dialog (GTK_WINDOW (window));
  g_assert_nonnull (dialog);
  g_object_get (dialog, "secondary-text", &secondary, NULL);
  g_test_message ("dialog: %s", secondary);
  g_assert_true (g_str_has_prefix (secondary, path));
  g_assert_nonnull (strstr (secondary, "out of range"));
  vt_gui_spin (200);
  save_screenshot (GTK_WIDGET (dialog), "error-dialog.png");
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CLOSE);
  vt_gui_spin (50);
  g_assert_null (find_error_dialog (GTK_WINDOW (window)));
  g_assert_null (vitrine_model_page_get_inspection (vitrine_window_get_model_page (window)));

  /* The same window then opens a good file. */
  {
    g_autofree char *good = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");
    gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", good);
    vt_gui_wait_until (loaded, window, 60, "resnet56 to load");
    g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Model"), ==, "resnet56");
  }
  close_window (window);
  vt_test_rm_rf (dir);
}

/* A large checkpoint (sparse, 1.2 GB of zeros in 300 tensors): Cancel stops
 * reading within a fraction of a second and leaves no half-loaded state. */
static void
test_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "large.safetensors", NULL);
  g_autoptr(GString) header = g_string_new ("{");
  const guint n = 300, elements = 1000000;
  VitrineWindow *window = open_window (NULL);
  guint64 len;
  gint64 start;
  int fd;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (header, "%s\"t%u\":{\"dtype\":\"F32\",\"shape\":[%u],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                            i ? "," : "", i, elements, (guint64) i * elements * 4, (guint64) (i + 1) * elements * 4);
  g_string_append_c (header, '}');
  len = GUINT64_TO_LE (header->len);
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (write (fd, &len, 8), ==, 8);
  g_assert_cmpint (write (fd, header->str, header->len), ==, (gssize) header->len);
  g_assert_cmpint (ftruncate (fd, 8 + header->len + (guint64) n * elements * 4), ==, 0);
  close (fd);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", path);
  g_assert_true (vitrine_window_is_loading (window));
  vt_gui_spin (50);
  start = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-load", NULL);
  vt_gui_wait_until (loaded, window, 10, "the cancelled load to stop");
  g_test_message ("stopped %.0f ms after Cancel", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  vt_gui_spin (100);
  g_assert_null (find_error_dialog (GTK_WINDOW (window)));
  g_assert_null (vitrine_model_page_get_inspection (vitrine_window_get_model_page (window)));
  close_window (window);
  vt_test_rm_rf (dir);
}

/* A file dropped on the window opens, through the same action. */
static void
test_drop (void)
{
  g_autofree char *path = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GSList *files = g_slist_prepend (NULL, file);
  GdkFileList *list = gdk_file_list_new_from_list (files);
  VitrineWindow *window = open_window (NULL);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  GtkDropTarget *target = NULL;
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_slist_free (files);
  g_assert_true (accepted);
  vt_gui_wait_until (loaded, window, 60, "the dropped file to load");
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Model"), ==, "resnet56");
  close_window (window);
}

/* Ctrl+? opens the shortcuts window; the Style menu switches to dark and back. */
static void
test_shortcuts_and_style (void)
{
  VitrineWindow *window = open_window (NULL);
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay");
  GtkSettings *settings = gtk_settings_get_default ();
  gboolean dark;

  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>question"));
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  g_action_group_activate_action (G_ACTION_GROUP (app), "color-scheme", g_variant_new_string ("dark"));
  g_object_get (settings, "gtk-application-prefer-dark-theme", &dark, NULL);
  g_assert_true (dark);
  vt_gui_spin (200);
  save_screenshot (GTK_WIDGET (window), "window-dark.png");
  g_action_group_activate_action (G_ACTION_GROUP (app), "color-scheme", g_variant_new_string ("light"));
  g_object_get (settings, "gtk-application-prefer-dark-theme", &dark, NULL);
  g_assert_false (dark);
  close_window (window);
}

/* Whether the button that runs @action under @widget can be pressed:
 * GTK makes it insensitive while the action is disabled. */
static gboolean
action_enabled (GtkWidget  *widget,
                const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return gtk_widget_get_sensitive (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    if (action_enabled (child, action))
      return TRUE;
  return FALSE;
}

static double
relative_luminance (guint32 argb)
{
  double c[3] = { (argb >> 16) & 0xff, (argb >> 8) & 0xff, argb & 0xff }, l[3];

  for (int i = 0; i < 3; i++)
    {
      double v = c[i] / 255.0;
      l[i] = v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
    }
  return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
}

static GtkWidget *
find_error_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error") && gtk_widget_is_drawable (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_error_label (child);
      if (found)
        return found;
    }
  return NULL;
}

/* The WCAG contrast of an error message as drawn: its background (the most
 * common colour where it stands) against its strongest text pixel. */
static double
error_contrast (VitrineWindow *window)
{
  GtkWidget *label = find_error_label (GTK_WIDGET (window));
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  g_autofree guint32 *pixels = NULL;
  graphene_rect_t bounds;
  guint32 background = 0;
  guint best = 0;
  double lb, contrast = 1.0;
  int width, x0, y0, x1, y1;

  g_assert_nonnull (label);
  vt_gui_spin (200);
  texture = vt_gui_render (GTK_WIDGET (window));
  g_assert_nonnull (texture);
  g_assert_true (gtk_widget_compute_bounds (label, GTK_WIDGET (window), &bounds));
  width = gdk_texture_get_width (texture);
  pixels = g_new (guint32, (gsize) width * gdk_texture_get_height (texture));
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  x0 = (int) bounds.origin.x, y0 = (int) bounds.origin.y;
  x1 = MIN ((int) (bounds.origin.x + bounds.size.width), width);
  y1 = MIN ((int) (bounds.origin.y + bounds.size.height), gdk_texture_get_height (texture));
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        gpointer key = GUINT_TO_POINTER (pixels[(gsize) y * width + x] & 0xffffff);
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

        g_hash_table_insert (counts, key, GUINT_TO_POINTER (n));
        if (n > best)
          best = n, background = GPOINTER_TO_UINT (key);
      }
  lb = relative_luminance (background);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        double l = relative_luminance (pixels[(gsize) y * width + x]);
        contrast = MAX (contrast, (MAX (l, lb) + 0.05) / (MIN (l, lb) + 0.05));
      }
  return contrast;
}

/* Error messages are readable: 4.5:1 at least (WCAG AA), light and dark. */
static void
test_error_contrast (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autoptr(GFile) not_image = g_file_new_for_path (demo);
  VitrineWindow *window = open_window (demo);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  static const char * const schemes[] = { "light", "dark" };

  vitrine_window_show_area (window, "predict");
  vitrine_predict_page_open (page, not_image);
  vt_gui_wait_until (predicted, page, 30, "the failed prediction");
  g_assert_nonnull (vitrine_predict_page_get_error (page));
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      double contrast;

      g_action_group_activate_action (G_ACTION_GROUP (app), "color-scheme", g_variant_new_string (schemes[i]));
      contrast = error_contrast (window);
      g_test_message ("error text contrast, %s: %.2f:1", schemes[i], contrast);
      g_assert_cmpfloat (contrast, >=, 4.5);
    }
  g_action_group_activate_action (G_ACTION_GROUP (app), "color-scheme", g_variant_new_string ("light"));
  close_window (window);
}

/* CIELAB lightness L* of an sRGB colour, 0 (black) to 100 (white). */
static double
lightness (double r,
           double g,
           double b)
{
  double c[3] = { r, g, b }, y;

  for (int i = 0; i < 3; i++)
    c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return y > 216.0 / 24389 ? 116 * cbrt (y) - 16 : y * 24389.0 / 27;
}

/* How many pixels of @path (an exported line chart, drawn at 2x) inside
 * the plot, left of the legend, have line series @series' colour. */
static guint
count_series_pixels (const char     *path,
                     const VtFigure *figure,
                     guint           series)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);
  int width = cairo_image_surface_get_width (png), height = cairo_image_surface_get_height (png);
  int stride = cairo_image_surface_get_stride (png);
  const guint8 *data = cairo_image_surface_get_data (png);
  double left, top, plot_w, plot_h;
  guint count = 0;
  VtRgba want;

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  vt_figure_series_color (series, &want);
  /* The files are 640 × 400 points at twice that in pixels. */
  vt_figure_lines_geometry (figure, width / 2.0, height / 2.0, &left, &top, &plot_w, &plot_h);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < MIN (width, (int) (2 * (left + plot_w + 8))); x++)
      {
        guint32 pixel = *(const guint32 *) (data + (gsize) y * stride + 4 * x);
        double r = ((pixel >> 16) & 0xff) / 255.0, g = ((pixel >> 8) & 0xff) / 255.0, b = (pixel & 0xff) / 255.0;

        if (fabs (r - want.r) < 0.05 && fabs (g - want.g) < 0.05 && fabs (b - want.b) < 0.05)
          count++;
      }
  cairo_surface_destroy (png);
  return count;
}

/* Presses the figure view's click gesture at (x, y), as a click does. */
static void
click_view (GtkWidget *view,
            double     x,
            double     y)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (view);
  GtkGesture *click = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_GESTURE_CLICK (controller))
        click = GTK_GESTURE (controller);
    }
  g_assert_nonnull (click);
  g_signal_emit_by_name (click, "pressed", 1, x, y);
}

/* The widget alone: notifies, keeps its own copy, answers hovering over a
 * line chart's stage with every series there, hides a series from a click
 * on its legend, fits the y axis to what is shown, and is finalized. */
static gboolean
has_width (gpointer widget)
{
  return gtk_widget_get_width (widget) > 0;
}

static void
test_figure_view_widget (void)
{
  VitrineFigureView *view = g_object_ref_sink (VITRINE_FIGURE_VIEW (vitrine_figure_view_new ()));
  GtkWidget *window = gtk_window_new ();
  guint64 counts[4] = { 1, 3, 2, 0 };
  VtHistogram h = { 4, 0.0, 1.0, counts };
  const double values[] = { 0.9, 0.8, NAN, 0.5, 0.25, 0.125 };
  const char *series[] = { "NMC", "GDA", NULL };
  const char *points[] = { "2", "4", "6", NULL };
  double left, top, plot_w, plot_h, lo, hi, lx, ly;
  int width, height;
  g_autofree char *text = NULL;
  VtFigure *figure;
  guint notified = 0;

  g_signal_connect_swapped (view, "notify::title", G_CALLBACK (g_atomic_int_inc), &notified);
  g_assert_null (vitrine_figure_view_get_figure (view));
  vitrine_figure_view_set_figure (view, vt_figure_new_histogram ("w", &h));
  g_assert_cmpuint (notified, ==, 1);
  counts[1] = 99;  /* the figure keeps its own copy */
  g_assert_cmpuint (vitrine_figure_view_get_figure (view)->histogram->counts[1], ==, 3);

  vitrine_figure_view_set_figure (view, vt_figure_new_lines ("acc", "classes seen", "accuracy", 2, 3, values,
                                                             series, points, 0.0, 1.0));
  figure = vitrine_figure_view_get_figure (view);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 400);
  gtk_window_present (GTK_WINDOW (window));
  vt_gui_wait_until (has_width, view, 30, "the figure view to be laid out");
  width = gtk_widget_get_width (GTK_WIDGET (view));
  height = gtk_widget_get_height (GTK_WIDGET (view));
  vt_figure_lines_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);

  /* Hover anywhere over the stage at 4 classes: every series' value there,
   * even far from either point. */
  text = vitrine_figure_view_describe_point (view, vt_figure_lines_x (figure, left, plot_w, 1) + 2,
                                             top + plot_h - 2);
  g_assert_cmpstr (text, ==, "4 classes seen\nNMC: 0.8\nGDA: 0.25");
  g_free (g_steal_pointer (&text));
  /* NMC has no point at 6 yet: it says so beside GDA's. */
  text = vitrine_figure_view_describe_point (view, left + plot_w, top + plot_h * 0.1);
  g_assert_cmpstr (text, ==, "6 classes seen\nNMC: –\nGDA: 0.125");
  g_free (g_steal_pointer (&text));
  /* Outside the plot, below it or over the legend: nothing. */
  g_assert_null (vitrine_figure_view_describe_point (view, left + plot_w, top + plot_h + 30));
  vt_figure_lines_legend_position (figure, width, height, 0, &lx, &ly);
  g_assert_null (vitrine_figure_view_describe_point (view, lx, top + plot_h / 2));

  /* The y axis covers the shown values, 0.125 to 0.9, and no more than a
   * step beyond them. */
  vt_figure_lines_y_range (figure, &lo, &hi);
  g_assert_cmpfloat (lo, <=, 0.125);
  g_assert_cmpfloat (lo, >=, 0.0);
  g_assert_cmpfloat (hi, >=, 0.9);
  g_assert_cmpfloat (hi, <=, 0.95 + 1e-9);

  /* A click on GDA's legend entry hides it: not described, and the y axis
   * now fits NMC's 0.8–0.9 alone, so it does not start at 0. */
  vt_figure_lines_legend_position (figure, width, height, 1, &lx, &ly);
  click_view (GTK_WIDGET (view), lx + 20, ly);
  g_assert_true (figure->hidden[1]);
  g_assert_false (figure->hidden[0]);
  text = vitrine_figure_view_describe_point (view, vt_figure_lines_x (figure, left, plot_w, 1), top + plot_h / 2);
  g_assert_cmpstr (text, ==, "4 classes seen\nNMC: 0.8");
  g_free (g_steal_pointer (&text));
  vt_figure_lines_y_range (figure, &lo, &hi);
  g_test_message ("NMC alone, 0.8 to 0.9: y from %.2f to %.2f", lo, hi);
  g_assert_cmpfloat (lo, >, 0.5);
  g_assert_cmpfloat (lo, <=, 0.8);
  g_assert_cmpfloat (hi, >=, 0.9);
  g_assert_cmpfloat (hi, <=, 1.0);
  /* A click outside the legend changes nothing; a second one on the entry
   * brings GDA back. */
  click_view (GTK_WIDGET (view), left + plot_w / 2, top + plot_h / 2);
  g_assert_true (figure->hidden[1]);
  click_view (GTK_WIDGET (view), lx, ly);
  g_assert_false (figure->hidden[1]);

  gtk_window_set_child (GTK_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  vitrine_figure_view_set_figure (view, NULL);
  g_assert_null (vitrine_figure_view_get_figure (view));
  g_assert_finalize_object (view);
}

/* Accuracies of 0.80 to 0.95 get a y axis that starts near 0.8, never
 * below 0 nor above 1 however close the values come to the bounds. */
static void
test_figure_lines_y_range (void)
{
  const double high[] = { 0.80, 0.95, 0.90, 0.85 };
  const double full[] = { 0.0, 1.0 };
  const double none[] = { NAN, NAN };
  const char *series[] = { "a", "b", NULL };
  const char *points[] = { "1", "2", NULL };
  g_autoptr(VtFigure) f = vt_figure_new_lines ("t", "x", "y", 2, 2, high, series, points, 0.0, 1.0);
  g_autoptr(VtFigure) g = vt_figure_new_lines ("t", "x", "y", 1, 2, full, series, points, 0.0, 1.0);
  g_autoptr(VtFigure) e = vt_figure_new_lines ("t", "x", "y", 1, 2, none, series, points, 0.0, 1.0);
  double lo, hi;

  vt_figure_lines_y_range (f, &lo, &hi);
  g_test_message ("0.80–0.95: y from %.3f to %.3f", lo, hi);
  g_assert_cmpfloat (lo, >=, 0.70);
  g_assert_cmpfloat (lo, <, 0.80);
  g_assert_cmpfloat (hi, >, 0.95);
  g_assert_cmpfloat (hi, <=, 1.0);
  /* On the 0.05 grid of the bounds. */
  g_assert_cmpfloat (fabs (lo / 0.05 - round (lo / 0.05)), <, 1e-9);
  g_assert_cmpfloat (fabs (hi / 0.05 - round (hi / 0.05)), <, 1e-9);
  vt_figure_lines_y_range (g, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 1.0);
  /* Nothing to show yet: the bounds. */
  vt_figure_lines_y_range (e, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 1.0);
}

/* Two series with the same values (NMC and SimpleCIL score alike): in the
 * exported PNG both colours show in the plot, and a hidden series is left
 * out of the file. */
static void
test_figure_lines_coincident (void)
{
  const double values[] = { 0.5, 0.6, 0.7, 0.5, 0.6, 0.7 };
  const char *series[] = { "NMC", "SimpleCIL", NULL };
  const char *points[] = { "2", "4", "6", NULL };
  g_autoptr(VtFigure) figure = vt_figure_new_lines ("acc", "classes seen", "accuracy", 2, 3, values, series,
                                                    points, 0.0, 1.0);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *base = g_build_filename (dir, "chart", NULL);
  g_autofree char *png = g_strdup_printf ("%s.png", base);
  g_autoptr(GError) error = NULL;
  guint first, second;

  g_assert_true (vt_figure_export (figure, base, VT_FIGURE_FORMAT_PNG, &error));
  g_assert_no_error (error);
  first = count_series_pixels (png, figure, 0);
  second = count_series_pixels (png, figure, 1);
  g_test_message ("pixels of series 1: %u, of series 2: %u", first, second);
  g_assert_cmpuint (first, >, 200);
  g_assert_cmpuint (second, >, 200);

  figure->hidden[1] = TRUE;
  g_assert_true (vt_figure_export (figure, base, VT_FIGURE_FORMAT_PNG, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_series_pixels (png, figure, 1), ==, 0);
  g_assert_cmpuint (count_series_pixels (png, figure, 0), >, first);
  vt_test_rm_rf (dir);
}

/* The lightness of the pixel of @path (a figure drawn at 2x) under the
 * point (x, y) of the 1x figure. */
static double
png_lightness (const char *path,
               double      x,
               double      y)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);
  const guint8 *data = cairo_image_surface_get_data (png);
  guint32 pixel;
  double l;

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  pixel = *(const guint32 *) (data + (gsize) (int) (2 * y) * cairo_image_surface_get_stride (png) + 4 * (int) (2 * x));
  l = lightness (((pixel >> 16) & 0xff) / 255.0, ((pixel >> 8) & 0xff) / 255.0, (pixel & 0xff) / 255.0);
  cairo_surface_destroy (png);
  return l;
}

/* Whether the colour bar of @figure exported as @png grows lighter from
 * bin to bin, as the sequential palette does. */
static void
assert_color_bar (const char     *png,
                  const VtFigure *figure)
{
  double previous = -1;

  for (guint c = 0; c < figure->n_categories; c++)
    {
      double x, y, l;

      vt_figure_scatter_legend_position (figure, 640, 400, c, &x, &y);
      l = png_lightness (png, x, y);
      g_test_message ("colour bar cell %u: L* %.1f", c, l);
      g_assert_cmpfloat (l, >, previous + 2);
      previous = l;
    }
}

/* Ordered bins (confidence in ten bins) get a scale: each bin lighter than
 * the one below it, on screen and in files, with a colour bar as legend;
 * unordered categories keep their distinct hues. */
static void
test_figure_sequential_palette (void)
{
  const float points[] = { 0, 0, 1, 1, 2, 0, 3, 1, 4, 0, 5, 1, 6, 0, 7, 1, 8, 0, 9, 1 };
  const guint categories[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const char *names[] = { "0.0–0.1", "0.1–0.2", "0.2–0.3", "0.3–0.4", "0.4–0.5", "0.5–0.6", "0.6–0.7",
                          "0.7–0.8", "0.8–0.9", "0.9–1.0", NULL };
  g_autoptr(VtFigure) figure = vt_figure_new_scatter ("confidence", NULL, NULL, 10, points, categories, 10, names);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *base = g_build_filename (dir, "scatter", NULL);
  g_autofree char *png = g_strdup_printf ("%s.png", base);
  g_autoptr(GError) error = NULL;
  double previous = -1;
  VtRgba a, b;

  for (guint c = 0; c < 10; c++)
    {
      VtRgba color;
      double l;

      vt_figure_palette_color (VT_FIGURE_PALETTE_SEQUENTIAL, c, 10, &color);
      l = lightness (color.r, color.g, color.b);
      g_assert_cmpfloat (l, >, previous + 2);
      previous = l;
    }
  vt_figure_palette_color (VT_FIGURE_PALETTE_CATEGORICAL, 3, 10, &a);
  vt_figure_category_color (3, 10, &b);
  g_assert_true (a.r == b.r && a.g == b.g && a.b == b.b);

  figure->palette = VT_FIGURE_PALETTE_SEQUENTIAL;
  g_assert_true (vt_figure_export (figure, base, VT_FIGURE_FORMAT_PNG, &error));
  g_assert_no_error (error);
  assert_color_bar (png, figure);
  vt_test_rm_rf (dir);
}

static gboolean
dataset_idle (gpointer page)
{
  return !vitrine_dataset_page_is_busy (page);
}

static void
open_dataset (VitrineWindow *window,
              const char    *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);

  vitrine_window_open_dataset (window, file);
  g_assert_true (vitrine_dataset_page_is_busy (page));
  vt_gui_wait_until (dataset_idle, page, 60, "the dataset to open");
}

/* Issue 23: a button's accessible name is its label as shown ("Extract
 * Features", not "_Extract Features Extract Features"), also after the
 * label changes; a drop-down's own button, which takes the focus, is named
 * by the drop-down's label. test-atspi.py checks the names on the bus. */
static GtkWidget *find_actionable (GtkWidget *widget, const char *action);
static GtkWidget *find_widget (GtkWidget *widget, GType type);

static void
test_accessible_names (void)
{
  VitrineWindow *window = open_window (NULL);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  GtkWidget *extract = find_actionable (GTK_WIDGET (page), "dataset.extract");
  GtkWidget *dropdown = find_widget (GTK_WIDGET (vitrine_window_get_labeling_page (window)), GTK_TYPE_DROP_DOWN);
  GtkWidget *inner = dropdown ? find_widget (dropdown, GTK_TYPE_TOGGLE_BUTTON) : NULL;

  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (extract)), ==, "_Extract Features");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (extract), GTK_ACCESSIBLE_PROPERTY_LABEL, "Extract Features");
  g_assert_false (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (extract), GTK_ACCESSIBLE_RELATION_LABELLED_BY));
  gtk_button_set_label (GTK_BUTTON (extract), "E_xtract __Again");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (extract), GTK_ACCESSIBLE_PROPERTY_LABEL, "Extract _Again");
  g_assert_false (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (extract), GTK_ACCESSIBLE_RELATION_LABELLED_BY));
  g_assert_nonnull (inner);
  g_assert_true (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (inner), GTK_ACCESSIBLE_RELATION_LABELLED_BY));
  close_window (window);
}

/* One class, one sample: the summary says so in the singular, and a
 * probability in Predict is written 85.7%, as English writes it. */
static void
test_singular_and_percent (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *class_dir = g_build_filename (dir, "one", "cat", NULL);
  g_autofree char *image = g_build_filename (class_dir, "a.jpg", NULL);
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *one = g_build_filename (dir, "one", NULL);
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autoptr(GFile) cat_file = g_file_new_for_path (cat);
  g_autofree char *contents = NULL;
  gsize length;
  VitrineWindow *window = open_window (demo);
  VitrinePredictPage *predict = vitrine_window_get_predict_page (window);
  GtkWidget *percent = NULL;

  g_mkdir_with_parents (class_dir, 0755);
  g_assert_true (g_file_get_contents (cat, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (image, contents, length, NULL));
  open_dataset (window, one);
  g_test_message ("%s", vitrine_dataset_page_get_summary (vitrine_window_get_dataset_page (window)));
  g_assert_nonnull (strstr (vitrine_dataset_page_get_summary (vitrine_window_get_dataset_page (window)),
                            "1 sample, 1 class"));

  vitrine_predict_page_open (predict, cat_file);
  vt_gui_wait_until (predicted, predict, 30, "the prediction");
  /* The first rank's percentage: a label ending in "%". */
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (predict)); w && !percent; )
    {
      if (GTK_IS_LABEL (w) && g_str_has_suffix (gtk_label_get_text (GTK_LABEL (w)), "%"))
        percent = w;
      else if (gtk_widget_get_first_child (w))
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w && !gtk_widget_get_next_sibling (w) && w != GTK_WIDGET (predict))
            w = gtk_widget_get_parent (w);
          w = (w && w != GTK_WIDGET (predict)) ? gtk_widget_get_next_sibling (w) : NULL;
        }
    }
  g_assert_nonnull (percent);
  g_test_message ("%s", gtk_label_get_text (GTK_LABEL (percent)));
  g_assert_null (strstr (gtk_label_get_text (GTK_LABEL (percent)), " %"));
  close_window (window);
  vt_test_rm_rf (dir);
}

typedef struct
{
  VitrineWindow *window;
  const char    *label;
} RecentWait;

/* The recent menu's item labelled @label, or -1. */
static int
recent_item (VitrineWindow *window,
             const char    *label)
{
  GMenuModel *menu = vitrine_window_get_recent_menu (window);

  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *text = NULL;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &text) && g_str_equal (text, label))
        return i;
    }
  return -1;
}

static gboolean
recent_shown (gpointer data)
{
  RecentWait *wait = data;
  return recent_item (wait->window, wait->label) >= 0;
}

static char *
recent_action (VitrineWindow *window,
               int            i)
{
  char *action = NULL;

  g_assert_true (g_menu_model_get_item_attribute (vitrine_window_get_recent_menu (window), i,
                                                  G_MENU_ATTRIBUTE_ACTION, "s", &action));
  return action;
}

/* Open Recent lists checkpoints and datasets, each opening as what it is,
 * with underscores kept (a menu label would take them as mnemonics); an
 * image the file chooser put there is not offered as a checkpoint. */
static void
test_recent (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *checkpoint = g_build_filename (dir, "resnet_20_demo.safetensors", NULL);
  g_autofree char *dataset = g_build_filename (dir, "cifar_sample", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                              "cifar10-test-sample", NULL);
  g_autofree char *image = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autoptr(GFile) image_file = g_file_new_for_path (image);
  g_autofree char *image_uri = g_file_get_uri (image_file);
  g_autofree char *contents = NULL;
  g_autofree char *checkpoint_action = NULL;
  g_autofree char *dataset_action = NULL;
  gsize length;
  VitrineWindow *window;
  RecentWait wait;

  g_assert_true (g_file_get_contents (demo, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (checkpoint, contents, length, NULL));
  g_assert_cmpint (symlink (sample, dataset), ==, 0);
  /* As GtkFileChooser does for whatever it opens. */
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), image_uri);

  window = open_window (checkpoint);
  wait = (RecentWait) { window, "resnet__20__demo.safetensors" };
  vt_gui_wait_until (recent_shown, &wait, 20, "the checkpoint in Open Recent");
  open_dataset (window, dataset);
  wait = (RecentWait) { window, "cifar__sample" };
  vt_gui_wait_until (recent_shown, &wait, 20, "the dataset in Open Recent");

  checkpoint_action = recent_action (window, recent_item (window, "resnet__20__demo.safetensors"));
  dataset_action = recent_action (window, recent_item (window, "cifar__sample"));
  g_assert_cmpstr (checkpoint_action, ==, "win.open-file");
  g_assert_cmpstr (dataset_action, ==, "win.open-dataset-file");
  g_assert_cmpint (recent_item (window, "parrot.jpg"), <, 0);
  close_window (window);
  vt_test_rm_rf (dir);
}

/* The widget under @widget whose action is @action, or NULL. */
static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action);
      if (found)
        return found;
    }
  return NULL;
}

/* A key press as @widget's own shortcuts take it (the bindings its class
 * adds): TRUE when one of them matched and its action ran. */
static gboolean
press_binding (GtkWidget       *widget,
               guint            keyval,
               GdkModifierType  mods)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  g_autoptr(GtkShortcutTrigger) key = gtk_keyval_trigger_new (keyval, mods);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint s = 0; s < g_list_model_get_n_items (G_LIST_MODEL (controller)); s++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), s);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), key))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, widget,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }
  return FALSE;
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);
      if (found)
        return found;
    }
  return NULL;
}

static GtkGridView *
dataset_grid (VitrineDatasetPage *page)
{
  GtkWidget *grid = find_widget (GTK_WIDGET (page), GTK_TYPE_GRID_VIEW);

  g_assert_nonnull (grid);
  return GTK_GRID_VIEW (grid);
}

static void
select_split (VitrineDatasetPage *page,
              guint               index)
{
  GtkWidget *dropdown = NULL;

  /* The split choice is the page's only drop-down. */
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (page)); w; )
    {
      if (GTK_IS_DROP_DOWN (w))
        {
          dropdown = w;
          break;
        }
      w = gtk_widget_get_first_child (w) ? gtk_widget_get_first_child (w)
        : gtk_widget_get_next_sibling (w) ? gtk_widget_get_next_sibling (w)
        : gtk_widget_get_next_sibling (gtk_widget_get_parent (w));
    }
  g_assert_nonnull (dropdown);
  g_assert_true (gtk_widget_get_visible (dropdown));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), index);
  g_assert_true (vitrine_dataset_page_is_busy (page));
  /* While the split is read, the old samples are gone and Extract waits. */
  g_assert_false (action_enabled (GTK_WIDGET (page), "dataset.extract"));
  g_assert_null (gtk_grid_view_get_model (dataset_grid (page)));
  vt_gui_wait_until (dataset_idle, page, 60, "the split to open");
}

/* The columns the grid shows: its width over a shown cell's; the grid
 * stretches its cells to fill the row. */
static guint
grid_columns (GtkGridView *grid)
{
  GtkWidget *cell = gtk_widget_get_first_child (GTK_WIDGET (grid));

  while (cell && !gtk_widget_get_mapped (cell))
    cell = gtk_widget_get_next_sibling (cell);
  g_assert_nonnull (cell);
  g_assert_cmpint (gtk_widget_get_width (cell), >, 0);
  return (guint) round ((double) gtk_widget_get_width (GTK_WIDGET (grid)) / gtk_widget_get_width (cell));
}

/* Issue 23, defect 4: a class filter on the 50,000 CIFAR-10 training JPEGs
 * took 1-4 s. It bound 2,049 cells (the grid keeps 32 rows of max-columns
 * cells, and max-columns was 64 whatever the width) and set a tooltip on
 * each, which asks the X server where the pointer is. Now one click binds
 * at most 40 rows of the columns shown, no cell carries a tooltip until one
 * is asked for, the grid is back at its top and the class list highlights
 * the class at once. The time itself is bench-dataset-filter's. */
static void
test_dataset_filter (void)
{
  g_autofree char *train = vt_test_asset ("datasets/cifar10-jpg/train");
  VitrineWindow *window = open_window (NULL);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  GtkGridView *grid;
  GtkAdjustment *vadjustment;
  GtkListBox *classes;
  guint before, binds, columns;

  open_dataset (window, train);
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 50000);
  grid = dataset_grid (page);
  /* Until the page has fitted max-columns to the width: a frame with no change. */
  for (guint frames = 0, columns_before = 0; frames < 20; frames++)
    {
      g_assert_true (vt_gui_wait_painted (GTK_WIDGET (grid), 10000));
      if (frames > 0 && gtk_grid_view_get_max_columns (grid) == columns_before)
        break;
      columns_before = gtk_grid_view_get_max_columns (grid);
    }
  vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));
  gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_upper (vadjustment) / 2);
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (grid), 10000));
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), >, 0);

  classes = GTK_LIST_BOX (find_widget (GTK_WIDGET (page), GTK_TYPE_LIST_BOX));
  before = vitrine_dataset_page_get_n_binds (page);
  vitrine_dataset_page_filter (page, 5);
  g_assert_cmpint (gtk_list_box_row_get_index (gtk_list_box_get_selected_row (classes)), ==, 6);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 5000);
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (grid), 10000));
  binds = vitrine_dataset_page_get_n_binds (page) - before;
  columns = grid_columns (grid);
  g_test_message ("one class-filter click bound %u cells, %u columns shown (max %u), grid %d px wide", binds, columns, gtk_grid_view_get_max_columns (grid),
                  gtk_widget_get_width (GTK_WIDGET (grid)));
  g_assert_cmpuint (columns, >, 0);
  g_assert_cmpuint (binds, >, 0);
  g_assert_cmpuint (binds, <=, 40 * columns);
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), ==, 0);
  for (GtkWidget *cell = gtk_widget_get_first_child (GTK_WIDGET (grid)); cell; cell = gtk_widget_get_next_sibling (cell))
    g_assert_null (gtk_widget_get_tooltip_text (gtk_widget_get_first_child (cell)));
  close_window (window);
}

/* The first label under @widget whose text holds @needle, or NULL. */
static GtkLabel *
find_label_with (GtkWidget  *widget,
                 const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle))
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label_with (child, needle);
      if (found)
        return found;
    }
  return NULL;
}

/* The cells of @grid shown with the "unreadable" mark. */
static guint
count_unreadable_cells (gpointer grid)
{
  guint n = 0;

  for (GtkWidget *cell = gtk_widget_get_first_child (grid); cell; cell = gtk_widget_get_next_sibling (cell))
    {
      GtkWidget *picture = gtk_widget_get_first_child (gtk_widget_get_first_child (cell));

      if (gtk_widget_get_mapped (cell) && gtk_widget_has_css_class (picture, "unreadable") &&
          gtk_picture_get_paintable (GTK_PICTURE (picture)) != NULL)
        n++;
    }
  return n;
}

static gboolean
has_unreadable_cell (gpointer grid)
{
  return count_unreadable_cells (grid) > 0;
}

/* Issue 23, defect 6: a dataset with one damaged JPEG. Its cell is marked
 * and its tooltip says why; extraction stops with a message that names the
 * file, says what to tick and is read whole (it wraps); with "Skip
 * unreadable images" ticked it succeeds and says how many it left out. */
static void
test_dataset_unreadable (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cats = g_build_filename (dir, "cat", NULL);
  g_autofree char *dogs = g_build_filename (dir, "dog", NULL);
  g_autofree char *broken = NULL;
  VitrineWindow *window = open_window (demo);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  VtDataset *dataset;
  GtkWidget *skip;
  GtkLabel *status;
  int broken_index = -1;

  g_mkdir_with_parents (cats, 0755);
  g_mkdir_with_parents (dogs, 0755);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("%04u.jpg", i);
      g_autofree char *cat_asset = g_strdup_printf ("datasets/cifar10-jpg/test/cat/%s", name);
      g_autofree char *dog_asset = g_strdup_printf ("datasets/cifar10-jpg/test/dog/%s", name);
      g_autofree char *cat = vt_test_asset (cat_asset);
      g_autofree char *dog = vt_test_asset (dog_asset);
      g_free (vt_test_copy (cat, cats, name));
      if (i < 2)
        g_free (vt_test_copy (dog, dogs, name));
      else
        broken = vt_test_write_truncated (dog, dogs, "broken.jpg", 1, 2);
    }

  open_dataset (window, dir);
  g_assert_null (vitrine_dataset_page_get_error (page));
  dataset = vitrine_dataset_page_get_dataset (page);
  g_assert_cmpuint (dataset->n_samples, ==, 6);
  for (guint i = 0; i < dataset->n_samples; i++)
    {
      g_autofree char *name = vt_dataset_sample_name (dataset, i);
      if (strstr (name, "broken.jpg"))
        broken_index = (int) i;
    }
  g_assert_cmpint (broken_index, >=, 0);

  /* The damaged thumbnail: marked, and its tooltip names the file and what is wrong. */
  vt_gui_wait_until (has_unreadable_cell, dataset_grid (page), 20, "the damaged cell's mark");
  g_assert_cmpuint (count_unreadable_cells (dataset_grid (page)), ==, 1);
  {
    g_autofree char *tooltip = vitrine_dataset_page_describe_sample (page, broken_index);
    g_test_message ("tooltip: %s", tooltip);
    g_assert_nonnull (strchr (tooltip, '\n'));
    g_assert_nonnull (strstr (strchr (tooltip, '\n'), broken));
  }
  save_screenshot (GTK_WIDGET (window), "window-dataset-unreadable.png");

  /* Without skipping: the error names the file and the check button, and is shown whole. */
  skip = find_widget (GTK_WIDGET (page), GTK_TYPE_CHECK_BUTTON);
  g_assert_nonnull (skip);
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (skip)));
  vitrine_dataset_page_extract (page);
  vt_gui_wait_until (dataset_idle, page, 60, "the extraction");
  g_assert_nonnull (vitrine_dataset_page_get_error (page));
  g_test_message ("error: %s", vitrine_dataset_page_get_error (page));
  g_assert_nonnull (strstr (vitrine_dataset_page_get_error (page), broken));
  g_assert_nonnull (strstr (vitrine_dataset_page_get_error (page), "Skip unreadable images"));
  g_assert_null (vitrine_dataset_page_get_store (page));
  status = find_label_with (GTK_WIDGET (page), vitrine_dataset_page_get_error (page));
  g_assert_nonnull (status);
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (window), 10000));
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (status)));
  save_screenshot (GTK_WIDGET (window), "window-dataset-unreadable-error.png");

  /* Skipping: five samples in the store, one left out, and the page says so. */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (skip), TRUE);
  vitrine_dataset_page_extract (page);
  vt_gui_wait_until (dataset_idle, page, 60, "the extraction");
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_nonnull (vitrine_dataset_page_get_store (page));
  g_assert_cmpuint (vitrine_dataset_page_get_store (page)->n_samples, ==, 5);
  g_assert_cmpuint (vitrine_dataset_page_get_store (page)->n_skipped, ==, 1);
  status = find_label_with (GTK_WIDGET (page), "1 unreadable image skipped");
  g_assert_nonnull (status);
  g_test_message ("status: %s", gtk_label_get_text (status));
  g_assert_nonnull (strstr (gtk_label_get_text (status), "broken.jpg"));
  close_window (window);
  vt_test_rm_rf (dir);
}

/* The Dataset area: a CIFAR binary folder opens on its test split with
 * classes and counts, filters by class, switches split; features extract
 * with the demo model into a cached store, reused the second time; a large
 * extraction cancels; a bad folder shows its error. */
static void
test_dataset (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *cifar_bin = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *cifar_jpg = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *empty = vt_test_tmpdir ();
  VitrineWindow *window;
  VitrineDatasetPage *page;
  GtkWidget *extract;
  VtFeatureStore *store;
  const char *store_path;
  gboolean reused;
  gint64 start;

  /* A disabled Extract says why (issue 23, item 15). */
  window = open_window (NULL);
  extract = find_actionable (GTK_WIDGET (vitrine_window_get_dataset_page (window)), "dataset.extract");
  g_assert_nonnull (extract);
  g_assert_false (gtk_widget_is_sensitive (extract));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (extract), ==,
                   "Open a checkpoint and a dataset to extract the model’s features of it");
  close_window (window);
  window = open_window (demo);
  page = vitrine_window_get_dataset_page (window);
  extract = find_actionable (GTK_WIDGET (page), "dataset.extract");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (extract), ==, "Open a dataset to extract the model’s features of it");
  /* Escape cancels nothing while nothing runs: it is left to others. */
  g_assert_false (press_binding (GTK_WIDGET (page), GDK_KEY_Escape, 0));

  g_assert_true (vitrine_window_shows_area (window, "dataset"));
  open_dataset (window, cifar_bin);
  g_assert_true (gtk_widget_is_sensitive (extract));
  g_assert_null (gtk_widget_get_tooltip_text (extract));
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_cmpstr (vitrine_dataset_page_get_dataset (page)->split, ==, "test");
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 30);
  vitrine_dataset_page_filter (page, 3);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 3);
  {
    g_autoptr(GObject) item = g_list_model_get_item (vitrine_dataset_page_get_samples (page), 0);
    g_assert_cmpstr (vitrine_sample_get_class_name (VITRINE_SAMPLE (item)), ==, "cat");
  }
  vitrine_dataset_page_filter (page, -1);
  select_split (page, 0);
  g_assert_cmpstr (vitrine_dataset_page_get_dataset (page)->split, ==, "train");
  g_assert_true (action_enabled (GTK_WIDGET (page), "dataset.extract"));
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 20);
  select_split (page, 1);

  /* Extract, then again: the second time the cached store answers. */
  for (int round = 0; round < 2; round++)
    {
      vitrine_dataset_page_extract (page);
      vt_gui_wait_until (dataset_idle, page, 60, "the extraction");
      g_assert_null (vitrine_dataset_page_get_error (page));
      store = vitrine_dataset_page_get_store (page);
      g_assert_nonnull (store);
      g_assert_cmpuint (store->n_samples, ==, 30);
      g_assert_cmpuint (store->dim, ==, 64);
      store_path = vitrine_dataset_page_get_store_path (page, &reused);
      g_assert_true (g_str_has_prefix (store_path, g_get_user_cache_dir ()));
      g_assert_true (g_file_test (store_path, G_FILE_TEST_EXISTS));
      g_assert_cmpint (reused, ==, round == 1);
    }
  {
    g_autoptr(VitrineStoreItem) item = g_list_model_get_item (G_LIST_MODEL (vitrine_dataset_page_get_stores (page)), 0);
    g_test_message ("store: %s", vitrine_store_item_get_label (item));
    g_assert_true (g_str_has_prefix (vitrine_store_item_get_label (item), "resnet20-12fca82f · cifar10-bin · test — 30 × 64"));
  }

  /* 50,000 JPEGs: listing and the first screen of thumbnails. */
  start = g_get_monotonic_time ();
  open_dataset (window, cifar_jpg);
  select_split (page, 0);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 50000);
  g_test_message ("CIFAR-10 JPEG train: 50,000 samples listed and shown in %.2f s",
                  (g_get_monotonic_time () - start) / 1e6);
  vitrine_dataset_page_filter (page, 5);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 5000);
  vitrine_dataset_page_filter (page, -1);
  vt_gui_spin (1500);
  save_screenshot (GTK_WIDGET (window), "window-dataset.png");

  /* Cancel 50,000 images after the first reports. */
  vitrine_dataset_page_extract (page);
  vt_gui_spin (1500);
  g_assert_true (vitrine_dataset_page_is_busy (page));
  save_screenshot (GTK_WIDGET (window), "window-dataset-extracting.png");
  g_assert_false (gtk_widget_is_sensitive (extract));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (extract), "Escape stops the extraction"));
  /* Escape cancels, as Cancel does (issue 23, item 15). */
  start = g_get_monotonic_time ();
  g_assert_true (press_binding (GTK_WIDGET (page), GDK_KEY_Escape, 0));
  vt_gui_wait_until (dataset_idle, page, 10, "the cancelled extraction to stop");
  g_test_message ("extraction stopped %.0f ms after Cancel", (g_get_monotonic_time () - start) / 1e3);
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_cmpuint (vitrine_dataset_page_get_store (page)->n_samples, ==, 30);

  /* Cancel reaches an opening too: the page is free at once, keeps what it
   * showed, and drops the opening's result when it comes. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (cifar_jpg);

    vitrine_window_open_dataset (window, file);
    g_assert_true (vitrine_dataset_page_is_busy (page));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "dataset.cancel", NULL));
    g_assert_false (vitrine_dataset_page_is_busy (page));
    vt_gui_spin (1500);
    g_assert_false (vitrine_dataset_page_is_busy (page));
    g_assert_null (vitrine_dataset_page_get_error (page));
    g_assert_cmpstr (vitrine_dataset_page_get_dataset (page)->split, ==, "train");
    g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 50000);
  }

  /* A folder with nothing in it: an error that names it, and the page goes on. */
  open_dataset (window, empty);
  g_assert_nonnull (vitrine_dataset_page_get_error (page));
  g_assert_nonnull (strstr (vitrine_dataset_page_get_error (page), empty));
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_dataset_page_get_samples (page)), ==, 50000);
  g_assert_nonnull (gtk_grid_view_get_model (dataset_grid (page)));
  g_assert_true (action_enabled (GTK_WIDGET (page), "dataset.extract"));

  /* Another model: its stores are not this page's store any more. */
  {
    g_autofree char *resnet56 = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");
    gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", resnet56);
    vt_gui_wait_until (loaded, window, 60, "ResNet-56 to load");
    g_assert_null (vitrine_dataset_page_get_store (page));
    g_assert_null (vitrine_dataset_page_get_store_path (page, &reused));
  }
  close_window (window);
  vt_test_rm_rf (empty);
}

/* A small store as extraction leaves it: which model, dataset and split. */
static VitrineStoreItem *
store_item (const char *path,
            const char *checkpoint_sha256,
            const char *dataset,
            const char *split)
{
  g_autoptr(VtFeatureStore) store = vt_feature_store_new (4, 2, 0);

  store->n_samples = 4;
  store->source = g_new0 (VtFeatureSource, 1);
  store->source->checkpoint = g_strdup ("model.safetensors");
  store->source->checkpoint_sha256 = g_strdup (checkpoint_sha256);
  store->source->dataset = g_strdup (dataset);
  store->source->split = g_strdup (split);
  store->source->transform = g_strdup ("none");
  return vitrine_store_item_new (path, store);
}

/* Until the user picks them, the training store is the newest training
 * split and the test store the test split of the same dataset through the
 * same model, whatever the order the stores came in; the training store
 * doubles as the test store only when there is no other, with a warning. */
static void
test_incremental_default_stores (void)
{
  VitrineWindow *window = open_window (NULL);
  VitrineIncrementalPage *page = vitrine_window_get_incremental_page (window);
  GListStore *stores = vitrine_dataset_page_get_stores (vitrine_window_get_dataset_page (window));
  g_autoptr(VitrineStoreItem) cifar_test = store_item ("cifar-test", "aa", "/data/cifar10", "test");
  g_autoptr(VitrineStoreItem) cifar_train = store_item ("cifar-train", "aa", "/data/cifar10", "train");
  g_autoptr(VitrineStoreItem) other_model_test = store_item ("other-test", "bb", "/data/cifar10", "test");
  g_autoptr(VitrineStoreItem) fashion_train = store_item ("fashion-train", "aa", "/data/fashion", "train");

  /* One store: it is both, and the page says so. */
  g_list_store_append (stores, cifar_train);
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, FALSE), ==, "cifar-train");
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, TRUE), ==, "cifar-train");
  g_assert_true (vitrine_incremental_page_shows_store_warning (page));

  /* The test split of another model does not pair with it, but is not the
   * training store; then the real test split comes, and is taken. */
  g_list_store_append (stores, other_model_test);
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, TRUE), ==, "other-test");
  g_assert_false (vitrine_incremental_page_shows_store_warning (page));
  g_list_store_insert (stores, 0, cifar_test);
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, FALSE), ==, "cifar-train");
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, TRUE), ==, "cifar-test");
  g_assert_false (vitrine_incremental_page_shows_store_warning (page));

  /* A newer training split takes over training; no test split pairs with
   * it, so the test store is another one, never the training store. */
  g_list_store_append (stores, fashion_train);
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, FALSE), ==, "fashion-train");
  g_assert_cmpstr (vitrine_incremental_page_get_store (page, TRUE), !=, "fashion-train");
  g_assert_false (vitrine_incremental_page_shows_store_warning (page));
  close_window (window);
}

static gboolean
has_points (gpointer page)
{
  return vitrine_incremental_page_get_n_points (page) > 0;
}

static gboolean
run_finished (gpointer page)
{
  return !vitrine_incremental_page_is_running (page);
}

/* The Incremental area on the numpy-checked CIL fixture stores: the chart
 * grows point by point while the run goes, ends with numpy's seen
 * accuracies, the results folder holds the batch mode's files, Export
 * copies them, Cancel stops a run, and a bad split is refused. */
static void
test_incremental (void)
{
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *expected_path = vt_test_fixture ("cil/expected.json");
  g_autofree char *export_dir = vt_test_tmpdir ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  VitrineWindow *window = open_window (NULL);
  VitrineIncrementalPage *page = vitrine_window_get_incremental_page (window);
  static const char * const methods[] = { "nmc", "simplecil", "gda", "ranpac", NULL };
  JsonObject *want;
  VtFigure *chart;
  guint total = 4 * 5, partial_seen = 0;

  g_assert_true (vitrine_incremental_page_add_store (page, train, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_incremental_page_add_store (page, test, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_window_shows_area (window, "incremental"));
  vitrine_window_show_area (window, "incremental");

  /* A split that does not divide the ten classes is refused at once. */
  vitrine_incremental_page_configure (page, "B0-Inc3", methods, 1000);
  vitrine_incremental_page_run (page);
  g_assert_false (vitrine_incremental_page_is_running (page));
  g_assert_nonnull (strstr (vitrine_incremental_page_get_error (page), "does not divide 10 classes"));

  /* Config 0 of the fixture: B0-Inc2, RanPAC with M = 1000, seed 0. */
  vitrine_incremental_page_configure (page, "B0-Inc2", methods, 1000);
  vitrine_incremental_page_run (page);
  g_assert_true (vitrine_incremental_page_is_running (page));
  vt_gui_step_begin (120, "the incremental run of four methods");
  while (vitrine_incremental_page_is_running (page))
    {
      guint n = vitrine_incremental_page_get_n_points (page);
      /* Half way: the picture of a chart that is still growing. */
      if (n >= total / 2 && n < total && partial_seen == 0)
        {
          partial_seen = n;
          save_screenshot (GTK_WIDGET (window), "window-incremental-running.png");
        }
      g_main_context_iteration (NULL, TRUE);
    }
  vt_gui_step_end ();
  g_test_message ("the chart had %u of %u points at one moment of the run", partial_seen, total);
  g_assert_cmpuint (partial_seen, >, 0);
  g_assert_null (vitrine_incremental_page_get_error (page));
  g_assert_cmpuint (vitrine_incremental_page_get_n_points (page), ==, total);

  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  want = json_object_get_object_member (json_array_get_object_element (
           json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs"), 0), "methods");
  chart = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_incremental_page_get_chart (page)));
  for (guint m = 0; m < 4; m++)
    {
      JsonArray *seen = json_object_get_array_member (json_object_get_object_member (want, methods[m]), "seen_accuracy");
      for (guint t = 0; t < 5; t++)
        g_assert_cmpfloat_with_epsilon (chart->values[m * 5 + t], json_array_get_double_element (seen, t), 1e-12);
    }
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (window), "window-incremental.png");

  /* NMC and SimpleCIL score alike here; the chart's y axis fits the
   * accuracies (0.82 to 0.955) rather than 0 to 1, and hovering a stage
   * lists every method there. */
  {
    GtkWidget *view = vitrine_incremental_page_get_chart (page);
    int width = gtk_widget_get_width (view), height = gtk_widget_get_height (view);
    double lo, hi, v_min = 1, v_max = 0, left, top, plot_w, plot_h;
    g_autofree char *text = NULL;

    for (guint i = 0; i < 4 * 5; i++)
      v_min = MIN (v_min, chart->values[i]), v_max = MAX (v_max, chart->values[i]);
    vt_figure_lines_y_range (chart, &lo, &hi);
    g_test_message ("accuracies %.3f to %.3f: y axis from %.2f to %.2f", v_min, v_max, lo, hi);
    g_assert_cmpfloat (lo, >, 0.0);
    g_assert_cmpfloat (lo, <=, v_min);
    g_assert_cmpfloat (lo, >=, v_min - 0.1);
    g_assert_cmpfloat (hi, >=, v_max);
    g_assert_cmpfloat (hi, <=, 1.0);

    vt_figure_lines_geometry (chart, width, height, &left, &top, &plot_w, &plot_h);
    text = vitrine_figure_view_describe_point (VITRINE_FIGURE_VIEW (view), vt_figure_lines_x (chart, left, plot_w, 4),
                                               top + plot_h / 2);
    g_test_message ("hover at the last stage: %s", text);
    g_assert_nonnull (text);
    for (guint m = 0; m < 4; m++)
      g_assert_nonnull (strstr (text, chart->row_labels[m]));
  }

  /* The results folder is the batch mode's; Export copies it. */
  {
    g_autofree char *metrics = g_build_filename (vitrine_incremental_page_get_run_dir (page), "metrics.csv", NULL);
    g_autofree char *exported = g_build_filename (export_dir, "figures", "incremental-accuracy.svg", NULL);
    g_autofree char *exported_json = g_build_filename (export_dir, "results.json", NULL);

    g_autofree char *exported_png = g_build_filename (export_dir, "figures", "incremental-accuracy.png", NULL);
    GtkWidget *view = vitrine_incremental_page_get_chart (page);
    double lx, ly;

    g_assert_true (g_file_test (metrics, G_FILE_TEST_EXISTS));
    /* NMC hidden from the legend is left out of the exported chart;
     * SimpleCIL, drawn over it before, still shows. */
    vt_figure_lines_legend_position (chart, gtk_widget_get_width (view), gtk_widget_get_height (view), 0, &lx, &ly);
    click_view (view, lx, ly);
    g_assert_true (chart->hidden[0]);
    g_assert_true (vitrine_incremental_page_export (page, export_dir, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (exported, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (exported_json, G_FILE_TEST_EXISTS));
    g_assert_cmpuint (count_series_pixels (exported_png, chart, 0), ==, 0);
    g_assert_cmpuint (count_series_pixels (exported_png, chart, 1), >, 100);
    click_view (view, lx, ly);
    g_assert_false (chart->hidden[0]);
  }

  /* Cancel: RanPAC alone with a large projection, stopped after a stage. */
  {
    static const char * const ranpac[] = { "ranpac", NULL };
    gint64 start;

    vitrine_incremental_page_configure (page, "B0-Inc2", ranpac, 3000);
    vitrine_incremental_page_run (page);
    vt_gui_wait_until (has_points, page, 60, "RanPAC's first stage");
    start = g_get_monotonic_time ();
    gtk_widget_activate_action (GTK_WIDGET (page), "incremental.cancel", NULL);
    vt_gui_wait_until (run_finished, page, 60, "the cancelled run to stop");
    g_test_message ("the run stopped %.0f ms after Cancel (RanPAC checks it between its λ solves)",
                    (g_get_monotonic_time () - start) / 1e3);
    g_assert_cmpuint (vitrine_incremental_page_get_n_points (page), <, 5);
  }
  close_window (window);
  vt_test_rm_rf (export_dir);
}

static gboolean
embedding_finished (gpointer page)
{
  return !vitrine_embedding_page_is_running (page);
}

static gboolean
embedding_has_dataset (gpointer page)
{
  return vitrine_embedding_page_has_dataset (page);
}

/* The Embedding area on features the Dataset area extracted from the demo
 * sample: t-SNE animates in the GL view, hovering a point shows its sample,
 * a lasso selects and the selection saves with the images' paths, colours
 * change, Export writes the figures and the projector files, PCA and UMAP
 * run, and Cancel stops a run. */
static void
test_embedding (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                              "cifar10-test-sample", NULL);
  g_autofree char *out = vt_test_tmpdir ();
  g_autofree char *selection_path = g_build_filename (out, "selection.csv", NULL);
  g_autoptr(GError) error = NULL;
  VitrineWindow *window = open_window (demo);
  VitrineDatasetPage *dataset_page = vitrine_window_get_dataset_page (window);
  VitrineEmbeddingPage *page = vitrine_window_get_embedding_page (window);
  VitrineScatterView *scatter = VITRINE_SCATTER_VIEW (vitrine_embedding_page_get_scatter (page));
  guint layouts_mid_run = 0, streamed = 0;

  open_dataset (window, sample);
  vitrine_dataset_page_extract (dataset_page);
  vt_gui_wait_until (dataset_idle, dataset_page, 60, "the extraction");
  g_assert_nonnull (vitrine_dataset_page_get_store (dataset_page)->logits);
  vitrine_window_show_area (window, "embedding");
  vt_gui_spin (200);

  /* t-SNE: the layouts stream in while it runs. */
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_TSNE, 30, 50000);
  vitrine_embedding_page_run (page);
  g_assert_true (vitrine_embedding_page_is_running (page));
  vt_gui_step_begin (120, "t-SNE streaming its layouts");
  while (vitrine_embedding_page_is_running (page))
    {
      streamed = vitrine_embedding_page_get_n_layouts (page);
      if (layouts_mid_run == 0 && vitrine_embedding_page_get_n_layouts (page) >= 5)
        {
          layouts_mid_run = vitrine_embedding_page_get_n_layouts (page);
          save_screenshot (GTK_WIDGET (window), "window-embedding-running.png");
        }
      g_main_context_iteration (NULL, TRUE);
    }
  vt_gui_step_end ();
  g_assert_null (vitrine_embedding_page_get_error (page));
  g_test_message ("%u layouts shown; %s", vitrine_embedding_page_get_n_layouts (page),
                  vitrine_embedding_page_get_status (page));
  /* The run's events come coalesced on one low-priority idle (a
   * VitrineRun's): each turn of the main loop shows the newest layout, not
   * every one t-SNE emits, so how many depends on the frame rate. The
   * newest always comes before the run ends, and the last layout shown is
   * the results folder's (test-runs-data counts them exactly). */
  g_test_message ("%u layouts shown while it ran", streamed);
  g_assert_cmpuint (vitrine_embedding_page_get_n_layouts (page), >=, 2);
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (page), "t-SNE of 200 samples"));
  g_assert_cmpuint (vitrine_scatter_view_get_n_points (scatter), ==, 200);
  g_assert_true (vitrine_scatter_view_is_gl (scatter));
  g_assert_cmpuint (vitrine_scatter_view_get_n_frames (scatter), >, 0);

  /* Hovering a point shows its sample and the model's prediction. */
  vt_gui_wait_until (embedding_has_dataset, page, 30, "the dataset behind the store");
  {
    double x, y;

    vitrine_scatter_view_point_position (scatter, 17, &x, &y);
    int picked = vitrine_scatter_view_pick (scatter, x, y);
    g_assert_cmpint (picked, >=, 0);
    g_signal_emit_by_name (scatter, "hover-changed", picked, x, y);
    g_assert_nonnull (vitrine_embedding_page_get_hover_text (page));
    g_assert_nonnull (strstr (vitrine_embedding_page_get_hover_text (page), "predicted"));
    vt_gui_spin (500);
    save_screenshot (GTK_WIDGET (window), "window-embedding.png");
    g_signal_emit_by_name (scatter, "hover-changed", -1, 0.0, 0.0);
    g_assert_null (vitrine_embedding_page_get_hover_text (page));
  }

  /* Zoom about the centre halves the visible span; Home-like fit restores it. */
  {
    double x0, y0, x1, y1, zx0, zy0, zx1, zy1;
    int w = gtk_widget_get_width (GTK_WIDGET (scatter)), h = gtk_widget_get_height (GTK_WIDGET (scatter));

    vitrine_scatter_view_get_visible (scatter, &x0, &y0, &x1, &y1);
    vitrine_scatter_view_zoom (scatter, 2.0, w / 2.0, h / 2.0);
    vitrine_scatter_view_get_visible (scatter, &zx0, &zy0, &zx1, &zy1);
    g_assert_cmpfloat_with_epsilon ((zx1 - zx0) * 2, x1 - x0, 1e-6 * (x1 - x0));
    vitrine_scatter_view_fit (scatter);
  }

  /* A lasso around the whole view selects every point; saved with paths. */
  {
    int w = gtk_widget_get_width (GTK_WIDGET (scatter)), h = gtk_widget_get_height (GTK_WIDGET (scatter));
    double box[] = { -1, -1, w + 1, -1, w + 1, h + 1, -1, h + 1 };
    g_autofree char *csv = NULL;
    g_autoptr(GArray) selection = NULL;

    /* Nothing to save until something is selected; and no tooltip over
     * the view to cover the hover card. */
    g_assert_false (action_enabled (GTK_WIDGET (page), "embedding.save-selection"));
    g_assert_null (gtk_widget_get_tooltip_text (GTK_WIDGET (scatter)));
    vitrine_scatter_view_select_polygon (scatter, box, 4);
    selection = vitrine_scatter_view_get_selection (scatter);
    g_assert_cmpuint (selection->len, ==, 200);
    g_assert_true (action_enabled (GTK_WIDGET (page), "embedding.save-selection"));
    g_assert_true (vitrine_embedding_page_save_selection (page, selection_path, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (selection_path, &csv, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit (g_strchomp (csv), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 201);
    g_assert_true (g_str_has_prefix (lines[0], "sample,path,label,class,predicted_class,confidence"));
    g_auto(GStrv) fields = g_strsplit (lines[1], ",", -1);
    g_assert_true (g_file_test (fields[1], G_FILE_TEST_IS_REGULAR));
    vitrine_scatter_view_clear_selection (scatter);
    g_clear_pointer (&selection, g_array_unref);
    selection = vitrine_scatter_view_get_selection (scatter);
    g_assert_cmpuint (selection->len, ==, 0);
    g_assert_false (action_enabled (GTK_WIDGET (page), "embedding.save-selection"));
  }

  /* Find, as the Projector's search: a class name selects that class's
   * points, a file name its sample; a click on a point lists its nearest
   * neighbours in the feature space, nearest first. */
  {
    VtFeatureStore *store = vitrine_dataset_page_get_store (dataset_page);
    VtDataset *dataset = vitrine_embedding_page_get_dataset (page);
    g_autoptr(GArray) selection = NULL;
    g_autofree char *file = NULL;
    guint cats = 0, cat = G_MAXUINT, found, positions[10], rows[200];
    double sq[10], previous = 0;
    GListModel *list = vitrine_embedding_page_get_selection_list (page);

    g_assert_cmpuint (store->n_samples, ==, 200);
    for (guint c = 0; c < store->n_classes; c++)
      if (g_str_equal (store->class_names[c], "cat"))
        cat = c;
    g_assert_cmpuint (cat, <, store->n_classes);
    for (guint i = 0; i < store->n_samples; i++)
      cats += store->labels[i] == (gint64) cat;
    g_assert_cmpuint (vitrine_embedding_page_find (page, "CAT"), ==, cats);
    selection = vitrine_scatter_view_get_selection (scatter);
    g_assert_cmpuint (selection->len, ==, cats);
    g_assert_cmpuint (g_list_model_get_n_items (list), ==, cats);
    g_assert_true (action_enabled (GTK_WIDGET (page), "embedding.save-selection"));
    g_clear_pointer (&selection, g_array_unref);

    file = g_path_get_basename (vt_dataset_sample_file (dataset, (guint) store->indices[17]));
    found = vitrine_embedding_page_find (page, file);
    g_test_message ("find “%s”: %u points", file, found);
    g_assert_cmpuint (found, >=, 1);
    selection = vitrine_scatter_view_get_selection (scatter);
    {
      gboolean has_17 = FALSE;

      for (guint a = 0; a < selection->len; a++)
        has_17 |= g_array_index (selection, guint, a) == 17;
      g_assert_true (has_17);
    }
    g_clear_pointer (&selection, g_array_unref);
    g_assert_cmpuint (vitrine_embedding_page_find (page, ""), ==, 0);
    selection = vitrine_scatter_view_get_selection (scatter);
    g_assert_cmpuint (selection->len, ==, 0);
    g_clear_pointer (&selection, g_array_unref);

    /* A click on point 17 (a press that does not move) lists it and its ten nearest. */
    g_signal_emit_by_name (scatter, "point-activated", 17);
    selection = vitrine_scatter_view_get_selection (scatter);
    g_assert_cmpuint (selection->len, ==, 11);
    g_assert_cmpuint (g_list_model_get_n_items (list), ==, 11);
    for (guint i = 0; i < 200; i++)
      rows[i] = i;
    g_assert_cmpuint (vt_neighbors_of_row (store->features, store->dim, rows, 200, 17, 10, positions, sq), ==, 10);
    for (guint a = 0; a < 10; a++)
      {
        g_autoptr(GtkStringObject) line = g_list_model_get_item (list, a + 1);
        const char *distance = strstr (gtk_string_object_get_string (line), "distance ");
        double value;

        g_assert_nonnull (distance);
        value = g_ascii_strtod (distance + strlen ("distance "), NULL);
        g_assert_cmpfloat_with_epsilon (value, sqrt (sq[a]), 1e-3 * sqrt (sq[a]));
        g_assert_cmpfloat (value, >=, previous);
        previous = value;
      }
    vitrine_scatter_view_clear_selection (scatter);

    /* The Projector's "isolate": a double-click on cat in the legend shows
     * the cats alone; every other point can no longer be picked (nor
     * hovered or clicked), each cat still can; a click on cat hides it
     * too, a second shows it again. */
    vitrine_embedding_page_isolate_class (page, cat);
    for (guint c = 0; c < store->n_classes; c++)
      g_assert_cmpint (vitrine_scatter_view_is_category_hidden (scatter, c), ==, c != cat);
    vt_gui_spin (200);
    save_screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (page))), "embedding-isolated.png");
    for (int shown = 1; shown >= 0; shown--)
      {
        for (guint i = 0; i < store->n_samples; i++)
          {
            double x, y;
            int picked;

            vitrine_scatter_view_point_position (scatter, i, &x, &y);
            picked = vitrine_scatter_view_pick (scatter, x, y);
            if (picked >= 0)
              g_assert_cmpint (store->labels[picked], ==, (gint64) cat);
            else
              g_assert_true (!shown || store->labels[i] != (gint64) cat);
            if (!shown)
              g_assert_cmpint (picked, ==, -1);
          }
        if (shown)
          vitrine_embedding_page_toggle_class (page, cat);
      }
    vitrine_embedding_page_toggle_class (page, cat);
    g_assert_false (vitrine_scatter_view_is_category_hidden (scatter, cat));
    g_assert_true (vitrine_scatter_view_is_category_hidden (scatter, (cat + 1) % store->n_classes));
    for (guint c = 0; c < store->n_classes; c++)
      vitrine_scatter_view_set_category_hidden (scatter, c, FALSE);
  }

  /* Confidence, ordered bins: a dark-to-light scale in the GL view's
   * palette, a legend that says it is a scale, and a colour bar in the
   * exported figure. */
  {
    g_autofree char *confidence_png = g_build_filename (out, "tsne.png", NULL);
    double previous = -1;
    const char *heading;
    GtkWidget *first;

    vitrine_embedding_page_set_color (page, VT_EMBEDDING_COLOR_CONFIDENCE);
    g_assert_cmpint (vitrine_scatter_view_get_palette (scatter), ==, VT_FIGURE_PALETTE_SEQUENTIAL);
    for (guint c = 0; c < 10; c++)
      {
        VtRgba color;
        double l;

        vitrine_scatter_view_get_category_color (scatter, c, &color);
        l = lightness (color.r, color.g, color.b);
        g_assert_cmpfloat (l, >, previous + 2);
        previous = l;
      }
    first = vitrine_embedding_page_get_legend_row (page, 0);
    g_assert_true (GTK_IS_LABEL (first));
    heading = gtk_label_get_text (GTK_LABEL (first));
    g_assert_nonnull (strstr (heading, "scale"));
    vt_gui_spin (300);
    save_screenshot (GTK_WIDGET (window), "window-embedding-confidence.png");
    g_assert_true (vitrine_embedding_page_export (page, out, &error));
    g_assert_no_error (error);
    {
      /* The exported figure's layout, for where its colour bar lies. */
      const float xy[] = { 0, 0 };
      const guint cat[] = { 0 };
      const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", NULL };
      g_autoptr(VtFigure) like = vt_figure_new_scatter ("t", NULL, NULL, 1, xy, cat, 10, names);

      like->palette = VT_FIGURE_PALETTE_SEQUENTIAL;
      assert_color_bar (confidence_png, like);
    }
    /* Back to classes: distinct hues again. */
    vitrine_embedding_page_set_color (page, VT_EMBEDDING_COLOR_CLASS);
    g_assert_cmpint (vitrine_scatter_view_get_palette (scatter), ==, VT_FIGURE_PALETTE_CATEGORICAL);
  }

  /* Other colourings, then Export. */
  vitrine_embedding_page_set_color (page, 4);
  vitrine_embedding_page_set_color (page, 2);
  vitrine_embedding_page_set_color (page, 1);
  g_assert_null (vitrine_embedding_page_get_error (page));
  g_assert_true (vitrine_embedding_page_export (page, out, &error));
  g_assert_no_error (error);
  for (guint f = 0; f < 6; f++)
    {
      static const char *files[] = { "tsne.png", "tsne.svg", "tsne.pdf", "tsne-layout.csv", "tsne-tensors.tsv",
                                     "tsne-metadata.tsv" };
      g_autofree char *path = g_build_filename (out, files[f], NULL);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
  /* Export… writes in a worker: meanwhile the page is busy and Cancel is
   * offered, as for a run; at the end the status names the folder. */
  {
    g_autofree char *async_out = g_build_filename (out, "async", NULL);
    g_autofree char *tensors = g_build_filename (async_out, "tsne-tensors.tsv", NULL);

    g_assert_cmpint (g_mkdir (async_out, 0755), ==, 0);
    vitrine_embedding_page_start_export (page, async_out);
    g_assert_true (vitrine_embedding_page_is_running (page));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "embedding.cancel", NULL));
    g_assert_false (vitrine_embedding_page_is_running (page));
    g_assert_cmpstr (vitrine_embedding_page_get_status (page), ==, "Cancelled");
    vitrine_embedding_page_start_export (page, async_out);
    vt_gui_wait_until (embedding_finished, page, 30, "Export");
    g_test_message ("status: %s", vitrine_embedding_page_get_status (page));
    g_assert_true (g_str_has_prefix (vitrine_embedding_page_get_status (page), "Exported to "));
    g_assert_true (g_file_test (tensors, G_FILE_TEST_IS_REGULAR));
  }

  /* PCA; UMAP, which streams its epochs too; then a t-SNE stopped by Cancel. */
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_PCA, 30, 50000);
  vitrine_embedding_page_run (page);
  vt_gui_wait_until (embedding_finished, page, 30, "PCA");
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (page), "of the variance"));
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_UMAP, 30, 50000);
  vitrine_embedding_page_run (page);
  vt_gui_wait_until (embedding_finished, page, 60, "UMAP");
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (page), "UMAP of 200 samples"));
  /* Streamed layouts (coalesced as for t-SNE), then the final one. */
  g_assert_cmpuint (vitrine_embedding_page_get_n_layouts (page), >=, 2);
  save_screenshot (GTK_WIDGET (window), "window-embedding-umap.png");
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_TSNE, 30, 50000);
  vitrine_embedding_page_run (page);
  gtk_widget_activate_action (GTK_WIDGET (page), "embedding.cancel", NULL);
  g_assert_false (vitrine_embedding_page_is_running (page));
  g_assert_cmpstr (vitrine_embedding_page_get_status (page), ==, "Cancelled");
  vt_gui_spin (300);
  close_window (window);
  vt_test_rm_rf (out);
}

/* The demo sample's features, extracted in the Dataset area and shown in
 * the Embedding area; the window, for close_window. */
static VitrineWindow *
open_embedding (VitrineEmbeddingPage **page)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                              "cifar10-test-sample", NULL);
  VitrineWindow *window = open_window (demo);
  VitrineDatasetPage *dataset_page = vitrine_window_get_dataset_page (window);

  open_dataset (window, sample);
  vitrine_dataset_page_extract (dataset_page);
  vt_gui_wait_until (dataset_idle, dataset_page, 60, "the extraction");
  vitrine_window_show_area (window, "embedding");
  vt_gui_spin (200);
  *page = vitrine_window_get_embedding_page (window);
  return window;
}

/* Where a drag of (dx, dy) pixels from the front view puts the 3-D point
 * @p: R = Rx(dy·k) · Ry(dx·k), as the Projector's orbit turns (a drag to
 * the right brings the front to the right, one down brings it down). */
static void
rotate_as_dragged (const float *p, const double origin[3], double dx, double dy, double out[3])
{
  double yaw = dx * VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL;
  double pitch = dy * VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL;
  double q[3] = { p[0] - origin[0], p[1] - origin[1], p[2] - origin[2] };
  /* Ry(yaw): x' = cos x + sin z, z' = −sin x + cos z. */
  double a[3] = { cos (yaw) * q[0] + sin (yaw) * q[2], q[1], -sin (yaw) * q[0] + cos (yaw) * q[2] };

  /* Rx(pitch): y' = cos y − sin z, z' = sin y + cos z. */
  out[0] = origin[0] + a[0];
  out[1] = origin[1] + cos (pitch) * a[1] - sin (pitch) * a[2];
  out[2] = sin (pitch) * a[1] + cos (pitch) * a[2];
}

/* The TensorBoard Projector's 3-D PCA: the switch runs PCA in three
 * components, the view draws them from the front (PC1 across, PC2 up), a
 * drag turns them, and a point lands where the rotation says, is picked,
 * hovered, clicked and lassoed there; Export draws the view as turned. */
static void
test_embedding_3d (void)
{
  VitrineEmbeddingPage *page = NULL;
  VitrineWindow *window = open_embedding (&page);
  VitrineScatterView *scatter = VITRINE_SCATTER_VIEW (vitrine_embedding_page_get_scatter (page));
  g_autofree char *out = vt_test_tmpdir ();
  g_autofree char *front_dir = g_build_filename (out, "front", NULL);
  g_autofree char *turned_dir = g_build_filename (out, "turned", NULL);
  g_autoptr(GError) error = NULL;
  const double dx = 60, dy = -35;
  double origin[3], x_min, y_min, x_max, y_max, scale, front[2], rotation[9];
  double best_depth = -INFINITY, z_spread = 0;
  int width, height;
  guint n = 0;
  const float *layout;
  int point = -1;

  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_PCA, 30, 50000);
  vitrine_embedding_page_run (page);
  vt_gui_wait_until (embedding_finished, page, 30, "2-D PCA");
  g_assert_cmpuint (vitrine_scatter_view_get_dims (scatter), ==, 2);
  /* The switch acts at once on the PCA shown: a run in three components. */
  vitrine_embedding_page_set_dimensions (page, 3);
  g_assert_true (vitrine_embedding_page_is_running (page));
  vt_gui_wait_until (embedding_finished, page, 30, "3-D PCA");
  g_assert_null (vitrine_embedding_page_get_error (page));
  g_test_message ("status: %s", vitrine_embedding_page_get_status (page));
  g_assert_nonnull (strstr (vitrine_embedding_page_get_status (page), "Drag to turn it"));
  g_assert_cmpuint (vitrine_scatter_view_get_dims (scatter), ==, 3);
  g_assert_true (vitrine_scatter_view_is_gl (scatter));
  layout = vitrine_embedding_page_get_layout (page, &n);
  g_assert_cmpuint (n, ==, 200);
  g_assert_cmpuint (vitrine_scatter_view_get_n_points (scatter), ==, 200);
  for (guint i = 0; i < n; i++)
    z_spread = MAX (z_spread, fabs (layout[3 * i + 2]));
  g_assert_cmpfloat (z_spread, >, 0.1);

  /* From the front, a point is drawn at its first two components, about
   * the centre of the points' bounding box. The size as laid out now. */
  vt_gui_spin (200);
  width = gtk_widget_get_width (GTK_WIDGET (scatter));
  height = gtk_widget_get_height (GTK_WIDGET (scatter));
  vitrine_scatter_view_get_origin (scatter, origin);
  vitrine_scatter_view_get_visible (scatter, &x_min, &y_min, &x_max, &y_max);
  scale = width / (x_max - x_min);
  for (guint i = 0; i < n; i++)
    {
      double turned[3];

      /* The point in front of all others after the drag: nothing can be
       * drawn over it there. */
      rotate_as_dragged (layout + 3 * i, origin, dx, dy, turned);
      if (turned[2] > best_depth)
        best_depth = turned[2], point = (int) i;
    }
  vitrine_scatter_view_point_position (scatter, point, &front[0], &front[1]);
  g_assert_cmpfloat (fabs (front[0] - (width / 2.0 + (layout[3 * point] - origin[0]) * scale)), <, 1e-3);
  g_assert_cmpfloat (fabs (front[1] - (height / 2.0 - (layout[3 * point + 1] - origin[1]) * scale)), <, 1e-3);
  g_assert_cmpint (g_mkdir (front_dir, 0755), ==, 0);
  g_assert_true (vitrine_embedding_page_export (page, front_dir, &error));
  g_assert_no_error (error);

  /* The drag: the point moves as the rotation predicts, the zoom kept. */
  vitrine_scatter_view_orbit (scatter, dx, dy);
  vitrine_scatter_view_get_rotation (scatter, rotation);
  g_assert_cmpfloat (fabs (rotation[0] - cos (dx * VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL)), <, 1e-12);
  {
    double turned[3], x, y, want_x, want_y, x0, y0, x1, y1, moved;

    rotate_as_dragged (layout + 3 * point, origin, dx, dy, turned);
    want_x = front[0] + (turned[0] - layout[3 * point]) * scale;
    want_y = front[1] - (turned[1] - layout[3 * point + 1]) * scale;
    vitrine_scatter_view_point_position (scatter, point, &x, &y);
    moved = hypot (x - front[0], y - front[1]);
    g_test_message ("point %d moved %.1f px; off the prediction by (%.2e, %.2e) px", point, moved,
                    x - want_x, y - want_y);
    g_assert_cmpfloat (moved, >, 5);
    g_assert_cmpfloat (fabs (x - want_x), <, 1e-2);
    g_assert_cmpfloat (fabs (y - want_y), <, 1e-2);
    vitrine_scatter_view_get_visible (scatter, &x0, &y0, &x1, &y1);
    g_assert_cmpfloat_with_epsilon (x1 - x0, x_max - x_min, 1e-9 * (x_max - x_min));

    /* Picked, hovered and clicked at its new place. */
    g_assert_cmpint (vitrine_scatter_view_pick (scatter, want_x, want_y), ==, point);
    vt_gui_wait_until (embedding_has_dataset, page, 30, "the dataset behind the store");
    g_signal_emit_by_name (scatter, "hover-changed", point, want_x, want_y);
    g_assert_nonnull (vitrine_embedding_page_get_hover_text (page));
    g_assert_nonnull (strstr (vitrine_embedding_page_get_hover_text (page), "predicted"));
    g_signal_emit_by_name (scatter, "point-activated", point);
    {
      g_autoptr(GArray) selection = vitrine_scatter_view_get_selection (scatter);

      /* It and its ten nearest in the feature space. */
      g_assert_cmpuint (selection->len, ==, 11);
    }
    g_signal_emit_by_name (scatter, "hover-changed", -1, 0.0, 0.0);
    vitrine_scatter_view_clear_selection (scatter);

    /* A lasso around its new place selects it. */
    {
      double box[] = { want_x - 2, want_y - 2, want_x + 2, want_y - 2, want_x + 2, want_y + 2, want_x - 2, want_y + 2 };
      g_autoptr(GArray) selection = NULL;
      gboolean found = FALSE;

      vitrine_scatter_view_select_polygon (scatter, box, 4);
      selection = vitrine_scatter_view_get_selection (scatter);
      for (guint a = 0; a < selection->len; a++)
        found = found || g_array_index (selection, guint, a) == (guint) point;
      g_assert_true (found);
      vitrine_scatter_view_clear_selection (scatter);
    }
  }
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (window), "window-embedding-3d.png");

  /* Export draws the view as it is now: turned, the figure differs. */
  {
    g_autofree char *front_svg = g_build_filename (front_dir, "pca.svg", NULL);
    g_autofree char *turned_svg = g_build_filename (turned_dir, "pca.svg", NULL);
    g_autofree char *a = NULL, *b = NULL;

    g_assert_cmpint (g_mkdir (turned_dir, 0755), ==, 0);
    g_assert_true (vitrine_embedding_page_export (page, turned_dir, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (front_svg, &a, NULL, NULL));
    g_assert_true (g_file_get_contents (turned_svg, &b, NULL, NULL));
    g_assert_cmpstr (a, !=, b);
  }

  /* Back to 2-D: the switch runs PCA in two components again. */
  vitrine_embedding_page_set_dimensions (page, 2);
  vt_gui_wait_until (embedding_finished, page, 30, "2-D PCA again");
  g_assert_cmpuint (vitrine_scatter_view_get_dims (scatter), ==, 2);
  close_window (window);
  vt_test_rm_rf (out);
}

/* The legend over the plot's corner, as in the Projector: inside the
 * plot (taking no side space), and its rows still hide, show and isolate
 * classes when clicked. */
static void
test_embedding_legend (void)
{
  VitrineEmbeddingPage *page = NULL;
  VitrineWindow *window = open_embedding (&page);
  VitrineScatterView *scatter = VITRINE_SCATTER_VIEW (vitrine_embedding_page_get_scatter (page));
  GtkWidget *overlay = gtk_widget_get_parent (GTK_WIDGET (scatter));
  GtkWidget *row;
  graphene_rect_t bounds;
  GtkGesture *click = NULL;
  guint n_categories;
  int width, height;

  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_PCA, 30, 50000);
  vitrine_embedding_page_run (page);
  vt_gui_wait_until (embedding_finished, page, 30, "PCA");
  vt_gui_spin (300);
  width = gtk_widget_get_width (GTK_WIDGET (scatter));
  height = gtk_widget_get_height (GTK_WIDGET (scatter));
  n_categories = vitrine_scatter_view_get_n_categories (scatter);
  g_assert_cmpuint (n_categories, ==, 10);
  row = vitrine_embedding_page_get_legend_row (page, 3);
  g_assert_true (GTK_IS_LABEL (row));
  g_assert_true (gtk_widget_is_ancestor (row, overlay));
  g_assert_true (gtk_widget_get_mapped (row));
  /* Over the plot, in its upper right corner, see-through. */
  g_assert_true (gtk_widget_compute_bounds (row, GTK_WIDGET (scatter), &bounds));
  g_test_message ("legend row 3 at (%.0f, %.0f) %.0f × %.0f in a %d × %d plot", bounds.origin.x, bounds.origin.y,
                  bounds.size.width, bounds.size.height, width, height);
  g_assert_cmpfloat (bounds.origin.x, >=, width / 2.0);
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, width);
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, height / 2.0);
  g_assert_true (gtk_widget_has_css_class (gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW), "plot-legend"));
  save_screenshot (GTK_WIDGET (window), "window-embedding-legend.png");

  /* Clicks on the row, through its own gesture: one hides class 3, a
   * second shows it, a double-click isolates it. */
  {
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (row);

    for (guint a = 0; a < g_list_model_get_n_items (controllers) && click == NULL; a++)
      {
        g_autoptr(GObject) controller = g_list_model_get_item (controllers, a);

        if (GTK_IS_GESTURE_CLICK (controller))
          click = GTK_GESTURE (controller);
      }
  }
  g_assert_nonnull (click);
  g_signal_emit_by_name (click, "pressed", 1, 1.0, 1.0);
  g_assert_true (vitrine_scatter_view_is_category_hidden (scatter, 3));
  g_assert_cmpfloat (gtk_widget_get_opacity (row), <, 1.0);
  g_signal_emit_by_name (click, "pressed", 1, 1.0, 1.0);
  g_assert_false (vitrine_scatter_view_is_category_hidden (scatter, 3));
  g_signal_emit_by_name (click, "pressed", 2, 1.0, 1.0);
  for (guint c = 0; c < n_categories; c++)
    g_assert_cmpint (vitrine_scatter_view_is_category_hidden (scatter, c), ==, c != 3);
  /* The bulk setter: every class shown again in one call. */
  {
    g_autofree gboolean *none = g_new0 (gboolean, n_categories);

    vitrine_scatter_view_set_hidden_categories (scatter, none, n_categories);
    for (guint c = 0; c < n_categories; c++)
      g_assert_false (vitrine_scatter_view_is_category_hidden (scatter, c));
  }
  close_window (window);
}

/* LIT's domain warning in Predict: the demo image PyTorch's ResNet-20 is
 * least sure of (its maximum softmax probability, from
 * tests/reference/make_predict_fixture.py, is below 0.5) gets the warning
 * with that probability; the one it is surest of does not. */
static void
test_predict_domain_warning (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *fixture_path = vt_test_fixture ("forward/cifar10-predict-msp.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  VitrineWindow *window = open_window (demo);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  JsonObject *fixture;
  JsonArray *images, *msp;
  guint least = 0, most = 0;

  g_assert_true (json_parser_load_from_file (parser, fixture_path, NULL));
  fixture = json_node_get_object (json_parser_get_root (parser));
  images = json_object_get_array_member (fixture, "images");
  msp = json_object_get_array_member (fixture, "max_probability");
  for (guint i = 0; i < json_array_get_length (msp); i++)
    {
      if (json_array_get_double_element (msp, i) < json_array_get_double_element (msp, least))
        least = i;
      if (json_array_get_double_element (msp, i) > json_array_get_double_element (msp, most))
        most = i;
    }
  g_assert_cmpfloat (json_array_get_double_element (msp, least), <, 0.5);
  vitrine_window_show_area (window, "predict");
  for (guint c = 0; c < 2; c++)
    {
      guint index = c == 0 ? least : most;
      g_autofree char *path = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                                "cifar10-test-sample",
                                                json_array_get_string_element (images, index), NULL);
      const char *name;
      double p;
      g_autoptr(GFile) file = g_file_new_for_path (path);

      vitrine_predict_page_open (page, file);
      vt_gui_wait_until (predicted, page, 30, "the prediction");
      g_assert_null (vitrine_predict_page_get_error (page));
      g_assert_true (vitrine_predict_page_get_top (page, 0, &name, &p));
      g_test_message ("%s: %s %.4f (PyTorch %.4f); warning: %s", json_array_get_string_element (images, index), name,
                      p, json_array_get_double_element (msp, index),
                      vitrine_predict_page_get_domain_warning (page) ? vitrine_predict_page_get_domain_warning (page)
                                                                      : "none");
      g_assert_cmpfloat (fabs (p - json_array_get_double_element (msp, index)), <, 1e-5);
      if (c == 0)
        {
          g_autofree char *percent = g_strdup_printf ("has %.0f%%, below 50%%", 100 * p);

          g_assert_nonnull (vitrine_predict_page_get_domain_warning (page));
          g_assert_nonnull (strstr (vitrine_predict_page_get_domain_warning (page), percent));
          vt_gui_spin (300);
          save_screenshot (GTK_WIDGET (window), "window-predict-domain-warning.png");
        }
      else
        g_assert_null (vitrine_predict_page_get_domain_warning (page));
    }
  close_window (window);
}

/* A step that hangs ends the test at its deadline, named: in a
 * subprocess, a step of 1 s blocks for good (a main loop with nothing to
 * do, as a wait for a signal that never comes). */
static void
test_hung_step (void)
{
  gint64 start;

  if (g_test_subprocess ())
    {
      g_autoptr(GMainContext) nothing = g_main_context_new ();

      g_unsetenv ("VITRINE_DEADLINE_SCALE");  /* 1 s, even in a slow build */
      vt_gui_step_begin (1, "a step that never ends");
      g_main_context_iteration (nothing, TRUE);
      return;
    }
  start = g_get_monotonic_time ();
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_message ("the hung step ended its test after %.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_false (g_test_trap_reached_timeout ());
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*# step: a step that never ends (at most 1 s)*"
                             "Bail out! the step “a step that never ends” did not finish within 1 s"
                             " (under way: /gui/watchdog/hung-step › a step that never ends)*");
}

/* Runs panel ----------------------------------------------------------------------*/

/* Same results.json (times and paths aside), the same files and tables,
 * and at least one SVG figure, byte for byte. */
static void
assert_same_results (const char *a,
                     const char *b)
{
  g_assert_cmpuint (vt_gui_assert_same_results (a, b), >, 0);
}

/* `vitrine --batch SPEC --output OUT`, the real binary. */
static void
run_batch (const char *spec,
           const char *out)
{
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  vt_gui_step_begin (120, "vitrine --batch %s", spec);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  vt_gui_step_end ();
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static gboolean
run_done (gpointer run)
{
  return vitrine_run_is_done (run);
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
visible_area (VitrineIncrementalPage *page)
{
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (page));

  g_assert_true (GTK_IS_STACK (stack));
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static void
click (GtkWidget *button)
{
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* The page's chart holds the seen accuracies numpy computed (cil fixture,
 * config 0: B0-Inc2, four methods, RanPAC M = 1000). */
static void
assert_chart_is_expected (VitrineIncrementalPage *page)
{
  g_autofree char *expected_path = vt_test_fixture ("cil/expected.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  static const char * const methods[] = { "nmc", "simplecil", "gda", "ranpac" };
  VtFigure *chart = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_incremental_page_get_chart (page)));
  JsonObject *want;

  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  want = json_object_get_object_member (json_array_get_object_element (
           json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "runs"), 0), "methods");
  g_assert_nonnull (chart);
  g_assert_cmpuint (chart->rows, ==, 4);
  g_assert_cmpuint (chart->cols, ==, 5);
  for (guint m = 0; m < 4; m++)
    {
      JsonArray *seen = json_object_get_array_member (json_object_get_object_member (want, methods[m]), "seen_accuracy");
      for (guint t = 0; t < 5; t++)
        g_assert_cmpfloat_with_epsilon (chart->values[m * 5 + t], json_array_get_double_element (seen, t), 1e-12);
    }
}

static VitrineWindow *
window_with_cil_stores (void)
{
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  static const char * const methods[] = { "nmc", "simplecil", "gda", "ranpac", NULL };
  g_autoptr(GError) error = NULL;
  VitrineWindow *window = open_window (NULL);
  VitrineIncrementalPage *page = vitrine_window_get_incremental_page (window);

  g_assert_true (vitrine_incremental_page_add_store (page, train, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_incremental_page_add_store (page, test, TRUE, &error));
  g_assert_no_error (error);
  vitrine_incremental_page_configure (page, "B0-Inc2", methods, 1000);
  return window;
}

/* The Runs panel: a run of the Incremental area is listed while it runs and
 * after; two re-runs go side by side, one cancelled from its row while the
 * other runs to its end with the first run's results; Open Results shows a
 * run in its area from its folder; Save Spec writes a spec that --batch
 * runs to the same results.json and SVG figures. */
static void
test_runs_panel (void)
{
  VitrineWindow *window = window_with_cil_stores ();
  VitrineIncrementalPage *page = vitrine_window_get_incremental_page (window);
  VitrineRunsPanel *panel = vitrine_window_get_runs_panel (window);
  GListModel *runs = vitrine_window_get_runs (window);
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *spec = g_build_filename (tmp, "spec.json", NULL);
  g_autofree char *batch_out = g_build_filename (tmp, "batch", NULL);
  VitrineRun *first, *cancelled, *again;
  gboolean running_shot = FALSE;

  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 0);
  vitrine_window_show_area (window, "incremental");
  vitrine_incremental_page_run (page);
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 1);
  first = run_at (window, 0);
  g_assert_cmpstr (vitrine_run_get_area (first), ==, "incremental");
  g_assert_cmpint (vitrine_run_get_state (first), ==, VITRINE_RUN_RUNNING);
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "cancel")));
  g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "open-results")));
  g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "rerun")));
  vt_gui_step_begin (120, "the first incremental run");
  while (!vitrine_run_is_done (first))
    {
      /* A picture of the panel with the run under way. */
      if (!running_shot && vitrine_incremental_page_get_n_points (page) >= 8)
        {
          vt_gui_spin (50);
          save_screenshot (GTK_WIDGET (window), "runs-panel-running.png");
          running_shot = TRUE;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  vt_gui_step_end ();
  g_assert_true (running_shot);
  g_assert_cmpint (vitrine_run_get_state (first), ==, VITRINE_RUN_FINISHED);
  g_assert_cmpfloat (vitrine_run_get_fraction (first), ==, 1.0);
  g_assert_cmpint (vitrine_run_get_end_time (first), >=, vitrine_run_get_start_time (first));
  g_assert_cmpstr (vitrine_runs_panel_get_elapsed_text (panel, 0), !=, "");
  g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "cancel")));
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "show-folder")));
  assert_chart_is_expected (page);

  /* Two re-runs at once; the first is cancelled from its row at once, the
   * second runs to its end and gives the first run's results. */
  click (vitrine_runs_panel_get_button (panel, 0, "rerun"));
  click (vitrine_runs_panel_get_button (panel, 0, "rerun"));
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 3);
  cancelled = run_at (window, 1);
  again = run_at (window, 2);
  g_assert_cmpint (vitrine_run_get_state (cancelled), ==, VITRINE_RUN_RUNNING);
  g_assert_cmpint (vitrine_run_get_state (again), ==, VITRINE_RUN_RUNNING);
  click (vitrine_runs_panel_get_button (panel, 1, "cancel"));
  vt_gui_wait_until (run_done, cancelled, 30, "the cancelled run to stop");
  g_assert_cmpint (vitrine_run_get_state (cancelled), ==, VITRINE_RUN_CANCELLED);
  g_assert_false (vitrine_run_is_done (again));
  vt_gui_wait_until (run_done, again, 120, "the re-run beside the cancelled one");
  g_assert_cmpint (vitrine_run_get_state (again), ==, VITRINE_RUN_FINISHED);
  {
    g_autofree char *none = g_build_filename (vitrine_run_get_results_dir (cancelled), "results.json", NULL);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpstr (vitrine_run_get_results_dir (again), !=, vitrine_run_get_results_dir (first));
  assert_same_results (vitrine_run_get_results_dir (first), vitrine_run_get_results_dir (again));
  vt_gui_spin (200);
  save_screenshot (GTK_WIDGET (window), "runs-panel-finished.png");

  /* Open Results from another area: the Incremental area, showing that run
   * (drawn from its folder). */
  vitrine_window_show_area (window, "dataset");
  g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 1, "open-results")));
  click (vitrine_runs_panel_get_button (panel, 2, "open-results"));
  g_assert_true (vitrine_incremental_page_get_run (page) == again);
  g_assert_cmpstr (vitrine_incremental_page_get_run_dir (page), ==, vitrine_run_get_results_dir (again));
  g_assert_cmpstr (visible_area (page), ==, "incremental");
  assert_chart_is_expected (page);

  /* Save Spec: --batch runs it to the same results. */
  {
    g_autoptr(GError) error = NULL;
    g_assert_true (vitrine_runs_panel_save_spec (panel, first, spec, &error));
    g_assert_no_error (error);
  }
  run_batch (spec, batch_out);
  assert_same_results (vitrine_run_get_results_dir (first), batch_out);

  close_window (window);
  vt_test_rm_rf (tmp);
}

static gboolean
has_runs (gpointer window)
{
  return g_list_model_get_n_items (vitrine_window_get_runs (window)) > 0;
}

/* A results folder reopens, by path (the command line and Open), by a drop
 * (win.open-file with its URI) and as its results.json: listed as a
 * finished run and shown in the area that made it, from the files alone. */
static void
test_reopen_results (void)
{
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "results", NULL);
  g_autofree char *results_json = g_build_filename (out, "results.json", NULL);
  g_autofree char *spec_text = g_strdup_printf (
    "{ \"name\": \"reopened\", \"steps\": [ { \"kind\": \"incremental\", \"train\": \"%s\", \"test\": \"%s\","
    " \"split\": \"B0-Inc2\", \"ranpac_dim\": 1000, \"methods\": [\"nmc\", \"simplecil\", \"gda\", \"ranpac\"] } ] }",
    train, test);
  g_autofree char *spec = vt_test_write_file (tmp, "spec.json", spec_text, strlen (spec_text));
  g_autoptr(GFile) folder = g_file_new_for_path (out);
  g_autofree char *uri = g_file_get_uri (folder);
  g_autoptr(GFile) file = g_file_new_for_path (results_json);
  VitrineWindow *window;
  VitrineIncrementalPage *page;
  VitrineRun *run;

  run_batch (spec, out);

  for (guint how = 0; how < 3; how++)
    {
      window = open_window (NULL);
      page = vitrine_window_get_incremental_page (window);
      if (how == 0)
        vitrine_window_open (window, folder);
      else if (how == 1)
        gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", uri);
      else
        vitrine_window_open (window, file);
      vt_gui_wait_until (has_runs, window, 10, "the reopened run in the Runs panel");
      g_assert_false (vitrine_window_is_loading (window));
      g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 1);
      run = run_at (window, 0);
      g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
      g_assert_cmpstr (vitrine_run_get_area (run), ==, "incremental");
      g_assert_cmpstr (vitrine_run_get_name (run), ==, "reopened");
      g_assert_true (vitrine_incremental_page_get_run (page) == run);
      assert_chart_is_expected (page);
      g_assert_cmpstr (visible_area (page), ==, "incremental");
      close_window (window);
    }
  vt_test_rm_rf (tmp);
}

/* Every test runs as a step with a deadline: a hang anywhere in it, even in
 * a call that never returns, fails it with its name, well before meson's
 * timeout would kill the whole program without saying where. */
static void
set_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GError **error = user_data;

  if (!vitrine_window_export_weights_finish (VITRINE_WINDOW (source), result, error))
    g_assert_nonnull (*error);
  g_object_set_data (source, "export-done", GINT_TO_POINTER (TRUE));
}

static gboolean
export_done (gpointer window)
{
  return g_object_get_data (window, "export-done") != NULL;
}

/* ResNet-20's original torch.save file opens in the Model area like its
 * safetensors twin, and File › Export Weights writes it as safetensors:
 * the same tensors, bit for bit. Nothing to export before a checkpoint is open. */
static void
test_open_pth (void)
{
  g_autofree char *th = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.th");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *exported_path = g_build_filename (dir, "resnet20.safetensors", NULL);
  VitrineWindow *empty = open_window (NULL);
  VitrineWindow *window;
  VitrineModelPage *page;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) exported = NULL;
  VtCheckpoint *original;

  /* Disabled: no chooser opens (and the action's handler, which needs a
   * checkpoint, would fail a g_return_if_fail, fatal here). */
  {
    guint before = g_list_model_get_n_items (gtk_window_get_toplevels ());

    gtk_widget_activate_action (GTK_WIDGET (empty), "win.export-weights", NULL);
    vt_gui_spin (200);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, before);
  }
  close_window (empty);

  window = open_window (th);
  page = vitrine_window_get_model_page (window);
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Architecture"), ==, "CIFAR ResNet (option A)");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Model"), ==, "resnet20");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Tensors"), ==, "97");
  g_assert_true (vitrine_window_shows_area (window, "predict"));
  g_assert_true (vitrine_model_page_select_tensor (page, "module.linear.weight"));
  g_assert_cmpuint (histogram_total (page), ==, 640);

  vitrine_window_export_weights_async (window, exported_path, set_done, &error);
  vt_gui_wait_until (export_done, window, 60, "the weights to be exported");
  g_assert_no_error (error);
  exported = vt_checkpoint_open (exported_path, &error);
  g_assert_no_error (error);
  original = vitrine_model_page_get_inspection (page)->checkpoint;
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (exported), ==, 97);
  for (guint i = 0; i < 97; i++)
    {
      const VtTensor *a = vt_checkpoint_get_tensor (original, i);
      const VtTensor *b = vt_checkpoint_get_tensor (exported, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpuint (a->nbytes, ==, b->nbytes);
      g_assert_true (memcmp (a->data, b->data, a->nbytes) == 0);
    }
  g_assert_cmpstr (g_hash_table_lookup (vt_checkpoint_get_metadata (exported), "best_prec1"), ==, "91.78000183105469");
  close_window (window);
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  /* Generous deadlines: the whole program took 110–140 s on a loaded
   * 2-core machine. Each wait inside a test has its own. */
  static const VtGuiTest tests[] = {
    { "/gui/window/open-demo", test_open_demo, 120, NULL, NULL },
    { "/gui/window/open-pth", test_open_pth, 120, NULL, NULL },
    { "/gui/window/malformed-shows-dialog", test_malformed_shows_dialog, 120, NULL, NULL },
    { "/gui/window/cancel", test_cancel, 120, NULL, NULL },
    { "/gui/window/predict-image-filter", test_predict_image_filter, 60, NULL, NULL },
    { "/gui/window/predict", test_predict, 120, NULL, NULL },
    { "/gui/window/predict-domain-warning", test_predict_domain_warning, 120, NULL, NULL },
    { "/gui/window/predict-zero-shot", NULL, 120, test_predict_zero_shot, &clip_vit_case },
    { "/gui/window/predict-zero-shot-resnet", NULL, 120, test_predict_zero_shot, &clip_resnet_case },
    { "/gui/window/predict-own-vocabulary", test_predict_own_vocabulary, 120, NULL, NULL },
    { "/gui/window/drop", test_drop, 120, NULL, NULL },
    { "/gui/window/dataset", test_dataset, 240, NULL, NULL },
    { "/gui/window/dataset-filter", test_dataset_filter, 180, NULL, NULL },
    { "/gui/window/dataset-unreadable", test_dataset_unreadable, 120, NULL, NULL },
    { "/gui/window/incremental", test_incremental, 240, NULL, NULL },
    { "/gui/window/incremental-default-stores", test_incremental_default_stores, 60, NULL, NULL },
    { "/gui/window/runs-panel", test_runs_panel, 300, NULL, NULL },
    { "/gui/window/reopen-results", test_reopen_results, 180, NULL, NULL },
    { "/gui/window/recent", test_recent, 120, NULL, NULL },
    { "/gui/window/singular-and-percent", test_singular_and_percent, 120, NULL, NULL },
    { "/gui/window/accessible-names", test_accessible_names, 60, NULL, NULL },
    { "/gui/window/error-contrast", test_error_contrast, 120, NULL, NULL },
    { "/gui/window/embedding", test_embedding, 240, NULL, NULL },
    { "/gui/window/embedding-3d", test_embedding_3d, 180, NULL, NULL },
    { "/gui/window/embedding-legend", test_embedding_legend, 180, NULL, NULL },
    { "/gui/window/shortcuts-and-style", test_shortcuts_and_style, 120, NULL, NULL },
    { "/gui/figure-view/widget", test_figure_view_widget, 120, NULL, NULL },
    { "/gui/figure-view/lines-y-range", test_figure_lines_y_range, 60, NULL, NULL },
    { "/gui/figure-view/lines-coincident", test_figure_lines_coincident, 60, NULL, NULL },
    { "/gui/figure-view/sequential-palette", test_figure_sequential_palette, 60, NULL, NULL },
    { "/gui/watchdog/hung-step", test_hung_step, 120, NULL, NULL },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
