/* vt-gui-window.c: what the GUI tests wait for in the real window. */
#include "vt-gui-window.h"
#include "vitrine-dataset-page.h"
#include "vitrine-window.h"

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
