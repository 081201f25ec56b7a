/* vt-image-png.c: PNG decoding with libpng.
 *
 * libpng reports errors by longjmp to png_jmpbuf. A CRC error in a critical
 * chunk is an error (libpng's default); the read function errors at the end
 * of the data, so a truncated file is an error too. Transforms give what
 * Pillow's convert("RGB") gives: 16 bits keep the high byte, grey and
 * palette expand to RGB, alpha is dropped without compositing. */
#include "vt-image-formats.h"

#include <png.h>
#include <string.h>

typedef struct
{
  const guint8  *data;
  gsize          size;
  gsize          offset;
  char           message[256];
} PngSource;

static void
png_read_memory (png_structp  png,
                 png_bytep    out,
                 size_t       length)
{
  PngSource *source = png_get_io_ptr (png);

  if (length > source->size - source->offset)
    png_error (png, "the file ends early");
  memcpy (out, source->data + source->offset, length);
  source->offset += length;
}

static void
png_error_handler (png_structp      png,
                   png_const_charp  message)
{
  PngSource *source = png_get_error_ptr (png);

  g_strlcpy (source->message, message, sizeof source->message);
  png_longjmp (png, 1);
}

static void
png_warning_handler (png_structp      png,
                     png_const_charp  message)
{
  /* Ancillary-chunk trouble (a bad CRC in tEXt, say) does not touch pixels. */
}

VtImage *
vt_image_decode_png (const guint8  *data,
                     gsize          size,
                     const char    *name,
                     GError       **error)
{
  PngSource source = { data, size, 0, "" };
  png_structp png;
  png_infop info = NULL;
  VtImage *volatile image = NULL;
  png_bytep *volatile rows = NULL;
  png_uint_32 width, height;
  int bit_depth, color_type;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &source, png_error_handler, png_warning_handler);
  if (png == NULL || (info = png_create_info_struct (png)) == NULL)
    {
      png_destroy_read_struct (&png, NULL, NULL);
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ, "%s: out of memory for the PNG decoder", name);
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT, "%s: damaged PNG: %s", name, source.message);
      png_destroy_read_struct (&png, &info, NULL);
      g_free (rows);
      vt_image_free (image);
      return NULL;
    }
  png_set_read_fn (png, &source, png_read_memory);
  png_read_info (png, info);
  png_get_IHDR (png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
  if (!vt_image_check_size (width, height, name, error))
    {
      png_destroy_read_struct (&png, &info, NULL);
      return NULL;
    }

  png_set_strip_16 (png);
  png_set_strip_alpha (png);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
    {
      if (bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8 (png);
      png_set_gray_to_rgb (png);
    }
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
  if (png_get_rowbytes (png, info) != (gsize) width * 3)
    png_error (png, "unexpected pixel layout after conversion to RGB");

  image = vt_image_new ((int) width, (int) height);
  rows = g_new (png_bytep, height);
  for (png_uint_32 y = 0; y < height; y++)
    rows[y] = image->rgb + (gsize) y * width * 3;
  png_read_image (png, rows);
  png_read_end (png, NULL);
  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);
  return image;
}
