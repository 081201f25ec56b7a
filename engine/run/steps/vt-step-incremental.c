/* vt-step-incremental.c: the "incremental" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_incremental (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "methods/cil/vt-cil-protocol.h"
#include "run/vt-run-steps.h"
#include "report/vt-report.h"

static void
incremental_init (VtStep *base)
{
  VtIncrementalStep *step = (VtIncrementalStep *) base;

  vt_cil_options_init (&step->options);
  step->shuffle = TRUE;
  step->seed = VT_CIL_DEFAULT_SEED;
  step->methods = (1u << vt_cil_n_methods ()) - 1;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
incremental_clear (VtStep *step)
{
  VtIncrementalStep *inc = (VtIncrementalStep *) step;

  g_free (inc->train);
  g_free (inc->test);
  g_free (inc->split);
}

static VtStep *
incremental_parse (JsonObject  *object,
                   const char  *path,
                   GError     **error)
{
  static const char * const keys[] = { "kind", "id", "train", "test", "split", "order", "seed", "methods",
                                       "gda_shrinkage", "gda_ridge", "ranpac_dim", "ranpac_seed", "formats", NULL };
  static const char * const orders[] = { "shuffled", "given", NULL };
  /* Order matches VtGdaShrinkage. */
  static const char * const shrinkages[] = { "ks", "ridge", NULL };
  const VtCilMethodClass * const *all = vt_cil_methods ();
  g_autofree const char **names = NULL;
  VtIncrementalStep *step = (VtIncrementalStep *) vt_step_new (&vt_incremental_step_type, NULL);
  guint format_flags = step->formats, n_methods = vt_cil_n_methods ();
  int order, shrinkage;

  order = step->shuffle ? 0 : 1;
  shrinkage = step->options.gda_shrinkage;
  names = g_new0 (const char *, n_methods + 1);
  for (guint i = 0; i < n_methods; i++)
    names[i] = all[i]->name;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "train", TRUE, &step->train, error) ||
      !vt_spec_get_string (object, path, "test", TRUE, &step->test, error) ||
      !vt_spec_get_string (object, path, "split", TRUE, &step->split, error) ||
      !vt_spec_get_choice (object, path, "order", orders, &order, error) ||
      !vt_spec_get_uint (object, path, "seed", 0, G_MAXUINT32, &step->seed, error) ||
      !vt_spec_get_flags (object, path, "methods", names, &step->methods, error) ||
      !vt_spec_get_choice (object, path, "gda_shrinkage", shrinkages, &shrinkage, error) ||
      !vt_spec_get_number (object, path, "gda_ridge", 0.0, 1.0, &step->options.gda_ridge, error) ||
      !vt_spec_get_uint (object, path, "ranpac_dim", 1, 100000, &step->options.ranpac_dim, error) ||
      !vt_spec_get_uint (object, path, "ranpac_seed", 0, G_MAXUINT32, &step->options.ranpac_seed, error) ||
      !vt_spec_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  if (!vt_cil_split_parse (step->split, &step->stages, NULL))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.split: “%s” is not a split: expected B<base>-Inc<step>, such as B0-Inc10", path, step->split);
      goto fail;
    }
  step->shuffle = order == 0;
  step->options.gda_shrinkage = (VtGdaShrinkage) shrinkage;
  step->formats = format_flags;
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
incremental_to_json (const VtStep *base,
                     JsonObject   *object)
{
  const VtIncrementalStep *step = (const VtIncrementalStep *) base;
  static const char * const shrinkages[] = { "ks", "ridge" };
  const VtCilMethodClass * const *all = vt_cil_methods ();
  JsonArray *methods = json_array_new ();

  json_object_set_string_member (object, "train", step->train);
  json_object_set_string_member (object, "test", step->test);
  json_object_set_string_member (object, "split", step->split);
  json_object_set_string_member (object, "order", step->shuffle ? "shuffled" : "given");
  json_object_set_int_member (object, "seed", step->seed);
  for (guint i = 0; all[i]; i++)
    if (step->methods & (1u << i))
      json_array_add_string_element (methods, all[i]->name);
  json_object_set_array_member (object, "methods", methods);
  json_object_set_string_member (object, "gda_shrinkage", shrinkages[step->options.gda_shrinkage]);
  json_object_set_double_member (object, "gda_ridge", step->options.gda_ridge);
  json_object_set_int_member (object, "ranpac_dim", step->options.ranpac_dim);
  json_object_set_int_member (object, "ranpac_seed", step->options.ranpac_seed);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
incremental_formats (const VtStep *step)
{
  return ((const VtIncrementalStep *) step)->formats;
}

static const char *
incremental_store_read (const VtStep  *base,
                        guint          i,
                        const char   **key)
{
  const VtIncrementalStep *step = (const VtIncrementalStep *) base;

  *key = i == 0 ? "train" : "test";
  return i == 0 ? step->train : i == 1 ? step->test : NULL;
}

/* NULL when @split is not B<base>-Inc<step>. */
VtIncrementalStep *
vt_incremental_step_new (const char *id,
                         const char *train,
                         const char *test,
                         const char *split)
{
  VtIncrementalStep *step = (VtIncrementalStep *) vt_step_new (&vt_incremental_step_type, id);

  if (!vt_cil_split_parse (split, &step->stages, NULL))
    {
      vt_step_free (&step->base);
      g_return_val_if_reached (NULL);
    }
  step->train = g_strdup (train);
  step->test = g_strdup (test);
  step->split = g_strdup (split);
  return step;
}

const VtStepType vt_incremental_step_type = {
  .name = "incremental",
  .size = sizeof (VtIncrementalStep),
  .init = incremental_init,
  .parse = incremental_parse,
  .clear = incremental_clear,
  .to_json = incremental_to_json,
  .execute = vt_run_incremental,
  .formats = incremental_formats,
  .store_read = incremental_store_read,
  .figures = vt_report_incremental_figures,
};
