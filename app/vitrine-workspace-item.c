/* vitrine-workspace-item.c: a checkpoint, dataset or run of the workspace. */
#include "vitrine-workspace-item.h"

struct _VitrineWorkspaceItem
{
  GObject          parent_instance;
  VtWorkspaceKind  kind;
  char            *path;
  char            *label;
  gboolean         missing;
  VtDataset       *dataset;
};

/* The same names as VitrineStoreItem's, so that one row shows either. */
enum { PROP_0, PROP_LABEL, PROP_PATH, PROP_MISSING, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VitrineWorkspaceItem, vitrine_workspace_item, G_TYPE_OBJECT)

static void
vitrine_workspace_item_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  VitrineWorkspaceItem *self = VITRINE_WORKSPACE_ITEM (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_MISSING:
      g_value_set_boolean (value, self->missing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_workspace_item_finalize (GObject *object)
{
  VitrineWorkspaceItem *self = VITRINE_WORKSPACE_ITEM (object);

  g_free (self->path);
  g_free (self->label);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  G_OBJECT_CLASS (vitrine_workspace_item_parent_class)->finalize (object);
}

static void
vitrine_workspace_item_class_init (VitrineWorkspaceItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vitrine_workspace_item_get_property;
  object_class->finalize = vitrine_workspace_item_finalize;
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Items never change: what comes back is a new item. */
  properties[PROP_MISSING] = g_param_spec_boolean ("missing", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vitrine_workspace_item_init (VitrineWorkspaceItem *self)
{
}

VitrineWorkspaceItem *
vitrine_workspace_item_new (VtWorkspaceKind  kind,
                            const char      *path,
                            gboolean         missing)
{
  VitrineWorkspaceItem *self = g_object_new (VITRINE_TYPE_WORKSPACE_ITEM, NULL);

  g_return_val_if_fail (kind != VT_WORKSPACE_STORE && kind < VT_WORKSPACE_N_KINDS, self);
  self->kind = kind;
  self->path = g_strdup (path);
  self->label = g_path_get_basename (path);
  self->missing = missing;
  return self;
}

VtWorkspaceKind
vitrine_workspace_item_get_kind (VitrineWorkspaceItem *self)
{
  return self->kind;
}

const char *
vitrine_workspace_item_get_path (VitrineWorkspaceItem *self)
{
  return self->path;
}

const char *
vitrine_workspace_item_get_label (VitrineWorkspaceItem *self)
{
  return self->label;
}

gboolean
vitrine_workspace_item_is_missing (VitrineWorkspaceItem *self)
{
  return self->missing;
}

void
vitrine_workspace_item_set_dataset (VitrineWorkspaceItem *self,
                                    VtDataset            *dataset)
{
  g_return_if_fail (VITRINE_IS_WORKSPACE_ITEM (self) && self->kind == VT_WORKSPACE_DATASET);
  if (dataset)
    vt_dataset_ref (dataset);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  self->dataset = dataset;
}

VtDataset *
vitrine_workspace_item_get_dataset (VitrineWorkspaceItem *self)
{
  return self->dataset;
}

VtDataset *
vitrine_workspace_find_dataset (GListModel *datasets,
                                const char *path,
                                const char *split,
                                guint       n_samples)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (datasets); i++)
    {
      g_autoptr(VitrineWorkspaceItem) item = g_list_model_get_item (datasets, i);
      VtDataset *dataset = item->dataset;

      if (dataset != NULL && g_str_equal (item->path, absolute) && g_strcmp0 (dataset->split, split) == 0 &&
          dataset->n_samples == n_samples)
        return dataset;
    }
  return NULL;
}
