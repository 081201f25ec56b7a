/* test-cil.c: the class-incremental protocol and methods against plain numpy
 * implementations on the same features (ResNet-20 on real CIFAR-10 JPEGs):
 * the same class order, the same predictions for every test sample, the
 * same metrics to 1e-6. Reference: tests/reference/make_cil_fixture.py. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "core/vt-lapack.h"
#include "methods/cil/vt-cil-run.h"
#include "vt-test-util.h"

static JsonObject *
expected (void)
{
  static JsonParser *parser;
  g_autoptr(GError) error = NULL;

  if (parser == NULL)
    {
      g_autofree char *path = vt_test_fixture ("cil/expected.json");
      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static VtFeatureStore *
load_store (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("cil/%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (rel);
  g_autoptr(GError) error = NULL;
  VtFeatureStore *store = vt_feature_store_load (path, &error);

  g_assert_no_error (error);
  return store;
}

static void
test_class_order (void)
{
  JsonArray *orders = json_object_get_array_member (expected (), "orders");

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *o = json_array_get_object_element (orders, i);
      guint n = (guint) json_object_get_int_member (o, "n");
      JsonArray *want = json_object_get_array_member (o, "order");
      g_autofree guint *order = vt_cil_class_order (n, TRUE, (guint32) json_object_get_int_member (o, "seed"));

      for (guint c = 0; c < n; c++)
        g_assert_cmpuint (order[c], ==, json_array_get_int_element (want, c));
    }
  {
    g_autofree guint *plain = vt_cil_class_order (5, FALSE, 0);
    for (guint c = 0; c < 5; c++)
      g_assert_cmpuint (plain[c], ==, c);
  }
}

static void
test_split (void)
{
  static const char *bad[] = { "B0Inc10", "Inc10", "B-Inc10", "B0-Inc0", "B0-Inc10x", "b0-inc10", "" };
  VtCilSplit split;
  g_autoptr(GArray) ends = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (vt_cil_split_parse ("B0-Inc10", &split, &error));
  g_assert_true (vt_cil_split_stages (&split, 100, &ends, &error));
  g_assert_cmpuint (ends->len, ==, 10);
  g_assert_cmpuint (g_array_index (ends, guint, 9), ==, 100);
  g_clear_pointer (&ends, g_array_unref);
  g_assert_true (vt_cil_split_parse ("B50-Inc10", &split, &error));
  g_assert_true (vt_cil_split_stages (&split, 100, &ends, &error));
  g_assert_cmpuint (ends->len, ==, 6);
  g_assert_cmpuint (g_array_index (ends, guint, 0), ==, 50);
  g_assert_cmpuint (g_array_index (ends, guint, 1), ==, 60);
  g_clear_pointer (&ends, g_array_unref);

  g_assert_true (vt_cil_split_parse ("B0-Inc3", &split, &error));
  g_assert_false (vt_cil_split_stages (&split, 10, &ends, &error));
  g_assert_error (error, VT_CIL_ERROR, VT_CIL_ERROR_SPLIT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (vt_cil_split_parse (bad[i], &split, &error));
      g_assert_error (error, VT_CIL_ERROR, VT_CIL_ERROR_SPLIT);
      g_clear_error (&error);
    }
}

static double
number_or_nan (JsonNode *node)
{
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static void
assert_close (double      ours,
              double      theirs,
              double     *worst,
              const char *what)
{
  if (isnan (theirs))
    {
      if (!isnan (ours))
        g_error ("%s: %g where numpy has none", what, ours);
      return;
    }
  *worst = MAX (*worst, fabs (ours - theirs));
  if (!(fabs (ours - theirs) <= 1e-6))
    g_error ("%s: %.9g, numpy %.9g", what, ours, theirs);
}

static void
test_methods (gconstpointer data)
{
  guint index = GPOINTER_TO_UINT (data);
  JsonObject *run = json_array_get_object_element (json_object_get_array_member (expected (), "runs"), index);
  JsonObject *config = json_object_get_object_member (run, "config");
  JsonObject *methods = json_object_get_object_member (run, "methods");
  JsonArray *labels = json_object_get_array_member (run, "test_labels_ordered");
  g_autoptr(VtFeatureStore) train = load_store ("train");
  g_autoptr(VtFeatureStore) test = load_store ("test");
  g_autoptr(VtCilResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint *order = vt_cil_class_order (train->n_classes, TRUE, VT_CIL_DEFAULT_SEED);
  const VtCilMethodClass * const *all = vt_cil_methods ();
  const VtCilMethodClass *chosen[4];
  g_autofree guint *sorted_truth = NULL;
  VtCilOptions options;
  VtCilSplit split;
  double worst = 0.0;

  vt_cil_options_init (&options);
  options.gda_shrinkage = g_str_equal (json_object_get_string_member (config, "gda"), "ks")
                        ? VT_GDA_SHRINK_KS : VT_GDA_SHRINK_RIDGE;
  options.ranpac_dim = (guint) json_object_get_int_member (config, "ranpac_dim");
  options.ranpac_seed = (guint32) json_object_get_int_member (config, "ranpac_seed");
  g_assert_true (vt_cil_split_parse (json_object_get_string_member (config, "split"), &split, &error));
  for (guint m = 0; m < 4; m++)
    chosen[m] = all[m];

  result = vt_cil_run (train, test, order, &split, chosen, 4, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_test, ==, json_array_get_length (labels));

  /* Our test rows are grouped by class; numpy's are in store order. Match
   * them through a stable sort of numpy's labels. */
  sorted_truth = g_new (guint, result->n_test);
  {
    g_autofree guint *count = g_new0 (guint, result->n_classes + 1);
    g_autofree guint *position = g_new (guint, result->n_test);
    for (guint i = 0; i < result->n_test; i++)
      count[json_array_get_int_element (labels, i) + 1]++;
    for (guint c = 1; c <= result->n_classes; c++)
      count[c] += count[c - 1];
    for (guint i = 0; i < result->n_test; i++)
      position[i] = count[json_array_get_int_element (labels, i)]++;
    for (guint i = 0; i < result->n_test; i++)
      sorted_truth[position[i]] = (guint) json_array_get_int_element (labels, i);
    g_assert_cmpmem (sorted_truth, result->n_test * sizeof (guint), result->test_labels, result->n_test * sizeof (guint));

    for (guint m = 0; m < result->methods->len; m++)
      {
        VtCilMethodResult *r = g_ptr_array_index (result->methods, m);
        JsonObject *want = json_object_get_object_member (methods, r->klass->name);
        JsonArray *predictions = json_object_get_array_member (want, "final_predictions");
        JsonArray *accuracy = json_object_get_array_member (want, "accuracy");
        JsonArray *seen = json_object_get_array_member (want, "seen_accuracy");
        guint differ = 0;

        for (guint i = 0; i < result->n_test; i++)
          differ += r->predictions[position[i]] != (guint) json_array_get_int_element (predictions, i);
        g_test_message ("%s %s: %u of %u final predictions differ from numpy; last %.4f, average %.4f, "
                        "forgetting %.4f, %.3f s", json_object_get_string_member (config, "split"),
                        r->klass->title, differ, result->n_test, r->last, r->average_incremental,
                        r->forgetting, r->seconds);
        g_assert_cmpuint (differ, ==, 0);
        for (guint t = 0; t < result->n_stages; t++)
          {
            JsonArray *row = json_array_get_array_element (accuracy, t);
            assert_close (r->seen_accuracy[t], json_array_get_double_element (seen, t), &worst, "seen accuracy");
            for (guint j = 0; j < result->n_stages; j++)
              assert_close (r->accuracy[(gsize) t * result->n_stages + j],
                            number_or_nan (json_array_get_element (row, j)), &worst, "accuracy matrix");
          }
        assert_close (r->average_incremental, json_object_get_double_member (want, "average_incremental"), &worst,
                      "average incremental accuracy");
        assert_close (r->last, json_object_get_double_member (want, "last"), &worst, "last accuracy");
        assert_close (r->forgetting, number_or_nan (json_object_get_member (want, "forgetting")), &worst,
                      "forgetting");
      }
  }
  g_test_message ("largest metric difference from numpy: %.3g", worst);
}

static void
test_errors (void)
{
  g_autoptr(VtFeatureStore) train = load_store ("train");
  g_autoptr(VtFeatureStore) test = load_store ("test");
  g_autoptr(GError) error = NULL;
  g_autofree guint *order = vt_cil_class_order (10, TRUE, VT_CIL_DEFAULT_SEED);
  const VtCilMethodClass *nmc[] = { &vt_cil_nmc };
  VtCilOptions options;
  VtCilSplit split = { 0, 3 };
  VtCilResult *result;

  vt_cil_options_init (&options);
  result = vt_cil_run (train, test, order, &split, nmc, 1, &options, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VT_CIL_ERROR, VT_CIL_ERROR_SPLIT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  split.step = 2;
  test->dim = 32;
  result = vt_cil_run (train, test, order, &split, nmc, 1, &options, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  test->dim = 64;

  g_free (test->class_names[3]);
  test->class_names[3] = g_strdup ("kitten");
  result = vt_cil_run (train, test, order, &split, nmc, 1, &options, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, VT_CIL_ERROR, VT_CIL_ERROR_INPUT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "kitten"));
}

/* What a run said last, shared with the thread that cancels it. */
typedef struct
{
  GMutex         lock;
  GCond          changed;
  char          *message;
  double         fraction;
  /* The canceller: once a message holds @phase (or after 60 s, so a run
   * that reports nothing still ends), wait @delay_ms and cancel. */
  const char    *phase;
  guint          delay_ms;
  GCancellable  *cancellable;
  gint64         cancelled_at;   /* monotonic µs */
} Heard;

static void
on_progress (const VtEvent *event,
             gpointer       data)
{
  Heard *heard = data;
  double fraction = event->fraction;
  const char *message = event->message;

  if (event->kind != VT_EVENT_PROGRESS)
    return;
  g_mutex_lock (&heard->lock);
  g_assert_cmpfloat (fraction, >=, heard->fraction);
  g_assert_cmpfloat (fraction, <=, 1.0);
  g_free (heard->message);
  heard->message = g_strdup (message);
  heard->fraction = fraction;
  g_cond_broadcast (&heard->changed);
  g_mutex_unlock (&heard->lock);
}

static gpointer
cancel_in_phase (gpointer data)
{
  Heard *heard = data;
  gint64 give_up = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_mutex_lock (&heard->lock);
  while (!(heard->message && strstr (heard->message, heard->phase)) &&
         g_cond_wait_until (&heard->changed, &heard->lock, give_up))
    ;
  g_mutex_unlock (&heard->lock);
  g_usleep ((gulong) heard->delay_ms * 1000);
  heard->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (heard->cancellable);
  return NULL;
}

/* Issue 23: RanPAC at a large M stops within 200 ms of Cancel wherever it
 * is (the Gram products, inside a Cholesky solve of the λ search, the
 * final solve), and while it learns, the progress names
 * it, its stage and what it does. M = 2,000 on the fixture: the 18 solves
 * of each of the five stages take several seconds together on two cores
 * (minutes when loaded), while the matrices stay small enough (32 MB) that
 * touching one is not what the bound measures. */
static void
test_ranpac_cancel (void)
{
  static const struct { const char *phase; guint delay_ms; const char *still; } cases[] = {
    { "RanPAC, stage 1 of 5: Gram matrix", 5, "RanPAC, stage 1 of 5: Gram matrix" },
    { "RanPAC, stage 1 of 5: choosing λ (1 of 17)", 10, "RanPAC, stage 1 of 5: " },
    { "RanPAC, stage 1 of 5: choosing λ (9 of 17)", 5, "RanPAC, stage 1 of 5: choosing λ" },
    { "RanPAC, stage 1 of 5: output weights", 5, "RanPAC, stage 1 of 5: output weights" },
  };
  g_autoptr(VtFeatureStore) train = load_store ("train");
  g_autoptr(VtFeatureStore) test = load_store ("test");
  g_autofree guint *order = vt_cil_class_order (train->n_classes, TRUE, VT_CIL_DEFAULT_SEED);
  const VtCilMethodClass *methods[] = { &vt_cil_gda, &vt_cil_ranpac };
  VtCilOptions options;
  VtCilSplit split = { 2, 2 };

  vt_cil_options_init (&options);
  options.ranpac_dim = 2000;
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(VtCilResult) result = NULL;
      Heard heard = { .phase = cases[c].phase, .delay_ms = cases[c].delay_ms, .cancellable = cancellable };
      GThread *thread;
      gint64 returned;

      g_mutex_init (&heard.lock);
      g_cond_init (&heard.changed);
      thread = g_thread_new ("cancel", cancel_in_phase, &heard);
      VtEventSink sink = { on_progress, &heard };

      result = vt_cil_run (train, test, order, &split, methods, G_N_ELEMENTS (methods), &options, &sink,
                           cancellable, &error);
      returned = g_get_monotonic_time ();
      g_thread_join (thread);
      g_test_message ("cancelled %u ms after “%s”, at “%s” (%.3f): returned %.1f ms later", cases[c].delay_ms,
                      cases[c].phase, heard.message, heard.fraction, (returned - heard.cancelled_at) / 1e3);
      g_assert_null (result);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_nonnull (heard.message);
      g_assert_true (g_str_has_prefix (heard.message, cases[c].still));
      g_assert_cmpfloat (heard.fraction, <, 1.0);
      g_assert_cmpint (returned - heard.cancelled_at, <, 200 * 1000);
      g_free (heard.message);
      g_mutex_clear (&heard.lock);
      g_cond_clear (&heard.changed);
    }
}

/* A random n × n system, and 3 right-hand sides; symmetric with n on the
 * diagonal when @spd, so positive definite by Gershgorin. */
static void
random_system (int n, gboolean spd, double **a, double **b)
{
  g_autofree double *m = g_new (double, (gsize) n * n);
  guint32 seed = 7;

  for (gsize k = 0; k < (gsize) n * n; k++)
    {
      seed = seed * 1664525u + 1013904223u;
      m[k] = (seed >> 8) / 16777216.0 - 0.5;
    }
  *a = g_new (double, (gsize) n * n);
  if (spd)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        (*a)[(gsize) i * n + j] = i == j ? n : (m[(gsize) i * n + j] + m[(gsize) j * n + i]) / 2;
  else
    memcpy (*a, m, sizeof (double) * n * n);
  *b = g_new (double, (gsize) n * 3);
  /* m has n² values, fewer than 3n when n < 3. */
  for (gsize k = 0; k < (gsize) n * 3; k++)
    (*b)[k] = m[k % ((gsize) n * n)] * 2;
}

/* RanPAC's blocked solvers give LAPACK's answers, on sizes around their
 * 256-column blocks. */
static void
test_solvers (void)
{
  static const int sizes[] = { 1, 255, 256, 257, 700 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int spd = 0; spd < 2; spd++)
      {
        int n = sizes[s];
        g_autofree double *a = NULL;
        g_autofree double *b = NULL;
        g_autofree double *a2 = NULL;
        g_autofree double *b2 = NULL;
        double worst = 0;

        random_system (n, spd, &a, &b);
        a2 = g_memdup2 (a, sizeof (double) * n * n);
        b2 = g_memdup2 (b, sizeof (double) * n * 3);
        if (spd)
          {
            g_assert_cmpint (vt_lapack_posv (n, 3, a, b), ==, 0);
            g_assert_cmpint (vt_lapack_posv_cancellable (n, 3, a2, b2, NULL), ==, 0);
          }
        else
          {
            g_assert_cmpint (vt_lapack_gesv (n, 3, a, b), ==, 0);
            g_assert_cmpint (vt_lapack_gesv_cancellable (n, 3, a2, b2, NULL), ==, 0);
          }
        for (gsize k = 0; k < (gsize) n * 3; k++)
          worst = MAX (worst, fabs (b[k] - b2[k]) / MAX (1.0, fabs (b[k])));
        g_test_message ("n = %d, %s: largest difference %.3g", n, spd ? "Cholesky" : "LU", worst);
        g_assert_cmpfloat (worst, <, 1e-8);
      }
  {
    /* Not positive definite, and singular: the info LAPACK would give. */
    double indefinite[] = { 1, 2, 2, 1 }, singular[] = { 1, 2, 2, 4 }, b[] = { 1, 1 };
    g_assert_cmpint (vt_lapack_posv_cancellable (2, 1, indefinite, b, NULL), ==, 2);
    g_assert_cmpint (vt_lapack_gesv_cancellable (2, 1, singular, b, NULL), ==, 2);
  }
}

typedef struct
{
  int       n;
  gboolean  spd;
  double   *a;
  double   *b;
} Solve;

static gboolean
solve_task (gpointer data, GCancellable *cancellable, GError **error)
{
  Solve *solve = data;
  int info = solve->spd ? vt_lapack_posv_cancellable (solve->n, 3, solve->a, solve->b, cancellable)
                        : vt_lapack_gesv_cancellable (solve->n, 3, solve->a, solve->b, cancellable);

  if (info == VT_LAPACK_CANCELLED)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  g_assert_cmpint (info, ==, 0);
  return TRUE;
}

/* LU of 6,000 (the fallback where G + λI is not positive definite to
 * rounding) and Cholesky of 8,000: seconds each, and Cancel stops them. */
static void
test_solver_cancel (void)
{
  Solve lu = { 6000, FALSE, NULL, NULL }, cholesky = { 8000, TRUE, NULL, NULL };

  /* The systems are made first: filling 300 MB is not what is timed. */
  random_system (lu.n, FALSE, &lu.a, &lu.b);
  vt_test_assert_cancels ("LU of 6,000", solve_task, &lu, 300);
  g_free (lu.a);
  g_free (lu.b);
  random_system (cholesky.n, TRUE, &cholesky.a, &cholesky.b);
  vt_test_assert_cancels ("Cholesky of 8,000", solve_task, &cholesky, 300);
  g_free (cholesky.a);
  g_free (cholesky.b);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cil/class-order", test_class_order);
  g_test_add_func ("/cil/split", test_split);
  g_test_add_data_func ("/cil/methods/B0-Inc2", GUINT_TO_POINTER (0), test_methods);
  g_test_add_data_func ("/cil/methods/B4-Inc3", GUINT_TO_POINTER (1), test_methods);
  g_test_add_func ("/cil/errors", test_errors);
  g_test_add_func ("/cil/ranpac-cancel", test_ranpac_cancel);
  g_test_add_func ("/cil/solvers", test_solvers);
  g_test_add_func ("/cil/solver-cancel", test_solver_cancel);
  return g_test_run ();
}
