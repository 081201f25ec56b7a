/* vt-step-evaluate.c: the "evaluate" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_evaluate (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "report/vt-report.h"

static void
evaluate_init (VtStep *base)
{
  VtEvaluateStep *step = (VtEvaluateStep *) base;

  vt_model_input_init (&step->input);
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
evaluate_clear (VtStep *step)
{
  vt_model_input_clear (&((VtEvaluateStep *) step)->input);
}

static VtStep *
evaluate_parse (JsonObject  *object,
                const char  *path,
                GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "class_match", "formats", NULL };
  static const char * const matches[] = { "names", "index", NULL };
  VtEvaluateStep *step = (VtEvaluateStep *) vt_step_new (&vt_evaluate_step_type, NULL);
  guint format_flags = step->formats;
  int match = 0;

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_spec_get_choice (object, path, "class_match", matches, &match, error) ||
      !vt_spec_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  step->by_index = match == 1;
  step->formats = format_flags;
  return &step->base;
}

static void
evaluate_to_json (const VtStep *base,
                  JsonObject   *object)
{
  const VtEvaluateStep *step = (const VtEvaluateStep *) base;

  vt_model_input_to_json (&step->input, object);
  json_object_set_string_member (object, "class_match", step->by_index ? "index" : "names");
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
evaluate_formats (const VtStep *step)
{
  return ((const VtEvaluateStep *) step)->formats;
}

VtEvaluateStep *
vt_evaluate_step_new (const char *id,
                      const char *checkpoint,
                      const char *dataset)
{
  VtEvaluateStep *step = (VtEvaluateStep *) vt_step_new (&vt_evaluate_step_type, id);

  step->input.checkpoint = g_strdup (checkpoint);
  step->input.dataset = g_strdup (dataset);
  return step;
}

const VtStepType vt_evaluate_step_type = {
  .name = "evaluate",
  .size = sizeof (VtEvaluateStep),
  .init = evaluate_init,
  .parse = evaluate_parse,
  .clear = evaluate_clear,
  .to_json = evaluate_to_json,
  .execute = vt_run_evaluate,
  .formats = evaluate_formats,
  .figures = vt_report_evaluate_figures,
};
