/* vt-quadtree.c: build and walk the Barnes-Hut tree. */
#include "vt-quadtree.h"

#include <math.h>
#include <string.h>

/* Coincident points would split forever; below this depth they share a leaf. */
#define MAX_DEPTH 48

static void
reserve_nodes (VtQuadtree *tree, guint capacity)
{
  if (capacity <= tree->capacity)
    return;
  capacity = MAX (capacity, 2 * tree->capacity);
  tree->nodes = g_renew (VtQuadNode, tree->nodes, capacity);
  tree->capacity = capacity;
}

VtQuadtree *
vt_quadtree_new (guint n)
{
  VtQuadtree *tree = g_new0 (VtQuadtree, 1);

  tree->n = n;
  reserve_nodes (tree, 2 * n + 16);
  tree->order = g_new (guint, n);
  tree->ordered = g_new (float, 2 * (gsize) MAX (n, 1));
  tree->position = g_new (guint, n);
  tree->scratch = g_new (guint, n);
  return tree;
}

void
vt_quadtree_free (VtQuadtree *tree)
{
  if (tree == NULL)
    return;
  g_free (tree->nodes);
  g_free (tree->order);
  g_free (tree->ordered);
  g_free (tree->position);
  g_free (tree->scratch);
  g_free (tree);
}

/* Quadrant of (x, y) around (cx, cy): bit 0 for x ≥ cx, bit 1 for y ≥ cy. */
static inline guint
quadrant (const double *point, double cx, double cy)
{
  return (point[0] >= cx) + 2 * (point[1] >= cy);
}

/* Appends the node for the points order[begin .. begin + count) in the
 * square cell centred at (cx, cy) with side @width, then its subtree. */
static void
build_cell (VtQuadtree   *tree,
            const double *layout,
            guint         begin,
            guint         count,
            double        cx,
            double        cy,
            double        width,
            guint         depth)
{
  guint node = tree->n_nodes++;
  double sx = 0, sy = 0;

  reserve_nodes (tree, tree->n_nodes);
  for (guint a = begin; a < begin + count; a++)
    {
      sx += layout[2 * tree->order[a]];
      sy += layout[2 * tree->order[a] + 1];
    }
  tree->nodes[node] = (VtQuadNode) { sx / count, sy / count, width * width, count, begin, 0 };

  if (count > VT_QUADTREE_LEAF_SIZE && depth < MAX_DEPTH)
    {
      guint counts[4] = { 0 }, fill[4];

      for (guint a = begin; a < begin + count; a++)
        counts[quadrant (layout + 2 * tree->order[a], cx, cy)]++;
      fill[0] = begin;
      for (int q = 1; q < 4; q++)
        fill[q] = fill[q - 1] + counts[q - 1];
      for (guint a = begin; a < begin + count; a++)
        {
          guint p = tree->order[a];
          tree->scratch[fill[quadrant (layout + 2 * p, cx, cy)]++] = p;
        }
      memcpy (tree->order + begin, tree->scratch + begin, count * sizeof (guint));

      double quarter = width / 4;
      guint start = begin;
      for (int q = 0; q < 4; q++)
        {
          if (counts[q] > 0)
            build_cell (tree, layout, start, counts[q],
                        cx + (q & 1 ? quarter : -quarter), cy + (q & 2 ? quarter : -quarter),
                        width / 2, depth + 1);
          start += counts[q];
        }
    }
  tree->nodes[node].skip = tree->n_nodes;
}

void
vt_quadtree_build (VtQuadtree   *tree,
                   const double *layout)
{
  double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;

  for (guint i = 0; i < tree->n; i++)
    {
      tree->order[i] = i;
      min_x = MIN (min_x, layout[2 * i]);
      max_x = MAX (max_x, layout[2 * i]);
      min_y = MIN (min_y, layout[2 * i + 1]);
      max_y = MAX (max_y, layout[2 * i + 1]);
    }
  /* A little margin so the largest coordinate falls inside the square. */
  double width = MAX (max_x - min_x, max_y - min_y) * (1 + 1e-5) + 1e-12;

  tree->n_nodes = 0;
  build_cell (tree, layout, 0, tree->n, (min_x + max_x) / 2, (min_y + max_y) / 2, width, 0);
  for (guint a = 0; a < tree->n; a++)
    {
      tree->position[tree->order[a]] = a;
      tree->ordered[2 * a] = layout[2 * tree->order[a]];
      tree->ordered[2 * a + 1] = layout[2 * tree->order[a] + 1];
    }
}

double
vt_quadtree_repulsion (const VtQuadtree *tree,
                       const double     *layout,
                       guint             i,
                       double            theta_squared,
                       double           *force)
{
  float xi = layout[2 * i], yi = layout[2 * i + 1], theta2 = theta_squared;
  guint where = tree->position[i];
  double sum_q = 0, fx = 0, fy = 0;
  guint node = 0;

  while (node < tree->n_nodes)
    {
      const VtQuadNode *cell = &tree->nodes[node];
      float dx = xi - cell->center_x, dy = yi - cell->center_y;
      float d2 = dx * dx + dy * dy;

      if (cell->width_sq < theta2 * d2)
        {
          /* Far enough: the cell as one body at its centre of mass. */
          float q = 1 / (1 + d2);
          sum_q += cell->count * q;
          float m = cell->count * q * q;
          fx += m * dx;
          fy += m * dy;
          node = cell->skip;
          continue;
        }
      if (cell->skip != node + 1)
        {
          node++;   /* open the cell: its first child is next */
          continue;
        }
      /* A near leaf: its points one by one, i itself left out. */
      for (guint a = cell->begin; a < cell->begin + (guint) cell->count; a++)
        {
          float ex = xi - tree->ordered[2 * a], ey = yi - tree->ordered[2 * a + 1];
          float q = a == where ? 0 : 1 / (1 + ex * ex + ey * ey);

          sum_q += q;
          fx += q * q * ex;
          fy += q * q * ey;
        }
      node = cell->skip;
    }
  force[0] += fx;
  force[1] += fy;
  return sum_q;
}
