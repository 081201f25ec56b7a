/* vt-checkpoint-export.c: see vt-checkpoint-export.h. */
#include "vt-checkpoint-export.h"
#include "vt-safetensors.h"
#include "core/vt-atomic-file.h"

#include <string.h>

gboolean
vt_checkpoint_export_safetensors (VtCheckpoint  *checkpoint,
                                  const char    *path,
                                  GError       **error)
{
  guint n = vt_checkpoint_get_n_tensors (checkpoint);
  g_autofree const VtTensor **tensors = g_new (const VtTensor *, MAX (n, 1));
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTable *source = vt_checkpoint_get_metadata (checkpoint);
  const char *config_path = vt_checkpoint_get_config_path (checkpoint);
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < n; i++)
    tensors[i] = vt_checkpoint_get_tensor (checkpoint, i);
  if (source != NULL)
    {
      g_hash_table_iter_init (&iter, source);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (metadata, key, value);
    }
  if (!g_hash_table_contains (metadata, "format"))
    g_hash_table_insert (metadata, (gpointer) "format", (gpointer) "pt");
  /* The weights may change on disk while they are copied; vt_checkpoint_check
   * says so before and after, rather than writing a mix. */
  if (!vt_checkpoint_check (checkpoint, error) ||
      !vt_safetensors_write (path, n, tensors, metadata, error) ||
      !vt_checkpoint_check (checkpoint, error))
    return FALSE;

  if (config_path != NULL)
    {
      g_autofree char *config_name = g_path_get_basename (config_path);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *target = g_build_filename (dir, config_name, NULL);
      g_autofree char *source_real = g_canonicalize_filename (config_path, NULL);
      g_autofree char *target_real = g_canonicalize_filename (target, NULL);
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), vt_checkpoint_get_config (checkpoint));
      g_autofree char *text = NULL;

      if (g_str_equal (source_real, target_real))
        return TRUE;
      text = json_to_string (node, TRUE);
      if (!vt_atomic_file_write (target, text, strlen (text), error))
        return FALSE;
    }
  return TRUE;
}
