/* vt-gui-util.c: spinning the main loop, steps with deadlines, window
 * screenshots, and closing a window. */
#include "vt-gui-util.h"

#include <stdio.h>
#include <stdlib.h>

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
vt_gui_spin (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, on_timeout, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

/* Steps ---------------------------------------------------------------------*/

typedef struct
{
  char   *name;
  guint   seconds;
  gint64  deadline;   /* monotonic, µs */
} Step;

/* The steps under way, outermost first; the main thread pushes and pops,
 * the watchdog reads. */
static GMutex  steps_lock;
static GCond   steps_changed;
static GArray *steps;

static void
report_overdue (const Step *overdue)
{
  g_autoptr(GString) where = g_string_new (NULL);

  for (guint i = 0; i < steps->len; i++)
    g_string_append_printf (where, "%s%s", i ? " › " : "", g_array_index (steps, Step, i).name);
  /* Plain stdio, not g_log: the main thread may hold GLib's locks. */
  printf ("Bail out! the step “%s” did not finish within %u s (under way: %s)\n",
          overdue->name, overdue->seconds, where->str);
  fflush (stdout);
  fprintf (stderr, "the step “%s” did not finish within %u s (under way: %s)\n",
           overdue->name, overdue->seconds, where->str);
  fflush (stderr);
}

/* Waits for the innermost step's deadline; a step that ends or begins wakes
 * it to wait for the new innermost one. */
static gpointer
watchdog (gpointer data)
{
  g_mutex_lock (&steps_lock);
  for (;;)
    {
      const Step *top = steps->len ? &g_array_index (steps, Step, steps->len - 1) : NULL;

      if (top == NULL)
        g_cond_wait (&steps_changed, &steps_lock);
      else if (g_get_monotonic_time () >= top->deadline)
        {
          report_overdue (top);
          abort ();
        }
      else
        g_cond_wait_until (&steps_changed, &steps_lock, top->deadline);
    }
  return NULL;
}

/* VITRINE_DEADLINE_SCALE stretches every deadline, for runs that are slow
 * on purpose (valgrind, a sanitizer build). */
static double
deadline_scale (void)
{
  const char *text = g_getenv ("VITRINE_DEADLINE_SCALE");
  double scale = text ? g_ascii_strtod (text, NULL) : 1.0;

  return scale >= 1.0 ? scale : 1.0;
}

void
vt_gui_step_begin (guint       seconds,
                   const char *format,
                   ...)
{
  Step step = { NULL, (guint) (seconds * deadline_scale ()), 0 };
  va_list args;

  va_start (args, format);
  step.name = g_strdup_vprintf (format, args);
  va_end (args);
  /* On stdout as a TAP comment, at once: a log cut short still shows it. */
  printf ("# step: %s (at most %u s)\n", step.name, step.seconds);
  step.deadline = g_get_monotonic_time () + step.seconds * G_USEC_PER_SEC;
  fflush (stdout);

  g_mutex_lock (&steps_lock);
  if (steps == NULL)
    {
      steps = g_array_new (FALSE, FALSE, sizeof (Step));
      g_thread_unref (g_thread_new ("watchdog", watchdog, NULL));
    }
  g_array_append_val (steps, step);
  g_cond_signal (&steps_changed);
  g_mutex_unlock (&steps_lock);
}

void
vt_gui_step_end (void)
{
  g_mutex_lock (&steps_lock);
  g_assert (steps != NULL && steps->len > 0);
  g_free (g_array_index (steps, Step, steps->len - 1).name);
  g_array_set_size (steps, steps->len - 1);
  g_cond_signal (&steps_changed);
  g_mutex_unlock (&steps_lock);
}

void
vt_gui_wait_until (gboolean  (*done) (gpointer),
                   gpointer    data,
                   guint       seconds,
                   const char *what)
{
  guint id;

  vt_gui_step_begin (seconds, "wait for %s", what);
  /* Wake the loop now and then, so a condition that changes without any
   * event (a flag set by a worker) is seen. */
  id = g_timeout_add (100, wake, NULL);
  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  vt_gui_step_end ();
}

/* Screenshots ---------------------------------------------------------------*/



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

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

void
vt_gui_close_window (GtkWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (window);
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}
