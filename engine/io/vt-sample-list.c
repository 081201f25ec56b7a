/* vt-sample-list.c: a dataset given as a list of (path, label), for data in
 * no standard layout.
 *
 *   CSV:   a header line "path,label", then one sample per line; no quoting,
 *          so neither field may hold a comma.
 *   JSON:  [ { "path": "a/b.jpg", "label": "cat" }, … ]; a label may be a
 *          string or a non-negative integer.
 *
 * Relative paths are relative to the list's folder. Classes are the distinct
 * labels, sorted (numerically when every label is a number). */
#include "vt-dataset-readers.h"
#include "core/vt-json.h"
#include "vt-file.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

static gboolean
list_error (GError     **error,
            const char  *path,
            const char  *where,
            const char  *what)
{
  g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "%s: %s: %s", path, where, what);
  return FALSE;
}

/* Samples read between two looks at the cancellable. */
#define CHECK_SAMPLES 1024

static gboolean
parse_csv (const char    *path,
           const char    *contents,
           GPtrArray     *files,
           GPtrArray     *names,
           GCancellable  *cancellable,
           GError       **error)
{
  const char *p = contents;

  /* Line by line in place: splitting a list of millions first would be
   * seconds that Cancel cannot interrupt. */
  for (guint number = 1; number == 1 || *p != '\0'; number++)
    {
      const char *end = strchr (p, '\n');
      gsize length = end ? (gsize) (end - p) : strlen (p);
      g_autofree char *line = g_strstrip (g_strndup (p, length));
      g_auto(GStrv) fields = NULL;

      p += end ? length + 1 : length;
      if (number % CHECK_SAMPLES == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (number == 1)
        {
          if (g_strcmp0 (line, "path,label") != 0)
            return list_error (error, path, "line 1", "the header must be “path,label”");
          continue;
        }
      if (line[0] == '\0')
        continue;
      fields = g_strsplit (line, ",", -1);
      if (g_strv_length (fields) != 2 || fields[0][0] == '\0' || fields[1][0] == '\0')
        {
          g_autofree char *where = g_strdup_printf ("line %u", number);
          return list_error (error, path, where, "expected “path,label”");
        }
      g_ptr_array_add (files, g_strdup (fields[0]));
      g_ptr_array_add (names, g_strdup (fields[1]));
    }
  return TRUE;
}

static gboolean
parse_json (const char    *path,
            const char    *contents,
            GPtrArray     *files,
            GPtrArray     *names,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = vt_json_parse (contents, -1, path, &local_error);
  JsonArray *array;

  if (root == NULL)
    {
      g_set_error_literal (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, local_error->message);
      return FALSE;
    }
  /* The JSON is parsed in one call, which Cancel cannot interrupt. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return list_error (error, path, "$", "expected an array of {\"path\", \"label\"} objects");
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *where = g_strdup_printf ("$[%u]", i);
      JsonObject *object;
      JsonNode *file, *label;

      if (i % CHECK_SAMPLES == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!JSON_NODE_HOLDS_OBJECT (element))
        return list_error (error, path, where, "expected an object");
      object = json_node_get_object (element);
      file = json_object_get_member (object, "path");
      label = json_object_get_member (object, "label");
      if (file == NULL || json_node_get_value_type (file) != G_TYPE_STRING)
        return list_error (error, path, where, "“path” must be a string");
      if (label != NULL && json_node_get_value_type (label) == G_TYPE_STRING)
        g_ptr_array_add (names, g_strdup (json_node_get_string (label)));
      else if (label != NULL && json_node_get_value_type (label) == G_TYPE_INT64 && json_node_get_int (label) >= 0)
        g_ptr_array_add (names, g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (label)));
      else
        return list_error (error, path, where, "“label” must be a string or a non-negative integer");
      g_ptr_array_add (files, g_strdup (json_node_get_string (file)));
    }
  return TRUE;
}

gboolean
vt_dataset_read_list (VtDataset     *self,
                      const char    *list_path,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *folder = g_path_get_dirname (list_path);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  if (!vt_file_get_contents (list_path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, &local_error))
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s", local_error->message);
      return FALSE;
    }
  ok = g_str_has_suffix (list_path, ".json") ? parse_json (list_path, contents, files, names, cancellable, error)
                                             : parse_csv (list_path, contents, files, names, cancellable, error);
  if (!ok)
    return FALSE;
  if (files->len == 0)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_EMPTY, "%s: the list names no samples", list_path);
      return FALSE;
    }
  self->paths = g_ptr_array_new_full (files->len, g_free);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);

      if (i % CHECK_SAMPLES == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_ptr_array_add (self->paths, g_path_is_absolute (file) ? g_strdup (file)
                                                               : g_build_filename (folder, file, NULL));
    }
  vt_dataset_set_string_labels (self, names);
  g_ptr_array_add (self->sources, g_strdup (list_path));
  return TRUE;
}
