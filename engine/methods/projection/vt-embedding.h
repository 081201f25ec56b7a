/* vt-embedding.h: a feature store seen in 2-D (or 3-D): which samples,
 * which projection, the layout, and what the points are coloured by. One
 * code path for the Embedding area and the batch "project" step, including
 * the files both write: the layout as CSV, and TensorBoard's projector
 * format (tensors.tsv + metadata.tsv). */
#pragma once

#include "features/vt-feature-store.h"
#include "vt-tsne.h"
#include "vt-umap.h"

G_BEGIN_DECLS

typedef enum
{
  VT_EMBEDDING_PCA,
  VT_EMBEDDING_TSNE,
  VT_EMBEDDING_UMAP,
} VtEmbeddingMethod;

typedef enum
{
  VT_EMBEDDING_COLOR_CLASS,        /* the true class */
  VT_EMBEDDING_COLOR_PREDICTION,   /* the argmax of the stored logits */
  VT_EMBEDDING_COLOR_CORRECT,      /* correct / wrong */
  VT_EMBEDDING_COLOR_CONFIDENCE,   /* the predicted class's probability, in ten bins */
  VT_EMBEDDING_COLOR_TASK,         /* the class-incremental task of the true class */
} VtEmbeddingColor;

typedef struct
{
  VtEmbeddingMethod  method;
  guint              dims;          /* PCA: 2 or 3; t-SNE and UMAP: 2 */
  guint              max_samples;   /* 0: all; else every (N / max)-th sample */
  VtTsneOptions      tsne;
  VtUmapOptions      umap;
} VtEmbeddingOptions;

typedef struct
{
  VtFeatureStore  *store;
  guint            n;                    /* points */
  guint           *rows;                 /* each point's row in the store */
  guint            dims;
  float           *layout;               /* (n, dims) */
  VtEmbeddingMethod method;
  double           seconds;
  double           explained_variance_ratio[3];   /* PCA */
  double           kl_divergence;        /* t-SNE */
  guint            iterations;           /* t-SNE iterations, UMAP epochs */
  gboolean         approximate_neighbors; /* UMAP, t-SNE: found by NN-descent */
} VtEmbedding;

void          vt_embedding_options_init   (VtEmbeddingOptions        *options);
/* The store rows an embedding of at most @max_samples (0: all) of
 * @n_samples uses: every (n_samples / n)-th, so a class-sorted store keeps
 * its balance. Returns n rows in @n. */
guint        *vt_embedding_sample_rows    (guint                      n_samples,
                                           guint                      max_samples,
                                           guint                     *n);
const char   *vt_embedding_method_name    (VtEmbeddingMethod          method);

/* @events (progress, and t-SNE's and UMAP's layouts as they move; see
 * vt_projection_emit_layout) are emitted on the calling thread. */
VtEmbedding  *vt_embedding_compute        (VtFeatureStore            *store,
                                           const VtEmbeddingOptions  *options,
                                           const VtEventSink         *events,
                                           GCancellable              *cancellable,
                                           GError                   **error);
void          vt_embedding_free           (VtEmbedding               *embedding);

/* Whether @store can be coloured @color (prediction, correctness and
 * confidence need logits). */
gboolean      vt_embedding_color_available (VtFeatureStore           *store,
                                            VtEmbeddingColor          color);
/* Whether @color's categories are ordered bins (confidence, low to high),
 * to be drawn with a sequential colour scale rather than distinct hues. */
gboolean      vt_embedding_color_is_ordered (VtEmbeddingColor         color);
/* Point i's category for @color into @categories (n); returns the category
 * names (NULL-terminated, free with g_strfreev), their count in @n_names.
 * Tasks take the classes in label order, @classes_per_task at a time (0:
 * VT_EMBEDDING_DEFAULT_TASK_CLASSES), as a B0-Inc<k> split in the given
 * order would. */
char        **vt_embedding_categories     (VtFeatureStore            *store,
                                           const guint               *rows,
                                           guint                      n,
                                           VtEmbeddingColor           color,
                                           guint                      classes_per_task,
                                           guint                     *categories,
                                           guint                     *n_names);
/* 2 classes per task up to 20 classes (CIFAR-10: B0-Inc2), else 10
 * (CIFAR-100: B0-Inc10). */
guint         vt_embedding_default_task_classes (guint                n_classes);

/* sample,label,class[,prediction,predicted_class,confidence],x,y[,z] */
gboolean      vt_embedding_write_csv      (const VtEmbedding         *embedding,
                                           const char                *path,
                                           GCancellable              *cancellable,
                                           GError                   **error);
/* The layout columns (x, y, and z for @dims 3) of a CSV that
 * vt_embedding_write_csv wrote, as (n, dims) floats; its row count in @n.
 * Fails, naming the file and row, on a missing column or a field that is
 * not a finite number. */
float        *vt_embedding_read_layout    (const char                *path,
                                           guint                      dims,
                                           guint                     *n,
                                           GError                   **error);
/* The points' features, tab-separated, and their metadata with a header
 * (class, label, and prediction when known): what TensorBoard's projector
 * opens. */
gboolean      vt_embedding_write_projector (const VtEmbedding        *embedding,
                                            const char               *tensors_path,
                                            const char               *metadata_path,
                                            GCancellable             *cancellable,
                                            GError                  **error);

/* The chosen points as CSV: sample,path,label,class[,predicted_class,confidence];
 * the path from @dataset (the store's source), empty without it. */
gboolean      vt_embedding_write_selection (const VtEmbedding        *embedding,
                                            VtDataset                *dataset,
                                            const guint              *points,
                                            guint                     n_points,
                                            const char               *path,
                                            GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtEmbedding, vt_embedding_free)

G_END_DECLS
