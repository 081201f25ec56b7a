/* vitrine-sample-list.h: a dataset's samples as a GListModel, for the
 * thumbnail grid: filtered by class, and once a feature store's logits are
 * there by prediction and outcome (only mistakes, only correct), sorted by
 * confidence (vt-predictions.h selects).
 *
 * Items are made when asked for (a grid asks only for what it shows), so a
 * list of 60,000 samples costs an index array, not 60,000 objects. */
#pragma once

#include <gio/gio.h>

#include "features/vt-predictions.h"
#include "io/vt-dataset.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_SAMPLE (vitrine_sample_get_type ())
G_DECLARE_FINAL_TYPE (VitrineSample, vitrine_sample, VITRINE, SAMPLE, GObject)

guint        vitrine_sample_get_index       (VitrineSample *self);
const char  *vitrine_sample_get_class_name  (VitrineSample *self);
/* The predicted class's name, or NULL without a prediction; its
 * confidence; whether it is the label. */
const char  *vitrine_sample_get_predicted_name (VitrineSample *self);
double       vitrine_sample_get_confidence  (VitrineSample *self);
gboolean     vitrine_sample_is_correct      (VitrineSample *self);

#define VITRINE_TYPE_SAMPLE_LIST (vitrine_sample_list_get_type ())
G_DECLARE_FINAL_TYPE (VitrineSampleList, vitrine_sample_list, VITRINE, SAMPLE_LIST, GObject)

VitrineSampleList *vitrine_sample_list_new         (VtDataset          *dataset);
/* Only the samples of class @label; -1 shows all. */
void               vitrine_sample_list_set_class   (VitrineSampleList  *self,
                                                    int                 label);
/* The predictions of the dataset's samples (held), or NULL: without them
 * the query's prediction filter, outcome and order are reset. */
void               vitrine_sample_list_set_predictions (VitrineSampleList *self,
                                                        VtPredictions     *predictions);
VtPredictions     *vitrine_sample_list_get_predictions (VitrineSampleList *self);
/* The whole query: class, predicted class, outcome and order. */
void               vitrine_sample_list_set_query   (VitrineSampleList  *self,
                                                    const VtSampleQuery *query);
const VtSampleQuery *vitrine_sample_list_get_query (VitrineSampleList  *self);

G_END_DECLS
