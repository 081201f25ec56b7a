/* vitrine-predict-page.c: classify one image.
 *
 * A prediction is a run of a "predict" step (VitrineRun, listed in the Runs
 * panel): the engine decodes the image, applies the model's transform, runs
 * it forward and ranks the classes; the page shows the top classes the run
 * wrote to results.json, just run or reopened from its folder. */
#include "vitrine-predict-page.h"
#include "vitrine-file-chooser.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "io/vt-image.h"
#include "models/vt-predict.h"
#include "models/vt-zero-shot.h"
#include "run/vt-spec.h"

#define TOP_K 5

typedef struct
{
  char    *name;
  double   probability;
} Ranked;

struct _VitrinePredictPage
{
  GtkWidget      parent_instance;

  GtkPicture    *picture;
  GtkLabel      *status;
  GtkWidget     *results_grid;
  GtkLabel      *timing;
  GtkWidget     *zero_shot_box;
  char          *vocabulary;    /* the tokenizer's file, for CLIP models */
  GtkEditable   *classes_entry;
  GtkEditable   *prompt_entry;
  GtkDropDown   *image_dropdown;  /* which image of a run of several */
  GtkWidget     *model_input_box;
  GtkPicture    *model_input;
  GtkLabel      *model_input_caption;
  GtkLabel      *model_input_warning;
  GtkLabel      *domain_warning;
  VtImage       *model_input_image; /* the crop the step wrote, or NULL */

  VtModel       *model;
  gboolean       zero_shot;     /* a CLIP model: over the class names typed */
  GListStore    *runs;          /* the window's, where each run is listed */
  VitrineRun    *run;           /* the prediction shown or under way */
  gboolean       busy;          /* the run's results, picture included, are not all shown yet */
  guint          picture_index; /* the prediction whose picture decodes or decoded */
  char          *picture_file;
  gboolean       picture_done;
  VtImage       *picture_image; /* decoded, or NULL: none (yet) */
  JsonNode      *results;       /* the run's predict step's entry in results.json */
  guint          shown;         /* the index of the prediction shown */
  Ranked         top[TOP_K];
  guint          n_top;
  char          *error;
};

G_DEFINE_FINAL_TYPE (VitrinePredictPage, vitrine_predict_page, GTK_TYPE_WIDGET)

gboolean
vitrine_predict_page_supports (VtModel *model)
{
  g_autoptr(VtTokenizer) tokenizer = NULL;

  if (model == NULL)
    return FALSE;
  if (vt_model_get_architecture (model)->num_classes > 0)
    return TRUE;
  /* A CLIP model predicts over typed names where its tokenizer loads. */
  return vt_zero_shot_supported (model) && (tokenizer = vt_predict_load_tokenizer (model, NULL, NULL)) != NULL;
}

static void
clear_rows (VitrinePredictPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->results_grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->results_grid), child);
  for (guint i = 0; i < self->n_top; i++)
    g_clear_pointer (&self->top[i].name, g_free);
  self->n_top = 0;
}

static void
clear_model_input (VitrinePredictPage *self)
{
  g_clear_pointer (&self->model_input_image, vt_image_free);
  gtk_picture_set_paintable (self->model_input, NULL);
  gtk_widget_set_visible (self->model_input_box, FALSE);
}

static void
clear_results (VitrinePredictPage *self)
{
  clear_rows (self);
  clear_model_input (self);
  gtk_widget_set_visible (GTK_WIDGET (self->domain_warning), FALSE);
  g_clear_pointer (&self->results, json_node_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->image_dropdown), FALSE);
  g_clear_pointer (&self->error, g_free);
  gtk_label_set_text (self->timing, "");
}

/* @image in @picture, each pixel drawn as @zoom × @zoom (a 32×32 crop
 * stays sharp; GtkPicture would blur it). */
static void
show_image_in (GtkPicture    *picture,
               const VtImage *image,
               int            zoom)
{
  int w = image->width * zoom, h = image->height * zoom;
  guint8 *rgb = g_malloc ((gsize) w * h * 3);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy (rgb + ((gsize) y * w + x) * 3, image->rgb + ((gsize) (y / zoom) * image->width + x / zoom) * 3, 3);
  bytes = g_bytes_new_take (rgb, (gsize) w * h * 3);
  texture = gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8, bytes, (gsize) w * 3);
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

static void
show_image (VitrinePredictPage *self,
            const VtImage      *image)
{
  show_image_in (self->picture, image, 1);
}

static void
set_error (VitrinePredictPage *self,
           const char         *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_text (self->status, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  /* The last photo beside this error would seem to be what failed. */
  gtk_picture_set_paintable (self->picture, NULL);
}

static void
add_row (VitrinePredictPage *self,
         guint               i,
         const char         *class_name,
         double              probability)
{
  GtkWidget *name = gtk_label_new (class_name);
  GtkWidget *bar = gtk_level_bar_new_for_interval (0.0, 1.0);
  g_autofree char *percent_text = g_strdup_printf ("%.1f%%", 100.0 * probability);
  GtkWidget *percent = gtk_label_new (percent_text);

  gtk_label_set_xalign (GTK_LABEL (name), 0.0);
  /* Typed class names can be whole sentences; the bars keep their room. */
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 28);
  gtk_widget_set_tooltip_text (name, class_name);
  gtk_label_set_xalign (GTK_LABEL (percent), 1.0);
  gtk_widget_add_css_class (percent, "numeric");
  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), probability);
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL, class_name, -1);
  if (i == 0)
    gtk_widget_add_css_class (name, "heading");
  gtk_grid_attach (GTK_GRID (self->results_grid), name, 0, i, 1, 1);
  gtk_grid_attach (GTK_GRID (self->results_grid), bar, 1, i, 1, 1);
  gtk_grid_attach (GTK_GRID (self->results_grid), percent, 2, i, 1, 1);
  self->top[i].name = g_strdup (class_name);
  self->top[i].probability = probability;
}

/* The picture beside the classes ---------------------------------------------*/

/* A picture decoding for the page; stale once the page's run or image
 * changed. */
typedef struct
{
  VitrineRun  *run;
  guint        index;        /* of the prediction it shows */
  char        *file;
} Picture;

static void
picture_free (Picture *picture)
{
  g_clear_object (&picture->run);
  g_free (picture->file);
  g_free (picture);
}

static void
decode_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  Picture *picture = data;
  VtImage *image = vt_image_load (picture->file, NULL);

  if (image != NULL)
    g_task_return_pointer (task, image, (GDestroyNotify) vt_image_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no picture");
}

/* Once the classes of the picture's prediction show and its decoding has
 * ended: the picture (if it decoded) with its size, in the same frame. */
static void
maybe_show_picture (VitrinePredictPage *self)
{
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;

  if (self->results == NULL || self->shown != self->picture_index || !self->picture_done)
    return;
  self->busy = FALSE;
  if (self->picture_image == NULL)
    return;
  base = g_path_get_basename (self->picture_file);
  text = g_strdup_printf (_("%s, %d×%d"), base, self->picture_image->width, self->picture_image->height);
  gtk_label_set_text (self->status, text);
  show_image (self, self->picture_image);
}

static void
on_decoded (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  VitrinePredictPage *self = VITRINE_PREDICT_PAGE (source);
  Picture *picture = g_task_get_task_data (G_TASK (result));
  VtImage *image = g_task_propagate_pointer (G_TASK (result), NULL);

  /* Another prediction, or another image of the run, took the page over. */
  if (picture->run != self->run || picture->index != self->picture_index ||
      g_strcmp0 (picture->file, self->picture_file) != 0 || self->picture_done)
    {
      vt_image_free (image);
      return;
    }
  self->picture_done = TRUE;
  self->picture_image = image;
  maybe_show_picture (self);
}

static void
reset_picture (VitrinePredictPage *self)
{
  g_clear_pointer (&self->picture_image, vt_image_free);
  g_clear_pointer (&self->picture_file, g_free);
  self->picture_done = FALSE;
  self->picture_index = G_MAXUINT;
}

/* Decodes @file, the image of prediction @index of the page's run, in a
 * worker: for a new prediction while the run runs, so that it is ready
 * with the classes; for a reopened one when it is shown. */
static void
decode_picture (VitrinePredictPage *self,
                guint               index,
                const char         *file)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, on_decoded, NULL);
  Picture *picture = g_new0 (Picture, 1);

  reset_picture (self);
  self->picture_index = index;
  self->picture_file = g_strdup (file);
  picture->run = self->run ? g_object_ref (self->run) : NULL;
  picture->index = index;
  picture->file = g_strdup (file);
  g_task_set_task_data (task, picture, (GDestroyNotify) picture_free);
  g_task_run_in_thread (task, decode_thread);
}

/* @object's member @key where it is a string, else NULL. */
static const char *
string_member (JsonObject *object,
               const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

/* A file of the run's predictions: a path, or a dataset's sample name
 * (relative to the dataset's folder, where it has one). */
static char *
prediction_path (JsonObject *step,
                 const char *file)
{
  const char *dataset = string_member (step, "dataset");

  if (g_path_is_absolute (file) || dataset == NULL)
    return g_strdup (file);
  return g_build_filename (dataset, file, NULL);
}

/* The crop the step wrote for @prediction (its "input", a PNG in the run's
 * folder), with how it was made and a warning when the photo is far from
 * what the model takes: most of it cut off, or its scale changed a lot. */
static void
show_model_input (VitrinePredictPage *self,
                  JsonObject         *step,
                  JsonObject         *prediction)
{
  const char *input = string_member (prediction, "input");
  const char *transform = string_member (step, "transform");
  g_autofree char *path = NULL;
  g_autofree char *caption = NULL;
  g_autoptr(GString) warning = g_string_new (NULL);
  double kept, scale;
  int width, height, size;

  clear_model_input (self);
  if (input == NULL || transform == NULL || !json_object_has_member (prediction, "kept") ||
      !json_object_has_member (prediction, "scale"))
    return;
  path = g_build_filename (vitrine_run_get_results_dir (self->run), input, NULL);
  /* A crop of at most the transform's 4096 pixels a side, a PNG written by the
   * step: small enough to decode here. */
  if ((self->model_input_image = vt_image_load (path, NULL)) == NULL)
    return;
  size = self->model_input_image->width;
  width = (int) json_object_get_int_member (prediction, "width");
  height = (int) json_object_get_int_member (prediction, "height");
  kept = json_object_get_double_member (prediction, "kept");
  scale = json_object_get_double_member (prediction, "scale");
  show_image_in (self->model_input, self->model_input_image, MAX (1, 128 / MAX (size, 1)));
  /* Translators: the crop a model was given: its size, the photo's size and the transform, e.g. "center crop 32, mean …" */
  caption = g_strdup_printf (_("%d×%d pixels, made from the %d×%d image by: %s"), size, self->model_input_image->height,
                             width, height, transform);
  gtk_label_set_text (self->model_input_caption, caption);
  if (kept < 0.5)
    /* Translators: %.1f is a percentage of the image's area, followed by a percent sign */
    g_string_append_printf (warning, _("The model saw only %.1f%% of this image: the rest was cropped away."),
                            100.0 * kept);
  if (scale < 1.0 / 8.0 || scale > 4.0)
    {
      if (warning->len > 0)
        g_string_append_c (warning, '\n');
      if (scale < 1.0)
        /* Translators: %.0f is a factor, e.g. "30 times" */
        g_string_append_printf (warning, _("The model saw this image %.0f times smaller than it is: its fine detail is lost."),
                                1.0 / scale);
      else
        g_string_append_printf (warning, _("The model saw this image enlarged %.0f times: it is far smaller than what the model takes."),
                                scale);
    }
  gtk_label_set_text (self->model_input_warning, warning->str);
  gtk_widget_set_visible (GTK_WIDGET (self->model_input_warning), warning->len > 0);
  gtk_widget_set_visible (self->model_input_box, TRUE);
}

/* LIT's domain warning, from the step's flag: the model gives no class even
 * @outside_threshold of its probability (Hendrycks & Gimpel's maximum
 * softmax probability), so the image is likely none of its classes. */
static void
show_domain_warning (VitrinePredictPage *self,
                     JsonObject         *step,
                     JsonObject         *prediction)
{
  g_autofree char *text = NULL;

  if (!json_object_get_boolean_member_with_default (prediction, "outside_classes", FALSE))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->domain_warning), FALSE);
      return;
    }
  /* Translators: the first %.0f is the most likely class's probability, the second the threshold, each followed by a percent sign */
  text = g_strdup_printf (_("The model is unsure of every class: the most likely has %.0f%%, below %.0f%%. This image may be outside the classes it was trained on."),
                          100 * json_object_get_double_member_with_default (prediction, "max_probability", 0),
                          100 * json_object_get_double_member_with_default (step, "outside_threshold",
                                                                            VT_PREDICT_OUTSIDE_THRESHOLD));
  gtk_label_set_text (self->domain_warning, text);
  gtk_widget_set_visible (GTK_WIDGET (self->domain_warning), TRUE);
}

/* Shows prediction @index of the run's results: its classes at once, its
 * picture once decoded in a worker (a large photo takes a while; an image
 * gone since leaves the classes). */
static gboolean
show_prediction (VitrinePredictPage  *self,
                 guint                index,
                 GError             **error)
{
  JsonObject *step = json_node_get_object (self->results);
  JsonArray *predictions = json_object_get_array_member (step, "predictions");
  JsonNode *node = json_array_get_element (predictions, index);
  JsonObject *prediction = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonArray *classes, *probabilities;
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;
  const char *file;
  guint n;

  clear_rows (self);
  self->shown = index;
  file = prediction ? string_member (prediction, "file") : NULL;
  classes = prediction && json_object_has_member (prediction, "classes") &&
            JSON_NODE_HOLDS_ARRAY (json_object_get_member (prediction, "classes"))
            ? json_object_get_array_member (prediction, "classes") : NULL;
  probabilities = prediction && json_object_has_member (prediction, "probabilities") &&
                  JSON_NODE_HOLDS_ARRAY (json_object_get_member (prediction, "probabilities"))
                  ? json_object_get_array_member (prediction, "probabilities") : NULL;
  if (file == NULL || classes == NULL || probabilities == NULL ||
      json_array_get_length (classes) != json_array_get_length (probabilities))
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: the predict step's predictions[%u] has no file, or no classes and "
                   "probabilities alike", vitrine_run_get_results_dir (self->run), index);
      return FALSE;
    }
  n = MIN (TOP_K, json_array_get_length (classes));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *name = json_array_get_element (classes, i);
      JsonNode *p = json_array_get_element (probabilities, i);

      if (!JSON_NODE_HOLDS_VALUE (name) || json_node_get_value_type (name) != G_TYPE_STRING ||
          !JSON_NODE_HOLDS_VALUE (p) ||
          (json_node_get_value_type (p) != G_TYPE_DOUBLE && json_node_get_value_type (p) != G_TYPE_INT64))
        {
          clear_rows (self);
          g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                       "%s/results.json: predictions[%u]: class %u is not a name with a probability",
                       vitrine_run_get_results_dir (self->run), index, i);
          return FALSE;
        }
      add_row (self, i, json_node_get_string (name), json_node_get_double (p));
      self->n_top = i + 1;
    }

  show_model_input (self, step, prediction);
  show_domain_warning (self, step, prediction);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  base = g_path_get_basename (file);
  gtk_label_set_text (self->status, base);
  gtk_picture_set_paintable (self->picture, NULL);
  self->busy = TRUE;
  path = prediction_path (step, file);
  /* A new prediction's picture has been decoding since the click. */
  if (self->picture_index != index || g_strcmp0 (self->picture_file, path) != 0)
    decode_picture (self, index, path);
  maybe_show_picture (self);
  return TRUE;
}

static void
on_image_chosen (GtkDropDown        *dropdown,
                 GParamSpec         *pspec,
                 VitrinePredictPage *self)
{
  guint index = gtk_drop_down_get_selected (dropdown);
  g_autoptr(GError) error = NULL;

  if (self->results == NULL || index == GTK_INVALID_LIST_POSITION || index == self->shown)
    return;
  if (!show_prediction (self, index, &error))
    set_error (self, error->message);
}

/* The run's predictions, as its predict step wrote them: the first shown;
 * where there are several, a list to choose the image from. */
static gboolean
show_results (VitrinePredictPage  *self,
              VitrineRun          *run,
              gboolean             reopened,
              GError             **error)
{
  g_autoptr(JsonNode) result = vitrine_run_load_step_result (run, "predict", error);
  g_autoptr(GtkStringList) files = gtk_string_list_new (NULL);
  JsonObject *step;
  JsonArray *predictions;
  guint n_images;

  if (result == NULL)
    return FALSE;
  step = json_node_get_object (result);
  predictions = json_object_has_member (step, "predictions") &&
                JSON_NODE_HOLDS_ARRAY (json_object_get_member (step, "predictions"))
                ? json_object_get_array_member (step, "predictions") : NULL;
  n_images = predictions ? json_array_get_length (predictions) : 0;
  if (n_images == 0)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s/results.json: the predict step has no predictions", vitrine_run_get_results_dir (run));
      return FALSE;
    }
  g_clear_pointer (&self->results, json_node_unref);
  self->results = g_steal_pointer (&result);
  for (guint i = 0; i < n_images; i++)
    {
      JsonNode *prediction = json_array_get_element (predictions, i);
      JsonNode *file = JSON_NODE_HOLDS_OBJECT (prediction) ? json_object_get_member (json_node_get_object (prediction),
                                                                                      "file") : NULL;

      gtk_string_list_append (files, file != NULL && json_node_get_value_type (file) == G_TYPE_STRING
                                     ? json_node_get_string (file) : "?");
    }
  /* Choosing the first image while the list fills shows nothing twice. */
  self->shown = 0;
  gtk_drop_down_set_model (self->image_dropdown, G_LIST_MODEL (files));
  gtk_drop_down_set_selected (self->image_dropdown, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->image_dropdown), n_images > 1);
  if (!show_prediction (self, 0, error))
    return FALSE;
  {
    g_autofree char *text = NULL;

    if (reopened)
      /* Translators: %s is the results folder the predictions were read from */
      text = g_strdup_printf (_("Reopened from %s"), vitrine_run_get_results_dir (run));
    else
      /* Translators: the time of a prediction's run, from the click to its results */
      text = g_strdup_printf (_("Classified in %.0f ms: the model opened, the image decoded and run forward"),
                              vitrine_run_get_elapsed (run) * 1000.0);
    gtk_label_set_text (self->timing, text);
  }
  return TRUE;
}

static void
on_predicted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrinePredictPage) self = user_data;
  g_autoptr(GError) error = NULL;

  /* A newer prediction, or a reopened one, took the page over meanwhile. */
  if (run != self->run)
    {
      vitrine_run_start_finish (run, result, NULL);
      return;
    }
  /* Busy until the picture shows too (show_results). */
  self->busy = FALSE;
  if (!vitrine_run_start_finish (run, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      return;
    }
  if (!show_results (self, run, FALSE, &error))
    set_error (self, error->message);
}

/* The spec a user would give --batch: one predict step on @path. */
static char *
build_spec (VitrinePredictPage *self,
            const char         *name,
            const char         *path,
            char              **classes)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  const char * const images[] = { path, NULL };
  VtPredictStep *step = vt_predict_step_new (NULL, vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)),
                                             images);

  /* The step refuses more ranks than classes: a model of two, or three
   * typed names, shows them all. */
  /* The crop the model saw, shown beside the photo. */
  step->inputs = TRUE;
  step->top = MIN (TOP_K, classes != NULL ? g_strv_length (classes)
                                          : (guint) vt_model_get_architecture (self->model)->num_classes);
  if (classes != NULL)
    {
      step->classes = classes;
      g_free (step->prompt);
      step->prompt = g_strdup (gtk_editable_get_text (self->prompt_entry));
    }
  /* A new spec and the kind's own id: nothing to refuse. */
  if (!vt_spec_add_step (spec, (VtStep *) step, NULL))
    g_return_val_if_reached (NULL);
  return vt_spec_to_data (spec);
}

void
vitrine_predict_page_open (VitrinePredictPage *self,
                           GFile              *file)
{
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *spec = NULL;
  char **classes = NULL;

  g_return_if_fail (VITRINE_IS_PREDICT_PAGE (self));
  g_return_if_fail (self->model != NULL);

  if (self->run != NULL)
    vitrine_run_cancel (self->run);
  g_clear_object (&self->run);
  self->busy = FALSE;
  clear_results (self);

  path = g_file_get_path (file);
  if (self->zero_shot)
    {
      g_auto(GStrv) parts = g_strsplit (gtk_editable_get_text (self->classes_entry), ",", -1);
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

      for (guint i = 0; parts[i]; i++)
        if (*g_strstrip (parts[i]) != '\0')
          g_strv_builder_add (names, parts[i]);
      classes = g_strv_builder_end (names);
      if (classes[0] == NULL)
        {
          g_strfreev (classes);
          self->error = g_strdup (_("Type the class names to choose from, separated by commas."));
          gtk_label_set_text (self->status, self->error);
          return;
        }
    }
  if (path == NULL)
    {
      g_strfreev (classes);
      self->error = g_strdup (_("Only local files can be opened"));
      gtk_label_set_text (self->status, self->error);
      return;
    }
  name = g_path_get_basename (path);
  spec = build_spec (self, name, path, classes);
  gtk_label_set_text (self->status, _("Classifying…"));
  self->run = vitrine_run_new ("predict", name, spec);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  self->busy = TRUE;
  vitrine_run_start_async (self->run, NULL, NULL, on_predicted, g_object_ref (self));
  /* The picture decodes beside the run, to show with its classes. */
  decode_picture (self, 0, path);
}

void
vitrine_predict_page_set_runs (VitrinePredictPage *self,
                               GListStore         *runs)
{
  g_set_object (&self->runs, runs);
}

gboolean
vitrine_predict_page_show_run (VitrinePredictPage  *self,
                               VitrineRun          *run,
                               GError             **error)
{
  GError *local = NULL;

  g_return_val_if_fail (VITRINE_IS_PREDICT_PAGE (self), FALSE);

  if (self->run != NULL && self->run != run)
    vitrine_run_cancel (self->run);
  g_set_object (&self->run, run);
  self->busy = FALSE;
  clear_results (self);
  reset_picture (self);
  if (!show_results (self, run, TRUE, &local))
    {
      set_error (self, local->message);
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

VitrineRun *
vitrine_predict_page_get_run (VitrinePredictPage *self)
{
  return self->run;
}

guint
vitrine_predict_page_get_n_predictions (VitrinePredictPage *self)
{
  return self->results != NULL
         ? json_array_get_length (json_object_get_array_member (json_node_get_object (self->results), "predictions"))
         : 0;
}

void
vitrine_predict_page_choose_prediction (VitrinePredictPage *self,
                                        guint               index)
{
  g_return_if_fail (index < vitrine_predict_page_get_n_predictions (self));
  gtk_drop_down_set_selected (self->image_dropdown, index);
}

gboolean
vitrine_predict_page_is_busy (VitrinePredictPage *self)
{
  return self->busy;
}

gboolean
vitrine_predict_page_get_top (VitrinePredictPage *self,
                              guint               i,
                              const char        **name,
                              double             *probability)
{
  if (i >= self->n_top)
    return FALSE;
  *name = self->top[i].name;
  *probability = self->top[i].probability;
  return TRUE;
}

const char *
vitrine_predict_page_get_vocabulary (VitrinePredictPage *self)
{
  return self->vocabulary;
}

gboolean
vitrine_predict_page_shows_image (VitrinePredictPage *self)
{
  return gtk_picture_get_paintable (self->picture) != NULL;
}

GtkFileFilter *
vitrine_predict_page_image_filter_new (void)
{
  /* vt_image_decode's formats (told by their signatures). */
  static const char * const types[] = { "image/jpeg", "image/png", "image/bmp" };
  static const char * const suffixes[] = { "jpg", "jpeg", "png", "bmp" };
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Images (JPEG, PNG, BMP)"));
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    gtk_file_filter_add_mime_type (filter, types[i]);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    gtk_file_filter_add_suffix (filter, suffixes[i]);
  return filter;
}

const VtImage *
vitrine_predict_page_get_model_input (VitrinePredictPage *self)
{
  return self->model_input_image;
}

const char *
vitrine_predict_page_get_domain_warning (VitrinePredictPage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->domain_warning)) ? gtk_label_get_text (self->domain_warning) : NULL;
}

const char *
vitrine_predict_page_get_input_warning (VitrinePredictPage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->model_input_warning))
         ? gtk_label_get_text (self->model_input_warning) : NULL;
}

const char *
vitrine_predict_page_get_error (VitrinePredictPage *self)
{
  return self->error;
}

void
vitrine_predict_page_set_model (VitrinePredictPage *self,
                                VtModel            *model)
{
  g_return_if_fail (VITRINE_IS_PREDICT_PAGE (self));

  if (self->run != NULL)
    vitrine_run_cancel (self->run);
  g_clear_object (&self->run);
  self->busy = FALSE;
  clear_results (self);
  reset_picture (self);
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_label_set_text (self->status, _("Open or drop an image to classify it."));
  g_clear_pointer (&self->model, vt_model_free);
  if (model)
    self->model = vt_model_ref (model);
  g_clear_pointer (&self->vocabulary, g_free);
  self->zero_shot = FALSE;
  /* A CLIP model predicts over the class names the user types; each run
   * loads the tokenizer its step names, this only says which file. */
  if (model && vt_model_get_architecture (model)->num_classes <= 0 && vt_zero_shot_supported (model))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VtTokenizer) tokenizer = vt_predict_load_tokenizer (model, &self->vocabulary, &error);

      self->zero_shot = tokenizer != NULL;
      if (tokenizer == NULL)
        {
          g_free (self->error);
          self->error = g_strdup (error->message);
          gtk_label_set_text (self->status, self->error);
        }
    }
  gtk_widget_set_visible (self->zero_shot_box, self->zero_shot);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "predict.open-image", self->model != NULL);
}

void
vitrine_predict_page_set_zero_shot (VitrinePredictPage *self,
                                    const char         *classes,
                                    const char         *prompt)
{
  gtk_editable_set_text (self->classes_entry, classes);
  gtk_editable_set_text (self->prompt_entry, prompt);
}

/* Actions and drops ---------------------------------------------------------*/

static void
image_chosen (GFile    *file,
              gpointer  page)
{
  vitrine_predict_page_open (page, file);
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

static gboolean
on_drop (GtkDropTarget      *target,
         const GValue       *value,
         double              x,
         double              y,
         VitrinePredictPage *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

  if (files == NULL || self->model == NULL)
    {
      g_slist_free (files);
      return FALSE;
    }
  vitrine_predict_page_open (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* GObject ---------------------------------------------------------------------*/

static void
vitrine_predict_page_dispose (GObject *object)
{
  VitrinePredictPage *self = VITRINE_PREDICT_PAGE (object);
  GtkWidget *child;

  /* A run of a page that goes has nobody to show it. */
  if (self->run != NULL)
    vitrine_run_cancel (self->run);
  g_clear_object (&self->run);
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_PREDICT_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (vitrine_predict_page_parent_class)->dispose (object);
}

static void
vitrine_predict_page_finalize (GObject *object)
{
  VitrinePredictPage *self = VITRINE_PREDICT_PAGE (object);

  for (guint i = 0; i < self->n_top; i++)
    g_free (self->top[i].name);
  g_free (self->error);
  g_free (self->vocabulary);
  g_clear_pointer (&self->results, json_node_unref);
  reset_picture (self);
  g_clear_pointer (&self->model_input_image, vt_image_free);
  g_clear_pointer (&self->model, vt_model_free);
  G_OBJECT_CLASS (vitrine_predict_page_parent_class)->finalize (object);
}

static void
vitrine_predict_page_class_init (VitrinePredictPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_predict_page_dispose;
  object_class->finalize = vitrine_predict_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-predict-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, picture);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, results_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, timing);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, zero_shot_box);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, classes_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, prompt_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, image_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, model_input_box);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, model_input);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, model_input_caption);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, model_input_warning);
  gtk_widget_class_bind_template_child (widget_class, VitrinePredictPage, domain_warning);
  gtk_widget_class_bind_template_callback (widget_class, on_image_chosen);
  gtk_widget_class_install_action (widget_class, "predict.open-image", NULL, open_image_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "predictpage");
}

static void
vitrine_predict_page_init (VitrinePredictPage *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->picture_index = G_MAXUINT;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "predict.open-image", FALSE);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
