/* vt-cosine.h: L2 normalization and cosine logits with a scale (CLIP's
 * logits, a cosine classifier's head), forward and backward. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* F.normalize(x, dim=-1): y (N, C) = x / max(‖x‖₂, 1e-12) row by row; keeps
 * norm (N), ‖x‖₂, for the backward pass:
 *   dx += (dy − y (y · dy)) / ‖x‖  (dy / 1e-12 where the norm was clamped). */
void vt_l2norm_forward   (float *y, float *norm, const float *x, int n, int c);
void vt_l2norm_backward  (float *dx, const float *dy, const float *y, const float *norm,
                          int n, int c);

/* logits (N, M) = scale · â b̂ᵀ, â = normalize(a (N, C)), b̂ = normalize(b
 * (M, C)). The forward pass keeps â (N, C), b̂ (M, C) and their norms (N),
 * (M). From dlogits: da, db += ∂ and *dscale += Σ dlogits ⊙ â b̂ᵀ; any may be
 * NULL (a fixed scale, frozen class vectors). */
void vt_cosine_logits_forward  (float *logits, float *a_hat, float *a_norm, float *b_hat,
                                float *b_norm, const float *a, const float *b, float scale,
                                int n, int m, int c);
void vt_cosine_logits_backward (float *da, float *db, float *dscale, const float *dlogits,
                                const float *a_hat, const float *a_norm, const float *b_hat,
                                const float *b_norm, float scale, int n, int m, int c);

G_END_DECLS
