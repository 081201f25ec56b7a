/* vitrine-sample-view.h: one dataset sample, opened from the Dataset grid
 * (double-click or Enter on a thumbnail): large, with its label and the
 * model's five most likely classes, and "Open in Predict".
 *
 * The top five come from the extracted logits where the feature store has
 * the sample (vt_predictions_top), else from a forward pass through the
 * open checkpoint in a worker (the Predict area's transform and softmax). */
#pragma once

#include <gtk/gtk.h>

#include "features/vt-predictions.h"
#include "io/vt-dataset.h"
#include "models/vt-model.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_SAMPLE_VIEW (vitrine_sample_view_get_type ())
G_DECLARE_FINAL_TYPE (VitrineSampleView, vitrine_sample_view, VITRINE, SAMPLE_VIEW, GtkWidget)

/* Where a sample's top five came from. */
typedef enum
{
  VITRINE_SAMPLE_TOP_NONE,         /* no model, or not yet */
  VITRINE_SAMPLE_TOP_STORE,        /* the extracted logits */
  VITRINE_SAMPLE_TOP_CHECKPOINT,   /* a forward pass through the open model */
} VitrineSampleTopSource;

/* Shows sample @index of @dataset; @predictions and @model may be NULL
 * (then the view says what is missing). The picture, and a forward pass
 * where needed, follow from a worker; busy until then. */
void        vitrine_sample_view_show        (VitrineSampleView  *self,
                                             VtDataset          *dataset,
                                             guint               index,
                                             VtPredictions      *predictions,
                                             VtModel            *model);
/* Drops the sample (and a forward pass in flight). */
void        vitrine_sample_view_clear       (VitrineSampleView  *self);
guint       vitrine_sample_view_get_index   (VitrineSampleView  *self);
gboolean    vitrine_sample_view_is_busy     (VitrineSampleView  *self);
VitrineSampleTopSource vitrine_sample_view_get_top_source (VitrineSampleView *self);
/* Rank @i (0-based) of the top five: the class's name and probability;
 * FALSE past the end. */
gboolean    vitrine_sample_view_get_top     (VitrineSampleView  *self,
                                             guint               i,
                                             const char        **name,
                                             double             *probability);
/* Why the picture or the forward pass failed, or NULL. */
const char *vitrine_sample_view_get_error   (VitrineSampleView  *self);

G_END_DECLS
