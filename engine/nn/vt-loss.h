/* vt-loss.h: losses, each a forward pass that returns the (mean) loss and
 * keeps what its backward pass needs, and a backward pass that accumulates
 * dinput += ∂loss/∂input · dloss. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_LOSS_ERROR (vt_loss_error_quark ())
GQuark vt_loss_error_quark (void);

typedef enum
{
  VT_LOSS_ERROR_TARGET,   /* a class index outside [0, K) that is not the ignore index */
  VT_LOSS_ERROR_EMPTY,    /* no sample counts: all ignored, or their weights sum to 0 */
} VtLossError;

/* Softmax cross-entropy, logits (N, K), target (N) class indices, as
 * F.cross_entropy(label_smoothing=ε, ignore_index=…): sample i's loss is
 *   ℓᵢ = −Σₖ qᵢₖ log pᵢₖ,  q = (1 − ε) onehot(targetᵢ) + ε / K,
 * and the loss Σᵢ wᵢ ℓᵢ / Σᵢ wᵢ over the samples whose target is not
 * @ignore_index, with per-sample weights w (N), or 1 where @weight is NULL
 * (then it is F.cross_entropy's mean). Keeps probs (N, K). Returns the loss,
 * or NaN with @error set. */
double vt_cross_entropy_forward  (float *probs, const float *logits, const gint32 *target,
                                  const float *weight, int n, int k, float smoothing,
                                  gint32 ignore_index, GError **error);
/* dlogits (N, K) += dloss · wᵢ / Σw · (pᵢ − qᵢ); ignored samples get none. */
void   vt_cross_entropy_backward (float *dlogits, const float *probs, const gint32 *target,
                                  const float *weight, int n, int k, float smoothing,
                                  gint32 ignore_index, float dloss);

/* How many of the @n rows of logits (N, K) have their largest value (the
 * first of ties) at the row's target: the top-1 hits a training loop
 * reports beside its loss. */
guint  vt_count_correct          (const float *logits, const gint32 *target, guint n, guint k);

/* Binary cross-entropy on logits z (N) against targets t (N) in [0, 1], as
 * F.binary_cross_entropy_with_logits (the mean): from the logits, so that
 * it stays finite where σ(z) rounds to 0 or 1.
 *   ℓ = max(z, 0) − z t + log(1 + e^−|z|),  dz += dloss · (σ(z) − t) / N. */
double vt_bce_logits_forward     (const float *z, const float *t, int n);
void   vt_bce_logits_backward    (float *dz, const float *z, const float *t, int n, float dloss);

/* Mean squared error over n values, F.mse_loss: Σ (a − b)² / n;
 * da += dloss · 2 (a − b) / n, db −= the same (either may be NULL). */
double vt_mse_forward            (const float *a, const float *b, gsize n);
void   vt_mse_backward           (float *da, float *db, const float *a, const float *b,
                                  gsize n, float dloss);

G_END_DECLS
