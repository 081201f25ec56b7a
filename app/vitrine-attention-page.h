/* vitrine-attention-page.h: the Attention area: where a Vision Transformer
 * looks in one image. A layer × head grid of the class token's attention,
 * one map enlarged over the image (a head, the heads fused, or the
 * attention rollout), for the class token or any patch as the query, with
 * DINO's mass mask; exported as figures and as safetensors. For a CLIP
 * checkpoint a Text mode (vitrine-text-attention.h) sits beside it. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "report/vt-figure.h"
#include "vitrine-attention-grid.h"
#include "vitrine-text-attention.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_ATTENTION_PAGE (vitrine_attention_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineAttentionPage, vitrine_attention_page, VITRINE, ATTENTION_PAGE, GtkWidget)

/* What the enlarged map shows. */
typedef enum
{
  VITRINE_ATTENTION_HEAD,      /* the selected layer's selected head */
  VITRINE_ATTENTION_FUSED,     /* the selected layer's heads, fused */
  VITRINE_ATTENTION_ROLLOUT,   /* attention rollout over the layers */
} VitrineAttentionShow;

/* Whether @model has attention maps to show: a ViT-family image tower
 * (timm ViT/DeiT, torchvision ViT, CLIP) with a class token. */
gboolean    vitrine_attention_page_supports     (VtModel              *model);
/* The model to run (referenced), or NULL. */
void        vitrine_attention_page_set_model    (VitrineAttentionPage *self,
                                                 VtModel              *model);
/* Decodes @file and runs the forward pass with every attention map kept,
 * in a worker thread. */
void        vitrine_attention_page_open         (VitrineAttentionPage *self,
                                                 GFile                *file);
/* The Dataset area's dataset (referenced), or NULL: its samples can be
 * shown by index. */
void        vitrine_attention_page_set_dataset  (VitrineAttentionPage *self,
                                                 VtDataset            *dataset);
/* Runs the forward pass on sample @index of that dataset. */
void        vitrine_attention_page_open_sample  (VitrineAttentionPage *self,
                                                 guint                 index);
gboolean    vitrine_attention_page_is_busy      (VitrineAttentionPage *self);
/* The error of the last attempt (naming the file), or NULL. */
const char *vitrine_attention_page_get_error    (VitrineAttentionPage *self);

VitrineAttentionGrid *vitrine_attention_page_get_grid (VitrineAttentionPage *self);
/* The Text mode (shown for a CLIP checkpoint), and the choice between it
 * and the image's: "image" or "text". */
VitrineTextAttention *vitrine_attention_page_get_text (VitrineAttentionPage *self);
/* Where the Text mode lists each run it starts (the window's runs). */
void        vitrine_attention_page_set_runs     (VitrineAttentionPage *self,
                                                 GListStore           *runs);
/* Shows a finished `attention` run with a prompt in the Text mode. */
gboolean    vitrine_attention_page_show_run     (VitrineAttentionPage *self,
                                                 VitrineRun           *run,
                                                 GError              **error);
void        vitrine_attention_page_set_mode     (VitrineAttentionPage *self,
                                                 const char           *mode);
/* The enlarged map: an overlay figure (the map at the image's size). */
GtkWidget  *vitrine_attention_page_get_view     (VitrineAttentionPage *self);

void        vitrine_attention_page_set_show     (VitrineAttentionPage *self,
                                                 VitrineAttentionShow  show);
/* The query: a patch (row-major over the patch grid), or −1 for the class
 * token. */
void        vitrine_attention_page_set_query    (VitrineAttentionPage *self,
                                                 int                   patch);
int         vitrine_attention_page_get_query    (VitrineAttentionPage *self);
/* What a click at (x, y) on the enlarged map does: the patch under it
 * becomes the query. FALSE off the image. */
gboolean    vitrine_attention_page_pick         (VitrineAttentionPage *self,
                                                 double                x,
                                                 double                y);
/* The map shown, over the patch grid (gh × gw), or NULL before an image. */
const float *vitrine_attention_page_get_map     (VitrineAttentionPage *self,
                                                 int                  *gh,
                                                 int                  *gw);

/* Writes @base_path.png, .svg and .pdf: the enlarged view, or the grid. */
gboolean    vitrine_attention_page_export_view  (VitrineAttentionPage *self,
                                                 const char           *base_path,
                                                 GError              **error);
gboolean    vitrine_attention_page_export_grid  (VitrineAttentionPage *self,
                                                 const char           *base_path,
                                                 GError              **error);
/* Writes the maps as safetensors at @path (atomically): every layer's
 * class-token maps "blocks.N.heads" (1, heads, gh, gw), the shown map
 * "view" (1, gh, gw) and at the image's size "view.image" (1, H, W), and
 * the preprocessed input "input.pixel_values" (1, 3, H, W), as the
 * `attention` step names them. */
gboolean    vitrine_attention_page_export_maps  (VitrineAttentionPage *self,
                                                 const char           *path,
                                                 GError              **error);

G_END_DECLS
