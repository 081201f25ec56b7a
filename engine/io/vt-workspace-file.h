/* vt-workspace-file.h: the `.vitrine` workspace file: what the user had
 * open (checkpoints, datasets, feature stores, results folders of runs), as
 * paths, so that it all comes back together.
 *
 *   { "version": 1,
 *     "checkpoints": [ { "path": "models/resnet20.safetensors" } ],
 *     "datasets":    [ { "path": "/data/cifar10-jpg" } ],
 *     "stores":      [ { "path": "…/features/….safetensors" } ],
 *     "runs":        [ { "path": "runs/2026-12-02-incremental" } ] }
 *
 * A path inside the workspace file's folder is stored relative to it (the
 * folder can move with its contents); any other is stored absolute. Lists
 * are in the order the user opened things, the last being the one shown.
 * No GTK here: the window's VitrineWorkspace holds the objects, tests and
 * the fuzzer read the format alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_WORKSPACE_FILE_VERSION 1

#define VT_WORKSPACE_FILE_ERROR (vt_workspace_file_error_quark ())
GQuark vt_workspace_file_error_quark (void);

typedef enum
{
  VT_WORKSPACE_FILE_ERROR_INVALID,  /* well-formed JSON of the wrong shape */
  VT_WORKSPACE_FILE_ERROR_VERSION,  /* written by a newer Vitrine */
  VT_WORKSPACE_FILE_ERROR_PATH,     /* a path that cannot be stored (not UTF-8) */
} VtWorkspaceFileError;

typedef enum
{
  VT_WORKSPACE_CHECKPOINT,
  VT_WORKSPACE_DATASET,
  VT_WORKSPACE_STORE,
  VT_WORKSPACE_RUN,
  VT_WORKSPACE_N_KINDS,
} VtWorkspaceKind;

typedef struct
{
  char     *path;     /* absolute */
  gboolean  missing;  /* set by vt_workspace_file_load: nothing is there now */
} VtWorkspaceEntry;

typedef struct
{
  GPtrArray *entries[VT_WORKSPACE_N_KINDS];  /* VtWorkspaceEntry */
} VtWorkspaceFile;

/* The key of @kind's list in the file: "checkpoints", "datasets", … */
const char      *vt_workspace_kind_key    (VtWorkspaceKind         kind);

VtWorkspaceFile *vt_workspace_file_new    (void);
void             vt_workspace_file_free   (VtWorkspaceFile        *file);
/* Appends @path (made absolute against the current folder) to @kind's list. */
void             vt_workspace_file_add    (VtWorkspaceFile        *file,
                                           VtWorkspaceKind         kind,
                                           const char             *path);

/* Reads the workspace at @path; relative paths are resolved against its
 * folder and each entry is marked missing where nothing is there any more.
 * A file that is not JSON, or JSON of the wrong shape, is an error that
 * begins with @path and names the JSON path ("$.stores[2].path"). */
VtWorkspaceFile *vt_workspace_file_load   (const char             *path,
                                           GError                **error);
/* The JSON text vt_workspace_file_save writes for a workspace at @path. */
char            *vt_workspace_file_to_json (const VtWorkspaceFile *file,
                                            const char            *path,
                                            GError               **error);
/* Writes @file to @path atomically (vt-atomic-file.h). */
gboolean         vt_workspace_file_save   (const VtWorkspaceFile  *file,
                                           const char             *path,
                                           GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtWorkspaceFile, vt_workspace_file_free)

G_END_DECLS
