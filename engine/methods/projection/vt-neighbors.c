/* vt-neighbors.c: exact kNN by blocked matrix products. */
#include "vt-neighbors.h"
#include "core/vt-parallel.h"

#include <cblas.h>
#include <string.h>

/* Queries per sgemm: 128 x N floats of distances in flight. */
#define QUERY_BLOCK 128

typedef struct
{
  const float  *x;
  guint         n;
  guint         dim;
  guint         k;
  const float  *norms;
  const float  *products;   /* (block, n): queries · all rows */
  gsize         first;      /* the block's first query */
  guint        *indices;
  double       *sq_distances;
} Search;

typedef struct
{
  float  distance;
  guint  index;
} Candidate;

/* A max-heap on distance: the root is the farthest of the k kept. */
static void
sift_down (Candidate *heap, guint size, guint at)
{
  for (;;)
    {
      guint largest = at, left = 2 * at + 1, right = left + 1;

      if (left < size && heap[left].distance > heap[largest].distance)
        largest = left;
      if (right < size && heap[right].distance > heap[largest].distance)
        largest = right;
      if (largest == at)
        return;
      Candidate swap = heap[at];
      heap[at] = heap[largest];
      heap[largest] = swap;
      at = largest;
    }
}

static double
exact_sq_distance (const float *a, const float *b, guint dim)
{
  double sum = 0;

  for (guint j = 0; j < dim; j++)
    {
      double d = (double) a[j] - b[j];
      sum += d * d;
    }
  return sum;
}

void
vt_neighbors_sort_row (const float *x,
                       guint        dim,
                       gsize        query,
                       guint        k,
                       const guint *chosen,
                       guint       *indices,
                       double      *sq_distances)
{
  /* Insertion sort on (distance, index): k is small. */
  for (guint a = 0; a < k; a++)
    {
      double d = exact_sq_distance (x + query * dim, x + (gsize) chosen[a] * dim, dim);
      guint at = a;

      while (at > 0 && (sq_distances[at - 1] > d || (sq_distances[at - 1] == d && indices[at - 1] > chosen[a])))
        {
          sq_distances[at] = sq_distances[at - 1];
          indices[at] = indices[at - 1];
          at--;
        }
      sq_distances[at] = d;
      indices[at] = chosen[a];
    }
}

static void
select_block_rows (gsize begin, gsize end, gpointer data)
{
  Search *s = data;
  g_autofree Candidate *heap = g_new (Candidate, s->k);
  g_autofree guint *chosen = g_new (guint, s->k);

  for (gsize r = begin; r < end; r++)
    {
      gsize query = s->first + r;
      const float *products = s->products + r * s->n;
      guint size = 0;

      for (guint j = 0; j < s->n; j++)
        {
          if (j == query)
            continue;
          float d = s->norms[query] + s->norms[j] - 2 * products[j];
          if (size < s->k)
            {
              heap[size++] = (Candidate) { d, j };
              if (size == s->k)
                for (int at = s->k / 2 - 1; at >= 0; at--)
                  sift_down (heap, size, at);
            }
          else if (d < heap[0].distance)
            {
              heap[0] = (Candidate) { d, j };
              sift_down (heap, size, 0);
            }
        }
      for (guint a = 0; a < s->k; a++)
        chosen[a] = heap[a].index;
      vt_neighbors_sort_row (s->x, s->dim, query, s->k, chosen, s->indices + query * s->k,
                             s->sq_distances + query * s->k);
    }
}

gboolean
vt_neighbors_exact (const float   *x,
                    guint          n,
                    guint          dim,
                    guint          k,
                    guint         *indices,
                    double        *sq_distances,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_return_val_if_fail (k > 0 && k < n, FALSE);

  g_autofree float *norms = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    norms[i] = cblas_sdot (dim, x + i * dim, 1, x + i * dim, 1);

  g_autofree float *products = g_new (float, (gsize) QUERY_BLOCK * n);
  Search search = { x, n, dim, k, norms, products, 0, indices, sq_distances };

  for (gsize first = 0; first < n; first += QUERY_BLOCK)
    {
      gsize rows = MIN (QUERY_BLOCK, n - first);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, dim,
                   1.0f, x + first * dim, dim, x, dim, 0.0f, products, n);
      search.first = first;
      vt_parallel_for_single_blas (rows, select_block_rows, &search);
    }
  return TRUE;
}
