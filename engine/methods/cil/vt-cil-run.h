/* vt-cil-run.h: a class-incremental run: methods on a train and a test
 * feature store, stage by stage, with the metrics the literature reports.
 *
 *   accuracy matrix   a[t][j]: accuracy on the test samples of stage j's
 *                     classes after stage t (j ≤ t)
 *   seen accuracy     after each stage, on the test samples of every class
 *                     seen so far
 *   average incremental accuracy   the mean of the seen accuracies
 *   last accuracy     the seen accuracy after the last stage
 *   forgetting        the mean over the old stages j < T−1 of
 *                     max_t a[t][j] − a[T−1][j], as PILOT prints it
 *
 * Accuracies are fractions in [0, 1]. Classes are numbered by their place
 * in the class order. */
#pragma once

#include <gio/gio.h>

#include "core/vt-events.h"

#include "features/vt-feature-store.h"
#include "methods/cil/vt-cil-method.h"
#include "methods/cil/vt-cil-protocol.h"

G_BEGIN_DECLS

typedef struct
{
  const VtCilMethodClass  *klass;
  double                  *accuracy;        /* (n_stages, n_stages), NaN above the diagonal */
  double                  *seen_accuracy;   /* n_stages */
  double                   average_incremental;
  double                   last;
  double                   forgetting;      /* NaN with one stage */
  double                  *per_class;       /* n_classes, after the last stage */
  guint64                 *confusion;       /* (n_classes, n_classes): true × predicted */
  guint                   *predictions;     /* the last stage's, per test sample (ordered classes) */
  double                   seconds;         /* learning and predicting, all stages */
} VtCilMethodResult;

typedef struct
{
  guint        n_classes;
  guint       *order;          /* order[i]: the original label of class i */
  char       **class_names;    /* in class order */
  guint        n_stages;
  guint       *stage_ends;     /* one past each stage's last class */
  guint        n_test;
  guint       *test_labels;    /* in class order */
  GPtrArray   *methods;        /* VtCilMethodResult* in the order asked for */
} VtCilResult;

/* @events (may be NULL) hears, on the calling thread:
 *  - VT_EVENT_PROGRESS while a method learns a stage: how far the whole run
 *    got, with a message that names the method, the stage and what it does;
 *  - after a method finished a stage, VT_EVENT_METRIC: series = the
 *    method's title, x_name "stage", x = the stage (from 0), y = its
 *    accuracy on the classes seen, values = its row of the accuracy matrix
 *    (n_stages, NaN where empty); then a progress event that says so. */
VtCilResult *vt_cil_run          (VtFeatureStore           *train,
                                  VtFeatureStore           *test,
                                  const guint              *order,
                                  const VtCilSplit         *split,
                                  const VtCilMethodClass  **methods,
                                  guint                     n_methods,
                                  const VtCilOptions       *options,
                                  const VtEventSink        *events,
                                  GCancellable             *cancellable,
                                  GError                  **error);
void         vt_cil_result_free  (VtCilResult              *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtCilResult, vt_cil_result_free)

G_END_DECLS
