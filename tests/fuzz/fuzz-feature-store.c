/* fuzz-feature-store.c: libFuzzer harness for reading feature stores
 * (vt-feature-store.c): a safetensors file whose tensors and metadata must
 * say what a store says.
 *
 * The input is the store file. A store that loads is read in full: every
 * row gathered, every sample's prediction made, so AddressSanitizer sees a
 * length the tensors do not hold. */
#include "fuzz-util.h"

#include <math.h>

#include "features/vt-feature-store.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *path = fuzz_write_file ("store.safetensors", data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = vt_feature_store_load (path, &error);
  g_autofree guint *rows = NULL;
  g_autofree float *gathered = NULL;
  double sum = 0;

  if (store == NULL)
    {
      g_assert (fuzz_error_names (error, path));
      return 0;
    }
  g_assert (g_strv_length (store->class_names) == store->n_classes);
  rows = g_new (guint, MAX (store->n_samples, 1));
  for (guint i = 0; i < store->n_samples; i++)
    {
      double confidence;
      gint64 predicted = vt_feature_store_predict (store, i, &confidence);

      g_assert (store->labels[i] >= 0 && (guint64) store->labels[i] < store->n_classes);
      g_assert (store->indices[i] >= 0 &&
                (store->source == NULL || (guint64) store->indices[i] < store->source->dataset_samples));
      g_assert (predicted < (gint64) store->n_logits);
      rows[i] = store->n_samples - 1 - i;
    }
  gathered = vt_feature_store_gather (store, rows, store->n_samples);
  for (gsize i = 0; i < (gsize) store->n_samples * store->dim; i++)
    sum += gathered[i];
  return isnan (sum) && sum == 0;   /* keeps the reads */
}
