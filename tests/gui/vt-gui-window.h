/* vt-gui-window.h: what the GUI tests wait for in the real window. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For vt_gui_wait_until: @window (a VitrineWindow) loads no file. */
gboolean vt_gui_window_loaded (gpointer window);
/* For vt_gui_wait_until: @page (a VitrineDatasetPage) opens or extracts nothing. */
gboolean vt_gui_dataset_idle  (gpointer page);

G_END_DECLS
