/* vitrine-sample-view.c: one sample, large, with its label and top five.
 *
 * Decoding the picture (and, without extracted logits, the forward pass)
 * runs in a GTask thread; a newer sample makes an older job's result stale,
 * and stale results are dropped. */
#include "vitrine-sample-view.h"

#include <glib/gi18n.h>
#include <math.h>

#include "io/vt-image.h"
#include "models/vt-predict.h"
#include "models/vt-transform.h"

#define TOP_K 5

struct _VitrineSampleView
{
  GtkWidget               parent_instance;

  GtkPicture             *picture;
  GtkLabel               *title;
  GtkLabel               *label;
  GtkGrid                *top_grid;
  GtkLabel               *source;
  GtkWidget              *predict_button;

  VtDataset              *dataset;
  guint                   index;
  guint                   generation;   /* of the job whose result counts */
  gboolean                busy;
  VitrineSampleTopSource  top_source;
  char                   *top_names[TOP_K];
  double                  top_probabilities[TOP_K];
  guint                   n_top;
  char                   *error;
};

G_DEFINE_FINAL_TYPE (VitrineSampleView, vitrine_sample_view, GTK_TYPE_WIDGET)

enum { SIGNAL_OPEN_IN_PREDICT, SIGNAL_CLOSE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
clear_top (VitrineSampleView *self)
{
  GtkWidget *child;

  for (guint i = 0; i < TOP_K; i++)
    g_clear_pointer (&self->top_names[i], g_free);
  self->n_top = 0;
  self->top_source = VITRINE_SAMPLE_TOP_NONE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->top_grid))) != NULL)
    gtk_grid_remove (self->top_grid, child);
}

static void
add_top (VitrineSampleView *self,
         const char        *name,
         double             probability)
{
  g_autofree char *percent = g_strdup_printf ("%.1f%%", 100 * probability);
  GtkWidget *name_label = gtk_label_new (name);
  GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);
  GtkWidget *percent_label = gtk_label_new (percent);
  guint row = self->n_top;

  gtk_label_set_xalign (GTK_LABEL (name_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (percent_label), 1);
  gtk_widget_add_css_class (percent_label, "numeric");
  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), probability);
  gtk_widget_set_size_request (bar, 80, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_grid_attach (self->top_grid, name_label, 0, row, 1, 1);
  gtk_grid_attach (self->top_grid, bar, 1, row, 1, 1);
  gtk_grid_attach (self->top_grid, percent_label, 2, row, 1, 1);
  self->top_names[row] = g_strdup (name);
  self->top_probabilities[row] = probability;
  self->n_top++;
}

static void
set_error (VitrineSampleView *self,
           const char        *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_text (self->source, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->source), "error");
}

/* The worker --------------------------------------------------------------------*/

typedef struct
{
  guint       generation;
  VtDataset  *dataset;
  guint       index;
  VtModel    *model;          /* to run forward, or NULL: the store has the logits */
  VtImage    *image;          /* out */
  double     *probabilities;  /* out, the model's classes, where it ran */
  guint       n_classes;
} Job;

static void
job_free (Job *job)
{
  vt_dataset_unref (job->dataset);
  g_clear_pointer (&job->model, vt_model_free);
  g_clear_pointer (&job->image, vt_image_free);
  g_free (job->probabilities);
  g_free (job);
}

static void
sample_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  Job *job = data;
  GError *error = NULL;
  g_autofree char *name = vt_dataset_sample_name (job->dataset, job->index);

  job->image = vt_dataset_load_image (job->dataset, job->index, &error);
  if (job->image != NULL && job->model != NULL)
    {
      const VtArchitecture *arch = vt_model_get_architecture (job->model);
      VtTransform transform;
      g_autofree float *pixels = NULL;

      vt_transform_init_from_architecture (&transform, arch);
      if (vt_transform_check_image (&transform, job->image, name, &error))
        {
          pixels = g_new (float, (gsize) 3 * transform.crop_size * transform.crop_size);
          vt_transform_apply (&transform, job->image, pixels);
          job->n_classes = arch->num_classes;
          job->probabilities = g_new (double, job->n_classes);
          if (!vt_predict_image (job->model, NULL, NULL, NULL, pixels, transform.crop_size, job->probabilities,
                                 &error))
            g_prefix_error (&error, "%s: ", name);
        }
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
show_picture (VitrineSampleView *self,
              const VtImage     *image)
{
  g_autoptr(GBytes) bytes = g_bytes_new (image->rgb, (gsize) image->width * image->height * 3);
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (image->width, image->height, GDK_MEMORY_R8G8B8,
                                                          bytes, (gsize) image->width * 3);

  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
}

static void
on_sample_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  VitrineSampleView *self = VITRINE_SAMPLE_VIEW (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (job->generation != self->generation)
    return;
  self->busy = FALSE;
  if (job->image != NULL)
    show_picture (self, job->image);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      set_error (self, error->message);
      return;
    }
  if (job->probabilities != NULL)
    {
      const VtArchitecture *arch = vt_model_get_architecture (job->model);
      guint k = MIN (TOP_K, job->n_classes), top[TOP_K];

      vt_predict_top (job->probabilities, job->n_classes, k, top);
      for (guint r = 0; r < k; r++)
        {
          g_autofree char *fallback = g_strdup_printf ("class %u", top[r]);

          add_top (self, arch->class_names ? arch->class_names[top[r]] : fallback, job->probabilities[top[r]]);
        }
      self->top_source = VITRINE_SAMPLE_TOP_CHECKPOINT;
      {
        g_autofree char *base = g_path_get_basename (vt_checkpoint_get_path (vt_model_get_checkpoint (job->model)));
        /* Translators: where a sample's top five came from; %s is a checkpoint's file name */
        g_autofree char *text = g_strdup_printf (_("Computed through %s: no extracted logits hold this sample."), base);
        gtk_label_set_text (self->source, text);
      }
    }
}

/* Public --------------------------------------------------------------------------*/

void
vitrine_sample_view_show (VitrineSampleView *self,
                          VtDataset         *dataset,
                          guint              index,
                          VtPredictions     *predictions,
                          VtModel           *model)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  guint label;
  Job *job;

  g_return_if_fail (VITRINE_IS_SAMPLE_VIEW (self));
  g_return_if_fail (index < dataset->n_samples);
  vitrine_sample_view_clear (self);
  self->dataset = vt_dataset_ref (dataset);
  self->index = index;
  name = vt_dataset_sample_name (dataset, index);
  gtk_label_set_text (self->title, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title), name);
  label = dataset->labels[index];
  if (predictions != NULL && predictions->predicted[index] >= 0)
    {
      gint predicted = predictions->predicted[index];

      if (predicted == (gint) label)
        /* Translators: a sample's label, and that the model predicts it */
        text = g_strdup_printf (_("Label: %s — predicted correctly"), dataset->class_names[label]);
      else
        /* Translators: a sample's label, and the class the model predicts instead */
        text = g_strdup_printf (_("Label: %s — predicted as %s"), dataset->class_names[label],
                                dataset->class_names[predicted]);
    }
  else
    /* Translators: a sample's label */
    text = g_strdup_printf (_("Label: %s"), dataset->class_names[label]);
  gtk_label_set_text (self->label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sample.open-in-predict",
                                 model != NULL && vt_dataset_sample_file (dataset, index) != NULL);
  /* A disabled button says why. */
  gtk_widget_set_tooltip_text (self->predict_button,
                               model == NULL
                               /* Translators: tooltip of a disabled "Open in Predict" */
                               ? _("Open a classifier checkpoint first")
                               : vt_dataset_sample_file (dataset, index) == NULL
                               /* Translators: tooltip of a disabled "Open in Predict": IDX and CIFAR samples */
                               ? _("Predict opens image files; this sample is stored inside the dataset's file")
                               : NULL);

  job = g_new0 (Job, 1);
  job->generation = ++self->generation;
  job->dataset = vt_dataset_ref (dataset);
  job->index = index;
  if (predictions != NULL && predictions->row[index] >= 0)
    {
      guint classes[TOP_K];
      double probabilities[TOP_K];
      guint k = MIN (TOP_K, predictions->n_classes);

      vt_predictions_top (predictions, index, k, classes, probabilities);
      for (guint r = 0; r < k; r++)
        add_top (self, dataset->class_names[classes[r]], probabilities[r]);
      self->top_source = VITRINE_SAMPLE_TOP_STORE;
      /* Translators: where a sample's top five came from */
      gtk_label_set_text (self->source, _("From the logits extracted with the features."));
    }
  else if (model != NULL && vt_model_get_architecture (model)->num_classes > 0)
    {
      job->model = vt_model_ref (model);
      /* Translators: while a sample runs through the model */
      gtk_label_set_text (self->source, _("Classifying…"));
    }
  else
    /* Translators: in the sample view, without a classifier open */
    gtk_label_set_text (self->source, _("Open a classifier checkpoint to see the model's top five classes."));
  self->busy = TRUE;
  task = g_task_new (self, NULL, on_sample_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, sample_thread);
}

void
vitrine_sample_view_clear (VitrineSampleView *self)
{
  self->generation++;
  self->busy = FALSE;
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  g_clear_pointer (&self->error, g_free);
  gtk_widget_remove_css_class (GTK_WIDGET (self->source), "error");
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_label_set_text (self->title, "");
  gtk_label_set_text (self->label, "");
  gtk_label_set_text (self->source, "");
  clear_top (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sample.open-in-predict", FALSE);
}

guint
vitrine_sample_view_get_index (VitrineSampleView *self)
{
  return self->index;
}

gboolean
vitrine_sample_view_is_busy (VitrineSampleView *self)
{
  return self->busy;
}

VitrineSampleTopSource
vitrine_sample_view_get_top_source (VitrineSampleView *self)
{
  return self->top_source;
}

gboolean
vitrine_sample_view_get_top (VitrineSampleView  *self,
                             guint               i,
                             const char        **name,
                             double             *probability)
{
  if (i >= self->n_top)
    return FALSE;
  if (name)
    *name = self->top_names[i];
  if (probability)
    *probability = self->top_probabilities[i];
  return TRUE;
}

const char *
vitrine_sample_view_get_error (VitrineSampleView *self)
{
  return self->error;
}

/* Actions ---------------------------------------------------------------------------*/

static void
open_in_predict_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  VitrineSampleView *self = VITRINE_SAMPLE_VIEW (widget);
  const char *file = self->dataset ? vt_dataset_sample_file (self->dataset, self->index) : NULL;

  if (file != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN_IN_PREDICT], 0, file);
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_CLOSE], 0);
}

/* GObject ---------------------------------------------------------------------------*/

static void
vitrine_sample_view_dispose (GObject *object)
{
  VitrineSampleView *self = VITRINE_SAMPLE_VIEW (object);
  GtkWidget *child;

  /* A job still in flight holds the view (its GTask's source) until it ends. */
  self->generation++;
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_SAMPLE_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (vitrine_sample_view_parent_class)->dispose (object);
}

static void
vitrine_sample_view_finalize (GObject *object)
{
  VitrineSampleView *self = VITRINE_SAMPLE_VIEW (object);

  for (guint i = 0; i < TOP_K; i++)
    g_free (self->top_names[i]);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  g_free (self->error);
  G_OBJECT_CLASS (vitrine_sample_view_parent_class)->finalize (object);
}

static void
vitrine_sample_view_class_init (VitrineSampleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_sample_view_dispose;
  object_class->finalize = vitrine_sample_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-sample-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, picture);
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, title);
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, label);
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, top_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, source);
  gtk_widget_class_bind_template_child (widget_class, VitrineSampleView, predict_button);
  gtk_widget_class_install_action (widget_class, "sample.open-in-predict", NULL, open_in_predict_action);
  gtk_widget_class_install_action (widget_class, "sample.close", NULL, close_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "sample.close", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "sampleview");

  /* "Open in Predict": the sample's image file. */
  signals[SIGNAL_OPEN_IN_PREDICT] = g_signal_new ("open-in-predict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* "Back to Samples", or Escape. */
  signals[SIGNAL_CLOSE] = g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vitrine_sample_view_init (VitrineSampleView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sample.open-in-predict", FALSE);
}
