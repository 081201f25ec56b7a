/* vt-preprocess.h: a model's eval transform applied to an image: shorter
 * side to resize_size (Pillow's filter), center crop to image_size, scale to
 * [0, 1], normalize. What torchvision's Resize → CenterCrop → ToTensor →
 * Normalize produce on a PIL image. */
#pragma once

#include "io/vt-image.h"
#include "models/vt-architecture.h"

G_BEGIN_DECLS

/* out: (3, image_size, image_size) floats. */
void  vt_preprocess_image  (const VtArchitecture *arch,
                            const VtImage        *image,
                            float                *out);

G_END_DECLS
