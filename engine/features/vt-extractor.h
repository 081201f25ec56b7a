/* vt-extractor.h: running a model over a whole dataset into a feature store.
 *
 * Decoding and preprocessing run in a thread pool while the model runs on
 * the calling thread. Memory is bounded whatever the dataset's size: a
 * fixed number of batches are in flight (being decoded, waiting, or in the
 * model); the store itself (N x D) is the only thing that grows. Cancelling
 * stops the decoders after their current image and the run after the
 * current forward pass. */
#pragma once

#include <gio/gio.h>

#include "features/vt-feature-store.h"
#include "models/vt-model.h"

#include "core/vt-events.h"

G_BEGIN_DECLS

#define VT_EXTRACT_MAX_SKIPPED_NAMES 5

/* How far an extraction got, as a window shows it; the extraction itself
 * reports VT_EVENT_PROGRESS events (fraction = done / total, rate in
 * images per second, seconds_left, message "done/total images, …"). */
typedef struct
{
  guint    done;          /* samples through the model (or skipped) */
  guint    total;
  double   rate;          /* samples per second so far */
  double   eta_seconds;
} VtExtractProgress;

typedef struct
{
  guint                  batch_size;        /* 0: 64 */
  gboolean               keep_logits;
  /* Leave out samples that cannot be decoded (counted, the first few named
   * in the store) instead of stopping with the first one's error. */
  gboolean               skip_unreadable;
  /* Progress after each batch, on the calling thread; may be NULL. */
  const VtEventSink     *events;
} VtExtractOptions;

/* How many batches vt_extract_features keeps in flight (each holds
 * @batch_size images of pixels) for @n_samples samples. */
guint           vt_extract_n_slots   (guint                    n_samples,
                                      guint                    batch_size);

/* The store's source is left NULL; the caller sets it. */
VtFeatureStore *vt_extract_features  (VtModel                 *model,
                                      VtDataset               *dataset,
                                      const VtTransform       *transform,
                                      const VtExtractOptions  *options,
                                      GCancellable            *cancellable,
                                      GError                 **error);

/* The one place that decides whether a saved store is current, for the
 * extract step and the window alike: the store at @store_path (may be NULL
 * or absent) when it was made from what @source describes, else a new
 * extraction with its source set to @source and the hash of the bytes it
 * read (vt_dataset_content_hash). The first check is the files' stat (the
 * fingerprint in @source); where it differs, or with @verify, the files are
 * read again and the hash of their bytes decides. *@reused says which; the
 * caller saves a new store where it wants one. A store that lacks logits
 * asked for (by a model that has them) is not current. */
VtFeatureStore *vt_extract_or_reuse  (const char              *store_path,
                                      const VtFeatureSource   *source,
                                      VtModel                 *model,
                                      VtDataset               *dataset,
                                      const VtTransform       *transform,
                                      const VtExtractOptions  *options,
                                      gboolean                 verify,
                                      gboolean                *reused,
                                      GCancellable            *cancellable,
                                      GError                 **error);

G_END_DECLS
