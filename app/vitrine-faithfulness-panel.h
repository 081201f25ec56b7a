/* vitrine-faithfulness-panel.h: the Attribution area's metrics panel. It
 * measures the methods chosen in the row of maps on the Dataset area's
 * dataset (or its first N samples) with deletion, insertion and ROAD, as
 * one faithfulness step started as a VitrineRun (listed in the Runs
 * panel), and draws each method's mean curve as soon as the step has
 * measured it, with the per-method means in a table. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_FAITHFULNESS_PANEL (vitrine_faithfulness_panel_get_type ())
G_DECLARE_FINAL_TYPE (VitrineFaithfulnessPanel, vitrine_faithfulness_panel, VITRINE, FAITHFULNESS_PANEL, GtkWidget)

/* The metrics the panel offers, in the order of its charts: the labels of
 * the step's results ("deletion", "insertion", "road_morf", "road_lerf"). */
#define VITRINE_FAITHFULNESS_N_CHARTS 4

void         vitrine_faithfulness_panel_set_model    (VitrineFaithfulnessPanel *self,
                                                      VtModel                  *model);
void         vitrine_faithfulness_panel_set_dataset  (VitrineFaithfulnessPanel *self,
                                                      VtDataset                *dataset);
void         vitrine_faithfulness_panel_set_runs     (VitrineFaithfulnessPanel *self,
                                                      GListStore               *runs);
/* The methods chosen in the row (names as in a spec, NULL-terminated,
 * copied) and the layer (NULL: the model's default). */
void         vitrine_faithfulness_panel_set_methods  (VitrineFaithfulnessPanel *self,
                                                      const char * const       *methods,
                                                      const char               *layer);
/* The fields a run reads: the first @images samples (0: all), deletion's
 * and insertion's steps, and which metrics. */
void         vitrine_faithfulness_panel_configure    (VitrineFaithfulnessPanel *self,
                                                      guint                     images,
                                                      guint                     steps,
                                                      gboolean                  deletion,
                                                      gboolean                  insertion,
                                                      gboolean                  road);
void         vitrine_faithfulness_panel_start        (VitrineFaithfulnessPanel *self);
void         vitrine_faithfulness_panel_cancel       (VitrineFaithfulnessPanel *self);
gboolean     vitrine_faithfulness_panel_is_running   (VitrineFaithfulnessPanel *self);
/* Shows @run, a finished faithfulness run (one read back too): its curves
 * and means from results.json. */
gboolean     vitrine_faithfulness_panel_show_run     (VitrineFaithfulnessPanel *self,
                                                      VitrineRun               *run,
                                                      GError                  **error);
VitrineRun  *vitrine_faithfulness_panel_get_run      (VitrineFaithfulnessPanel *self);
/* The chart of @label ("deletion", …), or NULL for another label. */
GtkWidget   *vitrine_faithfulness_panel_get_chart    (VitrineFaithfulnessPanel *self,
                                                      const char               *label);
/* Curves drawn so far (a method's curve of a metric each). */
guint        vitrine_faithfulness_panel_get_n_curves (VitrineFaithfulnessPanel *self);
/* The mean the table shows for @method and @label; NaN if none. */
double       vitrine_faithfulness_panel_get_mean     (VitrineFaithfulnessPanel *self,
                                                      const char               *label,
                                                      const char               *method);
gboolean     vitrine_faithfulness_panel_export_curves (VitrineFaithfulnessPanel *self,
                                                       const char               *base_path,
                                                       GError                  **error);
gboolean     vitrine_faithfulness_panel_export_csv   (VitrineFaithfulnessPanel *self,
                                                      const char               *path,
                                                      GError                  **error);
const char  *vitrine_faithfulness_panel_get_error    (VitrineFaithfulnessPanel *self);
const char  *vitrine_faithfulness_panel_get_status   (VitrineFaithfulnessPanel *self);

G_END_DECLS
