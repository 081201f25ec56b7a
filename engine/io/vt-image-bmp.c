/* vt-image-bmp.c: Windows BMP decoding, the uncompressed kinds cameras,
 * scanners and the Coral samples write: 24 and 32 bits per pixel (BI_RGB,
 * or BI_BITFIELDS with the usual masks), and 8, 4 or 1 bits through a
 * palette. Rows are stored bottom-up unless the height is negative, each
 * padded to 4 bytes. Every size is checked against the data before a byte
 * is read, so a damaged header gives an error, never a read past the end. */
#include "vt-image-formats.h"

static guint32
read_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
read_u16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

static VtImage *
fail (GError     **error,
      const char  *name,
      const char  *what)
{
  g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT, "%s: damaged or unsupported BMP: %s", name, what);
  return NULL;
}

VtImage *
vt_image_decode_bmp (const guint8  *data,
                     gsize          size,
                     const char    *name,
                     GError       **error)
{
  guint32 pixel_offset, header_size, compression, n_colors;
  gint32 width, height;
  guint16 bpp;
  gboolean top_down;
  gsize stride, palette_offset = 0;
  VtImage *image;

  if (size < 14 + 40)
    return fail (error, name, "the file is shorter than its headers");
  pixel_offset = read_u32 (data + 10);
  header_size = read_u32 (data + 14);
  if (header_size < 40 || 14 + (gsize) header_size > size)
    return fail (error, name, "the info header is missing or truncated");
  width = (gint32) read_u32 (data + 18);
  height = (gint32) read_u32 (data + 22);
  bpp = read_u16 (data + 28);
  compression = read_u32 (data + 30);
  n_colors = read_u32 (data + 46);
  top_down = height < 0;
  if (height == G_MININT32 || width <= 0 || height == 0 || width > 65535 || ABS (height) > 65535)
    return fail (error, name, "the image size is invalid");
  height = ABS (height);
  if (!vt_image_check_size ((guint64) width, (guint64) height, name, error))
    return NULL;

  if (compression == 3 && (bpp == 32 || bpp == 24))
    {
      /* BI_BITFIELDS: only the standard B, G, R byte order is read. */
      gsize masks = header_size >= 52 ? 14 + 40 : 14 + header_size;
      if (masks + 12 > size || read_u32 (data + masks) != 0x00ff0000 ||
          read_u32 (data + masks + 4) != 0x0000ff00 || read_u32 (data + masks + 8) != 0x000000ff)
        return fail (error, name, "bit-field masks other than 8-bit R, G, B");
    }
  else if (compression != 0)
    return fail (error, name, "compressed (RLE) pixel data");
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32)
    return fail (error, name, "a pixel depth other than 1, 4, 8, 24 or 32 bits");
  if (bpp <= 8)
    {
      if (n_colors == 0 || n_colors > (1u << bpp))
        n_colors = 1u << bpp;
      palette_offset = 14 + (gsize) header_size;
      if (palette_offset + (gsize) n_colors * 4 > size)
        return fail (error, name, "the palette is truncated");
    }
  stride = (((gsize) width * bpp + 31) / 32) * 4;
  if (pixel_offset > size || (size - pixel_offset) / stride < (gsize) height)
    return fail (error, name, "the pixel data is truncated");

  image = vt_image_new (width, height);
  for (gint32 y = 0; y < height; y++)
    {
      const guint8 *row = data + pixel_offset + stride * (gsize) (top_down ? y : height - 1 - y);
      guint8 *out = image->rgb + (gsize) y * width * 3;

      for (gint32 x = 0; x < width; x++, out += 3)
        {
          const guint8 *bgr;
          if (bpp >= 24)
            bgr = row + (gsize) x * (bpp / 8);
          else
            {
              guint index = bpp == 8 ? row[x]
                          : bpp == 4 ? (row[x / 2] >> (x % 2 ? 0 : 4)) & 0xf
                          : (row[x / 8] >> (7 - x % 8)) & 1;
              /* An index past a short palette reads as black, as Pillow does. */
              if (index >= n_colors)
                {
                  out[0] = out[1] = out[2] = 0;
                  continue;
                }
              bgr = data + palette_offset + (gsize) index * 4;
            }
          out[0] = bgr[2];
          out[1] = bgr[1];
          out[2] = bgr[0];
        }
    }
  return image;
}
