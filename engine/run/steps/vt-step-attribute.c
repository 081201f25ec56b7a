/* vt-step-attribute.c: the "attribute" step kind: its keys, defaults, JSON
 * and constructor; and its executor, vt_run_attribute, which explains a
 * classifier's decision for each image with attribution maps, batch by
 * batch, through the whole-network backward pass (vt-trainable.h).
 *
 * Methods are found in a table of families: a family names its methods,
 * reads their options, states each one's formula and post-processing, and
 * computes its maps for a batch. The CAM family (vt-cam.h) is the one row
 * today; another family (gradients, Integrated Gradients, rollout) is
 * another row and its adapter below. */
#include "vt-step-attribute.h"
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "io/vt-image.h"
#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attribution-family.h"
#include "methods/attribution/vt-cam.h"
#include "models/vt-trainable.h"
#include "report/vt-report.h"

#include "config.h"

#include <math.h>
#include <string.h>

/* --- Each family's options in a spec ----------------------------------- */

/* cam: scorecam's "score_batch". */
static gboolean
cam_parse_options (JsonObject         *entry,
                   const char         *path,
                   VtAttributeMethod  *m,
                   GError            **error)
{
  static const char * const score_keys[] = { "name", "score_batch", NULL };
  static const char * const keys[] = { "name", NULL };

  if (m->method != VT_CAM_SCORECAM && json_object_has_member (entry, "score_batch"))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.score_batch: only scorecam takes this (it is "
                   "how many masked inputs go through the model at once)", path);
      return FALSE;
    }
  return vt_json_check_keys (entry, path, m->method == VT_CAM_SCORECAM ? score_keys : keys, error) &&
         vt_json_get_uint (entry, path, "score_batch", 1, 1024, &m->options.score_batch, error);
}

static void
cam_options_to_json (const VtAttributeMethod *m,
                     JsonObject              *entry)
{
  if (m->method == VT_CAM_SCORECAM && m->options.score_batch != VT_ATTRIBUTION_SCORE_BATCH)
    json_object_set_int_member (entry, "score_batch", m->options.score_batch);
}

/* gradient: SmoothGrad's "samples", "noise_level" and "seed"; IG's "rule",
 * "steps", "baseline", "blur_sigma" and "seed" (the noise baseline's). */
static gboolean
gradient_parse_options (JsonObject         *entry,
                        const char         *path,
                        VtAttributeMethod  *m,
                        GError            **error)
{
  static const char * const plain_keys[] = { "name", NULL };
  static const char * const smooth_keys[] = { "name", "samples", "noise_level", "seed", NULL };
  static const char * const ig_keys[] = { "name", "rule", "steps", "baseline", "blur_sigma", "seed", NULL };
  static const char * const rules[] = { "gausslegendre", "riemann_trapezoid", NULL };
  static const char * const baselines[] = { "zeros", "black", "blur", "noise", NULL };
  VtGradientAttributionOptions *o = &m->options.gradient;
  guint samples = (guint) o->samples, steps = (guint) o->steps, seed = o->seed;
  int rule = o->rule, baseline = o->baseline;

  switch ((VtGradientAttributionMethod) m->method)
    {
    case VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD:
      if (!vt_json_check_keys (entry, path, smooth_keys, error) ||
          !vt_json_get_uint (entry, path, "samples", 1, 1000, &samples, error) ||
          !vt_json_get_number (entry, path, "noise_level", 0.0, 10.0, &o->noise_level, error) ||
          !vt_json_get_uint (entry, path, "seed", 0, G_MAXUINT32, &seed, error))
        return FALSE;
      break;
    case VT_GRADIENT_ATTRIBUTION_IG:
      if (!vt_json_check_keys (entry, path, ig_keys, error) ||
          !vt_json_get_choice (entry, path, "rule", rules, &rule, error) ||
          !vt_json_get_uint (entry, path, "steps", 1, 1000, &steps, error) ||
          !vt_json_get_choice (entry, path, "baseline", baselines, &baseline, error) ||
          !vt_json_get_number (entry, path, "blur_sigma", 0.01, 100.0, &o->blur_sigma, error) ||
          !vt_json_get_uint (entry, path, "seed", 0, G_MAXUINT32, &seed, error))
        return FALSE;
      if (rule == VT_IG_RULE_RIEMANN_TRAPEZOID && steps < 2)
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.steps: the trapezoid rule needs at least "
                       "2 steps (it has both ends)", path);
          return FALSE;
        }
      break;
    default:
      if (!vt_json_check_keys (entry, path, plain_keys, error))
        return FALSE;
    }
  o->samples = (int) samples;
  o->steps = (int) steps;
  o->seed = seed;
  o->rule = rule;
  o->baseline = baseline;
  return TRUE;
}

static void
gradient_options_to_json (const VtAttributeMethod *m,
                          JsonObject              *entry)
{
  VtAttributionOptions defaults;
  const VtGradientAttributionOptions *o = &m->options.gradient, *d = &defaults.gradient;

  vt_attribution_options_init (&defaults);
  if (m->method == VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD)
    {
      if (o->samples != d->samples)
        json_object_set_int_member (entry, "samples", o->samples);
      if (o->noise_level != d->noise_level)
        json_object_set_double_member (entry, "noise_level", o->noise_level);
    }
  if (m->method == VT_GRADIENT_ATTRIBUTION_IG)
    {
      if (o->rule != d->rule)
        json_object_set_string_member (entry, "rule", vt_ig_rule_name (o->rule));
      if (o->steps != d->steps)
        json_object_set_int_member (entry, "steps", o->steps);
      if (o->baseline != d->baseline)
        json_object_set_string_member (entry, "baseline", vt_ig_baseline_name (o->baseline));
      if (o->blur_sigma != d->blur_sigma)
        json_object_set_double_member (entry, "blur_sigma", o->blur_sigma);
    }
  if ((m->method == VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD || m->method == VT_GRADIENT_ATTRIBUTION_IG) &&
      o->seed != d->seed)
    json_object_set_int_member (entry, "seed", o->seed);
}

/* Entry @entry (an object at JSON path @path; NULL: a bare name) of
 * "methods" into @m, whose family and method are set: the defaults, then
 * what the entry sets. */
static gboolean
parse_options (JsonObject         *entry,
               const char         *path,
               VtAttributeMethod  *m,
               GError            **error)
{
  vt_attribution_options_init (&m->options);
  if (entry == NULL)
    return TRUE;
  return g_str_equal (m->family->name, "cam") ? cam_parse_options (entry, path, m, error)
                                              : gradient_parse_options (entry, path, m, error);
}

/* The options of @m that are not the defaults, into @entry. */
static void
options_to_json (const VtAttributeMethod *m,
                 JsonObject              *entry)
{
  if (g_str_equal (m->family->name, "cam"))
    cam_options_to_json (m, entry);
  else
    gradient_options_to_json (m, entry);
}

/* --- The step's keys -------------------------------------------------- */

const char *
vt_attribute_method_name (const VtAttributeMethod *method)
{
  return method->family->method_name (method->method);
}

static gboolean
lookup_method (const char         *name,
               VtAttributeMethod  *m)
{
  return vt_attribution_lookup_method (name, &m->family, &m->method);
}

static char *
known_methods (void)
{
  return vt_attribution_known_methods ();
}

static void
attribute_init (VtStep *base)
{
  VtAttributeStep *step = (VtAttributeStep *) base;

  vt_model_input_init (&step->input);
  /* Each image keeps every activation and its gradient: a smaller batch
   * than extraction's. */
  step->input.batch = 16;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
attribute_clear (VtStep *base)
{
  VtAttributeStep *step = (VtAttributeStep *) base;

  vt_model_input_clear (&step->input);
  g_free (step->input_file);
  g_free (step->images);
  g_strfreev (step->files);
  g_free (step->samples);
  g_free (step->methods);
  g_free (step->layer);
  g_free (step->targets);
}

gboolean
vt_attribute_parse_methods (JsonObject          *object,
                            const char          *path,
                            VtAttributeMethod  **methods,
                            guint               *n_methods,
                            GError             **error)
{
  JsonNode *node = json_object_get_member (object, "methods");
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    {
      g_autofree char *known = known_methods ();
      g_autofree char *message = g_strdup_printf ("expected a list of methods (names, or objects with a “name”); "
                                                  "known: %s", known);
      return vt_step_invalid_key (error, path, "methods", message);
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  *methods = g_new0 (VtAttributeMethod, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *where = g_strdup_printf ("%s.methods[%u]", path, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      VtAttributeMethod *m = &(*methods)[i];
      const char *name = NULL;

      if (entry != NULL && json_object_has_member (entry, "name") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (entry, "name")) &&
          json_node_get_value_type (json_object_get_member (entry, "name")) == G_TYPE_STRING)
        name = json_object_get_string_member (entry, "name");
      else if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        name = json_node_get_string (element);
      if (name == NULL)
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: expected a method's name, or an object "
                       "with its “name” and options", where);
          return FALSE;
        }
      if (!lookup_method (name, m))
        {
          g_autofree char *known = known_methods ();
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: unknown method “%s”; known: %s", where,
                       name, known);
          return FALSE;
        }
      /* Each method's maps are one tensor of the output, named after it. */
      for (guint j = 0; j < i; j++)
        if ((*methods)[j].family == m->family && (*methods)[j].method == m->method)
          {
            g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: “%s” is listed already (at methods[%u])",
                         where, name, j);
            return FALSE;
          }
      if (!parse_options (entry, where, m, error))
        return FALSE;
      *n_methods = i + 1;
    }
  return TRUE;
}

/* A class index: an integer from 0 (the model's range is checked when it
 * is open). */
static gboolean
get_class (JsonNode  *node,
           gint64    *out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
vt_attribute_parse_target (JsonObject  *object,
                           const char  *path,
                           gint64     **targets,
                           guint       *n_targets,
                           gboolean    *target_all,
                           GError     **error)
{
  static const char message[] = "expected “predicted”, a class index (an integer from 0) for every image, or a "
                                "list of one class per image";
  JsonNode *node = json_object_get_member (object, "target");
  gint64 k;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_str_equal (json_node_get_string (node), "predicted") || vt_step_invalid_key (error, path, "target", message);
  if (get_class (node, &k))
    {
      (*targets) = g_new (gint64, 1);
      (*targets)[0] = k;
      *n_targets = 1;
      *target_all = TRUE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    return vt_step_invalid_key (error, path, "target", message);
  *n_targets = json_array_get_length (json_node_get_array (node));
  (*targets) = g_new (gint64, *n_targets);
  for (guint i = 0; i < *n_targets; i++)
    if (!get_class (json_array_get_element (json_node_get_array (node), i), &(*targets)[i]))
      {
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.target[%u]: expected a class index (an "
                     "integer from 0)", path, i);
        return FALSE;
      }
  return TRUE;
}

static VtStep *
attribute_parse (JsonObject  *object,
                 const char  *path,
                 GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "input", "images", "files", "samples",
                                       "methods", "layer", "target", "formats", NULL };
  VtAttributeStep *step = (VtAttributeStep *) vt_step_new (&vt_attribute_step_type, NULL);
  JsonNode *samples = json_object_get_member (object, "samples");
  guint format_flags = step->formats;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, FALSE, &step->input, error) ||
      !vt_json_get_string (object, path, "input", FALSE, &step->input_file, error) ||
      !vt_json_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_json_get_strv (object, path, "files", &step->files, error) ||
      !vt_attribute_parse_methods (object, path, &step->methods, &step->n_methods, error) ||
      !vt_json_get_string (object, path, "layer", FALSE, &step->layer, error) ||
      !vt_attribute_parse_target (object, path, &step->targets, &step->n_targets, &step->target_all, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  step->formats = format_flags;

  if (!vt_step_check_image_source (object, path, step->input_file, step->images, step->files, &step->input, samples,
                                   error))
    goto fail;
  /* Every image is explained, so none may be skipped. */
  if (json_object_has_member (object, "skip_unreadable"))
    {
      vt_step_invalid_key (error, path, "skip_unreadable", "the attribute step explains every image it is given: leave this out");
      goto fail;
    }
  if (samples != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (samples))
        {
          vt_step_invalid_key (error, path, "samples", "expected a list of sample indices");
          goto fail;
        }
      if (!vt_step_get_indices (json_node_get_array (samples), path, "samples", "sample index", &step->samples,
                                &step->n_samples, error))
        goto fail;
    }
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static JsonArray *
int_array (const gint64 *values,
           guint         n)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++)
    json_array_add_int_element (array, values[i]);
  return array;
}

void
vt_attribute_methods_to_json (const VtAttributeMethod *methods,
                              guint                    n_methods,
                              const char              *layer,
                              const gint64            *targets,
                              guint                    n_targets,
                              gboolean                 target_all,
                              JsonObject              *object)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n_methods; i++)
    {
      const VtAttributeMethod *m = &methods[i];
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "name", vt_attribute_method_name (m));
      options_to_json (m, entry);
      if (json_object_get_size (entry) > 1)
        json_array_add_object_element (array, entry);
      else
        {
          json_array_add_string_element (array, vt_attribute_method_name (m));
          json_object_unref (entry);
        }
    }
  json_object_set_array_member (object, "methods", array);
  if (layer)
    json_object_set_string_member (object, "layer", layer);
  if (target_all)
    json_object_set_int_member (object, "target", targets[0]);
  else if (targets)
    json_object_set_array_member (object, "target", int_array (targets, n_targets));
  else
    json_object_set_string_member (object, "target", "predicted");
}

static void
attribute_to_json (const VtStep *base,
                   JsonObject   *object)
{
  const VtAttributeStep *step = (const VtAttributeStep *) base;

  vt_model_input_to_json (&step->input, object);
  /* Refused here (see attribute_parse). */
  json_object_remove_member (object, "skip_unreadable");
  if (step->input_file)
    {
      /* A transform is refused beside preprocessed images. */
      json_object_remove_member (object, "transform");
      json_object_set_string_member (object, "input", step->input_file);
      json_object_set_string_member (object, "images", step->images);
    }
  if (step->files)
    json_object_set_array_member (object, "files", vt_step_strv_to_json (step->files));
  if (step->samples)
    {
      JsonArray *samples = json_array_new ();

      for (guint i = 0; i < step->n_samples; i++)
        json_array_add_int_element (samples, step->samples[i]);
      json_object_set_array_member (object, "samples", samples);
    }
  vt_attribute_methods_to_json (step->methods, step->n_methods, step->layer, step->targets, step->n_targets,
                                step->target_all, object);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
attribute_formats (const VtStep *step)
{
  return ((const VtAttributeStep *) step)->formats;
}

VtAttributeStep *
vt_attribute_step_new (const char         *id,
                       const char         *checkpoint,
                       const char * const *files,
                       const char * const *methods)
{
  VtAttributeStep *step;
  guint n = methods ? g_strv_length ((char **) methods) : 0;

  g_return_val_if_fail (n > 0, NULL);
  step = (VtAttributeStep *) vt_step_new (&vt_attribute_step_type, id);
  step->input.checkpoint = g_strdup (checkpoint);
  step->files = files ? g_strdupv ((char **) files) : NULL;
  if (!vt_attribute_methods_from_names (methods, &step->methods, &step->n_methods, NULL))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  return step;
}

gboolean
vt_attribute_methods_from_names (const char * const  *names,
                                 VtAttributeMethod  **methods,
                                 guint               *n_methods,
                                 GError             **error)
{
  guint n = names ? g_strv_length ((char **) names) : 0;
  g_autofree VtAttributeMethod *out = g_new0 (VtAttributeMethod, MAX (n, 1));

  if (n == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "methods: choose at least one method");
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (!lookup_method (names[i], &out[i]) || !parse_options (NULL, NULL, &out[i], NULL))
      {
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "methods[%u]: unknown method “%s”", i, names[i]);
        return FALSE;
      }
  *methods = g_steal_pointer (&out);
  *n_methods = n;
  return TRUE;
}

/* --- The run ----------------------------------------------------------- */

/* Up to 40 layer names, for an error that names an unknown layer. */
static char *
list_names (GPtrArray *names)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < names->len && i < 40; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "", (const char *) g_ptr_array_index (names, i));
  if (names->len > 40)
    g_string_append_printf (text, " and %u more", names->len - 40);
  return g_string_free (text, FALSE);
}

/* Whether @layer is one of @names, as a stage ("layer3") or its tap
 * ("layer3.out"). */
static gboolean
layer_offered (GPtrArray  *names,
               const char *layer)
{
  g_autofree char *stage = g_str_has_suffix (layer, ".out") ? g_strndup (layer, strlen (layer) - 4) : NULL;

  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), layer) ||
        (stage && g_str_equal (g_ptr_array_index (names, i), stage)))
      return TRUE;
  return FALSE;
}

GPtrArray *
vt_attribute_resolve_layer (VtTrainable  *model,
                            int           patch_size,
                            const float  *pixels,
                            int           height,
                            int           width,
                            const char   *spec_layer,
                            const char   *step_path,
                            const char   *checkpoint_path,
                            char        **default_layer,
                            const char  **layer,
                            GError      **error)
{
  g_autoptr(GPtrArray) layers = NULL;

  if (!vt_trainable_forward (model, pixels, 1, height, width, error))
    return NULL;
  layers = vt_cam_layer_names (model, patch_size, height, width, default_layer);
  *layer = spec_layer ? spec_layer : *default_layer;
  if (*layer == NULL || !layer_offered (layers, *layer))
    {
      g_autofree char *offered = list_names (layers);

      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, *layer ? "%s.layer: no layer “%s” in %s "
                   "that a map can be made at; it has: %s" : "%s.layer: %s%s has no layer a map can be made "
                   "at%s", step_path, *layer ? *layer : "", checkpoint_path, offered);
      return NULL;
    }
  return g_steal_pointer (&layers);
}

/* Where the images come from, and the one being read. */
typedef struct
{
  VtRunContext          *run;
  const VtAttributeStep *step;
  VtRunOpened           *o;
  const VtTensor        *input;     /* "input"'s (N, 3, H, W), or NULL */
  int                    height;
  int                    width;
} Images;

/* Image @i, normalized, into @pixels (3, H, W); its name in @name. */
static gboolean
load_image (Images   *s,
            guint     i,
            float    *pixels,
            char    **name,
            GError  **error)
{
  if (s->input)
    {
      gsize n = (gsize) 3 * s->height * s->width;

      for (gsize k = 0; k < n; k++)
        pixels[k] = (float) vt_dtype_read_double (s->input->dtype, s->input->data, (gsize) i * n + k);
      *name = g_strdup_printf ("%s[%u]", s->step->images, i);
      return TRUE;
    }
  else
    {
      g_autoptr(VtImage) image = NULL;
      guint sample = s->step->samples ? s->step->samples[i] : i;

      *name = s->o->dataset ? vt_dataset_sample_name (s->o->dataset, sample)
                            : vt_spec_resolve_path (s->run->spec, s->step->files[i]);
      image = s->o->dataset ? vt_dataset_load_image (s->o->dataset, sample, error) : vt_image_load (*name, error);
      if (image == NULL || !vt_transform_check_image (&s->o->transform, image, *name, error))
        return FALSE;
      vt_transform_apply (&s->o->transform, image, pixels);
      return TRUE;
    }
}

/* FALSE, naming the JSON path, when a target class is not one of the
 * model's @classes or the list does not give one per image. */
gboolean
vt_attribute_check_targets (const gint64  *targets,
                            guint          n_targets,
                            gboolean       target_all,
                            const char    *path,
                            guint          n_images,
                            int            classes,
                            GError       **error)
{
  if (targets == NULL)
    return TRUE;
  if (!target_all && n_targets != n_images)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.target: %u classes for %u images (give one per "
                   "image, or one integer for every image)", path, n_targets, n_images);
      return FALSE;
    }
  for (guint i = 0; i < n_targets; i++)
    if (targets[i] >= classes)
      {
        g_autofree char *where = target_all ? g_strdup_printf ("%s.target", path)
                                                  : g_strdup_printf ("%s.target[%u]", path, i);
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: class %" G_GINT64_FORMAT " is out of range: "
                     "the model has %d classes (0 to %d)", where, targets[i], classes, classes - 1);
        return FALSE;
      }
  return TRUE;
}

gboolean
vt_attribute_compute_batch (const VtAttributionInput  *input,
                            const VtAttributeMethod   *methods,
                            guint                      n_methods,
                            float                    **maps,
                            double                   **gaps,
                            double                    *seconds,
                            gint64                    *targets,
                            gint64                    *predicted,
                            GCancellable              *cancellable,
                            GError                   **error)
{
  guint n_families;
  const VtAttributionFamily *families = vt_attribution_families (&n_families);
  g_autofree int *chosen = g_new (int, n_methods);
  g_autofree const VtAttributionOptions **chosen_options = g_new (const VtAttributionOptions *, n_methods);
  g_autofree float **chosen_maps = g_new (float *, n_methods);
  g_autofree double **chosen_gaps = g_new (double *, n_methods);
  g_autofree double *batch_seconds = g_new0 (double, n_methods);

  for (guint f = 0; f < n_families; f++)
    {
      int n = 0;

      for (guint m = 0; m < n_methods; m++)
        if (methods[m].family == &families[f])
          {
            chosen[n] = methods[m].method;
            chosen_options[n] = &methods[m].options;
            chosen_gaps[n] = gaps ? gaps[m] : NULL;
            chosen_maps[n++] = maps[m];
          }
      if (n == 0)
        continue;
      if (!families[f].compute (input, chosen, chosen_options, n, chosen_maps, batch_seconds, chosen_gaps,
                                targets, predicted, cancellable, error))
        return FALSE;
      for (guint m = 0, k = 0; m < n_methods; m++)
        if (methods[m].family == &families[f])
          seconds[m] += batch_seconds[k++];
    }
  return TRUE;
}

JsonNode *
vt_run_attribute (VtRunContext  *run,
                  VtStep        *base,
                  GError       **error)
{
  VtAttributeStep *step = (VtAttributeStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autoptr(VtCheckpoint) input = NULL;
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(GPtrArray) layers = NULL;
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *input_path = NULL;
  g_autofree char *default_layer = NULL;
  g_autofree char *output_name = g_strdup_printf ("%s-maps.safetensors", step->base.id);
  g_autofree char *output_path = g_build_filename (run->output_dir, output_name, NULL);
  g_autofree float *pixels = NULL;
  g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func (g_free);   /* (N, H, W) per method */
  g_autofree double *seconds = NULL;
  g_autofree gint64 *samples = NULL;
  g_autofree gint64 *targets = NULL;
  g_autofree gint64 *predicted = NULL;
  g_autofree gint64 *batch_targets = NULL;
  g_autoptr(GPtrArray) gaps = g_ptr_array_new_with_free_func (g_free);   /* (N) per method */
  g_autoptr(GPtrArray) definitions = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *postprocessing = NULL;
  guint n_families;
  const VtAttributionFamily *families = vt_attribution_families (&n_families);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *result = json_object_new ();
  const VtArchitecture *arch;
  const char *layer = NULL;
  gboolean uses_layer = FALSE;
  Images source = { run, step, &o, NULL, 0, 0 };
  guint n_images, batch_size, score_batch = 0;
  gsize plane, image_floats;
  int classes;

  json_node_take_object (node, result);
  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  if (!(model = vt_trainable_new (o.checkpoint, arch, error)))
    {
      g_prefix_error (error, "%s: attribution maps need the model's backward pass: ", run->step_path);
      return NULL;
    }
  classes = arch->num_classes;
  if (classes <= 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: this %s has no classifier head; attribution "
                   "maps explain a class", o.checkpoint_path, arch->family_name);
      return NULL;
    }

  /* The images: how many, and their size. */
  if (step->input_file)
    {
      input_path = vt_spec_resolve_path (run->spec, step->input_file);
      if (!(input = vt_checkpoint_open (input_path, error)) ||
          !(source.input = vt_step_image_tensor (input, step->images, error)))
        return NULL;
      n_images = source.input->shape[0];
      source.height = source.input->shape[2];
      source.width = source.input->shape[3];
    }
  else
    {
      source.height = source.width = o.transform.crop_size;
      n_images = step->files ? g_strv_length (step->files)
                             : step->samples ? step->n_samples : o.dataset->n_samples;
      if (o.dataset && !vt_step_check_samples (step->samples, step->n_samples, o.dataset, o.dataset_path,
                                               run->step_path, error))
        return NULL;
    }
  if (n_images == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no images to explain",
                   o.dataset_path ? o.dataset_path : input_path ? input_path : run->step_path);
      return NULL;
    }
  if (!vt_trainable_check_input (model, source.height, source.width, error))
    {
      g_prefix_error (error, "%s: ", input_path ? input_path : o.checkpoint_path);
      return NULL;
    }
  if (!vt_attribute_check_targets (step->targets, step->n_targets, step->target_all, run->step_path, n_images,
                                   classes, error))
    return NULL;

  for (guint m = 0; m < step->n_methods; m++)
    {
      uses_layer |= step->methods[m].family->uses_layer;
      if (g_str_equal (step->methods[m].family->name, "cam") && step->methods[m].method == VT_CAM_SCORECAM)
        score_batch = step->methods[m].options.score_batch;
    }
  batch_size = MIN (step->input.batch, n_images);
  if (!vt_step_memory_check_attribute (model, o.checkpoint_path, n_images, batch_size, score_batch, source.height,
                                       source.width, step->n_methods, run->step_path, error))
    return NULL;

  plane = (gsize) source.height * source.width;
  image_floats = 3 * plane;
  pixels = g_new (float, image_floats * n_images);
  for (guint m = 0; m < step->n_methods; m++)
    {
      g_ptr_array_add (maps, g_new (float, plane * n_images));
      g_ptr_array_add (gaps, g_new (double, n_images));
      g_ptr_array_add (definitions, step->methods[m].family->method_definition (step->methods[m].method,
                                                                                &step->methods[m].options));
    }
  {
    /* Each family's post-processing, for the families asked for. */
    GString *text = g_string_new (NULL);

    for (guint f = 0; f < n_families; f++)
      for (guint m = 0; m < step->n_methods; m++)
        if (step->methods[m].family == &families[f])
          {
            g_string_append_printf (text, "%s%s: %s", text->len ? " | " : "", families[f].name,
                                    families[f].postprocessing);
            break;
          }
    postprocessing = g_string_free (text, FALSE);
  }
  seconds = g_new0 (double, step->n_methods);
  samples = g_new (gint64, n_images);
  targets = g_new (gint64, n_images);
  predicted = g_new (gint64, n_images);
  batch_targets = g_new (gint64, batch_size);

  for (guint first = 0; first < n_images; first += batch_size)
    {
      guint count = MIN (batch_size, n_images - first);
      /* What undoes the normalization: the transform's, or for
       * preprocessed images the model's preset. */
      VtAttributionInput b = { model, NULL, arch->patch_size, pixels + first * image_floats, (int) count,
                               source.height, source.width, NULL, input_path ? arch->mean : o.transform.mean,
                               input_path ? arch->std : o.transform.std };

      for (guint i = first; i < first + count; i++)
        {
          char *name = NULL;
          gboolean loaded = load_image (&source, i, pixels + i * image_floats, &name, error);

          g_ptr_array_add (names, name);
          samples[i] = step->samples ? step->samples[i] : i;
          if (!loaded)
            return NULL;
        }
      /* The layers the model offers, from a pass on the first image; the
       * spec's layer checked, or the default taken. */
      if (uses_layer && layers == NULL &&
          !(layers = vt_attribute_resolve_layer (model, arch->patch_size, pixels, source.height, source.width,
                                                 step->layer, run->step_path, o.checkpoint_path, &default_layer,
                                                 &layer, error)))
        return NULL;
      b.layer = layer;
      if (step->targets)
        {
          for (guint i = 0; i < count; i++)
            batch_targets[i] = step->target_all ? step->targets[0] : step->targets[first + i];
          b.targets = batch_targets;
        }
      {
        g_autofree float **batch_maps = g_new (float *, step->n_methods);
        g_autofree double **batch_gaps = g_new (double *, step->n_methods);

        for (guint m = 0; m < step->n_methods; m++)
          {
            batch_maps[m] = (float *) g_ptr_array_index (maps, m) + first * plane;
            batch_gaps[m] = (double *) g_ptr_array_index (gaps, m) + first;
          }
        if (!vt_attribute_compute_batch (&b, step->methods, step->n_methods, batch_maps, batch_gaps, seconds,
                                         targets + first, predicted + first, run->cancellable, error))
          {
            g_prefix_error (error, "%s: %s: ", run->step_path, (const char *) g_ptr_array_index (names, first));
            return NULL;
          }
      }
      vt_run_emit (run, VT_EVENT_PROGRESS, (double) (first + count) / n_images,
                   g_ptr_array_index (names, first + count - 1));
    }

  /* The maps file: one (N, H, W) map per method, the images and classes. */
  {
    guint n = step->n_methods + 4, k = 0;
    g_autofree VtTensor *tensors = g_new (VtTensor, n);
    g_autofree const VtTensor **pointers = g_new (const VtTensor *, n);
    gint64 map_shape[3] = { n_images, source.height, source.width };
    gint64 pixel_shape[4] = { n_images, 3, source.height, source.width };
    gint64 count_shape[1] = { n_images };

    for (guint m = 0; m < step->n_methods; m++)
      {
        const VtAttributeMethod *method = &step->methods[m];

        tensors[k++] = vt_step_tensor_view (vt_attribute_method_name (method), VT_DTYPE_F32, 3, map_shape,
                                     g_ptr_array_index (maps, m));
        g_hash_table_insert (metadata, g_strdup_printf ("%s.definition", vt_attribute_method_name (method)),
                             g_ptr_array_index (definitions, m));
      }
    tensors[k++] = vt_step_tensor_view ("input.pixel_values", VT_DTYPE_F32, 4, pixel_shape, pixels);
    tensors[k++] = vt_step_tensor_view ("samples", VT_DTYPE_I64, 1, count_shape, samples);
    tensors[k++] = vt_step_tensor_view ("targets", VT_DTYPE_I64, 1, count_shape, targets);
    tensors[k++] = vt_step_tensor_view ("predicted", VT_DTYPE_I64, 1, count_shape, predicted);
    for (guint i = 0; i < n; i++)
      pointers[i] = &tensors[i];
    g_hash_table_insert (metadata, g_strdup ("producer"), "vitrine " PACKAGE_VERSION);
    g_hash_table_insert (metadata, g_strdup ("checkpoint"), o.checkpoint_path);
    if (layer)
      g_hash_table_insert (metadata, g_strdup ("layer"), (gpointer) layer);
    g_hash_table_insert (metadata, g_strdup ("postprocessing"), postprocessing);
    if (!vt_safetensors_write (output_path, n, pointers, metadata, error))
      return NULL;
  }
  vt_run_emit (run, VT_EVENT_FILE, 1.0, output_name);

  json_object_set_string_member (result, "checkpoint", o.checkpoint_path);
  json_object_set_string_member (result, "architecture", arch->family_name);
  if (input_path)
    json_object_set_string_member (result, "input", input_path);
  else
    {
      g_autofree char *transform = vt_transform_describe (&o.transform);

      json_object_set_string_member (result, "transform", transform);
      if (o.dataset)
        {
          json_object_set_string_member (result, "dataset", o.dataset_path);
          if (o.dataset->split)
            json_object_set_string_member (result, "split", o.dataset->split);
        }
    }
  json_object_set_string_member (result, "output", output_name);
  if (layer)
    {
      json_object_set_string_member (result, "layer", layer);
      JsonArray *offered = json_array_new ();

      for (guint i = 0; i < layers->len; i++)
        json_array_add_string_element (offered, g_ptr_array_index (layers, i));
      json_object_set_array_member (result, "layers", offered);
    }
  json_object_set_string_member (result, "postprocessing", postprocessing);
  {
    /* What undoes the normalization, for the figure: the transform's, or
     * for preprocessed images the model's preset. */
    const float *mean = input_path ? arch->mean : o.transform.mean;
    const float *std = input_path ? arch->std : o.transform.std;
    JsonArray *mean_array = json_array_new (), *std_array = json_array_new ();

    for (int c = 0; c < 3; c++)
      {
        vt_run_add_number (mean_array, mean[c]);
        vt_run_add_number (std_array, std[c]);
      }
    json_object_set_array_member (result, "mean", mean_array);
    json_object_set_array_member (result, "std", std_array);
  }
  {
    JsonArray *size = json_array_new ();

    json_array_add_int_element (size, source.height);
    json_array_add_int_element (size, source.width);
    json_object_set_array_member (result, "size", size);
  }
  {
    JsonArray *listing = json_array_new ();

    for (guint m = 0; m < step->n_methods; m++)
      {
        const VtAttributeMethod *method = &step->methods[m];
        JsonObject *entry = json_object_new ();

        json_object_set_string_member (entry, "name", vt_attribute_method_name (method));
        json_object_set_string_member (entry, "title", method->family->method_title (method->method));
        json_object_set_string_member (entry, "family", method->family->name);
        const double *gap = g_ptr_array_index (gaps, m);
        double sum = 0.0;
        guint finite = 0;

        json_object_set_string_member (entry, "definition", g_ptr_array_index (definitions, m));
        vt_run_set_number (entry, "seconds_per_image", seconds[m] / n_images);
        for (guint i = 0; i < n_images; i++)
          if (isfinite (gap[i]))
            {
              sum += fabs (gap[i]);
              finite++;
            }
        /* Integrated Gradients: Σ attributions − (F(x) − F(x')), always reported. */
        if (finite > 0)
          vt_run_set_number (entry, "mean_abs_completeness_gap", sum / finite);
        json_array_add_object_element (listing, entry);
      }
    json_object_set_array_member (result, "methods", listing);
  }
  {
    JsonArray *listing = json_array_new ();

    for (guint i = 0; i < n_images; i++)
      {
        JsonObject *entry = json_object_new ();

        json_object_set_string_member (entry, "name", g_ptr_array_index (names, i));
        json_object_set_int_member (entry, "sample", samples[i]);
        json_object_set_int_member (entry, "target", targets[i]);
        json_object_set_int_member (entry, "predicted", predicted[i]);
        for (guint m = 0; m < step->n_methods; m++)
          {
            double gap = ((const double *) g_ptr_array_index (gaps, m))[i];

            if (isfinite (gap))
              {
                g_autofree char *key = g_strdup_printf ("%s.completeness_gap",
                                                        vt_attribute_method_name (&step->methods[m]));

                vt_run_set_number (entry, key, gap);
              }
          }
        json_array_add_object_element (listing, entry);
      }
    json_object_set_array_member (result, "images", listing);
  }
  json_object_set_array_member (result, "figures", json_array_new ());
  return g_steal_pointer (&node);
}

const VtStepType vt_attribute_step_type = {
  .name = "attribute",
  .size = sizeof (VtAttributeStep),
  .init = attribute_init,
  .parse = attribute_parse,
  .clear = attribute_clear,
  .to_json = attribute_to_json,
  .execute = vt_run_attribute,
  .formats = attribute_formats,
  .figures = vt_report_attribute_figures,
};
