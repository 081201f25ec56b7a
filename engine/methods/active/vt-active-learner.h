/* vt-active-learner.h: the model active learning retrains as labels come:
 * a linear head (logits = x Wᵀ + b) or a cosine head (logits = s · x̂ Ŵᵀ)
 * on a feature store's features, trained with softmax cross-entropy by SGD
 * (momentum, weight decay as torch.optim.SGD adds it to the gradient),
 * full-batch or in mini-batches.
 *
 * Everything is seeded: W starts at (2u − 1) / √D, u from vt-active-rng
 * with the seed (b at 0), and each epoch's mini-batch order is a
 * vt_active_rng_shuffle of the labeled rows from a stream seeded with
 * seed + 1 at each training. The same seed, labels and thread count give
 * the same weights (tests/reference/make_active_fixtures.py trains the same
 * recipe in PyTorch). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_ACTIVE_ERROR (vt_active_error_quark ())
GQuark vt_active_error_quark (void);

typedef enum
{
  VT_ACTIVE_ERROR_INVALID,     /* a setting or an input out of range */
  VT_ACTIVE_ERROR_DIVERGED,    /* the loss became NaN or infinite */
} VtActiveError;

typedef enum
{
  VT_ACTIVE_LEARNER_LINEAR,
  VT_ACTIVE_LEARNER_COSINE,
} VtActiveLearnerKind;

typedef struct
{
  VtActiveLearnerKind kind;
  double    cosine_scale;   /* s of the cosine head */
  double    lr;
  double    momentum;
  double    weight_decay;
  guint     epochs;
  guint     batch;          /* 0: full batch */
  gboolean  warm_start;     /* TRUE: a new training starts from the last weights */
  guint64   seed;
} VtActiveLearnerOptions;

/* lr 0.1, momentum 0.9, weight decay 5e-4, 100 epochs, full batch, from
 * scratch, scale 10, seed 0. */
void vt_active_learner_options_init (VtActiveLearnerOptions *options);

typedef struct _VtActiveLearner VtActiveLearner;

VtActiveLearner *vt_active_learner_new      (const VtActiveLearnerOptions *options,
                                             guint                         dim,
                                             guint                         n_classes);
void             vt_active_learner_free     (VtActiveLearner *self);

/* Trains on rows @rows[0..n) of @features (rows of dim floats) with
 * classes @labels[0..n) in [0, n_classes). FALSE with @error when a label
 * is out of range or the loss diverges. */
gboolean         vt_active_learner_train    (VtActiveLearner *self,
                                             const float     *features,
                                             const guint     *rows,
                                             const gint32    *labels,
                                             guint            n,
                                             GError         **error);
/* probs (n, K): the softmax of the logits of @features (n, dim). */
void             vt_active_learner_probs    (VtActiveLearner *self,
                                             const float     *features,
                                             guint            n,
                                             float           *probs);
/* The share of @features (n, dim) whose argmax class is @labels[i]. */
double           vt_active_learner_accuracy (VtActiveLearner *self,
                                             const float     *features,
                                             const gint64    *labels,
                                             guint            n);
/* W (K, dim) and b (K; zeros for the cosine head), the learner's own. */
const float     *vt_active_learner_weight   (VtActiveLearner *self);
const float     *vt_active_learner_bias     (VtActiveLearner *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtActiveLearner, vt_active_learner_free)

G_END_DECLS
