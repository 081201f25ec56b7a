/* vt-embedding-quality.c: trustworthiness and kNN accuracy. */
#include "vt-embedding-quality.h"
#include "core/vt-parallel.h"
#include "vt-neighbors.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define QUERY_BLOCK 64

typedef struct
{
  const double  *x;
  const double  *norms;
  guint          n;
  guint          dim;
  guint          k;
  const guint   *embedded;    /* (n, k) layout neighbours */
  const double  *products;    /* (block, n) */
  gsize          first;
  guint64       *penalties;   /* n: Σ max(0, r − k) per row */
} Ranks;

static void
rank_rows (gsize begin, gsize end, gpointer data)
{
  Ranks *r = data;
  g_autofree double *distances = g_new (double, r->n);

  for (gsize row = begin; row < end; row++)
    {
      gsize i = r->first + row;
      guint64 penalty = 0;

      for (gsize l = 0; l < r->n; l++)
        distances[l] = r->norms[i] + r->norms[l] - 2 * r->products[row * r->n + l];
      for (guint a = 0; a < r->k; a++)
        {
          guint j = r->embedded[i * r->k + a];
          guint64 rank = 1;

          for (gsize l = 0; l < r->n; l++)
            rank += l != i && (distances[l] < distances[j] || (distances[l] == distances[j] && l < j));
          if (rank > r->k)
            penalty += rank - r->k;
        }
      r->penalties[i] = penalty;
    }
}

double
vt_trustworthiness (const float *x,
                    guint        n,
                    guint        dim,
                    const float *layout,
                    guint        dims,
                    guint        k,
                    GCancellable *cancellable,
                    GError     **error)
{
  g_return_val_if_fail (2 * k < n, NAN);

  g_autofree guint *embedded = g_new (guint, (gsize) n * k);
  g_autofree double *unused = g_new (double, (gsize) n * k);
  if (!vt_neighbors_exact (layout, n, dims, k, embedded, unused, cancellable, error))
    return NAN;

  g_autofree double *xd = g_new (double, (gsize) n * dim);
  g_autofree double *norms = g_new (double, n);
  for (gsize a = 0; a < (gsize) n * dim; a++)
    xd[a] = x[a];
  for (gsize i = 0; i < n; i++)
    norms[i] = cblas_ddot (dim, xd + i * dim, 1, xd + i * dim, 1);

  g_autofree double *products = g_new (double, (gsize) QUERY_BLOCK * n);
  g_autofree guint64 *penalties = g_new0 (guint64, n);
  Ranks ranks = { xd, norms, n, dim, k, embedded, products, 0, penalties };
  for (gsize first = 0; first < n; first += QUERY_BLOCK)
    {
      gsize rows = MIN (QUERY_BLOCK, n - first);

      /* A block is 64 rows against all N: milliseconds even at 50,000. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NAN;
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, dim,
                   1.0, xd + first * dim, dim, xd, dim, 0.0, products, n);
      ranks.first = first;
      vt_parallel_for_single_blas (rows, rank_rows, &ranks);
    }

  double total = 0;
  for (gsize i = 0; i < n; i++)
    total += penalties[i];
  return 1 - total * (2.0 / ((double) n * k * (2.0 * n - 3.0 * k - 1.0)));
}

double
vt_knn_accuracy (const float  *layout,
                 guint         n,
                 guint         dims,
                 const gint64 *labels,
                 guint         k)
{
  g_return_val_if_fail (k < n, NAN);

  g_autofree guint *neighbors = g_new (guint, (gsize) n * k);
  g_autofree double *unused = g_new (double, (gsize) n * k);
  vt_neighbors_exact (layout, n, dims, k, neighbors, unused, NULL, NULL);

  gint64 n_labels = 0;
  for (gsize i = 0; i < n; i++)
    n_labels = MAX (n_labels, labels[i] + 1);
  g_autofree guint *votes = g_new (guint, n_labels);
  gsize correct = 0;
  for (gsize i = 0; i < n; i++)
    {
      gint64 best = 0;

      memset (votes, 0, n_labels * sizeof (guint));
      for (guint a = 0; a < k; a++)
        votes[labels[neighbors[i * k + a]]]++;
      for (gint64 c = 1; c < n_labels; c++)
        if (votes[c] > votes[best])
          best = c;
      correct += best == labels[i];
    }
  return (double) correct / n;
}
