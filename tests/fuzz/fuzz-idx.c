/* fuzz-idx.c: libFuzzer harness for IDX datasets (vt-idx.c), gzip'd or not.
 *
 * The input, cut at FUZZ_SPLIT, is the images file, the labels file and a
 * labels.txt beside them (each absent when the input has fewer cuts). Every
 * sample is decoded, so AddressSanitizer sees a read past the pixels. */
#include "fuzz-util.h"

#include "io/vt-dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *parts[3];
  size_t sizes[3];
  g_autofree char *images = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = NULL;
  guint sum = 0;

  fuzz_split (data, size, 3, parts, sizes);
  images = fuzz_write_file ("t10k-images-idx3-ubyte", parts[0], sizes[0]);
  g_free (fuzz_write_file ("t10k-labels-idx1-ubyte", parts[1], sizes[1]));
  g_free (fuzz_write_file ("labels.txt", parts[2], sizes[2]));

  dataset = vt_dataset_open (images, NULL, &error);
  if (dataset == NULL)
    {
      /* The message names the images file or the labels file beside it. */
      g_assert (fuzz_error_names (error, fuzz_temp_dir ()));
      return 0;
    }
  g_assert (g_strv_length (dataset->class_names) == dataset->n_classes);
  for (guint i = 0; i < dataset->n_samples; i++)
    {
      g_autoptr(GError) image_error = NULL;
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, i, &image_error);

      g_assert (image != NULL && dataset->labels[i] < dataset->n_classes);
      for (gsize j = 0; j < (gsize) image->width * image->height * 3; j++)
        sum += image->rgb[j];
    }
  return sum == G_MAXUINT;   /* keeps the reads */
}
