/* vt-preprocess.c: the eval transform. */
#include "vt-preprocess.h"

void
vt_preprocess_image (const VtArchitecture *arch,
                     const VtImage        *image,
                     float                *out)
{
  int shorter = MIN (image->width, image->height);
  g_autoptr(VtImage) resized = NULL;
  g_autoptr(VtImage) cropped = NULL;

  /* torchvision's Resize leaves an image already at the size untouched. */
  resized = shorter == arch->resize_size
            ? vt_image_center_crop (image, image->width, image->height)
            : vt_image_resize_shorter (image, arch->resize_size, arch->interpolation);
  cropped = vt_image_center_crop (resized, arch->image_size, arch->image_size);
  vt_image_to_tensor (cropped, arch->mean, arch->std, out);
}
