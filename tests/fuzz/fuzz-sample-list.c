/* fuzz-sample-list.c: libFuzzer harness for datasets given as a list of
 * (path, label): CSV and JSON (vt-sample-list.c), with a labels.txt beside.
 *
 * The input, cut at FUZZ_SPLIT, is the list and then the labels.txt (absent
 * when there is no cut). The list goes in once as list.csv and once as
 * list.json, so every input reaches both readers. The images the list names
 * are not opened: a list may name any file. */
#include "fuzz-util.h"

#include "io/vt-dataset.h"

static void
open_list (const char *name,
           const uint8_t *list,
           size_t size)
{
  g_autofree char *path = fuzz_write_file (name, list, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = vt_dataset_open (path, NULL, &error);
  g_autofree char *fingerprint = NULL;
  guint total = 0;

  if (dataset == NULL)
    {
      g_assert (fuzz_error_names (error, path));
      return;
    }
  g_assert (dataset->n_samples > 0 && dataset->n_classes > 0);
  g_assert (g_strv_length (dataset->class_names) == dataset->n_classes);
  for (guint c = 0; c < dataset->n_classes; c++)
    total += dataset->class_counts[c];
  g_assert (total == dataset->n_samples);
  for (guint i = 0; i < dataset->n_samples; i++)
    {
      g_autofree char *sample = vt_dataset_sample_name (dataset, i);
      g_assert (dataset->labels[i] < dataset->n_classes && sample != NULL);
    }
  fingerprint = vt_dataset_fingerprint (dataset, NULL, NULL);
  g_assert (fingerprint != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *parts[2];
  size_t sizes[2];

  fuzz_split (data, size, 2, parts, sizes);
  g_free (fuzz_write_file ("labels.txt", parts[1], sizes[1]));
  open_list ("list.csv", parts[0], sizes[0]);
  open_list ("list.json", parts[0], sizes[0]);
  return 0;
}
