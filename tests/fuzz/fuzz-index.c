/* fuzz-index.c: libFuzzer harness for sharded checkpoints: the
 * model.safetensors.index.json of vt-checkpoint.c.
 *
 * The input is the index. Beside it lie two real shards (the fixture's
 * Hugging Face CLIP, linked in once), so an index that names them gets as
 * far as matching tensors to shards. A weight_map naming a file outside the
 * folder (“..”) is not tried: the harness must not wander the file system,
 * and refusing such names is the checkpoint's own job (issue 16, item 10). */
#include "fuzz-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "io/vt-checkpoint.h"

static const char *shards[] = {
  "model-00001-of-00002.safetensors",
  "model-00002-of-00002.safetensors",
};

static void
link_shards (void)
{
  static gboolean done;

  if (done)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (shards); i++)
    {
      g_autofree char *target = g_build_filename (fuzz_getenv ("VITRINE_FIXTURES"), "arch", "hf-clip", shards[i], NULL);
      g_autofree char *link = g_build_filename (fuzz_temp_dir (), shards[i], NULL);

      if (symlink (target, link) != 0)
        g_error ("cannot link %s to %s", link, target);
    }
  done = TRUE;
}

/* Whether any weight_map value could leave the folder. */
static gboolean
names_outside (const uint8_t *data,
               size_t         size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GList) members = NULL;
  JsonNode *root, *map;

  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)) ||
      (map = json_object_get_member (json_node_get_object (root), "weight_map")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (map))
    return FALSE;
  members = json_object_get_members (json_node_get_object (map));
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (json_node_get_object (map), l->data);
      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
          strstr (json_node_get_string (value), "..") != NULL)
        return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;

  link_shards ();
  if (names_outside (data, size))
    return 0;
  path = fuzz_write_file ("model.safetensors.index.json", data, size);
  checkpoint = vt_checkpoint_open (path, &error);
  if (checkpoint == NULL)
    {
      g_assert (fuzz_error_names (error, fuzz_temp_dir ()));
      return 0;
    }
  g_assert (vt_checkpoint_get_n_shards (checkpoint) <= G_N_ELEMENTS (shards));
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (checkpoint); i++)
    {
      const VtTensor *tensor = vt_checkpoint_get_tensor (checkpoint, i);
      g_assert (vt_checkpoint_lookup (checkpoint, tensor->name) == tensor);
    }
  return 0;
}
