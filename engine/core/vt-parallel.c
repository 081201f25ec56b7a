/* vt-parallel.c: a fixed pool of helper threads and a blocking parallel-for. */
#include "vt-parallel.h"

#include <cblas.h>

typedef struct
{
  VtRangeFunc  func;
  gpointer     data;
  gsize        begin;
  gsize        end;
  GMutex      *lock;
  GCond       *done;
  int         *pending;
} Chunk;

static GThreadPool *pool;
/* Set on a thread while it runs a chunk: a loop it starts runs in place. */
static _Thread_local gboolean in_region;

gboolean
vt_parallel_in_region (void)
{
  return in_region;
}

static void
run_chunk (gpointer item,
           gpointer unused)
{
  Chunk *chunk = item;

  in_region = TRUE;
  chunk->func (chunk->begin, chunk->end, chunk->data);
  in_region = FALSE;
  g_mutex_lock (chunk->lock);
  if (--*chunk->pending == 0)
    g_cond_signal (chunk->done);
  g_mutex_unlock (chunk->lock);
}

int
vt_parallel_threads (void)
{
  return MAX (openblas_get_num_threads (), 1);
}

static void
parallel_for_n (int          requested,
                gsize        n,
                VtRangeFunc  func,
                gpointer     data)
{
  int threads = (int) MIN ((gsize) MAX (requested, 1), MAX (n, 1));
  g_autofree Chunk *chunks = NULL;
  GMutex lock;
  GCond done;
  int pending;

  if (threads <= 1 || in_region)
    {
      func (0, n, data);
      return;
    }
  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (run_chunk, NULL, 15, FALSE, NULL));

  g_mutex_init (&lock);
  g_cond_init (&done);
  pending = threads - 1;
  chunks = g_new (Chunk, threads);
  for (int i = 0; i < threads; i++)
    chunks[i] = (Chunk) { func, data, n * i / threads, n * (i + 1) / threads, &lock, &done, &pending };
  for (int i = 1; i < threads; i++)
    g_thread_pool_push (pool, &chunks[i], NULL);
  /* The caller does the first chunk itself. */
  in_region = TRUE;
  func (chunks[0].begin, chunks[0].end, data);
  in_region = FALSE;

  g_mutex_lock (&lock);
  while (pending > 0)
    g_cond_wait (&done, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&done);
}

void
vt_parallel_for (gsize        n,
                 VtRangeFunc  func,
                 gpointer     data)
{
  parallel_for_n (vt_parallel_threads (), n, func, data);
}

void
vt_parallel_for_single_blas (gsize        n,
                             VtRangeFunc  func,
                             gpointer     data)
{
  int threads = vt_parallel_threads ();

  /* Inside another loop's chunk it runs in place, and OpenBLAS's setting
   * belongs to whoever started that loop. */
  if (in_region)
    {
      func (0, n, data);
      return;
    }
  openblas_set_num_threads (1);
  parallel_for_n (threads, n, func, data);
  openblas_set_num_threads (threads);
}
