/* vt-trainable-vit.c: the trainable timm VisionTransformer: patch
 * embedding, class token (and DeiT's distillation token), position
 * embedding at the trained grid, pre-norm blocks (LayerNorm, multi-head
 * attention, LayerNorm, MLP with exact GELU), the final norm, token or
 * average pooling (fc_norm) and the head(s). The forward pass runs the
 * inference pass's kernels in its order (every linear layer one product
 * over all B·T tokens, attention per image and head, vt_gelu's
 * approximation), keeping the LayerNorm statistics, the attention
 * probabilities and every activation; the backward passes are engine/nn's.
 * The same code runs torchvision's ViT, OpenCLIP's and Hugging Face's CLIP
 * image towers and their text towers (causal, ids in): only the names
 * (a Names table) and a few conventions differ. */
#include "vt-trainable-private.h"
#include "vt-transformer.h"
#include "core/vt-parallel.h"
#include "nn/vt-activation.h"
#include "nn/vt-attention.h"
#include "nn/vt-conv.h"
#include "nn/vt-cosine.h"
#include "nn/vt-linear.h"
#include "nn/vt-norm.h"
#include "nn/vt-ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

typedef struct
{
  VtParam *w, *b;
} Affine;

/* Where a layout keeps what lies outside its blocks (the blocks' names are
 * vt-transformer.h's tables), and what it calls its taps. */
typedef struct
{
  const char               *patch_w, *patch_b, *cls, *dist, *pos, *norm_pre, *norm, *fc_norm;
  gboolean                  timm_shapes;   /* cls (1, 1, C) and pos (1, T, C), else (C) and (T, C) */
  const VtTransformerNames *blocks;
  const char               *blocks_prefix;
  const char               *taps;          /* "", "visual." or "text." */
  float                     eps;
  const char               *head;          /* the classifier (.weight, .bias), or NULL */
  const char               *proj;          /* CLIP's projection into the joint space, or NULL */
  gboolean                  proj_linear;   /* proj is (E, C) used as x · Pᵀ (Hugging Face), else (C, E) as x · P */
  const char               *features;      /* the final norm over every token, as a tap */
  const char               *pooled;        /* the pooled token (CLIP) or the head's input, as a tap */
  const char               *token_embedding;  /* a text tower's (vocab, C) */
} Names;

static const Names timm_names = {
  .patch_w = "patch_embed.proj.weight", .patch_b = "patch_embed.proj.bias", .cls = "cls_token",
  .dist = "dist_token", .pos = "pos_embed", .norm_pre = "norm_pre", .norm = "norm", .fc_norm = "fc_norm",
  .timm_shapes = TRUE, .blocks = &vt_transformer_names_timm, .blocks_prefix = "", .taps = "", .eps = 1e-6f,
  .head = "head", .features = "features", .pooled = "pre_logits",
};

/* torchvision's VisionTransformer: timm's class-token ViT under other
 * names (encoder.ln the final norm, heads.head the classifier). */
static const Names torchvision_names = {
  .patch_w = "conv_proj.weight", .patch_b = "conv_proj.bias", .cls = "class_token", .pos = "encoder.pos_embedding",
  .norm = "encoder.ln", .timm_shapes = TRUE, .blocks = &vt_transformer_names_torchvision,
  .blocks_prefix = "encoder.layers.", .taps = "", .eps = 1e-6f, .head = "heads.head", .features = "features",
  .pooled = "pre_logits",
};

/* OpenCLIP's VisionTransformer: ln_pre, ln_post over every token, the class
 * token pooled, then x · proj. */
static const Names openclip_names = {
  .patch_w = "visual.conv1.weight", .cls = "visual.class_embedding", .pos = "visual.positional_embedding",
  .norm_pre = "visual.ln_pre", .norm = "visual.ln_post", .blocks = &vt_transformer_names_openclip,
  .blocks_prefix = "visual.transformer.", .taps = "visual.", .eps = 1e-5f, .proj = "visual.proj",
  .features = "visual.ln_post", .pooled = "visual.pooled",
};

/* Hugging Face's CLIPVisionModel(WithProjection) / CLIPModel image tower:
 * OpenCLIP's under other names, with separate q, k, v projections and
 * the projection stored as a Linear's weight. HF's post_layernorm reads
 * the class token only; here it runs over every token (each row alone,
 * so the class token's values are the same) to keep OpenCLIP's path, and
 * the other rows get no gradient. Taps as vt_vit_forward_image names them. */
static const Names hf_names = {
  .patch_w = "vision_model.embeddings.patch_embedding.weight", .cls = "vision_model.embeddings.class_embedding",
  .pos = "vision_model.embeddings.position_embedding.weight", .norm_pre = "vision_model.pre_layrnorm",
  .norm = "vision_model.post_layernorm", .blocks = &vt_transformer_names_hf,
  .blocks_prefix = "vision_model.encoder.", .taps = "", .eps = 1e-5f, .proj = "visual_projection.weight",
  .proj_linear = TRUE, .features = "post_layernorm", .pooled = "pooled",
};

/* OpenCLIP's text tower: token and position embeddings, causal blocks,
 * ln_final over every token, the end-of-text token · text_projection. */
static const Names openclip_text_names = {
  .token_embedding = "token_embedding.weight", .pos = "positional_embedding", .norm = "ln_final",
  .blocks = &vt_transformer_names_openclip, .blocks_prefix = "transformer.", .taps = "text.", .eps = 1e-5f,
  .proj = "text_projection", .features = "text.ln_final", .pooled = "text.pooled",
};

/* Hugging Face CLIPModel's text tower: the same under HF's names; the end
 * token is the largest id, as for configs with eos_token_id 2 (OpenAI's
 * conversions) and as vt_vit_forward_text pools. */
static const Names hf_text_names = {
  .token_embedding = "text_model.embeddings.token_embedding.weight",
  .pos = "text_model.embeddings.position_embedding.weight", .norm = "text_model.final_layer_norm",
  .blocks = &vt_transformer_names_hf, .blocks_prefix = "text_model.encoder.", .taps = "text.", .eps = 1e-5f,
  .proj = "text_projection.weight", .proj_linear = TRUE, .features = "text.ln_final", .pooled = "text.pooled",
};

typedef struct
{
  Affine       norm1, qkv, proj, norm2, fc1, fc2;
  Affine       q, k, v;                         /* separate projections (Hugging Face), qkv their packing */
  /* the layout's */
  VtTapeNode  *x, *n1, *qkv_out, *probs, *ctx, *attn_out, *mid, *n2, *h, *act, *f2, *out;
  float       *mean1, *rstd1, *mean2, *rstd2;   /* (B·T) */
} Block;

typedef struct
{
  VtTrainable *owner;
  VtWeights   *weights;
  const Names *names;
  gboolean     clip;                               /* a CLIP image tower (OpenCLIP, HF): a projection, no head */
  gboolean     text;                               /* a CLIP text tower: ids in, causal */
  VtParam     *token_embedding;                    /* (vocab, C) */
  int          vocab, context;
  gboolean     quick_gelu;
  int          width, patch, image, grid, n_prefix, depth, heads, mlp, n_classes, embed_dim;
  float        eps;
  gboolean     average;
  VtParam     *proj;                               /* CLIP: (C, E) used as x · P, or (E, C) as x · Pᵀ */
  /* Separate q, k, v projections (Hugging Face) packed, as the inference
   * pass packs them, into one (3C, C) weight and (3C) bias that every
   * block's qkv points at: filled from the block's q, k, v before its
   * forward and backward pass, the packed gradient then added into
   * theirs. Not parameters of their own (the checkpoint has none). */
  VtParam      packed_w, packed_b;
  float       *packed_dw, *packed_db;
  VtParam     *patch_w, *patch_b, *cls, *dist, *pos;
  Affine       norm_pre, norm, fc_norm, head, head_dist;
  Block       *blocks;
  /* the layout's */
  int          batch, tokens;
  VtTapeNode  *input, *conv, *patches, *pre_ln, *embed, *features, *mean_pool, *pooled;
  VtTapeNode  *cls_features, *dist_features, *logits_cls, *logits_dist, *logits;
  VtTapeNode  *embeds, *embeds_norm, *embeds_length;  /* CLIP: (B, E), (B, E), ‖embeds‖ (B) */
  VtTapeNode  *ids;                                /* text: the ids (B, L) as gint64 */
  gboolean     embedded;                           /* text: the last pass read given token embeddings */
  VtTapeNode  *pool_at;                            /* CLIP: the token pooled per image (B) as gint32 */
  VtTapeNode  *stats;                              /* every LayerNorm's mean and rstd */
  float       *pre_mean, *pre_rstd, *norm_mean, *norm_rstd, *fc_mean, *fc_rstd;
} ViT;

static void
vit_free (gpointer data)
{
  ViT *self = data;

  g_free (self->blocks);
  g_free (self->packed_w.pub.value);
  g_free (self->packed_b.pub.value);
  g_free (self->packed_dw);
  g_free (self->packed_db);
  vt_weights_free (self->weights);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViT, vit_free)

static gboolean
bind_affine (ViT          *self,
             Affine       *a,
             const char   *name,
             VtParamKind   kind,
             int           block,
             int           out,
             int           in,
             gboolean      optional,
             GError      **error)
{
  g_autofree char *w = g_strdup_printf ("%s.weight", name);
  g_autofree char *b = g_strdup_printf ("%s.bias", name);
  gint64 shape[2] = { out, in };
  guint ndim = in > 0 ? 2 : 1;

  if (optional)
    return vt_trainable_bind_optional (self->owner, self->weights, w, kind, block, ndim, shape, &a->w, error) &&
           vt_trainable_bind_optional (self->owner, self->weights, b, kind, block, 1, shape, &a->b, error);
  return (a->w = vt_trainable_bind (self->owner, self->weights, w, kind, block, ndim, shape, error)) &&
         (a->b = vt_trainable_bind (self->owner, self->weights, b, kind, block, 1, shape, error));
}

/* @name + ".weight" or @name + @suffix, bound as a parameter; @name may
 * be NULL (the layout has none). */
static gboolean
bind_names (ViT          *self,
            Affine       *a,
            const char   *block,
            const char   *name,
            VtParamKind   kind,
            int           index,
            int           out,
            int           in,
            gboolean      optional,
            GError      **error)
{
  g_autofree char *full = block ? g_strdup_printf ("%s.%s", block, name) : g_strdup (name);

  return bind_affine (self, a, full, kind, index, out, in, optional, error);
}

static gboolean bind_blocks (ViT *self, GError **error);

/* CLIP's projection into the joint space, (C, E) or a Linear's (E, C). */
static gboolean
bind_projection (ViT     *self,
                 GError **error)
{
  int c = self->width, e = self->embed_dim;
  gint64 shape[2] = { c, e };

  if (self->names->proj_linear)
    {
      shape[0] = e;
      shape[1] = c;
    }
  self->proj = vt_trainable_bind (self->owner, self->weights, self->names->proj, VT_PARAM_HEAD, self->depth, 2, shape,
                                  error);
  return self->proj != NULL;
}

/* Room for the packed q, k, v of one block (separate projections only). */
static void
alloc_packed (ViT *self)
{
  int c = self->width;

  self->packed_w.pub.name = "qkv (packed)";
  self->packed_w.pub.value = g_new (float, (gsize) 3 * c * c);
  self->packed_b.pub.value = g_new (float, (gsize) 3 * c);
  self->packed_dw = g_new (float, (gsize) 3 * c * c);
  self->packed_db = g_new (float, (gsize) 3 * c);
}

static gboolean
bind (ViT                   *self,
      const VtArchitecture  *arch,
      GError               **error)
{
  VtTrainable *o = self->owner;
  VtWeights *w = self->weights;
  const Names *n = self->names;
  int c = self->width, t;
  gint64 cls_shape[3] = { 1, 1, c };
  gint64 pos_shape[3] = { 1, 0, c };

  self->n_prefix = vt_weights_has (w, n->cls) + (n->dist && vt_weights_has (w, n->dist));
  t = self->n_prefix + self->grid * self->grid;
  pos_shape[1] = t;
  if (!(self->patch_w = vt_trainable_bind (o, w, n->patch_w, VT_PARAM_OTHER, -1,
                                           VT_SHAPE (c, 3, self->patch, self->patch), error)) ||
      (n->patch_b && !vt_trainable_bind_optional (o, w, n->patch_b, VT_PARAM_OTHER, -1, VT_SHAPE (c), &self->patch_b, error)) ||
      !vt_trainable_bind_optional (o, w, n->cls, VT_PARAM_OTHER, -1, n->timm_shapes ? 3 : 1,
                                   n->timm_shapes ? cls_shape : cls_shape + 2, &self->cls, error) ||
      (n->dist && !vt_trainable_bind_optional (o, w, n->dist, VT_PARAM_OTHER, -1, 3, cls_shape, &self->dist, error)) ||
      !(self->pos = vt_trainable_bind (o, w, n->pos, VT_PARAM_OTHER, -1, n->timm_shapes ? 3 : 2,
                                       n->timm_shapes ? pos_shape : pos_shape + 1, error)) ||
      (n->norm_pre && !bind_names (self, &self->norm_pre, NULL, n->norm_pre, VT_PARAM_NORM, -1, c, 0, !self->clip, error)) ||
      !bind_names (self, &self->norm, NULL, n->norm, VT_PARAM_NORM, self->depth, c, 0, !self->clip, error) ||
      (n->fc_norm && !bind_names (self, &self->fc_norm, NULL, n->fc_norm, VT_PARAM_NORM, self->depth, c, 0, TRUE, error)))
    return FALSE;
  self->embed_dim = arch->embed_dim;
  if (self->clip && !bind_projection (self, error))
    return FALSE;
  self->average = !self->clip && (self->fc_norm.w != NULL || self->cls == NULL);
  if (!self->clip && self->n_classes > 0 &&
      !bind_affine (self, &self->head, n->head, VT_PARAM_HEAD, self->depth, self->n_classes, c, FALSE, error))
    return FALSE;
  if (self->dist != NULL && self->n_classes > 0 &&
      !bind_affine (self, &self->head_dist, "head_dist", VT_PARAM_HEAD, self->depth, self->n_classes, c, FALSE, error))
    return FALSE;

  return bind_blocks (self, error);
}

static gboolean
bind_blocks (ViT     *self,
             GError **error)
{
  VtTrainable *o = self->owner;
  VtWeights *w = self->weights;
  const Names *n = self->names;
  int c = self->width;

  self->blocks = g_new0 (Block, MAX (self->depth, 1));
  for (int i = 0; i < self->depth; i++)
    {
      const VtTransformerNames *bn = n->blocks;
      Block *b = &self->blocks[i];
      g_autofree char *relative = NULL;
      g_autofree char *block = NULL;
      g_autofree char *qkv_w = NULL;
      g_autofree char *qkv_b = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      relative = g_strdup_printf (bn->block, i);
#pragma GCC diagnostic pop
      block = g_strconcat (n->blocks_prefix, relative, NULL);
      if (!bind_names (self, &b->norm1, block, bn->norm1, VT_PARAM_NORM, i, c, 0, FALSE, error))
        return FALSE;
      if (bn->qkv_weight == NULL)
        {
          if (!bind_names (self, &b->q, block, bn->q, VT_PARAM_OTHER, i, c, c, FALSE, error) ||
              !bind_names (self, &b->k, block, bn->k, VT_PARAM_OTHER, i, c, c, FALSE, error) ||
              !bind_names (self, &b->v, block, bn->v, VT_PARAM_OTHER, i, c, c, FALSE, error))
            return FALSE;
          if (self->packed_w.pub.value == NULL)
            alloc_packed (self);
          b->qkv.w = &self->packed_w;
          b->qkv.b = &self->packed_b;
        }
      else
        {
          qkv_w = g_strdup_printf ("%s.%s", block, bn->qkv_weight);
          qkv_b = g_strdup_printf ("%s.%s", block, bn->qkv_bias);
          if (!(b->qkv.w = vt_trainable_bind (o, w, qkv_w, VT_PARAM_OTHER, i, VT_SHAPE (3 * c, c), error)) ||
              !(b->qkv.b = vt_trainable_bind (o, w, qkv_b, VT_PARAM_OTHER, i, VT_SHAPE (3 * c), error)))
            return FALSE;
        }
      if (!bind_names (self, &b->proj, block, bn->proj, VT_PARAM_OTHER, i, c, c, FALSE, error) ||
          !bind_names (self, &b->norm2, block, bn->norm2, VT_PARAM_NORM, i, c, 0, FALSE, error) ||
          !bind_names (self, &b->fc1, block, bn->fc1, VT_PARAM_OTHER, i, self->mlp, c, FALSE, error) ||
          !bind_names (self, &b->fc2, block, bn->fc2, VT_PARAM_OTHER, i, c, self->mlp, FALSE, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
bind_text (ViT                   *self,
           const VtArchitecture  *arch,
           GError               **error)
{
  VtTrainable *o = self->owner;
  VtWeights *w = self->weights;
  const Names *n = self->names;
  int c = self->width;

  if (!(self->token_embedding = vt_trainable_bind (o, w, n->token_embedding, VT_PARAM_OTHER, -1,
                                                   VT_SHAPE (self->vocab, c), error)) ||
      !(self->pos = vt_trainable_bind (o, w, n->pos, VT_PARAM_OTHER, -1, VT_SHAPE (self->context, c), error)) ||
      !bind_names (self, &self->norm, NULL, n->norm, VT_PARAM_NORM, self->depth, c, 0, FALSE, error) ||
      !bind_projection (self, error))
    return FALSE;
  return bind_blocks (self, error);
}

/* ---- layout -------------------------------------------------------------- */

static VtTapeNode *
seq (VtTape     *tape,
     const char *name,
     int         batch,
     int         t,
     int         c)
{
  return vt_tape_node (tape, name, 3, (gint64[]) { batch, t, c });
}

static VtTapeNode *
rows (VtTape     *tape,
      const char *name,
      int         batch,
      int         c)
{
  return vt_tape_node (tape, name, 2, (gint64[]) { batch, c });
}

static void
vit_layout (gpointer  data,
            VtTape   *tape,
            int       batch,
            int       height,
            int       width)
{
  ViT *self = data;
  /* a text tower's tokens are its input's length */
  int c = self->width, np = self->grid * self->grid, t = self->text ? height : self->n_prefix + np;
  gsize r = (gsize) batch * t;
  const char *tp = self->names->taps;
  VtTapeNode *x;

  self->batch = batch;
  self->tokens = t;
  /* mean and rstd of ln_pre, 2 per block, the final norm: (B·T) each; fc_norm's (B) */
  self->stats = vt_tape_work (tape, 2 * r * (2 + 2 * (gsize) self->depth) + 2 * (gsize) batch);
  self->input = self->conv = self->patches = self->pre_ln = NULL;
  if (self->text)
    {
      self->ids = vt_tape_work (tape, 2 * r);
      x = self->embed = seq (tape, "text.embed.tokens", batch, t, c);
    }
  else
    {
      g_autofree char *conv = g_strconcat (tp, "embed.conv", NULL);
      g_autofree char *patch = g_strconcat (tp, "embed.patch", NULL);
      g_autofree char *pre_ln = g_strconcat (tp, "embed.pre_ln", NULL);
      g_autofree char *tokens = g_strconcat (tp, "embed.tokens", NULL);

      self->input = vt_tape_node (tape, "input", 4, (gint64[]) { batch, 3, height, width });
      self->conv = seq (tape, conv, batch, c, np);
      self->patches = seq (tape, patch, batch, np, c);
      self->pre_ln = self->norm_pre.w ? seq (tape, pre_ln, batch, t, c) : NULL;
      x = self->embed = seq (tape, tokens, batch, t, c);
    }
  for (int i = 0; i < self->depth; i++)
    {
      Block *b = &self->blocks[i];
      g_autofree char *base = g_strdup_printf ("%sblocks.%d.", tp, i);
      g_autofree char *n1 = g_strconcat (base, "norm1", NULL);
      g_autofree char *qkv = g_strconcat (base, "attn.qkv", NULL);
      g_autofree char *probs = g_strconcat (base, "attn_probs", NULL);
      g_autofree char *ctx = g_strconcat (base, "attn.ctx", NULL);
      g_autofree char *attn_out = g_strconcat (base, "attn_out", NULL);
      g_autofree char *mid = g_strconcat (base, "attn_residual", NULL);
      g_autofree char *n2 = g_strconcat (base, "norm2", NULL);
      g_autofree char *h = g_strconcat (base, "mlp.fc1", NULL);
      g_autofree char *act = g_strconcat (base, "mlp.act", NULL);
      g_autofree char *f2 = g_strconcat (base, "mlp.fc2", NULL);
      g_autofree char *out = g_strconcat (base, "out", NULL);

      b->x = x;
      b->n1 = seq (tape, n1, batch, t, c);
      b->qkv_out = seq (tape, qkv, batch, t, 3 * c);
      b->probs = vt_tape_node (tape, probs, 4, (gint64[]) { batch, self->heads, t, t });
      b->ctx = seq (tape, ctx, batch, t, c);
      b->attn_out = seq (tape, attn_out, batch, t, c);
      b->mid = seq (tape, mid, batch, t, c);
      b->n2 = seq (tape, n2, batch, t, c);
      b->h = seq (tape, h, batch, t, self->mlp);
      b->act = seq (tape, act, batch, t, self->mlp);
      b->f2 = seq (tape, f2, batch, t, c);
      x = b->out = seq (tape, out, batch, t, c);
    }
  self->cls_features = self->logits_cls = self->logits_dist = self->dist_features = self->logits = NULL;
  if (self->text)
    {
      /* as vt_vit_forward_text names them */
      self->features = seq (tape, self->names->features, batch, t, c);
      self->pooled = rows (tape, self->names->pooled, batch, c);
      self->embeds = rows (tape, "text_embeds", batch, self->embed_dim);
      self->embeds_norm = rows (tape, "text_embeds_norm", batch, self->embed_dim);
      self->embeds_length = vt_tape_work (tape, (gsize) batch);
      self->pool_at = vt_tape_work (tape, (gsize) batch);
      return;
    }
  if (self->clip)
    {
      /* as vt_vit_forward_image names them */
      self->features = seq (tape, self->names->features, batch, t, c);
      self->pooled = rows (tape, self->names->pooled, batch, c);
      self->embeds = rows (tape, "image_embeds", batch, self->embed_dim);
      vt_tape_alias (tape, self->embeds, "pre_logits");
      self->embeds_norm = rows (tape, "image_embeds_norm", batch, self->embed_dim);
      self->embeds_length = vt_tape_work (tape, (gsize) batch);
      self->pool_at = vt_tape_work (tape, (gsize) batch);
      return;
    }
  self->features = seq (tape, self->names->features, batch, t, c);
  self->mean_pool = self->average && self->fc_norm.w ? rows (tape, "pooled.mean", batch, c) : NULL;
  self->pooled = rows (tape, self->names->pooled, batch, c);
  if (self->head.w && self->dist)
    {
      self->cls_features = rows (tape, "features.cls", batch, c);
      self->dist_features = rows (tape, "features.dist", batch, c);
      self->logits_cls = rows (tape, "logits_cls", batch, self->n_classes);
      self->logits_dist = rows (tape, "logits_dist", batch, self->n_classes);
    }
  if (self->head.w)
    self->logits = rows (tape, "logits", batch, self->n_classes);
}

/* ---- forward ------------------------------------------------------------- */

static const float *
value_or_null (const VtParam *p)
{
  return p ? p->pub.value : NULL;
}

static float *
grad_or_null (const VtParam *p)
{
  return p ? p->pub.grad : NULL;
}

static void
patches_range (gsize    begin,
               gsize    end,
               gpointer data)
{
  const ViT *self = data;
  int h = (int) self->input->shape[2], w = (int) self->input->shape[3];
  gsize image = (gsize) 3 * h * w, np = (gsize) self->grid * self->grid;

  for (gsize b = begin; b < end; b++)
    vt_conv2d_forward (self->conv->value + b * self->width * np, self->input->value + b * image,
                       self->patch_w->pub.value, value_or_null (self->patch_b), 3, h, w, self->width,
                       self->patch, self->patch, self->patch, 0, NULL);
}

/* LayerNorm as vt_layernorm (vt-ops.c) computes it, in the same order, so
 * the values are the inference pass's, keeping mean and rstd (N) for
 * vt_layernorm_backward. gamma and beta may not be NULL. */
static void
layernorm_keep (float       *y,
                float       *mean_out,
                float       *rstd_out,
                const float *x,
                const float *gamma,
                const float *beta,
                gsize        n,
                int          c,
                float        eps)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *row = x + i * c;
      float *dst = y + i * c;
      double mean = 0.0, var = 0.0, rstd;

      for (int j = 0; j < c; j++)
        mean += row[j];
      mean /= c;
      for (int j = 0; j < c; j++)
        var += (row[j] - mean) * (row[j] - mean);
      rstd = 1.0 / sqrt (var / c + eps);
      for (int j = 0; j < c; j++)
        dst[j] = (float) ((row[j] - mean) * rstd) * gamma[j] + beta[j];
      mean_out[i] = (float) mean;
      rstd_out[i] = (float) rstd;
    }
}

/* Rows, heads and values split over the cores, as vt_transformer_run does. */
typedef struct
{
  const ViT   *self;
  float       *y, *mean, *rstd;
  const float *x, *gamma, *beta;
  int          c;
  const Block *block;
  float       *act;
} Work;

static void
layernorm_range (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const Work *w = data;

  layernorm_keep (w->y + begin * w->c, w->mean + begin, w->rstd + begin, w->x + begin * w->c, w->gamma, w->beta,
                  end - begin, w->c, w->self->eps);
}

static void
layernorm (const ViT    *self,
           VtTapeNode   *y,
           float        *mean,
           float        *rstd,
           const VtTapeNode *x,
           const Affine *a)
{
  int c = (int) x->shape[x->ndim - 1];
  Work work = { self, y->value, mean, rstd, x->value, a->w->pub.value, a->b->pub.value, c, NULL, NULL };

  vt_parallel_for (x->numel / c, layernorm_range, &work);
}

/* The inference pass's attention kernel, which keeps the probabilities. */
static void
attention_range (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const Work *w = data;
  const ViT *self = w->self;
  const Block *b = w->block;
  int t = self->tokens, c = self->width, heads = self->heads;
  g_autofree float *scores = g_new (float, (gsize) t * t);

  for (gsize task = begin; task < end; task++)
    {
      gsize n = task / heads;
      int head = (int) (task % heads);

      vt_attention_head (b->ctx->value + n * t * c, b->probs->value + (n * heads + head) * t * t, scores,
                         b->qkv_out->value + n * t * 3 * c, t, c, heads, head, self->text);
    }
}

/* GELU (or QuickGELU) as the inference pass applies it: in place, on a copy. */
static void
gelu_range (gsize    begin,
            gsize    end,
            gpointer data)
{
  const Work *w = data;
  gsize mlp = w->self->mlp;

  memcpy (w->act + begin * mlp, w->x + begin * mlp, sizeof (float) * (end - begin) * mlp);
  if (w->self->quick_gelu)
    vt_quick_gelu (w->act + begin * mlp, (end - begin) * mlp);
  else
    vt_gelu (w->act + begin * mlp, (end - begin) * mlp);
}

/* Block @b's separate q, k, v into the packed qkv (their present values,
 * which training may have changed), and the packed gradient zeroed where
 * any of them trains. */
static void
pack_qkv (ViT         *self,
          const Block *b)
{
  const Affine *parts[3] = { &b->q, &b->k, &b->v };
  gsize c = self->width;
  gboolean w_trains = FALSE, b_trains = FALSE;

  for (int i = 0; i < 3; i++)
    {
      memcpy (self->packed_w.pub.value + i * c * c, parts[i]->w->pub.value, sizeof (float) * c * c);
      memcpy (self->packed_b.pub.value + i * c, parts[i]->b->pub.value, sizeof (float) * c);
      w_trains |= parts[i]->w->pub.grad != NULL;
      b_trains |= parts[i]->b->pub.grad != NULL;
    }
  self->packed_w.pub.grad = w_trains ? memset (self->packed_dw, 0, sizeof (float) * 3 * c * c) : NULL;
  self->packed_b.pub.grad = b_trains ? memset (self->packed_db, 0, sizeof (float) * 3 * c) : NULL;
}

/* The packed gradient of pack_qkv's block added into its q, k, v (+=). */
static void
unpack_qkv_grad (ViT         *self,
                 const Block *b)
{
  const Affine *parts[3] = { &b->q, &b->k, &b->v };
  gsize c = self->width;

  for (int i = 0; i < 3; i++)
    {
      if (parts[i]->w->pub.grad && self->packed_w.pub.grad)
        vt_add (parts[i]->w->pub.grad, self->packed_w.pub.grad + i * c * c, c * c);
      if (parts[i]->b->pub.grad && self->packed_b.pub.grad)
        vt_add (parts[i]->b->pub.grad, self->packed_b.pub.grad + i * c, c);
    }
}

/* The LayerNorms' statistics, in the arena's work node. */
static void
assign_stats (ViT *self)
{
  gsize r = (gsize) self->batch * self->tokens, at = 0;

#define TAKE(n) (self->stats->value + (at += (n)) - (n))
  self->pre_mean = TAKE (r);
  self->pre_rstd = TAKE (r);
  self->norm_mean = TAKE (r);
  self->norm_rstd = TAKE (r);
  self->fc_mean = TAKE ((gsize) self->batch);
  self->fc_rstd = TAKE ((gsize) self->batch);
  for (int i = 0; i < self->depth; i++)
    {
      Block *b = &self->blocks[i];

      b->mean1 = TAKE (r);
      b->rstd1 = TAKE (r);
      b->mean2 = TAKE (r);
      b->rstd2 = TAKE (r);
    }
#undef TAKE
}

/* A text tower's tokens: token embedding (the given ones, or the rows the
 * ids pick) plus position embedding; the pooled token is the end of text,
 * the largest id (the first of equals). */
static void
embed_text (ViT               *self,
            const VtTextInput *input)
{
  int c = self->width, t = self->tokens;
  gint64 *kept = (gint64 *) self->ids->value;
  gint32 *pool_at = (gint32 *) self->pool_at->value;

  memcpy (kept, input->ids, sizeof (gint64) * self->batch * t);
  self->embedded = input->embeddings != NULL;
  for (int b = 0; b < self->batch; b++)
    {
      const gint64 *row = input->ids + (gsize) b * t;
      float *x = self->embed->value + (gsize) b * t * c;
      int eot = 0;

      for (int i = 0; i < t; i++)
        {
          const float *token = input->embeddings ? input->embeddings + ((gsize) b * t + i) * c
                                                 : self->token_embedding->pub.value + (gsize) row[i] * c;

          for (int ch = 0; ch < c; ch++)
            x[(gsize) i * c + ch] = token[ch] + self->pos->pub.value[(gsize) i * c + ch];
        }
      for (int i = 1; i < t; i++)
        if (row[i] > row[eot])
          eot = i;
      pool_at[b] = eot;
    }
}

static void
vit_forward (gpointer      data,
             gconstpointer input)
{
  ViT *self = data;
  int c = self->width, t = self->tokens, np = t - self->n_prefix, batch = self->batch;
  gsize r = (gsize) batch * t;
  VtTapeNode *x;

  assign_stats (self);
  if (self->text)
    embed_text (self, input);
  else
    {
      memcpy (self->input->value, input, sizeof (float) * self->input->numel);
      vt_parallel_for_single_blas ((gsize) batch, patches_range, self);
    }

  /* tokens: the prefix, then the patches (C, np) -> (np, C), plus the position embedding */
  x = self->pre_ln ? self->pre_ln : self->embed;
  for (int b = 0; b < batch && !self->text; b++)
    {
      const float *conv = self->conv->value + (gsize) b * c * np;
      float *patches = self->patches->value + (gsize) b * np * c;
      float *tokens = x->value + (gsize) b * t * c;

      for (int p = 0; p < np; p++)
        for (int ch = 0; ch < c; ch++)
          patches[(gsize) p * c + ch] = conv[(gsize) ch * np + p];
      if (self->cls)
        memcpy (tokens, self->cls->pub.value, sizeof (float) * c);
      if (self->dist)
        memcpy (tokens + c, self->dist->pub.value, sizeof (float) * c);
      memcpy (tokens + (gsize) self->n_prefix * c, patches, sizeof (float) * np * c);
      vt_add (tokens, self->pos->pub.value, (gsize) t * c);
    }
  if (self->pre_ln)
    layernorm (self, self->embed, self->pre_mean, self->pre_rstd, self->pre_ln, &self->norm_pre);

  for (int i = 0; i < self->depth; i++)
    {
      Block *b = &self->blocks[i];

      Work work = { self, NULL, NULL, NULL, b->h->value, NULL, NULL, c, b, b->act->value };

      layernorm (self, b->n1, b->mean1, b->rstd1, b->x, &b->norm1);
      if (b->q.w)
        pack_qkv (self, b);
      vt_linear_forward (b->qkv_out->value, b->n1->value, b->qkv.w->pub.value, b->qkv.b->pub.value, (int) r, c, 3 * c);
      /* per image and head, single-threaded products (as vt_transformer_run) */
      vt_parallel_for_single_blas ((gsize) batch * self->heads, attention_range, &work);
      vt_linear_forward (b->attn_out->value, b->ctx->value, b->proj.w->pub.value, b->proj.b->pub.value, (int) r, c, c);
      vt_residual_forward (b->mid->value, b->x->value, b->attn_out->value, r * c);
      layernorm (self, b->n2, b->mean2, b->rstd2, b->mid, &b->norm2);
      vt_linear_forward (b->h->value, b->n2->value, b->fc1.w->pub.value, b->fc1.b->pub.value, (int) r, c, self->mlp);
      vt_parallel_for (r, gelu_range, &work);
      vt_linear_forward (b->f2->value, b->act->value, b->fc2.w->pub.value, b->fc2.b->pub.value, (int) r, self->mlp, c);
      vt_residual_forward (b->out->value, b->mid->value, b->f2->value, r * c);
    }
  x = self->depth > 0 ? self->blocks[self->depth - 1].out : self->embed;

  /* the final norm over every token (Identity under average pooling) */
  if (self->norm.w)
    layernorm (self, self->features, self->norm_mean, self->norm_rstd, x, &self->norm);
  else
    memcpy (self->features->value, x->value, sizeof (float) * r * c);

  if (self->clip || self->text)
    {
      /* the class token (a text's end), its projection, and that normalized, one by one as vt-vit.c */
      for (int b = 0; b < batch; b++)
        {
          int e = self->embed_dim;
          float *pooled = self->pooled->value + (gsize) b * c, *embeds = self->embeds->value + (gsize) b * e;
          double length = 0.0;

          gsize token = self->text ? (gsize) ((gint32 *) self->pool_at->value)[b] : 0;

          memcpy (pooled, self->features->value + ((gsize) b * t + token) * c, sizeof (float) * c);
          if (self->names->proj_linear)
            vt_linear_forward (embeds, pooled, self->proj->pub.value, NULL, 1, c, e);
          else
            vt_matmul_forward (embeds, pooled, self->proj->pub.value, 1, c, e);
          vt_l2_normalize (self->embeds_norm->value + (gsize) b * e, embeds, e);
          for (int i = 0; i < e; i++)
            length += (double) embeds[i] * embeds[i];
          self->embeds_length->value[b] = (float) sqrt (length);
        }
      return;
    }
  for (int b = 0; b < batch; b++)
    {
      const float *f = self->features->value + (gsize) b * t * c;
      float *pooled = (self->mean_pool ? self->mean_pool : self->pooled)->value + (gsize) b * c;

      if (self->dist)
        for (int ch = 0; ch < c; ch++)
          pooled[ch] = (f[ch] + f[c + ch]) / 2;
      else if (self->average)
        for (int ch = 0; ch < c; ch++)
          {
            double acc = 0.0;

            for (int i = self->n_prefix; i < t; i++)
              acc += f[(gsize) i * c + ch];
            pooled[ch] = (float) (acc / np);
          }
      else
        memcpy (pooled, f, sizeof (float) * c);
      if (self->cls_features)
        {
          memcpy (self->cls_features->value + (gsize) b * c, f, sizeof (float) * c);
          memcpy (self->dist_features->value + (gsize) b * c, f + c, sizeof (float) * c);
        }
    }
  if (self->mean_pool)
    layernorm (self, self->pooled, self->fc_mean, self->fc_rstd, self->mean_pool, &self->fc_norm);

  /* The heads image by image, as the inference pass runs them (a product
   * of one row rounds as a product of one row). */
  for (int b = 0; b < batch && self->logits; b++)
    {
      int k = self->n_classes;
      gsize at = (gsize) b * k;

      if (self->cls_features)
        {
          vt_linear_forward (self->logits_cls->value + at, self->cls_features->value + (gsize) b * c,
                             self->head.w->pub.value, self->head.b->pub.value, 1, c, k);
          vt_linear_forward (self->logits_dist->value + at, self->dist_features->value + (gsize) b * c,
                             self->head_dist.w->pub.value, self->head_dist.b->pub.value, 1, c, k);
          for (int i = 0; i < k; i++)
            self->logits->value[at + i] = (self->logits_cls->value[at + i] + self->logits_dist->value[at + i]) / 2;
        }
      else
        vt_linear_forward (self->logits->value + at, self->pooled->value + (gsize) b * c, self->head.w->pub.value,
                           self->head.b->pub.value, 1, c, k);
    }
}

/* ---- backward ------------------------------------------------------------ */

static gboolean
live (const VtTapeNode *node,
      const VtTapeNode *target)
{
  return node != NULL && node->order <= target->order;
}

static void
linear_backward (const VtTapeNode *y,
                 const VtTapeNode *x,
                 const Affine     *a,
                 const VtTapeNode *target)
{
  int in = (int) x->shape[x->ndim - 1], out = (int) y->shape[y->ndim - 1];

  if (live (y, target))
    vt_linear_backward (x->grad, grad_or_null (a->w), grad_or_null (a->b), y->grad, x->value, a->w->pub.value,
                        (int) (y->numel / out), in, out);
}

static void
layernorm_backward (const VtTapeNode *y,
                    const VtTapeNode *x,
                    const Affine     *a,
                    const float      *mean,
                    const float      *rstd,
                    const VtTapeNode *target)
{
  int c = (int) x->shape[x->ndim - 1];

  if (live (y, target))
    vt_layernorm_backward (x->grad, grad_or_null (a->w), grad_or_null (a->b), y->grad, x->value,
                           a->w->pub.value, mean, rstd, (int) (x->numel / c), c);
}

/* probs->grad (B, heads, T, T) += ∂ctx · vᵀ per head: the gradient that
 * reaches the probabilities through ctx = probs · v. */
static void
probs_grad (const ViT   *self,
            const Block *b)
{
  int t = self->tokens, c = self->width, d = c / self->heads;

  for (int n = 0; n < self->batch; n++)
    for (int h = 0; h < self->heads; h++)
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d, 1.0f,
                   b->ctx->grad + (gsize) n * t * c + h * d, c,
                   b->qkv_out->value + (gsize) n * t * 3 * c + 2 * c + h * d, 3 * c, 1.0f,
                   b->probs->grad + ((gsize) n * self->heads + h) * t * t, t);
}

static void
block_backward (ViT              *self,
                const Block      *b,
                const VtTapeNode *target)
{
  gsize n = b->out->numel;

  if (live (b->out, target))
    vt_residual_backward (b->mid->grad, b->f2->grad, b->out->grad, n);
  linear_backward (b->f2, b->act, &b->fc2, target);
  if (live (b->act, target) && self->quick_gelu)
    vt_quick_gelu_backward (b->h->grad, b->act->grad, b->h->value, b->h->numel);
  else if (live (b->act, target))
    vt_gelu_backward (b->h->grad, b->act->grad, b->h->value, b->h->numel);
  linear_backward (b->h, b->n2, &b->fc1, target);
  layernorm_backward (b->n2, b->mid, &b->norm2, b->mean2, b->rstd2, target);
  if (live (b->mid, target))
    vt_residual_backward (b->x->grad, b->attn_out->grad, b->mid->grad, n);
  linear_backward (b->attn_out, b->ctx, &b->proj, target);
  if (live (b->probs, target))
    {
      /* probs->grad holds only the target's own gradient here (zero unless
       * it is the target): the attention's backward pass adds the path
       * through ctx itself. The full ∂S/∂probs, for its tap, after. */
      vt_attn_backward (b->qkv_out->grad, b->ctx->grad, b->probs->grad, b->qkv_out->value, b->probs->value,
                        self->batch, self->tokens, self->width, self->heads);
      probs_grad (self, b);
    }
  if (b->q.w && live (b->qkv_out, target))
    {
      pack_qkv (self, b);
      linear_backward (b->qkv_out, b->n1, &b->qkv, target);
      unpack_qkv_grad (self, b);
    }
  else
    linear_backward (b->qkv_out, b->n1, &b->qkv, target);
  layernorm_backward (b->n1, b->x, &b->norm1, b->mean1, b->rstd1, target);
}

static void
vit_backward (gpointer          data,
              const VtTapeNode *target,
              gboolean          input)
{
  ViT *self = data;
  int c = self->width, t = self->tokens, np = t - self->n_prefix, batch = self->batch;
  const VtTapeNode *last = self->depth > 0 ? self->blocks[self->depth - 1].out : self->embed;

  /* CLIP: the normalization, the projection, the class token (a text's end) */
  if (self->clip || self->text)
    {
      int e = self->embed_dim;

      if (live (self->embeds_norm, target))
        vt_l2norm_backward (self->embeds->grad, self->embeds_norm->grad, self->embeds_norm->value,
                            self->embeds_length->value, batch, e);
      if (live (self->embeds, target) && self->names->proj_linear)
        /* embeds = pooled · Pᵀ, P (E, C): a Linear without bias */
        vt_linear_backward (self->pooled->grad, self->proj->pub.grad, NULL, self->embeds->grad, self->pooled->value,
                            self->proj->pub.value, batch, c, e);
      else if (live (self->embeds, target))
        {
          /* embeds = pooled · P: dpooled += dembeds · Pᵀ, dP += pooledᵀ · dembeds */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, batch, c, e, 1.0f, self->embeds->grad, e,
                       self->proj->pub.value, e, 1.0f, self->pooled->grad, c);
          if (self->proj->pub.grad)
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, c, e, batch, 1.0f, self->pooled->value, c,
                         self->embeds->grad, e, 1.0f, self->proj->pub.grad, e);
        }
      if (live (self->pooled, target))
        for (int b = 0; b < batch; b++)
          {
            gsize token = self->text ? (gsize) ((gint32 *) self->pool_at->value)[b] : 0;

            vt_add (self->features->grad + ((gsize) b * t + token) * c, self->pooled->grad + (gsize) b * c, c);
          }
    }
  /* the heads */
  if (self->cls_features)
    {
      if (live (self->logits, target))
        for (gsize i = 0; i < self->logits->numel; i++)
          {
            self->logits_cls->grad[i] += self->logits->grad[i] / 2;
            self->logits_dist->grad[i] += self->logits->grad[i] / 2;
          }
      linear_backward (self->logits_dist, self->dist_features, &self->head_dist, target);
      linear_backward (self->logits_cls, self->cls_features, &self->head, target);
    }
  else if (self->logits)
    linear_backward (self->logits, self->pooled, &self->head, target);
  if (self->mean_pool)
    layernorm_backward (self->pooled, self->mean_pool, &self->fc_norm, self->fc_mean, self->fc_rstd, target);

  /* the pooling, back onto the features */
  for (int b = 0; b < batch && !self->clip && !self->text; b++)
    {
      float *df = self->features->grad + (gsize) b * t * c;
      const float *dp = (self->mean_pool ? self->mean_pool : self->pooled)->grad + (gsize) b * c;

      if (live (self->pooled, target))
        for (int ch = 0; ch < c; ch++)
          {
            if (self->dist)
              {
                df[ch] += dp[ch] / 2;
                df[c + ch] += dp[ch] / 2;
              }
            else if (self->average)
              for (int i = self->n_prefix; i < t; i++)
                df[(gsize) i * c + ch] += dp[ch] / np;
            else
              df[ch] += dp[ch];
          }
      if (self->cls_features && live (self->dist_features, target))
        for (int ch = 0; ch < c; ch++)
          {
            df[ch] += self->cls_features->grad[(gsize) b * c + ch];
            df[c + ch] += self->dist_features->grad[(gsize) b * c + ch];
          }
    }
  if (self->norm.w)
    layernorm_backward (self->features, last, &self->norm, self->norm_mean, self->norm_rstd, target);
  else if (live (self->features, target))
    vt_residual_backward (last->grad, NULL, self->features->grad, last->numel);

  for (int i = self->depth - 1; i >= 0; i--)
    block_backward (self, &self->blocks[i], target);
  if (self->pre_ln)
    layernorm_backward (self->embed, self->pre_ln, &self->norm_pre, self->pre_mean, self->pre_rstd, target);

  /* a text's tokens: the position embedding, and the rows of the token
   * embedding that the ids picked (none when the embeddings were given:
   * their gradient is text.embed.tokens') */
  if (self->text)
    {
      const gint64 *ids = (const gint64 *) self->ids->value;

      if (!live (self->embed, target))
        return;
      for (int b = 0; b < batch; b++)
        {
          const float *d = self->embed->grad + (gsize) b * t * c;

          if (self->pos->pub.grad)
            vt_add (self->pos->pub.grad, d, (gsize) t * c);
          for (int i = 0; self->token_embedding->pub.grad && !self->embedded && i < t; i++)
            vt_add (self->token_embedding->pub.grad + (gsize) ids[(gsize) b * t + i] * c, d + (gsize) i * c, c);
        }
      return;
    }

  /* the tokens: position embedding, prefix tokens, patches */
  {
    const VtTapeNode *tokens = self->pre_ln ? self->pre_ln : self->embed;

    if (!live (tokens, target))
      return;
    for (int b = 0; b < batch; b++)
      {
        const float *d = tokens->grad + (gsize) b * t * c;
        float *dpatches = self->patches->grad + (gsize) b * np * c;
        float *dconv = self->conv->grad + (gsize) b * c * np;

        if (self->pos->pub.grad)
          vt_add (self->pos->pub.grad, d, (gsize) t * c);
        if (self->cls && self->cls->pub.grad)
          vt_add (self->cls->pub.grad, d, c);
        if (self->dist && self->dist->pub.grad)
          vt_add (self->dist->pub.grad, d + c, c);
        vt_add (dpatches, d + (gsize) self->n_prefix * c, (gsize) np * c);
        for (int p = 0; p < np; p++)
          for (int ch = 0; ch < c; ch++)
            dconv[(gsize) ch * np + p] += dpatches[(gsize) p * c + ch];
      }
  }
  {
    VtConvShape shape = { batch, 3, (int) self->input->shape[2], (int) self->input->shape[3], c,
                          self->patch, self->patch, self->patch, 0, 1 };

    vt_conv_backward (input ? self->input->grad : NULL, self->patch_w->pub.grad, grad_or_null (self->patch_b),
                      self->conv->grad, self->input->value, self->patch_w->pub.value, &shape);
  }
}

static gboolean
vit_check_input (gpointer   data,
                 int        height,
                 int        width,
                 GError   **error)
{
  ViT *self = data;

  if (self->text && (height <= 0 || height > self->context))
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "token sequences of length %d do not fit the context length %d", height, self->context);
      return FALSE;
    }
  if (self->text)
    return TRUE;

  /* The resampled position embedding has no backward pass here yet. */
  if (height != self->image || width != self->image)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "the input is %d×%d; gradients of this ViT are computed at its trained size, %d×%d",
                   width, height, self->image, self->image);
      return FALSE;
    }
  return TRUE;
}

static const VtTrainableFamily vit_family = {
  vit_check_input, vit_layout, vit_forward, vit_backward, vit_free,
};

gpointer
vt_trainable_vit_new (VtTrainable               *owner,
                      VtCheckpoint              *checkpoint,
                      const VtArchitecture      *arch,
                      const VtTrainableFamily  **family,
                      GError                   **error)
{
  g_autoptr(ViT) self = g_new0 (ViT, 1);

  self->owner = owner;
  self->weights = vt_weights_new (checkpoint, arch->prefix);
  self->names = arch->family == VT_ARCH_OPENCLIP ? &openclip_names
              : arch->family == VT_ARCH_HF_CLIP ? &hf_names
              : arch->family == VT_ARCH_TORCHVISION_VIT ? &torchvision_names
              : &timm_names;
  self->clip = self->names->proj != NULL;
  self->quick_gelu = self->clip && arch->quick_gelu;
  self->width = arch->width;
  self->patch = arch->patch_size;
  self->image = arch->image_size;
  self->grid = self->patch > 0 ? self->image / self->patch : 0;
  self->depth = arch->depth;
  self->heads = arch->heads;
  self->mlp = arch->mlp_width;
  self->n_classes = arch->num_classes;
  self->eps = self->names->eps;
  if (self->patch <= 0 || self->grid <= 0 || self->heads <= 0 || self->width % self->heads != 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_SHAPE,
                   "%s: a ViT of width %d, %d heads and %d-pixel patches at %d pixels has no backward pass",
                   vt_checkpoint_get_path (checkpoint), self->width, self->heads, self->patch, self->image);
      return NULL;
    }
  if (!bind (self, arch, error))
    return NULL;
  vt_trainable_set_n_blocks (owner, self->depth);
  *family = &vit_family;
  return g_steal_pointer (&self);
}

gpointer
vt_trainable_text_new (VtTrainable               *owner,
                       VtCheckpoint              *checkpoint,
                       const VtArchitecture      *arch,
                       const VtTrainableFamily  **family,
                       GError                   **error)
{
  g_autoptr(ViT) self = g_new0 (ViT, 1);
  const Names *names = arch->family == VT_ARCH_HF_CLIP ? &hf_text_names : &openclip_text_names;
  g_autofree char *first = NULL;
  g_autofree char *fc1 = NULL;
  const VtTensor *fc1_tensor;

  /* the first block's fc1 gives the MLP width */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  first = g_strdup_printf (names->blocks->block, 0);
#pragma GCC diagnostic pop
  fc1 = g_strdup_printf ("%s%s%s.%s.weight", arch->prefix, names->blocks_prefix, first, names->blocks->fc1);
  fc1_tensor = vt_checkpoint_lookup (checkpoint, fc1);
  self->owner = owner;
  self->weights = vt_weights_new (checkpoint, arch->prefix);
  self->text = TRUE;
  self->names = names;
  self->quick_gelu = arch->text_quick_gelu;
  self->width = arch->text_width;
  self->depth = arch->text_depth;
  self->heads = arch->text_heads;
  self->mlp = fc1_tensor && fc1_tensor->ndim == 2 ? (int) fc1_tensor->shape[0] : 4 * self->width;
  self->vocab = arch->vocab_size;
  self->context = arch->context_length;
  self->embed_dim = arch->embed_dim;
  self->eps = self->names->eps;
  if (self->heads <= 0 || self->width % self->heads != 0 || self->vocab <= 0 || self->context <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_SHAPE,
                   "%s: a text tower of width %d, %d heads, %d tokens and a context of %d has no backward pass",
                   vt_checkpoint_get_path (checkpoint), self->width, self->heads, self->vocab, self->context);
      return NULL;
    }
  if (!bind_text (self, arch, error))
    return NULL;
  vt_trainable_set_n_blocks (owner, self->depth);
  vt_trainable_set_token_embedding (owner, self->token_embedding);
  *family = &vit_family;
  return g_steal_pointer (&self);
}
