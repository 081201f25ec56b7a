/* fuzz-spec.c: libFuzzer harness for the experiment spec (vt-spec.c and the
 * typed getters of core/vt-json-reader.c).
 *
 * The input is the spec file. A spec that loads has each step's paths
 * resolved; one that does not must say why, naming the file. Nothing may
 * crash, leak, trip UBSan or warn. */
#include "fuzz-util.h"

#include <math.h>

#include "run/vt-spec.h"
#include "run/vt-step.h"

/* What the run does with a transform must be defined: a float mean and a
 * float std above 0, and a resize (crop / crop_pct, crop up to 4096) that
 * an int holds. */
static void
check_transform (const VtTransformSpec *t)
{
  for (int c = 0; c < 3; c++)
    {
      g_assert (!t->has_mean || isfinite (t->mean[c]));
      g_assert (!t->has_std || (isfinite (t->std[c]) && t->std[c] > 0));
    }
  g_assert (t->crop_pct == 0 || 4096 / t->crop_pct < G_MAXINT);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *path = fuzz_write_file ("spec.json", data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_load (path, &error);

  if (spec == NULL)
    {
      g_assert (fuzz_error_names (error, path));
      return 0;
    }
  g_assert (spec->steps->len > 0);
  for (guint i = 0; i < spec->steps->len; i++)
    {
      const VtStep *step = g_ptr_array_index (spec->steps, i);
      g_autofree char *resolved = vt_spec_resolve_path (spec, step->id);

      g_assert (step->id != NULL && step->id[0] != '\0');
      g_assert (resolved != NULL);
      if (step->type == &vt_evaluate_step_type)
        check_transform (&((const VtEvaluateStep *) step)->input.transform);
      else if (step->type == &vt_extract_step_type)
        check_transform (&((const VtExtractStep *) step)->input.transform);
    }
  return 0;
}
