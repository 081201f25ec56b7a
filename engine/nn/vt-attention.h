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

G_END_DECLS
