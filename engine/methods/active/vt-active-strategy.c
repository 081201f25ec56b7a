/* vt-active-strategy.c: random, uncertainty (least confidence, margin,
 * entropy), coreset and BADGE, as vt-active-strategy.h states them. */
#include "vt-active-strategy.h"
#include "nn/vt-ops.h"

#include <cblas.h>

#include <math.h>
#include <string.h>

const char * const vt_active_strategy_names[] = {
  "random", "least_confidence", "margin", "entropy", "coreset", "badge", NULL,
};

void
vt_active_scores (VtActiveStrategy     strategy,
                  const VtActivePool  *pool,
                  double              *scores)
{
  for (guint i = 0; i < pool->n; i++)
    {
      const float *p = pool->probs + (gsize) i * pool->k;
      double first = -INFINITY, second = -INFINITY, entropy = 0.0;

      for (guint c = 0; c < pool->k; c++)
        {
          double v = p[c];

          if (v > first)
            {
              second = first;
              first = v;
            }
          else if (v > second)
            second = v;
          if (v > 0.0)
            entropy -= v * log (v);
        }
      if (pool->k < 2)
        second = 0.0;
      scores[i] = strategy == VT_ACTIVE_LEAST_CONFIDENCE ? 1.0 - first
                  : strategy == VT_ACTIVE_MARGIN ? -(first - second)
                  : entropy;
    }
}

/* Larger score first, then the lower index. */
static int
compare_scores (gconstpointer a,
                gconstpointer b,
                gpointer      data)
{
  const double *scores = data;
  guint i = *(const guint *) a, j = *(const guint *) b;

  if (scores[i] != scores[j])
    return scores[i] > scores[j] ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* Whether sample @i ranks before sample @j: a larger score, then the lower index. */
static inline gboolean
ranks_before (const double *scores,
              guint         i,
              guint         j)
{
  return scores[i] > scores[j] || (scores[i] == scores[j] && i < j);
}

/* Restores the heap below @at: each entry ranks after its children, so
 * the root is the last of the n best kept. */
static void
sift_down (guint        *heap,
           guint         n,
           guint         at,
           const double *scores)
{
  for (;;)
    {
      guint last = at, left = 2 * at + 1, right = left + 1, t;

      if (left < n && ranks_before (scores, heap[last], heap[left]))
        last = left;
      if (right < n && ranks_before (scores, heap[last], heap[right]))
        last = right;
      if (last == at)
        return;
      t = heap[at];
      heap[at] = heap[last];
      heap[last] = t;
      at = last;
    }
}

/* The n best of U through a heap of n (U log n, not a sort of the pool),
 * then those n in order. */
static guint
select_uncertain (VtActiveStrategy     strategy,
                  const VtActivePool  *pool,
                  guint                n,
                  guint               *picks)
{
  g_autofree double *scores = g_new (double, pool->n);

  vt_active_scores (strategy, pool, scores);
  for (guint i = 0; i < n; i++)
    picks[i] = i;
  for (guint i = n / 2; i-- > 0;)
    sift_down (picks, n, i, scores);
  for (guint i = n; i < pool->n; i++)
    if (ranks_before (scores, i, picks[0]))
      {
        picks[0] = i;
        sift_down (picks, n, 0, scores);
      }
  g_qsort_with_data (picks, (gint) n, sizeof (guint), compare_scores, scores);
  return n;
}

static guint
select_random (const VtActivePool *pool,
               guint               n,
               VtActiveRng        *rng,
               guint              *picks)
{
  g_autofree guint *perm = g_new (guint, pool->n);

  for (guint i = 0; i < pool->n; i++)
    perm[i] = i;
  for (guint i = 0; i < n; i++)
    {
      guint j = i + (guint) vt_active_rng_below (rng, pool->n - i);
      guint t = perm[i];

      perm[i] = perm[j];
      perm[j] = t;
    }
  memcpy (picks, perm, n * sizeof (guint));
  return n;
}

/* Labeled rows compared with the pool in one product. */
#define LABELED_BLOCK 64

/* ‖x‖² of each row of @x (n, d), in double. */
static void
squared_norms (const float *x,
               guint        n,
               guint        d,
               double      *out)
{
  for (guint i = 0; i < n; i++)
    {
      double sum = 0.0;

      for (guint j = 0; j < d; j++)
        sum += (double) x[(gsize) i * d + j] * x[(gsize) i * d + j];
      out[i] = sum;
    }
}

/* dots (n) = x (n, d) · c (d): a matrix-vector product (sgemm with one
 * column would first copy all of x, every pick). */
static void
dot_with_pool (float       *dots,
               const float *x,
               const float *c,
               guint        n,
               guint        d)
{
  cblas_sgemv (CblasRowMajor, CblasNoTrans, (int) n, (int) d, 1.0f, x, (int) d, c, 1, 0.0f, dots, 1);
}

/* The first index of the largest value among those not @taken. */
static guint
argmax_open (const double   *values,
             const gboolean *taken,
             guint           n)
{
  guint best = G_MAXUINT;

  for (guint i = 0; i < n; i++)
    if (!taken[i] && (best == G_MAXUINT || values[i] > values[best]))
      best = i;
  return best;
}

static guint
select_coreset (const VtActivePool *pool,
                guint               n,
                VtActiveRng        *rng,
                guint              *picks)
{
  guint u = pool->n, d = pool->dim;
  g_autofree double *nearest = g_new (double, u);
  g_autofree double *x2 = g_new (double, u);
  g_autofree float *dots = g_new (float, u);
  g_autofree gboolean *taken = g_new0 (gboolean, u);

  squared_norms (pool->features, u, d, x2);
  for (guint i = 0; i < u; i++)
    nearest[i] = INFINITY;
  /* The labeled set LABELED_BLOCK rows at a time: one matrix product each. */
  if (pool->n_labeled > 0)
    {
      guint block = MIN (pool->n_labeled, LABELED_BLOCK);
      g_autofree float *block_dots = g_new (float, (gsize) u * block);
      g_autofree double *l2 = g_new (double, block);

      for (guint l0 = 0; l0 < pool->n_labeled; l0 += block)
        {
          guint b = MIN (block, pool->n_labeled - l0);
          const float *rows = pool->labeled + (gsize) l0 * d;

          squared_norms (rows, b, d, l2);
          vt_linear_forward (block_dots, pool->features, rows, NULL, (int) u, (int) d, (int) b);
          for (guint i = 0; i < u; i++)
            for (guint l = 0; l < b; l++)
              nearest[i] = MIN (nearest[i], MAX (0.0, x2[i] + l2[l] - 2.0 * block_dots[(gsize) i * b + l]));
        }
    }
  /* Each pass updates the distances to the new centre and finds the next
   * pick (the farthest sample not taken, the first of equals) at once. */
  {
    guint next = pool->n_labeled == 0 ? (guint) vt_active_rng_below (rng, u) : argmax_open (nearest, taken, u);

    for (guint t = 0; t < n; t++)
      {
        const float *c = pool->features + (gsize) next * d;
        double c2 = x2[next];
        guint pick = next;

        picks[t] = pick;
        taken[pick] = TRUE;
        dot_with_pool (dots, pool->features, c, u, d);
        next = G_MAXUINT;
        for (guint i = 0; i < u; i++)
          {
            double v = MAX (0.0, x2[i] + c2 - 2.0 * dots[i]);

            if (v < nearest[i])
              nearest[i] = v;
            if (!taken[i] && (next == G_MAXUINT || nearest[i] > nearest[next]))
              next = i;
          }
      }
  }
  return n;
}

/* ‖gᵢ − g_c‖² for gᵢ = aᵢ ⊗ xᵢ without forming g:
 * ‖aᵢ‖²‖xᵢ‖² + ‖a_c‖²‖x_c‖² − 2 (aᵢ · a_c)(xᵢ · x_c). */
static guint
select_badge (const VtActivePool *pool,
              guint               n,
              VtActiveRng        *rng,
              guint              *picks)
{
  guint u = pool->n, k = pool->k, d = pool->dim;
  g_autofree double *a = g_new (double, (gsize) u * k);
  g_autofree double *a2 = g_new (double, u);
  g_autofree double *x2 = g_new (double, u);
  g_autofree double *nearest = g_new (double, u);
  g_autofree double *norms = g_new (double, u);
  g_autofree gboolean *taken = g_new0 (gboolean, u);
  g_autofree float *dots = g_new (float, u);

  for (guint i = 0; i < u; i++)
    {
      const float *p = pool->probs + (gsize) i * k;
      const float *x = pool->features + (gsize) i * d;
      double *ai = a + (gsize) i * k, sa = 0.0, sx = 0.0;
      guint best = 0;

      for (guint c = 1; c < k; c++)
        if (p[c] > p[best])
          best = c;
      for (guint c = 0; c < k; c++)
        {
          ai[c] = (double) p[c] - (c == best);
          sa += ai[c] * ai[c];
        }
      for (guint j = 0; j < d; j++)
        sx += (double) x[j] * x[j];
      a2[i] = sa;
      x2[i] = sx;
      norms[i] = sa * sx;
      nearest[i] = INFINITY;
    }
  for (guint t = 0; t < n; t++)
    {
      guint pick;

      if (t == 0)
        pick = argmax_open (norms, taken, u);
      else
        {
          double total = 0.0, threshold, running = 0.0;

          for (guint i = 0; i < u; i++)
            total += taken[i] ? 0.0 : nearest[i];
          pick = G_MAXUINT;
          if (total > 0.0)
            {
              threshold = vt_active_rng_uniform (rng) * total;
              for (guint i = 0; i < u && pick == G_MAXUINT; i++)
                {
                  running += taken[i] ? 0.0 : nearest[i];
                  if (running > threshold)
                    pick = i;
                }
            }
          /* Every distance 0 (duplicates), or rounding at the end: the
           * first sample not yet taken. */
          for (guint i = 0; i < u && pick == G_MAXUINT; i++)
            if (!taken[i])
              pick = i;
        }
      picks[t] = pick;
      taken[pick] = TRUE;
      {
        const double *ac = a + (gsize) pick * k;

        dot_with_pool (dots, pool->features, pool->features + (gsize) pick * d, u, d);
        for (guint i = 0; i < u; i++)
          {
            const double *ai = a + (gsize) i * k;
            double dot_a = 0.0, dist;

            if (taken[i])
              continue;
            for (guint c = 0; c < k; c++)
              dot_a += ai[c] * ac[c];
            dist = MAX (0.0, a2[i] * x2[i] + a2[pick] * x2[pick] - 2.0 * dot_a * dots[i]);
            nearest[i] = MIN (nearest[i], dist);
          }
      }
    }
  return n;
}

guint
vt_active_select (VtActiveStrategy     strategy,
                  const VtActivePool  *pool,
                  guint                n,
                  VtActiveRng         *rng,
                  guint               *picks)
{
  n = MIN (n, pool->n);
  if (n == 0)
    return 0;
  switch (strategy)
    {
    case VT_ACTIVE_RANDOM:
      return select_random (pool, n, rng, picks);
    case VT_ACTIVE_LEAST_CONFIDENCE:
    case VT_ACTIVE_MARGIN:
    case VT_ACTIVE_ENTROPY:
      return select_uncertain (strategy, pool, n, picks);
    case VT_ACTIVE_CORESET:
      return select_coreset (pool, n, rng, picks);
    case VT_ACTIVE_BADGE:
      return select_badge (pool, n, rng, picks);
    case VT_ACTIVE_N_STRATEGIES:
    default:
      break;
    }
  g_return_val_if_reached (0);
}
