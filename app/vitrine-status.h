/* vitrine-status.h: a page's status line when it shows an error.
 *
 * The page keeps the message (its get_error, which the tests read) until
 * the next run, or a reopened one, clears it; the line is styled "error"
 * meanwhile. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows @message in @status as an error and keeps a copy in *@kept. */
void vitrine_status_show_error  (GtkLabel   *status,
                                 char      **kept,
                                 const char *message);
/* Forgets *@kept and takes the error style off @status (its text stays
 * until the page writes another). */
void vitrine_status_clear_error (GtkLabel   *status,
                                 char      **kept);

G_END_DECLS
