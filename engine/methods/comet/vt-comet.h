/* vt-comet.h: COMET (Zood123/COMET, ECCV 2024): a selector S whose mask
 * m = σ(S(x)) keeps what a predictor P needs to classify x ⊙ m, while the
 * frozen pretrained classifier being explained, the detector D, must fail
 * on what the mask leaves out, x ⊙ (1 − m).
 *
 * One training step, as the official code computes it, on normalized
 * images x (B, 3, H, W) with labels y (masked pixels are 0 in normalized
 * space):
 *   L1   = CE(P(x ⊙ m), y)            L2 = CE(D(x ⊙ (1 − m)), y)
 *   area_i = the mean of m_i over its pixels
 *   L    = L1 + a · max(L1 − L2 + g, 0) + b · (1/B) Σ_i max(area_i − τ, 0)
 * P is updated with the gradient of L1 alone, S with that of L, which
 * reaches S through P's and D's input gradients; D never changes (the
 * official train.py's "2p" branch: loss1.backward() for P, then P frozen
 * and loss.backward() for S). One optimizer (AdamW by default) holds S's
 * and P's parameters: the same updates as the official code's two AdamWs
 * of the same settings, since AdamW works element by element. P trains with
 * BatchNorm in training mode; D keeps the mode the caller gave it (eval,
 * the default; the official code's detector ran in training mode). */
#pragma once

#include "methods/comet/vt-comet-selector.h"
#include "models/vt-trainable.h"
#include "nn/vt-optim.h"

G_BEGIN_DECLS

typedef struct
{
  double a;     /* the hinge's weight, 4 */
  double g;     /* its margin, 2 */
  double b;     /* the area penalty's weight, 100 */
  double tau;   /* the area allowed, 0.6 */
} VtCometLossSettings;

#define VT_COMET_LOSS_DEFAULTS { 4.0, 2.0, 100.0, 0.6 }

typedef struct
{
  double l1, l2;
  double hinge;          /* max(L1 − L2 + g, 0) */
  double area;           /* the mean of m over the batch */
  double area_penalty;   /* (1/B) Σ max(area_i − τ, 0) */
  double loss;           /* L */
  guint  predictor_correct;   /* P's top-1 hits on x ⊙ m */
  guint  detector_correct;    /* D's top-1 hits on x ⊙ (1 − m) */
} VtCometLosses;

typedef struct _VtComet VtComet;

/* Borrows the three networks, which must outlive it: makes every
 * parameter of @predictor trainable and none of @detector's. @n_classes
 * is both heads' outputs. */
VtComet  *vt_comet_new        (VtCometSelector            *selector,
                               VtTrainable                *predictor,
                               VtTrainable                *detector,
                               guint                       n_classes,
                               const VtCometLossSettings  *loss,
                               const VtOptimizerSettings  *optimizer,
                               const VtSchedule           *schedule,
                               double                      lr,
                               double                      weight_decay,
                               GError                    **error);
void      vt_comet_free       (VtComet                    *self);

/* The losses of one batch and every gradient of S and P (replacing what
 * they held), without an update. */
gboolean  vt_comet_compute    (VtComet        *self,
                               const float    *pixels,
                               const gint32   *targets,
                               int             batch,
                               int             height,
                               int             width,
                               VtCometLosses  *losses,
                               GError        **error);
/* vt_comet_compute, then one optimizer step; an error when a loss is not
 * finite (nothing updated then). */
gboolean  vt_comet_train_step (VtComet        *self,
                               const float    *pixels,
                               const gint32   *targets,
                               int             batch,
                               int             height,
                               int             width,
                               VtCometLosses  *losses,
                               GError        **error);
VtOptimizer *vt_comet_get_optimizer (VtComet *self);

/* Masks without training: m (B, H, W) into @masks (may be NULL), and P's
 * hits on x ⊙ m with BatchNorm in eval mode and D's on x ⊙ (1 − m) added
 * to @predictor_correct and @detector_correct (either may be NULL). */
gboolean  vt_comet_evaluate   (VtComet        *self,
                               const float    *pixels,
                               const gint32   *targets,
                               int             batch,
                               int             height,
                               int             width,
                               float          *masks,
                               guint          *predictor_correct,
                               guint          *detector_correct,
                               GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtComet, vt_comet_free)

G_END_DECLS
