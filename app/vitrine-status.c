/* vitrine-status.c: a page's status line when it shows an error. */
#include "vitrine-status.h"

void
vitrine_status_show_error (GtkLabel   *status,
                           char      **kept,
                           const char *message)
{
  g_free (*kept);
  *kept = g_strdup (message);
  gtk_label_set_text (status, message);
  gtk_widget_add_css_class (GTK_WIDGET (status), "error");
}

void
vitrine_status_clear_error (GtkLabel  *status,
                            char     **kept)
{
  g_clear_pointer (kept, g_free);
  gtk_widget_remove_css_class (GTK_WIDGET (status), "error");
}
