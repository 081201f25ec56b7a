/* vt-preprocess.c: the eval transform. */
#include "vt-preprocess.h"

void
vt_preprocess_image (const VtArchitecture *arch,
                     const VtImage        *image,
                     float                *out)
{
  g_autoptr(VtImage) resized = NULL;
  g_autoptr(VtImage) cropped = NULL;

  /* torchvision's Resize leaves an image already at the size untouched. */
  if (MIN (image->width, image->height) != arch->resize_size)
    resized = vt_image_resize_shorter (image, arch->resize_size, arch->interpolation);
  cropped = vt_image_center_crop (resized ? resized : image, arch->image_size, arch->image_size);
  vt_image_to_tensor (cropped, arch->mean, arch->std, out);
}
