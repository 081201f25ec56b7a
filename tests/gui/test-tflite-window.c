/* test-tflite-window.c: a TensorFlow Lite model in the real window, in
 * process, under Xvfb: the Model area's tree lists Coral's MobileNet V2's
 * constant tensors, each with the quantization the file gives it;
 * selecting one shows the statistics of its dequantized values as the
 * engine computes them (and numpy does, tests/reference/
 * make_tflite_fixtures.py), beside the scale and zero point the file
 * stores (as tests/reference/make_tflite_quantization.py reads them, per
 * channel too); a truncated .tflite is refused in a dialog
 * that names the file. Every test runs as a watchdog step. */
#include <gtk/gtk.h>
#include <string.h>

#include "core/vt-json.h"
#include "core/vt-stats.h"
#include "io/vt-checkpoint.h"
#include "io/vt-tflite.h"
#include "vitrine-application.h"
#include "vitrine-model-page.h"
#include "vitrine-tensor-node.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

#define V2 "models/coral-mobilenet/mobilenet_v2_1.0_224_quant.tflite"

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

static VitrineWindow *
open_window (const char *path)
{
  VitrineWindow *window = vitrine_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", path);
  vt_gui_wait_until (loaded, window, 60, "the .tflite to load");
  return window;
}

static void
close_window (VitrineWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}

/* Every leaf below @rows' top level, opened one by one: their paths. */
static void
collect_leaves (GListModel *rows,
                GHashTable *paths)
{
  /* Expanding a row inserts its children after it: walk until the end. */
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr(VitrineTensorNode) node = gtk_tree_list_row_get_item (row);

      if (vitrine_tensor_node_get_index (node) >= 0)
        g_hash_table_add (paths, g_strdup (vitrine_tensor_node_get_path (node)));
      else
        gtk_tree_list_row_set_expanded (row, TRUE);
    }
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

static char *
format_fact (double value)
{
  /* The page's own format for statistics. */
  return g_strdup_printf ("%.6g", value);
}

/* The quantization file's entry for @tensor of @file. */
static JsonObject *
stored_quantization (JsonNode   *quantization,
                     const char *file,
                     const char *tensor)
{
  JsonObject *of_file = json_object_get_object_member (json_node_get_object (quantization), file);
  JsonObject *entry = of_file ? json_object_get_object_member (of_file, tensor) : NULL;

  g_assert_nonnull (entry);
  return entry;
}

/* The float32 a "Scale" fact (or one end of its range) writes. */
static float
parse_scale (const char *text,
             const char *what)
{
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);

  if (end == text)
    g_error ("%s: “%s” is not a number", what, text);
  return (float) value;
}

/* The tree holds every constant tensor of the file, dequantized, and the
 * inspection it shows lists each with its scale and zero point; the
 * statistics of a selected weight and bias are the engine's and numpy's. */
static void
test_tree (void)
{
  g_autofree char *path = vt_test_asset (V2);
  g_autofree char *fixture_path = vt_test_fixture ("tflite/outputs.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) fixture = vt_json_load_file (fixture_path, &error);
  g_autofree char *quantization_path = vt_test_fixture ("tflite/quantization.json");
  g_autoptr(JsonNode) quantization = vt_json_load_file (quantization_path, &error);
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  g_autoptr(GHashTable) leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const VtTfliteModel *model;
  JsonObject *stats;
  VitrineWindow *window;
  VitrineModelPage *page;
  VtInspection *inspection;
  const char *described;
  guint n_constant = 0;

  g_assert_no_error (error);
  model = vt_checkpoint_get_tflite (ckpt);
  stats = json_object_get_object_member (json_node_get_object (fixture), "stats");
  window = open_window (path);
  page = vitrine_window_get_model_page (window);
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Architecture"), ==, "TensorFlow Lite");
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Classes"), ==, "1001");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "mobilenet_v2_1.0_224_quant.tflite — Vitrine");

  /* Every constant tensor with data is a leaf of the tree, by its name. */
  collect_leaves (vitrine_model_page_get_rows (page), leaves);
  for (guint i = 0; i < model->n_tensors; i++)
    if (model->tensors[i].data != NULL)
      {
        n_constant++;
        g_assert_true (g_hash_table_contains (leaves, model->tensors[i].name));
      }
  g_test_message ("tree: %u leaves, %u constant tensors", g_hash_table_size (leaves), n_constant);
  g_assert_cmpuint (g_hash_table_size (leaves), ==, n_constant);

  /* The inspection the page shows carries each tensor's quantization. */
  inspection = vitrine_model_page_get_inspection (page);
  described = g_hash_table_lookup (vt_checkpoint_get_metadata (inspection->checkpoint), "tflite_tensors");
  g_assert_nonnull (described);
  for (guint i = 0; i < model->n_tensors; i++)
    {
      const VtTfliteTensor *t = &model->tensors[i];
      g_autofree char *line = NULL;

      if (t->data == NULL || t->n_quant != 1)
        continue;
      line = g_strdup_printf ("%u %s %s", i, t->name, vt_tflite_type_name (t->type));
      g_assert_nonnull (strstr (described, line));
      {
        g_autofree char *quant = g_strdup_printf ("zero_point=%" G_GINT64_FORMAT, t->zero_point[0]);
        const char *at = strstr (described, line);
        const char *end = strchr (at, '\n');
        g_autofree char *whole = end ? g_strndup (at, end - at) : g_strdup (at);

        g_assert_nonnull (strstr (whole, "scale="));
        g_assert_nonnull (strstr (whole, quant));
      }
    }

  /* Selecting a weight and a bias shows the statistics of (q - zero
   * point) · scale: the engine's, to the page's six digits, and numpy's. */
  {
    static const char * const names[] = {
      "MobilenetV2/Conv/Conv2D_Fold;MobilenetV2/Conv/weights_quant/FakeQuantWithMinMaxVars",
      "MobilenetV2/Logits/Conv2d_1c_1x1/BiasAdd;MobilenetV2/Logits/Conv2d_1c_1x1/Conv2D;"
      "MobilenetV2/Logits/Conv2d_1c_1x1/biases",
    };

    for (guint n = 0; n < G_N_ELEMENTS (names); n++)
      {
        const VtTensor *tensor = vt_checkpoint_lookup (ckpt, names[n]);
        JsonObject *want = json_object_get_object_member (stats, names[n]);
        VtTensorStats s = { 0 };
        g_autofree char *min = NULL;
        g_autofree char *max = NULL;
        g_autofree char *mean = NULL;
        g_autofree char *std = NULL;

        g_assert_nonnull (tensor);
        g_assert_nonnull (want);
        vt_tensor_stats_compute (tensor, VT_STATS_DEFAULT_BINS, &s);
        min = format_fact (s.min);
        max = format_fact (s.max);
        mean = format_fact (s.mean);
        std = format_fact (s.std);
        g_assert_true (vitrine_model_page_select_tensor (page, names[n]));
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "Data type"), ==, "F32");
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "Minimum"), ==, min);
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "Maximum"), ==, max);
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "Mean"), ==, mean);
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "Standard deviation"), ==, std);
        g_assert_cmpstr (vitrine_model_page_get_fact (page, "NaN"), ==, "0");
        g_assert_cmpuint (s.count, ==, json_object_get_int_member (want, "count"));
        g_assert_cmpfloat_with_epsilon (s.min, json_object_get_double_member (want, "min"), 1e-9);
        g_assert_cmpfloat_with_epsilon (s.max, json_object_get_double_member (want, "max"), 1e-9);
        g_assert_cmpfloat_with_epsilon (s.mean, json_object_get_double_member (want, "mean"), 1e-9);
        g_assert_cmpfloat_with_epsilon (s.std, json_object_get_double_member (want, "std"), 1e-9);
        g_test_message ("%s: min %s max %s mean %s std %s", names[n], min, max, mean, std);

        /* The scale and zero point beside them are the file's, exactly. */
        {
          JsonObject *stored = stored_quantization (quantization, "mobilenet_v2_1.0_224_quant.tflite", names[n]);
          float scale = (float) json_array_get_double_element (json_object_get_array_member (stored, "scale"), 0);
          gint64 zero = json_array_get_int_element (json_object_get_array_member (stored, "zero_point"), 0);
          g_autofree char *zero_text = g_strdup_printf ("%" G_GINT64_FORMAT, zero);
          const char *shown = vitrine_model_page_get_fact (page, "Scale");

          g_assert_nonnull (shown);
          g_assert_cmpfloat (parse_scale (shown, names[n]), ==, scale);
          g_assert_cmpstr (vitrine_model_page_get_fact (page, "Zero point"), ==, zero_text);
          g_assert_null (vitrine_model_page_get_fact (page, "Quantization channels"));
          g_test_message ("%s: scale %s zero point %s", names[n], shown, zero_text);
        }
        vt_tensor_stats_clear (&s);
      }
  }
  close_window (window);
}

/* A weight quantized per output channel: the page gives how many scales
 * along which dimension, and the range of the scales and zero points the
 * file stores. */
static void
test_per_axis (void)
{
  g_autofree char *path = vt_test_fixture ("tflite/tiny-per-axis.tflite");
  g_autofree char *quantization_path = vt_test_fixture ("tflite/quantization.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) quantization = vt_json_load_file (quantization_path, &error);
  JsonObject *stored;
  JsonArray *scales, *zeros;
  float lo, hi;
  gint64 zlo, zhi;
  g_autofree char *channels = NULL;
  g_autofree char *zero_text = NULL;
  const char *shown, *dots;
  VitrineWindow *window;
  VitrineModelPage *page;

  g_assert_no_error (error);
  stored = stored_quantization (quantization, "tiny-per-axis.tflite", "conv/weights");
  scales = json_object_get_array_member (stored, "scale");
  zeros = json_object_get_array_member (stored, "zero_point");
  g_assert_cmpuint (json_array_get_length (scales), >, 1);
  lo = hi = (float) json_array_get_double_element (scales, 0);
  zlo = zhi = json_array_get_int_element (zeros, 0);
  for (guint c = 1; c < json_array_get_length (scales); c++)
    {
      lo = MIN (lo, (float) json_array_get_double_element (scales, c));
      hi = MAX (hi, (float) json_array_get_double_element (scales, c));
      zlo = MIN (zlo, json_array_get_int_element (zeros, c));
      zhi = MAX (zhi, json_array_get_int_element (zeros, c));
    }
  channels = g_strdup_printf ("%u along dimension %" G_GINT64_FORMAT, json_array_get_length (scales),
                              json_object_get_int_member (stored, "quantized_dimension"));
  zero_text = g_strdup_printf ("%" G_GINT64_FORMAT " … %" G_GINT64_FORMAT, zlo, zhi);

  window = open_window (path);
  page = vitrine_window_get_model_page (window);
  g_assert_nonnull (vitrine_model_page_get_inspection (page));
  g_assert_true (vitrine_model_page_select_tensor (page, "conv/weights"));
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Quantization channels"), ==, channels);
  g_assert_cmpstr (vitrine_model_page_get_fact (page, "Zero point"), ==, zero_text);
  shown = vitrine_model_page_get_fact (page, "Scale");
  g_assert_nonnull (shown);
  dots = strstr (shown, " … ");
  g_assert_nonnull (dots);
  g_assert_cmpfloat (parse_scale (shown, "smallest scale"), ==, lo);
  g_assert_cmpfloat (parse_scale (dots + strlen (" … "), "largest scale"), ==, hi);
  g_test_message ("conv/weights: %s, scale %s, zero point %s", channels, shown, zero_text);
  close_window (window);
}

/* A .tflite cut in half: a dialog names the file and what is wrong, and
 * the window holds nothing half-read. */
static void
test_truncated (void)
{
  g_autofree char *asset = vt_test_asset (V2);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_write_truncated (asset, dir, "truncated.tflite", 1, 2);
  g_autofree char *secondary = NULL;
  VitrineWindow *window = open_window (path);
  GtkMessageDialog *dialog = find_error_dialog (GTK_WINDOW (window));

  g_assert_nonnull (dialog);
  g_object_get (dialog, "secondary-text", &secondary, NULL);
  g_test_message ("dialog: %s", secondary);
  g_assert_true (g_str_has_prefix (secondary, path));
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CLOSE);
  vt_gui_spin (50);
  g_assert_null (find_error_dialog (GTK_WINDOW (window)));
  g_assert_null (vitrine_model_page_get_inspection (vitrine_window_get_model_page (window)));
  close_window (window);
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/tflite/tree", test_tree, 120 },
    { "/gui/tflite/per-axis", test_per_axis, 60 },
    { "/gui/tflite/truncated", test_truncated, 60 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
