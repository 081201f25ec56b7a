/* vitrine-predict-page.c: classify one image.
 *
 * Decoding, the eval transform and the forward pass all run in a GTask
 * thread (engine code); the page only shows what comes back. */
#include "vitrine-predict-page.h"
#include "vitrine-file-chooser.h"

#include <glib/gi18n.h>
#include <math.h>

#include "io/vt-image.h"
#include "models/vt-predict.h"
#include "models/vt-transform.h"
#include "models/vt-zero-shot.h"
#include "vitrine-data.h"

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
  char          *vocabulary;    /* the tokenizer's file */
  GtkEditable   *classes_entry;
  GtkEditable   *prompt_entry;

  VtModel       *model;
  VtTokenizer   *tokenizer;     /* for CLIP models: zero-shot over typed classes */
  GCancellable  *cancellable;
  Ranked         top[TOP_K];
  guint          n_top;
  char          *error;
};

G_DEFINE_FINAL_TYPE (VitrinePredictPage, vitrine_predict_page, GTK_TYPE_WIDGET)

typedef struct
{
  VtModel    *model;
  VtTokenizer *tokenizer;       /* borrowed from the page, which outlives the task */
  char      **classes;          /* zero-shot class names, or NULL */
  char       *prompt;
  char       *path;
  VtImage    *image;            /* as decoded, for display */
  Ranked      top[TOP_K];
  guint       n_top;
  double      milliseconds;
  int         input_size;
} Job;

static void
job_free (Job *job)
{
  vt_model_free (job->model);
  g_strfreev (job->classes);
  g_free (job->prompt);
  g_free (job->path);
  vt_image_free (job->image);
  for (guint i = 0; i < job->n_top; i++)
    g_free (job->top[i].name);
  g_free (job);
}

/* The Hugging Face vocab.json beside a checkpoint (or in its folder), when
 * merges.txt is there too; NULL otherwise. */
static char *
checkpoint_vocabulary (VtModel *model, char **merges)
{
  const char *path = vt_checkpoint_get_path (vt_model_get_checkpoint (model));
  g_autofree char *dir = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path) : g_path_get_dirname (path);
  g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);

  *merges = g_build_filename (dir, "merges.txt", NULL);
  if (g_file_test (vocab, G_FILE_TEST_IS_REGULAR) && g_file_test (*merges, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&vocab);
  g_clear_pointer (merges, g_free);
  return NULL;
}

/* The checkpoint's own vocabulary where it ships one (a Hugging Face
 * vocab.json + merges.txt), else the OpenAI vocabulary in data/clip, which
 * OpenAI and OpenCLIP checkpoints share. @source says which, for the user. */
static VtTokenizer *
load_clip_tokenizer (VtModel *model, char **source, GError **error)
{
  g_autofree char *merges = NULL;
  g_autofree char *vocab = checkpoint_vocabulary (model, &merges);
  g_autofree char *bundled = NULL;
  VtTokenizer *tokenizer;

  if (vocab != NULL)
    {
      tokenizer = vt_tokenizer_new_from_hf (vocab, merges, error);
      if (tokenizer != NULL)
        *source = g_steal_pointer (&vocab);
      return tokenizer;
    }
  bundled = vitrine_find_data_file ("clip/bpe_simple_vocab_16e6.txt.gz");
  if (bundled == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The CLIP vocabulary is not installed"));
      return NULL;
    }
  tokenizer = vt_tokenizer_new_from_bpe_file (bundled, error);
  if (tokenizer != NULL)
    *source = g_steal_pointer (&bundled);
  return tokenizer;
}

gboolean
vitrine_predict_page_supports (VtModel *model)
{
  g_autofree char *vocab = vitrine_find_data_file ("clip/bpe_simple_vocab_16e6.txt.gz");
  g_autofree char *merges = NULL;
  g_autofree char *own = model ? checkpoint_vocabulary (model, &merges) : NULL;

  return model != NULL && (vt_model_get_architecture (model)->num_classes > 0 ||
                           (vt_zero_shot_supported (model) && (vocab != NULL || own != NULL)));
}

/* Runs in the worker. */
static void
predict_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Job *job = data;
  const VtArchitecture *arch = vt_model_get_architecture (job->model);
  int s = arch->image_size, k = arch->num_classes;
  int n = job->classes ? (int) g_strv_length (job->classes) : k;
  g_autofree float *pixels = g_new (float, (gsize) 3 * s * s);
  g_autofree double *probs = g_new (double, MAX (n, 1));
  g_autoptr(GError) error = NULL;
  guint top[TOP_K];
  VtTransform transform;
  gint64 start;

  job->image = vt_image_load (job->path, &error);
  if (job->image == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  vt_transform_init_from_architecture (&transform, arch);
  if (!vt_transform_check_image (&transform, job->image, job->path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  vt_transform_apply (&transform, job->image, pixels);
  job->input_size = s;
  start = g_get_monotonic_time ();
  /* The engine's forward pass, softmax and top-k: what the predict step
   * writes for the same image. */
  if (!vt_predict_image (job->model, job->tokenizer, (const char * const *) job->classes, job->prompt,
                         pixels, s, probs, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  job->milliseconds = (g_get_monotonic_time () - start) / 1000.0;

  job->n_top = MIN (TOP_K, (guint) n);
  vt_predict_top (probs, (guint) n, job->n_top, top);
  for (guint r = 0; r < job->n_top; r++)
    {
      job->top[r].probability = probs[top[r]];
      job->top[r].name = job->classes ? g_strdup (job->classes[top[r]])
                       : arch->class_names ? g_strdup (arch->class_names[top[r]])
                       : g_strdup_printf (_("class %u"), top[r]);
    }
  g_task_return_boolean (task, TRUE);
}

static void
clear_results (VitrinePredictPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->results_grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->results_grid), child);
  for (guint i = 0; i < self->n_top; i++)
    g_clear_pointer (&self->top[i].name, g_free);
  self->n_top = 0;
  g_clear_pointer (&self->error, g_free);
  gtk_label_set_text (self->timing, "");
}

static void
show_image (VitrinePredictPage *self,
            const VtImage      *image)
{
  g_autoptr(GBytes) bytes = g_bytes_new (image->rgb, (gsize) image->width * image->height * 3);
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (image->width, image->height, GDK_MEMORY_R8G8B8,
                                                          bytes, (gsize) image->width * 3);

  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
}

static void
on_predicted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VitrinePredictPage *self = VITRINE_PREDICT_PAGE (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      self->error = g_strdup (error->message);
      gtk_label_set_text (self->status, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
      /* The last photo beside this error would seem to be what failed. */
      gtk_picture_set_paintable (self->picture, NULL);
      return;
    }
  g_clear_object (&self->cancellable);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  {
    g_autofree char *name = g_path_get_basename (job->path);
    g_autofree char *text = g_strdup_printf (_("%s, %d×%d"), name, job->image->width, job->image->height);
    gtk_label_set_text (self->status, text);
  }
  show_image (self, job->image);

  for (guint i = 0; i < job->n_top; i++)
    {
      GtkWidget *name = gtk_label_new (job->top[i].name);
      GtkWidget *bar = gtk_level_bar_new_for_interval (0.0, 1.0);
      g_autofree char *percent_text = g_strdup_printf ("%.1f%%", 100.0 * job->top[i].probability);
      GtkWidget *percent = gtk_label_new (percent_text);

      gtk_label_set_xalign (GTK_LABEL (name), 0.0);
      /* Typed class names can be whole sentences; the bars keep their room. */
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (name), 28);
      gtk_widget_set_tooltip_text (name, job->top[i].name);
      gtk_label_set_xalign (GTK_LABEL (percent), 1.0);
      gtk_widget_add_css_class (percent, "numeric");
      gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), job->top[i].probability);
      gtk_widget_set_hexpand (bar, TRUE);
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL, job->top[i].name, -1);
      if (i == 0)
        gtk_widget_add_css_class (name, "heading");
      gtk_grid_attach (GTK_GRID (self->results_grid), name, 0, i, 1, 1);
      gtk_grid_attach (GTK_GRID (self->results_grid), bar, 1, i, 1, 1);
      gtk_grid_attach (GTK_GRID (self->results_grid), percent, 2, i, 1, 1);
      self->top[i].name = g_strdup (job->top[i].name);
      self->top[i].probability = job->top[i].probability;
    }
  self->n_top = job->n_top;
  {
    g_autofree char *timing = g_strdup_printf (_("Forward pass: %.1f ms at %d×%d"), job->milliseconds,
                                               job->input_size, job->input_size);
    gtk_label_set_text (self->timing, timing);
  }
}

void
vitrine_predict_page_open (VitrinePredictPage *self,
                           GFile              *file)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (VITRINE_IS_PREDICT_PAGE (self));
  g_return_if_fail (self->model != NULL);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear_results (self);

  job = g_new0 (Job, 1);
  job->model = vt_model_ref (self->model);
  job->path = g_file_get_path (file);
  if (self->tokenizer != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (gtk_editable_get_text (self->classes_entry), ",", -1);
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

      for (guint i = 0; parts[i]; i++)
        if (*g_strstrip (parts[i]) != '\0')
          g_strv_builder_add (names, parts[i]);
      job->classes = g_strv_builder_end (names);
      job->prompt = g_strdup (gtk_editable_get_text (self->prompt_entry));
      job->tokenizer = self->tokenizer;
      if (job->classes[0] == NULL)
        {
          self->error = g_strdup (_("Type the class names to choose from, separated by commas."));
          gtk_label_set_text (self->status, self->error);
          job_free (job);
          return;
        }
    }
  if (job->path == NULL)
    {
      self->error = g_strdup (_("Only local files can be opened"));
      gtk_label_set_text (self->status, self->error);
      job_free (job);
      return;
    }
  gtk_label_set_text (self->status, _("Classifying…"));
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_predicted, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, predict_thread);
}

gboolean
vitrine_predict_page_is_busy (VitrinePredictPage *self)
{
  return self->cancellable != NULL;
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

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear_results (self);
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_label_set_text (self->status, _("Open or drop an image to classify it."));
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->tokenizer, vt_tokenizer_free);
  if (model)
    self->model = vt_model_ref (model);
  g_clear_pointer (&self->vocabulary, g_free);
  /* A CLIP model predicts over the class names the user types. */
  if (model && vt_model_get_architecture (model)->num_classes <= 0 && vt_zero_shot_supported (model))
    {
      g_autoptr(GError) error = NULL;

      self->tokenizer = load_clip_tokenizer (model, &self->vocabulary, &error);
      if (self->tokenizer == NULL)
        {
          g_free (self->error);
          self->error = g_strdup (error->message);
          gtk_label_set_text (self->status, self->error);
        }
    }
  gtk_widget_set_visible (self->zero_shot_box, self->tokenizer != NULL);
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

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
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
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->tokenizer, vt_tokenizer_free);
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
  gtk_widget_class_install_action (widget_class, "predict.open-image", NULL, open_image_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "predictpage");
}

static void
vitrine_predict_page_init (VitrinePredictPage *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
