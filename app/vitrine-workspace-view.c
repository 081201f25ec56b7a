/* vitrine-workspace-view.c: the Workspace area.
 *
 * Built in code: four headed lists, each a GtkListBox bound to one of the
 * workspace's list models, so it follows them with no bookkeeping here. The
 * rows read the properties both item types share: "label", "path" and
 * "missing". */
#include "vitrine-workspace-view.h"

#include <glib/gi18n.h>

struct _VitrineWorkspaceView
{
  GtkWidget         parent_instance;
  VitrineWorkspace *workspace;
  GtkWidget        *scrolled;
  GtkListBox       *lists[VT_WORKSPACE_N_KINDS];
};

G_DEFINE_FINAL_TYPE (VitrineWorkspaceView, vitrine_workspace_view, GTK_TYPE_WIDGET)

static GtkWidget *
make_row (gpointer item,
          gpointer user_data)
{
  g_autofree char *label = NULL;
  g_autofree char *path = NULL;
  gboolean missing = FALSE;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name, *where;

  g_object_get (item, "label", &label, "path", &path, "missing", &missing, NULL);
  /* A missing store's label says so already, for the areas' lists; here
   * the tag beside the name does. */
  if (missing)
    {
      g_free (label);
      label = g_path_get_basename (path);
    }
  name = gtk_label_new (label);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), name);
  if (missing)
    {
      /* Translators: a workspace row whose file has gone */
      GtkWidget *tag = gtk_label_new (_("missing"));
      gtk_widget_add_css_class (tag, "caption");
      gtk_box_append (GTK_BOX (box), tag);
      gtk_widget_add_css_class (box, "dim-label");
      gtk_widget_add_css_class (row, "missing");
      if (VITRINE_IS_STORE_ITEM (item) && vitrine_store_item_get_reason (item))
        gtk_widget_set_tooltip_text (row, vitrine_store_item_get_reason (item));
    }
  where = gtk_label_new (path);
  gtk_label_set_xalign (GTK_LABEL (where), 1);
  gtk_label_set_ellipsize (GTK_LABEL (where), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_selectable (GTK_LABEL (where), TRUE);
  gtk_widget_set_hexpand (where, TRUE);
  gtk_widget_add_css_class (where, "dim-label");
  gtk_box_append (GTK_BOX (box), where);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  /* Checkpoints and datasets reopen from their row; stores and runs are
   * picked in the areas that use them. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row),
                                    !missing && VITRINE_IS_WORKSPACE_ITEM (item) &&
                                    vitrine_workspace_item_get_kind (item) != VT_WORKSPACE_RUN);
  return row;
}

static void
on_row_activated (GtkListBox           *box,
                  GtkListBoxRow        *row,
                  VitrineWorkspaceView *self)
{
  VtWorkspaceKind kind = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (box), "kind"));
  g_autoptr(VitrineWorkspaceItem) item =
    g_list_model_get_item (G_LIST_MODEL (vitrine_workspace_get_list (self->workspace, kind)),
                           gtk_list_box_row_get_index (row));
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (item == NULL || !VITRINE_IS_WORKSPACE_ITEM (item) || vitrine_workspace_item_is_missing (item))
    return;
  file = g_file_new_for_path (vitrine_workspace_item_get_path (item));
  uri = g_file_get_uri (file);
  if (kind == VT_WORKSPACE_CHECKPOINT)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-file", "s", uri);
  else if (kind == VT_WORKSPACE_DATASET)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-dataset-file", "s", uri);
}

static void
vitrine_workspace_view_dispose (GObject *object)
{
  VitrineWorkspaceView *self = VITRINE_WORKSPACE_VIEW (object);

  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_object (&self->workspace);
  G_OBJECT_CLASS (vitrine_workspace_view_parent_class)->dispose (object);
}

static void
vitrine_workspace_view_class_init (VitrineWorkspaceViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_workspace_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "workspaceview");
}

static void
vitrine_workspace_view_init (VitrineWorkspaceView *self)
{
}

GtkWidget *
vitrine_workspace_view_new (VitrineWorkspace *workspace)
{
  VitrineWorkspaceView *self = g_object_new (VITRINE_TYPE_WORKSPACE_VIEW, NULL);
  /* Translators: headings of the Workspace area's lists */
  const char *headings[VT_WORKSPACE_N_KINDS] = {
    [VT_WORKSPACE_CHECKPOINT] = _("Checkpoints"),
    [VT_WORKSPACE_DATASET] = _("Datasets"),
    [VT_WORKSPACE_STORE] = _("Feature Stores"),
    [VT_WORKSPACE_RUN] = _("Runs"),
  };
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  self->workspace = g_object_ref (workspace);
  gtk_widget_set_margin_start (column, 24);
  gtk_widget_set_margin_end (column, 24);
  gtk_widget_set_margin_top (column, 18);
  gtk_widget_set_margin_bottom (column, 18);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      GtkWidget *heading = gtk_label_new (headings[k]);
      /* Translators: shown in an empty list of the Workspace area */
      GtkWidget *none = gtk_label_new (_("None open"));
      GtkWidget *box = gtk_list_box_new ();

      gtk_label_set_xalign (GTK_LABEL (heading), 0);
      gtk_widget_add_css_class (heading, "heading");
      if (k > 0)
        gtk_widget_set_margin_top (heading, 12);
      gtk_widget_add_css_class (none, "dim-label");
      gtk_widget_set_margin_top (none, 6);
      gtk_widget_set_margin_bottom (none, 6);
      gtk_list_box_set_placeholder (GTK_LIST_BOX (box), none);
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (box), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (box, "boxed-list");
      gtk_widget_add_css_class (box, "frame");
      gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, headings[k], -1);
      gtk_list_box_bind_model (GTK_LIST_BOX (box), G_LIST_MODEL (vitrine_workspace_get_list (workspace, k)),
                               make_row, NULL, NULL);
      g_object_set_data (G_OBJECT (box), "kind", GUINT_TO_POINTER (k));
      g_signal_connect (box, "row-activated", G_CALLBACK (on_row_activated), self);
      gtk_box_append (GTK_BOX (column), heading);
      gtk_box_append (GTK_BOX (column), box);
      self->lists[k] = GTK_LIST_BOX (box);
    }
  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), column);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
  return GTK_WIDGET (self);
}

GtkListBox *
vitrine_workspace_view_get_list (VitrineWorkspaceView *self,
                                 VtWorkspaceKind       kind)
{
  g_return_val_if_fail (VITRINE_IS_WORKSPACE_VIEW (self) && kind < VT_WORKSPACE_N_KINDS, NULL);
  return self->lists[kind];
}
