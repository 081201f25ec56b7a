/* vt-gui-util.c: spinning the main loop and window screenshots. */
#include "vt-gui-util.h"

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
vt_gui_spin (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, on_timeout, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  *(gboolean *) data = TRUE;
}

gboolean
vt_gui_wait_painted (GtkWidget *widget,
                     guint      ms)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE, over = FALSE;
  guint timeout;
  gulong handler;

  if (clock == NULL)
    return FALSE;
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  timeout = g_timeout_add (ms, on_timeout, &over);
  /* Something must ask for the frame: a change may be waiting for one. */
  gtk_widget_queue_draw (widget);
  while (!painted && !over)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, handler);
  if (!over)
    g_source_remove (timeout);
  return painted;
}

GdkTexture *
vt_gui_render (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  gint64 give_up = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* Under load the widget may not be laid out and drawn yet: retry. */
  while (node == NULL && g_get_monotonic_time () < give_up)
    {
      int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      if (width > 0 && height > 0)
        gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node == NULL)
        vt_gui_spin (50);
    }
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node, NULL);
}

gboolean
vt_gui_save_png (GtkWidget  *widget,
                 const char *path)
{
  g_autoptr(GdkTexture) texture = vt_gui_render (widget);
  g_autofree char *dir = g_path_get_dirname (path);

  if (texture == NULL)
    return FALSE;
  g_mkdir_with_parents (dir, 0755);
  return gdk_texture_save_to_png (texture, path);
}
