/* vitrine-embedding-page.h: the Embedding area: a feature store laid out by
 * t-SNE, UMAP or PCA in the GL scatter view. t-SNE and UMAP stream their
 * layouts, so the
 * points move into place while it optimizes; the view stays interactive
 * (pan, zoom, hover card with the sample's thumbnail, label and prediction,
 * lasso selection listed at the side and saved as CSV, Find by class or
 * file name, a click on a point lists its nearest neighbours). Colour by class,
 * prediction, correctness or confidence; Export writes the view (PNG, SVG,
 * PDF), the layout (CSV) and TensorBoard's projector files. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_EMBEDDING_PAGE (vitrine_embedding_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineEmbeddingPage, vitrine_embedding_page, VITRINE, EMBEDDING_PAGE, GtkWidget)

typedef enum
{
  VITRINE_EMBEDDING_TSNE,   /* the order of the Projection list */
  VITRINE_EMBEDDING_PCA,
  VITRINE_EMBEDDING_UMAP,
} VitrineEmbeddingMethod;

/* The stores to choose from (VitrineStoreItem), shared with the other areas. */
void         vitrine_embedding_page_set_stores     (VitrineEmbeddingPage   *self,
                                                    GListStore             *stores);
/* Adds @path (a feature store) to the list and selects it. */
/* The workspace's datasets (VitrineWorkspaceItem): the dataset behind a
 * store is taken from there where the Dataset area has read it. */
void         vitrine_embedding_page_set_datasets   (VitrineEmbeddingPage   *self,
                                                    GListModel             *datasets);
gboolean     vitrine_embedding_page_add_store      (VitrineEmbeddingPage   *self,
                                                    const char             *path,
                                                    GError                **error);
/* The settings a Run uses, as the fields would hold them. */
void         vitrine_embedding_page_configure      (VitrineEmbeddingPage   *self,
                                                    VitrineEmbeddingMethod  method,
                                                    double                  perplexity,
                                                    guint                   max_samples);
/* The 2-D/3-D switch (PCA only; t-SNE and UMAP stay 2-D): 2 or 3
 * components. With a PCA shown, switching runs it again at once. */
void         vitrine_embedding_page_set_dimensions (VitrineEmbeddingPage   *self,
                                                    guint                   dims);
/* Starts the batch mode's `project` step on the chosen store as a
 * VitrineRun, listed in the Runs panel. */
void         vitrine_embedding_page_run            (VitrineEmbeddingPage   *self);
/* Where the page lists each run it starts (the window's runs; held). */
void         vitrine_embedding_page_set_runs       (VitrineEmbeddingPage   *self,
                                                    GListStore             *runs);
/* The run shown (running, finished or reopened), or NULL. */
VitrineRun  *vitrine_embedding_page_get_run        (VitrineEmbeddingPage   *self);
/* Shows the layout of @run, a finished project run (one read back from its
 * folder too), from its results folder, without computing it again. */
gboolean     vitrine_embedding_page_show_run       (VitrineEmbeddingPage   *self,
                                                    VitrineRun             *run,
                                                    GError                **error);
void         vitrine_embedding_page_cancel         (VitrineEmbeddingPage   *self);
gboolean     vitrine_embedding_page_is_running     (VitrineEmbeddingPage   *self);
/* Layouts shown so far in this run (streamed and final). */
guint        vitrine_embedding_page_get_n_layouts  (VitrineEmbeddingPage   *self);
/* The layout of the finished run shown ((n, 2), or (n, 3) for a 3-D PCA,
 * as its results folder holds it), its point count in @n_points; NULL
 * before one. */
const float *vitrine_embedding_page_get_layout     (VitrineEmbeddingPage   *self,
                                                    guint                  *n_points);
/* Whether the dataset behind the store is open (thumbnails, paths). */
gboolean     vitrine_embedding_page_has_dataset    (VitrineEmbeddingPage   *self);
VtDataset   *vitrine_embedding_page_get_dataset    (VitrineEmbeddingPage   *self);
GtkWidget   *vitrine_embedding_page_get_scatter    (VitrineEmbeddingPage   *self);
/* Chooses the colouring, as the "Colour by" list (VtEmbeddingColor order). */
void         vitrine_embedding_page_set_color      (VitrineEmbeddingPage   *self,
                                                    guint                   color);
/* The hover card's text, or NULL while it is hidden. */
const char  *vitrine_embedding_page_get_hover_text (VitrineEmbeddingPage   *self);
/* The TensorBoard Projector's "isolate": a click on a class in the legend
 * hides or shows its points, a double-click shows that class alone. */
void         vitrine_embedding_page_toggle_class   (VitrineEmbeddingPage   *self,
                                                    guint                   category);
void         vitrine_embedding_page_isolate_class  (VitrineEmbeddingPage   *self,
                                                    guint                   category);
/* Row @i of the legend beside the plot (a GtkLabel), or NULL. */
GtkWidget   *vitrine_embedding_page_get_legend_row (VitrineEmbeddingPage   *self,
                                                    guint                   i);
const char  *vitrine_embedding_page_get_status     (VitrineEmbeddingPage   *self);
const char  *vitrine_embedding_page_get_error      (VitrineEmbeddingPage   *self);
/* Selects the points whose class name or image file name holds @text
 * (case folded), as the Find field does; "" clears. Returns how many. */
guint        vitrine_embedding_page_find           (VitrineEmbeddingPage   *self,
                                                    const char             *text);
/* Selects point @point and its nearest neighbours in the store's feature
 * space (Euclidean, among the points shown), listed nearest first with
 * their distances, as a click on the point does. Returns how many. */
guint        vitrine_embedding_page_show_neighbours (VitrineEmbeddingPage  *self,
                                                    guint                   point);
/* The list beside the plot (GtkStringObject lines). */
GListModel  *vitrine_embedding_page_get_selection_list (VitrineEmbeddingPage *self);
gboolean     vitrine_embedding_page_save_selection (VitrineEmbeddingPage   *self,
                                                    const char             *path,
                                                    GError                **error);
/* Writes <name>.png/.svg/.pdf of the view (the run's figure, coloured and
 * cropped as the view is), and the run's <name>-layout.csv and
 * <name>-tensors.tsv/<name>-metadata.tsv (copied from its results folder)
 * into @dir. */
gboolean     vitrine_embedding_page_export         (VitrineEmbeddingPage   *self,
                                                    const char             *dir,
                                                    GError                **error);
/* The same in a worker, as Export… does: the page is busy until it ends,
 * Cancel stops it, and the status says how it went. */
void         vitrine_embedding_page_start_export   (VitrineEmbeddingPage   *self,
                                                    const char             *dir);

G_END_DECLS
