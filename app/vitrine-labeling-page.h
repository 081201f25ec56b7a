/* vitrine-labeling-page.h: the Labeling area: a person answers an active
 * learner's questions about a feature store's samples.
 *
 * Choose the store (the workspace's), the learner (linear or cosine head;
 * for a store a CLIP image tower extracted also zero-shot and CoOp),
 * the strategy, PCB and the budget; Start Round retrains the head on the
 * labels so far and ranks the undecided samples into a queue
 * (vt_active_round_run, in a worker). The queue shows each sample large
 * with the head's guess, its confidence and top five; keys answer: 1–9 and
 * 0 the first ten classes (Shift: the next ten), a accepts the guess, space
 * skips, BackSpace undoes (as far back as the session goes), Left/Right
 * look back and forth, h shows the keys; all but the digits are
 * remappable (vitrine-labeling-keys.h, read live from the settings). Every decision is in the store's
 * journal (vt-label-journal.h, fsync'd) before the queue moves on; the
 * journal is under $XDG_DATA_HOME/vitrine/labels/, named by a hash of the
 * store's path, and choosing the store again resumes from it. Beside the
 * queue: labels per class, the rounds, and the head's accuracy per round on
 * the store's test split where the workspace has it. */
#pragma once

#include <gtk/gtk.h>

#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-active-strategy.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_LABELING_PAGE (vitrine_labeling_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineLabelingPage, vitrine_labeling_page, VITRINE, LABELING_PAGE, GtkWidget)

/* The settings whose labeling-key-* keys the queue answers to, read
 * again whenever they change; NULL: the defaults. */
void         vitrine_labeling_page_set_settings   (VitrineLabelingPage *self,
                                                   GSettings           *settings);
/* The stores to choose from (VitrineStoreItem), shared with the other areas. */
void         vitrine_labeling_page_set_stores     (VitrineLabelingPage *self,
                                                   GListStore          *stores);
/* The workspace's datasets (VitrineWorkspaceItem), where the samples'
 * images are found before the page reads a dataset itself. */
void         vitrine_labeling_page_set_datasets   (VitrineLabelingPage *self,
                                                   GListModel          *datasets);
/* Adds @path (a feature store) to the list and chooses it. */
gboolean     vitrine_labeling_page_add_store      (VitrineLabelingPage *self,
                                                   const char          *path,
                                                   GError             **error);
void         vitrine_labeling_page_configure      (VitrineLabelingPage *self,
                                                   VtActiveLearnerKind  learner,
                                                   VtActiveStrategy     strategy,
                                                   gboolean             pcb,
                                                   guint                budget);
void         vitrine_labeling_page_start_round    (VitrineLabelingPage *self);
/* Whether a round is being computed. */
gboolean     vitrine_labeling_page_is_busy        (VitrineLabelingPage *self);

/* The queue: every sample asked this session, rounds one after another;
 * the position of the one shown (the length when the queue is done). */
guint        vitrine_labeling_page_get_queue_length (VitrineLabelingPage *self);
guint        vitrine_labeling_page_get_position   (VitrineLabelingPage *self);
/* The line above the sample: which one of how many, or that the queue is done. */
const char  *vitrine_labeling_page_get_position_text (VitrineLabelingPage *self);
/* The sample shown (its dataset index), or -1; the head's guess for it
 * (a class, or -1 when no head was trained yet). */
gint64       vitrine_labeling_page_get_sample     (VitrineLabelingPage *self);
gint         vitrine_labeling_page_get_guess      (VitrineLabelingPage *self);
/* CoOp's context vectors (16 by default); whether the setting applies (the
 * learner is CoOp). */
void         vitrine_labeling_page_set_context_vectors   (VitrineLabelingPage *self,
                                                          guint                n_ctx);
gboolean     vitrine_labeling_page_context_vectors_apply (VitrineLabelingPage *self);
/* The warm-start switch: each round's head trains on from the last
 * round's instead of from scratch. The head the page keeps for it (its
 * weights, @n floats), or NULL when it keeps none (warm start off, no round
 * trained yet). */
void         vitrine_labeling_page_set_warm_start (VitrineLabelingPage *self,
                                                   gboolean             warm_start);
const float *vitrine_labeling_page_get_head       (VitrineLabelingPage *self,
                                                   guint               *n);
/* The learner chosen; how many the drop-down lists (2, or 4 for a store a
 * CLIP image tower extracted: zero_shot and coop too). */
VtActiveLearnerKind vitrine_labeling_page_get_learner  (VitrineLabelingPage *self);
guint        vitrine_labeling_page_get_n_learners (VitrineLabelingPage *self);
/* The bar chart's labels of class @klass; the rounds the journal has. */
guint        vitrine_labeling_page_get_class_count (VitrineLabelingPage *self,
                                                    guint                klass);
guint        vitrine_labeling_page_get_rounds     (VitrineLabelingPage *self);
/* The head's test accuracy before each round (NaN where not measured). */
const double *vitrine_labeling_page_get_accuracies (VitrineLabelingPage *self,
                                                    guint               *n);
/* Whether the store's dataset is read: pictures to show, files to export. */
gboolean     vitrine_labeling_page_has_pictures   (VitrineLabelingPage *self);
/* The chosen store's journal, or NULL. */
const char  *vitrine_labeling_page_get_journal_path (VitrineLabelingPage *self);
/* Writes the labels as a list dataset: CSV when @path ends in ".csv", else JSON. */
gboolean     vitrine_labeling_page_export         (VitrineLabelingPage *self,
                                                   const char          *path,
                                                   GError             **error);
/* The line under the queue: what was resumed, a damaged journal line, an error. */
const char  *vitrine_labeling_page_get_status     (VitrineLabelingPage *self);
GtkWidget   *vitrine_labeling_page_get_bar_chart  (VitrineLabelingPage *self);
/* The class search: Enter labels the sample as the first class that matches. */
GtkWidget   *vitrine_labeling_page_get_class_search (VitrineLabelingPage *self);
GtkWidget   *vitrine_labeling_page_get_accuracy_chart (VitrineLabelingPage *self);

G_END_DECLS
