/* vitrine-workspace-item.h: a checkpoint, dataset or run of the workspace,
 * as a list item: its path (a run's is its results folder), a display name,
 * and whether it was missing when the workspace was opened. A dataset's
 * item also holds the dataset the Dataset area read, so that the other
 * areas take it instead of reading it again. Feature stores
 * have their own item, VitrineStoreItem, which also holds the store read
 * from the file. */
#pragma once

#include <gio/gio.h>

#include "io/vt-dataset.h"
#include "io/vt-workspace-file.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_WORKSPACE_ITEM (vitrine_workspace_item_get_type ())
G_DECLARE_FINAL_TYPE (VitrineWorkspaceItem, vitrine_workspace_item, VITRINE, WORKSPACE_ITEM, GObject)

/* @kind: VT_WORKSPACE_CHECKPOINT, _DATASET or _RUN. */
VitrineWorkspaceItem *vitrine_workspace_item_new        (VtWorkspaceKind       kind,
                                                         const char           *path,
                                                         gboolean              missing);
VtWorkspaceKind       vitrine_workspace_item_get_kind   (VitrineWorkspaceItem *self);
const char           *vitrine_workspace_item_get_path   (VitrineWorkspaceItem *self);
/* The file or folder's name. */
const char           *vitrine_workspace_item_get_label  (VitrineWorkspaceItem *self);
gboolean              vitrine_workspace_item_is_missing (VitrineWorkspaceItem *self);
/* The dataset read from the item's path (referenced), or NULL. */
void                  vitrine_workspace_item_set_dataset (VitrineWorkspaceItem *self,
                                                          VtDataset            *dataset);
VtDataset            *vitrine_workspace_item_get_dataset (VitrineWorkspaceItem *self);
/* The dataset @datasets (of VitrineWorkspaceItem) holds for @path, with
 * @split and @n_samples (what a feature store says it was extracted
 * from), or NULL. */
VtDataset            *vitrine_workspace_find_dataset     (GListModel           *datasets,
                                                          const char           *path,
                                                          const char           *split,
                                                          guint                 n_samples);

G_END_DECLS
