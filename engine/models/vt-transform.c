/* vt-transform.c: the eval transform. */
#include "vt-transform.h"
#include "io/vt-resize.h"

#include <string.h>

void
vt_transform_init_from_architecture (VtTransform          *transform,
                                     const VtArchitecture *arch)
{
  transform->resize_size = arch->resize_size;
  transform->crop_size = arch->image_size;
  transform->interpolation = arch->interpolation;
  memcpy (transform->mean, arch->mean, sizeof transform->mean);
  memcpy (transform->std, arch->std, sizeof transform->std);
}

void
vt_transform_apply (const VtTransform *transform,
                    const VtImage     *image,
                    float             *out)
{
  g_autoptr(VtImage) resized = NULL;
  g_autoptr(VtImage) cropped = NULL;
  const VtImage *source = image;

  /* torchvision's Resize leaves an image already at the size untouched. */
  if (transform->resize_size > 0 && MIN (image->width, image->height) != transform->resize_size)
    source = resized = vt_image_resize_shorter (image, transform->resize_size, transform->interpolation);
  if (source->width != transform->crop_size || source->height != transform->crop_size)
    source = cropped = vt_image_center_crop (source, transform->crop_size, transform->crop_size);
  vt_image_to_tensor (source, transform->mean, transform->std, out);
}

char *
vt_transform_describe (const VtTransform *t)
{
  GString *text = g_string_new (NULL);

  if (t->resize_size > 0)
    g_string_append_printf (text, "resize %d %s, ", t->resize_size,
                            t->interpolation == VT_RESAMPLE_BICUBIC ? "bicubic" : "bilinear");
  g_string_append_printf (text, "center crop %d, mean %.7g %.7g %.7g, std %.7g %.7g %.7g", t->crop_size,
                          t->mean[0], t->mean[1], t->mean[2], t->std[0], t->std[1], t->std[2]);
  return g_string_free (text, FALSE);
}
