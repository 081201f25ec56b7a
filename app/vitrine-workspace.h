/* vitrine-workspace.h: what the user has opened in a window, held as
 * objects in list models: checkpoints, datasets and runs
 * (VitrineWorkspaceItem) and feature stores (VitrineStoreItem, holding the
 * store itself, so that every area takes the one read). It saves to and
 * reopens from one `.vitrine` file (vt-workspace-file.h). Lists keep the
 * order things were opened in; the last checkpoint and dataset are the
 * ones the window shows. */
#pragma once

#include <gio/gio.h>

#include "io/vt-workspace-file.h"
#include "vitrine-store-item.h"
#include "vitrine-workspace-item.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_WORKSPACE (vitrine_workspace_get_type ())
G_DECLARE_FINAL_TYPE (VitrineWorkspace, vitrine_workspace, VITRINE, WORKSPACE, GObject)

VitrineWorkspace     *vitrine_workspace_new         (void);
/* @kind's list: VitrineStoreItem for VT_WORKSPACE_STORE, else
 * VitrineWorkspaceItem. The lists stay the same objects for the
 * workspace's life; opening a file replaces what they hold. */
GListStore           *vitrine_workspace_get_list    (VitrineWorkspace *self,
                                                     VtWorkspaceKind   kind);
/* Records that the checkpoint, dataset or results folder at @path is open:
 * appended, or moved to the end where it was there already (present now,
 * so no longer missing). Stores are added through their list
 * (vitrine_store_list_add_file). Returns the item, the list's own. */
VitrineWorkspaceItem *vitrine_workspace_add         (VitrineWorkspace *self,
                                                     VtWorkspaceKind   kind,
                                                     const char       *path);
/* The last item of @kind's list that is not missing, or NULL. */
VitrineWorkspaceItem *vitrine_workspace_get_current (VitrineWorkspace *self,
                                                     VtWorkspaceKind   kind);

/* The window's runs (a GListStore of VitrineRun, held), those of the Runs
 * panel: each that finishes, or is added finished (a results folder
 * opened), is recorded in the workspace's runs; and opening a workspace
 * adds its runs there, as vitrine_run_new_for_folder makes them (finished,
 * or marked missing), beside the session's. */
void                  vitrine_workspace_set_runs    (VitrineWorkspace *self,
                                                     GListStore       *runs);

/* The file the workspace was last saved to or opened from, or NULL. */
const char           *vitrine_workspace_get_file    (VitrineWorkspace *self);
gboolean              vitrine_workspace_save        (VitrineWorkspace *self,
                                                     const char       *path,
                                                     GError          **error);
/* Replaces everything with the workspace at @path. Files that have gone,
 * and stores that cannot be read, become items marked missing. On an error
 * (which names @path, and the JSON path where the shape is wrong) nothing
 * changes. */
gboolean              vitrine_workspace_open        (VitrineWorkspace *self,
                                                     const char       *path,
                                                     GError          **error);

G_END_DECLS
