/* vt-figure.h: what a figure shows, as data. The engine describes figures;
 * widgets/figures/ draws them with Cairo, on screen and into files. */
#pragma once

#include "core/vt-stats.h"

G_BEGIN_DECLS

typedef enum
{
  VT_FIGURE_HISTOGRAM,
  VT_FIGURE_HEATMAP,
  VT_FIGURE_LINES,
  VT_FIGURE_SCATTER,
  VT_FIGURE_OVERLAY,
  VT_FIGURE_OVERLAY_ROW,
} VtFigureKind;

typedef enum
{
  VT_FIGURE_FORMAT_PNG = 1 << 0,
  VT_FIGURE_FORMAT_SVG = 1 << 1,
  VT_FIGURE_FORMAT_PDF = 1 << 2,
} VtFigureFormats;

#define VT_FIGURE_FORMATS_ALL (VT_FIGURE_FORMAT_PNG | VT_FIGURE_FORMAT_SVG | VT_FIGURE_FORMAT_PDF)

/* How a scatter figure colours its categories: unordered categories get
 * distinct hues; ordered bins (confidence) get one dark-to-light scale, so
 * that "more" reads as "lighter", with a colour bar as the legend. */
typedef enum
{
  VT_FIGURE_PALETTE_CATEGORICAL,
  VT_FIGURE_PALETTE_SEQUENTIAL,
} VtFigurePalette;

/* How a heatmap or an overlay colours its values, 0 to the map's maximum. */
typedef enum
{
  VT_FIGURE_COLORMAP_VIRIDIS,   /* dark to light, perceptually even: the default */
  VT_FIGURE_COLORMAP_INFERNO,   /* dark to light, black through red to yellow */
  VT_FIGURE_COLORMAP_GREY,
  VT_FIGURE_COLORMAP_JET,       /* OpenCV's COLORMAP_JET, as vit-explain draws its maps */
} VtFigureColormap;

typedef struct
{
  VtFigureKind  kind;
  char         *title;
  char         *x_label;
  char         *y_label;
  VtHistogram  *histogram;     /* VT_FIGURE_HISTOGRAM */
  /* VT_FIGURE_HISTOGRAM: bar heights log10 (1 + count), so that the few
   * outlying values of a weight tensor show beside its bulk. */
  gboolean      log_y;

  /* VT_FIGURE_HEATMAP: values (rows, cols), row-major, with labels; NaN
   * cells are left empty.
   * VT_FIGURE_LINES: one series per row (row_labels name them), one point
   * per column (col_labels label the x axis); NaN is a point not there yet. */
  guint         rows;
  guint         cols;
  double       *values;
  char        **row_labels;
  char        **col_labels;
  /* VT_FIGURE_LINES: the bounds of the y axis (0 and 1 for accuracies).
   * The drawn range is a nice range around the visible series' values,
   * never beyond these bounds. */
  double        y_min;
  double        y_max;
  /* VT_FIGURE_LINES: one flag per series (rows); a hidden series is
   * neither drawn nor described, and its legend entry is dimmed. */
  gboolean     *hidden;
  /* VT_FIGURE_SCATTER: n_points (x, y) pairs, drawn to equal scale on both
   * axes, each coloured by its category (an index into category_names). */
  guint         n_points;
  float        *points;
  guint        *categories;
  guint         n_categories;
  char        **category_names;
  VtFigurePalette palette;
  /* VT_FIGURE_OVERLAY: an RGB image (3, rows, cols), values in [0, 1],
   * under the map in values (rows, cols), coloured by the dark-to-light
   * ramp from 0 to the map's maximum and laid over the image at
   * @opacity (NaN values leave the image uncovered); a colour bar beside
   * it shows that scale. */
  float        *image;
  double        opacity;
  /* VT_FIGURE_OVERLAY_ROW: n_maps maps (n_maps, rows, cols) in values, each
   * over the same image and captioned by col_labels[i], side by side on
   * one colour scale, from y_min to y_max, with one colour bar; x_label is
   * a note under the row. */
  guint         n_maps;
  /* VT_FIGURE_OVERLAY_ROW: each map's own scale (n_maps each), or NULL:
   * every map from y_min to y_max. The maps of one scale share a colour
   * bar, so that a family of maps (the CAMs in [0, 1], signed gradient
   * maps about 0) keeps its colours whatever is beside it. */
  double       *map_min;
  double       *map_max;
  /* VT_FIGURE_HEATMAP and VT_FIGURE_OVERLAY: the colours of the values. */
  VtFigureColormap colormap;
} VtFigure;

VtFigure   *vt_figure_new_histogram   (const char        *title,
                                       const VtHistogram *histogram);
/* Copies everything; @x_label names the columns, @y_label the rows. */
VtFigure   *vt_figure_new_heatmap     (const char        *title,
                                       const char        *x_label,
                                       const char        *y_label,
                                       guint              rows,
                                       guint              cols,
                                       const double      *values,
                                       const char * const *row_labels,
                                       const char * const *col_labels);
/* Copies everything. */
VtFigure   *vt_figure_new_lines       (const char        *title,
                                       const char        *x_label,
                                       const char        *y_label,
                                       guint              n_series,
                                       guint              n_points,
                                       const double      *values,
                                       const char * const *series_names,
                                       const char * const *point_labels,
                                       double             y_min,
                                       double             y_max);
/* Copies everything; @points holds n (x, y) pairs. */
VtFigure   *vt_figure_new_scatter     (const char        *title,
                                       const char        *x_label,
                                       const char        *y_label,
                                       guint              n,
                                       const float       *points,
                                       const guint       *categories,
                                       guint              n_categories,
                                       const char * const *category_names);
/* Copies everything; @image (3, rows, cols) and @map (rows, cols). */
VtFigure   *vt_figure_new_overlay     (const char        *title,
                                       guint              rows,
                                       guint              cols,
                                       const float       *image,
                                       const double      *map,
                                       double             opacity);
/* Copies everything; @image (3, rows, cols), @maps (n_maps, rows, cols),
 * one caption per map; every map coloured from @scale_min to @scale_max. */
VtFigure   *vt_figure_new_overlay_row (const char        *title,
                                       const char        *note,
                                       guint              n_maps,
                                       guint              rows,
                                       guint              cols,
                                       const float       *image,
                                       const double      *maps,
                                       const char * const *captions,
                                       double             scale_min,
                                       double             scale_max,
                                       double             opacity);
/* An overlay row's per-map scales (copied; n_maps each). */
void        vt_figure_set_map_scales  (VtFigure          *figure,
                                       const double      *map_min,
                                       const double      *map_max);
void        vt_figure_free            (VtFigure          *figure);

const char *vt_figure_format_extension (VtFigureFormats   format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFigure, vt_figure_free)

G_END_DECLS
