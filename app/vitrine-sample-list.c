/* vitrine-sample-list.c: the samples of a dataset as a filtered, sorted list. */
#include "vitrine-sample-list.h"

#include <math.h>

struct _VitrineSample
{
  GObject      parent_instance;
  guint        index;
  const char  *class_name;      /* the dataset's, which the list keeps alive */
  const char  *predicted_name;  /* the same, or NULL */
  double       confidence;
  gboolean     correct;
};

G_DEFINE_FINAL_TYPE (VitrineSample, vitrine_sample, G_TYPE_OBJECT)

static void
vitrine_sample_class_init (VitrineSampleClass *klass)
{
}

static void
vitrine_sample_init (VitrineSample *self)
{
}

guint
vitrine_sample_get_index (VitrineSample *self)
{
  return self->index;
}

const char *
vitrine_sample_get_class_name (VitrineSample *self)
{
  return self->class_name;
}

const char *
vitrine_sample_get_predicted_name (VitrineSample *self)
{
  return self->predicted_name;
}

double
vitrine_sample_get_confidence (VitrineSample *self)
{
  return self->confidence;
}

gboolean
vitrine_sample_is_correct (VitrineSample *self)
{
  return self->correct;
}

struct _VitrineSampleList
{
  GObject         parent_instance;
  VtDataset      *dataset;
  VtPredictions  *predictions;   /* or NULL */
  VtSampleQuery   query;
  GArray         *shown;          /* guint sample indices, or NULL for all in order */
};

static void vitrine_sample_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VitrineSampleList, vitrine_sample_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, vitrine_sample_list_model_init))

static GType
get_item_type (GListModel *model)
{
  return VITRINE_TYPE_SAMPLE;
}

static guint
get_n_items (GListModel *model)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (model);

  return self->shown ? self->shown->len : self->dataset->n_samples;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (model);
  VitrineSample *sample;
  guint label;

  if (position >= get_n_items (model))
    return NULL;
  sample = g_object_new (VITRINE_TYPE_SAMPLE, NULL);
  sample->index = self->shown ? g_array_index (self->shown, guint, position) : position;
  label = self->dataset->labels[sample->index];
  sample->class_name = self->dataset->class_names[label];
  sample->confidence = NAN;
  if (self->predictions && self->predictions->predicted[sample->index] >= 0)
    {
      gint predicted = self->predictions->predicted[sample->index];

      sample->predicted_name = self->dataset->class_names[predicted];
      sample->confidence = self->predictions->confidence[sample->index];
      sample->correct = predicted == (gint) label;
    }
  return sample;
}

static void
vitrine_sample_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vitrine_sample_list_finalize (GObject *object)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (object);

  vt_dataset_unref (self->dataset);
  g_clear_pointer (&self->predictions, vt_predictions_unref);
  g_clear_pointer (&self->shown, g_array_unref);
  G_OBJECT_CLASS (vitrine_sample_list_parent_class)->finalize (object);
}

static void
vitrine_sample_list_class_init (VitrineSampleListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vitrine_sample_list_finalize;
}

static void
vitrine_sample_list_init (VitrineSampleList *self)
{
  self->query = (VtSampleQuery) { -1, -1, VT_OUTCOME_ANY, VT_SAMPLE_ORDER_DATASET };
}

VitrineSampleList *
vitrine_sample_list_new (VtDataset *dataset)
{
  VitrineSampleList *self = g_object_new (VITRINE_TYPE_SAMPLE_LIST, NULL);

  self->dataset = vt_dataset_ref (dataset);
  return self;
}

/* The shown samples again, after the query or the predictions changed:
 * every item changes (its mark too, where only the predictions did). */
static void
refilter (VitrineSampleList *self)
{
  guint before = get_n_items (G_LIST_MODEL (self));
  const VtSampleQuery *q = &self->query;

  g_clear_pointer (&self->shown, g_array_unref);
  if (q->label >= 0 || q->predicted >= 0 || q->outcome != VT_OUTCOME_ANY || q->order != VT_SAMPLE_ORDER_DATASET)
    self->shown = vt_predictions_select (self->predictions, self->dataset->n_samples, self->dataset->labels, q);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, before, get_n_items (G_LIST_MODEL (self)));
}

void
vitrine_sample_list_set_class (VitrineSampleList *self,
                               int                label)
{
  VtSampleQuery query = self->query;

  query.label = label;
  vitrine_sample_list_set_query (self, &query);
}

void
vitrine_sample_list_set_query (VitrineSampleList   *self,
                               const VtSampleQuery *query)
{
  self->query = *query;
  if (self->predictions == NULL)
    {
      self->query.predicted = -1;
      self->query.outcome = VT_OUTCOME_ANY;
      self->query.order = VT_SAMPLE_ORDER_DATASET;
    }
  refilter (self);
}

const VtSampleQuery *
vitrine_sample_list_get_query (VitrineSampleList *self)
{
  return &self->query;
}

void
vitrine_sample_list_set_predictions (VitrineSampleList *self,
                                     VtPredictions     *predictions)
{
  if (predictions == self->predictions)
    return;
  g_clear_pointer (&self->predictions, vt_predictions_unref);
  if (predictions)
    self->predictions = vt_predictions_ref (predictions);
  vitrine_sample_list_set_query (self, &self->query);
}

VtPredictions *
vitrine_sample_list_get_predictions (VitrineSampleList *self)
{
  return self->predictions;
}
