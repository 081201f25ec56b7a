/* vt-step-incremental.c: the "incremental" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_incremental. */
#include "vt-step-common.h"
#include "methods/cil/vt-cil-protocol.h"
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
  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "train", TRUE, &step->train, error) ||
      !vt_json_get_string (object, path, "test", TRUE, &step->test, error) ||
      !vt_json_get_string (object, path, "split", TRUE, &step->split, error) ||
      !vt_json_get_choice (object, path, "order", orders, &order, error) ||
      !vt_json_get_uint (object, path, "seed", 0, G_MAXUINT32, &step->seed, error) ||
      !vt_json_get_flags (object, path, "methods", names, &step->methods, error) ||
      !vt_json_get_choice (object, path, "gda_shrinkage", shrinkages, &shrinkage, error) ||
      !vt_json_get_number (object, path, "gda_ridge", 0.0, 1.0, &step->options.gda_ridge, error) ||
      !vt_json_get_uint (object, path, "ranpac_dim", 1, 100000, &step->options.ranpac_dim, error) ||
      !vt_json_get_uint (object, path, "ranpac_seed", 0, G_MAXUINT32, &step->options.ranpac_seed, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
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

/* The method's events (progress, a metric per stage), stamped with the step. */
static void
incremental_event (const VtEvent *event,
                   gpointer       data)
{
  VtEvent copy = *event;

  vt_run_dispatch (data, &copy);
}

/* One method's results as JSON, its CSV tables and its figures. */
static gboolean
report_method (VtRunContext              *run,
               VtIncrementalStep        *step,
               const VtCilResult        *result,
               const VtCilMethodResult  *r,
               JsonObject               *out,
               GError                  **error)
{
  guint s = result->n_stages, k = result->n_classes;
  JsonArray *seen = json_array_new (), *matrix = json_array_new (), *per_class = json_array_new ();
  GString *per_class_csv = g_string_new ("class,accuracy\n");
  GString *confusion_csv = g_string_new ("true\\predicted");
  g_autofree char *base = g_strdup_printf ("%s-%s", step->base.id, r->klass->name);
  g_autofree char *per_class_name = g_strdup_printf ("%s-per-class.csv", base);
  g_autofree char *confusion_name = g_strdup_printf ("%s-confusion.csv", base);
  gboolean ok;

  json_object_set_string_member (out, "method", r->klass->name);
  json_object_set_string_member (out, "title", r->klass->title);
  vt_run_set_number (out, "average_incremental_accuracy", r->average_incremental);
  vt_run_set_number (out, "last_accuracy", r->last);
  vt_run_set_number (out, "forgetting", r->forgetting);
  json_object_set_double_member (out, "seconds", r->seconds);
  for (guint t = 0; t < s; t++)
    {
      JsonArray *row = json_array_new ();
      g_autofree char *accuracy = vt_run_csv_number (r->seen_accuracy[t]);

      vt_run_add_number (seen, r->seen_accuracy[t]);
      for (guint j = 0; j < s; j++)
        vt_run_add_number (row, r->accuracy[(gsize) t * s + j]);
      json_array_add_array_element (matrix, row);
      /* Step ids and method names are letters, digits, "-" and "_": nothing to quote. */
      g_string_append_printf (run->metrics, "%s,%s,%u,%u,%s\n", step->base.id, r->klass->name, t + 1,
                              result->stage_ends[t], accuracy);
    }
  json_object_set_array_member (out, "seen_accuracy", seen);
  json_object_set_array_member (out, "accuracy_matrix", matrix);

  for (guint c = 0; c < k; c++)
    {
      g_string_append_c (confusion_csv, ',');
      vt_csv_append_field (confusion_csv, result->class_names[c]);
    }
  g_string_append_c (confusion_csv, '\n');
  for (guint c = 0; c < k; c++)
    {
      JsonObject *entry = json_object_new ();
      g_autofree char *accuracy = vt_run_csv_number (r->per_class[c]);

      json_object_set_string_member (entry, "class", result->class_names[c]);
      vt_run_set_number (entry, "accuracy", r->per_class[c]);
      json_array_add_object_element (per_class, entry);
      vt_csv_append_field (per_class_csv, result->class_names[c]);
      g_string_append_printf (per_class_csv, ",%s\n", accuracy);
      vt_csv_append_field (confusion_csv, result->class_names[c]);
      for (guint p = 0; p < k; p++)
        g_string_append_printf (confusion_csv, ",%" G_GUINT64_FORMAT, r->confusion[(gsize) c * k + p]);
      g_string_append_c (confusion_csv, '\n');
    }
  json_object_set_array_member (out, "per_class", per_class);
  {
    JsonArray *confusion = json_array_new ();
    for (guint c = 0; c < k; c++)
      json_array_add_array_element (confusion, vt_run_int_array (r->confusion + (gsize) c * k, k));
    json_object_set_array_member (out, "confusion", confusion);
  }
  json_object_set_string_member (out, "per_class_table", per_class_name);
  json_object_set_string_member (out, "confusion_table", confusion_name);

  ok = vt_run_write_output (run, per_class_name, per_class_csv->str, error) &&
       vt_run_write_output (run, confusion_name, confusion_csv->str, error);
  g_string_free (per_class_csv, TRUE);
  g_string_free (confusion_csv, TRUE);
  return ok;
}

JsonNode *
vt_run_incremental (VtRunContext  *run,
                    VtStep        *base,
                    GError       **error)
{
  VtIncrementalStep *step = (VtIncrementalStep *) base;
  g_autofree char *train_path = vt_run_resolve_store (run, step->train);
  g_autofree char *test_path = vt_run_resolve_store (run, step->test);
  g_autoptr(VtFeatureStore) train = NULL;
  g_autoptr(VtFeatureStore) test = NULL;
  g_autoptr(VtCilResult) result = NULL;
  g_autofree guint *order = NULL;
  const VtCilMethodClass * const *all = vt_cil_methods ();
  g_autofree const VtCilMethodClass **chosen = g_new0 (const VtCilMethodClass *, vt_cil_n_methods ());
  g_autofree char *summary_name = g_strdup_printf ("%s-summary.csv", step->base.id);
  GString *summary = g_string_new ("method,average_incremental_accuracy,last_accuracy,forgetting,seconds\n");
  VtEventSink events = { incremental_event, run };
  guint n_methods = 0;
  JsonArray *methods, *figures, *classes, *stages;
  JsonObject *out;
  JsonNode *node;
  const VtCilSplit *split = &step->stages;
  gboolean ok = TRUE;

  for (guint i = 0; all[i]; i++)
    if (step->methods & (1u << i))
      chosen[n_methods++] = all[i];
  if (!(train = vt_run_load_store (train_path, "train", error)) ||
      !(test = vt_run_load_store (test_path, "test", error)))
    {
      g_string_free (summary, TRUE);
      return NULL;
    }
  order = vt_cil_class_order (train->n_classes, step->shuffle, step->seed);
  if (!vt_step_memory_check_incremental (train, test, order, split, chosen, n_methods, &step->options,
                                         run->step_path, error))
    {
      g_string_free (summary, TRUE);
      return NULL;
    }
  result = vt_cil_run (train, test, order, split, chosen, n_methods, &step->options, &events, run->cancellable,
                       error);
  if (result == NULL)
    {
      g_prefix_error (error, "%s (train) and %s (test): ", train_path, test_path);
      g_string_free (summary, TRUE);
      return NULL;
    }

  node = json_node_new (JSON_NODE_OBJECT);
  out = json_object_new ();
  json_node_take_object (node, out);
  json_object_set_string_member (out, "train", train_path);
  json_object_set_string_member (out, "test", test_path);
  json_object_set_string_member (out, "split", step->split);
  classes = json_array_new ();
  stages = json_array_new ();
  for (guint c = 0; c < result->n_classes; c++)
    json_array_add_string_element (classes, result->class_names[c]);
  for (guint t = 0; t < result->n_stages; t++)
    json_array_add_int_element (stages, result->stage_ends[t]);
  json_object_set_array_member (out, "class_order", classes);
  json_object_set_array_member (out, "classes_seen", stages);
  methods = json_array_new ();
  figures = json_array_new ();
  json_object_set_array_member (out, "methods", methods);
  json_object_set_array_member (out, "figures", figures);

  for (guint m = 0; m < n_methods && ok; m++)
    {
      const VtCilMethodResult *r = g_ptr_array_index (result->methods, m);
      JsonObject *entry = json_object_new ();
      g_autofree char *average = vt_run_csv_number (r->average_incremental);
      g_autofree char *last = vt_run_csv_number (r->last);
      g_autofree char *forgetting = vt_run_csv_number (r->forgetting);
      g_autofree char *seconds = vt_run_csv_number (r->seconds);

      json_array_add_object_element (methods, entry);
      ok = report_method (run, step, result, r, entry, error);
      g_string_append_printf (summary, "%s,%s,%s,%s,%s\n", r->klass->name, average, last, forgetting, seconds);
    }
  ok = ok && vt_run_write_output (run, summary_name, summary->str, error);
  g_string_free (summary, TRUE);
  if (!ok)
    {
      json_node_unref (node);
      return NULL;
    }
  json_object_set_string_member (out, "summary_table", summary_name);
  return node;
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
