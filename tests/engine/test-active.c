/* test-active.c: active learning against plain numpy and PyTorch on the same
 * inputs and random stream (tests/reference/make_active_fixtures.py): the
 * stream, every strategy's picks, PCB's picks as the official loop makes
 * them, the heads' weights after training; and the label journal, which
 * must lose and duplicate nothing when its writer is killed. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/vt-checkpoint.h"
#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-active-strategy.h"
#include "methods/active/vt-label-journal.h"
#include "methods/active/vt-pcb.h"
#include "run/steps/vt-step-active.h"
#include "run/vt-spec.h"
#include "vt-test-util.h"

static JsonObject *
expected (void)
{
  static JsonParser *parser;
  g_autoptr(GError) error = NULL;

  if (parser == NULL)
    {
      g_autofree char *path = vt_test_fixture ("active/expected.json");
      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static VtCheckpoint *
open_fixture (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("active/%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (rel);
  g_autoptr(GError) error = NULL;
  VtCheckpoint *file = vt_checkpoint_open (path, &error);

  g_assert_no_error (error);
  return file;
}

static const VtTensor *
tensor (VtCheckpoint *file,
        const char   *name)
{
  const VtTensor *t = vt_checkpoint_lookup (file, name);

  g_assert_nonnull (t);
  return t;
}

static void
test_rng (void)
{
  JsonArray *cases = json_object_get_array_member (expected (), "rng");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      JsonArray *next = json_object_get_array_member (c, "next");
      VtActiveRng rng;

      vt_active_rng_init (&rng, (guint64) json_object_get_int_member (c, "seed"));
      for (guint j = 0; j < json_array_get_length (next); j++)
        {
          guint64 want = g_ascii_strtoull (json_array_get_string_element (next, j), NULL, 10);
          g_assert_cmpuint (vt_active_rng_next (&rng), ==, want);
        }
    }
}

static void
assert_picks (const char *what,
              JsonArray  *want,
              const guint *got,
              guint        n)
{
  g_assert_cmpuint (n, ==, json_array_get_length (want));
  for (guint i = 0; i < n; i++)
    if ((gint64) got[i] != json_array_get_int_element (want, i))
      g_error ("%s: pick %u is %u, numpy picked %" G_GINT64_FORMAT, what, i, got[i],
               json_array_get_int_element (want, i));
}

static void
test_strategies (void)
{
  g_autoptr(VtCheckpoint) file = open_fixture ("strategies");
  const VtTensor *probs = tensor (file, "probs"), *features = tensor (file, "features");
  const VtTensor *labeled = tensor (file, "labeled");
  JsonArray *cases = json_object_get_array_member (expected (), "strategies");
  guint checked[VT_ACTIVE_N_STRATEGIES] = { 0 };

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *name = json_object_get_string_member (c, "strategy");
      guint n = (guint) json_object_get_int_member (c, "n");
      gboolean with_labeled = json_object_get_boolean_member (c, "labeled");
      VtActivePool pool = { .n = (guint) probs->shape[0], .k = (guint) probs->shape[1],
                            .dim = (guint) features->shape[1], .probs = (const float *) probs->data,
                            .features = (const float *) features->data, .labeled = (const float *) labeled->data,
                            .n_labeled = with_labeled ? (guint) labeled->shape[0] : 0 };
      g_autofree guint *picks = g_new (guint, n);
      g_autofree char *what = g_strdup_printf ("%s, seed %" G_GINT64_FORMAT ", n %u", name,
                                               json_object_get_int_member (c, "seed"), n);
      VtActiveRng rng;
      guint s;

      for (s = 0; vt_active_strategy_names[s] && !g_str_equal (vt_active_strategy_names[s], name); s++)
        ;
      g_assert_cmpuint (s, <, VT_ACTIVE_N_STRATEGIES);
      vt_active_rng_init (&rng, (guint64) json_object_get_int_member (c, "seed"));
      assert_picks (what, json_object_get_array_member (c, "picks"),
                    picks, vt_active_select ((VtActiveStrategy) s, &pool, n, &rng, picks));
      checked[s]++;
    }
  for (guint s = 0; s < VT_ACTIVE_N_STRATEGIES; s++)
    g_assert_cmpuint (checked[s], >, 0);
}

/* The fixture repeats rows 0..9 as 190..199: an uncertainty strategy that
 * picks one of a pair takes the lower index first. */
static void
test_ties (void)
{
  g_autoptr(VtCheckpoint) file = open_fixture ("strategies");
  const VtTensor *probs = tensor (file, "probs"), *features = tensor (file, "features");
  VtActivePool pool = { .n = 200, .k = (guint) probs->shape[1], .dim = (guint) features->shape[1],
                        .probs = (const float *) probs->data, .features = (const float *) features->data };
  guint picks[200];

  for (guint s = VT_ACTIVE_LEAST_CONFIDENCE; s <= VT_ACTIVE_ENTROPY; s++)
    {
      guint n = vt_active_select ((VtActiveStrategy) s, &pool, 200, NULL, picks);
      guint at[200];

      g_assert_cmpuint (n, ==, 200);
      for (guint i = 0; i < n; i++)
        at[picks[i]] = i;
      for (guint i = 0; i < 10; i++)
        g_assert_cmpuint (at[i] + 1, ==, at[190 + i]);
    }
}

static void
test_pcb (void)
{
  JsonObject *e = expected ();
  JsonArray *cases = json_object_get_array_member (e, "pcb");
  JsonArray *pred = json_object_get_array_member (e, "predicted");
  guint n_pool = json_array_get_length (pred);
  g_autofree guint *predicted = g_new (guint, n_pool);
  gboolean saw_shortfall[2] = { FALSE, FALSE };

  for (guint i = 0; i < n_pool; i++)
    predicted[i] = (guint) json_array_get_int_element (pred, i);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      JsonArray *cand = json_object_get_array_member (c, "candidates");
      JsonArray *counts_json = json_object_get_array_member (c, "counts");
      guint n = (guint) json_object_get_int_member (c, "n"), n_cand = json_array_get_length (cand);
      VtPcbFallback fallback = g_str_equal (json_object_get_string_member (c, "fallback"), "random")
                                 ? VT_PCB_RANDOM : VT_PCB_NEXT_CLASS;
      g_autofree guint *candidates = g_new (guint, n_cand);
      g_autofree guint *picks = g_new (guint, n);
      double counts[5];
      g_autoptr(GArray) shortfalls = g_array_new (FALSE, FALSE, sizeof (VtPcbShortfall));
      g_autofree char *what = g_strdup_printf ("PCB (%s), seed %" G_GINT64_FORMAT ", n %u",
                                               json_object_get_string_member (c, "fallback"),
                                               json_object_get_int_member (c, "seed"), n);
      VtActiveRng rng;

      for (guint j = 0; j < n_cand; j++)
        candidates[j] = (guint) json_array_get_int_element (cand, j);
      for (guint j = 0; j < 5; j++)
        counts[j] = (double) json_array_get_int_element (counts_json, j);
      vt_active_rng_init (&rng, (guint64) json_object_get_int_member (c, "seed"));
      assert_picks (what, json_object_get_array_member (c, "picks"), picks,
                    vt_pcb_select (candidates, n_cand, predicted, counts, 5, n, fallback, &rng, picks, shortfalls));
      /* No candidate is ever predicted as class 4: every call that reaches
       * it says so. */
      for (guint s = 0; s < shortfalls->len; s++)
        {
          const VtPcbShortfall *sf = &g_array_index (shortfalls, VtPcbShortfall, s);

          g_assert_cmpuint (sf->pick, <, n);
          if (sf->klass == 4)
            saw_shortfall[fallback] = TRUE;
          if (fallback == VT_PCB_NEXT_CLASS && sf->taken_from != G_MAXUINT)
            g_assert_cmpuint (sf->taken_from, !=, sf->klass);
        }
    }
  g_assert_true (saw_shortfall[VT_PCB_RANDOM]);
  g_assert_true (saw_shortfall[VT_PCB_NEXT_CLASS]);
}

static void
test_learner (void)
{
  g_autoptr(VtCheckpoint) file = open_fixture ("learner");
  const VtTensor *features = tensor (file, "features"), *labels = tensor (file, "labels");
  JsonObject *l = json_object_get_object_member (expected (), "learner");
  JsonArray *rows_json = json_object_get_array_member (l, "rows");
  JsonArray *runs = json_object_get_array_member (l, "runs");
  guint n = json_array_get_length (rows_json), d = (guint) features->shape[1], k = 4;
  g_autofree guint *rows = g_new (guint, n);
  g_autofree gint32 *y = g_new (gint32, n);

  for (guint i = 0; i < n; i++)
    {
      rows[i] = (guint) json_array_get_int_element (rows_json, i);
      y[i] = (gint32) ((const gint64 *) labels->data)[rows[i]];
    }
  for (guint r = 0; r < json_array_get_length (runs); r++)
    {
      JsonObject *run = json_array_get_object_element (runs, r);
      JsonArray *want_w = json_object_get_array_member (run, "weight");
      JsonArray *want_b = json_object_get_array_member (run, "bias");
      VtActiveLearnerOptions options;
      g_autoptr(VtActiveLearner) learner = NULL;
      g_autoptr(GError) error = NULL;
      double worst = 0.0, scale = 0.0;
      const float *w, *b;

      vt_active_learner_options_init (&options);
      options.kind = g_str_equal (json_object_get_string_member (run, "kind"), "linear")
                       ? VT_ACTIVE_LEARNER_LINEAR : VT_ACTIVE_LEARNER_COSINE;
      options.epochs = (guint) json_object_get_int_member (run, "epochs");
      options.batch = (guint) json_object_get_int_member (run, "batch");
      options.seed = (guint64) json_object_get_int_member (run, "seed");
      options.lr = json_object_get_double_member (run, "lr");
      options.momentum = json_object_get_double_member (run, "momentum");
      options.weight_decay = json_object_get_double_member (run, "weight_decay");
      options.cosine_scale = json_object_get_double_member (run, "scale");
      learner = vt_active_learner_new (&options, d, k);
      g_assert_true (vt_active_learner_train (learner, (const float *) features->data, rows, y, n, &error));
      g_assert_no_error (error);
      w = vt_active_learner_weight (learner);
      b = vt_active_learner_bias (learner);
      for (guint i = 0; i < k * d; i++)
        {
          double want = json_array_get_double_element (want_w, i);
          worst = MAX (worst, fabs (w[i] - want));
          scale = MAX (scale, fabs (want));
        }
      for (guint i = 0; i < k; i++)
        {
          double want = json_array_get_double_element (want_b, i);
          worst = MAX (worst, fabs (b[i] - want));
        }
      g_test_message ("%s head, %u epochs, batch %u: largest difference from PyTorch %.3g (relative %.3g)",
                      json_object_get_string_member (run, "kind"), options.epochs, options.batch, worst, worst / scale);
      g_assert_cmpfloat (worst / scale, <, 1e-5);
    }
}

/* From scratch, two trainings on the same labels end at the same weights;
 * warm-started, the second goes on from the first. */
static void
test_learner_warm_start (void)
{
  g_autoptr(VtCheckpoint) file = open_fixture ("learner");
  const VtTensor *features = tensor (file, "features"), *labels = tensor (file, "labels");
  guint n = 30, d = (guint) features->shape[1];
  guint rows[30];
  gint32 y[30];
  float first[32], again[32];
  VtActiveLearnerOptions options;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      rows[i] = i;
      y[i] = (gint32) ((const gint64 *) labels->data)[i];
    }
  for (int warm = 0; warm < 2; warm++)
    {
      g_autoptr(VtActiveLearner) learner = NULL;
      gboolean same = TRUE;

      vt_active_learner_options_init (&options);
      options.epochs = 5;
      options.warm_start = warm;
      learner = vt_active_learner_new (&options, d, 4);
      g_assert_true (vt_active_learner_train (learner, (const float *) features->data, rows, y, n, &error));
      memcpy (first, vt_active_learner_weight (learner), sizeof first);
      g_assert_true (vt_active_learner_train (learner, (const float *) features->data, rows, y, n, &error));
      memcpy (again, vt_active_learner_weight (learner), sizeof again);
      for (guint i = 0; i < 32; i++)
        same = same && first[i] == again[i];
      g_assert_true (same == !warm);
    }
}

static void
test_learner_errors (void)
{
  VtActiveLearnerOptions options;
  g_autoptr(VtActiveLearner) learner = NULL;
  g_autoptr(GError) error = NULL;
  float x[4] = { 1, 2, 3, 4 };
  guint rows[2] = { 0, 1 };
  gint32 bad[2] = { 0, 3 };

  vt_active_learner_options_init (&options);
  learner = vt_active_learner_new (&options, 2, 3);
  g_assert_false (vt_active_learner_train (learner, x, rows, bad, 2, &error));
  g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "label 3"));
  g_clear_error (&error);
  g_assert_false (vt_active_learner_train (learner, x, rows, bad, 0, &error));
  g_assert_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID);
}

static char *
journal_path (char **dir)
{
  *dir = vt_test_tmpdir ();
  return g_build_filename (*dir, "labels.journal", NULL);
}

static void
test_journal_replay (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = journal_path (&dir);
  g_autoptr(GError) error = NULL;
  const VtLabelDecision *d;
  guint n;

  {
    g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);

    g_assert_no_error (error);
    g_assert_true (vt_label_journal_append (j, 0, 17, 3, &error));
    g_assert_true (vt_label_journal_append (j, 0, 4, VT_LABEL_SKIP, &error));
    g_assert_true (vt_label_journal_append (j, 1, 99, 0, &error));
    g_assert_true (vt_label_journal_append (j, 1, 5, 2, &error));
    g_assert_true (vt_label_journal_undo (j, 99, &error));
    g_assert_true (vt_label_journal_append (j, 2, 17, 1, &error));   /* relabeled */
    g_assert_false (vt_label_journal_undo (j, 12345, &error));
    g_assert_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);

    g_assert_no_error (error);
    g_assert_null (vt_label_journal_get_damage (j));
    d = vt_label_journal_get_decisions (j, &n);
    g_assert_cmpuint (n, ==, 3);
    g_assert_cmpint (d[0].sample, ==, 17);
    g_assert_cmpint (d[0].label, ==, 1);
    g_assert_cmpuint (d[0].round, ==, 2);
    g_assert_cmpint (d[1].sample, ==, 4);
    g_assert_cmpint (d[1].label, ==, VT_LABEL_SKIP);
    g_assert_cmpint (d[2].sample, ==, 5);
    g_assert_cmpint (d[2].label, ==, 2);
    g_assert_cmpuint (vt_label_journal_get_round (j), ==, 2);
    g_assert_cmpuint (vt_label_journal_count_labeled (j), ==, 2);
    g_assert_cmpuint (vt_label_journal_count_skipped (j), ==, 1);
  }
  vt_test_rm_rf (dir);
}

static void
append_raw (const char *path,
            const char *text)
{
  FILE *f = fopen (path, "ab");

  g_assert_nonnull (f);
  fputs (text, f);
  fclose (f);
}

static void
test_journal_damaged_last_line (void)
{
  static const char * const endings[] = { "3\t12", "3\tx\t1\n", "undo\t77\n", "1\t2\t3\t4\n" };

  for (guint e = 0; e < G_N_ELEMENTS (endings); e++)
    {
      g_autofree char *dir = NULL;
      g_autofree char *path = journal_path (&dir);
      g_autofree char *where = NULL;
      g_autoptr(GError) error = NULL;
      guint n;

      {
        g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);
        g_assert_true (vt_label_journal_append (j, 0, 1, 0, &error));
        g_assert_true (vt_label_journal_append (j, 0, 2, 1, &error));
      }
      append_raw (path, endings[e]);
      {
        g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);

        g_assert_no_error (error);
        where = g_strdup_printf ("%s:4: ", path);
        g_assert_nonnull (vt_label_journal_get_damage (j));
        g_assert_true (g_str_has_prefix (vt_label_journal_get_damage (j), where));
        vt_label_journal_get_decisions (j, &n);
        g_assert_cmpuint (n, ==, 2);
        /* The damaged line was cut off: what comes next is a line of its own. */
        g_assert_true (vt_label_journal_append (j, 1, 3, 2, &error));
      }
      {
        g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);

        g_assert_no_error (error);
        g_assert_null (vt_label_journal_get_damage (j));
        vt_label_journal_get_decisions (j, &n);
        g_assert_cmpuint (n, ==, 3);
      }
      vt_test_rm_rf (dir);
    }
}

static void
test_journal_damaged_inside (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = journal_path (&dir);
  g_autofree char *where = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);
    g_assert_true (vt_label_journal_append (j, 0, 1, 0, &error));
  }
  append_raw (path, "0\tseven\t1\n0\t8\t1\n");
  g_assert_null (vt_label_journal_open (path, &error));
  g_assert_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID);
  where = g_strdup_printf ("%s:3: the sample is not a number", path);
  g_assert_cmpstr (error->message, ==, where);
  g_clear_error (&error);

  /* A writer killed while it wrote the header left part of it: a new journal. */
  g_assert_true (g_file_set_contents (path, "vitrine-label-jou", -1, NULL));
  {
    g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);
    guint n;

    g_assert_no_error (error);
    vt_label_journal_get_decisions (j, &n);
    g_assert_cmpuint (n, ==, 0);
    g_assert_true (vt_label_journal_append (j, 0, 3, 1, &error));
  }
  {
    g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);
    guint n;

    g_assert_no_error (error);
    vt_label_journal_get_decisions (j, &n);
    g_assert_cmpuint (n, ==, 1);
  }

  g_assert_true (g_file_set_contents (path, "a shopping list\n", -1, NULL));
  g_assert_null (vt_label_journal_open (path, &error));
  g_assert_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, ":1: not a label journal"));
  vt_test_rm_rf (dir);
}

/* The child appends sample after sample (each labeled sample % 7) and, once
 * an append has returned, tells the parent its number through a pipe. */
static void G_GNUC_NORETURN
journal_writer (const char *path,
                int         out)
{
  VtLabelJournal *j = vt_label_journal_open (path, NULL);
  guint n;

  if (j == NULL)
    _exit (2);
  vt_label_journal_get_decisions (j, &n);
  for (gint64 sample = n;; sample++)
    {
      if (!vt_label_journal_append (j, (guint) (sample / 10), sample, sample % 7, NULL))
        _exit (3);
      if (write (out, &sample, sizeof sample) != sizeof sample)
        _exit (4);
    }
}

static void
test_journal_kill (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = journal_path (&dir);
  g_autoptr(GHashTable) confirmed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint kills = 0;

  for (guint round = 0; round < 12; round++)
    {
      int fds[2];
      pid_t pid;
      gint64 sample;
      int status;

      g_assert_cmpint (pipe (fds), ==, 0);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          close (fds[0]);
          journal_writer (path, fds[1]);
        }
      close (fds[1]);
      /* Let it append for a random while, 0.5 to 15 ms, then kill it. */
      g_usleep (g_test_rand_int_range (500, 15000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));
      kills++;
      while (read (fds[0], &sample, sizeof sample) == sizeof sample)
        g_hash_table_add (confirmed, g_memdup2 (&sample, sizeof sample));
      close (fds[0]);

      {
        g_autoptr(GError) error = NULL;
        g_autoptr(VtLabelJournal) j = vt_label_journal_open (path, &error);
        g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
        const VtLabelDecision *d;
        guint n;
        g_autofree char *contents = NULL;
        g_auto(GStrv) lines = NULL;
        guint n_lines = 0;

        g_assert_no_error (error);
        d = vt_label_journal_get_decisions (j, &n);
        for (guint i = 0; i < n; i++)
          {
            g_assert_cmpint (d[i].label, ==, d[i].sample % 7);
            g_assert_cmpint (d[i].sample, ==, i);   /* none lost, none twice, in order */
            g_hash_table_add (seen, (gpointer) &d[i].sample);
          }
        /* Every confirmed decision is there; at most the one in flight more. */
        {
          GHashTableIter iter;
          gpointer key;

          g_hash_table_iter_init (&iter, confirmed);
          while (g_hash_table_iter_next (&iter, &key, NULL))
            g_assert_true (g_hash_table_contains (seen, key));
        }
        g_assert_cmpuint (n, >=, g_hash_table_size (confirmed));
        g_assert_cmpuint (n, <=, g_hash_table_size (confirmed) + 1);
        /* The file holds each sample once. */
        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        lines = g_strsplit (contents, "\n", -1);
        for (guint i = 1; lines[i] && lines[i][0]; i++)
          n_lines++;
        g_assert_cmpuint (n_lines, ==, n);
        g_test_message ("kill %u: %u decisions stand, %u confirmed%s", kills, n, g_hash_table_size (confirmed),
                        vt_label_journal_get_damage (j) ? " (a damaged last line cut off)" : "");
        /* What stood is confirmed from now on. */
        for (guint i = 0; i < n; i++)
          if (!g_hash_table_contains (confirmed, &d[i].sample))
            g_hash_table_add (confirmed, g_memdup2 (&d[i].sample, sizeof d[i].sample));
      }
    }
  g_assert_cmpuint (g_hash_table_size (confirmed), >, 0);
  vt_test_rm_rf (dir);
}

/* Every key of the active step reads back from what Save Spec writes, and
 * the window's constructor makes a step that does too. */
static void
test_spec_round_trip (void)
{
  static const char json[] =
    "{\"name\": \"active\", \"steps\": ["
    " {\"kind\": \"extract\", \"id\": \"x\", \"checkpoint\": \"m\", \"dataset\": \"d\"},"
    " {\"kind\": \"active\", \"id\": \"a\", \"store\": \"x\", \"test\": \"x\", \"learner\": \"cosine\","
    "  \"strategies\": [\"margin\", \"badge\"], \"pcb\": true, \"pcb_fallback\": \"next_class\","
    "  \"candidates\": 0.25, \"rounds\": 4, \"budget\": 7, \"initial\": 3, \"pool_samples\": 500, \"seeds\": [5, 9], \"epochs\": 12,"
    "  \"batch\": 32, \"lr\": 0.05, \"momentum\": 0, \"weight_decay\": 0.001, \"cosine_scale\": 16,"
    "  \"warm_start\": true, \"formats\": [\"svg\"]}"
    "]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, "/specs", &error);
  g_autofree char *text = NULL;
  g_autofree char *again_text = NULL;
  g_autoptr(VtSpec) again = NULL;
  const VtActiveStep *step;

  g_assert_no_error (error);
  step = g_ptr_array_index (spec->steps, 1);
  g_assert_cmpint (step->learner.kind, ==, VT_ACTIVE_LEARNER_COSINE);
  g_assert_cmpuint (step->strategies, ==, (1u << VT_ACTIVE_MARGIN) | (1u << VT_ACTIVE_BADGE));
  g_assert_cmpuint (step->pcb, ==, VT_ACTIVE_WITH_PCB);
  g_assert_cmpint (step->pcb_fallback, ==, VT_PCB_NEXT_CLASS);
  g_assert_cmpuint (step->n_seeds, ==, 2);
  g_assert_cmpuint (step->pool_samples, ==, 500);
  g_assert_cmpuint (step->seeds[1], ==, 9);
  g_assert_cmpfloat (step->learner.momentum, ==, 0.0);
  g_assert_true (step->learner.warm_start);
  text = vt_spec_to_data (spec);
  again = vt_spec_new_from_data (text, "/specs", &error);
  g_assert_no_error (error);
  again_text = vt_spec_to_data (again);
  g_assert_cmpstr (text, ==, again_text);

  {
    g_autoptr(VtSpec) built = vt_spec_new ("built", "/specs");
    g_autoptr(VtSpec) read = NULL;
    g_autofree char *built_text = NULL;
    g_autofree char *pool = vt_test_fixture ("active/pool.safetensors");
    g_autofree char *test = vt_test_fixture ("active/test.safetensors");
    VtActiveStep *made = vt_active_step_new ("al", pool, test);

    g_assert_cmpuint (made->strategies, ==, (1u << VT_ACTIVE_N_STRATEGIES) - 1);
    g_assert_cmpuint (made->pcb, ==, VT_ACTIVE_WITHOUT_PCB | VT_ACTIVE_WITH_PCB);
    g_assert_true (vt_spec_add_step (built, &made->base, &error));
    built_text = vt_spec_to_data (built);
    read = vt_spec_new_from_data (built_text, "/specs", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (((VtActiveStep *) g_ptr_array_index (read->steps, 0))->rounds, ==, 8);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/active/rng", test_rng);
  g_test_add_func ("/engine/active/strategies", test_strategies);
  g_test_add_func ("/engine/active/ties", test_ties);
  g_test_add_func ("/engine/active/pcb", test_pcb);
  g_test_add_func ("/engine/active/learner", test_learner);
  g_test_add_func ("/engine/active/learner-warm-start", test_learner_warm_start);
  g_test_add_func ("/engine/active/learner-errors", test_learner_errors);
  g_test_add_func ("/engine/active/journal-replay", test_journal_replay);
  g_test_add_func ("/engine/active/journal-damaged-last-line", test_journal_damaged_last_line);
  g_test_add_func ("/engine/active/journal-damaged-inside", test_journal_damaged_inside);
  g_test_add_func ("/engine/active/journal-kill", test_journal_kill);
  g_test_add_func ("/engine/active/spec-round-trip", test_spec_round_trip);
  return g_test_run ();
}
