/* vt-transformer.h: a stack of pre-norm transformer blocks,
 *   x = x + proj(attention(norm1(x)));  x = x + fc2(act(fc1(norm2(x))))
 * as timm's ViT, OpenCLIP's two towers and Hugging Face's CLIP build it.
 * Only the tensor names differ, given by a VtTransformerNames table. */
#pragma once

#include "core/vt-buffer-pool.h"
#include "models/vt-taps.h"
#include "models/vt-weights.h"

G_BEGIN_DECLS

typedef struct
{
  const char *block;        /* printf format of a block's path, with %d: "blocks.%d" */
  const char *norm1;        /* relative to the block: "norm1" */
  const char *qkv_weight;   /* packed (3C, C): "attn.qkv.weight"; NULL when separate */
  const char *qkv_bias;
  const char *q, *k, *v;    /* separate projections (Hugging Face): "self_attn.q_proj" */
  const char *proj;         /* "attn.proj" (.weight, .bias) */
  const char *norm2;
  const char *fc1;
  const char *fc2;
} VtTransformerNames;

extern const VtTransformerNames vt_transformer_names_timm;
extern const VtTransformerNames vt_transformer_names_openclip;
extern const VtTransformerNames vt_transformer_names_torchvision;
extern const VtTransformerNames vt_transformer_names_hf;

typedef struct
{
  const float *norm1_w, *norm1_b, *qkv_w, *qkv_b, *proj_w, *proj_b;
  const float *norm2_w, *norm2_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b;
} VtTransformerBlock;

typedef struct
{
  int                  depth;
  int                  width;
  int                  heads;
  int                  mlp;
  float                eps;
  gboolean             quick_gelu;
  gboolean             causal;
  VtTransformerBlock  *blocks;
  VtBufferPool        *buffers;   /* vt_transformer_run's work arrays */
} VtTransformer;

/* Binds @depth blocks named by @names under @prefix ("", "visual.transformer."). */
gboolean vt_transformer_bind   (VtTransformer             *tr,
                                VtWeights                 *weights,
                                const VtTransformerNames  *names,
                                const char                *prefix,
                                int                        depth,
                                int                        width,
                                int                        heads,
                                int                        mlp,
                                GError                   **error);
void     vt_transformer_clear  (VtTransformer             *tr);

/* Runs the blocks on x (B, T, C), in place. Every linear layer is one
 * matrix product over all B·T tokens; attention runs per image and head.
 * With VT_TAP_ATTENTION it stores "<tap_prefix>blocks.i.attn_probs"
 * (B, H, T, T) and ".attn_out" (B, T, C); with VT_TAP_BLOCKS ".out". */
void     vt_transformer_run    (const VtTransformer       *tr,
                                float                     *x,
                                int                        batch,
                                int                        t,
                                VtTaps                    *taps,
                                const char                *tap_prefix,
                                VtTapFlags                 flags);
/* The bytes vt_transformer_run allocates for @batch sequences of @t
 * tokens with @flags: its work arrays and taps. */
double   vt_transformer_run_bytes (const VtTransformer    *tr,
                                   int                     batch,
                                   int                     t,
                                   VtTapFlags              flags);

G_END_DECLS
