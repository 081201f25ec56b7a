/* vitrine-scatter-view.c: the GL scatter view (see the header). */
#include "vitrine-scatter-view.h"

#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#include "figures/vt-figure-render.h"

#define SHADER_PATH "/io/github/vitrine/Vitrine/shaders/"
/* Screen distance within which hovering picks a point, beyond its radius. */
#define PICK_SLACK 3.0
/* In 3-D, points this close on screen (pixels) are told apart by depth:
 * the one in front, drawn over the other, is picked. */
#define PICK_TIE 0.5
/* How much of the way to the background the farthest point's colour goes
 * (the depth cue; the nearest keeps its own colour). */
#define FOG 0.6

struct _VitrineScatterView
{
  GtkWidget   parent_instance;

  GtkWidget  *area;            /* GtkGLArea */
  gboolean    gl_ok;

  guint       n;
  float      *xy;              /* (n, 2) data coordinates as drawn: in 3-D, after the rotation */
  float      *xyz;             /* (n, 3) the 3-D points, or NULL for a 2-D layout */
  float      *depth;           /* n: towards the viewer after the rotation (0 in 2-D) */
  double      rotation[9];     /* row-major; drawn = origin + R (p − origin) */
  double      drag_rotation[9];/* the rotation when an orbit began */
  double      origin[3];       /* the centre of the 3-D points' bounding box */
  double      radius;          /* the farthest 3-D point from the origin */
  float      *categories;      /* n, as floats for the vertex attribute */
  float      *selected;        /* n: 1 when selected */
  guint       n_categories;
  gboolean   *hidden;          /* n_categories: a category hidden from the plot */
  double      point_size;
  double      opacity;

  double      center_x, center_y, scale;   /* the view: data at the centre, pixels per unit */
  gboolean    user_moved;                  /* stop following new layouts */
  double      drag_start_x, drag_start_y;  /* the centre when a pan began */
  gboolean    lassoing;
  gboolean    orbiting;                    /* a 3-D drag turns the points */
  GArray     *lasso;                       /* doubles: x, y, x, y, … in widget coordinates */
  double      pointer_x, pointer_y;
  double      zoom_scale;                  /* the pinch gesture's last scale */
  int         hover;
  VtFigurePalette colors;                  /* how categories map to colours */

  /* GL state, valid while realized with gl_ok. */
  GLuint      program, vao, buffers[4], palette;
  GLint       u_center, u_scale, u_viewport, u_point_size, u_opacity, u_palette, u_depth_range, u_background;
  gboolean    positions_dirty, categories_dirty, selection_dirty, palette_dirty;

  gboolean    measure;
  double      frame_ms;
  guint       n_frames;
};

G_DEFINE_FINAL_TYPE (VitrineScatterView, vitrine_scatter_view, GTK_TYPE_WIDGET)

enum { SELECTION_CHANGED, HOVER_CHANGED, POINT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Geometry ------------------------------------------------------------------*/

/* Point @i is drawn: its category is not hidden. */
static gboolean
point_shown (VitrineScatterView *self,
             guint               i)
{
  return !self->hidden[(guint) self->categories[i]];
}

/* The drawn positions and depths of the 3-D points under the rotation. */
static void
project_points (VitrineScatterView *self)
{
  const double *r = self->rotation;

  if (self->xyz == NULL)
    return;
  for (guint i = 0; i < self->n; i++)
    {
      double p[3] = { self->xyz[3 * i] - self->origin[0], self->xyz[3 * i + 1] - self->origin[1],
                      self->xyz[3 * i + 2] - self->origin[2] };

      self->xy[2 * i] = self->origin[0] + r[0] * p[0] + r[1] * p[1] + r[2] * p[2];
      self->xy[2 * i + 1] = self->origin[1] + r[3] * p[0] + r[4] * p[1] + r[5] * p[2];
      self->depth[i] = r[6] * p[0] + r[7] * p[1] + r[8] * p[2];
    }
  self->positions_dirty = TRUE;
}

/* The rotation's centre and reach: fitting to the sphere they span keeps
 * every rotation of the points in view. */
static void
measure_3d (VitrineScatterView *self)
{
  float lo[3] = { INFINITY, INFINITY, INFINITY }, hi[3] = { -INFINITY, -INFINITY, -INFINITY };
  double radius2 = 0;

  for (guint i = 0; i < self->n; i++)
    for (guint c = 0; c < 3; c++)
      {
        lo[c] = MIN (lo[c], self->xyz[3 * i + c]);
        hi[c] = MAX (hi[c], self->xyz[3 * i + c]);
      }
  for (guint c = 0; c < 3; c++)
    self->origin[c] = self->n > 0 ? (lo[c] + hi[c]) / 2.0 : 0;
  for (guint i = 0; i < self->n; i++)
    {
      double d2 = 0;

      for (guint c = 0; c < 3; c++)
        d2 += (self->xyz[3 * i + c] - self->origin[c]) * (self->xyz[3 * i + c] - self->origin[c]);
      radius2 = MAX (radius2, d2);
    }
  self->radius = sqrt (radius2);
}

static void
to_screen (VitrineScatterView *self, double x, double y, double *sx, double *sy)
{
  *sx = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0 + (x - self->center_x) * self->scale;
  *sy = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0 - (y - self->center_y) * self->scale;
}

static void
to_data (VitrineScatterView *self, double sx, double sy, double *x, double *y)
{
  *x = self->center_x + (sx - gtk_widget_get_width (GTK_WIDGET (self)) / 2.0) / self->scale;
  *y = self->center_y - (sy - gtk_widget_get_height (GTK_WIDGET (self)) / 2.0) / self->scale;
}

static void
redraw (VitrineScatterView *self)
{
  if (self->gl_ok)
    gtk_gl_area_queue_render (GTK_GL_AREA (self->area));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
vitrine_scatter_view_fit (VitrineScatterView *self)
{
  float x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  int width = MAX (gtk_widget_get_width (GTK_WIDGET (self)), 100);
  int height = MAX (gtk_widget_get_height (GTK_WIDGET (self)), 100);

  for (guint i = 0; i < self->n; i++)
    {
      x_min = MIN (x_min, self->xy[2 * i]);
      x_max = MAX (x_max, self->xy[2 * i]);
      y_min = MIN (y_min, self->xy[2 * i + 1]);
      y_max = MAX (y_max, self->xy[2 * i + 1]);
    }
  if (self->n == 0)
    x_min = y_min = -1, x_max = y_max = 1;
  /* In 3-D the sphere around the rotation's centre, whatever the rotation. */
  if (self->xyz != NULL && self->n > 0)
    {
      x_min = self->origin[0] - self->radius, x_max = self->origin[0] + self->radius;
      y_min = self->origin[1] - self->radius, y_max = self->origin[1] + self->radius;
    }
  self->center_x = (x_min + x_max) / 2;
  self->center_y = (y_min + y_max) / 2;
  self->scale = 0.92 * MIN (width / MAX (x_max - x_min, 1e-9), height / MAX (y_max - y_min, 1e-9));
  self->user_moved = FALSE;
  redraw (self);
}

void
vitrine_scatter_view_zoom (VitrineScatterView *self,
                           double              factor,
                           double              x,
                           double              y)
{
  double dx, dy;

  /* The data point under (x, y) stays there. */
  to_data (self, x, y, &dx, &dy);
  self->scale = CLAMP (self->scale * factor, 1e-9, 1e12);
  self->center_x = dx - (x - gtk_widget_get_width (GTK_WIDGET (self)) / 2.0) / self->scale;
  self->center_y = dy + (y - gtk_widget_get_height (GTK_WIDGET (self)) / 2.0) / self->scale;
  self->user_moved = TRUE;
  redraw (self);
}

void
vitrine_scatter_view_pan (VitrineScatterView *self,
                          double              dx,
                          double              dy)
{
  self->center_x -= dx / self->scale;
  self->center_y += dy / self->scale;
  self->user_moved = TRUE;
  redraw (self);
}

void
vitrine_scatter_view_get_visible (VitrineScatterView *self,
                                  double             *x_min,
                                  double             *y_min,
                                  double             *x_max,
                                  double             *y_max)
{
  to_data (self, 0, gtk_widget_get_height (GTK_WIDGET (self)), x_min, y_min);
  to_data (self, gtk_widget_get_width (GTK_WIDGET (self)), 0, x_max, y_max);
}

void
vitrine_scatter_view_point_position (VitrineScatterView *self,
                                     guint               i,
                                     double             *x,
                                     double             *y)
{
  g_return_if_fail (i < self->n);
  to_screen (self, self->xy[2 * i], self->xy[2 * i + 1], x, y);
}

int
vitrine_scatter_view_pick (VitrineScatterView *self,
                           double              x,
                           double              y)
{
  double limit = self->point_size / 2 + PICK_SLACK, best = limit;
  int found = -1;

  /* On the drawn (in 3-D: rotated) positions, in screen space. */
  for (guint i = 0; i < self->n; i++)
    {
      double sx, sy;
      gboolean better;

      if (!point_shown (self, i))
        continue;
      to_screen (self, self->xy[2 * i], self->xy[2 * i + 1], &sx, &sy);
      double d = hypot (sx - x, sy - y);
      if (d > limit)
        continue;
      if (self->xyz == NULL || found < 0)
        better = d <= best;
      else
        better = d < best - PICK_TIE || (d <= best + PICK_TIE && self->depth[i] > self->depth[found]);
      if (better)
        {
          best = MIN (d, best);
          found = (int) i;
        }
    }
  return found;
}

/* Points and selection ------------------------------------------------------*/

static void
set_points (VitrineScatterView *self,
            const float        *coordinates,
            guint               dims,
            guint               n,
            const guint        *categories,
            guint               n_categories)
{
  self->n = n;
  self->xy = g_renew (float, self->xy, 2 * (gsize) n);
  self->depth = g_renew (float, self->depth, MAX (n, 1));
  self->categories = g_renew (float, self->categories, n);
  self->selected = g_renew (float, self->selected, n);
  memset (self->depth, 0, sizeof (float) * n);
  g_clear_pointer (&self->xyz, g_free);
  /* New points are seen from the front: PC1 across, PC2 up. */
  vitrine_scatter_view_reset_rotation (self);
  if (dims == 3)
    {
      self->xyz = g_memdup2 (coordinates, sizeof (float) * 3 * n);
      measure_3d (self);
      project_points (self);
    }
  else
    memcpy (self->xy, coordinates, sizeof (float) * 2 * n);
  memset (self->selected, 0, sizeof (float) * n);
  self->hover = -1;
  self->selection_dirty = TRUE;
  vitrine_scatter_view_set_categories (self, categories, n_categories);
  self->positions_dirty = TRUE;
  vitrine_scatter_view_fit (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
vitrine_scatter_view_set_points (VitrineScatterView *self,
                                 const float        *xy,
                                 guint               n,
                                 const guint        *categories,
                                 guint               n_categories)
{
  g_return_if_fail (VITRINE_IS_SCATTER_VIEW (self));
  set_points (self, xy, 2, n, categories, n_categories);
}

void
vitrine_scatter_view_set_points_3d (VitrineScatterView *self,
                                    const float        *xyz,
                                    guint               n,
                                    const guint        *categories,
                                    guint               n_categories)
{
  g_return_if_fail (VITRINE_IS_SCATTER_VIEW (self));
  set_points (self, xyz, 3, n, categories, n_categories);
}

guint
vitrine_scatter_view_get_dims (VitrineScatterView *self)
{
  return self->xyz != NULL ? 3 : 2;
}

const float *
vitrine_scatter_view_get_positions (VitrineScatterView *self)
{
  return self->xy;
}

const float *
vitrine_scatter_view_get_depths (VitrineScatterView *self)
{
  return self->depth;
}

/* Rotation ------------------------------------------------------------------*/

/* @a ← @b · @a, 3 × 3 row-major. */
static void
multiply_left (double *a, const double *b)
{
  double out[9];

  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      out[3 * r + c] = b[3 * r] * a[c] + b[3 * r + 1] * a[3 + c] + b[3 * r + 2] * a[6 + c];
  memcpy (a, out, sizeof out);
}

void
vitrine_scatter_view_orbit (VitrineScatterView *self,
                            double              dx,
                            double              dy)
{
  double yaw = dx * VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL;
  double pitch = dy * VITRINE_SCATTER_VIEW_ORBIT_RADIANS_PER_PIXEL;
  /* About the screen's vertical axis: a drag to the right brings the front
   * (depth > 0) to the right. About its horizontal axis: a drag down
   * brings the front down (data y points up). */
  const double turn_yaw[9] = { cos (yaw), 0, sin (yaw), 0, 1, 0, -sin (yaw), 0, cos (yaw) };
  const double turn_pitch[9] = { 1, 0, 0, 0, cos (pitch), -sin (pitch), 0, sin (pitch), cos (pitch) };

  if (self->xyz == NULL)
    return;
  multiply_left (self->rotation, turn_yaw);
  multiply_left (self->rotation, turn_pitch);
  project_points (self);
  /* The point under the pointer has moved away from it. */
  if (self->hover >= 0)
    {
      self->hover = -1;
      g_signal_emit (self, signals[HOVER_CHANGED], 0, -1, 0.0, 0.0);
    }
  redraw (self);
}

void
vitrine_scatter_view_reset_rotation (VitrineScatterView *self)
{
  static const double identity[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };

  memcpy (self->rotation, identity, sizeof identity);
  project_points (self);
  redraw (self);
}

void
vitrine_scatter_view_get_rotation (VitrineScatterView *self,
                                   double              rotation[9])
{
  memcpy (rotation, self->rotation, sizeof self->rotation);
}

void
vitrine_scatter_view_get_origin (VitrineScatterView *self,
                                 double              origin[3])
{
  memcpy (origin, self->origin, sizeof self->origin);
}

void
vitrine_scatter_view_update_positions (VitrineScatterView *self,
                                       const float        *xy)
{
  if (self->xyz != NULL)
    {
      memcpy (self->xyz, xy, sizeof (float) * 3 * self->n);
      measure_3d (self);
      project_points (self);
    }
  else
    memcpy (self->xy, xy, sizeof (float) * 2 * self->n);
  self->positions_dirty = TRUE;
  if (!self->user_moved)
    vitrine_scatter_view_fit (self);
  redraw (self);
}

void
vitrine_scatter_view_set_categories (VitrineScatterView *self,
                                     const guint        *categories,
                                     guint               n_categories)
{
  /* Another colouring: every category shows again. */
  g_free (self->hidden);
  self->hidden = g_new0 (gboolean, MAX (n_categories, 1));
  self->n_categories = MAX (n_categories, 1);
  for (guint i = 0; i < self->n; i++)
    self->categories[i] = MIN (categories[i], self->n_categories - 1);
  self->categories_dirty = self->palette_dirty = TRUE;
  redraw (self);
}

/* After the hidden categories changed: one pass over the points. */
static void
hidden_changed (VitrineScatterView *self)
{
  /* A hidden point is neither hovered nor kept selected. */
  if (self->hover >= 0 && !point_shown (self, (guint) self->hover))
    self->hover = -1;
  for (guint i = 0; i < self->n; i++)
    if (self->selected[i] > 0.5f && !point_shown (self, i))
      {
        self->selected[i] = 0;
        self->selection_dirty = TRUE;
      }
  self->palette_dirty = TRUE;
  redraw (self);
  if (self->selection_dirty)
    g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
vitrine_scatter_view_set_category_hidden (VitrineScatterView *self,
                                          guint               category,
                                          gboolean            hidden)
{
  g_return_if_fail (category < self->n_categories);

  self->hidden[category] = hidden;
  hidden_changed (self);
}

void
vitrine_scatter_view_set_hidden_categories (VitrineScatterView *self,
                                            const gboolean     *hidden,
                                            guint               n_categories)
{
  g_return_if_fail (n_categories == self->n_categories);

  for (guint c = 0; c < n_categories; c++)
    self->hidden[c] = hidden[c] != FALSE;
  hidden_changed (self);
}

guint
vitrine_scatter_view_get_n_categories (VitrineScatterView *self)
{
  return self->n_categories;
}

gboolean
vitrine_scatter_view_is_category_hidden (VitrineScatterView *self,
                                         guint               category)
{
  return category < self->n_categories && self->hidden[category];
}

void
vitrine_scatter_view_set_palette (VitrineScatterView *self,
                                  VtFigurePalette     palette)
{
  g_return_if_fail (VITRINE_IS_SCATTER_VIEW (self));

  if (self->colors == palette)
    return;
  self->colors = palette;
  self->palette_dirty = TRUE;
  redraw (self);
}

VtFigurePalette
vitrine_scatter_view_get_palette (VitrineScatterView *self)
{
  return self->colors;
}

void
vitrine_scatter_view_get_category_color (VitrineScatterView *self,
                                         guint               category,
                                         VtRgba             *out)
{
  vt_figure_palette_color (self->colors, category, self->n_categories, out);
}

guint
vitrine_scatter_view_get_n_points (VitrineScatterView *self)
{
  return self->n;
}

void
vitrine_scatter_view_set_point_size (VitrineScatterView *self,
                                     double              pixels)
{
  self->point_size = CLAMP (pixels, 1, 32);
  redraw (self);
}

void
vitrine_scatter_view_set_opacity (VitrineScatterView *self,
                                  double              opacity)
{
  self->opacity = CLAMP (opacity, 0.05, 1);
  redraw (self);
}

/* Even-odd rule: whether (x, y) is inside the polygon. */
static gboolean
inside_polygon (const double *v, guint n, double x, double y)
{
  gboolean inside = FALSE;

  for (guint a = 0, b = n - 1; a < n; b = a++)
    if ((v[2 * a + 1] > y) != (v[2 * b + 1] > y) &&
        x < (v[2 * b] - v[2 * a]) * (y - v[2 * a + 1]) / (v[2 * b + 1] - v[2 * a + 1]) + v[2 * a])
      inside = !inside;
  return inside;
}

void
vitrine_scatter_view_select_polygon (VitrineScatterView *self,
                                     const double       *vertices,
                                     guint               n_vertices)
{
  for (guint i = 0; i < self->n; i++)
    {
      double sx, sy;

      to_screen (self, self->xy[2 * i], self->xy[2 * i + 1], &sx, &sy);
      self->selected[i] = n_vertices >= 3 && point_shown (self, i) && inside_polygon (vertices, n_vertices, sx, sy);
    }
  self->selection_dirty = TRUE;
  redraw (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
vitrine_scatter_view_select_points (VitrineScatterView *self,
                                    const guint        *points,
                                    guint               n)
{
  memset (self->selected, 0, sizeof (float) * self->n);
  for (guint a = 0; a < n; a++)
    if (points[a] < self->n)
      self->selected[points[a]] = 1;
  self->selection_dirty = TRUE;
  redraw (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
vitrine_scatter_view_clear_selection (VitrineScatterView *self)
{
  vitrine_scatter_view_select_polygon (self, NULL, 0);
}

GArray *
vitrine_scatter_view_get_selection (VitrineScatterView *self)
{
  GArray *selection = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->n; i++)
    if (self->selected[i] > 0.5f)
      g_array_append_val (selection, i);
  return selection;
}

/* GL ------------------------------------------------------------------------*/

static GLuint
compile_shader (GLenum type, const char *resource, GError **error)
{
  g_autoptr(GBytes) source = g_resources_lookup_data (resource, 0, error);
  GLint ok = 0;
  GLuint shader;

  if (source == NULL)
    return 0;
  shader = glCreateShader (type);
  const char *text = g_bytes_get_data (source, NULL);
  GLint length = g_bytes_get_size (source);
  glShaderSource (shader, 1, &text, &length);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";
      glGetShaderInfoLog (shader, sizeof log, NULL, log);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", resource, log);
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

static gboolean
build_program (VitrineScatterView *self, GError **error)
{
  GLuint vertex = compile_shader (GL_VERTEX_SHADER, SHADER_PATH "scatter.vert", error);
  GLuint fragment = vertex ? compile_shader (GL_FRAGMENT_SHADER, SHADER_PATH "scatter.frag", error) : 0;
  GLint ok = 0;

  if (!fragment)
    {
      if (vertex)
        glDeleteShader (vertex);
      return FALSE;
    }
  self->program = glCreateProgram ();
  glAttachShader (self->program, vertex);
  glAttachShader (self->program, fragment);
  glLinkProgram (self->program);
  glDeleteShader (vertex);
  glDeleteShader (fragment);
  glGetProgramiv (self->program, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";
      glGetProgramInfoLog (self->program, sizeof log, NULL, log);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "scatter shaders: %s", log);
      return FALSE;
    }
  self->u_center = glGetUniformLocation (self->program, "center");
  self->u_scale = glGetUniformLocation (self->program, "scale");
  self->u_viewport = glGetUniformLocation (self->program, "viewport");
  self->u_point_size = glGetUniformLocation (self->program, "point_size");
  self->u_opacity = glGetUniformLocation (self->program, "opacity");
  self->u_palette = glGetUniformLocation (self->program, "palette");
  self->u_depth_range = glGetUniformLocation (self->program, "depth_range");
  self->u_background = glGetUniformLocation (self->program, "background");

  glGenVertexArrays (1, &self->vao);
  glBindVertexArray (self->vao);
  glGenBuffers (4, self->buffers);
  for (int b = 0; b < 4; b++)
    {
      glBindBuffer (GL_ARRAY_BUFFER, self->buffers[b]);
      glEnableVertexAttribArray (b);
      glVertexAttribPointer (b, b == 0 ? 2 : 1, GL_FLOAT, GL_FALSE, 0, NULL);
    }
  glBindVertexArray (0);
  glGenTextures (1, &self->palette);
  self->positions_dirty = self->categories_dirty = self->selection_dirty = self->palette_dirty = TRUE;
  return TRUE;
}

static void
on_area_realize (GtkGLArea *area, VitrineScatterView *self)
{
  g_autoptr(GError) error = NULL;

  gtk_gl_area_make_current (area);
  if (gtk_gl_area_get_error (area) != NULL)
    {
      g_message ("Scatter view: no OpenGL (%s); drawing with Cairo", gtk_gl_area_get_error (area)->message);
      self->gl_ok = FALSE;
      gtk_widget_set_visible (self->area, FALSE);
      return;
    }
  self->gl_ok = build_program (self, &error);
  if (!self->gl_ok)
    {
      g_message ("Scatter view: %s; drawing with Cairo", error->message);
      gtk_widget_set_visible (self->area, FALSE);
    }
}

static void
on_area_unrealize (GtkGLArea *area, VitrineScatterView *self)
{
  gtk_gl_area_make_current (area);
  if (self->gl_ok && gtk_gl_area_get_error (area) == NULL)
    {
      glDeleteBuffers (4, self->buffers);
      glDeleteVertexArrays (1, &self->vao);
      glDeleteTextures (1, &self->palette);
      glDeleteProgram (self->program);
    }
  self->gl_ok = FALSE;
}

static void
upload (VitrineScatterView *self)
{
  /* The depths change with the positions (a rotation moves both). */
  const float *data[4] = { self->xy, self->categories, self->selected, self->depth };
  gboolean positions_dirty = self->positions_dirty;
  gboolean *dirty[4] = { &self->positions_dirty, &self->categories_dirty, &self->selection_dirty, &positions_dirty };

  for (int b = 0; b < 4; b++)
    if (*dirty[b])
      {
        glBindBuffer (GL_ARRAY_BUFFER, self->buffers[b]);
        glBufferData (GL_ARRAY_BUFFER, sizeof (float) * self->n * (b == 0 ? 2 : 1), data[b], GL_DYNAMIC_DRAW);
        *dirty[b] = FALSE;
      }
  if (self->palette_dirty)
    {
      g_autofree float *colors = g_new (float, 4 * self->n_categories);

      for (guint c = 0; c < self->n_categories; c++)
        {
          VtRgba rgba;
          vitrine_scatter_view_get_category_color (self, c, &rgba);
          /* Alpha 0 tells the shaders the category is hidden. */
          colors[4 * c] = rgba.r, colors[4 * c + 1] = rgba.g, colors[4 * c + 2] = rgba.b;
          colors[4 * c + 3] = self->hidden[c] ? 0 : 1;
        }
      glBindTexture (GL_TEXTURE_2D, self->palette);
      glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA32F, self->n_categories, 1, 0, GL_RGBA, GL_FLOAT, colors);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      self->palette_dirty = FALSE;
    }
}

/* Dark themes get a dark plot. */
static gboolean
is_dark (GtkWidget *widget)
{
  GdkRGBA color;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return 0.3 * color.red + 0.6 * color.green + 0.1 * color.blue > 0.5;
}

static gboolean
on_area_render (GtkGLArea *area, GdkGLContext *context, VitrineScatterView *self)
{
  int factor = gtk_widget_get_scale_factor (GTK_WIDGET (area));
  double width = gtk_widget_get_width (GTK_WIDGET (area)) * factor;
  double height = gtk_widget_get_height (GTK_WIDGET (area)) * factor;
  gint64 start = g_get_monotonic_time ();
  float background = is_dark (GTK_WIDGET (self)) ? 0.14f : 0.99f;

  if (!self->gl_ok)
    return FALSE;
  glClearColor (background, background, background, 1);
  glClearDepth (1.0);
  glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  if (self->n == 0)
    return TRUE;
  upload (self);
  /* In 3-D a nearer point hides a farther one wherever it is drawn. */
  if (self->xyz != NULL)
    {
      glEnable (GL_DEPTH_TEST);
      glDepthFunc (GL_LEQUAL);
    }
  else
    glDisable (GL_DEPTH_TEST);
  glEnable (GL_PROGRAM_POINT_SIZE);
  glEnable (GL_BLEND);
  /* GTK composites premultiplied: keep the destination's alpha at 1. */
  glBlendFuncSeparate (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glUseProgram (self->program);
  glUniform2f (self->u_center, self->center_x, self->center_y);
  glUniform1f (self->u_scale, self->scale * factor);
  glUniform2f (self->u_viewport, width, height);
  glUniform1f (self->u_point_size, self->point_size * factor);
  glUniform1f (self->u_opacity, self->opacity);
  glUniform1f (self->u_depth_range, self->xyz != NULL ? MAX (self->radius, 1e-9) : 0);
  glUniform3f (self->u_background, background, background, background);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, self->palette);
  glUniform1i (self->u_palette, 0);
  glBindVertexArray (self->vao);
  glDrawArrays (GL_POINTS, 0, self->n);
  glBindVertexArray (0);
  glUseProgram (0);
  glDisable (GL_DEPTH_TEST);
  if (self->measure)
    {
      glFinish ();
      self->frame_ms = (g_get_monotonic_time () - start) / 1000.0;
    }
  self->n_frames++;
  return TRUE;
}

static const float *sort_depths;

static int
compare_depth (const void *a, const void *b)
{
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  float da = sort_depths[ia], db = sort_depths[ib];

  /* Equal depths keep the index order, so the result is the same on every
   * qsort. */
  if (da != db)
    return da < db ? -1 : 1;
  return ia < ib ? -1 : ia > ib;
}

/* The order the Cairo fallback draws in: by index in 2-D, far to near in
 * 3-D, so that nearer points cover farther ones as the GL depth test does.
 * Main thread only (the comparison reads one static). */
static guint *
draw_order (VitrineScatterView *self)
{
  guint *order = g_new (guint, MAX (self->n, 1));

  for (guint i = 0; i < self->n; i++)
    order[i] = i;
  if (self->xyz != NULL)
    {
      sort_depths = self->depth;
      qsort (order, self->n, sizeof (guint), compare_depth);
      sort_depths = NULL;
    }
  return order;
}

guint *
vitrine_scatter_view_get_draw_order (VitrineScatterView *self)
{
  return draw_order (self);
}

/* Drawing over the points: the Cairo fallback, the hovered point, the lasso. */
static void
vitrine_scatter_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  VitrineScatterView *self = VITRINE_SCATTER_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  if (self->gl_ok)
    gtk_widget_snapshot_child (widget, self->area, snapshot);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (!self->gl_ok)
    {
      double background = is_dark (widget) ? 0.14 : 0.99;
      g_autofree guint *order = draw_order (self);

      cairo_set_source_rgb (cr, background, background, background);
      cairo_paint (cr);
      for (guint a = 0; a < self->n; a++)
        {
          guint i = order[a];
          double sx, sy, fog;
          VtRgba c;

          to_screen (self, self->xy[2 * i], self->xy[2 * i + 1], &sx, &sy);
          if (sx < -8 || sy < -8 || sx > width + 8 || sy > height + 8 || !point_shown (self, i))
            continue;
          vitrine_scatter_view_get_category_color (self, (guint) self->categories[i], &c);
          /* The shader's depth cue. */
          fog = self->xyz != NULL ? FOG * (self->radius - self->depth[i]) / (2 * MAX (self->radius, 1e-9)) : 0;
          cairo_set_source_rgba (cr, c.r + (background - c.r) * fog, c.g + (background - c.g) * fog,
                                 c.b + (background - c.b) * fog, self->opacity);
          cairo_arc (cr, sx, sy, self->point_size / 2, 0, 2 * G_PI);
          cairo_fill (cr);
          if (self->selected[i] > 0.5f)
            {
              cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
              cairo_arc (cr, sx, sy, self->point_size / 2 + 1.5, 0, 2 * G_PI);
              cairo_stroke (cr);
            }
        }
    }
  if (self->hover >= 0 && (guint) self->hover < self->n)
    {
      double sx, sy;

      to_screen (self, self->xy[2 * self->hover], self->xy[2 * self->hover + 1], &sx, &sy);
      cairo_set_line_width (cr, 2);
      cairo_set_source_rgb (cr, 0.95, 0.2, 0.1);
      cairo_arc (cr, sx, sy, self->point_size / 2 + 4, 0, 2 * G_PI);
      cairo_stroke (cr);
    }
  if (self->lassoing && self->lasso->len >= 4)
    {
      const double *v = (const double *) self->lasso->data;

      cairo_move_to (cr, v[0], v[1]);
      for (guint a = 1; a < self->lasso->len / 2; a++)
        cairo_line_to (cr, v[2 * a], v[2 * a + 1]);
      cairo_close_path (cr);
      cairo_set_source_rgba (cr, 0.2, 0.45, 0.9, 0.15);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 0.2, 0.45, 0.9, 0.9);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

/* Input ---------------------------------------------------------------------*/

static void
set_hover (VitrineScatterView *self, int hover, double x, double y)
{
  if (hover == self->hover)
    return;
  self->hover = hover;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[HOVER_CHANGED], 0, hover, x, y);
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, VitrineScatterView *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  if (!self->lassoing)
    set_hover (self, vitrine_scatter_view_pick (self, x, y), x, y);
}

static void
on_leave (GtkEventControllerMotion *motion, VitrineScatterView *self)
{
  set_hover (self, -1, 0, 0);
}

/* A mouse wheel zooms about the pointer; a touchpad's two-finger scroll
 * (pixel deltas) pans, and zooms with Ctrl, as maps do. */
static gboolean
on_scroll (GtkEventControllerScroll *scroll, double dx, double dy, VitrineScatterView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (scroll));

  if (gtk_event_controller_scroll_get_unit (scroll) == GDK_SCROLL_UNIT_SURFACE && !(state & GDK_CONTROL_MASK))
    vitrine_scatter_view_pan (self, -dx, -dy);
  else if (gtk_event_controller_scroll_get_unit (scroll) == GDK_SCROLL_UNIT_SURFACE)
    vitrine_scatter_view_zoom (self, pow (1.01, -dy), self->pointer_x, self->pointer_y);
  else
    vitrine_scatter_view_zoom (self, pow (1.15, -dy), self->pointer_x, self->pointer_y);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag *drag, double x, double y, VitrineScatterView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (drag));

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->lassoing = (state & GDK_SHIFT_MASK) != 0;
  /* In 3-D a drag turns the points (Ctrl+drag pans), as in the Projector. */
  self->orbiting = !self->lassoing && self->xyz != NULL && !(state & GDK_CONTROL_MASK);
  memcpy (self->drag_rotation, self->rotation, sizeof self->rotation);
  self->drag_start_x = self->center_x;
  self->drag_start_y = self->center_y;
  g_array_set_size (self->lasso, 0);
  if (self->lassoing)
    {
      g_array_append_val (self->lasso, x);
      g_array_append_val (self->lasso, y);
      set_hover (self, -1, 0, 0);
    }
}

/* How far a press may move and still be a click, in pixels. */
#define CLICK_SLOP 3.0

static void
on_drag_update (GtkGestureDrag *drag, double dx, double dy, VitrineScatterView *self)
{
  double x, y;

  if (self->lassoing)
    {
      gtk_gesture_drag_get_start_point (drag, &x, &y);
      x += dx;
      y += dy;
      g_array_append_val (self->lasso, x);
      g_array_append_val (self->lasso, y);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  if (self->orbiting)
    {
      /* From the rotation the drag began with; a press that has not moved
       * past the click slop stays a click. */
      memcpy (self->rotation, self->drag_rotation, sizeof self->rotation);
      if (fabs (dx) > CLICK_SLOP || fabs (dy) > CLICK_SLOP)
        vitrine_scatter_view_orbit (self, dx, dy);
      else
        {
          project_points (self);
          redraw (self);
        }
      return;
    }
  self->center_x = self->drag_start_x - dx / self->scale;
  self->center_y = self->drag_start_y + dy / self->scale;
  self->user_moved = TRUE;
  redraw (self);
}

static void
on_drag_end (GtkGestureDrag *drag, double dx, double dy, VitrineScatterView *self)
{
  if (!self->lassoing)
    {
      double x, y;
      int point;

      /* A press that did not move is a click: on a point, it activates it. */
      if (fabs (dx) > CLICK_SLOP || fabs (dy) > CLICK_SLOP || !gtk_gesture_drag_get_start_point (drag, &x, &y))
        return;
      if ((point = vitrine_scatter_view_pick (self, x, y)) >= 0)
        g_signal_emit (self, signals[POINT_ACTIVATED], 0, point);
      return;
    }
  vitrine_scatter_view_select_polygon (self, (const double *) self->lasso->data, self->lasso->len / 2);
  self->lassoing = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_zoom_begin (GtkGesture *gesture, GdkEventSequence *sequence, VitrineScatterView *self)
{
  self->zoom_scale = 1;
}

static void
on_zoom_changed (GtkGestureZoom *zoom, double scale, VitrineScatterView *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (zoom), &x, &y))
    return;
  vitrine_scatter_view_zoom (self, scale / self->zoom_scale, x, y);
  self->zoom_scale = scale;
}

static gboolean
on_key (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
        VitrineScatterView *self)
{
  switch (keyval)
    {
    case GDK_KEY_Escape:
      vitrine_scatter_view_clear_selection (self);
      return TRUE;
    case GDK_KEY_Home:
      /* In 3-D also back to the front view. */
      vitrine_scatter_view_reset_rotation (self);
      vitrine_scatter_view_fit (self);
      return TRUE;
    case GDK_KEY_plus:
    case GDK_KEY_KP_Add:
    case GDK_KEY_equal:
      vitrine_scatter_view_zoom (self, 1.25, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                                 gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      vitrine_scatter_view_zoom (self, 0.8, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                                 gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
      return TRUE;
    default:
      return FALSE;
    }
}

/* Lifecycle -----------------------------------------------------------------*/

gboolean
vitrine_scatter_view_is_gl (VitrineScatterView *self)
{
  return self->gl_ok;
}

void
vitrine_scatter_view_set_measure (VitrineScatterView *self,
                                  gboolean            measure)
{
  self->measure = measure;
}

double
vitrine_scatter_view_get_frame_ms (VitrineScatterView *self)
{
  return self->frame_ms;
}

guint
vitrine_scatter_view_get_n_frames (VitrineScatterView *self)
{
  return self->n_frames;
}

static void
vitrine_scatter_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  VitrineScatterView *self = VITRINE_SCATTER_VIEW (widget);

  gtk_widget_allocate (self->area, width, height, baseline, NULL);
  if (!self->user_moved)
    vitrine_scatter_view_fit (self);
}

static void
vitrine_scatter_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                              int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 120;
  *natural = 480;
}

static void
vitrine_scatter_view_dispose (GObject *object)
{
  VitrineScatterView *self = VITRINE_SCATTER_VIEW (object);

  g_clear_pointer (&self->area, gtk_widget_unparent);
  G_OBJECT_CLASS (vitrine_scatter_view_parent_class)->dispose (object);
}

static void
vitrine_scatter_view_finalize (GObject *object)
{
  VitrineScatterView *self = VITRINE_SCATTER_VIEW (object);

  g_free (self->xy);
  g_free (self->xyz);
  g_free (self->depth);
  g_free (self->categories);
  g_free (self->selected);
  g_free (self->hidden);
  g_array_unref (self->lasso);
  G_OBJECT_CLASS (vitrine_scatter_view_parent_class)->finalize (object);
}

static void
vitrine_scatter_view_class_init (VitrineScatterViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_scatter_view_dispose;
  object_class->finalize = vitrine_scatter_view_finalize;
  widget_class->snapshot = vitrine_scatter_view_snapshot;
  widget_class->size_allocate = vitrine_scatter_view_size_allocate;
  widget_class->measure = vitrine_scatter_view_measure;
  gtk_widget_class_set_css_name (widget_class, "scatterview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);

  /* The selection changed (a lasso, Escape, new points). */
  signals[SELECTION_CHANGED] = g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A click on point @point (a press that did not move, without Shift). */
  signals[POINT_ACTIVATED] = g_signal_new ("point-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  /* The pointer is over another point (or none: -1), at widget (x, y). */
  signals[HOVER_CHANGED] = g_signal_new ("hover-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                         G_TYPE_INT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
vitrine_scatter_view_init (VitrineScatterView *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();
  GtkEventController *key = gtk_event_controller_key_new ();

  self->point_size = 4;
  self->opacity = 0.8;
  self->scale = 1;
  self->hover = -1;
  self->gl_ok = FALSE;
  self->lasso = g_array_new (FALSE, FALSE, sizeof (double));
  vitrine_scatter_view_reset_rotation (self);

  self->area = gtk_gl_area_new ();
  gtk_gl_area_set_required_version (GTK_GL_AREA (self->area), 3, 3);
  /* For 3-D layouts: nearer points hide farther ones. */
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self->area), TRUE);
  gtk_widget_set_parent (self->area, GTK_WIDGET (self));
  g_signal_connect (self->area, "realize", G_CALLBACK (on_area_realize), self);
  g_signal_connect (self->area, "unrealize", G_CALLBACK (on_area_unrealize), self);
  g_signal_connect (self->area, "render", G_CALLBACK (on_area_render), self);

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
vitrine_scatter_view_new (void)
{
  return g_object_new (VITRINE_TYPE_SCATTER_VIEW, NULL);
}
