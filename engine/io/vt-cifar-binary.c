/* vt-cifar-binary.c: the "binary version" of CIFAR-10 and CIFAR-100.
 *
 * Records of a label byte (CIFAR-10) or a coarse and a fine label byte
 * (CIFAR-100), then 3072 pixel bytes: the red, green and blue 32x32 planes,
 * rows top to bottom. A file must hold a whole number of records, and the
 * records' count comes from the files' sizes, never from memory grown as
 * they are read. */
#include "vt-dataset-readers.h"
#include "vt-file.h"

#include <string.h>
#include <unistd.h>

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)

/* Records are read this many at a time. */
#define CIFAR_CHUNK_RECORDS 1024

gboolean
vt_dataset_read_cifar (VtDataset   *self,
                       char       **files,
                       gboolean     cifar100,
                       gboolean     coarse_labels,
                       GError     **error)
{
  gsize record = (cifar100 ? 2 : 1) + CIFAR_PIXELS;
  guint n_files = g_strv_length (files);
  g_autofree int *fds = g_new (int, MAX (n_files, 1));
  g_autofree gsize *sizes = g_new (gsize, MAX (n_files, 1));
  g_autofree guint8 *chunk = NULL;
  g_autofree guint *labels = NULL;
  g_autofree guint8 *pixels = NULL;
  guint64 n_records = 0;
  gsize done = 0;
  guint max_label = 0;
  gboolean ok = FALSE;

  for (guint f = 0; f < n_files; f++)
    fds[f] = -1;
  /* Every file's size first: the records are counted, and bounded, by what
   * the files hold before anything is allocated for them. */
  for (guint f = 0; f < n_files; f++)
    {
      g_autoptr(GError) local_error = NULL;
      struct stat st;

      fds[f] = vt_file_open (files[f], &st, &local_error);
      if (fds[f] < 0)
        {
          g_set_error_literal (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, local_error->message);
          goto out;
        }
      sizes[f] = (gsize) st.st_size;
      if (sizes[f] == 0 || sizes[f] % record != 0)
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                       "%s: not a CIFAR-%s binary file: %" G_GSIZE_FORMAT " bytes is not a whole number of "
                       "%" G_GSIZE_FORMAT "-byte records", files[f], cifar100 ? "100" : "10", sizes[f], record);
          goto out;
        }
      n_records += sizes[f] / record;
    }
  if (n_records * CIFAR_PIXELS > VT_DATASET_MAX_PIXEL_BYTES || n_records > G_MAXUINT)
    {
      g_autofree char *limit = g_format_size_full (VT_DATASET_MAX_PIXEL_BYTES, G_FORMAT_SIZE_IEC_UNITS);
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: %" G_GUINT64_FORMAT " CIFAR records are more than the %s a dataset in memory may take",
                   files[0], n_records, limit);
      goto out;
    }

  labels = g_new (guint, MAX (n_records, 1));
  pixels = g_malloc (MAX (n_records, 1) * CIFAR_PIXELS);
  chunk = g_malloc (CIFAR_CHUNK_RECORDS * record);
  for (guint f = 0; f < n_files; f++)
    {
      g_autoptr(GError) local_error = NULL;
      char extra;

      for (gsize left = sizes[f] / record; left > 0;)
        {
          gsize n = MIN (left, CIFAR_CHUNK_RECORDS);

          if (!vt_file_read_exactly (fds[f], chunk, n * record, files[f], &local_error))
            {
              g_set_error_literal (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, local_error->message);
              goto out;
            }
          for (gsize i = 0; i < n; i++, done++)
            {
              const guint8 *r = chunk + i * record;
              /* CIFAR-100 records start with the coarse label, then the fine one. */
              guint label = cifar100 ? (coarse_labels ? r[0] : r[1]) : r[0];

              labels[done] = label;
              max_label = MAX (max_label, label);
              memcpy (pixels + done * CIFAR_PIXELS, r + (cifar100 ? 2 : 1), CIFAR_PIXELS);
            }
          left -= n;
        }
      if (read (fds[f], &extra, 1) != 0)
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                       "%s: the file changed while being read; read it again once it is written", files[f]);
          goto out;
        }
      g_ptr_array_add (self->sources, g_strdup (files[f]));
    }
  self->n_samples = (guint) n_records;
  self->n_classes = max_label + 1;
  self->labels = g_steal_pointer (&labels);
  self->pixels = g_steal_pointer (&pixels);
  self->channels = 3;
  self->width = self->height = CIFAR_SIDE;
  ok = TRUE;

out:
  for (guint f = 0; f < n_files; f++)
    if (fds[f] >= 0)
      close (fds[f]);
  return ok;
}
