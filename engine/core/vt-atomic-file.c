/* vt-atomic-file.c: a whole file at once, and the sweep of what killed writers left. */
#include "vt-atomic-file.h"
#include "vt-file-writer.h"

#include <glib/gstdio.h>
#include <string.h>

/* One write through the row writer: the same temporary name, sync and
 * rename for a whole file as for one written row by row. */
gboolean
vt_atomic_file_write (const char  *path,
                      const void  *contents,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(VtFileWriter) writer = vt_file_writer_new (path, error);

  if (writer == NULL)
    return FALSE;
  vt_file_writer_write (writer, contents, length);
  return vt_file_writer_commit (writer, error);
}

guint
vt_atomic_file_sweep (const char *dir,
                      const char *name,
                      gint64      before)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *prefix = g_strconcat (name ? name : "", VT_ATOMIC_FILE_PARTIAL, NULL);
  const char *entry;
  guint removed = 0;

  while (d && (entry = g_dir_read_name (d)) != NULL)
    {
      const char *at = strstr (entry, VT_ATOMIC_FILE_PARTIAL);
      g_autofree char *path = NULL;
      GStatBuf st;

      if (at == NULL || at == entry || (name != NULL && !g_str_has_prefix (entry, prefix)))
        continue;
      path = g_build_filename (dir, entry, NULL);
      /* To the microsecond: a file of this second may be a newer writer's. */
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode) ||
          (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000 >= before)
        continue;
      if (g_unlink (path) == 0)
        removed++;
    }
  return removed;
}
