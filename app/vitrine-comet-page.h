/* vitrine-comet-page.h: COMET in the Attribution area. A selector and a
 * predictor trained against the open checkpoint (the detector, frozen) on
 * the Dataset area's dataset, as one `comet` step started as a VitrineRun
 * (listed in the Runs panel): its per-step losses, mask area and
 * accuracies, its test split's accuracies and area per epoch, and the
 * masks of the first test images, redrawn every epoch. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_COMET_PAGE (vitrine_comet_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineCometPage, vitrine_comet_page, VITRINE, COMET_PAGE, GtkWidget)

/* The detector Start explains (the window's open model, referenced; NULL: none). */
void         vitrine_comet_page_set_model        (VitrineCometPage *self,
                                                  VtModel          *model);
/* The dataset Start trains on (the Dataset area's, referenced; NULL: none). */
void         vitrine_comet_page_set_dataset      (VitrineCometPage *self,
                                                  VtDataset        *dataset);
/* Where the page lists each run it starts (the window's runs; held). */
void         vitrine_comet_page_set_runs         (VitrineCometPage *self,
                                                  GListStore       *runs);
/* Shows @run, a finished comet run (one read back from its folder too):
 * the report's curves per epoch and the masks of its maps file. */
gboolean     vitrine_comet_page_show_run         (VitrineCometPage *self,
                                                  VitrineRun       *run,
                                                  GError          **error);
/* The run shown (running, finished or reopened), or NULL. */
VitrineRun  *vitrine_comet_page_get_run          (VitrineCometPage *self);
/* The sizes of a run, as the fields would hold them (the rest keeps the
 * fields'); 0 limits: every image. */
void         vitrine_comet_page_configure        (VitrineCometPage *self,
                                                  guint             epochs,
                                                  guint             batch,
                                                  guint             train_limit,
                                                  guint             test_limit,
                                                  guint             predictor_depth,
                                                  guint             selector_width);
void         vitrine_comet_page_start            (VitrineCometPage *self);
void         vitrine_comet_page_cancel           (VitrineCometPage *self);
gboolean     vitrine_comet_page_is_running       (VitrineCometPage *self);
/* Steps drawn so far (one point each), epochs whose test figures are in,
 * and how many times the masks were drawn (once an epoch, and once from
 * the maps file at the end or on reopening). */
guint        vitrine_comet_page_get_n_steps      (VitrineCometPage *self);
guint        vitrine_comet_page_get_n_epochs_done (VitrineCometPage *self);
guint        vitrine_comet_page_get_n_mask_draws (VitrineCometPage *self);
/* L1, L2 and the hinge per step; the mask area, the predictor's and the
 * detector's accuracy per step; the test split's per epoch; the masks. */
GtkWidget   *vitrine_comet_page_get_loss_chart   (VitrineCometPage *self);
GtkWidget   *vitrine_comet_page_get_rate_chart   (VitrineCometPage *self);
GtkWidget   *vitrine_comet_page_get_epoch_chart  (VitrineCometPage *self);
GtkWidget   *vitrine_comet_page_get_masks_view   (VitrineCometPage *self);
/* The last error (no detector or dataset, a run that failed), or NULL. */
const char  *vitrine_comet_page_get_error        (VitrineCometPage *self);
const char  *vitrine_comet_page_get_status       (VitrineCometPage *self);

G_END_DECLS
