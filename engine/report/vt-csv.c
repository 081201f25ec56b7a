/* vt-csv.c: RFC 4180 fields and rows. */
#include "vt-csv.h"

#include <string.h>

void
vt_csv_append_field (GString    *csv,
                     const char *field)
{
  if (field == NULL)
    return;
  if (strpbrk (field, ",\"\r\n") == NULL)
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
