/* vt-step-inspect.c: the "inspect" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_inspect (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "report/vt-report.h"

static void
inspect_init (VtStep *base)
{
  VtInspectStep *step = (VtInspectStep *) base;

  step->bins = VT_STATS_DEFAULT_BINS;
  step->histograms = g_new0 (char *, 1);
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
inspect_clear (VtStep *step)
{
  VtInspectStep *inspect = (VtInspectStep *) step;

  g_free (inspect->checkpoint);
  g_strfreev (inspect->histograms);
}

static VtStep *
inspect_parse (JsonObject  *object,
               const char  *path,
               GError     **error)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "histograms", "bins", "formats", NULL };
  VtInspectStep *step = (VtInspectStep *) vt_step_new (&vt_inspect_step_type, NULL);
  guint format_flags = step->formats;

  step->bins = VT_STATS_DEFAULT_BINS;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_spec_get_strv (object, path, "histograms", &step->histograms, error) ||
      !vt_spec_get_uint (object, path, "bins", 2, 4096, &step->bins, error) ||
      !vt_spec_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  if (step->histograms == NULL)
    step->histograms = g_new0 (char *, 1);
  step->formats = format_flags;
  return &step->base;
}

static void
inspect_to_json (const VtStep *base,
                 JsonObject   *object)
{
  const VtInspectStep *step = (const VtInspectStep *) base;

  json_object_set_string_member (object, "checkpoint", step->checkpoint);
  json_object_set_array_member (object, "histograms", vt_step_strv_to_json (step->histograms));
  json_object_set_int_member (object, "bins", step->bins);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
inspect_formats (const VtStep *step)
{
  return ((const VtInspectStep *) step)->formats;
}

VtInspectStep *
vt_inspect_step_new (const char *id,
                     const char *checkpoint)
{
  VtInspectStep *step = (VtInspectStep *) vt_step_new (&vt_inspect_step_type, id);

  step->checkpoint = g_strdup (checkpoint);
  return step;
}

const VtStepType vt_inspect_step_type = {
  .name = "inspect",
  .size = sizeof (VtInspectStep),
  .init = inspect_init,
  .parse = inspect_parse,
  .clear = inspect_clear,
  .to_json = inspect_to_json,
  .execute = vt_run_inspect,
  .formats = inspect_formats,
  .figures = vt_report_inspect_figures,
};
