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
  guint       *scratch;
} VtQuadtree;

VtQuadtree  *vt_quadtree_new       (guint              n);
void         vt_quadtree_free      (VtQuadtree        *tree);
/* @layout: (n, 2). */
void         vt_quadtree_build     (VtQuadtree        *tree,
                                    const double      *layout);
/* Groups: the largest cells of at most @max_points points, and leaves of
 * more (coincident points), which together hold every point once; their
 * node indices are appended to @groups. */
void         vt_quadtree_groups    (const VtQuadtree  *tree,
                                    guint              max_points,
                                    GArray            *groups);

/* What a group of points is repelled by: bodies at (x, y) of weight w (a
 * summarized cell's count, or 1 for a point of a near leaf). Reused
 * between calls. */
typedef struct
{
  float   *x, *y, *w;
  guint    length;
  guint    capacity;
} VtInteractions;

void         vt_interactions_clear (VtInteractions    *list);

/* Barnes-Hut repulsion on each point i of @group: one walk of the tree for
 * the whole group, summarizing a cell when width² < @theta_squared · d²,
 * with d its centre of mass's distance to the group's bounding box (so the
 * test holds for every point in the group), near leaves' points one by
 * one; then each point sums over that list. Writes Σ_{j≠i} q²(y_i − y_j)
 * into @repulsion (n, 2) and Σ_{j≠i} q into @sum_q (n), q = 1 / (1 + ‖y_i
 * − y_j‖²), both indexed by point. */
void         vt_quadtree_group_repulsion (const VtQuadtree *tree,
                                          guint             group,
                                          double            theta_squared,
                                          VtInteractions   *list,
                                          double           *repulsion,
                                          double           *sum_q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtQuadtree, vt_quadtree_free)

G_END_DECLS
