/* vitrine-store-item.c: a feature store file with a label. */
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
};

enum { PROP_0, PROP_LABEL, N_PROPS };
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
  G_OBJECT_CLASS (vitrine_store_item_parent_class)->finalize (object);
}

static void
vitrine_store_item_class_init (VitrineStoreItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vitrine_store_item_get_property;
  object_class->finalize = vitrine_store_item_finalize;
  /* For GtkDropDown's expression. */
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vitrine_store_item_init (VitrineStoreItem *self)
{
}

VitrineStoreItem *
vitrine_store_item_new (const char     *path,
                        VtFeatureStore *store)
{
  VitrineStoreItem *self = g_object_new (VITRINE_TYPE_STORE_ITEM, NULL);
  g_autofree char *name = NULL;

  self->path = g_strdup (path);
  if (store->source && store->source->dataset)
    {
      g_autofree char *dataset = g_path_get_basename (store->source->dataset);
      name = store->source->split ? g_strdup_printf ("%s · %s", dataset, store->source->split) : g_steal_pointer (&dataset);
      self->split = g_strdup (store->source->split);
      self->origin = g_strjoin ("\n", store->source->checkpoint_sha256 ? store->source->checkpoint_sha256 : "",
                                store->source->dataset, store->source->transform ? store->source->transform : "", NULL);
    }
  else
    name = g_path_get_basename (path);
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
  return self;
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
