/* vt-step-forward.c: the "forward" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_forward (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"

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

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_spec_get_string (object, path, "input", TRUE, &step->input, error) ||
      !vt_spec_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_spec_get_string (object, path, "tokens", FALSE, &step->tokens, error) ||
      !vt_spec_get_flags (object, path, "taps", taps, &tap_flags, error))
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

const VtStepType vt_forward_step_type = {
  .name = "forward",
  .size = sizeof (VtForwardStep),
  .init = forward_init,
  .parse = forward_parse,
  .clear = forward_clear,
  .to_json = forward_to_json,
  .execute = vt_run_forward,
};
