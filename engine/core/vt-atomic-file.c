/* vt-atomic-file.c: temporary file, then rename. */
#include "vt-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
fail (GError     **error,
      int          saved_errno,
      const char  *path,
      const char  *what)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "%s: cannot %s: %s", path, what, g_strerror (saved_errno));
  return FALSE;
}

gboolean
vt_atomic_file_write (const char  *path,
                      const void  *contents,
                      gsize        length,
                      GError     **error)
{
  g_autofree char *partial = g_strconcat (path, VT_ATOMIC_FILE_PARTIAL "XXXXXX", NULL);
  gboolean replacing = g_file_test (path, G_FILE_TEST_EXISTS);
  const char *p = contents;
  int fd, saved;

  fd = g_mkstemp_full (partial, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail (error, errno, path, "create a temporary file beside it");
  while (length > 0)
    {
      gssize n = write (fd, p, MIN (length, (gsize) G_MAXSSIZE));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto failed;
      p += n;
      length -= (gsize) n;
    }
  /* As GLib's G_FILE_SET_CONTENTS_CONSISTENT: when a file is replaced, its
   * new bytes reach the disk before the rename does, so a crash cannot
   * leave an empty file where a good one was. */
  if (replacing && fsync (fd) != 0)
    goto failed;
  if (close (fd) != 0)
    {
      fd = -1;
      goto failed;
    }
  fd = -1;
  if (g_rename (partial, path) != 0)
    goto failed;
  return TRUE;

failed:
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (partial);
  return fail (error, saved, path, "write");
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
