/* vt-linear.h: the backward pass of nn.Linear.
 *
 * The forward pass is vt_linear_forward (vt-ops.h): it keeps nothing, since
 * the backward pass needs only its input x and the weight. Gradients are
 * accumulated (+=), so that a parameter used twice, or a batch cut in
 * parts, sums its contributions; the caller zeroes them once per step. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For y (N, out) = x (N, in) · Wᵀ + b, W (out, in), from dy (N, out):
 *   dx (N, in)   += dy · W
 *   dw (out, in) += dyᵀ · x
 *   db (out)     += Σₙ dy
 * Any of dx, dw, db may be NULL (an input or parameter that needs none).
 * The fast path multiplies with OpenBLAS; the naive one sums in double. */
void vt_linear_backward       (float *dx, float *dw, float *db, const float *dy,
                               const float *x, const float *w, int n, int in, int out);
void vt_linear_backward_naive (float *dx, float *dw, float *db, const float *dy,
                               const float *x, const float *w, int n, int in, int out);

G_END_DECLS
