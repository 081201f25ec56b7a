/* vt-faithfulness-classifier.h: the model a faithfulness metric asks, as
 * a function: a batch of normalized images (B, 3, H, W) in, logits (B, K)
 * out. The metrics depend on nothing else of a model, so the same code
 * runs a VtModel, a VtTrainable, or a test's fixed linear classifier.
 *
 * Scores are softmax probabilities of a target class (computed in double
 * from the logits), the score RISE's deletion and insertion read (its
 * model ends in a softmax) and the one ROAD's confidence reads. */
#pragma once

#include "models/vt-model.h"
#include "models/vt-trainable.h"

G_BEGIN_DECLS

/* Returns the logits (B, K), K in *n_classes, in memory @user_data owns,
 * valid until the next call; NULL with @error set on failure. */
typedef const float *(*VtClassifierFunc) (gpointer      user_data,
                                          const float  *pixels,
                                          int           batch,
                                          int           height,
                                          int           width,
                                          int          *n_classes,
                                          GError      **error);

typedef struct _VtClassifier VtClassifier;

VtClassifier *vt_classifier_new               (VtClassifierFunc  func,
                                               gpointer          user_data,
                                               GDestroyNotify    destroy);
/* Through vt_model_forward (taps: outputs only); holds a reference. */
VtClassifier *vt_classifier_new_for_model     (VtModel          *model);
/* Through vt_trainable_forward; @model must outlive the classifier. */
VtClassifier *vt_classifier_new_for_trainable (VtTrainable      *model);
void          vt_classifier_free              (VtClassifier     *self);

/* Every image's softmax probability of its class targets[b] (B), and
 * its predicted class (the first largest logit) if @predicted is not NULL.
 * @targets may be NULL (probabilities not wanted; @probabilities too). A
 * target outside the classes is an error. */
gboolean      vt_classifier_score             (VtClassifier     *self,
                                               const float      *pixels,
                                               int               batch,
                                               int               height,
                                               int               width,
                                               const gint64     *targets,
                                               double           *probabilities,
                                               gint64           *predicted,
                                               GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtClassifier, vt_classifier_free)

G_END_DECLS
