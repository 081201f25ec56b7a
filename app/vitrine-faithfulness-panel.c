/* vitrine-faithfulness-panel.c: the Attribution area's metrics panel.
 *
 * Start builds the spec a user would write for --batch (one faithfulness
 * step, made by the step's constructor, on absolute paths) and starts it
 * as a VitrineRun, listed in the Runs panel, as the COMET page does. The
 * step emits a metric event "<label>/<method>" with a method's mean curve
 * as soon as it is measured (vt-step-faithfulness.c, emit_curve): each
 * becomes a Curve here, and the chart of its label and the table of means
 * are drawn again from the curves. A finished or reopened run fills the
 * same curves from results.json, so that what is drawn is what the run
 * wrote either way. Events of a run the panel no longer shows are
 * dropped. */
#include "vitrine-faithfulness-panel.h"
#include "vitrine-figure-view.h"
#include "vitrine-file-chooser.h"
#include "figures/vt-figure-render.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "core/vt-atomic-file.h"
#include "io/vt-checkpoint.h"
#include "report/vt-csv.h"
#include "run/vt-run.h"
#include "run/vt-spec.h"
#include "run/steps/vt-step-faithfulness.h"

/* The step's id: its files are <run folder>/faithfulness-*. */
#define STEP_ID "faithfulness"

/* The charts, in the .ui's order: the step's result labels, and what each
 * plots. */
static const struct { const char *label, *title, *x_label, *y_label; } charts[VITRINE_FAITHFULNESS_N_CHARTS] = {
  /* Translators: chart titles of the metrics panel (short: four charts share the page); deletion: the class's
   * probability as the most relevant pixels go; insertion: as they come back; ROAD: the accuracy with the pixels
   * removed and imputed */
  { "deletion", N_("Deletion (zeros), lower is better"), N_("fraction of pixels"), N_("probability") },
  { "insertion", N_("Insertion (blur), higher is better"), N_("fraction of pixels"), N_("probability") },
  { "road_morf", N_("ROAD MoRF, lower is better"), N_("pixels removed (%)"), N_("accuracy") },
  { "road_lerf", N_("ROAD LeRF, higher is better"), N_("pixels removed (%)"), N_("accuracy") },
};

/* A method's mean curve of one metric, as the step measured it. */
typedef struct
{
  char   *label;
  char   *method;
  guint   n_points;
  double *x;
  double *y;
  double  mean;
} Curve;

static void
curve_free (Curve *c)
{
  g_free (c->label);
  g_free (c->method);
  g_free (c->x);
  g_free (c->y);
  g_free (c);
}

struct _VitrineFaithfulnessPanel
{
  GtkWidget           parent_instance;

  GtkLabel           *source_label;
  GtkCheckButton     *deletion_check;
  GtkCheckButton     *insertion_check;
  GtkCheckButton     *road_check;
  GtkSpinButton      *images_spin;
  GtkSpinButton      *steps_spin;
  GtkLabel           *status;
  GtkProgressBar     *progress_bar;
  VitrineFigureView  *chart_views[VITRINE_FAITHFULNESS_N_CHARTS];
  GtkGrid            *means_grid;

  VtModel            *model;
  VtDataset          *dataset;
  GListStore         *runs;
  char              **methods;        /* chosen in the row */
  char               *layer;
  VitrineRun         *run;            /* the run shown */
  char              **run_methods;    /* of the run shown, in its order */
  guint               run_images;
  GPtrArray          *curves;         /* Curve, in the order they came */
  char               *error;
};

G_DEFINE_FINAL_TYPE (VitrineFaithfulnessPanel, vitrine_faithfulness_panel, GTK_TYPE_WIDGET)

static void
set_error (VitrineFaithfulnessPanel *self,
           const char               *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_text (self->status, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
}

static void
clear_error (VitrineFaithfulnessPanel *self)
{
  g_clear_pointer (&self->error, g_free);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

static void
update_actions (VitrineFaithfulnessPanel *self)
{
  gboolean running = vitrine_faithfulness_panel_is_running (self);
  gboolean any_metric = gtk_check_button_get_active (self->deletion_check) ||
                        gtk_check_button_get_active (self->insertion_check) ||
                        gtk_check_button_get_active (self->road_check);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "faithfulness.start",
                                 !running && self->model && self->dataset && self->methods && self->methods[0] &&
                                 any_metric);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "faithfulness.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "faithfulness.export-curves", self->curves->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "faithfulness.export-csv", self->curves->len > 0);
}

static const char *
checkpoint_path (VtModel *model)
{
  return vt_checkpoint_get_path (vt_model_get_checkpoint (model));
}

static void
show_source (VitrineFaithfulnessPanel *self)
{
  g_autofree char *model = self->model ? g_path_get_basename (checkpoint_path (self->model)) : NULL;
  g_autofree char *data = self->dataset ? g_path_get_basename (self->dataset->path) : NULL;
  g_autofree char *methods = self->methods && self->methods[0] ? g_strjoinv (", ", self->methods) : NULL;
  /* Translators: the metrics panel's source line: the methods ticked in the Maps page, the checkpoint, the
   * dataset and the layer; or what is missing */
  g_autofree char *text = g_strdup_printf (_("Measures %s of %s on %s at %s, for the predicted class."),
                                           methods ? methods : _("(tick methods on the Maps page)"),
                                           model ? model : _("(open a checkpoint)"),
                                           data ? data : _("(open a dataset)"),
                                           self->layer ? self->layer : _("the default layer"));

  gtk_label_set_text (self->source_label, text);
}

void
vitrine_faithfulness_panel_set_model (VitrineFaithfulnessPanel *self,
                                      VtModel                  *model)
{
  g_clear_pointer (&self->model, vt_model_free);
  self->model = model ? vt_model_ref (model) : NULL;
  show_source (self);
  update_actions (self);
}

void
vitrine_faithfulness_panel_set_dataset (VitrineFaithfulnessPanel *self,
                                        VtDataset                *dataset)
{
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  self->dataset = dataset ? vt_dataset_ref (dataset) : NULL;
  show_source (self);
  update_actions (self);
}

void
vitrine_faithfulness_panel_set_runs (VitrineFaithfulnessPanel *self,
                                     GListStore               *runs)
{
  g_set_object (&self->runs, runs);
}

void
vitrine_faithfulness_panel_set_methods (VitrineFaithfulnessPanel *self,
                                        const char * const       *methods,
                                        const char               *layer)
{
  g_strfreev (self->methods);
  self->methods = g_strdupv ((char **) methods);
  g_free (self->layer);
  self->layer = g_strdup (layer);
  show_source (self);
  update_actions (self);
}

/* Drawing -------------------------------------------------------------------------*/

static Curve *
find_curve (VitrineFaithfulnessPanel *self,
            const char               *label,
            const char               *method)
{
  for (guint i = 0; i < self->curves->len; i++)
    {
      Curve *c = g_ptr_array_index (self->curves, i);

      if (g_str_equal (c->label, label) && g_str_equal (c->method, method))
        return c;
    }
  return NULL;
}

/* Chart @k: a series per method of the run, in its order; a method not
 * measured yet has no points (NaN), so the legend names every one from
 * the start. No figure while no method has a curve of it. */
static void
draw_chart (VitrineFaithfulnessPanel *self,
            guint                     k)
{
  guint n = self->run_methods ? g_strv_length (self->run_methods) : 0;
  const Curve *first = NULL;
  g_autofree double *values = NULL;
  g_auto(GStrv) x_labels = NULL;

  for (guint m = 0; m < n && first == NULL; m++)
    first = find_curve (self, charts[k].label, self->run_methods[m]);
  gtk_widget_set_visible (GTK_WIDGET (self->chart_views[k]), first != NULL);
  if (first == NULL)
    {
      vitrine_figure_view_set_figure (self->chart_views[k], NULL);
      return;
    }
  values = g_new (double, (gsize) n * first->n_points);
  x_labels = g_new0 (char *, first->n_points + 1);
  for (guint p = 0; p < first->n_points; p++)
    /* About five labels: four charts share the page. */
    x_labels[p] = p % ((first->n_points + 4) / 5) == 0 ? g_strdup_printf ("%.3g", first->x[p]) : g_strdup ("");
  for (guint m = 0; m < n; m++)
    {
      const Curve *c = find_curve (self, charts[k].label, self->run_methods[m]);

      for (guint p = 0; p < first->n_points; p++)
        values[(gsize) m * first->n_points + p] = c && p < c->n_points ? c->y[p] : NAN;
    }
  vitrine_figure_view_set_figure (self->chart_views[k],
                                  vt_figure_new_lines (_(charts[k].title), _(charts[k].x_label),
                                                       _(charts[k].y_label), n, first->n_points, values,
                                                       (const char * const *) self->run_methods,
                                                       (const char * const *) x_labels, 0.0, 1.0));
}

static GtkWidget *
cell (const char *text,
      gboolean    heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), heading ? 0.0f : 1.0f);
  /* Headings wrap, so that five columns fit beside the settings. */
  gtk_label_set_wrap (GTK_LABEL (label), heading);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 12);
  gtk_label_set_selectable (GTK_LABEL (label), !heading);
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  else
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

/* The means: a row per method, a column per metric measured. */
static void
draw_table (VitrineFaithfulnessPanel *self)
{
  /* Translators: column headings of the metrics panel's table of means */
  static const char * const headings[VITRINE_FAITHFULNESS_N_CHARTS] = {
    N_("Deletion AUC"), N_("Insertion AUC"), N_("ROAD MoRF, mean"), N_("ROAD LeRF, mean") };
  GtkWidget *child;
  guint column = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->means_grid))) != NULL)
    gtk_grid_remove (self->means_grid, child);
  if (self->curves->len == 0 || self->run_methods == NULL)
    return;
  gtk_grid_attach (self->means_grid, cell (_("Method"), TRUE), 0, 0, 1, 1);
  for (guint m = 0; self->run_methods[m]; m++)
    gtk_grid_attach (self->means_grid, cell (self->run_methods[m], TRUE), 0, (int) m + 1, 1, 1);
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    {
      gboolean any = FALSE;

      for (guint m = 0; self->run_methods[m]; m++)
        {
          const Curve *c = find_curve (self, charts[k].label, self->run_methods[m]);
          g_autofree char *text = c ? g_strdup_printf ("%.4f", c->mean) : NULL;

          if (c == NULL)
            continue;
          any = TRUE;
          gtk_grid_attach (self->means_grid, cell (text, FALSE), (int) column, (int) m + 1, 1, 1);
        }
      if (any)
        gtk_grid_attach (self->means_grid, cell (_(headings[k]), TRUE), (int) column++, 0, 1, 1);
    }
}

static void
add_curve (VitrineFaithfulnessPanel *self,
           const char               *label,
           const char               *method,
           guint                     n_points,
           const double             *x,
           const double             *y,
           double                    mean)
{
  Curve *c = find_curve (self, label, method);

  if (c == NULL)
    {
      c = g_new0 (Curve, 1);
      c->label = g_strdup (label);
      c->method = g_strdup (method);
      g_ptr_array_add (self->curves, c);
    }
  g_free (c->x);
  g_free (c->y);
  c->n_points = n_points;
  c->x = g_memdup2 (x, sizeof (double) * n_points);
  c->y = g_memdup2 (y, sizeof (double) * n_points);
  c->mean = mean;
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    if (g_str_equal (charts[k].label, label))
      draw_chart (self, k);
  draw_table (self);
  update_actions (self);
}

static void
reset_curves (VitrineFaithfulnessPanel *self,
              char                    **methods)
{
  g_strfreev (self->run_methods);
  self->run_methods = methods;
  g_ptr_array_set_size (self->curves, 0);
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    draw_chart (self, k);
  draw_table (self);
}

/* Main thread: VitrineRun hands the engine's events over. */
static void
on_run_event (VitrineRun               *run,
              const VtEvent            *event,
              VitrineFaithfulnessPanel *self)
{
  const char *slash;

  if (run != self->run)
    return;
  if (event->kind == VT_EVENT_PROGRESS)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, event->fraction);
      if (event->message != NULL)
        gtk_label_set_text (self->status, event->message);
    }
  else if (event->kind == VT_EVENT_METRIC && g_strcmp0 (event->x_name, "method") == 0 && event->series &&
           (slash = strchr (event->series, '/')) != NULL && event->n_values >= 2 && event->n_values % 2 == 0)
    {
      g_autofree char *label = g_strndup (event->series, slash - event->series);
      guint n = event->n_values / 2;

      add_curve (self, label, slash + 1, n, event->values, event->values + n, event->y);
    }
}

/* Results -------------------------------------------------------------------------*/

static gboolean
results_error (GError     **error,
               const char  *dir,
               const char  *what)
{
  g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, "%s/results.json: the faithfulness step's "
               "result %s", dir, what);
  return FALSE;
}

/* @array's numbers into a new array of its length; NULL if one is not a number. */
static double *
numbers (JsonArray *array)
{
  guint n = json_array_get_length (array);
  g_autofree double *out = g_new (double, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_NULL (node))
        out[i] = NAN;
      else if (JSON_NODE_HOLDS_VALUE (node) && (json_node_get_value_type (node) == G_TYPE_DOUBLE ||
                                                json_node_get_value_type (node) == G_TYPE_INT64))
        out[i] = json_node_get_double (node);
      else
        return NULL;
    }
  return g_steal_pointer (&out);
}

/* The curves of @run's results.json, replacing those drawn. */
static gboolean
load_results (VitrineFaithfulnessPanel  *self,
              VitrineRun                *run,
              GError                   **error)
{
  const char *dir = vitrine_run_get_results_dir (run);
  g_autoptr(JsonNode) node = vitrine_run_load_step_result (run, "faithfulness", error);
  g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func (g_free);
  JsonObject *step;
  JsonArray *listing, *metrics;

  if (node == NULL)
    return FALSE;
  step = json_node_get_object (node);
  if (!json_object_has_member (step, "methods") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (step, "methods")) ||
      !json_object_has_member (step, "metrics") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (step, "metrics")))
    return results_error (error, dir, "lacks its methods or metrics");
  listing = json_object_get_array_member (step, "methods");
  for (guint m = 0; m < json_array_get_length (listing); m++)
    {
      JsonObject *entry = json_array_get_object_element (listing, m);

      if (entry == NULL || !json_object_has_member (entry, "name"))
        return results_error (error, dir, "has a method without a name");
      g_ptr_array_add (methods, g_strdup (json_object_get_string_member (entry, "name")));
    }
  g_ptr_array_add (methods, NULL);
  reset_curves (self, (char **) g_ptr_array_steal (methods, NULL));
  self->run_images = json_object_has_member (step, "images") ? (guint) json_object_get_int_member (step, "images") : 0;
  metrics = json_object_get_array_member (step, "metrics");
  for (guint k = 0; k < json_array_get_length (metrics); k++)
    {
      JsonObject *metric = json_array_get_object_element (metrics, k);
      JsonArray *results;

      if (metric == NULL || !json_object_has_member (metric, "label") || !json_object_has_member (metric, "results"))
        return results_error (error, dir, "has a metric without a label or results");
      results = json_object_get_array_member (metric, "results");
      for (guint r = 0; r < json_array_get_length (results); r++)
        {
          JsonObject *entry = json_array_get_object_element (results, r);
          g_autofree double *x = NULL;
          g_autofree double *y = NULL;
          JsonNode *mean;

          /* Scores without a curve (pixel AP, the pointing game) are not drawn. */
          if (entry == NULL || !json_object_has_member (entry, "x"))
            continue;
          x = numbers (json_object_get_array_member (entry, "x"));
          y = json_object_has_member (entry, "y") ? numbers (json_object_get_array_member (entry, "y")) : NULL;
          mean = json_object_get_member (entry, "mean");
          if (x == NULL || y == NULL || !json_object_has_member (entry, "method") ||
              json_array_get_length (json_object_get_array_member (entry, "x")) !=
              json_array_get_length (json_object_get_array_member (entry, "y")))
            return results_error (error, dir, "has a curve whose x and y are not lists of numbers of one length");
          add_curve (self, json_object_get_string_member (metric, "label"),
                     json_object_get_string_member (entry, "method"),
                     json_array_get_length (json_object_get_array_member (entry, "x")), x, y,
                     mean && JSON_NODE_HOLDS_VALUE (mean) ? json_node_get_double (mean) : NAN);
        }
    }
  return TRUE;
}

static void
show_done (VitrineFaithfulnessPanel *self)
{
  g_autofree char *text = NULL;

  gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  /* Translators: %u: the images measured; %s: the run's folder */
  text = g_strdup_printf (ngettext ("Done: %u image measured. The maps, curves and means are in %s",
                                    "Done: %u images measured. The maps, curves and means are in %s",
                                    self->run_images),
                          self->run_images, vitrine_run_get_results_dir (self->run));
  gtk_label_set_text (self->status, text);
}

gboolean
vitrine_faithfulness_panel_show_run (VitrineFaithfulnessPanel  *self,
                                     VitrineRun                *run,
                                     GError                   **error)
{
  g_autoptr(VitrineRun) previous = g_steal_pointer (&self->run);

  clear_error (self);
  self->run = g_object_ref (run);
  if (!load_results (self, run, error))
    {
      g_clear_object (&self->run);
      reset_curves (self, NULL);
      update_actions (self);
      return FALSE;
    }
  show_done (self);
  update_actions (self);
  return TRUE;
}

VitrineRun *
vitrine_faithfulness_panel_get_run (VitrineFaithfulnessPanel *self)
{
  return self->run;
}

/* Running -------------------------------------------------------------------------*/

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineFaithfulnessPanel) self = data;
  g_autoptr(GError) error = NULL;

  if (run != self->run)
    {
      vitrine_run_start_finish (run, result, NULL);
      return;
    }
  if (!vitrine_run_start_finish (run, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      else
        gtk_label_set_text (self->status, _("Cancelled: no results were written; the curves drawn are those "
                                            "measured before Cancel."));
      update_actions (self);
      return;
    }
  /* The curves grew from the run's events; results.json has the same. */
  if (!load_results (self, run, &error))
    set_error (self, error->message);
  else
    show_done (self);
  update_actions (self);
}

void
vitrine_faithfulness_panel_configure (VitrineFaithfulnessPanel *self,
                                      guint                     images,
                                      guint                     steps,
                                      gboolean                  deletion,
                                      gboolean                  insertion,
                                      gboolean                  road)
{
  gtk_spin_button_set_value (self->images_spin, images);
  gtk_spin_button_set_value (self->steps_spin, steps);
  gtk_check_button_set_active (self->deletion_check, deletion);
  gtk_check_button_set_active (self->insertion_check, insertion);
  gtk_check_button_set_active (self->road_check, road);
}

/* The spec a user would write for --batch: one faithfulness step on the
 * open checkpoint and dataset, as the fields say. */
static char *
build_spec (VitrineFaithfulnessPanel  *self,
            const char                *name,
            GError                   **error)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  g_autoptr(GPtrArray) metrics = g_ptr_array_new ();
  guint images = (guint) gtk_spin_button_get_value (self->images_spin);
  VtStep *step;

  if (gtk_check_button_get_active (self->deletion_check))
    g_ptr_array_add (metrics, "deletion");
  if (gtk_check_button_get_active (self->insertion_check))
    g_ptr_array_add (metrics, "insertion");
  if (gtk_check_button_get_active (self->road_check))
    g_ptr_array_add (metrics, "road");
  g_ptr_array_add (metrics, NULL);
  step = vt_faithfulness_step_new (STEP_ID, checkpoint_path (self->model), self->dataset->path, self->dataset->split,
                                   (const char * const *) self->methods, (const char * const *) metrics->pdata,
                                   error);
  if (step == NULL)
    return NULL;
  if (images > 0 && images < self->dataset->n_samples)
    {
      g_autofree guint *samples = g_new (guint, images);

      for (guint i = 0; i < images; i++)
        samples[i] = i;
      vt_faithfulness_step_set_samples (step, samples, images);
    }
  vt_faithfulness_step_set_layer (step, self->layer);
  vt_faithfulness_step_set_steps (step, (guint) gtk_spin_button_get_value (self->steps_spin));
  if (!vt_spec_add_step (spec, step, error))
    return NULL;
  return vt_spec_to_data (spec);
}

void
vitrine_faithfulness_panel_start (VitrineFaithfulnessPanel *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *model = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  guint images;

  g_return_if_fail (!vitrine_faithfulness_panel_is_running (self));
  clear_error (self);
  if (self->model == NULL || self->dataset == NULL || self->methods == NULL || self->methods[0] == NULL)
    {
      set_error (self, _("Open a classifier checkpoint and a dataset, and tick methods on the Maps page."));
      return;
    }
  model = g_path_get_basename (checkpoint_path (self->model));
  data = g_path_get_basename (self->dataset->path);
  /* Translators: a run's name in the Runs panel; %s: a checkpoint, then a dataset */
  name = g_strdup_printf (_("Faithfulness of %s on %s"), model, data);
  if (!(json = build_spec (self, name, &error)))
    {
      set_error (self, error->message);
      return;
    }
  images = (guint) gtk_spin_button_get_value (self->images_spin);
  self->run_images = images > 0 && images < self->dataset->n_samples ? images : self->dataset->n_samples;
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("attribution", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  reset_curves (self, g_strdupv (self->methods));
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status, _("Computing the maps…"));
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
  update_actions (self);
}

void
vitrine_faithfulness_panel_cancel (VitrineFaithfulnessPanel *self)
{
  if (self->run != NULL)
    vitrine_run_cancel (self->run);
}

gboolean
vitrine_faithfulness_panel_is_running (VitrineFaithfulnessPanel *self)
{
  return self->run != NULL && vitrine_run_get_state (self->run) == VITRINE_RUN_RUNNING;
}

/* Export ---------------------------------------------------------------------------*/

gboolean
vitrine_faithfulness_panel_export_curves (VitrineFaithfulnessPanel  *self,
                                          const char                *base_path,
                                          GError                   **error)
{
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    {
      VtFigure *figure = vitrine_figure_view_get_figure (self->chart_views[k]);
      g_autofree char *path = NULL;

      if (figure == NULL)
        continue;
      path = g_strdup_printf ("%s-%s", base_path, charts[k].label);
      if (!vt_figure_export (figure, path, VT_FIGURE_FORMATS_ALL, error))
        return FALSE;
    }
  return TRUE;
}

/* The curves as the step's <id>-curves.csv has them: method, metric, x, y. */
gboolean
vitrine_faithfulness_panel_export_csv (VitrineFaithfulnessPanel  *self,
                                       const char                *path,
                                       GError                   **error)
{
  g_autoptr(GString) csv = g_string_new ("method,metric,x,y\n");

  for (guint i = 0; i < self->curves->len; i++)
    {
      const Curve *c = g_ptr_array_index (self->curves, i);

      for (guint p = 0; p < c->n_points; p++)
        {
          char x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE];
          const char *row[4] = { c->method, c->label, g_ascii_dtostr (x, sizeof x, c->x[p]),
                                 isnan (c->y[p]) ? "" : g_ascii_dtostr (y, sizeof y, c->y[p]) };

          vt_csv_append_row (csv, 4, row);
        }
    }
  return vt_atomic_file_write (path, csv->str, csv->len, error);
}

static void
report_export (VitrineFaithfulnessPanel *self,
               gboolean                  ok,
               GError                   *error,
               const char               *path)
{
  g_autofree char *text = NULL;

  if (!ok)
    {
      set_error (self, error ? error->message : _("Only local files can be written"));
      return;
    }
  clear_error (self);
  /* Translators: %s is the file (or the files' name without extension) written */
  text = g_strdup_printf (_("Exported %s"), path);
  gtk_label_set_text (self->status, text);
}

static void
curves_file_chosen (GFile    *file,
                    gpointer  panel)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_faithfulness_panel_export_curves (panel, base, &error);

  report_export (panel, ok, error, base);
}

static void
csv_file_chosen (GFile    *file,
                 gpointer  panel)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = path && vitrine_faithfulness_panel_export_csv (panel, path, &error);

  report_export (panel, ok, error, path);
}

static void
panel_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VitrineFaithfulnessPanel *self = VITRINE_FAITHFULNESS_PANEL (widget);

  if (g_str_equal (action_name, "faithfulness.start"))
    vitrine_faithfulness_panel_start (self);
  else if (g_str_equal (action_name, "faithfulness.cancel"))
    vitrine_faithfulness_panel_cancel (self);
  else if (g_str_equal (action_name, "faithfulness.export-curves"))
    /* Translators: title of the save dialog; PNG, SVG and PDF are written for each metric's chart */
    vitrine_choose_save_file (widget, _("Export Curves as PNG, SVG and PDF"), "faithfulness", curves_file_chosen,
                              widget);
  else
    vitrine_choose_save_file (widget, _("Export Curves as CSV"), "faithfulness-curves.csv", csv_file_chosen, widget);
}

/* Accessors ------------------------------------------------------------------------*/

GtkWidget *
vitrine_faithfulness_panel_get_chart (VitrineFaithfulnessPanel *self,
                                      const char               *label)
{
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    if (g_strcmp0 (charts[k].label, label) == 0)
      return GTK_WIDGET (self->chart_views[k]);
  return NULL;
}

guint
vitrine_faithfulness_panel_get_n_curves (VitrineFaithfulnessPanel *self)
{
  return self->curves->len;
}

double
vitrine_faithfulness_panel_get_mean (VitrineFaithfulnessPanel *self,
                                     const char               *label,
                                     const char               *method)
{
  const Curve *c = find_curve (self, label, method);

  return c ? c->mean : NAN;
}

const char *
vitrine_faithfulness_panel_get_error (VitrineFaithfulnessPanel *self)
{
  return self->error;
}

const char *
vitrine_faithfulness_panel_get_status (VitrineFaithfulnessPanel *self)
{
  return gtk_label_get_text (self->status);
}

/* GObject --------------------------------------------------------------------------*/

static void
vitrine_faithfulness_panel_dispose (GObject *object)
{
  VitrineFaithfulnessPanel *self = VITRINE_FAITHFULNESS_PANEL (object);
  GtkWidget *child;

  /* A run of a window that goes has nobody to show it. */
  vitrine_faithfulness_panel_cancel (self);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_FAITHFULNESS_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_faithfulness_panel_parent_class)->dispose (object);
}

static void
vitrine_faithfulness_panel_finalize (GObject *object)
{
  VitrineFaithfulnessPanel *self = VITRINE_FAITHFULNESS_PANEL (object);

  g_ptr_array_unref (self->curves);
  g_strfreev (self->methods);
  g_strfreev (self->run_methods);
  g_free (self->layer);
  g_free (self->error);
  G_OBJECT_CLASS (vitrine_faithfulness_panel_parent_class)->finalize (object);
}

static void
vitrine_faithfulness_panel_class_init (VitrineFaithfulnessPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_faithfulness_panel_dispose;
  object_class->finalize = vitrine_faithfulness_panel_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vitrine/Vitrine/vitrine-faithfulness-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, source_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, deletion_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, insertion_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, road_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, images_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, steps_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, progress_bar);
  gtk_widget_class_bind_template_child_full (widget_class, "deletion_chart", FALSE,
                                             G_STRUCT_OFFSET (VitrineFaithfulnessPanel, chart_views[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "insertion_chart", FALSE,
                                             G_STRUCT_OFFSET (VitrineFaithfulnessPanel, chart_views[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "road_morf_chart", FALSE,
                                             G_STRUCT_OFFSET (VitrineFaithfulnessPanel, chart_views[2]));
  gtk_widget_class_bind_template_child_full (widget_class, "road_lerf_chart", FALSE,
                                             G_STRUCT_OFFSET (VitrineFaithfulnessPanel, chart_views[3]));
  gtk_widget_class_bind_template_child (widget_class, VitrineFaithfulnessPanel, means_grid);
  gtk_widget_class_install_action (widget_class, "faithfulness.start", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "faithfulness.cancel", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "faithfulness.export-curves", NULL, panel_action);
  gtk_widget_class_install_action (widget_class, "faithfulness.export-csv", NULL, panel_action);
  /* As in the Train area and on the COMET page. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "faithfulness.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "faithfulness.cancel", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "faithfulnesspanel");
}

static void
vitrine_faithfulness_panel_init (VitrineFaithfulnessPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->curves = g_ptr_array_new_with_free_func ((GDestroyNotify) curve_free);
  g_signal_connect_swapped (self->deletion_check, "toggled", G_CALLBACK (update_actions), self);
  g_signal_connect_swapped (self->insertion_check, "toggled", G_CALLBACK (update_actions), self);
  g_signal_connect_swapped (self->road_check, "toggled", G_CALLBACK (update_actions), self);
  for (guint k = 0; k < VITRINE_FAITHFULNESS_N_CHARTS; k++)
    gtk_widget_set_visible (GTK_WIDGET (self->chart_views[k]), FALSE);
  show_source (self);
  update_actions (self);
}
