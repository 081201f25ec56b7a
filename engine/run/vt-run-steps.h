/* vt-run-steps.h: the executors of the step kinds (vt-run.c), which the
 * kinds' types (run/steps/) point at. Each returns the step's entry for
 * results.json, or NULL with an error. */
#pragma once

#include "run/vt-step.h"

G_BEGIN_DECLS

JsonNode *vt_run_inspect      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_forward      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_evaluate     (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_extract      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_incremental  (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_project      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_predict      (VtRunContext *run, VtStep *step, GError **error);

G_END_DECLS
