/* vt-workspace-file.c: reading and writing `.vitrine` workspace files. */
#include "vt-workspace-file.h"
#include "core/vt-atomic-file.h"
#include "core/vt-json.h"
#include "core/vt-json-reader.h"

#include <string.h>

G_DEFINE_QUARK (vt-workspace-file-error-quark, vt_workspace_file_error)

static const char *const kind_keys[VT_WORKSPACE_N_KINDS] = {
  [VT_WORKSPACE_CHECKPOINT] = "checkpoints",
  [VT_WORKSPACE_DATASET] = "datasets",
  [VT_WORKSPACE_STORE] = "stores",
  [VT_WORKSPACE_RUN] = "runs",
};

const char *
vt_workspace_kind_key (VtWorkspaceKind kind)
{
  g_return_val_if_fail (kind < VT_WORKSPACE_N_KINDS, NULL);
  return kind_keys[kind];
}

static void
entry_free (VtWorkspaceEntry *entry)
{
  g_free (entry->path);
  g_free (entry);
}

VtWorkspaceFile *
vt_workspace_file_new (void)
{
  VtWorkspaceFile *file = g_new0 (VtWorkspaceFile, 1);

  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    file->entries[k] = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  return file;
}

void
vt_workspace_file_free (VtWorkspaceFile *file)
{
  if (file == NULL)
    return;
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    g_ptr_array_unref (file->entries[k]);
  g_free (file);
}

static void
add_resolved (VtWorkspaceFile *file,
              VtWorkspaceKind  kind,
              const char      *path,
              const char      *relative_to)
{
  VtWorkspaceEntry *entry = g_new0 (VtWorkspaceEntry, 1);

  entry->path = g_canonicalize_filename (path, relative_to);
  g_ptr_array_add (file->entries[kind], entry);
}

void
vt_workspace_file_add (VtWorkspaceFile *file,
                       VtWorkspaceKind  kind,
                       const char      *path)
{
  g_return_if_fail (file != NULL && kind < VT_WORKSPACE_N_KINDS && path != NULL);
  add_resolved (file, kind, path, NULL);
}

/* Reading ------------------------------------------------------------------*/

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
read_version (JsonObject  *root,
              GError     **error)
{
  JsonNode *node = json_object_get_member (root, "version");
  gint64 version;

  if (node == NULL)
    return invalid (error, "$.version: missing (this Vitrine writes %d)", VT_WORKSPACE_FILE_VERSION);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, "$.version: expected a whole number");
  version = json_node_get_int (node);
  if (version > VT_WORKSPACE_FILE_VERSION)
    {
      g_set_error (error, VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_VERSION,
                   "$.version: %" G_GINT64_FORMAT " is from a newer Vitrine (this one reads %d)",
                   version, VT_WORKSPACE_FILE_VERSION);
      return FALSE;
    }
  if (version < 1)
    return invalid (error, "$.version: %" G_GINT64_FORMAT " is not a workspace version (1 or more)", version);
  return TRUE;
}

static gboolean
read_list (JsonObject       *root,
           VtWorkspaceKind   kind,
           const char       *folder,
           VtWorkspaceFile  *file,
           GError          **error)
{
  static const char *const item_keys[] = { "path", NULL };
  const char *key = kind_keys[kind];
  JsonNode *node = json_object_get_member (root, key);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "$.%s: expected a list", key);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      g_autofree char *where = g_strdup_printf ("$.%s[%u]", key, i);
      g_autofree char *path = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "%s: expected an object with a “path”", where);
      if (!vt_json_check_keys (json_node_get_object (item), where, item_keys, error) ||
          !vt_json_get_string (json_node_get_object (item), where, "path", TRUE, &path, error))
        return FALSE;
      add_resolved (file, kind, path, folder);
    }
  return TRUE;
}

static VtWorkspaceFile *
read_root (JsonNode    *root,
           const char  *folder,
           GError     **error)
{
  static const char *const keys[] = { "version", "checkpoints", "datasets", "stores", "runs", NULL };
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      invalid (error, "$: expected an object (a Vitrine workspace)");
      return NULL;
    }
  object = json_node_get_object (root);
  if (!vt_json_check_keys (object, "$", keys, error) || !read_version (object, error))
    return NULL;
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    if (!read_list (object, k, folder, file, error))
      return NULL;
  return g_steal_pointer (&file);
}

VtWorkspaceFile *
vt_workspace_file_load (const char  *path,
                        GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *folder = NULL;
  VtWorkspaceFile *file;

  g_return_val_if_fail (path != NULL, NULL);

  /* vt_json_load_file names the file in its own messages. */
  if (!(root = vt_json_load_file (path, error)))
    return NULL;
  absolute = g_canonicalize_filename (path, NULL);
  folder = g_path_get_dirname (absolute);
  if (!(file = read_root (root, folder, error)))
    {
      /* The getters' shape errors are the workspace file's own. */
      if (error != NULL && g_error_matches (*error, VT_JSON_ERROR, VT_JSON_ERROR_SHAPE))
        {
          (*error)->domain = VT_WORKSPACE_FILE_ERROR;
          (*error)->code = VT_WORKSPACE_FILE_ERROR_INVALID;
        }
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    for (guint i = 0; i < file->entries[k]->len; i++)
      {
        VtWorkspaceEntry *entry = g_ptr_array_index (file->entries[k], i);
        entry->missing = !g_file_test (entry->path, G_FILE_TEST_EXISTS);
      }
  return file;
}

/* Writing ------------------------------------------------------------------*/

/* @path relative to @folder where it lies inside it, else @path. */
static const char *
stored_path (const char *path,
             const char *folder)
{
  gsize n = strlen (folder);

  /* "/" is the one folder that ends in a separator already. */
  if (n == 1)
    return path[0] == '/' && path[1] != '\0' ? path + 1 : path;
  if (strncmp (path, folder, n) == 0 && path[n] == G_DIR_SEPARATOR && path[n + 1] != '\0')
    return path + n + 1;
  return path;
}

char *
vt_workspace_file_to_json (const VtWorkspaceFile  *file,
                           const char             *path,
                           GError                **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *folder = g_path_get_dirname (absolute);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, VT_WORKSPACE_FILE_VERSION);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      json_builder_set_member_name (b, kind_keys[k]);
      json_builder_begin_array (b);
      for (guint i = 0; i < file->entries[k]->len; i++)
        {
          const VtWorkspaceEntry *entry = g_ptr_array_index (file->entries[k], i);

          /* JSON holds text: a file name in another encoding would not
           * come back as the same name. */
          if (!g_utf8_validate (entry->path, -1, NULL))
            {
              g_autofree char *shown = g_filename_display_name (entry->path);
              g_set_error (error, VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_PATH,
                           "%s: cannot store “%s”: its name is not UTF-8", path, shown);
              return NULL;
            }
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, stored_path (entry->path, folder));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

gboolean
vt_workspace_file_save (const VtWorkspaceFile  *file,
                        const char             *path,
                        GError                **error)
{
  g_autofree char *text = vt_workspace_file_to_json (file, path, error);
  g_autoptr(GString) contents = NULL;

  if (text == NULL)
    return FALSE;
  contents = g_string_new (text);
  g_string_append_c (contents, '\n');
  return vt_atomic_file_write (path, contents->str, contents->len, error);
}
