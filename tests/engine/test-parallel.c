/* test-parallel.c: the helper threads' loops cover every index once, from
 * one thread or several at a time, in chunks or one index at a time,
 * nested, and after the helpers have gone to sleep. */
#include <cblas.h>

#include "core/vt-parallel.h"

#define N 1000

typedef struct
{
  gint  visits[N];
  gint  nested_in_place;   /* nested loops that ran in one piece */
} Counts;

static void
visit (gsize    begin,
       gsize    end,
       gpointer data)
{
  Counts *counts = data;

  for (gsize i = begin; i < end; i++)
    g_atomic_int_inc (&counts->visits[i]);
}

static void
visit_nested (gsize    begin,
              gsize    end,
              gpointer data)
{
  Counts *counts = data;

  g_assert_true (vt_parallel_in_region ());
  for (gsize i = begin; i < end; i++)
    {
      /* one index at a time through a loop of its own, which runs here */
      Counts *inner = g_new0 (Counts, 1);

      vt_parallel_for (1, visit, inner);
      if (inner->visits[0] == 1)
        g_atomic_int_inc (&counts->nested_in_place);
      g_free (inner);
      g_atomic_int_inc (&counts->visits[i]);
    }
}

static void
assert_each_once (const Counts *counts,
                  gsize         n)
{
  for (gsize i = 0; i < N; i++)
    g_assert_cmpint (counts->visits[i], ==, i < n ? 1 : 0);
}

static void
test_cover (void)
{
  /* more threads than this machine's cores, and sizes below the thread count */
  openblas_set_num_threads (4);
  for (gsize n = 0; n <= N; n += n < 10 ? 1 : 199)
    {
      g_autofree Counts *counts = g_new0 (Counts, 1);

      vt_parallel_for (n, visit, counts);
      assert_each_once (counts, n);
    }
  g_assert_false (vt_parallel_in_region ());
}

/* vt_parallel_for_each: every index once, in pieces of one index each
 * where it runs on several threads; the index lands in visits[i] through
 * the piece's own range, so a piece given twice, or a range of two, shows. */
static void
visit_single (gsize    begin,
              gsize    end,
              gpointer data)
{
  Counts *counts = data;

  g_assert_cmpuint (end, ==, begin + 1);
  g_atomic_int_inc (&counts->visits[begin]);
}

static void
test_each (void)
{
  openblas_set_num_threads (3);
  for (gsize n = 2; n <= N; n += n < 10 ? 1 : 199)
    {
      g_autofree Counts *counts = g_new0 (Counts, 1);

      vt_parallel_for_each (n, visit_single, counts);
      assert_each_once (counts, n);
    }
  /* and OpenBLAS gets its setting back */
  g_assert_cmpint (openblas_get_num_threads (), ==, 3);
}

static void
test_nested (void)
{
  g_autofree Counts *counts = g_new0 (Counts, 1);

  openblas_set_num_threads (4);
  vt_parallel_for (N, visit_nested, counts);
  assert_each_once (counts, N);
  g_assert_cmpint (counts->nested_in_place, ==, N);
}

/* The helpers spin for a while after a loop, then sleep: a loop after a
 * pause must wake them. */
static void
test_after_sleep (void)
{
  openblas_set_num_threads (2);
  for (int round = 0; round < 20; round++)
    {
      g_autofree Counts *counts = g_new0 (Counts, 1);

      g_usleep (round % 2 ? 2000 : 10);
      vt_parallel_for_single_blas (N, visit, counts);
      assert_each_once (counts, N);
      g_assert_cmpint (openblas_get_num_threads (), ==, 2);
    }
}

/* More threads asked for after loops have run: the helpers started then
 * must wait for the next loop, not take the last one (or this one) twice. */
static void
test_more_threads_later (void)
{
  openblas_set_num_threads (1);
  for (int threads = 2; threads <= 8; threads++)
    {
      g_autofree Counts *before = g_new0 (Counts, 1);
      g_autofree Counts *after = g_new0 (Counts, 1);

      vt_parallel_for (N, visit, before);
      openblas_set_num_threads (threads);
      vt_parallel_for (N, visit, after);
      assert_each_once (before, N);
      assert_each_once (after, N);
    }
}

static gpointer
loops_thread (gpointer data)
{
  for (int round = 0; round < 2000; round++)
    {
      g_autofree Counts *counts = g_new0 (Counts, 1);

      vt_parallel_for (N, visit, counts);
      for (gsize i = 0; i < N; i++)
        if (counts->visits[i] != 1)
          return GINT_TO_POINTER (FALSE);
    }
  return GINT_TO_POINTER (TRUE);
}

/* Loops from several threads at once: one gets the helpers, the others run
 * in place; none waits for ever and every index is visited once. */
static void
test_concurrent (void)
{
  GThread *threads[4];

  openblas_set_num_threads (2);
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new ("loops", loops_thread, NULL);
  for (int i = 0; i < 4; i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
}

static void
set_threads_once (gsize    begin,
                  gsize    end,
                  gpointer data)
{
  /* as the Preferences would, from another thread, while the loop runs */
  if (begin == 0)
    vt_parallel_set_threads (2);
  visit (begin, end, data);
}

/* The setting governs the loops that run after it, peak_threads says how
 * many threads they were shared among, and 0 puts back the count at start
 * (registered first, so that no other test has set OpenBLAS's count yet). */
static void
test_set_threads (void)
{
  int at_start = openblas_get_num_threads ();
  g_autofree Counts *counts = g_new0 (Counts, 1);

  vt_parallel_set_threads (3);
  g_assert_cmpint (vt_parallel_threads (), ==, 3);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 0);
  vt_parallel_for (N, visit, counts);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 3);

  vt_parallel_set_threads (1);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 0);
  vt_parallel_for (N, visit, counts);
  vt_parallel_for_single_blas (N, visit, counts);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 1);
  g_assert_cmpint (vt_parallel_threads (), ==, 1);

  /* changed while a single-BLAS loop held OpenBLAS at one thread: the new
   * count stands after it, not the one it began with */
  vt_parallel_set_threads (3);
  vt_parallel_for_single_blas (N, set_threads_once, counts);
  g_assert_cmpint (vt_parallel_threads (), ==, 2);

  vt_parallel_set_threads (0);
  g_assert_cmpint (vt_parallel_threads (), ==, at_start);
  g_assert_cmpint (vt_parallel_default_threads (), ==, at_start);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/parallel/set-threads", test_set_threads);
  g_test_add_func ("/engine/parallel/more-threads-later", test_more_threads_later);
  g_test_add_func ("/engine/parallel/cover", test_cover);
  g_test_add_func ("/engine/parallel/each", test_each);
  g_test_add_func ("/engine/parallel/nested", test_nested);
  g_test_add_func ("/engine/parallel/after-sleep", test_after_sleep);
  g_test_add_func ("/engine/parallel/concurrent", test_concurrent);
  return g_test_run ();
}
