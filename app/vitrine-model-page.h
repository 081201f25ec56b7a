/* vitrine-model-page.h: the Model area: summary, tensor tree, statistics. */
#pragma once

#include <gtk/gtk.h>

#include "models/vt-inspection.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_MODEL_PAGE (vitrine_model_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineModelPage, vitrine_model_page, VITRINE, MODEL_PAGE, GtkWidget)

/* Shows @inspection, which the page then owns. */
void           vitrine_model_page_take_inspection (VitrineModelPage *self,
                                                   VtInspection     *inspection);
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
GtkColumnView *vitrine_model_page_get_column_view (VitrineModelPage *self);
/* The value shown for a summary or statistics row, e.g. "Parameters". */
const char    *vitrine_model_page_get_fact        (VitrineModelPage *self,
                                                   const char       *label);

G_END_DECLS
