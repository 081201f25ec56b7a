/* vt-step-common.c: the model-input keys, shared by evaluate, extract and
 * predict. */
#include "vt-step-common.h"
#include "core/vt-dtype.h"
#include "models/vt-transform.h"
#include "nn/vt-optim.h"
#include "run/vt-run.h"

const char * const vt_step_format_names[] = { "png", "svg", "pdf", NULL };

void
vt_model_input_init (VtModelInput *input)
{
  input->batch = 64;
  input->transform = (VtTransformSpec) { -1, -1, 0.0, -1, FALSE, FALSE, { 0 }, { 0 }, TRUE };
}

void
vt_model_input_clear (VtModelInput *input)
{
  g_free (input->checkpoint);
  g_free (input->dataset);
  g_free (input->split);
}

static gboolean
transform_spec_parse (JsonObject       *parent,
                      const char       *parent_path,
                      VtTransformSpec  *t,
                      GError          **error)
{
  static const char * const keys[] = { "resize", "crop", "crop_pct", "interpolation", "mean", "std", "normalize", NULL };
  /* Order matches VtResample. */
  static const char * const filters[] = { "bilinear", "bicubic", NULL };
  g_autofree char *path = g_strdup_printf ("%s.transform", parent_path);
  JsonNode *node = json_object_get_member (parent, "transform");
  JsonObject *object;
  guint resize = 0, crop = 0;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: expected an object", path);
      return FALSE;
    }
  object = json_node_get_object (node);
  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_uint (object, path, "resize", 0, 4096, &resize, error) ||
      !vt_json_get_uint (object, path, "crop", 1, 4096, &crop, error) ||
      /* Above 0.1: the resize, crop / crop_pct, stays an int (at most
       * 40960) and a sane one; timm's models use 0.875 to 1. */
      !vt_json_get_number (object, path, "crop_pct", 0.1, 1.0, &t->crop_pct, error) ||
      !vt_json_get_choice (object, path, "interpolation", filters, &t->interpolation, error) ||
      !vt_json_get_triple (object, path, "mean", VT_TRANSFORM_MEAN_MIN, VT_TRANSFORM_MEAN_MAX, t->mean,
                           &t->has_mean, error) ||
      !vt_json_get_triple (object, path, "std", VT_TRANSFORM_STD_MIN, VT_TRANSFORM_STD_MAX, t->std,
                           &t->has_std, error) ||
      !vt_json_get_bool (object, path, "normalize", &t->normalize, error))
    return FALSE;
  if (json_object_has_member (object, "resize"))
    t->resize = (int) resize;
  if (json_object_has_member (object, "crop"))
    t->crop = (int) crop;
  if (t->crop_pct > 0 && t->resize >= 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: give “resize” or “crop_pct”, not both", path);
      return FALSE;
    }
  if (!t->normalize && (t->has_mean || t->has_std))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: “mean” and “std” contradict “normalize”: false", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
vt_model_input_parse (JsonObject    *object,
                      const char    *path,
                      gboolean       dataset_required,
                      VtModelInput  *input,
                      GError       **error)
{
  static const char * const splits[] = { "train", "test", NULL };
  int split = -1;

  if (!vt_json_get_string (object, path, "checkpoint", TRUE, &input->checkpoint, error) ||
      !vt_json_get_string (object, path, "dataset", dataset_required, &input->dataset, error) ||
      !vt_json_get_choice (object, path, "split", splits, &split, error) ||
      !vt_json_get_bool (object, path, "coarse_labels", &input->coarse_labels, error) ||
      !transform_spec_parse (object, path, &input->transform, error) ||
      !vt_json_get_uint (object, path, "batch", 1, 1024, &input->batch, error) ||
      !vt_json_get_bool (object, path, "skip_unreadable", &input->skip_unreadable, error))
    return FALSE;
  if (split >= 0)
    input->split = g_strdup (splits[split]);
  return TRUE;
}

static JsonArray *
triple (const float *v)
{
  JsonArray *array = json_array_new ();

  for (int c = 0; c < 3; c++)
    json_array_add_double_element (array, v[c]);
  return array;
}

void
vt_model_input_to_json (const VtModelInput *input,
                        JsonObject         *object)
{
  const VtTransformSpec *t = &input->transform;
  static const char * const filters[] = { "bilinear", "bicubic" };
  JsonObject *transform = json_object_new ();

  json_object_set_string_member (object, "checkpoint", input->checkpoint);
  if (input->dataset)
    json_object_set_string_member (object, "dataset", input->dataset);
  if (input->split)
    json_object_set_string_member (object, "split", input->split);
  json_object_set_boolean_member (object, "coarse_labels", input->coarse_labels);
  if (t->resize >= 0)
    json_object_set_int_member (transform, "resize", t->resize);
  if (t->crop > 0)
    json_object_set_int_member (transform, "crop", t->crop);
  if (t->crop_pct > 0)
    json_object_set_double_member (transform, "crop_pct", t->crop_pct);
  if (t->interpolation >= 0 && t->interpolation < (int) G_N_ELEMENTS (filters))
    json_object_set_string_member (transform, "interpolation", filters[t->interpolation]);
  if (t->has_mean)
    json_object_set_array_member (transform, "mean", triple (t->mean));
  if (t->has_std)
    json_object_set_array_member (transform, "std", triple (t->std));
  json_object_set_boolean_member (transform, "normalize", t->normalize);
  json_object_set_object_member (object, "transform", transform);
  json_object_set_int_member (object, "batch", input->batch);
  json_object_set_boolean_member (object, "skip_unreadable", input->skip_unreadable);
}

void
vt_step_formats_to_json (VtFigureFormats  formats,
                         JsonObject      *object)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; vt_step_format_names[i]; i++)
    if (formats & (1u << i))
      json_array_add_string_element (array, vt_step_format_names[i]);
  json_object_set_array_member (object, "formats", array);
}

JsonArray *
vt_step_strv_to_json (char * const *strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv && strv[i]; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

/* "T-shirt/top" and "t_shirt top" are one name; "cat" and "dog" are not. */
char *
vt_step_class_name_key (const char *name)
{
  g_autofree char *lower = g_utf8_strdown (name, -1);
  GString *key = g_string_new (NULL);

  for (const char *c = lower; *c; c++)
    if (g_ascii_isalnum (*c) || (guchar) *c >= 0x80)
      g_string_append_c (key, *c);
  return g_string_free (key, FALSE);
}

gboolean
vt_step_get_indices (JsonArray   *array,
                     const char  *path,
                     const char  *key,
                     const char  *what,
                     guint      **out,
                     guint       *n_out,
                     GError     **error)
{
  guint n = json_array_get_length (array);
  g_autofree guint *values = g_new (guint, MAX (n, 1));

  if (n == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.%s: expected at least one %s", path, key, what);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          json_node_get_int (node) < 0 || json_node_get_int (node) > G_MAXINT32)
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.%s[%u]: expected a %s (an integer from 0)", path, key, i, what);
          return FALSE;
        }
      values[i] = (guint) json_node_get_int (node);
    }
  *out = g_steal_pointer (&values);
  *n_out = n;
  return TRUE;
}

const VtTensor *
vt_step_image_tensor (VtCheckpoint  *file,
                      const char    *name,
                      GError       **error)
{
  const VtTensor *t = vt_checkpoint_lookup (file, name);

  if (t == NULL)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no tensor “%s”", vt_checkpoint_get_path (file),
                   name);
      return NULL;
    }
  if (t->ndim != 4 || t->shape[1] != 3 || t->numel == 0 || t->shape[2] > 4096 || t->shape[3] > 4096)
    {
      g_autofree char *shape = vt_tensor_format_shape (t);
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: tensor “%s” has shape %s; expected (N, 3, H, W) preprocessed images, H and W at most 4096",
                   vt_checkpoint_get_path (file), name, shape);
      return NULL;
    }
  return t;
}

gboolean
vt_step_check_samples (const guint  *samples,
                       guint         n_samples,
                       VtDataset    *dataset,
                       const char   *dataset_path,
                       const char   *step_path,
                       GError      **error)
{
  for (guint i = 0; i < n_samples; i++)
    if (samples[i] >= dataset->n_samples)
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                     "%s.samples[%u]: sample %u does not exist: %s%s%s has %u samples (0 to %u)",
                     step_path, i, samples[i], dataset_path, dataset->split ? ", split " : "",
                     dataset->split ? dataset->split : "", dataset->n_samples, dataset->n_samples - 1);
        return FALSE;
      }
  return TRUE;
}

VtTensor
vt_step_tensor_view (const char   *name,
                     VtDType       dtype,
                     guint         ndim,
                     const gint64 *shape,
                     const void   *data)
{
  VtTensor t = { (char *) name, dtype, ndim, { 0 }, 1, 0, data };

  for (guint d = 0; d < ndim; d++)
    {
      t.shape[d] = shape[d];
      t.numel *= (gsize) shape[d];
    }
  t.nbytes = t.numel * vt_dtype_size (dtype);
  return t;
}

gboolean
vt_step_invalid_key (GError     **error,
                     const char  *path,
                     const char  *key,
                     const char  *message)
{
  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.%s: %s", path, key, message);
  return FALSE;
}

gboolean
vt_step_check_image_source (JsonObject         *object,
                            const char         *path,
                            const char         *input_file,
                            const char         *images,
                            char * const       *files,
                            const VtModelInput *input,
                            JsonNode           *samples,
                            GError            **error)
{
  int sources = (input_file != NULL) + (files != NULL) + (input->dataset != NULL);

  if (sources != 1)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: give the images one way: “input” with “images” (a safetensors file of preprocessed "
                   "images), “files” (image files) or “dataset”", path);
      return FALSE;
    }
  if ((input_file != NULL) != (images != NULL))
    return vt_step_invalid_key (error, path, images ? "images" : "input",
                                images ? "“images” names a tensor of the safetensors file in “input”: give that file too"
                              : "name the (N, 3, H, W) tensor of preprocessed images in “images”");
  if (files != NULL && files[0] == NULL)
    return vt_step_invalid_key (error, path, "files", "expected at least one image file");
  if (input->dataset == NULL && (input->split != NULL || samples != NULL))
    return vt_step_invalid_key (error, path, samples ? "samples" : "split", "this is of a dataset: give “dataset” too");
  if (input_file != NULL && json_object_has_member (object, "transform"))
    return vt_step_invalid_key (error, path, "transform", "the images in “input” are already preprocessed; a transform is "
                       "for “files” or a “dataset”");
  return TRUE;
}

/* A number in [@min, @max] (@max_open: [@min, @max)). */
gboolean
vt_step_get_number_in (JsonObject  *object,
                       const char  *path,
                       const char  *key,
                       double       min,
                       double       max,
                       gboolean     max_open,
                       double      *out,
                       GError     **error)
{
  double value = *out;

  if (!vt_json_get_number (object, path, key, -G_MAXDOUBLE, G_MAXDOUBLE, &value, error))
    return FALSE;
  if (value < min || value > max || (max_open && value == max))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.%s: %g is not in [%g, %g%s", path, key, value,
                   min, max, max_open ? ")" : "]");
      return FALSE;
    }
  *out = value;
  return TRUE;
}

/* "milestones": epochs, increasing, each within the run. */
gboolean
vt_step_parse_milestones (JsonObject   *object,
                          const char   *path,
                          guint         epochs,
                          guint       **milestones,
                          guint        *n_milestones,
                          GError      **error)
{
  JsonNode *node = json_object_get_member (object, "milestones");
  JsonArray *array;
  guint n;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) || (n = json_array_get_length (json_node_get_array (node))) == 0 ||
      n > VT_SCHEDULE_MAX_MILESTONES)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.milestones: not a list of 1 to %d epochs",
                   path, VT_SCHEDULE_MAX_MILESTONES);
      return FALSE;
    }
  array = json_node_get_array (node);
  g_free (*milestones);
  *milestones = g_new0 (guint, n);
  *n_milestones = n;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      gint64 value = -1;

      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_INT64)
        value = json_node_get_int (item);
      if (value < 1 || value > epochs || (i > 0 && value <= (*milestones)[i - 1]))
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.milestones[%u]: not an epoch from 1 to %u after the one before", path, i, epochs);
          return FALSE;
        }
      (*milestones)[i] = (guint) value;
    }
  return TRUE;
}

void
vt_step_milestones_to_json (const guint *milestones,
                            guint        n_milestones,
                            JsonObject  *object)
{
  JsonArray *array;

  if (milestones == NULL)
    return;
  array = json_array_new ();
  for (guint i = 0; i < n_milestones; i++)
    json_array_add_int_element (array, milestones[i]);
  json_object_set_array_member (object, "milestones", array);
}

void
vt_step_schedule_milestones (VtSchedule  *schedule,
                             const guint *milestones,
                             guint        n_milestones,
                             guint        steps_per_epoch)
{
  schedule->n_milestones = (int) n_milestones;
  for (guint i = 0; i < n_milestones; i++)
    schedule->milestones[i] = (int) (milestones[i] * steps_per_epoch) - schedule->warmup;
}
