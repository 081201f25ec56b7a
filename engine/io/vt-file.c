/* vt-file.c: opening user-named files without blocking, regular files only,
 * and reading them under a size limit. */
#include "vt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

G_DEFINE_QUARK (vt-file-error-quark, vt_file_error)

static const char *
describe_type (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a folder";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a plain file";
}

static gboolean
not_regular (const char   *path,
             mode_t        mode,
             GError      **error)
{
  g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_NOT_REGULAR,
               "%s: is %s, not a regular file; name a file that holds the data",
               path, describe_type (mode));
  return FALSE;
}

int
vt_file_open (const char   *path,
              struct stat  *st,
              GError      **error)
{
  struct stat local;
  int fd, saved;

  if (st == NULL)
    st = &local;
  /* stat first, so that a device is never even opened (opening some has
   * effects, a tape rewinds); then O_NONBLOCK, so that a FIFO put there in
   * between does not wait for a writer; then fstat what was opened. */
  if (g_stat (path, st) != 0)
    {
      saved = errno;
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_OPEN, "%s: cannot be read: %s", path, g_strerror (saved));
      return -1;
    }
  if (!S_ISREG (st->st_mode))
    {
      not_regular (path, st->st_mode, error);
      return -1;
    }
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_OPEN, "%s: cannot be read: %s", path, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      not_regular (path, st->st_mode, error);
      close (fd);
      return -1;
    }
  /* A regular file never blocks anyway; clear the flag so reads are plain. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

gboolean
vt_file_read_exactly (int          fd,
                      void        *buffer,
                      gsize        size,
                      const char  *path,
                      GError     **error)
{
  guint8 *p = buffer;

  while (size > 0)
    {
      gssize got = read (fd, p, MIN (size, (gsize) 1 << 30));

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        {
          int saved = errno;
          g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_READ, "%s: %s", path,
                       got < 0 ? g_strerror (saved) : "the file ended early (did it shrink while being read?)");
          return FALSE;
        }
      p += got;
      size -= (gsize) got;
    }
  return TRUE;
}

gboolean
vt_file_get_contents (const char  *path,
                      gsize        max_size,
                      char       **contents,
                      gsize       *length,
                      GError     **error)
{
  struct stat st;
  g_autofree char *data = NULL;
  gsize size;
  char extra;
  gssize got;
  int fd = vt_file_open (path, &st, error);

  if (fd < 0)
    return FALSE;
  if ((guint64) st.st_size > max_size)
    {
      g_autofree char *limit = g_format_size_full (max_size, G_FORMAT_SIZE_IEC_UNITS);
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_TOO_LARGE,
                   "%s: %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " (%s) such a file may hold; "
                   "is this the right file?", path, (guint64) st.st_size, max_size, limit);
      close (fd);
      return FALSE;
    }
  size = (gsize) st.st_size;
  data = g_malloc (size + 1);
  if (!vt_file_read_exactly (fd, data, size, path, error))
    {
      close (fd);
      return FALSE;
    }
  /* A file that grew since fstat is being written: its end is not there yet. */
  while ((got = read (fd, &extra, 1)) < 0 && errno == EINTR)
    ;
  close (fd);
  if (got != 0)
    {
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_READ,
                   "%s: the file grew while being read; read it again once it is written", path);
      return FALSE;
    }
  data[size] = '\0';
  if (length)
    *length = size;
  *contents = g_steal_pointer (&data);
  return TRUE;
}
