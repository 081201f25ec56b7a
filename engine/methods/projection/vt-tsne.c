/* vt-tsne.c: t-SNE's affinities, gradients and optimizer (see vt-tsne.h). */
#include "vt-tsne.h"
#include "core/vt-parallel.h"
#include "core/vt-random.h"
#include "vt-neighbors.h"
#include "vt-nn-descent.h"
#include "vt-pca.h"
#include "vt-quadtree.h"

#include <float.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#define PERPLEXITY_STEPS 100
#define PERPLEXITY_TOLERANCE 1e-5
#define EXPLORATION_ITERATIONS 250
#define ITERATIONS_WITHOUT_PROGRESS 300
#define CHECK_INTERVAL 50
#define MIN_GAIN 0.01
#define MIN_GRAD_NORM 1e-7

void
vt_tsne_options_init (VtTsneOptions *options)
{
  *options = (VtTsneOptions) {
    .perplexity = 30,
    .early_exaggeration = 12,
    .learning_rate = 0,
    .n_iterations = 1000,
    .theta = 0.5,
    .method = VT_TSNE_AUTO,
    .init = VT_TSNE_INIT_PCA,
    .seed = 0,
    .layout_interval = 10,
    .exact_neighbors_max = VT_TSNE_EXACT_NEIGHBORS_MAX,
  };
}

/* ---- Affinities ---------------------------------------------------------- */

/* sklearn's _binary_search_perplexity for one row: the conditional
 * probabilities over @m squared distances (sklearn rounds them to float32
 * first; so do we), leaving out position @skip (the point itself). */
static void
conditional_row (const double *sq_distances,
                 guint         m,
                 gssize        skip,
                 double        perplexity,
                 double       *row)
{
  double desired_entropy = log (perplexity);
  double beta = 1, beta_min = -INFINITY, beta_max = INFINITY;

  for (int step = 0; step < PERPLEXITY_STEPS; step++)
    {
      double sum = 0, weighted = 0;

      for (guint j = 0; j < m; j++)
        {
          row[j] = (gssize) j == skip ? 0 : exp (-(double) (float) sq_distances[j] * beta);
          sum += row[j];
        }
      if (sum == 0)
        sum = 1e-8;
      for (guint j = 0; j < m; j++)
        {
          row[j] /= sum;
          weighted += (double) (float) sq_distances[j] * row[j];
        }
      double entropy_difference = log (sum) + beta * weighted - desired_entropy;
      if (fabs (entropy_difference) <= PERPLEXITY_TOLERANCE)
        break;
      if (entropy_difference > 0)
        {
          beta_min = beta;
          beta = beta_max == INFINITY ? beta * 2 : (beta + beta_max) / 2;
        }
      else
        {
          beta_max = beta;
          beta = beta_min == -INFINITY ? beta / 2 : (beta + beta_min) / 2;
        }
    }
}

typedef struct
{
  double        *rows;        /* (n, k): squared distances in, conditional probabilities out */
  guint          k;
  double         perplexity;
} ConditionalRows;

static void
conditional_rows (gsize begin, gsize end, gpointer data)
{
  ConditionalRows *c = data;
  g_autofree double *distances = g_new (double, c->k);

  for (gsize i = begin; i < end; i++)
    {
      memcpy (distances, c->rows + i * c->k, c->k * sizeof (double));
      conditional_row (distances, c->k, -1, c->perplexity, c->rows + i * c->k);
    }
}

static double
sum_directions (double forward, double backward)
{
  return forward + backward;
}

/* Rows of P calibrated between two looks at the cancellable. */
#define AFFINITY_BLOCK 256

/* vt_tsne_affinities_from_neighbors with the conditional probabilities
 * written over @sq_distances: at a million points and 91 neighbours each,
 * a second (n, k) array of doubles would be another 730 MB. */
static VtSparse *
affinities_in_place (const guint  *indices,
                     double       *sq_distances,
                     guint         n,
                     guint         k,
                     double        perplexity,
                     GCancellable *cancellable)
{
  /* A block of rows at a time, with Cancel looked at between them: all
   * 2,000 rows of a small store took 125 ms here alone, and several times
   * that beside another run. */
  for (gsize first = 0; first < n; first += AFFINITY_BLOCK)
    {
      ConditionalRows rows = { sq_distances + first * k, k, perplexity };

      if (g_cancellable_is_cancelled (cancellable))
        return NULL;
      vt_parallel_for (MIN (AFFINITY_BLOCK, n - first), conditional_rows, &rows);
    }

  /* P = (C + Cᵀ) / Σ (C + Cᵀ) */
  VtSparse *p = vt_sparse_symmetrize (indices, sq_distances, n, k, sum_directions);
  double total = 0;
  for (gsize a = 0; a < p->row_starts[n]; a++)
    total += p->values[a];
  total = MAX (total, DBL_EPSILON);
  for (gsize a = 0; a < p->row_starts[n]; a++)
    p->values[a] /= total;
  return p;
}

VtSparse *
vt_tsne_affinities_from_neighbors (const guint  *indices,
                                   const double *sq_distances,
                                   guint         n,
                                   guint         k,
                                   double        perplexity)
{
  g_autofree double *conditional = g_memdup2 (sq_distances, (gsize) n * k * sizeof (double));

  return affinities_in_place (indices, conditional, n, k, perplexity, NULL);
}

typedef struct
{
  const float  *x;
  guint         n;
  guint         dim;
  double        perplexity;
  double       *p;
} DenseRows;

static void
dense_rows (gsize begin, gsize end, gpointer data)
{
  DenseRows *d = data;
  g_autofree double *distances = g_new (double, d->n);

  for (gsize i = begin; i < end; i++)
    {
      for (gsize j = 0; j < d->n; j++)
        {
          double sum = 0;
          for (gsize c = 0; c < d->dim; c++)
            {
              double diff = (double) d->x[i * d->dim + c] - d->x[j * d->dim + c];
              sum += diff * diff;
            }
          distances[j] = sum;
        }
      conditional_row (distances, d->n, i, d->perplexity, d->p + i * d->n);
    }
}

double *
vt_tsne_affinities_dense (const float *x,
                          guint        n,
                          guint        dim,
                          double       perplexity)
{
  double *p = g_new (double, (gsize) n * n);
  DenseRows rows = { x, n, dim, perplexity, p };
  vt_parallel_for (n, dense_rows, &rows);

  double total = 0;
  for (gsize i = 0; i < n; i++)
    for (gsize j = i + 1; j < n; j++)
      {
        double s = p[i * n + j] + p[j * n + i];
        p[i * n + j] = p[j * n + i] = s;
        total += 2 * s;
      }
  total = MAX (total, DBL_EPSILON);
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < n; j++)
      p[i * n + j] = i == j ? 0 : MAX (p[i * n + j] / total, DBL_EPSILON);
  return p;
}

/* ---- Gradients ----------------------------------------------------------- */

/* P's upper triangle (j > i): each pair once, half of P's bytes, since
 * streaming P is most of the attraction's cost. */
typedef struct
{
  guint    n;
  gsize   *starts;    /* n + 1 */
  guint   *columns;
  float   *values;
} UpperP;

static void
upper_refresh (UpperP *u, const VtSparse *p)
{
  gsize out = 0;

  for (guint i = 0; i < p->n; i++)
    for (gsize a = p->row_starts[i]; a < p->row_starts[i + 1]; a++)
      if (p->columns[a] > i)
        u->values[out++] = p->values[a];
}

static UpperP *
upper_new (const VtSparse *p)
{
  UpperP *u = g_new0 (UpperP, 1);
  gsize count = 0;

  u->n = p->n;
  u->starts = g_new (gsize, p->n + 1);
  for (guint i = 0; i < p->n; i++)
    for (gsize a = p->row_starts[i]; a < p->row_starts[i + 1]; a++)
      count += p->columns[a] > i;
  u->columns = g_new (guint, MAX (count, 1));
  u->values = g_new (float, MAX (count, 1));
  count = 0;
  for (guint i = 0; i < p->n; i++)
    {
      u->starts[i] = count;
      for (gsize a = p->row_starts[i]; a < p->row_starts[i + 1]; a++)
        if (p->columns[a] > i)
          u->columns[count++] = p->columns[a];
    }
  u->starts[p->n] = count;
  upper_refresh (u, p);
  return u;
}

static void
upper_free (UpperP *u)
{
  if (u == NULL)
    return;
  g_free (u->starts);
  g_free (u->columns);
  g_free (u->values);
  g_free (u);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpperP, upper_free)

typedef struct
{
  const double            *p_dense;
  const VtSparse  *p_sparse;
  const UpperP    *upper;         /* P's upper triangle, for the attraction */
  float           *layout_f;      /* the layout in float32, for the attraction */
  double          *parts;         /* (n_threads, n, 2): each thread's share of the attraction */
  int              n_threads;     /* vt_parallel_threads () when the work was set up */
  const double            *layout;
  guint                    n;
  const VtQuadtree        *tree;
  double                   theta_squared;
  double                  *row_sums;      /* n: Σ_j q_ij (unnormalized) per row */
  double                  *attraction;    /* (n, 2) */
  double                  *repulsion;     /* (n, 2) */
  GArray                  *groups;        /* Barnes-Hut: the tree's groups of points (node indices) */
  int                      next_block;    /* the next group to take */
} GradientWork;

static void
exact_rows (gsize begin, gsize end, gpointer data)
{
  GradientWork *w = data;

  for (gsize i = begin; i < end; i++)
    {
      double sum = 0;
      for (gsize j = 0; j < w->n; j++)
        if (j != i)
          {
            double dx = w->layout[2 * i] - w->layout[2 * j], dy = w->layout[2 * i + 1] - w->layout[2 * j + 1];
            sum += 1 / (1 + dx * dx + dy * dy);
          }
      w->row_sums[i] = sum;
    }
}

typedef struct
{
  const double  *p;
  const double  *layout;
  guint          n;
  double         total;
  double        *gradient;
  double        *row_kl;
} ExactGradient;

static void
exact_gradient_rows (gsize begin, gsize end, gpointer data)
{
  ExactGradient *e = data;
  const double *y = e->layout;

  for (gsize i = begin; i < end; i++)
    {
      double gx = 0, gy = 0, divergence = 0;

      for (gsize j = 0; j < e->n; j++)
        {
          if (j == i)
            continue;
          double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
          double q_unnormalized = 1 / (1 + dx * dx + dy * dy);
          double q = MAX (q_unnormalized / e->total, DBL_EPSILON);
          double p = e->p[i * e->n + j];
          double pq = (p - q) * q_unnormalized;

          gx += pq * dx;
          gy += pq * dy;
          divergence += p * log (MAX (p, DBL_EPSILON) / q);
        }
      e->gradient[2 * i] = 4 * gx;
      e->gradient[2 * i + 1] = 4 * gy;
      e->row_kl[i] = divergence;
    }
}

void
vt_tsne_gradient_exact (const double *p,
                        const double *layout,
                        guint         n,
                        double       *gradient,
                        double       *kl)
{
  g_autofree double *row_sums = g_new (double, n);
  GradientWork work = { .p_dense = p, .layout = layout, .n = n, .row_sums = row_sums };
  vt_parallel_for (n, exact_rows, &work);

  double total = 0;
  for (gsize i = 0; i < n; i++)
    total += row_sums[i];

  /* The row sums' storage is reused for each row's share of KL. */
  ExactGradient e = { p, layout, n, total, gradient, row_sums };
  vt_parallel_for (n, exact_gradient_rows, &e);
  if (kl != NULL)
    {
      *kl = 0;
      for (gsize i = 0; i < n; i++)
        *kl += row_sums[i];
    }
}

/* The attraction Σ_j p_ij q_ij (y_i − y_j), each pair once: slice t of the
 * rows adds both ends' shares into part t, so no two threads write the same
 * memory and the sums come out the same on every run. In float32, as
 * sklearn's Barnes-Hut code computes it. The slices are fixed when the work
 * is set up, not by the loop: a loop may come in one piece (started while
 * another run's loop has the helper threads), and then this call does
 * every slice, in order. */
static void
attraction_slices (gsize begin, gsize end, gpointer data)
{
  GradientWork *w = data;
  const UpperP *u = w->upper;
  const float *y = w->layout_f;

  for (gsize slice = begin; slice < end; slice++)
    {
      double *part = w->parts + slice * 2 * (gsize) w->n;
      guint first = (guint) ((gsize) w->n * slice / w->n_threads);
      guint last = (guint) ((gsize) w->n * (slice + 1) / w->n_threads);

      memset (part, 0, 2 * (gsize) w->n * sizeof (double));
      for (guint i = first; i < last; i++)
        {
          float xi = y[2 * i], yi = y[2 * i + 1], fx = 0, fy = 0;

          for (gsize a = u->starts[i]; a < u->starts[i + 1]; a++)
            {
              guint j = u->columns[a];
              float dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
              float pq = u->values[a] / (1 + dx * dx + dy * dy);

              fx += pq * dx;
              fy += pq * dy;
              part[2 * j] -= pq * dx;
              part[2 * j + 1] -= pq * dy;
            }
          part[2 * i] += fx;
          part[2 * i + 1] += fy;
        }
    }
}

/* Points within this many share one walk of the tree (vt_quadtree_groups). */
#define GROUP_POINTS 32

/* Groups are taken from a shared counter: a thread whose groups need longer
 * lists takes fewer of them. */
static void
force_groups (gsize begin, gsize end, gpointer data)
{
  GradientWork *w = data;
  VtInteractions list = { 0 };
  guint g;

  while ((g = g_atomic_int_add (&w->next_block, 1)) < w->groups->len)
    {
      guint node = g_array_index (w->groups, guint, g);

      vt_quadtree_group_repulsion (w->tree, node, w->theta_squared, &list, w->repulsion, w->row_sums);
    }
  vt_interactions_clear (&list);
}

/* Σ p log(p / q) over P's entries, q normalized by @sum_q (as sklearn's BH code). */
static double
sparse_kl (const VtSparse *p, const double *layout, double sum_q)
{
  double divergence = 0;

  for (gsize i = 0; i < p->n; i++)
    for (gsize a = p->row_starts[i]; a < p->row_starts[i + 1]; a++)
      {
        guint j = p->columns[a];
        double dx = layout[2 * i] - layout[2 * j], dy = layout[2 * i + 1] - layout[2 * j + 1];
        double q = 1 / (1 + dx * dx + dy * dy) / sum_q;

        divergence += p->values[a] * log (MAX (p->values[a], FLT_MIN) / MAX (q, FLT_MIN));
      }
  return divergence;
}

static void
gradient_bh_with (const VtSparse         *p,
                  const UpperP           *upper,
                  const double           *layout,
                  double                  theta,
                  VtQuadtree             *tree,
                  GradientWork           *work,
                  double                 *gradient,
                  double                 *kl)
{
  vt_quadtree_build (tree, layout);
  work->p_sparse = p;
  work->upper = upper;
  work->layout = layout;
  for (gsize c = 0; c < 2 * (gsize) p->n; c++)
    work->layout_f[c] = layout[c];

  work->n = p->n;
  work->tree = tree;
  work->theta_squared = theta * theta;
  g_array_set_size (work->groups, 0);
  vt_quadtree_groups (tree, GROUP_POINTS, work->groups);
  work->next_block = 0;
  vt_parallel_for (vt_parallel_threads (), force_groups, work);
  vt_parallel_for (work->n_threads, attraction_slices, work);
  for (gsize c = 0; c < 2 * (gsize) p->n; c++)
    {
      work->attraction[c] = 0;
      for (int t = 0; t < work->n_threads; t++)
        work->attraction[c] += work->parts[t * 2 * (gsize) p->n + c];
    }

  double sum_q = 0;
  for (gsize i = 0; i < p->n; i++)
    sum_q += work->row_sums[i];
  sum_q = MAX (sum_q, DBL_EPSILON);
  for (gsize c = 0; c < 2 * (gsize) p->n; c++)
    gradient[c] = 4 * (work->attraction[c] - work->repulsion[c] / sum_q);
  if (kl != NULL)
    *kl = sparse_kl (p, layout, sum_q);
}

void
vt_tsne_gradient_bh (const VtSparse *p,
                     const double           *layout,
                     double                  theta,
                     double                 *gradient,
                     double                 *kl)
{
  g_autoptr(VtQuadtree) tree = vt_quadtree_new (p->n);
  g_autofree double *row_sums = g_new (double, p->n);
  g_autofree double *attraction = g_new (double, 2 * (gsize) p->n);
  g_autofree double *repulsion = g_new (double, 2 * (gsize) p->n);
  g_autoptr(UpperP) upper = upper_new (p);
  int n_threads = vt_parallel_threads ();
  g_autofree double *parts = g_new (double, 2 * (gsize) p->n * n_threads);
  g_autoptr(GArray) groups = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree float *layout_f = g_new (float, 2 * (gsize) p->n);
  GradientWork work = { .row_sums = row_sums, .attraction = attraction, .repulsion = repulsion,
                        .groups = groups, .layout_f = layout_f, .parts = parts, .n_threads = n_threads };

  gradient_bh_with (p, upper, layout, theta, tree, &work, gradient, kl);
}

/* ---- Optimization -------------------------------------------------------- */

typedef struct
{
  const VtTsneOptions  *options;
  guint                 n;
  gboolean              approximate_neighbors;
  double               *p_dense;     /* exact */
  VtSparse             *p_sparse;    /* Barnes-Hut */
  UpperP               *upper;       /* its upper triangle in float32, as the attraction reads it */
  VtQuadtree           *tree;
  GradientWork          work;
  double               *layout;
  double               *gradient;
  double               *update;
  double               *gains;
  float                *snapshot;
  const VtEventSink    *events;
} Optimizer;

static void
optimizer_clear (Optimizer *o)
{
  g_free (o->p_dense);
  g_clear_pointer (&o->p_sparse, vt_sparse_free);
  g_clear_pointer (&o->upper, upper_free);
  g_clear_pointer (&o->tree, vt_quadtree_free);
  g_free (o->layout);
  g_free (o->gradient);
  g_free (o->update);
  g_free (o->gains);
  g_free (o->snapshot);
  g_free (o->work.row_sums);
  g_free (o->work.attraction);
  g_free (o->work.repulsion);
  g_clear_pointer (&o->work.groups, g_array_unref);
  g_free (o->work.layout_f);
  g_free (o->work.parts);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Optimizer, optimizer_clear)

static void
scale_affinities (Optimizer *o, double factor)
{
  if (o->p_dense != NULL)
    for (gsize a = 0; a < (gsize) o->n * o->n; a++)
      o->p_dense[a] *= factor;
  else
    for (gsize a = 0; a < o->p_sparse->row_starts[o->n]; a++)
      o->p_sparse->values[a] *= factor;
  if (o->upper != NULL)
    upper_refresh (o->upper, o->p_sparse);
}

static void
compute_gradient (Optimizer *o, double *kl)
{
  if (o->p_dense != NULL)
    vt_tsne_gradient_exact (o->p_dense, o->layout, o->n, o->gradient, kl);
  else
    gradient_bh_with (o->p_sparse, o->upper, o->layout, o->options->theta, o->tree, &o->work, o->gradient, kl);
}

static void
emit_layout (Optimizer *o, guint iteration, guint n_iterations)
{
  if (o->events == NULL || o->events->func == NULL)
    return;
  for (gsize c = 0; c < 2 * (gsize) o->n; c++)
    o->snapshot[c] = o->layout[c];
  vt_projection_emit_layout (o->events, o->snapshot, o->n, 2, iteration, n_iterations);
}

/* sklearn's _gradient_descent over iterations [first, end); returns the
 * last iteration run, or -1 when cancelled. */
static int
descend (Optimizer    *o,
         guint         first,
         guint         end,
         double        momentum,
         double        learning_rate,
         guint         patience,
         double       *kl,
         GCancellable *cancellable)
{
  double best_error = DBL_MAX;
  guint best_iteration = first, i;
  gsize size = 2 * (gsize) o->n;

  memset (o->update, 0, size * sizeof (double));
  for (gsize c = 0; c < size; c++)
    o->gains[c] = 1;

  for (i = first; i < end; i++)
    {
      gboolean check = (i + 1) % CHECK_INTERVAL == 0;
      double error = 0;

      if (g_cancellable_is_cancelled (cancellable))
        return -1;
      compute_gradient (o, check || i == end - 1 ? &error : NULL);
      double norm = 0;
      for (gsize c = 0; c < size; c++)
        {
          double g = o->gradient[c];

          o->gains[c] = o->update[c] * g < 0 ? o->gains[c] + 0.2 : o->gains[c] * 0.8;
          o->gains[c] = MAX (o->gains[c], MIN_GAIN);
          g *= o->gains[c];
          norm += g * g;
          o->update[c] = momentum * o->update[c] - learning_rate * g;
          o->layout[c] += o->update[c];
        }
      if (check || i == end - 1)
        *kl = error;
      if (o->options->layout_interval > 0 && (i + 1) % o->options->layout_interval == 0)
        emit_layout (o, i + 1, o->options->n_iterations);
      if ((i + 1) % 10 == 0)
        vt_event_emit_progress (o->events, 0.1 + 0.9 * (i + 1) / o->options->n_iterations, NULL, 0, -1);
      if (check)
        {
          if (error < best_error)
            {
              best_error = error;
              best_iteration = i;
            }
          else if (i - best_iteration > patience)
            break;
          if (sqrt (norm) <= MIN_GRAD_NORM)
            break;
        }
    }
  return MIN (i, end - 1);
}

static gboolean
check_options (const VtTsneOptions *options, guint n, gboolean *exact, GError **error)
{
  if (!(options->perplexity > 0) || !(options->early_exaggeration >= 1) || options->n_iterations < 250
      || !(options->theta > 0 && options->theta <= 1))
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("t-SNE: perplexity must be positive, early exaggeration at least 1, "
                     "iterations at least 250 and θ in (0, 1]"));
      return FALSE;
    }
  if (options->perplexity >= n)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                   _("t-SNE with perplexity %g needs more than %g samples; there are %u. "
                     "Lower the perplexity or add samples"),
                   options->perplexity, options->perplexity, n);
      return FALSE;
    }
  *exact = options->method == VT_TSNE_EXACT
           || (options->method == VT_TSNE_AUTO && n <= VT_TSNE_EXACT_AUTO_MAX);
  if (*exact && n > VT_TSNE_EXACT_MAX)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("Exact t-SNE keeps N² affinities and takes at most %u samples; there are %u. "
                     "Use Barnes-Hut"), VT_TSNE_EXACT_MAX, n);
      return FALSE;
    }
  return TRUE;
}

static gboolean
initialize_layout (const float *x, guint n, guint dim, const VtTsneOptions *options,
                   double *layout, GCancellable *cancellable, GError **error)
{
  if (options->init == VT_TSNE_INIT_RANDOM)
    {
      VtRandom random;

      vt_random_init (&random, options->seed);
      for (gsize c = 0; c < 2 * (gsize) n; c++)
        layout[c] = 1e-4 * (float) vt_random_gauss (&random);
      return TRUE;
    }

  g_autofree float *scores = g_new (float, 2 * (gsize) n);
  if (!vt_pca_project_2d (x, n, dim, scores, cancellable, error))
    return FALSE;

  /* sklearn scales the PCA layout to a first-column standard deviation of 1e-4. */
  double mean = 0, variance = 0;
  for (gsize i = 0; i < n; i++)
    mean += scores[2 * i];
  mean /= n;
  for (gsize i = 0; i < n; i++)
    variance += (scores[2 * i] - mean) * (scores[2 * i] - mean);
  double deviation = sqrt (variance / n);
  if (deviation == 0)
    deviation = 1;
  for (gsize c = 0; c < 2 * (gsize) n; c++)
    layout[c] = scores[c] / deviation * 1e-4;
  return TRUE;
}

static gboolean
compute_affinities (Optimizer *o, const float *x, guint dim, gboolean exact,
                    GCancellable *cancellable, GError **error)
{
  double perplexity = o->options->perplexity;

  if (exact)
    {
      o->p_dense = vt_tsne_affinities_dense (x, o->n, dim, perplexity);
      return TRUE;
    }
  guint k = MIN (o->n - 1, (guint) (3 * perplexity + 1));
  g_autofree guint *indices = g_new (guint, (gsize) o->n * k);
  g_autofree double *sq_distances = g_new (double, (gsize) o->n * k);
  gboolean found;

  o->approximate_neighbors = o->n > o->options->exact_neighbors_max;
  if (o->approximate_neighbors)
    found = vt_neighbors_approximate (x, o->n, dim, k, o->options->seed, indices, sq_distances, cancellable, error);
  else
    found = vt_neighbors_exact (x, o->n, dim, k, indices, sq_distances, cancellable, error);
  if (!found)
    return FALSE;
  o->p_sparse = affinities_in_place (indices, sq_distances, o->n, k, perplexity, cancellable);
  if (o->p_sparse == NULL)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  /* The neighbour lists go before P's upper triangle is made: never both. */
  g_clear_pointer (&indices, g_free);
  g_clear_pointer (&sq_distances, g_free);
  o->upper = upper_new (o->p_sparse);
  return TRUE;
}

VtTsneResult *
vt_tsne_run (const float          *x,
             guint                 n,
             guint                 dim,
             const VtTsneOptions  *options,
             const VtEventSink    *events,
             GCancellable         *cancellable,
             GError              **error)
{
  gboolean exact = FALSE;

  if (!vt_projection_check_input (x, n, dim, 2, "t-SNE", error)
      || !check_options (options, n, &exact, error))
    return NULL;

  gsize size = 2 * (gsize) n;
  g_auto(Optimizer) o = {
    .options = options, .n = n, .events = events,
  };
  o.layout = g_new (double, size);
  o.gradient = g_new (double, size);
  o.update = g_new (double, size);
  o.gains = g_new (double, size);
  o.snapshot = g_new (float, size);
  o.work.row_sums = g_new (double, n);
  o.work.attraction = g_new (double, size);
  o.work.repulsion = g_new (double, size);
  o.work.groups = g_array_new (FALSE, FALSE, sizeof (guint));
  o.work.layout_f = g_new (float, size);
  o.work.n_threads = vt_parallel_threads ();
  o.work.parts = g_new (double, size * o.work.n_threads);
  o.tree = exact ? NULL : vt_quadtree_new (n);
  double *layout = o.layout;

  vt_event_emit_progress (events, 0, _("Finding neighbours"), 0, -1);
  if (!initialize_layout (x, n, dim, options, layout, cancellable, error)
      || !compute_affinities (&o, x, dim, exact, cancellable, error))
    return NULL;
  vt_event_emit_progress (events, 0.1, _("Optimizing"), 0, -1);
  emit_layout (&o, 0, options->n_iterations);

  double learning_rate = options->learning_rate > 0
                         ? options->learning_rate
                         : MAX (n / options->early_exaggeration / 4, 50);
  double kl = 0;
  scale_affinities (&o, options->early_exaggeration);
  int last = descend (&o, 0, EXPLORATION_ITERATIONS, 0.5, learning_rate, EXPLORATION_ITERATIONS,
                      &kl, cancellable);
  scale_affinities (&o, 1 / options->early_exaggeration);
  if (last >= 0 && options->n_iterations > EXPLORATION_ITERATIONS)
    last = descend (&o, last + 1, options->n_iterations, 0.8, learning_rate,
                    ITERATIONS_WITHOUT_PROGRESS, &kl, cancellable);
  if (last < 0)
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return NULL;
    }
  emit_layout (&o, last + 1, options->n_iterations);

  VtTsneResult *result = g_new0 (VtTsneResult, 1);
  result->n = n;
  result->layout = g_new (float, size);
  for (gsize c = 0; c < size; c++)
    result->layout[c] = layout[c];
  result->kl_divergence = kl;
  result->n_iterations = last + 1;
  result->exact = exact;
  result->approximate_neighbors = o.approximate_neighbors;
  return result;
}

void
vt_tsne_result_free (VtTsneResult *result)
{
  if (result == NULL)
    return;
  g_free (result->layout);
  g_free (result);
}
