/* vitrine-comet-page.c: COMET in the Attribution area.
 *
 * Start builds the spec a user would write for --batch (one `comet` step,
 * made by the step's constructor, on absolute paths) and starts it as a
 * VitrineRun, listed in the Runs panel, as the Train area does. The step's
 * events draw the curves: `l1`, `l2`, `hinge`, `area`,
 * `predictor_accuracy` and `detector_accuracy` one point a step, the
 * test split's `test_predictor_accuracy`, `test_detector_accuracy` and
 * `test_area` one a epoch, and the `masks` tensor redraws the first test
 * images' masks every epoch. At the end, and for a reopened run, the masks
 * come from the maps file the step wrote (<id>-maps.safetensors, map
 * "comet"); a reopened run draws the report's curves per epoch
 * (results.json keeps no per-step values). Events of a run the page no
 * longer shows are dropped. */
#include "vitrine-comet-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-status.h"

#include <glib/gi18n.h>
#include <math.h>

#include "io/vt-checkpoint.h"
#include "report/vt-report.h"
#include "run/vt-run.h"
#include "run/vt-spec.h"

/* The step's id: its files are <run folder>/comet-*. */
#define COMET_STEP_ID "comet"
/* As many masks as the step's `masks` event holds. */
#define SHOWN_MASKS 8

/* The per-step events and where each is drawn: chart 0 the losses,
 * chart 1 the mask area and the accuracies (both in [0, 1]). */
static const struct { const char *series; guint chart, line; } step_series[] = {
  { "l1", 0, 0 }, { "l2", 0, 1 }, { "hinge", 0, 2 },
  { "area", 1, 0 }, { "predictor_accuracy", 1, 1 }, { "detector_accuracy", 1, 2 },
};
/* The per-epoch events, in the order of the report's "<id>-test" figure,
 * which replaces the live one on reopening. */
static const char * const epoch_series[] = { "test_predictor_accuracy", "test_detector_accuracy", "test_area" };

struct _VitrineCometPage
{
  GtkWidget           parent_instance;

  GtkLabel           *source_label;
  GtkSpinButton      *epochs_spin;
  GtkSpinButton      *batch_spin;
  GtkSpinButton      *a_spin;
  GtkSpinButton      *g_spin;
  GtkSpinButton      *b_spin;
  GtkSpinButton      *tau_spin;
  GtkSpinButton      *lr_spin;
  GtkSpinButton      *seed_spin;
  GtkSpinButton      *train_limit_spin;
  GtkSpinButton      *test_limit_spin;
  GtkSpinButton      *predictor_depth_spin;
  GtkSpinButton      *selector_width_spin;
  GtkLabel           *status;
  GtkProgressBar     *progress_bar;
  VitrineFigureView  *loss_chart;
  VitrineFigureView  *rate_chart;
  VitrineFigureView  *epoch_chart;
  VitrineFigureView  *masks_view;

  VtModel            *model;
  VtDataset          *dataset;
  GListStore         *runs;            /* the window's, where each run is listed */
  VitrineRun         *run;             /* the run shown: running, finished or reopened */
  char               *error;
  guint               n_epochs;        /* of the run shown */
  guint               n_steps;         /* steps drawn */
  guint               steps_per_epoch; /* 0 until the first epoch ends */
  guint               epochs_done;
  guint               n_mask_draws;
};

G_DEFINE_FINAL_TYPE (VitrineCometPage, vitrine_comet_page, GTK_TYPE_WIDGET)

static void
update_actions (VitrineCometPage *self)
{
  gboolean running = vitrine_comet_page_is_running (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "comet.start",
                                 !running && self->model != NULL && self->dataset != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "comet.cancel", running);
}

static const char *
checkpoint_path (VtModel *model)
{
  return vt_checkpoint_get_path (vt_model_get_checkpoint (model));
}

/* A dataset with train and test splits trains on the one and masks the
 * other; a single folder (the demo sample) is both, as comet-demo.json
 * runs it. */
static gboolean
has_splits (VtDataset *dataset)
{
  return dataset->split != NULL;
}

static void
show_source (VitrineCometPage *self)
{
  g_autofree char *model = self->model ? g_path_get_basename (checkpoint_path (self->model)) : NULL;
  g_autofree char *data = self->dataset ? g_path_get_basename (self->dataset->path) : NULL;
  g_autofree char *text = NULL;

  if (self->dataset != NULL && !has_splits (self->dataset))
    /* Translators: %s: a checkpoint file, then a dataset; or what to open */
    text = g_strdup_printf (_("Explains %s by a selector and a predictor trained on %s, which has no training "
                              "split: they train on the images they mask, a demonstration, not a measurement."),
                            model ? model : _("(open a checkpoint)"), data);
  else
    /* Translators: %s: a checkpoint file, then a dataset; or what to open */
    text = g_strdup_printf (_("Explains %s by a selector and a predictor trained on the train split of %s; "
                              "the masks are of its test split."),
                            model ? model : _("(open a checkpoint)"), data ? data : _("(open a dataset)"));
  gtk_label_set_text (self->source_label, text);
}

void
vitrine_comet_page_set_model (VitrineCometPage *self,
                              VtModel          *model)
{
  g_clear_pointer (&self->model, vt_model_free);
  self->model = model ? vt_model_ref (model) : NULL;
  show_source (self);
  update_actions (self);
}

void
vitrine_comet_page_set_dataset (VitrineCometPage *self,
                                VtDataset        *dataset)
{
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  self->dataset = dataset ? vt_dataset_ref (dataset) : NULL;
  show_source (self);
  update_actions (self);
}

void
vitrine_comet_page_set_runs (VitrineCometPage *self,
                             GListStore       *runs)
{
  g_set_object (&self->runs, runs);
}

/* Curves ------------------------------------------------------------------------*/

static char **
numbered_labels (guint first,
                 guint n)
{
  char **labels = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    labels[i] = g_strdup_printf ("%u", first + i);
  return labels;
}

/* Per-step chart @chart (0 the losses, 1 the area and accuracies) over
 * @cols steps, keeping the points drawn so far; the rest NaN, points not
 * there yet. */
static void
resize_step_chart (VitrineCometPage *self,
                   guint             chart,
                   guint             cols)
{
  VitrineFigureView *view = chart == 0 ? self->loss_chart : self->rate_chart;
  VtFigure *old = vitrine_figure_view_get_figure (view);
  g_autofree double *values = g_new (double, 3 * (gsize) MAX (cols, 1));
  g_auto(GStrv) labels = numbered_labels (0, cols);
  const char *loss_names[] = { _("L1 (predictor)"), _("L2 (detector)"), _("hinge"), NULL };
  const char *rate_names[] = { _("mask area"), _("predictor, kept"), _("detector, left out"), NULL };
  double top = chart == 0 ? (old && old->y_max > 0 ? old->y_max : 1.0) : 1.0;
  VtFigure *figure;

  for (guint s = 0; s < 3; s++)
    for (guint i = 0; i < cols; i++)
      values[(gsize) s * cols + i] = old && i < old->cols && i < self->n_steps ? old->values[(gsize) s * old->cols + i]
                                                                               : NAN;
  if (chart == 0)
    figure = vt_figure_new_lines (_("COMET's losses per step"), _("step"), _("loss"), 3, cols, values, loss_names,
                                  (const char * const *) labels, 0.0, top);
  else
    figure = vt_figure_new_lines (_("Area and accuracies per step"), _("step"), _("area, accuracy"), 3, cols,
                                  values, rate_names, (const char * const *) labels, 0.0, 1.0);
  vitrine_figure_view_set_figure (view, figure);
}

static void
reset_curves (VitrineCometPage *self,
              guint             epochs)
{
  g_autofree double *values = g_new (double, 3 * (gsize) epochs);
  g_auto(GStrv) labels = numbered_labels (1, epochs);
  const char *names[] = { _("predictor, kept"), _("detector, left out"), _("mask area"), NULL };

  self->n_epochs = epochs;
  self->n_steps = 0;
  self->steps_per_epoch = 0;
  self->epochs_done = 0;
  self->n_mask_draws = 0;
  vitrine_figure_view_set_figure (self->loss_chart, NULL);
  vitrine_figure_view_set_figure (self->rate_chart, NULL);
  vitrine_figure_view_set_figure (self->masks_view, NULL);
  /* Until the first epoch ends, the steps an epoch has are not known. */
  resize_step_chart (self, 0, 16);
  resize_step_chart (self, 1, 16);
  for (gsize i = 0; i < 3 * (gsize) epochs; i++)
    values[i] = NAN;
  vitrine_figure_view_set_figure (self->epoch_chart,
                                  vt_figure_new_lines (_("Test split per epoch"), _("epoch"), _("accuracy, area"), 3,
                                                       epochs, values, names, (const char * const *) labels, 0.0, 1.0));
}

static void
add_step_point (VitrineCometPage *self,
                guint             chart,
                guint             line,
                guint             step,
                double            value)
{
  VitrineFigureView *view = chart == 0 ? self->loss_chart : self->rate_chart;
  VtFigure *figure = vitrine_figure_view_get_figure (view);

  if (step >= figure->cols)
    {
      resize_step_chart (self, chart, MAX (step + 1, 2 * figure->cols));
      figure = vitrine_figure_view_get_figure (view);
    }
  figure->values[(gsize) line * figure->cols + step] = value;
  if (chart == 0 && isfinite (value) && value > figure->y_max)
    figure->y_max = value;
  /* l1 comes first of a step's events. */
  if (chart == 0 && line == 0)
    self->n_steps = MAX (self->n_steps, step + 1);
  vitrine_figure_view_changed (view);
}

static void
add_epoch_point (VitrineCometPage *self,
                 guint             line,
                 guint             epoch,
                 double            value)
{
  VtFigure *figure = vitrine_figure_view_get_figure (self->epoch_chart);

  if (epoch < 1 || epoch > figure->cols)
    return;
  figure->values[(gsize) line * figure->cols + epoch - 1] = value;
  vitrine_figure_view_changed (self->epoch_chart);
  /* test_area is the epoch's last figure. */
  if (line + 1 < G_N_ELEMENTS (epoch_series) || epoch <= self->epochs_done)
    return;
  self->epochs_done = epoch;
  /* Now the steps of an epoch are known: the curves span the whole run. */
  if (self->steps_per_epoch == 0 && self->n_steps > 0)
    {
      self->steps_per_epoch = self->n_steps;
      resize_step_chart (self, 0, self->steps_per_epoch * self->n_epochs);
      resize_step_chart (self, 1, self->steps_per_epoch * self->n_epochs);
    }
}

/* @masks (n, size, size), the first test images' masks, in the row of
 * maps (the maps alone: the images are not at hand, and a mask is read
 * best on its own). */
static void
show_masks (VitrineCometPage *self,
            const float      *masks,
            guint             n,
            guint             size,
            const char       *title)
{
  gsize plane = (gsize) size * size;
  g_autofree float *image = g_new0 (float, 3 * plane);
  g_autofree double *values = g_new (double, n * plane);
  g_auto(GStrv) captions = g_new0 (char *, n + 1);
  VtFigure *figure;

  for (gsize i = 0; i < n * plane; i++)
    values[i] = masks[i];
  for (guint i = 0; i < n; i++)
    /* The title says they are test images; eight captions share a narrow row. */
    captions[i] = g_strdup_printf ("%u", i);
  figure = vt_figure_new_overlay_row (title, NULL, n, size, size, image, values, (const char * const *) captions, 0.0,
                                      1.0, 1.0);
  vitrine_figure_view_set_figure (self->masks_view, figure);
  self->n_mask_draws++;
}

/* Main thread: VitrineRun hands the engine's events over. */
static void
on_run_event (VitrineRun       *run,
              const VtEvent    *event,
              VitrineCometPage *self)
{
  if (run != self->run)
    return;
  if (event->kind == VT_EVENT_PROGRESS)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, event->fraction);
      if (event->message != NULL)
        gtk_label_set_text (self->status, event->message);
    }
  else if (event->kind == VT_EVENT_METRIC && event->series != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (step_series); i++)
        if (g_str_equal (event->series, step_series[i].series))
          add_step_point (self, step_series[i].chart, step_series[i].line, (guint) event->x, event->y);
      for (guint i = 0; i < G_N_ELEMENTS (epoch_series); i++)
        if (g_str_equal (event->series, epoch_series[i]))
          add_epoch_point (self, i, (guint) event->x, event->y);
    }
  else if (event->kind == VT_EVENT_TENSOR && g_strcmp0 (event->name, "masks") == 0 && event->n_dims == 3 &&
           event->shape[1] == event->shape[2] && event->shape[0] > 0)
    {
      /* Translators: %u: the last test image shown, then the epoch after which the masks were computed */
      g_autofree char *title = g_strdup_printf (_("Masks of test images 0–%u after epoch %u"),
                                                (guint) event->shape[0] - 1, self->epochs_done);
      /* Translators: %u: an epoch, then the epochs of the run */
      g_autofree char *text = g_strdup_printf (_("Epoch %u of %u done."), self->epochs_done, self->n_epochs);

      show_masks (self, event->data, (guint) event->shape[0], (guint) event->shape[1], title);
      gtk_label_set_text (self->status, text);
    }
}

/* Results -----------------------------------------------------------------------*/

/* The first test images' masks from the maps file the step wrote. */
static gboolean
show_final_masks (VitrineCometPage  *self,
                  const char        *path,
                  GError           **error)
{
  g_autoptr(VtCheckpoint) maps = vt_checkpoint_open (path, error);
  const VtTensor *comet;
  g_autofree float *values = NULL;
  g_autofree char *title = NULL;
  guint n;

  if (maps == NULL)
    return FALSE;
  comet = vt_checkpoint_lookup (maps, "comet");
  if (comet == NULL || comet->ndim != 3 || comet->shape[1] != comet->shape[2] || comet->shape[0] < 1)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s: no map “comet” of shape (N, H, H), as a comet step writes", path);
      return FALSE;
    }
  values = vt_tensor_dup_float (comet);
  n = (guint) MIN (comet->shape[0], SHOWN_MASKS);
  /* Translators: %u: the last test image shown */
  title = g_strdup_printf (_("COMET's final masks of test images 0–%u"), n - 1);
  show_masks (self, values, n, (guint) comet->shape[1], title);
  return TRUE;
}

/* The report's figure named "<id>-@suffix" of @step (a comet step's entry
 * in @dir's results.json), or NULL with @error set. */
static VtFigure *
report_figure (JsonObject  *step,
               const char  *dir,
               const char  *suffix,
               GError     **error)
{
  g_autoptr(GPtrArray) figures = vt_report_step_figures ("comet", step, dir, error);
  g_autofree char *name = NULL;

  if (figures == NULL)
    return NULL;
  name = g_strdup_printf ("%s-%s", json_object_get_string_member_with_default (step, "id", ""), suffix);
  for (guint i = 0; i < figures->len; i++)
    {
      VtReportFigure *entry = g_ptr_array_index (figures, i);

      if (g_str_equal (entry->name, name))
        return g_steal_pointer (&entry->figure);
    }
  g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s/results.json: no figure %s", dir, name);
  return NULL;
}

/* A finished run: what its results.json says and the masks of its maps
 * file; @reopened: its curves too, the report's, per epoch. */
static gboolean
show_results (VitrineCometPage  *self,
              VitrineRun        *run,
              gboolean           reopened,
              GError           **error)
{
  g_autoptr(JsonNode) node = vitrine_run_load_step_result (run, "comet", error);
  const char *dir = vitrine_run_get_results_dir (run);
  static const char * const members[] = { "maps", "epochs_finished", "test_predictor_accuracy",
                                          "test_detector_accuracy", "detector_clean_accuracy", "test_area" };
  g_autofree char *maps = NULL;
  g_autofree char *text = NULL;
  JsonObject *step;

  if (node == NULL)
    return FALSE;
  step = json_node_get_object (node);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (!json_object_has_member (step, members[i]))
      {
        g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                     "%s/results.json: the comet step's result lacks %s", dir, members[i]);
        return FALSE;
      }
  if (reopened)
    {
      VtFigure *losses = report_figure (step, dir, "losses", error);
      VtFigure *test = losses ? report_figure (step, dir, "test", error) : NULL;

      if (test == NULL)
        {
          g_clear_pointer (&losses, vt_figure_free);
          return FALSE;
        }
      self->n_epochs = self->epochs_done = (guint) json_object_get_int_member (step, "epochs_finished");
      self->n_steps = self->steps_per_epoch = self->n_mask_draws = 0;
      vitrine_figure_view_set_figure (self->loss_chart, losses);
      /* results.json keeps no per-step area or accuracy. */
      vitrine_figure_view_set_figure (self->rate_chart, NULL);
      vitrine_figure_view_set_figure (self->epoch_chart, test);
    }
  maps = g_build_filename (dir, json_object_get_string_member (step, "maps"), NULL);
  if (!show_final_masks (self, maps, error))
    return FALSE;
  gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  /* Translators: percentages: the predictor on the kept pixels, the detector on the left-out ones and on clean
   * images; %.2f: the mean mask area; %s: the run's folder */
  text = g_strdup_printf (_("Done: the predictor scores %.1f%% on the kept pixels, the detector %.1f%% on the "
                            "left-out ones (%.1f%% on clean images), mask area %.2f. The masks and networks are in %s"),
                          100 * json_object_get_double_member (step, "test_predictor_accuracy"),
                          100 * json_object_get_double_member (step, "test_detector_accuracy"),
                          100 * json_object_get_double_member (step, "detector_clean_accuracy"),
                          json_object_get_double_member (step, "test_area"), dir);
  gtk_label_set_text (self->status, text);
  update_actions (self);
  return TRUE;
}

gboolean
vitrine_comet_page_show_run (VitrineCometPage  *self,
                             VitrineRun        *run,
                             GError           **error)
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
vitrine_comet_page_get_run (VitrineCometPage *self)
{
  return self->run;
}

/* Running -----------------------------------------------------------------------*/

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineCometPage) self = data;
  g_autoptr(GError) error = NULL;

  switch (vitrine_run_finish_for_page (run, self->run, result, &error))
    {
    case VITRINE_RUN_ENDED_ELSEWHERE:
      return;
    case VITRINE_RUN_ENDED_FAILED:
      vitrine_status_show_error (self->status, &self->error, error->message);
      break;
    case VITRINE_RUN_ENDED_CANCELLED:
      if (self->epochs_done > 0)
        {
          /* Translators: %u: the last finished epoch */
          g_autofree char *text = g_strdup_printf (_("Cancelled. The masks and networks of epoch %u are kept."),
                                                   self->epochs_done);
          gtk_label_set_text (self->status, text);
        }
      else
        gtk_label_set_text (self->status, _("Cancelled before the first epoch ended: no masks were written."));
      break;
    case VITRINE_RUN_ENDED_DONE:
      /* The curves grew from the run's events; the rest comes from its files. */
      if (!show_results (self, run, FALSE, &error))
        vitrine_status_show_error (self->status, &self->error, error->message);
      break;
    }
  update_actions (self);
}

void
vitrine_comet_page_configure (VitrineCometPage *self,
                              guint             epochs,
                              guint             batch,
                              guint             train_limit,
                              guint             test_limit,
                              guint             predictor_depth,
                              guint             selector_width)
{
  gtk_spin_button_set_value (self->epochs_spin, epochs);
  gtk_spin_button_set_value (self->batch_spin, batch);
  gtk_spin_button_set_value (self->train_limit_spin, train_limit);
  gtk_spin_button_set_value (self->test_limit_spin, test_limit);
  gtk_spin_button_set_value (self->predictor_depth_spin, predictor_depth);
  gtk_spin_button_set_value (self->selector_width_spin, selector_width);
}

static guint
spin_uint (GtkSpinButton *spin)
{
  return (guint) gtk_spin_button_get_value (spin);
}

/* The spec a user would write for --batch: one comet step on the open
 * checkpoint and dataset, as the fields say. */
static char *
build_spec (VitrineCometPage  *self,
            const char        *name,
            GError           **error)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  VtCometStep *step = vt_comet_step_new (COMET_STEP_ID, checkpoint_path (self->model), self->dataset->path);

  step->input.split = g_strdup (has_splits (self->dataset) ? "train" : "test");
  step->test_split = g_strdup ("test");
  step->input.batch = spin_uint (self->batch_spin);
  step->epochs = spin_uint (self->epochs_spin);
  step->a = gtk_spin_button_get_value (self->a_spin);
  step->g = gtk_spin_button_get_value (self->g_spin);
  step->b = gtk_spin_button_get_value (self->b_spin);
  step->tau = gtk_spin_button_get_value (self->tau_spin);
  step->lr = gtk_spin_button_get_value (self->lr_spin);
  step->seed = spin_uint (self->seed_spin);
  step->train_limit = spin_uint (self->train_limit_spin);
  step->test_limit = spin_uint (self->test_limit_spin);
  step->predictor_depth = spin_uint (self->predictor_depth_spin);
  step->selector_width = spin_uint (self->selector_width_spin);
  if (!vt_spec_add_step (spec, (VtStep *) step, error))
    return NULL;
  return vt_spec_to_data (spec);
}

void
vitrine_comet_page_start (VitrineCometPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *model = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (!vitrine_comet_page_is_running (self));
  vitrine_status_clear_error (self->status, &self->error);
  if (self->model == NULL || self->dataset == NULL)
    {
      vitrine_status_show_error (self->status, &self->error,
                                 _("Open a classifier checkpoint (the detector) and a dataset."));
      return;
    }
  /* The predictor is a CIFAR ResNet of 6n + 2 layers: the step's own rule, in the field's words. */
  if (spin_uint (self->predictor_depth_spin) % 6 != 2)
    {
      vitrine_status_show_error (self->status, &self->error,
                                 _("Predictor depth: a CIFAR ResNet has 6n + 2 layers (8, 14, 20, 32, …)."));
      return;
    }
  model = g_path_get_basename (checkpoint_path (self->model));
  data = g_path_get_basename (self->dataset->path);
  /* Translators: a run's name in the Runs panel; %s: a checkpoint, then a dataset */
  name = g_strdup_printf (_("COMET of %s on %s"), model, data);
  if (!(json = build_spec (self, name, &error)))
    {
      vitrine_status_show_error (self->status, &self->error, error->message);
      return;
    }
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("attribution", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  reset_curves (self, spin_uint (self->epochs_spin));
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status, _("Running…"));
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
  update_actions (self);
}

void
vitrine_comet_page_cancel (VitrineCometPage *self)
{
  if (self->run != NULL)
    vitrine_run_cancel (self->run);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  vitrine_comet_page_start (VITRINE_COMET_PAGE (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_comet_page_cancel (VITRINE_COMET_PAGE (widget));
}

/* The fields start at the step's own defaults, read from a step the
 * constructor makes, so that the page and --batch cannot disagree. */
static void
set_step_defaults (VitrineCometPage *self)
{
  VtCometStep *step = vt_comet_step_new (COMET_STEP_ID, "", "");

  gtk_spin_button_set_value (self->epochs_spin, step->epochs);
  gtk_spin_button_set_value (self->batch_spin, step->input.batch);
  gtk_spin_button_set_value (self->a_spin, step->a);
  gtk_spin_button_set_value (self->g_spin, step->g);
  gtk_spin_button_set_value (self->b_spin, step->b);
  gtk_spin_button_set_value (self->tau_spin, step->tau);
  gtk_spin_button_set_value (self->lr_spin, step->lr);
  gtk_spin_button_set_value (self->seed_spin, step->seed);
  gtk_spin_button_set_value (self->train_limit_spin, step->train_limit);
  gtk_spin_button_set_value (self->test_limit_spin, step->test_limit);
  gtk_spin_button_set_value (self->predictor_depth_spin, step->predictor_depth);
  gtk_spin_button_set_value (self->selector_width_spin, step->selector_width);
  vt_step_free ((VtStep *) step);
}

/* Accessors ---------------------------------------------------------------------*/

gboolean
vitrine_comet_page_is_running (VitrineCometPage *self)
{
  return self->run != NULL && vitrine_run_get_state (self->run) == VITRINE_RUN_RUNNING;
}

guint
vitrine_comet_page_get_n_steps (VitrineCometPage *self)
{
  return self->n_steps;
}

guint
vitrine_comet_page_get_n_epochs_done (VitrineCometPage *self)
{
  return self->epochs_done;
}

guint
vitrine_comet_page_get_n_mask_draws (VitrineCometPage *self)
{
  return self->n_mask_draws;
}

GtkWidget *
vitrine_comet_page_get_loss_chart (VitrineCometPage *self)
{
  return GTK_WIDGET (self->loss_chart);
}

GtkWidget *
vitrine_comet_page_get_rate_chart (VitrineCometPage *self)
{
  return GTK_WIDGET (self->rate_chart);
}

GtkWidget *
vitrine_comet_page_get_epoch_chart (VitrineCometPage *self)
{
  return GTK_WIDGET (self->epoch_chart);
}

GtkWidget *
vitrine_comet_page_get_masks_view (VitrineCometPage *self)
{
  return GTK_WIDGET (self->masks_view);
}

const char *
vitrine_comet_page_get_error (VitrineCometPage *self)
{
  return self->error;
}

const char *
vitrine_comet_page_get_status (VitrineCometPage *self)
{
  return gtk_label_get_text (self->status);
}

/* GObject -----------------------------------------------------------------------*/

static void
vitrine_comet_page_dispose (GObject *object)
{
  VitrineCometPage *self = VITRINE_COMET_PAGE (object);
  GtkWidget *child;

  /* A run of a window that goes has nobody to show it. */
  vitrine_comet_page_cancel (self);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_COMET_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_comet_page_parent_class)->dispose (object);
}

static void
vitrine_comet_page_finalize (GObject *object)
{
  VitrineCometPage *self = VITRINE_COMET_PAGE (object);

  g_free (self->error);
  G_OBJECT_CLASS (vitrine_comet_page_parent_class)->finalize (object);
}

static void
vitrine_comet_page_class_init (VitrineCometPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_comet_page_dispose;
  object_class->finalize = vitrine_comet_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-comet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, source_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, a_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, g_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, b_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, tau_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, train_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, test_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, predictor_depth_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, selector_width_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, loss_chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, rate_chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, epoch_chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineCometPage, masks_view);
  gtk_widget_class_install_action (widget_class, "comet.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "comet.cancel", NULL, cancel_action);
  /* As in the Train area (the shortcuts window lists them). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "comet.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "comet.cancel", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cometpage");
}

static void
vitrine_comet_page_init (VitrineCometPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  set_step_defaults (self);
  /* Empty axes say what a run will draw. */
  reset_curves (self, spin_uint (self->epochs_spin));
  show_source (self);
  update_actions (self);
}
