/* vt-step-forward.c: the "forward" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_forward. */
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
#include "models/vt-trainable.h"
#include "report/vt-csv.h"

#include "config.h"

#include <math.h>
#include <string.h>



static void
forward_init (VtStep *step)
{
}

static void
gradients_free (VtForwardGradients *g)
{
  if (g == NULL)
    return;
  g_free (g->target);
  if (g->index)
    g_array_unref (g->index);
  g_strfreev (g->wrt);
  g_free (g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtForwardGradients, gradients_free)

static void
forward_clear (VtStep *step)
{
  VtForwardStep *forward = (VtForwardStep *) step;

  gradients_free (forward->gradients);

  g_free (forward->checkpoint);
  g_free (forward->input);
  g_free (forward->images);
  g_free (forward->tokens);
}

static gboolean
spec_invalid (GError     **error,
              const char  *format,
              ...) G_GNUC_PRINTF (2, 3);

static gboolean
spec_invalid (GError     **error,
              const char  *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, message);
  return FALSE;
}

/* "gradients": { "target": "logits", "index": [3, 8] or "predicted",
 * "wrt": ["input", "layer3.out", "linear.weight"] }. What needs the model
 * (the tap and parameter names, the classes' range) is checked when the
 * step runs. */
static gboolean
parse_gradients (JsonObject           *step,
                 const char           *step_path,
                 VtForwardGradients  **out,
                 GError              **error)
{
  static const char * const keys[] = { "target", "index", "wrt", NULL };
  JsonNode *node = json_object_get_member (step, "gradients");
  g_autofree char *path = g_strdup_printf ("%s.gradients", step_path);
  g_autoptr(VtForwardGradients) g = NULL;
  JsonObject *object;
  JsonNode *index;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return spec_invalid (error, "%s: expected an object with “target”, “index” and “wrt”", path);
  object = json_node_get_object (node);
  g = g_new0 (VtForwardGradients, 1);
  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "target", FALSE, &g->target, error) ||
      !vt_json_get_strv (object, path, "wrt", &g->wrt, error))
    return FALSE;
  if (g->target == NULL)
    g->target = g_strdup ("logits");
  if (g->wrt == NULL || g->wrt[0] == NULL)
    return spec_invalid (error, "%s.wrt: name what to take gradients with respect to: "
                         "“input”, taps or parameters", path);
  index = json_object_get_member (object, "index");
  if (index == NULL)
    return spec_invalid (error, "%s.index: missing (a class per image, or “predicted”)", path);
  if (JSON_NODE_HOLDS_VALUE (index) && json_node_get_value_type (index) == G_TYPE_STRING &&
      g_str_equal (json_node_get_string (index), "predicted"))
    ;
  else if (JSON_NODE_HOLDS_ARRAY (index))
    {
      JsonArray *array = json_node_get_array (index);

      g->index = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          gint64 k;

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_INT64 ||
              (k = json_node_get_int (item)) < 0)
            return spec_invalid (error, "%s.index[%u]: expected a class, a whole number from 0", path, i);
          g_array_append_val (g->index, k);
        }
      if (g->index->len == 0)
        return spec_invalid (error, "%s.index: an empty list (give a class per image)", path);
    }
  else
    return spec_invalid (error, "%s.index: expected a list of classes, one per image, or “predicted”", path);
  *out = g_steal_pointer (&g);
  return TRUE;
}

static VtStep *
forward_parse (JsonObject  *object,
               const char  *path,
               GError     **error)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "input", "images", "tokens", "taps", "gradients", NULL };
  /* Bit i of the flags is choice i: "outputs" is bit 0 and always on. */
  static const char * const taps[] = { "outputs", "blocks", "attention", NULL };
  VtForwardStep *step = (VtForwardStep *) vt_step_new (&vt_forward_step_type, NULL);
  guint tap_flags = 1;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_json_get_string (object, path, "input", TRUE, &step->input, error) ||
      !vt_json_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_json_get_string (object, path, "tokens", FALSE, &step->tokens, error) ||
      !vt_json_get_flags (object, path, "taps", taps, &tap_flags, error) ||
      !parse_gradients (object, path, &step->gradients, error))
    goto fail;
  if (step->images == NULL && step->tokens == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: name the input tensor with “images” or “tokens” (or both)", path);
      goto fail;
    }
  /* Drop the "outputs" bit: the rest line up with VtTapFlags. */
  step->taps = tap_flags >> 1;
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
forward_to_json (const VtStep *base,
                 JsonObject   *object)
{
  const VtForwardStep *step = (const VtForwardStep *) base;
  /* Bit i of "taps" is choice i; "outputs" is always on. */
  static const char * const taps[] = { "outputs", "blocks", "attention", NULL };
  JsonArray *array = json_array_new ();

  json_object_set_string_member (object, "checkpoint", step->checkpoint);
  json_object_set_string_member (object, "input", step->input);
  if (step->images)
    json_object_set_string_member (object, "images", step->images);
  if (step->tokens)
    json_object_set_string_member (object, "tokens", step->tokens);
  for (guint i = 0; taps[i]; i++)
    if (((step->taps << 1) | 1) & (1u << i))
      json_array_add_string_element (array, taps[i]);
  json_object_set_array_member (object, "taps", array);
  if (step->gradients)
    {
      JsonObject *g = json_object_new ();
      JsonArray *wrt = json_array_new ();

      json_object_set_string_member (g, "target", step->gradients->target);
      if (step->gradients->index)
        {
          JsonArray *index = json_array_new ();

          for (guint i = 0; i < step->gradients->index->len; i++)
            json_array_add_int_element (index, g_array_index (step->gradients->index, gint64, i));
          json_object_set_array_member (g, "index", index);
        }
      else
        json_object_set_string_member (g, "index", "predicted");
      for (guint i = 0; step->gradients->wrt[i]; i++)
        json_array_add_string_element (wrt, step->gradients->wrt[i]);
      json_object_set_array_member (g, "wrt", wrt);
      json_object_set_object_member (object, "gradients", g);
    }
}

VtForwardStep *
vt_forward_step_new (const char *id,
                     const char *checkpoint,
                     const char *input)
{
  VtForwardStep *step = (VtForwardStep *) vt_step_new (&vt_forward_step_type, id);

  step->checkpoint = g_strdup (checkpoint);
  step->input = g_strdup (input);
  return step;
}

/* The input tensor @name of @input, or NULL with an error that lists what
 * the file does hold. */
static const VtTensor *
input_tensor (VtCheckpoint  *input,
              const char    *name,
              guint          ndim,
              GError       **error)
{
  const VtTensor *t = vt_checkpoint_lookup (input, name);

  if (t == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      guint n = vt_checkpoint_get_n_tensors (input);

      /* Enough names to spot the intended one, not a whole checkpoint's. */
      for (guint i = 0; i < n && i < 40; i++)
        g_string_append_printf (names, "%s“%s”", i ? ", " : "", vt_checkpoint_get_tensor (input, i)->name);
      if (n > 40)
        g_string_append_printf (names, " and %u more", n - 40);
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no tensor “%s” (it holds %s)",
                   vt_checkpoint_get_path (input), name, names->len ? names->str : "no tensors");
      return NULL;
    }
  if (t->ndim != ndim || (ndim == 4 && t->shape[1] != 3) || t->numel == 0)
    {
      g_autofree char *shape = vt_tensor_format_shape (t);
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: tensor “%s” has shape %s; expected %s",
                   vt_checkpoint_get_path (input), name, shape,
                   ndim == 4 ? "(N, 3, H, W) images" : "(N, L) token ids");
      return NULL;
    }
  return t;
}

static void
collect_taps (VtTaps      *taps,
              GPtrArray   *all,
              JsonArray   *listing)
{
  for (guint i = 0; taps && i < vt_taps_get_n (taps); i++)
    {
      const VtTap *tap = vt_taps_get (taps, i);
      JsonObject *entry = json_object_new ();
      JsonArray *shape = json_array_new ();

      for (guint d = 0; d < tap->ndim; d++)
        json_array_add_int_element (shape, tap->shape[d]);
      json_object_set_string_member (entry, "name", tap->name);
      json_object_set_array_member (entry, "shape", shape);
      json_array_add_object_element (listing, entry);
      g_ptr_array_add (all, (gpointer) tap);
    }
}

/* Up to 40 of @model's tap names, for an error that names an unknown one. */
static char *
some_tap_names (VtTrainable *model)
{
  g_autoptr(GPtrArray) names = vt_trainable_tap_names (model);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < names->len && i < 40; i++)
    g_string_append_printf (text, "%s“%s”", i ? ", " : "", (const char *) g_ptr_array_index (names, i));
  if (names->len > 40)
    g_string_append_printf (text, " and %u more", names->len - 40);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The gradients of S = Σᵢ target[i, indexᵢ] as the taps "grad.<name>";
 * the classes used go to @result. A tap of more than two dimensions is
 * indexed by its values per image, flattened. */
static VtTaps *
run_gradients (VtRunContext          *run,
               const VtForwardGradients *g,
               VtCheckpoint          *checkpoint,
               VtModel               *model,
               const VtTensor        *images,
               const float           *pixels,
               const char            *input_path,
               JsonObject            *result,
               GError               **error)
{
  g_autofree char *path = g_strdup_printf ("%s.gradients", run->step_path);
  g_autoptr(VtTrainable) trainable = NULL;
  g_autoptr(VtTaps) taps = vt_taps_new ();
  g_autofree float *dtarget = NULL;
  const VtTapeNode *target;
  JsonObject *echo = json_object_new ();
  JsonArray *classes = json_array_new ();
  int batch = (int) images->shape[0];
  gsize per_image;

  json_object_set_string_member (echo, "target", g->target);
  json_object_set_array_member (echo, "index", classes);
  json_object_set_object_member (result, "gradients", echo);
  if (!(trainable = vt_trainable_new (checkpoint, vt_model_get_architecture (model), error)))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  for (guint i = 0; g->wrt[i]; i++)
    vt_trainable_train_param (trainable, g->wrt[i]);
  if (!vt_step_memory_check_gradients (trainable, images, input_path, run->step_path, error) ||
      !vt_trainable_forward (trainable, pixels, batch, (int) images->shape[2], (int) images->shape[3], error))
    return NULL;

  if ((target = vt_trainable_lookup_tap (trainable, g->target)) == NULL)
    {
      g_autofree char *names = some_tap_names (trainable);
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.target: no tap “%s” in this model (it has %s)",
                   path, g->target, names);
      return NULL;
    }
  per_image = target->numel / (gsize) batch;
  if (g->index && g->index->len != (guint) batch)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.index: %u classes for %d images in %s (give one per image)",
                   path, g->index->len, batch, input_path);
      return NULL;
    }
  dtarget = g_new0 (float, target->numel);
  for (int b = 0; b < batch; b++)
    {
      const float *row = target->value + (gsize) b * per_image;
      gint64 k = 0;

      if (g->index)
        {
          k = g_array_index (g->index, gint64, b);
          if ((guint64) k >= per_image)
            {
              g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                           "%s.index[%d]: %" G_GINT64_FORMAT " is out of range: “%s” has %" G_GSIZE_FORMAT
                           " values per image", path, b, k, g->target, per_image);
              return NULL;
            }
        }
      else
        for (gsize j = 1; j < per_image; j++)
          if (row[j] > row[k])
            k = (gint64) j;
      dtarget[(gsize) b * per_image + (gsize) k] = 1.0f;
      json_array_add_int_element (classes, k);
    }
  if (!vt_trainable_backward (trainable, g->target, dtarget, error))
    return NULL;

  for (guint i = 0; g->wrt[i]; i++)
    {
      g_autofree char *name = g_strdup_printf ("grad.%s", g->wrt[i]);
      const VtTrainableParam *param = vt_trainable_lookup_param (trainable, g->wrt[i]);
      const VtTapeNode *tap = vt_trainable_lookup_tap (trainable, g->wrt[i]);

      if (tap != NULL && tap->order > target->order)
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.wrt[%u]: “%s” comes after the target “%s”: its gradient would be zero", path, i,
                       g->wrt[i], g->target);
          return NULL;
        }
      if (tap != NULL)
        memcpy (vt_taps_add (taps, name, tap->ndim, tap->shape), tap->grad, sizeof (float) * tap->numel);
      else if (param != NULL)
        memcpy (vt_taps_add (taps, name, param->ndim, param->shape), param->grad, sizeof (float) * param->numel);
      else
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.wrt[%u]: “%s” is neither “input”, a tap nor a parameter of this model", path, i,
                       g->wrt[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&taps);
}

JsonNode *
vt_run_forward (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtForwardStep *step = (VtForwardStep *) base;
  g_autofree char *checkpoint_path = vt_spec_resolve_path (run->spec, step->checkpoint);
  g_autofree char *input_path = vt_spec_resolve_path (run->spec, step->input);
  g_autofree char *output_name = g_strdup_printf ("%s-taps.safetensors", step->base.id);
  g_autofree char *output_path = g_build_filename (run->output_dir, output_name, NULL);
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtCheckpoint) input = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTaps) image_taps = NULL;
  g_autoptr(VtTaps) text_taps = NULL;
  g_autoptr(VtTaps) grad_taps = NULL;
  const VtTensor *images = NULL;
  const VtTensor *tokens = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *listing = json_array_new ();
  JsonObject *result = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, result);
  json_object_set_array_member (result, "taps", listing);

  if (!(checkpoint = vt_checkpoint_open (checkpoint_path, error)) ||
      !(model = vt_model_new (checkpoint, error)) ||
      !(input = vt_checkpoint_open (input_path, error)))
    goto fail;
  vt_run_emit (run, VT_EVENT_PROGRESS, 0.1, "loaded");

  if ((step->images && !(images = input_tensor (input, step->images, 4, error))) ||
      (step->tokens && !(tokens = input_tensor (input, step->tokens, 2, error))) ||
      !vt_step_memory_check_forward (model, images, tokens, step->taps, input_path, run->step_path, error))
    goto fail;
  if (step->images)
    {
      const VtTensor *t = images;
      g_autofree float *pixels = NULL;

      pixels = vt_tensor_dup_float (t);
      image_taps = vt_model_forward (model, pixels, t->shape[0], t->shape[2], t->shape[3], step->taps, error);
      if (image_taps == NULL)
        goto fail;
      vt_run_emit (run, VT_EVENT_PROGRESS, 0.6, "images");
      if (step->gradients &&
          !(grad_taps = run_gradients (run, step->gradients, checkpoint, model, t, pixels, input_path, result, error)))
        goto fail;
    }
  else if (step->gradients)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.gradients: gradients are taken through the image tower: name the images with “images”",
                   run->step_path);
      goto fail;
    }
  if (step->tokens)
    {
      const VtTensor *t = tokens;
      g_autofree gint64 *ids = NULL;

      if (vt_dtype_is_float (t->dtype))
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: token ids “%s” must be integers, not %s",
                       input_path, step->tokens, vt_dtype_name (t->dtype));
          goto fail;
        }
      ids = g_new (gint64, t->numel);
      for (gsize i = 0; i < t->numel; i++)
        ids[i] = (gint64) vt_dtype_read_double (t->dtype, t->data, i);
      text_taps = vt_model_forward_text (model, ids, t->shape[0], t->shape[1], step->taps, error);
      if (text_taps == NULL)
        goto fail;
    }

  collect_taps (image_taps, all, listing);
  collect_taps (text_taps, all, listing);
  collect_taps (grad_taps, all, listing);
  {
    g_autofree const char **names = g_new (const char *, all->len);
    g_autofree guint *ndims = g_new (guint, all->len);
    g_autofree const gint64 **shapes = g_new (const gint64 *, all->len);
    g_autofree const float **data = g_new (const float *, all->len);

    for (guint i = 0; i < all->len; i++)
      {
        const VtTap *tap = g_ptr_array_index (all, i);
        names[i] = tap->name;
        ndims[i] = tap->ndim;
        shapes[i] = tap->shape;
        data[i] = tap->data;
      }
    g_hash_table_insert (metadata, "producer", "vitrine " PACKAGE_VERSION);
    g_hash_table_insert (metadata, "checkpoint", checkpoint_path);
    g_hash_table_insert (metadata, "input", input_path);
    if (!vt_safetensors_write_f32 (output_path, all->len, names, ndims, shapes, data, metadata, error))
      goto fail;
  }
  vt_run_emit (run, VT_EVENT_FILE, 1.0, output_name);

  json_object_set_string_member (result, "checkpoint", checkpoint_path);
  json_object_set_string_member (result, "architecture", vt_model_get_architecture (model)->family_name);
  json_object_set_string_member (result, "input", input_path);
  json_object_set_string_member (result, "output", output_name);
  return node;

fail:
  json_node_unref (node);
  return NULL;
}

const VtStepType vt_forward_step_type = {
  .name = "forward",
  .size = sizeof (VtForwardStep),
  .init = forward_init,
  .parse = forward_parse,
  .clear = forward_clear,
  .to_json = forward_to_json,
  .execute = vt_run_forward,
};
