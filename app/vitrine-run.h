/* vitrine-run.h: one run of the engine from the window.
 *
 * A VitrineRun holds a spec (the JSON a user would give `vitrine --batch`,
 * with absolute paths) and the area of the window that made it. Started,
 * it executes the spec in a worker thread into a results folder of its own
 * under ~/.local/share/vitrine/runs/; the engine's events come back on the
 * main loop, coalesced on one low-priority idle, and are re-emitted as the
 * "event" signal (a const VtEvent *, valid during the emission). A run read
 * back from a results folder is a finished run: its results.json echoes the
 * spec, so it can be re-run and its spec saved like any other. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "core/vt-events.h"

G_BEGIN_DECLS

#define VITRINE_RUN_ERROR (vitrine_run_error_quark ())
GQuark vitrine_run_error_quark (void);

typedef enum
{
  VITRINE_RUN_ERROR_RESULTS,   /* a results folder without a readable results.json */
  VITRINE_RUN_ERROR_STATE,     /* a run started twice */
} VitrineRunError;

typedef enum
{
  VITRINE_RUN_QUEUED,
  VITRINE_RUN_RUNNING,
  VITRINE_RUN_FINISHED,
  VITRINE_RUN_FAILED,
  VITRINE_RUN_CANCELLED,
} VitrineRunState;

GType vitrine_run_state_get_type (void);
#define VITRINE_TYPE_RUN_STATE (vitrine_run_state_get_type ())

#define VITRINE_TYPE_RUN (vitrine_run_get_type ())
G_DECLARE_FINAL_TYPE (VitrineRun, vitrine_run, VITRINE, RUN, GObject)

/* A queued run of @spec (JSON text, paths absolute) made by @area ("model",
 * "predict", "dataset", "embedding", "incremental"), shown as @name. */
VitrineRun      *vitrine_run_new              (const char           *area,
                                               const char           *name,
                                               const char           *spec_json);
/* The finished run whose results are in @dir (its results.json). */
VitrineRun      *vitrine_run_new_from_results (const char           *dir,
                                               GError              **error);
/* The run of a results folder a workspace lists: finished, read from @dir
 * as vitrine_run_new_from_results reads it; or, where @dir has gone or its
 * results.json cannot be read, a failed run marked missing whose message
 * says why, with no spec (nothing to re-run or save). Never NULL. */
VitrineRun      *vitrine_run_new_for_folder   (const char           *dir);
/* Made by vitrine_run_new_for_folder for a folder it could not read. */
gboolean         vitrine_run_is_missing       (VitrineRun           *self);
/* A queued run of the same spec, area and name: Re-run. */
VitrineRun      *vitrine_run_new_again        (VitrineRun           *run);

/* Executes the spec into a new folder under @parent_dir (NULL: the user's
 * runs folder). @cancellable NULL: the run makes its own, which
 * vitrine_run_cancel cancels. */
void             vitrine_run_start_async      (VitrineRun           *self,
                                               const char           *parent_dir,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean         vitrine_run_start_finish     (VitrineRun           *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* How a run that a page started ended, as that page hears it. */
typedef enum
{
  VITRINE_RUN_ENDED_ELSEWHERE, /* the page shows another run now: nothing to show */
  VITRINE_RUN_ENDED_DONE,
  VITRINE_RUN_ENDED_CANCELLED,
  VITRINE_RUN_ENDED_FAILED,    /* the error says why */
} VitrineRunEnd;

/* vitrine_run_start_finish for the page whose callback @result reaches,
 * which shows @shown now (another run, or a reopened one, may have taken
 * it over meanwhile): the error is set only for VITRINE_RUN_ENDED_FAILED. */
VitrineRunEnd    vitrine_run_finish_for_page  (VitrineRun           *self,
                                               VitrineRun           *shown,
                                               GAsyncResult         *result,
                                               GError              **error);
void             vitrine_run_cancel           (VitrineRun           *self);

VitrineRunState  vitrine_run_get_state        (VitrineRun           *self);
double           vitrine_run_get_fraction     (VitrineRun           *self);
const char      *vitrine_run_get_message      (VitrineRun           *self);
const char      *vitrine_run_get_area         (VitrineRun           *self);
const char      *vitrine_run_get_name         (VitrineRun           *self);
const char      *vitrine_run_get_spec         (VitrineRun           *self);
/* The folder, once the run has started (or for a run read back); else NULL. */
const char      *vitrine_run_get_results_dir  (VitrineRun           *self);
/* Microseconds since the epoch (g_get_real_time); 0: not yet. */
gint64           vitrine_run_get_start_time   (VitrineRun           *self);
gint64           vitrine_run_get_end_time     (VitrineRun           *self);
/* Seconds from start to end (or to now, while running); 0 before the start. */
double           vitrine_run_get_elapsed      (VitrineRun           *self);
gboolean         vitrine_run_is_done          (VitrineRun           *self);

/* The run's results.json, parsed (NULL with an error naming the file). */
JsonNode        *vitrine_run_load_results     (VitrineRun           *self,
                                               GError              **error);
/* The entry in results.json of the run's first step of @kind (the spec's
 * steps and the results' are in one order), or NULL with an error naming
 * the file: what an area reads to show a run, fresh or reopened. */
JsonNode        *vitrine_run_load_step_result (VitrineRun           *self,
                                               const char           *kind,
                                               GError              **error);
/* Writes the spec, pretty-printed, to @path atomically, as results.json
 * echoes it (with "base_dir", vt_spec_echo): the file that `vitrine
 * --batch` runs to the same results, wherever it is saved. */
gboolean         vitrine_run_save_spec        (VitrineRun           *self,
                                               const char           *path,
                                               GError              **error);

/* An area's name as the window shows it ("Train" for "train"). */
const char      *vitrine_run_area_title       (const char           *area);
/* The area of the window whose work a spec's first step is. */
const char      *vitrine_run_area_for_kind    (const char           *kind);

G_END_DECLS
