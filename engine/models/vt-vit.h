/* vt-vit.h: Vision Transformers: timm's VisionTransformer (class token or
 * average pooling, DeiT's distillation token) and OpenAI / OpenCLIP CLIP,
 * both towers. */
#pragma once

#include "models/vt-architecture.h"
#include "models/vt-taps.h"

G_BEGIN_DECLS

typedef struct _VtViT VtViT;

VtViT    *vt_vit_new            (VtCheckpoint          *checkpoint,
                                 const VtArchitecture  *arch,
                                 GError               **error);
void      vt_vit_free           (VtViT                 *self);

/* pixels (B, 3, H, W), normalized, at the trained image size.
 * timm taps: "logits" (DeiT also "logits_cls", "logits_dist"), "pre_logits";
 * with VT_TAP_BLOCKS "embed.patch", "embed.tokens", "blocks.i.out", "features".
 * CLIP taps: "image_embeds", "image_embeds_norm", "pre_logits" (= image_embeds);
 * with VT_TAP_BLOCKS "visual.embed.pre_ln", "visual.embed.tokens",
 * "visual.blocks.i.out", "visual.ln_post", "visual.pooled".
 * VT_TAP_ATTENTION adds "[visual.]blocks.i.attn_probs" and ".attn_out". */
VtTaps   *vt_vit_forward_image  (VtViT                 *self,
                                 const float           *pixels,
                                 int                    batch,
                                 int                    height,
                                 int                    width,
                                 VtTapFlags             flags,
                                 GError               **error);

/* CLIP's text tower on token ids (B, L), L at most the context length:
 * "text_embeds", "text_embeds_norm"; with VT_TAP_BLOCKS "text.embed.tokens",
 * "text.blocks.i.out", "text.ln_final", "text.pooled". */
VtTaps   *vt_vit_forward_text   (VtViT                 *self,
                                 const gint64          *ids,
                                 int                    batch,
                                 int                    length,
                                 VtTapFlags             flags,
                                 GError               **error);
/* Whether vt_vit_forward_image takes images of @height × @width. */
gboolean  vt_vit_check_input    (VtViT                 *self,
                                 int                    height,
                                 int                    width,
                                 GError               **error);
/* The bytes vt_vit_forward_image / _text allocate for a batch: work
 * arrays and taps (the weights are not counted: they are already loaded). */
double    vt_vit_forward_image_bytes (VtViT        *self,
                                      int           batch,
                                      int           height,
                                      int           width,
                                      VtTapFlags    flags);
double    vt_vit_forward_text_bytes  (VtViT        *self,
                                      int           batch,
                                      int           length,
                                      VtTapFlags    flags);
gboolean  vt_vit_has_text       (VtViT                 *self);
/* exp(logit_scale) of a CLIP checkpoint, or 0 when it stores none. */
float     vt_vit_get_logit_scale (VtViT                *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtViT, vt_vit_free)

G_END_DECLS
