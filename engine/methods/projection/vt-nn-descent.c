/* vt-nn-descent.c: NN-descent from a random-projection forest (see vt-nn-descent.h).
 *
 * Work runs in two phases, repeated over blocks: threads measure pairs
 * and write "row t might have neighbour s at distance d" updates into
 * lists of their own, reading the neighbour heaps but not writing them;
 * then each thread applies the updates whose row falls in its share.
 * A row's updates arrive in the order they were made, whatever the
 * thread count, and the heaps order neighbours by (distance, index), so
 * the result is the same on one core or many. */
#include "vt-nn-descent.h"
#include "core/vt-parallel.h"
#include "core/vt-simd.h"
#include "vt-neighbors.h"

#include <math.h>
#include <string.h>

#define MAX_TREES 64
#define MAX_CANDIDATES 60
#define MIN_LEAF_SIZE 10
#define STOP_FRACTION 0.001
/* Rows (or leaves) whose updates are made before they are applied: bounds
 * the update lists, and lets later blocks start from better heaps. */
#define BLOCK 4096
#define NO_NEIGHBOUR G_MAXUINT

/* ---- The neighbour heaps ---------------------------------------------------- */

/* Row i's k guesses: a max-heap on (distance, index), the farthest at the
 * root; an empty slot is (∞, NO_NEIGHBOUR). "fresh" marks a guess that has
 * not yet been joined with the row's other neighbours. */
typedef struct
{
  guint   k;
  float  *distances;
  guint  *indices;
  guint8 *fresh;
} Heaps;

static inline gboolean
farther (float d1, guint i1, float d2, guint i2)
{
  return d1 > d2 || (d1 == d2 && i1 > i2);
}

/* The heaps live in the caller's output (@indices, and the first half of
 * @sq_distances' bytes for their float distances): at a million points
 * and t-SNE's 91 neighbours, a separate copy would be another 730 MB. */
static void
heaps_init (Heaps *h, guint n, guint k, guint *indices, double *sq_distances)
{
  h->k = k;
  h->distances = (float *) sq_distances;
  h->indices = indices;
  h->fresh = g_new0 (guint8, (gsize) n * k);
  for (gsize a = 0; a < (gsize) n * k; a++)
    {
      h->distances[a] = INFINITY;
      h->indices[a] = NO_NEIGHBOUR;
    }
}

static void
heaps_clear (Heaps *h)
{
  g_free (h->fresh);
}

/* Whether @index at @distance would enter @row (were it not there already). */
static inline gboolean
heaps_would_take (const Heaps *h, guint row, float distance, guint index)
{
  gsize root = (gsize) row * h->k;

  return farther (h->distances[root], h->indices[root], distance, index);
}

/* Offers @index at @distance to @row: TRUE if it entered. */
static gboolean
heaps_push (Heaps *h, guint row, float distance, guint index)
{
  guint k = h->k;
  float *d = h->distances + (gsize) row * k;
  guint *ix = h->indices + (gsize) row * k;
  guint8 *fresh = h->fresh + (gsize) row * k;

  if (!heaps_would_take (h, row, distance, index))
    return FALSE;
  for (guint a = 0; a < k; a++)
    if (ix[a] == index)
      return FALSE;
  /* The root leaves; the new guess sinks from the top. */
  guint at = 0;
  for (;;)
    {
      guint child = 2 * at + 1;

      if (child >= k)
        break;
      if (child + 1 < k && farther (d[child + 1], ix[child + 1], d[child], ix[child]))
        child++;
      if (!farther (d[child], ix[child], distance, index))
        break;
      d[at] = d[child], ix[at] = ix[child], fresh[at] = fresh[child];
      at = child;
    }
  d[at] = distance, ix[at] = index, fresh[at] = 1;
  return TRUE;
}

/* ---- Distances and randomness ----------------------------------------------- */

VT_AVX2_CLONES
static float
sq_distance (const float *a, const float *b, guint dim)
{
  float lanes[8] = { 0 };
  gsize j = 0;   /* not guint: a 32-bit index might wrap, which keeps GCC from vectorizing */

  for (; j + 8 <= dim; j += 8)
    for (gsize l = 0; l < 8; l++)
      {
        float d = a[j + l] - b[j + l];
        lanes[l] += d * d;
      }
  float sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  for (; j < dim; j++)
    sum += (a[j] - b[j]) * (a[j] - b[j]);
  return sum;
}

/* The side of the hyperplane (normal · p + offset): a dot product in
 * lanes, vectorized as sq_distance is. */
VT_AVX2_CLONES
static float
margin (const float *normal, const float *p, float offset, guint dim)
{
  float lanes[8] = { 0 };
  gsize j = 0;

  for (; j + 8 <= dim; j += 8)
    for (gsize l = 0; l < 8; l++)
      lanes[l] += normal[j + l] * p[j + l];
  float sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  for (; j < dim; j++)
    sum += normal[j] * p[j];
  return sum + offset;
}

/* splitmix64: a stream from any seed, and a hash of (seed, values). */
static guint64
mix (guint64 z)
{
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static guint32
next_below (guint64 *state, guint32 bound)
{
  *state = mix (*state);
  return (guint32) ((*state >> 32) % bound);
}

/* ---- Updates: made in parallel, applied by row ------------------------------ */

typedef struct
{
  guint  row;
  guint  neighbour;
  float  distance;
} Update;

typedef struct _Join Join;
/* Offers the pairs of one work item (a leaf, or a row's candidates). */
typedef void (*ItemFunc) (const Join *j, GArray *updates, gsize item);

struct _Join
{
  const float  *x;
  guint         dim;
  Heaps        *heaps;
  guint         parts;        /* update lists, one per thread */
  GArray      **updates;      /* [parts] of Update */
  gsize         first, count; /* the block of work items */
  gpointer      work;         /* what the items are: leaves or candidate lists */
  ItemFunc      offer_item;
  gsize        *changes;      /* [parts]: guesses replaced this round, by share of rows */
};

/* Records the pair (@p, @q) if it would improve either row's guesses. */
static inline void
offer_pair (const Join *j, GArray *updates, guint p, guint q)
{
  float d = sq_distance (j->x + (gsize) p * j->dim, j->x + (gsize) q * j->dim, j->dim);

  if (heaps_would_take (j->heaps, p, d, q))
    g_array_append_val (updates, ((Update) { p, q, d }));
  if (heaps_would_take (j->heaps, q, d, p))
    g_array_append_val (updates, ((Update) { q, p, d }));
}

static void
apply_share (gsize begin, gsize end, gpointer data)
{
  Join *j = data;

  for (gsize share = begin; share < end; share++)
    for (guint part = 0; part < j->parts; part++)
      {
        const Update *u = (const Update *) j->updates[part]->data;
        for (guint a = 0; a < j->updates[part]->len; a++)
          if (u[a].row % j->parts == share)
            j->changes[share] += heaps_push (j->heaps, u[a].row, u[a].distance, u[a].neighbour);
      }
}

/* Thread @part's contiguous range of the block's items, into its own list. */
static void
make_updates (gsize begin, gsize end, gpointer data)
{
  Join *j = data;

  for (gsize part = begin; part < end; part++)
    for (gsize item = j->first + j->count * part / j->parts; item < j->first + j->count * (part + 1) / j->parts;
         item++)
      j->offer_item (j, j->updates[part], item);
}

/* Makes the updates of items [first, first + count) with @offer_item, split
 * over the threads in contiguous ranges, then applies them. */
static void
join_block (Join *j, ItemFunc offer_item)
{
  for (guint part = 0; part < j->parts; part++)
    g_array_set_size (j->updates[part], 0);
  j->offer_item = offer_item;
  vt_parallel_for (j->parts, make_updates, j);
  vt_parallel_for (j->parts, apply_share, j);
}

/* ---- The random-projection forest ------------------------------------------- */

typedef struct
{
  guint *points;  /* a permutation of the rows, leaves contiguous */
  GArray *leaves; /* guint pairs: start, size */
} Tree;

typedef struct
{
  const float *x;
  guint        n, dim, leaf_size;
  guint32      seed;
  Tree        *trees;
} Forest;

/* Splits points[0, count) by the hyperplane halfway between two random points;
 * returns how many went to the first side. */
static guint
split (const Forest *f, guint *points, guint count, guint64 *random, float *normal)
{
  guint left = points[next_below (random, count)];
  guint right = points[next_below (random, count - 1)];
  if (right == left)
    right = points[count - 1];
  const float *a = f->x + (gsize) left * f->dim, *b = f->x + (gsize) right * f->dim;
  float offset = 0;

  for (guint j = 0; j < f->dim; j++)
    {
      normal[j] = a[j] - b[j];
      offset -= normal[j] * (a[j] + b[j]) / 2;
    }
  guint first = 0, last = count;
  while (first < last)
    {
      float side = margin (normal, f->x + (gsize) points[first] * f->dim, offset, f->dim);
      gboolean to_first = side == 0 ? next_below (random, 2) == 0 : side > 0;
      if (to_first)
        first++;
      else
        {
          guint swap = points[first];
          points[first] = points[--last];
          points[last] = swap;
        }
    }
  /* All on one side (coincident points): halve instead. */
  if (first == 0 || first == count)
    first = count / 2;
  return first;
}

static void
grow (const Forest *f, Tree *tree, guint start, guint count, guint64 *random, float *normal)
{
  while (count > f->leaf_size)
    {
      guint first = split (f, tree->points + start, count, random, normal);
      grow (f, tree, start, first, random, normal);
      start += first;
      count -= first;
    }
  guint leaf[2] = { start, count };
  g_array_append_vals (tree->leaves, leaf, 2);
}

static void
grow_trees (gsize begin, gsize end, gpointer data)
{
  Forest *f = data;
  g_autofree float *normal = g_new (float, f->dim);

  for (gsize t = begin; t < end; t++)
    {
      Tree *tree = &f->trees[t];
      guint64 random = mix (((guint64) f->seed << 32) ^ (t + 1));

      tree->points = g_new (guint, f->n);
      for (guint i = 0; i < f->n; i++)
        tree->points[i] = i;
      tree->leaves = g_array_new (FALSE, FALSE, sizeof (guint));
      grow (f, tree, 0, f->n, &random, normal);
    }
}

/* Work items of the forest phase: every leaf of every tree, in order. */
typedef struct
{
  const guint *points;   /* the leaf's tree's permutation */
  guint        start, size;
} Leaf;

static void
offer_leaf (const Join *j, GArray *updates, gsize item)
{
  const Leaf *leaf = (const Leaf *) j->work + item;
  const guint *p = leaf->points + leaf->start;

  for (guint a = 0; a < leaf->size; a++)
    for (guint b = a + 1; b < leaf->size; b++)
      offer_pair (j, updates, p[a], p[b]);
}

/* ---- Candidates ---------------------------------------------------------------- */

/* Each row's candidates for one round, in two lists (fresh and joined
 * before), each a max-heap on a random priority that keeps the
 * MAX_CANDIDATES lowest: a uniform sample of neighbours and reverse
 * neighbours. */
typedef struct
{
  guint   *members;    /* (n, MAX_CANDIDATES) */
  guint32 *priority;
  guint   *count;
} Candidates;

static void
candidates_init (Candidates *c, guint n)
{
  c->members = g_new (guint, (gsize) n * MAX_CANDIDATES);
  c->priority = g_new (guint32, (gsize) n * MAX_CANDIDATES);
  c->count = g_new0 (guint, n);
}

static void
candidates_clear (Candidates *c)
{
  g_free (c->members);
  g_free (c->priority);
  g_free (c->count);
}

static void
candidates_push (Candidates *c, guint row, guint member, guint32 priority)
{
  guint *m = c->members + (gsize) row * MAX_CANDIDATES;
  guint32 *p = c->priority + (gsize) row * MAX_CANDIDATES;
  guint size = c->count[row];

  for (guint a = 0; a < size; a++)
    if (m[a] == member)
      return;
  if (size < MAX_CANDIDATES)
    {
      /* Sift up. */
      guint at = size;
      while (at > 0 && p[(at - 1) / 2] < priority)
        {
          m[at] = m[(at - 1) / 2], p[at] = p[(at - 1) / 2];
          at = (at - 1) / 2;
        }
      m[at] = member, p[at] = priority;
      c->count[row]++;
      return;
    }
  if (priority >= p[0])
    return;
  guint at = 0;
  for (;;)
    {
      guint child = 2 * at + 1;
      if (child >= size)
        break;
      if (child + 1 < size && p[child + 1] > p[child])
        child++;
      if (p[child] <= priority)
        break;
      m[at] = m[child], p[at] = p[child];
      at = child;
    }
  m[at] = member, p[at] = priority;
}

static gboolean
candidates_has (const Candidates *c, guint row, guint member)
{
  const guint *m = c->members + (gsize) row * MAX_CANDIDATES;

  for (guint a = 0; a < c->count[row]; a++)
    if (m[a] == member)
      return TRUE;
  return FALSE;
}

/* Samples this round's candidates from the heaps, and marks the fresh
 * guesses that made it into a list as joined. */
static void
build_candidates (Heaps *h, guint n, guint32 seed, guint round, Candidates *fresh, Candidates *old)
{
  guint k = h->k;

  memset (fresh->count, 0, n * sizeof (guint));
  memset (old->count, 0, n * sizeof (guint));
  for (guint i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      {
        guint q = h->indices[(gsize) i * k + a];
        if (q == NO_NEIGHBOUR)
          continue;
        guint32 priority = (guint32) mix (((guint64) seed << 40) ^ ((guint64) round << 32) ^
                                          mix (((guint64) i << 32) | q));
        Candidates *list = h->fresh[(gsize) i * k + a] ? fresh : old;
        candidates_push (list, i, q, priority);
        candidates_push (list, q, i, priority);
      }
  for (guint i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      {
        gsize slot = (gsize) i * k + a;
        if (h->fresh[slot] && candidates_has (fresh, i, h->indices[slot]))
          h->fresh[slot] = 0;
      }
}

typedef struct
{
  const Candidates *fresh, *old;
} RoundWork;

/* A row's local join: fresh with fresh, and fresh with old. */
static void
offer_candidates (const Join *j, GArray *updates, gsize row)
{
  const RoundWork *w = j->work;
  const guint *fresh = w->fresh->members + row * MAX_CANDIDATES;
  const guint *old = w->old->members + row * MAX_CANDIDATES;
  guint n_fresh = w->fresh->count[row], n_old = w->old->count[row];

  for (guint a = 0; a < n_fresh; a++)
    {
      for (guint b = a + 1; b < n_fresh; b++)
        offer_pair (j, updates, fresh[a], fresh[b]);
      for (guint b = 0; b < n_old; b++)
        if (old[b] != fresh[a])
          offer_pair (j, updates, fresh[a], old[b]);
    }
}

/* Rows the forest left with empty slots (a leaf smaller than k + 1) get
 * random points, as pynndescent's random initialization does. */
static void
fill_empty_slots (Heaps *h, const float *x, guint n, guint dim, guint32 seed)
{
  for (guint i = 0; i < n; i++)
    {
      guint64 random = mix (mix (seed) ^ i);

      while (h->indices[(gsize) i * h->k] == NO_NEIGHBOUR)
        {
          guint q = next_below (&random, n);
          if (q != i)
            heaps_push (h, i, sq_distance (x + (gsize) i * dim, x + (gsize) q * dim, dim), q);
        }
    }
}

/* ---- The search ------------------------------------------------------------------ */

static void
plant_forest (Join *j, guint n, guint k, guint32 seed)
{
  guint n_trees = MIN (MAX_TREES, 5 + (guint) round (sqrt (n) / 20));
  Forest forest = { j->x, n, j->dim, MAX (MIN_LEAF_SIZE, k), seed, g_new0 (Tree, n_trees) };

  vt_parallel_for (n_trees, grow_trees, &forest);
  g_autoptr(GArray) leaves = g_array_new (FALSE, FALSE, sizeof (Leaf));
  for (guint t = 0; t < n_trees; t++)
    {
      const guint *pairs = (const guint *) forest.trees[t].leaves->data;
      for (guint a = 0; a + 1 < forest.trees[t].leaves->len; a += 2)
        g_array_append_val (leaves, ((Leaf) { forest.trees[t].points, pairs[a], pairs[a + 1] }));
    }
  j->work = leaves->data;
  for (gsize first = 0; first < leaves->len; first += BLOCK)
    {
      j->first = first;
      j->count = MIN (BLOCK, leaves->len - first);
      join_block (j, offer_leaf);
    }
  for (guint t = 0; t < n_trees; t++)
    {
      g_free (forest.trees[t].points);
      g_array_unref (forest.trees[t].leaves);
    }
  g_free (forest.trees);
}

gboolean
vt_neighbors_approximate (const float   *x,
                          guint          n,
                          guint          dim,
                          guint          k,
                          guint32        seed,
                          guint         *indices,
                          double        *sq_distances,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_return_val_if_fail (k > 0 && k < n, FALSE);

  guint parts = MAX (1, vt_parallel_threads ());
  guint n_rounds = MAX (5, (guint) round (log2 (n)));
  Heaps heaps;
  Candidates fresh, old;
  gboolean cancelled = FALSE;

  heaps_init (&heaps, n, k, indices, sq_distances);
  Join join = { x, dim, &heaps, parts, g_new (GArray *, parts), 0, 0, NULL, NULL, g_new0 (gsize, parts) };
  for (guint part = 0; part < parts; part++)
    join.updates[part] = g_array_new (FALSE, FALSE, sizeof (Update));
  plant_forest (&join, n, k, seed);
  fill_empty_slots (&heaps, x, n, dim, seed);

  candidates_init (&fresh, n);
  candidates_init (&old, n);
  RoundWork work = { &fresh, &old };
  for (guint round = 0; round < n_rounds && !cancelled; round++)
    {
      build_candidates (&heaps, n, seed, round, &fresh, &old);
      join.work = &work;
      memset (join.changes, 0, parts * sizeof (gsize));
      for (gsize first = 0; first < n; first += BLOCK)
        {
          if ((cancelled = g_cancellable_set_error_if_cancelled (cancellable, error)))
            break;
          join.first = first;
          join.count = MIN (BLOCK, n - first);
          join_block (&join, offer_candidates);
        }
      gsize changes = 0;
      for (guint part = 0; part < parts; part++)
        changes += join.changes[part];
      if (changes <= STOP_FRACTION * k * n)
        break;
    }
  candidates_clear (&fresh);
  candidates_clear (&old);
  for (guint part = 0; part < parts; part++)
    g_array_unref (join.updates[part]);
  g_free (join.updates);
  g_free (join.changes);

  /* Each row is sorted from a copy of its heap's indices, and its distances
   * measured again in float64: the heaps' float distances, in the bytes
   * the rows now overwrite, are no longer read. */
  g_autofree guint *chosen = g_new (guint, k);
  for (gsize i = 0; i < n && !cancelled; i++)
    {
      memcpy (chosen, indices + i * k, k * sizeof (guint));
      vt_neighbors_sort_row (x, dim, i, k, chosen, indices + i * k, sq_distances + i * k);
    }
  heaps_clear (&heaps);
  return !cancelled;
}
