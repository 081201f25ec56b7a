/* vt-tsne.h: t-SNE as scikit-learn 1.2 runs it.
 *
 * Affinities: each point's Gaussian bandwidth by binary search to the
 * perplexity (100 steps, entropy tolerance 1e-5), over its 3·perplexity + 1
 * nearest neighbours (Barnes-Hut) or over all points (exact); P = (C + Cᵀ)
 * / ΣC. Optimization: gradient descent with momentum 0.5 and P exaggerated
 * (12x) for 250 iterations, then momentum 0.8 to 1000; per-coordinate gains
 * (+0.2 / x0.8, at least 0.01); learning rate "auto" = max(N / 12 / 4, 50);
 * convergence checked every 50 iterations; initialization by PCA scaled to
 * a first-column standard deviation of 1e-4. The Barnes-Hut repulsion uses
 * a quadtree with θ = 0.5. Embeds into 2 dimensions. */
#pragma once

#include "vt-projection.h"
#include "vt-sparse.h"

G_BEGIN_DECLS

typedef enum
{
  VT_TSNE_AUTO,         /* exact up to VT_TSNE_EXACT_AUTO_MAX points, Barnes-Hut above */
  VT_TSNE_EXACT,
  VT_TSNE_BARNES_HUT,
} VtTsneMethod;

#define VT_TSNE_EXACT_AUTO_MAX 500
/* Barnes-Hut finds each point's 3·perplexity + 1 neighbours exactly up to
 * this many points (sklearn always does), and by NN-descent
 * (vt-nn-descent.h) above: the exact search's N² work takes seconds at
 * 50,000 points but hours at a million. */
#define VT_TSNE_EXACT_NEIGHBORS_MAX 50000
/* The dense N x N affinities of the exact method: 5,000² float64 = 200 MB. */
#define VT_TSNE_EXACT_MAX 5000

typedef enum
{
  VT_TSNE_INIT_PCA,
  VT_TSNE_INIT_RANDOM,   /* 1e-4 · N(0, 1), from numpy's RandomState(seed) */
} VtTsneInit;

typedef struct
{
  double        perplexity;           /* 30 */
  double        early_exaggeration;   /* 12 */
  double        learning_rate;        /* ≤ 0: "auto" */
  guint         n_iterations;         /* 1000; at least 250 */
  double        theta;                /* 0.5 */
  VtTsneMethod  method;
  VtTsneInit    init;
  guint32       seed;
  guint         layout_interval;      /* call on_layout every this many iterations; 0: never */
  guint         exact_neighbors_max;  /* VT_TSNE_EXACT_NEIGHBORS_MAX; NN-descent (seeded by seed) above */
} VtTsneOptions;

typedef struct
{
  float   *layout;          /* (n, 2) */
  guint    n;
  double   kl_divergence;   /* at the last iteration */
  guint    n_iterations;    /* run, convergence may stop early */
  gboolean exact;           /* which gradient was used */
  gboolean approximate_neighbors;   /* Barnes-Hut's neighbours found by NN-descent */
} VtTsneResult;

void           vt_tsne_options_init  (VtTsneOptions        *options);

VtTsneResult  *vt_tsne_run           (const float          *x,
                                      guint                 n,
                                      guint                 dim,
                                      const VtTsneOptions  *options,
                                      const VtEventSink    *events,
                                      GCancellable         *cancellable,
                                      GError              **error);
void           vt_tsne_result_free   (VtTsneResult         *result);

/* The building blocks, public so they can be checked against sklearn's. */

/* Sparse, symmetric P from each point's k nearest neighbours (indices and
 * squared distances, (n, k), nearest first): sklearn's
 * _joint_probabilities_nn. */
VtSparse *vt_tsne_affinities_from_neighbors (const guint   *indices,
                                             const double  *sq_distances,
                                             guint          n,
                                             guint          k,
                                             double         perplexity);

/* Dense P (n, n) from all pairwise distances: sklearn's _joint_probabilities. */
double  *vt_tsne_affinities_dense   (const float   *x,
                                     guint          n,
                                     guint          dim,
                                     double         perplexity);

/* The gradient of KL(P‖Q) at @layout (n, 2) into @gradient, and KL itself
 * when @kl is not NULL: sklearn's _kl_divergence and _kl_divergence_bh. */
void     vt_tsne_gradient_exact     (const double  *p,
                                     const double  *layout,
                                     guint          n,
                                     double        *gradient,
                                     double        *kl);
void     vt_tsne_gradient_bh        (const VtSparse *p,
                                     const double  *layout,
                                     double         theta,
                                     double        *gradient,
                                     double        *kl);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTsneResult, vt_tsne_result_free)

G_END_DECLS
