/* vt-extractor.c: the extraction pipeline.
 *
 * A ring of slots, each holding one batch's pixels. A slot goes to the
 * decoder pool with a batch number, comes back ready, is run through the
 * model in batch order on the calling thread, and then goes back to the
 * pool with the batch n_slots further on. With one more slot than decoder
 * threads, every core decodes ahead while the model runs. */
#include "vt-extractor.h"
#include "core/vt-memory.h"
#include "core/vt-parallel.h"

#include <string.h>

/* Images per forward pass: see the loop over a batch. */
#define FORWARD_CHUNK 8

typedef struct
{
  guint     start;           /* first sample */
  guint     count;
  float    *pixels;          /* count x image_floats */
  guint8   *decoded;         /* per sample: 1 when its pixels are in place */
  GPtrArray *failures;       /* "name: message" of the samples that failed */
  GError   *error;           /* the first failure, when not skipping */
  gboolean  ready;
} Slot;

typedef struct
{
  VtDataset          *dataset;
  const VtTransform  *transform;
  gsize               image_floats;
  gboolean            skip_unreadable;
  guint8             *sha256;      /* per sample: its file's bytes' SHA-256, or NULL */
  GCancellable       *cancellable;
  gint                stop;        /* atomic: decoders give up early */
  GMutex              lock;
  GCond               ready_cond;
} Pipeline;

/* Runs in a pool thread. */
static void
decode_batch (gpointer data,
              gpointer user_data)
{
  Slot *slot = data;
  Pipeline *p = user_data;

  for (guint i = 0; i < slot->count; i++)
    {
      g_autoptr(VtImage) image = NULL;
      g_autoptr(GError) error = NULL;

      if (g_atomic_int_get (&p->stop) || g_cancellable_is_cancelled (p->cancellable))
        break;
      /* Each sample's bytes are hashed as they are read, for the store's
       * content hash: no second pass over the files. */
      image = vt_dataset_load_image_hashed (p->dataset, slot->start + i,
                                            p->sha256 ? p->sha256 + (gsize) (slot->start + i) * VT_DATASET_SHA256_SIZE
                                                      : NULL,
                                            &error);
      if (image != NULL)
        {
          g_autofree char *name = vt_dataset_sample_name (p->dataset, slot->start + i);

          /* A decodable image can still resize to more than memory holds. */
          if (!vt_transform_check_image (p->transform, image, name, &error))
            g_clear_pointer (&image, vt_image_free);
        }
      slot->decoded[i] = image != NULL;
      if (image != NULL)
        vt_transform_apply (p->transform, image, slot->pixels + i * p->image_floats);
      else if (p->skip_unreadable)
        g_ptr_array_add (slot->failures, g_strdup (error->message));
      else
        {
          slot->error = g_steal_pointer (&error);
          break;
        }
    }
  g_mutex_lock (&p->lock);
  slot->ready = TRUE;
  g_cond_broadcast (&p->ready_cond);
  g_mutex_unlock (&p->lock);
}

static void
queue_batch (GThreadPool *pool,
             Slot        *slot,
             guint        batch,
             guint        batch_size,
             guint        n_samples)
{
  slot->start = batch * batch_size;
  slot->count = MIN (batch_size, n_samples - slot->start);
  slot->ready = FALSE;
  g_ptr_array_set_size (slot->failures, 0);
  memset (slot->decoded, 0, batch_size);
  g_thread_pool_push (pool, slot, NULL);
}

/* Moves the decoded samples of @slot to the front; returns how many. */
static guint
compact (Slot     *slot,
         gsize     image_floats,
         gint64   *indices)
{
  guint n = 0;

  for (guint i = 0; i < slot->count; i++)
    if (slot->decoded[i])
      {
        if (n != i)
          memcpy (slot->pixels + n * image_floats, slot->pixels + i * image_floats, image_floats * sizeof (float));
        indices[n++] = slot->start + i;
      }
  return n;
}

/* Appends the batch's outputs to the store, creating it on the first batch
 * (only the forward pass knows the feature width). */
static gboolean
append_outputs (VtFeatureStore   **store,
                VtModel           *model,
                VtTaps            *taps,
                VtDataset         *dataset,
                const gint64      *indices,
                guint              n,
                gboolean           keep_logits,
                GError           **error)
{
  const VtTap *features = vt_taps_lookup (taps, "pre_logits");
  const VtTap *logits = keep_logits ? vt_taps_lookup (taps, "logits") : NULL;
  VtFeatureStore *s;

  if (features == NULL || features->ndim != 2)
    {
      VtCheckpoint *checkpoint = vt_model_get_checkpoint (model);
      const char *family = vt_model_get_architecture (model)->family_name;

      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                   "%s: this %s gives no pre-logits feature to store", vt_checkpoint_get_path (checkpoint),
                   family);
      return FALSE;
    }
  if (*store == NULL)
    {
      *store = vt_feature_store_new (dataset->n_samples, (guint) features->shape[1],
                                     logits ? (guint) logits->shape[1] : 0);
      (*store)->n_classes = dataset->n_classes;
      (*store)->class_names = g_strdupv (dataset->class_names);
    }
  s = *store;
  memcpy (s->features + (gsize) s->n_samples * s->dim, features->data, (gsize) n * s->dim * sizeof (float));
  if (s->logits)
    memcpy (s->logits + (gsize) s->n_samples * s->n_logits, logits->data, (gsize) n * s->n_logits * sizeof (float));
  for (guint i = 0; i < n; i++)
    {
      s->indices[s->n_samples + i] = indices[i];
      s->labels[s->n_samples + i] = dataset->labels[indices[i]];
    }
  s->n_samples += n;
  return TRUE;
}

guint
vt_extract_n_slots (guint n_samples,
                    guint batch_size)
{
  guint n_batches = (n_samples + MAX (batch_size, 1) - 1) / MAX (batch_size, 1);

  /* One more than the decoders, so that the model always has one ready. */
  return MIN ((guint) MAX (vt_parallel_threads (), 1) + 1, n_batches);
}

/* The pipeline; with @sha256 (n_samples x VT_DATASET_SHA256_SIZE bytes,
 * zeroed), each sample file's hash as it was read. */
static VtFeatureStore *
extract_features (VtModel                 *model,
                  VtDataset               *dataset,
                  const VtTransform       *transform,
                  const VtExtractOptions  *options,
                  guint8                  *sha256,
                  GCancellable            *cancellable,
                  GError                 **error)
{
  static const VtExtractOptions defaults = { 0 };
  int size = transform->crop_size;
  guint batch_size, n_batches, n_slots, n_threads;
  Pipeline p = { dataset, transform, (gsize) 3 * size * size, FALSE, sha256, cancellable, 0 };
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autofree gint64 *indices = NULL;
  g_autofree Slot *slots = NULL;
  GThreadPool *pool;
  gint64 started = g_get_monotonic_time ();
  guint n_skipped = 0;
  gboolean ok = TRUE;

  if (options == NULL)
    options = &defaults;
  batch_size = options->batch_size ? options->batch_size : 64;
  p.skip_unreadable = options->skip_unreadable;
  n_batches = (dataset->n_samples + batch_size - 1) / batch_size;
  n_threads = (guint) MAX (vt_parallel_threads (), 1);
  n_slots = vt_extract_n_slots (dataset->n_samples, batch_size);
  /* The batch and the crop come from the caller's settings: a batch of
   * pixels can be more than the machine has, and that is an error, not an
   * abort. */
  slots = g_new0 (Slot, n_slots);
  for (guint s = 0; s < n_slots; s++)
    if (!(slots[s].pixels = vt_memory_try_alloc ((gsize) batch_size * p.image_floats, sizeof (float),
                                                 "a batch of pixels (lower the batch size or the crop)", error)))
      {
        for (guint t = 0; t < s; t++)
          g_free (slots[t].pixels);
        return NULL;
      }
  g_mutex_init (&p.lock);
  g_cond_init (&p.ready_cond);
  indices = g_new (gint64, batch_size);
  pool = g_thread_pool_new (decode_batch, &p, (int) n_threads, FALSE, NULL);
  for (guint s = 0; s < n_slots; s++)
    {
      slots[s].decoded = g_new (guint8, batch_size);
      slots[s].failures = g_ptr_array_new_with_free_func (g_free);
      queue_batch (pool, &slots[s], s, batch_size, dataset->n_samples);
    }

  for (guint b = 0; b < n_batches && ok; b++)
    {
      Slot *slot = &slots[b % n_slots];
      g_autoptr(VtTaps) taps = NULL;
      guint n;

      g_mutex_lock (&p.lock);
      while (!slot->ready)
        g_cond_wait (&p.ready_cond, &p.lock);
      g_mutex_unlock (&p.lock);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      if (slot->error)
        {
          g_set_error (error, slot->error->domain, slot->error->code,
                       "%s (unreadable samples stop the run unless it is told to skip them)",
                       slot->error->message);
          ok = FALSE;
          break;
        }
      for (guint i = 0; i < slot->failures->len; i++, n_skipped++)
        if (skipped->len < VT_EXTRACT_MAX_SKIPPED_NAMES)
          g_ptr_array_add (skipped, g_strdup (g_ptr_array_index (slot->failures, i)));

      n = compact (slot, p.image_floats, indices);
      /* The batch goes through the model FORWARD_CHUNK images at a time,
       * with Cancel looked at between them: a forward pass cannot be
       * stopped, and a whole batch of 64 took more than the 200 ms Cancel
       * may take, on one core beside another run; 16 images took 215 ms
       * beside a t-SNE on 2 cores that five other builds shared. An
       * image's features do
       * not depend on the rest of its batch; its logits come from one
       * product over the chunk's rows, and can differ in the last bits
       * from a longer product's. */
      for (guint first = 0; ok && first < n; first += FORWARD_CHUNK)
        {
          guint m = MIN (FORWARD_CHUNK, n - first);

          if (first > 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              ok = FALSE;
              break;
            }
          taps = vt_model_forward (model, slot->pixels + (gsize) first * p.image_floats, (int) m, size, size,
                                   VT_TAP_OUTPUTS, error);
          /* The model counts inputs within the batch; this says which batch. */
          if (taps == NULL)
            g_prefix_error (error, "%s, the batch of samples %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ": ",
                            dataset->path, indices[first], indices[first + m - 1]);
          ok = taps != NULL && append_outputs (&store, model, taps, dataset, indices + first, m,
                                               options->keep_logits, error);
          g_clear_pointer (&taps, vt_taps_free);
        }
      if (ok && b + n_slots < n_batches)
        queue_batch (pool, slot, b + n_slots, batch_size, dataset->n_samples);

      if (ok && options->events)
        {
          guint done = MIN ((b + 1) * batch_size, dataset->n_samples);
          double elapsed = (g_get_monotonic_time () - started) / 1e6;
          double rate = done / MAX (elapsed, 1e-9);
          double left = (dataset->n_samples - done) / MAX (rate, 1e-9);
          g_autofree char *message = g_strdup_printf ("%u/%u images, %.0f images/s, %.0f s left",
                                                      done, dataset->n_samples, rate, left);

          vt_event_emit_progress (options->events, (double) done / dataset->n_samples, message, rate, left);
        }
    }

  /* Stop the decoders still working and drop the queued batches. */
  g_atomic_int_set (&p.stop, 1);
  g_thread_pool_free (pool, TRUE, TRUE);
  for (guint s = 0; s < n_slots; s++)
    {
      g_free (slots[s].pixels);
      g_free (slots[s].decoded);
      g_ptr_array_unref (slots[s].failures);
      g_clear_error (&slots[s].error);
    }
  g_mutex_clear (&p.lock);
  g_cond_clear (&p.ready_cond);
  if (!ok)
    return NULL;
  if (store == NULL)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_EMPTY,
                   "%s: none of the %u samples could be read", dataset->path, dataset->n_samples);
      return NULL;
    }
  store->n_skipped = n_skipped;
  g_ptr_array_add (skipped, NULL);
  store->skipped = (char **) g_ptr_array_steal (skipped, NULL);
  return g_steal_pointer (&store);
}

VtFeatureStore *
vt_extract_features (VtModel                 *model,
                     VtDataset               *dataset,
                     const VtTransform       *transform,
                     const VtExtractOptions  *options,
                     GCancellable            *cancellable,
                     GError                 **error)
{
  return extract_features (model, dataset, transform, options, NULL, cancellable, error);
}

VtFeatureStore *
vt_extract_or_reuse (const char              *store_path,
                     const VtFeatureSource   *source,
                     VtModel                 *model,
                     VtDataset               *dataset,
                     const VtTransform       *transform,
                     const VtExtractOptions  *options,
                     gboolean                 verify,
                     gboolean                *reused,
                     GCancellable            *cancellable,
                     GError                 **error)
{
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree guint8 *sha256 = NULL;
  g_autofree char *content = NULL;
  /* A model without a head gives no logits however often it is asked. */
  gboolean wants_logits = options && options->keep_logits && vt_model_get_architecture (model)->num_classes > 0;

  *reused = FALSE;
  if (store_path != NULL && g_file_test (store_path, G_FILE_TEST_IS_REGULAR))
    store = vt_feature_store_load (store_path, NULL);
  /* Another checkpoint, transform or split: stale, whatever the files say. */
  if (store != NULL && ((wants_logits && store->logits == NULL) || !vt_feature_store_same_recipe (store, source)))
    g_clear_pointer (&store, vt_feature_store_unref);
  if (store != NULL && (verify || !vt_feature_store_is_from (store, source)))
    {
      /* The stat of a file says it may have changed (or verify asks): its
       * bytes decide, which costs a read of the files but no model. */
      g_autoptr(GError) local_error = NULL;

      content = vt_dataset_content_hash (dataset, NULL, cancellable, &local_error);
      if (content == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (!vt_feature_store_has_content (store, source, content))
        g_clear_pointer (&store, vt_feature_store_unref);
    }
  if (store != NULL)
    {
      *reused = TRUE;
      return g_steal_pointer (&store);
    }

  /* 32 bytes a sample file, beside the store's own (N, D) floats: as many
   * as the files the listing found, not a count read from a header. */
  if (dataset->paths != NULL)
    sha256 = g_malloc0 ((gsize) dataset->paths->len * VT_DATASET_SHA256_SIZE);
  store = extract_features (model, dataset, transform, options, sha256, cancellable, error);
  if (store == NULL)
    return NULL;
  store->source = vt_feature_source_copy (source);
  g_free (store->source->dataset_content);
  store->source->dataset_content = vt_dataset_content_hash (dataset, sha256, cancellable, error);
  if (store->source->dataset_content == NULL)
    return NULL;
  return g_steal_pointer (&store);
}
