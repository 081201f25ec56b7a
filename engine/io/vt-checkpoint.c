/* vt-checkpoint.c: single-file, sharded and folder checkpoints. */
#include "vt-checkpoint.h"
#include "vt-file-map.h"
#include "vt-pth.h"
#include "vt-safetensors.h"
#include "vt-tflite.h"
#include "core/vt-json.h"

#include <string.h>

G_DEFINE_QUARK (vt-checkpoint-error-quark, vt_checkpoint_error)

struct _VtCheckpoint
{
  char        *path;
  GPtrArray   *mappings;     /* GBytes per shard, keeping the views alive */
  GPtrArray   *files;        /* VtFileMap of each shard read from disk, checked by vt_checkpoint_check */
  GPtrArray   *buffers;      /* GBytes of tensors copied out of a .pth (strided views) */
  GPtrArray   *tensors;      /* VtTensor* in header order, shard by shard */
  GHashTable  *by_name;      /* name -> VtTensor* */
  GHashTable  *metadata;
  guint64      file_size;
  JsonNode    *config;
  char        *config_path;
  VtTfliteModel *tflite;     /* a .tflite file's graph, or NULL */
  GPtrArray   *owned;        /* GBytes of values computed here (dequantized weights) */
};

static void
vt_checkpoint_finalize (VtCheckpoint *self)
{
  g_free (self->path);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->tensors, g_ptr_array_unref);
  g_clear_pointer (&self->mappings, g_ptr_array_unref);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->buffers, g_ptr_array_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  g_clear_pointer (&self->config, json_node_unref);
  g_free (self->config_path);
  g_clear_pointer (&self->tflite, vt_tflite_model_free);
  g_clear_pointer (&self->owned, g_ptr_array_unref);
}

static VtCheckpoint *
vt_checkpoint_alloc (const char *path)
{
  VtCheckpoint *self = g_atomic_rc_box_new0 (VtCheckpoint);

  self->path = g_strdup (path);
  self->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_file_map_unref);
  self->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_tensor_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return self;
}

VtCheckpoint *
vt_checkpoint_ref (VtCheckpoint *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
vt_checkpoint_unref (VtCheckpoint *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) vt_checkpoint_finalize);
}

/* Parses one shard's bytes (safetensors, or a torch.save file) and adds its tensors. */
static gboolean
add_shard (VtCheckpoint  *self,
           GBytes        *bytes,
           const char    *name,
           GError       **error)
{
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  if (vt_pth_detect (data, size))
    {
      g_autoptr(GPtrArray) buffers = NULL;

      if (!vt_pth_parse (data, size, name, &tensors, &metadata, &buffers, error))
        return FALSE;
      g_ptr_array_extend_and_steal (self->buffers, g_steal_pointer (&buffers));
    }
  else if (!vt_safetensors_parse (data, size, name, &tensors, &metadata, error))
    return FALSE;

  g_ptr_array_add (self->mappings, g_bytes_ref (bytes));
  while (tensors->len > 0)
    {
      VtTensor *tensor = g_ptr_array_steal_index (tensors, 0);

      if (g_hash_table_contains (self->by_name, tensor->name))
        {
          g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_DUPLICATE,
                       "%s: tensor “%s” is also in another shard", name, tensor->name);
          vt_tensor_free (tensor);
          return FALSE;
        }
      g_hash_table_insert (self->by_name, tensor->name, tensor);
      g_ptr_array_add (self->tensors, tensor);
    }
  self->file_size += size;
  if (self->metadata == NULL)
    self->metadata = g_steal_pointer (&metadata);
  return TRUE;
}

/* A TensorFlow Lite model's constant tensors (weights, biases, shapes),
 * each under its own name. Quantized ones are listed dequantized, as
 * float32 values (q - zero_point) * scale, so that statistics and
 * histograms are in the units the model computes in; the others view the
 * file's bytes. The graph and the quantization stay in the VtTfliteModel. */
static gboolean
add_tflite (VtCheckpoint  *self,
            GBytes        *bytes,
            const char    *name,
            GError       **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  self->tflite = vt_tflite_parse (data, size, name, error);
  if (self->tflite == NULL)
    return FALSE;
  g_ptr_array_add (self->mappings, g_bytes_ref (bytes));
  self->file_size = size;
  for (guint i = 0; i < self->tflite->n_tensors; i++)
    {
      const VtTfliteTensor *t = &self->tflite->tensors[i];
      g_autoptr(VtTensor) tensor = NULL;
      VtDType dtype;

      if (t->data == NULL || g_hash_table_contains (self->by_name, t->name))
        continue;
      tensor = g_new0 (VtTensor, 1);
      if (t->n_quant > 0)
        {
          GBytes *values = vt_tflite_dequantize (t);

          if (values == NULL)
            continue;
          g_ptr_array_add (self->owned, values);
          tensor->dtype = VT_DTYPE_F32;
          tensor->data = g_bytes_get_data (values, &tensor->nbytes);
        }
      else if (vt_tflite_type_to_dtype (t->type, &dtype))
        {
          tensor->dtype = dtype;
          tensor->data = t->data;
          tensor->nbytes = t->nbytes;
        }
      else
        continue;   /* strings, and integers of no dtype here: nothing to measure */
      tensor->name = g_strdup (t->name);
      tensor->ndim = MIN (t->ndim, VT_TENSOR_MAX_DIMS);
      for (guint d = 0; d < tensor->ndim; d++)
        tensor->shape[d] = t->shape[d];
      tensor->numel = t->numel;
      g_hash_table_insert (self->by_name, tensor->name, tensor);
      g_ptr_array_add (self->tensors, g_steal_pointer (&tensor));
    }
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (self->metadata, g_strdup ("format"), g_strdup ("tflite"));
  g_hash_table_insert (self->metadata, g_strdup ("tflite_operators"), vt_tflite_describe_graph (self->tflite));
  g_hash_table_insert (self->metadata, g_strdup ("tflite_tensors"), vt_tflite_describe_tensors (self->tflite));
  return TRUE;
}

static gboolean
is_tflite (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return size >= 8 && memcmp (data + 4, "TFL3", 4) == 0;
}

/* Maps one shard; the mapping survives the file being cut short (see
 * vt-file-map.h), and vt_checkpoint_check tells whether it was. */
static GBytes *
map_file (VtCheckpoint  *self,
          const char    *path,
          GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(VtFileMap) map = vt_file_map_new (path, &local_error);

  if (map == NULL)
    {
      g_set_error_literal (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN, local_error->message);
      return NULL;
    }
  g_ptr_array_add (self->files, vt_file_map_ref (map));
  return vt_file_map_get_bytes (map);
}

static JsonNode *
read_json_file (const char  *path,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = vt_json_load_file (path, &local_error);

  if (root == NULL)
    {
      g_set_error_literal (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG, local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CONFIG,
                   "%s: not a JSON object", path);
      return NULL;
    }
  return g_steal_pointer (&root);
}

/* A shard is a file in the index's folder or below it. An absolute path or
 * a “..” would let a downloaded index make Vitrine map any file on the
 * machine as weights. */
static gboolean
shard_stays_inside (const char *shard)
{
  g_auto(GStrv) parts = NULL;

  if (shard[0] == '\0' || g_path_is_absolute (shard))
    return FALSE;
  parts = g_strsplit (shard, G_DIR_SEPARATOR_S, -1);
  for (guint i = 0; parts[i]; i++)
    if (g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

static gboolean
open_sharded (VtCheckpoint  *self,
              const char    *index_path,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (index_path);
  g_autoptr(GHashTable) opened = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) names = NULL;
  JsonObject *weight_map;
  JsonNode *node;

  root = read_json_file (index_path, &local_error);
  if (root == NULL)
    {
      g_set_error_literal (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX, local_error->message);
      return FALSE;
    }
  node = json_object_get_member (json_node_get_object (root), "weight_map");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX,
                   "%s: a shard index needs a “weight_map” object", index_path);
      return FALSE;
    }
  weight_map = json_node_get_object (node);

  names = json_object_get_members (weight_map);
  for (GList *l = names; l; l = l->next)
    {
      JsonNode *entry = json_object_get_member (weight_map, l->data);
      const char *shard;
      g_autofree char *shard_path = NULL;
      g_autoptr(GBytes) bytes = NULL;

      if (!JSON_NODE_HOLDS_VALUE (entry) || json_node_get_value_type (entry) != G_TYPE_STRING)
        {
          g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX,
                       "%s: weight_map entry “%s” is not a file name", index_path,
                       (const char *) l->data);
          return FALSE;
        }
      shard = json_node_get_string (entry);
      if (!shard_stays_inside (shard))
        {
          g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_INDEX,
                       "%s: weight_map entry “%s” names “%s”, outside the index's folder; name each shard "
                       "relative to that folder, without “..” (as Hugging Face writes them)",
                       index_path, (const char *) l->data, shard);
          return FALSE;
        }
      if (g_hash_table_contains (opened, shard))
        continue;
      g_hash_table_add (opened, (gpointer) shard);

      shard_path = g_build_filename (dir, shard, NULL);
      bytes = map_file (self, shard_path, &local_error);
      if (bytes == NULL)
        {
          g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_SHARD,
                       "%s: shard “%s” is missing or unreadable (%s)", index_path, shard,
                       local_error->message);
          return FALSE;
        }
      if (!add_shard (self, bytes, shard_path, error))
        return FALSE;
    }

  /* Every tensor the index promises must be in the shard it names. */
  for (GList *l = names; l; l = l->next)
    if (!g_hash_table_contains (self->by_name, l->data))
      {
        g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_SHARD,
                     "%s: tensor “%s” is not in its shard “%s”", index_path,
                     (const char *) l->data, json_object_get_string_member (weight_map, l->data));
        return FALSE;
      }
  return TRUE;
}

/* A folder stands for the checkpoint inside it, as Hugging Face and OpenCLIP
 * lay them out. */
static char *
resolve_folder (const char  *path,
                GError     **error)
{
  static const char *candidates[] = {
    "model.safetensors.index.json",
    "model.safetensors",
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    /* torch.save's files, where a folder has no safetensors. */
    "pytorch_model.bin",
    "open_clip_pytorch_model.bin",
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *candidate = g_build_filename (path, candidates[i], NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  g_set_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_OPEN,
               "%s: the folder holds no model.safetensors, model.safetensors.index.json or pytorch_model.bin", path);
  return NULL;
}

static gboolean
load_config (VtCheckpoint  *self,
             const char    *file,
             GError       **error)
{
  static const char *names[] = { "config.json", "open_clip_config.json" };
  g_autofree char *dir = g_path_get_dirname (file);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *config_path = g_build_filename (dir, names[i], NULL);

      if (!g_file_test (config_path, G_FILE_TEST_IS_REGULAR))
        continue;
      self->config = read_json_file (config_path, error);
      if (self->config == NULL)
        return FALSE;
      self->config_path = g_steal_pointer (&config_path);
      return TRUE;
    }
  return TRUE;
}

VtCheckpoint *
vt_checkpoint_open (const char  *path,
                    GError     **error)
{
  g_autoptr(VtCheckpoint) self = NULL;
  g_autofree char *file = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      file = resolve_folder (path, error);
      if (file == NULL)
        return NULL;
    }
  else
    file = g_strdup (path);

  self = vt_checkpoint_alloc (path);
  if (g_str_has_suffix (file, ".index.json"))
    {
      if (!open_sharded (self, file, error))
        return NULL;
    }
  else
    {
      g_autoptr(GBytes) bytes = map_file (self, file, error);
      if (bytes == NULL)
        return NULL;
      if (is_tflite (bytes) ? !add_tflite (self, bytes, file, error) : !add_shard (self, bytes, file, error))
        return NULL;
    }

  if (self->metadata == NULL)
    self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!load_config (self, file, error))
    return NULL;
  return g_steal_pointer (&self);
}

VtCheckpoint *
vt_checkpoint_new_from_bytes (GBytes      *bytes,
                              const char  *name,
                              GError     **error)
{
  g_autoptr(VtCheckpoint) self = vt_checkpoint_alloc (name);

  if (!add_shard (self, bytes, name, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
vt_checkpoint_get_path (VtCheckpoint *self)
{
  return self->path;
}

guint64
vt_checkpoint_get_file_size (VtCheckpoint *self)
{
  return self->file_size;
}

guint
vt_checkpoint_get_n_shards (VtCheckpoint *self)
{
  return self->mappings->len;
}

guint
vt_checkpoint_get_n_tensors (VtCheckpoint *self)
{
  return self->tensors->len;
}

const VtTensor *
vt_checkpoint_get_tensor (VtCheckpoint *self,
                          guint         index)
{
  g_return_val_if_fail (index < self->tensors->len, NULL);
  return g_ptr_array_index (self->tensors, index);
}

const VtTensor *
vt_checkpoint_lookup (VtCheckpoint *self,
                      const char   *name)
{
  return g_hash_table_lookup (self->by_name, name);
}

GHashTable *
vt_checkpoint_get_metadata (VtCheckpoint *self)
{
  return self->metadata;
}

JsonObject *
vt_checkpoint_get_config (VtCheckpoint *self)
{
  return self->config ? json_node_get_object (self->config) : NULL;
}

const VtTfliteModel *
vt_checkpoint_get_tflite (VtCheckpoint *self)
{
  return self->tflite;
}

const char *
vt_checkpoint_get_config_path (VtCheckpoint *self)
{
  return self->config_path;
}

gboolean
vt_tensor_is_parameter (const VtTensor *tensor)
{
  return vt_dtype_is_float (tensor->dtype) &&
         !g_str_has_suffix (tensor->name, "running_mean") &&
         !g_str_has_suffix (tensor->name, "running_var");
}

guint64
vt_checkpoint_count_parameters (VtCheckpoint *self)
{
  guint64 n = 0;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      const VtTensor *tensor = g_ptr_array_index (self->tensors, i);
      if (vt_tensor_is_parameter (tensor))
        n += tensor->numel;
    }
  return n;
}

gboolean
vt_checkpoint_check (VtCheckpoint  *self,
                     GError       **error)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!vt_file_map_check (g_ptr_array_index (self->files, i), &local_error))
        {
          g_set_error_literal (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CHANGED, local_error->message);
          return FALSE;
        }
    }
  return TRUE;
}


/* Bytes hashed between two looks at the cancellable: some milliseconds. */
#define HASH_CHUNK (4 << 20)

char *
vt_checkpoint_sha256 (VtCheckpoint  *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < self->mappings->len; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (self->mappings, i), &size);

      for (gsize done = 0; done < size; done += HASH_CHUNK)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          g_checksum_update (checksum, data + done, (gssize) MIN (HASH_CHUNK, size - done));
        }
    }
  return g_strdup (g_checksum_get_string (checksum));
}
