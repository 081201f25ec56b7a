/* vt-step-glyphs.c: the "glyph_dataset" step kind: its keys, defaults, JSON and
 * constructor; and its executor, vt_run_glyphs, which generates a glyph
 * dataset with exact masks (vt-glyph-dataset.h) and records its counts,
 * class histograms and the background agreement measured. */
#include "vt-step-glyphs.h"
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"

#include <math.h>

static void
glyphs_init (VtStep *base)
{
  vt_glyph_dataset_options_init (&((VtGlyphsStep *) base)->options);
}

static void
glyphs_clear (VtStep *base)
{
  VtGlyphsStep *step = (VtGlyphsStep *) base;

  vt_glyph_dataset_options_clear (&step->options);
  g_free (step->output);
}

/* "color": "random", or [r, g, b] of integers from 0 to 255. */
static gboolean
parse_color (JsonObject             *object,
             const char             *path,
             VtGlyphDatasetOptions  *options,
             GError                **error)
{
  JsonNode *node = json_object_get_member (object, "color");
  float color[3];
  gboolean given;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      if (!g_str_equal (json_node_get_string (node), "random"))
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.color: expected “random” or [r, g, b] (integers from 0 to 255)", path);
          return FALSE;
        }
      options->random_color = TRUE;
      return TRUE;
    }
  if (!vt_json_get_triple (object, path, "color", 0.0, 255.0, color, &given, error))
    return FALSE;
  for (guint c = 0; c < 3; c++)
    {
      if (color[c] != floorf (color[c]))
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                       "%s.color[%u]: %g is not an integer from 0 to 255", path, c, color[c]);
          return FALSE;
        }
      options->color[c] = (guint8) color[c];
    }
  options->random_color = FALSE;
  return TRUE;
}

static VtStep *
glyphs_parse (JsonObject  *object,
              const char  *path,
              GError     **error)
{
  static const char * const keys[] = { "kind", "id", "glyphs", "backgrounds", "output", "size", "glyph_min",
                                       "glyph_max", "train_images", "test_images", "seed", "spurious",
                                       "agreement", "threshold", "color", NULL };
  VtGlyphsStep *step = (VtGlyphsStep *) vt_step_new (&vt_glyphs_step_type, NULL);
  VtGlyphDatasetOptions *o = &step->options;
  g_autofree char *glyphs = NULL;
  g_autofree char *prefix = g_strconcat (path, ".", NULL);
  guint seed = o->seed;
  g_autoptr(GError) local_error = NULL;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "glyphs", FALSE, &glyphs, error) ||
      !vt_json_get_string (object, path, "backgrounds", TRUE, &o->backgrounds, error) ||
      !vt_json_get_string (object, path, "output", FALSE, &step->output, error) ||
      !vt_json_get_uint (object, path, "size", 8, 4096, &o->size, error) ||
      !vt_json_get_uint (object, path, "glyph_min", 1, 4096, &o->glyph_min, error) ||
      !vt_json_get_uint (object, path, "glyph_max", 1, 4096, &o->glyph_max, error) ||
      !vt_json_get_uint (object, path, "train_images", 1, 10000000, &o->n_train, error) ||
      !vt_json_get_uint (object, path, "test_images", 1, 10000000, &o->n_test, error) ||
      !vt_json_get_uint (object, path, "seed", 0, G_MAXUINT32, &seed, error) ||
      !vt_json_get_bool (object, path, "spurious", &o->spurious, error) ||
      /* Zero is a fine share: read it above −1e-300. */
      !vt_json_get_number (object, path, "agreement", -1e-300, 1.0, &o->agreement, error) ||
      !vt_json_get_uint (object, path, "threshold", 0, 254, &o->threshold, error) ||
      !parse_color (object, path, o, error))
    goto fail;
  o->agreement = MAX (o->agreement, 0.0);
  o->seed = seed;
  if (glyphs != NULL)
    {
      g_free (o->glyphs);
      o->glyphs = g_steal_pointer (&glyphs);
    }
  /* What does not fit together (glyph_max beyond size, …), now rather
   * than after the steps before it. */
  if (!vt_glyph_dataset_check_options (o, prefix, &local_error))
    {
      g_set_error_literal (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, local_error->message);
      goto fail;
    }
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
glyphs_to_json (const VtStep *base,
                JsonObject   *object)
{
  const VtGlyphsStep *step = (const VtGlyphsStep *) base;

  vt_glyph_dataset_options_to_json (&step->options, object);
  if (step->output != NULL)
    json_object_set_string_member (object, "output", step->output);
}

VtGlyphsStep *
vt_glyphs_step_new (const char *id,
                    const char *backgrounds)
{
  VtGlyphsStep *step = (VtGlyphsStep *) vt_step_new (&vt_glyphs_step_type, id);

  step->options.backgrounds = g_strdup (backgrounds);
  return step;
}

static void
glyphs_event (const VtEvent *event,
              gpointer       data)
{
  VtEvent copy = *event;

  vt_run_dispatch (data, &copy);
}

JsonNode *
vt_run_glyphs (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtGlyphsStep *step = (VtGlyphsStep *) base;
  VtGlyphDatasetOptions options = step->options;
  g_autofree char *glyphs = vt_spec_resolve_path (run->spec, step->options.glyphs);
  g_autofree char *backgrounds = vt_spec_resolve_path (run->spec, step->options.backgrounds);
  g_autofree char *output = step->output ? vt_spec_resolve_path (run->spec, step->output)
                                         : g_build_filename (run->output_dir, step->base.id, NULL);
  g_autofree char *prefix = g_strconcat (run->step_path, ".", NULL);
  g_autoptr(VtGlyphDatasetSummary) summary = NULL;
  g_autofree char *placements = NULL;
  JsonObject *result;
  JsonNode *node;

  options.glyphs = glyphs;
  options.backgrounds = backgrounds;
  if (!vt_step_memory_check_glyphs (&options, run->step_path, error))
    return NULL;
  summary = vt_glyph_dataset_generate (&options, output, prefix, &(VtEventSink) { glyphs_event, run },
                                       run->cancellable, error);
  if (summary == NULL)
    return NULL;
  vt_run_emit (run, VT_EVENT_PROGRESS, 1.0, "generated");
  g_string_append_printf (run->log, "%s: %u training and %u test images in %s (%.2f s)\n", step->base.id,
                          summary->n_images[0], summary->n_images[1], output, summary->seconds);

  result = vt_glyph_dataset_summary_to_json (summary);
  placements = g_build_filename (output, "placements.csv", NULL);
  json_object_set_string_member (result, "dataset", output);
  json_object_set_string_member (result, "placements", placements);
  json_object_set_double_member (result, "seconds", summary->seconds);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, result);
  return node;
}

static VtFigureFormats
glyphs_formats (const VtStep *step)
{
  return 0;
}

const VtStepType vt_glyphs_step_type = {
  .name = "glyph_dataset",
  .size = sizeof (VtGlyphsStep),
  .init = glyphs_init,
  .parse = glyphs_parse,
  .clear = glyphs_clear,
  .to_json = glyphs_to_json,
  .execute = vt_run_glyphs,
  .formats = glyphs_formats,
};
