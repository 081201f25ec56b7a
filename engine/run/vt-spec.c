/* vt-spec.c: loading, validating, building and writing experiment specs.
 *
 * The kinds of steps, and their keys, are in run/steps/ (vt-step.h). */
#include "vt-spec.h"
#include "core/vt-json-reader.h"
#include "vt-step.h"
#include "core/vt-json.h"
#include "io/vt-file.h"
#include "models/vt-transform.h"
#include "models/vt-zero-shot.h"
#include "methods/cil/vt-cil-protocol.h"

G_DEFINE_QUARK (vt-spec-error-quark, vt_spec_error)



















void
vt_spec_free (VtSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->path);
  g_free (spec->base_dir);
  g_free (spec->name);
  g_clear_pointer (&spec->steps, g_ptr_array_unref);
  g_clear_pointer (&spec->source, json_node_unref);
  g_free (spec);
}

static gboolean
is_valid_id (const char *id)
{
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return *id != '\0';
}

static VtStep *
parse_step (JsonNode    *node,
            guint        index,
            GHashTable  *ids,
            GError     **error)
{
  g_autofree char *path = g_strdup_printf ("$.steps[%u]", index);
  g_autofree char *kind = NULL;
  g_autofree char *id = NULL;
  JsonObject *object;
  const VtStepType *type;
  VtStep *step = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: expected an object", path);
      return NULL;
    }
  object = json_node_get_object (node);
  if (!vt_json_get_string (object, path, "kind", TRUE, &kind, error) ||
      !vt_json_get_string (object, path, "id", FALSE, &id, error))
    return NULL;

  type = vt_step_type_lookup (kind);
  if (type == NULL)
    {
      const VtStepType * const *types = vt_step_types ();
      g_autoptr(GString) known = g_string_new (NULL);
      for (guint i = 0; types[i]; i++)
        g_string_append_printf (known, "%s%s", i ? ", " : "", types[i]->name);
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.kind: unknown kind “%s” (known: %s)", path, kind, known->str);
      return NULL;
    }

  /* Default ids: "inspect", then "inspect-2", … */
  if (id == NULL)
    {
      id = g_strdup (kind);
      for (guint n = 2; g_hash_table_contains (ids, id); n++)
        {
          g_free (id);
          id = g_strdup_printf ("%s-%u", kind, n);
        }
    }
  else if (!is_valid_id (id) || g_hash_table_contains (ids, id))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.id: “%s” must be unique and use only letters, digits, “-” and “_”", path, id);
      return NULL;
    }

  step = type->parse (object, path, error);
  if (step == NULL)
    return NULL;
  step->id = g_steal_pointer (&id);
  g_hash_table_add (ids, step->id);
  return step;
}

/* A feature store that step @index names: the id of an earlier extract
 * step, the path an earlier extract step writes, or a store file that
 * exists. Anything else is a misspelt id or path, better said now (a spec
 * error) than after the steps before it have run. */
static gboolean
check_store_reference (VtSpec      *spec,
                       guint        index,
                       const char  *key,
                       const char  *name,
                       GError     **error)
{
  g_autofree char *path = vt_spec_resolve_path (spec, name);
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint i = 0; i < spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (spec->steps, i);
      g_autofree char *writes = NULL;

      if (!g_str_equal (step->id, name))
        {
          if (step->type->writes_store && i < index)
            {
              const char *store = step->type->store_written (step);
              writes = store ? vt_spec_resolve_path (spec, store) : NULL;
              if (writes != NULL && g_str_equal (writes, path))
                return TRUE;
              g_string_append_printf (known, "%s%s", known->len ? ", " : "", step->id);
            }
          continue;
        }
      if (step->type->writes_store && i < index)
        return TRUE;
      if (step->type->writes_store)
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                     "$.steps[%u].%s: “%s” is an extract step that comes later; move it before this step",
                     index, key, name);
      else
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                     "$.steps[%u].%s: “%s” is the id of a step of kind “%s”, which writes no feature store; "
                     "name an extract step", index, key, name, vt_step_kind_name (step));
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
               "$.steps[%u].%s: “%s” is neither the id of an earlier extract step (%s%s) nor a store file (%s does not exist)",
               index, key, name, known->len ? "known: " : "there is none", known->str, path);
  return FALSE;
}

static gboolean
check_store_references (VtSpec   *spec,
                        guint     index,
                        GError  **error)
{
  VtStep *step = g_ptr_array_index (spec->steps, index);

  const char *key = NULL;
  const char *store;

  for (guint i = 0; step->type->store_read && (store = step->type->store_read (step, i, &key)) != NULL; i++)
    if (!check_store_reference (spec, index, key, store, error))
      return FALSE;
  return TRUE;
}

static VtSpec *
parse_spec (JsonNode    *root,
            const char  *base_dir,
            GError     **error)
{
  static const char * const keys[] = { "name", "base_dir", "steps", NULL };
  g_autoptr(VtSpec) spec = g_new0 (VtSpec, 1);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *given_base = NULL;
  JsonObject *object;
  JsonNode *steps;

  /* A "base_dir" in the spec (as results.json echoes one) replaces this. */
  spec->base_dir = g_strdup (base_dir);
  spec->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_step_free);
  spec->source = json_node_copy (root);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "$: expected an object");
      return NULL;
    }
  object = json_node_get_object (root);
  if (!vt_json_check_keys (object, "$", keys, error) ||
      !vt_json_get_string (object, "$", "name", FALSE, &spec->name, error) ||
      !vt_json_get_string (object, "$", "base_dir", FALSE, &given_base, error))
    return NULL;
  if (given_base != NULL && !g_path_is_absolute (given_base))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "$.base_dir: “%s” is not an absolute path (the folder the spec's relative paths start at)",
                   given_base);
      return NULL;
    }
  if (given_base != NULL)
    {
      g_free (spec->base_dir);
      spec->base_dir = g_steal_pointer (&given_base);
    }

  steps = json_object_get_member (object, "steps");
  if (steps == NULL || !JSON_NODE_HOLDS_ARRAY (steps) ||
      json_array_get_length (json_node_get_array (steps)) == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "$.steps: expected a non-empty list of steps");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (steps)); i++)
    {
      VtStep *step = parse_step (json_array_get_element (json_node_get_array (steps), i), i, ids, error);
      if (step == NULL)
        return NULL;
      g_ptr_array_add (spec->steps, step);
    }
  for (guint i = 0; i < spec->steps->len; i++)
    if (!check_store_references (spec, i, error))
      return NULL;
  return g_steal_pointer (&spec);
}

VtSpec *
vt_spec_new_from_data (const char  *json,
                       const char  *base_dir,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  /* Unnamed: vt_spec_load puts the file's name before the message. */
  g_autoptr(JsonNode) root = vt_json_parse (json, -1, NULL, &local_error);
  VtSpec *spec;

  if (root == NULL)
    {
      /* A key given twice is JSON json-glib reads, but not a spec: the
       * reader could only guess which of the two was meant. */
      g_set_error_literal (error, VT_SPEC_ERROR,
                           g_error_matches (local_error, VT_JSON_ERROR, VT_JSON_ERROR_DUPLICATE)
                             ? VT_SPEC_ERROR_INVALID : VT_SPEC_ERROR_PARSE,
                           local_error->message);
      return NULL;
    }
  spec = parse_spec (root, base_dir, &local_error);
  /* The getters' shape errors are the spec's own: JSON, but not a spec. */
  if (g_error_matches (local_error, VT_JSON_ERROR, VT_JSON_ERROR_SHAPE))
    {
      local_error->domain = VT_SPEC_ERROR;
      local_error->code = VT_SPEC_ERROR_INVALID;
    }
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return spec;
}

VtSpec *
vt_spec_load (const char  *path,
              GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *relative_dir = g_path_get_dirname (path);
  /* Absolute now: a spec named as "spec.json" starts at the current
   * folder as it is now, not wherever the process is when a path is used,
   * and results.json names the files it read in full. */
  g_autofree char *dir = g_canonicalize_filename (relative_dir, NULL);
  g_autoptr(GError) local_error = NULL;
  VtSpec *spec;

  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, &local_error))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_READ, "%s", local_error->message);
      return NULL;
    }
  spec = vt_spec_new_from_data (contents, dir, &local_error);
  if (spec == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, local_error->code, "%s: %s", path, local_error->message);
      return NULL;
    }
  spec->path = g_strdup (path);
  return spec;
}

char *
vt_spec_resolve_path (VtSpec     *spec,
                      const char *path)
{
  if (g_path_is_absolute (path) || spec->base_dir == NULL)
    return g_strdup (path);
  return g_build_filename (spec->base_dir, path, NULL);
}

VtSpec *
vt_spec_new (const char *name,
             const char *base_dir)
{
  VtSpec *spec = g_new0 (VtSpec, 1);

  spec->name = g_strdup (name);
  spec->base_dir = g_strdup (base_dir);
  spec->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_step_free);
  return spec;
}

static gboolean
id_taken (VtSpec     *spec,
          const char *id)
{
  for (guint i = 0; i < spec->steps->len; i++)
    if (g_str_equal (((VtStep *) g_ptr_array_index (spec->steps, i))->id, id))
      return TRUE;
  return FALSE;
}

gboolean
vt_spec_add_step (VtSpec   *spec,
                  VtStep   *step,
                  GError  **error)
{
  /* Default ids as a spec file gets them: "inspect", then "inspect-2", … */
  if (step->id == NULL)
    {
      step->id = g_strdup (step->type->name);
      for (guint n = 2; id_taken (spec, step->id); n++)
        {
          g_free (step->id);
          step->id = g_strdup_printf ("%s-%u", step->type->name, n);
        }
    }
  else if (!is_valid_id (step->id) || id_taken (spec, step->id))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "$.steps[%u].id: “%s” must be unique and use only letters, digits, “-” and “_”",
                   spec->steps->len, step->id);
      vt_step_free (step);
      return FALSE;
    }
  g_ptr_array_add (spec->steps, step);
  /* What results.json echoes is now the steps as they are. */
  g_clear_pointer (&spec->source, json_node_unref);
  return TRUE;
}

JsonNode *
vt_spec_to_json (VtSpec *spec)
{
  JsonObject *root = json_object_new ();
  JsonArray *steps = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (spec->name)
    json_object_set_string_member (root, "name", spec->name);
  for (guint i = 0; i < spec->steps->len; i++)
    {
      const VtStep *step = g_ptr_array_index (spec->steps, i);
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "kind", step->type->name);
      json_object_set_string_member (object, "id", step->id);
      step->type->to_json (step, object);
      json_array_add_object_element (steps, object);
    }
  json_object_set_array_member (root, "steps", steps);
  json_node_take_object (node, root);
  return node;
}

char *
vt_spec_to_data (VtSpec *spec)
{
  g_autoptr(JsonNode) node = vt_spec_to_json (spec);

  return json_to_string (node, TRUE);
}

/* Why the echo records the folder rather than rewriting the paths: a step's
 * "store" (or "train", "test") is an earlier step's id or a path, and only
 * each kind knows which of its strings are paths at all; rewriting them
 * would need every kind to say so, and could turn an id that happens to
 * name a file into that file. "base_dir" keeps the spec as its author wrote
 * it, ids and all, and makes it run the same from wherever it is saved:
 * Re-run reads it back from results.json, Save Spec… writes it anywhere. */
JsonNode *
vt_spec_echo (VtSpec *spec)
{
  /* A spec built in code has no source: its JSON is what it runs. */
  JsonNode *echo = spec->source ? json_node_copy (spec->source) : vt_spec_to_json (spec);
  JsonObject *object = json_node_get_object (echo);

  if (spec->base_dir != NULL && !json_object_has_member (object, "base_dir"))
    {
      /* Absolute now: a spec loaded as "spec.json" starts at "." */
      g_autofree char *absolute = g_canonicalize_filename (spec->base_dir, NULL);

      json_object_set_string_member (object, "base_dir", absolute);
    }
  return echo;
}
