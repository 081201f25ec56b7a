/* vt-predictions.c: a feature store's logits read as predictions. */
#include "vt-predictions.h"

#include <math.h>

#include "models/vt-predict.h"
#include "report/vt-csv.h"

G_DEFINE_QUARK (vt-predictions-error-quark, vt_predictions_error)

static gboolean
check_logits (const VtFeatureStore  *store,
              guint                  n_classes,
              GError               **error)
{
  if (store->logits == NULL || store->n_logits == 0)
    {
      g_set_error (error, VT_PREDICTIONS_ERROR, VT_PREDICTIONS_ERROR_NO_LOGITS,
                   "the feature store kept no logits: extract again with logits to see predictions");
      return FALSE;
    }
  if (store->n_logits != n_classes)
    {
      g_set_error (error, VT_PREDICTIONS_ERROR, VT_PREDICTIONS_ERROR_NO_LOGITS,
                   "the model has %u outputs but the dataset %u classes: its predictions cannot be scored "
                   "against the labels", store->n_logits, n_classes);
      return FALSE;
    }
  return TRUE;
}

VtConfusion *
vt_predictions_tally (const VtFeatureStore  *store,
                      GError               **error)
{
  g_autoptr(VtConfusion) tally = NULL;
  guint k = store->n_classes;

  if (!check_logits (store, k, error))
    return NULL;
  tally = g_new0 (VtConfusion, 1);
  tally->n_classes = k;
  tally->confusion = g_new0 (guint64, (gsize) k * k);
  tally->per_class = g_new0 (guint64, k);
  for (guint i = 0; i < store->n_samples; i++)
    {
      const float *row = store->logits + (gsize) i * k;
      gint64 label = store->labels[i];
      guint better = 0, best = 0;

      if (label < 0 || label >= k)
        {
          g_set_error (error, VT_PREDICTIONS_ERROR, VT_PREDICTIONS_ERROR_MISMATCH,
                       "row %u of the feature store has label %" G_GINT64_FORMAT ", not one of its %u classes",
                       i, label, k);
          return NULL;
        }
      /* Rank of the true class: how many outputs beat it. */
      for (guint c = 0; c < k; c++)
        {
          if (row[c] > row[label])
            better++;
          if (row[c] > row[best])
            best = c;
        }
      tally->top1 += better == 0;
      tally->top5 += better < 5;
      tally->confusion[(gsize) label * k + best]++;
      tally->per_class[label]++;
      tally->n++;
    }
  return g_steal_pointer (&tally);
}

void
vt_confusion_free (VtConfusion *confusion)
{
  if (confusion == NULL)
    return;
  g_free (confusion->confusion);
  g_free (confusion->per_class);
  g_free (confusion);
}

double
vt_confusion_accuracy (const VtConfusion *confusion)
{
  guint64 trace = 0;

  if (confusion->n == 0)
    return NAN;
  for (guint c = 0; c < confusion->n_classes; c++)
    trace += confusion->confusion[(gsize) c * confusion->n_classes + c];
  return (double) trace / confusion->n;
}

char *
vt_confusion_to_csv (const VtConfusion  *confusion,
                     const char * const *class_names)
{
  GString *csv = g_string_new ("true\\predicted");
  guint k = confusion->n_classes;

  for (guint c = 0; c < k; c++)
    {
      g_string_append_c (csv, ',');
      vt_csv_append_field (csv, class_names[c]);
    }
  g_string_append_c (csv, '\n');
  for (guint c = 0; c < k; c++)
    {
      vt_csv_append_field (csv, class_names[c]);
      for (guint p = 0; p < k; p++)
        g_string_append_printf (csv, ",%" G_GUINT64_FORMAT, confusion->confusion[(gsize) c * k + p]);
      g_string_append_c (csv, '\n');
    }
  return g_string_free (csv, FALSE);
}

/* Per sample ------------------------------------------------------------------*/

VtPredictions *
vt_predictions_new (VtFeatureStore  *store,
                    guint            n_samples,
                    guint            n_classes,
                    const guint     *labels,
                    GError         **error)
{
  g_autoptr(VtPredictions) self = NULL;

  if (!check_logits (store, n_classes, error))
    return NULL;
  if (store->n_samples > n_samples)
    {
      g_set_error (error, VT_PREDICTIONS_ERROR, VT_PREDICTIONS_ERROR_MISMATCH,
                   "the feature store has %u samples, more than the dataset's %u: it is of another dataset",
                   store->n_samples, n_samples);
      return NULL;
    }
  self = g_new0 (VtPredictions, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->n_samples = n_samples;
  self->n_classes = n_classes;
  self->predicted = g_new (gint, MAX (n_samples, 1));
  self->confidence = g_new (float, MAX (n_samples, 1));
  self->row = g_new (gint, MAX (n_samples, 1));
  self->store = vt_feature_store_ref (store);
  for (guint i = 0; i < n_samples; i++)
    {
      self->predicted[i] = -1;
      self->confidence[i] = NAN;
      self->row[i] = -1;
    }
  for (guint r = 0; r < store->n_samples; r++)
    {
      gint64 index = store->indices[r];
      double confidence;

      if (index < 0 || index >= n_samples || self->row[index] >= 0 || store->labels[r] != labels[index])
        {
          g_set_error (error, VT_PREDICTIONS_ERROR, VT_PREDICTIONS_ERROR_MISMATCH,
                       "row %u of the feature store is sample %" G_GINT64_FORMAT " with label %" G_GINT64_FORMAT
                       ", which is not a sample of this dataset (of %u) with that label, or is one twice",
                       r, index, store->labels[r], n_samples);
          return NULL;
        }
      self->row[index] = (gint) r;
      self->predicted[index] = (gint) vt_feature_store_predict (store, r, &confidence);
      self->confidence[index] = (float) confidence;
    }
  return g_steal_pointer (&self);
}

VtPredictions *
vt_predictions_ref (VtPredictions *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
vt_predictions_unref (VtPredictions *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->predicted);
  g_free (self->confidence);
  g_free (self->row);
  vt_feature_store_unref (self->store);
  g_free (self);
}

gboolean
vt_predictions_top (const VtPredictions *self,
                    guint                index,
                    guint                k,
                    guint               *classes,
                    double              *probabilities)
{
  g_autofree double *all = NULL;

  g_return_val_if_fail (index < self->n_samples && k <= self->n_classes, FALSE);
  if (self->row[index] < 0)
    return FALSE;
  all = g_new (double, self->n_classes);
  /* The Predict area's softmax and ranking, on the stored logits. */
  vt_predict_softmax (self->store->logits + (gsize) self->row[index] * self->n_classes, self->n_classes, all);
  vt_predict_top (all, self->n_classes, k, classes);
  for (guint r = 0; r < k; r++)
    probabilities[r] = all[classes[r]];
  return TRUE;
}

/* Selection -------------------------------------------------------------------*/

static gboolean
selected (const VtPredictions *predictions,
          const guint         *labels,
          const VtSampleQuery *query,
          guint                i)
{
  gint predicted = predictions ? predictions->predicted[i] : -1;

  if (query->label >= 0 && labels[i] != (guint) query->label)
    return FALSE;
  if ((query->predicted >= 0 || query->outcome != VT_OUTCOME_ANY) && predicted < 0)
    return FALSE;
  if (query->predicted >= 0 && predicted != query->predicted)
    return FALSE;
  if (query->outcome == VT_OUTCOME_MISTAKES && predicted == (gint) labels[i])
    return FALSE;
  if (query->outcome == VT_OUTCOME_CORRECT && predicted != (gint) labels[i])
    return FALSE;
  return TRUE;
}

static int
compare_confidence (gconstpointer a,
                    gconstpointer b,
                    gpointer      data)
{
  const VtPredictions *predictions = ((gpointer *) data)[0];
  gboolean down = GPOINTER_TO_INT (((gpointer *) data)[1]);
  guint i = *(const guint *) a, j = *(const guint *) b;
  float ci = predictions->confidence[i], cj = predictions->confidence[j];

  /* Samples without a prediction last, whichever way. */
  if (isnan (ci) != isnan (cj))
    return isnan (ci) ? 1 : -1;
  if (!isnan (ci) && ci != cj)
    return (ci < cj) == !down ? -1 : 1;
  return i < j ? -1 : i > j;
}

GArray *
vt_predictions_select (const VtPredictions *predictions,
                       guint                n_samples,
                       const guint         *labels,
                       const VtSampleQuery *query)
{
  GArray *shown = g_array_new (FALSE, FALSE, sizeof (guint));

  g_return_val_if_fail (predictions == NULL || predictions->n_samples == n_samples, shown);
  for (guint i = 0; i < n_samples; i++)
    if (selected (predictions, labels, query, i))
      g_array_append_val (shown, i);
  if (predictions != NULL && query->order != VT_SAMPLE_ORDER_DATASET)
    {
      gpointer data[2] = { (gpointer) predictions, GINT_TO_POINTER (query->order == VT_SAMPLE_ORDER_CONFIDENCE_DOWN) };

      g_array_sort_with_data (shown, compare_confidence, data);
    }
  return shown;
}
