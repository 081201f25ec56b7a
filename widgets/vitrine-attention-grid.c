/* vitrine-attention-grid.c: the layer × head grid of maps.
 *
 * The cells' colours are made once per set_maps (one Cairo surface per
 * cell, a pixel per patch), so moving the selection only redraws: the
 * surfaces are scaled up with nearest-neighbour filtering, each patch one
 * flat square as in the enlarged map. */
#include "vitrine-attention-grid.h"
#include "figures/vt-figure-render.h"

#include <math.h>

#define GAP 6
#define LABEL_W 30
#define LABEL_H 18

struct _VitrineAttentionGrid
{
  GtkWidget         parent_instance;

  int               layers;
  int               heads;
  int               gh;
  int               gw;
  float            *maps;        /* (layers, heads, gh, gw) */
  cairo_surface_t **cells;       /* layers × heads, or NULL */
  int               layer;
  int               head;
  VtFigureColormap  colormap;
  GdkRGBA           accent;
};

enum {
  PROP_0,
  PROP_LAYER,
  PROP_HEAD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_SELECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VitrineAttentionGrid, vitrine_attention_grid, GTK_TYPE_WIDGET)

static void
clear_cells (VitrineAttentionGrid *self)
{
  for (int i = 0; self->cells && i < self->layers * self->heads; i++)
    cairo_surface_destroy (self->cells[i]);
  g_clear_pointer (&self->cells, g_free);
}

/* One surface per cell, coloured on the scale of the whole grid. */
static void
make_cells (VitrineAttentionGrid *self)
{
  gsize plane = (gsize) self->gh * self->gw, n = plane * self->layers * self->heads;
  float top = 0;

  for (gsize i = 0; i < n; i++)
    if (isfinite (self->maps[i]))
      top = MAX (top, self->maps[i]);
  self->cells = g_new0 (cairo_surface_t *, (gsize) self->layers * self->heads);
  for (int c = 0; c < self->layers * self->heads; c++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->gw, self->gh);
      unsigned char *data;
      int stride = cairo_image_surface_get_stride (surface);

      cairo_surface_flush (surface);
      data = cairo_image_surface_get_data (surface);
      for (int y = 0; y < self->gh; y++)
        for (int x = 0; x < self->gw; x++)
          {
            float v = self->maps[c * plane + (gsize) y * self->gw + x];
            VtRgba color;

            vt_figure_colormap_color (self->colormap, top > 0 && isfinite (v) ? v / top : 0.0, &color);
            *(guint32 *) (data + (gsize) y * stride + 4 * x) =
              ((guint32) lround (255 * color.r) << 16) | ((guint32) lround (255 * color.g) << 8) |
              (guint32) lround (255 * color.b);
          }
      cairo_surface_mark_dirty (surface);
      self->cells[c] = surface;
    }
}

/* The side of a cell and where the first one starts, for the widget's size. */
static double
cell_size (VitrineAttentionGrid *self)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_W - (self->heads - 1) * GAP;
  double h = gtk_widget_get_height (GTK_WIDGET (self)) - LABEL_H - (self->layers - 1) * GAP;

  if (self->layers <= 0 || self->heads <= 0)
    return 0;
  return MAX (floor (MIN (w / self->heads, h / self->layers)), 0);
}

gboolean
vitrine_attention_grid_cell_bounds (VitrineAttentionGrid *self,
                                    int                   layer,
                                    int                   head,
                                    graphene_rect_t      *bounds)
{
  double s = cell_size (self);

  if (layer < 0 || layer >= self->layers || head < 0 || head >= self->heads || s <= 0)
    return FALSE;
  graphene_rect_init (bounds, LABEL_W + head * (s + GAP), LABEL_H + layer * (s + GAP), s, s);
  return TRUE;
}

gboolean
vitrine_attention_grid_cell_at (VitrineAttentionGrid *self,
                                double                x,
                                double                y,
                                int                  *layer,
                                int                  *head)
{
  double s = cell_size (self);
  int h, l;

  if (s <= 0 || x < LABEL_W || y < LABEL_H)
    return FALSE;
  h = (int) ((x - LABEL_W) / (s + GAP));
  l = (int) ((y - LABEL_H) / (s + GAP));
  if (h >= self->heads || l >= self->layers || x - LABEL_W - h * (s + GAP) >= s ||
      y - LABEL_H - l * (s + GAP) >= s)
    return FALSE;
  *layer = l;
  *head = h;
  return TRUE;
}

static void
draw_label (VitrineAttentionGrid *self,
            GtkSnapshot          *snapshot,
            const char           *text,
            double                cx,
            double                cy)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  GdkRGBA fg;
  int w, h;

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (round (cx - w / 2.0), round (cy - h / 2.0)));
  gtk_snapshot_append_layout (snapshot, layout, &fg);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
vitrine_attention_grid_snapshot (GtkWidget   *widget,
                                 GtkSnapshot *snapshot)
{
  VitrineAttentionGrid *self = VITRINE_ATTENTION_GRID (widget);
  double s = cell_size (self);
  graphene_rect_t all, bounds;
  cairo_t *cr;

  if (self->cells == NULL || s <= 0)
    return;
  for (int h = 0; h < self->heads; h++)
    {
      g_autofree char *text = g_strdup_printf ("%d", h);
      vitrine_attention_grid_cell_bounds (self, 0, h, &bounds);
      draw_label (self, snapshot, text, bounds.origin.x + s / 2, LABEL_H / 2.0);
    }
  for (int l = 0; l < self->layers; l++)
    {
      g_autofree char *text = g_strdup_printf ("%d", l);
      vitrine_attention_grid_cell_bounds (self, l, 0, &bounds);
      draw_label (self, snapshot, text, LABEL_W / 2.0, bounds.origin.y + s / 2);
    }
  graphene_rect_init (&all, 0, 0, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  cr = gtk_snapshot_append_cairo (snapshot, &all);
  for (int l = 0; l < self->layers; l++)
    for (int h = 0; h < self->heads; h++)
      {
        vitrine_attention_grid_cell_bounds (self, l, h, &bounds);
        cairo_save (cr);
        cairo_translate (cr, bounds.origin.x, bounds.origin.y);
        cairo_scale (cr, s / self->gw, s / self->gh);
        cairo_set_source_surface (cr, self->cells[l * self->heads + h], 0, 0);
        cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle (cr, 0, 0, self->gw, self->gh);
        cairo_fill (cr);
        cairo_restore (cr);
      }
  /* The selection: a ring in the theme's accent, outside the cell so the
   * map itself stays whole. */
  vitrine_attention_grid_cell_bounds (self, self->layer, self->head, &bounds);
  gdk_cairo_set_source_rgba (cr, &self->accent);
  cairo_set_line_width (cr, 3);
  cairo_rectangle (cr, bounds.origin.x - 2.5, bounds.origin.y - 2.5, s + 5, s + 5);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
vitrine_attention_grid_css_changed (GtkWidget         *widget,
                                    GtkCssStyleChange *change)
{
  VitrineAttentionGrid *self = VITRINE_ATTENTION_GRID (widget);

  GTK_WIDGET_CLASS (vitrine_attention_grid_parent_class)->css_changed (widget, change);
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "accent_color", &self->accent))
    gdk_rgba_parse (&self->accent, "#1c71d8");
  gtk_widget_queue_draw (widget);
}

static void
vitrine_attention_grid_measure (GtkWidget      *widget,
                                GtkOrientation  orientation,
                                int             for_size,
                                int            *minimum,
                                int            *natural,
                                int            *minimum_baseline,
                                int            *natural_baseline)
{
  VitrineAttentionGrid *self = VITRINE_ATTENTION_GRID (widget);
  gboolean horizontal = orientation == GTK_ORIENTATION_HORIZONTAL;
  int n = MAX (horizontal ? self->heads : self->layers, 1);
  int label = horizontal ? LABEL_W : LABEL_H;

  /* At least 12 pixels a cell, 40 when there is room. */
  *minimum = label + n * 12 + (n - 1) * GAP;
  *natural = label + n * 40 + (n - 1) * GAP;
}

void
vitrine_attention_grid_select (VitrineAttentionGrid *self,
                               int                   layer,
                               int                   head)
{
  g_return_if_fail (VITRINE_IS_ATTENTION_GRID (self));

  layer = CLAMP (layer, 0, MAX (self->layers - 1, 0));
  head = CLAMP (head, 0, MAX (self->heads - 1, 0));
  if (layer == self->layer && head == self->head)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (layer != self->layer)
    {
      self->layer = layer;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYER]);
    }
  if (head != self->head)
    {
      self->head = head;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEAD]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  /* Once for a move of both: a view derived from the selection is made once. */
  g_signal_emit (self, signals[SIGNAL_SELECTED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
vitrine_attention_grid_set_colormap (VitrineAttentionGrid *self,
                                     VtFigureColormap      colormap)
{
  g_return_if_fail (VITRINE_IS_ATTENTION_GRID (self));

  if (colormap == self->colormap)
    return;
  self->colormap = colormap;
  clear_cells (self);
  if (self->maps != NULL)
    make_cells (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
vitrine_attention_grid_get_layer (VitrineAttentionGrid *self)
{
  return self->layer;
}

int
vitrine_attention_grid_get_head (VitrineAttentionGrid *self)
{
  return self->head;
}

void
vitrine_attention_grid_set_maps (VitrineAttentionGrid *self,
                                 int                   layers,
                                 int                   heads,
                                 int                   gh,
                                 int                   gw,
                                 const float          *maps)
{
  g_return_if_fail (VITRINE_IS_ATTENTION_GRID (self));

  clear_cells (self);
  g_clear_pointer (&self->maps, g_free);
  if (maps == NULL || layers <= 0 || heads <= 0 || gh <= 0 || gw <= 0)
    layers = heads = gh = gw = 0;
  self->layers = layers;
  self->heads = heads;
  self->gh = gh;
  self->gw = gw;
  if (layers > 0)
    {
      self->maps = g_memdup2 (maps, sizeof (float) * layers * heads * gh * gw);
      make_cells (self);
    }
  vitrine_attention_grid_select (self, self->layer < layers ? self->layer : 0, self->head < heads ? self->head : 0);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

VtFigure *
vitrine_attention_grid_to_figure (VitrineAttentionGrid *self,
                                  const char           *title)
{
  guint rows, cols;
  gsize plane = (gsize) self->gh * self->gw;
  g_autofree double *values = NULL;
  g_autofree char **row_labels = NULL;
  g_autofree char **col_labels = NULL;
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  VtFigure *figure;

  if (self->maps == NULL)
    return NULL;
  rows = self->layers * (self->gh + 1) - 1;
  cols = self->heads * (self->gw + 1) - 1;
  values = g_new (double, (gsize) rows * cols);
  for (gsize c = 0; c < (gsize) rows * cols; c++)
    values[c] = NAN;
  row_labels = g_new0 (char *, rows + 1);
  col_labels = g_new0 (char *, cols + 1);
  for (guint r = 0; r < rows; r++)
    row_labels[r] = "";
  for (guint c = 0; c < cols; c++)
    col_labels[c] = "";
  for (int l = 0; l < self->layers; l++)
    {
      for (int h = 0; h < self->heads; h++)
        for (int y = 0; y < self->gh; y++)
          for (int x = 0; x < self->gw; x++)
            values[(gsize) (l * (self->gh + 1) + y) * cols + h * (self->gw + 1) + x] =
              self->maps[((gsize) l * self->heads + h) * plane + (gsize) y * self->gw + x];
      g_ptr_array_add (labels, g_strdup_printf ("layer %d", l));
      row_labels[l * (self->gh + 1) + self->gh / 2] = g_ptr_array_index (labels, labels->len - 1);
    }
  for (int h = 0; h < self->heads; h++)
    {
      g_ptr_array_add (labels, g_strdup_printf ("head %d", h));
      col_labels[h * (self->gw + 1) + self->gw / 2] = g_ptr_array_index (labels, labels->len - 1);
    }
  figure = vt_figure_new_heatmap (title, "head", "layer", rows, cols, values,
                                  (const char * const *) row_labels, (const char * const *) col_labels);
  figure->colormap = self->colormap;
  return figure;
}

/* Input ------------------------------------------------------------------*/

static void
on_pressed (GtkGestureClick      *gesture,
            int                   n_press,
            double                x,
            double                y,
            VitrineAttentionGrid *self)
{
  int layer, head;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (vitrine_attention_grid_cell_at (self, x, y, &layer, &head))
    vitrine_attention_grid_select (self, layer, head);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                VitrineAttentionGrid  *self)
{
  int dl = 0, dh = 0;

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0 || self->layers == 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Up: case GDK_KEY_KP_Up: dl = -1; break;
    case GDK_KEY_Down: case GDK_KEY_KP_Down: dl = 1; break;
    case GDK_KEY_Left: case GDK_KEY_KP_Left: dh = -1; break;
    case GDK_KEY_Right: case GDK_KEY_KP_Right: dh = 1; break;
    default: return FALSE;
    }
  vitrine_attention_grid_select (self, self->layer + dl, self->head + dh);
  return TRUE;
}

/* GObject ------------------------------------------------------------------*/

static void
vitrine_attention_grid_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  VitrineAttentionGrid *self = VITRINE_ATTENTION_GRID (object);

  switch (prop_id)
    {
    case PROP_LAYER:
      g_value_set_int (value, self->layer);
      break;
    case PROP_HEAD:
      g_value_set_int (value, self->head);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_attention_grid_finalize (GObject *object)
{
  VitrineAttentionGrid *self = VITRINE_ATTENTION_GRID (object);

  clear_cells (self);
  g_free (self->maps);
  G_OBJECT_CLASS (vitrine_attention_grid_parent_class)->finalize (object);
}

static void
vitrine_attention_grid_class_init (VitrineAttentionGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vitrine_attention_grid_get_property;
  object_class->finalize = vitrine_attention_grid_finalize;
  widget_class->snapshot = vitrine_attention_grid_snapshot;
  widget_class->measure = vitrine_attention_grid_measure;
  widget_class->css_changed = vitrine_attention_grid_css_changed;

  properties[PROP_LAYER] =
    g_param_spec_int ("layer", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HEAD] =
    g_param_spec_int ("head", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_SELECTED] = g_signal_new ("selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                           NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_css_name (widget_class, "attentiongrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GRID);
}

static void
vitrine_attention_grid_init (VitrineAttentionGrid *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gdk_rgba_parse (&self->accent, "#1c71d8");
}

GtkWidget *
vitrine_attention_grid_new (void)
{
  return g_object_new (VITRINE_TYPE_ATTENTION_GRID, NULL);
}
