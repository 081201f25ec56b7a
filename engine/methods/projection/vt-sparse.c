/* vt-sparse.c: symmetrizing a neighbour graph. */
#include "vt-sparse.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  guint   column;
  double  forward;    /* w_ij, or 0 */
  double  backward;   /* w_ji, or 0 */
} Entry;

static int
compare_entries (const void *a, const void *b)
{
  guint x = ((const Entry *) a)->column, y = ((const Entry *) b)->column;
  return x < y ? -1 : x > y;
}

VtSparse *
vt_sparse_symmetrize (const guint   *indices,
                      const double  *weights,
                      guint          n,
                      guint          k,
                      VtCombineFunc  combine)
{
  /* Every (i, j, w) goes to row i as forward and to row j as backward. */
  g_autofree gsize *starts = g_new0 (gsize, n + 1);
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      if (weights[i * k + a] > 0)
        {
          starts[i + 1]++;
          starts[indices[i * k + a] + 1]++;
        }
  for (gsize i = 0; i < n; i++)
    starts[i + 1] += starts[i];

  g_autofree Entry *entries = g_new (Entry, MAX (starts[n], 1));
  g_autofree gsize *fill = g_memdup2 (starts, n * sizeof (gsize));
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      {
        double w = weights[i * k + a];
        guint j = indices[i * k + a];

        if (w <= 0)
          continue;
        entries[fill[i]++] = (Entry) { j, w, 0 };
        entries[fill[j]++] = (Entry) { (guint) i, 0, w };
      }

  VtSparse *sparse = g_new0 (VtSparse, 1);
  sparse->n = n;
  sparse->row_starts = g_new (gsize, n + 1);
  sparse->columns = g_new (guint, MAX (starts[n], 1));
  sparse->values = g_new (double, MAX (starts[n], 1));
  gsize out = 0;
  for (gsize i = 0; i < n; i++)
    {
      Entry *row = entries + starts[i];
      gsize length = starts[i + 1] - starts[i];

      qsort (row, length, sizeof (Entry), compare_entries);
      sparse->row_starts[i] = out;
      for (gsize a = 0; a < length;)
        {
          double forward = 0, backward = 0;
          guint column = row[a].column;

          /* A pair appears once from each side at most: merge them. */
          for (; a < length && row[a].column == column; a++)
            {
              forward += row[a].forward;
              backward += row[a].backward;
            }
          sparse->columns[out] = column;
          sparse->values[out++] = combine (forward, backward);
        }
    }
  sparse->row_starts[n] = out;
  return sparse;
}

void
vt_sparse_free (VtSparse *sparse)
{
  if (sparse == NULL)
    return;
  g_free (sparse->row_starts);
  g_free (sparse->columns);
  g_free (sparse->values);
  g_free (sparse);
}
