/* vt-file-writer.h: a text file written row by row, atomically.
 *
 * Rows go through a stdio buffer into a temporary file beside @path
 * ("<path>" VT_ATOMIC_FILE_PARTIAL "XXXXXX", which a run sweeps after a kill), which commit
 * flushes, syncs and renames into place. So an export of any size holds
 * only the buffer in memory, and a reader never sees half a file: until
 * the commit the old file (or none) stays, and a writer freed without a
 * commit removes its temporary file. Errors are G_FILE_ERROR, their
 * messages name the file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VtFileWriter VtFileWriter;

VtFileWriter *vt_file_writer_new     (const char    *path,
                                      GError       **error);
/* Appending never fails on the spot: a write error is kept and reported
 * by vt_file_writer_commit(). */
void          vt_file_writer_append  (VtFileWriter  *writer,
                                      const char    *text);
void          vt_file_writer_write   (VtFileWriter  *writer,
                                      const void    *data,
                                      gsize          length);
void          vt_file_writer_putc    (VtFileWriter  *writer,
                                      char           c);
void          vt_file_writer_printf  (VtFileWriter  *writer,
                                      const char    *format,
                                      ...) G_GNUC_PRINTF (2, 3);
/* Flushes, syncs and renames the file into place; then only free is left. */
gboolean      vt_file_writer_commit  (VtFileWriter  *writer,
                                      GError       **error);
/* Without a commit, removes the temporary file: the target is untouched. */
void          vt_file_writer_free    (VtFileWriter  *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFileWriter, vt_file_writer_free)

G_END_DECLS
