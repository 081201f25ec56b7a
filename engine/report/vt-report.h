/* vt-report.h: a step's figures, built once from its results.
 *
 * The run writes exactly these figures (figures/<name>.<ext>), and the
 * window draws the same list after a run or when it reopens a results
 * folder, so screen and files cannot drift. Everything a figure shows is
 * read from the step's entry in results.json and the CSV tables beside it;
 * nothing is recomputed. */
#pragma once

#include <json-glib/json-glib.h>

#include "report/vt-figure.h"

G_BEGIN_DECLS

#define VT_REPORT_ERROR (vt_report_error_quark ())
GQuark vt_report_error_quark (void);

typedef enum
{
  VT_REPORT_ERROR_INVALID,   /* results.json or a table lacks what a figure needs */
} VtReportError;

typedef struct
{
  char      *name;      /* the file's base name under figures/, e.g. "b0-inc2-accuracy" */
  VtFigure  *figure;
} VtReportFigure;

void        vt_report_figure_free   (VtReportFigure  *figure);

/* The figures of a step of kind @kind ("evaluate", "incremental", …) whose
 * entry in results.json is @step_result (with its "id"), in the order the
 * run exports them; @results_dir holds the step's tables. A kind without
 * figures gives an empty array. NULL, with an error that names the file or
 * the member, when something a figure needs is missing or malformed. */
GPtrArray  *vt_report_step_figures  (const char      *kind,
                                     JsonObject      *step_result,
                                     const char      *results_dir,
                                     GError         **error);

/* The builders the step kinds use (run/steps/): @result's figures appended
 * to @figures, named after @id; @where names the step in messages. */
gboolean    vt_report_inspect_figures     (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_evaluate_figures    (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_incremental_figures (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_active_figures      (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_project_figures     (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_train_figures       (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_comet_figures       (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
/* The grid and rollout figures of so many images at most (the maps file holds all). */
#define VT_REPORT_ATTENTION_IMAGES 8
gboolean    vt_report_attention_figures   (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
/* The maps figure of so many images at most (the maps file holds all). */
#define VT_REPORT_ATTRIBUTE_IMAGES 8
gboolean    vt_report_attribute_figures   (JsonObject *result, const char *id, const char *where,
                                           const char *results_dir, GPtrArray *figures, GError **error);
gboolean    vt_report_faithfulness_figures (JsonObject *result, const char *id, const char *where,
                                            const char *results_dir, GPtrArray *figures, GError **error);

/* A file-name-safe form of a tensor or class name. */
char       *vt_report_safe_file_name (const char     *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtReportFigure, vt_report_figure_free)

G_END_DECLS
