/* vt-step-extract.c: the "extract" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_extract. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "features/vt-feature-cache.h"
#include "features/vt-feature-store.h"
#include "io/vt-file.h"
#include "io/vt-safetensors.h"
#include "methods/cil/vt-cil-run.h"
#include "methods/projection/vt-embedding-quality.h"
#include "models/vt-inspection.h"
#include "models/vt-predict.h"
#include "report/vt-csv.h"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>



static void
extract_init (VtStep *base)
{
  vt_model_input_init (&((VtExtractStep *) base)->input);
}

static void
extract_clear (VtStep *step)
{
  VtExtractStep *extract = (VtExtractStep *) step;

  vt_model_input_clear (&extract->input);
  g_free (extract->store);
}

static VtStep *
extract_parse (JsonObject  *object,
               const char  *path,
               GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "store", "cache", "logits", "verify", NULL };
  VtExtractStep *step = (VtExtractStep *) vt_step_new (&vt_extract_step_type, NULL);

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_json_get_string (object, path, "store", FALSE, &step->store, error) ||
      !vt_json_get_bool (object, path, "cache", &step->cache, error) ||
      !vt_json_get_bool (object, path, "logits", &step->logits, error) ||
      !vt_json_get_bool (object, path, "verify", &step->verify, error))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  if (step->store != NULL && step->cache)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.cache: a store goes either to \"store\" or to the cache; give one of them", path);
      vt_step_free (&step->base);
      return NULL;
    }
  return &step->base;
}

static void
extract_to_json (const VtStep *base,
                 JsonObject   *object)
{
  const VtExtractStep *step = (const VtExtractStep *) base;

  vt_model_input_to_json (&step->input, object);
  if (step->store)
    json_object_set_string_member (object, "store", step->store);
  if (step->cache)
    json_object_set_boolean_member (object, "cache", TRUE);
  json_object_set_boolean_member (object, "logits", step->logits);
  json_object_set_boolean_member (object, "verify", step->verify);
}

static const char *
extract_store_written (const VtStep *step)
{
  return ((const VtExtractStep *) step)->store;
}

VtExtractStep *
vt_extract_step_new (const char *id,
                     const char *checkpoint,
                     const char *dataset)
{
  VtExtractStep *step = (VtExtractStep *) vt_step_new (&vt_extract_step_type, id);

  step->input.checkpoint = g_strdup (checkpoint);
  step->input.dataset = g_strdup (dataset);
  return step;
}

JsonNode *
vt_run_extract (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtExtractStep *step = (VtExtractStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autoptr(VtFeatureSource) source = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree char *default_name = g_strdup_printf ("%s.safetensors", step->base.id);
  g_autofree char *store_path = step->store ? vt_spec_resolve_path (run->spec, step->store)
                                            : g_build_filename (run->output_dir, default_name, NULL);
  gboolean reused = FALSE;
  JsonObject *result;
  JsonNode *node;

  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  vt_run_emit (run, VT_EVENT_PROGRESS, 0.0, "hashing the checkpoint and the dataset's files");
  if (!(source = vt_feature_source_new (o.checkpoint, o.dataset, &o.transform, run->cancellable, error)))
    return NULL;
  /* The cache: the same checkpoint, files and transform find the same
   * file, whichever run (or window) extracted it first. */
  if (step->cache)
    {
      g_autofree char *dir = vt_feature_cache_dir ();
      g_autofree char *name = vt_feature_source_cache_name (source);

      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s: cannot create the feature cache: %s", dir,
                       g_strerror (saved));
          return NULL;
        }
      g_free (store_path);
      store_path = g_build_filename (dir, name, NULL);
    }

  /* An up-to-date store at the path is the answer already; a stale or
   * damaged one is replaced. What an extraction would need is checked
   * first, the same either way. */
  if (!vt_step_memory_check_extract (o.model, o.dataset, &o.transform, step->input.batch, step->logits, 0,
                                     run->step_path, error) ||
      !(store = vt_run_extract_or_reuse (run, &o, &step->input, step->logits, store_path, source, step->verify,
                                  &reused, error)))
    return NULL;
  if (!reused)
    {
      if (!vt_feature_store_save (store, store_path, error))
        return NULL;
      vt_run_emit (run, VT_EVENT_FILE, 1.0, store_path);
    }

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  vt_run_describe_input (result, &o, store);
  json_object_set_string_member (result, "store", store_path);
  json_object_set_boolean_member (result, "reused", reused);
  g_hash_table_insert (run->stores, g_strdup (step->base.id), g_strdup (store_path));
  json_object_set_int_member (result, "samples", store->n_samples);
  json_object_set_int_member (result, "dim", store->dim);
  json_object_set_int_member (result, "classes", store->n_classes);
  return node;
}

const VtStepType vt_extract_step_type = {
  .name = "extract",
  .size = sizeof (VtExtractStep),
  .init = extract_init,
  .parse = extract_parse,
  .clear = extract_clear,
  .to_json = extract_to_json,
  .execute = vt_run_extract,
  .store_written = extract_store_written,
  .writes_store = TRUE,
};
