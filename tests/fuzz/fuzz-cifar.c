/* fuzz-cifar.c: libFuzzer harness for CIFAR-10 and CIFAR-100 binary files
 * (vt-cifar-binary.c) and the class-name files beside them
 * (vt-class-names.c).
 *
 * The input, cut at FUZZ_SPLIT, is the records and then a names file. It is
 * opened as CIFAR-10 (test_batch.bin, batches.meta.txt) and as CIFAR-100
 * (test.bin with fine_label_names.txt and coarse_label_names.txt), fine and
 * coarse. Every sample is decoded. */
#include "fuzz-util.h"

#include <glib/gstdio.h>

#include "io/vt-dataset.h"

static void
open_cifar (const char *folder,
            gboolean    coarse)
{
  VtDatasetOptions options = { "test", coarse };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = vt_dataset_open (folder, &options, &error);

  if (dataset == NULL)
    {
      g_assert (fuzz_error_names (error, folder));
      return;
    }
  g_assert (dataset->n_samples > 0);
  g_assert (g_strv_length (dataset->class_names) == dataset->n_classes);
  for (guint i = 0; i < dataset->n_samples; i++)
    {
      g_autoptr(GError) image_error = NULL;
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, i, &image_error);

      g_assert (image != NULL && image->width == 32 && image->height == 32);
      g_assert (dataset->labels[i] < dataset->n_classes);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *parts[2];
  size_t sizes[2];
  g_autofree char *cifar10 = g_build_filename (fuzz_temp_dir (), "cifar10", NULL);
  g_autofree char *cifar100 = g_build_filename (fuzz_temp_dir (), "cifar100", NULL);

  fuzz_split (data, size, 2, parts, sizes);
  g_mkdir (cifar10, 0700);
  g_mkdir (cifar100, 0700);
  g_free (fuzz_write_file ("cifar10/test_batch.bin", parts[0], sizes[0]));
  g_free (fuzz_write_file ("cifar10/batches.meta.txt", parts[1], sizes[1]));
  g_free (fuzz_write_file ("cifar100/test.bin", parts[0], sizes[0]));
  g_free (fuzz_write_file ("cifar100/fine_label_names.txt", parts[1], sizes[1]));
  g_free (fuzz_write_file ("cifar100/coarse_label_names.txt", parts[1], sizes[1]));

  open_cifar (cifar10, FALSE);
  open_cifar (cifar100, FALSE);
  open_cifar (cifar100, TRUE);
  return 0;
}
