/* vt-csv.c: RFC 4180 fields and rows. */
#include "vt-csv.h"

#include "io/vt-file.h"

#include <string.h>

G_DEFINE_QUARK (vt-csv-error-quark, vt_csv_error)

/* Whether @field must be quoted: RFC 4180's comma, quote and line ends. */
static gboolean
needs_quotes (const char *field)
{
  return strpbrk (field, ",\"\r\n") != NULL;
}

void
vt_csv_append_field (GString    *csv,
                     const char *field)
{
  if (field == NULL)
    return;
  if (!needs_quotes (field))
    {
      g_string_append (csv, field);
      return;
    }
  g_string_append_c (csv, '"');
  for (const char *p = field; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  g_string_append_c (csv, '"');
}

void
vt_csv_write_field (VtFileWriter *writer,
                    const char   *field)
{
  if (field == NULL)
    return;
  if (!needs_quotes (field))
    {
      vt_file_writer_append (writer, field);
      return;
    }
  vt_file_writer_putc (writer, '"');
  for (const char *p = field; *p; p++)
    {
      if (*p == '"')
        vt_file_writer_putc (writer, '"');
      vt_file_writer_putc (writer, *p);
    }
  vt_file_writer_putc (writer, '"');
}

void
vt_csv_append_row (GString             *csv,
                   guint                n,
                   const char * const  *fields)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (csv, ',');
      vt_csv_append_field (csv, fields[i]);
    }
  g_string_append_c (csv, '\n');
}

gboolean
vt_csv_read (const char    *path,
             VtCsvRowFunc   func,
             gpointer       user_data,
             GError       **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  gsize length = 0, i = 0;
  guint row = 0, line = 1;

  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &text, &length, &local_error))
    {
      g_set_error (error, VT_CSV_ERROR, VT_CSV_ERROR_READ, "%s", local_error->message);
      return FALSE;
    }
  while (i < length)
    {
      gboolean quoted = text[i] == '"';

      g_string_truncate (field, 0);
      if (quoted)
        {
          for (i++;; i++)
            {
              if (i >= length)
                {
                  g_set_error (error, VT_CSV_ERROR, VT_CSV_ERROR_SYNTAX, "%s: line %u: a quoted field never ends",
                               path, line);
                  return FALSE;
                }
              if (text[i] == '"' && i + 1 < length && text[i + 1] == '"')
                i++;
              else if (text[i] == '"')
                break;
              else if (text[i] == '\n')
                line++;
              g_string_append_c (field, text[i]);
            }
          i++;
        }
      else
        for (; i < length && text[i] != ',' && text[i] != '\n' && text[i] != '\r'; i++)
          {
            if (text[i] == '"')
              {
                g_set_error (error, VT_CSV_ERROR, VT_CSV_ERROR_SYNTAX,
                             "%s: line %u: a quote inside a field that does not start with one", path, line);
                return FALSE;
              }
            g_string_append_c (field, text[i]);
          }
      g_ptr_array_add (fields, g_strndup (field->str, field->len));
      if (i < length && text[i] == ',')
        {
          i++;
          continue;
        }
      if (i < length && text[i] != '\r' && text[i] != '\n')
        {
          g_set_error (error, VT_CSV_ERROR, VT_CSV_ERROR_SYNTAX, "%s: line %u: text after a quoted field", path, line);
          return FALSE;
        }
      /* The record ends: "\n", "\r\n" or the end of the file. */
      if (i < length && text[i] == '\r')
        i++;
      if (i < length && text[i] == '\n')
        i++;
      line++;
      g_ptr_array_add (fields, NULL);
      if (!func (row++, fields->len - 1, (char * const *) fields->pdata, user_data, error))
        return FALSE;
      g_ptr_array_set_size (fields, 0);
    }
  /* "a," at the very end: the record's last field is empty. */
  if (fields->len > 0)
    {
      g_ptr_array_add (fields, g_strdup (""));
      g_ptr_array_add (fields, NULL);
      return func (row, fields->len - 1, (char * const *) fields->pdata, user_data, error);
    }
  return TRUE;
}
