/* vt-step-attention.c: the "attention" step kind: its keys, defaults, JSON
 * and constructor; and its executor, vt_run_attention, which runs a ViT on
 * each image and writes its attention maps (vt-attention-maps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "io/vt-image.h"
#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attention-maps.h"
#include "methods/attribution/vt-text-attention.h"
#include "models/vt-predict.h"
#include "report/vt-report.h"

#include "config.h"

#include <math.h>
#include <string.h>

static void
attention_init (VtStep *base)
{
  VtAttentionStep *step = (VtAttentionStep *) base;

  vt_model_input_init (&step->input);
  step->all_heads = TRUE;
  step->rollout = TRUE;
  vt_rollout_options_init (&step->rollout_options);
  step->text_rollout = TRUE;
  vt_rollout_options_init (&step->text_rollout_options);
  step->mass_share = 0.6;
  step->mass_layer = -1;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
attention_clear (VtStep *base)
{
  VtAttentionStep *step = (VtAttentionStep *) base;

  vt_model_input_clear (&step->input);
  g_free (step->input_file);
  g_free (step->images);
  g_strfreev (step->files);
  g_free (step->samples);
  g_free (step->head_layers);
  g_free (step->prompt);
}

/* @key ("rollout" or "text_rollout"): true, false, or { "fusion",
 * "discard_ratio" (only where @discard), "start_layer" }, into @on and
 * @options. */
static gboolean
parse_rollout (JsonObject        *object,
               const char        *path,
               const char        *key,
               gboolean           discard,
               gboolean          *on,
               VtRolloutOptions  *options_out,
               GError           **error)
{
  static const char * const image_keys[] = { "fusion", "discard_ratio", "start_layer", NULL };
  /* The text's rollout discards nothing (see vt_text_attention_rollout). */
  static const char * const text_keys[] = { "fusion", "start_layer", NULL };
  /* Order matches VtHeadFusion. */
  static const char * const fusions[] = { "mean", "max", "min", NULL };
  JsonNode *node = json_object_get_member (object, key);
  g_autofree char *where = g_strdup_printf ("%s.%s", path, key);
  JsonObject *options;
  JsonNode *ratio;
  int fusion = VT_HEAD_FUSION_MEAN;
  guint start = 0;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      *on = json_node_get_boolean (node);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return vt_step_invalid_key (error, path, key, discard ? "expected true, false or an object of “fusion”, "
                                "“discard_ratio” and “start_layer”"
                                : "expected true, false or an object of “fusion” and “start_layer”");
  options = json_node_get_object (node);
  if (!vt_json_check_keys (options, where, discard ? image_keys : text_keys, error) ||
      !vt_json_get_choice (options, where, "fusion", fusions, &fusion, error) ||
      /* Checked against the model's layers when it is open. */
      !vt_json_get_uint (options, where, "start_layer", 0, G_MAXINT32, &start, error))
    return FALSE;
  ratio = json_object_get_member (options, "discard_ratio");
  if (ratio != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (ratio) || (json_node_get_value_type (ratio) != G_TYPE_DOUBLE &&
                                             json_node_get_value_type (ratio) != G_TYPE_INT64) ||
          !(json_node_get_double (ratio) >= 0 && json_node_get_double (ratio) < 1))
        return vt_step_invalid_key (error, where, "discard_ratio", "expected a number from 0 to below 1 (the share of the "
                                    "lowest attentions dropped)");
      options_out->discard_ratio = json_node_get_double (ratio);
    }
  *on = TRUE;
  options_out->fusion = fusion;
  options_out->start_layer = (int) start;
  return TRUE;
}

/* "mass_mask": true, false, or { "share", "layer" }. */
static gboolean
parse_mass_mask (JsonObject       *object,
                 const char       *path,
                 VtAttentionStep  *step,
                 GError          **error)
{
  static const char * const keys[] = { "share", "layer", NULL };
  JsonNode *node = json_object_get_member (object, "mass_mask");
  g_autofree char *where = g_strdup_printf ("%s.mass_mask", path);
  JsonObject *options;
  guint layer = 0;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      step->mass_mask = json_node_get_boolean (node);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return vt_step_invalid_key (error, path, "mass_mask", "expected true, false or an object of “share” and “layer”");
  options = json_node_get_object (node);
  if (!vt_json_check_keys (options, where, keys, error) ||
      !vt_json_get_number (options, where, "share", 0.0, 1.0, &step->mass_share, error) ||
      !vt_json_get_uint (options, where, "layer", 0, G_MAXINT32, &layer, error))
    return FALSE;
  if (json_object_has_member (options, "layer"))
    step->mass_layer = (int) layer;
  step->mass_mask = TRUE;
  return TRUE;
}

static gboolean
is_blank (const char *text)
{
  for (; *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* Whether any key of the image sources is given. */
static gboolean
has_image_source (const VtAttentionStep *step,
                  JsonNode              *samples)
{
  return step->input_file || step->images || step->files || step->input.dataset || step->input.split || samples;
}

static VtStep *
attention_parse (JsonObject  *object,
                 const char  *path,
                 GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "input", "images", "files", "samples",
                                       "heads", "rollout", "mass_mask", "compat", "prompt", "text_rollout", "formats", NULL };
  VtAttentionStep *step = (VtAttentionStep *) vt_step_new (&vt_attention_step_type, NULL);
  JsonNode *heads = json_object_get_member (object, "heads");
  JsonNode *samples = json_object_get_member (object, "samples");
  guint format_flags = step->formats;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, FALSE, &step->input, error) ||
      !vt_json_get_string (object, path, "input", FALSE, &step->input_file, error) ||
      !vt_json_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_json_get_strv (object, path, "files", &step->files, error) ||
      !parse_rollout (object, path, "rollout", TRUE, &step->rollout, &step->rollout_options, error) ||
      !parse_rollout (object, path, "text_rollout", FALSE, &step->text_rollout, &step->text_rollout_options,
                      error) ||
      !parse_mass_mask (object, path, step, error) ||
      !vt_json_get_bool (object, path, "compat", &step->compat, error) ||
      !vt_json_get_string (object, path, "prompt", FALSE, &step->prompt, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  step->formats = format_flags;

  if (step->prompt == NULL && json_object_has_member (object, "text_rollout"))
    {
      vt_step_invalid_key (error, path, "text_rollout", "this is the rollout of a prompt's text maps: give “prompt” "
                           "or leave it out");
      goto fail;
    }
  if (step->prompt != NULL && is_blank (step->prompt))
    {
      vt_step_invalid_key (error, path, "prompt", "expected some text for the text tower to read");
      goto fail;
    }
  /* A prompt alone is a whole step: the text tower needs no image. The
   * images' options would then do nothing, so they are refused. */
  if (step->prompt != NULL && !has_image_source (step, samples))
    {
      static const char * const image_keys[] = { "heads", "rollout", "mass_mask", "compat", "transform", NULL };

      for (guint i = 0; image_keys[i]; i++)
        if (json_object_has_member (object, image_keys[i]))
          {
            vt_step_invalid_key (error, path, image_keys[i], "this is of the images' maps, and the step has a prompt "
                                 "alone: give images (“input”, “files” or “dataset”) or leave it out");
            goto fail;
          }
    }
  else if (!vt_step_check_image_source (object, path, step->input_file, step->images, step->files, &step->input,
                                        samples, error))
    goto fail;
  /* Images go through the model one at a time, and each is needed. */
  if (json_object_has_member (object, "batch") || json_object_has_member (object, "skip_unreadable"))
    {
      vt_step_invalid_key (error, path, json_object_has_member (object, "batch") ? "batch" : "skip_unreadable",
                           "the attention step takes its images one at a time, and every one: leave this out");
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
  if (heads != NULL)
    {
      if (JSON_NODE_HOLDS_VALUE (heads) && json_node_get_value_type (heads) == G_TYPE_BOOLEAN)
        step->all_heads = json_node_get_boolean (heads);
      else if (JSON_NODE_HOLDS_ARRAY (heads))
        {
          step->all_heads = FALSE;
          if (!vt_step_get_indices (json_node_get_array (heads), path, "heads", "layer index", &step->head_layers,
                                    &step->n_head_layers, error))
            goto fail;
          /* Each layer's maps are one tensor of the output, named after it. */
          for (guint i = 1; i < step->n_head_layers; i++)
            for (guint j = 0; j < i; j++)
              if (step->head_layers[i] == step->head_layers[j])
                {
                  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.heads[%u]: layer %u is listed "
                               "already (at heads[%u])", path, i, step->head_layers[i], j);
                  goto fail;
                }
        }
      else
        {
          vt_step_invalid_key (error, path, "heads", "expected true (every layer), false, or a list of layer indices");
          goto fail;
        }
    }
  if (step->compat && !step->rollout)
    {
      vt_step_invalid_key (error, path, "compat", "vit-explain's compatible map is a rollout: leave “rollout” on");
      goto fail;
    }
  if (!step->all_heads && step->n_head_layers == 0 && !step->rollout && !step->mass_mask)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: no maps asked for: give “heads”, “rollout” or “mass_mask”", path);
      goto fail;
    }
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static JsonArray *
uint_array (const guint *values,
            guint        n)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++)
    json_array_add_int_element (array, values[i]);
  return array;
}

static void
attention_to_json (const VtStep *base,
                   JsonObject   *object)
{
  const VtAttentionStep *step = (const VtAttentionStep *) base;

  vt_model_input_to_json (&step->input, object);
  /* Refused here (see attention_parse). */
  json_object_remove_member (object, "batch");
  json_object_remove_member (object, "skip_unreadable");
  if (step->prompt)
    {
      json_object_set_string_member (object, "prompt", step->prompt);
      if (step->text_rollout)
        {
          JsonObject *rollout = json_object_new ();

          json_object_set_string_member (rollout, "fusion", vt_head_fusion_name (step->text_rollout_options.fusion));
          json_object_set_int_member (rollout, "start_layer", step->text_rollout_options.start_layer);
          json_object_set_object_member (object, "text_rollout", rollout);
        }
      else
        json_object_set_boolean_member (object, "text_rollout", FALSE);
    }
  /* A prompt alone: the images' options are refused (see attention_parse). */
  if (step->prompt && !has_image_source (step, NULL))
    {
      json_object_remove_member (object, "transform");
      vt_step_formats_to_json (step->formats, object);
      return;
    }
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
    json_object_set_array_member (object, "samples", uint_array (step->samples, step->n_samples));
  if (step->head_layers)
    json_object_set_array_member (object, "heads", uint_array (step->head_layers, step->n_head_layers));
  else
    json_object_set_boolean_member (object, "heads", step->all_heads);
  if (step->rollout)
    {
      JsonObject *rollout = json_object_new ();

      json_object_set_string_member (rollout, "fusion", vt_head_fusion_name (step->rollout_options.fusion));
      json_object_set_double_member (rollout, "discard_ratio", step->rollout_options.discard_ratio);
      json_object_set_int_member (rollout, "start_layer", step->rollout_options.start_layer);
      json_object_set_object_member (object, "rollout", rollout);
    }
  else
    json_object_set_boolean_member (object, "rollout", FALSE);
  if (step->mass_mask)
    {
      JsonObject *mask = json_object_new ();

      json_object_set_double_member (mask, "share", step->mass_share);
      if (step->mass_layer >= 0)
        json_object_set_int_member (mask, "layer", step->mass_layer);
      json_object_set_object_member (object, "mass_mask", mask);
    }
  json_object_set_boolean_member (object, "compat", step->compat);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
attention_formats (const VtStep *step)
{
  return ((const VtAttentionStep *) step)->formats;
}

VtAttentionStep *
vt_attention_step_new (const char         *id,
                       const char         *checkpoint,
                       const char * const *files)
{
  VtAttentionStep *step = (VtAttentionStep *) vt_step_new (&vt_attention_step_type, id);

  step->input.checkpoint = g_strdup (checkpoint);
  step->files = files ? g_strdupv ((char **) files) : NULL;
  return step;
}

/* One output tensor: every image's map, batch first. */
typedef struct
{
  char     *name;
  guint     ndim;
  gint64    shape[4];
  gsize     per_image;
  float    *data;
} Output;

static void
output_free (Output *o)
{
  g_free (o->name);
  g_free (o->data);
  g_free (o);
}

static Output *
add_output (GPtrArray  *outputs,
            char       *name,
            guint       n_images,
            int         planes,
            int         h,
            int         w)
{
  Output *o = g_new0 (Output, 1);

  o->name = name;
  o->shape[0] = n_images;
  o->ndim = planes > 0 ? 4 : 3;
  if (planes > 0)
    {
      o->shape[1] = planes;
      o->shape[2] = h;
      o->shape[3] = w;
    }
  else
    {
      o->shape[1] = h;
      o->shape[2] = w;
    }
  o->per_image = (gsize) MAX (planes, 1) * h * w;
  o->data = g_new0 (float, o->per_image * n_images);
  g_ptr_array_add (outputs, o);
  return o;
}

/* Each patch's value over its block of pixels, as DINO scales its masks
 * up (nearest, by the patch size): a mask stays 0 or 1. */
static void
upsample_nearest (const float *grid,
                  int          gh,
                  int          gw,
                  int          h,
                  int          w,
                  float       *out)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      out[(gsize) y * w + x] = grid[(gsize) MIN (y * gh / h, gh - 1) * gw + MIN (x * gw / w, gw - 1)];
}

/* FALSE, naming the JSON path and the layer count, when @layer is not one
 * of the model's @depth layers. */
static gboolean
check_layer (guint        layer,
             int          depth,
             const char  *path,
             GError     **error)
{
  if (layer < (guint) depth)
    return TRUE;
  g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: layer %u does not exist: the model has %d layers "
               "(0 to %d)", path, layer, depth, depth - 1);
  return FALSE;
}

static void
add_shape (JsonObject   *entry,
           const Output *o)
{
  JsonArray *shape = json_array_new ();

  for (guint d = 0; d < o->ndim; d++)
    json_array_add_int_element (shape, o->shape[d]);
  json_object_set_array_member (entry, "shape", shape);
}

/* The maps of the step's images: every listed layer's heads, the rollout,
 * the mass mask, at the patch grid and at the image's size, added to
 * @outputs; what they are, to @result. */
static gboolean
add_image_maps (VtRunContext     *run,
                VtAttentionStep  *step,
                VtRunOpened      *o,
                GPtrArray        *outputs,
                JsonObject       *result,
                GError          **error)
{
  g_autoptr(VtCheckpoint) input = NULL;
  const VtTensor *pixel_input = NULL;
  g_autofree char *input_path = NULL;
  g_autoptr(GArray) layers = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree float *pixels = NULL;
  g_autofree float *grid = NULL;
  JsonArray *images_listing = json_array_new ();
  const VtArchitecture *arch;
  const char *tap_prefix = "";
  Output *pixel_out, *rollout_out = NULL, *rollout_image = NULL, *compat_out = NULL, *compat_image = NULL;
  Output *mask_out = NULL, *mask_image = NULL;
  g_autofree Output **head_out = NULL;
  g_autofree Output **head_image = NULL;
  int depth, heads, height, width, gh, gw, patches, tokens = 0, prefix = 0, mass_layer;
  guint n_images;
  double per_image = 0;

  json_object_set_array_member (result, "images", images_listing);
  arch = vt_model_get_architecture (o->model);
  /* A ViT: patches and attention blocks. A ResNet has neither (CLIP's
   * ModifiedResNet pools by attention once, over no patches). */
  if (arch->patch_size <= 0 || arch->depth <= 0 || arch->heads <= 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: this %s has no attention layers to map; the attention step takes a Vision Transformer "
                   "(timm ViT or DeiT, torchvision ViT, a CLIP ViT)", o->checkpoint_path, arch->family_name);
      return FALSE;
    }
  depth = arch->depth;
  heads = arch->heads;

  /* The layers, checked before any image is decoded. */
  if (step->all_heads)
    for (guint l = 0; l < (guint) depth; l++)
      g_array_append_val (layers, l);
  for (guint i = 0; i < step->n_head_layers; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s.heads[%u]", run->step_path, i);

      if (!check_layer (step->head_layers[i], depth, path, error))
        return FALSE;
      g_array_append_val (layers, step->head_layers[i]);
    }
  if (step->rollout)
    {
      g_autofree char *path = g_strdup_printf ("%s.rollout.start_layer", run->step_path);

      if (!check_layer ((guint) step->rollout_options.start_layer, depth, path, error))
        return FALSE;
    }
  mass_layer = step->mass_layer >= 0 ? step->mass_layer : depth - 1;
  if (step->mass_mask)
    {
      g_autofree char *path = g_strdup_printf ("%s.mass_mask.layer", run->step_path);

      if (!check_layer ((guint) mass_layer, depth, path, error))
        return FALSE;
    }

  /* The images: how many, and their size. */
  if (step->input_file)
    {
      input_path = vt_spec_resolve_path (run->spec, step->input_file);
      if (!(input = vt_checkpoint_open (input_path, error)) ||
          !(pixel_input = vt_step_image_tensor (input, step->images, error)))
        return FALSE;
      n_images = pixel_input->shape[0];
      height = pixel_input->shape[2];
      width = pixel_input->shape[3];
      if (!vt_model_check_input (o->model, height, width, error))
        {
          g_prefix_error (error, "%s: “%s”: ", input_path, step->images);
          return FALSE;
        }
    }
  else
    {
      height = width = o->transform.crop_size;
      n_images = step->files ? g_strv_length (step->files)
                             : step->samples ? step->n_samples : o->dataset->n_samples;
      for (guint i = 0; i < step->n_samples; i++)
        if (step->samples[i] >= o->dataset->n_samples)
          {
            g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                         "%s.samples[%u]: sample %u does not exist: %s%s%s has %u samples (0 to %u)",
                         run->step_path, i, step->samples[i], o->dataset_path,
                         o->dataset->split ? ", split " : "", o->dataset->split ? o->dataset->split : "",
                         o->dataset->n_samples, o->dataset->n_samples - 1);
            return FALSE;
          }
    }
  if (n_images == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no images to map", o->dataset_path ? o->dataset_path
                   : input_path ? input_path : run->step_path);
      return FALSE;
    }
  gh = height / arch->patch_size;
  gw = width / arch->patch_size;
  patches = gh * gw;

  /* Memory: every map of every image is kept until the file is written. */
  {
    double plane = (double) patches + (double) height * width;

    per_image = 3.0 * height * width + layers->len * (double) heads * plane;
    per_image += step->rollout ? plane * (step->compat ? 2 : 1) : 0;
    per_image += step->mass_mask ? heads * plane : 0;
    if (!vt_step_memory_check_attention (o->model, n_images, height, width, per_image, run->step_path, error))
      return FALSE;
  }

  pixel_out = add_output (outputs, g_strdup ("input.pixel_values"), n_images, 3, height, width);
  head_out = g_new0 (Output *, MAX (layers->len, 1));
  head_image = g_new0 (Output *, MAX (layers->len, 1));
  for (guint i = 0; i < layers->len; i++)
    {
      guint l = g_array_index (layers, guint, i);

      head_out[i] = add_output (outputs, g_strdup_printf ("blocks.%u.heads", l), n_images, heads, gh, gw);
      head_image[i] = add_output (outputs, g_strdup_printf ("blocks.%u.heads.image", l), n_images, heads,
                                  height, width);
    }
  if (step->rollout)
    {
      rollout_out = add_output (outputs, g_strdup ("rollout"), n_images, 0, gh, gw);
      rollout_image = add_output (outputs, g_strdup ("rollout.image"), n_images, 0, height, width);
      if (step->compat)
        {
          compat_out = add_output (outputs, g_strdup ("rollout_compat"), n_images, 0, gh, gw);
          compat_image = add_output (outputs, g_strdup ("rollout_compat.image"), n_images, 0, height, width);
        }
    }
  if (step->mass_mask)
    {
      mask_out = add_output (outputs, g_strdup ("mass_mask"), n_images, heads, gh, gw);
      mask_image = add_output (outputs, g_strdup ("mass_mask.image"), n_images, heads, height, width);
    }

  pixels = g_new (float, (gsize) 3 * height * width);
  grid = g_new (float, (gsize) heads * patches);
  for (guint i = 0; i < n_images; i++)
    {
      g_autoptr(VtTaps) taps = NULL;
      g_autofree const float **probs = g_new0 (const float *, depth);
      g_autofree char *name = NULL;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      if (pixel_input)
        {
          gsize n = (gsize) 3 * height * width;

          for (gsize k = 0; k < n; k++)
            pixels[k] = (float) vt_dtype_read_double (pixel_input->dtype, pixel_input->data, (gsize) i * n + k);
          name = g_strdup_printf ("%s[%u]", step->images, i);
        }
      else
        {
          g_autoptr(VtImage) image = NULL;
          guint sample = step->samples ? step->samples[i] : i;

          name = o->dataset ? vt_dataset_sample_name (o->dataset, sample) : vt_spec_resolve_path (run->spec, step->files[i]);
          image = o->dataset ? vt_dataset_load_image (o->dataset, sample, error) : vt_image_load (name, error);
          if (image == NULL || !vt_transform_check_image (&o->transform, image, name, error))
            return FALSE;
          vt_transform_apply (&o->transform, image, pixels);
        }
      json_array_add_string_element (images_listing, name);
      memcpy (pixel_out->data + i * pixel_out->per_image, pixels, sizeof (float) * pixel_out->per_image);

      taps = vt_model_forward (o->model, pixels, 1, height, width, VT_TAP_ATTENTION, error);
      if (taps == NULL)
        {
          g_prefix_error (error, "%s: ", name);
          return FALSE;
        }
      if (i == 0 && vt_taps_lookup (taps, "blocks.0.attn_probs") == NULL)
        tap_prefix = "visual.";
      for (int l = 0; l < depth; l++)
        {
          g_autofree char *tap_name = g_strdup_printf ("%sblocks.%d.attn_probs", tap_prefix, l);
          const VtTap *tap = vt_taps_lookup (taps, tap_name);

          if (tap == NULL || tap->ndim != 4 || tap->shape[1] != heads || tap->shape[2] != tap->shape[3] ||
              tap->shape[2] < patches)
            {
              g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: the forward pass gave no attention "
                           "probabilities for layer %d of %d heads", o->checkpoint_path, l, heads);
              return FALSE;
            }
          probs[l] = tap->data;
          tokens = tap->shape[2];
        }
      prefix = tokens - patches;
      if (prefix < 1)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                       "%s: the model pools its patches by average and has no class token, whose attention "
                       "the maps show", o->checkpoint_path);
          return FALSE;
        }

      for (guint k = 0; k < layers->len; k++)
        {
          guint l = g_array_index (layers, guint, k);
          float *out = head_out[k]->data + i * head_out[k]->per_image;
          float *image = head_image[k]->data + i * head_image[k]->per_image;

          for (int h = 0; h < heads; h++)
            {
              vt_attention_class_map (probs[l] + (gsize) h * tokens * tokens, tokens, prefix, out + (gsize) h * patches);
              vt_attention_upsample (out + (gsize) h * patches, gh, gw, height, width,
                                     image + (gsize) h * height * width);
            }
        }
      if (step->rollout)
        {
          VtRolloutOptions options = step->rollout_options;
          g_autofree float *matrix = g_new (float, (gsize) tokens * tokens);

          for (int pass = 0; pass < (step->compat ? 2 : 1); pass++)
            {
              Output *grid_out = pass ? compat_out : rollout_out, *image_out = pass ? compat_image : rollout_image;
              float *map = grid_out->data + i * grid_out->per_image;

              options.compat = pass == 1;
              if (!vt_attention_rollout (probs, depth, heads, tokens, &options, matrix, error))
                return FALSE;
              vt_attention_class_map (matrix, tokens, prefix, map);
              if (pass == 1)
                {
                  /* vit-explain returns the map over its maximum. */
                  float top = 0;

                  for (int p = 0; p < patches; p++)
                    top = MAX (top, map[p]);
                  for (int p = 0; top > 0 && p < patches; p++)
                    map[p] /= top;
                }
              vt_attention_upsample (map, gh, gw, height, width, image_out->data + i * image_out->per_image);
            }
        }
      if (step->mass_mask)
        for (int h = 0; h < heads; h++)
          {
            float *mask = mask_out->data + i * mask_out->per_image + (gsize) h * patches;

            vt_attention_class_map (probs[mass_layer] + (gsize) h * tokens * tokens, tokens, prefix, grid);
            vt_attention_mass_mask (grid, patches, step->mass_share, mask);
            upsample_nearest (mask, gh, gw, height, width,
                              mask_image->data + i * mask_image->per_image + (gsize) h * height * width);
          }
      vt_run_emit (run, VT_EVENT_PROGRESS, (double) (i + 1) / n_images, name);
    }
  if (input_path)
    json_object_set_string_member (result, "input", input_path);
  else
    {
      g_autofree char *transform = vt_transform_describe (&o->transform);

      json_object_set_string_member (result, "transform", transform);
      if (o->dataset)
        {
          json_object_set_string_member (result, "dataset", o->dataset_path);
          if (o->dataset->split)
            json_object_set_string_member (result, "split", o->dataset->split);
        }
    }
  {
    /* What undoes the normalization, for the overlay figure: the
     * transform's, or for preprocessed images the model's preset. */
    const float *mean = input_path ? arch->mean : o->transform.mean;
    const float *std = input_path ? arch->std : o->transform.std;
    JsonArray *mean_array = json_array_new (), *std_array = json_array_new ();

    for (int c = 0; c < 3; c++)
      {
        vt_run_add_number (mean_array, mean[c]);
        vt_run_add_number (std_array, std[c]);
      }
    json_object_set_array_member (result, "mean", mean_array);
    json_object_set_array_member (result, "std", std_array);
  }
  json_object_set_int_member (result, "layers", depth);
  json_object_set_int_member (result, "heads", heads);
  json_object_set_int_member (result, "tokens", tokens);
  json_object_set_int_member (result, "prefix_tokens", prefix);
  json_object_set_array_member (result, "grid", uint_array ((guint[]) { gh, gw }, 2));
  json_object_set_array_member (result, "size", uint_array ((guint[]) { height, width }, 2));
  json_object_set_array_member (result, "head_layers", uint_array ((const guint *) layers->data, layers->len));
  if (step->rollout)
    {
      JsonObject *rollout = json_object_new ();

      json_object_set_string_member (rollout, "fusion", vt_head_fusion_name (step->rollout_options.fusion));
      vt_run_set_number (rollout, "discard_ratio", step->rollout_options.discard_ratio);
      json_object_set_int_member (rollout, "start_layer", step->rollout_options.start_layer);
      json_object_set_object_member (result, "rollout", rollout);
    }
  json_object_set_boolean_member (result, "compat", step->compat);
  if (step->mass_mask)
    {
      JsonObject *mask = json_object_new ();

      vt_run_set_number (mask, "share", step->mass_share);
      json_object_set_int_member (mask, "layer", mass_layer);
      json_object_set_object_member (result, "mass_mask", mask);
    }
  return TRUE;
}

/* The prompt's token × token attention in the text tower, a batch of one:
 * every layer's heads (1, heads, T, T) and their mean, maximum and minimum
 * (1, T, T), all layers (a text tower's maps are small), and the rollout
 * over them (1, T, T); the tokens' labels to the metadata and, with the
 * ids, to @result. */
static gboolean
add_text_maps (VtRunContext     *run,
               VtAttentionStep  *step,
               VtRunOpened      *o,
               GPtrArray        *outputs,
               GHashTable       *metadata,
               JsonObject       *result,
               GError          **error)
{
  static const VtHeadFusion fusions[] = { VT_HEAD_FUSION_MEAN, VT_HEAD_FUSION_MAX, VT_HEAD_FUSION_MIN };
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(VtTextAttention) text = NULL;
  g_autoptr(JsonNode) labels_node = NULL;
  JsonObject *listing;
  JsonArray *labels, *ids;
  int t;

  if (!vt_text_attention_supported (o->model))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s.prompt: %s: this %s has no text tower; a prompt "
                   "takes a CLIP checkpoint (OpenAI, OpenCLIP or a Hugging Face CLIPModel)", run->step_path,
                   o->checkpoint_path, vt_model_get_architecture (o->model)->family_name);
      return FALSE;
    }
  if (!(tokenizer = vt_predict_load_tokenizer (o->model, NULL, error)) ||
      !(text = vt_text_attention_compute (o->model, tokenizer, step->prompt, error)))
    {
      g_prefix_error (error, "%s.prompt: ", run->step_path);
      return FALSE;
    }
  t = text->tokens;
  for (int l = 0; l < text->layers; l++)
    {
      const float *heads = vt_text_attention_layer (text, l);
      Output *out = add_output (outputs, g_strdup_printf ("text.blocks.%d.heads", l), 1, text->heads, t, t);

      memcpy (out->data, heads, sizeof (float) * out->per_image);
      for (guint f = 0; f < G_N_ELEMENTS (fusions); f++)
        {
          out = add_output (outputs, g_strdup_printf ("text.blocks.%d.%s", l, vt_head_fusion_name (fusions[f])),
                            1, 0, t, t);
          vt_attention_fuse_heads (heads, text->heads, t, fusions[f], out->data);
        }
    }
  if (step->text_rollout)
    {
      Output *out = add_output (outputs, g_strdup ("text.rollout"), 1, 0, t, t);
      g_autofree char *where = g_strdup_printf ("%s.text_rollout.start_layer", run->step_path);

      if (step->text_rollout_options.start_layer >= text->layers)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: layer %d does not exist: the text tower has %d "
                       "layers (0 to %d)", where, step->text_rollout_options.start_layer, text->layers,
                       text->layers - 1);
          return FALSE;
        }
      if (!vt_text_attention_rollout (text, step->text_rollout_options.fusion, step->text_rollout_options.start_layer,
                                      out->data, error))
        {
          g_prefix_error (error, "%s: ", where);
          return FALSE;
        }
    }

  listing = json_object_new ();
  labels = json_array_new ();
  ids = json_array_new ();
  for (int i = 0; i < t; i++)
    {
      json_array_add_string_element (labels, text->labels[i]);
      json_array_add_int_element (ids, text->ids[i]);
    }
  labels_node = json_node_init_array (json_node_alloc (), labels);
  g_hash_table_insert (metadata, "text.prompt", g_strdup (step->prompt));
  g_hash_table_insert (metadata, "text.tokens", json_to_string (labels_node, FALSE));
  json_object_set_string_member (listing, "prompt", step->prompt);
  json_object_set_array_member (listing, "tokens", labels);
  json_object_set_array_member (listing, "ids", ids);
  json_object_set_int_member (listing, "layers", text->layers);
  json_object_set_int_member (listing, "heads", text->heads);
  if (step->text_rollout)
    {
      JsonObject *rollout = json_object_new ();

      json_object_set_string_member (rollout, "fusion", vt_head_fusion_name (step->text_rollout_options.fusion));
      json_object_set_int_member (rollout, "start_layer", step->text_rollout_options.start_layer);
      json_object_set_object_member (listing, "rollout", rollout);
    }
  json_object_set_object_member (result, "text", listing);
  return TRUE;
}

JsonNode *
vt_run_attention (VtRunContext  *run,
                  VtStep        *base,
                  GError       **error)
{
  VtAttentionStep *step = (VtAttentionStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autofree char *output_name = g_strdup_printf ("%s-attention.safetensors", step->base.id);
  g_autofree char *output_path = g_build_filename (run->output_dir, output_name, NULL);
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) output_free);
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *maps_listing;
  JsonObject *result;

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);

  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  if (step->prompt != NULL && !add_text_maps (run, step, &o, outputs, metadata, result, error))
    return NULL;
  if ((step->prompt == NULL || has_image_source (step, NULL)) &&
      !add_image_maps (run, step, &o, outputs, result, error))
    return NULL;

  {
    g_autofree const char **names = g_new (const char *, outputs->len);
    g_autofree guint *ndims = g_new (guint, outputs->len);
    g_autofree const gint64 **shapes = g_new (const gint64 *, outputs->len);
    g_autofree const float **data = g_new (const float *, outputs->len);

    for (guint k = 0; k < outputs->len; k++)
      {
        const Output *out = g_ptr_array_index (outputs, k);

        names[k] = out->name;
        ndims[k] = out->ndim;
        shapes[k] = out->shape;
        data[k] = out->data;
      }
    g_hash_table_insert (metadata, "producer", g_strdup ("vitrine " PACKAGE_VERSION));
    g_hash_table_insert (metadata, "checkpoint", g_strdup (o.checkpoint_path));
    if (!vt_safetensors_write_f32 (output_path, outputs->len, names, ndims, shapes, data, metadata, error))
      return NULL;
  }
  vt_run_emit (run, VT_EVENT_FILE, 1.0, output_name);

  json_object_set_string_member (result, "checkpoint", o.checkpoint_path);
  json_object_set_string_member (result, "architecture", vt_model_get_architecture (o.model)->family_name);
  json_object_set_string_member (result, "output", output_name);
  maps_listing = json_array_new ();
  for (guint k = 0; k < outputs->len; k++)
    {
      const Output *out = g_ptr_array_index (outputs, k);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "name", out->name);
      add_shape (entry, out);
      json_array_add_object_element (maps_listing, entry);
    }
  json_object_set_array_member (result, "maps", maps_listing);
  json_object_set_array_member (result, "figures", json_array_new ());
  return g_steal_pointer (&node);
}

const VtStepType vt_attention_step_type = {
  .name = "attention",
  .size = sizeof (VtAttentionStep),
  .init = attention_init,
  .parse = attention_parse,
  .clear = attention_clear,
  .to_json = attention_to_json,
  .execute = vt_run_attention,
  .formats = attention_formats,
  .figures = vt_report_attention_figures,
};
