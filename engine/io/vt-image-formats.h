/* vt-image-formats.h: the decoders behind vt_image_decode, one file each.
 * Private to engine/io. Each returns an 8-bit RGB image (grey and palette
 * expanded, alpha dropped, as Pillow's Image.convert("RGB") does) or sets a
 * VT_IMAGE_ERROR that names @name. */
#pragma once

#include "vt-image.h"

G_BEGIN_DECLS

VtImage *vt_image_decode_jpeg  (const guint8  *data,
                                gsize          size,
                                const char    *name,
                                GError       **error);
VtImage *vt_image_decode_png   (const guint8  *data,
                                gsize          size,
                                const char    *name,
                                GError       **error);
VtImage *vt_image_decode_bmp   (const guint8  *data,
                                gsize          size,
                                const char    *name,
                                GError       **error);

G_END_DECLS
