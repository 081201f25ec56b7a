/* vt-parallel.c: helper threads that take the chunks of one loop at a time.
 *
 * At batch 1 a forward pass runs a hundred or more short loops (a product,
 * an im2col, a norm), a few hundred microseconds each. Handing a chunk to a
 * sleeping thread through a queue and a condition variable took about 20 µs
 * each way here, a tenth of ResNet-50's time on two cores. So a helper,
 * once done, watches for the next loop for a while (SPIN_US) before it
 * goes to sleep, and the caller watches for the helpers to finish the same
 * way; only a thread that did go to sleep is woken through the kernel.
 *
 * One loop at a time uses the helpers: a loop started on another thread
 * while they are busy runs on its own thread, in one piece. */
#include "vt-parallel.h"

#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause ()
#else
#define cpu_relax() ((void) 0)
#endif

#define SPIN_US 200
#define MAX_HELPERS 63

typedef struct
{
  VtRangeFunc  func;
  gpointer     data;
  gsize        n;
  gsize        pieces;    /* [0, n) is cut into this many */
  int          threads;   /* the caller and threads - 1 helpers */
  gboolean     one_blas;  /* a single_blas loop: its chunks count one thread */
} Loop;

static GMutex   loop_lock;      /* held by the thread whose loop the helpers run */
static Loop     loop;
static gint     generation;     /* bumped for each loop handed to the helpers */
static gint     next_piece;     /* the first piece of the current loop not yet taken */
static gint     unfinished;     /* helpers still on the current loop */
static int      n_helpers;      /* started so far; only grows */

static GMutex   sleep_lock;     /* for the two waits below, when spinning gave up */
static GCond    loop_posted;
static GCond    loop_finished;
static gint     sleeping_helpers;
static gint     caller_sleeping;

static gint     peak_threads;   /* see vt_parallel_peak_threads */

/* Set on a thread while it runs a chunk: a loop it starts runs in place. */
static _Thread_local gboolean in_region;

/* OpenBLAS's thread count is one setting for the process, and two runs side
 * by side (an extraction and a t-SNE) each hold it to one thread now and
 * then (single_blas). Each used to save the count, set 1 and put the saved
 * one back: a second run that saved while the first held it saved 1, and
 * put 1 back for good; and a run that asked vt_parallel_threads () in
 * between was told 1, and t-SNE cuts its sums by that count, so they came
 * out in another order (and results.json reports the count). So the holds
 * are counted: the first sets 1, the last puts the count back, and while
 * any is held the engine's count is the one saved. */
static GMutex   blas_hold_lock;
static int      blas_holds;     /* single_blas calls under way, on any thread */
static int      held_threads;   /* OpenBLAS's count when the first of them began */
/* Set on a thread while it runs (a chunk of) a single_blas loop: there the
 * count is 1, as OpenBLAS's is, and as it always was. */
static _Thread_local gboolean blas_held_here;

gboolean
vt_parallel_in_region (void)
{
  return in_region;
}

int
vt_parallel_threads (void)
{
  int threads;

  if (blas_held_here)
    return 1;
  g_mutex_lock (&blas_hold_lock);
  threads = blas_holds > 0 ? held_threads : openblas_get_num_threads ();
  g_mutex_unlock (&blas_hold_lock);
  return MAX (threads, 1);
}

/* Holds OpenBLAS to one thread; returns the engine's thread count. */
static int
hold_blas (void)
{
  int threads;

  g_mutex_lock (&blas_hold_lock);
  if (blas_holds++ == 0)
    {
      held_threads = MAX (openblas_get_num_threads (), 1);
      openblas_set_num_threads (1);
    }
  threads = held_threads;
  g_mutex_unlock (&blas_hold_lock);
  return threads;
}

static void
release_blas (void)
{
  g_mutex_lock (&blas_hold_lock);
  if (--blas_holds == 0)
    openblas_set_num_threads (held_threads);
  g_mutex_unlock (&blas_hold_lock);
}

/* What OpenBLAS was given before anyone set it: read once, on the first
 * set or ask, which the application makes at start before any work runs. */
static int
initial_threads (void)
{
  static gsize once = 0;
  static int initial;

  if (g_once_init_enter (&once))
    {
      initial = MAX (openblas_get_num_threads (), 1);
      g_once_init_leave (&once, 1);
    }
  return initial;
}

void
vt_parallel_set_threads (int threads)
{
  int count = threads > 0 ? MIN (threads, MAX_HELPERS + 1) : initial_threads ();

  /* While a single_blas loop holds OpenBLAS to one thread, the new count
   * is what the last hold puts back (the Preferences, set from the main
   * thread, stand whatever runs meanwhile). */
  g_mutex_lock (&blas_hold_lock);
  if (blas_holds > 0)
    held_threads = count;
  else
    openblas_set_num_threads (count);
  g_mutex_unlock (&blas_hold_lock);
  g_atomic_int_set (&peak_threads, 0);
}

int
vt_parallel_default_threads (void)
{
  return initial_threads ();
}

int
vt_parallel_peak_threads (void)
{
  return g_atomic_int_get (&peak_threads);
}

static void
note_threads (int threads)
{
  gint peak = g_atomic_int_get (&peak_threads);

  while (threads > peak && !g_atomic_int_compare_and_exchange_full (&peak_threads, peak, threads, &peak))
    ;
}

/* Takes pieces until none is left. Which thread runs which piece is
 * decided as they go: a thread the system stops for a while (these are
 * shared machines) holds up only the piece it has. */
static void
run_pieces (const Loop *l)
{
  gsize piece;
  gboolean held = blas_held_here;

  in_region = TRUE;
  blas_held_here = held || l->one_blas;
  while ((piece = (gsize) g_atomic_int_add (&next_piece, 1)) < l->pieces)
    l->func (l->n * piece / l->pieces, l->n * (piece + 1) / l->pieces, l->data);
  in_region = FALSE;
  blas_held_here = held;
}

/* Spins while (*value == x) is @equal, for SPIN_US at most; FALSE if it
 * gave up. */
static gboolean
spin_while (gint     *value,
            gint      x,
            gboolean  equal)
{
  gint64 deadline = 0;

  for (int i = 0; (g_atomic_int_get (value) == x) == equal; i++)
    {
      cpu_relax ();
      if ((i & 255) == 255)
        {
          gint64 now = g_get_monotonic_time ();
          if (deadline == 0)
            deadline = now + SPIN_US;
          else if (now > deadline)
            return FALSE;
        }
    }
  return TRUE;
}

/* A helper starts from the loops posted so far: with no record of them it
 * would take the last one for new. */
typedef struct
{
  int  index;
  gint seen;   /* the generation when it was started */
} HelperStart;

static gpointer
helper_main (gpointer data)
{
  HelperStart *start = data;
  int index = start->index;
  gint seen = start->seen;

  g_free (start);

  for (;;)
    {
      if (!spin_while (&generation, seen, TRUE))
        {
          /* Counted as asleep before the last look, so that a caller who
           * posts after it sees the count and wakes us (both are sequentially
           * consistent atomics). */
          g_atomic_int_inc (&sleeping_helpers);
          g_mutex_lock (&sleep_lock);
          while (g_atomic_int_get (&generation) == seen)
            g_cond_wait (&loop_posted, &sleep_lock);
          g_mutex_unlock (&sleep_lock);
          g_atomic_int_add (&sleeping_helpers, -1);
        }
      seen = g_atomic_int_get (&generation);
      if (index + 1 < loop.threads)
        run_pieces (&loop);
      if (g_atomic_int_dec_and_test (&unfinished) && g_atomic_int_get (&caller_sleeping))
        {
          g_mutex_lock (&sleep_lock);
          g_cond_signal (&loop_finished);
          g_mutex_unlock (&sleep_lock);
        }
    }
  return NULL;
}

static void
parallel_for_n (int          requested,
                gsize        pieces,
                gsize        n,
                VtRangeFunc  func,
                gpointer     data,
                gboolean     one_blas)
{
  int threads;

  /* next_piece counts in an int */
  pieces = CLAMP (pieces, 1, MIN (MAX (n, 1), G_MAXINT));
  threads = (int) MIN ((gsize) CLAMP (requested, 1, MAX_HELPERS + 1), pieces);
  if (threads <= 1 || in_region || !g_mutex_trylock (&loop_lock))
    {
      /* a loop inside another one's chunk is counted with that one */
      if (!in_region)
        note_threads (1);
      func (0, n, data);
      return;
    }
  note_threads (threads);
  while (n_helpers < threads - 1)
    {
      g_autofree char *name = g_strdup_printf ("vt-helper-%d", n_helpers);
      HelperStart *start = g_new (HelperStart, 1);

      /* no loop is posted while we hold loop_lock, so this is the last one */
      *start = (HelperStart) { n_helpers, g_atomic_int_get (&generation) };
      g_thread_unref (g_thread_new (name, helper_main, start));
      n_helpers++;
    }

  loop = (Loop) { func, data, n, pieces, threads, one_blas };
  g_atomic_int_set (&next_piece, 0);
  g_atomic_int_set (&unfinished, n_helpers);
  g_atomic_int_inc (&generation);
  if (g_atomic_int_get (&sleeping_helpers) > 0)
    {
      g_mutex_lock (&sleep_lock);
      g_cond_broadcast (&loop_posted);
      g_mutex_unlock (&sleep_lock);
    }

  run_pieces (&loop);

  if (!spin_while (&unfinished, 0, FALSE))
    {
      /* as the helpers do: flagged before the last look */
      g_atomic_int_set (&caller_sleeping, TRUE);
      g_mutex_lock (&sleep_lock);
      while (g_atomic_int_get (&unfinished) > 0)
        g_cond_wait (&loop_finished, &sleep_lock);
      g_mutex_unlock (&sleep_lock);
      g_atomic_int_set (&caller_sleeping, FALSE);
    }
  g_mutex_unlock (&loop_lock);
}

void
vt_parallel_for (gsize        n,
                 VtRangeFunc  func,
                 gpointer     data)
{
  int threads = vt_parallel_threads ();

  parallel_for_n (threads, threads, n, func, data, FALSE);
}

static void
single_blas (gsize        pieces,
             gsize        n,
             VtRangeFunc  func,
             gpointer     data)
{
  int threads;

  /* Inside another loop's chunk it runs in place, and OpenBLAS's setting
   * belongs to whoever started that loop. */
  if (in_region)
    {
      func (0, n, data);
      return;
    }
  threads = hold_blas ();
  /* run in place too, when the helpers are another loop's */
  blas_held_here = TRUE;
  parallel_for_n (threads, pieces, n, func, data, TRUE);
  blas_held_here = FALSE;
  release_blas ();
}

void
vt_parallel_for_single_blas (gsize        n,
                             VtRangeFunc  func,
                             gpointer     data)
{
  single_blas (vt_parallel_threads (), n, func, data);
}

void
vt_parallel_for_each (gsize        n,
                      VtRangeFunc  func,
                      gpointer     data)
{
  single_blas (n, n, func, data);
}
