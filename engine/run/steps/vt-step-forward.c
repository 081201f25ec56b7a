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
#include "report/vt-csv.h"

#include "config.h"

#include <math.h>
#include <string.h>



static void
forward_init (VtStep *step)
{
}

static void
forward_clear (VtStep *step)
{
  VtForwardStep *forward = (VtForwardStep *) step;

  g_free (forward->checkpoint);
  g_free (forward->input);
  g_free (forward->images);
  g_free (forward->tokens);
}

static VtStep *
forward_parse (JsonObject  *object,
               const char  *path,
               GError     **error)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "input", "images", "tokens", "taps", NULL };
  /* Bit i of the flags is choice i: "outputs" is bit 0 and always on. */
  static const char * const taps[] = { "outputs", "blocks", "attention", NULL };
  VtForwardStep *step = (VtForwardStep *) vt_step_new (&vt_forward_step_type, NULL);
  guint tap_flags = 1;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_json_get_string (object, path, "input", TRUE, &step->input, error) ||
      !vt_json_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_json_get_string (object, path, "tokens", FALSE, &step->tokens, error) ||
      !vt_json_get_flags (object, path, "taps", taps, &tap_flags, error))
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
