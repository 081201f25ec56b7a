/* vitrine-tensor-node.c: the tensor tree's rows. */
#include "vitrine-tensor-node.h"

#include <string.h>

struct _VitrineTensorNode
{
  GObject     parent_instance;
  char       *name;        /* last path component */
  char       *path;        /* full tensor or module name */
  char       *folded;      /* path, case-folded for search */
  int         index;
  guint64     elements;
  guint64     bytes;
  char       *dtype;
  char       *shape;
  GListStore *children;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_PATH,
  PROP_ELEMENTS,
  PROP_BYTES,
  PROP_DTYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VitrineTensorNode, vitrine_tensor_node, G_TYPE_OBJECT)

static void
vitrine_tensor_node_finalize (GObject *object)
{
  VitrineTensorNode *self = VITRINE_TENSOR_NODE (object);

  g_free (self->name);
  g_free (self->path);
  g_free (self->folded);
  g_free (self->dtype);
  g_free (self->shape);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (vitrine_tensor_node_parent_class)->finalize (object);
}

static void
vitrine_tensor_node_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  VitrineTensorNode *self = VITRINE_TENSOR_NODE (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_PATH: g_value_set_string (value, self->path); break;
    case PROP_ELEMENTS: g_value_set_uint64 (value, self->elements); break;
    case PROP_BYTES: g_value_set_uint64 (value, self->bytes); break;
    case PROP_DTYPE: g_value_set_string (value, self->dtype); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_tensor_node_class_init (VitrineTensorNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = vitrine_tensor_node_finalize;
  object_class->get_property = vitrine_tensor_node_get_property;

  /* Read-only: a node never changes after the tree is built; the properties
   * exist for GtkExpression-based sorters. */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  properties[PROP_ELEMENTS] = g_param_spec_uint64 ("elements", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_BYTES] = g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_DTYPE] = g_param_spec_string ("dtype", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vitrine_tensor_node_init (VitrineTensorNode *self)
{
  self->index = -1;
}

static VitrineTensorNode *
node_new (const char *name,
          const char *path)
{
  VitrineTensorNode *self = g_object_new (VITRINE_TYPE_TENSOR_NODE, NULL);

  self->name = g_strdup (name);
  self->path = g_strdup (path);
  self->folded = g_utf8_casefold (path, -1);
  return self;
}

GListStore *
vitrine_tensor_node_build_tree (VtInspection *inspection)
{
  GListStore *roots = g_list_store_new (VITRINE_TYPE_TENSOR_NODE);
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *prefix = inspection->architecture->prefix;
  gsize prefix_len = strlen (prefix);

  for (guint i = 0; i < inspection->n_tensors; i++)
    {
      const VtTensor *tensor = vt_checkpoint_get_tensor (inspection->checkpoint, i);
      const char *shown = g_str_has_prefix (tensor->name, prefix) ? tensor->name + prefix_len : tensor->name;
      g_auto(GStrv) parts = g_strsplit (shown, ".", -1);
      guint n_parts = g_strv_length (parts);
      GListStore *siblings = roots;
      g_autoptr(GString) group_path = g_string_new (NULL);
      g_autoptr(VitrineTensorNode) leaf = NULL;
      g_autoptr(GPtrArray) ancestors = g_ptr_array_new ();

      /* Walk, or create, the module groups down to the tensor's parent. */
      for (guint p = 0; p + 1 < n_parts; p++)
        {
          VitrineTensorNode *group;

          if (p > 0)
            g_string_append_c (group_path, '.');
          g_string_append (group_path, parts[p]);
          group = g_hash_table_lookup (groups, group_path->str);
          if (group == NULL)
            {
              group = node_new (parts[p], group_path->str);
              group->children = g_list_store_new (VITRINE_TYPE_TENSOR_NODE);
              g_hash_table_insert (groups, g_strdup (group_path->str), group);
              g_list_store_append (siblings, group);
              g_object_unref (group);
            }
          g_ptr_array_add (ancestors, group);
          siblings = group->children;
        }

      leaf = node_new (parts[n_parts - 1], tensor->name);
      leaf->index = (int) i;
      leaf->elements = tensor->numel;
      leaf->bytes = tensor->nbytes;
      leaf->dtype = g_strdup (vt_dtype_name (tensor->dtype));
      leaf->shape = vt_tensor_format_shape (tensor);
      g_list_store_append (siblings, leaf);

      for (guint a = 0; a < ancestors->len; a++)
        {
          VitrineTensorNode *group = g_ptr_array_index (ancestors, a);
          group->elements += tensor->numel;
          group->bytes += tensor->nbytes;
        }
    }
  return roots;
}

const char *
vitrine_tensor_node_get_name (VitrineTensorNode *self)
{
  return self->name;
}

const char *
vitrine_tensor_node_get_path (VitrineTensorNode *self)
{
  return self->path;
}

int
vitrine_tensor_node_get_index (VitrineTensorNode *self)
{
  return self->index;
}

guint64
vitrine_tensor_node_get_elements (VitrineTensorNode *self)
{
  return self->elements;
}

guint64
vitrine_tensor_node_get_bytes (VitrineTensorNode *self)
{
  return self->bytes;
}

const char *
vitrine_tensor_node_get_dtype (VitrineTensorNode *self)
{
  return self->dtype;
}

const char *
vitrine_tensor_node_get_shape (VitrineTensorNode *self)
{
  return self->shape;
}

GListModel *
vitrine_tensor_node_get_children (VitrineTensorNode *self)
{
  return self->children ? G_LIST_MODEL (self->children) : NULL;
}

gboolean
vitrine_tensor_node_matches (VitrineTensorNode *self,
                             const char        *needle)
{
  if (strstr (self->folded, needle) != NULL)
    return TRUE;
  if (self->children == NULL)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->children)); i++)
    {
      g_autoptr(VitrineTensorNode) child = g_list_model_get_item (G_LIST_MODEL (self->children), i);
      if (vitrine_tensor_node_matches (child, needle))
        return TRUE;
    }
  return FALSE;
}
