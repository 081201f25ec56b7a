/* vitrine-incremental-page.c: class-incremental runs in the window.
 *
 * Run builds the same spec a user would write for --batch and starts it as a
 * VitrineRun (listed in the Runs panel), whose folder is under
 * ~/.local/share/vitrine/runs/. Its metric events grow the chart; the
 * tables come from its results.json, and a results folder reopened (Open
 * Results) draws all of it from that file. Events of a run the page no
 * longer shows are dropped. */
#include "vitrine-incremental-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-status.h"
#include "vitrine-file-chooser.h"
#include "vitrine-store-item.h"

#include <glib/gi18n.h>
#include <math.h>

#include "core/vt-json.h"
#include "figures/vt-figure-render.h"
#include "io/vt-checkpoint.h"
#include "methods/cil/vt-cil-protocol.h"
#include "report/vt-report.h"
#include "run/vt-run.h"

struct _VitrineIncrementalPage
{
  GtkWidget           parent_instance;

  GtkDropDown        *train_dropdown;
  GtkDropDown        *test_dropdown;
  GtkWidget          *store_warning;
  GtkDropDown        *order_dropdown;
  GtkDropDown        *details_dropdown;
  GtkStringList      *details_methods;
  GtkEditable        *split_entry;
  GtkWidget          *methods_box;
  GtkSpinButton      *ranpac_spin;
  GtkLabel           *status;
  GtkGrid            *summary_grid;
  VitrineFigureView  *chart;
  VitrineFigureView  *matrix;
  VitrineFigureView  *confusion;
  VitrineFigureView  *per_class;

  GListStore         *stores;
  gboolean            choosing;      /* the page itself is setting the drop-downs */
  gboolean            train_chosen;  /* the user picked these: defaults leave them be */
  gboolean            test_chosen;
  GtkCheckButton     *method_checks[8];
  guint               n_method_checks;
  GListStore         *runs;          /* the window's, where each run is listed */
  VitrineRun         *run;           /* the run shown: running, finished or reopened */
  char               *run_dir;
  char               *error;
  guint               n_points;
  guint               n_stages;
  double             *matrices;      /* (methods, stages, stages) as the metric events fill them */
  char              **stage_labels;  /* "2", "4", …: classes seen */
  char              **stage_numbers; /* "1", "2", … */
  JsonNode           *results;       /* the finished run's step result */
};

G_DEFINE_FINAL_TYPE (VitrineIncrementalPage, vitrine_incremental_page, GTK_TYPE_WIDGET)

static void
update_actions (VitrineIncrementalPage *self)
{
  gboolean running = vitrine_incremental_page_is_running (self);
  gboolean have_stores = self->stores && g_list_model_get_n_items (G_LIST_MODEL (self->stores)) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "incremental.run", !running && have_stores);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "incremental.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "incremental.export", !running && self->results != NULL);
}

/* Stores --------------------------------------------------------------------*/

static void
update_store_warning (VitrineIncrementalPage *self)
{
  guint train = gtk_drop_down_get_selected (self->train_dropdown);

  gtk_widget_set_visible (self->store_warning,
                          train != GTK_INVALID_LIST_POSITION && train == gtk_drop_down_get_selected (self->test_dropdown));
}

/* What the user did not choose follows the stores there are: training on
 * the newest training split, testing on the test split of the same
 * dataset through the same model, else on another store; the training
 * store itself only when there is no other, and then with a warning. */
static void
choose_default_stores (VitrineIncrementalPage *self)
{
  GListModel *stores = G_LIST_MODEL (self->stores);
  guint n = g_list_model_get_n_items (stores), train, test = GTK_INVALID_LIST_POSITION;
  g_autoptr(VitrineStoreItem) train_item = NULL;

  if (n == 0)
    return;
  self->choosing = TRUE;
  if (!self->train_chosen)
    {
      /* Stores that do not say their split: keep what is selected. */
      train = gtk_drop_down_get_selected (self->train_dropdown);
      if (train == GTK_INVALID_LIST_POSITION)
        train = 0;
      for (guint i = n; i-- > 0;)
        {
          g_autoptr(VitrineStoreItem) item = g_list_model_get_item (stores, i);
          if (g_strcmp0 (vitrine_store_item_get_split (item), "train") == 0)
            {
              train = i;
              break;
            }
        }
      gtk_drop_down_set_selected (self->train_dropdown, train);
    }
  train = gtk_drop_down_get_selected (self->train_dropdown);
  if (!self->test_chosen && train != GTK_INVALID_LIST_POSITION)
    {
      train_item = g_list_model_get_item (stores, train);
      for (guint i = n; i-- > 0 && test == GTK_INVALID_LIST_POSITION;)
        {
          g_autoptr(VitrineStoreItem) item = g_list_model_get_item (stores, i);
          if (vitrine_store_item_is_test_of (item, train_item))
            test = i;
        }
      for (guint i = n; i-- > 0 && test == GTK_INVALID_LIST_POSITION;)
        if (i != train)
          test = i;
      gtk_drop_down_set_selected (self->test_dropdown, test != GTK_INVALID_LIST_POSITION ? test : train);
    }
  self->choosing = FALSE;
  update_store_warning (self);
}

static void
on_stores_changed (VitrineIncrementalPage *self)
{
  choose_default_stores (self);
  self->choosing = FALSE;
  update_actions (self);
}

static void
on_train_selected (VitrineIncrementalPage *self)
{
  if (self->choosing)
    return;
  self->train_chosen = TRUE;
  /* A test store the user did not pick follows the training one. */
  choose_default_stores (self);
}

static void
on_test_selected (VitrineIncrementalPage *self)
{
  if (self->choosing)
    return;
  self->test_chosen = TRUE;
  update_store_warning (self);
}

/* The drop-downs move their selection themselves when items come and go;
 * that is no choice of the user's. This runs before their handlers, and
 * on_stores_changed after them. */
static void
on_stores_changing (VitrineIncrementalPage *self)
{
  self->choosing = TRUE;
}

void
vitrine_incremental_page_set_stores (VitrineIncrementalPage *self,
                                     GListStore             *stores)
{
  if (self->stores != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->stores, on_stores_changing, self);
      g_signal_handlers_disconnect_by_func (self->stores, on_stores_changed, self);
    }
  g_set_object (&self->stores, stores);
  g_signal_connect_object (stores, "items-changed", G_CALLBACK (on_stores_changing), self, G_CONNECT_SWAPPED);
  self->choosing = TRUE;
  gtk_drop_down_set_model (self->train_dropdown, G_LIST_MODEL (stores));
  gtk_drop_down_set_model (self->test_dropdown, G_LIST_MODEL (stores));
  self->train_chosen = self->test_chosen = FALSE;
  g_signal_connect_object (stores, "items-changed", G_CALLBACK (on_stores_changed), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  on_stores_changed (self);
}

gboolean
vitrine_incremental_page_shows_store_warning (VitrineIncrementalPage *self)
{
  return gtk_widget_get_visible (self->store_warning);
}


gboolean
vitrine_incremental_page_add_store (VitrineIncrementalPage *self,
                                    const char             *path,
                                    gboolean                as_test,
                                    GError                **error)
{
  guint position;

  /* A store the workspace holds already is not read again. */
  if (vitrine_store_list_add_file (self->stores, path, &position, error) == NULL)
    return FALSE;
  /* A store added by hand is the user's choice for its list. */
  gtk_drop_down_set_selected (as_test ? self->test_dropdown : self->train_dropdown, position);
  if (as_test)
    self->test_chosen = TRUE;
  else
    self->train_chosen = TRUE;
  update_store_warning (self);
  return TRUE;
}

static void
store_chosen (GFile    *file,
              gpointer  data)
{
  VitrineIncrementalPage *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  /* The first store goes to training, the next to test. */
  gboolean as_test = g_list_model_get_n_items (G_LIST_MODEL (self->stores)) % 2 == 1;

  if (path == NULL || !vitrine_incremental_page_add_store (self, path, as_test, &error))
    vitrine_status_show_error (self->status, &self->error,
                               error ? error->message : _("Only local files can be opened"));
}

static void
add_store_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) stores = gtk_file_filter_new ();
  GtkFileFilter *filters[] = { stores, NULL };

  gtk_file_filter_set_name (stores, _("Feature stores (safetensors)"));
  gtk_file_filter_add_pattern (stores, "*.safetensors");
  vitrine_choose_file (widget, _("Add a Feature Store"), filters, store_chosen, widget);
}

static const char *
selected_path (GtkDropDown *dropdown)
{
  gpointer item = gtk_drop_down_get_selected_item (dropdown);
  return item ? vitrine_store_item_get_path (item) : NULL;
}

const char *
vitrine_incremental_page_get_store (VitrineIncrementalPage *self,
                                    gboolean                test)
{
  return selected_path (test ? self->test_dropdown : self->train_dropdown);
}

/* Live figures ----------------------------------------------------------------*/

static void
show_matrix (VitrineIncrementalPage *self)
{
  guint m = gtk_drop_down_get_selected (self->details_dropdown);
  VtFigure *chart = vitrine_figure_view_get_figure (self->chart);
  g_autofree char *title = NULL;

  if (chart == NULL || m >= chart->rows)
    return;
  /* Translators: heatmap title; %s is a method */
  title = g_strdup_printf (_("%s: accuracy on each stage's classes"), chart->row_labels[m]);
  vitrine_figure_view_set_figure (self->matrix,
                                  vt_figure_new_heatmap (title, _("classes of stage"), _("after stage"),
                                                         self->n_stages, self->n_stages,
                                                         self->matrices + (gsize) m * self->n_stages * self->n_stages,
                                                         (const char * const *) self->stage_numbers,
                                                         (const char * const *) self->stage_numbers));
}

/* The figure of the shown run's report (engine/report/vt-report.h: the
 * list the run exported) whose name ends in "-@suffix", taken out of it;
 * NULL where there is none. The window draws what the files show. */
static VtFigure *
report_figure (VitrineIncrementalPage *self,
               const char             *suffix)
{
  g_autoptr(GPtrArray) figures = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *step;
  const char *id;
  g_autofree char *name = NULL;

  if (self->results == NULL)
    return NULL;
  step = json_node_get_object (self->results);
  id = json_object_get_string_member_with_default (step, "id", "");
  figures = vt_report_step_figures ("incremental", step, self->run_dir, &error);
  if (figures == NULL)
    {
      vitrine_status_show_error (self->status, &self->error, error->message);
      return NULL;
    }
  name = g_strdup_printf ("%s-%s", id, suffix);
  for (guint i = 0; i < figures->len; i++)
    {
      VtReportFigure *entry = g_ptr_array_index (figures, i);

      if (g_str_equal (entry->name, name))
        return g_steal_pointer (&entry->figure);
    }
  return NULL;
}

/* The chosen method's name as the report's figures are named. */
static const char *
chosen_method (VitrineIncrementalPage *self)
{
  guint m = gtk_drop_down_get_selected (self->details_dropdown);
  JsonArray *methods = json_object_get_array_member (json_node_get_object (self->results), "methods");

  if (m >= json_array_get_length (methods))
    return NULL;
  return json_object_get_string_member (json_array_get_object_element (methods, m), "method");
}

/* A finished run: the chosen method's accuracy and confusion matrices. */
static void
show_report_details (VitrineIncrementalPage *self)
{
  const char *method = chosen_method (self);
  g_autofree char *matrix = NULL;
  g_autofree char *confusion = NULL;

  if (method == NULL)
    return;
  matrix = g_strdup_printf ("%s-accuracy-matrix", method);
  confusion = g_strdup_printf ("%s-confusion", method);
  vitrine_figure_view_set_figure (self->matrix, report_figure (self, matrix));
  vitrine_figure_view_set_figure (self->confusion, report_figure (self, confusion));
}

/* A finished run: every figure from its report, the live ones replaced. */
static void
show_report (VitrineIncrementalPage *self)
{
  vitrine_figure_view_set_figure (self->chart, report_figure (self, "accuracy"));
  vitrine_figure_view_set_figure (self->per_class, report_figure (self, "per-class-accuracy"));
  show_report_details (self);
}

static void
on_details_changed (VitrineIncrementalPage *self)
{
  if (self->results != NULL)
    show_report_details (self);
  else
    show_matrix (self);
}

static void
clear_summary (VitrineIncrementalPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->summary_grid))) != NULL)
    gtk_grid_remove (self->summary_grid, child);
}

static void
add_cell (VitrineIncrementalPage *self,
          const char             *text,
          int                     column,
          int                     row,
          gboolean                heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0.0 : 1.0);
  gtk_widget_add_css_class (label, heading ? "heading" : "numeric");
  gtk_grid_attach (self->summary_grid, label, column, row, 1, 1);
}

static char *
percent (JsonObject *object,
         const char *member,
         gboolean    as_percent)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  return as_percent ? g_strdup_printf ("%.2f%%", 100 * json_node_get_double (node))
                    : g_strdup_printf ("%.2f", 100 * json_node_get_double (node));
}

/* The table of average and last accuracy and forgetting per method. */
static void
show_summary (VitrineIncrementalPage *self)
{
  JsonArray *methods = json_object_get_array_member (json_node_get_object (self->results), "methods");

  clear_summary (self);
  /* Translators: summary table headings */
  add_cell (self, _("Method"), 0, 0, TRUE);
  add_cell (self, _("Average incremental"), 1, 0, TRUE);
  add_cell (self, _("Last"), 2, 0, TRUE);
  add_cell (self, _("Forgetting"), 3, 0, TRUE);
  for (guint m = 0; m < json_array_get_length (methods); m++)
    {
      JsonObject *method = json_array_get_object_element (methods, m);
      g_autofree char *average = percent (method, "average_incremental_accuracy", TRUE);
      g_autofree char *last = percent (method, "last_accuracy", TRUE);
      g_autofree char *forgetting = percent (method, "forgetting", FALSE);

      add_cell (self, json_object_get_string_member (method, "title"), 0, m + 1, FALSE);
      add_cell (self, average, 1, m + 1, FALSE);
      add_cell (self, last, 2, m + 1, FALSE);
      add_cell (self, forgetting, 3, m + 1, FALSE);
    }
}

/* Figures from the run -----------------------------------------------------------*/

/* An empty chart for @titles (NULL-terminated) over stages that end at
 * @ends classes: every point NaN until its stage is done. */
static void
reset_figures (VitrineIncrementalPage *self,
               const char * const     *titles,
               const guint            *ends,
               guint                   n_stages)
{
  guint n_methods = g_strv_length ((char **) titles);
  g_autofree double *nan_values = g_new (double, (gsize) n_methods * n_stages);

  self->n_stages = n_stages;
  g_strfreev (self->stage_labels);
  g_strfreev (self->stage_numbers);
  self->stage_labels = g_new0 (char *, n_stages + 1);
  self->stage_numbers = g_new0 (char *, n_stages + 1);
  for (guint t = 0; t < n_stages; t++)
    {
      self->stage_labels[t] = g_strdup_printf ("%u", ends[t]);
      self->stage_numbers[t] = g_strdup_printf ("%u", t + 1);
    }
  for (gsize i = 0; i < (gsize) n_methods * n_stages; i++)
    nan_values[i] = NAN;
  vitrine_figure_view_set_figure (self->chart,
                                  vt_figure_new_lines (_("Accuracy on the classes seen so far"), _("classes seen"),
                                                       _("accuracy"), n_methods, n_stages, nan_values,
                                                       titles, (const char * const *) self->stage_labels, 0.0, 1.0));
  g_free (self->matrices);
  self->matrices = g_new (double, (gsize) n_methods * n_stages * n_stages);
  for (gsize i = 0; i < (gsize) n_methods * n_stages * n_stages; i++)
    self->matrices[i] = NAN;
  self->n_points = 0;
  clear_summary (self);
  gtk_string_list_splice (self->details_methods, 0, g_list_model_get_n_items (G_LIST_MODEL (self->details_methods)),
                          titles);
  vitrine_figure_view_set_figure (self->confusion, NULL);
  vitrine_figure_view_set_figure (self->per_class, NULL);
  show_matrix (self);
}

/* A stage of a method is done: its point on the chart, its row of the
 * accuracy matrix. */
static void
add_point (VitrineIncrementalPage *self,
           const char             *series,
           guint                   point,
           double                  value,
           const double           *row,
           guint                   n_row)
{
  VtFigure *chart = vitrine_figure_view_get_figure (self->chart);

  if (chart == NULL)
    return;
  for (guint m = 0; m < chart->rows; m++)
    if (g_str_equal (chart->row_labels[m], series) && point < chart->cols)
      {
        chart->values[(gsize) m * chart->cols + point] = value;
        for (guint j = 0; j < MIN (n_row, self->n_stages); j++)
          self->matrices[((gsize) m * self->n_stages + point) * self->n_stages + j] = row[j];
        self->n_points++;
      }
}

/* A run reopened from its folder: the methods and stages of its results,
 * before the report draws its figures. */
static void
layout_from_results (VitrineIncrementalPage *self)
{
  JsonObject *step = json_node_get_object (self->results);
  JsonArray *methods = json_object_get_array_member (step, "methods");
  JsonArray *seen = json_object_get_array_member (step, "classes_seen");
  guint n = json_array_get_length (methods), s = json_array_get_length (seen);
  g_autofree guint *ends = g_new (guint, MAX (s, 1));
  g_auto(GStrv) titles = g_new0 (char *, n + 1);

  for (guint t = 0; t < s; t++)
    ends[t] = (guint) json_array_get_int_element (seen, t);
  for (guint m = 0; m < n; m++)
    titles[m] = g_strdup (json_object_get_string_member (json_array_get_object_element (methods, m), "title"));
  reset_figures (self, (const char * const *) titles, ends, s);
}

/* The step of @root (a results.json) that is an incremental run's. */
static JsonNode *
incremental_step (JsonNode *root)
{
  JsonNode *steps = JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "steps")
                                                  : NULL;
  JsonNode *found = NULL;

  if (steps == NULL || !JSON_NODE_HOLDS_ARRAY (steps))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (steps)); i++)
    {
      JsonNode *step = json_array_get_element (json_node_get_array (steps), i);

      if (JSON_NODE_HOLDS_OBJECT (step) && json_object_has_member (json_node_get_object (step), "class_order") &&
          json_object_has_member (json_node_get_object (step), "methods") &&
          json_object_has_member (json_node_get_object (step), "classes_seen"))
        found = step;
    }
  return found;
}

/* The tables and figures of a finished run, from its results.json. */
static gboolean
show_results (VitrineIncrementalPage  *self,
              VitrineRun              *run,
              gboolean                 reopened,
              GError                 **error)
{
  g_autoptr(JsonNode) root = vitrine_run_load_results (run, error);
  JsonNode *step;

  if (root == NULL)
    return FALSE;
  step = incremental_step (root);
  if (step == NULL)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                   "%s/results.json: no step of it is an incremental run", vitrine_run_get_results_dir (run));
      return FALSE;
    }
  g_clear_pointer (&self->results, json_node_unref);
  self->results = json_node_copy (step);
  g_free (self->run_dir);
  self->run_dir = g_strdup (vitrine_run_get_results_dir (run));
  if (reopened)
    layout_from_results (self);
  show_summary (self);
  show_report (self);
  update_actions (self);
  {
    /* Translators: %s is the folder that holds the run's tables and figures */
    g_autofree char *text = g_strdup_printf (_("Done. Tables and figures are in %s"), self->run_dir);
    gtk_label_set_text (self->status, text);
  }
  return TRUE;
}

/* Events -------------------------------------------------------------------------*/

/* Main thread: VitrineRun hands the engine's events over. */
static void
on_run_event (VitrineRun             *run,
              const VtEvent          *event,
              VitrineIncrementalPage *self)
{
  if (run != self->run)
    return;
  if (event->kind == VT_EVENT_PROGRESS && event->message != NULL)
    gtk_label_set_text (self->status, event->message);
  else if (event->kind == VT_EVENT_METRIC)
    {
      add_point (self, event->series, (guint) event->x, event->y, event->values, event->n_values);
      vitrine_figure_view_changed (self->chart);
      show_matrix (self);
    }
}

/* Running ---------------------------------------------------------------------------*/

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineIncrementalPage) self = data;
  g_autoptr(GError) error = NULL;

  VitrineRunEnd end = vitrine_run_finish_for_page (run, self->run, result, &error);

  if (end == VITRINE_RUN_ENDED_ELSEWHERE)
    return;
  update_actions (self);
  if (end == VITRINE_RUN_ENDED_CANCELLED)
    gtk_label_set_text (self->status, _("Run cancelled."));
  else if (end == VITRINE_RUN_ENDED_FAILED)
    vitrine_status_show_error (self->status, &self->error, error->message);
  /* The chart grew from the run's events; the tables come from its file. */
  else if (!show_results (self, run, FALSE, &error))
    vitrine_status_show_error (self->status, &self->error, error->message);
}

void
vitrine_incremental_page_set_runs (VitrineIncrementalPage *self,
                                   GListStore             *runs)
{
  g_set_object (&self->runs, runs);
}

gboolean
vitrine_incremental_page_show_run (VitrineIncrementalPage  *self,
                                   VitrineRun              *run,
                                   GError                 **error)
{
  g_autoptr(VitrineRun) previous = g_steal_pointer (&self->run);

  vitrine_status_clear_error (self->status, &self->error);
  self->run = g_object_ref (run);
  if (!show_results (self, run, TRUE, error))
    {
      g_clear_object (&self->run);
      update_actions (self);
      return FALSE;
    }
  return TRUE;
}

VitrineRun *
vitrine_incremental_page_get_run (VitrineIncrementalPage *self)
{
  return self->run;
}

void
vitrine_incremental_page_configure (VitrineIncrementalPage *self,
                                    const char             *split,
                                    const char * const     *methods,
                                    guint                   ranpac_dim)
{
  gtk_editable_set_text (self->split_entry, split);
  for (guint i = 0; i < self->n_method_checks; i++)
    gtk_check_button_set_active (self->method_checks[i],
                                 g_strv_contains (methods, vt_cil_methods ()[i]->name));
  gtk_spin_button_set_value (self->ranpac_spin, ranpac_dim);
}

/* The class count of the chosen training store: the workspace's store,
 * read when it was added, not the file again. */
static guint
store_classes (GtkDropDown  *dropdown,
               GError      **error)
{
  VitrineStoreItem *item = gtk_drop_down_get_selected_item (dropdown);

  if (vitrine_store_item_get_store (item) == NULL)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT, _("%s: the feature store is missing"),
                   vitrine_store_item_get_path (item));
      return 0;
    }
  return vitrine_store_item_get_store (item)->n_classes;
}

/* The spec a user would write for --batch: one incremental step on the
 * stores' absolute paths, made by the step's constructor (the split was
 * checked before), as JSON for the run. */
static char *
build_spec (VitrineIncrementalPage  *self,
            const char              *name,
            const char              *train,
            const char              *test,
            const char              *split,
            GError                 **error)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  VtIncrementalStep *step = vt_incremental_step_new (NULL, train, test, split);

  step->shuffle = gtk_drop_down_get_selected (self->order_dropdown) == 0;
  step->options.ranpac_dim = (guint) gtk_spin_button_get_value_as_int (self->ranpac_spin);
  step->methods = 0;
  for (guint i = 0; i < self->n_method_checks; i++)
    if (gtk_check_button_get_active (self->method_checks[i]))
      step->methods |= 1u << i;
  if (!vt_spec_add_step (spec, (VtStep *) step, error))
    return NULL;
  return vt_spec_to_data (spec);
}

void
vitrine_incremental_page_run (VitrineIncrementalPage *self)
{
  const char *train = selected_path (self->train_dropdown), *test = selected_path (self->test_dropdown);
  const char *split_text = gtk_editable_get_text (self->split_entry);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ends = NULL;
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();
  g_autofree char *json = NULL;
  g_autofree char *train_name = NULL;
  g_autofree char *name = NULL;
  VtCilSplit split;
  guint k;

  g_return_if_fail (!vitrine_incremental_page_is_running (self));
  vitrine_status_clear_error (self->status, &self->error);
  if (train == NULL || test == NULL)
    {
      vitrine_status_show_error (self->status, &self->error, _("Choose a training and a test feature store."));
      return;
    }
  if (!vt_cil_split_parse (split_text, &split, &error) ||
      (k = store_classes (self->train_dropdown, &error)) == 0 ||
      !vt_cil_split_stages (&split, k, &ends, &error))
    {
      vitrine_status_show_error (self->status, &self->error, error->message);
      return;
    }
  for (guint i = 0; i < self->n_method_checks; i++)
    if (gtk_check_button_get_active (self->method_checks[i]))
      g_ptr_array_add (titles, (gpointer) vt_cil_methods ()[i]->title);
  if (titles->len == 0)
    {
      vitrine_status_show_error (self->status, &self->error, _("Tick at least one method."));
      return;
    }
  g_ptr_array_add (titles, NULL);

  train_name = g_path_get_basename (train);
  /* Translators: a run's name in the Runs panel; %s: a split such as B0-Inc10, then a feature store */
  name = g_strdup_printf (_("%s on %s"), split_text, train_name);
  if (!(json = build_spec (self, name, train, test, split_text, &error)))
    {
      vitrine_status_show_error (self->status, &self->error, error->message);
      return;
    }
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("incremental", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);

  g_clear_pointer (&self->results, json_node_unref);
  reset_figures (self, (const char * const *) titles->pdata, (const guint *) ends->data, ends->len);
  gtk_label_set_text (self->status, _("Running…"));
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
  update_actions (self);
}

void
vitrine_incremental_page_cancel (VitrineIncrementalPage *self)
{
  if (self->run != NULL)
    vitrine_run_cancel (self->run);
}

/* Export ---------------------------------------------------------------------------------*/

static gboolean
copy_tree (GFile   *from,
           GFile   *to,
           GError **error)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  if (!g_file_make_directory_with_parents (to, NULL, error))
    {
      if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        return FALSE;
      g_clear_error (error);
    }
  children = g_file_enumerate_children (from, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NONE, NULL, error);
  if (children == NULL)
    return FALSE;
  while ((info = g_file_enumerator_next_file (children, NULL, error)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      g_autoptr(GFile) source = g_file_get_child (from, g_file_info_get_name (info));
      g_autoptr(GFile) target = g_file_get_child (to, g_file_info_get_name (info));
      gboolean ok = g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY
                  ? copy_tree (source, target, error)
                  : g_file_copy (source, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
      if (!ok)
        return FALSE;
    }
  return *error == NULL;
}

/* The run wrote its accuracy chart with every method; the chart in the
 * window may have some hidden from its legend, and an export is what the
 * window shows: the chart is drawn again, in the formats the run wrote. */
static gboolean
export_chart (VitrineIncrementalPage  *self,
              const char              *dir,
              GError                 **error)
{
  VtFigure *chart = vitrine_figure_view_get_figure (self->chart);
  g_autofree char *base = g_build_filename (dir, "figures", "incremental-accuracy", NULL);
  VtFigureFormats formats = 0;

  if (chart == NULL)
    return TRUE;
  for (guint f = VT_FIGURE_FORMAT_PNG; f <= VT_FIGURE_FORMAT_PDF; f <<= 1)
    {
      g_autofree char *path = g_strdup_printf ("%s.%s", base, vt_figure_format_extension (f));

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        formats |= f;
    }
  return formats == 0 || vt_figure_export (chart, base, formats, error);
}

gboolean
vitrine_incremental_page_export (VitrineIncrementalPage *self,
                                 const char             *dir,
                                 GError                **error)
{
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = g_file_new_for_path (dir);
  GError *local_error = NULL;

  g_return_val_if_fail (self->run_dir != NULL, FALSE);
  from = g_file_new_for_path (self->run_dir);
  if (!copy_tree (from, to, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return export_chart (self, dir, error);
}

static void
export_chosen (GFile    *folder,
               gpointer  data)
{
  VitrineIncrementalPage *self = data;
  g_autofree char *path = g_file_get_path (folder);
  g_autoptr(GError) error = NULL;

  if (path == NULL || !vitrine_incremental_page_export (self, path, &error))
    vitrine_status_show_error (self->status, &self->error,
                               error ? error->message : _("Only local folders can be written"));
  else
    {
      /* Translators: %s is a folder */
      g_autofree char *text = g_strdup_printf (_("Exported to %s"), path);
      gtk_label_set_text (self->status, text);
    }
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_choose_folder (widget, _("Export Results To"), export_chosen, widget);
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  vitrine_incremental_page_run (VITRINE_INCREMENTAL_PAGE (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_incremental_page_cancel (VITRINE_INCREMENTAL_PAGE (widget));
}

/* Accessors ---------------------------------------------------------------------------------*/

gboolean
vitrine_incremental_page_is_running (VitrineIncrementalPage *self)
{
  return self->run != NULL && vitrine_run_get_state (self->run) == VITRINE_RUN_RUNNING;
}

guint
vitrine_incremental_page_get_n_points (VitrineIncrementalPage *self)
{
  return self->n_points;
}

GtkWidget *
vitrine_incremental_page_get_chart (VitrineIncrementalPage *self)
{
  return GTK_WIDGET (self->chart);
}

const char *
vitrine_incremental_page_get_run_dir (VitrineIncrementalPage *self)
{
  return self->run_dir;
}

const char *
vitrine_incremental_page_get_error (VitrineIncrementalPage *self)
{
  return self->error;
}

/* GObject ---------------------------------------------------------------------------------*/

static void
vitrine_incremental_page_dispose (GObject *object)
{
  VitrineIncrementalPage *self = VITRINE_INCREMENTAL_PAGE (object);
  GtkWidget *child;

  /* A run of a window that goes has nobody to show it. */
  vitrine_incremental_page_cancel (self);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_INCREMENTAL_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->stores);
  G_OBJECT_CLASS (vitrine_incremental_page_parent_class)->dispose (object);
}

static void
vitrine_incremental_page_finalize (GObject *object)
{
  VitrineIncrementalPage *self = VITRINE_INCREMENTAL_PAGE (object);

  g_free (self->run_dir);
  g_free (self->error);
  g_free (self->matrices);
  g_strfreev (self->stage_labels);
  g_strfreev (self->stage_numbers);
  g_clear_pointer (&self->results, json_node_unref);
  G_OBJECT_CLASS (vitrine_incremental_page_parent_class)->finalize (object);
}

static void
vitrine_incremental_page_class_init (VitrineIncrementalPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_incremental_page_dispose;
  object_class->finalize = vitrine_incremental_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-incremental-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, train_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, test_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, store_warning);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, order_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, details_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, details_methods);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, split_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, methods_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, ranpac_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, summary_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, matrix);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, confusion);
  gtk_widget_class_bind_template_child (widget_class, VitrineIncrementalPage, per_class);
  gtk_widget_class_install_action (widget_class, "incremental.add-store", NULL, add_store_action);
  gtk_widget_class_install_action (widget_class, "incremental.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "incremental.cancel", NULL, cancel_action);
  /* As in the other areas that run (the shortcuts window lists them). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "incremental.run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "incremental.cancel", NULL);
  gtk_widget_class_install_action (widget_class, "incremental.export", NULL, export_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "incrementalpage");
}

static void
vitrine_incremental_page_init (VitrineIncrementalPage *self)
{
  g_autoptr(GtkExpression) label = gtk_property_expression_new (VITRINE_TYPE_STORE_ITEM, NULL, "label");
  g_autoptr(GListStore) stores = g_list_store_new (VITRINE_TYPE_STORE_ITEM);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drop_down_set_expression (self->train_dropdown, label);
  gtk_drop_down_set_expression (self->test_dropdown, label);
  for (const VtCilMethodClass * const *m = vt_cil_methods (); *m && self->n_method_checks < G_N_ELEMENTS (self->method_checks); m++)
    {
      GtkWidget *check = gtk_check_button_new_with_label ((*m)->title);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      gtk_box_append (GTK_BOX (self->methods_box), check);
      self->method_checks[self->n_method_checks++] = GTK_CHECK_BUTTON (check);
    }
  g_signal_connect_swapped (self->details_dropdown, "notify::selected", G_CALLBACK (on_details_changed), self);
  g_signal_connect_swapped (self->train_dropdown, "notify::selected", G_CALLBACK (on_train_selected), self);
  g_signal_connect_swapped (self->test_dropdown, "notify::selected", G_CALLBACK (on_test_selected), self);
  vitrine_incremental_page_set_stores (self, stores);
}
