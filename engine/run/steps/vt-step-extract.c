/* vt-step-extract.c: the "extract" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_extract (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"

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
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "store", "logits", "verify", NULL };
  VtExtractStep *step = (VtExtractStep *) vt_step_new (&vt_extract_step_type, NULL);

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_spec_get_string (object, path, "store", FALSE, &step->store, error) ||
      !vt_spec_get_bool (object, path, "logits", &step->logits, error) ||
      !vt_spec_get_bool (object, path, "verify", &step->verify, error))
    {
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
