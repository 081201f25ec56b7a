/* vitrine-runs-panel.h: the Runs panel at the bottom of the window.
 *
 * Every run of the session (VitrineRun in a list model), running or
 * finished, one row each: its area, name, progress, elapsed time, and
 * Cancel, Open Results, Show Folder, Re-run and Save Spec…. Open Results
 * is emitted as "open-results" (the window shows the run in its area);
 * Re-run adds a new run of the same spec to the list and starts it. */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-run.h"
#include "vitrine-run-comparison.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_RUNS_PANEL (vitrine_runs_panel_get_type ())
G_DECLARE_FINAL_TYPE (VitrineRunsPanel, vitrine_runs_panel, VITRINE, RUNS_PANEL, GtkWidget)

/* The runs shown (a GListStore of VitrineRun; held). */
void        vitrine_runs_panel_set_runs        (VitrineRunsPanel *self,
                                                GListStore       *runs);
/* The areas whose runs Open Results can show (NULL-terminated, copied);
 * for the others the button stays insensitive. */
void        vitrine_runs_panel_set_openable_areas (VitrineRunsPanel   *self,
                                                   const char * const *areas);
/* Adds @run to the list and starts it (its folder in the user's runs). */
void        vitrine_runs_panel_start           (VitrineRunsPanel *self,
                                                VitrineRun       *run);
/* The button of the row at @position whose action is @action: "cancel",
 * "open-results", "show-folder", "rerun" or "save-spec"; for tests. */
GtkWidget  *vitrine_runs_panel_get_button      (VitrineRunsPanel *self,
                                                guint             position,
                                                const char       *action);
/* The elapsed-time label of the row at @position; for tests. */
const char *vitrine_runs_panel_get_elapsed_text (VitrineRunsPanel *self,
                                                 guint             position);
/* Compare Runs… (the main menu's win.compare-runs): opens (or raises) the window with the finished runs of
 * the area of the last one side by side. */
VitrineRunComparison *vitrine_runs_panel_compare (VitrineRunsPanel *self);
/* What Save Spec… does with the file the user chose. */
gboolean    vitrine_runs_panel_save_spec       (VitrineRunsPanel *self,
                                                VitrineRun       *run,
                                                const char       *path,
                                                GError          **error);

G_END_DECLS
