/* vitrine-workspace-view.h: the Workspace area: what the workspace holds,
 * one list per kind (checkpoints, datasets, feature stores, runs), each row
 * with its name and path; a row whose file has gone is dimmed and says
 * "missing". Activating a checkpoint or dataset row opens it. */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-workspace.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_WORKSPACE_VIEW (vitrine_workspace_view_get_type ())
G_DECLARE_FINAL_TYPE (VitrineWorkspaceView, vitrine_workspace_view, VITRINE, WORKSPACE_VIEW, GtkWidget)

GtkWidget  *vitrine_workspace_view_new      (VitrineWorkspace     *workspace);
/* The list box showing @kind's items, for tests. */
GtkListBox *vitrine_workspace_view_get_list (VitrineWorkspaceView *self,
                                             VtWorkspaceKind       kind);

G_END_DECLS
