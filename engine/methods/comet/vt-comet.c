/* vt-comet.c: COMET's training step and its masks. */
#include "methods/comet/vt-comet.h"

#include "nn/vt-activation.h"
#include "nn/vt-loss.h"

#include <math.h>
#include <string.h>

struct _VtComet
{
  VtCometSelector     *selector;
  VtTrainable         *predictor;
  VtTrainable         *detector;
  guint                k;
  VtCometLossSettings  loss;
  VtOptimizer         *optimizer;
  /* per batch shape */
  gsize                pixel_floats;   /* B · 3 · H · W */
  gsize                mask_floats;    /* B · H · W */
  float               *mask;
  float               *masked_in;      /* x ⊙ m */
  float               *masked_out;     /* x ⊙ (1 − m) */
  float               *dmask;
  float               *dlogits_mask;
  float               *probs_p, *probs_d;
  float               *dlogits_p, *dlogits_d;
  int                  batch;
};

VtComet *
vt_comet_new (VtCometSelector            *selector,
              VtTrainable                *predictor,
              VtTrainable                *detector,
              guint                       n_classes,
              const VtCometLossSettings  *loss,
              const VtOptimizerSettings  *optimizer,
              const VtSchedule           *schedule,
              double                      lr,
              double                      weight_decay,
              GError                    **error)
{
  g_autoptr(VtOptimizer) optim = vt_optimizer_new (optimizer, schedule, error);
  VtComet *self;
  int group;

  if (optim == NULL)
    return NULL;
  self = g_new0 (VtComet, 1);
  self->selector = selector;
  self->predictor = predictor;
  self->detector = detector;
  self->k = n_classes;
  self->loss = *loss;
  vt_trainable_set_part (predictor, VT_TRAIN_ALL, 0);
  vt_trainable_set_input_gradient (predictor, TRUE);
  vt_trainable_set_part (detector, VT_TRAIN_NONE, 0);
  vt_trainable_set_input_gradient (detector, TRUE);
  /* S's parameters first, then P's in checkpoint order, as
   * AdamW(list(S.parameters()) + list(P.parameters())) */
  group = vt_optimizer_add_group (optim, lr, weight_decay);
  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *c = vt_comet_selector_get_layer (selector, l);

      vt_optimizer_add_param (optim, group, c->weight, c->dweight, (gsize) c->out * c->in * c->kernel * c->kernel);
      vt_optimizer_add_param (optim, group, c->bias, c->dbias, c->out);
    }
  for (guint i = 0; i < vt_trainable_get_n_params (predictor); i++)
    {
      const VtTrainableParam *p = vt_trainable_get_param (predictor, i);

      if (p->grad)
        vt_optimizer_add_param (optim, group, p->value, p->grad, p->numel);
    }
  self->optimizer = g_steal_pointer (&optim);
  return self;
}

static void
clear_buffers (VtComet *self)
{
  g_clear_pointer (&self->mask, g_free);
  g_clear_pointer (&self->masked_in, g_free);
  g_clear_pointer (&self->masked_out, g_free);
  g_clear_pointer (&self->dmask, g_free);
  g_clear_pointer (&self->dlogits_mask, g_free);
  g_clear_pointer (&self->probs_p, g_free);
  g_clear_pointer (&self->probs_d, g_free);
  g_clear_pointer (&self->dlogits_p, g_free);
  g_clear_pointer (&self->dlogits_d, g_free);
}

void
vt_comet_free (VtComet *self)
{
  if (self == NULL)
    return;
  clear_buffers (self);
  vt_optimizer_free (self->optimizer);
  g_free (self);
}

VtOptimizer *
vt_comet_get_optimizer (VtComet *self)
{
  return self->optimizer;
}

static void
ensure_buffers (VtComet *self,
                int      batch,
                int      height,
                int      width)
{
  gsize mask_floats = (gsize) batch * height * width;

  if (self->mask && self->mask_floats == mask_floats && self->batch == batch)
    return;
  clear_buffers (self);
  self->batch = batch;
  self->mask_floats = mask_floats;
  self->pixel_floats = 3 * mask_floats;
  self->mask = g_new (float, mask_floats);
  self->dmask = g_new (float, mask_floats);
  self->dlogits_mask = g_new (float, mask_floats);
  self->masked_in = g_new (float, self->pixel_floats);
  self->masked_out = g_new (float, self->pixel_floats);
  self->probs_p = g_new (float, (gsize) batch * self->k);
  self->probs_d = g_new (float, (gsize) batch * self->k);
  self->dlogits_p = g_new (float, (gsize) batch * self->k);
  self->dlogits_d = g_new (float, (gsize) batch * self->k);
}

/* m = σ(S(x)), and the masked-in and masked-out images. */
static void
mask_images (VtComet     *self,
             const float *pixels,
             int          batch,
             int          height,
             int          width)
{
  gsize plane = (gsize) height * width;
  const float *logits;

  ensure_buffers (self, batch, height, width);
  logits = vt_comet_selector_forward (self->selector, pixels, batch, height, width);
  vt_sigmoid_forward (self->mask, logits, self->mask_floats);
  for (int b = 0; b < batch; b++)
    for (int c = 0; c < 3; c++)
      {
        const float *x = pixels + ((gsize) b * 3 + c) * plane, *m = self->mask + (gsize) b * plane;
        float *in = self->masked_in + ((gsize) b * 3 + c) * plane;
        float *out = self->masked_out + ((gsize) b * 3 + c) * plane;

        for (gsize p = 0; p < plane; p++)
          {
            in[p] = x[p] * m[p];
            out[p] = x[p] * (1.0f - m[p]);
          }
      }
}

static gboolean
check_shape (VtComet  *self,
             int       height,
             int       width,
             GError  **error)
{
  return vt_comet_selector_check_input (height, width, error) &&
         vt_trainable_check_input (self->predictor, height, width, error) &&
         vt_trainable_check_input (self->detector, height, width, error);
}

gboolean
vt_comet_compute (VtComet        *self,
                  const float    *pixels,
                  const gint32   *targets,
                  int             batch,
                  int             height,
                  int             width,
                  VtCometLosses  *losses,
                  GError        **error)
{
  const VtCometLossSettings *s = &self->loss;
  gsize plane = (gsize) height * width;
  int k = (int) self->k;
  const VtTapeNode *logits_p, *logits_d;
  const float *din, *dout = NULL;
  double in_scale, penalty = 0.0, area = 0.0;
  gboolean hinge_active;

  g_return_val_if_fail (batch > 0 && losses != NULL, FALSE);
  if (!check_shape (self, height, width, error))
    return FALSE;
  memset (losses, 0, sizeof *losses);
  mask_images (self, pixels, batch, height, width);

  /* P trains as model.train() would; D keeps its mode */
  vt_trainable_set_batchnorm_training (self->predictor, TRUE);
  if (!vt_trainable_forward (self->predictor, self->masked_in, batch, height, width, error) ||
      !vt_trainable_forward (self->detector, self->masked_out, batch, height, width, error))
    return FALSE;
  logits_p = vt_trainable_lookup_tap (self->predictor, "logits");
  logits_d = vt_trainable_lookup_tap (self->detector, "logits");
  if (logits_p == NULL || logits_d == NULL)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT,
                   "the %s has no classifier head (no logits): COMET needs two classifiers",
                   logits_p == NULL ? "predictor" : "detector");
      return FALSE;
    }
  if (logits_p->shape[1] != k || logits_d->shape[1] != k)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT,
                   "the predictor has %" G_GINT64_FORMAT " outputs and the detector %" G_GINT64_FORMAT
                   "; COMET needs both to have the dataset's %d", logits_p->shape[1], logits_d->shape[1], k);
      return FALSE;
    }
  /* NaN with an error for a label outside the heads; NaN logits give a
   * NaN loss without one, which vt_comet_train_step refuses */
  {
    GError *local = NULL;

    losses->l1 = vt_cross_entropy_forward (self->probs_p, logits_p->value, targets, NULL, batch, k, 0.0f, -100, &local);
    if (local == NULL)
      losses->l2 = vt_cross_entropy_forward (self->probs_d, logits_d->value, targets, NULL, batch, k, 0.0f, -100,
                                             &local);
    if (local)
      {
        g_propagate_error (error, local);
        return FALSE;
      }
  }
  losses->predictor_correct = vt_count_correct (logits_p->value, targets, batch, self->k);
  losses->detector_correct = vt_count_correct (logits_d->value, targets, batch, self->k);
  for (int b = 0; b < batch; b++)
    {
      double sum = 0.0;

      for (gsize p = 0; p < plane; p++)
        sum += self->mask[(gsize) b * plane + p];
      area += sum / plane;
      penalty += MAX (sum / plane - s->tau, 0.0);
    }
  losses->area = area / batch;
  losses->area_penalty = penalty / batch;
  losses->hinge = MAX (losses->l1 - losses->l2 + s->g, 0.0);
  losses->loss = losses->l1 + s->a * losses->hinge + s->b * losses->area_penalty;
  hinge_active = losses->l1 - losses->l2 + s->g > 0.0;

  /* P: the gradient of L1 alone for its parameters. Its input gradient
   * is that of L1 too; L reaches x ⊙ m through L1 and the hinge, so S
   * takes it times 1 + a (or 1 when the hinge is 0). */
  vt_comet_selector_zero_grad (self->selector);
  vt_trainable_zero_grad (self->predictor);
  memset (self->dlogits_p, 0, sizeof (float) * batch * k);
  vt_cross_entropy_backward (self->dlogits_p, self->probs_p, targets, NULL, batch, k, 0.0f, -100, 1.0f);
  if (!vt_trainable_backward (self->predictor, "logits", self->dlogits_p, error))
    return FALSE;
  din = vt_trainable_lookup_tap (self->predictor, "input")->grad;
  in_scale = 1.0 + (hinge_active ? s->a : 0.0);
  /* D: L holds L2 only through −a · the hinge */
  if (hinge_active)
    {
      memset (self->dlogits_d, 0, sizeof (float) * batch * k);
      vt_cross_entropy_backward (self->dlogits_d, self->probs_d, targets, NULL, batch, k, 0.0f, -100,
                                 (float) -s->a);
      if (!vt_trainable_backward (self->detector, "logits", self->dlogits_d, error))
        return FALSE;
      dout = vt_trainable_lookup_tap (self->detector, "input")->grad;
    }

  /* ∂L/∂m = Σ_c x · (∂L/∂(x ⊙ m) − ∂L/∂(x ⊙ (1 − m))) + the area penalty's
   * b / B · [area_i > τ] / (H · W); then through the sigmoid into S. */
  for (int b = 0; b < batch; b++)
    {
      double area_b = 0.0;
      float area_grad;
      float *dm = self->dmask + (gsize) b * plane;

      for (gsize p = 0; p < plane; p++)
        area_b += self->mask[(gsize) b * plane + p];
      area_grad = area_b / plane > s->tau ? (float) (s->b / batch / plane) : 0.0f;
      for (gsize p = 0; p < plane; p++)
        dm[p] = area_grad;
      for (int c = 0; c < 3; c++)
        {
          gsize offset = ((gsize) b * 3 + c) * plane;
          const float *x = pixels + offset, *gi = din + offset, *go = dout ? dout + offset : NULL;

          for (gsize p = 0; p < plane; p++)
            dm[p] += x[p] * ((float) in_scale * gi[p] - (go ? go[p] : 0.0f));
        }
    }
  memset (self->dlogits_mask, 0, sizeof (float) * self->mask_floats);
  vt_sigmoid_backward (self->dlogits_mask, self->dmask, self->mask, self->mask_floats);
  vt_comet_selector_backward (self->selector, self->dlogits_mask);
  return TRUE;
}

gboolean
vt_comet_train_step (VtComet        *self,
                     const float    *pixels,
                     const gint32   *targets,
                     int             batch,
                     int             height,
                     int             width,
                     VtCometLosses  *losses,
                     GError        **error)
{
  if (!vt_comet_compute (self, pixels, targets, batch, height, width, losses, error))
    return FALSE;
  if (!isfinite (losses->loss))
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_TRAINING,
                   "COMET's loss became %g (L1 %g, L2 %g, area %g) at step %d; lower the learning rate",
                   losses->loss, losses->l1, losses->l2, losses->area, vt_optimizer_get_step (self->optimizer));
      return FALSE;
    }
  vt_optimizer_step (self->optimizer);
  return TRUE;
}

gboolean
vt_comet_evaluate (VtComet        *self,
                   const float    *pixels,
                   const gint32   *targets,
                   int             batch,
                   int             height,
                   int             width,
                   float          *masks,
                   guint          *predictor_correct,
                   guint          *detector_correct,
                   GError        **error)
{
  g_return_val_if_fail (batch > 0, FALSE);
  if (!check_shape (self, height, width, error))
    return FALSE;
  mask_images (self, pixels, batch, height, width);
  if (masks)
    memcpy (masks, self->mask, sizeof (float) * self->mask_floats);
  if (predictor_correct)
    {
      vt_trainable_set_batchnorm_training (self->predictor, FALSE);
      if (!vt_trainable_forward (self->predictor, self->masked_in, batch, height, width, error))
        return FALSE;
      *predictor_correct += vt_count_correct (vt_trainable_lookup_tap (self->predictor, "logits")->value, targets,
                                           batch, self->k);
    }
  if (detector_correct)
    {
      if (!vt_trainable_forward (self->detector, self->masked_out, batch, height, width, error))
        return FALSE;
      *detector_correct += vt_count_correct (vt_trainable_lookup_tap (self->detector, "logits")->value, targets,
                                          batch, self->k);
    }
  return TRUE;
}
