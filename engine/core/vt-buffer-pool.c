/* vt-buffer-pool.c: spare work buffers of one size. */
#include "vt-buffer-pool.h"

struct _VtBufferPool
{
  GMutex  lock;
  gsize   size;     /* of every spare */
  GSList *spares;   /* float arrays of @size */
};

VtBufferPool *
vt_buffer_pool_new (void)
{
  VtBufferPool *pool = g_new0 (VtBufferPool, 1);

  g_mutex_init (&pool->lock);
  return pool;
}

void
vt_buffer_pool_free (VtBufferPool *pool)
{
  if (pool == NULL)
    return;
  g_slist_free_full (pool->spares, g_free);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}

float *
vt_buffer_pool_take (VtBufferPool *pool,
                     gsize         n)
{
  float *buffer = NULL;

  g_mutex_lock (&pool->lock);
  if (pool->spares != NULL && pool->size == n)
    {
      buffer = pool->spares->data;
      pool->spares = g_slist_delete_link (pool->spares, pool->spares);
    }
  g_mutex_unlock (&pool->lock);
  return buffer != NULL ? buffer : g_new (float, n);
}

void
vt_buffer_pool_give (VtBufferPool *pool,
                     float        *buffer,
                     gsize         n)
{
  GSList *stale = NULL;

  g_mutex_lock (&pool->lock);
  if (pool->size != n)
    {
      stale = pool->spares;
      pool->spares = NULL;
      pool->size = n;
    }
  pool->spares = g_slist_prepend (pool->spares, buffer);
  g_mutex_unlock (&pool->lock);
  g_slist_free_full (stale, g_free);
}
