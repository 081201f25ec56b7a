/* vt-figure-render.h: drawing figures with Cairo (and Pango for text).
 *
 * No GTK here: the widgets draw through this, and --batch exports through
 * it without a display, so a figure on screen and in a PDF are the same. */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "report/vt-figure.h"

G_BEGIN_DECLS

typedef struct
{
  double r, g, b, a;
} VtRgba;

typedef struct
{
  VtRgba       foreground;   /* text and axes */
  VtRgba       background;   /* alpha 0: leave the surface as it is */
  VtRgba       accent;       /* bars, lines */
  VtRgba       grid;
  const char  *font;         /* a Pango font description, "Sans 9" */
} VtFigureStyle;

/* Black on white, for files. */
void      vt_figure_style_init_print  (VtFigureStyle    *style);

void      vt_figure_draw              (cairo_t          *cr,
                                       const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       const VtFigureStyle *style);

/* Writes @base_path.png (at 2x, for sharp text), .svg and/or .pdf. */
gboolean  vt_figure_export            (const VtFigure   *figure,
                                       const char       *base_path,
                                       VtFigureFormats   formats,
                                       GError          **error);

/* Matches VtFigureWriter, for VtRunOptions.write_figure. */
gboolean  vt_figure_export_writer     (const VtFigure   *figure,
                                       const char       *base_path,
                                       VtFigureFormats   formats,
                                       gpointer          user_data,
                                       GError          **error);

/* Equally spaced "nice" tick values (multiples of 1, 2 or 5 × 10^k) covering
 * [lo, hi]; returns how many were written to @ticks (at most @max_ticks). */
guint     vt_figure_nice_ticks        (double            lo,
                                       double            hi,
                                       guint             target,
                                       double           *ticks,
                                       guint             max_ticks);

/* Where a line chart's plot lies in a width × height drawing, and the x of
 * its point @point: for hit-testing in a chart widget. */
void      vt_figure_lines_geometry    (const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       double           *left,
                                       double           *top,
                                       double           *plot_w,
                                       double           *plot_h);
double    vt_figure_lines_x           (const VtFigure   *figure,
                                       double            left,
                                       double            plot_w,
                                       guint             point);
/* The y range drawn: a nice range (steps of a twentieth of the bounds,
 * 0.05 for accuracies) around the visible series' values, within
 * [y_min, y_max]; the bounds themselves when nothing is visible yet. */
void      vt_figure_lines_y_range     (const VtFigure   *figure,
                                       double           *lo,
                                       double           *hi);
/* Where value @v is drawn, for the range vt_figure_lines_y_range gives. */
double    vt_figure_lines_y           (const VtFigure   *figure,
                                       double            top,
                                       double            plot_h,
                                       double            v);
/* The point (column) whose stage is under x, or -1 outside the plot. */
int       vt_figure_lines_point_at    (const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       double            x);
/* The series whose legend entry is under (x, y), or -1; and where entry
 * @series is drawn (its centre). */
int       vt_figure_lines_legend_at   (const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       double            x,
                                       double            y);
void      vt_figure_lines_legend_position (const VtFigure *figure,
                                       double            width,
                                       double            height,
                                       guint             series,
                                       double           *x,
                                       double           *y);
/* The colour of line series @i (Okabe and Ito's eight). Each series also
 * has its own dash pattern and marker, so coincident series all show. */
void      vt_figure_series_color      (guint             i,
                                       VtRgba           *out);

/* The colour of category @i of @n: Tableau's ten for up to ten categories,
 * evenly spread hues beyond. The scatter figure and the GL scatter view
 * both colour through this, so the screen and the files agree. */
void      vt_figure_category_color    (guint             i,
                                       guint             n,
                                       VtRgba           *out);
/* The colour of category @i of @n under @palette: the categorical colours
 * above, or for VT_FIGURE_PALETTE_SEQUENTIAL a viridis scale from dark
 * (i = 0, low) to light (i = n − 1, high), monotonic in lightness. */
void      vt_figure_palette_color     (VtFigurePalette   palette,
                                       guint             i,
                                       guint             n,
                                       VtRgba           *out);
/* Where a scatter figure's plot lies, and the scale and offset that map
 * data coordinates into it (x_screen = left + (x − x0) · scale, and y up). */
void      vt_figure_scatter_geometry  (const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       double           *left,
                                       double           *top,
                                       double           *plot_w,
                                       double           *plot_h);
/* The centre of category @c's legend entry: its dot, or under a
 * sequential palette its cell of the colour bar. */
void      vt_figure_scatter_legend_position (const VtFigure *figure,
                                       double            width,
                                       double            height,
                                       guint             c,
                                       double           *x,
                                       double           *y);

/* The dark-to-light ramp (viridis) every map and heatmap is coloured by,
 * @t in [0, 1]: widgets that draw maps of their own colour through it, so
 * the screen and the files agree. */
void      vt_figure_ramp_color        (double            t,
                                       VtRgba           *out);
/* The colour of @t in [0, 1] under @colormap (viridis is the ramp above). */
void      vt_figure_colormap_color    (VtFigureColormap  colormap,
                                       double            t,
                                       VtRgba           *out);
/* Where an overlay figure draws its image in a width × height drawing
 * (x0, y0, draw_w, draw_h), for hit-testing a pixel of it; FALSE when the
 * drawing is too small to hold it. */
gboolean  vt_figure_overlay_geometry  (const VtFigure   *figure,
                                       double            width,
                                       double            height,
                                       double           *x0,
                                       double           *y0,
                                       double           *draw_w,
                                       double           *draw_h);

G_END_DECLS
