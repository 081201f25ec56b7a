/* vt-file-map.h: a user's file mapped into memory, surviving the file being
 * cut short underneath.
 *
 * Reading a page of a mapping whose file has been truncated past it raises
 * SIGBUS, which kills the process: `cp new.safetensors open.safetensors`
 * truncates first, while the window or --batch reads weights from the map.
 * Here a SIGBUS inside one of these mappings is caught, and the whole
 * mapping is replaced by zero pages (the faulting read then resumes on
 * them, in whichever thread it was); the mapping is marked damaged. This is
 * what the X server (os/busfault.c) and libwayland-server (wl_shm) do for
 * client memory. No jump leaves the faulting code: it finishes on zeros,
 * and vt_file_map_check, called before and after each use that must be
 * right, turns the damage (or any change of the file on disk) into an error
 * naming the file. */
#pragma once

#include "vt-file.h"

G_BEGIN_DECLS

typedef struct _VtFileMap VtFileMap;

/* Maps the regular file @path read-only (opened as vt_file_open does). */
VtFileMap    *vt_file_map_new        (const char  *path,
                                      GError     **error);
VtFileMap    *vt_file_map_ref        (VtFileMap   *self);
void          vt_file_map_unref      (VtFileMap   *self);

const char   *vt_file_map_get_path   (VtFileMap   *self);
/* The mapped bytes (NULL for an empty file), valid while @self lives. */
const guint8 *vt_file_map_get_data   (VtFileMap   *self,
                                      gsize       *size);
/* A GBytes over the mapping, holding a reference to @self. */
GBytes       *vt_file_map_get_bytes  (VtFileMap   *self);

/* FALSE, with VT_FILE_ERROR_CHANGED naming the file, when the mapping was
 * damaged by a truncation, or the file at the path is no longer the one
 * mapped (another inode, size, modification or change time). Cheap: one stat. */
gboolean      vt_file_map_check      (VtFileMap   *self,
                                      GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFileMap, vt_file_map_unref)

G_END_DECLS
