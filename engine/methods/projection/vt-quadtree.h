/* vt-quadtree.h: the Barnes-Hut quadtree over a 2-D layout, for t-SNE's
 * repulsive forces.
 *
 * Built by recursive partition of an index array (no per-point insertion),
 * so the nodes sit in depth-first order, a cell's points are one
 * contiguous range, and a cell's subtree is the run of nodes up to its
 * `skip`. A walk is then a forward scan: summarize a cell and jump to its
 * skip, or open it and step to the next node. A node is 24 bytes, so the
 * scan touches one cache line per node. Leaves hold up to
 * VT_QUADTREE_LEAF_SIZE points, summed one by one when the walk reaches
 * them unsummarized: the bottom levels, where most of a walk's visits
 * would go, are never built. Rebuilt every iteration into the same storage. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_QUADTREE_LEAF_SIZE 8

typedef struct
{
  float   center_x;      /* the cell's centre of mass */
  float   center_y;
  float   width_sq;      /* the cell's side, squared */
  float   count;         /* points in the cell */
  guint   begin;         /* its points: order[begin .. begin + count) */
  guint   skip;          /* the node after its subtree; node + 1 for a leaf */
} VtQuadNode;

typedef struct
{
  guint        n;        /* points */
  guint        n_nodes;
  guint        capacity;
  VtQuadNode  *nodes;
  guint       *order;        /* point indices, grouped by cell */
  float       *ordered;      /* (n, 2): the points' positions in that order */
  guint   *position;     /* position[i]: where point i sits in order */
  guint   *scratch;
} VtQuadtree;

VtQuadtree  *vt_quadtree_new       (guint              n);
void         vt_quadtree_free      (VtQuadtree        *tree);
/* @layout: (n, 2). */
void         vt_quadtree_build     (VtQuadtree        *tree,
                                    const double      *layout);
/* The repulsion on point @i as Barnes-Hut approximates it: cells whose
 * width² / distance² is below @theta_squared count as one body at their
 * centre of mass; other leaves' points count one by one. Adds Σ q²(y_i − y_j) to @force (2) and returns Σ q,
 * q = 1 / (1 + ‖y_i − y_j‖²), over all j ≠ i. */
double       vt_quadtree_repulsion (const VtQuadtree  *tree,
                                    const double      *layout,
                                    guint              i,
                                    double             theta_squared,
                                    double            *force);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtQuadtree, vt_quadtree_free)

G_END_DECLS
