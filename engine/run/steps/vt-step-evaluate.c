/* vt-step-evaluate.c: the "evaluate" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_evaluate. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "features/vt-feature-store.h"
#include "features/vt-predictions.h"
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

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_json_get_choice (object, path, "class_match", matches, &match, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
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

/* Evaluation scores output c against label c: a model of other classes
 * (a CIFAR-10 model on Fashion-MNIST, ten classes each) would score as
 * chance without a word. A model that names no classes cannot be checked. */
static gboolean
same_classes (const VtArchitecture  *arch,
              const VtDataset       *dataset,
              const VtEvaluateStep  *step,
              const char            *checkpoint_path,
              const char            *dataset_path,
              GError               **error)
{
  if (arch->class_names == NULL)
    return TRUE;
  for (guint c = 0; c < dataset->n_classes; c++)
    {
      g_autofree char *model = vt_step_class_name_key (arch->class_names[c]);
      g_autofree char *data = vt_step_class_name_key (dataset->class_names[c]);

      if (!g_str_equal (model, data))
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                       "%s: class %u is “%s” in the dataset but “%s” for the model (%s); evaluate scores each "
                       "output against the label at the same position, so the classes must be the model's. "
                       "If they are the same classes under other names, add \"class_match\": \"index\" to step “%s”",
                       dataset_path, c, dataset->class_names[c], arch->class_names[c], checkpoint_path,
                       step->base.id);
          return FALSE;
        }
    }
  return TRUE;
}

JsonNode *
vt_run_evaluate (VtRunContext  *run,
                 VtStep        *base,
                 GError       **error)
{
  VtEvaluateStep *step = (VtEvaluateStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(VtConfusion) tally = NULL;
  const guint64 *confusion, *per_class;
  const VtArchitecture *arch;
  char **class_names;
  guint n, k;
  guint64 top1, top5;
  JsonObject *result;
  JsonNode *node;

  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  k = o.dataset->n_classes;
  class_names = o.dataset->class_names;
  if ((guint) arch->num_classes != k)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: the dataset has %u classes but the model has %d outputs; evaluate needs the "
                   "model's classes as the dataset's, in the same order",
                   o.dataset_path, k, arch->num_classes);
      return NULL;
    }
  if (!step->by_index && !same_classes (arch, o.dataset, step, o.checkpoint_path, o.dataset_path, error))
    return NULL;
  if (!vt_step_memory_check_extract (o.model, o.dataset, &o.transform, step->input.batch, TRUE, k,
                                     run->step_path, error) ||
      !(store = vt_run_extract_features (run, &o, &step->input, TRUE, error)))
    return NULL;

  /* The Dataset area counts its confusion matrix with the same function. */
  if (!(tally = vt_predictions_tally (store, error)))
    {
      g_prefix_error (error, "%s: ", o.dataset_path);
      return NULL;
    }
  n = store->n_samples;
  confusion = tally->confusion;
  per_class = tally->per_class;
  top1 = tally->top1;
  top5 = tally->top5;

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  vt_run_describe_input (result, &o, store);
  json_object_set_int_member (result, "images", n);
  json_object_set_double_member (result, "top1", (double) top1 / n);
  if (k >= 5)
    json_object_set_double_member (result, "top5", (double) top5 / n);

  {
    JsonArray *classes = json_array_new (), *matrix = json_array_new (), *figures = json_array_new ();
    GString *per_class_csv = g_string_new ("class,images,correct,accuracy\n");
    g_autofree char *confusion_csv = vt_confusion_to_csv (tally, (const char * const *) class_names);
    g_autofree char *per_class_name = g_strdup_printf ("%s-per-class.csv", step->base.id);
    g_autofree char *confusion_name = g_strdup_printf ("%s-confusion.csv", step->base.id);
    gboolean ok;

    for (guint c = 0; c < k; c++)
      {
        JsonObject *entry = json_object_new ();
        guint64 correct = confusion[(gsize) c * k + c];
        char accuracy[G_ASCII_DTOSTR_BUF_SIZE];

        json_object_set_string_member (entry, "class", class_names[c]);
        json_object_set_int_member (entry, "images", (gint64) per_class[c]);
        /* A class without samples (IDX or CIFAR labels need not cover
         * every output) has no accuracy: null, and an empty CSV field. */
        if (per_class[c] > 0)
          json_object_set_double_member (entry, "accuracy", (double) correct / per_class[c]);
        else
          json_object_set_null_member (entry, "accuracy");
        json_array_add_object_element (classes, entry);
        json_array_add_array_element (matrix, vt_run_int_array (confusion + (gsize) c * k, k));
        accuracy[0] = '\0';
        if (per_class[c] > 0)
          g_ascii_dtostr (accuracy, sizeof accuracy, (double) correct / per_class[c]);
        vt_csv_append_field (per_class_csv, class_names[c]);
        g_string_append_printf (per_class_csv, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%s\n",
                                per_class[c], correct, accuracy);
      }
    json_object_set_array_member (result, "per_class", classes);
    json_object_set_array_member (result, "confusion", matrix);
    json_object_set_array_member (result, "figures", figures);

    ok = vt_run_write_output (run, per_class_name, per_class_csv->str, error) &&
         vt_run_write_output (run, confusion_name, confusion_csv, error);
    g_string_free (per_class_csv, TRUE);
    if (!ok)
      {
        json_node_unref (node);
        return NULL;
      }
    json_object_set_string_member (result, "per_class_table", per_class_name);
    json_object_set_string_member (result, "confusion_table", confusion_name);
  }
  return node;
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
