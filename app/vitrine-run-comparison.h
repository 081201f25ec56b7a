/* vitrine-run-comparison.h: the finished runs of one area side by side.
 *
 * W&B's habit: a column per run (its name and start time), a row per
 * setting and result (vt-run-comparison.h), the rows whose values differ
 * in bold, optionally only those; Export CSV… writes the table. Opened by
 * the Runs panel's Compare Runs…; it follows the window's run list. */
#pragma once

#include <gtk/gtk.h>

#include "report/vt-run-comparison.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_RUN_COMPARISON (vitrine_run_comparison_get_type ())
G_DECLARE_FINAL_TYPE (VitrineRunComparison, vitrine_run_comparison, VITRINE, RUN_COMPARISON, GtkWindow)

/* @runs: the window's list of VitrineRun (held); @area: the area shown first. */
VitrineRunComparison *vitrine_run_comparison_new        (GtkWindow            *parent,
                                                         GListStore           *runs,
                                                         const char           *area);
void         vitrine_run_comparison_set_area              (VitrineRunComparison *self,
                                                           const char           *area);
void         vitrine_run_comparison_set_only_differences  (VitrineRunComparison *self,
                                                           gboolean              only);
/* What the table shows: the runs compared and the rows (for tests). */
guint        vitrine_run_comparison_get_n_runs            (VitrineRunComparison *self);
GPtrArray   *vitrine_run_comparison_get_rows              (VitrineRunComparison *self);
/* The rows shown as CSV, written atomically to @path. */
gboolean     vitrine_run_comparison_export                (VitrineRunComparison *self,
                                                           const char           *path,
                                                           GError              **error);

G_END_DECLS
