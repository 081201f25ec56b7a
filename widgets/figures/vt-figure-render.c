/* vt-figure-render.c: Cairo drawing of every figure kind. */
#include "vt-figure-render.h"
#include "core/vt-atomic-file.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <cairo-svg.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <unistd.h>

/* Figure size in files: points for SVG/PDF, and pixels at 1x for PNG. */
#define EXPORT_WIDTH  640.0
#define EXPORT_HEIGHT 400.0
#define PNG_SCALE     2.0

void
vt_figure_style_init_print (VtFigureStyle *style)
{
  *style = (VtFigureStyle) {
    .foreground = { 0.13, 0.13, 0.13, 1.0 },
    .background = { 1.0, 1.0, 1.0, 1.0 },
    .accent = { 0.21, 0.52, 0.89, 1.0 },     /* GNOME blue 3 */
    .grid = { 0.0, 0.0, 0.0, 0.10 },
    .font = "Sans 9",
  };
}

static void
set_color (cairo_t      *cr,
           const VtRgba *c)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a);
}

guint
vt_figure_nice_ticks (double  lo,
                      double  hi,
                      guint   target,
                      double *ticks,
                      guint   max_ticks)
{
  double range = hi - lo, raw, magnitude, step, first;
  guint n = 0;

  if (!(range > 0) || !isfinite (range) || target == 0)
    return 0;
  raw = range / target;
  magnitude = pow (10.0, floor (log10 (raw)));
  step = raw / magnitude < 1.5 ? magnitude
       : raw / magnitude < 3.5 ? 2 * magnitude
       : raw / magnitude < 7.5 ? 5 * magnitude
       : 10 * magnitude;
  first = ceil (lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9 && n < max_ticks; v = first + n * step)
    ticks[n++] = fabs (v) < step * 1e-9 ? 0.0 : v;
  return n;
}

typedef enum { ALIGN_START, ALIGN_CENTER, ALIGN_END } Align;

/* Text at (x, y): horizontally aligned by @halign, vertically by @valign. */
static void
draw_text (cairo_t             *cr,
           const VtFigureStyle *style,
           const char          *text,
           double               x,
           double               y,
           Align                halign,
           Align                valign,
           gboolean             bold)
{
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (style->font);
  PangoLayout *layout = pango_cairo_create_layout (cr);
  int w, h;

  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  /* The lines of a centred text centred on each other too. */
  if (halign == ALIGN_CENTER)
    pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_get_pixel_size (layout, &w, &h);
  set_color (cr, &style->foreground);
  cairo_move_to (cr, x - (halign == ALIGN_CENTER ? w / 2.0 : halign == ALIGN_END ? w : 0),
                 y - (valign == ALIGN_CENTER ? h / 2.0 : valign == ALIGN_END ? h : 0));
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static char *
format_tick (double value,
             double step)
{
  /* Enough decimals to tell neighbouring ticks apart, and no more. */
  int decimals = step > 0 && step < 1 ? (int) ceil (-log10 (step) - 1e-9) : 0;

  if (fabs (value) >= 1e5 || (value != 0 && fabs (value) < 1e-4))
    return g_strdup_printf ("%.2g", value);
  return g_strdup_printf ("%.*f", CLAMP (decimals, 0, 6), value);
}

/* The title above the plot, the x label below it, the y label rotated at
 * the left: what every figure kind puts around its plot. */
static void
draw_labels (cairo_t             *cr,
             const VtFigure      *figure,
             const VtFigureStyle *style,
             double               left,
             double               top,
             double               plot_w,
             double               plot_h,
             double               height)
{
  if (figure->title)
    draw_text (cr, style, figure->title, left + plot_w / 2, 6, ALIGN_CENTER, ALIGN_START, TRUE);
  if (figure->x_label)
    draw_text (cr, style, figure->x_label, left + plot_w / 2, height - 2, ALIGN_CENTER, ALIGN_END, FALSE);
  if (figure->y_label)
    {
      cairo_save (cr);
      cairo_translate (cr, 4, top + plot_h / 2);
      cairo_rotate (cr, -G_PI / 2);
      draw_text (cr, style, figure->y_label, 0, 0, ALIGN_CENTER, ALIGN_START, FALSE);
      cairo_restore (cr);
    }
}

/* Horizontal grid lines at nice ticks of [lo, hi], labelled at the left. */
static void
draw_y_grid (cairo_t             *cr,
             const VtFigureStyle *style,
             double               left,
             double               top,
             double               plot_w,
             double               plot_h,
             double               lo,
             double               hi)
{
  double ticks[16];
  guint n = vt_figure_nice_ticks (lo, hi, 5, ticks, G_N_ELEMENTS (ticks));

  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i < n; i++)
    {
      double y = top + plot_h - (ticks[i] - lo) / (hi - lo) * plot_h;
      g_autofree char *label = format_tick (ticks[i], n > 1 ? ticks[1] - ticks[0] : 1);

      set_color (cr, &style->grid);
      cairo_move_to (cr, left, round (y) + 0.5);
      cairo_line_to (cr, left + plot_w, round (y) + 0.5);
      cairo_stroke (cr);
      draw_text (cr, style, label, left - 6, y, ALIGN_END, ALIGN_CENTER, FALSE);
    }
}

/* A histogram bar's height in the units of its y axis. */
static double
bar_height (const VtFigure *figure,
            guint64         count)
{
  return figure->log_y ? log10 (1.0 + (double) count) : (double) count;
}

/* The grid of a log-scale histogram: lines at counts 1, 10, 100, … up to
 * @max_count, labelled with the counts. */
static void
draw_log_y_grid (cairo_t             *cr,
                 const VtFigureStyle *style,
                 double               left,
                 double               top,
                 double               plot_w,
                 double               plot_h,
                 guint64              max_count,
                 double               y_max)
{
  cairo_set_line_width (cr, 1.0);
  for (double count = 1; count <= MAX ((double) max_count, 1.0); count *= 10)
    {
      double y = top + plot_h - log10 (1.0 + count) / y_max * plot_h;
      g_autofree char *label = g_strdup_printf ("%.0f", count);

      set_color (cr, &style->grid);
      cairo_move_to (cr, left, round (y) + 0.5);
      cairo_line_to (cr, left + plot_w, round (y) + 0.5);
      cairo_stroke (cr);
      draw_text (cr, style, label, left - 6, y, ALIGN_END, ALIGN_CENTER, FALSE);
    }
}

static void
draw_histogram (cairo_t             *cr,
                const VtFigure      *figure,
                double               width,
                double               height,
                const VtFigureStyle *style)
{
  const VtHistogram *h = figure->histogram;
  double left = 56, right = 16, top = figure->title ? 30 : 12, bottom = 40;
  double plot_w = width - left - right, plot_h = height - top - bottom;
  guint64 max_count = vt_histogram_max_count (h);
  double y_max = max_count > 0 ? bar_height (figure, max_count) * 1.05 : 1.0;
  double xt[16];
  guint nx;

  if (plot_w < 20 || plot_h < 20)
    return;
  if (figure->log_y)
    draw_log_y_grid (cr, style, left, top, plot_w, plot_h, max_count, y_max);
  else
    draw_y_grid (cr, style, left, top, plot_w, plot_h, 0, y_max);

  /* Bars. */
  set_color (cr, &style->accent);
  for (guint i = 0; i < h->n_bins; i++)
    {
      double x0 = left + plot_w * i / h->n_bins;
      double x1 = left + plot_w * (i + 1) / h->n_bins;
      double bar = bar_height (figure, h->counts[i]) / y_max * plot_h;

      if (h->counts[i] == 0)
        continue;
      cairo_rectangle (cr, x0, top + plot_h - bar, MAX (x1 - x0 - (h->n_bins <= 128 ? 1.0 : 0.0), 0.5), bar);
    }
  cairo_fill (cr);

  /* Axes and x ticks. */
  set_color (cr, &style->foreground);
  cairo_move_to (cr, left, top + plot_h + 0.5);
  cairo_line_to (cr, left + plot_w, top + plot_h + 0.5);
  cairo_stroke (cr);
  nx = vt_figure_nice_ticks (h->lo, h->hi, 6, xt, G_N_ELEMENTS (xt));
  for (guint i = 0; i < nx; i++)
    {
      double x = left + (xt[i] - h->lo) / (h->hi - h->lo) * plot_w;
      g_autofree char *label = format_tick (xt[i], nx > 1 ? xt[1] - xt[0] : 1);

      cairo_move_to (cr, round (x) + 0.5, top + plot_h);
      cairo_line_to (cr, round (x) + 0.5, top + plot_h + 4);
      cairo_stroke (cr);
      draw_text (cr, style, label, x, top + plot_h + 6, ALIGN_CENTER, ALIGN_START, FALSE);
    }
  draw_labels (cr, figure, style, left, top, plot_w, plot_h, height);
}

/* A perceptually even dark-to-light ramp (viridis, five stops). */
void
vt_figure_ramp_color (double  t,
                      VtRgba *out)
{
  static const double stops[5][3] = {
    { 0.267, 0.005, 0.329 }, { 0.231, 0.322, 0.545 }, { 0.129, 0.569, 0.549 },
    { 0.365, 0.788, 0.384 }, { 0.993, 0.906, 0.144 },
  };
  double x = CLAMP (t, 0.0, 1.0) * 4.0;
  int i = MIN ((int) x, 3);
  double f = x - i;

  out->r = stops[i][0] + (stops[i + 1][0] - stops[i][0]) * f;
  out->g = stops[i][1] + (stops[i + 1][1] - stops[i][1]) * f;
  out->b = stops[i][2] + (stops[i + 1][2] - stops[i][2]) * f;
  out->a = 1.0;
}

/* Inferno, five stops, as viridis above. */
static void
inferno_color (double  t,
               VtRgba *out)
{
  static const double stops[5][3] = {
    { 0.001, 0.000, 0.014 }, { 0.341, 0.062, 0.429 }, { 0.735, 0.216, 0.330 },
    { 0.988, 0.645, 0.040 }, { 0.988, 1.000, 0.645 },
  };
  double x = CLAMP (t, 0.0, 1.0) * 4.0;
  int i = MIN ((int) x, 3);
  double f = x - i;

  out->r = stops[i][0] + (stops[i + 1][0] - stops[i][0]) * f;
  out->g = stops[i][1] + (stops[i + 1][1] - stops[i][1]) * f;
  out->b = stops[i][2] + (stops[i + 1][2] - stops[i][2]) * f;
  out->a = 1.0;
}

void
vt_figure_colormap_color (VtFigureColormap  colormap,
                          double            t,
                          VtRgba           *out)
{
  t = CLAMP (t, 0.0, 1.0);
  switch (colormap)
    {
    case VT_FIGURE_COLORMAP_INFERNO:
      inferno_color (t, out);
      break;
    case VT_FIGURE_COLORMAP_GREY:
      *out = (VtRgba) { t, t, t, 1.0 };
      break;
    case VT_FIGURE_COLORMAP_JET:
      /* OpenCV's piecewise-linear jet: dark blue, blue, cyan, yellow, red, dark red. */
      out->r = CLAMP (1.5 - fabs (4 * t - 3), 0.0, 1.0);
      out->g = CLAMP (1.5 - fabs (4 * t - 2), 0.0, 1.0);
      out->b = CLAMP (1.5 - fabs (4 * t - 1), 0.0, 1.0);
      out->a = 1.0;
      break;
    case VT_FIGURE_COLORMAP_VIRIDIS:
    default:
      vt_figure_ramp_color (t, out);
    }
}

static void
draw_heatmap (cairo_t             *cr,
              const VtFigure      *figure,
              double               width,
              double               height,
              const VtFigureStyle *style)
{
  double left = 96, right = 16, top = figure->title ? 30 : 12, bottom = 88;
  double plot_w = width - left - right, plot_h = height - top - bottom;
  double cell_w, cell_h, max_value = 0.0;

  if (figure->rows == 0 || figure->cols == 0 || plot_w < 20 || plot_h < 20)
    return;
  cell_w = plot_w / figure->cols;
  cell_h = plot_h / figure->rows;
  for (guint i = 0; i < figure->rows * figure->cols; i++)
    if (!isnan (figure->values[i]))
      max_value = MAX (max_value, figure->values[i]);

  for (guint r = 0; r < figure->rows; r++)
    for (guint c = 0; c < figure->cols; c++)
      {
        double v = figure->values[r * figure->cols + c];
        VtRgba color;

        if (isnan (v))
          continue;
        vt_figure_colormap_color (figure->colormap, max_value > 0 ? v / max_value : 0.0, &color);
        set_color (cr, &color);
        cairo_rectangle (cr, left + c * cell_w, top + r * cell_h, cell_w, cell_h);
        cairo_fill (cr);
        /* Counts inside cells that can hold them, dark on light cells. */
        if (cell_w >= 22 && cell_h >= 14)
          {
            /* Counts as integers, fractions (accuracies) to two places. */
            g_autofree char *text = v == floor (v) ? g_strdup_printf ("%.0f", v) : g_strdup_printf ("%.2f", v);
            VtFigureStyle on_cell = *style;
            double t = max_value > 0 ? v / max_value : 0.0;

            on_cell.foreground = t > 0.6 ? (VtRgba) { 0.1, 0.1, 0.1, 1 } : (VtRgba) { 1, 1, 1, 1 };
            draw_text (cr, &on_cell, text, left + (c + 0.5) * cell_w, top + (r + 0.5) * cell_h,
                       ALIGN_CENTER, ALIGN_CENTER, FALSE);
          }
      }

  for (guint r = 0; figure->row_labels && r < figure->rows && figure->row_labels[r]; r++)
    draw_text (cr, style, figure->row_labels[r], left - 6, top + (r + 0.5) * cell_h, ALIGN_END, ALIGN_CENTER, FALSE);
  for (guint c = 0; figure->col_labels && c < figure->cols && figure->col_labels[c]; c++)
    {
      cairo_save (cr);
      cairo_translate (cr, left + (c + 0.5) * cell_w, top + plot_h + 6);
      cairo_rotate (cr, -G_PI / 4);
      draw_text (cr, style, figure->col_labels[c], 0, 0, ALIGN_END, ALIGN_CENTER, FALSE);
      cairo_restore (cr);
    }
  draw_labels (cr, figure, style, left, top, plot_w, plot_h, height);
}

/* A colour-blind-safe palette (Okabe and Ito), one colour per series. */
void
vt_figure_series_color (guint   i,
                        VtRgba *out)
{
  static const double palette[8][3] = {
    { 0.000, 0.447, 0.698 }, { 0.902, 0.624, 0.000 }, { 0.000, 0.620, 0.451 }, { 0.835, 0.369, 0.000 },
    { 0.800, 0.475, 0.655 }, { 0.337, 0.706, 0.914 }, { 0.941, 0.894, 0.259 }, { 0.000, 0.000, 0.000 },
  };

  *out = (VtRgba) { palette[i % 8][0], palette[i % 8][1], palette[i % 8][2], 1.0 };
}

/* Two methods can score the same at every stage (NMC and SimpleCIL do):
 * colour alone would let the later line cover the earlier. Each series
 * has its own dash pattern and a marker shape that shrinks with the
 * series, drawn in order, so the earlier one shows in the later one's
 * gaps and around its markers. */
#define N_SERIES_STYLES 4

static void
set_series_dash (cairo_t *cr,
                 guint    s)
{
  static const double dashed[] = { 9, 5 }, dotted[] = { 2, 4 }, dash_dot[] = { 9, 4, 2, 4 };
  static const double *patterns[N_SERIES_STYLES] = { NULL, dashed, dotted, dash_dot };
  static const int lengths[N_SERIES_STYLES] = { 0, 2, 2, 4 };

  cairo_set_dash (cr, patterns[s % N_SERIES_STYLES], lengths[s % N_SERIES_STYLES], 0);
  /* Later series are thinner, so an earlier one shows beside them too. */
  cairo_set_line_width (cr, s % N_SERIES_STYLES == 0 ? 3.0 : 2.0);
}

/* Circle, square, triangle, diamond: each one fits inside the one before. */
static void
series_marker (cairo_t *cr,
               guint    s,
               double   x,
               double   y)
{
  double r = 5.0 - 0.8 * (s % N_SERIES_STYLES);

  cairo_new_sub_path (cr);
  switch (s % N_SERIES_STYLES)
    {
    case 0:
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      break;
    case 1:
      cairo_rectangle (cr, x - r * 0.75, y - r * 0.75, r * 1.5, r * 1.5);
      break;
    case 2:
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r * 0.87, y + r * 0.5);
      cairo_line_to (cr, x - r * 0.87, y + r * 0.5);
      cairo_close_path (cr);
      break;
    default:
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r * 0.7, y);
      cairo_line_to (cr, x, y + r);
      cairo_line_to (cr, x - r * 0.7, y);
      cairo_close_path (cr);
      break;
    }
}

void
vt_figure_lines_geometry (const VtFigure *figure,
                          double          width,
                          double          height,
                          double         *left,
                          double         *top,
                          double         *plot_w,
                          double         *plot_h)
{
  *left = 56;
  *top = figure->title ? 30 : 12;
  *plot_w = width - *left - 128;   /* the legend at the right */
  *plot_h = height - *top - 44;
}

double
vt_figure_lines_x (const VtFigure *figure,
                   double          left,
                   double          plot_w,
                   guint           point)
{
  return figure->cols > 1 ? left + plot_w * point / (figure->cols - 1) : left + plot_w / 2;
}

void
vt_figure_lines_y_range (const VtFigure *figure,
                         double         *lo,
                         double         *hi)
{
  double bounds = figure->y_max - figure->y_min, step = bounds / 20;
  double v_min = INFINITY, v_max = -INFINITY;

  *lo = figure->y_min;
  *hi = figure->y_max;
  if (!(bounds > 0) || !isfinite (bounds))
    return;
  for (guint s = 0; s < figure->rows; s++)
    for (guint p = 0; p < figure->cols; p++)
      {
        double v = figure->values[(gsize) s * figure->cols + p];

        if ((figure->hidden && figure->hidden[s]) || !isfinite (v))
          continue;
        v_min = MIN (v_min, v);
        v_max = MAX (v_max, v);
      }
  if (v_min > v_max)
    return;
  /* A quarter step of room, so no marker sits on the frame; 1e-9 keeps
   * 0.80 / 0.05 from landing a step lower through rounding. */
  *lo = MAX (figure->y_min, floor ((v_min - step / 4 - figure->y_min) / step + 1e-9) * step + figure->y_min);
  *hi = MIN (figure->y_max, ceil ((v_max + step / 4 - figure->y_min) / step - 1e-9) * step + figure->y_min);
  if (!(*hi > *lo))
    {
      *lo = MAX (figure->y_min, *lo - step);
      *hi = MIN (figure->y_max, *hi + step);
    }
}

double
vt_figure_lines_y (const VtFigure *figure,
                   double          top,
                   double          plot_h,
                   double          v)
{
  double lo, hi;

  vt_figure_lines_y_range (figure, &lo, &hi);
  return top + plot_h - (CLAMP (v, lo, hi) - lo) / (hi - lo) * plot_h;
}

int
vt_figure_lines_point_at (const VtFigure *figure,
                          double          width,
                          double          height,
                          double          x)
{
  double left, top, plot_w, plot_h, spacing;
  int p;

  vt_figure_lines_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);
  if (figure->cols == 0 || plot_w <= 0)
    return -1;
  spacing = figure->cols > 1 ? plot_w / (figure->cols - 1) : plot_w;
  /* A little beyond the first and last stage, but not over the y labels
   * or the legend, which answer for themselves. */
  if (x < left - MIN (spacing / 2, 12) || x > left + plot_w + MIN (spacing / 2, 12))
    return -1;
  p = figure->cols > 1 ? (int) round ((x - left) / spacing) : 0;
  return CLAMP (p, 0, (int) figure->cols - 1);
}

void
vt_figure_lines_legend_position (const VtFigure *figure,
                                 double          width,
                                 double          height,
                                 guint           series,
                                 double         *x,
                                 double         *y)
{
  double left, top, plot_w, plot_h;

  vt_figure_lines_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);
  *x = left + plot_w + 23;
  *y = top + 8 + series * 18;
}

int
vt_figure_lines_legend_at (const VtFigure *figure,
                           double          width,
                           double          height,
                           double          x,
                           double          y)
{
  for (guint s = 0; s < figure->rows; s++)
    {
      double ex, ey;

      vt_figure_lines_legend_position (figure, width, height, s, &ex, &ey);
      /* The whole row, swatch and name, answers a click. */
      if (x >= ex - 11 && x <= width && fabs (y - ey) <= 9)
        return s;
    }
  return -1;
}

static void
draw_lines (cairo_t             *cr,
            const VtFigure      *figure,
            double               width,
            double               height,
            const VtFigureStyle *style)
{
  double left, top, plot_w, plot_h, lo, hi;

  vt_figure_lines_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);
  vt_figure_lines_y_range (figure, &lo, &hi);
  if (plot_w < 20 || plot_h < 20 || !(hi > lo))
    return;
  draw_y_grid (cr, style, left, top, plot_w, plot_h, lo, hi);

  /* The x axis, labelled at every point (or every few when crowded). */
  set_color (cr, &style->foreground);
  cairo_move_to (cr, left, top + plot_h + 0.5);
  cairo_line_to (cr, left + plot_w, top + plot_h + 0.5);
  cairo_stroke (cr);
  for (guint p = 0; figure->col_labels && p < figure->cols && figure->col_labels[p]; p++)
    if (figure->cols <= 12 || p % ((figure->cols + 11) / 12) == 0)
      draw_text (cr, style, figure->col_labels[p], vt_figure_lines_x (figure, left, plot_w, p), top + plot_h + 6,
                 ALIGN_CENTER, ALIGN_START, FALSE);

  for (guint s = 0; s < figure->rows; s++)
    {
      const double *row = figure->values + (gsize) s * figure->cols;
      gboolean drawing = FALSE, hidden = figure->hidden && figure->hidden[s];
      double lx, ly;
      VtRgba color;

      vt_figure_series_color (s, &color);
      /* A hidden series keeps a faint legend entry: it is what brings the
       * series back on screen, and in a file it says one was left out. */
      if (hidden)
        color.a = 0.3;
      set_color (cr, &color);
      set_series_dash (cr, s);
      for (guint p = 0; !hidden && p < figure->cols; p++)
        {
          double x = vt_figure_lines_x (figure, left, plot_w, p);
          double y = top + plot_h - (CLAMP (row[p], lo, hi) - lo) / (hi - lo) * plot_h;

          if (isnan (row[p]))
            {
              drawing = FALSE;
              continue;
            }
          if (drawing)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          drawing = TRUE;
        }
      cairo_stroke (cr);
      for (guint p = 0; !hidden && p < figure->cols; p++)
        if (!isnan (row[p]))
          series_marker (cr, s, vt_figure_lines_x (figure, left, plot_w, p),
                         top + plot_h - (CLAMP (row[p], lo, hi) - lo) / (hi - lo) * plot_h);
      cairo_fill (cr);

      /* Legend: the series' line and marker, and its name. */
      vt_figure_lines_legend_position (figure, width, height, s, &lx, &ly);
      cairo_move_to (cr, lx - 9, ly);
      cairo_line_to (cr, lx + 9, ly);
      cairo_stroke (cr);
      series_marker (cr, s, lx, ly);
      cairo_fill (cr);
      if (figure->row_labels && figure->row_labels[s])
        {
          VtFigureStyle faint = *style;

          if (hidden)
            faint.foreground.a *= 0.45;
          draw_text (cr, &faint, figure->row_labels[s], lx + 15, ly, ALIGN_START, ALIGN_CENTER, FALSE);
        }
    }
  cairo_set_dash (cr, NULL, 0, 0);
  draw_labels (cr, figure, style, left, top, plot_w, plot_h, height);
}

void
vt_figure_category_color (guint   i,
                          guint   n,
                          VtRgba *out)
{
  static const double tableau[10][3] = {
    { 0.122, 0.467, 0.706 }, { 1.000, 0.498, 0.055 }, { 0.173, 0.627, 0.173 }, { 0.839, 0.153, 0.157 },
    { 0.580, 0.404, 0.741 }, { 0.549, 0.337, 0.294 }, { 0.890, 0.467, 0.761 }, { 0.498, 0.498, 0.498 },
    { 0.737, 0.741, 0.133 }, { 0.090, 0.745, 0.812 },
  };

  if (n <= 10)
    {
      *out = (VtRgba) { tableau[i % 10][0], tableau[i % 10][1], tableau[i % 10][2], 1.0 };
      return;
    }
  /* Hues by the golden angle, so neighbouring categories differ most. */
  double h = fmod (i * 0.618033988749895, 1.0) * 6, v = 0.85, s = i % 2 ? 0.55 : 0.8;
  double c = v * s, x = c * (1 - fabs (fmod (h, 2) - 1)), m = v - c;
  double rgb[6][3] = { { c, x, 0 }, { x, c, 0 }, { 0, c, x }, { 0, x, c }, { x, 0, c }, { c, 0, x } };
  int sector = (int) h % 6;
  *out = (VtRgba) { rgb[sector][0] + m, rgb[sector][1] + m, rgb[sector][2] + m, 1.0 };
}

void
vt_figure_palette_color (VtFigurePalette palette,
                         guint           i,
                         guint           n,
                         VtRgba         *out)
{
  if (palette == VT_FIGURE_PALETTE_SEQUENTIAL)
    vt_figure_ramp_color (n > 1 ? (double) i / (n - 1) : 0.5, out);
  else
    vt_figure_category_color (i, n, out);
}

void
vt_figure_scatter_geometry (const VtFigure *figure,
                            double          width,
                            double          height,
                            double         *left,
                            double         *top,
                            double         *plot_w,
                            double         *plot_h)
{
  *left = figure->y_label ? 30 : 16;
  *top = figure->title ? 30 : 12;
  *plot_w = width - *left - (figure->n_categories > 1 ? 150 : 16);   /* the legend at the right */
  *plot_h = height - *top - (figure->x_label ? 28 : 12);
}

/* Legend rows before "and N more". */
#define SCATTER_LEGEND_ROWS 24

/* The colour bar's cells: at most 18 px, and 240 px for the whole bar. */
static double
color_bar_cell (const VtFigure *figure)
{
  return MIN (18.0, 240.0 / MAX (MIN (figure->n_categories, SCATTER_LEGEND_ROWS), 1));
}

void
vt_figure_scatter_legend_position (const VtFigure *figure,
                                   double          width,
                                   double          height,
                                   guint           c,
                                   double         *x,
                                   double         *y)
{
  double left, top, plot_w, plot_h;

  vt_figure_scatter_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);
  if (figure->palette == VT_FIGURE_PALETTE_SEQUENTIAL)
    {
      *x = left + plot_w + 23;
      *y = top + 22 + (c + 0.5) * color_bar_cell (figure);
    }
  else
    {
      *x = left + plot_w + 22;
      *y = top + 8 + c * 18;
    }
}

/* The legend of ordered bins: one bar, low at the top to high at the
 * bottom, its cells touching so it reads as a scale rather than as
 * separate categories, each cell labelled with its bin. */
static void
draw_scatter_color_bar (cairo_t             *cr,
                        const VtFigure      *figure,
                        const VtFigureStyle *style,
                        double               x,
                        double               top)
{
  guint n = MIN (figure->n_categories, SCATTER_LEGEND_ROWS);
  double cell = color_bar_cell (figure), y0 = top + 22;

  draw_text (cr, style, "scale: low to high", x, top + 2, ALIGN_START, ALIGN_START, FALSE);
  for (guint c = 0; c < n; c++)
    {
      VtRgba color;

      vt_figure_palette_color (VT_FIGURE_PALETTE_SEQUENTIAL, c, figure->n_categories, &color);
      set_color (cr, &color);
      cairo_rectangle (cr, x, y0 + c * cell, 14, cell + 0.5);
      cairo_fill (cr);
      if (figure->category_names && figure->category_names[c])
        draw_text (cr, style, figure->category_names[c], x + 20, y0 + (c + 0.5) * cell, ALIGN_START, ALIGN_CENTER,
                   FALSE);
    }
  set_color (cr, &style->grid);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, x + 0.5, y0 + 0.5, 13, n * cell);
  cairo_stroke (cr);
}

static void
draw_scatter (cairo_t             *cr,
              const VtFigure      *figure,
              double               width,
              double               height,
              const VtFigureStyle *style)
{
  double left, top, plot_w, plot_h;
  float x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;

  vt_figure_scatter_geometry (figure, width, height, &left, &top, &plot_w, &plot_h);
  if (plot_w < 20 || plot_h < 20)
    return;
  for (guint i = 0; i < figure->n_points; i++)
    {
      x_min = MIN (x_min, figure->points[2 * i]);
      x_max = MAX (x_max, figure->points[2 * i]);
      y_min = MIN (y_min, figure->points[2 * i + 1]);
      y_max = MAX (y_max, figure->points[2 * i + 1]);
    }
  /* Equal scale on both axes: distances in the layout look like distances. */
  double span = MAX (MAX (x_max - x_min, y_max - y_min), 1e-12);
  double scale = MIN (plot_w, plot_h) / span * 0.96;
  double cx = left + plot_w / 2, cy = top + plot_h / 2;
  double mx = (x_min + x_max) / 2, my = (y_min + y_max) / 2;
  double radius = figure->n_points > 20000 ? 0.8 : figure->n_points > 2000 ? 1.4 : 2.5;

  set_color (cr, &style->grid);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, round (left) + 0.5, round (top) + 0.5, round (plot_w), round (plot_h));
  cairo_stroke (cr);

  /* One path per category: one fill, one element in SVG and PDF. */
  for (guint c = 0; c < MAX (figure->n_categories, 1); c++)
    {
      VtRgba color;

      vt_figure_palette_color (figure->palette, c, figure->n_categories, &color);
      color.a = 0.7;
      set_color (cr, &color);
      for (guint i = 0; i < figure->n_points; i++)
        if (figure->categories[i] == c || figure->n_categories == 0)
          {
            double x = cx + (figure->points[2 * i] - mx) * scale;
            double y = cy - (figure->points[2 * i + 1] - my) * scale;

            cairo_new_sub_path (cr);
            cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
          }
      cairo_fill (cr);
    }

  if (figure->palette == VT_FIGURE_PALETTE_SEQUENTIAL && figure->n_categories > 1)
    {
      draw_scatter_color_bar (cr, figure, style, left + plot_w + 16, top);
      draw_labels (cr, figure, style, left, top, plot_w, plot_h, height);
      return;
    }
  for (guint c = 0; figure->n_categories > 1 && c < figure->n_categories && c <= SCATTER_LEGEND_ROWS; c++)
    {
      double x, y;
      VtRgba color;

      vt_figure_scatter_legend_position (figure, width, height, c, &x, &y);

      if (c == SCATTER_LEGEND_ROWS)
        {
          g_autofree char *more = g_strdup_printf ("and %u more", figure->n_categories - c);
          draw_text (cr, style, more, x - 6, y, ALIGN_START, ALIGN_CENTER, FALSE);
          break;
        }
      vt_figure_category_color (c, figure->n_categories, &color);
      set_color (cr, &color);
      cairo_arc (cr, x, y, 4, 0, 2 * G_PI);
      cairo_fill (cr);
      if (figure->category_names && figure->category_names[c])
        draw_text (cr, style, figure->category_names[c], x + 10, y, ALIGN_START, ALIGN_CENTER, FALSE);
    }
  draw_labels (cr, figure, style, left, top, plot_w, plot_h, height);
}


gboolean
vt_figure_overlay_geometry (const VtFigure *figure,
                            double          width,
                            double          height,
                            double         *x0,
                            double         *y0,
                            double         *draw_w,
                            double         *draw_h)
{
  double top = figure->title ? 30 : 12, bar_w = 90;
  double avail_w = width - 32 - bar_w, avail_h = height - top - 16;
  double scale;

  if (figure->rows == 0 || figure->cols == 0 || avail_w < 20 || avail_h < 20)
    return FALSE;
  scale = MIN (avail_w / figure->cols, avail_h / figure->rows);
  *draw_w = figure->cols * scale;
  *draw_h = figure->rows * scale;
  *x0 = 16 + (avail_w - *draw_w) / 2;
  *y0 = top + (avail_h - *draw_h) / 2;
  return TRUE;
}

/* @map (rows, cols) blended over the figure's image pixel by pixel, its
 * values coloured from @lo to @hi, drawn at (x0, y0) with @scale and
 * nearest-neighbour filtering, so every output pixel is one map value's
 * colour. */
static void
paint_blended_map (cairo_t        *cr,
                   const VtFigure *figure,
                   const double   *map,
                   double          lo,
                   double          hi,
                   double          x0,
                   double          y0,
                   double          scale)
{
  guint rows = figure->rows, cols = figure->cols;
  double alpha = figure->opacity;
  cairo_surface_t *surface;
  unsigned char *data;
  int stride;

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, cols, rows);
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x < cols; x++)
      {
        gsize p = (gsize) y * cols + x;
        double v = map[p];
        /* A NaN leaves the image uncovered (a tile of the image alone). */
        double a = isfinite (v) ? alpha : 0.0;
        double rgb[3];
        VtRgba color;

        vt_figure_colormap_color (figure->colormap, hi > lo && isfinite (v) ? CLAMP ((v - lo) / (hi - lo), 0.0, 1.0)
                                                                            : 0.0, &color);
        rgb[0] = (1 - a) * CLAMP (figure->image[p], 0.0f, 1.0f) + a * color.r;
        rgb[1] = (1 - a) * CLAMP (figure->image[(gsize) rows * cols + p], 0.0f, 1.0f) + a * color.g;
        rgb[2] = (1 - a) * CLAMP (figure->image[(gsize) 2 * rows * cols + p], 0.0f, 1.0f) + a * color.b;
        *(guint32 *) (data + (gsize) y * stride + 4 * x) =
          ((guint32) lround (255 * rgb[0]) << 16) | ((guint32) lround (255 * rgb[1]) << 8) | (guint32) lround (255 * rgb[2]);
      }
  cairo_surface_mark_dirty (surface);
  cairo_save (cr);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, cols, rows);
  cairo_fill (cr);
  cairo_restore (cr);
  cairo_surface_destroy (surface);
}

/* The colour scale at (x, y), @h high: @hi at the top, @lo at the bottom. */
static void
draw_color_scale (cairo_t             *cr,
                  const VtFigure      *figure,
                  const VtFigureStyle *style,
                  double               x,
                  double               y,
                  double               h,
                  double               lo,
                  double               hi)
{
  g_autofree char *top_label = g_strdup_printf ("%.3g", hi);
  g_autofree char *bottom_label = g_strdup_printf ("%.3g", lo);

  for (int c = 0; c < 64; c++)
    {
      VtRgba color;

      vt_figure_colormap_color (figure->colormap, 1.0 - (c + 0.5) / 64, &color);
      set_color (cr, &color);
      cairo_rectangle (cr, x, y + c * h / 64, 14, h / 64 + 0.5);
      cairo_fill (cr);
    }
  draw_text (cr, style, top_label, x + 20, y, ALIGN_START, ALIGN_START, FALSE);
  draw_text (cr, style, bottom_label, x + 20, y + h, ALIGN_START, ALIGN_END, FALSE);
}

/* An image with a map laid over it, and the map's colour scale (0 to its
 * maximum) beside it. */
static void
draw_overlay (cairo_t             *cr,
              const VtFigure      *figure,
              double               width,
              double               height,
              const VtFigureStyle *style)
{
  double draw_w, draw_h, x0, y0, max_value = 0.0;

  if (figure->image == NULL || !vt_figure_overlay_geometry (figure, width, height, &x0, &y0, &draw_w, &draw_h))
    return;
  for (guint i = 0; i < figure->rows * figure->cols; i++)
    if (isfinite (figure->values[i]))
      max_value = MAX (max_value, figure->values[i]);
  paint_blended_map (cr, figure, figure->values, 0.0, max_value, x0, y0, draw_w / figure->cols);
  draw_color_scale (cr, figure, style, x0 + draw_w + 16, y0, draw_h, 0.0, max_value);
  if (figure->title)
    draw_text (cr, style, figure->title, width / 2, 6, ALIGN_CENTER, ALIGN_START, TRUE);
}

/* Map @i's scale in an overlay row: its own, or the row's. */
static void
map_scale (const VtFigure *figure,
           guint           i,
           double         *lo,
           double         *hi)
{
  *lo = figure->map_min ? figure->map_min[i] : figure->y_min;
  *hi = figure->map_max ? figure->map_max[i] : figure->y_max;
}

/* Maps side by side over the same image, each captioned above (a caption
 * may hold two lines), each scale's colour bar drawn once at the right, in
 * the order of the maps; the note under the row. */
static void
draw_overlay_row (cairo_t             *cr,
                  const VtFigure      *figure,
                  double               width,
                  double               height,
                  const VtFigureStyle *style)
{
  double top = (figure->title ? 30 : 8) + 34, bottom = 8, gap = 10, bar_w = 60;
  double avail_w, avail_h;
  double panel_w, scale, draw_w, draw_h, y0;
  guint n = figure->n_maps, n_scales = 0;
  g_autofree double *scale_lo = g_new (double, MAX (n, 1));
  g_autofree double *scale_hi = g_new (double, MAX (n, 1));
  gsize plane = (gsize) figure->rows * figure->cols;
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (style->font);
  g_autoptr(PangoLayout) note = NULL;
  int note_w = 0, note_h = 0;

  if (figure->image == NULL || n == 0 || figure->rows == 0 || figure->cols == 0)
    return;
  for (guint i = 0; i < n; i++)
    {
      double lo, hi;
      guint s = 0;

      map_scale (figure, i, &lo, &hi);
      while (s < n_scales && !(scale_lo[s] == lo && scale_hi[s] == hi))
        s++;
      if (s == n_scales)
        {
          scale_lo[n_scales] = lo;
          scale_hi[n_scales++] = hi;
        }
    }
  avail_w = width - 16 - bar_w * n_scales;
  /* The note wraps to the figure's width, under the row. */
  if (figure->x_label)
    {
      note = pango_cairo_create_layout (cr);
      pango_layout_set_font_description (note, font);
      pango_layout_set_width (note, (int) ((width - 16) * PANGO_SCALE));
      pango_layout_set_wrap (note, PANGO_WRAP_WORD);
      pango_layout_set_alignment (note, PANGO_ALIGN_CENTER);
      pango_layout_set_text (note, figure->x_label, -1);
      pango_layout_get_pixel_size (note, &note_w, &note_h);
      bottom += note_h + 4;
    }
  avail_h = height - top - bottom;
  panel_w = (avail_w - gap * (n - 1)) / n;
  if (panel_w < 8 || avail_h < 8)
    return;
  scale = MIN (panel_w / figure->cols, avail_h / figure->rows);
  draw_w = figure->cols * scale;
  draw_h = figure->rows * scale;
  y0 = top + (avail_h - draw_h) / 2;
  for (guint i = 0; i < n; i++)
    {
      double x0 = 8 + i * (panel_w + gap) + (panel_w - draw_w) / 2, lo, hi;

      map_scale (figure, i, &lo, &hi);
      paint_blended_map (cr, figure, figure->values + i * plane, lo, hi, x0, y0, scale);
      if (figure->col_labels && i < g_strv_length (figure->col_labels))
        draw_text (cr, style, figure->col_labels[i], x0 + draw_w / 2, y0 - 4, ALIGN_CENTER, ALIGN_END, FALSE);
    }
  for (guint s = 0; s < n_scales; s++)
    draw_color_scale (cr, figure, style, 8 + avail_w + 8 + s * bar_w, y0, draw_h, scale_lo[s], scale_hi[s]);
  if (figure->title)
    draw_text (cr, style, figure->title, width / 2, 6, ALIGN_CENTER, ALIGN_START, TRUE);
  if (note)
    {
      set_color (cr, &style->foreground);
      cairo_move_to (cr, 8, y0 + draw_h + 8);
      pango_cairo_show_layout (cr, note);
    }
}

void
vt_figure_draw (cairo_t             *cr,
                const VtFigure      *figure,
                double               width,
                double               height,
                const VtFigureStyle *style)
{
  cairo_save (cr);
  if (style->background.a > 0)
    {
      set_color (cr, &style->background);
      cairo_paint (cr);
    }
  switch (figure->kind)
    {
    case VT_FIGURE_HISTOGRAM:
      draw_histogram (cr, figure, width, height, style);
      break;
    case VT_FIGURE_HEATMAP:
      draw_heatmap (cr, figure, width, height, style);
      break;
    case VT_FIGURE_LINES:
      draw_lines (cr, figure, width, height, style);
      break;
    case VT_FIGURE_SCATTER:
      draw_scatter (cr, figure, width, height, style);
      break;
    case VT_FIGURE_OVERLAY:
      draw_overlay (cr, figure, width, height, style);
      break;
    case VT_FIGURE_OVERLAY_ROW:
      draw_overlay_row (cr, figure, width, height, style);
      break;
    default:
      g_warn_if_reached ();
    }
  cairo_restore (cr);
}

static gboolean
check_surface (cairo_surface_t  *surface,
               const char       *path,
               GError          **error)
{
  cairo_status_t status = cairo_surface_status (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the figure: %s",
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

/* Cairo writes in place; a half-written figure must never replace a good
 * one, so each file is written beside and renamed. The name beside is
 * unique, since an export that Cancel is stopping may still be writing
 * the same figure when the next one starts. */
typedef struct
{
  GHashTable *numbers;   /* "surface1446" → "surface1" */
  guint       next[2];
} Renumbering;

static gboolean
renumber_id (const GMatchInfo *match,
             GString          *out,
             gpointer          data)
{
  Renumbering *r = data;
  g_autofree char *whole = g_match_info_fetch (match, 0);
  g_autofree char *prefix = g_match_info_fetch (match, 1);
  const char *number = g_hash_table_lookup (r->numbers, whole);

  if (number == NULL)
    {
      guint i = g_str_equal (prefix, "surface") ? 0 : 1;
      char *renamed = g_strdup_printf ("%s%u", prefix, ++r->next[i]);

      g_hash_table_insert (r->numbers, g_strdup (whole), renamed);
      number = renamed;
    }
  g_string_append (out, number);
  return FALSE;
}

/* Cairo names an SVG's groups and images after its surfaces' serial numbers,
 * which count every surface the process ever made: the same figure
 * exported by the window and by --batch would differ in those names alone.
 * They are renumbered in order of appearance, so an SVG depends on the
 * figure only. */
static gboolean
renumber_svg_ids (const char  *partial,
                  const char  *path,
                  GError     **error)
{
  static GRegex *regex;
  g_autofree char *contents = NULL;
  g_autofree char *renumbered = NULL;
  g_autoptr(GHashTable) numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Renumbering r = { numbers, { 0, 0 } };
  gsize length;

  if (g_once_init_enter (&regex))
    g_once_init_leave (&regex, g_regex_new ("\\b(surface|image)([0-9]+)\\b", G_REGEX_OPTIMIZE, 0, NULL));
  if (!g_file_get_contents (partial, &contents, &length, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot read the figure back", path);
      return FALSE;
    }
  renumbered = g_regex_replace_eval (regex, contents, (gssize) length, 0, 0, renumber_id, &r, NULL);
  if (renumbered == NULL || !g_file_set_contents (partial, renumbered, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the figure", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
export_one (const VtFigure   *figure,
            const char       *base_path,
            VtFigureFormats   format,
            GError          **error)
{
  g_autofree char *path = g_strdup_printf ("%s.%s", base_path, vt_figure_format_extension (format));
  static gint serial;
  /* Unique to this process and call, as two exports may run at once; the
   * run sweeps the name if a kill leaves it (vt-atomic-file.h). */
  g_autofree char *partial = g_strdup_printf ("%s" VT_ATOMIC_FILE_PARTIAL "export-%d-%d", path, (int) getpid (),
                                              g_atomic_int_add (&serial, 1));
  VtFigureStyle style;
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean ok;

  vt_figure_style_init_print (&style);
  switch (format)
    {
    case VT_FIGURE_FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, EXPORT_WIDTH * PNG_SCALE, EXPORT_HEIGHT * PNG_SCALE);
      break;
    case VT_FIGURE_FORMAT_SVG:
      surface = cairo_svg_surface_create (partial, EXPORT_WIDTH, EXPORT_HEIGHT);
      break;
    case VT_FIGURE_FORMAT_PDF:
      surface = cairo_pdf_surface_create (partial, EXPORT_WIDTH, EXPORT_HEIGHT);
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  cr = cairo_create (surface);
  if (format == VT_FIGURE_FORMAT_PNG)
    cairo_scale (cr, PNG_SCALE, PNG_SCALE);
  vt_figure_draw (cr, figure, EXPORT_WIDTH, EXPORT_HEIGHT, &style);
  cairo_destroy (cr);
  /* PNG is written from the live image surface; SVG and PDF are written by
   * finishing theirs. */
  if (format == VT_FIGURE_FORMAT_PNG)
    {
      cairo_status_t status = cairo_surface_write_to_png (surface, partial);
      ok = status == CAIRO_STATUS_SUCCESS;
      if (!ok)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the figure: %s",
                     path, cairo_status_to_string (status));
    }
  else
    {
      cairo_surface_finish (surface);
      ok = check_surface (surface, path, error);
    }
  cairo_surface_destroy (surface);
  if (ok && format == VT_FIGURE_FORMAT_SVG)
    ok = renumber_svg_ids (partial, path, error);

  if (ok && g_rename (partial, path) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the figure: %s",
                   path, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_remove (partial);
  return ok;
}

gboolean
vt_figure_export (const VtFigure   *figure,
                  const char       *base_path,
                  VtFigureFormats   formats,
                  GError          **error)
{
  for (guint f = VT_FIGURE_FORMAT_PNG; f <= VT_FIGURE_FORMAT_PDF; f <<= 1)
    if ((formats & f) && !export_one (figure, base_path, f, error))
      return FALSE;
  return TRUE;
}

gboolean
vt_figure_export_writer (const VtFigure   *figure,
                         const char       *base_path,
                         VtFigureFormats   formats,
                         gpointer          user_data,
                         GError          **error)
{
  return vt_figure_export (figure, base_path, formats, error);
}
