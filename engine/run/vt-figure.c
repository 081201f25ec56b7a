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

void
vt_figure_free (VtFigure *figure)
{
  if (figure == NULL)
    return;
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
