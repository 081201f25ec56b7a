/* vitrine-attribution-page.c: the Attribution area.
 *
 * Each computation runs in a GTask thread with its own VtTrainable (the
 * frozen weights stay in the checkpoint's memory map, so one costs little
 * more than its tape), so a cancelled computation still finishing never
 * shares a tape with the next one. The thread decodes the image, runs the
 * forward pass for the prediction and the layer list, then each method
 * family's compute function once for the methods chosen in it
 * (vt-attribution-family.h): adding a family adds its methods here with no
 * change to this file. */
#include "config.h"

#include "vitrine-attribution-page.h"
#include "vitrine-comet-page.h"
#include "vitrine-faithfulness-panel.h"
#include "vitrine-figure-view.h"
#include "vitrine-file-chooser.h"
#include "vitrine-predict-page.h"
#include "figures/vt-figure-render.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "io/vt-image.h"
#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attribution-family.h"
#include "methods/attribution/vt-cam.h"
#include "models/vt-predict.h"
#include "models/vt-trainable.h"
#include "models/vt-transform.h"

/* A method the user can choose: its family and its index there. */
typedef struct
{
  const VtAttributionFamily *family;
  int                        method;
  GtkCheckButton            *check;
} Choice;

/* One computation's outcome: what the row shows and Export writes. */
typedef struct
{
  char          *path;           /* the image file, or the sample's name */
  gint64         sample;         /* the dataset index, or 0 for a file */
  int            size;           /* the input: size × size */
  float         *rgb;            /* (3, size, size) in [0, 1]: the crop the model saw */
  double        *probabilities;  /* (n_classes) */
  int            n_classes;
  char          *layer;          /* the layer the maps read */
  GPtrArray     *layers;         /* every layer the model offers */
  char          *default_layer;
  guint          n_maps;
  const Choice **choices;        /* (n_maps) */
  float         *maps;           /* (n_maps, size, size) */
  double        *seconds;        /* (n_maps) */
  double        *gaps;           /* (n_maps): the completeness gap, NaN but for IG */
  gint64         target;
  gint64         predicted;
} Result;

static void
result_free (Result *r)
{
  if (r == NULL)
    return;
  g_free (r->path);
  g_free (r->rgb);
  g_free (r->probabilities);
  g_free (r->layer);
  g_clear_pointer (&r->layers, g_ptr_array_unref);
  g_free (r->default_layer);
  g_free (r->choices);
  g_free (r->maps);
  g_free (r->seconds);
  g_free (r->gaps);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Result, result_free)

struct _VitrineAttributionPage
{
  GtkWidget          parent_instance;

  GtkStack          *pages;         /* "maps", and "comet" (VitrineCometPage) */
  VitrineCometPage  *comet_page;
  VitrineFaithfulnessPanel *faithfulness_panel;
  GtkLabel          *status;
  GtkWidget         *sample_box;
  GtkSpinButton     *sample_spin;
  GtkBox            *methods_box;
  GtkDropDown       *layer_dropdown;
  GtkStringList     *layer_list;
  GtkDropDown       *target_dropdown;
  GtkStringList     *target_list;
  GtkDropDown       *colormap_dropdown;
  GtkRange          *opacity_scale;
  GtkLabel          *prediction_label;
  VitrineFigureView *view;
  GtkLabel          *note_label;

  GArray            *choices;        /* Choice, one per method of every family */
  VtModel           *model;
  VtDataset         *dataset;        /* the Dataset area's, for its samples */
  /* What the maps are computed on: a file, or a sample of source_dataset. */
  char              *source_path;
  VtDataset         *source_dataset;
  guint              source_sample;
  GCancellable      *cancellable;
  guint              serial;         /* of the latest job: older ones are stale */
  gboolean           computing;      /* that job computes maps (not only the layers) */
  gboolean           cancelled;
  gboolean           filling;        /* drop-downs being filled: no re-run */
  Result            *result;
  char              *error;
};

G_DEFINE_FINAL_TYPE (VitrineAttributionPage, vitrine_attribution_page, GTK_TYPE_WIDGET)

gboolean
vitrine_attribution_page_supports (VtModel *model)
{
  const VtArchitecture *arch = model ? vt_model_get_architecture (model) : NULL;

  /* Every method explains a class logit through the backward pass. */
  return arch != NULL && arch->num_classes > 0 && vt_trainable_supports (arch);
}

/* The worker -------------------------------------------------------------------*/

typedef struct
{
  VtModel       *model;
  VtDataset     *dataset;     /* the sample's, or NULL */
  guint          sample;
  char          *path;        /* the file, or NULL with no dataset: only list the layers */
  char          *layer;       /* NULL: the default */
  gint64         target;
  guint          serial;
  Result        *result;
} Job;

static void
job_free (Job *job)
{
  vt_model_free (job->model);
  g_clear_pointer (&job->dataset, vt_dataset_unref);
  g_free (job->path);
  g_free (job->layer);
  result_free (job->result);
  g_free (job);
}

static gboolean
compute_maps (Job           *job,
              GCancellable  *cancellable,
              GError       **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (job->model);
  Result *r = job->result;
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(VtImage) image = NULL;
  g_autofree float *pixels = NULL;
  const VtTapeNode *logits;
  VtTransform transform;
  gsize plane;
  guint n_families;
  const VtAttributionFamily *families = vt_attribution_families (&n_families);
  gboolean has_image = job->path != NULL;

  vt_transform_init_from_architecture (&transform, arch);
  r->size = transform.crop_size;
  plane = (gsize) r->size * r->size;
  pixels = g_new0 (float, 3 * plane);
  if (has_image)
    {
      image = job->dataset ? vt_dataset_load_image (job->dataset, job->sample, error) : vt_image_load (job->path, error);
      if (image == NULL || !vt_transform_check_image (&transform, image, job->path, error))
        return FALSE;
      vt_transform_apply (&transform, image, pixels);
      r->rgb = g_new (float, 3 * plane);
      vt_transform_apply_unnormalized (&transform, image, r->rgb);
    }

  model = vt_trainable_new (vt_model_get_checkpoint (job->model), arch, error);
  if (model == NULL || !vt_trainable_check_input (model, r->size, r->size, error) ||
      !vt_trainable_forward (model, pixels, 1, r->size, r->size, error))
    goto named;
  r->layers = vt_cam_layer_names (model, arch->patch_size, r->size, r->size, &r->default_layer);
  if (!has_image)
    return TRUE;
  if ((logits = vt_trainable_lookup_tap (model, "logits")) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("the model has no classifier to explain"));
      goto named;
    }
  r->n_classes = (int) logits->shape[1];
  r->probabilities = g_new (double, r->n_classes);
  vt_predict_softmax (logits->value, r->n_classes, r->probabilities);

  r->layer = g_strdup (job->layer ? job->layer : r->default_layer);
  r->maps = g_new0 (float, MAX (r->n_maps, 1) * plane);
  r->seconds = g_new0 (double, MAX (r->n_maps, 1));
  r->gaps = g_new (double, MAX (r->n_maps, 1));
  for (guint f = 0; f < n_families; f++)
    {
      const VtAttributionFamily *family = &families[f];
      gint64 target = job->target;
      VtAttributionInput input = {
        .model = model, .layer = r->layer, .patch_size = arch->patch_size, .pixels = pixels, .batch = 1,
        .height = r->size, .width = r->size, .targets = job->target >= 0 ? &target : NULL,
        .mean = transform.mean, .std = transform.std,
      };
      VtAttributionOptions defaults;
      g_autofree int *methods = g_new (int, r->n_maps + 1);
      g_autofree const VtAttributionOptions **options = g_new (const VtAttributionOptions *, r->n_maps + 1);
      g_autofree float **maps = g_new (float *, r->n_maps + 1);
      g_autofree double **gaps = g_new (double *, r->n_maps + 1);
      g_autofree double *seconds = g_new (double, r->n_maps + 1);
      int n = 0;

      /* The area offers each method with its defaults (the batch step takes options). */
      vt_attribution_options_init (&defaults);
      for (guint m = 0; m < r->n_maps; m++)
        if (r->choices[m]->family == family)
          {
            methods[n] = r->choices[m]->method;
            options[n] = &defaults;
            gaps[n] = r->gaps + m;
            maps[n++] = r->maps + m * plane;
          }
      if (n == 0)
        continue;
      if (!family->compute (&input, methods, options, n, maps, seconds, gaps, &r->target, &r->predicted,
                            cancellable, error))
        goto named;
      n = 0;
      for (guint m = 0; m < r->n_maps; m++)
        if (r->choices[m]->family == family)
          r->seconds[m] = seconds[n++];
    }
  return TRUE;

named:
  if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (error, "%s: ", has_image ? job->path : vt_checkpoint_get_path (vt_model_get_checkpoint (job->model)));
  return FALSE;
}

static void
compute_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  if (!compute_maps (data, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* The row ------------------------------------------------------------------------*/

static char *
class_name (VitrineAttributionPage *self,
            gint64                  k)
{
  const VtArchitecture *arch = vt_model_get_architecture (self->model);

  if (arch->class_names != NULL && k < g_strv_length (arch->class_names))
    return g_strdup (arch->class_names[k]);
  {
    g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, k);

    /* Translators: a class without a name, by its index */
    return g_strdup_printf (_("class %s"), index);
  }
}

/* What the maps explain, in words: the prediction and the target. */
static char *
describe_prediction (VitrineAttributionPage *self)
{
  Result *r = self->result;
  g_autofree char *predicted = class_name (self, r->predicted);
  g_autofree char *target = class_name (self, r->target);

  if (r->target == r->predicted)
    /* Translators: the class the maps explain, the predicted one, and its probability */
    return g_strdup_printf (_("Explaining the predicted class, %s (%.1f%%)"), predicted,
                            100 * r->probabilities[r->predicted]);
  /* Translators: the class the maps explain and its probability, then the predicted class and its probability */
  return g_strdup_printf (_("Explaining %s (%.1f%%); predicted %s (%.1f%%)"), target, 100 * r->probabilities[r->target],
                          predicted, 100 * r->probabilities[r->predicted]);
}

/* Each family's colour scale, into lo[m] and hi[m] for every map m of it:
 * an unsigned family (the CAMs, in [0, 1] after their min–max) from 0 to
 * its largest value, a signed one symmetric about 0, ±its largest |value|.
 * A scale per family, not one for the row: beside IG's ±max the CAMs
 * would otherwise sit faint in the upper half of one symmetric scale, and
 * their colours would change with what is beside them. */
static void
family_scales (const Result *r,
               double       *lo,
               double       *hi)
{
  gsize plane = (gsize) r->size * r->size;

  for (guint m = 0; m < r->n_maps; m++)
    {
      const VtAttributionFamily *family = r->choices[m]->family;
      double top = 0;

      for (guint k = 0; k < r->n_maps; k++)
        if (r->choices[k]->family == family)
          for (gsize i = 0; i < plane; i++)
            {
              double v = r->maps[k * plane + i];

              if (isfinite (v))
                top = MAX (top, family->is_signed ? fabs (v) : v);
            }
      lo[m] = family->is_signed ? -top : 0.0;
      hi[m] = top;
    }
}

/* The post-processing of the families shown, one line each, with the
 * family's colour scale. */
static char *
describe_postprocessing (VitrineAttributionPage *self)
{
  GString *text = g_string_new (NULL);
  guint n_families;
  const VtAttributionFamily *families = vt_attribution_families (&n_families);
  const Result *r = self->result;
  g_autofree double *lo = g_new (double, MAX (r->n_maps, 1));
  g_autofree double *hi = g_new (double, MAX (r->n_maps, 1));

  family_scales (r, lo, hi);
  for (guint f = 0; f < n_families; f++)
    for (guint m = 0; m < r->n_maps; m++)
      if (r->choices[m]->family == &families[f])
        {
          if (text->len)
            g_string_append_c (text, '\n');
          g_string_append (text, _(families[f].postprocessing));
          g_string_append_c (text, ' ');
          if (families[f].is_signed)
            /* Translators: the colour scale of a family of signed maps; %.3g: the largest |value| of its maps */
            g_string_append_printf (text, _("Colours: this family's own scale, −%.3g to +%.3g, symmetric about 0."),
                                    hi[m], hi[m]);
          else
            /* Translators: the colour scale of a family of maps ≥ 0; %.3g: the largest value of its maps */
            g_string_append_printf (text, _("Colours: this family's own scale, 0 to %.3g."), hi[m]);
          break;
        }
  return g_string_free (text, FALSE);
}

/* The row of maps as a figure, with @title and the post-processing under
 * it (on screen labels above and below say them: they wrap and can be
 * selected). */
static VtFigure *
row_figure (VitrineAttributionPage *self,
            const char             *title,
            gboolean                with_note)
{
  Result *r = self->result;
  gsize plane = (gsize) r->size * r->size;
  g_autofree double *values = g_new (double, r->n_maps * plane);
  g_autoptr(GPtrArray) captions = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *note = describe_postprocessing (self);
  g_autofree double *lo = g_new (double, MAX (r->n_maps, 1));
  g_autofree double *hi = g_new (double, MAX (r->n_maps, 1));
  VtFigure *figure;

  for (guint m = 0; m < r->n_maps; m++)
    {
      const char *method = r->choices[m]->family->method_title (r->choices[m]->method);

      if (isfinite (r->gaps[m]))
        /* Translators: a map's caption: the method's title, the seconds it took, and its completeness gap
         * (the sum of the attributions minus the change of the class's logit from the baseline) */
        g_ptr_array_add (captions, g_strdup_printf (_("%s\n%.3f s, gap %.2g"), method, r->seconds[m], r->gaps[m]));
      else
        /* Translators: a map's caption: the method's title, and the seconds it took */
        g_ptr_array_add (captions, g_strdup_printf (_("%s\n%.3f s"), method, r->seconds[m]));
    }
  g_ptr_array_add (captions, NULL);
  for (gsize i = 0; i < r->n_maps * plane; i++)
    values[i] = r->maps[i];
  family_scales (r, lo, hi);
  figure = vt_figure_new_overlay_row (title, with_note ? note : NULL, r->n_maps, r->size, r->size, r->rgb, values,
                                      (const char * const *) captions->pdata, lo[0], hi[0],
                                      gtk_range_get_value (self->opacity_scale));
  vt_figure_set_map_scales (figure, lo, hi);
  /* The drop-down lists VtFigureColormap's values in its order. */
  figure->colormap = (VtFigureColormap) gtk_drop_down_get_selected (self->colormap_dropdown);
  return figure;
}

static void
update_view (VitrineAttributionPage *self)
{
  g_autofree char *prediction = NULL;
  g_autofree char *note = NULL;

  if (self->result == NULL || self->result->maps == NULL)
    {
      vitrine_figure_view_set_figure (self->view, NULL);
      gtk_label_set_text (self->prediction_label, "");
      gtk_label_set_text (self->note_label, "");
      return;
    }
  prediction = describe_prediction (self);
  note = describe_postprocessing (self);
  gtk_label_set_text (self->prediction_label, prediction);
  gtk_label_set_text (self->note_label, note);
  vitrine_figure_view_set_figure (self->view, row_figure (self, NULL, FALSE));
  /* The figure has no title on screen (the label above says it): name it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL, prediction, -1);
}

/* Settings and state ----------------------------------------------------------------*/

static guint
n_chosen (VitrineAttributionPage *self)
{
  guint n = 0;

  for (guint i = 0; i < self->choices->len; i++)
    n += gtk_check_button_get_active (g_array_index (self->choices, Choice, i).check);
  return n;
}

static const char *chosen_layer (VitrineAttributionPage *self);

/* The metrics panel measures the methods ticked here, at the layer chosen. */
static void
tell_panel (VitrineAttributionPage *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < self->choices->len; i++)
    {
      const Choice *choice = &g_array_index (self->choices, Choice, i);

      if (gtk_check_button_get_active (choice->check))
        g_ptr_array_add (names, (gpointer) choice->family->method_name (choice->method));
    }
  g_ptr_array_add (names, NULL);
  vitrine_faithfulness_panel_set_methods (self->faithfulness_panel, (const char * const *) names->pdata,
                                          chosen_layer (self));
}

static void
update_actions (VitrineAttributionPage *self)
{
  gboolean has_source = self->model != NULL && (self->source_path != NULL || self->source_dataset != NULL);
  gboolean shown = self->result != NULL && self->result->maps != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attribution.compute", has_source && n_chosen (self) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attribution.cancel", self->cancellable != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attribution.export-row", shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attribution.export-maps", shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attribution.open-image", self->model != NULL);
  tell_panel (self);
}

static void
set_status (VitrineAttributionPage *self,
            const char             *text,
            gboolean                is_error)
{
  gtk_label_set_text (self->status, text);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

/* The layers of the model into the drop-down, keeping the chosen one. */
static void
fill_layers (VitrineAttributionPage *self,
             GPtrArray              *layers,
             const char             *chosen)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));
  g_autoptr(GPtrArray) strv = g_ptr_array_new ();

  for (guint i = 0; i < layers->len; i++)
    g_ptr_array_add (strv, g_ptr_array_index (layers, i));
  g_ptr_array_add (strv, NULL);
  self->filling = TRUE;
  gtk_string_list_splice (self->layer_list, 0, n, (const char * const *) strv->pdata);
  for (guint i = 0; chosen && i < layers->len; i++)
    if (g_str_equal (g_ptr_array_index (layers, i), chosen))
      gtk_drop_down_set_selected (self->layer_dropdown, i);
  self->filling = FALSE;
}

static void start_job (VitrineAttributionPage *self, gboolean compute);

static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VitrineAttributionPage *self = VITRINE_ATTRIBUTION_PAGE (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  Result *r;

  if (job->serial != self->serial)
    return;   /* a newer job replaced it */
  g_clear_object (&self->cancellable);
  self->computing = FALSE;
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->cancelled = TRUE;
          set_status (self, _("Cancelled"), FALSE);
        }
      else
        {
          self->error = g_strdup (error->message);
          set_status (self, error->message, TRUE);
        }
      update_actions (self);
      return;
    }
  r = g_steal_pointer (&job->result);
  if (gtk_string_list_get_string (self->layer_list, 0) == NULL)
    fill_layers (self, r->layers, r->layer ? r->layer : r->default_layer);
  if (job->path == NULL)
    {
      result_free (r);
      set_status (self, _("Open or drop an image to see what its class rests on."),
                  FALSE);
      update_actions (self);
      return;
    }
  result_free (self->result);
  self->result = r;
  {
    g_autofree char *name = g_path_get_basename (r->path);
    /* Translators: the image, its input size, and the layer the maps read ("layer3", "blocks.11.norm1") */
    g_autofree char *text = g_strdup_printf (_("%s, %d×%d, maps at %s"), name, r->size, r->size, r->layer);

    set_status (self, text, FALSE);
  }
  update_view (self);
  update_actions (self);
}

static const char *
chosen_layer (VitrineAttributionPage *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->layer_dropdown);

  return item ? gtk_string_object_get_string (item) : NULL;
}

/* Starts a job on the current source (or, without @compute, one that only
 * lists the layers), replacing any under way. */
static void
start_job (VitrineAttributionPage *self,
           gboolean                compute)
{
  g_autoptr(GTask) task = NULL;
  Job *job = g_new0 (Job, 1);
  guint selected = gtk_drop_down_get_selected (self->target_dropdown);
  Result *r;

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, result_free);
  g_clear_pointer (&self->error, g_free);
  self->cancelled = FALSE;
  update_view (self);

  job->model = vt_model_ref (self->model);
  job->serial = ++self->serial;
  job->target = selected == GTK_INVALID_LIST_POSITION || selected == 0 ? -1 : (gint64) selected - 1;
  job->layer = g_strdup (chosen_layer (self));
  r = job->result = g_new0 (Result, 1);
  r->target = r->predicted = -1;
  if (compute)
    {
      r->choices = g_new (const Choice *, self->choices->len);
      for (guint i = 0; i < self->choices->len; i++)
        {
          const Choice *choice = &g_array_index (self->choices, Choice, i);

          if (gtk_check_button_get_active (choice->check))
            r->choices[r->n_maps++] = choice;
        }
      if (self->source_dataset)
        {
          job->dataset = vt_dataset_ref (self->source_dataset);
          job->sample = self->source_sample;
          job->path = vt_dataset_sample_name (self->source_dataset, self->source_sample);
          r->sample = self->source_sample;
        }
      else
        job->path = g_strdup (self->source_path);
      r->path = g_strdup (job->path);
      set_status (self, _("Computing the maps…"), FALSE);
    }
  self->computing = compute;
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_job_done, NULL);
  /* What the worker returns, not whether Cancel came: a computation that
   * had finished when Cancel came shows its maps. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, compute_thread);
  update_actions (self);
}

void
vitrine_attribution_page_compute (VitrineAttributionPage *self)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));

  if (self->model == NULL || (self->source_path == NULL && self->source_dataset == NULL))
    return;
  if (n_chosen (self) == 0)
    {
      set_status (self, _("Choose at least one method"), TRUE);
      return;
    }
  start_job (self, TRUE);
}

static void
clear_source (VitrineAttributionPage *self)
{
  g_clear_pointer (&self->source_path, g_free);
  g_clear_pointer (&self->source_dataset, vt_dataset_unref);
}

void
vitrine_attribution_page_open (VitrineAttributionPage *self,
                               GFile                  *file)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));
  g_return_if_fail (self->model != NULL);

  clear_source (self);
  self->source_path = g_file_get_path (file);
  if (self->source_path == NULL)
    {
      g_clear_pointer (&self->result, result_free);
      update_view (self);
      g_free (self->error);
      self->error = g_strdup (_("Only local files can be opened"));
      set_status (self, self->error, TRUE);
      update_actions (self);
      return;
    }
  vitrine_attribution_page_compute (self);
}

void
vitrine_attribution_page_open_sample (VitrineAttributionPage *self,
                                      guint                   index)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));
  g_return_if_fail (self->model != NULL && self->dataset != NULL);
  g_return_if_fail (index < self->dataset->n_samples);

  clear_source (self);
  self->source_dataset = vt_dataset_ref (self->dataset);
  self->source_sample = index;
  vitrine_attribution_page_compute (self);
}

void
vitrine_attribution_page_cancel (VitrineAttributionPage *self)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

void
vitrine_attribution_page_set_dataset (VitrineAttributionPage *self,
                                      VtDataset              *dataset)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));

  g_clear_pointer (&self->dataset, vt_dataset_unref);
  if (dataset != NULL && dataset->n_samples > 0)
    {
      self->dataset = vt_dataset_ref (dataset);
      gtk_spin_button_set_range (self->sample_spin, 0, dataset->n_samples - 1);
    }
  gtk_widget_set_visible (self->sample_box, self->dataset != NULL);
  vitrine_comet_page_set_dataset (self->comet_page, dataset);
  vitrine_faithfulness_panel_set_dataset (self->faithfulness_panel, dataset);
}

/* "Predicted" and the model's classes into the target drop-down. */
static void
fill_targets (VitrineAttributionPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->target_list));
  int classes = self->model ? vt_model_get_architecture (self->model)->num_classes : 0;
  g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func (g_free);

  /* Translators: the target of the maps: the class the model predicts */
  g_ptr_array_add (strv, g_strdup (_("Predicted")));
  for (int k = 0; k < classes; k++)
    {
      g_autofree char *name = class_name (self, k);

      /* Translators: a target class: its index and name */
      g_ptr_array_add (strv, g_strdup_printf (_("%d · %s"), k, name));
    }
  g_ptr_array_add (strv, NULL);
  self->filling = TRUE;
  gtk_string_list_splice (self->target_list, 0, n, (const char * const *) strv->pdata);
  gtk_drop_down_set_selected (self->target_dropdown, 0);
  self->filling = FALSE;
}

void
vitrine_attribution_page_set_model (VitrineAttributionPage *self,
                                    VtModel                *model)
{
  g_return_if_fail (VITRINE_IS_ATTRIBUTION_PAGE (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->serial++;
  self->computing = FALSE;
  g_clear_pointer (&self->result, result_free);
  g_clear_pointer (&self->error, g_free);
  clear_source (self);
  g_clear_pointer (&self->model, vt_model_free);
  if (model)
    self->model = vt_model_ref (model);
  /* The model explained is COMET's detector. */
  vitrine_comet_page_set_model (self->comet_page, model);
  vitrine_faithfulness_panel_set_model (self->faithfulness_panel, model);
  self->filling = TRUE;
  gtk_string_list_splice (self->layer_list, 0, g_list_model_get_n_items (G_LIST_MODEL (self->layer_list)), NULL);
  self->filling = FALSE;
  fill_targets (self);
  /* Gradient rollout reads a ViT's attention: off for other models. */
  for (guint c = 0; c < self->choices->len; c++)
    {
      Choice *choice = &g_array_index (self->choices, Choice, c);
      gboolean attends = self->model != NULL && vt_model_get_architecture (self->model)->patch_size > 0;

      if (!g_str_equal (choice->family->method_name (choice->method), "gradient_rollout"))
        continue;
      gtk_widget_set_sensitive (GTK_WIDGET (choice->check), attends);
      if (!attends)
        gtk_check_button_set_active (choice->check, FALSE);
    }
  update_view (self);
  set_status (self, "", FALSE);
  if (self->model)
    {
      set_status (self, _("Listing the model's layers…"), FALSE);
      start_job (self, FALSE);
    }
  update_actions (self);
}

gboolean
vitrine_attribution_page_is_busy (VitrineAttributionPage *self)
{
  return self->cancellable != NULL;
}

gboolean
vitrine_attribution_page_was_cancelled (VitrineAttributionPage *self)
{
  return self->cancelled;
}

const char *
vitrine_attribution_page_get_error (VitrineAttributionPage *self)
{
  return self->error;
}

gboolean
vitrine_attribution_page_set_method (VitrineAttributionPage *self,
                                     const char             *name,
                                     gboolean                chosen)
{
  for (guint i = 0; i < self->choices->len; i++)
    {
      const Choice *choice = &g_array_index (self->choices, Choice, i);

      if (g_str_equal (choice->family->method_name (choice->method), name))
        {
          gtk_check_button_set_active (choice->check, chosen);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
vitrine_attribution_page_set_layer (VitrineAttributionPage *self,
                                    const char             *layer)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));

  for (guint i = 0; i < n; i++)
    if (g_str_equal (gtk_string_list_get_string (self->layer_list, i), layer))
      {
        gtk_drop_down_set_selected (self->layer_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

const char *
vitrine_attribution_page_get_layer (VitrineAttributionPage *self)
{
  return self->result && self->result->layer ? self->result->layer : chosen_layer (self);
}

void
vitrine_attribution_page_set_target (VitrineAttributionPage *self,
                                     gint64                  target)
{
  gtk_drop_down_set_selected (self->target_dropdown, target < 0 ? 0 : (guint) target + 1);
}

const float *
vitrine_attribution_page_get_map (VitrineAttributionPage *self,
                                  const char             *name,
                                  int                    *height,
                                  int                    *width)
{
  Result *r = self->result;

  for (guint m = 0; r && r->maps && m < r->n_maps; m++)
    if (g_str_equal (r->choices[m]->family->method_name (r->choices[m]->method), name))
      {
        *height = *width = r->size;
        return r->maps + (gsize) m * r->size * r->size;
      }
  return NULL;
}

gint64
vitrine_attribution_page_get_target (VitrineAttributionPage *self)
{
  return self->result && self->result->maps ? self->result->target : -1;
}

gint64
vitrine_attribution_page_get_predicted (VitrineAttributionPage *self)
{
  return self->result && self->result->maps ? self->result->predicted : -1;
}

GtkWidget *
vitrine_attribution_page_get_view (VitrineAttributionPage *self)
{
  return GTK_WIDGET (self->view);
}

/* Export ------------------------------------------------------------------------------*/

static gboolean
no_maps (VitrineAttributionPage *self,
         GError                **error)
{
  if (self->result != NULL && self->result->maps != NULL)
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Compute maps first"));
  return TRUE;
}

gboolean
vitrine_attribution_page_export_row (VitrineAttributionPage *self,
                                     const char             *base_path,
                                     GError                **error)
{
  g_autoptr(VtFigure) figure = NULL;
  g_autofree char *name = NULL;
  g_autofree char *prediction = NULL;
  g_autofree char *title = NULL;

  if (no_maps (self, error))
    return FALSE;
  name = g_path_get_basename (self->result->path);
  prediction = describe_prediction (self);
  /* Translators: title of the exported row of maps: the image, the layer, the prediction and target */
  title = g_strdup_printf (_("%s, maps at %s. %s"), name, self->result->layer, prediction);
  figure = row_figure (self, title, TRUE);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMATS_ALL, error);
}

gboolean
vitrine_attribution_page_export_maps (VitrineAttributionPage *self,
                                      const char             *path,
                                      GError                **error)
{
  Result *r = self->result;
  g_autoptr(GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_tensor_free);
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) definitions = g_ptr_array_new_with_free_func (g_free);
  gint64 map_shape[] = { 1, 0, 0 }, one[] = { 1 };

  if (no_maps (self, error))
    return FALSE;
  map_shape[1] = map_shape[2] = r->size;
  for (guint m = 0; m < r->n_maps; m++)
    {
      const Choice *choice = r->choices[m];
      const char *name = choice->family->method_name (choice->method);

      g_ptr_array_add (tensors, vt_tensor_new (name, VT_DTYPE_F32, 3, map_shape,
                                               r->maps + (gsize) m * r->size * r->size));
      VtAttributionOptions defaults;

      vt_attribution_options_init (&defaults);
      g_ptr_array_add (definitions, choice->family->method_definition (choice->method, &defaults));
      g_hash_table_insert (metadata, g_strconcat (name, ".definition", NULL),
                           g_ptr_array_index (definitions, definitions->len - 1));
    }
  g_ptr_array_add (tensors, vt_tensor_new ("samples", VT_DTYPE_I64, 1, one, &r->sample));
  g_ptr_array_add (tensors, vt_tensor_new ("targets", VT_DTYPE_I64, 1, one, &r->target));
  g_hash_table_insert (metadata, g_strdup ("producer"), "vitrine " PACKAGE_VERSION);
  g_hash_table_insert (metadata, g_strdup ("checkpoint"),
                       (gpointer) vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)));
  g_hash_table_insert (metadata, g_strdup ("layer"), r->layer);
  g_hash_table_insert (metadata, g_strdup ("image"), r->path);
  return vt_safetensors_write (path, tensors->len, (const VtTensor * const *) tensors->pdata, metadata, error);
}

/* Actions and drops ---------------------------------------------------------------*/

static void
image_chosen (GFile    *file,
              gpointer  page)
{
  vitrine_attribution_page_open (page, file);
}

static void
open_image_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) images = vitrine_predict_page_image_filter_new ();
  GtkFileFilter *filters[] = { images, NULL };

  vitrine_choose_file (widget, _("Open Image"), filters, image_chosen, widget);
}

static void
open_sample_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VitrineAttributionPage *self = VITRINE_ATTRIBUTION_PAGE (widget);

  if (self->model != NULL && self->dataset != NULL)
    vitrine_attribution_page_open_sample (self, (guint) gtk_spin_button_get_value_as_int (self->sample_spin));
}

static void
compute_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  vitrine_attribution_page_compute (VITRINE_ATTRIBUTION_PAGE (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  vitrine_attribution_page_cancel (VITRINE_ATTRIBUTION_PAGE (widget));
}

static void
report_export (VitrineAttributionPage *self,
               gboolean                ok,
               GError                 *error,
               const char             *path)
{
  g_autofree char *text = NULL;

  if (!ok)
    {
      set_status (self, error ? error->message : _("Only local files can be written"), TRUE);
      return;
    }
  /* Translators: %s is the file (or the files' name without extension) written */
  text = g_strdup_printf (_("Exported %s"), path);
  set_status (self, text, FALSE);
}

static void
row_file_chosen (GFile    *file,
                 gpointer  page)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_attribution_page_export_row (page, base, &error);

  report_export (page, ok, error, base);
}

static void
maps_file_chosen (GFile    *file,
                  gpointer  page)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = path && vitrine_attribution_page_export_maps (page, path, &error);

  report_export (page, ok, error, path);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  if (g_str_equal (action_name, "attribution.export-row"))
    /* Translators: title of the save dialog; PNG, SVG and PDF are all written */
    vitrine_choose_save_file (widget, _("Export Maps as PNG, SVG and PDF"), "attribution-maps", row_file_chosen,
                              widget);
  else
    vitrine_choose_save_file (widget, _("Export Maps as Safetensors"), "attribution.safetensors", maps_file_chosen,
                              widget);
}

static gboolean
on_drop (GtkDropTarget          *target,
         const GValue           *value,
         double                  x,
         double                  y,
         VitrineAttributionPage *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

  if (files == NULL || self->model == NULL)
    {
      g_slist_free (files);
      return FALSE;
    }
  vitrine_attribution_page_open (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* A new layer or target explains the image shown again. */
static void
on_setting_changed (VitrineAttributionPage *self)
{
  tell_panel (self);
  if (!self->filling && (self->result != NULL || self->computing))
    vitrine_attribution_page_compute (self);
}

/* One check button per method of every family, in the table's order. */
static void
add_method_checks (VitrineAttributionPage *self)
{
  guint n_families;
  const VtAttributionFamily *families = vt_attribution_families (&n_families);

  for (guint f = 0; f < n_families; f++)
    {
      GtkWidget *heading = gtk_label_new (_(families[f].title));

      gtk_label_set_xalign (GTK_LABEL (heading), 0);
      gtk_widget_add_css_class (heading, "dim-label");
      gtk_box_append (self->methods_box, heading);
      for (int m = 0; m < families[f].n_methods; m++)
        {
          Choice choice = { &families[f], m, NULL };
          const char *name = families[f].method_name (m);

          VtAttributionOptions defaults;
          g_autofree char *definition = NULL;

          vt_attribution_options_init (&defaults);
          definition = families[f].method_definition (m, &defaults);
          choice.check = GTK_CHECK_BUTTON (gtk_check_button_new_with_label (families[f].method_title (m)));
          gtk_widget_set_tooltip_text (GTK_WIDGET (choice.check), definition);
          gtk_widget_set_name (GTK_WIDGET (choice.check), name);
          /* The CAMs to start with; Score-CAM runs the model once per
           * channel, and the gradient methods are chosen by hand. */
          gtk_check_button_set_active (choice.check, g_str_equal (families[f].name, "cam") &&
                                                     !g_str_equal (name, "scorecam"));
          g_signal_connect_swapped (choice.check, "toggled", G_CALLBACK (update_actions), self);
          gtk_box_append (self->methods_box, GTK_WIDGET (choice.check));
          g_array_append_val (self->choices, choice);
        }
    }
}

/* GObject ---------------------------------------------------------------------------*/

static void
vitrine_attribution_page_dispose (GObject *object)
{
  VitrineAttributionPage *self = VITRINE_ATTRIBUTION_PAGE (object);
  GtkWidget *child;

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* A job still running finds its page gone: stale, it touches nothing. */
  self->serial++;
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_ATTRIBUTION_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (vitrine_attribution_page_parent_class)->dispose (object);
}

static void
vitrine_attribution_page_finalize (GObject *object)
{
  VitrineAttributionPage *self = VITRINE_ATTRIBUTION_PAGE (object);

  result_free (self->result);
  g_array_unref (self->choices);
  g_free (self->error);
  g_free (self->source_path);
  g_clear_pointer (&self->source_dataset, vt_dataset_unref);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_attribution_page_parent_class)->finalize (object);
}

static void
vitrine_attribution_page_class_init (VitrineAttributionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_attribution_page_dispose;
  object_class->finalize = vitrine_attribution_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  g_type_ensure (VITRINE_TYPE_COMET_PAGE);
  g_type_ensure (VITRINE_TYPE_FAITHFULNESS_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-attribution-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, pages);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, comet_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, faithfulness_panel);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, sample_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, sample_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, methods_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, layer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, layer_list);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, target_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, target_list);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, prediction_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, view);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttributionPage, note_label);
  gtk_widget_class_install_action (widget_class, "attribution.open-image", NULL, open_image_action);
  gtk_widget_class_install_action (widget_class, "attribution.open-sample", NULL, open_sample_action);
  gtk_widget_class_install_action (widget_class, "attribution.compute", NULL, compute_action);
  gtk_widget_class_install_action (widget_class, "attribution.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "attribution.export-row", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "attribution.export-maps", NULL, export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "attribution.cancel", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attributionpage");
}

static void
vitrine_attribution_page_init (VitrineAttributionPage *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->choices = g_array_new (FALSE, FALSE, sizeof (Choice));
  add_method_checks (self);
  /* Type to find a class among a thousand, or a layer among a ViT-L's. */
  gtk_drop_down_set_expression (self->target_dropdown,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
  gtk_drop_down_set_enable_search (self->target_dropdown, TRUE);
  gtk_drop_down_set_expression (self->layer_dropdown,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
  gtk_drop_down_set_enable_search (self->layer_dropdown, TRUE);
  fill_targets (self);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  g_signal_connect_swapped (self->layer_dropdown, "notify::selected", G_CALLBACK (on_setting_changed), self);
  g_signal_connect_swapped (self->target_dropdown, "notify::selected", G_CALLBACK (on_setting_changed), self);
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->opacity_scale, "value-changed", G_CALLBACK (update_view), self);
  update_actions (self);
}

/* COMET -------------------------------------------------------------------------*/

void
vitrine_attribution_page_set_runs (VitrineAttributionPage *self,
                                   GListStore             *runs)
{
  vitrine_comet_page_set_runs (self->comet_page, runs);
  vitrine_faithfulness_panel_set_runs (self->faithfulness_panel, runs);
}

/* The kind of @run's first step, from its spec ("comet", "faithfulness"). */
static char *
first_step_kind (VitrineRun *run)
{
  g_autoptr(JsonNode) spec = run && vitrine_run_get_spec (run) ? json_from_string (vitrine_run_get_spec (run), NULL)
                                                               : NULL;
  JsonObject *object = spec && JSON_NODE_HOLDS_OBJECT (spec) ? json_node_get_object (spec) : NULL;
  JsonArray *steps = object && json_object_has_member (object, "steps") &&
                     JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "steps"))
                     ? json_object_get_array_member (object, "steps") : NULL;
  JsonObject *first = steps && json_array_get_length (steps) > 0 ? json_array_get_object_element (steps, 0) : NULL;

  return first && json_object_has_member (first, "kind") ? g_strdup (json_object_get_string_member (first, "kind"))
                                                         : NULL;
}

gboolean
vitrine_attribution_page_show_run (VitrineAttributionPage  *self,
                                   VitrineRun              *run,
                                   GError                 **error)
{
  g_autofree char *kind = first_step_kind (run);

  if (g_strcmp0 (kind, "faithfulness") == 0)
    {
      if (!vitrine_faithfulness_panel_show_run (self->faithfulness_panel, run, error))
        return FALSE;
      gtk_stack_set_visible_child_name (self->pages, "metrics");
      return TRUE;
    }
  if (!vitrine_comet_page_show_run (self->comet_page, run, error))
    return FALSE;
  gtk_stack_set_visible_child_name (self->pages, "comet");
  return TRUE;
}

VitrineFaithfulnessPanel *
vitrine_attribution_page_get_faithfulness_panel (VitrineAttributionPage *self)
{
  return self->faithfulness_panel;
}

void
vitrine_attribution_page_show_metrics (VitrineAttributionPage *self)
{
  gtk_stack_set_visible_child_name (self->pages, "metrics");
}

VitrineCometPage *
vitrine_attribution_page_get_comet_page (VitrineAttributionPage *self)
{
  return self->comet_page;
}

void
vitrine_attribution_page_show_comet (VitrineAttributionPage *self,
                                     gboolean                comet)
{
  gtk_stack_set_visible_child_name (self->pages, comet ? "comet" : "maps");
}
