/* vt-step.h: step kinds as a table of types.
 *
 * A kind is one VtStepType in engine/run/steps/vt-step-<kind>.c: its name
 * in a spec, its options struct (which starts with VtStep), its defaults,
 * its parser (errors name the JSON path), its JSON writer (what Save Spec…
 * writes), its executor and the figures of its results. vt_step_types()
 * is the one list of kinds; nothing else names them. */
#pragma once

#include "run/vt-spec.h"

G_BEGIN_DECLS

/* A run as its steps see it (vt-run.c). */
typedef struct _VtRunContext VtRunContext;

struct _VtStepType
{
  const char  *name;
  gsize        size;          /* of the kind's struct */
  /* The spec's defaults, into a zeroed struct. */
  void       (*init)        (VtStep             *step);
  /* A new step (vt_step_new: the defaults) with the kind's keys of
   * @object, at JSON path @path; NULL with an error naming the key. */
  VtStep    *(*parse)       (JsonObject         *object,
                             const char         *path,
                             GError            **error);
  void       (*clear)       (VtStep             *step);
  /* The kind's keys, such that parse reads them back to the same step. */
  void       (*to_json)     (const VtStep       *step,
                             JsonObject         *object);
  JsonNode  *(*execute)     (VtRunContext       *run,
                             VtStep             *step,
                             GError            **error);
  /* The formats its figures are written in (0: it has none). */
  VtFigureFormats (*formats) (const VtStep      *step);
  /* The feature store the step writes when it names a path, else NULL;
   * NULL for kinds that write none. */
  const char *(*store_written) (const VtStep    *step);
  gboolean     writes_store;
  /* The @i-th feature store the step reads and its key, or NULL. */
  const char *(*store_read) (const VtStep       *step,
                             guint               i,
                             const char        **key);
  /* Its figures from its results (vt-report.h), or NULL: none. */
  gboolean   (*figures)     (JsonObject         *result,
                             const char         *id,
                             const char         *where,
                             const char         *results_dir,
                             GPtrArray          *figures,
                             GError            **error);
};

/* Every kind, NULL-terminated. */
const VtStepType * const *vt_step_types      (void);
const VtStepType         *vt_step_type_lookup (const char        *name);
/* A step of @type with its defaults; @id may be NULL (vt_spec_add_step
 * then names it after its kind). */
VtStep                   *vt_step_new         (const VtStepType  *type,
                                               const char        *id);

extern const VtStepType vt_inspect_step_type;
extern const VtStepType vt_forward_step_type;
extern const VtStepType vt_evaluate_step_type;
extern const VtStepType vt_extract_step_type;
extern const VtStepType vt_incremental_step_type;
extern const VtStepType vt_project_step_type;
extern const VtStepType vt_predict_step_type;
extern const VtStepType vt_attention_step_type;
extern const VtStepType vt_attribute_step_type;
extern const VtStepType vt_faithfulness_step_type;
extern const VtStepType vt_active_step_type;
extern const VtStepType vt_train_step_type;
extern const VtStepType vt_comet_step_type;
extern const VtStepType vt_glyphs_step_type;

G_END_DECLS
