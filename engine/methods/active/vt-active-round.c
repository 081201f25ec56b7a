/* vt-active-round.c: the next queue of the Labeling area, and the choosing
 * step the `active` step's oracle loop shares with it. */
#include "vt-active-round.h"

#include <math.h>
#include <string.h>

static guint
argmax (const float *p,
        guint        k)
{
  guint best = 0;

  for (guint c = 1; c < k; c++)
    if (p[c] > p[best])
      best = c;
  return best;
}

guint
vt_active_round_select (const VtFeatureStore *pool,
                        guint                 n_pool,
                        const gboolean       *taken,
                        const guint          *labeled_rows,
                        guint                 n_labeled,
                        VtActiveLearner      *learner,
                        const VtActiveChoice *choice,
                        const double         *counts,
                        guint                 budget,
                        VtActiveRng          *rng,
                        guint                *picks,
                        float                *pick_probs,
                        GArray               *shortfalls)
{
  guint k = pool->n_classes, d = pool->dim, u = 0, got;
  g_autofree guint *unlabeled = g_new (guint, MAX (n_pool, 1));
  g_autofree float *features = NULL;
  g_autofree float *probs = NULL;
  g_autofree float *known = NULL;
  VtActivePool p;

  for (guint i = 0; i < n_pool; i++)
    if (!taken[i])
      unlabeled[u++] = i;
  if (learner == NULL)
    {
      VtActivePool everything = { .n = u, .k = k, .dim = d };

      got = vt_active_select (VT_ACTIVE_RANDOM, &everything, budget, rng, picks);
      for (guint i = 0; i < got; i++)
        picks[i] = unlabeled[picks[i]];
      if (pick_probs)
        memset (pick_probs, 0, (gsize) got * k * sizeof (float));
      return got;
    }

  features = vt_feature_store_gather (pool, unlabeled, u);
  probs = g_new (float, (gsize) MAX (u, 1) * k);
  vt_active_learner_probs (learner, features, u, probs);
  known = vt_feature_store_gather (pool, labeled_rows, n_labeled);
  p = (VtActivePool) { .n = u, .k = k, .dim = d, .probs = probs, .features = features,
                       .labeled = known, .n_labeled = n_labeled };
  if (!choice->pcb)
    got = vt_active_select (choice->strategy, &p, budget, rng, picks);
  else
    {
      guint n_candidates = MAX (budget, (guint) floor (choice->candidates * u));
      g_autofree guint *candidates = g_new (guint, MAX (n_candidates, 1));
      g_autofree guint *predicted = g_new (guint, MAX (u, 1));
      /* PCB counts the classes it predicts as it goes; the caller's
       * counts are the answers so far and stay as they are. */
      g_autofree double *scratch = g_memdup2 (counts, k * sizeof (double));

      n_candidates = vt_active_select (choice->strategy, &p, n_candidates, rng, candidates);
      for (guint i = 0; i < u; i++)
        predicted[i] = argmax (probs + (gsize) i * k, k);
      got = vt_pcb_select (candidates, n_candidates, predicted, scratch, k, budget, choice->pcb_fallback, rng, picks,
                           shortfalls);
    }
  for (guint i = 0; i < got; i++)
    {
      if (pick_probs)
        memcpy (pick_probs + (gsize) i * k, probs + (gsize) picks[i] * k, k * sizeof (float));
      picks[i] = unlabeled[picks[i]];
    }
  return got;
}

void
vt_active_round_free (VtActiveRound *self)
{
  if (self == NULL)
    return;
  g_free (self->rows);
  g_free (self->samples);
  g_free (self->guess);
  g_free (self->probs);
  g_free (self->top);
  if (self->shortfalls)
    g_array_unref (self->shortfalls);
  vt_active_learner_free (self->learner);
  g_free (self);
}

/* The @n classes of @p (K) in order of probability, ties to the lower class. */
static void
top_classes (const float *p,
             guint        k,
             guint        n,
             guint       *top)
{
  for (guint r = 0; r < n; r++)
    {
      guint best = G_MAXUINT;

      for (guint c = 0; c < k; c++)
        {
          gboolean used = FALSE;

          for (guint s = 0; s < r && !used; s++)
            used = top[s] == c;
          if (!used && (best == G_MAXUINT || p[c] > p[best]))
            best = c;
        }
      top[r] = best;
    }
}

VtActiveRound *
vt_active_round_run (const VtFeatureStore        *pool,
                     const VtFeatureStore        *test,
                     const VtActiveRoundOptions  *options,
                     const VtLabelDecision       *decisions,
                     guint                        n_decisions,
                     guint                        round,
                     GCancellable                *cancellable,
                     GError                     **error)
{
  guint n = pool->n_samples, k = pool->n_classes;
  g_autoptr(GHashTable) rows_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gboolean *taken = g_new0 (gboolean, MAX (n, 1));
  g_autoptr(GArray) labeled_rows = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree double *counts = g_new0 (double, k);
  g_autoptr(VtActiveLearner) learner = options->reuse;
  g_autoptr(VtActiveRound) self = NULL;
  VtActiveRng rng;

  g_return_val_if_fail (pool != NULL && options != NULL && options->budget > 0, NULL);
  g_return_val_if_fail (learner == NULL || (vt_active_learner_get_dim (learner) == pool->dim &&
                                            vt_active_learner_get_kind (learner) == options->learner.kind), NULL);

  if (test != NULL && (test->dim != pool->dim || test->n_classes != k))
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "the test store (%u features, %u classes) is not from the pool's model and dataset (%u features, "
                   "%u classes)", test->dim, test->n_classes, pool->dim, k);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    g_hash_table_insert (rows_of, &pool->indices[i], GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < n_decisions; i++)
    {
      const VtLabelDecision *decision = &decisions[i];
      guint row = GPOINTER_TO_UINT (g_hash_table_lookup (rows_of, &decision->sample));

      if (row == 0)
        {
          g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                       "sample %" G_GINT64_FORMAT " was decided but the store does not hold it", decision->sample);
          return NULL;
        }
      row--;
      taken[row] = TRUE;
      if (decision->label == VT_LABEL_SKIP)
        continue;
      if (decision->label < 0 || decision->label >= k)
        {
          g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                       "sample %" G_GINT64_FORMAT " has the label %" G_GINT64_FORMAT ", outside the store's %u classes",
                       decision->sample, decision->label, k);
          return NULL;
        }
      {
        gint32 label = (gint32) decision->label;

        g_array_append_val (labeled_rows, row);
        g_array_append_val (labels, label);
        counts[label] += 1.0;
      }
    }

  self = g_new0 (VtActiveRound, 1);
  self->round = round;
  self->k = k;
  self->n_top = MIN (k, VT_ACTIVE_ROUND_TOP);
  self->n_labeled = labeled_rows->len;
  self->accuracy = NAN;
  self->shortfalls = g_array_new (FALSE, FALSE, sizeof (VtPcbShortfall));
  self->rows = g_new (guint, options->budget);
  self->probs = g_new0 (float, (gsize) options->budget * k);

  if (labeled_rows->len > 0)
    {
      if (learner != NULL)
        ;
      else if (!VT_ACTIVE_LEARNER_IS_CLIP (options->learner.kind))
        learner = vt_active_learner_new (&options->learner, pool->dim, k);
      else if (options->clip == NULL)
        {
          g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                       "the zero_shot and coop learners need the pool's CLIP checkpoint");
          return NULL;
        }
      else if (!(learner = vt_active_learner_new_clip (&options->learner, options->clip, error)))
        return NULL;
      if (!vt_active_learner_train (learner, pool->features, (const guint *) (gpointer) labeled_rows->data,
                                    (const gint32 *) (gpointer) labels->data, labeled_rows->len, error))
        return NULL;
      if (test != NULL)
        self->accuracy = vt_active_learner_accuracy (learner, test->features, test->labels, test->n_samples);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  vt_active_rng_init (&rng, options->learner.seed + round);
  self->n = vt_active_round_select (pool, n, taken, (const guint *) (gpointer) labeled_rows->data, labeled_rows->len,
                                    learner, &options->choice, counts, options->budget, &rng, self->rows,
                                    self->probs, self->shortfalls);
  self->samples = g_new (gint64, MAX (self->n, 1));
  self->guess = g_new (gint32, MAX (self->n, 1));
  self->top = g_new (guint, (gsize) MAX (self->n, 1) * self->n_top);
  for (guint i = 0; i < self->n; i++)
    {
      const float *p = self->probs + (gsize) i * k;

      self->samples[i] = pool->indices[self->rows[i]];
      self->guess[i] = learner ? (gint32) argmax (p, k) : -1;
      top_classes (p, k, self->n_top, self->top + (gsize) i * self->n_top);
    }
  self->learner = g_steal_pointer (&learner);
  return g_steal_pointer (&self);
}
