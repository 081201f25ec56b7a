/* test-active-round.c: the Labeling area's round (vt-active-round.h) on the
 * active fixtures (tests/reference/make_active_fixtures.py): its queue is
 * what vt_active_select and vt_pcb_select pick from the same head's
 * probabilities and random stream, with labeled and skipped samples left
 * out; its accuracy is the head's argmax counted by hand on the test store;
 * its guesses and top five are the head's; bad decisions are errors. */
#include <math.h>
#include <string.h>

#include "methods/active/vt-active-round.h"
#include "vt-test-util.h"

static VtFeatureStore *
load (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("active/%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (rel);
  g_autoptr(GError) error = NULL;
  VtFeatureStore *store = vt_feature_store_load (path, &error);

  g_assert_no_error (error);
  return store;
}

/* Labels rows 0..n_labels-1 by the store's own labels, skips the next
 * n_skips; as the journal would hand them over. */
static VtLabelDecision *
decisions (const VtFeatureStore *pool,
           guint                 n_labels,
           guint                 n_skips)
{
  VtLabelDecision *d = g_new (VtLabelDecision, n_labels + n_skips + 1);

  for (guint i = 0; i < n_labels + n_skips; i++)
    d[i] = (VtLabelDecision) { .sample = pool->indices[i], .round = 0,
                               .label = i < n_labels ? pool->labels[i] : VT_LABEL_SKIP };
  return d;
}

static void
options_for (VtActiveRoundOptions *options,
             VtActiveStrategy      strategy,
             gboolean              pcb)
{
  memset (options, 0, sizeof *options);
  vt_active_learner_options_init (&options->learner);
  options->learner.seed = 3;
  options->choice = (VtActiveChoice) { .strategy = strategy, .pcb = pcb, .pcb_fallback = VT_PCB_RANDOM,
                                       .candidates = 0.1 };
  options->budget = 12;
}

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

/* The round against its parts called directly, for every strategy alone
 * and under PCB. */
static void
test_round_equals_select (void)
{
  g_autoptr(VtFeatureStore) pool = load ("pool");
  g_autoptr(VtFeatureStore) test = load ("test");
  const guint n_labels = 20, n_skips = 5, round = 2, k = pool->n_classes;
  g_autofree VtLabelDecision *d = decisions (pool, n_labels, n_skips);
  guint checked = 0;

  for (guint s = 0; s < VT_ACTIVE_N_STRATEGIES; s++)
    for (guint pcb = 0; pcb < 2; pcb++)
      {
        VtActiveRoundOptions options;
        g_autoptr(GError) error = NULL;
        g_autoptr(VtActiveRound) got = NULL;
        g_autoptr(VtActiveLearner) learner = NULL;
        g_autofree guint *rows = g_new (guint, n_labels);
        g_autofree gint32 *labels = g_new (gint32, n_labels);
        g_autofree guint *unlabeled = g_new (guint, pool->n_samples);
        g_autofree guint *picks = g_new (guint, pool->n_samples);
        g_autofree float *features = NULL, *probs = NULL, *known = NULL, *test_probs = NULL;
        g_autofree double *counts = g_new0 (double, k);
        VtActivePool p;
        VtActiveRng rng;
        guint u = 0, want, correct = 0;

        options_for (&options, (VtActiveStrategy) s, pcb);
        got = vt_active_round_run (pool, test, &options, d, n_labels + n_skips, round, NULL, &error);
        g_assert_no_error (error);

        /* The same head, trained directly. */
        for (guint i = 0; i < n_labels; i++)
          {
            rows[i] = i;
            labels[i] = (gint32) pool->labels[i];
            counts[labels[i]] += 1.0;
          }
        learner = vt_active_learner_new (&options.learner, pool->dim, k);
        g_assert_true (vt_active_learner_train (learner, pool->features, rows, labels, n_labels, &error));
        for (guint i = n_labels + n_skips; i < pool->n_samples; i++)
          unlabeled[u++] = i;
        features = vt_feature_store_gather (pool, unlabeled, u);
        probs = g_new (float, (gsize) u * k);
        vt_active_learner_probs (learner, features, u, probs);
        known = vt_feature_store_gather (pool, rows, n_labels);
        p = (VtActivePool) { .n = u, .k = k, .dim = pool->dim, .probs = probs, .features = features,
                             .labeled = known, .n_labeled = n_labels };
        vt_active_rng_init (&rng, options.learner.seed + round);
        if (!pcb)
          want = vt_active_select ((VtActiveStrategy) s, &p, options.budget, &rng, picks);
        else
          {
            guint n_candidates = MAX (options.budget, (guint) floor (0.1 * u));
            g_autofree guint *candidates = g_new (guint, n_candidates);
            g_autofree guint *predicted = g_new (guint, u);

            n_candidates = vt_active_select ((VtActiveStrategy) s, &p, n_candidates, &rng, candidates);
            for (guint i = 0; i < u; i++)
              predicted[i] = argmax (probs + (gsize) i * k, k);
            want = vt_pcb_select (candidates, n_candidates, predicted, counts, k, options.budget, VT_PCB_RANDOM, &rng,
                                  picks, NULL);
          }
        g_assert_cmpuint (got->n, ==, want);
        g_assert_cmpuint (got->n, ==, options.budget);
        for (guint i = 0; i < want; i++)
          {
            const float *q = probs + (gsize) picks[i] * k;

            g_assert_cmpuint (got->rows[i], ==, unlabeled[picks[i]]);
            g_assert_cmpint (got->samples[i], ==, pool->indices[unlabeled[picks[i]]]);
            g_assert_cmpint (got->guess[i], ==, (gint32) argmax (q, k));
            g_assert_cmpuint (got->top[(gsize) i * got->n_top], ==, (guint) got->guess[i]);
            for (guint c = 0; c < k; c++)
              g_assert_cmpfloat (got->probs[(gsize) i * k + c], ==, q[c]);
            for (guint r = 1; r < got->n_top; r++)
              g_assert_cmpfloat (q[got->top[(gsize) i * got->n_top + r - 1]], >=,
                                 q[got->top[(gsize) i * got->n_top + r]]);
          }
        /* The accuracy, counted by hand from the head's probabilities. */
        test_probs = g_new (float, (gsize) test->n_samples * k);
        vt_active_learner_probs (learner, test->features, test->n_samples, test_probs);
        for (guint i = 0; i < test->n_samples; i++)
          correct += (gint64) argmax (test_probs + (gsize) i * k, k) == test->labels[i];
        g_assert_cmpfloat (got->accuracy, ==, (double) correct / test->n_samples);
        g_assert_cmpuint (got->n_labeled, ==, n_labels);
        checked++;
      }
  g_assert_cmpuint (checked, ==, 2 * VT_ACTIVE_N_STRATEGIES);
}

/* Nothing labeled: a random pick of the undecided, no guess, no accuracy;
 * a pool nearly used up gives a short queue. */
static void
test_round_first_and_last (void)
{
  g_autoptr(VtFeatureStore) pool = load ("pool");
  g_autoptr(VtFeatureStore) test = load ("test");
  g_autofree VtLabelDecision *skips = decisions (pool, 0, 4);
  g_autofree VtLabelDecision *most = decisions (pool, pool->n_samples - 3, 0);
  g_autoptr(VtActiveRound) first = NULL;
  g_autoptr(VtActiveRound) last = NULL;
  g_autoptr(GError) error = NULL;
  VtActiveRoundOptions options;
  g_autofree guint *picks = g_new (guint, pool->n_samples);
  VtActivePool everything = { .n = pool->n_samples - 4, .k = pool->n_classes, .dim = pool->dim };
  VtActiveRng rng;
  guint want;

  options_for (&options, VT_ACTIVE_ENTROPY, TRUE);
  first = vt_active_round_run (pool, test, &options, skips, 4, 0, NULL, &error);
  g_assert_no_error (error);
  vt_active_rng_init (&rng, options.learner.seed);
  want = vt_active_select (VT_ACTIVE_RANDOM, &everything, options.budget, &rng, picks);
  g_assert_cmpuint (first->n, ==, want);
  g_assert_true (isnan (first->accuracy));
  for (guint i = 0; i < want; i++)
    {
      g_assert_cmpuint (first->rows[i], ==, picks[i] + 4);
      g_assert_cmpint (first->guess[i], ==, -1);
    }

  last = vt_active_round_run (pool, NULL, &options, most, pool->n_samples - 3, 5, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (last->n, ==, 3);
  g_assert_true (isnan (last->accuracy));
  for (guint i = 0; i < last->n; i++)
    g_assert_cmpuint (last->rows[i], >=, pool->n_samples - 3);
}

static void
test_round_errors (void)
{
  g_autoptr(VtFeatureStore) pool = load ("pool");
  VtLabelDecision unknown = { .sample = 1000000, .label = 0 };
  VtLabelDecision out_of_range = { .sample = pool->indices[0], .label = pool->n_classes };
  VtActiveRoundOptions options;
  GError *error = NULL;

  options_for (&options, VT_ACTIVE_MARGIN, FALSE);
  g_assert_null (vt_active_round_run (pool, NULL, &options, &unknown, 1, 1, NULL, &error));
  g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "1000000"));
  g_clear_error (&error);
  g_assert_null (vt_active_round_run (pool, NULL, &options, &out_of_range, 1, 1, NULL, &error));
  g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "outside"));
  g_clear_error (&error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/active-round/equals-select", test_round_equals_select);
  g_test_add_func ("/engine/active-round/first-and-last", test_round_first_and_last);
  g_test_add_func ("/engine/active-round/errors", test_round_errors);
  return g_test_run ();
}
