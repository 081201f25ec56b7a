/* vt-predictions.h: what a classifier's logits in a feature store say about
 * each sample of the dataset it was extracted from: the predicted class
 * (the argmax), its confidence (the softmax probability of it), whether it
 * is the label; the confusion matrix and accuracy over the store; the
 * top-k of one sample; and which samples a filter and sort order select.
 *
 * The Dataset area's marks, filters, sample view and confusion matrix read
 * these, and the `evaluate` step counts its confusion matrix and top-k
 * with vt_predictions_tally, so the window and the batch mode agree. */
#pragma once

#include "features/vt-feature-store.h"

G_BEGIN_DECLS

#define VT_PREDICTIONS_ERROR (vt_predictions_error_quark ())
GQuark vt_predictions_error_quark (void);

typedef enum
{
  VT_PREDICTIONS_ERROR_NO_LOGITS,   /* the store kept no logits, or not one per class */
  VT_PREDICTIONS_ERROR_MISMATCH,    /* the store is not of this dataset */
} VtPredictionsError;

/* The confusion matrix of a store's argmax predictions, and its top-1 and
 * top-5 counts by the rank of the true class (how many outputs beat it;
 * a tie counts for the label), as `evaluate` reports them. */
typedef struct
{
  guint      n_classes;
  guint64    n;            /* samples counted */
  guint64   *confusion;    /* (n_classes, n_classes): [true * n_classes + predicted] */
  guint64   *per_class;    /* n_classes: samples of each true class */
  guint64    top1;         /* by rank */
  guint64    top5;
} VtConfusion;

/* Counts every row of @store; its logits must be one per class
 * (n_logits == n_classes). NULL with @error set otherwise. */
VtConfusion *vt_predictions_tally       (const VtFeatureStore *store,
                                         GError              **error);
void         vt_confusion_free          (VtConfusion         *confusion);
/* The trace over the total: the share of argmax predictions that are the
 * label (NaN with no samples). */
double       vt_confusion_accuracy      (const VtConfusion   *confusion);
/* The matrix as `evaluate` writes it to <id>-confusion.csv: a header
 * "true\predicted,<class>…", then one row per true class. */
char        *vt_confusion_to_csv        (const VtConfusion   *confusion,
                                         const char * const  *class_names);

/* Per dataset sample (not per store row: a skipped sample has none). */
typedef struct
{
  gatomicrefcount  ref_count;
  guint            n_samples;    /* of the dataset */
  guint            n_classes;
  gint            *predicted;    /* n_samples: the argmax, or -1 where the store has no row for the sample */
  float           *confidence;   /* n_samples: the softmax probability of it, NaN where none */
  gint            *row;          /* n_samples: the sample's row in the store, or -1 */
  VtFeatureStore  *store;        /* held: for the logits of the top-k */
} VtPredictions;

/* The predictions of @store for a dataset of @n_samples samples labelled
 * @labels: refused when the store kept no logits, has another class count
 * than @n_classes, or names a sample index or label not of that dataset. */
VtPredictions *vt_predictions_new       (VtFeatureStore      *store,
                                         guint                n_samples,
                                         guint                n_classes,
                                         const guint         *labels,
                                         GError             **error);
VtPredictions *vt_predictions_ref       (VtPredictions       *self);
void           vt_predictions_unref     (VtPredictions       *self);

/* The @k (≤ n_classes) most probable classes of dataset sample @index,
 * most probable first, into @classes and their softmax probabilities
 * into @probabilities; FALSE when the store has no row for it. */
gboolean       vt_predictions_top       (const VtPredictions *self,
                                         guint                index,
                                         guint                k,
                                         guint               *classes,
                                         double              *probabilities);

typedef enum
{
  VT_OUTCOME_ANY,
  VT_OUTCOME_MISTAKES,     /* the argmax is not the label */
  VT_OUTCOME_CORRECT,      /* the argmax is the label */
} VtOutcome;

typedef enum
{
  VT_SAMPLE_ORDER_DATASET,            /* the dataset's own order */
  VT_SAMPLE_ORDER_CONFIDENCE_UP,      /* least confident first (the doubtful ones) */
  VT_SAMPLE_ORDER_CONFIDENCE_DOWN,    /* most confident first */
} VtSampleOrder;

/* Which samples the Dataset grid shows: -1 in @label or @predicted takes
 * any; @predictions may be NULL (then only @label filters and only the
 * dataset order sorts). */
typedef struct
{
  int            label;
  int            predicted;
  VtOutcome      outcome;
  VtSampleOrder  order;
} VtSampleQuery;

/* The dataset indices @query selects, in its order (ties in dataset
 * order; samples without a prediction last when sorting by confidence). */
GArray        *vt_predictions_select    (const VtPredictions *predictions,
                                         guint                n_samples,
                                         const guint         *labels,
                                         const VtSampleQuery *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtConfusion, vt_confusion_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtPredictions, vt_predictions_unref)

G_END_DECLS
