/* test-dataset-habits.c: the FiftyOne habits in the Dataset area, in the
 * real window, in process, under Xvfb: after extracting the demo's 200
 * CIFAR-10 JPEGs through the demo ResNet-20, the thumbnails carry ✓/✗
 * marks, "Only mistakes" shows exactly the samples whose argmax is not the
 * label, a thumbnail's activation (double-click, Enter) opens the sample
 * with its top five, "Open in Predict" shows it there with the same five,
 * and the confusion matrix's counts and accuracy are the store's. Every
 * expectation is computed here from the store's logits, independently of
 * engine/features/vt-predictions.c. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "vitrine-application.h"
#include "vitrine-dataset-page.h"
#include "vitrine-predict-page.h"
#include "vitrine-sample-list.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static gboolean loaded (gpointer window) { return !vitrine_window_is_loading (window); }
static gboolean dataset_idle (gpointer page) { return !vitrine_dataset_page_is_busy (page); }
static gboolean sample_ready (gpointer view) { return !vitrine_sample_view_is_busy (view); }
static gboolean predicted (gpointer page) { return !vitrine_predict_page_is_busy (page); }
static gboolean is_null (gpointer pointer) { return *(gpointer *) pointer == NULL; }

static char *
demo_file (const char *name)
{
  return g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", name, NULL);
}

/* The plain argmax of store row @r (first of equals). */
static guint
argmax (const VtFeatureStore *store,
        guint                 r)
{
  const float *row = store->logits + (gsize) r * store->n_logits;
  guint best = 0;

  for (guint c = 1; c < store->n_logits; c++)
    if (row[c] > row[best])
      best = c;
  return best;
}

static int
store_row (const VtFeatureStore *store,
           guint                 index)
{
  for (guint r = 0; r < store->n_samples; r++)
    if (store->indices[r] == index)
      return (int) r;
  return -1;
}

/* The bound cells of the grid: boxes with the sample index they show. */
static void
collect_cells (GtkWidget *widget,
               GPtrArray *cells)
{
  /* The page stores the index plus one. */
  if (g_object_get_data (G_OBJECT (widget), "vitrine-sample-index") != NULL)
    g_ptr_array_add (cells, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_cells (child, cells);
}

static void
test_habits (void)
{
  g_autofree char *demo = demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *sample = demo_file ("cifar10-test-sample");
  g_autofree char *tmp = vt_test_tmpdir ();
  g_autoptr(GFile) folder = g_file_new_for_path (sample);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cells = g_ptr_array_new ();
  VitrineWindow *window = vitrine_window_new (app);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  VitrinePredictPage *predict = vitrine_window_get_predict_page (window);
  VitrineSampleView *view = vitrine_dataset_page_get_sample_view (page);
  GListModel *samples;
  VtFeatureStore *store;
  VtFigure *figure;
  g_autoptr(GArray) mistakes = g_array_new (FALSE, FALSE, sizeof (guint));
  guint k, first_mistake, marks_checked = 0;
  guint64 trace = 0;

  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 600);
  gtk_window_present (GTK_WINDOW (window));
  vt_gui_step_begin (60, "open the demo checkpoint");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
  vt_gui_step_end ();

  vt_gui_step_begin (180, "open and extract the demo dataset");
  vitrine_window_open_dataset (window, folder);
  vt_gui_wait_until (dataset_idle, page, 60, "the dataset to open");
  vitrine_window_show_area (window, "dataset");
  /* Before extraction: no marks, no prediction filters, no confusion matrix. */
  g_assert_null (vitrine_dataset_page_get_predictions (page));
  g_assert_null (vitrine_dataset_page_get_confusion_figure (page));
  vitrine_dataset_page_extract (page);
  vt_gui_wait_until (dataset_idle, page, 150, "the extraction");
  g_assert_null (vitrine_dataset_page_get_error (page));
  store = vitrine_dataset_page_get_store (page);
  g_assert_nonnull (store);
  g_assert_nonnull (store->logits);
  g_assert_nonnull (vitrine_dataset_page_get_predictions (page));
  k = store->n_logits;
  g_assert_cmpuint (k, ==, 10);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the thumbnails carry their marks");
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (page), 10000));
  collect_cells (GTK_WIDGET (vitrine_dataset_page_get_grid (page)), cells);
  g_assert_cmpuint (cells->len, >, 0);
  for (guint i = 0; i < cells->len; i++)
    {
      GtkWidget *box = g_ptr_array_index (cells, i);
      guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (box), "vitrine-sample-index")) - 1;
      GtkWidget *mark = gtk_widget_get_last_child (box);
      int r = store_row (store, index);
      gboolean correct;
      const char *text = gtk_label_get_text (GTK_LABEL (mark));

      if (!gtk_widget_get_mapped (box))
        continue;
      g_assert_cmpint (r, >=, 0);
      correct = argmax (store, r) == (guint) store->labels[r];
      g_assert_true (g_str_has_prefix (text, correct ? "✓ " : "✗ "));
      g_assert_nonnull (strstr (text, store->class_names[argmax (store, r)]));
      g_assert_true (gtk_widget_has_css_class (mark, correct ? "correct" : "wrong"));
      marks_checked++;
    }
  g_test_message ("%u marks checked against the store", marks_checked);
  g_assert_cmpuint (marks_checked, >, 0);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "only mistakes: the samples whose argmax is not the label");
  for (guint index = 0; index < store->n_samples; index++)
    {
      int r = store_row (store, index);

      g_assert_cmpint (r, >=, 0);
      if (argmax (store, r) != (guint) store->labels[r])
        g_array_append_val (mistakes, index);
    }
  g_assert_cmpuint (mistakes->len, >, 0);
  vitrine_dataset_page_filter_predictions (page, -1, VT_OUTCOME_MISTAKES, VT_SAMPLE_ORDER_DATASET);
  samples = vitrine_dataset_page_get_samples (page);
  g_assert_cmpuint (g_list_model_get_n_items (samples), ==, mistakes->len);
  for (guint i = 0; i < mistakes->len; i++)
    {
      g_autoptr(VitrineSample) item = g_list_model_get_item (samples, i);

      g_assert_cmpuint (vitrine_sample_get_index (item), ==, g_array_index (mistakes, guint, i));
      g_assert_false (vitrine_sample_is_correct (item));
    }
  /* Only correct: the rest. */
  vitrine_dataset_page_filter_predictions (page, -1, VT_OUTCOME_CORRECT, VT_SAMPLE_ORDER_DATASET);
  g_assert_cmpuint (g_list_model_get_n_items (samples), ==, store->n_samples - mistakes->len);
  /* Least confident first: confidences do not fall. */
  vitrine_dataset_page_filter_predictions (page, -1, VT_OUTCOME_ANY, VT_SAMPLE_ORDER_CONFIDENCE_UP);
  g_assert_cmpuint (g_list_model_get_n_items (samples), ==, store->n_samples);
  for (guint i = 1; i < store->n_samples; i++)
    {
      g_autoptr(VitrineSample) a = g_list_model_get_item (samples, i - 1);
      g_autoptr(VitrineSample) b = g_list_model_get_item (samples, i);

      g_assert_cmpfloat (vitrine_sample_get_confidence (a), <=, vitrine_sample_get_confidence (b));
    }
  vitrine_dataset_page_filter_predictions (page, -1, VT_OUTCOME_MISTAKES, VT_SAMPLE_ORDER_DATASET);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "activating a thumbnail opens the sample with its top five");
  first_mistake = g_array_index (mistakes, guint, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (vitrine_dataset_page_get_grid (page)),
                                             "list.activate-item", "u", 0));
  g_assert_cmpstr (vitrine_dataset_page_get_view (page), ==, "sample");
  g_assert_cmpuint (vitrine_sample_view_get_index (view), ==, first_mistake);
  vt_gui_wait_until (sample_ready, view, 20, "the sample's picture");
  g_assert_null (vitrine_sample_view_get_error (view));
  g_assert_cmpint (vitrine_sample_view_get_top_source (view), ==, VITRINE_SAMPLE_TOP_STORE);
  {
    int r = store_row (store, first_mistake);
    const float *row = store->logits + (gsize) r * k;
    double p[16], max = row[0], sum = 0;
    gboolean used[16] = { FALSE };

    for (guint c = 1; c < k; c++)
      max = MAX (max, row[c]);
    for (guint c = 0; c < k; c++)
      sum += p[c] = exp (row[c] - max);
    for (guint rank = 0; rank < 5; rank++)
      {
        guint best = G_MAXUINT;
        const char *name;
        double shown;

        for (guint c = 0; c < k; c++)
          if (!used[c] && (best == G_MAXUINT || p[c] > p[best]))
            best = c;
        used[best] = TRUE;
        g_assert_true (vitrine_sample_view_get_top (view, rank, &name, &shown));
        g_assert_cmpstr (name, ==, store->class_names[best]);
        g_assert_cmpfloat_with_epsilon (shown, p[best] / sum, 1e-12);
      }
    g_assert_false (vitrine_sample_view_get_top (view, 5, NULL, NULL));
  }
  vt_gui_step_end ();

  vt_gui_step_begin (60, "Open in Predict shows the sample there");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "sample.open-in-predict", NULL));
  g_assert_true (vitrine_window_shows_area (window, "predict"));
  vt_gui_wait_until (predicted, predict, 60, "the prediction");
  g_assert_null (vitrine_predict_page_get_error (predict));
  g_assert_true (vitrine_predict_page_shows_image (predict));
  /* The predict step's forward pass gives the five the store's logits gave. */
  for (guint rank = 0; rank < 5; rank++)
    {
      const char *name, *want;
      double probability, shown;

      g_assert_true (vitrine_predict_page_get_top (predict, rank, &name, &probability));
      g_assert_true (vitrine_sample_view_get_top (view, rank, &want, &shown));
      g_assert_cmpstr (name, ==, want);
      g_assert_cmpfloat_with_epsilon (probability, shown, 1e-5);
    }
  vitrine_window_show_area (window, "dataset");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "sample.close", NULL));
  g_assert_cmpstr (vitrine_dataset_page_get_view (page), ==, "samples");
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the confusion matrix is the store's");
  figure = vitrine_dataset_page_get_confusion_figure (page);
  g_assert_nonnull (figure);
  g_assert_cmpuint (figure->rows, ==, k);
  g_assert_cmpuint (figure->cols, ==, k);
  {
    g_autofree double *counts = g_new0 (double, k * k);
    g_autofree char *percent = NULL;
    g_autofree char *csv_path = g_build_filename (tmp, "confusion.csv", NULL);
    g_autofree char *base = g_build_filename (tmp, "confusion", NULL);
    g_autofree char *csv = NULL;

    for (guint r = 0; r < store->n_samples; r++)
      counts[store->labels[r] * k + argmax (store, r)]++;
    for (guint i = 0; i < k * k; i++)
      g_assert_cmpfloat (figure->values[i], ==, counts[i]);
    for (guint c = 0; c < k; c++)
      trace += (guint64) counts[c * k + c];
    g_assert_cmpuint (trace, ==, store->n_samples - mistakes->len);
    percent = g_strdup_printf ("%.1f%%", 100.0 * trace / store->n_samples);
    g_test_message ("%s", vitrine_dataset_page_get_accuracy_text (page));
    g_assert_nonnull (strstr (vitrine_dataset_page_get_accuracy_text (page), percent));
    gtk_widget_activate_action (GTK_WIDGET (page), "dataset.show-confusion", NULL);
    g_assert_cmpstr (vitrine_dataset_page_get_view (page), ==, "confusion");
    g_assert_true (vt_gui_wait_painted (GTK_WIDGET (page), 10000));
    {
      g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "dataset-confusion.png", NULL);
      vt_gui_save_png (GTK_WIDGET (window), shot);
    }
    g_assert_true (vitrine_dataset_page_export_confusion (page, base, &error));
    g_assert_no_error (error);
    static const char * const exts[] = { "png", "svg", "pdf" };

    for (guint e = 0; e < G_N_ELEMENTS (exts); e++)
      {
        g_autofree char *path = g_strdup_printf ("%s.%s", base, exts[e]);
        g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      }
    g_assert_true (vitrine_dataset_page_export_confusion_csv (page, csv_path, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
    g_assert_true (g_str_has_prefix (csv, "true\\predicted,airplane,automobile,"));
  }
  vt_gui_step_end ();

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
  vt_test_rm_rf (tmp);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/dataset-habits/marks-filters-sample-confusion", test_habits, 400 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
