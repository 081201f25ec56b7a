/* vt-run-steps.h: inside a run, for the step kinds' executors
 * (run/steps/vt-step-<kind>.c): the run's state and the helpers they share
 * (vt-run.c). Not for use outside engine/run/. Each executor returns the
 * step's entry for results.json, or NULL with an error. */
#pragma once

#include "run/vt-run.h"
#include "run/vt-step.h"
#include "features/vt-extractor.h"
#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "models/vt-transform.h"

G_BEGIN_DECLS

/* A run in progress: what vt_run_execute hands each step's executor. */
struct _VtRunContext
{
  VtSpec              *spec;
  const char          *output_dir;
  const VtRunOptions  *options;
  GCancellable        *cancellable;
  GString             *log;
  const char          *step_id;
  char                *step_path;   /* "$.steps[i]", for messages that name a key */
  GString             *metrics;     /* metrics.csv: per-stage rows of every step that has them */
  GHashTable          *stores;      /* extract step id → the store it wrote or reused */
};

/* What an evaluate or extract step opens. */
typedef struct
{
  char            *checkpoint_path;
  char            *dataset_path;
  VtCheckpoint    *checkpoint;
  VtModel         *model;
  VtDataset       *dataset;
  VtTransform      transform;
} VtRunOpened;


/* What the executors share (vt-run.c). */
void vt_run_dispatch (VtRunContext *run, VtEvent *event);
void vt_run_emit (VtRunContext *run, VtEventKind kind, double fraction, const char *message);
gboolean vt_run_write_output (VtRunContext *run, const char *name, const char *contents, GError **error);
JsonArray * vt_run_int_array (const guint64 *values, guint n);
void vt_run_opened_clear (VtRunOpened *o);
gboolean vt_run_open_model_input (VtRunContext *run, const VtModelInput *input, VtRunOpened *o, GError **error);
VtFeatureStore * vt_run_extract_features (VtRunContext *run, VtRunOpened *o, const VtModelInput *input, gboolean keep_logits, GError **error);
VtFeatureStore * vt_run_extract_or_reuse (VtRunContext *run, VtRunOpened *o, const VtModelInput *input, gboolean keep_logits, const char *store_path, const VtFeatureSource *source, gboolean verify, gboolean *reused, GError **error);
void vt_run_describe_input (JsonObject *result, VtRunOpened *o, VtFeatureStore *store);
void vt_run_add_number (JsonArray *array, double value);
void vt_run_set_number (JsonObject *object, const char *name, double value);
char * vt_run_csv_number (double value);
VtFeatureStore * vt_run_load_store (const char *path, const char *role, GError **error);
char * vt_run_resolve_store (VtRunContext *run, const char *name);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VtRunOpened, vt_run_opened_clear)


JsonNode *vt_run_inspect      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_forward      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_evaluate     (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_extract      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_incremental  (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_project      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_predict      (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_attention    (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_attribute    (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_faithfulness (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_active       (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_train        (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_comet        (VtRunContext *run, VtStep *step, GError **error);
JsonNode *vt_run_glyphs       (VtRunContext *run, VtStep *step, GError **error);

G_END_DECLS
