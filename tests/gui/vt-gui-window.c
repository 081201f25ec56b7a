/* vt-gui-window.c: the real window as the GUI tests open it and wait for it. */
#include "vt-gui-window.h"
#include "vitrine-dataset-page.h"
#include "vt-gui-util.h"

gboolean
vt_gui_window_loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

gboolean
vt_gui_dataset_idle (gpointer page)
{
  return !vitrine_dataset_page_is_busy (page);
}

char *
vt_gui_demo_file (const char *name)
{
  return g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", name, NULL);
}

VitrineWindow *
vt_gui_open_window (VitrineApplication *app,
                    const char         *checkpoint)
{
  VitrineWindow *window = vitrine_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  if (checkpoint)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", checkpoint);
      vt_gui_wait_until (vt_gui_window_loaded, window, 60, "the checkpoint to load");
    }
  return window;
}

void
vt_gui_open_dataset (VitrineWindow *window,
                     const char    *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  vitrine_window_open_dataset (window, file);
  vt_gui_wait_until (vt_gui_dataset_idle, vitrine_window_get_dataset_page (window), 60, "the dataset to open");
}
