/* vt-gui-runs.h: what the GUI tests of runs share: when a run has ended,
 * a step's entry in its results.json, its row in the window, and a run of
 * the window against the same spec run by the real `vitrine --batch`. */
#pragma once

#include "vitrine-runs-panel.h"
#include "vitrine-window.h"

G_BEGIN_DECLS

/* For vt_gui_wait_until: @run (a VitrineRun) has ended, however. */
gboolean vt_gui_run_done                (gpointer          run);
/* The entry of @run's first step of @kind in its results.json (asserted
 * to load), its node in *@node for the caller to free. */
JsonObject *vt_gui_step_result          (VitrineRun       *run,
                                         const char       *kind,
                                         JsonNode        **node);
/* The row of @run in @window's runs (asserted to be there). */
guint    vt_gui_run_position            (VitrineWindow    *window,
                                         VitrineRun       *run);

/* Asserts that the results folders @a and @b hold the same results.json,
 * times ("started", "seconds") and paths (absolute file names, which differ
 * between runs where a step writes a file of its own) aside, the same files
 * (run.log aside), the same tables (CSV records, a "seconds" column aside)
 * and the same SVG figures byte for byte.
 * Returns the number of SVG figures compared. */
guint   vt_gui_assert_same_results      (const char       *a,
                                         const char       *b);

/* Saves @run's spec through the Runs panel's Save Spec…
 * (vitrine_runs_panel_save_spec), runs it with the real `vitrine --batch`
 * ($VITRINE_BINARY) into a folder of its own under @tmp, with a feature
 * cache of its own (so that a store the window extracted is extracted
 * again, not reused), and asserts the results of vt_gui_assert_same_results
 * against @run's folder. Returns the batch's results folder; the number of
 * SVG figures compared in @n_svg (may be NULL). */
char   *vt_gui_assert_batch_reproduces  (VitrineRunsPanel *panel,
                                         VitrineRun       *run,
                                         const char       *tmp,
                                         guint            *n_svg);

G_END_DECLS
