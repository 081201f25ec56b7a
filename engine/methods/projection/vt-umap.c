/* vt-umap.c: UMAP's fuzzy simplicial set and layout (see vt-umap.h). */
#include "vt-umap.h"
#include "core/vt-parallel.h"
#include "core/vt-random.h"
#include "vt-neighbors.h"
#include "vt-nn-descent.h"
#include "vt-pca.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#define SMOOTH_K_TOLERANCE 1e-5
#define MIN_K_DIST_SCALE 1e-3
#define SMOOTH_K_STEPS 64
#define CURVE_POINTS 300

void
vt_umap_options_init (VtUmapOptions *options)
{
  *options = (VtUmapOptions) {
    .n_neighbors = 15,
    .neighbors = VT_UMAP_NEIGHBORS_AUTO,
    .min_dist = 0.1,
    .spread = 1.0,
    .n_epochs = 0,
    .learning_rate = 1.0,
    .negative_sample_rate = 5,
    .repulsion_strength = 1.0,
    .seed = 0,
    .layout_interval = 5,
  };
}

/* ---- The curve ------------------------------------------------------------ */

/* Least squares of 1 / (1 + a x^2b) against the target, by Levenberg-Marquardt
 * from (1, 1) as scipy's curve_fit starts. */
void
vt_umap_fit_curve (double  spread,
                   double  min_dist,
                   double *a_out,
                   double *b_out)
{
  double x[CURVE_POINTS], y[CURVE_POINTS];
  double a = 1, b = 1, lambda = 1e-3;

  for (int i = 0; i < CURVE_POINTS; i++)
    {
      x[i] = 3 * spread * i / (CURVE_POINTS - 1);
      y[i] = x[i] < min_dist ? 1 : exp (-(x[i] - min_dist) / spread);
    }

  for (int iteration = 0; iteration < 500; iteration++)
    {
      double jtj[3] = { 0 }, jtr[2] = { 0 }, cost = 0;

      for (int i = 0; i < CURVE_POINTS; i++)
        {
          double p = x[i] > 0 ? pow (x[i], 2 * b) : 0;
          double f = 1 / (1 + a * p);
          double r = y[i] - f;
          double da = -p * f * f;
          double db = x[i] > 0 ? -a * p * 2 * log (x[i]) * f * f : 0;

          cost += r * r;
          jtj[0] += da * da, jtj[1] += da * db, jtj[2] += db * db;
          jtr[0] += da * r, jtr[1] += db * r;
        }
      /* Solve (JᵀJ + λ diag) δ = Jᵀr; accept if the cost falls. */
      for (;;)
        {
          double m00 = jtj[0] * (1 + lambda), m11 = jtj[2] * (1 + lambda), m01 = jtj[1];
          double det = m00 * m11 - m01 * m01;
          double step_a = (m11 * jtr[0] - m01 * jtr[1]) / det;
          double step_b = (m00 * jtr[1] - m01 * jtr[0]) / det;
          double na = a + step_a, nb = b + step_b, new_cost = 0;

          for (int i = 0; i < CURVE_POINTS; i++)
            {
              double f = 1 / (1 + na * (x[i] > 0 ? pow (x[i], 2 * nb) : 0));
              new_cost += (y[i] - f) * (y[i] - f);
            }
          if (isfinite (new_cost) && new_cost <= cost)
            {
              a = na, b = nb;
              lambda = MAX (lambda / 10, 1e-12);
              if (fabs (step_a) < 1e-14 * (1 + fabs (a)) && fabs (step_b) < 1e-14 * (1 + fabs (b)))
                iteration = 1000;
              break;
            }
          lambda *= 10;
          if (lambda > 1e12)
            {
              iteration = 1000;
              break;
            }
        }
    }
  *a_out = a;
  *b_out = b;
}

/* ---- The fuzzy simplicial set --------------------------------------------- */

gboolean
vt_umap_neighbors_approximate (VtUmapNeighbors search, guint n)
{
  return search == VT_UMAP_NEIGHBORS_APPROXIMATE ||
         (search == VT_UMAP_NEIGHBORS_AUTO && n > VT_UMAP_EXACT_NEIGHBORS_MAX);
}

gboolean
vt_umap_neighbors (const float   *x,
                   guint          n,
                   guint          dim,
                   guint          k,
                   VtUmapNeighbors search,
                   guint32        seed,
                   guint         *indices,
                   double        *distances,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autofree guint *others = g_new (guint, (gsize) n * (k - 1));
  g_autofree double *sq = g_new (double, (gsize) n * (k - 1));

  if (vt_umap_neighbors_approximate (search, n)
      ? !vt_neighbors_approximate (x, n, dim, k - 1, seed, others, sq, cancellable, error)
      : !vt_neighbors_exact (x, n, dim, k - 1, others, sq, cancellable, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      indices[i * k] = i;
      distances[i * k] = 0;
      for (guint a = 1; a < k; a++)
        {
          indices[i * k + a] = others[i * (k - 1) + a - 1];
          /* umap-learn keeps its distances in float32. */
          distances[i * k + a] = (float) sqrt (sq[i * (k - 1) + a - 1]);
        }
    }
  return TRUE;
}

/* umap-learn's smooth_knn_dist for one row (local connectivity 1). */
static void
smooth_row (const double *distances, guint k, double mean_distance, double *rho, double *sigma)
{
  double target = log2 (k), lo = 0, hi = INFINITY, mid = 1;
  double row_mean = 0;

  *rho = 0;
  for (guint j = 0; j < k; j++)
    {
      row_mean += distances[j];
      if (distances[j] > 0 && *rho == 0)
        *rho = distances[j];
    }
  row_mean /= k;

  for (int step = 0; step < SMOOTH_K_STEPS; step++)
    {
      double sum = 0;

      for (guint j = 1; j < k; j++)
        {
          double d = distances[j] - *rho;
          sum += d > 0 ? exp (-(d / mid)) : 1;
        }
      if (fabs (sum - target) < SMOOTH_K_TOLERANCE)
        break;
      if (sum > target)
        {
          hi = mid;
          mid = (lo + hi) / 2;
        }
      else
        {
          lo = mid;
          mid = hi == INFINITY ? mid * 2 : (lo + hi) / 2;
        }
    }
  *sigma = MAX (mid, MIN_K_DIST_SCALE * (*rho > 0 ? row_mean : mean_distance));
}

/* The fuzzy union of the two directions: a + b − ab. */
static double
fuzzy_union (double forward, double backward)
{
  return forward + backward - forward * backward;
}

VtSparse *
vt_umap_fuzzy_set (const guint  *indices,
                   const double *distances,
                   guint         n,
                   guint         k)
{
  double mean_distance = 0;

  for (gsize a = 0; a < (gsize) n * k; a++)
    mean_distance += distances[a];
  mean_distance /= (double) n * k;

  g_autofree double *memberships = g_new (double, (gsize) n * k);
  for (gsize i = 0; i < n; i++)
    {
      double rho, sigma;

      smooth_row (distances + i * k, k, mean_distance, &rho, &sigma);
      for (guint a = 0; a < k; a++)
        {
          double d = distances[i * k + a] - rho;

          memberships[i * k + a] = indices[i * k + a] == i ? 0 : d <= 0 || sigma == 0 ? 1 : exp (-(d / sigma));
        }
    }
  return vt_sparse_symmetrize (indices, memberships, n, k, fuzzy_union);
}

/* ---- The layout ------------------------------------------------------------ */

/* xorshift64*: small, fast, seeded; the layout only needs uniform picks. */
static inline guint64
next_random (guint64 *state)
{
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 0x2545F4914F6CDD1DULL;
}

static inline double
clip (double value)
{
  return CLAMP (value, -4.0, 4.0);
}

typedef struct
{
  guint    n_edges;
  guint   *head;
  guint   *tail;
  double  *epochs_per_sample;
  double  *next_sample;
  double   negative_rate;     /* an edge's negative samples come every epochs_per_sample / this */
  double  *next_negative;
} Edges;

static void
edges_clear (Edges *e)
{
  g_free (e->head);
  g_free (e->tail);
  g_free (e->epochs_per_sample);
  g_free (e->next_sample);
  g_free (e->next_negative);
}

/* The graph's edges above max / n_epochs, each sampled max/w times less often
 * than the strongest (umap-learn's make_epochs_per_sample). */
static void
collect_edges (const VtSparse *graph, guint n_epochs, guint negative_rate, Edges *e)
{
  double largest = 0;
  gsize total = graph->row_starts[graph->n], kept = 0;

  for (gsize a = 0; a < total; a++)
    largest = MAX (largest, graph->values[a]);
  e->head = g_new (guint, total);
  e->tail = g_new (guint, total);
  e->epochs_per_sample = g_new (double, total);
  for (guint i = 0; i < graph->n; i++)
    for (gsize a = graph->row_starts[i]; a < graph->row_starts[i + 1]; a++)
      if (graph->values[a] >= largest / n_epochs)
        {
          e->head[kept] = i;
          e->tail[kept] = graph->columns[a];
          e->epochs_per_sample[kept++] = largest / graph->values[a];
        }
  e->n_edges = kept;
  e->next_sample = g_memdup2 (e->epochs_per_sample, kept * sizeof (double));
  e->negative_rate = negative_rate;
  e->next_negative = g_new (double, MAX (kept, 1));
  for (gsize a = 0; a < kept; a++)
    e->next_negative[a] = e->epochs_per_sample[a] / e->negative_rate;
}

/* Where one slice of the edges starts: about an equal share of them, moved
 * on to the next head, so that each point's edges (as the head) fall in
 * one slice. Edges come by head, as collect_edges lists them. */
static gsize *
slice_edges (const Edges *e, gsize slices)
{
  gsize *starts = g_new (gsize, slices + 1);

  starts[0] = 0;
  for (gsize s = 1; s < slices; s++)
    {
      gsize at = MAX ((gsize) e->n_edges * s / slices, starts[s - 1]);

      while (at > 0 && at < e->n_edges && e->head[at] == e->head[at - 1])
        at++;
      starts[s] = at;
    }
  starts[slices] = e->n_edges;
  return starts;
}

/* One epoch's shared state. With one slice this is umap-learn's sequential
 * loop exactly: positions are read and moved in place. With more, slice s
 * moves its own heads in place (no other slice has them as heads), but
 * reads every other point from the epoch's start (@others) and adds the
 * moves of its tails into a buffer of its own, added to the layout in
 * slice order once all are done; each slice draws its negative samples
 * from a stream of its own. No thread reads what another writes, so the
 * layout depends on the seed and the number of slices only, never on how
 * the threads ran. (umap-learn's parallel mode lets the threads race on
 * the layout, Hogwild-style, and is not reproducible.) */
typedef struct
{
  float          *y;
  const float    *others;        /* y with one slice; else y as the epoch began */
  float          *tail_moves;    /* (slices, 2n) with more than one slice */
  guint64        *random;        /* one stream per slice */
  const gsize    *slice_starts;  /* slices + 1 */
  gsize           slices;
  guint           n;
  const Edges    *e;
  guint           epoch;
  double          a, b, gamma, alpha;
} Epoch;

/* Slice @s of one epoch of umap-learn's optimize_layout_euclidean (move_other). */
static void
run_slice (const Epoch *p, gsize s)
{
  const Edges *e = p->e;
  float *moved_tails = p->slices == 1 ? p->y : p->tail_moves + s * 2 * (gsize) p->n;
  guint64 *random = p->random + s;
  double a = p->a, b = p->b, alpha = p->alpha;

  for (gsize i = p->slice_starts[s]; i < p->slice_starts[s + 1]; i++)
    {
      if (e->next_sample[i] > p->epoch)
        continue;
      float *current = p->y + 2 * (gsize) e->head[i];
      const float *other = p->others + 2 * (gsize) e->tail[i];
      float *moved = moved_tails + 2 * (gsize) e->tail[i];
      double dx = current[0] - other[0], dy = current[1] - other[1];
      double d2 = dx * dx + dy * dy;
      /* d2^(b-1) as d2^b / d2: one pow per sample, the epoch's main cost. */
      double d2_b = d2 > 0 ? pow (d2, b) : 0;
      double coefficient = d2 > 0 ? -2 * a * b * (d2_b / d2) / (a * d2_b + 1) : 0;
      double gx = clip (coefficient * dx), gy = clip (coefficient * dy);

      current[0] += gx * alpha, current[1] += gy * alpha;
      moved[0] -= gx * alpha, moved[1] -= gy * alpha;
      e->next_sample[i] += e->epochs_per_sample[i];

      double epochs_per_negative = e->epochs_per_sample[i] / e->negative_rate;
      int n_negative = (int) ((p->epoch - e->next_negative[i]) / epochs_per_negative);
      for (int q = 0; q < n_negative; q++)
        {
          guint k = next_random (random) % p->n;
          const float *far = p->others + 2 * (gsize) k;
          double fx = current[0] - far[0], fy = current[1] - far[1];
          double f2 = fx * fx + fy * fy;

          if (f2 > 0)
            {
              double c = 2 * p->gamma * b / ((0.001 + f2) * (a * pow (f2, b) + 1));
              current[0] += clip (c * fx) * alpha;
              current[1] += clip (c * fy) * alpha;
            }
          else if (k != e->head[i])
            current[0] += 4 * alpha, current[1] += 4 * alpha;
        }
      e->next_negative[i] += n_negative * epochs_per_negative;
    }
}

static void
run_slices (gsize begin, gsize end, gpointer data)
{
  for (gsize s = begin; s < end; s++)
    run_slice (data, s);
}

static void
run_epoch (Epoch *p, float *start)
{
  gsize size = 2 * (gsize) p->n;

  if (p->slices > 1)
    memcpy (start, p->y, size * sizeof (float));
  vt_parallel_for (p->slices, run_slices, p);
  if (p->slices > 1)
    for (gsize s = 0; s < p->slices; s++)
      {
        float *moves = p->tail_moves + s * size;

        for (gsize c = 0; c < size; c++)
          p->y[c] += moves[c];
        memset (moves, 0, size * sizeof (float));
      }
}

/* splitmix64's finalizer: well-spread streams from neighbouring seeds. */
static guint64
mix (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static gboolean
check_options (const VtUmapOptions *options, guint n, GError **error)
{
  if (options->n_neighbors < 2 || !(options->min_dist >= 0) || !(options->spread > 0)
      || options->min_dist > options->spread || !(options->learning_rate > 0) || options->negative_sample_rate == 0)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("UMAP: n_neighbors must be at least 2, min_dist between 0 and the spread, "
                     "the learning rate positive and the negative sample rate at least 1"));
      return FALSE;
    }
  if (options->n_neighbors >= n)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                   _("UMAP with %u neighbours needs more than %u samples; there are %u. "
                     "Lower n_neighbors or add samples"), options->n_neighbors, options->n_neighbors, n);
      return FALSE;
    }
  return TRUE;
}

/* PCA scaled to a largest coordinate of 10, plus N(0, 1e-4) noise, then each
 * axis stretched to [0, 10], as umap-learn prepares its start. */
static gboolean
initialize_layout (const float *x, guint n, guint dim, guint32 seed, float *y, GCancellable *cancellable,
                   GError **error)
{
  VtRandom random;
  double largest = 0;

  g_autofree float *scores = g_new (float, 2 * (gsize) n);
  if (!vt_pca_project_2d (x, n, dim, scores, cancellable, error))
    return FALSE;
  for (gsize c = 0; c < 2 * (gsize) n; c++)
    largest = MAX (largest, fabs (scores[c]));
  vt_random_init (&random, seed);
  for (gsize c = 0; c < 2 * (gsize) n; c++)
    y[c] = (largest > 0 ? scores[c] * 10 / largest : 0) + 1e-4 * vt_random_gauss (&random);
  for (int axis = 0; axis < 2; axis++)
    {
      float lo = INFINITY, hi = -INFINITY;

      for (gsize i = 0; i < n; i++)
        lo = MIN (lo, y[2 * i + axis]), hi = MAX (hi, y[2 * i + axis]);
      for (gsize i = 0; i < n; i++)
        y[2 * i + axis] = hi > lo ? 10 * (y[2 * i + axis] - lo) / (hi - lo) : 0;
    }
  return TRUE;
}

VtUmapResult *
vt_umap_run (const float          *x,
             guint                 n,
             guint                 dim,
             const VtUmapOptions  *options,
             const VtEventSink    *events,
             GCancellable         *cancellable,
             GError              **error)
{
  guint k = options->n_neighbors;
  guint n_epochs = options->n_epochs > 0 ? options->n_epochs : n > 10000 ? 200 : 500;
  double a, b;

  if (!vt_projection_check_input (x, n, dim, 3, "UMAP", error) || !check_options (options, n, error))
    return NULL;

  vt_event_emit_progress (events, 0, _("Finding neighbours"), 0, -1);
  g_autofree guint *indices = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  if (!vt_umap_neighbors (x, n, dim, k, options->neighbors, options->seed, indices, distances, cancellable,
                          error))
    return NULL;

  vt_event_emit_progress (events, 0.1, _("Building the fuzzy graph"), 0, -1);
  g_autoptr(VtSparse) graph = vt_umap_fuzzy_set (indices, distances, n, k);
  Edges edges = { 0 };
  collect_edges (graph, n_epochs, options->negative_sample_rate, &edges);
  /* The edges hold all the layout needs: the graph goes before it starts. */
  g_clear_pointer (&graph, vt_sparse_free);
  vt_umap_fit_curve (options->spread, options->min_dist, &a, &b);

  g_autoptr(VtUmapResult) result = g_new0 (VtUmapResult, 1);
  result->n = n;
  result->layout = g_new (float, 2 * (gsize) n);
  result->n_epochs = n_epochs;
  result->a = a;
  result->b = b;
  result->n_edges = edges.n_edges;
  result->approximate_neighbors = vt_umap_neighbors_approximate (options->neighbors, n);
  if (!initialize_layout (x, n, dim, options->seed, result->layout, cancellable, error))
    {
      edges_clear (&edges);
      return NULL;
    }

  /* Slice 0's stream is the one-threaded loop's; the others' start from it, mixed. */
  gsize slices = MIN ((gsize) vt_parallel_threads (), MAX (edges.n_edges, 1));
  g_autofree guint64 *random = g_new (guint64, slices);
  g_autofree gsize *slice_starts = slice_edges (&edges, slices);
  g_autofree float *start = slices > 1 ? g_new (float, 2 * (gsize) n) : NULL;
  g_autofree float *tail_moves = slices > 1 ? g_new0 (float, slices * 2 * (gsize) n) : NULL;
  random[0] = 0x9E3779B97F4A7C15ULL ^ ((guint64) options->seed * 0xBF58476D1CE4E5B9ULL);
  for (gsize s = 1; s < slices; s++)
    random[s] = mix (random[0] + s) | 1;
  Epoch epoch_work = { result->layout, slices > 1 ? start : result->layout, tail_moves, random, slice_starts,
                       slices, n, &edges, 0, a, b, options->repulsion_strength, 0 };

  vt_projection_emit_layout (events, result->layout, n, 2, 0, n_epochs);
  for (guint epoch = 0; epoch < n_epochs; epoch++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          edges_clear (&edges);
          return NULL;
        }
      epoch_work.epoch = epoch;
      epoch_work.alpha = options->learning_rate * (1 - (double) epoch / n_epochs);
      run_epoch (&epoch_work, start);
      if (options->layout_interval > 0 && (epoch + 1) % options->layout_interval == 0)
        vt_projection_emit_layout (events, result->layout, n, 2, epoch + 1, n_epochs);
      if ((epoch + 1) % 10 == 0)
        vt_event_emit_progress (events, 0.1 + 0.9 * (epoch + 1) / n_epochs, NULL, 0, -1);
    }
  result->n_slices = slices;
  edges_clear (&edges);
  return g_steal_pointer (&result);
}

void
vt_umap_result_free (VtUmapResult *result)
{
  if (result == NULL)
    return;
  g_free (result->layout);
  g_free (result);
}
