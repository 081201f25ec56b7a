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

#define VT_TRANSFORM_ERROR (vt_transform_error_quark ())
GQuark vt_transform_error_quark (void);

typedef enum
{
  VT_TRANSFORM_ERROR_RANGE,    /* a number outside what the transform can use */
} VtTransformError;

/* The largest side a transform resizes to or crops to. */
#define VT_TRANSFORM_MAX_SIZE 4096

/* What normalization numbers may be, in config.json and specs alike: wide
 * enough for inputs in [0, 255] (std 1/255) and any published preset,
 * narrow enough that (x - mean) / std stays a finite float. */
#define VT_TRANSFORM_MEAN_MIN (-1000.0)
#define VT_TRANSFORM_MEAN_MAX 1000.0
#define VT_TRANSFORM_STD_MIN 1e-6
#define VT_TRANSFORM_STD_MAX 1000.0

typedef struct
{
  int         resize_size;     /* shorter side after resizing; 0 = no resize */
  int         crop_size;       /* the square crop: the model's input size */
  VtResample  interpolation;
  float       mean[3];         /* 0, 0, 0 and 1, 1, 1: no normalization */
  float       std[3];
  /* Resize the whole image to crop_size × crop_size instead, its aspect
   * ratio not kept (Coral's examples, Keras); resize_size is not used. */
  gboolean    resize_square;
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
/* What the transform makes of an image of @width × @height: *kept, the
 * share of the (resized) image inside the crop, 1 when nothing is cut
 * off; *scale, the resized image's pixels per original pixel along its
 * more shrunk side (0.1: ten times smaller, 1: not resized). The Predict
 * area warns with them when a photo is far from what the model takes. */
void     vt_transform_coverage              (const VtTransform     *transform,
                                             int                    width,
                                             int                    height,
                                             double                *kept,
                                             double                *scale);
/* *resize = floor(crop / crop_pct), as timm computes it, when crop_pct is
 * in (0, 1] and the result at most VT_TRANSFORM_MAX_SIZE; else FALSE with
 * an error that names @where (a file and JSON path) and the usable range.
 * The check comes first: 1e-9 used to reach the float-to-int conversion,
 * which is undefined beyond int's range. */
gboolean vt_transform_resize_for_crop_pct   (int                    crop,
                                             double                 crop_pct,
                                             const char            *where,
                                             int                   *resize,
                                             GError               **error);
/* out: (3, crop_size, crop_size) floats. */
void     vt_transform_apply                   (const VtTransform     *transform,
                                             const VtImage         *image,
                                             float                 *out);
/* The same crop, not normalized: out (3, crop_size, crop_size) in [0, 1],
 * the image a map is drawn over. */
void     vt_transform_apply_unnormalized      (const VtTransform     *transform,
                                             const VtImage         *image,
                                             float                 *out);
/* One line that identifies the transform, for metadata and cache keys:
 * "resize 256 bilinear, center crop 224, mean 0.485 0.456 0.406, std …". */
char  *vt_transform_describe                (const VtTransform     *transform);

G_END_DECLS
