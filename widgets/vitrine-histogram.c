/* vitrine-histogram.c: the chart widget.
 *
 * It only keeps the figure description and the theme's colours; the drawing
 * is vt_figure_draw, so what the user sees is what an export writes. */
#include "vitrine-histogram.h"
#include "figures/vt-figure-render.h"

struct _VitrineHistogram
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

G_DEFINE_FINAL_TYPE (VitrineHistogram, vitrine_histogram, GTK_TYPE_WIDGET)

static VtRgba
rgba_from_gdk (const GdkRGBA *c)
{
  return (VtRgba) { c->red, c->green, c->blue, c->alpha };
}

/* Colours come from the theme, so the chart follows light and dark styles. */
static void
vitrine_histogram_css_changed (GtkWidget         *widget,
                               GtkCssStyleChange *change)
{
  VitrineHistogram *self = VITRINE_HISTOGRAM (widget);
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  GdkRGBA fg, accent;

  GTK_WIDGET_CLASS (vitrine_histogram_parent_class)->css_changed (widget, change);

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
vitrine_histogram_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  VitrineHistogram *self = VITRINE_HISTOGRAM (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->figure == NULL || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  vt_figure_draw (cr, self->figure, width, height, &self->style);
  cairo_destroy (cr);
}

static void
vitrine_histogram_measure (GtkWidget      *widget,
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
vitrine_histogram_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VitrineHistogram *self = VITRINE_HISTOGRAM (object);

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
vitrine_histogram_finalize (GObject *object)
{
  VitrineHistogram *self = VITRINE_HISTOGRAM (object);

  g_clear_pointer (&self->figure, vt_figure_free);
  G_OBJECT_CLASS (vitrine_histogram_parent_class)->finalize (object);
}

static void
vitrine_histogram_class_init (VitrineHistogramClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vitrine_histogram_get_property;
  object_class->finalize = vitrine_histogram_finalize;
  widget_class->snapshot = vitrine_histogram_snapshot;
  widget_class->measure = vitrine_histogram_measure;
  widget_class->css_changed = vitrine_histogram_css_changed;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "histogram");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
vitrine_histogram_init (VitrineHistogram *self)
{
  vt_figure_style_init_print (&self->style);
  self->style.background.a = 0;   /* the widget's own background shows */
}

GtkWidget *
vitrine_histogram_new (void)
{
  return g_object_new (VITRINE_TYPE_HISTOGRAM, NULL);
}

void
vitrine_histogram_set_data (VitrineHistogram  *self,
                            const char        *title,
                            const VtHistogram *histogram)
{
  g_return_if_fail (VITRINE_IS_HISTOGRAM (self));

  g_clear_pointer (&self->figure, vt_figure_free);
  if (histogram != NULL)
    self->figure = vt_figure_new_histogram (title, histogram);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title ? title : "",
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const VtFigure *
vitrine_histogram_get_figure (VitrineHistogram *self)
{
  g_return_val_if_fail (VITRINE_IS_HISTOGRAM (self), NULL);
  return self->figure;
}
