/* vt-png-writer.h: writing 8-bit RGB images, grey images and binary masks
 * as PNG with libpng (the library the decoder uses), no Cairo, so that the
 * engine can write images (a generated dataset) on its own.
 *
 * The files carry no time or text chunk: the same pixels give the same
 * bytes, so a generated dataset can be compared file by file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VT_PNG_RGB,    /* (H, W, 3) bytes, 8-bit RGB */
  VT_PNG_GREY,   /* (H, W) bytes, 8-bit grey */
  VT_PNG_MASK,   /* (H, W) bytes, 0 or not: a 1-bit grey image, black and white */
} VtPngFormat;

/* The PNG file's bytes. Errors are G_FILE_ERROR (libpng fails only on
 * sizes it refuses or memory) and name @name. */
GBytes   *vt_png_encode  (const guint8  *pixels,
                          int            width,
                          int            height,
                          VtPngFormat    format,
                          const char    *name,
                          GError       **error);
/* Encodes and writes @path atomically (vt-atomic-file.h). */
gboolean  vt_png_write   (const char    *path,
                          const guint8  *pixels,
                          int            width,
                          int            height,
                          VtPngFormat    format,
                          GError       **error);

G_END_DECLS
