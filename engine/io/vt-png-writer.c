/* vt-png-writer.c: PNG encoding into memory with libpng.
 *
 * libpng reports errors by longjmp to png_jmpbuf, as in the decoder
 * (vt-image-png.c); its output goes through a write callback into a
 * GByteArray. */
#include "vt-png-writer.h"
#include "core/vt-atomic-file.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

typedef struct
{
  GByteArray  *bytes;
  char         message[256];
} PngSink;

static void
png_write_memory (png_structp  png,
                  png_bytep    data,
                  size_t       length)
{
  PngSink *sink = png_get_io_ptr (png);

  g_byte_array_append (sink->bytes, data, (guint) length);
}

static void
png_flush_memory (png_structp png)
{
}

static void
png_error_handler (png_structp      png,
                   png_const_charp  message)
{
  PngSink *sink = png_get_error_ptr (png);

  g_strlcpy (sink->message, message, sizeof sink->message);
  png_longjmp (png, 1);
}

static void
png_warning_handler (png_structp      png,
                     png_const_charp  message)
{
}

GBytes *
vt_png_encode (const guint8  *pixels,
               int            width,
               int            height,
               VtPngFormat    format,
               const char    *name,
               GError       **error)
{
  PngSink sink = { g_byte_array_new (), "" };
  png_structp png;
  png_infop info = NULL;
  /* A mask is packed eight pixels a byte, most significant bit first. */
  guint8 *volatile packed = NULL;
  gsize row_bytes = format == VT_PNG_RGB ? (gsize) width * 3 : (gsize) width;

  g_return_val_if_fail (pixels != NULL && width > 0 && height > 0, NULL);

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &sink, png_error_handler, png_warning_handler);
  if (png == NULL || (info = png_create_info_struct (png)) == NULL)
    {
      png_destroy_write_struct (&png, NULL);
      g_byte_array_unref (sink.bytes);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "%s: out of memory for the PNG encoder", name);
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot encode the PNG: %s", name, sink.message);
      png_destroy_write_struct (&png, &info);
      g_free (packed);
      g_byte_array_unref (sink.bytes);
      return NULL;
    }
  png_set_write_fn (png, &sink, png_write_memory, png_flush_memory);
  png_set_IHDR (png, info, (png_uint_32) width, (png_uint_32) height, format == VT_PNG_MASK ? 1 : 8,
                format == VT_PNG_RGB ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (format == VT_PNG_MASK)
    packed = g_malloc0 ((gsize) (width + 7) / 8);
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * row_bytes;

      if (format == VT_PNG_MASK)
        {
          memset (packed, 0, (gsize) (width + 7) / 8);
          for (int x = 0; x < width; x++)
            if (row[x] != 0)
              packed[x / 8] |= (guint8) (0x80 >> (x % 8));
          png_write_row (png, packed);
        }
      else
        png_write_row (png, row);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_free (packed);
  return g_byte_array_free_to_bytes (sink.bytes);
}

gboolean
vt_png_write (const char    *path,
              const guint8  *pixels,
              int            width,
              int            height,
              VtPngFormat    format,
              GError       **error)
{
  g_autoptr(GBytes) bytes = vt_png_encode (pixels, width, height, format, path, error);
  gsize length;
  gconstpointer data;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &length);
  return vt_atomic_file_write (path, data, length, error);
}
