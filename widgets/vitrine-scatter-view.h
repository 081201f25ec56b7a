/* vitrine-scatter-view.h: many points in 2-D or 3-D, drawn by OpenGL.
 *
 * All points go to the GPU as one vertex buffer and are drawn by one
 * glDrawArrays (GL 3.3 core), coloured through a palette texture by their
 * category. Drag pans, the wheel and a pinch zoom about the pointer, a
 * touchpad's two-finger scroll pans (and zooms with Ctrl),
 * Shift+drag draws a lasso that selects the points inside it, Escape
 * clears the selection, a click on a point emits "point-activated".
 * Hovering finds the nearest point. Without GL the
 * same view is drawn with Cairo.
 *
 * 3-D points (a 3-component PCA) are drawn under a rotation about the
 * centre of their bounding box, orthographically: a drag turns them
 * (Ctrl+drag pans, Home goes back to the front view and fits), nearer
 * points hide farther ones (the GL depth test; the fallback draws far to
 * near) and fade less towards the background. Picking, hovering, the lasso
 * and everything else work on the drawn positions, in screen space. */
#pragma once

#include <gtk/gtk.h>

#include "figures/vt-figure-render.h"

G_BEGIN_DECLS

/* How far a drag of one pixel turns 3-D points. */
#define VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL 0.01

#define VITRINE_TYPE_SCATTER_VIEW (vitrine_scatter_view_get_type ())
G_DECLARE_FINAL_TYPE (VitrineScatterView, vitrine_scatter_view, VITRINE, SCATTER_VIEW, GtkWidget)

GtkWidget    *vitrine_scatter_view_new              (void);

/* Copies @n (x, y) pairs and their categories (< @n_categories); the view
 * fits them. */
void          vitrine_scatter_view_set_points       (VitrineScatterView *self,
                                                     const float        *xy,
                                                     guint               n,
                                                     const guint        *categories,
                                                     guint               n_categories);
/* @n (x, y, z) triples, drawn from the front (x across, y up) until
 * turned; the view fits the sphere that holds them in any rotation. */
void          vitrine_scatter_view_set_points_3d    (VitrineScatterView *self,
                                                     const float        *xyz,
                                                     guint               n,
                                                     const guint        *categories,
                                                     guint               n_categories);
/* 2, or 3 after set_points_3d. */
guint         vitrine_scatter_view_get_dims         (VitrineScatterView *self);
/* The points as drawn, (n, 2) in data units (in 3-D: x and y after the
 * rotation), and their depths (n, towards the viewer; 0 in 2-D). */
const float  *vitrine_scatter_view_get_positions    (VitrineScatterView *self);
const float  *vitrine_scatter_view_get_depths       (VitrineScatterView *self);
/* The points' indices in the order they are drawn (newly allocated): by
 * index in 2-D, far to near in 3-D. An export draws in this order. */
guint        *vitrine_scatter_view_get_draw_order   (VitrineScatterView *self);
/* Turns 3-D points as a drag of (@dx, @dy) pixels does: by
 * dx · ORBIT_RADIANS_PER_PIXEL about the screen's vertical axis, then
 * dy · ORBIT_RADIANS_PER_PIXEL about its horizontal one (R ← Rx · Ry · R).
 * Keeps the zoom. Nothing in 2-D. */
void          vitrine_scatter_view_orbit            (VitrineScatterView *self,
                                                     double              dx,
                                                     double              dy);
void          vitrine_scatter_view_reset_rotation   (VitrineScatterView *self);
/* R, row-major: a point p is drawn at origin + R (p − origin), its first
 * two rows giving x and y, the third its depth. */
void          vitrine_scatter_view_get_rotation     (VitrineScatterView *self,
                                                     double              rotation[9]);
/* The rotation's centre: the middle of the 3-D points' bounding box. */
void          vitrine_scatter_view_get_origin       (VitrineScatterView *self,
                                                     double              origin[3]);
/* New positions for the same points (an optimizer's next layout; (n, 3)
 * for 3-D points). The view follows them until the user pans or zooms. */
void          vitrine_scatter_view_update_positions (VitrineScatterView *self,
                                                     const float        *xy);
void          vitrine_scatter_view_set_categories   (VitrineScatterView *self,
                                                     const guint        *categories,
                                                     guint               n_categories);
/* Hides or shows every point of @category (the Projector's "isolate"):
 * a hidden point is not drawn, picked, hovered or selected. New
 * categories (set_categories) show them all again. */
void          vitrine_scatter_view_set_category_hidden (VitrineScatterView *self,
                                                     guint               category,
                                                     gboolean            hidden);
/* Hides the categories where @hidden holds TRUE and shows the others, in
 * one pass over the points (isolating a class). @n_categories must be
 * get_n_categories'. */
void          vitrine_scatter_view_set_hidden_categories (VitrineScatterView *self,
                                                     const gboolean     *hidden,
                                                     guint               n_categories);
gboolean      vitrine_scatter_view_is_category_hidden (VitrineScatterView *self,
                                                     guint               category);
guint         vitrine_scatter_view_get_n_categories (VitrineScatterView *self);
/* Categorical colours (the default) or a sequential scale for ordered
 * bins; the palette texture and the Cairo fallback both follow it. */
void          vitrine_scatter_view_set_palette      (VitrineScatterView *self,
                                                     VtFigurePalette     palette);
VtFigurePalette vitrine_scatter_view_get_palette    (VitrineScatterView *self);
/* The colour category @category is drawn in. */
void          vitrine_scatter_view_get_category_color (VitrineScatterView *self,
                                                     guint               category,
                                                     VtRgba             *out);
guint         vitrine_scatter_view_get_n_points     (VitrineScatterView *self);
void          vitrine_scatter_view_set_point_size   (VitrineScatterView *self,
                                                     double              pixels);
void          vitrine_scatter_view_set_opacity      (VitrineScatterView *self,
                                                     double              opacity);
/* Shows all points again. */
void          vitrine_scatter_view_fit              (VitrineScatterView *self);
/* Zooms by @factor about the widget's point (x, y). */
void          vitrine_scatter_view_zoom             (VitrineScatterView *self,
                                                     double              factor,
                                                     double              x,
                                                     double              y);
void          vitrine_scatter_view_pan              (VitrineScatterView *self,
                                                     double              dx,
                                                     double              dy);

/* The point under widget coordinates (x, y), within a few pixels, or -1. */
int           vitrine_scatter_view_pick             (VitrineScatterView *self,
                                                     double              x,
                                                     double              y);
/* Where point @i is drawn, in widget coordinates. */
void          vitrine_scatter_view_point_position   (VitrineScatterView *self,
                                                     guint               i,
                                                     double             *x,
                                                     double             *y);
/* Selects the points inside the polygon of @n_vertices (x, y) widget
 * coordinates; emits "selection-changed". */
void          vitrine_scatter_view_select_polygon   (VitrineScatterView *self,
                                                     const double       *vertices,
                                                     guint               n_vertices);
/* Selects exactly @points (indices; others are ignored); emits
 * "selection-changed". */
void          vitrine_scatter_view_select_points    (VitrineScatterView *self,
                                                     const guint        *points,
                                                     guint               n);
void          vitrine_scatter_view_clear_selection  (VitrineScatterView *self);
/* The selected points' indices, ascending. */
GArray       *vitrine_scatter_view_get_selection    (VitrineScatterView *self);
/* The visible data rectangle. */
void          vitrine_scatter_view_get_visible      (VitrineScatterView *self,
                                                     double             *x_min,
                                                     double             *y_min,
                                                     double             *x_max,
                                                     double             *y_max);

/* Whether the points are drawn by GL (FALSE: the Cairo fallback). */
gboolean      vitrine_scatter_view_is_gl            (VitrineScatterView *self);
/* With @measure, each frame waits for the GPU (glFinish) so that
 * get_frame_ms tells how long drawing the points took. For benchmarks. */
void          vitrine_scatter_view_set_measure      (VitrineScatterView *self,
                                                     gboolean            measure);
double        vitrine_scatter_view_get_frame_ms     (VitrineScatterView *self);
guint         vitrine_scatter_view_get_n_frames     (VitrineScatterView *self);

G_END_DECLS
