/* vitrine-figure-view.c: the chart widget.
 *
 * It only keeps the figure description and the theme's colours; the drawing
 * is vt_figure_draw, so what the user sees is what an export writes. */
#include "vitrine-figure-view.h"
#include "figures/vt-figure-render.h"

#include <math.h>

struct _VitrineFigureView
{
  GtkWidget      parent_instance;
  VtFigure      *figure;
  VtFigureStyle  style;
};

enum {
  PROP_0,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VitrineFigureView, vitrine_figure_view, GTK_TYPE_WIDGET)

static VtRgba
rgba_from_gdk (const GdkRGBA *c)
{
  return (VtRgba) { c->red, c->green, c->blue, c->alpha };
}

/* Colours come from the theme, so the chart follows light and dark styles. */
static void
vitrine_figure_view_css_changed (GtkWidget         *widget,
                               GtkCssStyleChange *change)
{
  VitrineFigureView *self = VITRINE_FIGURE_VIEW (widget);
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  GdkRGBA fg, accent;

  GTK_WIDGET_CLASS (vitrine_figure_view_parent_class)->css_changed (widget, change);

  gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", &accent))
    gdk_rgba_parse (&accent, "#3584e4");
  self->style.foreground = rgba_from_gdk (&fg);
  self->style.accent = rgba_from_gdk (&accent);
  self->style.grid = self->style.foreground;
  self->style.grid.a = 0.12;
  gtk_widget_queue_draw (widget);
}

static void
vitrine_figure_view_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  VitrineFigureView *self = VITRINE_FIGURE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->figure == NULL || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  vt_figure_draw (cr, self->figure, width, height, &self->style);
  cairo_destroy (cr);
}

static gboolean
vitrine_figure_view_query_tooltip (GtkWidget  *widget,
                                   int         x,
                                   int         y,
                                   gboolean    keyboard,
                                   GtkTooltip *tooltip)
{
  g_autofree char *text = vitrine_figure_view_describe_point (VITRINE_FIGURE_VIEW (widget), x, y);

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
vitrine_figure_view_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 140;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 260;
}

static void
vitrine_figure_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VitrineFigureView *self = VITRINE_FIGURE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->figure ? self->figure->title : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_figure_view_finalize (GObject *object)
{
  VitrineFigureView *self = VITRINE_FIGURE_VIEW (object);

  g_clear_pointer (&self->figure, vt_figure_free);
  G_OBJECT_CLASS (vitrine_figure_view_parent_class)->finalize (object);
}

static void
vitrine_figure_view_class_init (VitrineFigureViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vitrine_figure_view_get_property;
  object_class->finalize = vitrine_figure_view_finalize;
  widget_class->snapshot = vitrine_figure_view_snapshot;
  widget_class->measure = vitrine_figure_view_measure;
  widget_class->css_changed = vitrine_figure_view_css_changed;
  widget_class->query_tooltip = vitrine_figure_view_query_tooltip;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "figureview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void on_pressed (GtkGestureClick   *gesture,
                        int                n_press,
                        double             x,
                        double             y,
                        VitrineFigureView *self);

static void
vitrine_figure_view_init (VitrineFigureView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  vt_figure_style_init_print (&self->style);
  self->style.background.a = 0;   /* the widget's own background shows */
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
vitrine_figure_view_new (void)
{
  return g_object_new (VITRINE_TYPE_FIGURE_VIEW, NULL);
}

void
vitrine_figure_view_set_figure (VitrineFigureView *self,
                                VtFigure          *figure)
{
  g_return_if_fail (VITRINE_IS_FIGURE_VIEW (self));

  g_clear_pointer (&self->figure, vt_figure_free);
  self->figure = figure;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, figure && figure->title ? figure->title : "",
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

VtFigure *
vitrine_figure_view_get_figure (VitrineFigureView *self)
{
  g_return_val_if_fail (VITRINE_IS_FIGURE_VIEW (self), NULL);
  return self->figure;
}

void
vitrine_figure_view_changed (VitrineFigureView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
vitrine_figure_view_describe_point (VitrineFigureView *self,
                                    double             x,
                                    double             y)
{
  const VtFigure *f = self->figure;
  double left, top, plot_w, plot_h;
  int width = gtk_widget_get_width (GTK_WIDGET (self)), height = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr(GString) text = NULL;
  gboolean any = FALSE;
  int p;

  if (f == NULL || f->kind != VT_FIGURE_LINES)
    return NULL;
  vt_figure_lines_geometry (f, width, height, &left, &top, &plot_w, &plot_h);
  p = vt_figure_lines_point_at (f, width, height, x);
  if (p < 0 || y < top || y > top + plot_h)
    return NULL;
  /* The stage, then every shown series' value there: coincident lines
   * cannot be told apart by pointing at them. */
  text = g_string_new (NULL);
  g_string_append_printf (text, "%s %s", f->col_labels && f->col_labels[p] ? f->col_labels[p] : "",
                          f->x_label ? f->x_label : "");
  for (guint s = 0; s < f->rows; s++)
    {
      double v = f->values[(gsize) s * f->cols + p];

      if (f->hidden[s])
        continue;
      if (isnan (v))
        g_string_append_printf (text, "\n%s: –", f->row_labels ? f->row_labels[s] : "");
      else
        g_string_append_printf (text, "\n%s: %.4g", f->row_labels ? f->row_labels[s] : "", v);
      any = any || !isnan (v);
    }
  return any ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

gboolean
vitrine_figure_view_toggle_series (VitrineFigureView *self,
                                   guint              series)
{
  g_return_val_if_fail (VITRINE_IS_FIGURE_VIEW (self), FALSE);

  if (self->figure == NULL || self->figure->kind != VT_FIGURE_LINES || series >= self->figure->rows)
    return FALSE;
  self->figure->hidden[series] = !self->figure->hidden[series];
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

/* A click on a legend entry hides or shows that series. */
static void
on_pressed (GtkGestureClick   *gesture,
            int                n_press,
            double             x,
            double             y,
            VitrineFigureView *self)
{
  int s;

  if (self->figure == NULL || self->figure->kind != VT_FIGURE_LINES)
    return;
  s = vt_figure_lines_legend_at (self->figure, gtk_widget_get_width (GTK_WIDGET (self)),
                                 gtk_widget_get_height (GTK_WIDGET (self)), x, y);
  if (s >= 0 && vitrine_figure_view_toggle_series (self, s))
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}
