/* vitrine-attention-page.c: the Attention area.
 *
 * The forward pass runs in a GTask thread, as the Predict area's does,
 * rather than as a VitrineRun of the `attention` step: the step writes the
 * class token's maps and the rollout it was asked for, but this area shows
 * any query token, any fusion and any rollout setting as the user changes
 * them, which needs every layer's whole T × T attention. So the page keeps
 * the forward pass's taps and derives each view from them with the
 * engine's vt_attention_* functions, on the main thread (a view of
 * ViT-B/16 is a few small matrix products). */
#include "config.h"

#include "vitrine-attention-page.h"
#include "vitrine-file-chooser.h"
#include "vitrine-figure-view.h"
#include "vitrine-predict-page.h"
#include "vitrine-text-attention.h"
#include "figures/vt-figure-render.h"

#include <glib/gi18n.h>
#include <string.h>

#include "io/vt-dataset.h"
#include "io/vt-image.h"
#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attention-maps.h"
#include "models/vt-transform.h"

/* One image's forward pass: what every view is derived from. */
typedef struct
{
  char          *path;
  VtImage       *image;        /* as decoded, for side by side */
  int            size;         /* the input: size × size */
  float         *pixels;       /* (3, size, size), preprocessed */
  float         *rgb;          /* (3, size, size) in [0, 1]: the crop the model saw */
  VtTaps        *taps;
  const float  **probs;        /* depth pointers into taps: (heads, T, T) */
  int            depth;
  int            heads;
  int            tokens;
  int            prefix;       /* class token, and DeiT's distillation token */
  int            gh;
  int            gw;
  float         *class_maps;   /* (depth, heads, gh, gw): the grid */
} Forward;

static void
forward_free (Forward *f)
{
  if (f == NULL)
    return;
  g_free (f->path);
  vt_image_free (f->image);
  g_free (f->pixels);
  g_free (f->rgb);
  g_clear_pointer (&f->taps, vt_taps_free);
  g_free (f->probs);
  g_free (f->class_maps);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Forward, forward_free)

struct _VitrineAttentionPage
{
  GtkWidget             parent_instance;

  GtkLabel             *status;
  GtkLabel             *view_title;
  GtkWidget            *content;
  VitrineAttentionGrid *grid;
  VitrineFigureView    *view;
  GtkPicture           *side_picture;
  GtkDropDown          *show_dropdown;
  GtkDropDown          *fusion_dropdown;
  GtkSpinButton        *start_spin;
  GtkSpinButton        *discard_spin;
  GtkSwitch            *compat_switch;
  GtkSwitch            *mask_switch;
  GtkSpinButton        *share_spin;
  GtkLabel             *query_label;
  GtkDropDown          *display_dropdown;
  GtkDropDown          *colormap_dropdown;
  GtkRange             *opacity_scale;

  GtkWidget            *sample_box;
  GtkSpinButton        *sample_spin;

  GtkWidget            *mode_switcher;
  GtkStack             *mode_stack;
  VitrineTextAttention *text_attention;

  VtModel              *model;
  VtDataset            *dataset;     /* the Dataset area's, for its samples */
  GCancellable         *cancellable;
  Forward              *forward;
  int                   query;       /* a patch, or −1: the class token */
  float                *map;         /* (gh, gw): what the view shows */
  float                *map_image;   /* (size, size) */
  char                 *error;
};

G_DEFINE_FINAL_TYPE (VitrineAttentionPage, vitrine_attention_page, GTK_TYPE_WIDGET)

gboolean
vitrine_attention_page_supports (VtModel *model)
{
  const VtArchitecture *arch = model ? vt_model_get_architecture (model) : NULL;

  /* A ResNet has no patches; a ViT that pools by average has no class
   * token, whose attention the grid shows. */
  return arch != NULL && arch->patch_size > 0 && arch->depth > 0 && arch->heads > 0 &&
         arch->pooling != NULL && strstr (arch->pooling, "class") != NULL;
}

/* The worker ---------------------------------------------------------------*/

typedef struct
{
  VtModel    *model;
  VtDataset  *dataset;    /* the sample's, or NULL for an image file */
  guint       sample;
  Forward    *forward;
} Job;

static void
job_free (Job *job)
{
  vt_model_free (job->model);
  g_clear_pointer (&job->dataset, vt_dataset_unref);
  forward_free (job->forward);
  g_free (job);
}

static gboolean
run_forward (VtModel   *model,
             VtDataset *dataset,
             guint      sample,
             Forward   *f,
             GError   **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  VtTransform transform;
  const char *tap_prefix = "";
  gsize plane;

  f->image = dataset ? vt_dataset_load_image (dataset, sample, error) : vt_image_load (f->path, error);
  if (f->image == NULL)
    return FALSE;
  vt_transform_init_from_architecture (&transform, arch);
  if (!vt_transform_check_image (&transform, f->image, f->path, error))
    return FALSE;
  f->size = transform.crop_size;
  plane = (gsize) f->size * f->size;
  f->pixels = g_new (float, 3 * plane);
  vt_transform_apply (&transform, f->image, f->pixels);
  f->rgb = g_new (float, 3 * plane);
  vt_transform_apply_unnormalized (&transform, f->image, f->rgb);

  f->taps = vt_model_forward (model, f->pixels, 1, f->size, f->size, VT_TAP_ATTENTION, error);
  if (f->taps == NULL)
    {
      g_prefix_error (error, "%s: ", f->path);
      return FALSE;
    }
  f->depth = arch->depth;
  f->heads = arch->heads;
  f->gh = f->size / arch->patch_size;
  f->gw = f->size / arch->patch_size;
  f->probs = g_new0 (const float *, f->depth);
  if (vt_taps_lookup (f->taps, "blocks.0.attn_probs") == NULL)
    tap_prefix = "visual.";
  for (int l = 0; l < f->depth; l++)
    {
      g_autofree char *name = g_strdup_printf ("%sblocks.%d.attn_probs", tap_prefix, l);
      const VtTap *tap = vt_taps_lookup (f->taps, name);

      if (tap == NULL || tap->ndim != 4 || tap->shape[1] != f->heads || tap->shape[2] != tap->shape[3] ||
          tap->shape[2] <= f->gh * f->gw)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("%s: the forward pass gave no attention probabilities for layer %d"),
                       vt_checkpoint_get_path (vt_model_get_checkpoint (model)), l);
          return FALSE;
        }
      f->probs[l] = tap->data;
      f->tokens = tap->shape[2];
    }
  f->prefix = f->tokens - f->gh * f->gw;
  f->class_maps = g_new (float, (gsize) f->depth * f->heads * f->gh * f->gw);
  for (int l = 0; l < f->depth; l++)
    for (int h = 0; h < f->heads; h++)
      vt_attention_class_map (f->probs[l] + (gsize) h * f->tokens * f->tokens, f->tokens, f->prefix,
                              f->class_maps + ((gsize) l * f->heads + h) * f->gh * f->gw);
  return TRUE;
}

static void
forward_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;

  if (!run_forward (job->model, job->dataset, job->sample, job->forward, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* The view --------------------------------------------------------------------*/

static VitrineAttentionShow
get_show (VitrineAttentionPage *self)
{
  return (VitrineAttentionShow) gtk_drop_down_get_selected (self->show_dropdown);
}

static VtHeadFusion
get_fusion (VitrineAttentionPage *self)
{
  /* The drop-down lists VtHeadFusion's values in its order. */
  return (VtHeadFusion) gtk_drop_down_get_selected (self->fusion_dropdown);
}

static char *
describe_query (VitrineAttentionPage *self)
{
  if (self->query < 0)
    return g_strdup (_("class token"));
  /* Translators: the query token of an attention map: a patch by its row and column */
  return g_strdup_printf (_("patch (%d, %d)"), self->query / self->forward->gw, self->query % self->forward->gw);
}

static char *
describe_view (VitrineAttentionPage *self)
{
  g_autofree char *query = describe_query (self);
  int layer = vitrine_attention_grid_get_layer (self->grid), head = vitrine_attention_grid_get_head (self->grid);
  const char *fusion = vt_head_fusion_name (get_fusion (self));
  char *text;

  switch (get_show (self))
    {
    case VITRINE_ATTENTION_HEAD:
      /* Translators: title of an attention map: layer, head, the query token */
      text = g_strdup_printf (_("Layer %d, head %d: %s"), layer, head, query);
      break;
    case VITRINE_ATTENTION_FUSED:
      /* Translators: title of an attention map: layer, the fusion (mean, max, min), the query token */
      text = g_strdup_printf (_("Layer %d, heads fused by %s: %s"), layer, fusion, query);
      break;
    default:
      /* Translators: title of an attention rollout: start layer, fusion, discard ratio, the query token */
      text = g_strdup_printf (_("Rollout from layer %d, %s, discard %.2f%s: %s"),
                              gtk_spin_button_get_value_as_int (self->start_spin), fusion,
                              gtk_spin_button_get_value (self->discard_spin),
                              /* Translators: appended to a rollout's title in vit-explain compatible mode */
                              gtk_switch_get_active (self->compat_switch) ? _(" (vit-explain)") : "",
                              query);
    }
  if (gtk_switch_get_active (self->mask_switch))
    {
      /* Translators: appended to a map's title: the share of its mass the mask keeps */
      g_autofree char *masked = g_strdup_printf (_("%s, %.0f%% mass mask"), text,
                                                 100 * gtk_spin_button_get_value (self->share_spin));
      g_free (text);
      text = g_steal_pointer (&masked);
    }
  return text;
}

/* The shown map over the image, as an overlay figure with @title. */
static VtFigure *
view_figure (VitrineAttentionPage *self,
             const char           *title)
{
  Forward *f = self->forward;
  gsize plane = (gsize) f->size * f->size;
  g_autofree double *values = g_new (double, plane);
  gboolean side = gtk_drop_down_get_selected (self->display_dropdown) == 1;
  VtFigure *figure;

  for (gsize p = 0; p < plane; p++)
    values[p] = self->map_image[p];
  figure = vt_figure_new_overlay (title, f->size, f->size, f->rgb, values,
                                  side ? 1.0 : gtk_range_get_value (self->opacity_scale));
  /* The drop-down lists VtFigureColormap's values in its order. */
  figure->colormap = (VtFigureColormap) gtk_drop_down_get_selected (self->colormap_dropdown);
  return figure;
}

/* Derives the shown map from the forward pass with the settings, through
 * the engine, and shows it over the image. */
static void
update_view (VitrineAttentionPage *self)
{
  Forward *f = self->forward;
  int layer, head, q, patches;
  g_autofree float *matrix = NULL;
  g_autofree char *title = NULL;
  VtFigureColormap colormap = (VtFigureColormap) gtk_drop_down_get_selected (self->colormap_dropdown);
  g_autofree char *query = NULL;
  g_autofree char *query_text = NULL;
  g_autoptr(GError) error = NULL;
  gboolean side = gtk_drop_down_get_selected (self->display_dropdown) == 1;

  gtk_widget_set_sensitive (GTK_WIDGET (self->fusion_dropdown), get_show (self) != VITRINE_ATTENTION_HEAD);
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_spin), get_show (self) == VITRINE_ATTENTION_ROLLOUT);
  gtk_widget_set_sensitive (GTK_WIDGET (self->discard_spin), get_show (self) == VITRINE_ATTENTION_ROLLOUT);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compat_switch), get_show (self) == VITRINE_ATTENTION_ROLLOUT);
  gtk_widget_set_sensitive (GTK_WIDGET (self->share_spin), gtk_switch_get_active (self->mask_switch));
  gtk_widget_set_sensitive (GTK_WIDGET (self->opacity_scale), !side);
  gtk_widget_set_visible (GTK_WIDGET (self->side_picture), side);
  vitrine_attention_grid_set_colormap (self->grid, colormap);
  if (f == NULL)
    return;

  layer = vitrine_attention_grid_get_layer (self->grid);
  head = vitrine_attention_grid_get_head (self->grid);
  q = self->query < 0 ? 0 : f->prefix + self->query;
  patches = f->gh * f->gw;
  matrix = g_new (float, (gsize) f->tokens * f->tokens);
  switch (get_show (self))
    {
    case VITRINE_ATTENTION_HEAD:
      memcpy (matrix, f->probs[layer] + (gsize) head * f->tokens * f->tokens, sizeof (float) * f->tokens * f->tokens);
      break;
    case VITRINE_ATTENTION_FUSED:
      vt_attention_fuse_heads (f->probs[layer], f->heads, f->tokens, get_fusion (self), matrix);
      break;
    case VITRINE_ATTENTION_ROLLOUT:
      {
        VtRolloutOptions options;

        vt_rollout_options_init (&options);
        options.fusion = get_fusion (self);
        options.start_layer = gtk_spin_button_get_value_as_int (self->start_spin);
        options.discard_ratio = gtk_spin_button_get_value (self->discard_spin);
        /* vit-explain then divides the class row by its maximum; the colour
         * scale runs from 0 to the map's maximum anyway, so the picture is
         * the same and the map stays the product itself. */
        options.compat = gtk_switch_get_active (self->compat_switch);
        if (!vt_attention_rollout (f->probs, f->depth, f->heads, f->tokens, &options, matrix, &error))
          {
            gtk_label_set_text (self->status, error->message);
            return;
          }
      }
      break;
    }
  vt_attention_token_map (matrix, f->tokens, f->prefix, q, self->map);
  if (gtk_switch_get_active (self->mask_switch))
    {
      g_autofree float *map = g_memdup2 (self->map, sizeof (float) * patches);
      vt_attention_mass_mask (map, patches, gtk_spin_button_get_value (self->share_spin), self->map);
    }
  vt_attention_upsample (self->map, f->gh, f->gw, f->size, f->size, self->map_image);

  /* On screen the title is a label above the map, which ellipsizes where
   * the figure's own title would be cut; an export draws it in the figure. */
  title = describe_view (self);
  gtk_label_set_text (self->view_title, title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->view_title), title);
  vitrine_figure_view_set_figure (self->view, view_figure (self, NULL));
  query = describe_query (self);
  /* Translators: %s is the query token, "class token" or "patch (2, 3)" */
  query_text = g_strdup_printf (_("Query: %s"), query);
  gtk_label_set_text (self->query_label, query_text);
}

static void
show_image (VitrineAttentionPage *self,
            const VtImage        *image)
{
  g_autoptr(GBytes) bytes = g_bytes_new (image->rgb, (gsize) image->width * image->height * 3);
  g_autoptr(GdkTexture) texture = gdk_memory_texture_new (image->width, image->height, GDK_MEMORY_R8G8B8,
                                                          bytes, (gsize) image->width * 3);

  gtk_picture_set_paintable (self->side_picture, GDK_PAINTABLE (texture));
}

/* Export and the query want an image: absent from use until one is shown. */
static void
set_shown (VitrineAttentionPage *self,
           gboolean              shown)
{
  static const char * const actions[] = {
    "attention.export-view", "attention.export-grid", "attention.export-maps", "attention.class-token",
  };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], shown);
  gtk_widget_set_sensitive (self->content, shown);
}

static void
clear (VitrineAttentionPage *self)
{
  g_clear_pointer (&self->forward, forward_free);
  g_clear_pointer (&self->map, g_free);
  g_clear_pointer (&self->map_image, g_free);
  g_clear_pointer (&self->error, g_free);
  self->query = -1;
  vitrine_attention_grid_set_maps (self->grid, 0, 0, 0, 0, NULL);
  vitrine_figure_view_set_figure (self->view, NULL);
  gtk_label_set_text (self->view_title, "");
  gtk_picture_set_paintable (self->side_picture, NULL);
  set_shown (self, FALSE);
}

static void
on_forward_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VitrineAttentionPage *self = VITRINE_ATTENTION_PAGE (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  Forward *f;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->cancellable);
      self->error = g_strdup (error->message);
      gtk_label_set_text (self->status, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
      return;
    }
  g_clear_object (&self->cancellable);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  f = self->forward = g_steal_pointer (&job->forward);
  self->map = g_new0 (float, (gsize) f->gh * f->gw);
  self->map_image = g_new0 (float, (gsize) f->size * f->size);
  {
    g_autofree char *name = g_path_get_basename (f->path);
    /* Translators: the image, its size, and the model's layers and heads */
    g_autofree char *text = g_strdup_printf (_("%s, %d×%d: %d layers of %d heads over %d×%d patches"), name,
                                             f->image->width, f->image->height, f->depth, f->heads, f->gh, f->gw);
    gtk_label_set_text (self->status, text);
  }
  gtk_spin_button_set_range (self->start_spin, 0, f->depth - 1);
  vitrine_attention_grid_set_maps (self->grid, f->depth, f->heads, f->gh, f->gw, f->class_maps);
  show_image (self, f->image);
  set_shown (self, TRUE);
  update_view (self);
}

static Job *
new_job (VitrineAttentionPage *self)
{
  Job *job = g_new0 (Job, 1);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear (self);
  job->model = vt_model_ref (self->model);
  job->forward = g_new0 (Forward, 1);
  return job;
}

static void
start_job (VitrineAttentionPage *self,
           Job                  *job)
{
  g_autoptr(GTask) task = NULL;

  gtk_label_set_text (self->status, _("Running the forward pass…"));
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_forward_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, forward_thread);
}

void
vitrine_attention_page_open (VitrineAttentionPage *self,
                             GFile                *file)
{
  Job *job;

  g_return_if_fail (VITRINE_IS_ATTENTION_PAGE (self));
  g_return_if_fail (self->model != NULL);

  job = new_job (self);
  job->forward->path = g_file_get_path (file);
  if (job->forward->path == NULL)
    {
      self->error = g_strdup (_("Only local files can be opened"));
      gtk_label_set_text (self->status, self->error);
      job_free (job);
      return;
    }
  start_job (self, job);
}

void
vitrine_attention_page_open_sample (VitrineAttentionPage *self,
                                    guint                 index)
{
  Job *job;

  g_return_if_fail (VITRINE_IS_ATTENTION_PAGE (self));
  g_return_if_fail (self->model != NULL && self->dataset != NULL);
  g_return_if_fail (index < self->dataset->n_samples);

  job = new_job (self);
  job->dataset = vt_dataset_ref (self->dataset);
  job->sample = index;
  job->forward->path = vt_dataset_sample_name (self->dataset, index);
  start_job (self, job);
}

void
vitrine_attention_page_set_dataset (VitrineAttentionPage *self,
                                    VtDataset            *dataset)
{
  g_return_if_fail (VITRINE_IS_ATTENTION_PAGE (self));

  g_clear_pointer (&self->dataset, vt_dataset_unref);
  if (dataset != NULL && dataset->n_samples > 0)
    {
      self->dataset = vt_dataset_ref (dataset);
      gtk_spin_button_set_range (self->sample_spin, 0, dataset->n_samples - 1);
    }
  gtk_widget_set_visible (self->sample_box, self->dataset != NULL);
}

void
vitrine_attention_page_set_model (VitrineAttentionPage *self,
                                  VtModel              *model)
{
  g_return_if_fail (VITRINE_IS_ATTENTION_PAGE (self));

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear (self);
  g_clear_pointer (&self->model, vt_model_free);
  if (model)
    self->model = vt_model_ref (model);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  gtk_label_set_text (self->status, _("Open or drop an image to see where the model attends."));
  /* A CLIP checkpoint's text tower gets its Text mode. */
  {
    gboolean text = vitrine_text_attention_supports (model);

    vitrine_text_attention_set_model (self->text_attention, text ? model : NULL);
    gtk_widget_set_visible (self->mode_switcher, text);
    if (!text)
      gtk_stack_set_visible_child_name (self->mode_stack, "image");
  }
}

gboolean
vitrine_attention_page_is_busy (VitrineAttentionPage *self)
{
  return self->cancellable != NULL;
}

const char *
vitrine_attention_page_get_error (VitrineAttentionPage *self)
{
  return self->error;
}

VitrineAttentionGrid *
vitrine_attention_page_get_grid (VitrineAttentionPage *self)
{
  return self->grid;
}

VitrineTextAttention *
vitrine_attention_page_get_text (VitrineAttentionPage *self)
{
  return self->text_attention;
}

void
vitrine_attention_page_set_runs (VitrineAttentionPage *self,
                                 GListStore           *runs)
{
  vitrine_text_attention_set_runs (self->text_attention, runs);
}

gboolean
vitrine_attention_page_show_run (VitrineAttentionPage  *self,
                                 VitrineRun            *run,
                                 GError               **error)
{
  /* Only the Text mode runs as a run; its maps show whatever is open. */
  if (!vitrine_text_attention_show_run (self->text_attention, run, error))
    return FALSE;
  gtk_widget_set_visible (self->mode_switcher, TRUE);
  gtk_stack_set_visible_child_name (self->mode_stack, "text");
  return TRUE;
}

void
vitrine_attention_page_set_mode (VitrineAttentionPage *self,
                                 const char           *mode)
{
  gtk_stack_set_visible_child_name (self->mode_stack, mode);
}

GtkWidget *
vitrine_attention_page_get_view (VitrineAttentionPage *self)
{
  return GTK_WIDGET (self->view);
}

void
vitrine_attention_page_set_show (VitrineAttentionPage *self,
                                 VitrineAttentionShow  show)
{
  gtk_drop_down_set_selected (self->show_dropdown, show);
}

void
vitrine_attention_page_set_query (VitrineAttentionPage *self,
                                  int                   patch)
{
  if (self->forward == NULL || patch >= self->forward->gh * self->forward->gw)
    patch = -1;
  self->query = MAX (patch, -1);
  update_view (self);
}

int
vitrine_attention_page_get_query (VitrineAttentionPage *self)
{
  return self->query;
}

gboolean
vitrine_attention_page_pick (VitrineAttentionPage *self,
                             double                x,
                             double                y)
{
  VtFigure *figure = vitrine_figure_view_get_figure (self->view);
  double x0, y0, w, h;
  int row, col;

  if (self->forward == NULL || figure == NULL ||
      !vt_figure_overlay_geometry (figure, gtk_widget_get_width (GTK_WIDGET (self->view)),
                                   gtk_widget_get_height (GTK_WIDGET (self->view)), &x0, &y0, &w, &h) ||
      x < x0 || y < y0 || x >= x0 + w || y >= y0 + h)
    return FALSE;
  col = MIN ((int) ((x - x0) / w * self->forward->gw), self->forward->gw - 1);
  row = MIN ((int) ((y - y0) / h * self->forward->gh), self->forward->gh - 1);
  vitrine_attention_page_set_query (self, row * self->forward->gw + col);
  return TRUE;
}

const float *
vitrine_attention_page_get_map (VitrineAttentionPage *self,
                                int                  *gh,
                                int                  *gw)
{
  if (self->forward == NULL)
    return NULL;
  *gh = self->forward->gh;
  *gw = self->forward->gw;
  return self->map;
}

/* Export ----------------------------------------------------------------------*/

static gboolean
no_image (GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Open an image first"));
  return FALSE;
}

gboolean
vitrine_attention_page_export_view (VitrineAttentionPage *self,
                                    const char           *base_path,
                                    GError              **error)
{
  g_autoptr(VtFigure) figure = NULL;
  g_autofree char *title = NULL;

  if (self->forward == NULL)
    return no_image (error);
  title = describe_view (self);
  figure = view_figure (self, title);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMATS_ALL, error);
}

gboolean
vitrine_attention_page_export_grid (VitrineAttentionPage *self,
                                    const char           *base_path,
                                    GError              **error)
{
  g_autoptr(VtFigure) figure = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;

  if (self->forward == NULL)
    return no_image (error);
  name = g_path_get_basename (self->forward->path);
  /* Translators: title of the exported grid figure; %s is the image's file name */
  title = g_strdup_printf (_("Class-token attention of every head: %s"), name);
  figure = vitrine_attention_grid_to_figure (self->grid, title);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMATS_ALL, error);
}

gboolean
vitrine_attention_page_export_maps (VitrineAttentionPage *self,
                                    const char           *path,
                                    GError              **error)
{
  Forward *f = self->forward;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) ndims = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) shapes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) data = g_ptr_array_new ();
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *view = NULL;
  gsize per_layer;

#define ADD_TENSOR(NAME, DATA, ...) G_STMT_START {                                   \
    gint64 shape_[] = { __VA_ARGS__ };                                              \
    guint ndim_ = G_N_ELEMENTS (shape_);                                            \
    g_ptr_array_add (names, (NAME));                                                \
    g_array_append_val (ndims, ndim_);                                              \
    g_ptr_array_add (shapes, g_memdup2 (shape_, sizeof shape_));                    \
    g_ptr_array_add (data, (gpointer) (DATA));                                      \
  } G_STMT_END

  if (f == NULL)
    return no_image (error);
  per_layer = (gsize) f->heads * f->gh * f->gw;
  ADD_TENSOR (g_strdup ("input.pixel_values"), f->pixels, 1, 3, f->size, f->size);
  for (int l = 0; l < f->depth; l++)
    ADD_TENSOR (g_strdup_printf ("blocks.%d.heads", l), f->class_maps + l * per_layer, 1, f->heads, f->gh, f->gw);
  ADD_TENSOR (g_strdup ("view"), self->map, 1, f->gh, f->gw);
  ADD_TENSOR (g_strdup ("view.image"), self->map_image, 1, f->size, f->size);
#undef ADD_TENSOR

  view = describe_view (self);
  g_hash_table_insert (metadata, "producer", "vitrine " PACKAGE_VERSION);
  g_hash_table_insert (metadata, "checkpoint", (gpointer) vt_checkpoint_get_path (vt_model_get_checkpoint (self->model)));
  g_hash_table_insert (metadata, "image", f->path);
  g_hash_table_insert (metadata, "view", view);
  return vt_safetensors_write_f32 (path, names->len, (const char * const *) names->pdata, (const guint *) ndims->data,
                                   (const gint64 * const *) shapes->pdata, (const float * const *) data->pdata,
                                   metadata, error);
}

/* Actions, clicks and drops ---------------------------------------------------*/

static void
image_chosen (GFile    *file,
              gpointer  page)
{
  vitrine_attention_page_open (page, file);
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
report_export (VitrineAttentionPage *self,
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
view_file_chosen (GFile *file, gpointer page)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_attention_page_export_view (page, base, &error);

  report_export (page, ok, error, base);
}

static void
grid_file_chosen (GFile *file, gpointer page)
{
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = base && vitrine_attention_page_export_grid (page, base, &error);

  report_export (page, ok, error, base);
}

static void
maps_file_chosen (GFile *file, gpointer page)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok = path && vitrine_attention_page_export_maps (page, path, &error);

  report_export (page, ok, error, path);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  if (g_str_equal (action_name, "attention.export-view"))
    /* Translators: title of the save dialog; PNG, SVG and PDF are all written */
    vitrine_choose_save_file (widget, _("Export View as PNG, SVG and PDF"), "attention-view", view_file_chosen, widget);
  else if (g_str_equal (action_name, "attention.export-grid"))
    vitrine_choose_save_file (widget, _("Export Grid as PNG, SVG and PDF"), "attention-grid", grid_file_chosen, widget);
  else
    vitrine_choose_save_file (widget, _("Export Maps as Safetensors"), "attention.safetensors", maps_file_chosen, widget);
}

static void
open_sample_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VitrineAttentionPage *self = VITRINE_ATTENTION_PAGE (widget);

  if (self->model != NULL && self->dataset != NULL)
    vitrine_attention_page_open_sample (self, (guint) gtk_spin_button_get_value_as_int (self->sample_spin));
}

static void
class_token_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  vitrine_attention_page_set_query (VITRINE_ATTENTION_PAGE (widget), -1);
}

static void
on_view_pressed (GtkGestureClick      *gesture,
                 int                   n_press,
                 double                x,
                 double                y,
                 VitrineAttentionPage *self)
{
  vitrine_attention_page_pick (self, x, y);
}

static gboolean
on_drop (GtkDropTarget        *target,
         const GValue         *value,
         double                x,
         double                y,
         VitrineAttentionPage *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

  if (files == NULL || self->model == NULL)
    {
      g_slist_free (files);
      return FALSE;
    }
  vitrine_attention_page_open (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* GObject ---------------------------------------------------------------------*/

static void
vitrine_attention_page_dispose (GObject *object)
{
  VitrineAttentionPage *self = VITRINE_ATTENTION_PAGE (object);
  GtkWidget *child;

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_ATTENTION_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (vitrine_attention_page_parent_class)->dispose (object);
}

static void
vitrine_attention_page_finalize (GObject *object)
{
  VitrineAttentionPage *self = VITRINE_ATTENTION_PAGE (object);

  forward_free (self->forward);
  g_free (self->map);
  g_free (self->map_image);
  g_free (self->error);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_attention_page_parent_class)->finalize (object);
}

static void
vitrine_attention_page_class_init (VitrineAttentionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_attention_page_dispose;
  object_class->finalize = vitrine_attention_page_finalize;

  g_type_ensure (VITRINE_TYPE_ATTENTION_GRID);
  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  g_type_ensure (VITRINE_TYPE_TEXT_ATTENTION);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-attention-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, view_title);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, content);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, sample_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, sample_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, mode_switcher);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, text_attention);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, view);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, side_picture);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, show_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, fusion_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, start_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, discard_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, compat_switch);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, mask_switch);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, share_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, query_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, display_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineAttentionPage, opacity_scale);
  gtk_widget_class_install_action (widget_class, "attention.open-image", NULL, open_image_action);
  gtk_widget_class_install_action (widget_class, "attention.open-sample", NULL, open_sample_action);
  gtk_widget_class_install_action (widget_class, "attention.export-view", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "attention.export-grid", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "attention.export-maps", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "attention.class-token", NULL, class_token_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attentionpage");
}

static void
vitrine_attention_page_init (VitrineAttentionPage *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->query = -1;
  set_shown (self, FALSE);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  g_signal_connect (click, "pressed", G_CALLBACK (on_view_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->view), GTK_EVENT_CONTROLLER (click));
  /* Every setting redraws the view from the kept forward pass. */
  g_signal_connect_swapped (self->grid, "selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->show_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->fusion_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->display_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->start_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->discard_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->share_spin, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->opacity_scale, "value-changed", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->compat_switch, "notify::active", G_CALLBACK (update_view), self);
  g_signal_connect_swapped (self->mask_switch, "notify::active", G_CALLBACK (update_view), self);
  update_view (self);
}
