/* vt-neighbors.c: exact kNN by blocked matrix products. */
#include "vt-neighbors.h"
#include "core/vt-parallel.h"

#include <cblas.h>
#include <string.h>

/* Queries and candidates per sgemm: 128 × 4096 floats (2 MB) of products
 * in flight, whatever N is; each query keeps its k best in a heap from
 * one block of candidates to the next. */
#define QUERY_BLOCK 128
#define CANDIDATE_BLOCK 4096

typedef struct
{
  float  distance;
  guint  index;
} Candidate;

typedef struct
{
  const float  *x;
  guint         n;
  guint         dim;
  guint         k;
  const float  *norms;
  const float  *products;   /* (queries, candidates): queries · a block of rows */
  gsize         first;      /* the block's first query */
  gsize         first_candidate;
  gsize         candidates;
  guint        *indices;
  double       *sq_distances;
  Candidate    *heaps;      /* (QUERY_BLOCK, k): each query's best so far */
  guint        *sizes;      /* QUERY_BLOCK: how full each heap is */
} Search;

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

guint
vt_neighbors_of_row (const float *x,
                     guint        dim,
                     const guint *rows,
                     guint        n_rows,
                     guint        query,
                     guint        k,
                     guint       *positions,
                     double      *sq_distances)
{
  const float *q = x + (gsize) rows[query] * dim;
  guint found = 0;

  g_return_val_if_fail (query < n_rows, 0);
  k = MIN (k, n_rows - 1);
  /* Insertion into the sorted k best; positions come in ascending order,
   * so a tie keeps the earlier one first. */
  for (guint j = 0; j < n_rows && k > 0; j++)
    {
      double d;
      guint at;

      if (j == query)
        continue;
      d = exact_sq_distance (q, x + (gsize) rows[j] * dim, dim);
      if (found == k && d >= sq_distances[k - 1])
        continue;
      at = found < k ? found++ : k - 1;
      while (at > 0 && sq_distances[at - 1] > d)
        {
          sq_distances[at] = sq_distances[at - 1];
          positions[at] = positions[at - 1];
          at--;
        }
      sq_distances[at] = d;
      positions[at] = j;
    }
  return found;
}

/* Offers the block's candidates to each query's heap, in ascending order
 * of index as a single pass over all rows would. */
static void
offer_block_rows (gsize begin, gsize end, gpointer data)
{
  Search *s = data;

  for (gsize r = begin; r < end; r++)
    {
      gsize query = s->first + r;
      const float *products = s->products + r * s->candidates;
      Candidate *heap = s->heaps + r * s->k;
      guint size = s->sizes[r];

      for (gsize c = 0; c < s->candidates; c++)
        {
          guint j = (guint) (s->first_candidate + c);

          if (j == query)
            continue;
          float d = s->norms[query] + s->norms[j] - 2 * products[c];
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
      s->sizes[r] = size;
    }
}

static void
finish_block_rows (gsize begin, gsize end, gpointer data)
{
  Search *s = data;
  g_autofree guint *chosen = g_new (guint, s->k);

  for (gsize r = begin; r < end; r++)
    {
      gsize query = s->first + r;

      for (guint a = 0; a < s->k; a++)
        chosen[a] = s->heaps[r * s->k + a].index;
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

  g_autofree float *products = g_new (float, (gsize) QUERY_BLOCK * MIN (n, CANDIDATE_BLOCK));
  g_autofree Candidate *heaps = g_new (Candidate, (gsize) QUERY_BLOCK * k);
  g_autofree guint *sizes = g_new (guint, QUERY_BLOCK);
  Search search = { x, n, dim, k, norms, products, 0, 0, 0, indices, sq_distances, heaps, sizes };

  for (gsize first = 0; first < n; first += QUERY_BLOCK)
    {
      gsize rows = MIN (QUERY_BLOCK, n - first);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      search.first = first;
      memset (sizes, 0, QUERY_BLOCK * sizeof (guint));
      for (gsize block = 0; block < n; block += CANDIDATE_BLOCK)
        {
          gsize candidates = MIN (CANDIDATE_BLOCK, n - block);

          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, candidates, dim,
                       1.0f, x + first * dim, dim, x + block * dim, dim, 0.0f, products, candidates);
          search.first_candidate = block;
          search.candidates = candidates;
          vt_parallel_for_single_blas (rows, offer_block_rows, &search);
        }
      vt_parallel_for_single_blas (rows, finish_block_rows, &search);
    }
  return TRUE;
}
