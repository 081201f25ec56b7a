/* vt-transform.c: the eval transform. */
#include "vt-transform.h"
#include "io/vt-resize.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-transform-error-quark, vt_transform_error)

gboolean
vt_transform_resize_for_crop_pct (int          crop,
                                  double       crop_pct,
                                  const char  *where,
                                  int         *resize,
                                  GError     **error)
{
  /* Written so that NaN fails too. */
  double lowest = (double) crop / (VT_TRANSFORM_MAX_SIZE + 1);

  if (!(crop_pct > lowest && crop_pct <= 1.0))
    {
      g_set_error (error, VT_TRANSFORM_ERROR, VT_TRANSFORM_ERROR_RANGE,
                   "%s: crop_pct %g is out of range: with a crop of %d it must be above %g (a resize to at most %d) "
                   "and at most 1", where, crop_pct, crop, lowest, VT_TRANSFORM_MAX_SIZE);
      return FALSE;
    }
  *resize = (int) MIN (floor (crop / crop_pct), (double) VT_TRANSFORM_MAX_SIZE);
  return TRUE;
}

void
vt_transform_init_from_architecture (VtTransform          *transform,
                                     const VtArchitecture *arch)
{
  transform->resize_size = arch->resize_size;
  transform->crop_size = arch->image_size;
  transform->interpolation = arch->interpolation;
  transform->resize_square = arch->resize_square;
  memcpy (transform->mean, arch->mean, sizeof transform->mean);
  memcpy (transform->std, arch->std, sizeof transform->std);
}

/* The size an image of @w × @h has after the transform's resize, before
 * its crop: as vt_image_resize_shorter and vt_image_resize size it. */
static void
resized_size (const VtTransform *transform,
              gint64             w,
              gint64             h,
              gint64            *rw,
              gint64            *rh)
{
  gint64 size = transform->resize_size;

  *rw = w;
  *rh = h;
  if (transform->resize_square)
    *rw = *rh = transform->crop_size;
  else if (size > 0 && MIN (w, h) != size)
    {
      *rw = w <= h ? size : size * w / h;
      *rh = w <= h ? size * h / w : size;
    }
}

gboolean
vt_transform_check_image (const VtTransform  *transform,
                          const VtImage      *image,
                          const char         *name,
                          GError            **error)
{
  gint64 w = image->width, h = image->height, size = transform->resize_size;
  gint64 rw, rh;

  resized_size (transform, w, h, &rw, &rh);
  if (rw * rh > VT_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT,
                   "%s: resizing this %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT " image to %" G_GINT64_FORMAT
                   " pixels on its shorter side would make it %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                   ", beyond the %d-pixel limit: lower the transform's resize, or leave such images out",
                   name, w, h, size, rw, rh, VT_IMAGE_MAX_PIXELS);
      return FALSE;
    }
  return TRUE;
}

void
vt_transform_coverage (const VtTransform *transform,
                       int                width,
                       int                height,
                       double            *kept,
                       double            *scale)
{
  gint64 rw, rh;
  double c = transform->crop_size;

  resized_size (transform, width, height, &rw, &rh);
  /* A crop larger than the resized image pads it: everything is kept. */
  *kept = MIN (c, (double) rw) * MIN (c, (double) rh) / ((double) rw * (double) rh);
  *scale = MIN ((double) rw / width, (double) rh / height);
}

void
vt_transform_apply (const VtTransform *transform,
                    const VtImage     *image,
                    float             *out)
{
  g_autoptr(VtImage) resized = NULL;
  g_autoptr(VtImage) cropped = NULL;
  const VtImage *source = image;

  if (transform->resize_square && (image->width != transform->crop_size || image->height != transform->crop_size))
    source = resized = vt_image_resize (image, transform->crop_size, transform->crop_size, transform->interpolation);
  /* torchvision's Resize leaves an image already at the size untouched. */
  else if (!transform->resize_square && transform->resize_size > 0 && MIN (image->width, image->height) != transform->resize_size)
    source = resized = vt_image_resize_shorter (image, transform->resize_size, transform->interpolation);
  if (source->width != transform->crop_size || source->height != transform->crop_size)
    source = cropped = vt_image_center_crop (source, transform->crop_size, transform->crop_size);
  vt_image_to_tensor (source, transform->mean, transform->std, out);
}

void
vt_transform_apply_unnormalized (const VtTransform *transform,
                                 const VtImage     *image,
                                 float             *out)
{
  VtTransform plain = *transform;

  for (int c = 0; c < 3; c++)
    {
      plain.mean[c] = 0;
      plain.std[c] = 1;
    }
  vt_transform_apply (&plain, image, out);
}

char *
vt_transform_describe (const VtTransform *t)
{
  GString *text = g_string_new (NULL);
  const char *filter = t->interpolation == VT_RESAMPLE_BICUBIC ? "bicubic"
                     : t->interpolation == VT_RESAMPLE_LANCZOS ? "lanczos"
                     : "bilinear";

  if (t->resize_square)
    g_string_append_printf (text, "resize %d×%d %s, ", t->crop_size, t->crop_size, filter);
  else if (t->resize_size > 0)
    g_string_append_printf (text, "resize %d %s, ", t->resize_size, filter);
  if (!t->resize_square)
    g_string_append_printf (text, "center crop %d, ", t->crop_size);
  g_string_append_printf (text, "mean %.7g %.7g %.7g, std %.7g %.7g %.7g",
                          t->mean[0], t->mean[1], t->mean[2], t->std[0], t->std[1], t->std[2]);
  return g_string_free (text, FALSE);
}
