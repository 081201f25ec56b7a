/* vitrine-window.h: the main window, one workspace. */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-application.h"
#include "vitrine-model-page.h"
#include "vitrine-dataset-page.h"
#include "vitrine-embedding-page.h"
#include "vitrine-incremental-page.h"
#include "vitrine-labeling-page.h"
#include "vitrine-train-page.h"
#include "vitrine-predict-page.h"
#include "vitrine-attention-page.h"
#include "vitrine-attribution-page.h"
#include "vitrine-run.h"
#include "vitrine-runs-panel.h"
#include "vitrine-workspace.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_WINDOW (vitrine_window_get_type ())
G_DECLARE_FINAL_TYPE (VitrineWindow, vitrine_window, VITRINE, WINDOW, GtkApplicationWindow)

VitrineWindow    *vitrine_window_new             (VitrineApplication *application);
/* Opens a checkpoint in the background; the window stays responsive. A
 * results folder (or its results.json) is listed in the Runs panel as a
 * finished run and shown in the area that made it, without recomputing. */
void              vitrine_window_open            (VitrineWindow      *self,
                                                  GFile              *file);
gboolean          vitrine_window_is_loading      (VitrineWindow      *self);
VitrineModelPage *vitrine_window_get_model_page  (VitrineWindow      *self);
VitrinePredictPage *vitrine_window_get_predict_page (VitrineWindow    *self);
VitrineAttentionPage *vitrine_window_get_attention_page (VitrineWindow *self);
VitrineAttributionPage *vitrine_window_get_attribution_page (VitrineWindow *self);
VitrineDatasetPage *vitrine_window_get_dataset_page (VitrineWindow    *self);
VitrineIncrementalPage *vitrine_window_get_incremental_page (VitrineWindow *self);
VitrineLabelingPage    *vitrine_window_get_labeling_page    (VitrineWindow *self);
VitrineTrainPage       *vitrine_window_get_train_page       (VitrineWindow *self);
VitrineEmbeddingPage   *vitrine_window_get_embedding_page   (VitrineWindow *self);
/* Shows the Dataset area and opens @file (a folder or file) in it. */
void              vitrine_window_open_dataset    (VitrineWindow      *self,
                                                  GFile              *file);
/* Whether the sidebar offers the area @name ("model", "predict"). */
gboolean          vitrine_window_shows_area      (VitrineWindow      *self,
                                                  const char         *name);
void              vitrine_window_show_area       (VitrineWindow      *self,
                                                  const char         *name);

/* The Runs panel and the session's runs (VitrineRun), newest last. */
VitrineRunsPanel *vitrine_window_get_runs_panel  (VitrineWindow      *self);
GListModel       *vitrine_window_get_runs        (VitrineWindow      *self);
/* Shows the results of a finished @run in its area (Open Results): the
 * Model area an inspection (its checkpoint then open as if opened), the
 * Predict area predictions, the Incremental area a class-incremental run. */
gboolean          vitrine_window_show_run        (VitrineWindow      *self,
                                                  VitrineRun         *run,
                                                  GError            **error);
/* Lists the finished run in @dir and shows it; errors in a dialog. */
void              vitrine_window_open_results    (VitrineWindow      *self,
                                                  const char         *dir);
/* Whether the window can show the results of runs of @area. */
gboolean          vitrine_window_shows_results_of (VitrineWindow     *self,
                                                   const char        *area);
/* File › Export Weights: writes the open checkpoint as safetensors to
 * @path (see vt_checkpoint_export_safetensors) in a worker thread. */
void              vitrine_window_export_weights_async  (VitrineWindow       *self,
                                                        const char          *path,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          vitrine_window_export_weights_finish (VitrineWindow       *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Open Recent's items: label, and the action (win.open-file for a
 * checkpoint, win.open-dataset-file for a dataset) with the file's URI. */
GMenuModel            *vitrine_window_get_recent_menu (VitrineWindow *self);
/* The start page's list of the same recent files: each row is actionable,
 * with the action and target of its menu item. */
GtkListBox            *vitrine_window_get_start_recent_list (VitrineWindow *self);

/* What the window has open (its checkpoints, datasets, stores and runs). */
VitrineWorkspace      *vitrine_window_get_workspace   (VitrineWindow *self);
/* Saves the workspace to @file (a `.vitrine`), which it is then autosaved
 * to as it changes and reopened from at the next start. An error is shown
 * in the window. */
gboolean               vitrine_window_save_workspace  (VitrineWindow *self,
                                                       GFile         *file);
/* Replaces the workspace with @file's and opens its last checkpoint and
 * dataset; items whose files have gone are listed as missing. An error
 * (naming the file, and the JSON path where the shape is wrong) is shown in
 * the window, and the workspace stays as it was. */
gboolean               vitrine_window_open_workspace  (VitrineWindow *self,
                                                       GFile         *file);

G_END_DECLS
