/* vt-vit.c: ViT and CLIP forward passes. */
#include "vt-vit.h"
#include "vt-transformer.h"
#include "vt-weights.h"
#include "nn/vt-ops.h"

#include <math.h>
#include <string.h>

/* Whose names and conventions the checkpoint follows. */
typedef enum
{
  LAYOUT_TIMM,
  LAYOUT_TORCHVISION,
  LAYOUT_OPENCLIP,
  LAYOUT_HF,
} Layout;

struct _VtViT
{
  VtWeights     *weights;
  Layout         layout;
  gboolean       clip;          /* OpenCLIP: taps under "visual." */
  int            width;
  int            patch;
  int            image;
  int            grid;
  int            n_prefix;
  const float   *patch_w, *patch_b;          /* (C, 3, P, P), bias or NULL */
  const float   *cls, *dist;                 /* (C) or NULL */
  const float   *pos;                        /* (T, C) */
  const float   *pre_w, *pre_b;              /* CLIP ln_pre, timm norm_pre, or NULL */
  VtTransformer  tr;
  const float   *norm_w, *norm_b;            /* timm norm / CLIP ln_post, or NULL */
  const float   *fc_norm_w, *fc_norm_b;      /* timm average pooling */
  gboolean       average;
  int            n_classes;
  const float   *head_w, *head_b, *head_dist_w, *head_dist_b;
  int            embed;                      /* CLIP joint width */
  const float   *proj;                       /* (C, E), used as x · P (OpenCLIP) */
  const float   *proj_linear;                /* (E, C), used as x · Pᵀ (Hugging Face) */

  gboolean       has_text;
  VtTransformer  text;
  int            vocab, context, text_width;
  const float   *token_embedding, *text_pos, *ln_final_w, *ln_final_b;
  const float   *text_proj;                  /* (W, E), x · P (OpenCLIP) */
  const float   *text_proj_linear;           /* (E, W), x · Pᵀ (Hugging Face) */
  float          logit_scale;                /* exp of the stored logit_scale, or 0 */
};

void
vt_vit_free (VtViT *self)
{
  if (self == NULL)
    return;
  vt_transformer_clear (&self->tr);
  vt_transformer_clear (&self->text);
  vt_weights_free (self->weights);
  g_free (self);
}

gboolean
vt_vit_has_text (VtViT *self)
{
  return self->has_text;
}

float
vt_vit_get_logit_scale (VtViT *self)
{
  return self->logit_scale;
}

/* An optional tensor: NULL and no error when absent. */
static gboolean
optional (VtWeights    *w,
          const char   *name,
          guint         ndim,
          const gint64 *shape,
          const float **out,
          GError      **error)
{
  *out = NULL;
  if (!vt_weights_has (w, name))
    return TRUE;
  *out = vt_weights_get (w, name, ndim, shape, error);
  return *out != NULL;
}

static gboolean
bind_timm (VtViT                 *self,
           const VtArchitecture  *arch,
           GError               **error)
{
  VtWeights *w = self->weights;
  int c = self->width;
  int t = self->n_prefix + self->grid * self->grid;

  self->tr.eps = 1e-6f;
  if (!(self->patch_w = vt_weights_get (w, "patch_embed.proj.weight", VT_SHAPE (c, 3, self->patch, self->patch), error)) ||
      !optional (w, "patch_embed.proj.bias", VT_SHAPE (c), &self->patch_b, error) ||
      !optional (w, "cls_token", VT_SHAPE (1, 1, c), &self->cls, error) ||
      !optional (w, "dist_token", VT_SHAPE (1, 1, c), &self->dist, error) ||
      !(self->pos = vt_weights_get (w, "pos_embed", VT_SHAPE (1, t, c), error)) ||
      !optional (w, "norm_pre.weight", VT_SHAPE (c), &self->pre_w, error) ||
      !optional (w, "norm_pre.bias", VT_SHAPE (c), &self->pre_b, error) ||
      !optional (w, "norm.weight", VT_SHAPE (c), &self->norm_w, error) ||
      !optional (w, "norm.bias", VT_SHAPE (c), &self->norm_b, error) ||
      !optional (w, "fc_norm.weight", VT_SHAPE (c), &self->fc_norm_w, error) ||
      !optional (w, "fc_norm.bias", VT_SHAPE (c), &self->fc_norm_b, error))
    return FALSE;
  self->average = self->fc_norm_w != NULL || self->cls == NULL;
  self->n_classes = arch->num_classes;
  if (self->n_classes > 0 &&
      (!(self->head_w = vt_weights_get (w, "head.weight", VT_SHAPE (self->n_classes, c), error)) ||
       !(self->head_b = vt_weights_get (w, "head.bias", VT_SHAPE (self->n_classes), error))))
    return FALSE;
  if (self->dist != NULL &&
      (!(self->head_dist_w = vt_weights_get (w, "head_dist.weight", VT_SHAPE (self->n_classes, c), error)) ||
       !(self->head_dist_b = vt_weights_get (w, "head_dist.bias", VT_SHAPE (self->n_classes), error))))
    return FALSE;
  return vt_transformer_bind (&self->tr, w, &vt_transformer_names_timm, "", arch->depth, c,
                              arch->heads, arch->mlp_width, error);
}

/* CLIP stores the log of its temperature, one number (0-dimensional in
 * OpenCLIP, 1-dimensional in Hugging Face). */
static void
read_logit_scale (VtViT                *self,
                  VtCheckpoint         *checkpoint,
                  const VtArchitecture *arch)
{
  g_autofree char *name = g_strconcat (arch->prefix, "logit_scale", NULL);
  const VtTensor *scale = vt_checkpoint_lookup (checkpoint, name);

  if (scale != NULL && scale->numel == 1 && vt_dtype_is_float (scale->dtype))
    self->logit_scale = expf ((float) vt_dtype_read_double (scale->dtype, scale->data, 0));
}

/* Where a CLIP text tower's tensors are, in one layout. */
typedef struct
{
  const char               *token_embedding;
  const char               *position_embedding;
  const char               *final_norm;         /* .weight, .bias */
  const char               *projection;
  gboolean                  projection_linear;  /* (E, W) used as x·Pᵀ, else (W, E) as x·P */
  const VtTransformerNames *blocks;
  const char               *blocks_prefix;
  const char               *first_fc1;          /* its rows give the MLP width */
} TextNames;

static const TextNames openclip_text = {
  "token_embedding.weight", "positional_embedding", "ln_final", "text_projection", FALSE,
  &vt_transformer_names_openclip, "transformer.", "transformer.resblocks.0.mlp.c_fc.weight",
};

static const TextNames hf_text = {
  "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
  "text_model.final_layer_norm", "text_projection.weight", TRUE,
  &vt_transformer_names_hf, "text_model.encoder.", "text_model.encoder.layers.0.mlp.fc1.weight",
};

/* A CLIP text tower: causal blocks, a final norm, pooling at the end token
 * and a projection into the joint space; nothing when the checkpoint has
 * no text tower. */
static gboolean
bind_text_tower (VtViT                 *self,
                 VtCheckpoint          *checkpoint,
                 const VtArchitecture  *arch,
                 const TextNames       *names,
                 GError               **error)
{
  VtWeights *w = self->weights;
  g_autofree char *fc1 = g_strconcat (arch->prefix, names->first_fc1, NULL);
  g_autofree char *norm_w = g_strdup_printf ("%s.weight", names->final_norm);
  g_autofree char *norm_b = g_strdup_printf ("%s.bias", names->final_norm);
  const VtTensor *fc1_tensor = vt_checkpoint_lookup (checkpoint, fc1);
  int tw = arch->text_width;
  int mlp = fc1_tensor && fc1_tensor->ndim == 2 ? (int) fc1_tensor->shape[0] : 4 * tw;

  if (tw <= 0)
    return TRUE;
  self->has_text = TRUE;
  self->vocab = arch->vocab_size;
  self->context = arch->context_length;
  self->text_width = tw;
  self->text.eps = 1e-5f;
  self->text.quick_gelu = arch->text_quick_gelu;
  self->text.causal = TRUE;
  read_logit_scale (self, checkpoint, arch);

  if (!(self->token_embedding = vt_weights_get (w, names->token_embedding, VT_SHAPE (self->vocab, tw), error)) ||
      !(self->text_pos = vt_weights_get (w, names->position_embedding, VT_SHAPE (self->context, tw), error)) ||
      !(self->ln_final_w = vt_weights_get (w, norm_w, VT_SHAPE (tw), error)) ||
      !(self->ln_final_b = vt_weights_get (w, norm_b, VT_SHAPE (tw), error)))
    return FALSE;
  if (names->projection_linear)
    self->text_proj_linear = vt_weights_get (w, names->projection, VT_SHAPE (self->embed, tw), error);
  else
    self->text_proj = vt_weights_get (w, names->projection, VT_SHAPE (tw, self->embed), error);
  if (self->text_proj_linear == NULL && self->text_proj == NULL)
    return FALSE;
  return vt_transformer_bind (&self->text, w, names->blocks, names->blocks_prefix,
                              arch->text_depth, tw, arch->text_heads, mlp, error);
}

static gboolean
bind_openclip (VtViT                 *self,
               VtCheckpoint          *checkpoint,
               const VtArchitecture  *arch,
               GError               **error)
{
  VtWeights *w = self->weights;
  int c = self->width;
  int t = 1 + self->grid * self->grid;

  self->tr.eps = 1e-5f;
  self->tr.quick_gelu = arch->quick_gelu;
  self->embed = arch->embed_dim;
  /* A ModifiedResNet image tower runs in vt-resnet; only the text tower here. */
  if (arch->patch_size == 0)
    return bind_text_tower (self, checkpoint, arch, &openclip_text, error);
  if (!(self->patch_w = vt_weights_get (w, "visual.conv1.weight", VT_SHAPE (c, 3, self->patch, self->patch), error)) ||
      !(self->cls = vt_weights_get (w, "visual.class_embedding", VT_SHAPE (c), error)) ||
      !(self->pos = vt_weights_get (w, "visual.positional_embedding", VT_SHAPE (t, c), error)) ||
      !(self->pre_w = vt_weights_get (w, "visual.ln_pre.weight", VT_SHAPE (c), error)) ||
      !(self->pre_b = vt_weights_get (w, "visual.ln_pre.bias", VT_SHAPE (c), error)) ||
      !(self->norm_w = vt_weights_get (w, "visual.ln_post.weight", VT_SHAPE (c), error)) ||
      !(self->norm_b = vt_weights_get (w, "visual.ln_post.bias", VT_SHAPE (c), error)) ||
      !(self->proj = vt_weights_get (w, "visual.proj", VT_SHAPE (c, self->embed), error)) ||
      !vt_transformer_bind (&self->tr, w, &vt_transformer_names_openclip, "visual.transformer.",
                            arch->depth, c, arch->heads, arch->mlp_width, error))
    return FALSE;

  return bind_text_tower (self, checkpoint, arch, &openclip_text, error);
}

static gboolean
bind_torchvision (VtViT                 *self,
                  const VtArchitecture  *arch,
                  GError               **error)
{
  VtWeights *w = self->weights;
  int c = self->width;

  self->tr.eps = 1e-6f;
  self->n_classes = arch->num_classes;
  if (!(self->patch_w = vt_weights_get (w, "conv_proj.weight", VT_SHAPE (c, 3, self->patch, self->patch), error)) ||
      !(self->patch_b = vt_weights_get (w, "conv_proj.bias", VT_SHAPE (c), error)) ||
      !(self->cls = vt_weights_get (w, "class_token", VT_SHAPE (1, 1, c), error)) ||
      !(self->pos = vt_weights_get (w, "encoder.pos_embedding", VT_SHAPE (1, 1 + self->grid * self->grid, c), error)) ||
      !(self->norm_w = vt_weights_get (w, "encoder.ln.weight", VT_SHAPE (c), error)) ||
      !(self->norm_b = vt_weights_get (w, "encoder.ln.bias", VT_SHAPE (c), error)))
    return FALSE;
  if (self->n_classes > 0 &&
      (!(self->head_w = vt_weights_get (w, "heads.head.weight", VT_SHAPE (self->n_classes, c), error)) ||
       !(self->head_b = vt_weights_get (w, "heads.head.bias", VT_SHAPE (self->n_classes), error))))
    return FALSE;
  return vt_transformer_bind (&self->tr, w, &vt_transformer_names_torchvision, "encoder.layers.",
                              arch->depth, c, arch->heads, arch->mlp_width, error);
}

/* Hugging Face CLIPVisionModel(WithProjection); the post-norm applies to
 * the class token only. */
static gboolean
bind_hf (VtViT                 *self,
         VtCheckpoint          *checkpoint,
         const VtArchitecture  *arch,
         GError               **error)
{
  VtWeights *w = self->weights;
  int c = self->width;

  self->tr.eps = 1e-5f;
  self->tr.quick_gelu = arch->quick_gelu;
  self->embed = arch->embed_dim;
  if (!(self->patch_w = vt_weights_get (w, "vision_model.embeddings.patch_embedding.weight", VT_SHAPE (c, 3, self->patch, self->patch), error)) ||
      !(self->cls = vt_weights_get (w, "vision_model.embeddings.class_embedding", VT_SHAPE (c), error)) ||
      !(self->pos = vt_weights_get (w, "vision_model.embeddings.position_embedding.weight", VT_SHAPE (1 + self->grid * self->grid, c), error)) ||
      !(self->pre_w = vt_weights_get (w, "vision_model.pre_layrnorm.weight", VT_SHAPE (c), error)) ||
      !(self->pre_b = vt_weights_get (w, "vision_model.pre_layrnorm.bias", VT_SHAPE (c), error)) ||
      !(self->norm_w = vt_weights_get (w, "vision_model.post_layernorm.weight", VT_SHAPE (c), error)) ||
      !(self->norm_b = vt_weights_get (w, "vision_model.post_layernorm.bias", VT_SHAPE (c), error)))
    return FALSE;
  if (self->embed > 0 &&
      !(self->proj_linear = vt_weights_get (w, "visual_projection.weight", VT_SHAPE (self->embed, c), error)))
    return FALSE;
  if (!vt_transformer_bind (&self->tr, w, &vt_transformer_names_hf, "vision_model.encoder.",
                            arch->depth, c, arch->heads, arch->mlp_width, error))
    return FALSE;
  /* CLIPModel's text tower: final_layer_norm and a bias-free projection. */
  return bind_text_tower (self, checkpoint, arch, &hf_text, error);
}

VtViT *
vt_vit_new (VtCheckpoint          *checkpoint,
            const VtArchitecture  *arch,
            GError               **error)
{
  g_autoptr(VtViT) self = g_new0 (VtViT, 1);
  gboolean ok;

  self->weights = vt_weights_new (checkpoint, arch->prefix);
  self->layout = arch->family == VT_ARCH_OPENCLIP ? LAYOUT_OPENCLIP
               : arch->family == VT_ARCH_HF_CLIP ? LAYOUT_HF
               : arch->family == VT_ARCH_TORCHVISION_VIT ? LAYOUT_TORCHVISION
               : LAYOUT_TIMM;
  self->clip = self->layout == LAYOUT_OPENCLIP;
  self->width = arch->width;
  self->patch = arch->patch_size;
  self->image = arch->image_size;
  self->grid = arch->patch_size > 0 ? arch->image_size / arch->patch_size : 0;
  switch (self->layout)
    {
    case LAYOUT_OPENCLIP:
      ok = bind_openclip (self, checkpoint, arch, error);
      break;
    case LAYOUT_HF:
      ok = bind_hf (self, checkpoint, arch, error);
      break;
    case LAYOUT_TORCHVISION:
      ok = bind_torchvision (self, arch, error);
      break;
    case LAYOUT_TIMM:
    default:
      self->n_prefix = vt_weights_has (self->weights, "cls_token") + vt_weights_has (self->weights, "dist_token");
      ok = bind_timm (self, arch, error);
      break;
    }
  if (!ok)
    return NULL;
  self->n_prefix = (self->cls != NULL) + (self->dist != NULL);
  return g_steal_pointer (&self);
}

/* The position embedding for a gh × gw patch grid: the stored one, or its
 * grid part resampled (timm's resample_abs_pos_embed: antialiased bicubic;
 * prefix tokens kept as they are). (T, C), owned by the caller. */
static float *
position_embedding (VtViT *self,
                    int    gh,
                    int    gw)
{
  int c = self->width, n_prefix = self->n_prefix;
  int t = n_prefix + gh * gw;
  float *pos = g_new (float, (gsize) t * c);

  if (gh == self->grid && gw == self->grid)
    {
      memcpy (pos, self->pos, sizeof (float) * t * c);
      return pos;
    }
  memcpy (pos, self->pos, sizeof (float) * n_prefix * c);
  vt_resample_bicubic_aa (pos + (gsize) n_prefix * c, self->pos + (gsize) n_prefix * c,
                          self->grid, self->grid, c, gh, gw);
  return pos;
}

/* Patch embedding and prefix tokens (position embedding not yet added):
 * x (T, C) for an image of @height × @width. */
static void
embed_image (VtViT       *self,
             float       *x,
             const float *image,
             int          height,
             int          width,
             float       *conv)
{
  int c = self->width, np = (height / self->patch) * (width / self->patch);

  vt_conv2d_forward (conv, image, self->patch_w, self->patch_b, 3, height, width, c,
                     self->patch, self->patch, self->patch, 0, NULL);
  /* (C, gh·gw) -> (gh·gw, C), after the prefix tokens */
  for (int p = 0; p < np; p++)
    for (int ch = 0; ch < c; ch++)
      x[(gsize) (self->n_prefix + p) * c + ch] = conv[(gsize) ch * np + p];
  if (self->cls)
    memcpy (x, self->cls, sizeof (float) * c);
  if (self->dist)
    memcpy (x + c, self->dist, sizeof (float) * c);
}

gboolean
vt_vit_check_input (VtViT   *self,
                    int      height,
                    int      width,
                    GError **error)
{
  if (self->patch <= 0 || height < self->patch || width < self->patch ||
      height % self->patch != 0 || width % self->patch != 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "the input is %d×%d; this model needs a size that is a multiple of its %d-pixel patches "
                   "(it was trained at %d×%d)", width, height, self->patch, self->image, self->image);
      return FALSE;
    }
  return TRUE;
}

double
vt_vit_forward_image_bytes (VtViT      *self,
                            int         batch,
                            int         height,
                            int         width,
                            VtTapFlags  flags)
{
  double np = (double) (height / MAX (self->patch, 1)) * (width / MAX (self->patch, 1));
  double t = self->n_prefix + np, c = self->width;
  /* y, conv and the position embedding; xs for the whole batch; a few
   * (B, C) outputs; the embedding taps. */
  double floats = 3 * t * c + batch * t * c + (double) batch * 6 * MAX (c, self->embed + self->n_classes);

  if (flags & VT_TAP_BLOCKS)
    floats += 4 * batch * t * c;
  return sizeof (float) * floats + vt_transformer_run_bytes (&self->tr, batch, (int) MIN (t, G_MAXINT), flags);
}

double
vt_vit_forward_text_bytes (VtViT      *self,
                           int         batch,
                           int         length,
                           VtTapFlags  flags)
{
  double rows = (double) batch * length, c = self->text_width;
  double floats = rows * c + length * c + (double) batch * 4 * MAX (c, self->embed);

  if (flags & VT_TAP_BLOCKS)
    floats += 2 * rows * c;
  return sizeof (float) * floats + vt_transformer_run_bytes (&self->text, batch, length, flags);
}

VtTaps *
vt_vit_forward_image (VtViT        *self,
                      const float  *pixels,
                      int           batch,
                      int           height,
                      int           width,
                      VtTapFlags    flags,
                      GError      **error)
{
  g_autoptr(VtTaps) taps = vt_taps_new ();
  int gh = height / MAX (self->patch, 1), gw = width / MAX (self->patch, 1);
  int c = self->width, np = gh * gw, t = self->n_prefix + np;
  const char *prefix = self->clip ? "visual." : "";
  g_autofree float *xs = NULL;
  g_autofree float *y = NULL;
  g_autofree float *conv = NULL;
  g_autofree float *pos = NULL;
  g_autofree float *pooled = g_new (float, c);

  /* Any size that is whole patches: the position embedding is resampled to
   * the new grid, as timm does for dynamic image sizes. */
  if (batch <= 0 || !vt_vit_check_input (self, height, width, error))
    {
      if (batch <= 0)
        g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a batch of %d images", batch);
      return NULL;
    }
  y = g_new (float, (gsize) t * c);
  conv = g_new (float, (gsize) np * c);
  pos = position_embedding (self, gh, gw);
  if (flags & VT_TAP_BLOCKS)
    memcpy (vt_taps_add (taps, self->clip ? "visual.embed.pos_embed" : "embed.pos_embed", 3, (gint64[]) { 1, t, c }),
            pos, sizeof (float) * t * c);

  /* Embed every image, run the blocks on the whole batch, then the heads. */
  xs = g_new (float, (gsize) batch * t * c);
  for (int b = 0; b < batch; b++)
    {
      const float *image = pixels + (gsize) b * 3 * height * width;
      float *x = xs + (gsize) b * t * c;

      embed_image (self, x, image, height, width, conv);
      if ((flags & VT_TAP_BLOCKS) && !self->clip)
        vt_taps_store (taps, "embed.patch", b, 3, (gint64[]) { batch, np, c }, x + (gsize) self->n_prefix * c);
      vt_add (x, pos, (gsize) t * c);
      /* "embed.tokens" is always the input of block 0; with a norm before the
       * blocks (CLIP's ln_pre), what goes into that norm is "embed.pre_ln". */
      if (self->pre_w)
        {
          if (flags & VT_TAP_BLOCKS)
            vt_taps_store (taps, self->clip ? "visual.embed.pre_ln" : "embed.pre_ln", b, 3, (gint64[]) { batch, t, c }, x);
          vt_layernorm (y, x, self->pre_w, self->pre_b, t, c, self->tr.eps);
          memcpy (x, y, sizeof (float) * t * c);
        }
      if (flags & VT_TAP_BLOCKS)
        vt_taps_store (taps, self->clip ? "visual.embed.tokens" : "embed.tokens", b, 3, (gint64[]) { batch, t, c }, x);
    }

  vt_transformer_run (&self->tr, xs, batch, t, taps, prefix, flags);

  for (int b = 0; b < batch; b++)
    {
      const float *x = xs + (gsize) b * t * c;

      if (self->layout == LAYOUT_HF)
        {
          /* post_layernorm on the class token, then the projection. */
          float *pooled_tap = vt_taps_slot (taps, "pooled", b, 2, (gint64[]) { batch, c });
          vt_layernorm (pooled_tap, x, self->norm_w, self->norm_b, 1, c, self->tr.eps);
          if (self->proj_linear)
            {
              float *embeds = vt_taps_slot (taps, "image_embeds", b, 2, (gint64[]) { batch, self->embed });
              vt_linear_forward (embeds, pooled_tap, self->proj_linear, NULL, 1, c, self->embed);
              memcpy (vt_taps_slot (taps, "pre_logits", b, 2, (gint64[]) { batch, self->embed }), embeds, sizeof (float) * self->embed);
              vt_l2_normalize (vt_taps_slot (taps, "image_embeds_norm", b, 2, (gint64[]) { batch, self->embed }), embeds, self->embed);
            }
          else
            memcpy (vt_taps_slot (taps, "pre_logits", b, 2, (gint64[]) { batch, c }), pooled_tap, sizeof (float) * c);
          continue;
        }

      /* Final norm over every token (Identity in timm's average pooling). */
      if (self->norm_w)
        vt_layernorm (y, x, self->norm_w, self->norm_b, t, c, self->tr.eps);
      else
        memcpy (y, x, sizeof (float) * t * c);
      if (flags & VT_TAP_BLOCKS)
        vt_taps_store (taps, self->clip ? "visual.ln_post" : "features", b, 3, (gint64[]) { batch, t, c }, y);

      if (self->clip)
        {
          float *embeds = vt_taps_slot (taps, "image_embeds", b, 2, (gint64[]) { batch, self->embed });
          if (flags & VT_TAP_BLOCKS)
            memcpy (vt_taps_slot (taps, "visual.pooled", b, 2, (gint64[]) { batch, c }), y, sizeof (float) * c);
          vt_matmul_forward (embeds, y, self->proj, 1, c, self->embed);
          memcpy (vt_taps_slot (taps, "pre_logits", b, 2, (gint64[]) { batch, self->embed }), embeds, sizeof (float) * self->embed);
          vt_l2_normalize (vt_taps_slot (taps, "image_embeds_norm", b, 2, (gint64[]) { batch, self->embed }), embeds, self->embed);
          continue;
        }

      /* timm's forward_head(pre_logits=True) */
      if (self->dist)
        for (int ch = 0; ch < c; ch++)
          pooled[ch] = (y[ch] + y[c + ch]) / 2;
      else if (self->average)
        {
          for (int ch = 0; ch < c; ch++)
            {
              double acc = 0.0;
              for (int i = self->n_prefix; i < t; i++)
                acc += y[(gsize) i * c + ch];
              pooled[ch] = (float) (acc / np);
            }
          if (self->fc_norm_w)
            {
              vt_layernorm (y, pooled, self->fc_norm_w, self->fc_norm_b, 1, c, self->tr.eps);
              memcpy (pooled, y, sizeof (float) * c);
            }
        }
      else
        memcpy (pooled, y, sizeof (float) * c);
      memcpy (vt_taps_slot (taps, "pre_logits", b, 2, (gint64[]) { batch, c }), pooled, sizeof (float) * c);

      if (self->head_w && self->dist)
        {
          float *cls_logits = vt_taps_slot (taps, "logits_cls", b, 2, (gint64[]) { batch, self->n_classes });
          float *dist_logits = vt_taps_slot (taps, "logits_dist", b, 2, (gint64[]) { batch, self->n_classes });
          float *logits = vt_taps_slot (taps, "logits", b, 2, (gint64[]) { batch, self->n_classes });

          vt_linear_forward (cls_logits, y, self->head_w, self->head_b, 1, c, self->n_classes);
          vt_linear_forward (dist_logits, y + c, self->head_dist_w, self->head_dist_b, 1, c, self->n_classes);
          for (int k = 0; k < self->n_classes; k++)
            logits[k] = (cls_logits[k] + dist_logits[k]) / 2;
        }
      else if (self->head_w)
        vt_linear_forward (vt_taps_slot (taps, "logits", b, 2, (gint64[]) { batch, self->n_classes }), pooled,
                           self->head_w, self->head_b, 1, c, self->n_classes);
    }
  return g_steal_pointer (&taps);
}

VtTaps *
vt_vit_forward_text (VtViT         *self,
                     const gint64  *ids,
                     int            batch,
                     int            length,
                     VtTapFlags     flags,
                     GError       **error)
{
  g_autoptr(VtTaps) taps = vt_taps_new ();
  int c = self->text_width;
  g_autofree float *x = NULL;
  g_autofree float *y = NULL;

  if (!self->has_text)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "this checkpoint has no text tower");
      return NULL;
    }
  if (batch <= 0 || length <= 0 || length > self->context)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "token sequences of length %d do not fit the context length %d", length, self->context);
      return NULL;
    }
  for (gsize i = 0; i < (gsize) batch * length; i++)
    if (ids[i] < 0 || ids[i] >= self->vocab)
      {
        g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                     "token id %" G_GINT64_FORMAT " is outside the vocabulary of %d", ids[i], self->vocab);
        return NULL;
      }

  x = g_new (float, (gsize) batch * length * c);
  y = g_new (float, (gsize) length * c);
  for (int b = 0; b < batch; b++)
    {
      const gint64 *row = ids + (gsize) b * length;
      float *xb = x + (gsize) b * length * c;

      for (int i = 0; i < length; i++)
        for (int ch = 0; ch < c; ch++)
          xb[(gsize) i * c + ch] = self->token_embedding[(gsize) row[i] * c + ch] + self->text_pos[(gsize) i * c + ch];
      if (flags & VT_TAP_BLOCKS)
        vt_taps_store (taps, "text.embed.tokens", b, 3, (gint64[]) { batch, length, c }, xb);
    }

  vt_transformer_run (&self->text, x, batch, length, taps, "text.", flags);

  for (int b = 0; b < batch; b++)
    {
      const gint64 *row = ids + (gsize) b * length;
      int eot = 0;
      float *embeds;

      vt_layernorm (y, x + (gsize) b * length * c, self->ln_final_w, self->ln_final_b, length, c, self->text.eps);
      if (flags & VT_TAP_BLOCKS)
        vt_taps_store (taps, "text.ln_final", b, 3, (gint64[]) { batch, length, c }, y);

      /* The end-of-text token has the largest id: pool there. */
      for (int i = 1; i < length; i++)
        if (row[i] > row[eot])
          eot = i;
      if (flags & VT_TAP_BLOCKS)
        memcpy (vt_taps_slot (taps, "text.pooled", b, 2, (gint64[]) { batch, c }), y + (gsize) eot * c, sizeof (float) * c);
      embeds = vt_taps_slot (taps, "text_embeds", b, 2, (gint64[]) { batch, self->embed });
      if (self->text_proj_linear)
        vt_linear_forward (embeds, y + (gsize) eot * c, self->text_proj_linear, NULL, 1, c, self->embed);
      else
        vt_matmul_forward (embeds, y + (gsize) eot * c, self->text_proj, 1, c, self->embed);
      vt_l2_normalize (vt_taps_slot (taps, "text_embeds_norm", b, 2, (gint64[]) { batch, self->embed }), embeds, self->embed);
    }
  return g_steal_pointer (&taps);
}
