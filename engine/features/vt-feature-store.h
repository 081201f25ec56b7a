/* vt-feature-store.h: what a backbone makes of a dataset: N x D float32
 * features (the pre-logits tap), the labels, the samples' indices in the
 * dataset, and the logits when asked for.
 *
 * Saved as safetensors ("features" F32 (N, D), "labels" I64 (N), "indices"
 * I64 (N), "logits" F32 (N, K) when kept) so PyTorch reads it with
 * safetensors.torch.load_file; the metadata says where it came from: the
 * checkpoint (path, SHA-256, and its config.json's), the dataset (path,
 * split, size, the fingerprint of its files' stat and the hash of their
 * bytes), the transform, and the class names. A store is reused when the
 * same checkpoint, dataset and transform are asked for again; a changed
 * checkpoint, config.json, sample, list or class-name file makes it stale
 * (vt_extract_or_reuse in vt-extractor.h). */
#pragma once

#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "models/vt-transform.h"

G_BEGIN_DECLS

#define VT_FEATURE_STORE_ERROR (vt_feature_store_error_quark ())
GQuark vt_feature_store_error_quark (void);

typedef enum
{
  VT_FEATURE_STORE_ERROR_INVALID,   /* a safetensors file that is not a feature store */
} VtFeatureStoreError;

/* Where features came from: the cache key, and the store's metadata. */
typedef struct
{
  char   *checkpoint;            /* path */
  char   *checkpoint_sha256;
  char   *config_sha256;         /* of the checkpoint's config.json; "" without one */
  char   *dataset;               /* path */
  char   *split;                 /* or NULL */
  char   *dataset_fingerprint;   /* vt_dataset_fingerprint: the files' stat */
  char   *dataset_content;       /* vt_dataset_content_hash: their bytes; NULL until extracted */
  guint   dataset_samples;
  char   *transform;             /* vt_transform_describe */
} VtFeatureSource;

/* Hashes the checkpoint and its config.json and stats the dataset's
 * files: seconds for large checkpoints, so call it off the main thread.
 * NULL with @error set when cancelled. dataset_content is left NULL: it
 * comes from the bytes an extraction reads. */
VtFeatureSource *vt_feature_source_new   (VtCheckpoint           *checkpoint,
                                          VtDataset              *dataset,
                                          const VtTransform      *transform,
                                          GCancellable           *cancellable,
                                          GError                **error);
VtFeatureSource *vt_feature_source_copy  (const VtFeatureSource  *source);
void             vt_feature_source_free  (VtFeatureSource        *source);
/* A file name for the store of @source in a cache folder: "<hex>.safetensors". */
char            *vt_feature_source_cache_name (const VtFeatureSource *source);

typedef struct
{
  gatomicrefcount   ref_count;
  guint             n_samples;
  guint             dim;
  guint             n_logits;      /* 0 when logits were not kept */
  float            *features;      /* (n_samples, dim) */
  float            *logits;        /* (n_samples, n_logits) or NULL */
  gint64           *labels;        /* n_samples */
  gint64           *indices;       /* n_samples: the sample's index in the dataset */
  guint             n_classes;
  char            **class_names;   /* n_classes */
  VtFeatureSource  *source;
  guint             n_skipped;     /* unreadable samples left out */
  char            **skipped;       /* the first few of them, by name */
} VtFeatureStore;

/* An empty store with room for @capacity samples of @dim (at least 1) features. */
VtFeatureStore *vt_feature_store_new       (guint                   capacity,
                                            guint                   dim,
                                            guint                   n_logits);
VtFeatureStore *vt_feature_store_ref       (VtFeatureStore         *self);
void            vt_feature_store_unref     (VtFeatureStore         *self);

gboolean        vt_feature_store_save      (VtFeatureStore         *self,
                                            const char             *path,
                                            GError                **error);
VtFeatureStore *vt_feature_store_load      (const char             *path,
                                            GError                **error);
/* Whether @self was made from the same checkpoint bytes, config.json,
 * dataset files (by their stat: the fingerprint) and transform as @source
 * describes. A store saved before stores kept the hash of the dataset's
 * bytes is from nothing. */
gboolean        vt_feature_store_is_from   (VtFeatureStore         *self,
                                            const VtFeatureSource  *source);
/* Whether @self was made from the same checkpoint bytes, config.json,
 * split, number of samples and transform: all but the dataset's files. */
gboolean        vt_feature_store_same_recipe (VtFeatureStore       *self,
                                              const VtFeatureSource *source);
/* vt_feature_store_is_from, the dataset's files compared by the hash of
 * their bytes (@content, vt_dataset_content_hash) instead of their stat. */
gboolean        vt_feature_store_has_content (VtFeatureStore       *self,
                                              const VtFeatureSource *source,
                                              const char           *content);

/* The features of rows @rows[0..n) of the store, one after another:
 * (n, dim), to be freed with g_free. */
float          *vt_feature_store_gather    (const VtFeatureStore   *self,
                                            const guint            *rows,
                                            guint                   n);
/* Sample @i's predicted class (the argmax of its logits) and the softmax
 * probability of it in @confidence; -1 when the store kept no logits. */
gint64          vt_feature_store_predict   (const VtFeatureStore   *self,
                                            guint                   i,
                                            double                 *confidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFeatureStore, vt_feature_store_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFeatureSource, vt_feature_source_free)

G_END_DECLS
