/* vitrine-text-attention.c: the Attention area's Text mode.
 *
 * Show Attention runs the batch mode's `attention` step with the prompt as
 * a run of the Runs panel (vitrine-run.h); when it is done, or when a
 * finished run is reopened, the page reads every layer's attention back
 * from the run's maps file and derives the shown matrix on the main thread
 * when the layer, head, fusion or start layer changes, through
 * vt_attention_fuse_heads and vt_text_attention_rollout (a few tokens'
 * products: no thread needed). */
#include "config.h"

#include "vitrine-text-attention.h"
#include "vitrine-figure-view.h"
#include "vitrine-file-chooser.h"
#include "vitrine-run.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attention-maps.h"
#include "methods/attribution/vt-text-attention.h"
#include "run/vt-spec.h"
#include "figures/vt-figure-render.h"

struct _VitrineTextAttention
{
  GtkWidget           parent_instance;

  GtkEntry           *prompt_entry;
  GtkLabel           *status;
  GtkWidget          *settings;
  GtkSpinButton      *layer_spin;
  GtkSpinButton      *head_spin;
  GtkSpinButton      *start_spin;
  GtkDropDown        *show_dropdown;
  VitrineFigureView  *view;

  VtModel            *model;
  GListStore         *runs;        /* the window's, where each run is listed */
  VitrineRun         *run;         /* the run shown: running, finished or reopened */
  gboolean            running;
  char               *checkpoint;  /* the shown run's */
  VtTextAttention    *text;
  float              *matrix;      /* (T, T): what the view shows */
  char               *title;       /* what it is */
  char               *error;
};

G_DEFINE_FINAL_TYPE (VitrineTextAttention, vitrine_text_attention, GTK_TYPE_WIDGET)

gboolean
vitrine_text_attention_supports (VtModel *model)
{
  return vt_text_attention_supported (model);
}

/* The step's id in the spec a run is made of. */
#define TEXT_STEP_ID "text"

/* The view --------------------------------------------------------------------*/

static VitrineTextAttentionShow
get_show (VitrineTextAttention *self)
{
  return (VitrineTextAttentionShow) gtk_drop_down_get_selected (self->show_dropdown);
}

/* The fusion of a fused or rolled-out view: the drop-down lists
 * VtHeadFusion's values in its order after "Head", then again for the
 * rollout. */
static VtHeadFusion
show_fusion (VitrineTextAttentionShow show)
{
  return (VtHeadFusion) ((show - VITRINE_TEXT_ATTENTION_MEAN) % 3);
}

static gboolean
show_rollout (VitrineTextAttentionShow show)
{
  return show >= VITRINE_TEXT_ATTENTION_ROLLOUT_MEAN;
}

static VtFigure *
view_figure (VitrineTextAttention *self)
{
  int t = self->text->tokens;
  g_autofree double *values = g_new (double, (gsize) t * t);

  /* Causal: nothing above the diagonal, drawn empty rather than as 0. */
  for (int q = 0; q < t; q++)
    for (int k = 0; k < t; k++)
      values[(gsize) q * t + k] = k > q ? NAN : self->matrix[(gsize) q * t + k];
  /* Translators: the heatmap's axes: the tokens attended to (across) and attending (down) */
  return vt_figure_new_heatmap (self->title, _("key token"), _("query token"), t, t, values,
                                (const char * const *) self->text->labels, (const char * const *) self->text->labels);
}

static void
update_view (VitrineTextAttention *self)
{
  VtTextAttention *text = self->text;
  VitrineTextAttentionShow show = get_show (self);
  g_autoptr(GError) error = NULL;
  int layer, head, start, t;
  const float *heads;

  gtk_widget_set_sensitive (GTK_WIDGET (self->head_spin), show == VITRINE_TEXT_ATTENTION_HEAD);
  gtk_widget_set_sensitive (GTK_WIDGET (self->layer_spin), !show_rollout (show));
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_spin), show_rollout (show));
  if (text == NULL)
    return;
  layer = gtk_spin_button_get_value_as_int (self->layer_spin);
  head = gtk_spin_button_get_value_as_int (self->head_spin);
  start = gtk_spin_button_get_value_as_int (self->start_spin);
  t = text->tokens;
  heads = vt_text_attention_layer (text, layer);
  g_clear_pointer (&self->title, g_free);
  if (show == VITRINE_TEXT_ATTENTION_HEAD)
    {
      memcpy (self->matrix, heads + (gsize) head * t * t, sizeof (float) * t * t);
      /* Translators: title of a prompt's token × token attention: layer, head */
      self->title = g_strdup_printf (_("Text attention, layer %d, head %d"), layer, head);
    }
  else if (!show_rollout (show))
    {
      vt_attention_fuse_heads (heads, text->heads, t, show_fusion (show), self->matrix);
      /* Translators: title of a prompt's token × token attention: layer, the fusion (mean, max, min) */
      self->title = g_strdup_printf (_("Text attention, layer %d, heads fused by %s"), layer,
                                     vt_head_fusion_name (show_fusion (show)));
    }
  else
    {
      /* The start spin's range is the layers, so this does not fail. */
      if (!vt_text_attention_rollout (text, show_fusion (show), start, self->matrix, &error))
        {
          gtk_label_set_text (self->status, error->message);
          return;
        }
      /* Translators: title of a prompt's attention rollout: the fusion (mean, max, min), the start layer */
      self->title = g_strdup_printf (_("Text attention rollout, heads fused by %s, from layer %d"),
                                     vt_head_fusion_name (show_fusion (show)), start);
    }
  vitrine_figure_view_set_figure (self->view, view_figure (self));
}

static void
clear (VitrineTextAttention *self)
{
  g_clear_pointer (&self->text, vt_text_attention_free);
  g_clear_pointer (&self->matrix, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->error, g_free);
  vitrine_figure_view_set_figure (self->view, NULL);
  gtk_widget_set_sensitive (self->settings, FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-view", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-maps", FALSE);
}

static void
set_error (VitrineTextAttention *self,
           const char           *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_text (self->status, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
}

/* Reads the prompt's attention back from @run's results folder. */
static gboolean
show_results (VitrineTextAttention  *self,
              VitrineRun            *run,
              GError               **error)
{
  g_autoptr(JsonNode) node = vitrine_run_load_step_result (run, "attention", error);
  g_autofree char *where = NULL;
  g_autofree char *maps_path = NULL;
  g_autofree char *status = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  JsonObject *result, *text = NULL;
  const char *output = NULL;

  if (node == NULL)
    return FALSE;
  where = g_build_filename (vitrine_run_get_results_dir (run), "results.json", NULL);
  result = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  if (result != NULL && JSON_NODE_HOLDS_OBJECT (json_object_get_member (result, "text")))
    text = json_object_get_object_member (result, "text");
  if (text != NULL)
    output = json_object_get_string_member_with_default (result, "output", NULL);
  if (output == NULL)
    {
      /* Translators: %s is a run's results.json */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s: the run holds no prompt's attention"), where);
      return FALSE;
    }
  maps_path = g_build_filename (vitrine_run_get_results_dir (run), output, NULL);
  if (!(maps = vt_checkpoint_open (maps_path, error)) ||
      !(self->text = vt_text_attention_new_from_maps (maps, text, where, error)))
    return FALSE;

  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  g_free (self->checkpoint);
  self->checkpoint = g_strdup (json_object_get_string_member_with_default (result, "checkpoint", ""));
  gtk_editable_set_text (GTK_EDITABLE (self->prompt_entry), json_object_get_string_member_with_default (text, "prompt", ""));
  self->matrix = g_new0 (float, (gsize) self->text->tokens * self->text->tokens);
  /* Translators: the prompt's token count, and the text tower's layers and heads */
  status = g_strdup_printf (_("%d tokens: %d layers of %d heads"), self->text->tokens, self->text->layers,
                            self->text->heads);
  gtk_label_set_text (self->status, status);
  gtk_spin_button_set_range (self->layer_spin, 0, self->text->layers - 1);
  gtk_spin_button_set_range (self->head_spin, 0, self->text->heads - 1);
  gtk_spin_button_set_range (self->start_spin, 0, self->text->layers - 1);
  gtk_widget_set_sensitive (self->settings, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-view", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-maps", TRUE);
  update_view (self);
  return TRUE;
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(VitrineTextAttention) self = data;
  g_autoptr(GError) error = NULL;

  /* Another run, a reopened one or another model took the mode over. */
  if (run != self->run)
    {
      vitrine_run_start_finish (run, result, NULL);
      return;
    }
  self->running = FALSE;
  if (!vitrine_run_start_finish (run, result, &error) || !show_results (self, run, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, error->message);
      else
        /* Translators: the text tower's run was cancelled (in the Runs panel) */
        gtk_label_set_text (self->status, _("Cancelled"));
    }
}

/* Forgets the run shown (it goes on in the Runs panel) and its maps. */
static void
forget_run (VitrineTextAttention *self)
{
  g_clear_object (&self->run);
  self->running = FALSE;
  clear (self);
}

void
vitrine_text_attention_run (VitrineTextAttention *self,
                            const char           *prompt)
{
  g_autoptr(VtSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *json = NULL;
  VtAttentionStep *step;

  g_return_if_fail (VITRINE_IS_TEXT_ATTENTION (self));
  g_return_if_fail (self->model != NULL);

  forget_run (self);
  /* The entry shows the prompt whose attention is shown. */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->prompt_entry)), prompt) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->prompt_entry), prompt);
  /* Translators: a run's name in the Runs panel; %s is the prompt */
  name = g_strdup_printf (_("Text attention of “%s”"), prompt);
  spec = vt_spec_new (name, NULL);
  step = vt_attention_step_new (TEXT_STEP_ID, vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)), NULL);
  step->prompt = g_strdup (prompt);
  if (!vt_spec_add_step (spec, (VtStep *) step, &error))
    {
      set_error (self, error->message);
      return;
    }
  json = vt_spec_to_data (spec);
  self->run = vitrine_run_new ("attention", name, json);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  self->running = TRUE;
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  gtk_label_set_text (self->status, _("Running the text tower…"));
  vitrine_run_start_async (self->run, NULL, NULL, on_run_done, g_object_ref (self));
}

void
vitrine_text_attention_set_runs (VitrineTextAttention *self,
                                 GListStore           *runs)
{
  g_set_object (&self->runs, runs);
}

gboolean
vitrine_text_attention_show_run (VitrineTextAttention  *self,
                                 VitrineRun            *run,
                                 GError               **error)
{
  g_return_val_if_fail (VITRINE_IS_TEXT_ATTENTION (self), FALSE);

  forget_run (self);
  if (!show_results (self, run, error))
    {
      clear (self);
      return FALSE;
    }
  self->run = g_object_ref (run);
  return TRUE;
}

VitrineRun *
vitrine_text_attention_get_run (VitrineTextAttention *self)
{
  return self->run;
}

void
vitrine_text_attention_set_model (VitrineTextAttention *self,
                                  VtModel              *model)
{
  g_return_if_fail (VITRINE_IS_TEXT_ATTENTION (self));

  forget_run (self);
  g_clear_pointer (&self->model, vt_model_free);
  if (model)
    self->model = vt_model_ref (model);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  gtk_label_set_text (self->status, _("Type a prompt to see how its tokens attend to one another."));
}

gboolean
vitrine_text_attention_is_busy (VitrineTextAttention *self)
{
  return self->running;
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

void
vitrine_text_attention_set_start_layer (VitrineTextAttention *self,
                                        int                   layer)
{
  gtk_spin_button_set_value (self->start_spin, layer);
}

/* Export ----------------------------------------------------------------------*/

static gboolean
no_prompt (GError **error)
{
  /* Translators: Export in the Attention area's Text mode before any prompt ran */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Show a prompt's attention first"));
  return FALSE;
}

gboolean
vitrine_text_attention_export_view (VitrineTextAttention *self,
                                    const char           *base_path,
                                    GError              **error)
{
  g_autoptr(VtFigure) figure = NULL;

  if (self->text == NULL)
    return no_prompt (error);
  figure = view_figure (self);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMATS_ALL, error);
}

gboolean
vitrine_text_attention_export_maps (VitrineTextAttention *self,
                                    const char           *path,
                                    GError              **error)
{
  VtTextAttention *text = self->text;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonArray) labels = json_array_new ();
  g_autoptr(JsonNode) labels_node = NULL;
  g_autofree char *tokens = NULL;
  g_autofree guint *ndims = NULL;
  g_autofree gint64 *shapes = NULL;
  g_autofree const gint64 **shape_of = NULL;
  g_autofree const float **data = NULL;
  int t, n;

  if (text == NULL)
    return no_prompt (error);
  t = text->tokens;
  n = text->layers + 1;
  ndims = g_new (guint, n);
  shapes = g_new0 (gint64, (gsize) n * 4);
  shape_of = g_new (const gint64 *, n);
  data = g_new (const float *, n);
  for (int l = 0; l < n; l++)
    {
      gint64 *shape = shapes + (gsize) l * 4;
      gboolean view = l == text->layers;

      g_ptr_array_add (names, view ? g_strdup ("view") : g_strdup_printf ("text.blocks.%d.heads", l));
      ndims[l] = view ? 3 : 4;
      shape[0] = 1;
      shape[1] = view ? t : text->heads;
      shape[2] = t;
      shape[3] = t;
      shape_of[l] = shape;
      data[l] = view ? self->matrix : vt_text_attention_layer (text, l);
    }
  for (int i = 0; i < t; i++)
    json_array_add_string_element (labels, text->labels[i]);
  labels_node = json_node_init_array (json_node_alloc (), labels);
  tokens = json_to_string (labels_node, FALSE);
  g_hash_table_insert (metadata, "producer", "vitrine " PACKAGE_VERSION);
  g_hash_table_insert (metadata, "checkpoint", self->checkpoint);
  g_hash_table_insert (metadata, "text.prompt", (gpointer) gtk_editable_get_text (GTK_EDITABLE (self->prompt_entry)));
  g_hash_table_insert (metadata, "text.tokens", tokens);
  g_hash_table_insert (metadata, "view", self->title);
  return vt_safetensors_write_f32 (path, n, (const char * const *) names->pdata, ndims, shape_of, data, metadata,
                                   error);
}

static void
report_export (VitrineTextAttention *self,
               gboolean              ok,
               GError               *error,
               const char           *path)
{
  g_autofree char *text = NULL;

  if (!ok)
    {
      gtk_label_set_text (self->status, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  /* Translators: %s is the file (or the files' name without extension) written */
  text = g_strdup_printf (_("Exported %s"), path);
  gtk_label_set_text (self->status, text);
}

static void
view_file_chosen (GFile    *file,
                  gpointer  widget)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_text_attention_export_view (widget, base, &error);

  report_export (widget, ok, error, base);
}

static void
maps_file_chosen (GFile    *file,
                  gpointer  widget)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = path && vitrine_text_attention_export_maps (widget, path, &error);

  report_export (widget, ok, error, path);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  if (g_str_equal (action_name, "text-attention.export-view"))
    vitrine_choose_save_file (widget, _("Export View as PNG, SVG and PDF"), "text-attention-view", view_file_chosen,
                              widget);
  else
    vitrine_choose_save_file (widget, _("Export Maps as Safetensors"), "text-attention.safetensors", maps_file_chosen,
                              widget);
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

  g_clear_object (&self->run);
  g_clear_object (&self->runs);
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
  g_free (self->title);
  g_free (self->error);
  g_free (self->checkpoint);
  g_clear_pointer (&self->model, vt_model_free);
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
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, start_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, show_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineTextAttention, view);
  gtk_widget_class_install_action (widget_class, "text-attention.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "text-attention.export-view", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "text-attention.export-maps", NULL, export_action);
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
  g_signal_connect_swapped (self->start_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->show_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-view", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "text-attention.export-maps", FALSE);
  update_view (self);
}
