/* vitrine-train-page.c: fine-tuning in the window.
 *
 * Start builds the spec a user would write for --batch (one `train` step,
 * made by the step's constructor, on absolute paths) and starts it as a
 * VitrineRun, listed in the Runs panel, whose folder is under
 * ~/.local/share/vitrine/runs/. The step's events draw the curves: `loss`
 * one point a step, `train_accuracy` and `test_accuracy` one a epoch. The
 * run's results.json says where the trained checkpoint is; a reopened run
 * draws the report's curves from it (per epoch: results.json keeps no
 * per-step loss). Events of a run the page no longer shows are dropped. */
#include "vitrine-train-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-status.h"

#include <glib/gi18n.h>
#include <math.h>

#include "models/vt-trainable.h"
#include "nn/vt-optim.h"
#include "report/vt-report.h"
#include "run/vt-run.h"
#include "run/vt-spec.h"

/* The step's id: the trained checkpoint is <run folder>/train/model.safetensors. */
#define TRAIN_STEP_ID "train"

/* Orders match the drop-downs in vitrine-train-page.ui. */
static const VtTrainPart train_parts[] = { VT_TRAIN_HEAD, VT_TRAIN_LAST_BLOCKS, VT_TRAIN_NORMS, VT_TRAIN_ALL };
static const VtOptimizerKind optimizers[] = { VT_OPTIMIZER_SGD, VT_OPTIMIZER_ADAM, VT_OPTIMIZER_ADAMW };
static const VtScheduleKind schedules[] = { VT_SCHEDULE_CONSTANT, VT_SCHEDULE_COSINE, VT_SCHEDULE_STEP,
                                            VT_SCHEDULE_MULTI_STEP };

struct _VitrineTrainPage
{
  GtkWidget           parent_instance;

  GtkLabel           *source_label;
  GtkLabel           *unsupported_label;
  GtkDropDown        *trains_dropdown;
  GtkSpinButton      *blocks_spin;
  GtkSpinButton      *epochs_spin;
  GtkSpinButton      *batch_spin;
  GtkDropDown        *optimizer_dropdown;
  GtkSpinButton      *lr_spin;
  GtkSpinButton      *momentum_spin;
  GtkDropDown        *schedule_dropdown;
  GtkWidget          *decay_at_label;
  GtkWidget          *decay_at_box;
  GtkSpinButton      *step_epochs_spin;
  GtkEntry           *milestones_entry;
  GtkWidget          *decay_unit_label;
  GtkWidget          *gamma_label;
  GtkSpinButton      *gamma_spin;
  GtkSpinButton      *warmup_spin;
  GtkSpinButton      *decay_spin;
  GtkSpinButton      *smoothing_spin;
  GtkSpinButton      *pad_spin;
  GtkCheckButton     *flip_check;
  GtkCheckButton     *shuffle_check;
  GtkCheckButton     *batchnorm_check;
  GtkSpinButton      *seed_spin;
  GtkLabel           *status;
  GtkProgressBar     *progress_bar;
  VitrineFigureView  *loss_chart;
  VitrineFigureView  *accuracy_chart;

  VtModel            *model;
  VtDataset          *dataset;
  GListStore         *runs;          /* the window's, where each run is listed */
  VitrineRun         *run;           /* the run shown: running, finished or reopened */
  char               *error;
  char               *trained;       /* the trained checkpoint, once an epoch is done */
  guint               n_epochs;      /* of the run shown */
  guint               n_loss_points;
  guint               steps_per_epoch; /* 0 until the first epoch ends */
  guint               epochs_done;
};

G_DEFINE_FINAL_TYPE (VitrineTrainPage, vitrine_train_page, GTK_TYPE_WIDGET)

static void
update_actions (VitrineTrainPage *self)
{
  gboolean running = vitrine_train_page_is_running (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.start",
                                 !running && vitrine_train_page_can_train (self) && self->dataset != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.open-checkpoint", !running && self->trained != NULL);
}

static const char *
checkpoint_path (VtModel *model)
{
  return vt_checkpoint_get_path (vt_model_get_checkpoint (model));
}

/* What Start would train on, or what is missing, or why the model cannot train. */
static void
show_source (VitrineTrainPage *self)
{
  g_autofree char *model = self->model ? g_path_get_basename (checkpoint_path (self->model)) : NULL;
  g_autofree char *data = self->dataset ? g_path_get_basename (self->dataset->path) : NULL;
  g_autofree char *text = NULL;

  /* Translators: %s: a checkpoint file, then a dataset; or what to open */
  text = g_strdup_printf (_("Fine-tunes %s on the train split of %s, tested on its test split every epoch."),
                          model ? model : _("(open a checkpoint)"), data ? data : _("(open a dataset)"));
  gtk_label_set_text (self->source_label, text);
  if (self->model != NULL && !vitrine_train_page_can_train (self))
    {
      /* Translators: %s is a model family such as "CLIP ModifiedResNet" */
      g_autofree char *why = g_strdup_printf (_("A %s cannot be trained yet: the engine has backward passes for "
                                                "CIFAR and torchvision/timm ResNets, timm and torchvision ViTs, and "
                                                "the ViT image towers of OpenCLIP and Hugging Face CLIP."),
                                              vt_model_get_architecture (self->model)->family_name);
      gtk_label_set_text (self->unsupported_label, why);
      gtk_widget_set_visible (GTK_WIDGET (self->unsupported_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->unsupported_label), FALSE);
}

void
vitrine_train_page_set_model (VitrineTrainPage *self,
                              VtModel          *model)
{
  g_clear_pointer (&self->model, vt_model_free);
  self->model = model ? vt_model_ref (model) : NULL;
  show_source (self);
  update_actions (self);
}

void
vitrine_train_page_set_dataset (VitrineTrainPage *self,
                                VtDataset        *dataset)
{
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  self->dataset = dataset ? vt_dataset_ref (dataset) : NULL;
  show_source (self);
  update_actions (self);
}

gboolean
vitrine_train_page_can_train (VitrineTrainPage *self)
{
  return self->model != NULL && vt_trainable_supports (vt_model_get_architecture (self->model));
}

const char *
vitrine_train_page_get_unsupported (VitrineTrainPage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->unsupported_label))
         ? gtk_label_get_text (self->unsupported_label) : NULL;
}

void
vitrine_train_page_set_runs (VitrineTrainPage *self,
                             GListStore       *runs)
{
  g_set_object (&self->runs, runs);
}

/* Curves ------------------------------------------------------------------------*/

static char **
numbered_labels (guint n)
{
  char **labels = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    labels[i] = g_strdup_printf ("%u", i + 1);
  return labels;
}

/* A loss curve of @cols steps holding @n_known points of @old (NULL:
 * none); the rest NaN, points not there yet. */
static void
resize_loss_chart (VitrineTrainPage *self,
                   guint             cols)
{
  VtFigure *old = vitrine_figure_view_get_figure (self->loss_chart);
  g_autofree double *values = g_new (double, MAX (cols, 1));
  g_auto(GStrv) labels = numbered_labels (cols);
  const char *names[] = { _("loss"), NULL };
  double top = old && old->y_max > 0 ? old->y_max : 1.0;
  VtFigure *figure;

  for (guint i = 0; i < cols; i++)
    values[i] = old && i < old->cols && i < self->n_loss_points ? old->values[i] : NAN;
  figure = vt_figure_new_lines (_("Training loss per step"), _("step"), _("loss"), 1, cols, values, names,
                                (const char * const *) labels, 0.0, top);
  vitrine_figure_view_set_figure (self->loss_chart, figure);
}

static void
reset_curves (VitrineTrainPage *self,
              guint             epochs)
{
  g_autofree double *values = g_new (double, 2 * (gsize) epochs);
  g_auto(GStrv) labels = numbered_labels (epochs);
  const char *names[] = { _("train split"), _("test split"), NULL };

  self->n_epochs = epochs;
  self->n_loss_points = 0;
  self->steps_per_epoch = 0;
  self->epochs_done = 0;
  g_clear_pointer (&self->trained, g_free);
  vitrine_figure_view_set_figure (self->loss_chart, NULL);
  /* Until the first epoch ends, the steps an epoch has are not known. */
  resize_loss_chart (self, 16);
  for (gsize i = 0; i < 2 * (gsize) epochs; i++)
    values[i] = NAN;
  vitrine_figure_view_set_figure (self->accuracy_chart,
                                  vt_figure_new_lines (_("Accuracy per epoch"), _("epoch"), _("accuracy"), 2, epochs,
                                                       values, names, (const char * const *) labels, 0.0, 1.0));
}

static void
add_loss (VitrineTrainPage *self,
          guint             step,
          double            loss)
{
  VtFigure *chart = vitrine_figure_view_get_figure (self->loss_chart);

  if (step >= chart->cols)
    {
      resize_loss_chart (self, MAX (step + 1, 2 * chart->cols));
      chart = vitrine_figure_view_get_figure (self->loss_chart);
    }
  chart->values[step] = loss;
  if (isfinite (loss) && loss > chart->y_max)
    chart->y_max = loss;
  self->n_loss_points = MAX (self->n_loss_points, step + 1);
  vitrine_figure_view_changed (self->loss_chart);
}

static void
add_accuracy (VitrineTrainPage *self,
              guint             series,
              guint             epoch,
              double            accuracy)
{
  VtFigure *chart = vitrine_figure_view_get_figure (self->accuracy_chart);

  if (epoch < 1 || epoch > chart->cols)
    return;
  chart->values[(gsize) series * chart->cols + epoch - 1] = accuracy;
  vitrine_figure_view_changed (self->accuracy_chart);
  if (series == 0 || epoch <= self->epochs_done)
    return;
  /* The test accuracy comes after the epoch's checkpoint is written. */
  self->epochs_done = epoch;
  g_free (self->trained);
  self->trained = g_build_filename (vitrine_run_get_results_dir (self->run), TRAIN_STEP_ID, "model.safetensors", NULL);
  /* Now the steps of an epoch are known: the curve spans the whole run. */
  if (self->steps_per_epoch == 0)
    {
      self->steps_per_epoch = self->n_loss_points;
      resize_loss_chart (self, MAX (self->steps_per_epoch * self->n_epochs, 1));
    }
}

/* Main thread: VitrineRun hands the engine's events over. */
static void
on_run_event (VitrineRun       *run,
              const VtEvent    *event,
              VitrineTrainPage *self)
{
  if (run != self->run)
    return;
  if (event->kind == VT_EVENT_PROGRESS)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, event->fraction);
      if (event->message != NULL)
        gtk_label_set_text (self->status, event->message);
    }
  else if (event->kind == VT_EVENT_METRIC && g_strcmp0 (event->series, "loss") == 0)
    add_loss (self, (guint) event->x, event->y);
  else if (event->kind == VT_EVENT_METRIC && g_strcmp0 (event->series, "train_accuracy") == 0)
    add_accuracy (self, 0, (guint) event->x, event->y);
  else if (event->kind == VT_EVENT_METRIC && g_strcmp0 (event->series, "test_accuracy") == 0)
    {
      /* Translators: %u: an epoch, then the epochs of the run; %.2f%%: a percentage */
      g_autofree char *text = g_strdup_printf (_("Epoch %u of %u: %.2f%% on the test split"), (guint) event->x,
                                               self->n_epochs, 100 * event->y);

      add_accuracy (self, 1, (guint) event->x, event->y);
      gtk_label_set_text (self->status, text);
    }
}

/* Results -----------------------------------------------------------------------*/

/* The report's figure named "<id>-@suffix" of @step (a train step's entry
 * in @dir's results.json), or NULL with @error set. */
static VtFigure *
report_figure (JsonObject  *step,
               const char  *dir,
               const char  *suffix,
               GError     **error)
{
  g_autoptr(GPtrArray) figures = vt_report_step_figures ("train", step, dir, error);
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

/* A finished run: what its results.json says (the trained checkpoint,
 * the last test accuracy); @reopened: its curves too, the report's (the
 * loss of every step, as drawn live, and the accuracy per epoch). */
static gboolean
show_results (VitrineTrainPage  *self,
              VitrineRun        *run,
              gboolean           reopened,
              GError           **error)
{
  g_autoptr(JsonNode) node = vitrine_run_load_step_result (run, "train", error);
  const char *dir = vitrine_run_get_results_dir (run);
  JsonObject *step;
  g_autofree char *text = NULL;

  if (node == NULL)
    return FALSE;
  step = json_node_get_object (node);
  if (!json_object_has_member (step, "checkpoint") || !json_object_has_member (step, "epochs_finished") ||
      !json_object_has_member (step, "test_accuracy"))
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: the train step's result lacks checkpoint, epochs_finished or test_accuracy", dir);
      return FALSE;
    }
  if (reopened)
    {
      /* Runs written before the steps table have the loss per epoch only. */
      gboolean per_step = json_object_has_member (step, "steps_table");
      VtFigure *loss = report_figure (step, dir, per_step ? "loss-per-step" : "loss", error);
      VtFigure *accuracy = loss ? report_figure (step, dir, "accuracy", error) : NULL;

      if (accuracy == NULL)
        {
          g_clear_pointer (&loss, vt_figure_free);
          return FALSE;
        }
      self->n_epochs = self->epochs_done = (guint) json_object_get_int_member (step, "epochs_finished");
      self->n_loss_points = per_step ? loss->cols : 0;
      self->steps_per_epoch = 0;
      vitrine_figure_view_set_figure (self->loss_chart, loss);
      vitrine_figure_view_set_figure (self->accuracy_chart, accuracy);
    }
  g_free (self->trained);
  self->trained = g_build_filename (dir, json_object_get_string_member (step, "checkpoint"), NULL);
  gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  /* Translators: %.2f%%: the test accuracy; %s: the run's folder */
  text = g_strdup_printf (_("Done: %.2f%% on the test split. The checkpoint and curves are in %s"),
                          100 * json_object_get_double_member (step, "test_accuracy"), dir);
  gtk_label_set_text (self->status, text);
  update_actions (self);
  return TRUE;
}

gboolean
vitrine_train_page_show_run (VitrineTrainPage  *self,
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
vitrine_train_page_get_run (VitrineTrainPage *self)
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
  g_autoptr(VitrineTrainPage) self = data;
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
          g_autofree char *text = g_strdup_printf (_("Cancelled. The checkpoint of epoch %u is kept."),
                                                   self->epochs_done);
          gtk_label_set_text (self->status, text);
        }
      else
        gtk_label_set_text (self->status, _("Cancelled before the first epoch ended: no checkpoint was written."));
      break;
    case VITRINE_RUN_ENDED_DONE:
      /* The curves grew from the run's events; the rest comes from its file. */
      if (!show_results (self, run, FALSE, &error))
        vitrine_status_show_error (self->status, &self->error, error->message);
      break;
    }
  update_actions (self);
}

void
vitrine_train_page_configure (VitrineTrainPage *self,
                              guint             epochs,
                              guint             batch,
                              double            lr)
{
  gtk_spin_button_set_value (self->epochs_spin, epochs);
  gtk_spin_button_set_value (self->batch_spin, batch);
  gtk_spin_button_set_value (self->lr_spin, lr);
}

static VtScheduleKind
chosen_schedule (VitrineTrainPage *self)
{
  return schedules[MIN (gtk_drop_down_get_selected (self->schedule_dropdown), G_N_ELEMENTS (schedules) - 1)];
}

/* The Multi-step schedule's field, "30, 60, 90": epochs from 1 to
 * @epochs, increasing (the step's own rule, in the field's words). */
static guint *
parse_milestones (const char  *text,
                  guint        epochs,
                  guint       *n_milestones,
                  GError     **error)
{
  g_auto(GStrv) parts = g_strsplit_set (text, ", ", -1);
  g_autoptr(GArray) milestones = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i]; i++)
    {
      guint64 value;
      guint last = milestones->len ? g_array_index (milestones, guint, milestones->len - 1) : 0;

      if (parts[i][0] == '\0')
        continue;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, epochs, &value, NULL) || value <= last)
        {
          /* Translators: %s is what the user typed; %u the run's epochs */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Decay at: “%s” is not an epoch from 1 to %u after the one before. "
                         "Give increasing epochs separated by commas, e.g. 30, 60."),
                       parts[i], epochs);
          return NULL;
        }
      g_array_append_vals (milestones, &(guint) { (guint) value }, 1);
    }
  if (milestones->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Decay at: the Multi-step schedule needs the epochs after which the learning rate "
                             "is multiplied by gamma, e.g. 30, 60."));
      return NULL;
    }
  *n_milestones = milestones->len;
  return (guint *) g_array_free (g_steal_pointer (&milestones), FALSE);
}

/* The spec a user would write for --batch: one train step on the open
 * checkpoint and dataset, as the fields say. */
static char *
build_spec (VitrineTrainPage  *self,
            const char        *name,
            GError           **error)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  VtTrainStep *step = vt_train_step_new (TRAIN_STEP_ID, checkpoint_path (self->model), self->dataset->path);
  guint part = gtk_drop_down_get_selected (self->trains_dropdown);
  guint optimizer = gtk_drop_down_get_selected (self->optimizer_dropdown);

  step->input.split = g_strdup ("train");
  step->test_split = g_strdup ("test");
  step->input.batch = (guint) gtk_spin_button_get_value_as_int (self->batch_spin);
  step->trains = train_parts[MIN (part, G_N_ELEMENTS (train_parts) - 1)];
  step->blocks = (guint) gtk_spin_button_get_value_as_int (self->blocks_spin);
  step->epochs = (guint) gtk_spin_button_get_value_as_int (self->epochs_spin);
  step->optimizer = optimizers[MIN (optimizer, G_N_ELEMENTS (optimizers) - 1)];
  step->lr = gtk_spin_button_get_value (self->lr_spin);
  step->momentum = gtk_spin_button_get_value (self->momentum_spin);
  step->schedule = chosen_schedule (self);
  step->step_epochs = (guint) gtk_spin_button_get_value_as_int (self->step_epochs_spin);
  step->gamma = gtk_spin_button_get_value (self->gamma_spin);
  if (step->schedule == VT_SCHEDULE_MULTI_STEP &&
      !(step->milestones = parse_milestones (gtk_editable_get_text (GTK_EDITABLE (self->milestones_entry)),
                                             step->epochs, &step->n_milestones, error)))
    {
      vt_step_free ((VtStep *) step);
      return NULL;
    }
  step->warmup_epochs = (guint) gtk_spin_button_get_value_as_int (self->warmup_spin);
  step->weight_decay = gtk_spin_button_get_value (self->decay_spin);
  step->label_smoothing = gtk_spin_button_get_value (self->smoothing_spin);
  step->pad = (guint) gtk_spin_button_get_value_as_int (self->pad_spin);
  step->flip = gtk_check_button_get_active (self->flip_check);
  step->shuffle = gtk_check_button_get_active (self->shuffle_check);
  step->batchnorm_training = gtk_check_button_get_active (self->batchnorm_check);
  step->seed = (guint) gtk_spin_button_get_value (self->seed_spin);
  if (!vt_spec_add_step (spec, (VtStep *) step, error))
    return NULL;
  return vt_spec_to_data (spec);
}

void
vitrine_train_page_start (VitrineTrainPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *model = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  guint epochs = (guint) gtk_spin_button_get_value_as_int (self->epochs_spin);

  g_return_if_fail (!vitrine_train_page_is_running (self));
  vitrine_status_clear_error (self->status, &self->error);
  if (!vitrine_train_page_can_train (self) || self->dataset == NULL)
    {
      vitrine_status_show_error (self->status, &self->error,
                                 _("Open a checkpoint that can be trained and a dataset with train and test splits."));
      return;
    }
  /* The step's own bound, said here in the fields' words. */
  if ((guint) gtk_spin_button_get_value_as_int (self->warmup_spin) >= epochs)
    {
      vitrine_status_show_error (self->status, &self->error,
                                 _("The warm-up must be shorter than the run: fewer warm-up epochs than epochs."));
      return;
    }
  model = g_path_get_basename (checkpoint_path (self->model));
  data = g_path_get_basename (self->dataset->path);
  /* Translators: a run's name in the Runs panel; %s: a checkpoint, then a dataset */
  name = g_strdup_printf (_("%s on %s"), model, data);
  if (!(json = build_spec (self, name, &error)))
    {
      vitrine_status_show_error (self->status, &self->error, error->message);
      return;
    }
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("train", name, json);
  g_signal_connect_object (self->run, "event", G_CALLBACK (on_run_event), self, 0);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  reset_curves (self, epochs);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status, _("Running…"));
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
  update_actions (self);
}

void
vitrine_train_page_cancel (VitrineTrainPage *self)
{
  if (self->run != NULL)
    vitrine_run_cancel (self->run);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  vitrine_train_page_start (VITRINE_TRAIN_PAGE (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_train_page_cancel (VITRINE_TRAIN_PAGE (widget));
}

/* The window opens it as any checkpoint (win.open-file). */
static void
open_checkpoint_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  VitrineTrainPage *self = VITRINE_TRAIN_PAGE (widget);

  if (self->trained != NULL)
    gtk_widget_activate_action (widget, "win.open-file", "s", self->trained);
}

static void
on_trains_selected (VitrineTrainPage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->blocks_spin),
                            gtk_drop_down_get_selected (self->trains_dropdown) == 1);
}

/* Momentum is SGD's alone; Adam's betas are their defaults. */
static void
on_optimizer_selected (VitrineTrainPage *self)
{
  gboolean sgd = optimizers[MIN (gtk_drop_down_get_selected (self->optimizer_dropdown),
                                 G_N_ELEMENTS (optimizers) - 1)] == VT_OPTIMIZER_SGD;

  gtk_widget_set_sensitive (GTK_WIDGET (self->momentum_spin), sgd);
}

/* The step schedules' fields show with them: Step's period, Multi-step's
 * epochs, and the gamma of both. */
static void
on_schedule_selected (VitrineTrainPage *self)
{
  VtScheduleKind schedule = chosen_schedule (self);
  gboolean stepped = schedule == VT_SCHEDULE_STEP || schedule == VT_SCHEDULE_MULTI_STEP;

  gtk_widget_set_visible (self->decay_at_label, stepped);
  gtk_widget_set_visible (self->decay_at_box, stepped);
  gtk_widget_set_visible (GTK_WIDGET (self->step_epochs_spin), schedule == VT_SCHEDULE_STEP);
  gtk_widget_set_visible (self->decay_unit_label, schedule == VT_SCHEDULE_STEP);
  gtk_widget_set_visible (GTK_WIDGET (self->milestones_entry), schedule == VT_SCHEDULE_MULTI_STEP);
  gtk_label_set_mnemonic_widget (GTK_LABEL (self->decay_at_label),
                                 schedule == VT_SCHEDULE_MULTI_STEP ? GTK_WIDGET (self->milestones_entry)
                                                                    : GTK_WIDGET (self->step_epochs_spin));
  gtk_widget_set_visible (self->gamma_label, stepped);
  gtk_widget_set_visible (GTK_WIDGET (self->gamma_spin), stepped);
}

/* Accessors ---------------------------------------------------------------------*/

gboolean
vitrine_train_page_is_running (VitrineTrainPage *self)
{
  return self->run != NULL && vitrine_run_get_state (self->run) == VITRINE_RUN_RUNNING;
}

guint
vitrine_train_page_get_n_loss_points (VitrineTrainPage *self)
{
  return self->n_loss_points;
}

guint
vitrine_train_page_get_n_epochs_done (VitrineTrainPage *self)
{
  return self->epochs_done;
}

GtkWidget *
vitrine_train_page_get_loss_chart (VitrineTrainPage *self)
{
  return GTK_WIDGET (self->loss_chart);
}

GtkWidget *
vitrine_train_page_get_accuracy_chart (VitrineTrainPage *self)
{
  return GTK_WIDGET (self->accuracy_chart);
}

const char *
vitrine_train_page_get_trained_checkpoint (VitrineTrainPage *self)
{
  return self->trained;
}

const char *
vitrine_train_page_get_error (VitrineTrainPage *self)
{
  return self->error;
}

const char *
vitrine_train_page_get_status (VitrineTrainPage *self)
{
  return gtk_label_get_text (self->status);
}

/* GObject -----------------------------------------------------------------------*/

static void
vitrine_train_page_dispose (GObject *object)
{
  VitrineTrainPage *self = VITRINE_TRAIN_PAGE (object);
  GtkWidget *child;

  /* A run of a window that goes has nobody to show it. */
  vitrine_train_page_cancel (self);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_TRAIN_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_train_page_parent_class)->dispose (object);
}

static void
vitrine_train_page_finalize (GObject *object)
{
  VitrineTrainPage *self = VITRINE_TRAIN_PAGE (object);

  g_free (self->error);
  g_free (self->trained);
  G_OBJECT_CLASS (vitrine_train_page_parent_class)->finalize (object);
}

static void
vitrine_train_page_class_init (VitrineTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_train_page_dispose;
  object_class->finalize = vitrine_train_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-train-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, source_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, unsupported_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, trains_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, blocks_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, optimizer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, momentum_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, schedule_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, decay_at_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, decay_at_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, step_epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, milestones_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, decay_unit_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, gamma_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, gamma_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, warmup_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, decay_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, smoothing_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, pad_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, flip_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, shuffle_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, batchnorm_check);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, loss_chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineTrainPage, accuracy_chart);
  gtk_widget_class_install_action (widget_class, "train.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "train.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "train.open-checkpoint", NULL, open_checkpoint_action);
  /* As in the Incremental, Embedding and Dataset areas (the shortcuts window lists them). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "train.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_period, GDK_CONTROL_MASK, "train.cancel", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trainpage");
}

static void
vitrine_train_page_init (VitrineTrainPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->trains_dropdown, "notify::selected", G_CALLBACK (on_trains_selected), self);
  g_signal_connect_swapped (self->optimizer_dropdown, "notify::selected", G_CALLBACK (on_optimizer_selected), self);
  g_signal_connect_swapped (self->schedule_dropdown, "notify::selected", G_CALLBACK (on_schedule_selected), self);
  on_optimizer_selected (self);
  on_schedule_selected (self);
  show_source (self);
  update_actions (self);
}
