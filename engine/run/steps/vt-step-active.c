/* vt-step-active.c: the "active" step kind: its keys, defaults, JSON and
 * constructor; and its executor, vt_run_active, oracle mode: the store's
 * own labels answer every question. */
#include "vt-step-active.h"
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "features/vt-feature-store.h"
#include "methods/active/vt-active-round.h"
#include "report/vt-csv.h"
#include "report/vt-report.h"

#include <math.h>
#include <string.h>

/* Order matches VtActiveLearnerKind. */
static const char * const learner_names[] = { "linear", "cosine", "zero_shot", "coop", NULL };

static void
active_init (VtStep *base)
{
  VtActiveStep *step = (VtActiveStep *) base;

  vt_active_learner_options_init (&step->learner);
  step->strategies = (1u << VT_ACTIVE_N_STRATEGIES) - 1;
  step->pcb = VT_ACTIVE_WITHOUT_PCB | VT_ACTIVE_WITH_PCB;
  step->pcb_fallback = VT_PCB_RANDOM;
  step->candidates = 0.1;
  step->rounds = 8;
  step->budget = 10;
  step->initial = 10;
  step->seeds[0] = 0;
  step->n_seeds = 1;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
active_clear (VtStep *base)
{
  VtActiveStep *step = (VtActiveStep *) base;

  g_free (step->store);
  g_free (step->test);
}

/* "pcb": true, false, or a list of them. */
static gboolean
parse_pcb (JsonObject   *object,
           const char   *path,
           VtActiveStep *step,
           GError      **error)
{
  JsonNode *node = json_object_get_member (object, "pcb");
  guint flags = 0;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    flags = json_node_get_boolean (node) ? VT_ACTIVE_WITH_PCB : VT_ACTIVE_WITHOUT_PCB;
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_BOOLEAN)
            {
              g_autofree char *key = g_strdup_printf ("pcb[%u]", i);
              return vt_step_invalid_key (error, path, key, "expected true or false");
            }
          flags |= json_node_get_boolean (item) ? VT_ACTIVE_WITH_PCB : VT_ACTIVE_WITHOUT_PCB;
        }
      if (flags == 0)
        return vt_step_invalid_key (error, path, "pcb", "expected at least one of true, false");
    }
  else
    return vt_step_invalid_key (error, path, "pcb", "expected true, false or a list of them");
  step->pcb = flags;
  return TRUE;
}

/* "seeds": a list of whole numbers from 0 to 2³² − 1, at most VT_ACTIVE_MAX_SEEDS. */
static gboolean
parse_seeds (JsonObject   *object,
             const char   *path,
             VtActiveStep *step,
             GError      **error)
{
  JsonNode *node = json_object_get_member (object, "seeds");
  JsonArray *array;
  guint n;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return vt_step_invalid_key (error, path, "seeds", "expected a list of whole numbers");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > VT_ACTIVE_MAX_SEEDS)
    {
      g_autofree char *message = g_strdup_printf ("expected from 1 to %u seeds, not %u", VT_ACTIVE_MAX_SEEDS, n);
      return vt_step_invalid_key (error, path, "seeds", message);
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      double v = JSON_NODE_HOLDS_VALUE (item) && (json_node_get_value_type (item) == G_TYPE_INT64 ||
                                                  json_node_get_value_type (item) == G_TYPE_DOUBLE)
                   ? json_node_get_double (item) : -1.0;

      if (v < 0 || v > G_MAXUINT32 || v != floor (v))
        {
          g_autofree char *key = g_strdup_printf ("seeds[%u]", i);
          return vt_step_invalid_key (error, path, key, "expected a whole number from 0 to 4294967295");
        }
      step->seeds[i] = (guint) v;
    }
  step->n_seeds = n;
  return TRUE;
}

static gboolean
parse_learner (JsonObject   *object,
               const char   *path,
               VtActiveStep *step,
               GError      **error)
{
  g_autofree char *name = NULL;

  if (!vt_json_get_string (object, path, "learner", FALSE, &name, error))
    return FALSE;
  if (name == NULL)
    return TRUE;
  for (guint i = 0; learner_names[i]; i++)
    if (g_str_equal (name, learner_names[i]))
      {
        /* coop trains with CoOp's own settings unless the spec says otherwise */
        vt_active_learner_options_defaults (&step->learner, (VtActiveLearnerKind) i);
        return TRUE;
      }
  {
    g_autofree char *message = g_strdup_printf ("“%s” is not one of linear, cosine, zero_shot, coop", name);
    return vt_step_invalid_key (error, path, "learner", message);
  }
}

static VtStep *
active_parse (JsonObject  *object,
              const char  *path,
              GError     **error)
{
  static const char * const keys[] = { "kind", "id", "store", "test", "learner", "strategies", "pcb", "pcb_fallback",
                                       "candidates", "rounds", "budget", "initial", "pool_samples", "seeds", "epochs", "batch",
                                       "lr", "momentum", "weight_decay", "cosine_scale", "warm_start", "n_ctx", "csc",
                                       "formats", NULL };
  VtActiveStep *step = (VtActiveStep *) vt_step_new (&vt_active_step_type, NULL);
  guint format_flags = step->formats;
  int fallback = step->pcb_fallback;
  double momentum = step->learner.momentum, weight_decay = step->learner.weight_decay;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "store", TRUE, &step->store, error) ||
      !vt_json_get_string (object, path, "test", TRUE, &step->test, error) ||
      !parse_learner (object, path, step, error) ||
      !vt_json_get_flags (object, path, "strategies", vt_active_strategy_names, &step->strategies, error) ||
      !parse_pcb (object, path, step, error) ||
      !vt_json_get_choice (object, path, "pcb_fallback", vt_pcb_fallback_names, &fallback, error) ||
      !vt_json_get_number (object, path, "candidates", 0.0, 1.0, &step->candidates, error) ||
      !vt_json_get_uint (object, path, "rounds", 1, 10000, &step->rounds, error) ||
      !vt_json_get_uint (object, path, "budget", 1, 1000000, &step->budget, error) ||
      !vt_json_get_uint (object, path, "initial", 1, 1000000, &step->initial, error) ||
      !vt_json_get_uint (object, path, "pool_samples", 0, G_MAXUINT32, &step->pool_samples, error) ||
      !parse_seeds (object, path, step, error) ||
      !vt_json_get_uint (object, path, "epochs", 1, 100000, &step->learner.epochs, error) ||
      !vt_json_get_uint (object, path, "batch", 0, 1000000, &step->learner.batch, error) ||
      !vt_json_get_number (object, path, "lr", 0.0, 100.0, &step->learner.lr, error) ||
      /* Zero is a fine momentum and weight decay: read them above −1e-300. */
      !vt_json_get_number (object, path, "momentum", -1e-300, 0.999999, &momentum, error) ||
      !vt_json_get_number (object, path, "weight_decay", -1e-300, 1.0, &weight_decay, error) ||
      !vt_json_get_number (object, path, "cosine_scale", 0.0, 1000.0, &step->learner.cosine_scale, error) ||
      !vt_json_get_bool (object, path, "warm_start", &step->learner.warm_start, error) ||
      !vt_json_get_uint (object, path, "n_ctx", 1, 1000, &step->learner.n_ctx, error) ||
      !vt_json_get_bool (object, path, "csc", &step->learner.csc, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  step->learner.momentum = MAX (momentum, 0.0);
  step->learner.weight_decay = MAX (weight_decay, 0.0);
  step->pcb_fallback = (VtPcbFallback) fallback;
  step->formats = format_flags;
  return &step->base;
}

static void
active_to_json (const VtStep *base,
                JsonObject   *object)
{
  const VtActiveStep *step = (const VtActiveStep *) base;
  JsonArray *strategies = json_array_new (), *pcb = json_array_new (), *seeds = json_array_new ();

  json_object_set_string_member (object, "store", step->store);
  json_object_set_string_member (object, "test", step->test);
  json_object_set_string_member (object, "learner", learner_names[step->learner.kind]);
  for (guint i = 0; i < VT_ACTIVE_N_STRATEGIES; i++)
    if (step->strategies & (1u << i))
      json_array_add_string_element (strategies, vt_active_strategy_names[i]);
  json_object_set_array_member (object, "strategies", strategies);
  if (step->pcb & VT_ACTIVE_WITHOUT_PCB)
    json_array_add_boolean_element (pcb, FALSE);
  if (step->pcb & VT_ACTIVE_WITH_PCB)
    json_array_add_boolean_element (pcb, TRUE);
  json_object_set_array_member (object, "pcb", pcb);
  json_object_set_string_member (object, "pcb_fallback", vt_pcb_fallback_names[step->pcb_fallback]);
  json_object_set_double_member (object, "candidates", step->candidates);
  json_object_set_int_member (object, "rounds", step->rounds);
  json_object_set_int_member (object, "budget", step->budget);
  json_object_set_int_member (object, "initial", step->initial);
  json_object_set_int_member (object, "pool_samples", step->pool_samples);
  for (guint i = 0; i < step->n_seeds; i++)
    json_array_add_int_element (seeds, step->seeds[i]);
  json_object_set_array_member (object, "seeds", seeds);
  json_object_set_int_member (object, "epochs", step->learner.epochs);
  json_object_set_int_member (object, "batch", step->learner.batch);
  json_object_set_double_member (object, "lr", step->learner.lr);
  json_object_set_double_member (object, "momentum", step->learner.momentum);
  json_object_set_double_member (object, "weight_decay", step->learner.weight_decay);
  json_object_set_double_member (object, "cosine_scale", step->learner.cosine_scale);
  json_object_set_boolean_member (object, "warm_start", step->learner.warm_start);
  json_object_set_int_member (object, "n_ctx", step->learner.n_ctx);
  json_object_set_boolean_member (object, "csc", step->learner.csc);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
active_formats (const VtStep *step)
{
  return ((const VtActiveStep *) step)->formats;
}

static const char *
active_store_read (const VtStep  *base,
                   guint          i,
                   const char   **key)
{
  const VtActiveStep *step = (const VtActiveStep *) base;

  *key = i == 0 ? "store" : "test";
  return i == 0 ? step->store : i == 1 ? step->test : NULL;
}

VtActiveStep *
vt_active_step_new (const char *id,
                    const char *store,
                    const char *test)
{
  VtActiveStep *step = (VtActiveStep *) vt_step_new (&vt_active_step_type, id);

  step->store = g_strdup (store);
  step->test = g_strdup (test);
  return step;
}

/* One run of the loop: a strategy, with or without PCB, and a seed. */
typedef struct
{
  VtActiveStrategy  strategy;
  gboolean          pcb;
  guint             seed;
  char             *name;        /* "entropy", "entropy+pcb": the curve it belongs to */
  double           *accuracy;    /* rounds + 1 */
  double           *histogram;   /* (rounds + 1, K): the labeled set's classes after each round */
  GArray          **selected;    /* rounds + 1 arrays of the samples' dataset indices (gint64) */
  guint             shortfalls;  /* PCB: picks whose class had no candidate left */
} Trial;

static void
trial_clear (Trial *trial,
             guint  rounds)
{
  g_free (trial->name);
  g_free (trial->accuracy);
  g_free (trial->histogram);
  for (guint r = 0; trial->selected && r <= rounds; r++)
    if (trial->selected[r])
      g_array_unref (trial->selected[r]);
  g_free (trial->selected);
}

/* Labels @rows of @pool: marks them, counts their classes, keeps their ids. */
static void
take (const VtFeatureStore *pool,
      const guint          *rows,
      guint                 n,
      gboolean             *labeled,
      GArray               *labeled_rows,
      double               *counts,
      GArray               *selected)
{
  for (guint i = 0; i < n; i++)
    {
      labeled[rows[i]] = TRUE;
      g_array_append_val (labeled_rows, rows[i]);
      counts[pool->labels[rows[i]]] += 1.0;
      g_array_append_val (selected, pool->indices[rows[i]]);
    }
}

/* The pool: the store's first pool_samples samples, or all of them. */
static guint
pool_size (const VtActiveStep   *step,
           const VtFeatureStore *pool)
{
  return step->pool_samples > 0 ? MIN (step->pool_samples, pool->n_samples) : pool->n_samples;
}

static gboolean
run_trial (VtRunContext         *run,
           const VtActiveStep   *step,
           const VtFeatureStore *pool,
           const VtFeatureStore *test,
           VtActiveClip         *clip,
           Trial                *trial,
           double                done,
           double                share,
           GError              **error)
{
  guint n = pool_size (step, pool), k = pool->n_classes, d = pool->dim;
  VtActiveLearnerOptions options = step->learner;
  g_autoptr(VtActiveLearner) learner = NULL;
  g_autofree gboolean *labeled = g_new0 (gboolean, n);
  g_autoptr(GArray) labeled_rows = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GArray) shortfalls = g_array_new (FALSE, FALSE, sizeof (VtPcbShortfall));
  g_autofree guint *picks = g_new (guint, MAX (n, 1));
  g_autofree guint *rows = g_new (guint, MAX (n, 1));
  g_autofree double *counts = g_new0 (double, k);
  VtActiveRng rng;
  VtActivePool everything = { .n = n, .k = k, .dim = d };
  guint got;

  options.seed = trial->seed;
  if (clip == NULL)
    learner = vt_active_learner_new (&options, d, k);
  else if (!(learner = vt_active_learner_new_clip (&options, clip, error)))
    return FALSE;
  vt_active_rng_init (&rng, trial->seed);
  trial->accuracy = g_new (double, step->rounds + 1);
  trial->histogram = g_new0 (double, (gsize) (step->rounds + 1) * k);
  trial->selected = g_new0 (GArray *, step->rounds + 1);

  for (guint r = 0; r <= step->rounds; r++)
    {
      g_autofree char *series = NULL;

      trial->selected[r] = g_array_new (FALSE, FALSE, sizeof (gint64));
      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      if (r == 0)
        got = vt_active_select (VT_ACTIVE_RANDOM, &everything, step->initial, &rng, picks);
      else
        {
          VtActiveChoice choice = { .strategy = trial->strategy, .pcb = trial->pcb,
                                    .pcb_fallback = step->pcb_fallback, .candidates = step->candidates };
          guint before = shortfalls->len;

          got = vt_active_round_select (pool, n, labeled, (const guint *) (gpointer) labeled_rows->data,
                                        labeled_rows->len, learner, &choice, counts, step->budget, &rng, picks,
                                        NULL, shortfalls);
          for (guint s = before; s < shortfalls->len; s++)
            {
              const VtPcbShortfall *sf = &g_array_index (shortfalls, VtPcbShortfall, s);
              g_autofree char *message = NULL;

              if (sf->taken_from == G_MAXUINT)
                message = g_strdup_printf ("%s seed %u round %u pick %u: PCB found no candidate predicted as "
                                           "“%s”; took a random candidate", trial->name, trial->seed, r,
                                           sf->pick + 1, pool->class_names[sf->klass]);
              else
                message = g_strdup_printf ("%s seed %u round %u pick %u: PCB found no candidate predicted as "
                                           "“%s”; took one predicted as “%s”", trial->name, trial->seed, r,
                                           sf->pick + 1, pool->class_names[sf->klass],
                                           pool->class_names[sf->taken_from]);
              g_string_append_printf (run->log, "- %s %s\n", run->step_id, message);
              vt_run_emit (run, VT_EVENT_PROGRESS, done, message);
            }
        }
      memcpy (rows, picks, got * sizeof (guint));
      take (pool, rows, got, labeled, labeled_rows, counts, trial->selected[r]);
      for (guint i = 0; i < got; i++)
        {
          gint32 label = (gint32) pool->labels[rows[i]];
          g_array_append_val (labels, label);
        }
      memcpy (trial->histogram + (gsize) r * k, counts, k * sizeof (double));
      if (!vt_active_learner_train (learner, pool->features, (const guint *) (gpointer) labeled_rows->data,
                                    (const gint32 *) (gpointer) labels->data, labeled_rows->len, error))
        {
          g_prefix_error (error, "%s seed %u round %u: ", trial->name, trial->seed, r);
          return FALSE;
        }
      trial->accuracy[r] = vt_active_learner_accuracy (learner, test->features, test->labels, test->n_samples);
      series = g_strdup_printf ("%s seed %u", trial->name, trial->seed);
      {
        VtEvent event = { .kind = VT_EVENT_METRIC, .series = series, .x_name = "round", .x = r,
                          .y = trial->accuracy[r], .values = trial->histogram + (gsize) r * k, .n_values = k };
        vt_run_dispatch (run, &event);
      }
      vt_run_emit (run, VT_EVENT_PROGRESS, done + share * (r + 1) / (step->rounds + 1), NULL);
    }
  trial->shortfalls = shortfalls->len;
  return TRUE;
}

/* A store's labels must be classes of it. */
static gboolean
check_labels (const VtFeatureStore *store,
              const char           *path,
              GError              **error)
{
  for (guint i = 0; i < store->n_samples; i++)
    if (store->labels[i] < 0 || (guint64) store->labels[i] >= store->n_classes)
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                     "%s: sample %u has the label %" G_GINT64_FORMAT ", outside its %u classes: the oracle needs "
                     "a labeled store", path, i, store->labels[i], store->n_classes);
        return FALSE;
      }
  return TRUE;
}

static void
set_numbers (JsonObject   *object,
             const char   *member,
             const double *values,
             guint         n)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++)
    vt_run_add_number (array, values[i]);
  json_object_set_array_member (object, member, array);
}

static double
smallest (const double *counts,
          guint         k)
{
  double v = counts[0];

  for (guint c = 1; c < k; c++)
    v = MIN (v, counts[c]);
  return v;
}

static double
largest (const double *counts,
         guint         k)
{
  double v = counts[0];

  for (guint c = 1; c < k; c++)
    v = MAX (v, counts[c]);
  return v;
}

JsonNode *
vt_run_active (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtActiveStep *step = (VtActiveStep *) base;
  g_autofree char *pool_path = vt_run_resolve_store (run, step->store);
  g_autofree char *test_path = vt_run_resolve_store (run, step->test);
  g_autoptr(VtFeatureStore) pool = NULL;
  g_autoptr(VtFeatureStore) test = NULL;
  g_autoptr(VtActiveClip) clip = NULL;
  g_autofree char *rounds_name = g_strdup_printf ("%s-rounds.csv", base->id);
  g_autofree char *selected_name = g_strdup_printf ("%s-selected.csv", base->id);
  g_autofree char *summary_name = g_strdup_printf ("%s-summary.csv", base->id);
  g_autoptr(GArray) trials = g_array_new (FALSE, TRUE, sizeof (Trial));
  GString *rounds_csv = NULL, *selected_csv = NULL, *summary_csv = NULL;
  JsonNode *node = NULL;
  JsonObject *out;
  JsonArray *classes, *runs, *curves;
  guint k, n_trials, n_curves = 0;
  gboolean ok = TRUE;

  if (!(pool = vt_run_load_store (pool_path, "pool", error)) ||
      !(test = vt_run_load_store (test_path, "test", error)) ||
      !check_labels (pool, pool_path, error) || !check_labels (test, test_path, error))
    return NULL;
  if (pool->dim != test->dim || pool->n_classes != test->n_classes)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s (%u features, %u classes) and %s (%u features, %u classes) are not from one model and dataset",
                   pool_path, pool->dim, pool->n_classes, test_path, test->dim, test->n_classes);
      return NULL;
    }
  if ((guint64) step->initial + (guint64) step->rounds * step->budget > pool_size (step, pool))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: initial + rounds × budget = %u + %u × %u is more than the %u samples of the pool (%s)",
                   run->step_path, step->initial, step->rounds, step->budget, pool_size (step, pool), pool_path);
      return NULL;
    }
  if (!vt_step_memory_check_active (pool, step, run->step_path, error))
    return NULL;
  /* the CLIP learners: the pool's checkpoint, which must have made the test store too */
  if (VT_ACTIVE_LEARNER_IS_CLIP (step->learner.kind) &&
      (!(clip = vt_active_clip_open (pool, pool_path, run->cancellable, error)) ||
       !vt_active_clip_check (clip, test, test_path, error)))
    {
      g_prefix_error (error, "%s: ", run->step_path);
      return NULL;
    }
  k = pool->n_classes;

  for (guint s = 0; s < VT_ACTIVE_N_STRATEGIES; s++)
    for (guint p = 0; p < 2; p++)
      if ((step->strategies & (1u << s)) && (step->pcb & (p ? VT_ACTIVE_WITH_PCB : VT_ACTIVE_WITHOUT_PCB)))
        for (guint i = 0; i < step->n_seeds; i++)
          {
            Trial t = { .strategy = (VtActiveStrategy) s, .pcb = p, .seed = step->seeds[i] };

            t.name = g_strdup_printf ("%s%s", vt_active_strategy_names[s], p ? "+pcb" : "");
            g_array_append_val (trials, t);
          }
  n_trials = trials->len;
  for (guint t = 0; t < n_trials && ok; t++)
    ok = run_trial (run, step, pool, test, clip, &g_array_index (trials, Trial, t), (double) t / n_trials,
                    1.0 / n_trials, error);
  if (!ok)
    goto out;

  rounds_csv = g_string_new ("strategy,pcb,seed,round,labeled,accuracy,smallest_class,largest_class");
  for (guint c = 0; c < k; c++)
    {
      g_string_append_c (rounds_csv, ',');
      vt_csv_append_field (rounds_csv, pool->class_names[c]);
    }
  g_string_append_c (rounds_csv, '\n');
  selected_csv = g_string_new ("strategy,pcb,seed,round,sample\n");
  summary_csv = g_string_new ("strategy,pcb,round,mean_accuracy,mean_smallest_class,mean_largest_class\n");

  node = json_node_new (JSON_NODE_OBJECT);
  out = json_object_new ();
  json_node_take_object (node, out);
  json_object_set_string_member (out, "store", pool_path);
  json_object_set_string_member (out, "test", test_path);
  json_object_set_string_member (out, "learner", learner_names[step->learner.kind]);
  json_object_set_int_member (out, "rounds", step->rounds);
  json_object_set_int_member (out, "budget", step->budget);
  json_object_set_int_member (out, "initial", step->initial);
  json_object_set_int_member (out, "pool", pool_size (step, pool));
  classes = json_array_new ();
  for (guint c = 0; c < k; c++)
    json_array_add_string_element (classes, pool->class_names[c]);
  json_object_set_array_member (out, "classes", classes);
  runs = json_array_new ();
  curves = json_array_new ();
  json_object_set_array_member (out, "runs", runs);
  json_object_set_array_member (out, "curves", curves);
  json_object_set_array_member (out, "figures", json_array_new ());

  for (guint t = 0; t < n_trials; t++)
    {
      Trial *trial = &g_array_index (trials, Trial, t);
      JsonObject *entry = json_object_new ();
      JsonArray *selected = json_array_new (), *histogram = json_array_new ();
      guint labeled = 0;

      json_object_set_string_member (entry, "strategy", vt_active_strategy_names[trial->strategy]);
      json_object_set_boolean_member (entry, "pcb", trial->pcb);
      json_object_set_int_member (entry, "seed", trial->seed);
      set_numbers (entry, "accuracy", trial->accuracy, step->rounds + 1);
      for (guint r = 0; r <= step->rounds; r++)
        {
          GArray *ids = trial->selected[r];
          JsonArray *round_ids = json_array_new ();
          const double *h = trial->histogram + (gsize) r * k;
          g_autofree char *accuracy = vt_run_csv_number (trial->accuracy[r]);

          for (guint i = 0; i < ids->len; i++)
            {
              gint64 id = g_array_index (ids, gint64, i);

              json_array_add_int_element (round_ids, id);
              g_string_append_printf (selected_csv, "%s,%s,%u,%u,%" G_GINT64_FORMAT "\n",
                                      vt_active_strategy_names[trial->strategy], trial->pcb ? "true" : "false",
                                      trial->seed, r, id);
            }
          json_array_add_array_element (selected, round_ids);
          {
            JsonArray *row = json_array_new ();
            for (guint c = 0; c < k; c++)
              json_array_add_int_element (row, (gint64) h[c]);
            json_array_add_array_element (histogram, row);
          }
          labeled += ids->len;
          g_string_append_printf (rounds_csv, "%s,%s,%u,%u,%u,%s,%.0f,%.0f", vt_active_strategy_names[trial->strategy],
                                  trial->pcb ? "true" : "false", trial->seed, r, labeled, accuracy, smallest (h, k),
                                  largest (h, k));
          for (guint c = 0; c < k; c++)
            g_string_append_printf (rounds_csv, ",%.0f", h[c]);
          g_string_append_c (rounds_csv, '\n');
        }
      json_object_set_array_member (entry, "selected", selected);
      json_object_set_array_member (entry, "histogram", histogram);
      json_object_set_int_member (entry, "pcb_shortfalls", trial->shortfalls);
      json_array_add_object_element (runs, entry);
    }

  /* The curves: each strategy with or without PCB, its seeds' mean. */
  for (guint t = 0; t < n_trials; t += step->n_seeds, n_curves++)
    {
      Trial *first = &g_array_index (trials, Trial, t);
      JsonObject *entry = json_object_new ();
      g_autofree double *mean = g_new0 (double, step->rounds + 1);
      g_autofree double *low = g_new0 (double, step->rounds + 1);
      g_autofree double *high = g_new0 (double, step->rounds + 1);
      g_autofree double *final = g_new0 (double, k);

      for (guint i = 0; i < step->n_seeds; i++)
        {
          Trial *trial = &g_array_index (trials, Trial, t + i);

          for (guint r = 0; r <= step->rounds; r++)
            {
              const double *h = trial->histogram + (gsize) r * k;

              mean[r] += trial->accuracy[r] / step->n_seeds;
              low[r] += smallest (h, k) / step->n_seeds;
              high[r] += largest (h, k) / step->n_seeds;
            }
          for (guint c = 0; c < k; c++)
            final[c] += trial->histogram[(gsize) step->rounds * k + c] / step->n_seeds;
        }
      json_object_set_string_member (entry, "name", first->name);
      json_object_set_string_member (entry, "strategy", vt_active_strategy_names[first->strategy]);
      json_object_set_boolean_member (entry, "pcb", first->pcb);
      set_numbers (entry, "mean_accuracy", mean, step->rounds + 1);
      set_numbers (entry, "mean_smallest_class", low, step->rounds + 1);
      set_numbers (entry, "mean_largest_class", high, step->rounds + 1);
      set_numbers (entry, "mean_final_histogram", final, k);
      json_array_add_object_element (curves, entry);
      for (guint r = 0; r <= step->rounds; r++)
        {
          g_autofree char *a = vt_run_csv_number (mean[r]);
          g_autofree char *l = vt_run_csv_number (low[r]);
          g_autofree char *h = vt_run_csv_number (high[r]);

          g_string_append_printf (summary_csv, "%s,%s,%u,%s,%s,%s\n", vt_active_strategy_names[first->strategy],
                                  first->pcb ? "true" : "false", r, a, l, h);
        }
    }
  json_object_set_string_member (out, "rounds_table", rounds_name);
  json_object_set_string_member (out, "selected_table", selected_name);
  json_object_set_string_member (out, "summary_table", summary_name);
  ok = vt_run_write_output (run, rounds_name, rounds_csv->str, error) &&
       vt_run_write_output (run, selected_name, selected_csv->str, error) &&
       vt_run_write_output (run, summary_name, summary_csv->str, error);

out:
  if (rounds_csv)
    g_string_free (rounds_csv, TRUE);
  if (selected_csv)
    g_string_free (selected_csv, TRUE);
  if (summary_csv)
    g_string_free (summary_csv, TRUE);
  for (guint t = 0; t < trials->len; t++)
    trial_clear (&g_array_index (trials, Trial, t), step->rounds);
  if (!ok && node)
    g_clear_pointer (&node, json_node_unref);
  return ok ? node : NULL;
}

const VtStepType vt_active_step_type = {
  .name = "active",
  .size = sizeof (VtActiveStep),
  .init = active_init,
  .parse = active_parse,
  .clear = active_clear,
  .to_json = active_to_json,
  .execute = vt_run_active,
  .formats = active_formats,
  .store_read = active_store_read,
  .figures = vt_report_active_figures,
};
