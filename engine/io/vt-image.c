/* vt-image.c: images in memory, and choosing the decoder by the file's
 * signature (never its name). */
#include "vt-image-formats.h"
#include "vt-file.h"

#include <string.h>

G_DEFINE_QUARK (vt-image-error-quark, vt_image_error)

gboolean
vt_image_check_size (guint64      width,
                     guint64      height,
                     const char  *name,
                     GError     **error)
{
  /* Divided, not multiplied: two 32-bit sides multiply past 64 bits. */
  if (width == 0 || height == 0 || width > VT_IMAGE_MAX_PIXELS || height > VT_IMAGE_MAX_PIXELS / width)
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT,
                   "%s: %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT " pixels is empty or beyond the %d-pixel limit",
                   name, width, height, VT_IMAGE_MAX_PIXELS);
      return FALSE;
    }
  return TRUE;
}

VtImage *
vt_image_new (int width,
              int height)
{
  VtImage *image = g_new0 (VtImage, 1);

  image->width = width;
  image->height = height;
  image->rgb = g_malloc ((gsize) width * height * 3);
  return image;
}

VtImage *
vt_image_new_from_grey (const guint8 *grey,
                        int           width,
                        int           height)
{
  VtImage *image = vt_image_new (width, height);

  for (gsize i = 0; i < (gsize) width * height; i++)
    image->rgb[i * 3] = image->rgb[i * 3 + 1] = image->rgb[i * 3 + 2] = grey[i];
  return image;
}

VtImage *
vt_image_decode (const guint8  *data,
                 gsize          size,
                 const char    *name,
                 GError       **error)
{
  static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return vt_image_decode_jpeg (data, size, name, error);
  if (size >= 8 && memcmp (data, png_signature, 8) == 0)
    return vt_image_decode_png (data, size, name, error);
  if (size >= 2 && data[0] == 'B' && data[1] == 'M')
    return vt_image_decode_bmp (data, size, name, error);
  g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_FORMAT,
               "%s: not a JPEG, PNG or BMP image", name);
  return NULL;
}

VtImage *
vt_image_load (const char  *path,
               GError     **error)
{
  return vt_image_load_hashed (path, NULL, error);
}

VtImage *
vt_image_load_hashed (const char  *path,
                      guint8      *sha256,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size;

  if (!vt_file_get_contents (path, VT_IMAGE_MAX_FILE_SIZE, &contents, &size, &local_error))
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ, "%s", local_error->message);
      return NULL;
    }
  if (sha256 != NULL)
    {
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize length = 32;

      g_checksum_update (checksum, (const guchar *) contents, (gssize) size);
      g_checksum_get_digest (checksum, sha256, &length);
    }
  return vt_image_decode ((const guint8 *) contents, size, path, error);
}

void
vt_image_free (VtImage *image)
{
  if (image == NULL)
    return;
  g_free (image->rgb);
  g_free (image);
}

void
vt_image_to_tensor (const VtImage *image,
                    const float    mean[3],
                    const float    std[3],
                    float         *out)
{
  gsize plane = (gsize) image->width * image->height;

  for (int c = 0; c < 3; c++)
    for (gsize i = 0; i < plane; i++)
      out[c * plane + i] = ((float) image->rgb[i * 3 + c] / 255.0f - mean[c]) / std[c];
}
