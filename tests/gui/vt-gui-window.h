/* vt-gui-window.h: the real window as the GUI tests open it and wait for it. */
#pragma once

#include "vitrine-application.h"
#include "vitrine-window.h"

G_BEGIN_DECLS

/* For vt_gui_wait_until: @window (a VitrineWindow) loads no file. */
gboolean       vt_gui_window_loaded (gpointer            window);
/* For vt_gui_wait_until: @page (a VitrineDatasetPage) opens or extracts nothing. */
gboolean       vt_gui_dataset_idle  (gpointer            page);

/* data/demo/@name in the source tree ($VITRINE_SOURCE_DIR). */
char          *vt_gui_demo_file     (const char         *name);
/* A new window of @app, presented, with @checkpoint (NULL: none) opened
 * and loaded. */
VitrineWindow *vt_gui_open_window   (VitrineApplication *app,
                                     const char         *checkpoint);
/* Opens the dataset at @path in @window and waits until it is open. */
void           vt_gui_open_dataset  (VitrineWindow      *window,
                                     const char         *path);

G_END_DECLS
