/* vitrine-model-page.h: the Model area: summary, tensor tree, statistics.
 *
 * The statistics and histograms are an "inspect" step's, run as a
 * VitrineRun (listed in the Runs panel, re-runnable, its spec savable) and
 * read back from its results.json, whether just run or reopened. */
#pragma once

#include <gtk/gtk.h>

#include "models/vt-inspection.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_MODEL_PAGE (vitrine_model_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineModelPage, vitrine_model_page, VITRINE, MODEL_PAGE, GtkWidget)

/* Where the page lists the runs it starts (the window's; held). */
void           vitrine_model_page_set_runs        (VitrineModelPage *self,
                                                   GListStore       *runs);
/* Inspects the checkpoint at @path (absolute) as a run of an "inspect"
 * step with every tensor's histogram, listed in the runs; when it is done,
 * shows what it wrote. Fails with G_IO_ERROR_CANCELLED when @cancellable
 * is cancelled or another run took the page over meanwhile. */
void           vitrine_model_page_inspect_async   (VitrineModelPage    *self,
                                                   const char          *path,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean       vitrine_model_page_inspect_finish  (VitrineModelPage    *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
/* Shows the inspection that the finished @run's inspect step wrote (its
 * results.json, and the checkpoint it names, opened for its tensor table):
 * nothing is computed again. */
gboolean       vitrine_model_page_show_run        (VitrineModelPage *self,
                                                   VitrineRun       *run,
                                                   GError          **error);
/* The inspection's run under way, else the one shown, or NULL. */
VitrineRun    *vitrine_model_page_get_run         (VitrineModelPage *self);

VtInspection  *vitrine_model_page_get_inspection  (VitrineModelPage *self);

/* Expands the tree to the tensor named @name and selects it. */
gboolean       vitrine_model_page_select_tensor   (VitrineModelPage *self,
                                                   const char       *name);
/* The rows as shown: sorted, filtered, expanded (GtkTreeListRow items). */
GListModel    *vitrine_model_page_get_rows        (VitrineModelPage *self);
/* The search text that filters the tree. */
void           vitrine_model_page_set_search      (VitrineModelPage *self,
                                                   const char       *text);
GtkWidget     *vitrine_model_page_get_histogram   (VitrineModelPage *self);
/* The selected tensor's values table (Netron's habit): the spin button of
 * leading @dimension set to @index; a cell's text (row and column of the
 * slice shown); the table's heading, NULL when no values show. */
void           vitrine_model_page_set_slice       (VitrineModelPage *self,
                                                   guint             dimension,
                                                   gint64            index);
const char    *vitrine_model_page_get_value_text  (VitrineModelPage *self,
                                                   guint             row,
                                                   guint             col);
const char    *vitrine_model_page_get_values_title (VitrineModelPage *self);
/* Shows the "tensors" or the "layers" tab (Netron's layer list). */
void           vitrine_model_page_show_tab        (VitrineModelPage *self,
                                                   const char       *tab);
/* The layer list's cell (@col 0: the name, 1: the output shape, 2: the
 * values per image) of layer @row, or NULL past the end; the note above it
 * (what it is, or why there is none). */
const char    *vitrine_model_page_get_layer_text  (VitrineModelPage *self,
                                                   guint             row,
                                                   guint             col);
const char    *vitrine_model_page_get_layers_note (VitrineModelPage *self);
/* Shows the "statistics" or the "values" tab of the tensor details. */
void           vitrine_model_page_show_details    (VitrineModelPage *self,
                                                   const char       *tab);
/* The Log-scale counts switch under the histogram. */
void           vitrine_model_page_set_log_scale   (VitrineModelPage *self,
                                                   gboolean          log_scale);
/* Export Histogram…: the histogram shown as @base_path.png, .svg and .pdf. */
gboolean       vitrine_model_page_export_histogram (VitrineModelPage *self,
                                                    const char       *base_path,
                                                    GError          **error);
GtkColumnView *vitrine_model_page_get_column_view (VitrineModelPage *self);
/* The value shown for a summary or statistics row, e.g. "Parameters". */
const char    *vitrine_model_page_get_fact        (VitrineModelPage *self,
                                                   const char       *label);

G_END_DECLS
