/* vitrine-text-attention.h: the Attention area's Text mode: a CLIP text
 * tower's token × token attention of a prompt (vt-text-attention.h), for
 * the chosen layer and head, the layer's heads fused, or the rollout over
 * the layers from a start layer, as a heatmap with the tokens on both axes;
 * the causal upper triangle is left empty. Export writes the view as PNG,
 * SVG and PDF, and the maps as safetensors. */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-run.h"
#include "models/vt-model.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_TEXT_ATTENTION (vitrine_text_attention_get_type ())
G_DECLARE_FINAL_TYPE (VitrineTextAttention, vitrine_text_attention, VITRINE, TEXT_ATTENTION, GtkWidget)

/* What the heatmap shows: one head, the heads fused, or the rollout of the
 * heads fused (each three in VtHeadFusion's order). */
typedef enum
{
  VITRINE_TEXT_ATTENTION_HEAD,
  VITRINE_TEXT_ATTENTION_MEAN,
  VITRINE_TEXT_ATTENTION_MAX,
  VITRINE_TEXT_ATTENTION_MIN,
  VITRINE_TEXT_ATTENTION_ROLLOUT_MEAN,
  VITRINE_TEXT_ATTENTION_ROLLOUT_MAX,
  VITRINE_TEXT_ATTENTION_ROLLOUT_MIN,
} VitrineTextAttentionShow;

/* Whether @model has a CLIP text tower to look into. */
gboolean     vitrine_text_attention_supports   (VtModel              *model);
/* The model (referenced), or NULL; forgets the shown prompt. */
void         vitrine_text_attention_set_model  (VitrineTextAttention *self,
                                                VtModel              *model);
/* Runs the `attention` step on @prompt (shown in the prompt entry) as a run
 * listed in the runs given to vitrine_text_attention_set_runs. */
void         vitrine_text_attention_run        (VitrineTextAttention *self,
                                                const char           *prompt);
gboolean     vitrine_text_attention_is_busy    (VitrineTextAttention *self);
/* Where each run is listed (the window's runs; held). */
void         vitrine_text_attention_set_runs   (VitrineTextAttention *self,
                                                GListStore           *runs);
/* Shows the prompt's attention of @run, a finished `attention` run with a
 * prompt (one read back from its folder too). */
gboolean     vitrine_text_attention_show_run   (VitrineTextAttention *self,
                                                VitrineRun           *run,
                                                GError              **error);
/* The run shown (running, finished or reopened), or NULL. */
VitrineRun  *vitrine_text_attention_get_run    (VitrineTextAttention *self);
/* The error of the last run, or NULL. */
const char  *vitrine_text_attention_get_error  (VitrineTextAttention *self);

void         vitrine_text_attention_set_layer  (VitrineTextAttention *self,
                                                int                   layer);
void         vitrine_text_attention_set_head   (VitrineTextAttention *self,
                                                int                   head);
void         vitrine_text_attention_set_show   (VitrineTextAttention *self,
                                                VitrineTextAttentionShow show);
/* The rollout's first layer (vt_text_attention_rollout). */
void         vitrine_text_attention_set_start_layer (VitrineTextAttention *self,
                                                     int                   layer);
/* The matrix shown (T × T, row q where token q attends), or NULL before a
 * prompt; @labels (not owned) the T tokens. */
const float *vitrine_text_attention_get_matrix (VitrineTextAttention *self,
                                                int                  *tokens,
                                                const char * const  **labels);
/* The view as it is drawn, to @base_path.png, .svg and .pdf. */
gboolean     vitrine_text_attention_export_view (VitrineTextAttention *self,
                                                 const char           *base_path,
                                                 GError              **error);
/* Every layer's heads as the attention step names them
 * (text.blocks.N.heads, (1, heads, T, T)) and the shown matrix as "view"
 * (1, T, T), with the prompt, the tokens and the view's description in the
 * metadata. */
gboolean     vitrine_text_attention_export_maps (VitrineTextAttention *self,
                                                 const char           *path,
                                                 GError              **error);
/* The heatmap view. */
GtkWidget   *vitrine_text_attention_get_view   (VitrineTextAttention *self);

G_END_DECLS
