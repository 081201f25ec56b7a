/* vitrine-scatter-view.h: many points in 2-D, drawn by OpenGL.
 *
 * All points go to the GPU as one vertex buffer and are drawn by one
 * glDrawArrays (GL 3.3 core), coloured through a palette texture by their
 * category. Drag pans, the wheel and a pinch zoom about the pointer, a
 * touchpad's two-finger scroll pans (and zooms with Ctrl),
 * Shift+drag draws a lasso that selects the points inside it, Escape
 * clears the selection, a click on a point emits "point-activated".
 * Hovering finds the nearest point. Without GL the
 * same view is drawn with Cairo. */
#pragma once

#include <gtk/gtk.h>

#include "figures/vt-figure-render.h"

G_BEGIN_DECLS

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
/* New positions for the same points (an optimizer's next layout). The view
 * follows them until the user pans or zooms. */
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
