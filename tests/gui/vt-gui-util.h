/* vt-gui-util.h: what the GUI tests and GUI benchmarks share. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Spins the main loop for @ms milliseconds. */
void      vt_gui_spin        (guint       ms);
/* Spins the main loop until @widget's frame clock has painted a frame
 * (its layout, binds included, comes before the paint); FALSE when none
 * came within @ms milliseconds. */
gboolean  vt_gui_wait_painted (GtkWidget *widget,
                               guint      ms);
/* What @widget shows (GL content included), or NULL when it was not laid
 * out and drawn within ten seconds. */
GdkTexture *vt_gui_render    (GtkWidget  *widget);
/* Writes what @widget shows (GL content included) as a PNG at @path;
 * FALSE when it was not laid out and drawn within ten seconds. */
gboolean  vt_gui_save_png    (GtkWidget  *widget,
                              const char *path);

/* Steps with deadlines. A step that has not ended @seconds after it began
 * ends the process: a watchdog thread prints "Bail out!" with the names of
 * the steps under way and aborts, even when the main thread is stuck in a
 * call that never returns. Each step prints a line as it begins, so the log
 * of a test killed from outside also says where it was. Steps nest; the
 * innermost one's deadline counts. VITRINE_DEADLINE_SCALE (a number above
 * 1) stretches every deadline, for valgrind or a sanitizer build. */
void      vt_gui_step_begin  (guint       seconds,
                              const char *format,
                              ...) G_GNUC_PRINTF (2, 3);
void      vt_gui_step_end    (void);
/* A step that spins the main loop until @done (@data) holds. */
void      vt_gui_wait_until  (gboolean  (*done) (gpointer),
                              gpointer    data,
                              guint       seconds,
                              const char *what);
/* Destroys @window and waits (a step) until it is finalized: a reference a
 * test or the window's widgets keep would hang the test, not pass it. */
void      vt_gui_close_window (GtkWindow *window);

G_END_DECLS
