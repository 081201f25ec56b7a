/* vt-step.c: the one list of step kinds. */
#include "vt-step.h"

/* A new kind is a file under steps/ and one line here. */
static const VtStepType * const step_types[] = {
  &vt_inspect_step_type,
  &vt_forward_step_type,
  &vt_evaluate_step_type,
  &vt_extract_step_type,
  &vt_incremental_step_type,
  &vt_project_step_type,
  &vt_predict_step_type,
  &vt_attention_step_type,
  &vt_attribute_step_type,
  &vt_faithfulness_step_type,
  &vt_active_step_type,
  &vt_train_step_type,
  &vt_comet_step_type,
  &vt_glyphs_step_type,
  NULL,
};

const VtStepType * const *
vt_step_types (void)
{
  return step_types;
}

const VtStepType *
vt_step_type_lookup (const char *name)
{
  for (guint i = 0; step_types[i]; i++)
    if (g_str_equal (step_types[i]->name, name))
      return step_types[i];
  return NULL;
}

VtStep *
vt_step_new (const VtStepType *type,
             const char       *id)
{
  VtStep *step = g_malloc0 (type->size);

  step->type = type;
  step->id = g_strdup (id);
  type->init (step);
  return step;
}

void
vt_step_free (VtStep *step)
{
  if (step == NULL)
    return;
  step->type->clear (step);
  g_free (step->id);
  g_free (step);
}

const char *
vt_step_kind_name (const VtStep *step)
{
  return step->type->name;
}
