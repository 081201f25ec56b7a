/* vt-step-predict.c: the "predict" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_predict (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "models/vt-zero-shot.h"

static void
predict_init (VtStep *base)
{
  VtPredictStep *step = (VtPredictStep *) base;

  vt_model_input_init (&step->input);
  step->top = 5;
}

static void
predict_clear (VtStep *step)
{
  VtPredictStep *predict = (VtPredictStep *) step;

  vt_model_input_clear (&predict->input);
  g_strfreev (predict->images);
  g_strfreev (predict->classes);
  g_free (predict->classes_file);
  g_free (predict->prompt);
}

static VtStep *
predict_parse (JsonObject  *object,
               const char  *path,
               GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "images", "top", "classes", "prompt", NULL };
  VtPredictStep *step = (VtPredictStep *) vt_step_new (&vt_predict_step_type, NULL);
  JsonNode *classes = json_object_get_member (object, "classes");

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, FALSE, &step->input, error) ||
      !vt_spec_get_strv (object, path, "images", &step->images, error) ||
      /* The number of classes is the model's: checked when it is open. */
      !vt_spec_get_uint (object, path, "top", 1, 100000, &step->top, error) ||
      !vt_spec_get_string (object, path, "prompt", FALSE, &step->prompt, error))
    goto fail;
  if ((step->images == NULL) == (step->input.dataset == NULL))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: give “images” (a list of image files) or “dataset”, one of the two", path);
      goto fail;
    }
  if (step->images != NULL && step->images[0] == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.images: expected at least one image file", path);
      goto fail;
    }
  if (step->images != NULL && step->input.split != NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.split: a split is of a dataset, not of “images”",
                   path);
      goto fail;
    }
  /* "classes": the names, or a file that holds them one per line. */
  if (classes != NULL && JSON_NODE_HOLDS_VALUE (classes) && json_node_get_value_type (classes) == G_TYPE_STRING)
    step->classes_file = g_strdup (json_node_get_string (classes));
  else if (classes != NULL && !JSON_NODE_HOLDS_ARRAY (classes))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.classes: expected a list of class names, or a file of them one per line", path);
      goto fail;
    }
  else if (!vt_spec_get_strv (object, path, "classes", &step->classes, error))
    goto fail;
  if (step->classes != NULL && step->classes[0] == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.classes: expected at least one class name", path);
      goto fail;
    }
  if (step->prompt != NULL && step->classes == NULL && step->classes_file == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.prompt: a prompt is for “classes” (CLIP's zero-shot); give the class names too", path);
      goto fail;
    }
  if (step->prompt == NULL)
    step->prompt = g_strdup (VT_DEFAULT_PROMPT);
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
predict_to_json (const VtStep *base,
                 JsonObject   *object)
{
  const VtPredictStep *step = (const VtPredictStep *) base;

  vt_model_input_to_json (&step->input, object);
  if (step->images)
    json_object_set_array_member (object, "images", vt_step_strv_to_json (step->images));
  json_object_set_int_member (object, "top", step->top);
  if (step->classes)
    json_object_set_array_member (object, "classes", vt_step_strv_to_json (step->classes));
  else if (step->classes_file)
    json_object_set_string_member (object, "classes", step->classes_file);
  /* A prompt is refused without classes. */
  if ((step->classes || step->classes_file) && step->prompt)
    json_object_set_string_member (object, "prompt", step->prompt);
}

VtPredictStep *
vt_predict_step_new (const char         *id,
                     const char         *checkpoint,
                     const char * const *images)
{
  VtPredictStep *step = (VtPredictStep *) vt_step_new (&vt_predict_step_type, id);

  step->input.checkpoint = g_strdup (checkpoint);
  step->images = images ? g_strdupv ((char **) images) : NULL;
  step->prompt = g_strdup (VT_DEFAULT_PROMPT);
  return step;
}

const VtStepType vt_predict_step_type = {
  .name = "predict",
  .size = sizeof (VtPredictStep),
  .init = predict_init,
  .parse = predict_parse,
  .clear = predict_clear,
  .to_json = predict_to_json,
  .execute = vt_run_predict,
};
