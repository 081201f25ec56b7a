/* vitrine-text-attention.c: the Attention area's Text mode.
 *
 * The tokenizer (read once, its vocabulary is large) and the text tower run
 * in a GTask thread; the page keeps every layer's attention of the prompt
 * and derives the shown matrix on the main thread when the layer, head or
 * fusion changes, through vt_attention_fuse_heads. */
#include "config.h"

#include "vitrine-text-attention.h"
#include "vitrine-figure-view.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "methods/attribution/vt-attention-maps.h"
#include "methods/attribution/vt-text-attention.h"
#include "models/vt-predict.h"

struct _VitrineTextAttention
{
  GtkWidget           parent_instance;

  GtkEntry           *prompt_entry;
  GtkLabel           *status;
  GtkWidget          *settings;
  GtkSpinButton      *layer_spin;
  GtkSpinButton      *head_spin;
  GtkDropDown        *show_dropdown;
  VitrineFigureView  *view;

  VtModel            *model;
  VtTokenizer        *tokenizer;   /* read on the first run, then kept */
  GCancellable       *cancellable;
  VtTextAttention    *text;
  float              *matrix;      /* (T, T): what the view shows */
  char               *error;
};

G_DEFINE_FINAL_TYPE (VitrineTextAttention, vitrine_text_attention, GTK_TYPE_WIDGET)

gboolean
vitrine_text_attention_supports (VtModel *model)
{
  return vt_text_attention_supported (model);
}

/* The worker ------------------------------------------------------------------*/

typedef struct
{
  VtModel          *model;
  /* The page's, lent for the run (so that the page cannot free it while
   * the thread reads it), or one read here; given back when done. */
  VtTokenizer      *tokenizer;
  char             *prompt;
  VtTextAttention  *text;
} Job;

static void
job_free (Job *job)
{
  vt_model_free (job->model);
  vt_tokenizer_free (job->tokenizer);
  g_free (job->prompt);
  vt_text_attention_free (job->text);
  g_free (job);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      data,
            GCancellable *cancellable)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;

  if (job->tokenizer == NULL)
    job->tokenizer = vt_predict_load_tokenizer (job->model, NULL, &error);
  if (job->tokenizer == NULL ||
      !(job->text = vt_text_attention_compute (job->model, job->tokenizer, job->prompt, &error)))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* The view --------------------------------------------------------------------*/

static VitrineTextAttentionShow
get_show (VitrineTextAttention *self)
{
  return (VitrineTextAttentionShow) gtk_drop_down_get_selected (self->show_dropdown);
}

static void
update_view (VitrineTextAttention *self)
{
  VtTextAttention *text = self->text;
  int layer, head, t;
  const float *heads;
  g_autofree double *values = NULL;
  g_autofree char *title = NULL;
  VtFigure *figure;

  gtk_widget_set_sensitive (GTK_WIDGET (self->head_spin), get_show (self) == VITRINE_TEXT_ATTENTION_HEAD);
  if (text == NULL)
    return;
  layer = gtk_spin_button_get_value_as_int (self->layer_spin);
  head = gtk_spin_button_get_value_as_int (self->head_spin);
  t = text->tokens;
  heads = vt_text_attention_layer (text, layer);
  if (get_show (self) == VITRINE_TEXT_ATTENTION_HEAD)
    memcpy (self->matrix, heads + (gsize) head * t * t, sizeof (float) * t * t);
  else
    /* The drop-down lists VtHeadFusion's values in its order after "Head". */
    vt_attention_fuse_heads (heads, text->heads, t, (VtHeadFusion) (get_show (self) - VITRINE_TEXT_ATTENTION_MEAN),
                             self->matrix);

  /* Causal: nothing above the diagonal, drawn empty rather than as 0. */
  values = g_new (double, (gsize) t * t);
  for (int q = 0; q < t; q++)
    for (int k = 0; k < t; k++)
      values[(gsize) q * t + k] = k > q ? NAN : self->matrix[(gsize) q * t + k];
  if (get_show (self) == VITRINE_TEXT_ATTENTION_HEAD)
    /* Translators: title of a prompt's token × token attention: layer, head */
    title = g_strdup_printf (_("Text attention, layer %d, head %d"), layer, head);
  else
    /* Translators: title of a prompt's token × token attention: layer, the fusion (mean, max, min) */
    title = g_strdup_printf (_("Text attention, layer %d, heads fused by %s"), layer,
                             vt_head_fusion_name ((VtHeadFusion) (get_show (self) - VITRINE_TEXT_ATTENTION_MEAN)));
  /* Translators: the heatmap's axes: the tokens attended to (across) and attending (down) */
  figure = vt_figure_new_heatmap (title, _("key token"), _("query token"), t, t, values,
                                  (const char * const *) text->labels, (const char * const *) text->labels);
  vitrine_figure_view_set_figure (self->view, figure);
}

static void
clear (VitrineTextAttention *self)
{
  g_clear_pointer (&self->text, vt_text_attention_free);
  g_clear_pointer (&self->matrix, g_free);
  g_clear_pointer (&self->error, g_free);
  vitrine_figure_view_set_figure (self->view, NULL);
  gtk_widget_set_sensitive (self->settings, FALSE);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VitrineTextAttention *self = VITRINE_TEXT_ATTENTION (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      if (self->tokenizer == NULL)
        self->tokenizer = g_steal_pointer (&job->tokenizer);
      self->error = g_strdup (error->message);
      gtk_label_set_text (self->status, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
      return;
    }
  g_clear_object (&self->cancellable);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  /* The tokenizer is kept for the next prompt. */
  if (self->tokenizer == NULL)
    self->tokenizer = g_steal_pointer (&job->tokenizer);
  self->text = g_steal_pointer (&job->text);
  self->matrix = g_new0 (float, (gsize) self->text->tokens * self->text->tokens);
  /* Translators: the prompt's token count, and the text tower's layers and heads */
  text = g_strdup_printf (_("%d tokens: %d layers of %d heads"), self->text->tokens, self->text->layers,
                          self->text->heads);
  gtk_label_set_text (self->status, text);
  gtk_spin_button_set_range (self->layer_spin, 0, self->text->layers - 1);
  gtk_spin_button_set_range (self->head_spin, 0, self->text->heads - 1);
  gtk_widget_set_sensitive (self->settings, TRUE);
  update_view (self);
}

void
vitrine_text_attention_run (VitrineTextAttention *self,
                            const char           *prompt)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (VITRINE_IS_TEXT_ATTENTION (self));
  g_return_if_fail (self->model != NULL);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear (self);
  job = g_new0 (Job, 1);
  job->model = vt_model_ref (self->model);
  job->tokenizer = g_steal_pointer (&self->tokenizer);
  job->prompt = g_strdup (prompt);
  /* The entry shows the prompt whose attention is shown. */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->prompt_entry)), prompt) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->prompt_entry), prompt);
  gtk_label_set_text (self->status, _("Running the text tower…"));
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_run_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_thread);
}

void
vitrine_text_attention_set_model (VitrineTextAttention *self,
                                  VtModel              *model)
{
  g_return_if_fail (VITRINE_IS_TEXT_ATTENTION (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear (self);
  g_clear_pointer (&self->model, vt_model_free);
  /* A Hugging Face checkpoint may bring its own vocabulary. */
  g_clear_pointer (&self->tokenizer, vt_tokenizer_free);
  if (model)
    self->model = vt_model_ref (model);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  gtk_label_set_text (self->status, _("Type a prompt to see how its tokens attend to one another."));
}

gboolean
vitrine_text_attention_is_busy (VitrineTextAttention *self)
{
  return self->cancellable != NULL;
}

const char *
vitrine_text_attention_get_error (VitrineTextAttention *self)
{
  return self->error;
}

void
vitrine_text_attention_set_layer (VitrineTextAttention *self,
                                  int                   layer)
{
  gtk_spin_button_set_value (self->layer_spin, layer);
}

void
vitrine_text_attention_set_head (VitrineTextAttention *self,
                                 int                   head)
{
  gtk_spin_button_set_value (self->head_spin, head);
}

void
vitrine_text_attention_set_show (VitrineTextAttention     *self,
                                 VitrineTextAttentionShow  show)
{
  gtk_drop_down_set_selected (self->show_dropdown, show);
}

const float *
vitrine_text_attention_get_matrix (VitrineTextAttention  *self,
                                   int                   *tokens,
                                   const char * const   **labels)
{
  if (self->text == NULL)
    return NULL;
  *tokens = self->text->tokens;
  *labels = (const char * const *) self->text->labels;
  return self->matrix;
}

GtkWidget *
vitrine_text_attention_get_view (VitrineTextAttention *self)
{
  return GTK_WIDGET (self->view);
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  VitrineTextAttention *self = VITRINE_TEXT_ATTENTION (widget);

  if (self->model != NULL)
    vitrine_text_attention_run (self, gtk_editable_get_text (GTK_EDITABLE (self->prompt_entry)));
}

static void
on_prompt_activate (VitrineTextAttention *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "text-attention.run", NULL);
}

/* GObject ---------------------------------------------------------------------*/

static void
vitrine_text_attention_dispose (GObject *object)
{
  VitrineTextAttention *self = VITRINE_TEXT_ATTENTION (object);
  GtkWidget *child;

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_TEXT_ATTENTION);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (vitrine_text_attention_parent_class)->dispose (object);
}

static void
vitrine_text_attention_finalize (GObject *object)
{
  VitrineTextAttention *self = VITRINE_TEXT_ATTENTION (object);

  vt_text_attention_free (self->text);
  g_free (self->matrix);
  g_free (self->error);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->tokenizer, vt_tokenizer_free);
  G_OBJECT_CLASS (vitrine_text_attention_parent_class)->finalize (object);
}

static void
vitrine_text_attention_class_init (VitrineTextAttentionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_text_attention_dispose;
  object_class->finalize = vitrine_text_attention_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-text-attention.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, prompt_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, settings);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, layer_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, head_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, show_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, view);
  gtk_widget_class_install_action (widget_class, "text-attention.run", NULL, run_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "textattention");
}

static void
vitrine_text_attention_init (VitrineTextAttention *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->prompt_entry, "activate", G_CALLBACK (on_prompt_activate), self);
  /* Every setting redraws the view from the kept attention. */
  g_signal_connect_swapped (self->layer_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->head_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->show_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  update_view (self);
}
