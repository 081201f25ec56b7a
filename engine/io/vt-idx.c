/* vt-idx.c: the IDX format of MNIST and its family, gzip'd or not (zlib's
 * gzread reads both).
 *
 * A big-endian header: two zero bytes, a type byte (0x08 = unsigned byte,
 * the only one image datasets use), the number of dimensions, then each
 * dimension as a 32-bit count. Images are (N, H, W), labels (N). The data
 * must be exactly as long as the header says: a short file is truncated, a
 * long one is not the file its header describes. */
#include "vt-dataset-readers.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

typedef struct
{
  guint8   *data;
  guint32   dims[3];
  guint     n_dims;
} IdxArray;

static gboolean
idx_error (GError     **error,
           const char  *path,
           const char  *what)
{
  g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "%s: not a valid IDX file: %s", path, what);
  return FALSE;
}

static gboolean
read_exactly (gzFile        file,
              void         *out,
              gsize         size,
              const char   *path,
              const char   *what,
              GError      **error)
{
  guint8 *p = out;

  while (size > 0)
    {
      unsigned chunk = (unsigned) MIN (size, (gsize) G_MAXINT / 2);
      int got = gzread (file, p, chunk);
      if (got <= 0)
        {
          int code;
          const char *message = gzerror (file, &code);
          /* zlib puts the path in front of its message; ours is there already. */
          if (g_str_has_prefix (message, path) && g_str_has_prefix (message + strlen (path), ": "))
            message += strlen (path) + 2;
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "%s: truncated %s%s%s", path, what,
                       code != Z_OK ? ": " : "", code != Z_OK ? message : "");
          return FALSE;
        }
      p += got;
      size -= (gsize) got;
    }
  return TRUE;
}

static gboolean
read_idx (const char  *path,
          guint        n_dims,
          IdxArray    *array,
          GError     **error)
{
  gzFile file = gzopen (path, "rb");
  guint8 header[4], extra;
  guint8 counts[12];
  gsize total = 1;
  gboolean ok = FALSE;

  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (!read_exactly (file, header, 4, path, "header", error))
    goto out;
  if (header[0] != 0 || header[1] != 0)
    {
      idx_error (error, path, "wrong magic number (it must start with two zero bytes)");
      goto out;
    }
  if (header[2] != 0x08)
    {
      idx_error (error, path, "the values are not unsigned bytes (type 0x08)");
      goto out;
    }
  if (header[3] != n_dims)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: not a valid IDX file: %u dimensions where %s need %u",
                   path, header[3], n_dims == 3 ? "images" : "labels", n_dims);
      goto out;
    }
  if (!read_exactly (file, counts, 4 * n_dims, path, "header", error))
    goto out;
  for (guint d = 0; d < n_dims; d++)
    {
      array->dims[d] = GUINT32_FROM_BE (((guint32 *) counts)[d]);
      if (array->dims[d] == 0 || array->dims[d] > (1u << 24))
        {
          idx_error (error, path, "a dimension is zero or implausibly large");
          goto out;
        }
      total *= array->dims[d];
    }
  if (total > (gsize) 1 << 34)
    {
      idx_error (error, path, "the data would exceed 16 GiB");
      goto out;
    }
  array->n_dims = n_dims;
  array->data = g_try_malloc (total);
  if (array->data == NULL)
    {
      idx_error (error, path, "out of memory for its data");
      goto out;
    }
  if (!read_exactly (file, array->data, total, path, "data (fewer values than the header's counts)", error))
    goto out;
  if (gzread (file, &extra, 1) != 0)
    {
      idx_error (error, path, "more data than the header's counts");
      goto out;
    }
  ok = TRUE;

out:
  gzclose (file);
  if (!ok)
    g_clear_pointer (&array->data, g_free);
  return ok;
}

gboolean
vt_dataset_read_idx (VtDataset   *self,
                     const char  *images_path,
                     const char  *labels_path,
                     GError     **error)
{
  IdxArray images = { 0 }, labels = { 0 };
  guint max_label = 0;

  if (!read_idx (images_path, 3, &images, error))
    return FALSE;
  if (!read_idx (labels_path, 1, &labels, error))
    {
      g_free (images.data);
      return FALSE;
    }
  if (labels.dims[0] != images.dims[0])
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: %u labels for the %u images of %s", labels_path, labels.dims[0], images.dims[0], images_path);
      g_free (images.data);
      g_free (labels.data);
      return FALSE;
    }
  self->n_samples = images.dims[0];
  self->height = (int) images.dims[1];
  self->width = (int) images.dims[2];
  self->channels = 1;
  self->pixels = images.data;
  self->labels = g_new (guint, self->n_samples);
  for (guint i = 0; i < self->n_samples; i++)
    {
      self->labels[i] = labels.data[i];
      max_label = MAX (max_label, labels.data[i]);
    }
  self->n_classes = max_label + 1;
  g_free (labels.data);
  g_ptr_array_add (self->sources, g_strdup (images_path));
  g_ptr_array_add (self->sources, g_strdup (labels_path));
  return TRUE;
}
