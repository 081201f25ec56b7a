/* vitrine-dataset-page.h: the Dataset area: a dataset's samples as a
 * thumbnail grid with a class filter and counts, and feature extraction
 * with the open model into a feature store (cached on disk, reused when
 * the same checkpoint, dataset and transform come again). Extraction is the
 * batch mode's `extract` step run as a VitrineRun, listed in the Runs panel. */
#pragma once

#include <gtk/gtk.h>

#include "features/vt-feature-store.h"
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

G_END_DECLS
