/* vt-csv.h: the one CSV writer for every table a run writes.
 *
 * RFC 4180: fields are separated by commas; a field that holds a comma, a
 * double quote, a carriage return or a line feed is put in double quotes,
 * with each double quote inside doubled. Rows end in "\n" (Python's csv
 * module, R and spreadsheets read either ending). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @field (NULL: an empty field) to @csv, quoted where it must be. */
void  vt_csv_append_field  (GString             *csv,
                            const char          *field);

/* Appends @n fields, separated by commas, and the row's end. */
void  vt_csv_append_row    (GString             *csv,
                            guint                n,
                            const char * const  *fields);

G_END_DECLS
