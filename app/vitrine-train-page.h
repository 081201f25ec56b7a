/* vitrine-train-page.h: the Train area: fine-tune the open checkpoint on
 * the open dataset (its train split; evaluated on its test split every
 * epoch). What trains (head, last N blocks, norms, all) and the recipe are
 * the batch mode's `train` step; Start runs that step as a VitrineRun
 * (listed in the Runs panel), whose loss events grow the loss curve step by
 * step and whose accuracy events grow the accuracy curves epoch by epoch.
 * Cancel keeps the last finished epoch's checkpoint; Open Trained
 * Checkpoint opens it in the window. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_TRAIN_PAGE (vitrine_train_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineTrainPage, vitrine_train_page, VITRINE, TRAIN_PAGE, GtkWidget)

/* The checkpoint Start trains (the window's open model; NULL: none). A
 * model whose family has no backward pass (vt_trainable_supports) is
 * named, with why, and Start stays off. */
void         vitrine_train_page_set_model        (VitrineTrainPage *self,
                                                  VtModel          *model);
/* The dataset Start trains on (the Dataset area's; NULL: none). */
void         vitrine_train_page_set_dataset      (VitrineTrainPage *self,
                                                  VtDataset        *dataset);
/* Whether the model set can be trained; if not, why (else NULL). */
gboolean     vitrine_train_page_can_train        (VitrineTrainPage *self);
const char  *vitrine_train_page_get_unsupported  (VitrineTrainPage *self);
/* Where the page lists each run it starts (the window's runs; held). */
void         vitrine_train_page_set_runs         (VitrineTrainPage *self,
                                                  GListStore       *runs);
/* Shows @run, a finished train run (one read back from its folder too):
 * its loss and accuracy per epoch, from its results.json. */
gboolean     vitrine_train_page_show_run         (VitrineTrainPage *self,
                                                  VitrineRun       *run,
                                                  GError          **error);
/* The run shown (running, finished or reopened), or NULL. */
VitrineRun  *vitrine_train_page_get_run          (VitrineTrainPage *self);
/* The recipe, as the fields would hold it (the rest keeps the fields'). */
void         vitrine_train_page_configure        (VitrineTrainPage *self,
                                                  guint             epochs,
                                                  guint             batch,
                                                  double            lr);
void         vitrine_train_page_start            (VitrineTrainPage *self);
void         vitrine_train_page_cancel           (VitrineTrainPage *self);
gboolean     vitrine_train_page_is_running       (VitrineTrainPage *self);
/* Loss points drawn so far (one a step), and epochs whose accuracy is in. */
guint        vitrine_train_page_get_n_loss_points (VitrineTrainPage *self);
guint        vitrine_train_page_get_n_epochs_done (VitrineTrainPage *self);
GtkWidget   *vitrine_train_page_get_loss_chart   (VitrineTrainPage *self);
GtkWidget   *vitrine_train_page_get_accuracy_chart (VitrineTrainPage *self);
/* The trained checkpoint of the run shown, once one epoch is finished
 * (also of a cancelled run), else NULL. */
const char  *vitrine_train_page_get_trained_checkpoint (VitrineTrainPage *self);
/* The last error (no model, a run that failed), or NULL. */
const char  *vitrine_train_page_get_error        (VitrineTrainPage *self);
const char  *vitrine_train_page_get_status       (VitrineTrainPage *self);

G_END_DECLS
