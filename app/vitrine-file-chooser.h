/* vitrine-file-chooser.h: asking for one file or folder to open, or a file to save. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*VitrineFileChosen) (GFile    *file,
                                   gpointer  user_data);

/* Shows a modal "open" chooser over @widget's window with @filters
 * (NULL-terminated, borrowed); calls @chosen only if the user picks a file. */
void  vitrine_choose_file  (GtkWidget          *widget,
                            const char         *title,
                            GtkFileFilter     **filters,
                            VitrineFileChosen   chosen,
                            gpointer            user_data);

/* The same for a folder. */
void  vitrine_choose_folder (GtkWidget          *widget,
                             const char         *title,
                             VitrineFileChosen   chosen,
                             gpointer            user_data);

/* A "save" chooser that proposes @suggested_name. */
void  vitrine_choose_save_file (GtkWidget          *widget,
                                const char         *title,
                                const char         *suggested_name,
                                VitrineFileChosen   chosen,
                                gpointer            user_data);

/* A figure's path without the extension the user may have typed (.png,
 * .svg, .pdf): all three formats are written beside it. NULL for a file
 * that is not local. */
char *vitrine_figure_base_path (GFile *file);

G_END_DECLS
