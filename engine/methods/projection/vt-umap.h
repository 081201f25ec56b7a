/* vt-umap.h: UMAP (McInnes, Healy and Melville), as umap-learn 0.5 runs it
 * with its defaults, for a Euclidean metric in 2 dimensions.
 *
 *   neighbours      each point's n_neighbors nearest (itself included): below
 *                   4,096 points exactly, by blocked matrix products
 *                   (vt-neighbors.h), from there on approximately, by
 *                   NN-descent (vt-nn-descent.h), where umap-learn switches too
 *   fuzzy set       ρ_i = distance to the nearest other point; σ_i by binary
 *                   search so that Σ_j exp(−max(0, d_ij − ρ_i) / σ_i) = log2(k)
 *                   (64 steps, tolerance 1e-5, σ at least 1e-3 of the mean
 *                   distance); w_ij = that term; the union W = A + Aᵀ − A∘Aᵀ;
 *                   edges below max(W) / n_epochs dropped
 *   curve           a and b of 1 / (1 + a d^2b) fitted by least squares to
 *                   the min_dist / spread target on 300 points of [0, 3·spread]
 *   initialization  PCA, scaled so the largest coordinate is 10, plus N(0, 1e-4)
 *   layout          n_epochs (200 above 10,000 points, else 500) of SGD over the
 *                   edges, each sampled in proportion to its weight, with the
 *                   learning rate falling linearly from 1, 5 negative samples
 *                   per positive one, gradients clipped to ±4
 * The layout's epochs run on the engine's threads: the edges are cut into
 * one slice per thread, each with its own seeded xorshift stream, and a
 * slice reads other points as the epoch began and hands its moves of them
 * over at the epoch's end (see vt-umap.c). The same input, seed and
 * thread count give the same layout, bit for bit; with one thread it is
 * umap-learn's sequential loop.
 */
#pragma once

#include "vt-projection.h"
#include "vt-sparse.h"

G_BEGIN_DECLS

typedef enum
{
  VT_UMAP_NEIGHBORS_AUTO,          /* exact below VT_UMAP_EXACT_NEIGHBORS_MAX points */
  VT_UMAP_NEIGHBORS_EXACT,
  VT_UMAP_NEIGHBORS_APPROXIMATE,
} VtUmapNeighbors;

#define VT_UMAP_EXACT_NEIGHBORS_MAX 4095

typedef struct
{
  guint    n_neighbors;            /* 15 */
  VtUmapNeighbors  neighbors;      /* auto */
  double   min_dist;               /* 0.1 */
  double   spread;                 /* 1.0 */
  guint    n_epochs;               /* 0: 200 above 10,000 points, else 500 */
  double   learning_rate;          /* 1.0 */
  guint    negative_sample_rate;   /* 5 */
  double   repulsion_strength;     /* 1.0 */
  guint32  seed;
  guint    layout_interval;        /* call on_layout every this many epochs; 0: never */
} VtUmapOptions;

typedef struct
{
  float   *layout;      /* (n, 2) */
  guint    n;
  guint    n_epochs;
  double   a, b;        /* the fitted curve */
  gsize    n_edges;     /* in the fuzzy set, both directions */
  gboolean approximate_neighbors;
  gsize    n_slices;    /* the layout's slices: the threads it ran on */
} VtUmapResult;

void           vt_umap_options_init  (VtUmapOptions        *options);
VtUmapResult  *vt_umap_run           (const float          *x,
                                      guint                 n,
                                      guint                 dim,
                                      const VtUmapOptions  *options,
                                      const VtEventSink    *events,
                                      GCancellable         *cancellable,
                                      GError              **error);
void           vt_umap_result_free   (VtUmapResult         *result);

/* The building blocks, public so they can be checked against a reference. */

/* a and b for @min_dist and @spread (umap-learn's find_ab_params). */
void     vt_umap_fit_curve          (double         spread,
                                     double         min_dist,
                                     double        *a,
                                     double        *b);

/* Whether @search looks for the neighbours of @n points approximately. */
gboolean  vt_umap_neighbors_approximate (VtUmapNeighbors search,
                                         guint           n);

/* Each point's @k nearest neighbours, itself first at distance 0, then the
 * k − 1 others (found by @search, seeded by @seed where approximate), with
 * Euclidean distances rounded to float32. */
gboolean  vt_umap_neighbors         (const float   *x,
                                     guint          n,
                                     guint          dim,
                                     guint          k,
                                     VtUmapNeighbors search,
                                     guint32        seed,
                                     guint         *indices,
                                     double        *distances,
                                     GCancellable  *cancellable,
                                     GError       **error);

/* The fuzzy simplicial set, symmetric (before small edges are dropped),
 * from each point's k neighbours (indices and distances, (n, k), nearest
 * first, the point itself first). */
VtSparse *vt_umap_fuzzy_set         (const guint   *indices,
                                     const double  *distances,
                                     guint          n,
                                     guint          k);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtUmapResult, vt_umap_result_free)

G_END_DECLS
