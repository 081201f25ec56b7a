/* vt-image-jpeg.c: JPEG decoding with libjpeg(-turbo), the decoder Pillow
 * uses on Debian, so pixels agree exactly with a PyTorch pipeline.
 *
 * libjpeg's default error handler calls exit(); ours jumps back with the
 * message instead. Its "corrupt data" warnings (a truncated file decodes to
 * grey) are errors here too: a damaged image must not quietly become input. */
#include "vt-image-formats.h"

#include <setjmp.h>
#include <stdio.h>   /* jpeglib.h needs FILE */
#include <jpeglib.h>

typedef struct
{
  struct jpeg_error_mgr  manager;
  jmp_buf                escape;
  char                   message[JMSG_LENGTH_MAX];
} JpegError;

static void
jpeg_error_exit (j_common_ptr cinfo)
{
  JpegError *err = (JpegError *) cinfo->err;

  (*cinfo->err->format_message) (cinfo, err->message);
  longjmp (err->escape, 1);
}

static void
jpeg_emit_message (j_common_ptr cinfo,
                   int          level)
{
  JpegError *err = (JpegError *) cinfo->err;

  /* level -1 is a warning about corrupt data; others are trace output. */
  if (level < 0)
    {
      (*cinfo->err->format_message) (cinfo, err->message);
      longjmp (err->escape, 1);
    }
}

VtImage *
vt_image_decode_jpeg (const guint8  *data,
             gsize          size,
             const char    *name,
             GError       **error)
{
  struct jpeg_decompress_struct cinfo;
  JpegError err;
  VtImage *volatile image = NULL;

  cinfo.err = jpeg_std_error (&err.manager);
  err.manager.error_exit = jpeg_error_exit;
  err.manager.emit_message = jpeg_emit_message;
  if (setjmp (err.escape))
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT, "%s: damaged JPEG: %s", name, err.message);
      jpeg_destroy_decompress (&cinfo);
      vt_image_free (image);
      return NULL;
    }

  jpeg_create_decompress (&cinfo);
  jpeg_mem_src (&cinfo, data, size);
  jpeg_read_header (&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_FORMAT, "%s: CMYK JPEGs are not supported", name);
      jpeg_destroy_decompress (&cinfo);
      return NULL;
    }
  if (!vt_image_check_size (cinfo.image_width, cinfo.image_height, name, error))
    {
      jpeg_destroy_decompress (&cinfo);
      return NULL;
    }
  /* Grey becomes RGB, as Image.convert("RGB") does. */
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress (&cinfo);

  image = vt_image_new ((int) cinfo.output_width, (int) cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height)
    {
      JSAMPROW row = image->rgb + (gsize) cinfo.output_scanline * image->width * 3;
      jpeg_read_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  return image;
}
