/* vt-resize.h: image resizing exactly as Pillow does it (ImagingResample):
 * separable bilinear, bicubic (a = -0.5) or Lanczos (a = 3) filters, widened by the scale when
 * shrinking (antialiasing), coefficients in 22-bit fixed point, an 8-bit
 * intermediate between the horizontal and vertical passes. torchvision's
 * Resize on PIL images calls exactly this, so pixels agree with a PyTorch
 * pipeline to the value. */
#pragma once

#include "io/vt-image.h"

G_BEGIN_DECLS

typedef enum
{
  VT_RESAMPLE_BILINEAR,
  VT_RESAMPLE_BICUBIC,
  VT_RESAMPLE_LANCZOS,     /* Image.LANCZOS, what Coral's examples resize with */
} VtResample;

VtImage *vt_image_resize          (const VtImage *image,
                                   int            width,
                                   int            height,
                                   VtResample     filter);
/* torchvision.transforms.Resize(size): the shorter side becomes @size, the
 * other keeps the aspect ratio (truncated). */
VtImage *vt_image_resize_shorter  (const VtImage *image,
                                   int            size,
                                   VtResample     filter);
/* torchvision.transforms.CenterCrop: offsets rounded half to even, as
 * Python's round(); a crop larger than the image is padded with black. */
VtImage *vt_image_center_crop     (const VtImage *image,
                                   int            width,
                                   int            height);

G_END_DECLS
