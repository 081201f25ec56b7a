/* vitrine-file-chooser.c: GtkFileChooserNative with a callback. */
#include "vitrine-file-chooser.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  VitrineFileChosen  chosen;
  gpointer           user_data;
} Request;

static void
on_response (GtkNativeDialog *chooser,
             int              response,
             Request         *request)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      request->chosen (file, request->user_data);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_free (request);
}

static void
choose (GtkWidget             *widget,
        const char            *title,
        GtkFileChooserAction   action,
        GtkFileFilter        **filters,
        const char            *accept,
        const char            *suggested_name,
        VitrineFileChosen      chosen,
        gpointer               user_data)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  Request *request = g_new (Request, 1);

  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         action, accept, _("_Cancel"));
  for (guint i = 0; filters && filters[i]; i++)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filters[i]);
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested_name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  request->chosen = chosen;
  request->user_data = user_data;
  g_signal_connect (chooser, "response", G_CALLBACK (on_response), request);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
vitrine_choose_file (GtkWidget          *widget,
                     const char         *title,
                     GtkFileFilter     **filters,
                     VitrineFileChosen   chosen,
                     gpointer            user_data)
{
  choose (widget, title, GTK_FILE_CHOOSER_ACTION_OPEN, filters, _("_Open"), NULL, chosen, user_data);
}

void
vitrine_choose_folder (GtkWidget          *widget,
                       const char         *title,
                       VitrineFileChosen   chosen,
                       gpointer            user_data)
{
  choose (widget, title, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, NULL, _("_Open"), NULL, chosen, user_data);
}

void
vitrine_choose_save_file (GtkWidget          *widget,
                          const char         *title,
                          const char         *suggested_name,
                          VitrineFileChosen   chosen,
                          gpointer            user_data)
{
  choose (widget, title, GTK_FILE_CHOOSER_ACTION_SAVE, NULL, _("_Save"), suggested_name, chosen, user_data);
}

char *
vitrine_figure_base_path (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  char *dot = path ? strrchr (path, '.') : NULL;

  if (dot && strchr (dot, G_DIR_SEPARATOR) == NULL &&
      (g_str_equal (dot, ".png") || g_str_equal (dot, ".svg") || g_str_equal (dot, ".pdf")))
    *dot = '\0';
  return g_steal_pointer (&path);
}
