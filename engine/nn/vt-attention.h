/* vt-attention.h: multi-head softmax attention, forward and backward, on
 * packed projections as the forward passes lay them out (vt-ops.h).
 *
 * qkv (B, T, 3C): q, k, v side by side, head h in columns h·D … h·D+D−1 of
 * each (D = C / heads). out (B, T, C) = softmax(q kᵀ / √D [+ causal mask]) v,
 * heads side by side. probs (B, heads, T, T) is kept by the forward pass:
 * the backward pass needs it, and it is an output of its own, whose
 * gradient can be given (dprobs, or NULL when nothing reads it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void vt_attn_forward         (float *out, float *probs, const float *qkv,
                              int b, int t, int c, int heads, gboolean causal);
void vt_attn_forward_naive   (float *out, float *probs, const float *qkv,
                              int b, int t, int c, int heads, gboolean causal);

/* From dout (B, T, C) and dprobs (B, heads, T, T) or NULL: dqkv (B, T, 3C) += ∂. */
void vt_attn_backward        (float *dqkv, const float *dout, const float *dprobs,
                              const float *qkv, const float *probs,
                              int b, int t, int c, int heads);
void vt_attn_backward_naive  (float *dqkv, const float *dout, const float *dprobs,
                              const float *qkv, const float *probs,
                              int b, int t, int c, int heads);

/* CLIP's attention pooling (ModifiedResNet's AttentionPool2d), on a batch:
 * x (N, C, HW) becomes tokens (N, T, C), T = 1 + HW: the mean over HW
 * first, then each position, plus pos (T, C); one query, from the first
 * token, attends over all T with separate q, k, v projections (C, C) and
 * biases (C); out (N, E) = the heads' outputs · c_wᵀ + c_b, c_w (E, C).
 * Parameters and their gradients come in one struct each (a gradient
 * NULL where nothing needs it). */
typedef struct
{
  float *pos, *q_w, *q_b, *k_w, *k_b, *v_w, *v_b, *c_w, *c_b;
} VtAttnPoolParams;

/* What the forward pass keeps for the backward pass, each (N, …) as
 * allocated by vt_attn_pool_saved_new for a batch of N: tokens (N, T, C),
 * q (N, C), k and v (N, T, C), probs (N, heads, T), the attention's output
 * ctx (N, C). probs is an output too (attn_probs). */
typedef struct
{
  int    n, t, c, e, heads;
  float *tokens, *q, *k, *v, *probs, *ctx;
} VtAttnPoolSaved;

VtAttnPoolSaved *vt_attn_pool_saved_new  (int n, int hw, int c, int e, int heads);
void             vt_attn_pool_saved_free (VtAttnPoolSaved *saved);

void vt_attn_pool_forward  (float *out, VtAttnPoolSaved *saved, const float *x,
                            const VtAttnPoolParams *params);
/* From dout (N, E) and dprobs (N, heads, T) or NULL: dx (N, C, HW) += ∂
 * (may be NULL) and every non-NULL gradient in @grads += ∂. */
void vt_attn_pool_backward (float *dx, const VtAttnPoolParams *grads, const float *dout,
                            const float *dprobs, const VtAttnPoolSaved *saved,
                            const VtAttnPoolParams *params);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtAttnPoolSaved, vt_attn_pool_saved_free)

G_END_DECLS
