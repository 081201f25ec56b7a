/* vt-cil-run.c: the protocol loop and its metrics.
 *
 * Stage by stage, every method learns before the next stage starts, so a
 * chart of all methods grows together. */
#include "vt-cil-run.h"

#include <math.h>

static void
method_result_free (VtCilMethodResult *r)
{
  g_free (r->accuracy);
  g_free (r->seen_accuracy);
  g_free (r->per_class);
  g_free (r->confusion);
  g_free (r->predictions);
  g_free (r);
}

void
vt_cil_result_free (VtCilResult *result)
{
  if (result == NULL)
    return;
  g_free (result->order);
  g_strfreev (result->class_names);
  g_free (result->stage_ends);
  g_free (result->test_labels);
  g_clear_pointer (&result->methods, g_ptr_array_unref);
  g_free (result);
}

static gboolean
check_stores (VtFeatureStore  *train,
              VtFeatureStore  *test,
              GError         **error)
{
  if (train->dim != test->dim)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                   "the train features have %u dimensions and the test features %u: they must come from "
                   "the same model", train->dim, test->dim);
      return FALSE;
    }
  if (train->n_classes != test->n_classes)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                   "the train store has %u classes and the test store %u", train->n_classes, test->n_classes);
      return FALSE;
    }
  for (guint c = 0; c < train->n_classes; c++)
    if (g_strcmp0 (train->class_names[c], test->class_names[c]) != 0)
      {
        g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                     "class %u is “%s” in the train store but “%s” in the test store",
                     c, train->class_names[c], test->class_names[c]);
        return FALSE;
      }
  if (train->n_samples == 0 || test->n_samples == 0)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT, "the %s store holds no samples",
                   train->n_samples == 0 ? "train" : "test");
      return FALSE;
    }
  /* LAPACK would only say "dposv: -5". */
  if (train->dim == 0)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                   "the stores' features have no dimensions (width 0): there is nothing to learn from");
      return FALSE;
    }
  return TRUE;
}

/* The rows of @store whose class (in order) lies in [first, end), as
 * doubles, with their ordered labels: in store order, or grouped by class
 * (stably) with @by_class. *x and *y are reused while *capacity rows fit:
 * fresh memory costs a page fault per 4 KiB, a third of a GDA run's time. */
static gsize
select_rows (VtFeatureStore  *store,
             const guint     *rank,
             guint            first,
             guint            end,
             gboolean         by_class,
             double         **x,
             guint          **y,
             gsize           *capacity)
{
  g_autofree gsize *slot = g_new0 (gsize, end - first + 1);
  gsize n = 0;

  /* Counting sort: slot[c] is where class first + c starts. */
  for (guint i = 0; i < store->n_samples; i++)
    {
      guint c = rank[store->labels[i]];
      if (c >= first && c < end)
        {
          slot[c - first + 1]++;
          n++;
        }
    }
  for (guint c = 1; c <= end - first; c++)
    slot[c] += slot[c - 1];
  if (n > *capacity || *x == NULL)
    {
      g_free (*x);
      g_free (*y);
      *capacity = MAX (n, 1);
      *x = g_new (double, *capacity * store->dim);
      *y = g_new (guint, *capacity);
    }
  for (guint i = 0, k = 0; i < store->n_samples; i++)
    {
      guint c = rank[store->labels[i]];
      gsize row;

      if (c < first || c >= end)
        continue;
      row = by_class ? slot[c - first]++ : k++;
      for (guint d = 0; d < store->dim; d++)
        (*x)[row * store->dim + d] = store->features[(gsize) i * store->dim + d];
      (*y)[row] = c;
    }
  return n;
}

/* The row of the accuracy matrix for @stage, and the seen accuracy. */
static void
score_stage (VtCilResult        *result,
             VtCilMethodResult  *r,
             guint               stage,
             const guint        *truth,
             const guint        *pred,
             gsize               n)
{
  guint s = result->n_stages;
  g_autofree guint64 *right = g_new0 (guint64, s);
  g_autofree guint64 *total = g_new0 (guint64, s);
  guint64 all_right = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint task = 0;
      while (truth[i] >= result->stage_ends[task])
        task++;
      total[task]++;
      right[task] += pred[i] == truth[i];
      all_right += pred[i] == truth[i];
    }
  for (guint j = 0; j <= stage; j++)
    r->accuracy[(gsize) stage * s + j] = total[j] ? (double) right[j] / total[j] : NAN;
  r->seen_accuracy[stage] = n ? (double) all_right / n : NAN;
}

static void
finish_metrics (VtCilResult        *result,
                VtCilMethodResult  *r,
                const guint        *truth,
                gsize               n)
{
  guint s = result->n_stages, k = result->n_classes;
  g_autofree guint64 *per_class_total = g_new0 (guint64, k);
  double sum = 0.0;

  for (guint t = 0; t < s; t++)
    sum += r->seen_accuracy[t];
  r->average_incremental = sum / s;
  r->last = r->seen_accuracy[s - 1];
  if (s > 1)
    {
      double forgetting = 0.0;
      for (guint j = 0; j + 1 < s; j++)
        {
          double best = 0.0;
          for (guint t = j; t < s; t++)
            best = MAX (best, r->accuracy[(gsize) t * s + j]);
          forgetting += best - r->accuracy[(gsize) (s - 1) * s + j];
        }
      r->forgetting = forgetting / (s - 1);
    }
  else
    r->forgetting = NAN;

  for (gsize i = 0; i < n; i++)
    {
      r->confusion[(gsize) truth[i] * k + r->predictions[i]]++;
      per_class_total[truth[i]]++;
    }
  for (guint c = 0; c < k; c++)
    r->per_class[c] = per_class_total[c] ? (double) r->confusion[(gsize) c * k + c] / per_class_total[c] : NAN;
}

/* A method's progress inside a stage, as a fraction of the whole run. */
typedef struct
{
  const VtEventSink *events;
  const char     *title;
  guint           method;
  guint           n_methods;
  guint           stage;
  guint           n_stages;
} StageProgress;

static void
stage_progress (double      fraction,
                const char *what,
                gpointer    data)
{
  StageProgress *p = data;
  g_autofree char *message = g_strdup_printf ("%s, stage %u of %u: %s", p->title, p->stage + 1, p->n_stages, what);
  double done = (double) p->stage * p->n_methods + p->method + CLAMP (fraction, 0.0, 1.0);

  vt_event_emit_progress (p->events, done / ((double) p->n_stages * p->n_methods), message, 0, -1);
}

VtCilResult *
vt_cil_run (VtFeatureStore           *train,
            VtFeatureStore           *test,
            const guint              *order,
            const VtCilSplit         *split,
            const VtCilMethodClass  **methods,
            guint                     n_methods,
            const VtCilOptions       *options,
            const VtEventSink        *events,
            GCancellable             *cancellable,
            GError                  **error)
{
  g_autoptr(VtCilResult) result = NULL;
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_cil_method_free);
  g_autoptr(GArray) ends = NULL;
  g_autofree guint *rank = NULL;
  g_autofree double *test_x = NULL;
  g_autofree double *x = NULL;
  g_autofree guint *y = NULL;
  gsize test_capacity = 0, capacity = 0;
  guint k, dim = train->dim;
  StageProgress progress;

  if (!check_stores (train, test, error) ||
      !vt_cil_split_stages (split, train->n_classes, &ends, error))
    return NULL;
  k = train->n_classes;
  result = g_new0 (VtCilResult, 1);
  result->n_classes = k;
  result->order = g_memdup2 (order, sizeof (guint) * k);
  result->class_names = g_new0 (char *, k + 1);
  rank = g_new (guint, k);
  for (guint i = 0; i < k; i++)
    {
      rank[order[i]] = i;
      result->class_names[i] = g_strdup (train->class_names[order[i]]);
    }
  result->n_stages = ends->len;
  result->stage_ends = g_memdup2 (ends->data, sizeof (guint) * ends->len);
  result->n_test = select_rows (test, rank, 0, k, TRUE, &test_x, &result->test_labels, &test_capacity);
  result->methods = g_ptr_array_new_with_free_func ((GDestroyNotify) method_result_free);
  for (guint m = 0; m < n_methods; m++)
    {
      VtCilMethodResult *r = g_new0 (VtCilMethodResult, 1);
      gsize s = result->n_stages;

      r->klass = methods[m];
      r->accuracy = g_new (double, s * s);
      for (gsize i = 0; i < s * s; i++)
        r->accuracy[i] = NAN;
      r->seen_accuracy = g_new0 (double, s);
      r->per_class = g_new0 (double, k);
      r->confusion = g_new0 (guint64, (gsize) k * k);
      r->predictions = g_new0 (guint, MAX (result->n_test, 1));
      g_ptr_array_add (result->methods, r);
      g_ptr_array_add (states, vt_cil_method_new (methods[m], dim, k, options));
      ((VtCilMethod *) g_ptr_array_index (states, m))->cancellable = cancellable;
    }

  for (guint t = 0; t < result->n_stages; t++)
    {
      guint first = t ? result->stage_ends[t - 1] : 0, end = result->stage_ends[t];
      gsize n = select_rows (train, rank, first, end, FALSE, &x, &y, &capacity);
      gsize n_seen_test = 0;

      /* The test samples are grouped in class order: the seen ones come first. */
      while (n_seen_test < result->n_test && result->test_labels[n_seen_test] < end)
        n_seen_test++;
      for (guint m = 0; m < n_methods; m++)
        {
          VtCilMethodResult *r = g_ptr_array_index (result->methods, m);
          gint64 start = g_get_monotonic_time ();

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          if (n == 0)
            {
              g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT,
                           "the train store has no samples of stage %u's classes (%u to %u in the class order): "
                           "choose a split whose every stage has training samples", t + 1, first, end - 1);
              return NULL;
            }
          if (events && events->func)
            {
              VtCilMethod *state = g_ptr_array_index (states, m);

              progress = (StageProgress) { events, r->klass->title, m, n_methods, t, result->n_stages };
              state->progress = stage_progress;
              state->progress_data = &progress;
              vt_cil_method_progress (state, 0.0, "learning");
            }
          if (!vt_cil_method_learn (g_ptr_array_index (states, m), x, y, n, end, error))
            return NULL;
          r->klass->predict (g_ptr_array_index (states, m), test_x, n_seen_test, r->predictions);
          /* A prediction cut short by Cancel leaves r->predictions unset. */
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          r->seconds += (g_get_monotonic_time () - start) / 1e6;
          score_stage (result, r, t, result->test_labels, r->predictions, n_seen_test);
          if (events && events->func)
            {
              g_autofree char *message = g_strdup_printf ("%s, stage %u of %u (%u classes): %.2f%% on the seen classes",
                                                          r->klass->title, t + 1, result->n_stages,
                                                          result->stage_ends[t], 100 * r->seen_accuracy[t]);

              vt_event_emit_metric (events, r->klass->title, "stage", t, r->seen_accuracy[t],
                                    r->accuracy + (gsize) t * result->n_stages, result->n_stages);
              vt_event_emit_progress (events, (double) (t * n_methods + m + 1) / (result->n_stages * n_methods),
                                      message, 0, -1);
            }
        }
    }
  for (guint m = 0; m < n_methods; m++)
    finish_metrics (result, g_ptr_array_index (result->methods, m), result->test_labels, result->n_test);
  return g_steal_pointer (&result);
}
