/* vitrine-figure-view.h: a chart widget that shows any VtFigure, drawn by
 * widgets/figures/, so what the user sees is what an export writes.
 *
 * Line charts answer hovering with a tooltip naming the stage under the
 * pointer and every shown series' value there; a click on a legend entry
 * hides or shows that series (VtFigure.hidden, so an export of the figure
 * leaves it out too). A live chart changes its figure's values in place
 * and calls vitrine_figure_view_changed. */
#pragma once

#include <gtk/gtk.h>

#include "report/vt-figure.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_FIGURE_VIEW (vitrine_figure_view_get_type ())
G_DECLARE_FINAL_TYPE (VitrineFigureView, vitrine_figure_view, VITRINE, FIGURE_VIEW, GtkWidget)

GtkWidget      *vitrine_figure_view_new         (void);
/* Takes @figure; NULL clears the view. Its title is the accessible name. */
void            vitrine_figure_view_set_figure  (VitrineFigureView *self,
                                                 VtFigure          *figure);
/* What is drawn, or NULL. */
VtFigure       *vitrine_figure_view_get_figure  (VitrineFigureView *self);
/* Redraws after the figure's values changed. */
void            vitrine_figure_view_changed     (VitrineFigureView *self);
/* The tooltip text for the stage under (x, y), or NULL: what hovering
 * shows. */
char           *vitrine_figure_view_describe_point (VitrineFigureView *self,
                                                    double             x,
                                                    double             y);
/* Hides a shown line series or shows a hidden one, as a click on its
 * legend entry does; FALSE when there is no such series. */
gboolean        vitrine_figure_view_toggle_series (VitrineFigureView *self,
                                                   guint              series);

G_END_DECLS
