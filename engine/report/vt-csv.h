/* vt-csv.h: the one CSV writer for every table a run writes.
 *
 * RFC 4180: fields are separated by commas; a field that holds a comma, a
 * double quote, a carriage return or a line feed is put in double quotes,
 * with each double quote inside doubled. Rows end in "\n" (Python's csv
 * module, R and spreadsheets read either ending). */
#pragma once

#include <glib.h>

#include "core/vt-file-writer.h"

G_BEGIN_DECLS

/* Appends @field (NULL: an empty field) to @csv, quoted where it must be. */
void  vt_csv_append_field  (GString             *csv,
                            const char          *field);

/* The same, into a streamed file (vt-file-writer.h). */
void  vt_csv_write_field   (VtFileWriter        *writer,
                            const char          *field);

/* Appends @n fields, separated by commas, and the row's end. */
void  vt_csv_append_row    (GString             *csv,
                            guint                n,
                            const char * const  *fields);

#define VT_CSV_ERROR (vt_csv_error_quark ())
GQuark vt_csv_error_quark (void);

typedef enum
{
  VT_CSV_ERROR_READ,      /* the file cannot be read */
  VT_CSV_ERROR_SYNTAX,    /* a quote where none may be, or one never closed */
  VT_CSV_ERROR_ROW,       /* the row's receiver refused it */
} VtCsvError;

/* Called for each record (the header too, @row 0), with its fields; the
 * fields are valid only during the call. FALSE (with @error set) stops. */
typedef gboolean (*VtCsvRowFunc) (guint          row,
                                  guint          n_fields,
                                  char * const  *fields,
                                  gpointer       user_data,
                                  GError       **error);

/* Reads the RFC 4180 file @path (at most VT_FILE_MAX_TEXT_SIZE bytes),
 * record by record. Errors start with the path. */
gboolean  vt_csv_read      (const char          *path,
                            VtCsvRowFunc         func,
                            gpointer             user_data,
                            GError             **error);

G_END_DECLS
