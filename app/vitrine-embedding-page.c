/* vitrine-embedding-page.c: the Embedding area (see the header).
 *
 * A run is the `project` step as a VitrineRun: its events (progress, the
 * layout as it moves) come on the main loop through the run's "event"
 * signal; a run that Cancel or a newer run replaced is not the page's any
 * more, and what it sends is dropped. Its results folder gives the final
 * layout, as it does for a run reopened. The store's dataset opens in a
 * task of its own, for thumbnails and paths; without it the view still
 * works. */
#include "vitrine-embedding-page.h"
#include "vitrine-file-chooser.h"
#include "vitrine-scatter-view.h"
#include "vitrine-store-item.h"
#include "vitrine-thumbnails.h"
#include "vitrine-workspace-item.h"

#include <glib/gi18n.h>
#include <math.h>

#include "core/vt-atomic-file.h"
#include "figures/vt-figure-render.h"
#include "methods/projection/vt-embedding.h"
#include "methods/projection/vt-neighbors.h"
#include "report/vt-report.h"
#include "run/vt-step.h"

#define THUMBNAIL_SIZE 96
/* How many neighbours a click on a point lists, as the Projector's default. */
#define N_NEIGHBOURS 10

/* What made the selection: it says what the list beside the plot shows. */
typedef enum
{
  SELECTED_BY_LASSO,        /* or cleared: the samples in index order */
  SELECTED_BY_FIND,         /* the samples a search matched */
  SELECTED_AS_NEIGHBOURS,   /* a clicked point and its nearest, by distance */
} SelectedBy;

struct _VitrineEmbeddingPage
{
  GtkWidget           parent_instance;

  GtkDropDown        *store_dropdown;
  GtkDropDown        *method_dropdown;
  GtkDropDown        *color_dropdown;
  GtkDropDown        *dims_dropdown;      /* PCA: 2-D or 3-D */
  GtkWidget          *legend_scroller;    /* the legend's frame over the plot */
  GtkSpinButton      *perplexity_spin;
  GtkSpinButton      *iterations_spin;
  GtkSpinButton      *neighbors_spin;
  GtkSpinButton      *task_spin;
  GtkSpinButton      *samples_spin;
  GtkScale           *size_scale;
  GtkScale           *opacity_scale;
  GtkLabel           *status;
  GtkBox             *legend_box;
  VitrineScatterView *scatter;
  GtkWidget          *hover_card;
  GtkPicture         *hover_picture;
  GtkLabel           *hover_label;
  GtkLabel           *selection_label;
  GtkListView        *selection_view;
  GtkSearchEntry     *find_entry;

  GListStore         *stores;
  GListModel         *datasets;      /* the workspace's (VitrineWorkspaceItem), or NULL */
  GtkStringList      *selection_strings;
  GCancellable       *cancellable;        /* the export in flight */
  VitrineRun         *run;                /* the run shown: running, finished or reopened */
  GListStore         *runs;               /* the window's runs, where each run is listed */
  gboolean            running;            /* the run in flight is the page's (not cancelled) */
  char               *run_dir;            /* the shown run's results folder */
  JsonObject         *result;             /* its entry in results.json */
  VtFigure           *figure;             /* the engine's figure of its layout */
  VtFeatureStore     *store;              /* of the points shown */
  guint              *rows;               /* each point's row in the store */
  guint               n_points;
  guint               n_selected;         /* points in the lasso selection */
  SelectedBy          selected_by;        /* of the selection being set; back to lasso after */
  char               *find_text;          /* SELECTED_BY_FIND: what was searched */
  guint               neighbours_of;      /* SELECTED_AS_NEIGHBOURS: the clicked point */
  guint               neighbours[N_NEIGHBOURS];
  double              neighbour_distances[N_NEIGHBOURS];
  guint               n_neighbours;
  VtEmbedding        *embedding;          /* the finished run, as its results read */
  guint               n_layouts;
  char               *method_title;
  char               *error;
  gboolean            showing_run;        /* the fields are being set to a run's settings */

  GCancellable       *dataset_cancellable;
  VtDataset          *dataset;
  VitrineThumbnails  *thumbnails;
};

G_DEFINE_FINAL_TYPE (VitrineEmbeddingPage, vitrine_embedding_page, GTK_TYPE_WIDGET)

static void
set_status (VitrineEmbeddingPage *self,
            const char           *message,
            gboolean              is_error)
{
  gtk_label_set_text (self->status, message);
  if (is_error)
    {
      g_free (self->error);
      self->error = g_strdup (message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

static void
update_actions (VitrineEmbeddingPage *self)
{
  gboolean running = self->running || self->cancellable != NULL;
  gboolean have_stores = self->stores && g_list_model_get_n_items (G_LIST_MODEL (self->stores)) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.run", !running && have_stores);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.export", self->embedding != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "embedding.save-selection",
                                 self->embedding != NULL && self->n_selected > 0);
}

/* Stores ----------------------------------------------------------------------*/

void
vitrine_embedding_page_set_stores (VitrineEmbeddingPage *self,
                                   GListStore           *stores)
{
  g_set_object (&self->stores, stores);
  gtk_drop_down_set_model (self->store_dropdown, G_LIST_MODEL (stores));
  g_signal_connect_object (stores, "items-changed", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

void
vitrine_embedding_page_set_datasets (VitrineEmbeddingPage *self,
                                     GListModel           *datasets)
{
  g_set_object (&self->datasets, datasets);
}

gboolean
vitrine_embedding_page_add_store (VitrineEmbeddingPage *self,
                                  const char           *path,
                                  GError              **error)
{
  guint position;

  /* A store the workspace holds already is not read again. */
  if (vitrine_store_list_add_file (self->stores, path, &position, error) == NULL)
    return FALSE;
  gtk_drop_down_set_selected (self->store_dropdown, position);
  return TRUE;
}

static void
store_chosen (GFile *file, gpointer data)
{
  VitrineEmbeddingPage *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;

  if (path == NULL || !vitrine_embedding_page_add_store (self, path, &error))
    set_status (self, error ? error->message : _("Only local files can be opened"), TRUE);
}

static void
add_store_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_autoptr(GtkFileFilter) stores = gtk_file_filter_new ();
  GtkFileFilter *filters[] = { stores, NULL };

  gtk_file_filter_set_name (stores, _("Feature stores (safetensors)"));
  gtk_file_filter_add_pattern (stores, "*.safetensors");
  vitrine_choose_file (widget, _("Add a Feature Store"), filters, store_chosen, widget);
}

/* Colours ---------------------------------------------------------------------*/

/* The categories of the points shown under the chosen colouring (by class
 * where the store lacks the logits it needs). */
static guint *
current_categories (VitrineEmbeddingPage *self, guint *n_names, char ***names)
{
  VtEmbeddingColor color = gtk_drop_down_get_selected (self->color_dropdown);
  guint *categories = g_new (guint, MAX (self->n_points, 1));

  if (!vt_embedding_color_available (self->store, color))
    color = VT_EMBEDDING_COLOR_CLASS;
  *names = vt_embedding_categories (self->store, self->rows, self->n_points, color,
                                    gtk_spin_button_get_value_as_int (self->task_spin), categories, n_names);
  return categories;
}

/* Ordered bins (confidence) are coloured on a dark-to-light scale. */
static VtFigurePalette
current_palette (VitrineEmbeddingPage *self)
{
  VtEmbeddingColor color = gtk_drop_down_get_selected (self->color_dropdown);

  if (self->store == NULL || !vt_embedding_color_available (self->store, color))
    return VT_FIGURE_PALETTE_CATEGORICAL;
  return vt_embedding_color_is_ordered (color) ? VT_FIGURE_PALETTE_SEQUENTIAL : VT_FIGURE_PALETTE_CATEGORICAL;
}

/* The legend of a scale: a heading that says so, then one bar of touching
 * cells from the lowest bin to the highest, labelled at both ends. */
static void
append_color_bar (VitrineEmbeddingPage *self,
                  const char * const   *names,
                  guint                 n_names)
{
  g_autoptr(GString) bar = g_string_new (NULL);
  /* Translators: the heading of the legend of a sequential colour scale
   * (confidence), from the lowest bin to the highest */
  GtkWidget *heading = gtk_label_new (_("Colour scale, low to high"));
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_box_append (self->legend_box, heading);
  if (n_names > 0)
    {
      g_autofree char *low = g_markup_escape_text (names[0], -1);
      g_string_append_printf (bar, "%s ", low);
    }
  for (guint c = 0; c < n_names; c++)
    {
      VtRgba rgba;

      vitrine_scatter_view_get_category_color (self->scatter, c, &rgba);
      g_string_append_printf (bar, "<span foreground=\"#%02x%02x%02x\">█</span>", (int) (rgba.r * 255),
                              (int) (rgba.g * 255), (int) (rgba.b * 255));
    }
  if (n_names > 0)
    {
      g_autofree char *high = g_markup_escape_text (names[n_names - 1], -1);
      g_string_append_printf (bar, " %s", high);
    }
  gtk_label_set_markup (GTK_LABEL (label), bar->str);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (self->legend_box, label);
}

static void on_legend_pressed (GtkGestureClick *click, int n_press, double x, double y,
                               VitrineEmbeddingPage *self);

/* Colours the points shown, and writes the legend. */
static void
apply_colors (VitrineEmbeddingPage *self)
{
  GtkWidget *child;
  guint n_names = 0;
  g_auto(GStrv) names = NULL;
  g_autofree guint *categories = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->legend_box))) != NULL)
    gtk_box_remove (self->legend_box, child);
  gtk_widget_set_visible (self->legend_scroller, self->store != NULL);
  if (self->store == NULL)
    return;
  if (!vt_embedding_color_available (self->store, gtk_drop_down_get_selected (self->color_dropdown)))
    set_status (self, _("This store has no logits: extract it again with logits to colour by prediction"), TRUE);

  categories = current_categories (self, &n_names, &names);
  vitrine_scatter_view_set_palette (self->scatter, current_palette (self));
  if (vitrine_scatter_view_get_n_points (self->scatter) == self->n_points)
    vitrine_scatter_view_set_categories (self->scatter, categories, n_names);
  if (current_palette (self) == VT_FIGURE_PALETTE_SEQUENTIAL)
    {
      append_color_bar (self, (const char * const *) names, n_names);
      return;
    }
  for (guint c = 0; c < n_names && c < 24; c++)
    {
      VtRgba rgba;
      vt_figure_category_color (c, n_names, &rgba);
      g_autofree char *escaped = g_markup_escape_text (names[c], -1);
      g_autofree char *markup = g_strdup_printf ("<span foreground=\"#%02x%02x%02x\">●</span> %s",
                                                 (int) (rgba.r * 255), (int) (rgba.g * 255), (int) (rgba.b * 255),
                                                 escaped);
      GtkWidget *label = gtk_label_new (NULL);
      GtkGesture *click = gtk_gesture_click_new ();

      gtk_label_set_markup (GTK_LABEL (label), markup);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      /* Translators: tooltip of a class in the Embedding area's legend */
      gtk_widget_set_tooltip_text (label, _("Click to hide or show this class; double-click to show it alone"));
      /* Stored + 1: category 0 is not NULL. */
      g_object_set_data (G_OBJECT (label), "vitrine-category", GUINT_TO_POINTER (c + 1));
      g_signal_connect (click, "pressed", G_CALLBACK (on_legend_pressed), self);
      gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (click));
      gtk_box_append (self->legend_box, label);
    }
}

/* A legend row looks dimmed while its class is hidden. */
static void
update_legend_rows (VitrineEmbeddingPage *self)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->legend_box)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      guint category = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "vitrine-category"));

      if (category > 0)
        gtk_widget_set_opacity (row, vitrine_scatter_view_is_category_hidden (self->scatter, category - 1) ? 0.4 : 1.0);
    }
}

void
vitrine_embedding_page_toggle_class (VitrineEmbeddingPage *self,
                                     guint                 category)
{
  vitrine_scatter_view_set_category_hidden (self->scatter, category,
                                            !vitrine_scatter_view_is_category_hidden (self->scatter, category));
  update_legend_rows (self);
}

void
vitrine_embedding_page_isolate_class (VitrineEmbeddingPage *self,
                                      guint                 category)
{
  guint n_categories = vitrine_scatter_view_get_n_categories (self->scatter);
  g_autofree gboolean *hidden = g_new (gboolean, n_categories);

  /* One pass over the points, not one per class. */
  for (guint c = 0; c < n_categories; c++)
    hidden[c] = c != category;
  vitrine_scatter_view_set_hidden_categories (self->scatter, hidden, n_categories);
  update_legend_rows (self);
}

static void
on_legend_pressed (GtkGestureClick      *click,
                   int                   n_press,
                   double                x,
                   double                y,
                   VitrineEmbeddingPage *self)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (click));
  guint category = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "vitrine-category")) - 1;

  /* The first press of a double-click toggled the class: isolating it
   * shows it alone either way. */
  if (n_press == 2)
    vitrine_embedding_page_isolate_class (self, category);
  else if (n_press == 1)
    vitrine_embedding_page_toggle_class (self, category);
}

GtkWidget *
vitrine_embedding_page_get_legend_row (VitrineEmbeddingPage *self,
                                       guint                 i)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->legend_box));

  for (; child != NULL && i > 0; i--)
    child = gtk_widget_get_next_sibling (child);
  return child;
}

void
vitrine_embedding_page_set_color (VitrineEmbeddingPage *self,
                                  guint                 color)
{
  gtk_drop_down_set_selected (self->color_dropdown, color);
}

/* The dataset behind the store ------------------------------------------------*/

static void
open_dataset_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  VtFeatureStore *store = data;
  GError *error = NULL;
  VtDataset *dataset = vitrine_store_open_dataset (store->source, cancellable, &error);

  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, dataset, (GDestroyNotify) vt_dataset_unref);
}

static void
dataset_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  VitrineEmbeddingPage *self = VITRINE_EMBEDDING_PAGE (source);
  g_autoptr(GError) error = NULL;
  VtDataset *dataset = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->dataset_cancellable)
    {
      g_clear_pointer (&dataset, vt_dataset_unref);
      return;
    }
  g_clear_object (&self->dataset_cancellable);
  if (dataset == NULL)
    {
      g_message ("Embedding: no thumbnails: %s", error->message);
      return;
    }
  self->dataset = dataset;
  self->thumbnails = vitrine_thumbnails_new (dataset, THUMBNAIL_SIZE);
}

static void
open_dataset (VitrineEmbeddingPage *self)
{
  g_autoptr(GTask) task = NULL;

  g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  if (self->store->source == NULL || self->store->source->dataset == NULL)
    return;
  /* The Dataset area's, where it has read the same dataset and split. */
  if (self->datasets != NULL)
    {
      VtDataset *open = vitrine_workspace_find_dataset (self->datasets, self->store->source->dataset,
                                                        self->store->source->split,
                                                        self->store->source->dataset_samples);
      if (open != NULL)
        {
          self->dataset = vt_dataset_ref (open);
          self->thumbnails = vitrine_thumbnails_new (open, THUMBNAIL_SIZE);
          return;
        }
    }
  self->dataset_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->dataset_cancellable, dataset_opened, NULL);
  g_task_set_task_data (task, vt_feature_store_ref (self->store), (GDestroyNotify) vt_feature_store_unref);
  g_task_run_in_thread (task, open_dataset_thread);
}

/* Hover -----------------------------------------------------------------------*/

static void
on_hover (VitrineScatterView *scatter, int point, double x, double y, VitrineEmbeddingPage *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (scatter)), height = gtk_widget_get_height (GTK_WIDGET (scatter));

  if (self->thumbnails)
    vitrine_thumbnails_unbind (self->thumbnails, self->hover_picture);
  if (point < 0 || self->store == NULL || (guint) point >= self->n_points)
    {
      gtk_widget_set_visible (self->hover_card, FALSE);
      return;
    }

  guint row = self->rows[point];
  gint64 label = self->store->labels[row];
  const char *name = label >= 0 && (guint64) label < self->store->n_classes ? self->store->class_names[label] : "?";
  g_autoptr(GString) text = g_string_new (NULL);
  double confidence = 0;
  gint64 predicted = vt_feature_store_predict (self->store, row, &confidence);

  g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, self->store->indices[row]);
  /* Translators: the sample under the pointer: its index in the dataset and its class */
  g_string_append_printf (text, _("Sample %s: %s"), index, name);
  if (predicted >= 0)
    {
      const char *predicted_name = (guint64) predicted < self->store->n_classes
                                   ? self->store->class_names[predicted] : "?";
      g_string_append_c (text, '\n');
      /* Translators: the model's prediction for a sample and its probability */
      g_string_append_printf (text, _("predicted %s (%.0f%%)"), predicted_name, 100 * confidence);
    }
  gtk_label_set_text (self->hover_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->hover_picture), self->thumbnails != NULL);
  if (self->thumbnails)
    vitrine_thumbnails_bind (self->thumbnails, self->hover_picture, self->store->indices[row]);
  /* Beside the pointer, kept inside the view. */
  gtk_widget_set_margin_start (self->hover_card, (int) CLAMP (x + 16, 0, MAX (width - 180, 0)));
  gtk_widget_set_margin_top (self->hover_card, (int) CLAMP (y + 16, 0, MAX (height - 150, 0)));
  gtk_widget_set_visible (self->hover_card, TRUE);
}

const char *
vitrine_embedding_page_get_hover_text (VitrineEmbeddingPage *self)
{
  return gtk_widget_get_visible (self->hover_card) ? gtk_label_get_text (self->hover_label) : NULL;
}

/* Selection -------------------------------------------------------------------*/

/* The class name of point @point's sample. */
static const char *
point_class (VitrineEmbeddingPage *self,
             guint                 point)
{
  gint64 label = self->store->labels[self->rows[point]];

  return label >= 0 && (guint64) label < self->store->n_classes ? self->store->class_names[label] : "?";
}

static char *
point_line (VitrineEmbeddingPage *self,
            guint                 point)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "  %s", self->store->indices[self->rows[point]],
                          point_class (self, point));
}

/* The list beside the plot: the selected samples in index order, or a
 * clicked point and its neighbours nearest first with their distances. */
static void
on_selection_changed (VitrineScatterView *scatter, VitrineEmbeddingPage *self)
{
  g_autoptr(GArray) selection = vitrine_scatter_view_get_selection (scatter);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *count = NULL;
  SelectedBy by = self->store != NULL ? self->selected_by : SELECTED_BY_LASSO;

  self->selected_by = SELECTED_BY_LASSO;
  if (by == SELECTED_AS_NEIGHBOURS)
    {
      g_ptr_array_add (lines, point_line (self, self->neighbours_of));
      for (guint a = 0; a < self->n_neighbours; a++)
        {
          g_autofree char *line = point_line (self, self->neighbours[a]);

          /* Translators: a neighbour in the list: its sample and class, then its distance */
          g_ptr_array_add (lines, g_strdup_printf (_("%s  (distance %.4g)"), line, sqrt (self->neighbour_distances[a])));
        }
      g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                self->store->indices[self->rows[self->neighbours_of]]);

      /* Translators: %u: how many neighbours; %s: the clicked sample's index */
      count = g_strdup_printf (_("The %u nearest of sample %s in the feature space (Euclidean)"), self->n_neighbours,
                               index);
    }
  else
    {
      for (guint a = 0; a < selection->len && self->store != NULL; a++)
        g_ptr_array_add (lines, point_line (self, g_array_index (selection, guint, a)));
      if (by == SELECTED_BY_FIND)
        /* Translators: %u: how many samples; %s: the text searched for */
        count = g_strdup_printf (g_dngettext (NULL, "%'u sample matches “%s”", "%'u samples match “%s”", selection->len),
                                 selection->len, self->find_text);
      else if (selection->len == 0)
        count = g_strdup (_("Shift+drag around points to select them, or click one for its nearest neighbours"));
      else
        count = g_strdup_printf (g_dngettext (NULL, "%'u sample selected", "%'u samples selected", selection->len),
                                 selection->len);
    }
  g_ptr_array_add (lines, NULL);
  gtk_string_list_splice (self->selection_strings, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->selection_strings)),
                          (const char * const *) lines->pdata);
  gtk_label_set_text (self->selection_label, count);
  self->n_selected = selection->len;
  update_actions (self);
}

guint
vitrine_embedding_page_find (VitrineEmbeddingPage *self,
                             const char           *text)
{
  g_autofree char *wanted = g_utf8_casefold (text, -1);
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint));

  if (self->store == NULL)
    return 0;
  if (wanted[0] == '\0')
    {
      vitrine_scatter_view_clear_selection (self->scatter);
      return 0;
    }
  for (guint p = 0; p < self->n_points; p++)
    {
      g_autofree char *name = g_utf8_casefold (point_class (self, p), -1);
      const char *file = self->dataset ? vt_dataset_sample_file (self->dataset,
                                                                 (guint) self->store->indices[self->rows[p]]) : NULL;
      g_autofree char *base = file ? g_path_get_basename (file) : NULL;
      g_autofree char *base_folded = base ? g_utf8_casefold (base, -1) : NULL;

      if (strstr (name, wanted) != NULL || (base_folded != NULL && strstr (base_folded, wanted) != NULL))
        g_array_append_val (found, p);
    }
  g_free (self->find_text);
  self->find_text = g_strdup (text);
  self->selected_by = SELECTED_BY_FIND;
  vitrine_scatter_view_select_points (self->scatter, (const guint *) found->data, found->len);
  return found->len;
}

static void
on_find_changed (GtkSearchEntry *entry, VitrineEmbeddingPage *self)
{
  vitrine_embedding_page_find (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

guint
vitrine_embedding_page_show_neighbours (VitrineEmbeddingPage *self,
                                        guint                 point)
{
  g_autofree guint *selection = NULL;

  if (self->store == NULL || point >= self->n_points)
    return 0;
  self->n_neighbours = vt_neighbors_of_row (self->store->features, self->store->dim, self->rows, self->n_points,
                                            point, N_NEIGHBOURS, self->neighbours, self->neighbour_distances);
  self->neighbours_of = point;
  selection = g_new (guint, self->n_neighbours + 1);
  selection[0] = point;
  memcpy (selection + 1, self->neighbours, sizeof (guint) * self->n_neighbours);
  self->selected_by = SELECTED_AS_NEIGHBOURS;
  vitrine_scatter_view_select_points (self->scatter, selection, self->n_neighbours + 1);
  return self->n_neighbours;
}

static void
on_point_activated (VitrineScatterView *scatter, int point, VitrineEmbeddingPage *self)
{
  vitrine_embedding_page_show_neighbours (self, (guint) point);
}

GListModel *
vitrine_embedding_page_get_selection_list (VitrineEmbeddingPage *self)
{
  return G_LIST_MODEL (self->selection_strings);
}

gboolean
vitrine_embedding_page_save_selection (VitrineEmbeddingPage *self,
                                       const char           *path,
                                       GError              **error)
{
  g_autoptr(GArray) selection = vitrine_scatter_view_get_selection (self->scatter);

  g_return_val_if_fail (self->embedding != NULL, FALSE);
  return vt_embedding_write_selection (self->embedding, self->dataset, (const guint *) selection->data,
                                       selection->len, path, error);
}

static void
selection_file_chosen (GFile *file, gpointer data)
{
  VitrineEmbeddingPage *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;

  if (path == NULL || !vitrine_embedding_page_save_selection (self, path, &error))
    set_status (self, error ? error->message : _("Only local files can be written"), TRUE);
  else
    {
      g_autofree char *message = g_strdup_printf (g_dngettext (NULL, "Saved %'u sample to %s", "Saved %'u samples to %s",
                                                               self->n_selected), self->n_selected, path);
      set_status (self, message, FALSE);
    }
}

static void
save_selection_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  vitrine_choose_save_file (widget, _("Save the Selected Samples"), "selection.csv", selection_file_chosen, widget);
}

/* Export ----------------------------------------------------------------------*/

/* Export… writes the view as a figure (the run's figure, as the engine
 * built it from the results, with the colouring and the points the view
 * shows now) and the run's own tables, copied from its results folder:
 * the layout and TensorBoard's projector files are written once, by the
 * `project` step. What an export writes is owned by the export, so that it
 * can run in a worker while the page moves on. */
typedef struct
{
  VtFigure     *figure;
  char         *dir;
  char         *base;
  GPtrArray    *copies;    /* pairs: a file of the results folder, where it goes */
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  vt_figure_free (job->figure);
  g_ptr_array_unref (job->copies);
  g_free (job->dir);
  g_free (job->base);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExportJob, export_job_free)

/* The figure of the view, and the run's tables to copy. */
static ExportJob *
export_job_new (VitrineEmbeddingPage *self,
                const char           *dir)
{
  ExportJob *job = g_new0 (ExportJob, 1);
  static const char * const tables[][2] = {
    { "layout_table", "-layout.csv" },
    { "projector_tensors", "-tensors.tsv" },
    { "projector_metadata", "-metadata.tsv" },
  };
  double x_min, y_min, x_max, y_max;
  guint n_names = 0;
  g_auto(GStrv) names = NULL;
  g_autofree guint *categories = NULL;
  g_autofree float *visible = g_new (float, 2 * (gsize) MAX (self->n_points, 1));
  g_autofree guint *visible_categories = g_new (guint, MAX (self->n_points, 1));
  g_autofree guint *order = NULL;
  gboolean as_drawn = vitrine_scatter_view_get_n_points (self->scatter) == self->n_points;
  /* As drawn: in 3-D, under the rotation the view has now. */
  const float *points = as_drawn ? vitrine_scatter_view_get_positions (self->scatter) : self->figure->points;
  guint n_visible = 0;

  categories = current_categories (self, &n_names, &names);
  /* In 3-D far to near, so that nearer points cover farther ones as in the view. */
  if (as_drawn)
    order = vitrine_scatter_view_get_draw_order (self->scatter);
  else
    {
      order = g_new (guint, MAX (self->n_points, 1));
      for (guint i = 0; i < self->n_points; i++)
        order[i] = i;
    }
  /* The figure shows what the view shows: the points inside it. */
  vitrine_scatter_view_get_visible (self->scatter, &x_min, &y_min, &x_max, &y_max);
  for (guint a = 0; a < self->n_points; a++)
    {
      guint i = order[a];
      const float *p = points + 2 * (gsize) i;

      if (p[0] < x_min || p[0] > x_max || p[1] < y_min || p[1] > y_max)
        continue;
      visible[2 * n_visible] = p[0];
      visible[2 * n_visible + 1] = p[1];
      visible_categories[n_visible++] = categories[i];
    }
  job->figure = vt_figure_new_scatter (self->figure->title, self->figure->x_label, self->figure->y_label, n_visible,
                                       visible, visible_categories, n_names, (const char * const *) names);
  job->figure->palette = current_palette (self);
  job->dir = g_strdup (dir);
  job->base = g_build_filename (dir, vt_embedding_method_name (self->embedding->method), NULL);
  job->copies = g_ptr_array_new_with_free_func (g_free);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      const char *name = json_object_get_string_member_with_default (self->result, tables[t][0], NULL);

      if (name == NULL)
        continue;
      g_ptr_array_add (job->copies, g_build_filename (self->run_dir, name, NULL));
      g_ptr_array_add (job->copies, g_strconcat (job->base, tables[t][1], NULL));
    }
  return job;
}

/* Each format and file in turn, with Cancel looked at between them. */
static gboolean
export_job_write (ExportJob     *job,
                  GCancellable  *cancellable,
                  GError       **error)
{
  for (guint f = VT_FIGURE_FORMAT_PNG; f <= VT_FIGURE_FORMAT_PDF; f <<= 1)
    if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
        !vt_figure_export (job->figure, job->base, f, error))
      return FALSE;
  for (guint i = 0; i + 1 < job->copies->len; i += 2)
    {
      g_autofree char *contents = NULL;
      gsize length;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !g_file_get_contents (g_ptr_array_index (job->copies, i), &contents, &length, error) ||
          !vt_atomic_file_write (g_ptr_array_index (job->copies, i + 1), contents, length, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
vitrine_embedding_page_export (VitrineEmbeddingPage *self,
                               const char           *dir,
                               GError              **error)
{
  g_autoptr(ExportJob) job = NULL;

  g_return_val_if_fail (self->embedding != NULL, FALSE);
  job = export_job_new (self, dir);
  return export_job_write (job, NULL, error);
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (export_job_write (data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
export_finished (GObject *source, GAsyncResult *result, gpointer data)
{
  VitrineEmbeddingPage *self = VITRINE_EMBEDDING_PAGE (source);
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  /* Cancel (or a new run) already replaced this export's cancellable. */
  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  g_clear_object (&self->cancellable);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Translators: %s is a folder */
      g_autofree char *message = g_strdup_printf (_("Exported to %s"), job->dir);
      set_status (self, message, FALSE);
    }
  else
    set_status (self, error->message, TRUE);
  update_actions (self);
}

void
vitrine_embedding_page_start_export (VitrineEmbeddingPage *self,
                                     const char           *dir)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (self->embedding != NULL);
  /* The export is the page's work in flight: Cancel stops it, and Run
   * waits for it, as for a run. */
  vitrine_embedding_page_cancel (self);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, export_finished, NULL);
  g_task_set_task_data (task, export_job_new (self, dir), (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
  set_status (self, _("Exporting…"), FALSE);
  update_actions (self);
}

static void
export_chosen (GFile *file, gpointer data)
{
  VitrineEmbeddingPage *self = data;
  g_autofree char *path = g_file_get_path (file);

  if (path == NULL)
    set_status (self, _("Only local folders can be written"), TRUE);
  else
    vitrine_embedding_page_start_export (self, path);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  vitrine_choose_folder (widget, _("Export the View To"), export_chosen, widget);
}

/* Running ---------------------------------------------------------------------*/

/* A run is the batch mode's `project` step as a VitrineRun (listed in the
 * Runs panel). Its events move the points while t-SNE or UMAP optimizes;
 * at the end, and when a results folder reopens, the layout shown is the
 * one in the results folder, as the engine's figure of it reads it. */

/* Shows a layout of the run's points (the first one sets them up). */
static void
show_layout (VitrineEmbeddingPage *self, const float *layout, guint dims)
{
  if (vitrine_scatter_view_get_n_points (self->scatter) != self->n_points || self->n_layouts == 0 ||
      vitrine_scatter_view_get_dims (self->scatter) != dims)
    {
      guint n_names = 0;
      g_auto(GStrv) names = NULL;
      g_autofree guint *categories = current_categories (self, &n_names, &names);

      if (dims == 3)
        vitrine_scatter_view_set_points_3d (self->scatter, layout, self->n_points, categories, n_names);
      else
        vitrine_scatter_view_set_points (self->scatter, layout, self->n_points, categories, n_names);
    }
  else
    vitrine_scatter_view_update_positions (self->scatter, layout);
  self->n_layouts++;
}

/* Main thread: the run's progress, and its layouts as they move. */
static void
on_run_event (VitrineRun           *run,
              const VtEvent        *event,
              VitrineEmbeddingPage *self)
{
  if (run != self->run || !self->running)
    return;
  if (event->kind == VT_EVENT_PROGRESS && event->message != NULL)
    set_status (self, event->message, FALSE);
  else if (event->kind == VT_EVENT_TENSOR && g_strcmp0 (event->name, "layout") == 0 && event->n_dims == 2 &&
           event->shape[0] == self->n_points && event->shape[1] == 2)
    {
      g_autofree char *text = g_strdup_printf (_("%s: iteration %u of %u"), self->method_title, (guint) event->x,
                                               (guint) event->y);
      show_layout (self, event->data, 2);
      set_status (self, text, FALSE);
    }
}

/* The project step of @run's spec (the spec's own, parsed), or NULL. */
static VtSpec *
run_spec (VitrineRun     *run,
          VtProjectStep **step,
          GError        **error)
{
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (vitrine_run_get_spec (run), "/", error);

  *step = NULL;
  if (spec == NULL)
    return NULL;
  for (guint i = 0; i < spec->steps->len; i++)
    if (((VtStep *) g_ptr_array_index (spec->steps, i))->type == &vt_project_step_type)
      *step = g_ptr_array_index (spec->steps, i);
  if (*step == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, "%s: the run's spec has no project step",
                   vitrine_run_get_results_dir (run));
      return NULL;
    }
  return g_steal_pointer (&spec);
}

static const char *
method_title (VtEmbeddingMethod method)
{
  return method == VT_EMBEDDING_PCA ? _("PCA") : method == VT_EMBEDDING_UMAP ? _("UMAP") : _("t-SNE");
}

/* The points a run of @step lays out of @store, shown before its first layout. */
static void
begin_points (VitrineEmbeddingPage *self,
              VtFeatureStore       *store,
              const VtProjectStep  *step)
{
  g_free (self->method_title);
  self->method_title = g_strdup (method_title (step->options.method));
  g_clear_pointer (&self->store, vt_feature_store_unref);
  g_clear_pointer (&self->embedding, vt_embedding_free);
  g_clear_pointer (&self->figure, vt_figure_free);
  g_clear_pointer (&self->result, json_object_unref);
  g_free (self->rows);
  self->store = vt_feature_store_ref (store);
  self->rows = vt_embedding_sample_rows (store->n_samples, step->options.max_samples, &self->n_points);
  self->n_layouts = 0;
  /* Big points for few samples, small ones where they would cover each other. */
  gtk_range_set_value (GTK_RANGE (self->size_scale), self->n_points <= 2000 ? 8 : self->n_points <= 20000 ? 5 : 3);
  apply_colors (self);
  open_dataset (self);
}

/* The project step's entry in @run's results.json (which *@root holds). */
static JsonObject *
project_result (VitrineRun  *run,
                JsonNode   **root,
                GError     **error)
{
  JsonObject *result;

  if (!(*root = vitrine_run_load_step_result (run, "project", error)))
    return NULL;
  result = json_node_get_object (*root);
  if (json_object_get_string_member_with_default (result, "store", NULL) == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: no step of it is a projection of a store", vitrine_run_get_results_dir (run));
      return NULL;
    }
  return result;
}

/* The layout of a finished run, from its results folder: the engine's
 * figure of it holds every point, and results.json the rest. */
static gboolean
show_results (VitrineEmbeddingPage  *self,
              VitrineRun            *run,
              const VtProjectStep   *step,
              JsonObject            *result,
              GError               **error)
{
  g_autoptr(GPtrArray) figures = NULL;
  g_autofree char *text = NULL;
  const VtFigure *figure;
  VtEmbedding *embedding;

  figures = vt_report_step_figures ("project", result, vitrine_run_get_results_dir (run), error);
  if (figures == NULL)
    return FALSE;
  figure = figures->len > 0 ? ((VtReportFigure *) g_ptr_array_index (figures, 0))->figure : NULL;
  if (figure == NULL || figure->kind != VT_FIGURE_SCATTER || figure->n_points != self->n_points)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s: the layout has %u points, the store's sample gives %u: the store changed since the run",
                   vitrine_run_get_results_dir (run), figure ? figure->n_points : 0, self->n_points);
      return FALSE;
    }
  g_free (self->run_dir);
  self->run_dir = g_strdup (vitrine_run_get_results_dir (run));
  self->result = json_object_ref (result);
  self->figure = g_steal_pointer (&((VtReportFigure *) g_ptr_array_index (figures, 0))->figure);

  embedding = g_new0 (VtEmbedding, 1);
  embedding->store = vt_feature_store_ref (self->store);
  embedding->n = self->n_points;
  embedding->rows = g_memdup2 (self->rows, sizeof (guint) * self->n_points);
  embedding->dims = json_object_get_int_member_with_default (result, "dimensions", 2) == 3 ? 3 : 2;
  if (embedding->dims == 3)
    {
      /* The figure holds x and y; the third column is in the layout table. */
      g_autofree char *table = g_build_filename (self->run_dir, json_object_get_string_member_with_default (
                                                   result, "layout_table", ""), NULL);
      guint n = 0;

      embedding->layout = vt_embedding_read_layout (table, 3, &n, error);
      if (embedding->layout != NULL && n != self->n_points)
        {
          g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, "%s: %u rows for the %u points of the run",
                       table, n, self->n_points);
          g_clear_pointer (&embedding->layout, g_free);
        }
      if (embedding->layout == NULL)
        {
          vt_embedding_free (embedding);
          return FALSE;
        }
    }
  else
    embedding->layout = g_memdup2 (self->figure->points, sizeof (float) * 2 * self->n_points);
  embedding->method = step->options.method;
  embedding->seconds = json_object_get_double_member_with_default (result, "seconds", 0);
  embedding->iterations = json_object_get_int_member_with_default (result, step->options.method == VT_EMBEDDING_UMAP
                                                                            ? "epochs" : "iterations", 0);
  embedding->kl_divergence = json_object_get_double_member_with_default (result, "kl_divergence", NAN);
  if (json_object_has_member (result, "explained_variance_ratio"))
    {
      JsonArray *ratio = json_object_get_array_member (result, "explained_variance_ratio");

      for (guint c = 0; c < MIN (3, json_array_get_length (ratio)); c++)
        embedding->explained_variance_ratio[c] = json_array_get_double_element (ratio, c);
    }
  g_clear_pointer (&self->embedding, vt_embedding_free);
  self->embedding = embedding;
  show_layout (self, embedding->layout, embedding->dims);

  if (embedding->method == VT_EMBEDDING_PCA && embedding->dims == 3)
    /* Translators: 3-D PCA's summary; the numbers are the three components' shares of the variance */
    text = g_strdup_printf (_("PCA of %'u samples in %.2f s; the axes explain %.1f%%, %.1f%% and %.1f%% of the variance. Drag to turn it"),
                            embedding->n, embedding->seconds, 100 * embedding->explained_variance_ratio[0],
                            100 * embedding->explained_variance_ratio[1], 100 * embedding->explained_variance_ratio[2]);
  else if (embedding->method == VT_EMBEDDING_PCA)
    /* Translators: PCA's summary; the numbers are the two components' shares of the variance */
    text = g_strdup_printf (_("PCA of %'u samples in %.2f s; the axes explain %.1f%% and %.1f%% of the variance"),
                            embedding->n, embedding->seconds, 100 * embedding->explained_variance_ratio[0],
                            100 * embedding->explained_variance_ratio[1]);
  else if (embedding->method == VT_EMBEDDING_UMAP)
    text = g_strdup_printf (_("UMAP of %'u samples in %.1f s: %'u epochs"), embedding->n, embedding->seconds,
                            embedding->iterations);
  else
    text = g_strdup_printf (_("t-SNE of %'u samples in %.1f s: %'u iterations, KL divergence %.3f"), embedding->n,
                            embedding->seconds, embedding->iterations, embedding->kl_divergence);
  set_status (self, text, FALSE);
  update_actions (self);
  return TRUE;
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineEmbeddingPage) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *entry;
  VtProjectStep *step;

  /* Cancel, another run or Open Results took the page over meanwhile. */
  if (run != self->run || !self->running)
    {
      vitrine_run_start_finish (run, result, NULL);
      return;
    }
  self->running = FALSE;
  if (!vitrine_run_start_finish (run, result, &error) ||
      !(spec = run_spec (run, &step, &error)) ||
      !(entry = project_result (run, &root, &error)) ||
      !show_results (self, run, step, entry, &error))
    set_status (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? _("Cancelled") : error->message,
                !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  update_actions (self);
}

void
vitrine_embedding_page_configure (VitrineEmbeddingPage   *self,
                                  VitrineEmbeddingMethod  method,
                                  double                  perplexity,
                                  guint                   max_samples)
{
  gtk_drop_down_set_selected (self->method_dropdown, method);
  gtk_spin_button_set_value (self->perplexity_spin, perplexity);
  gtk_spin_button_set_value (self->samples_spin, max_samples);
}

void
vitrine_embedding_page_run (VitrineEmbeddingPage *self)
{
  gpointer item = gtk_drop_down_get_selected_item (self->store_dropdown);
  g_autoptr(VtSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *json = NULL;
  VtEmbeddingMethod method;
  VtEmbeddingColor color;
  VtFeatureStore *store;
  VtProjectStep *step;

  g_clear_pointer (&self->error, g_free);
  if (item == NULL)
    {
      set_status (self, _("Extract features in the Dataset area, or add a feature store"), TRUE);
      return;
    }
  /* The workspace's store, read once when it was added. */
  if (!(store = vitrine_store_item_get_store (item)))
    {
      g_autofree char *message = g_strdup_printf (_("%s: the feature store is missing"),
                                                  vitrine_store_item_get_path (item));
      set_status (self, message, TRUE);
      return;
    }
  vitrine_embedding_page_cancel (self);

  switch (gtk_drop_down_get_selected (self->method_dropdown))
    {
    case VITRINE_EMBEDDING_PCA:
      method = VT_EMBEDDING_PCA;
      break;
    case VITRINE_EMBEDDING_UMAP:
      method = VT_EMBEDDING_UMAP;
      break;
    default:
      method = VT_EMBEDDING_TSNE;
    }
  gtk_spin_button_set_value (self->task_spin, vt_embedding_default_task_classes (store->n_classes));
  color = gtk_drop_down_get_selected (self->color_dropdown);
  /* The spec `vitrine --batch` runs to the same layout and figure. */
  store_path = g_canonicalize_filename (vitrine_store_item_get_path (item), NULL);
  step = vt_project_step_new (NULL, store_path, method);
  step->options.dims = method == VT_EMBEDDING_PCA && gtk_drop_down_get_selected (self->dims_dropdown) == 1 ? 3 : 2;
  step->options.umap.n_neighbors = gtk_spin_button_get_value_as_int (self->neighbors_spin);
  step->options.max_samples = gtk_spin_button_get_value_as_int (self->samples_spin);
  step->options.tsne.perplexity = gtk_spin_button_get_value (self->perplexity_spin);
  step->options.tsne.n_iterations = gtk_spin_button_get_value_as_int (self->iterations_spin);
  /* About 25 frames a second of movement is plenty; small runs iterate faster. */
  step->layout_every = method == VT_EMBEDDING_TSNE ? (store->n_samples > 20000 ? 2 : 10)
                       : method == VT_EMBEDDING_UMAP ? (store->n_samples > 20000 ? 1 : 5) : 0;
  step->color = vt_embedding_color_available (store, color) ? color : VT_EMBEDDING_COLOR_CLASS;
  step->task_classes = gtk_spin_button_get_value_as_int (self->task_spin);
  /* Translators: a run's name in the Runs panel: a projection (t-SNE, UMAP, PCA), then a feature store */
  name = g_strdup_printf (_("%s of %s"), method_title (method), vitrine_store_item_get_label (item));
  spec = vt_spec_new (name, NULL);
  begin_points (self, store, step);
  if (!vt_spec_add_step (spec, &step->base, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  json = vt_spec_to_data (spec);
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("embedding", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  self->running = TRUE;
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
  set_status (self, _("Starting…"), FALSE);
  update_actions (self);
}

void
vitrine_embedding_page_cancel (VitrineEmbeddingPage *self)
{
  if (!self->running && self->cancellable == NULL)
    return;
  if (self->running)
    vitrine_run_cancel (self->run);
  self->running = FALSE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_status (self, _("Cancelled"), FALSE);
  update_actions (self);
}

void
vitrine_embedding_page_set_runs (VitrineEmbeddingPage *self,
                                 GListStore           *runs)
{
  g_set_object (&self->runs, runs);
}

VitrineRun *
vitrine_embedding_page_get_run (VitrineEmbeddingPage *self)
{
  return self->run;
}

gboolean
vitrine_embedding_page_show_run (VitrineEmbeddingPage  *self,
                                 VitrineRun            *run,
                                 GError               **error)
{
  g_autoptr(VtSpec) spec = NULL;
  g_autoptr(JsonNode) root = NULL;
  VtProjectStep *step;
  VitrineStoreItem *item;
  JsonObject *result;
  const char *store_path;
  guint position;

  if (!(spec = run_spec (run, &step, error)) || !(result = project_result (run, &root, error)))
    return FALSE;
  /* The store the run laid out (as the run resolved its path): the
   * workspace's where it holds it. */
  store_path = json_object_get_string_member (result, "store");
  if (!(item = vitrine_store_list_add_file (self->stores, store_path, &position, error)))
    return FALSE;
  if (vitrine_store_item_get_store (item) == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, _("%s: the feature store is missing"),
                   store_path);
      return FALSE;
    }
  vitrine_embedding_page_cancel (self);
  gtk_drop_down_set_selected (self->store_dropdown, position);
  g_clear_pointer (&self->error, g_free);
  /* The view coloured as the run's figure is, in its dimensions. */
  gtk_drop_down_set_selected (self->color_dropdown, step->color);
  self->showing_run = TRUE;
  gtk_drop_down_set_selected (self->dims_dropdown, step->options.dims == 3 ? 1 : 0);
  self->showing_run = FALSE;
  gtk_spin_button_set_value (self->task_spin, step->task_classes > 0 ? step->task_classes
                             : vt_embedding_default_task_classes (vitrine_store_item_get_store (item)->n_classes));
  g_set_object (&self->run, run);
  begin_points (self, vitrine_store_item_get_store (item), step);
  if (!show_results (self, run, step, result, error))
    {
      update_actions (self);
      return FALSE;
    }
  return TRUE;
}

static void
run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  vitrine_embedding_page_run (VITRINE_EMBEDDING_PAGE (widget));
}

static void
cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  vitrine_embedding_page_cancel (VITRINE_EMBEDDING_PAGE (widget));
}

/* Accessors -------------------------------------------------------------------*/

gboolean
vitrine_embedding_page_is_running (VitrineEmbeddingPage *self)
{
  return self->running || self->cancellable != NULL;
}

guint
vitrine_embedding_page_get_n_layouts (VitrineEmbeddingPage *self)
{
  return self->n_layouts;
}

const float *
vitrine_embedding_page_get_layout (VitrineEmbeddingPage *self,
                                   guint                *n_points)
{
  *n_points = self->embedding ? self->embedding->n : 0;
  return self->embedding ? self->embedding->layout : NULL;
}

gboolean
vitrine_embedding_page_has_dataset (VitrineEmbeddingPage *self)
{
  return self->dataset != NULL;
}

VtDataset *
vitrine_embedding_page_get_dataset (VitrineEmbeddingPage *self)
{
  return self->dataset;
}

GtkWidget *
vitrine_embedding_page_get_scatter (VitrineEmbeddingPage *self)
{
  return GTK_WIDGET (self->scatter);
}

const char *
vitrine_embedding_page_get_status (VitrineEmbeddingPage *self)
{
  return gtk_label_get_text (self->status);
}

const char *
vitrine_embedding_page_get_error (VitrineEmbeddingPage *self)
{
  return self->error;
}

/* GObject ---------------------------------------------------------------------*/

/* Only the chosen projection's parameters can be set. */
static void
on_method_changed (VitrineEmbeddingPage *self)
{
  guint method = gtk_drop_down_get_selected (self->method_dropdown);

  gtk_widget_set_sensitive (GTK_WIDGET (self->perplexity_spin), method == VITRINE_EMBEDDING_TSNE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->iterations_spin), method == VITRINE_EMBEDDING_TSNE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->neighbors_spin), method == VITRINE_EMBEDDING_UMAP);
  /* t-SNE and UMAP lay out in 2-D only. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->dims_dropdown), method == VITRINE_EMBEDDING_PCA);
}

/* The 2-D/3-D switch acts at once on a PCA shown (PCA takes a moment): it
 * runs PCA again in the other dimensions, as the Projector switches. */
static void
on_dims_changed (VitrineEmbeddingPage *self)
{
  if (self->showing_run || self->running || self->cancellable != NULL || self->embedding == NULL ||
      self->embedding->method != VT_EMBEDDING_PCA ||
      gtk_drop_down_get_selected (self->method_dropdown) != VITRINE_EMBEDDING_PCA)
    return;
  vitrine_embedding_page_run (self);
}

void
vitrine_embedding_page_set_dimensions (VitrineEmbeddingPage *self,
                                       guint                 dims)
{
  g_return_if_fail (dims == 2 || dims == 3);
  gtk_drop_down_set_selected (self->dims_dropdown, dims == 3 ? 1 : 0);
}

static void
on_point_size (GtkRange *range, VitrineEmbeddingPage *self)
{
  vitrine_scatter_view_set_point_size (self->scatter, gtk_range_get_value (range));
}

static void
on_opacity (GtkRange *range, VitrineEmbeddingPage *self)
{
  vitrine_scatter_view_set_opacity (self->scatter, gtk_range_get_value (range));
}

static void
vitrine_embedding_page_dispose (GObject *object)
{
  VitrineEmbeddingPage *self = VITRINE_EMBEDDING_PAGE (object);
  GtkWidget *child;

  vitrine_embedding_page_cancel (self);
  g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  if (self->thumbnails && self->hover_picture)
    vitrine_thumbnails_unbind (self->thumbnails, self->hover_picture);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_EMBEDDING_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  g_clear_object (&self->stores);
  g_clear_object (&self->datasets);
  g_clear_object (&self->selection_strings);
  G_OBJECT_CLASS (vitrine_embedding_page_parent_class)->dispose (object);
}

static void
vitrine_embedding_page_finalize (GObject *object)
{
  VitrineEmbeddingPage *self = VITRINE_EMBEDDING_PAGE (object);

  g_clear_pointer (&self->store, vt_feature_store_unref);
  g_clear_pointer (&self->embedding, vt_embedding_free);
  g_clear_pointer (&self->figure, vt_figure_free);
  g_clear_pointer (&self->result, json_object_unref);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  g_free (self->run_dir);
  g_free (self->rows);
  g_free (self->method_title);
  g_free (self->error);
  g_free (self->find_text);
  G_OBJECT_CLASS (vitrine_embedding_page_parent_class)->finalize (object);
}

static void
vitrine_embedding_page_class_init (VitrineEmbeddingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_embedding_page_dispose;
  object_class->finalize = vitrine_embedding_page_finalize;

  g_type_ensure (VITRINE_TYPE_SCATTER_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-embedding-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, store_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, method_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, color_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, dims_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, legend_scroller);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, perplexity_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, iterations_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, neighbors_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, task_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, samples_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, size_scale);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, legend_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, scatter);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, hover_card);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, hover_picture);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, hover_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, selection_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, find_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrineEmbeddingPage, selection_view);
  gtk_widget_class_install_action (widget_class, "embedding.add-store", NULL, add_store_action);
  gtk_widget_class_install_action (widget_class, "embedding.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "embedding.cancel", NULL, cancel_action);
  /* As in the other areas that run (the shortcuts window lists them). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "embedding.run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "embedding.cancel", NULL);
  gtk_widget_class_install_action (widget_class, "embedding.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "embedding.save-selection", NULL, save_selection_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "embeddingpage");
}

static void
vitrine_embedding_page_init (VitrineEmbeddingPage *self)
{
  g_autoptr(GtkExpression) label = gtk_property_expression_new (VITRINE_TYPE_STORE_ITEM, NULL, "label");
  g_autoptr(GListStore) stores = g_list_store_new (VITRINE_TYPE_STORE_ITEM);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drop_down_set_expression (self->store_dropdown, label);
  self->selection_strings = gtk_string_list_new (NULL);
  gtk_list_view_set_model (self->selection_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->selection_strings)))));
  g_signal_connect (self->scatter, "hover-changed", G_CALLBACK (on_hover), self);
  g_signal_connect (self->scatter, "selection-changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect (self->scatter, "point-activated", G_CALLBACK (on_point_activated), self);
  g_signal_connect (self->find_entry, "search-changed", G_CALLBACK (on_find_changed), self);
  g_signal_connect_swapped (self->color_dropdown, "notify::selected", G_CALLBACK (apply_colors), self);
  g_signal_connect_swapped (self->task_spin, "value-changed", G_CALLBACK (apply_colors), self);
  g_signal_connect_swapped (self->method_dropdown, "notify::selected", G_CALLBACK (on_method_changed), self);
  g_signal_connect_swapped (self->dims_dropdown, "notify::selected", G_CALLBACK (on_dims_changed), self);
  g_signal_connect (self->size_scale, "value-changed", G_CALLBACK (on_point_size), self);
  g_signal_connect (self->opacity_scale, "value-changed", G_CALLBACK (on_opacity), self);
  on_selection_changed (self->scatter, self);
  vitrine_embedding_page_set_stores (self, stores);
}
