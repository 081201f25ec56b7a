/* vitrine-store-item.c: a feature store of the workspace, with a label. */
#include "vitrine-store-item.h"

#include <glib/gi18n.h>
#include <string.h>

struct _VitrineStoreItem
{
  GObject  parent_instance;
  char    *path;
  char    *label;
  char    *split;
  char    *origin;   /* checkpoint SHA-256, dataset and transform: what pairs train with test */
  char    *reason;   /* why a missing store cannot be read, or NULL */
  VtFeatureStore *store;  /* NULL when missing */
};

enum { PROP_0, PROP_LABEL, PROP_PATH, PROP_MISSING, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VitrineStoreItem, vitrine_store_item, G_TYPE_OBJECT)

static void
vitrine_store_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, VITRINE_STORE_ITEM (object)->label);
      break;
    case PROP_PATH:
      g_value_set_string (value, VITRINE_STORE_ITEM (object)->path);
      break;
    case PROP_MISSING:
      g_value_set_boolean (value, VITRINE_STORE_ITEM (object)->store == NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_store_item_finalize (GObject *object)
{
  VitrineStoreItem *self = VITRINE_STORE_ITEM (object);

  g_free (self->path);
  g_free (self->label);
  g_free (self->split);
  g_free (self->origin);
  g_free (self->reason);
  g_clear_pointer (&self->store, vt_feature_store_unref);
  G_OBJECT_CLASS (vitrine_store_item_parent_class)->finalize (object);
}

static void
vitrine_store_item_class_init (VitrineStoreItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vitrine_store_item_get_property;
  object_class->finalize = vitrine_store_item_finalize;
  /* For GtkDropDown's expression; it changes with the store. */
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* A missing store that comes back is a new item. */
  properties[PROP_MISSING] = g_param_spec_boolean ("missing", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vitrine_store_item_init (VitrineStoreItem *self)
{
}

/* The split, origin and label of @store. */
static void
describe (VitrineStoreItem *self,
          VtFeatureStore   *store)
{
  g_autofree char *name = NULL;

  g_clear_pointer (&self->split, g_free);
  g_clear_pointer (&self->origin, g_free);
  g_clear_pointer (&self->label, g_free);
  if (store->source && store->source->dataset)
    {
      g_autofree char *dataset = g_path_get_basename (store->source->dataset);
      name = store->source->split ? g_strdup_printf ("%s · %s", dataset, store->source->split) : g_steal_pointer (&dataset);
      self->split = g_strdup (store->source->split);
      self->origin = g_strjoin ("\n", store->source->checkpoint_sha256 ? store->source->checkpoint_sha256 : "",
                                store->source->dataset, store->source->transform ? store->source->transform : "", NULL);
    }
  else
    name = g_path_get_basename (self->path);
  /* Stores of two models on one dataset differ only by their model. */
  if (store->source && store->source->checkpoint)
    {
      g_autofree char *file = g_path_get_basename (store->source->checkpoint);
      g_autofree char *model = g_str_has_suffix (file, ".safetensors")
                               ? g_strndup (file, strlen (file) - strlen (".safetensors")) : g_strdup (file);
      g_autofree char *dataset = g_steal_pointer (&name);

      name = g_strdup_printf ("%s · %s", model, dataset);
    }
  /* Translators: a feature store: its model and dataset, samples and feature width */
  self->label = g_strdup_printf (_("%s — %'u × %u"), name, store->n_samples, store->dim);
}

VitrineStoreItem *
vitrine_store_item_new (const char     *path,
                        VtFeatureStore *store)
{
  VitrineStoreItem *self = g_object_new (VITRINE_TYPE_STORE_ITEM, NULL);

  self->path = g_strdup (path);
  self->store = vt_feature_store_ref (store);
  describe (self, store);
  return self;
}

void
vitrine_store_item_set_store (VitrineStoreItem *self,
                              VtFeatureStore   *store)
{
  g_return_if_fail (VITRINE_IS_STORE_ITEM (self) && self->store != NULL && store != NULL);
  if (store == self->store)
    return;
  vt_feature_store_ref (store);
  vt_feature_store_unref (self->store);
  self->store = store;
  describe (self, store);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

VitrineStoreItem *
vitrine_store_item_new_missing (const char *path,
                                const char *reason)
{
  VitrineStoreItem *self = g_object_new (VITRINE_TYPE_STORE_ITEM, NULL);
  g_autofree char *name = g_path_get_basename (path);

  self->path = g_strdup (path);
  self->reason = g_strdup (reason);
  /* Translators: a feature store whose file has gone or cannot be read; %s is its file name */
  self->label = g_strdup_printf (_("%s — missing"), name);
  return self;
}

VtFeatureStore *
vitrine_store_item_get_store (VitrineStoreItem *self)
{
  return self->store;
}

gboolean
vitrine_store_item_is_missing (VitrineStoreItem *self)
{
  return self->store == NULL;
}

const char *
vitrine_store_item_get_reason (VitrineStoreItem *self)
{
  return self->reason;
}

const char *
vitrine_store_item_get_path (VitrineStoreItem *self)
{
  return self->path;
}

const char *
vitrine_store_item_get_label (VitrineStoreItem *self)
{
  return self->label;
}

const char *
vitrine_store_item_get_split (VitrineStoreItem *self)
{
  return self->split;
}

gboolean
vitrine_store_item_is_test_of (VitrineStoreItem *test,
                               VitrineStoreItem *train)
{
  return test->origin != NULL && train->origin != NULL && g_str_equal (test->origin, train->origin) &&
         g_strcmp0 (test->split, "test") == 0 && g_strcmp0 (train->split, "train") == 0;
}

VtDataset *
vitrine_store_open_dataset (const VtFeatureSource *source,
                            GCancellable          *cancellable,
                            GError               **error)
{
  VtDatasetOptions options = { source->split, FALSE, cancellable };
  VtDataset *dataset = vt_dataset_open (source->dataset, &options, error);

  if (dataset != NULL && dataset->n_samples != source->dataset_samples)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s has changed since the features were extracted"),
                   source->dataset);
      g_clear_pointer (&dataset, vt_dataset_unref);
    }
  return dataset;
}

int
vitrine_store_list_find (GListModel *stores,
                         const char *path)
{
  guint n = g_list_model_get_n_items (stores);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VitrineStoreItem) item = g_list_model_get_item (stores, i);
      if (g_str_equal (item->path, path))
        return (int) i;
    }
  return -1;
}

VitrineStoreItem *
vitrine_store_list_add_file (GListStore  *stores,
                             const char  *path,
                             guint       *position,
                             GError     **error)
{
  int found = vitrine_store_list_find (G_LIST_MODEL (stores), path);
  g_autoptr(VitrineStoreItem) item = NULL;
  g_autoptr(VtFeatureStore) store = NULL;

  if (found >= 0)
    {
      item = g_list_model_get_item (G_LIST_MODEL (stores), found);
      if (item->store != NULL)
        {
          *position = found;
          return item;
        }
    }
  if (!(store = vt_feature_store_load (path, error)))
    return NULL;
  item = vitrine_store_item_new (path, store);
  if (found >= 0)
    {
      *position = found;
      g_list_store_splice (stores, found, 1, (gpointer *) &item, 1);
    }
  else
    {
      *position = g_list_model_get_n_items (G_LIST_MODEL (stores));
      g_list_store_append (stores, item);
    }
  /* The list holds it now. */
  return item;
}
