/* vitrine-attention-grid.h: a layer × head grid of small maps (one row per
 * layer, one column per head), one of them selected.
 *
 * Every cell is coloured by a colormap of widgets/figures/ on one scale, 0
 * to the largest value of all cells, as the `attention` step's grid figure
 * is, so the grid on screen and vitrine_attention_grid_to_figure's export
 * agree. A click selects a cell; the arrow keys move the selection (Up and
 * Down through layers, Left and Right through heads). */
#pragma once

#include <gtk/gtk.h>

#include "report/vt-figure.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_ATTENTION_GRID (vitrine_attention_grid_get_type ())
G_DECLARE_FINAL_TYPE (VitrineAttentionGrid, vitrine_attention_grid, VITRINE, ATTENTION_GRID, GtkWidget)

GtkWidget *vitrine_attention_grid_new          (void);
/* Copies @maps (layers, heads, gh, gw); NULL clears the grid. The
 * selection is kept where it still exists, else goes to (0, 0). */
void       vitrine_attention_grid_set_maps     (VitrineAttentionGrid *self,
                                                int                   layers,
                                                int                   heads,
                                                int                   gh,
                                                int                   gw,
                                                const float          *maps);
/* The colours of the cells (viridis until set). */
void       vitrine_attention_grid_set_colormap (VitrineAttentionGrid *self,
                                                VtFigureColormap      colormap);
int        vitrine_attention_grid_get_layer    (VitrineAttentionGrid *self);
int        vitrine_attention_grid_get_head     (VitrineAttentionGrid *self);
/* Selects a cell, clamped to the grid; notifies "layer" and "head", then
 * emits "selected" once. */
void       vitrine_attention_grid_select       (VitrineAttentionGrid *self,
                                                int                   layer,
                                                int                   head);
/* The cell under (x, y) in widget coordinates; FALSE between and outside
 * the cells. */
gboolean   vitrine_attention_grid_cell_at      (VitrineAttentionGrid *self,
                                                double                x,
                                                double                y,
                                                int                  *layer,
                                                int                  *head);
/* Where cell (layer, head) is drawn; FALSE when it is not in the grid. */
gboolean   vitrine_attention_grid_cell_bounds  (VitrineAttentionGrid *self,
                                                int                   layer,
                                                int                   head,
                                                graphene_rect_t      *bounds);
/* The grid as a heatmap figure: one tile per layer and head, a blank row
 * and column between tiles, labelled "layer N" and "head N", as the
 * `attention` step draws its grid; NULL when the grid is empty. */
VtFigure  *vitrine_attention_grid_to_figure    (VitrineAttentionGrid *self,
                                                const char           *title);

G_END_DECLS
