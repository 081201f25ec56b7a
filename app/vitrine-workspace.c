/* vitrine-workspace.c: the window's open checkpoints, datasets, stores and
 * runs, and their `.vitrine` file.
 *
 * "changed" is emitted whenever a list changes (but not while a file is
 * being opened, which changes them all at once and then emits it once), so
 * that the window can save the workspace where it was saved.
 *
 * The runs list holds results folders; the Runs panel's runs are
 * VitrineRun objects in the window's list, which the workspace watches
 * (vitrine_workspace_set_runs): a finished run's folder is recorded, and an
 * opened workspace's folders become runs there. */
#include "vitrine-workspace.h"
#include "vitrine-run.h"

struct _VitrineWorkspace
{
  GObject     parent_instance;
  GListStore *lists[VT_WORKSPACE_N_KINDS];
  char       *file;
  gboolean    opening;
  GListStore *runs;         /* the window's VitrineRun list, or NULL */
  gboolean    adding_runs;  /* the workspace's own runs going into it: not recorded again */
};

enum { PROP_0, PROP_FILE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VitrineWorkspace, vitrine_workspace, G_TYPE_OBJECT)

static void
on_items_changed (VitrineWorkspace *self)
{
  if (!self->opening)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
vitrine_workspace_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_string (value, VITRINE_WORKSPACE (object)->file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_workspace_finalize (GObject *object)
{
  VitrineWorkspace *self = VITRINE_WORKSPACE (object);

  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      g_signal_handlers_disconnect_by_data (self->lists[k], self);
      g_clear_object (&self->lists[k]);
    }
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_clear_object (&self->runs);
  g_free (self->file);
  G_OBJECT_CLASS (vitrine_workspace_parent_class)->finalize (object);
}

static void
vitrine_workspace_class_init (VitrineWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vitrine_workspace_get_property;
  object_class->finalize = vitrine_workspace_finalize;
  properties[PROP_FILE] = g_param_spec_string ("file", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vitrine_workspace_init (VitrineWorkspace *self)
{
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      self->lists[k] = g_list_store_new (k == VT_WORKSPACE_STORE ? VITRINE_TYPE_STORE_ITEM : VITRINE_TYPE_WORKSPACE_ITEM);
      g_signal_connect_swapped (self->lists[k], "items-changed", G_CALLBACK (on_items_changed), self);
    }
}

VitrineWorkspace *
vitrine_workspace_new (void)
{
  return g_object_new (VITRINE_TYPE_WORKSPACE, NULL);
}

GListStore *
vitrine_workspace_get_list (VitrineWorkspace *self,
                            VtWorkspaceKind   kind)
{
  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self) && kind < VT_WORKSPACE_N_KINDS, NULL);
  return self->lists[kind];
}

/* The path of @item, of @kind's list. */
static const char *
item_path (VitrineWorkspace *self,
           VtWorkspaceKind   kind,
           gpointer          item)
{
  return kind == VT_WORKSPACE_STORE ? vitrine_store_item_get_path (item) : vitrine_workspace_item_get_path (item);
}

VitrineWorkspaceItem *
vitrine_workspace_add (VitrineWorkspace *self,
                       VtWorkspaceKind   kind,
                       const char       *path)
{
  GListModel *list;
  g_autoptr(VitrineWorkspaceItem) item = NULL;
  g_autofree char *absolute = NULL;

  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self) && kind != VT_WORKSPACE_STORE && kind < VT_WORKSPACE_N_KINDS, NULL);
  list = G_LIST_MODEL (self->lists[kind]);
  absolute = g_canonicalize_filename (path, NULL);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(VitrineWorkspaceItem) other = g_list_model_get_item (list, i);

      if (g_str_equal (vitrine_workspace_item_get_path (other), absolute))
        {
          /* Already last and present: nothing changes, nothing to save. */
          if (i + 1 == g_list_model_get_n_items (list) && !vitrine_workspace_item_is_missing (other))
            return other;
          g_list_store_remove (self->lists[kind], i);
          break;
        }
    }
  item = vitrine_workspace_item_new (kind, absolute, FALSE);
  g_list_store_append (self->lists[kind], item);
  return item;
}

VitrineWorkspaceItem *
vitrine_workspace_get_current (VitrineWorkspace *self,
                               VtWorkspaceKind   kind)
{
  GListModel *list;

  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self) && kind != VT_WORKSPACE_STORE && kind < VT_WORKSPACE_N_KINDS, NULL);
  list = G_LIST_MODEL (self->lists[kind]);
  for (guint i = g_list_model_get_n_items (list); i > 0; i--)
    {
      g_autoptr(VitrineWorkspaceItem) item = g_list_model_get_item (list, i - 1);

      /* The list holds it. */
      if (!vitrine_workspace_item_is_missing (item))
        return item;
    }
  return NULL;
}

const char *
vitrine_workspace_get_file (VitrineWorkspace *self)
{
  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self), NULL);
  return self->file;
}

static void
set_file (VitrineWorkspace *self,
          const char       *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);

  if (g_strcmp0 (self->file, absolute) == 0)
    return;
  g_free (self->file);
  self->file = g_steal_pointer (&absolute);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
}

gboolean
vitrine_workspace_save (VitrineWorkspace  *self,
                        const char        *path,
                        GError           **error)
{
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();

  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self) && path != NULL, FALSE);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      GListModel *list = G_LIST_MODEL (self->lists[k]);

      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (list, i);
          vt_workspace_file_add (file, k, item_path (self, k, item));
        }
    }
  if (!vt_workspace_file_save (file, path, error))
    return FALSE;
  set_file (self, path);
  return TRUE;
}

/* Runs -------------------------------------------------------------------*/

/* The Model area's runs are what opening a checkpoint does: the workspace
 * holds the checkpoint, and reopening it inspects it again, so recording
 * those runs too would list every opening twice. */
static void
record_run (VitrineWorkspace *self,
            VitrineRun       *run)
{
  if (g_str_equal (vitrine_run_get_area (run), "model"))
    return;
  if (vitrine_run_get_state (run) == VITRINE_RUN_FINISHED && vitrine_run_get_results_dir (run) != NULL)
    vitrine_workspace_add (self, VT_WORKSPACE_RUN, vitrine_run_get_results_dir (run));
}

static void
on_run_state (VitrineRun       *run,
              GParamSpec       *pspec,
              VitrineWorkspace *self)
{
  record_run (self, run);
}

static void
on_runs_changed (GListModel       *runs,
                 guint             position,
                 guint             removed,
                 guint             added,
                 VitrineWorkspace *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (runs, i);

      if (self->adding_runs)
        continue;
      if (vitrine_run_is_done (run))
        record_run (self, run);
      else
        g_signal_connect_object (run, "notify::state", G_CALLBACK (on_run_state), self, 0);
    }
}

void
vitrine_workspace_set_runs (VitrineWorkspace *self,
                            GListStore       *runs)
{
  g_return_if_fail (VITRINE_IS_WORKSPACE (self) && self->runs == NULL);
  self->runs = g_object_ref (runs);
  g_signal_connect (runs, "items-changed", G_CALLBACK (on_runs_changed), self);
}

/* Whether the window's runs show the folder @path already. */
static gboolean
runs_show (VitrineWorkspace *self,
           const char       *path)
{
  GListModel *runs = G_LIST_MODEL (self->runs);

  for (guint i = 0; i < g_list_model_get_n_items (runs); i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (runs, i);

      if (g_strcmp0 (vitrine_run_get_results_dir (run), path) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The workspace's runs in the window's list, finished or marked missing. */
static void
show_runs (VitrineWorkspace *self)
{
  GListModel *list = G_LIST_MODEL (self->lists[VT_WORKSPACE_RUN]);

  if (self->runs == NULL)
    return;
  self->adding_runs = TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(VitrineWorkspaceItem) item = g_list_model_get_item (list, i);
      const char *path = vitrine_workspace_item_get_path (item);

      if (!runs_show (self, path))
        {
          g_autoptr(VitrineRun) run = vitrine_run_new_for_folder (path);
          g_list_store_append (self->runs, run);
        }
    }
  self->adding_runs = FALSE;
}

/* Opening ------------------------------------------------------------------*/

/* The item for @entry: a store is read now, so that the areas share it. */
static GObject *
entry_item (VtWorkspaceKind         kind,
            const VtWorkspaceEntry *entry)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = NULL;

  if (kind != VT_WORKSPACE_STORE)
    return G_OBJECT (vitrine_workspace_item_new (kind, entry->path, entry->missing));
  if (entry->missing)
    return G_OBJECT (vitrine_store_item_new_missing (entry->path, NULL));
  if (!(store = vt_feature_store_load (entry->path, &error)))
    return G_OBJECT (vitrine_store_item_new_missing (entry->path, error->message));
  return G_OBJECT (vitrine_store_item_new (entry->path, store));
}

gboolean
vitrine_workspace_open (VitrineWorkspace  *self,
                        const char        *path,
                        GError           **error)
{
  g_autoptr(VtWorkspaceFile) file = NULL;
  GPtrArray *items[VT_WORKSPACE_N_KINDS];

  g_return_val_if_fail (VITRINE_IS_WORKSPACE (self) && path != NULL, FALSE);
  if (!(file = vt_workspace_file_load (path, error)))
    return FALSE;

  /* Everything is made before anything is replaced. */
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      items[k] = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < file->entries[k]->len; i++)
        g_ptr_array_add (items[k], entry_item (k, g_ptr_array_index (file->entries[k], i)));
    }
  self->opening = TRUE;
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      g_list_store_splice (self->lists[k], 0, g_list_model_get_n_items (G_LIST_MODEL (self->lists[k])),
                           items[k]->pdata, items[k]->len);
      g_ptr_array_unref (items[k]);
    }
  self->opening = FALSE;
  set_file (self, path);
  show_runs (self);
  return TRUE;
}
