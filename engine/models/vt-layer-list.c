/* vt-layer-list.c: a model's outputs in order, from one forward pass
 * (vt-layer-list.h). */
#include "vt-layer-list.h"

#include <string.h>

/* The image tower's input when the architecture does not say (torchvision's
 * ResNets take any size; 224 is what they were trained at). */
#define DEFAULT_IMAGE_SIZE 224

/* A ResNet pass creates its pre-logits and logits before its blocks run
 * (they must exist when every image's slot is filled), so in the taps they
 * lead; in the pass they come last. */
static gboolean
is_output (const char *name)
{
  return g_str_equal (name, "pre_logits") || g_str_equal (name, "logits");
}

/* Taps without a batch dimension (a position embedding, 1 × T × C) are
 * parameters, not outputs. */
static gboolean
is_layer (const VtTap *tap)
{
  return tap->ndim >= 2 && !g_str_has_suffix (tap->name, "pos_embed");
}

static void
set_layer (VtLayer      *layer,
           const char   *name,
           guint         ndim,
           const gint64 *shape)
{
  layer->name = g_strdup (name);
  layer->ndim = MIN (ndim, G_N_ELEMENTS (layer->shape));
  memcpy (layer->shape, shape, sizeof (gint64) * layer->ndim);
}

VtLayerList *
vt_layer_list_new (VtModel  *model,
                   int       height,
                   int       width,
                   GError  **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  int size = arch->image_size > 0 ? arch->image_size : DEFAULT_IMAGE_SIZE;
  g_autofree float *zeros = NULL;
  g_autoptr(VtTaps) taps = NULL;
  VtLayerList *list;
  guint n, next = 0, leading = 0;

  if (height <= 0 || width <= 0)
    height = width = size;
  if (!vt_model_check_input (model, height, width, error))
    return NULL;
  zeros = g_new0 (float, (gsize) 3 * height * width);
  taps = vt_model_forward (model, zeros, 1, height, width, VT_TAP_BLOCKS, error);
  if (taps == NULL)
    return NULL;
  n = vt_taps_get_n (taps);
  list = g_new0 (VtLayerList, 1);
  list->layers = g_new0 (VtLayer, n + 1);
  set_layer (&list->layers[next++], "input", 3, (gint64[]) { 3, height, width });
  while (leading < n && is_output (vt_taps_get (taps, leading)->name))
    leading++;
  for (guint k = 0; k < n; k++)
    {
      const VtTap *tap = vt_taps_get (taps, (leading + k) % n);

      if (is_layer (tap))
        set_layer (&list->layers[next++], tap->name, tap->ndim - 1, tap->shape + 1);
    }
  list->n_layers = next;
  return list;
}

void
vt_layer_list_free (VtLayerList *list)
{
  if (list == NULL)
    return;
  for (guint i = 0; i < list->n_layers; i++)
    g_free (list->layers[i].name);
  g_free (list->layers);
  g_free (list);
}

JsonNode *
vt_layer_list_to_json (const VtLayerList *list)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < list->n_layers; i++)
    {
      JsonObject *entry = json_object_new ();
      JsonArray *shape = json_array_new ();

      json_object_set_string_member (entry, "name", list->layers[i].name);
      for (guint d = 0; d < list->layers[i].ndim; d++)
        json_array_add_int_element (shape, list->layers[i].shape[d]);
      json_object_set_array_member (entry, "shape", shape);
      json_array_add_object_element (array, entry);
    }
  json_node_take_array (node, array);
  return node;
}

static VtLayerList *
bad_entry (GError     **error,
           const char  *where,
           guint        index,
           const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s[%u]: %s", where, index, what);
  return NULL;
}

VtLayerList *
vt_layer_list_new_from_json (JsonNode    *node,
                             const char  *where,
                             GError     **error)
{
  g_autoptr(VtLayerList) list = g_new0 (VtLayerList, 1);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: expected a list of layers", where);
      return NULL;
    }
  array = json_node_get_array (node);
  list->layers = g_new0 (VtLayer, json_array_get_length (array));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonNode *name = entry ? json_object_get_member (entry, "name") : NULL;
      JsonNode *shape = entry ? json_object_get_member (entry, "shape") : NULL;
      VtLayer *layer = &list->layers[i];
      JsonArray *dims;

      if (name == NULL || json_node_get_value_type (name) != G_TYPE_STRING)
        return bad_entry (error, where, i, "the name is missing or not a string");
      if (shape == NULL || !JSON_NODE_HOLDS_ARRAY (shape) ||
          json_array_get_length (json_node_get_array (shape)) > G_N_ELEMENTS (layer->shape))
        return bad_entry (error, where, i, "the shape is missing or not a list of up to 5 sizes");
      dims = json_node_get_array (shape);
      layer->name = g_strdup (json_node_get_string (name));
      list->n_layers = i + 1;
      layer->ndim = json_array_get_length (dims);
      for (guint d = 0; d < layer->ndim; d++)
        {
          JsonNode *dim = json_array_get_element (dims, d);

          if (!JSON_NODE_HOLDS_VALUE (dim) || json_node_get_value_type (dim) != G_TYPE_INT64 ||
              json_node_get_int (dim) < 0)
            return bad_entry (error, where, i, "a size of the shape is not a count");
          layer->shape[d] = json_node_get_int (dim);
        }
    }
  return g_steal_pointer (&list);
}
