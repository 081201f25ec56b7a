/* vt-sparse.c: symmetrizing a neighbour graph without listing its pairs.
 *
 * Row i of the result is the union of i's own neighbours and the points
 * that name i among theirs (its reverse neighbours). The reverse lists are
 * built once, in CSR form, by counting (4 bytes a pair: the source only);
 * then each row is merged twice, once to count its entries and once to
 * fill them, straight into the result. The forward side of a row is
 * sorted in a k-entry scratch; the reverse side comes out sorted, since
 * the lists are filled in order of their source. A reverse weight w_ji is
 * read back from j's own k neighbours, which costs k reads per reverse
 * entry but no 8-byte copy of it.
 *
 * The rows are cut into one slice per thread, each with its scratch
 * allocated before the loop, so that the build counts every byte it
 * holds (build_bytes) and the result does not depend on the threads. */
#include "vt-sparse.h"
#include "core/vt-parallel.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  guint  column;
  guint  slot;      /* its place among the row's k neighbours */
} Forward;

/* The live bytes of one build, and the most there were. */
typedef struct
{
  gsize  live;
  gsize  peak;
} Budget;

static gpointer
budget_alloc (Budget *budget, gsize count, gsize size)
{
  gpointer block = g_malloc_n (MAX (count, 1), size);

  budget->live += MAX (count, 1) * size;
  budget->peak = MAX (budget->peak, budget->live);
  return block;
}

static void
budget_free (Budget *budget, gpointer block, gsize count, gsize size)
{
  g_free (block);
  budget->live -= MAX (count, 1) * size;
}

typedef struct
{
  const guint    *indices;
  const double   *weights;
  guint           n;
  guint           k;
  VtCombineFunc   combine;
  const gsize    *reverse_starts;    /* n + 1 */
  const guint    *reverse_sources;   /* ascending within a row */
  Forward        *scratch;           /* (slices, k) */
  gsize           slices;
  VtSparse       *out;               /* columns NULL: count row i's entries into row_starts[i + 1] */
} Build;

static int
compare_forward (const void *a, const void *b)
{
  const Forward *x = a, *y = b;

  if (x->column != y->column)
    return x->column < y->column ? -1 : 1;
  return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* Row @i's neighbours of positive weight, by column, then slot. */
static guint
sorted_forward (const Build *b, gsize i, Forward *out)
{
  guint m = 0;

  for (guint a = 0; a < b->k; a++)
    if (b->weights[i * b->k + a] > 0)
      out[m++] = (Forward) { b->indices[i * b->k + a], a };
  qsort (out, m, sizeof (Forward), compare_forward);
  return m;
}

/* w_ji: the weights of j's slots that name i, in slot order. */
static double
backward_weight (const Build *b, guint j, gsize i)
{
  double sum = 0;

  for (guint a = 0; a < b->k; a++)
    if (b->indices[(gsize) j * b->k + a] == i && b->weights[(gsize) j * b->k + a] > 0)
      sum += b->weights[(gsize) j * b->k + a];
  return sum;
}

static void
merge_slices (gsize begin, gsize end, gpointer data)
{
  const Build *b = data;
  VtSparse *out = b->out;
  gboolean fill = out->columns != NULL;

  for (gsize s = begin; s < end; s++)
    {
      Forward *forward = b->scratch + s * b->k;

      for (gsize i = b->n * s / b->slices; i < b->n * (s + 1) / b->slices; i++)
        {
          guint m = sorted_forward (b, i, forward), f = 0;
          const guint *reverse = b->reverse_sources + b->reverse_starts[i];
          gsize reverse_length = b->reverse_starts[i + 1] - b->reverse_starts[i], r = 0;
          gsize at = fill ? out->row_starts[i] : 0;

          while (f < m || r < reverse_length)
            {
              guint column = f < m && (r == reverse_length || forward[f].column <= reverse[r])
                             ? forward[f].column : reverse[r];
              double forward_weight = 0;
              gboolean named_back = FALSE;

              for (; f < m && forward[f].column == column; f++)
                forward_weight += b->weights[i * b->k + forward[f].slot];
              /* j names i once for each slot: those are adjacent here */
              for (; r < reverse_length && reverse[r] == column; r++)
                named_back = TRUE;
              if (fill)
                {
                  out->columns[at] = column;
                  out->values[at] = (float) b->combine (forward_weight,
                                                        named_back ? backward_weight (b, column, i) : 0);
                }
              at++;
            }
          if (!fill)
            out->row_starts[i + 1] = at;
        }
    }
}

VtSparse *
vt_sparse_symmetrize (const guint   *indices,
                      const double  *weights,
                      guint          n,
                      guint          k,
                      VtCombineFunc  combine)
{
  Budget budget = { 0 };
  gsize slices = MAX (vt_parallel_threads (), 1);

  /* The reverse lists: count each target's sources, then fill them in
   * source order, using the starts as cursors and shifting them back. */
  gsize *reverse_starts = budget_alloc (&budget, (gsize) n + 1, sizeof (gsize));
  memset (reverse_starts, 0, ((gsize) n + 1) * sizeof (gsize));
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      if (weights[i * k + a] > 0)
        reverse_starts[indices[i * k + a] + 1]++;
  for (gsize i = 0; i < n; i++)
    reverse_starts[i + 1] += reverse_starts[i];
  gsize n_reverse = reverse_starts[n];
  guint *reverse_sources = budget_alloc (&budget, n_reverse, sizeof (guint));
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      if (weights[i * k + a] > 0)
        reverse_sources[reverse_starts[indices[i * k + a]]++] = (guint) i;
  for (gsize i = n; i > 0; i--)
    reverse_starts[i] = reverse_starts[i - 1];
  reverse_starts[0] = 0;

  VtSparse *sparse = g_new0 (VtSparse, 1);
  sparse->n = n;
  sparse->row_starts = budget_alloc (&budget, (gsize) n + 1, sizeof (gsize));
  sparse->row_starts[0] = 0;
  Build build = { indices, weights, n, k, combine, reverse_starts, reverse_sources,
                  budget_alloc (&budget, slices * k, sizeof (Forward)), slices, sparse };

  vt_parallel_for (slices, merge_slices, &build);
  for (gsize i = 0; i < n; i++)
    sparse->row_starts[i + 1] += sparse->row_starts[i];
  sparse->columns = budget_alloc (&budget, sparse->row_starts[n], sizeof (guint));
  sparse->values = budget_alloc (&budget, sparse->row_starts[n], sizeof (float));
  vt_parallel_for (slices, merge_slices, &build);

  budget_free (&budget, build.scratch, slices * k, sizeof (Forward));
  budget_free (&budget, reverse_sources, n_reverse, sizeof (guint));
  budget_free (&budget, reverse_starts, (gsize) n + 1, sizeof (gsize));
  sparse->build_bytes = budget.peak;
  return sparse;
}

gsize
vt_sparse_symmetrize_bytes (guint n, guint k)
{
  gsize pairs = (gsize) n * k;

  return 2 * pairs * (sizeof (guint) + sizeof (float)) + pairs * sizeof (guint)
         + 2 * ((gsize) n + 1) * sizeof (gsize)
         + (gsize) MAX (vt_parallel_threads (), 1) * MAX (k, 1) * sizeof (Forward);
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
