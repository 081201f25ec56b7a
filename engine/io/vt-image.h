/* vt-image.h: decoding images into 8-bit RGB, and turning them into model
 * input. JPEG through libjpeg(-turbo) and PNG through libpng, the decoders
 * Pillow uses on Debian, so pixels agree exactly with a PyTorch pipeline on
 * the same files; BMP by our own reader. The format is told by the
 * signature. Grey and palette images become RGB as convert("RGB") does. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VT_IMAGE_ERROR (vt_image_error_quark ())
GQuark vt_image_error_quark (void);

typedef enum
{
  VT_IMAGE_ERROR_READ,
  VT_IMAGE_ERROR_FORMAT,     /* not a format Vitrine decodes */
  VT_IMAGE_ERROR_CORRUPT,    /* truncated or damaged data */
} VtImageError;

/* Pillow refuses images above this many pixels as decompression bombs
 * (twice its MAX_IMAGE_PIXELS); so do we, before allocating. */
#define VT_IMAGE_MAX_PIXELS 178956970

/* The largest image file read: more than any image under the pixel limit
 * needs (a 32-bit BMP at the limit is 683 MiB), and a clear error for a
 * path that names something else, a disk image or a video. */
#define VT_IMAGE_MAX_FILE_SIZE ((gsize) 1 << 30)

typedef struct
{
  int     width;
  int     height;
  guint8 *rgb;       /* (H, W, 3) */
} VtImage;

/* FALSE, with an error naming @name, when the size is empty or above
 * VT_IMAGE_MAX_PIXELS. Decoders ask before they allocate. */
gboolean vt_image_check_size    (guint64      width,
                                 guint64      height,
                                 const char  *name,
                                 GError     **error);
/* Uninitialized pixels. */
VtImage *vt_image_new           (int          width,
                                 int          height);
/* Each grey value copied to R, G and B. */
VtImage *vt_image_new_from_grey (const guint8 *grey,
                                 int           width,
                                 int           height);
VtImage *vt_image_load          (const char  *path,
                                 GError     **error);
/* The same, and the SHA-256 of the file's bytes in @sha256 (32 bytes) once
 * they are read, even when they do not decode; left as it was when the
 * file cannot be read. */
VtImage *vt_image_load_hashed   (const char  *path,
                                 guint8      *sha256,
                                 GError     **error);
VtImage *vt_image_decode        (const guint8 *data,
                                 gsize         size,
                                 const char   *name,
                                 GError      **error);
void     vt_image_free          (VtImage     *image);

/* out (3, H, W) = (rgb / 255 - mean[c]) / std[c], as ToTensor + Normalize. */
void     vt_image_to_tensor     (const VtImage *image,
                                 const float    mean[3],
                                 const float    std[3],
                                 float         *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtImage, vt_image_free)

G_END_DECLS
