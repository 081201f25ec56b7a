/* vt-step-predict.c: the "predict" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_predict. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "features/vt-feature-store.h"
#include "io/vt-file.h"
#include "io/vt-png-writer.h"
#include "io/vt-safetensors.h"
#include "methods/cil/vt-cil-run.h"
#include "methods/projection/vt-embedding-quality.h"
#include "models/vt-inspection.h"
#include "models/vt-predict.h"
#include "report/vt-csv.h"

#include "config.h"

#include <math.h>
#include <string.h>


#include "models/vt-zero-shot.h"

static void
predict_init (VtStep *base)
{
  VtPredictStep *step = (VtPredictStep *) base;

  vt_model_input_init (&step->input);
  step->top = 5;
  step->outside_threshold = VT_PREDICT_OUTSIDE_THRESHOLD;
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
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "images", "top", "classes", "prompt", "inputs",
                                       "outside_threshold", NULL };
  VtPredictStep *step = (VtPredictStep *) vt_step_new (&vt_predict_step_type, NULL);
  JsonNode *classes = json_object_get_member (object, "classes");

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, FALSE, &step->input, error) ||
      !vt_json_get_strv (object, path, "images", &step->images, error) ||
      /* The number of classes is the model's: checked when it is open. */
      !vt_json_get_uint (object, path, "top", 1, 100000, &step->top, error) ||
      !vt_json_get_string (object, path, "prompt", FALSE, &step->prompt, error) ||
      !vt_json_get_bool (object, path, "inputs", &step->inputs, error) ||
      !vt_json_get_number (object, path, "outside_threshold", 0.0, 1.0, &step->outside_threshold, error))
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
  else if (!vt_json_get_strv (object, path, "classes", &step->classes, error))
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
  if (step->inputs)
    json_object_set_boolean_member (object, "inputs", TRUE);
  if (step->outside_threshold != VT_PREDICT_OUTSIDE_THRESHOLD)
    json_object_set_double_member (object, "outside_threshold", step->outside_threshold);
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

/* The class names a predict step chooses from: the step's own (CLIP), read
 * from its file where it names one, or the model's. */
static char **
predict_class_names (VtRunContext           *run,
                     VtPredictStep         *step,
                     const VtArchitecture  *arch,
                     GError               **error)
{
  if (step->classes)
    return g_strdupv (step->classes);
  if (step->classes_file)
    {
      g_autofree char *path = vt_spec_resolve_path (run->spec, step->classes_file);
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
      guint n = 0;

      if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, error))
        return NULL;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          g_strstrip (lines[i]);
          if (*lines[i] == '\0')
            continue;
          if (!g_utf8_validate (lines[i], -1, NULL))
            {
              g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: line %u is not UTF-8 text", path, i + 1);
              return NULL;
            }
          g_strv_builder_add (names, lines[i]);
          n++;
        }
      if (n == 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no class names (one per line) in the file",
                       path);
          return NULL;
        }
      return g_strv_builder_end (names);
    }
  {
    char **names = g_new0 (char *, arch->num_classes + 1);

    for (int c = 0; c < arch->num_classes; c++)
      names[c] = arch->class_names ? g_strdup (arch->class_names[c]) : g_strdup_printf ("class %d", c);
    return names;
  }
}

/* Writes <id>-input-<i>.png: the model's input for image @i with its
 * normalization undone, the crop exactly as the model saw it (rounded to
 * 8 bits), and names it in @row's "input". */
static gboolean
write_input (VtRunContext       *run,
             const VtTransform  *transform,
             const float        *pixels,
             guint               i,
             JsonObject         *row,
             GError            **error)
{
  int size = transform->crop_size;
  gsize plane = (gsize) size * size;
  g_autofree guint8 *rgb = g_new (guint8, 3 * plane);
  g_autofree char *name = g_strdup_printf ("%s-input-%u.png", run->step_id, i);
  g_autofree char *path = g_build_filename (run->output_dir, name, NULL);
  g_autoptr(GBytes) png = NULL;

  for (gsize p = 0; p < plane; p++)
    for (int c = 0; c < 3; c++)
      {
        double v = (pixels[c * plane + p] * transform->std[c] + transform->mean[c]) * 255.0;

        rgb[3 * p + c] = (guint8) CLAMP (lround (v), 0, 255);
      }
  if (!(png = vt_png_encode (rgb, size, size, VT_PNG_RGB, name, error)) ||
      !vt_run_write_file (path, g_bytes_get_data (png, NULL), (gssize) g_bytes_get_size (png), error))
    return FALSE;
  vt_run_emit (run, VT_EVENT_FILE, 1.0, name);
  json_object_set_string_member (row, "input", name);
  return TRUE;
}

JsonNode *
vt_run_predict (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtPredictStep *step = (VtPredictStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_auto(GStrv) classes = NULL;
  g_autofree char *table_name = g_strdup_printf ("%s-predictions.csv", step->base.id);
  g_autofree float *pixels = NULL;
  g_autofree double *probabilities = NULL;
  g_autofree guint *top = NULL;
  g_autoptr(GString) csv = g_string_new ("file");
  const VtArchitecture *arch;
  gboolean zero_shot = step->classes != NULL || step->classes_file != NULL;
  guint n_classes, n_images, skipped = 0, k = step->top;
  JsonArray *predictions, *skipped_first;
  JsonObject *result;
  g_autoptr(JsonNode) node = NULL;
  int size;

  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  if (zero_shot && !vt_zero_shot_supported (o.model))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: “classes” is for CLIP models (an image and a text tower); this %s classifies into its "
                   "own %d classes: leave %s.classes out", o.checkpoint_path, arch->family_name, arch->num_classes,
                   run->step_path);
      return NULL;
    }
  if (!zero_shot && arch->num_classes <= 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: the model has no classifier head%s", o.checkpoint_path,
                   vt_zero_shot_supported (o.model) ? "; name the classes to choose from in “classes”" : "");
      return NULL;
    }
  if (!(classes = predict_class_names (run, step, arch, error)) ||
      (zero_shot && !(tokenizer = vt_predict_load_tokenizer (o.model, NULL, error))))
    return NULL;
  n_classes = g_strv_length (classes);
  if (k > n_classes)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s.top: %u is more than the %u classes; give 1 to %u",
                   run->step_path, k, n_classes, n_classes);
      return NULL;
    }

  size = o.transform.crop_size;
  pixels = g_new (float, (gsize) 3 * size * size);
  probabilities = g_new (double, n_classes);
  top = g_new (guint, k);
  for (guint r = 1; r <= k; r++)
    g_string_append_printf (csv, ",class_%u,probability_%u", r, r);
  g_string_append_c (csv, '\n');
  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  predictions = json_array_new ();
  skipped_first = json_array_new ();
  n_images = o.dataset ? o.dataset->n_samples : g_strv_length (step->images);

  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *file = o.dataset ? vt_dataset_sample_name (o.dataset, i)
                                        : vt_spec_resolve_path (run->spec, step->images[i]);
      g_autoptr(VtImage) image = NULL;
      g_autoptr(GError) image_error = NULL;
      JsonObject *row;
      JsonArray *row_classes, *row_probabilities;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        {
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      image = o.dataset ? vt_dataset_load_image (o.dataset, i, &image_error) : vt_image_load (file, &image_error);
      if (image == NULL && step->input.skip_unreadable)
        {
          if (skipped++ < 10)
            json_array_add_string_element (skipped_first, image_error->message);
          continue;
        }
      if (image == NULL ||
          !vt_transform_check_image (&o.transform, image, file, &image_error))
        {
          g_propagate_error (error, g_steal_pointer (&image_error));
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      vt_transform_apply (&o.transform, image, pixels);
      row = json_object_new ();
      if (step->inputs && !write_input (run, &o.transform, pixels, i, row, error))
        {
          json_object_unref (row);
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      if (!vt_predict_image (o.model, tokenizer, zero_shot ? (const char * const *) classes : NULL, step->prompt,
                             pixels, size, probabilities, error))
        {
          g_prefix_error (error, "%s: ", file);
          json_object_unref (row);
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      vt_predict_top (probabilities, n_classes, k, top);

      row_classes = json_array_new ();
      row_probabilities = json_array_new ();
      json_object_set_string_member (row, "file", file);
      {
        double kept, scale;

        /* How far the photo is from what the model takes (the Predict area
         * warns on a small share kept or a large change of scale). */
        vt_transform_coverage (&o.transform, image->width, image->height, &kept, &scale);
        json_object_set_int_member (row, "width", image->width);
        json_object_set_int_member (row, "height", image->height);
        json_object_set_double_member (row, "kept", kept);
        json_object_set_double_member (row, "scale", scale);
      }
      vt_csv_append_field (csv, file);
      for (guint r = 0; r < k; r++)
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];

          json_array_add_string_element (row_classes, classes[top[r]]);
          json_array_add_double_element (row_probabilities, probabilities[top[r]]);
          g_string_append_c (csv, ',');
          vt_csv_append_field (csv, classes[top[r]]);
          /* Shortest text that reads back to the same double. */
          g_string_append_printf (csv, ",%s", g_ascii_dtostr (number, sizeof number, probabilities[top[r]]));
        }
      g_string_append_c (csv, '\n');
      json_object_set_array_member (row, "classes", row_classes);
      json_object_set_array_member (row, "probabilities", row_probabilities);
      /* Hendrycks & Gimpel's baseline (ICLR 2017): an image whose largest
       * softmax probability is low is likely outside the classes the model
       * knows, the sign LIT shows beside a prediction. */
      json_object_set_double_member (row, "max_probability", probabilities[top[0]]);
      json_object_set_boolean_member (row, "outside_classes", probabilities[top[0]] < step->outside_threshold);
      json_array_add_object_element (predictions, row);
      vt_run_emit (run, VT_EVENT_PROGRESS, (double) (i + 1) / n_images, file);
    }

  json_object_set_string_member (result, "checkpoint", o.checkpoint_path);
  json_object_set_string_member (result, "architecture", arch->family_name);
  if (o.dataset)
    {
      json_object_set_string_member (result, "dataset", o.dataset_path);
      json_object_set_string_member (result, "dataset_format", o.dataset->format);
      if (o.dataset->split)
        json_object_set_string_member (result, "split", o.dataset->split);
    }
  {
    g_autofree char *transform = vt_transform_describe (&o.transform);
    json_object_set_string_member (result, "transform", transform);
  }
  if (zero_shot)
    json_object_set_string_member (result, "prompt", step->prompt);
  json_object_set_int_member (result, "top", k);
  json_object_set_double_member (result, "outside_threshold", step->outside_threshold);
  json_object_set_int_member (result, "images", json_array_get_length (predictions));
  json_object_set_int_member (result, "skipped_samples", skipped);
  json_object_set_array_member (result, "skipped_first", skipped_first);
  json_object_set_array_member (result, "predictions", predictions);
  if (!vt_run_write_output (run, table_name, csv->str, error))
    return NULL;
  json_object_set_string_member (result, "table", table_name);
  return g_steal_pointer (&node);
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
