/* vt-quadtree.c: build and walk the Barnes-Hut tree. */
#include "vt-quadtree.h"
#include "core/vt-simd.h"

#include <math.h>
#include <string.h>

/* Coincident points would split forever; below this depth they share a leaf. */
#define MAX_DEPTH 48
/* Partial sums per point in the group loop: one AVX register of floats. */
#define LANES 8

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
      tree->ordered[2 * a] = layout[2 * tree->order[a]];
      tree->ordered[2 * a + 1] = layout[2 * tree->order[a] + 1];
    }
}

void
vt_quadtree_groups (const VtQuadtree *tree,
                    guint             max_points,
                    GArray           *groups)
{
  /* A leaf is a group whatever its size: coincident points pile up in one. */
  for (guint node = 0; node < tree->n_nodes;)
    if (tree->nodes[node].count <= max_points || tree->nodes[node].skip == node + 1)
      {
        g_array_append_val (groups, node);
        node = tree->nodes[node].skip;
      }
    else
      node++;
}

void
vt_interactions_clear (VtInteractions *list)
{
  g_free (list->x);
  g_free (list->y);
  g_free (list->w);
  *list = (VtInteractions) { 0 };
}

static inline void
push_body (VtInteractions *list, float x, float y, float w)
{
  if (list->length == list->capacity)
    {
      list->capacity = MAX (256, 2 * list->capacity);
      list->x = g_renew (float, list->x, list->capacity);
      list->y = g_renew (float, list->y, list->capacity);
      list->w = g_renew (float, list->w, list->capacity);
    }
  list->x[list->length] = x;
  list->y[list->length] = y;
  list->w[list->length++] = w;
}

/* The sums below are most of t-SNE's time: GCC also builds them for AVX2
 * and picks that copy at load time where the CPU has it. */
VT_AVX2_CLONES
void
vt_quadtree_group_repulsion (const VtQuadtree *tree,
                             guint             group,
                             double            theta_squared,
                             VtInteractions   *list,
                             double           *repulsion,
                             double           *sum_q)
{
  const VtQuadNode *g = &tree->nodes[group];
  guint first = g->begin, last = g->begin + (guint) g->count;
  float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY, theta2 = theta_squared;

  for (guint a = first; a < last; a++)
    {
      x0 = MIN (x0, tree->ordered[2 * a]), x1 = MAX (x1, tree->ordered[2 * a]);
      y0 = MIN (y0, tree->ordered[2 * a + 1]), y1 = MAX (y1, tree->ordered[2 * a + 1]);
    }

  list->length = 0;
  for (guint node = 0; node < tree->n_nodes;)
    {
      const VtQuadNode *cell = &tree->nodes[node];
      float dx = MAX (0, MAX (x0 - cell->center_x, cell->center_x - x1));
      float dy = MAX (0, MAX (y0 - cell->center_y, cell->center_y - y1));

      if (cell->width_sq < theta2 * (dx * dx + dy * dy))
        {
          push_body (list, cell->center_x, cell->center_y, cell->count);
          node = cell->skip;
        }
      else if (cell->skip != node + 1)
        node++;   /* open the cell: its first child is next */
      else
        {
          for (guint a = cell->begin; a < cell->begin + (guint) cell->count; a++)
            push_body (list, tree->ordered[2 * a], tree->ordered[2 * a + 1], 1);
          node = cell->skip;
        }
    }

  /* Eight running sums per quantity, one per lane: the loop vectorizes
   * without reordering any sum, so the result is the same on every run. */
  for (guint a = first; a < last; a++)
    {
      float xi = tree->ordered[2 * a], yi = tree->ordered[2 * a + 1];
      float sq[LANES] = { 0 }, fx[LANES] = { 0 }, fy[LANES] = { 0 };
      guint k = 0;

      for (; k + LANES <= list->length; k += LANES)
        for (guint l = 0; l < LANES; l++)
          {
            float ex = xi - list->x[k + l], ey = yi - list->y[k + l];
            float q = 1 / (1 + ex * ex + ey * ey);
            float w = list->w[k + l];

            sq[l] += w * q;
            fx[l] += w * q * q * ex;
            fy[l] += w * q * q * ey;
          }
      for (guint l = 0; k < list->length; k++, l++)
        {
          float ex = xi - list->x[k], ey = yi - list->y[k];
          float q = 1 / (1 + ex * ex + ey * ey);
          float w = list->w[k];

          sq[l] += w * q;
          fx[l] += w * q * q * ex;
          fy[l] += w * q * q * ey;
        }
      /* The list holds the point itself (its own leaf is always near): at
       * distance 0 it added q = 1 to the sum and nothing to the force. */
      double total = -1, force_x = 0, force_y = 0;
      for (guint l = 0; l < LANES; l++)
        total += sq[l], force_x += fx[l], force_y += fy[l];
      guint i = tree->order[a];
      repulsion[2 * i] = force_x;
      repulsion[2 * i + 1] = force_y;
      sum_q[i] = total;
    }
}
