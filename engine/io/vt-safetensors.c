/* vt-safetensors.c: a strict safetensors parser.
 *
 * Every check names the file, and the tensor where there is one, because the
 * person reading the message has a multi-gigabyte file and no hex editor. */
#include "vt-safetensors.h"
#include "vt-file-format.h"
#include "core/vt-json.h"
#include "core/vt-atomic-file.h"

#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (vt-safetensors-error-quark, vt_safetensors_error)

/* JSON numbers reach us as doubles or int64; offsets and dims must be exact
 * non-negative integers. */
#define MAX_EXACT_INTEGER (G_GINT64_CONSTANT (1) << 53)

static gboolean
read_uint (JsonNode *node,
           gint64   *out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return *out >= 0 && *out <= MAX_EXACT_INTEGER;
}

static gboolean
parse_metadata (JsonNode    *node,
                const char  *filename,
                GHashTable  *metadata,
                GError     **error)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_METADATA,
                   "%s: __metadata__ is not an object", filename);
      return FALSE;
    }
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_METADATA,
                       "%s: __metadata__ value “%s” is not a string", filename,
                       (const char *) l->data);
          return FALSE;
        }
      g_hash_table_insert (metadata, g_strdup (l->data), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

typedef struct
{
  VtTensor *tensor;
  gsize begin;
  gsize end;
} Span;

static gboolean
parse_tensor (const char  *filename,
              const char  *name,
              JsonNode    *node,
              gsize        buffer_size,
              VtTensor   **out,
              Span        *span,
              GError     **error)
{
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  g_autoptr(VtTensor) tensor = NULL;
  gint64 begin, end;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER,
                   "%s: tensor “%s”: entry is not an object", filename, name);
      return FALSE;
    }
  object = json_node_get_object (node);
  dtype_node = json_object_get_member (object, "dtype");
  shape_node = json_object_get_member (object, "shape");
  offsets_node = json_object_get_member (object, "data_offsets");
  if (dtype_node == NULL || shape_node == NULL || offsets_node == NULL)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER,
                   "%s: tensor “%s”: entry needs “dtype”, “shape” and “data_offsets”",
                   filename, name);
      return FALSE;
    }

  tensor = g_new0 (VtTensor, 1);
  tensor->name = g_strdup (name);

  if (!JSON_NODE_HOLDS_VALUE (dtype_node) || json_node_get_value_type (dtype_node) != G_TYPE_STRING ||
      !vt_dtype_from_name (json_node_get_string (dtype_node), &tensor->dtype))
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_DTYPE,
                   "%s: tensor “%s”: unknown dtype %s (known: F32, F16, BF16, F64, I64, I32, U8, BOOL)",
                   filename, name,
                   JSON_NODE_HOLDS_VALUE (dtype_node) && json_node_get_value_type (dtype_node) == G_TYPE_STRING
                     ? json_node_get_string (dtype_node) : "(not a string)");
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (shape_node) ||
      json_array_get_length (shape = json_node_get_array (shape_node)) > VT_TENSOR_MAX_DIMS)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_SHAPE,
                   "%s: tensor “%s”: shape is not a list of at most %d sizes",
                   filename, name, VT_TENSOR_MAX_DIMS);
      return FALSE;
    }
  tensor->ndim = json_array_get_length (shape);
  tensor->numel = 1;
  for (guint i = 0; i < tensor->ndim; i++)
    {
      gsize product;

      if (!read_uint (json_array_get_element (shape, i), &tensor->shape[i]))
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_SHAPE,
                       "%s: tensor “%s”: dimension %u is not a non-negative integer",
                       filename, name, i);
          return FALSE;
        }
      if (g_size_checked_mul (&product, tensor->numel, (gsize) tensor->shape[i]) == FALSE ||
          product > MAX_EXACT_INTEGER)
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_SHAPE,
                       "%s: tensor “%s”: shape is too large", filename, name);
          return FALSE;
        }
      tensor->numel = product;
    }
  tensor->nbytes = tensor->numel * vt_dtype_size (tensor->dtype);

  if (!JSON_NODE_HOLDS_ARRAY (offsets_node) ||
      json_array_get_length (offsets = json_node_get_array (offsets_node)) != 2 ||
      !read_uint (json_array_get_element (offsets, 0), &begin) ||
      !read_uint (json_array_get_element (offsets, 1), &end))
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                   "%s: tensor “%s”: data_offsets is not a pair of non-negative integers",
                   filename, name);
      return FALSE;
    }
  if (begin > end)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                   "%s: tensor “%s”: data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] are out of order (begin after end)",
                   filename, name, begin, end);
      return FALSE;
    }
  if ((guint64) end > buffer_size)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                   "%s: tensor “%s”: data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] are out of range: the data buffer holds %" G_GSIZE_FORMAT " bytes",
                   filename, name, begin, end, buffer_size);
      return FALSE;
    }
  if ((guint64) (end - begin) != tensor->nbytes)
    {
      g_autofree char *shape_text = vt_tensor_format_shape (tensor);
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_SHAPE,
                   "%s: tensor “%s”: shape %s of %s needs %" G_GSIZE_FORMAT " bytes but data_offsets span %" G_GINT64_FORMAT,
                   filename, name, shape_text, vt_dtype_name (tensor->dtype), tensor->nbytes, end - begin);
      return FALSE;
    }

  span->begin = begin;
  span->end = end;
  *out = g_steal_pointer (&tensor);
  span->tensor = *out;
  return TRUE;
}

static int
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const Span *x = a, *y = b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* The tensors must tile the data buffer exactly, as the reference
 * implementation demands; anything else is a damaged or forged file. */
static gboolean
check_tiling (GArray      *spans,
              gsize        buffer_size,
              const char  *filename,
              GError     **error)
{
  gsize expected = 0;
  const char *previous = NULL;

  g_array_sort (spans, compare_spans);
  for (guint i = 0; i < spans->len; i++)
    {
      const Span *s = &g_array_index (spans, Span, i);

      if (s->begin < expected)
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                       "%s: tensor “%s” overlaps tensor “%s” (bytes %" G_GSIZE_FORMAT " to %" G_GSIZE_FORMAT ")",
                       filename, s->tensor->name, previous, s->begin, expected);
          return FALSE;
        }
      if (s->begin > expected)
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                       "%s: %" G_GSIZE_FORMAT " unused bytes before tensor “%s” (offset %" G_GSIZE_FORMAT ")",
                       filename, s->begin - expected, s->tensor->name, s->begin);
          return FALSE;
        }
      expected = s->end;
      previous = s->tensor->name;
    }
  if (expected != buffer_size)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_OFFSETS,
                   "%s: %" G_GSIZE_FORMAT " bytes after the last tensor are not described by the header",
                   filename, buffer_size - expected);
      return FALSE;
    }
  return TRUE;
}

gboolean
vt_safetensors_parse_header (const guint8  *data,
                             gsize          available,
                             guint64        size,
                             const char    *filename,
                             GPtrArray    **tensors,
                             GArray       **offsets,
                             GHashTable   **metadata,
                             GError       **error)
{
  guint64 header_len;
  gsize buffer_size;
  g_autoptr(GError) json_error = NULL;
  g_autofree char *header_name = NULL;
  g_autoptr(GPtrArray) out_tensors = NULL;
  g_autoptr(GHashTable) out_metadata = NULL;
  g_autoptr(GArray) spans = NULL;
  g_autoptr(GArray) out_offsets = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *header;

  g_return_val_if_fail (data != NULL || available == 0, FALSE);
  g_return_val_if_fail (available <= size, FALSE);
  g_return_val_if_fail (filename != NULL, FALSE);

  if (size < 8)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_TRUNCATED,
                   "%s: %" G_GUINT64_FORMAT " bytes is too short for a safetensors file (the header length alone takes 8)",
                   filename, size);
      return FALSE;
    }
  /* A safetensors header is JSON that starts with "{" right after its
   * length; a file that does not may be one of another format. */
  if (available < 9 || data[8] != '{')
    {
      const char *convert = NULL;
      const char *what = vt_file_format_describe (data, available, &convert);

      if (what != NULL)
        {
          g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_FORMAT,
                       "%s: is %s, not a safetensors file; Vitrine opens safetensors checkpoints%s%s",
                       filename, what, convert ? ": " : "", convert ? convert : "");
          return FALSE;
        }
    }
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > VT_SAFETENSORS_MAX_HEADER)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER,
                   "%s: header length %" G_GUINT64_FORMAT " is absurdly large (the limit is %d bytes); is this a safetensors file?",
                   filename, header_len, VT_SAFETENSORS_MAX_HEADER);
      return FALSE;
    }
  if (header_len > size - 8)
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_TRUNCATED,
                   "%s: header length %" G_GUINT64_FORMAT " runs past the end of the file (%" G_GUINT64_FORMAT " bytes); the file is truncated or not safetensors",
                   filename, header_len, size);
      return FALSE;
    }
  /* The caller read too little: a contract error, not the file's fault. */
  g_return_val_if_fail (available >= 8 + header_len, FALSE);
  if (header_len < 2 || data[8] != '{')
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER,
                   "%s: the header does not start with “{”; this is not a safetensors file",
                   filename);
      return FALSE;
    }

  /* vt-json also refuses a tensor (or metadata key) described twice, which
   * json-glib would merge into the last of them. */
  header_name = g_strdup_printf ("%s: header", filename);
  root = vt_json_parse ((const char *) data + 8, (gssize) header_len, header_name, &json_error);
  if (root == NULL)
    {
      g_set_error_literal (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_JSON, json_error->message);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VT_SAFETENSORS_ERROR, VT_SAFETENSORS_ERROR_HEADER,
                   "%s: the header is not a JSON object", filename);
      return FALSE;
    }
  header = json_node_get_object (root);

  buffer_size = size - 8 - header_len;
  out_tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_tensor_free);
  out_metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  spans = g_array_new (FALSE, FALSE, sizeof (Span));
  out_offsets = g_array_new (FALSE, FALSE, sizeof (guint64));

  members = json_object_get_members (header);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (header, name);
      VtTensor *tensor = NULL;
      Span span;

      if (g_str_equal (name, "__metadata__"))
        {
          if (!parse_metadata (node, filename, out_metadata, error))
            return FALSE;
          continue;
        }
      if (!parse_tensor (filename, name, node, buffer_size, &tensor, &span, error))
        return FALSE;
      g_ptr_array_add (out_tensors, tensor);
      guint64 offset = 8 + header_len + span.begin;
      g_array_append_val (out_offsets, offset);
      g_array_append_val (spans, span);
    }

  if (!check_tiling (spans, buffer_size, filename, error))
    return FALSE;

  *tensors = g_steal_pointer (&out_tensors);
  *offsets = g_steal_pointer (&out_offsets);
  if (metadata)
    *metadata = g_steal_pointer (&out_metadata);
  return TRUE;
}

gboolean
vt_safetensors_parse (const guint8  *data,
                      gsize          size,
                      const char    *filename,
                      GPtrArray    **tensors,
                      GHashTable   **metadata,
                      GError       **error)
{
  g_autoptr(GArray) offsets = NULL;

  if (!vt_safetensors_parse_header (data, size, size, filename, tensors, &offsets, metadata, error))
    return FALSE;
  for (guint i = 0; i < (*tensors)->len; i++)
    ((VtTensor *) g_ptr_array_index (*tensors, i))->data = data + g_array_index (offsets, guint64, i);
  return TRUE;
}

gboolean
vt_safetensors_write (const char             *path,
                      guint                   n,
                      const VtTensor * const *tensors,
                      GHashTable             *metadata,
                      GError                **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  gsize offset = 0, header_len;
  guint64 len_le;

  json_builder_begin_object (b);
  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      GHashTableIter iter;
      gpointer key, value;

      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_set_member_name (b, key);
          json_builder_add_string_value (b, value);
        }
      json_builder_end_object (b);
    }
  for (guint i = 0; i < n; i++)
    {
      json_builder_set_member_name (b, tensors[i]->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, vt_dtype_name (tensors[i]->dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < tensors[i]->ndim; d++)
        json_builder_add_int_value (b, tensors[i]->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_add_int_value (b, (gint64) (offset + tensors[i]->nbytes));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += tensors[i]->nbytes;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  header = json_to_string (root, FALSE);

  /* Pad with spaces so the data starts 8-byte aligned, as the format's
   * reference writer does. */
  header_len = strlen (header);
  len_le = GUINT64_TO_LE ((guint64) ((header_len + 7) / 8 * 8));
  g_byte_array_append (file, (const guint8 *) &len_le, 8);
  g_byte_array_append (file, (const guint8 *) header, header_len);
  for (gsize pad = header_len; pad % 8 != 0; pad++)
    g_byte_array_append (file, (const guint8 *) " ", 1);
  /* Little-endian on disk; every machine Vitrine builds on is too. */
  for (guint i = 0; i < n; i++)
    g_byte_array_append (file, tensors[i]->data, tensors[i]->nbytes);

  if (!vt_atomic_file_write (path, file->data, file->len, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vt_safetensors_write_f32 (const char           *path,
                          guint                 n,
                          const char * const   *names,
                          const guint          *ndims,
                          const gint64 * const *shapes,
                          const float * const  *data,
                          GHashTable           *metadata,
                          GError              **error)
{
  g_autofree VtTensor *tensors = g_new0 (VtTensor, n);
  g_autofree const VtTensor **pointers = g_new (const VtTensor *, n);

  for (guint i = 0; i < n; i++)
    {
      VtTensor *t = &tensors[i];

      t->name = (char *) names[i];
      t->dtype = VT_DTYPE_F32;
      t->ndim = ndims[i];
      t->numel = 1;
      for (guint d = 0; d < ndims[i]; d++)
        {
          t->shape[d] = shapes[i][d];
          t->numel *= (gsize) shapes[i][d];
        }
      t->nbytes = t->numel * sizeof (float);
      t->data = (const guint8 *) data[i];
      pointers[i] = t;
    }
  return vt_safetensors_write (path, n, pointers, metadata, error);
}
