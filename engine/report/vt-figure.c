/* vt-figure.c: figure descriptions. */
#include "vt-figure.h"

VtFigure *
vt_figure_new_histogram (const char        *title,
                         const VtHistogram *histogram)
{
  VtFigure *figure = g_new0 (VtFigure, 1);

  figure->kind = VT_FIGURE_HISTOGRAM;
  figure->title = g_strdup (title);
  figure->x_label = g_strdup ("value");
  figure->y_label = g_strdup ("count");
  figure->histogram = vt_histogram_copy (histogram);
  return figure;
}

VtFigure *
vt_figure_new_heatmap (const char         *title,
                       const char         *x_label,
                       const char         *y_label,
                       guint               rows,
                       guint               cols,
                       const double       *values,
                       const char * const *row_labels,
                       const char * const *col_labels)
{
  VtFigure *figure = g_new0 (VtFigure, 1);

  figure->kind = VT_FIGURE_HEATMAP;
  figure->title = g_strdup (title);
  figure->x_label = g_strdup (x_label);
  figure->y_label = g_strdup (y_label);
  figure->rows = rows;
  figure->cols = cols;
  figure->values = g_memdup2 (values, sizeof (double) * rows * cols);
  figure->row_labels = g_strdupv ((char **) row_labels);
  figure->col_labels = g_strdupv ((char **) col_labels);
  return figure;
}

VtFigure *
vt_figure_new_lines (const char         *title,
                     const char         *x_label,
                     const char         *y_label,
                     guint               n_series,
                     guint               n_points,
                     const double       *values,
                     const char * const *series_names,
                     const char * const *point_labels,
                     double              y_min,
                     double              y_max)
{
  VtFigure *figure = vt_figure_new_heatmap (title, x_label, y_label, n_series, n_points, values,
                                            series_names, point_labels);

  figure->kind = VT_FIGURE_LINES;
  figure->y_min = y_min;
  figure->y_max = y_max;
  figure->hidden = g_new0 (gboolean, MAX (n_series, 1));
  return figure;
}

VtFigure *
vt_figure_new_scatter (const char         *title,
                       const char         *x_label,
                       const char         *y_label,
                       guint               n,
                       const float        *points,
                       const guint        *categories,
                       guint               n_categories,
                       const char * const *category_names)
{
  VtFigure *figure = g_new0 (VtFigure, 1);

  figure->kind = VT_FIGURE_SCATTER;
  figure->title = g_strdup (title);
  figure->x_label = g_strdup (x_label);
  figure->y_label = g_strdup (y_label);
  figure->n_points = n;
  figure->points = g_memdup2 (points, sizeof (float) * 2 * n);
  figure->categories = g_memdup2 (categories, sizeof (guint) * n);
  figure->n_categories = n_categories;
  figure->category_names = g_strdupv ((char **) category_names);
  return figure;
}

VtFigure *
vt_figure_new_overlay (const char   *title,
                       guint         rows,
                       guint         cols,
                       const float  *image,
                       const double *map,
                       double        opacity)
{
  VtFigure *figure = g_new0 (VtFigure, 1);

  figure->kind = VT_FIGURE_OVERLAY;
  figure->title = g_strdup (title);
  figure->rows = rows;
  figure->cols = cols;
  figure->image = g_memdup2 (image, sizeof (float) * 3 * rows * cols);
  figure->values = g_memdup2 (map, sizeof (double) * rows * cols);
  figure->opacity = CLAMP (opacity, 0.0, 1.0);
  return figure;
}

VtFigure *
vt_figure_new_overlay_row (const char         *title,
                           const char         *note,
                           guint               n_maps,
                           guint               rows,
                           guint               cols,
                           const float        *image,
                           const double       *maps,
                           const char * const *captions,
                           double              scale_min,
                           double              scale_max,
                           double              opacity)
{
  VtFigure *figure = g_new0 (VtFigure, 1);

  figure->kind = VT_FIGURE_OVERLAY_ROW;
  figure->title = g_strdup (title);
  figure->x_label = g_strdup (note);
  figure->rows = rows;
  figure->cols = cols;
  figure->image = g_memdup2 (image, sizeof (float) * 3 * rows * cols);
  figure->opacity = CLAMP (opacity, 0.0, 1.0);
  figure->n_maps = n_maps;
  figure->values = g_memdup2 (maps, sizeof (double) * n_maps * rows * cols);
  figure->col_labels = g_strdupv ((char **) captions);
  figure->y_min = scale_min;
  figure->y_max = scale_max;
  return figure;
}

void
vt_figure_set_map_scales (VtFigure     *figure,
                          const double *map_min,
                          const double *map_max)
{
  g_return_if_fail (figure->kind == VT_FIGURE_OVERLAY_ROW);
  g_free (figure->map_min);
  g_free (figure->map_max);
  figure->map_min = g_memdup2 (map_min, sizeof (double) * figure->n_maps);
  figure->map_max = g_memdup2 (map_max, sizeof (double) * figure->n_maps);
}

void
vt_figure_free (VtFigure *figure)
{
  if (figure == NULL)
    return;
  g_free (figure->map_min);
  g_free (figure->map_max);
  g_free (figure->image);
  g_free (figure->points);
  g_free (figure->categories);
  g_strfreev (figure->category_names);
  g_free (figure->values);
  g_free (figure->hidden);
  g_strfreev (figure->row_labels);
  g_strfreev (figure->col_labels);
  g_free (figure->title);
  g_free (figure->x_label);
  g_free (figure->y_label);
  g_clear_pointer (&figure->histogram, vt_histogram_free);
  g_free (figure);
}

const char *
vt_figure_format_extension (VtFigureFormats format)
{
  switch (format)
    {
    case VT_FIGURE_FORMAT_PNG: return "png";
    case VT_FIGURE_FORMAT_SVG: return "svg";
    case VT_FIGURE_FORMAT_PDF: return "pdf";
    default: g_return_val_if_reached (NULL);
    }
}
