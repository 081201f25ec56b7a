/* bench-active.c: active learning's inner loops, timed (tests/bench/active.sh
 * runs the numpy and PyTorch side, active_numpy.py, on the same file).
 *
 *   bench-active DATA.safetensors REPEATS
 *
 * DATA holds probs (U, K), features (U, D), labeled (L, D), train_x (N, D)
 * and train_y (N). Prints one JSON line of medians over REPEATS: entropy and
 * margin over the pool picking 100 (ms), coreset and BADGE picking 100 (s),
 * training the linear head (100 full-batch epochs) on the N labels (s), and
 * the picks' first ids so both sides can be seen to agree. A benchmark, not
 * a test. */
#include <stdio.h>
#include <stdlib.h>

#include "io/vt-checkpoint.h"
#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-active-strategy.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) file = NULL;
  const VtTensor *probs, *features, *labeled, *train_x, *train_y;
  static const VtActiveStrategy strategies[] = { VT_ACTIVE_ENTROPY, VT_ACTIVE_MARGIN, VT_ACTIVE_CORESET, VT_ACTIVE_BADGE };
  static const char * const names[] = { "entropy_ms", "margin_ms", "coreset_s", "badge_s" };
  guint repeats, picks[100], first[4] = { 0 };
  double seconds[5][64];
  VtActivePool pool;

  if (argc != 3 || (repeats = (guint) atoi (argv[2])) < 1 || repeats > 64)
    {
      g_printerr ("usage: %s DATA.safetensors REPEATS (1 to 64)\n", argv[0]);
      return 2;
    }
  if (!(file = vt_checkpoint_open (argv[1], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  probs = vt_checkpoint_lookup (file, "probs");
  features = vt_checkpoint_lookup (file, "features");
  labeled = vt_checkpoint_lookup (file, "labeled");
  train_x = vt_checkpoint_lookup (file, "train_x");
  train_y = vt_checkpoint_lookup (file, "train_y");
  if (!probs || !features || !labeled || !train_x || !train_y)
    {
      g_printerr ("%s: needs probs, features, labeled, train_x and train_y\n", argv[1]);
      return 1;
    }
  pool = (VtActivePool) { .n = (guint) probs->shape[0], .k = (guint) probs->shape[1], .dim = (guint) features->shape[1],
                          .probs = (const float *) probs->data, .features = (const float *) features->data,
                          .labeled = (const float *) labeled->data, .n_labeled = (guint) labeled->shape[0] };
  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
    for (guint r = 0; r < repeats; r++)
      {
        VtActiveRng rng;
        gint64 start = g_get_monotonic_time ();

        vt_active_rng_init (&rng, 0);
        vt_active_select (strategies[s], &pool, 100, &rng, picks);
        seconds[s][r] = (g_get_monotonic_time () - start) / 1e6;
        first[s] = picks[0];
      }
  {
    guint n = (guint) train_x->shape[0], d = (guint) train_x->shape[1], k = pool.k;
    g_autofree guint *rows = g_new (guint, n);
    g_autofree gint32 *y = g_new (gint32, n);
    VtActiveLearnerOptions options;

    for (guint i = 0; i < n; i++)
      {
        rows[i] = i;
        y[i] = (gint32) ((const gint64 *) train_y->data)[i];
      }
    vt_active_learner_options_init (&options);
    for (guint r = 0; r < repeats; r++)
      {
        g_autoptr(VtActiveLearner) learner = vt_active_learner_new (&options, d, k);
        gint64 start = g_get_monotonic_time ();

        if (!vt_active_learner_train (learner, (const float *) train_x->data, rows, y, n, &error))
          {
            g_printerr ("%s\n", error->message);
            return 1;
          }
        seconds[4][r] = (g_get_monotonic_time () - start) / 1e6;
      }
  }
  printf ("{");
  for (guint s = 0; s < 4; s++)
    printf ("\"%s\": %.6g, ", names[s], median (seconds[s], repeats) * (s < 2 ? 1000.0 : 1.0));
  printf ("\"train_s\": %.6g, \"first\": [%u, %u, %u, %u]}\n", median (seconds[4], repeats), first[0], first[1],
          first[2], first[3]);
  return 0;
}
