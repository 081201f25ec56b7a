/* vitrine-text-attention.h: the Attention area's Text mode: a CLIP text
 * tower's token × token attention of a prompt (vt-text-attention.h), for
 * the chosen layer and head or the layer's heads fused, as a heatmap with
 * the tokens on both axes; the causal upper triangle is left empty. */
#pragma once

#include <gtk/gtk.h>

#include "models/vt-model.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_TEXT_ATTENTION (vitrine_text_attention_get_type ())
G_DECLARE_FINAL_TYPE (VitrineTextAttention, vitrine_text_attention, VITRINE, TEXT_ATTENTION, GtkWidget)

/* What the heatmap shows: one head, or the heads fused (in VtHeadFusion's
 * order after the first). */
typedef enum
{
  VITRINE_TEXT_ATTENTION_HEAD,
  VITRINE_TEXT_ATTENTION_MEAN,
  VITRINE_TEXT_ATTENTION_MAX,
  VITRINE_TEXT_ATTENTION_MIN,
} VitrineTextAttentionShow;

/* Whether @model has a CLIP text tower to look into. */
gboolean     vitrine_text_attention_supports   (VtModel              *model);
/* The model (referenced), or NULL; forgets the shown prompt. */
void         vitrine_text_attention_set_model  (VitrineTextAttention *self,
                                                VtModel              *model);
/* Tokenizes @prompt (shown in the prompt entry) and runs the text tower in
 * a worker thread. */
void         vitrine_text_attention_run        (VitrineTextAttention *self,
                                                const char           *prompt);
gboolean     vitrine_text_attention_is_busy    (VitrineTextAttention *self);
/* The error of the last run, or NULL. */
const char  *vitrine_text_attention_get_error  (VitrineTextAttention *self);

void         vitrine_text_attention_set_layer  (VitrineTextAttention *self,
                                                int                   layer);
void         vitrine_text_attention_set_head   (VitrineTextAttention *self,
                                                int                   head);
void         vitrine_text_attention_set_show   (VitrineTextAttention *self,
                                                VitrineTextAttentionShow show);
/* The matrix shown (T × T, row q where token q attends), or NULL before a
 * prompt; @labels (not owned) the T tokens. */
const float *vitrine_text_attention_get_matrix (VitrineTextAttention *self,
                                                int                  *tokens,
                                                const char * const  **labels);
/* The heatmap view. */
GtkWidget   *vitrine_text_attention_get_view   (VitrineTextAttention *self);

G_END_DECLS
