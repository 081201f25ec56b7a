/* vt-pcb.c: PCB's selection loop, step for step as pcb.py's select(). */
#include "vt-pcb.h"

const char * const vt_pcb_fallback_names[] = { "random", "next_class", NULL };

/* The first class with the fewest labels among those not @closed. */
static guint
fewest (const double   *counts,
        const gboolean *closed,
        guint           k)
{
  guint best = G_MAXUINT;

  for (guint c = 0; c < k; c++)
    if (!closed[c] && (best == G_MAXUINT || counts[c] < counts[best]))
      best = c;
  return best;
}

/* pcb.py: shuffle the candidates of @klass, then take the first free one. */
static guint
take_of_class (const guint    *candidates,
               guint           n_candidates,
               const guint    *predicted,
               guint           klass,
               const gboolean *taken,
               guint          *scratch,
               VtActiveRng    *rng)
{
  guint m = 0;

  for (guint j = 0; j < n_candidates; j++)
    if (predicted[candidates[j]] == klass)
      scratch[m++] = j;
  if (m == 0)
    return G_MAXUINT;
  vt_active_rng_shuffle (rng, scratch, m);
  for (guint i = 0; i < m; i++)
    if (!taken[scratch[i]])
      return scratch[i];
  return G_MAXUINT;
}

guint
vt_pcb_select (const guint     *candidates,
               guint            n_candidates,
               const guint     *predicted,
               double          *counts,
               guint            n_classes,
               guint            n,
               VtPcbFallback    fallback,
               VtActiveRng     *rng,
               guint           *picks,
               GArray          *shortfalls)
{
  g_autofree gboolean *taken = g_new0 (gboolean, MAX (n_candidates, 1));
  g_autofree gboolean *closed = g_new0 (gboolean, n_classes);
  g_autofree guint *scratch = g_new (guint, MAX (n_candidates, 1));

  n = MIN (n, n_candidates);
  for (guint t = 0; t < n; t++)
    {
      guint klass = fewest (counts, closed, n_classes), j, from = klass;

      j = take_of_class (candidates, n_candidates, predicted, klass, taken, scratch, rng);
      if (j == G_MAXUINT && fallback == VT_PCB_NEXT_CLASS)
        {
          /* Classes closed here stay closed for this call: none of their
           * candidates comes back. */
          closed[klass] = TRUE;
          for (from = fewest (counts, closed, n_classes); from != G_MAXUINT && j == G_MAXUINT;
               from = j == G_MAXUINT ? fewest (counts, closed, n_classes) : from)
            {
              j = take_of_class (candidates, n_candidates, predicted, from, taken, scratch, rng);
              if (j == G_MAXUINT)
                closed[from] = TRUE;
            }
        }
      if (j != G_MAXUINT)
        counts[from] += 1.0;
      else
        {
          from = G_MAXUINT;
          do
            j = (guint) vt_active_rng_below (rng, n_candidates);
          while (taken[j]);
        }
      if (from != klass && shortfalls)
        {
          VtPcbShortfall s = { t, klass, from };
          g_array_append_val (shortfalls, s);
        }
      taken[j] = TRUE;
      picks[t] = candidates[j];
    }
  return n;
}
