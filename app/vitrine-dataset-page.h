/* vitrine-dataset-page.h: the Dataset area: a dataset's samples as a
 * thumbnail grid with a class filter and counts, and feature extraction
 * with the open model into a feature store (cached on disk, reused when
 * the same checkpoint, dataset and transform come again). Extraction is the
 * batch mode's `extract` step run as a VitrineRun, listed in the Runs panel. */
#pragma once

#include <gtk/gtk.h>

#include "features/vt-feature-store.h"
#include "features/vt-predictions.h"
#include "report/vt-figure.h"
#include "vitrine-sample-view.h"
#include "models/vt-model.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_DATASET_PAGE (vitrine_dataset_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineDatasetPage, vitrine_dataset_page, VITRINE, DATASET_PAGE, GtkWidget)

/* Opens a dataset folder or file (see vt-dataset.h) in a worker thread. A
 * dataset with train and test splits shows its test split first, and a
 * choice between the two. */
void             vitrine_dataset_page_open        (VitrineDatasetPage *self,
                                                   GFile              *file);
/* The model "Extract Features" runs (referenced), or NULL. */
void             vitrine_dataset_page_set_model   (VitrineDatasetPage *self,
                                                   VtModel            *model);
/* Shows only class @label's samples; -1 for all. */
void             vitrine_dataset_page_filter      (VitrineDatasetPage *self,
                                                   int                 label);
void             vitrine_dataset_page_extract     (VitrineDatasetPage *self);
/* Where the page lists each extraction it starts (the window's runs; held). */
void             vitrine_dataset_page_set_runs    (VitrineDatasetPage *self,
                                                   GListStore         *runs);
/* The extraction shown (running, finished or reopened), or NULL. */
VitrineRun      *vitrine_dataset_page_get_run     (VitrineDatasetPage *self);
/* Shows what @run, a finished extract run (one read back from its folder
 * too), made: its store (read from its file; the page is busy meanwhile)
 * and the dataset it was extracted from. FALSE when its results name no
 * store. */
gboolean         vitrine_dataset_page_show_run    (VitrineDatasetPage *self,
                                                   VitrineRun         *run,
                                                   GError            **error);
/* Cancels the opening or the extraction in flight. */
void             vitrine_dataset_page_cancel      (VitrineDatasetPage *self);
gboolean         vitrine_dataset_page_is_busy     (VitrineDatasetPage *self);

/* What the page holds, for the window and tests: NULL before anything. */
VtDataset       *vitrine_dataset_page_get_dataset (VitrineDatasetPage *self);
GListModel      *vitrine_dataset_page_get_samples (VitrineDatasetPage *self);
/* The last extracted (or reused) store of this session. */
VtFeatureStore  *vitrine_dataset_page_get_store   (VitrineDatasetPage *self);
/* Every store extracted or reused this session (VitrineStoreItem); the
 * window gives the page the workspace's list, which it adds to. */
void             vitrine_dataset_page_set_stores  (VitrineDatasetPage *self,
                                                   GListStore         *stores);
GListStore      *vitrine_dataset_page_get_stores  (VitrineDatasetPage *self);
/* The store's file, and whether it was reused rather than extracted. */
const char      *vitrine_dataset_page_get_store_path (VitrineDatasetPage *self,
                                                      gboolean           *reused);
/* The error of the last open or extraction, or NULL. */
const char      *vitrine_dataset_page_get_error   (VitrineDatasetPage *self);
/* Grid cells bound to a sample since the page was made. For tests: what
 * one filter change costs is how many cells it binds. */
guint            vitrine_dataset_page_get_n_binds (VitrineDatasetPage *self);
/* The tooltip of sample @index's cell: its file, and why it cannot be read
 * where its thumbnail could not be decoded. */
char            *vitrine_dataset_page_describe_sample (VitrineDatasetPage *self,
                                                       guint               index);
/* The summary line: name, split, format, samples and classes. */
const char      *vitrine_dataset_page_get_summary (VitrineDatasetPage *self);

/* Once the store of the dataset shown has logits: each thumbnail carries
 * its predicted class, confidence and a ✓/✗ mark, the grid filters by
 * predicted class and outcome and sorts by confidence (with the class
 * list's class), and the accuracy and confusion matrix are shown. */
VtPredictions   *vitrine_dataset_page_get_predictions (VitrineDatasetPage *self);
/* As the "Predicted as", "Show" and "Order" choices do; @predicted -1 for any. */
void             vitrine_dataset_page_filter_predictions (VitrineDatasetPage *self,
                                                          int                 predicted,
                                                          VtOutcome           outcome,
                                                          VtSampleOrder       order);
/* The accuracy line shown, or NULL without predictions. */
const char      *vitrine_dataset_page_get_accuracy_text (VitrineDatasetPage *self);
/* The confusion matrix shown (counts, true × predicted), or NULL. */
VtFigure        *vitrine_dataset_page_get_confusion_figure (VitrineDatasetPage *self);
/* Writes it as @base_path.png, .svg and .pdf; its counts as a CSV table
 * (as `evaluate` writes <id>-confusion.csv), atomically. */
gboolean         vitrine_dataset_page_export_confusion (VitrineDatasetPage  *self,
                                                        const char          *base_path,
                                                        GError             **error);
gboolean         vitrine_dataset_page_export_confusion_csv (VitrineDatasetPage  *self,
                                                            const char          *path,
                                                            GError             **error);
/* Opens sample @index large (what double-click or Enter on its thumbnail
 * does); "Open in Predict" there emits "open-in-predict" with its file. */
void             vitrine_dataset_page_open_sample (VitrineDatasetPage *self,
                                                   guint               index);
VitrineSampleView *vitrine_dataset_page_get_sample_view (VitrineDatasetPage *self);
/* What the area shows: "samples", "sample" or "confusion". */
const char      *vitrine_dataset_page_get_view    (VitrineDatasetPage *self);
GtkGridView     *vitrine_dataset_page_get_grid    (VitrineDatasetPage *self);

G_END_DECLS
