/* vt-idx.c: the IDX format of MNIST and its family, gzip'd or not (zlib's
 * gzread reads both).
 *
 * A big-endian header: two zero bytes, a type byte (0x08 = unsigned byte,
 * the only one image datasets use), the number of dimensions, then each
 * dimension as a 32-bit count. Images are (N, H, W), labels (N). The data
 * must be exactly as long as the header says: a short file is truncated, a
 * long one is not the file its header describes.
 *
 * The header's counts are never trusted for memory: an image may hold no
 * more pixels than the image decoders accept (a 256 KB gzip can hold one
 * 16384×16384 image), and the data is read piece by piece, so that a small
 * file claiming gigabytes fails before they are allocated. */
#include "vt-dataset-readers.h"
#include "vt-file.h"

#include <string.h>
#include <unistd.h>
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

/* The gzip'd data is read in pieces of this size, so that memory follows
 * what the stream really holds, not what its header claims. */
#define IDX_CHUNK ((gsize) 16 << 20)

static gboolean
read_idx (const char  *path,
          guint        n_dims,
          IdxArray    *array,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  struct stat st;
  gzFile file;
  guint8 header[4], extra;
  guint8 counts[12];
  guint64 total = 1;
  gsize have = 0, allocated = 0;
  gboolean ok = FALSE;
  int fd = vt_file_open (path, &st, &local_error);

  if (fd < 0)
    {
      g_set_error_literal (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, local_error->message);
      return FALSE;
    }
  file = gzdopen (fd, "rb");
  if (file == NULL)
    {
      close (fd);
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s: out of memory for zlib", path);
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
  /* One image may not hold more pixels than a decoder would accept. */
  if (n_dims == 3 && !vt_image_check_size (array->dims[2], array->dims[1], path, &local_error))
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "%s; an IDX file of images this "
                   "large is not a dataset Vitrine reads", local_error->message);
      goto out;
    }
  if (total > VT_DATASET_MAX_PIXEL_BYTES)
    {
      g_autofree char *limit = g_format_size_full (VT_DATASET_MAX_PIXEL_BYTES, G_FORMAT_SIZE_IEC_UNITS);
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: not a valid IDX file: its header's counts need %" G_GUINT64_FORMAT " bytes, more than "
                   "the %s a dataset in memory may take", path, total, limit);
      goto out;
    }
  /* Uncompressed, the file's size says at once whether the data is there. */
  if (gzdirect (file) && total > (guint64) st.st_size - 4 - 4 * n_dims)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: truncated data (fewer values than the header's counts): they need %" G_GUINT64_FORMAT
                   " bytes, the file holds %" G_GINT64_FORMAT " after its header",
                   path, total, (gint64) st.st_size - 4 - 4 * n_dims);
      goto out;
    }
  array->n_dims = n_dims;
  while (have < total)
    {
      gsize piece = (gsize) MIN (total - have, IDX_CHUNK);

      if (have + piece > allocated)
        {
          guint8 *grown;

          allocated = (gsize) MIN (total, MAX ((guint64) have + piece, (guint64) allocated * 2));
          grown = g_try_realloc (array->data, allocated);
          if (grown == NULL)
            {
              idx_error (error, path, "out of memory for its data");
              goto out;
            }
          array->data = grown;
        }
      if (!read_exactly (file, array->data + have, piece, path, "data (fewer values than the header's counts)", error))
        goto out;
      have += piece;
    }
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
