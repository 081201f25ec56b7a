/* vt-faithfulness-classifier.c: a model as a logits function
 * (vt-faithfulness-classifier.h). */
#include "vt-faithfulness-classifier.h"
#include "vt-faithfulness-result.h"

#include <math.h>

struct _VtClassifier
{
  VtClassifierFunc  func;
  gpointer          user_data;
  GDestroyNotify    destroy;
};

VtClassifier *
vt_classifier_new (VtClassifierFunc func,
                   gpointer         user_data,
                   GDestroyNotify   destroy)
{
  VtClassifier *self;

  g_return_val_if_fail (func != NULL, NULL);
  self = g_new0 (VtClassifier, 1);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

void
vt_classifier_free (VtClassifier *self)
{
  if (self == NULL)
    return;
  if (self->destroy)
    self->destroy (self->user_data);
  g_free (self);
}

/* A VtModel and the taps of its last pass, which hold the logits. */
typedef struct
{
  VtModel *model;
  VtTaps  *taps;
} ModelRun;

static void
model_run_free (gpointer data)
{
  ModelRun *run = data;

  g_clear_pointer (&run->taps, vt_taps_free);
  vt_model_free (run->model);
  g_free (run);
}

static const float *
logits_of (const char  *name,
           gint64       rows,
           gint64       cols,
           guint        ndim,
           int          batch,
           int         *n_classes,
           const float *data,
           GError     **error)
{
  if (data == NULL || ndim != 2 || rows != batch || cols < 1)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_CLASSIFIER,
                   "%s: the model has no classifier (no (B, K) “logits”): faithfulness metrics score a class",
                   name);
      return NULL;
    }
  *n_classes = (int) cols;
  return data;
}

static const float *
model_logits (gpointer      user_data,
              const float  *pixels,
              int           batch,
              int           height,
              int           width,
              int          *n_classes,
              GError      **error)
{
  ModelRun *run = user_data;
  const VtTap *tap;

  g_clear_pointer (&run->taps, vt_taps_free);
  run->taps = vt_model_forward (run->model, pixels, batch, height, width, VT_TAP_OUTPUTS, error);
  if (run->taps == NULL)
    return NULL;
  tap = vt_taps_lookup (run->taps, "logits");
  return logits_of (vt_checkpoint_get_path (vt_model_get_checkpoint (run->model)), tap ? tap->shape[0] : 0,
                    tap ? tap->shape[1] : 0, tap ? tap->ndim : 0, batch, n_classes, tap ? tap->data : NULL, error);
}

VtClassifier *
vt_classifier_new_for_model (VtModel *model)
{
  ModelRun *run = g_new0 (ModelRun, 1);

  run->model = vt_model_ref (model);
  return vt_classifier_new (model_logits, run, model_run_free);
}

static const float *
trainable_logits (gpointer      user_data,
                  const float  *pixels,
                  int           batch,
                  int           height,
                  int           width,
                  int          *n_classes,
                  GError      **error)
{
  VtTrainable *model = user_data;
  const VtTapeNode *node;

  if (!vt_trainable_forward (model, pixels, batch, height, width, error))
    return NULL;
  node = vt_trainable_lookup_tap (model, "logits");
  return logits_of ("the trainable model", node ? node->shape[0] : 0, node ? node->shape[1] : 0,
                    node ? node->ndim : 0, batch, n_classes, node ? node->value : NULL, error);
}

VtClassifier *
vt_classifier_new_for_trainable (VtTrainable *model)
{
  return vt_classifier_new (trainable_logits, model, NULL);
}

gboolean
vt_classifier_score (VtClassifier  *self,
                     const float   *pixels,
                     int            batch,
                     int            height,
                     int            width,
                     const gint64  *targets,
                     double        *probabilities,
                     gint64        *predicted,
                     GError       **error)
{
  int classes = 0;
  const float *logits = self->func (self->user_data, pixels, batch, height, width, &classes, error);

  if (logits == NULL)
    return FALSE;
  for (int b = 0; b < batch; b++)
    {
      const float *row = logits + (gsize) b * classes;
      int top = 0;
      double sum = 0;

      for (int k = 1; k < classes; k++)
        if (row[k] > row[top])
          top = k;
      if (predicted)
        predicted[b] = top;
      if (targets == NULL)
        continue;
      if (targets[b] < 0 || targets[b] >= classes)
        {
          g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_CLASSIFIER,
                       "target class %" G_GINT64_FORMAT " of image %d is out of range: the classifier has %d "
                       "classes (0 to %d)", targets[b], b, classes, classes - 1);
          return FALSE;
        }
      /* Softmax in double, the largest logit subtracted first. */
      for (int k = 0; k < classes; k++)
        sum += exp ((double) row[k] - row[top]);
      probabilities[b] = exp ((double) row[targets[b]] - row[top]) / sum;
    }
  return TRUE;
}
