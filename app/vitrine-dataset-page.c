/* vitrine-dataset-page.c: browse a dataset, extract its features.
 *
 * Opening (listing, and for IDX and CIFAR the pixels) runs in a GTask
 * thread; a newer open or a Cancel makes an older task's result stale, and
 * stale results are dropped. Extraction is a VitrineRun of the `extract`
 * step (see "Extraction" below). */
#include "vitrine-dataset-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-file-chooser.h"
#include "vitrine-sample-list.h"
#include "vitrine-sample-view.h"
#include "vitrine-store-item.h"
#include "vitrine-thumbnails.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "core/vt-atomic-file.h"
#include "features/vt-predictions.h"
#include "io/vt-image.h"
#include "figures/vt-figure-render.h"
#include "run/vt-step.h"

#define THUMBNAIL_SIZE 64

struct _VitrineDatasetPage
{
  GtkWidget           parent_instance;

  GtkDropDown        *split_dropdown;
  GtkLabel           *summary;
  GtkListBox         *class_list;
  GtkGridView        *grid;
  GtkProgressBar     *progress_bar;
  GtkWidget          *cancel_button;
  GtkWidget          *extract_button;
  GtkLabel           *store_status;
  GtkCheckButton     *skip_check;
  GtkStack           *view_stack;      /* the grid, one sample, or the confusion matrix */
  VitrineSampleView  *sample_view;
  GtkWidget          *predictions_box;  /* the prediction filters, once there are predictions */
  GtkLabel           *accuracy_label;
  GtkDropDown        *predicted_dropdown;
  GtkDropDown        *outcome_dropdown;
  GtkDropDown        *order_dropdown;
  VitrineFigureView  *confusion_view;
  GtkLabel           *export_status;

  char               *path;
  VtDataset          *dataset;
  VitrineSampleList  *samples;
  VitrineThumbnails  *thumbnails;
  VtModel            *model;
  VtFeatureStore     *store;
  char               *store_path;
  gboolean            store_reused;
  char               *error;
  VtPredictions      *predictions;     /* the store's, where it is of the dataset shown */
  VtConfusion        *confusion;       /* of the store's rows, with predictions */
  gboolean            setting_filters;  /* the page itself moves the dropdowns */
  GListStore         *stores;        /* VitrineStoreItem: every store of this session */
  GCancellable       *open_cancellable;
  VitrineRun         *run;             /* the extraction shown: running, finished or reopened */
  GListStore         *runs;            /* the window's runs, where each extraction is listed */
  gboolean            extracting;      /* a run, or the reading of its store, in flight */
  gboolean            setting_split;    /* the page itself moves the dropdown */
  guint               n_binds;
  guint               fit_columns_id;   /* idle: max-columns to the grid's width */
};

G_DEFINE_FINAL_TYPE (VitrineDatasetPage, vitrine_dataset_page, GTK_TYPE_WIDGET)

enum { SIGNAL_OPENED, SIGNAL_OPEN_IN_PREDICT, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *splits[] = { "train", "test" };

static void
set_error (VitrineDatasetPage *self,
           GtkLabel           *label,
           const GError       *error)
{
  g_free (self->error);
  self->error = g_strdup (error->message);
  gtk_label_set_text (label, error->message);
  /* The summary is one line, cut to fit: the whole message is its tooltip. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), error->message);
  gtk_widget_add_css_class (GTK_WIDGET (label), "error");
}

static void
clear_error (VitrineDatasetPage *self)
{
  g_clear_pointer (&self->error, g_free);
  gtk_widget_remove_css_class (GTK_WIDGET (self->summary), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->store_status), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary), NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->store_status), NULL);
}

/* Why Extract Features is off, for its tooltip; NULL when it is on. */
static const char *
extract_unavailable (VitrineDatasetPage *self)
{
  if (self->extracting)
    /* Translators: tooltip of the disabled Extract Features button */
    return _("Features are being extracted; Cancel or Escape stops the extraction");
  if (self->open_cancellable != NULL)
    /* Translators: tooltip of the disabled Extract Features button */
    return _("The dataset is still being read");
  if (self->model == NULL && self->dataset == NULL)
    /* Translators: tooltip of the disabled Extract Features button */
    return _("Open a checkpoint and a dataset to extract the model’s features of it");
  if (self->model == NULL)
    /* Translators: tooltip of the disabled Extract Features button */
    return _("Open a checkpoint to extract its features of this dataset");
  if (self->dataset == NULL)
    /* Translators: tooltip of the disabled Extract Features button */
    return _("Open a dataset to extract the model’s features of it");
  return NULL;
}

static void
update_actions (VitrineDatasetPage *self)
{
  gboolean extracting = self->extracting;
  /* Listing a folder of hundreds of thousands of files takes seconds too. */
  gboolean busy = extracting || self->open_cancellable != NULL;

  /* While a dataset (or another split) is read, the one shown is on its
   * way out: nothing to extract from it. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.extract",
                                 self->dataset != NULL && self->model != NULL && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.cancel", busy);
  gtk_widget_set_tooltip_text (self->extract_button, extract_unavailable (self));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), extracting);
  gtk_widget_set_visible (self->cancel_button, busy);
}

/* The grid -------------------------------------------------------------------*/

static char *describe_sample (VitrineDatasetPage *self,
                              guint               index);

/* The cell's tooltip is made when asked for: one set on bind asks the X
 * server where the pointer is, once per cell bound. */
static gboolean
on_cell_query_tooltip (GtkWidget   *box,
                       int          x,
                       int          y,
                       gboolean     keyboard,
                       GtkTooltip  *tooltip,
                       GtkListItem *item)
{
  GtkWidget *page = gtk_widget_get_ancestor (box, VITRINE_TYPE_DATASET_PAGE);
  VitrineSample *sample = gtk_list_item_get_item (item);
  g_autofree char *text = NULL;

  if (page == NULL || sample == NULL || VITRINE_DATASET_PAGE (page)->dataset == NULL)
    return FALSE;
  text = describe_sample (VITRINE_DATASET_PAGE (page), vitrine_sample_get_index (sample));
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, THUMBNAIL_SIZE, THUMBNAIL_SIZE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  /* Every cell as wide, whatever its class's name: the page sets the
   * grid's max-columns from one cell's width (see fit_columns). */
  gtk_label_set_width_chars (GTK_LABEL (label), 10);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 10);
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  {
    /* The prediction and whether it is right, after extraction. */
    GtkWidget *mark = gtk_label_new (NULL);

    gtk_label_set_ellipsize (GTK_LABEL (mark), PANGO_ELLIPSIZE_END);
    gtk_label_set_width_chars (GTK_LABEL (mark), 10);
    gtk_label_set_max_width_chars (GTK_LABEL (mark), 10);
    gtk_widget_add_css_class (mark, "caption");
    gtk_widget_add_css_class (mark, "prediction-mark");
    gtk_box_append (GTK_BOX (box), mark);
  }
  gtk_widget_set_has_tooltip (box, TRUE);
  g_signal_connect (box, "query-tooltip", G_CALLBACK (on_cell_query_tooltip), item);
  gtk_list_item_set_child (item, box);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           VitrineDatasetPage       *self)
{
  VitrineSample *sample = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *picture = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_next_sibling (picture);
  GtkWidget *mark = gtk_widget_get_next_sibling (label);
  const char *predicted = vitrine_sample_get_predicted_name (sample);

  self->n_binds++;
  /* Which sample the cell shows (plus one: 0 is no data), for tests that read the marks. */
  g_object_set_data (G_OBJECT (box), "vitrine-sample-index", GUINT_TO_POINTER (vitrine_sample_get_index (sample) + 1));
  gtk_label_set_text (GTK_LABEL (label), vitrine_sample_get_class_name (sample));
  gtk_widget_remove_css_class (mark, "correct");
  gtk_widget_remove_css_class (mark, "wrong");
  if (predicted != NULL)
    {
      gboolean correct = vitrine_sample_is_correct (sample);
      /* A mark that is not colour alone: ✓ or ✗, then what the model says. */
      g_autofree char *text = g_strdup_printf ("%s %s %.0f%%", correct ? "✓" : "✗", predicted,
                                               100 * vitrine_sample_get_confidence (sample));

      gtk_label_set_text (GTK_LABEL (mark), text);
      gtk_widget_add_css_class (mark, correct ? "correct" : "wrong");
    }
  else
    gtk_label_set_text (GTK_LABEL (mark), "");
  vitrine_thumbnails_bind (self->thumbnails, GTK_PICTURE (picture), vitrine_sample_get_index (sample));
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             VitrineDatasetPage       *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);

  if (self->thumbnails)
    vitrine_thumbnails_unbind (self->thumbnails, GTK_PICTURE (gtk_widget_get_first_child (box)));
}

/* A cell's tooltip: the sample's file (or its place in the file), and why
 * it cannot be read where its thumbnail could not be decoded. */
static char *
describe_sample (VitrineDatasetPage *self,
                 guint               index)
{
  g_autofree char *name = vt_dataset_sample_name (self->dataset, index);
  const char *error = self->thumbnails ? vitrine_thumbnails_get_error (self->thumbnails, index) : NULL;

  if (self->predictions != NULL && self->predictions->predicted[index] >= 0)
    {
      gint predicted = self->predictions->predicted[index];
      gboolean correct = predicted == (gint) self->dataset->labels[index];
      /* Translators: a thumbnail's tooltip after extraction: the file, the
       * predicted class, its probability, and whether it is the label */
      g_autofree char *with = g_strdup_printf (_("%s\nPredicted %s (%.1f%%): %s"), name,
                                               self->dataset->class_names[predicted],
                                               100 * self->predictions->confidence[index],
                                               /* Translators: a prediction against the label */
                                               correct ? _("correct") : _("wrong"));

      g_free (name);
      name = g_steal_pointer (&with);
    }
  return error ? g_strdup_printf ("%s\n%s", name, error) : g_steal_pointer (&name);
}

/* GtkGridView keeps widgets for 32 rows of max-columns cells around what it
 * shows, bound whenever the samples change: with max-columns at 64 and 9
 * columns shown, a class-filter click bound 2,049 cells. So max-columns is
 * what fits the width, and 32 rows are what is bound. */
static gboolean
fit_columns (gpointer data)
{
  VitrineDatasetPage *self = data;
  GtkWidget *cell = gtk_widget_get_first_child (GTK_WIDGET (self->grid));
  int width = gtk_widget_get_width (GTK_WIDGET (self->grid)), cell_width = 0;

  self->fit_columns_id = 0;
  if (cell != NULL)
    gtk_widget_measure (cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &cell_width, NULL, NULL);
  /* The grid divides its width by the widest cell's natural width; the
   * cells are all as wide, so this many always fit. */
  if (width > 0 && cell_width > 0 &&
      gtk_grid_view_get_max_columns (self->grid) != (guint) MAX (1, width / cell_width))
    gtk_grid_view_set_max_columns (self->grid, MAX (1, width / cell_width));
  return G_SOURCE_REMOVE;
}

/* The grid's width is its horizontal adjustment's page: a change is
 * seen after the grid's allocation, and acted on once that is over. */
static void
on_grid_width_changed (GtkAdjustment      *adjustment,
                       VitrineDatasetPage *self)
{
  if (self->fit_columns_id == 0)
    self->fit_columns_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, fit_columns, self, NULL);
}

/* The grid shows the page's samples, from the top. */
static void
show_samples (VitrineDatasetPage *self)
{
  g_autoptr(GtkSelectionModel) selection = NULL;

  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->samples))));
  gtk_grid_view_set_model (self->grid, selection);
}

/* The class list: "All" first, then each class with its count. */
static GtkWidget *
class_row (const char *name,
           guint       count)
{
  g_autofree char *count_text = g_strdup_printf ("%'u", count);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *number = gtk_label_new (count_text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (number, "dim-label");
  gtk_widget_add_css_class (number, "numeric");
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), number);
  return row;
}

static void
fill_class_list (VitrineDatasetPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_list))) != NULL)
    gtk_list_box_remove (self->class_list, child);
  if (self->dataset == NULL)
    return;
  /* Translators: the class-list entry that shows every sample */
  gtk_list_box_append (self->class_list, class_row (_("All classes"), self->dataset->n_samples));
  for (guint c = 0; c < self->dataset->n_classes; c++)
    gtk_list_box_append (self->class_list, class_row (self->dataset->class_names[c], self->dataset->class_counts[c]));
  gtk_list_box_select_row (self->class_list, gtk_list_box_get_row_at_index (self->class_list, 0));
}

/* The grid again, as the class list and the prediction filters say. */
static void
apply_query (VitrineDatasetPage *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->class_list);
  guint predicted = gtk_drop_down_get_selected (self->predicted_dropdown);
  VtSampleQuery query = {
    row ? gtk_list_box_row_get_index (row) - 1 : -1,
    predicted == GTK_INVALID_LIST_POSITION ? -1 : (int) predicted - 1,
    (VtOutcome) MIN (gtk_drop_down_get_selected (self->outcome_dropdown), VT_OUTCOME_CORRECT),
    (VtSampleOrder) MIN (gtk_drop_down_get_selected (self->order_dropdown), VT_SAMPLE_ORDER_CONFIDENCE_DOWN),
  };

  if (self->samples == NULL || self->setting_filters)
    return;
  /* Where the grid was in the old samples means nothing in the new ones.
   * Scrolling would bind the old samples at the top before the new ones
   * come (or, after, fail with a warning while the new ones are not laid
   * out); a new model starts the grid at its top and binds once. */
  gtk_grid_view_set_model (self->grid, NULL);
  vitrine_sample_list_set_query (self->samples, &query);
  show_samples (self);
}

static void
on_class_selected (GtkListBox         *list,
                   GtkListBoxRow      *row,
                   VitrineDatasetPage *self)
{
  if (row == NULL || self->samples == NULL)
    return;
  apply_query (self);
}

static void
on_filter_changed (GtkDropDown        *dropdown,
                   GParamSpec         *pspec,
                   VitrineDatasetPage *self)
{
  apply_query (self);
}

void
vitrine_dataset_page_filter_predictions (VitrineDatasetPage *self,
                                         int                 predicted,
                                         VtOutcome           outcome,
                                         VtSampleOrder       order)
{
  g_return_if_fail (self->predictions != NULL && predicted < (int) self->dataset->n_classes);
  self->setting_filters = TRUE;
  gtk_drop_down_set_selected (self->predicted_dropdown, (guint) (predicted + 1));
  gtk_drop_down_set_selected (self->outcome_dropdown, outcome);
  gtk_drop_down_set_selected (self->order_dropdown, order);
  self->setting_filters = FALSE;
  apply_query (self);
}

/* Predictions ------------------------------------------------------------------*/

/* Whether the page's store was extracted from the dataset shown (its
 * path, split and size): only then are its rows this grid's samples. */
static gboolean
store_is_of_dataset (VitrineDatasetPage *self)
{
  g_autofree char *store_dataset = NULL;
  g_autofree char *shown = NULL;
  const VtFeatureSource *source = self->store ? self->store->source : NULL;

  if (source == NULL || source->dataset == NULL || self->dataset == NULL)
    return FALSE;
  store_dataset = g_canonicalize_filename (source->dataset, NULL);
  shown = g_canonicalize_filename (self->dataset->path, NULL);
  return g_str_equal (store_dataset, shown) && g_strcmp0 (source->split, self->dataset->split) == 0 &&
         source->dataset_samples == self->dataset->n_samples;
}

static void
show_view (VitrineDatasetPage *self,
           const char         *name)
{
  gtk_stack_set_visible_child_name (self->view_stack, name);
  if (!g_str_equal (name, "sample"))
    vitrine_sample_view_clear (self->sample_view);
}

/* The marks, the prediction filters, the accuracy and the confusion
 * matrix from the store's logits, where the store is of the dataset shown;
 * all gone otherwise. */
static void
update_predictions (VitrineDatasetPage *self)
{
  g_autoptr(VtPredictions) predictions = NULL;
  g_autoptr(VtConfusion) confusion = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  if (self->samples != NULL && store_is_of_dataset (self) &&
      (predictions = vt_predictions_new (self->store, self->dataset->n_samples, self->dataset->n_classes,
                                         self->dataset->labels, NULL)) != NULL)
    confusion = vt_predictions_tally (self->store, NULL);
  if (confusion == NULL)
    g_clear_pointer (&predictions, vt_predictions_unref);
  if (predictions == NULL && self->predictions == NULL)
    return;
  g_clear_pointer (&self->predictions, vt_predictions_unref);
  g_clear_pointer (&self->confusion, vt_confusion_free);
  self->predictions = g_steal_pointer (&predictions);
  self->confusion = g_steal_pointer (&confusion);

  /* The filters start over: every prediction, in the dataset's order. */
  self->setting_filters = TRUE;
  /* Translators: the "Predicted as" filter's entry that takes every class */
  gtk_string_list_append (names, _("Any class"));
  for (guint c = 0; self->predictions && c < self->dataset->n_classes; c++)
    gtk_string_list_append (names, self->dataset->class_names[c]);
  gtk_drop_down_set_model (self->predicted_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->predicted_dropdown, 0);
  gtk_drop_down_set_selected (self->outcome_dropdown, 0);
  gtk_drop_down_set_selected (self->order_dropdown, 0);
  self->setting_filters = FALSE;
  if (self->samples != NULL)
    vitrine_sample_list_set_predictions (self->samples, self->predictions);
  apply_query (self);

  gtk_widget_set_visible (self->predictions_box, self->predictions != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.show-confusion", self->predictions != NULL);
  if (self->confusion == NULL)
    {
      vitrine_figure_view_set_figure (self->confusion_view, NULL);
      if (!g_str_equal (gtk_stack_get_visible_child_name (self->view_stack), "samples"))
        show_view (self, "samples");
      return;
    }
  {
    guint k = self->confusion->n_classes;
    g_autofree double *values = g_new (double, (gsize) k * k);
    guint64 trace = 0;
    g_autofree char *text = NULL;
    g_autofree char *title = NULL;

    for (guint c = 0; c < k; c++)
      trace += self->confusion->confusion[(gsize) c * k + c];
    for (gsize i = 0; i < (gsize) k * k; i++)
      values[i] = (double) self->confusion->confusion[i];
    /* Translators: the dataset's accuracy from the extracted logits: the
     * percentage, the correct predictions, the samples */
    text = g_strdup_printf (_("Accuracy %.1f%% (%'u of %'u correct)"),
                            100 * vt_confusion_accuracy (self->confusion), (guint) trace, (guint) self->confusion->n);
    gtk_label_set_text (self->accuracy_label, text);
    /* Translators: title of the Dataset area's confusion matrix; %s is the accuracy line */
    title = g_strdup_printf (_("Confusion matrix — %s"), text);
    vitrine_figure_view_set_figure (self->confusion_view,
                                    vt_figure_new_heatmap (title,
                                                           /* Translators: the confusion matrix's column axis */
                                                           _("predicted"),
                                                           /* Translators: the confusion matrix's row axis */
                                                           _("true"), k, k, values,
                                                           (const char * const *) self->dataset->class_names,
                                                           (const char * const *) self->dataset->class_names));
  }
}

/* The sample view ----------------------------------------------------------------*/

void
vitrine_dataset_page_open_sample (VitrineDatasetPage *self,
                                  guint               index)
{
  g_return_if_fail (self->dataset != NULL && index < self->dataset->n_samples);
  show_view (self, "sample");
  vitrine_sample_view_show (self->sample_view, self->dataset, index, self->predictions, self->model);
  gtk_widget_grab_focus (GTK_WIDGET (self->sample_view));
}

/* Double-click or Enter on a thumbnail. */
static void
on_grid_activate (GtkGridView        *grid,
                  guint               position,
                  VitrineDatasetPage *self)
{
  g_autoptr(VitrineSample) sample = self->samples ? g_list_model_get_item (G_LIST_MODEL (self->samples), position)
                                                  : NULL;

  if (sample != NULL)
    vitrine_dataset_page_open_sample (self, vitrine_sample_get_index (sample));
}

static void
on_sample_view_close (VitrineSampleView  *view,
                      VitrineDatasetPage *self)
{
  show_view (self, "samples");
  gtk_widget_grab_focus (GTK_WIDGET (self->grid));
}

static void
on_sample_open_in_predict (VitrineSampleView  *view,
                           const char         *file,
                           VitrineDatasetPage *self)
{
  g_signal_emit (self, signals[SIGNAL_OPEN_IN_PREDICT], 0, file);
}

void
vitrine_dataset_page_filter (VitrineDatasetPage *self,
                             int                 label)
{
  g_return_if_fail (self->dataset != NULL && label < (int) self->dataset->n_classes);
  gtk_list_box_select_row (self->class_list, gtk_list_box_get_row_at_index (self->class_list, label + 1));
}

static void
show_dataset (VitrineDatasetPage *self,
              VtDataset          *dataset)
{
  g_autofree char *name = g_path_get_basename (dataset->path);
  g_autofree char *text = NULL;

  gtk_grid_view_set_model (self->grid, NULL);
  g_clear_object (&self->samples);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  self->dataset = vt_dataset_ref (dataset);
  self->samples = vitrine_sample_list_new (dataset);
  self->thumbnails = vitrine_thumbnails_new (dataset, THUMBNAIL_SIZE);
  g_clear_pointer (&self->predictions, vt_predictions_unref);
  g_clear_pointer (&self->confusion, vt_confusion_free);
  show_view (self, "samples");
  /* Selecting "All classes" there puts the samples in the grid. */
  fill_class_list (self);
  /* The store's predictions, where it is of this dataset (a split again). */
  update_predictions (self);
  if (self->predictions == NULL)
    {
      gtk_widget_set_visible (self->predictions_box, FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.show-confusion", FALSE);
    }

  {
    /* Translators: a part of the dataset summary */
    g_autofree char *samples = g_strdup_printf (g_dngettext (NULL, "%'u sample", "%'u samples", dataset->n_samples),
                                                dataset->n_samples);
    /* Translators: a part of the dataset summary */
    g_autofree char *classes = g_strdup_printf (g_dngettext (NULL, "%u class", "%u classes", dataset->n_classes),
                                                dataset->n_classes);

    /* Translators: dataset summary: name, split (or nothing), format, "N samples", "N classes" */
    text = g_strdup_printf (_("%s%s%s — %s, %s, %s"), name,
                            dataset->split ? " · " : "",
                            /* Translators: the two splits of a dataset, in its summary */
                            !dataset->split ? "" : g_str_equal (dataset->split, "train") ? _("train") : _("test"),
                            dataset->format, samples, classes);
  }
  gtk_label_set_text (self->summary, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->summary), "dim-label");
  gtk_label_set_text (self->store_status, "");
  update_actions (self);
}

/* Opening ----------------------------------------------------------------------*/

typedef struct
{
  char      *path;
  char      *split;        /* asked for, or NULL to find out */
  gboolean   has_splits;   /* out */
} OpenJob;

static void
open_job_free (OpenJob *job)
{
  g_free (job->path);
  g_free (job->split);
  g_free (job);
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  OpenJob *job = data;
  VtDatasetOptions options = { job->split, FALSE, cancellable };
  g_autoptr(GError) error = NULL;
  VtDataset *dataset = vt_dataset_open (job->path, &options, &error);

  /* A dataset with two splits shows its test split first. */
  if (dataset == NULL && job->split == NULL && g_error_matches (error, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT))
    {
      g_clear_error (&error);
      options.split = "test";
      dataset = vt_dataset_open (job->path, &options, &error);
    }
  job->has_splits = options.split != NULL;
  if (dataset == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, dataset, (GDestroyNotify) vt_dataset_unref);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VitrineDatasetPage *self = VITRINE_DATASET_PAGE (source);
  OpenJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_task_get_cancellable (G_TASK (result)) != self->open_cancellable)
    return;
  g_clear_object (&self->open_cancellable);
  update_actions (self);
  if (dataset == NULL)
    {
      /* The dataset shown before stays, with the error above it. */
      if (self->dataset != NULL)
        {
          g_autoptr(VtDataset) shown = vt_dataset_ref (self->dataset);
          show_dataset (self, shown);
        }
      set_error (self, self->summary, error);
      return;
    }
  clear_error (self);
  g_free (self->path);
  self->path = g_strdup (job->path);
  self->setting_split = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->split_dropdown), job->has_splits);
  if (dataset->split)
    gtk_drop_down_set_selected (self->split_dropdown, g_str_equal (dataset->split, "train") ? 0 : 1);
  self->setting_split = FALSE;
  show_dataset (self, dataset);
  g_signal_emit (self, signals[SIGNAL_OPENED], 0, job->path);
}

static void
open_path (VitrineDatasetPage *self,
           const char         *path,
           const char         *split)
{
  g_autoptr(GTask) task = NULL;
  OpenJob *job = g_new0 (OpenJob, 1);

  if (self->open_cancellable)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  self->open_cancellable = g_cancellable_new ();
  job->path = g_strdup (path);
  job->split = g_strdup (split);
  /* The old samples and counts would pass for the new ones meanwhile. */
  gtk_grid_view_set_model (self->grid, NULL);
  while (gtk_widget_get_first_child (GTK_WIDGET (self->class_list)))
    gtk_list_box_remove (self->class_list, gtk_widget_get_first_child (GTK_WIDGET (self->class_list)));
  update_actions (self);
  {
    g_autofree char *name = g_path_get_basename (path);
    /* Translators: %s is a dataset's file or folder name */
    g_autofree char *text = g_strdup_printf (_("Reading %s…"), name);
    gtk_label_set_text (self->summary, text);
  }
  task = g_task_new (self, self->open_cancellable, on_opened, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) open_job_free);
  g_task_run_in_thread (task, open_thread);
  update_actions (self);
}

void
vitrine_dataset_page_open (VitrineDatasetPage *self,
                           GFile              *file)
{
  g_autofree char *path = g_file_get_path (file);

  g_return_if_fail (VITRINE_IS_DATASET_PAGE (self));
  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Only local files can be opened"));
      set_error (self, self->summary, error);
      return;
    }
  open_path (self, path, NULL);
}

static void
on_split_changed (GtkDropDown        *dropdown,
                  GParamSpec         *pspec,
                  VitrineDatasetPage *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (!self->setting_split && self->path != NULL && selected < G_N_ELEMENTS (splits))
    open_path (self, self->path, splits[selected]);
}

/* Extraction -------------------------------------------------------------------*/

/* Extraction is the batch mode's `extract` step as a VitrineRun (listed in
 * the Runs panel): logits too, where the model has a head (the Embedding
 * area colours by prediction), into the user's feature cache, so the same
 * checkpoint, dataset and transform find the store already there. When the
 * run is done, its store is read in a worker and becomes the page's. */

static void
set_extracting (VitrineDatasetPage *self,
                gboolean            extracting)
{
  self->extracting = extracting;
  update_actions (self);
}

/* Main thread: the run's progress. */
static void
on_run_event (VitrineRun         *run,
              const VtEvent      *event,
              VitrineDatasetPage *self)
{
  g_autofree char *text = NULL;
  guint total;

  if (run != self->run || event->kind != VT_EVENT_PROGRESS || self->dataset == NULL)
    return;
  total = self->dataset->n_samples;
  /* Before the first batch the step hashes the files, as the bar already
   * says (in the user's language). */
  if (event->rate <= 0)
    return;
  /* Translators: extraction progress: done, total, images per second, seconds left */
  text = g_strdup_printf (_("%'u of %'u images, %.0f/s, %.0f s left"), (guint) lround (event->fraction * total), total,
                          event->rate, event->seconds_left);
  gtk_progress_bar_set_fraction (self->progress_bar, event->fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

/* The store joins the session's list (once), for the areas that use stores. */
static void
add_to_session (VitrineDatasetPage *self)
{
  g_autoptr(VitrineStoreItem) item = NULL;
  g_autoptr(VitrineStoreItem) other = NULL;
  int found;

  if (self->store_path == NULL)
    return;
  found = vitrine_store_list_find (G_LIST_MODEL (self->stores), self->store_path);
  if (found >= 0)
    other = g_list_model_get_item (G_LIST_MODEL (self->stores), found);
  /* Extracted again into the same file (its dataset changed): the areas
   * take the new store from the item they know. */
  if (other != NULL && !vitrine_store_item_is_missing (other))
    {
      vitrine_store_item_set_store (other, self->store);
      return;
    }
  item = vitrine_store_item_new (self->store_path, self->store);
  /* A store the reopened workspace missed is back: it takes that place. */
  g_list_store_splice (self->stores, found >= 0 ? (guint) found : g_list_model_get_n_items (G_LIST_MODEL (self->stores)),
                       found >= 0 ? 1 : 0, (gpointer *) &item, 1);
}

/* What the page takes from a finished extract run. */
typedef struct
{
  VitrineRun  *run;
  char        *store_path;
  gboolean     reused;
  gboolean     reopened;
} StoreJob;

static void
store_job_free (StoreJob *job)
{
  g_object_unref (job->run);
  g_free (job->store_path);
  g_free (job);
}

static void
load_store_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  StoreJob *job = data;
  GError *error = NULL;
  VtFeatureStore *store = vt_feature_store_load (job->store_path, &error);

  if (store == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, store, (GDestroyNotify) vt_feature_store_unref);
}

static void
on_store_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VitrineDatasetPage *self = VITRINE_DATASET_PAGE (source);
  StoreJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *text = NULL;

  /* Another extraction (or model) took the page over meanwhile. */
  if (job->run != self->run)
    return;
  set_extracting (self, FALSE);
  if (store == NULL)
    {
      set_error (self, self->store_status, error);
      return;
    }
  g_clear_pointer (&self->store, vt_feature_store_unref);
  self->store = g_steal_pointer (&store);
  g_free (self->store_path);
  self->store_path = g_strdup (job->store_path);
  self->store_reused = job->reused;
  add_to_session (self);
  update_predictions (self);
  if (job->reused || job->reopened)
    /* Translators: samples, feature width, the cache file */
    text = g_strdup_printf (_("%'u × %u features, reused from %s"), self->store->n_samples, self->store->dim,
                            job->store_path);
  else
    {
      double seconds = vitrine_run_get_elapsed (job->run);

      /* Translators: samples, feature width, seconds, images per second, the cache file */
      text = g_strdup_printf (_("%'u × %u features in %.1f s (%.0f images/s), saved to %s"), self->store->n_samples,
                              self->store->dim, seconds, self->store->n_samples / MAX (seconds, 1e-9),
                              job->store_path);
    }
  if (self->store->n_skipped > 0)
    {
      /* Translators: after the extraction's summary; %'u is a count of images */
      g_autofree char *skipped = g_strdup_printf (g_dngettext (NULL, "%'u unreadable image skipped",
                                                               "%'u unreadable images skipped", self->store->n_skipped),
                                                  self->store->n_skipped);
      g_autofree char *first = self->store->skipped && self->store->skipped[0]
                               ? g_strdup_printf (" (%s)", self->store->skipped[0]) : g_strdup ("");
      g_autofree char *all = g_strdup_printf ("%s; %s%s", text, skipped, first);

      g_free (text);
      text = g_steal_pointer (&all);
    }
  gtk_label_set_text (self->store_status, text);
}

/* Reads the store that @run (finished) wrote or reused, from its results. */
static gboolean
take_store (VitrineDatasetPage  *self,
            VitrineRun          *run,
            gboolean             reopened,
            GError             **error)
{
  g_autoptr(JsonNode) root = vitrine_run_load_step_result (run, "extract", error);
  g_autoptr(GTask) task = NULL;
  JsonObject *result;
  StoreJob *job;

  if (root == NULL)
    return FALSE;
  result = json_node_get_object (root);
  if (json_object_get_string_member_with_default (result, "store", NULL) == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: no step of it is an extraction with a store", vitrine_run_get_results_dir (run));
      return FALSE;
    }
  job = g_new0 (StoreJob, 1);
  job->run = g_object_ref (run);
  job->store_path = g_strdup (json_object_get_string_member (result, "store"));
  job->reused = json_object_get_boolean_member_with_default (result, "reused", FALSE);
  job->reopened = reopened;
  set_extracting (self, TRUE);
  task = g_task_new (self, NULL, on_store_loaded, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) store_job_free);
  g_task_run_in_thread (task, load_store_thread);
  return TRUE;
}

static void
on_extract_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineDatasetPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean skip_unreadable = FALSE;

  if (run != self->run)
    {
      vitrine_run_start_finish (run, result, NULL);
      return;
    }
  if (vitrine_run_start_finish (run, result, &error) && take_store (self, run, FALSE, &error))
    return;
  set_extracting (self, FALSE);
  {
    g_autoptr(VtSpec) spec = vt_spec_new_from_data (vitrine_run_get_spec (run), "/", NULL);

    if (spec != NULL && spec->steps->len > 0)
      skip_unreadable = ((VtExtractStep *) g_ptr_array_index (spec->steps, 0))->input.skip_unreadable;
  }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (self->store_status, _("Extraction cancelled."));
  else if (error->domain == VT_IMAGE_ERROR && !skip_unreadable)
    {
      /* Translators: after the error of an image that cannot be read; the
       * check button's label, without its underline */
      g_autoptr(GError) hinted = g_error_new (error->domain, error->code, _("%s. Tick “Skip unreadable images” to leave such images out."),
                                              error->message);
      set_error (self, self->store_status, hinted);
    }
  else
    set_error (self, self->store_status, error);
}

/* The run's name in the Runs panel: the dataset (and split), the model. */
static char *
run_name (VitrineDatasetPage *self)
{
  g_autofree char *dataset = g_path_get_basename (self->dataset->path);
  g_autofree char *model = g_path_get_basename (vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)));
  g_autofree char *shown = self->dataset->split ? g_strdup_printf ("%s · %s", dataset, self->dataset->split)
                                                : g_strdup (dataset);

  /* Translators: a run's name in the Runs panel: a dataset, then the model whose features are extracted */
  return g_strdup_printf (_("%s through %s"), shown, model);
}

void
vitrine_dataset_page_extract (VitrineDatasetPage *self)
{
  g_autofree char *checkpoint = NULL;
  g_autofree char *dataset = NULL;
  g_autofree char *name = NULL;
  g_autofree char *json = NULL;
  g_autoptr(VtSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  VtExtractStep *step;

  g_return_if_fail (self->dataset != NULL && self->model != NULL && !self->extracting);
  clear_error (self);
  checkpoint = g_canonicalize_filename (vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)), NULL);
  dataset = g_canonicalize_filename (self->dataset->path, NULL);
  name = run_name (self);
  /* The spec `vitrine --batch` runs to the same store. */
  spec = vt_spec_new (name, NULL);
  step = vt_extract_step_new (NULL, checkpoint, dataset);
  step->input.split = g_strdup (self->dataset->split);
  step->input.skip_unreadable = gtk_check_button_get_active (self->skip_check);
  step->logits = TRUE;
  step->cache = TRUE;
  if (!vt_spec_add_step (spec, &step->base, &error))
    {
      set_error (self, self->store_status, error);
      return;
    }
  json = vt_spec_to_data (spec);
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("dataset", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  /* Translators: before the first batch of an extraction is through */
  gtk_progress_bar_set_text (self->progress_bar, _("Hashing the checkpoint and the dataset's files…"));
  gtk_label_set_text (self->store_status, "");
  set_extracting (self, TRUE);
  vitrine_run_start_async (self->run, NULL, NULL, on_extract_done, g_object_ref (self));
}

static void
cancel_extraction (VitrineDatasetPage *self)
{
  if (self->run != NULL && !vitrine_run_is_done (self->run))
    vitrine_run_cancel (self->run);
}

void
vitrine_dataset_page_set_runs (VitrineDatasetPage *self,
                               GListStore         *runs)
{
  g_set_object (&self->runs, runs);
}

VitrineRun *
vitrine_dataset_page_get_run (VitrineDatasetPage *self)
{
  return self->run;
}

gboolean
vitrine_dataset_page_show_run (VitrineDatasetPage  *self,
                               VitrineRun          *run,
                               GError             **error)
{
  g_autoptr(JsonNode) root = vitrine_run_load_step_result (run, "extract", error);
  JsonObject *result = root ? json_node_get_object (root) : NULL;
  const char *dataset, *split;

  if (root == NULL)
    return FALSE;
  /* The dataset as the run resolved its path. */
  dataset = result ? json_object_get_string_member_with_default (result, "dataset", NULL) : NULL;
  split = result ? json_object_get_string_member_with_default (result, "split", NULL) : NULL;
  if (dataset == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: no step of it is an extraction from a dataset", vitrine_run_get_results_dir (run));
      return FALSE;
    }
  cancel_extraction (self);
  g_set_object (&self->run, run);
  clear_error (self);
  if (!take_store (self, run, TRUE, error))
    {
      g_clear_object (&self->run);
      set_extracting (self, FALSE);
      return FALSE;
    }
  /* The dataset the store was extracted from, unless it is the one shown. */
  if (self->dataset == NULL || g_strcmp0 (self->path, dataset) != 0 || g_strcmp0 (self->dataset->split, split) != 0)
    open_path (self, dataset, split);
  return TRUE;
}

void
vitrine_dataset_page_cancel (VitrineDatasetPage *self)
{
  cancel_extraction (self);
  if (self->open_cancellable)
    {
      /* The opening's result is dropped when it comes (see on_opened). */
      g_cancellable_cancel (self->open_cancellable);
      g_clear_object (&self->open_cancellable);
      gtk_label_set_text (self->summary, _("Opening cancelled."));
      update_actions (self);
    }
}

/* Public -----------------------------------------------------------------------*/

void
vitrine_dataset_page_set_model (VitrineDatasetPage *self,
                                VtModel            *model)
{
  g_return_if_fail (VITRINE_IS_DATASET_PAGE (self));
  /* The extraction in flight was the other model's: it stops, and what it
   * gives is not this page's any more. */
  cancel_extraction (self);
  g_clear_object (&self->run);
  self->extracting = FALSE;
  g_clear_pointer (&self->model, vt_model_free);
  if (model)
    self->model = vt_model_ref (model);
  /* The store shown came from the model before: it stays in the session's
   * list (named by its model), not in this page's footer. */
  g_clear_pointer (&self->store, vt_feature_store_unref);
  g_clear_pointer (&self->store_path, g_free);
  gtk_label_set_text (self->store_status, "");
  /* Its marks and confusion matrix go with it; an open sample's top five
   * were the other model's. */
  update_predictions (self);
  if (g_str_equal (gtk_stack_get_visible_child_name (self->view_stack), "sample"))
    show_view (self, "samples");
  update_actions (self);
}

gboolean
vitrine_dataset_page_is_busy (VitrineDatasetPage *self)
{
  return self->open_cancellable != NULL || self->extracting;
}

VtDataset *
vitrine_dataset_page_get_dataset (VitrineDatasetPage *self)
{
  return self->dataset;
}

GListModel *
vitrine_dataset_page_get_samples (VitrineDatasetPage *self)
{
  return self->samples ? G_LIST_MODEL (self->samples) : NULL;
}

VtFeatureStore *
vitrine_dataset_page_get_store (VitrineDatasetPage *self)
{
  return self->store;
}

void
vitrine_dataset_page_set_stores (VitrineDatasetPage *self,
                                 GListStore         *stores)
{
  g_return_if_fail (VITRINE_IS_DATASET_PAGE (self) && G_IS_LIST_STORE (stores));
  g_set_object (&self->stores, stores);
}

GListStore *
vitrine_dataset_page_get_stores (VitrineDatasetPage *self)
{
  return self->stores;
}

const char *
vitrine_dataset_page_get_store_path (VitrineDatasetPage *self,
                                     gboolean           *reused)
{
  if (reused)
    *reused = self->store_reused;
  return self->store_path;
}

guint
vitrine_dataset_page_get_n_binds (VitrineDatasetPage *self)
{
  return self->n_binds;
}

char *
vitrine_dataset_page_describe_sample (VitrineDatasetPage *self,
                                      guint               index)
{
  g_return_val_if_fail (self->dataset != NULL && index < self->dataset->n_samples, NULL);
  return describe_sample (self, index);
}

const char *
vitrine_dataset_page_get_summary (VitrineDatasetPage *self)
{
  return gtk_label_get_text (self->summary);
}

const char *
vitrine_dataset_page_get_error (VitrineDatasetPage *self)
{
  return self->error;
}

VtPredictions *
vitrine_dataset_page_get_predictions (VitrineDatasetPage *self)
{
  return self->predictions;
}

const char *
vitrine_dataset_page_get_accuracy_text (VitrineDatasetPage *self)
{
  return self->predictions ? gtk_label_get_text (self->accuracy_label) : NULL;
}

VtFigure *
vitrine_dataset_page_get_confusion_figure (VitrineDatasetPage *self)
{
  return vitrine_figure_view_get_figure (self->confusion_view);
}

VitrineSampleView *
vitrine_dataset_page_get_sample_view (VitrineDatasetPage *self)
{
  return self->sample_view;
}

const char *
vitrine_dataset_page_get_view (VitrineDatasetPage *self)
{
  return gtk_stack_get_visible_child_name (self->view_stack);
}

GtkGridView *
vitrine_dataset_page_get_grid (VitrineDatasetPage *self)
{
  return self->grid;
}

/* The confusion matrix's export ----------------------------------------------------*/

static gboolean
no_confusion (GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Extract features with logits first: the confusion matrix comes from them"));
  return FALSE;
}

gboolean
vitrine_dataset_page_export_confusion (VitrineDatasetPage  *self,
                                       const char          *base_path,
                                       GError             **error)
{
  VtFigure *figure = vitrine_figure_view_get_figure (self->confusion_view);

  if (figure == NULL)
    return no_confusion (error);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMATS_ALL, error);
}

gboolean
vitrine_dataset_page_export_confusion_csv (VitrineDatasetPage  *self,
                                           const char          *path,
                                           GError             **error)
{
  g_autofree char *csv = NULL;

  if (self->confusion == NULL)
    return no_confusion (error);
  csv = vt_confusion_to_csv (self->confusion, (const char * const *) self->dataset->class_names);
  return vt_atomic_file_write (path, csv, strlen (csv), error);
}

static void
report_export (VitrineDatasetPage *self,
               gboolean            ok,
               GError             *error,
               const char         *path)
{
  g_autofree char *text = NULL;

  if (!ok)
    {
      gtk_label_set_text (self->export_status, error ? error->message : _("Only local files can be written"));
      gtk_widget_add_css_class (GTK_WIDGET (self->export_status), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->export_status), "error");
  /* Translators: %s is the file (or the files' name without extension) written */
  text = g_strdup_printf (_("Exported %s"), path);
  gtk_label_set_text (self->export_status, text);
}

static void
confusion_file_chosen (GFile    *file,
                       gpointer  page)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_dataset_page_export_confusion (page, base, &error);

  report_export (page, ok, error, base);
}

static void
confusion_csv_chosen (GFile    *file,
                      gpointer  page)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = path && vitrine_dataset_page_export_confusion_csv (page, path, &error);

  report_export (page, ok, error, path);
}

static void
export_confusion_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  if (g_str_equal (action_name, "dataset.export-confusion"))
    /* Translators: title of the save dialog; PNG, SVG and PDF are all written */
    vitrine_choose_save_file (widget, _("Export Confusion Matrix as PNG, SVG and PDF"), "confusion",
                              confusion_file_chosen, widget);
  else
    /* Translators: title of the save dialog */
    vitrine_choose_save_file (widget, _("Export Confusion Matrix as CSV"), "confusion.csv",
                              confusion_csv_chosen, widget);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VitrineDatasetPage *self = VITRINE_DATASET_PAGE (widget);

  if (g_str_equal (action_name, "dataset.show-confusion"))
    show_view (self, "confusion");
  else
    {
      show_view (self, "samples");
      gtk_widget_grab_focus (GTK_WIDGET (self->grid));
    }
}

/* Actions and drops ------------------------------------------------------------*/

static void
chosen (GFile    *file,
        gpointer  page)
{
  vitrine_dataset_page_open (page, file);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  vitrine_choose_folder (widget, _("Open Dataset Folder"), chosen, widget);
}

static void
open_file_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) datasets = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileFilter *filters[] = { datasets, all, NULL };

  gtk_file_filter_set_name (datasets, _("IDX files and sample lists"));
  gtk_file_filter_add_pattern (datasets, "*-idx3-ubyte*");
  gtk_file_filter_add_pattern (datasets, "*.csv");
  gtk_file_filter_add_pattern (datasets, "*.json");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  vitrine_choose_file (widget, _("Open Dataset File"), filters, chosen, widget);
}

static void
extract_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  vitrine_dataset_page_extract (VITRINE_DATASET_PAGE (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_dataset_page_cancel (VITRINE_DATASET_PAGE (widget));
}

static gboolean
on_drop (GtkDropTarget      *target,
         const GValue       *value,
         double              x,
         double              y,
         VitrineDatasetPage *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

  if (files == NULL)
    return FALSE;
  vitrine_dataset_page_open (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* GObject ------------------------------------------------------------------------*/

static void
vitrine_dataset_page_dispose (GObject *object)
{
  VitrineDatasetPage *self = VITRINE_DATASET_PAGE (object);
  GtkWidget *child;

  if (self->open_cancellable)
    g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  vitrine_dataset_page_cancel (self);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  g_clear_handle_id (&self->fit_columns_id, g_source_remove);
  if (self->grid)
    gtk_grid_view_set_model (self->grid, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_DATASET_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->samples);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  G_OBJECT_CLASS (vitrine_dataset_page_parent_class)->dispose (object);
}

static void
vitrine_dataset_page_finalize (GObject *object)
{
  VitrineDatasetPage *self = VITRINE_DATASET_PAGE (object);

  g_free (self->path);
  g_free (self->error);
  g_free (self->store_path);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->store, vt_feature_store_unref);
  g_clear_pointer (&self->predictions, vt_predictions_unref);
  g_clear_pointer (&self->confusion, vt_confusion_free);
  g_clear_object (&self->stores);
  G_OBJECT_CLASS (vitrine_dataset_page_parent_class)->finalize (object);
}

static void
vitrine_dataset_page_class_init (VitrineDatasetPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_dataset_page_dispose;
  object_class->finalize = vitrine_dataset_page_finalize;

  g_type_ensure (VITRINE_TYPE_SAMPLE_VIEW);
  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-dataset-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, summary);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, class_list);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, extract_button);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, store_status);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, skip_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, sample_view);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, predictions_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, predicted_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, outcome_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, order_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, confusion_view);
  gtk_widget_class_bind_template_child (widget_class, VitrineDatasetPage, export_status);
  gtk_widget_class_install_action (widget_class, "dataset.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "dataset.open-file", NULL, open_file_action);
  gtk_widget_class_install_action (widget_class, "dataset.extract", NULL, extract_action);
  gtk_widget_class_install_action (widget_class, "dataset.cancel", NULL, cancel_action);
  /* As in the other areas that run (the shortcuts window lists them). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "dataset.extract", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "dataset.cancel", NULL);
  /* Escape too, as in a dialog's progress; while nothing runs the action
   * is off and Escape goes on to whoever else takes it. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "dataset.cancel", NULL);
  gtk_widget_class_install_action (widget_class, "dataset.show-confusion", NULL, show_view_action);
  gtk_widget_class_install_action (widget_class, "dataset.show-samples", NULL, show_view_action);
  gtk_widget_class_install_action (widget_class, "dataset.export-confusion", NULL, export_confusion_action);
  gtk_widget_class_install_action (widget_class, "dataset.export-confusion-csv", NULL, export_confusion_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "datasetpage");

  /* A dataset (its folder or file) was read and is shown. */
  signals[SIGNAL_OPENED] = g_signal_new ("opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* "Open in Predict" in the sample view: the sample's image file. */
  signals[SIGNAL_OPEN_IN_PREDICT] = g_signal_new ("open-in-predict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vitrine_dataset_page_init (VitrineDatasetPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->stores = g_list_store_new (VITRINE_TYPE_STORE_ITEM);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), self);
  gtk_grid_view_set_factory (self->grid, factory);
  g_object_unref (factory);
  g_signal_connect (self->class_list, "row-selected", G_CALLBACK (on_class_selected), self);
  g_signal_connect_object (gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (self->grid)), "changed",
                           G_CALLBACK (on_grid_width_changed), self, 0);
  g_signal_connect (self->split_dropdown, "notify::selected", G_CALLBACK (on_split_changed), self);
  g_signal_connect (self->grid, "activate", G_CALLBACK (on_grid_activate), self);
  g_signal_connect (self->predicted_dropdown, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->outcome_dropdown, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->order_dropdown, "notify::selected", G_CALLBACK (on_filter_changed), self);
  g_signal_connect (self->sample_view, "close", G_CALLBACK (on_sample_view_close), self);
  g_signal_connect (self->sample_view, "open-in-predict", G_CALLBACK (on_sample_open_in_predict), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.show-confusion", FALSE);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  update_actions (self);
}
