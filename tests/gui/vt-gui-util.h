/* vt-gui-util.h: what the GUI tests and GUI benchmarks share. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Spins the main loop for @ms milliseconds. */
void      vt_gui_spin      (guint       ms);
/* Spins the main loop until @widget's frame clock has painted a frame
 * (its layout, binds included, comes before the paint); FALSE when none
 * came within @ms milliseconds. */
gboolean  vt_gui_wait_painted (GtkWidget *widget,
                               guint      ms);
/* What @widget shows (GL content included), or NULL when it was not laid
 * out and drawn within ten seconds. */
GdkTexture *vt_gui_render  (GtkWidget  *widget);
/* Writes what @widget shows (GL content included) as a PNG at @path;
 * FALSE when it was not laid out and drawn within ten seconds. */
gboolean  vt_gui_save_png  (GtkWidget  *widget,
                            const char *path);

G_END_DECLS
