/* vt-atomic-file.h: writing a file so that readers see the old contents or
 * the new, never half of either, and cleaning up after writers that were
 * killed.
 *
 * A write goes to "<path>" VT_ATOMIC_FILE_PARTIAL "XXXXXX" beside the
 * target, then is renamed over it. A process killed between the two leaves
 * that temporary file behind; the name is distinctive so that
 * vt_atomic_file_sweep can remove exactly those and nothing of the user's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Infix of every temporary name; figure exports that must write by name
 * (Cairo) use "<path>" VT_ATOMIC_FILE_PARTIAL "export" and are swept too. */
#define VT_ATOMIC_FILE_PARTIAL ".vitrine-partial-"

/* Writes @length bytes of @contents to @path atomically. Errors are in
 * G_FILE_ERROR and name @path. */
gboolean  vt_atomic_file_write  (const char   *path,
                                 const void   *contents,
                                 gsize         length,
                                 GError      **error);

/* Removes the temporary files that writers in @dir (not below it) left
 * behind and last changed before @before (g_get_real_time microseconds):
 * files named "<name>" VT_ATOMIC_FILE_PARTIAL "…", of any name or, with
 * @name, of that one only. Younger ones may belong to a writer still at
 * work. Returns how many were removed; a folder that cannot be read has
 * none. */
guint     vt_atomic_file_sweep  (const char   *dir,
                                 const char   *name,
                                 gint64        before);

G_END_DECLS
