/* vitrine-incremental-page.h: the Incremental area: pick a train and a test
 * feature store, a split, a class order and methods; Run. The run is the
 * batch mode's `incremental` step (vt-run.h) in a worker: its results folder
 * holds every table and figure, and its metric events grow the chart of
 * accuracy on the seen classes point by point and fill in the accuracy
 * matrix. At the end: average, last accuracy and forgetting per method, the
 * confusion matrix, per-class accuracy, and Export (the results folder). */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_INCREMENTAL_PAGE (vitrine_incremental_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineIncrementalPage, vitrine_incremental_page, VITRINE, INCREMENTAL_PAGE, GtkWidget)

/* The stores to choose from (VitrineStoreItem); the page adds the ones the
 * user opens with "Add a Feature Store…". */
void         vitrine_incremental_page_set_stores  (VitrineIncrementalPage *self,
                                                   GListStore             *stores);
/* Where the page lists each run it starts (the window's runs; held). */
void         vitrine_incremental_page_set_runs    (VitrineIncrementalPage *self,
                                                   GListStore             *runs);
/* Shows the results of @run, a finished incremental run (one read back
 * from its folder too), from its results.json alone. */
gboolean     vitrine_incremental_page_show_run    (VitrineIncrementalPage *self,
                                                   VitrineRun             *run,
                                                   GError                **error);
/* The run shown (running, finished or reopened), or NULL. */
VitrineRun  *vitrine_incremental_page_get_run     (VitrineIncrementalPage *self);
/* Adds @path (a feature store) to the list and selects it for @role. */
gboolean     vitrine_incremental_page_add_store   (VitrineIncrementalPage *self,
                                                   const char             *path,
                                                   gboolean                as_test,
                                                   GError                **error);
/* The settings a Run uses, as the fields would hold them. */
void         vitrine_incremental_page_configure   (VitrineIncrementalPage *self,
                                                   const char             *split,
                                                   const char * const     *methods,
                                                   guint                   ranpac_dim);
void         vitrine_incremental_page_run         (VitrineIncrementalPage *self);
void         vitrine_incremental_page_cancel      (VitrineIncrementalPage *self);
gboolean     vitrine_incremental_page_is_running  (VitrineIncrementalPage *self);
/* Points of the chart filled in so far (all methods). */
guint        vitrine_incremental_page_get_n_points (VitrineIncrementalPage *self);
GtkWidget   *vitrine_incremental_page_get_chart   (VitrineIncrementalPage *self);
/* The last run's results folder, or NULL. */
const char  *vitrine_incremental_page_get_run_dir (VitrineIncrementalPage *self);
/* The store chosen for training (@test FALSE) or test, or NULL. Until the
 * user picks them, they follow the stores there are: the test split of the
 * training store's dataset and model is the test store. */
const char  *vitrine_incremental_page_get_store   (VitrineIncrementalPage *self,
                                                   gboolean                test);
/* Whether the page warns that training and test are the same store. */
gboolean     vitrine_incremental_page_shows_store_warning (VitrineIncrementalPage *self);
/* The last error (a bad split, a run that failed), or NULL. */
const char  *vitrine_incremental_page_get_error   (VitrineIncrementalPage *self);
/* Copies the results folder into @dir. */
gboolean     vitrine_incremental_page_export      (VitrineIncrementalPage *self,
                                                   const char             *dir,
                                                   GError                **error);

G_END_DECLS
