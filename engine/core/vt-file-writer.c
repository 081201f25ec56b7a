/* vt-file-writer.c: buffered rows into a temporary file, renamed on commit. */
#include "vt-file-writer.h"
#include "vt-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* Large enough that a row costs no system call, small beside any store. */
#define BUFFER_SIZE (1 << 20)

struct _VtFileWriter
{
  char  *path;
  char  *temp_path;   /* NULL once renamed into place */
  FILE  *file;
  char  *buffer;
  gboolean replacing;  /* a file was at @path when the writer started */
  int    error;       /* the first errno a write met, 0 while all is well */
};

static void
set_errno_error (GError **error, int code, const char *path, const char *what)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code), "%s: %s: %s", path, what,
               g_strerror (code));
}

VtFileWriter *
vt_file_writer_new (const char  *path,
                    GError     **error)
{
  g_autoptr(VtFileWriter) self = g_new0 (VtFileWriter, 1);
  int fd;

  self->path = g_strdup (path);
  self->replacing = g_file_test (path, G_FILE_TEST_EXISTS);
  /* A run sweeps this name if a kill leaves it (vt-atomic-file.h). */
  self->temp_path = g_strdup_printf ("%s" VT_ATOMIC_FILE_PARTIAL "XXXXXX", path);
  fd = g_mkstemp_full (self->temp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int code = errno;

      g_clear_pointer (&self->temp_path, g_free);
      set_errno_error (error, code, path, "cannot create a temporary file beside it");
      return NULL;
    }
  self->file = fdopen (fd, "w");
  if (self->file == NULL)
    {
      int code = errno;

      close (fd);
      set_errno_error (error, code, path, "cannot write");
      return NULL;
    }
  self->buffer = g_malloc (BUFFER_SIZE);
  setvbuf (self->file, self->buffer, _IOFBF, BUFFER_SIZE);
  return g_steal_pointer (&self);
}

static void
note_error (VtFileWriter *self)
{
  if (self->error == 0 && ferror (self->file))
    self->error = errno ? errno : EIO;
}

void
vt_file_writer_append (VtFileWriter *self,
                       const char   *text)
{
  fputs (text, self->file);
  note_error (self);
}

void
vt_file_writer_write (VtFileWriter *self,
                      const void   *data,
                      gsize         length)
{
  if (length > 0)
    fwrite (data, 1, length, self->file);
  note_error (self);
}

void
vt_file_writer_putc (VtFileWriter *self,
                     char          c)
{
  putc (c, self->file);
  note_error (self);
}

void
vt_file_writer_printf (VtFileWriter *self,
                       const char   *format,
                       ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (self->file, format, args);
  va_end (args);
  note_error (self);
}

gboolean
vt_file_writer_commit (VtFileWriter  *self,
                       GError       **error)
{
  FILE *file = g_steal_pointer (&self->file);

  g_return_val_if_fail (file != NULL, FALSE);
  /* As GLib's G_FILE_SET_CONTENTS_CONSISTENT: when a file is replaced, its
   * new bytes reach the disk before the rename does, so a crash leaves the
   * old file or the whole new one, never an empty one under its name. */
  if (fflush (file) != 0 && self->error == 0)
    self->error = errno;
  if (ferror (file) && self->error == 0)
    self->error = EIO;
  if (self->replacing && fsync (fileno (file)) != 0 && self->error == 0)
    self->error = errno;
  if (fclose (file) != 0 && self->error == 0)
    self->error = errno;
  if (self->error != 0)
    {
      set_errno_error (error, self->error, self->path, "cannot write");
      return FALSE;
    }
  if (g_rename (self->temp_path, self->path) != 0)
    {
      set_errno_error (error, errno, self->path, "cannot move the finished file into place");
      return FALSE;
    }
  g_clear_pointer (&self->temp_path, g_free);
  return TRUE;
}

void
vt_file_writer_free (VtFileWriter *self)
{
  if (self == NULL)
    return;
  if (self->file != NULL)
    fclose (self->file);
  if (self->temp_path != NULL)
    g_unlink (self->temp_path);
  g_free (self->temp_path);
  g_free (self->path);
  g_free (self->buffer);
  g_free (self);
}
