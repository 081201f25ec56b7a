/* vt-pth.c: see vt-pth.h. Layouts from torch/serialization.py (PyTorch
 * 1.13: _save, _legacy_save, _load, _legacy_load). */
#include "vt-pth.h"
#include "vt-pickle.h"
#include "vt-zip.h"

#include <string.h>

G_DEFINE_QUARK (vt-pth-error-quark, vt_pth_error)

/* torch.save's legacy magic number, 0x1950a86a20f9469cfc6c, as LONG1
 * writes it: little-endian. */
static const guint8 legacy_magic[10] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };
#define LEGACY_PROTOCOL_VERSION 1001

/* How many levels of nested dicts are searched for the state dict. */
#define SEARCH_DEPTH 4

typedef struct
{
  const guint8  *data;      /* the storage's bytes, in the file */
  guint64        nbytes;
} Storage;

/* A safetensors file: its header's length (8 bytes, little-endian), then
 * the header's JSON object. A header of 640 to 1,407 bytes whose length
 * ends in 0x80 starts as a pickle's PROTO 2–5 does, so this decides. */
static gboolean
is_safetensors (const guint8 *data,
                gsize         size)
{
  guint64 length;

  if (size < 9 || data[8] != '{')
    return FALSE;
  memcpy (&length, data, 8);
  return GUINT64_FROM_LE (length) <= size - 8;
}

gboolean
vt_pth_detect (const guint8 *data,
               gsize         size)
{
  return (size >= 4 && memcmp (data, "PK\x03\x04", 4) == 0) ||
         (size >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5 && !is_safetensors (data, size));
}

static VtPickle *
load_pickle (const guint8  *data,
             gsize          size,
             gsize          start,
             const char    *filename,
             gsize         *end,
             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  VtPickle *pickle = vt_pickle_load (data, size, start, filename, end, &local_error);

  if (pickle == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return pickle;
}

/* The zip format: the pickle in PREFIX/data.pkl, storage KEY in PREFIX/data/KEY. */
static VtPickle *
read_zip (const guint8  *data,
          gsize          size,
          const char    *filename,
          GHashTable    *storages,
          GError       **error)
{
  g_autoptr(GArray) entries = vt_zip_read_directory (data, size, filename, error);
  g_autofree char *prefix = NULL;
  g_autofree char *byteorder_name = NULL;
  const VtZipEntry *pkl = NULL, *byteorder;
  const guint8 *pkl_data;
  g_autoptr(VtPickle) pickle = NULL;
  GPtrArray *found;

  if (entries == NULL)
    return NULL;
  /* The prefix is the archive's top folder: "archive", or the saved file's
   * name without its extension, as PyTorch versions differ. */
  for (guint i = 0; i < entries->len && pkl == NULL; i++)
    {
      const VtZipEntry *entry = &g_array_index (entries, VtZipEntry, i);
      const char *slash = strchr (entry->name, '/');

      if (slash != NULL && slash != entry->name && g_str_equal (slash, "/data.pkl"))
        {
          pkl = entry;
          prefix = g_strndup (entry->name, (gsize) (slash - entry->name));
        }
    }
  if (pkl == NULL)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                   "%s: is a zip archive without a data.pkl, not a PyTorch checkpoint", filename);
      return NULL;
    }
  byteorder_name = g_strdup_printf ("%s/byteorder", prefix);
  if ((byteorder = vt_zip_find (entries, byteorder_name)) != NULL)
    {
      const guint8 *order = vt_zip_entry_data (data, size, byteorder, filename, error);

      if (order == NULL)
        return NULL;
      if (byteorder->size != 6 || memcmp (order, "little", 6) != 0)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                       "%s: the checkpoint was saved on a big-endian machine, which Vitrine does not read", filename);
          return NULL;
        }
    }

  if ((pkl_data = vt_zip_entry_data (data, size, pkl, filename, error)) == NULL)
    return NULL;
  /* Offsets in messages count from the start of the file. */
  pickle = load_pickle (data, (gsize) (pkl_data - data) + pkl->size, (gsize) (pkl_data - data), filename, NULL, error);
  if (pickle == NULL)
    return NULL;

  found = vt_pickle_get_storages (pickle);
  for (guint i = 0; i < found->len; i++)
    {
      const VtPickleValue *storage = g_ptr_array_index (found, i);
      g_autofree char *name = g_strdup_printf ("%s/data/%s", prefix, storage->key);
      const VtZipEntry *entry;
      Storage *bytes;

      if (g_hash_table_contains (storages, storage->key))
        continue;
      if ((entry = vt_zip_find (entries, name)) == NULL)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                       "%s: storage “%s” is not in the archive (no entry %s)", filename, storage->key, name);
          return NULL;
        }
      bytes = g_new0 (Storage, 1);
      bytes->nbytes = entry->size;
      bytes->data = vt_zip_entry_data (data, size, entry, filename, error);
      g_hash_table_insert (storages, storage->key, bytes);
      if (bytes->data == NULL)
        return NULL;
    }
  return g_steal_pointer (&pickle);
}

/* Bytes per element of a storage type; types without a dtype of ours
 * still need one, for the legacy format to step over their bytes. */
static guint64
storage_element_size (const VtPickleValue *storage)
{
  if (storage->dtype_known)
    return vt_dtype_size (storage->dtype);
  if (g_str_equal (storage->string, "torch.ComplexDoubleStorage"))
    return 16;
  if (g_str_equal (storage->string, "torch.ComplexFloatStorage"))
    return 8;
  if (g_str_equal (storage->string, "torch.ShortStorage"))
    return 2;
  return 1;   /* torch.CharStorage */
}

/* The legacy format: five pickles, then the storages' counts and bytes. */
static VtPickle *
read_legacy (const guint8  *data,
             gsize          size,
             const char    *filename,
             GHashTable    *storages,
             GError       **error)
{
  g_autoptr(VtPickle) magic = NULL, version = NULL, sys_info = NULL, pickle = NULL, keys = NULL;
  g_autoptr(GHashTable) types = g_hash_table_new (g_str_hash, g_str_equal);
  const VtPickleValue *root, *little;
  GPtrArray *found;
  gsize at = 0;

  if ((magic = load_pickle (data, size, at, filename, &at, error)) == NULL)
    return NULL;
  root = vt_pickle_get_root (magic);
  if (root->kind != VT_PICKLE_BIGINT || root->length != sizeof legacy_magic ||
      memcmp (root->string, legacy_magic, sizeof legacy_magic) != 0)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                   "%s: is a Python pickle without torch.save's magic number, not a PyTorch checkpoint", filename);
      return NULL;
    }
  if ((version = load_pickle (data, size, at, filename, &at, error)) == NULL)
    return NULL;
  root = vt_pickle_get_root (version);
  if (root->kind != VT_PICKLE_INT || root->integer != LEGACY_PROTOCOL_VERSION)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                   "%s: torch.save's protocol version is not %d", filename, LEGACY_PROTOCOL_VERSION);
      return NULL;
    }
  if ((sys_info = load_pickle (data, size, at, filename, &at, error)) == NULL)
    return NULL;
  little = vt_pickle_dict_lookup (vt_pickle_get_root (sys_info), "little_endian");
  if (little == NULL || little->kind != VT_PICKLE_BOOL || !little->boolean)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                   "%s: the checkpoint was saved on a big-endian machine, which Vitrine does not read", filename);
      return NULL;
    }
  if ((pickle = load_pickle (data, size, at, filename, &at, error)) == NULL)
    return NULL;
  if ((keys = load_pickle (data, size, at, filename, &at, error)) == NULL)
    return NULL;
  root = vt_pickle_get_root (keys);
  if (root->kind != VT_PICKLE_LIST)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                   "%s: the list of storage keys after the object is %s", filename, "not a list");
      return NULL;
    }

  /* A storage's bytes are counted in elements of its type. */
  found = vt_pickle_get_storages (pickle);
  for (guint i = 0; i < found->len; i++)
    {
      const VtPickleValue *storage = g_ptr_array_index (found, i);
      g_hash_table_insert (types, storage->key, (gpointer) storage);
    }

  for (guint i = 0; i < root->items->len; i++)
    {
      const VtPickleValue *key = g_ptr_array_index (root->items, i);
      const VtPickleValue *storage;
      guint64 count = 0, element_size, nbytes;
      Storage *bytes;

      if (key->kind != VT_PICKLE_STRING)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_FORMAT,
                       "%s: storage key %u after the object is not a string", filename, i);
          return NULL;
        }
      if ((storage = g_hash_table_lookup (types, key->string)) == NULL)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                       "%s: storage “%s” is listed but no tensor uses it, so its type is unknown", filename, key->string);
          return NULL;
        }
      element_size = storage_element_size (storage);
      if (size - at < 8)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                       "%s: storage “%s” would start at byte %" G_GSIZE_FORMAT ", past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                       filename, key->string, at, size);
          return NULL;
        }
      for (int b = 0; b < 8; b++)
        count |= (guint64) data[at + b] << (8 * b);
      at += 8;
      if (count > (size - at) / element_size)
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                       "%s: storage “%s” (%" G_GUINT64_FORMAT " elements of %s at byte %" G_GSIZE_FORMAT
                       ") runs past the end of the file (%" G_GSIZE_FORMAT " bytes): the file is cut short",
                       filename, key->string, count, storage->string, at, size);
          return NULL;
        }
      nbytes = count * element_size;
      if (!g_hash_table_contains (storages, key->string))
        {
          bytes = g_new0 (Storage, 1);
          bytes->data = data + at;
          bytes->nbytes = nbytes;
          g_hash_table_insert (storages, storage->key, bytes);
        }
      at += (gsize) nbytes;
    }
  return g_steal_pointer (&pickle);
}

static gboolean
is_state_dict (const VtPickleValue *value)
{
  if (value->kind != VT_PICKLE_DICT || value->items->len == 0)
    return FALSE;
  for (guint i = 0; i < value->items->len; i += 2)
    if (((VtPickleValue *) g_ptr_array_index (value->items, i))->kind != VT_PICKLE_STRING ||
        ((VtPickleValue *) g_ptr_array_index (value->items, i + 1))->kind != VT_PICKLE_TENSOR)
      return FALSE;
  return TRUE;
}

typedef struct
{
  const VtPickleValue *value;
  gint                 parent;   /* index in the queue, -1 for the root */
  const char          *key;      /* in the parent */
} Node;

/* Breadth first through nested dicts (string keys), SEARCH_DEPTH levels at
 * most, so that a cycle or a deep nest ends the search. Fills @metadata
 * with the other entries of the dicts on the path to the state dict. */
static const VtPickleValue *
find_state_dict (const VtPickleValue  *root,
                 GHashTable           *metadata)
{
  g_autoptr(GArray) queue = g_array_new (FALSE, FALSE, sizeof (Node));
  Node first = { root, -1, NULL };
  guint level_start = 0;
  gint found = -1;

  g_array_append_val (queue, first);
  for (int depth = 0; depth <= SEARCH_DEPTH && found < 0 && level_start < queue->len; depth++)
    {
      guint level_end = queue->len;

      for (guint q = level_start; q < level_end && found < 0; q++)
        {
          const VtPickleValue *value = g_array_index (queue, Node, q).value;

          if (is_state_dict (value))
            found = (gint) q;
          else if (value->kind == VT_PICKLE_DICT && depth < SEARCH_DEPTH)
            for (guint i = 0; i < value->items->len; i += 2)
              {
                const VtPickleValue *key = g_ptr_array_index (value->items, i);
                Node child = { g_ptr_array_index (value->items, i + 1), (gint) q, key->string };

                if (key->kind == VT_PICKLE_STRING && child.value->kind == VT_PICKLE_DICT)
                  g_array_append_val (queue, child);
              }
        }
      level_start = level_end;
    }
  if (found < 0)
    return NULL;

  /* The path's other entries, named by their keys joined with "/". */
  for (gint q = found; g_array_index (queue, Node, q).parent >= 0; q = g_array_index (queue, Node, q).parent)
    {
      const Node *node = &g_array_index (queue, Node, q);
      const VtPickleValue *parent = g_array_index (queue, Node, node->parent).value;
      g_autoptr(GString) prefix = g_string_new ("");

      for (gint up = node->parent; g_array_index (queue, Node, up).parent >= 0; up = g_array_index (queue, Node, up).parent)
        {
          g_string_prepend (prefix, "/");
          g_string_prepend (prefix, g_array_index (queue, Node, up).key);
        }
      for (guint i = 0; i < parent->items->len; i += 2)
        {
          const VtPickleValue *key = g_ptr_array_index (parent->items, i);
          const VtPickleValue *value = g_ptr_array_index (parent->items, i + 1);

          if (value == node->value)
            continue;
          if (key->kind == VT_PICKLE_STRING)
            g_hash_table_replace (metadata, g_strconcat (prefix->str, key->string, NULL),
                                  vt_pickle_value_describe (value));
        }
    }
  return g_array_index (queue, Node, found).value;
}

/* The tensor @value of the state dict, named @name, checked against its
 * storage: a view into the file when its strides are contiguous, else a
 * copy gathered element by element into @buffers. */
static VtTensor *
make_tensor (const VtPickleValue  *value,
             const char           *name,
             GHashTable           *storages,
             GPtrArray            *buffers,
             const char           *filename,
             GError              **error)
{
  const VtPickleValue *storage = value->storage;
  const Storage *bytes = g_hash_table_lookup (storages, storage->key);
  g_autoptr(VtTensor) tensor = g_new0 (VtTensor, 1);
  guint64 element_size, n_elements, numel = 1, last = 0, expected_stride = 1;
  gboolean contiguous = TRUE;

  if (!storage->dtype_known)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_TENSOR,
                   "%s: tensor “%s” is held in a %s, a type Vitrine does not read", filename, name, storage->string);
      return NULL;
    }
  if (bytes == NULL)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                   "%s: tensor “%s” uses storage “%s”, whose bytes are not in the file", filename, name, storage->key);
      return NULL;
    }
  element_size = vt_dtype_size (storage->dtype);
  /* What the persistent id promises must be there; the bytes bound the rest. */
  n_elements = bytes->nbytes / element_size;
  if ((guint64) storage->numel > n_elements)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE,
                   "%s: storage “%s” should hold %" G_GINT64_FORMAT " elements but the file has %" G_GUINT64_FORMAT,
                   filename, storage->key, storage->numel, n_elements);
      return NULL;
    }

  tensor->name = g_strdup (name);
  tensor->dtype = storage->dtype;
  tensor->ndim = value->ndim;
  for (guint i = 0; i < value->ndim; i++)
    {
      tensor->shape[i] = value->shape[i];
      if (numel != 0 && (guint64) value->shape[i] > G_MAXUINT64 / numel)
        numel = G_MAXUINT64;
      else
        numel *= (guint64) value->shape[i];
    }
  /* The last element the view reaches, checked for overflow at each step:
   * shapes and strides come from the file. */
  if (numel != 0)
    {
      last = (guint64) value->offset;
      for (guint i = 0; i < value->ndim && last < n_elements; i++)
        {
          guint64 span = (guint64) (value->shape[i] - 1);
          guint64 stride = (guint64) value->stride[i];

          if (stride != 0 && span > (n_elements - last) / stride)
            last = n_elements;
          else
            last += span * stride;
        }
      if (numel > n_elements || last >= n_elements)
        {
          g_autofree char *shape = vt_tensor_format_shape (tensor);
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_TENSOR,
                       "%s: tensor “%s” (offset %" G_GINT64_FORMAT ", shape %s) reaches past the end of its storage “%s” "
                       "of %" G_GUINT64_FORMAT " elements, or repeats its elements",
                       filename, name, value->offset, shape, storage->key, n_elements);
          return NULL;
        }
    }
  else if ((guint64) value->offset > n_elements)
    {
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_TENSOR,
                   "%s: tensor “%s” starts at element %" G_GINT64_FORMAT " of its storage “%s”, which holds %" G_GUINT64_FORMAT,
                   filename, name, value->offset, storage->key, n_elements);
      return NULL;
    }
  tensor->numel = (gsize) numel;
  tensor->nbytes = (gsize) (numel * element_size);

  /* Row-major strides, ignoring dimensions of size 1 (whose stride is free). */
  for (guint i = value->ndim; i-- > 0;)
    {
      if (value->shape[i] != 1 && (guint64) value->stride[i] != expected_stride)
        contiguous = FALSE;
      expected_stride *= (guint64) value->shape[i];
    }
  if (contiguous || numel == 0)
    tensor->data = bytes->data + value->offset * element_size;
  else
    {
      /* A transposed or sliced view: gather it, one element at a time, with
       * an odometer over the dimensions. numel ≤ the storage's elements
       * (checked above), so the copy is no larger than the file. */
      guint8 *copy = g_malloc (tensor->nbytes);
      gint64 index[VT_TENSOR_MAX_DIMS] = { 0 };

      for (guint64 e = 0; e < numel; e++)
        {
          guint64 source = (guint64) value->offset;

          for (guint d = 0; d < value->ndim; d++)
            source += (guint64) index[d] * (guint64) value->stride[d];
          memcpy (copy + e * element_size, bytes->data + source * element_size, element_size);
          for (guint d = value->ndim; d-- > 0;)
            {
              if (++index[d] < value->shape[d])
                break;
              index[d] = 0;
            }
        }
      g_ptr_array_add (buffers, g_bytes_new_take (copy, tensor->nbytes));
      tensor->data = copy;
    }
  return g_steal_pointer (&tensor);
}

gboolean
vt_pth_parse (const guint8  *data,
              gsize          size,
              const char    *filename,
              GPtrArray    **tensors,
              GHashTable   **metadata,
              GPtrArray    **buffers,
              GError       **error)
{
  g_autoptr(GHashTable) storages = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_tensor_free);
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(VtPickle) pickle = NULL;
  const VtPickleValue *root, *state_dict;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (size >= 4 && memcmp (data, "PK\x03\x04", 4) == 0)
    pickle = read_zip (data, size, filename, storages, error);
  else
    pickle = read_legacy (data, size, filename, storages, error);
  if (pickle == NULL)
    return FALSE;

  root = vt_pickle_get_root (pickle);
  if ((state_dict = find_state_dict (root, meta)) == NULL)
    {
      g_autofree char *what = vt_pickle_value_describe (root);
      g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_NO_STATE_DICT,
                   "%s: holds no state dict (a dict of tensors) in its top %d levels; it holds %s",
                   filename, SEARCH_DEPTH + 1, what);
      return FALSE;
    }

  for (guint i = 0; i < state_dict->items->len; i += 2)
    {
      const char *name = ((VtPickleValue *) g_ptr_array_index (state_dict->items, i))->string;
      VtTensor *tensor;

      if (g_hash_table_contains (names, name))
        {
          g_set_error (error, VT_PTH_ERROR, VT_PTH_ERROR_TENSOR, "%s: tensor “%s” is in the state dict twice", filename, name);
          return FALSE;
        }
      g_hash_table_add (names, (gpointer) name);
      tensor = make_tensor (g_ptr_array_index (state_dict->items, i + 1), name, storages, copies, filename, error);
      if (tensor == NULL)
        return FALSE;
      g_ptr_array_add (out, tensor);
    }

  *tensors = g_steal_pointer (&out);
  *metadata = g_steal_pointer (&meta);
  *buffers = g_steal_pointer (&copies);
  return TRUE;
}
