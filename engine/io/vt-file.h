/* vt-file.h: opening and reading the files a user names.
 *
 * Every file Vitrine reads because a person named it (a checkpoint, its
 * config.json or index, a vocabulary, an image, an IDX or CIFAR file, a
 * list, a spec) is opened here, so that each gets the same guarantees: the
 * open never blocks (a FIFO would wait for a writer forever, beyond
 * Cancel), only regular files are read (a FIFO or a device such as
 * /dev/zero is refused by name, not read until memory runs out), and no
 * allocation is sized by more than the file really holds, under a limit
 * the caller states. */
#pragma once

#include <gio/gio.h>
#include <sys/stat.h>

G_BEGIN_DECLS

#define VT_FILE_ERROR (vt_file_error_quark ())
GQuark vt_file_error_quark (void);

typedef enum
{
  VT_FILE_ERROR_OPEN,          /* missing, unreadable */
  VT_FILE_ERROR_NOT_REGULAR,   /* a folder, FIFO, socket or device */
  VT_FILE_ERROR_TOO_LARGE,     /* above the caller's limit */
  VT_FILE_ERROR_READ,          /* a read failed, or the file shrank while read */
  VT_FILE_ERROR_CHANGED,       /* changed on disk while Vitrine used it */
} VtFileError;

/* What text files (JSON, CSV, vocabularies, merges) may hold: far above any
 * real one (CLIP's vocab.json is 1.7 MB, a list of a million samples about
 * 60 MB), and low enough that a wrong path cannot exhaust memory. */
#define VT_FILE_MAX_TEXT_SIZE ((gsize) 256 << 20)

/* A read-only descriptor of the regular file @path, opened without
 * blocking; -1 with an error naming @path otherwise. @st (may be NULL)
 * receives its fstat. */
int       vt_file_open          (const char    *path,
                                 struct stat   *st,
                                 GError       **error);

/* The whole regular file @path, NUL-terminated (not counted in @length,
 * which may be NULL), if it holds at most @max_size bytes. */
gboolean  vt_file_get_contents  (const char    *path,
                                 gsize          max_size,
                                 char         **contents,
                                 gsize         *length,
                                 GError       **error);

/* Reads exactly @size bytes from @fd at its position into @buffer; an
 * error naming @path when the file ends sooner. */
gboolean  vt_file_read_exactly  (int            fd,
                                 void          *buffer,
                                 gsize          size,
                                 const char    *path,
                                 GError       **error);

G_END_DECLS
