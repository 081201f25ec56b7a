/* vt-step-inspect.c: the "inspect" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_inspect. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "features/vt-feature-store.h"
#include "io/vt-file.h"
#include "io/vt-safetensors.h"
#include "methods/cil/vt-cil-run.h"
#include "methods/projection/vt-embedding-quality.h"
#include "models/vt-inspection.h"
#include "models/vt-predict.h"
#include "report/vt-csv.h"

#include "config.h"

#include <math.h>
#include <string.h>


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
  static const char * const keys[] = { "kind", "id", "checkpoint", "histograms", "bins", "tensor_histograms", "formats",
                                       NULL };
  VtInspectStep *step = (VtInspectStep *) vt_step_new (&vt_inspect_step_type, NULL);
  guint format_flags = step->formats;

  step->bins = VT_STATS_DEFAULT_BINS;
  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_json_get_strv (object, path, "histograms", &step->histograms, error) ||
      !vt_json_get_uint (object, path, "bins", 2, 4096, &step->bins, error) ||
      !vt_json_get_bool (object, path, "tensor_histograms", &step->tensor_histograms, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
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
  /* Only when asked: specs written before the key read back unchanged. */
  if (step->tensor_histograms)
    json_object_set_boolean_member (object, "tensor_histograms", TRUE);
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

static void
inspection_event (const VtEvent *event,
                  gpointer       user_data)
{
  VtEvent copy = *event;

  /* Stamped with the step and passed on. */
  vt_run_dispatch (user_data, &copy);
}

JsonNode *
vt_run_inspect (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtInspectStep *step = (VtInspectStep *) base;
  g_autofree char *checkpoint = vt_spec_resolve_path (run->spec, step->checkpoint);
  g_autoptr(VtInspection) inspection = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_name = g_strdup_printf ("%s-tensors.csv", step->base.id);
  JsonArray *figures = json_array_new ();
  JsonArray *histograms = json_array_new ();

  inspection = vt_inspection_run (checkpoint, step->bins, &(VtEventSink) { inspection_event, run },
                                  run->cancellable, error);
  if (inspection == NULL)
    {
      json_array_unref (figures);
      json_array_unref (histograms);
      return NULL;
    }

  node = vt_inspection_to_json (inspection);
  if (step->tensor_histograms)
    vt_inspection_add_histograms (inspection, node);
  json_object_set_array_member (json_node_get_object (node), "figures", figures);

  /* The histograms asked for, as the report draws them (vt-report.h). */
  json_object_set_array_member (json_node_get_object (node), "histograms", histograms);
  for (guint i = 0; step->histograms[i]; i++)
    {
      int index = vt_inspection_find (inspection, step->histograms[i]);
      const VtHistogram *h;
      JsonObject *entry;

      if (index < 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_MISSING_TENSOR,
                       "%s: no tensor named “%s” for a histogram", checkpoint, step->histograms[i]);
          return NULL;
        }
      h = &inspection->stats[index].histogram;
      entry = json_object_new ();
      json_object_set_string_member (entry, "tensor", vt_checkpoint_get_tensor (inspection->checkpoint, index)->name);
      json_object_set_double_member (entry, "lo", h->lo);
      json_object_set_double_member (entry, "hi", h->hi);
      json_object_set_array_member (entry, "counts", vt_run_int_array (h->counts, h->n_bins));
      json_array_add_object_element (histograms, entry);
    }

  csv = vt_inspection_to_csv (inspection);
  if (!vt_run_write_output (run, csv_name, csv, error))
    return NULL;
  json_object_set_string_member (json_node_get_object (node), "table", csv_name);
  return g_steal_pointer (&node);
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
