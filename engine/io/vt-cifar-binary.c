/* vt-cifar-binary.c: the "binary version" of CIFAR-10 and CIFAR-100.
 *
 * Records of a label byte (CIFAR-10) or a coarse and a fine label byte
 * (CIFAR-100), then 3072 pixel bytes: the red, green and blue 32x32 planes,
 * rows top to bottom. A file must hold a whole number of records. */
#include "vt-dataset-readers.h"

#include <string.h>

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)

gboolean
vt_dataset_read_cifar (VtDataset   *self,
                       char       **files,
                       gboolean     cifar100,
                       gboolean     coarse_labels,
                       GError     **error)
{
  gsize record = (cifar100 ? 2 : 1) + CIFAR_PIXELS;
  g_autoptr(GByteArray) pixels = g_byte_array_new ();
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint));
  guint max_label = 0;

  for (guint f = 0; files[f] != NULL; f++)
    {
      g_autofree char *contents = NULL;
      g_autoptr(GError) local_error = NULL;
      gsize size;

      if (!g_file_get_contents (files[f], &contents, &size, &local_error))
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s", local_error->message);
          return FALSE;
        }
      if (size == 0 || size % record != 0)
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                       "%s: not a CIFAR-%s binary file: %" G_GSIZE_FORMAT " bytes is not a whole number of "
                       "%" G_GSIZE_FORMAT "-byte records", files[f], cifar100 ? "100" : "10", size, record);
          return FALSE;
        }
      for (gsize offset = 0; offset < size; offset += record)
        {
          const guint8 *r = (const guint8 *) contents + offset;
          /* CIFAR-100 records start with the coarse label, then the fine one. */
          guint label = cifar100 ? (coarse_labels ? r[0] : r[1]) : r[0];

          g_array_append_val (labels, label);
          max_label = MAX (max_label, label);
          g_byte_array_append (pixels, r + (cifar100 ? 2 : 1), CIFAR_PIXELS);
        }
      g_ptr_array_add (self->sources, g_strdup (files[f]));
    }
  self->n_samples = labels->len;
  self->n_classes = max_label + 1;
  self->labels = (guint *) g_array_free (g_steal_pointer (&labels), FALSE);
  self->pixels = g_byte_array_free (g_steal_pointer (&pixels), FALSE);
  self->channels = 3;
  self->width = self->height = CIFAR_SIDE;
  return TRUE;
}
