/* vt-transform.h: the eval transform that turns an image into model input,
 * exactly as torchvision's Resize → CenterCrop → ToTensor → Normalize does
 * on a PIL image: shorter side to resize_size with Pillow's filter, center
 * crop to crop_size, scale to [0, 1], (x - mean) / std per channel.
 *
 * A model's preset comes from its architecture (timm: bicubic, crop_pct
 * 0.9; torchvision: 256 → 224 bilinear; CLIP: bicubic to the input size;
 * CIFAR: none at 32); a spec can override any part of it. */
#pragma once

#include "io/vt-image.h"
#include "models/vt-architecture.h"

G_BEGIN_DECLS

typedef struct
{
  int         resize_size;     /* shorter side after resizing; 0 = no resize */
  int         crop_size;       /* the square crop: the model's input size */
  VtResample  interpolation;
  float       mean[3];         /* 0, 0, 0 and 1, 1, 1: no normalization */
  float       std[3];
} VtTransform;

void   vt_transform_init_from_architecture  (VtTransform           *transform,
                                             const VtArchitecture  *arch);
/* FALSE, with an error naming @name, when resizing @image would make more
 * pixels than a decoder takes (VT_IMAGE_MAX_PIXELS): the shorter side of a
 * very wide image, scaled up, scales the longer one by as much. */
gboolean vt_transform_check_image           (const VtTransform     *transform,
                                             const VtImage         *image,
                                             const char            *name,
                                             GError               **error);
/* out: (3, crop_size, crop_size) floats. */
void     vt_transform_apply                   (const VtTransform     *transform,
                                             const VtImage         *image,
                                             float                 *out);
/* One line that identifies the transform, for metadata and cache keys:
 * "resize 256 bilinear, center crop 224, mean 0.485 0.456 0.406, std …". */
char  *vt_transform_describe                (const VtTransform     *transform);

G_END_DECLS
