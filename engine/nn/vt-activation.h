/* vt-activation.h: pointwise ops with their backward passes, on n values:
 * ReLU, GELU (erf and tanh forms), QuickGELU, sigmoid, and the residual
 * add. Forward passes write y from x (y may be x only where noted); the
 * backward passes read what they say and accumulate dx += dy · f′. They
 * use libm's erf, tanh and exp: the forward passes that only infer keep
 * their faster approximations (vt-ops.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* y = max(x, 0); y may be x. The backward pass reads y (y > 0 ⇔ x > 0). */
void vt_relu_forward        (float *y, const float *x, gsize n);
void vt_relu_backward       (float *dx, const float *dy, const float *y, gsize n);

/* nn.GELU(): y = x · Φ(x), exact; and nn.GELU(approximate="tanh"):
 * y = x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³))). Backward reads x. */
void vt_gelu_forward        (float *y, const float *x, gsize n);
void vt_gelu_backward       (float *dx, const float *dy, const float *x, gsize n);
void vt_gelu_tanh_forward   (float *y, const float *x, gsize n);
void vt_gelu_tanh_backward  (float *dx, const float *dy, const float *x, gsize n);

/* OpenAI CLIP's QuickGELU, y = x · σ(1.702 x). Backward reads x. */
void vt_quick_gelu_forward  (float *y, const float *x, gsize n);
void vt_quick_gelu_backward (float *dx, const float *dy, const float *x, gsize n);

/* y = σ(x) = 1 / (1 + e^−x); y may be x. Backward reads y: σ′ = y (1 − y). */
void vt_sigmoid_forward     (float *y, const float *x, gsize n);
void vt_sigmoid_backward    (float *dx, const float *dy, const float *y, gsize n);

/* A residual connection, y = a + b (y may be a or b); its backward pass
 * gives dy to both branches: da += dy, db += dy (either may be NULL). */
void vt_residual_forward    (float *y, const float *a, const float *b, gsize n);
void vt_residual_backward   (float *da, float *db, const float *dy, gsize n);

G_END_DECLS
