/* vt-comet-selector.h: COMET's selector S, a small convolutional
 * encoder–decoder with skip connections that gives one logit per pixel at
 * the input's resolution; the mask is m = σ(S(x)).
 *
 * With w the base width (16 by default), on x (B, 3, H, W), H and W
 * multiples of 4:
 *   e1 = relu(enc1(x))            3x3, 3 -> w,   (B, w, H, W)
 *   e2 = relu(enc2(e1))           3x3 stride 2,  (B, 2w, H/2, W/2)
 *   e3 = relu(enc3(e2))           3x3 stride 2,  (B, 4w, H/4, W/4)
 *   d2 = relu(dec2(up(e3))) + e2  3x3 after a bilinear ×2
 *   d1 = relu(dec1(up(d2))) + e1
 *   logits = head(d1)             1x1, w -> 1,   (B, 1, H, W)
 * every convolution with a bias, "up" F.interpolate(scale_factor=2,
 * mode="bilinear", align_corners=False). No BatchNorm: the selector is the
 * same network when it trains and when it draws the test split's masks.
 * tests/reference/make_comet_fixture.py builds the same module in PyTorch.
 *
 * Parameters are named as that module's state_dict ("enc1.weight", …). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_COMET_ERROR (vt_comet_error_quark ())
GQuark vt_comet_error_quark (void);

typedef enum
{
  VT_COMET_ERROR_INPUT,     /* an image size the networks cannot take */
  VT_COMET_ERROR_WEIGHTS,   /* a selector checkpoint missing a tensor or of another shape */
  VT_COMET_ERROR_TRAINING,  /* a loss that became NaN or infinite */
} VtCometError;

#define VT_COMET_SELECTOR_LAYERS 6

typedef struct
{
  const char *name;        /* "enc1", …, "head" */
  int         in, out, kernel, stride;
  float      *weight;      /* (out, in, kernel, kernel) */
  float      *bias;        /* (out) */
  float      *dweight;
  float      *dbias;
} VtCometConv;

typedef struct _VtCometSelector VtCometSelector;

/* Fresh weights, as PyTorch's nn.Conv2d initializes them (weight and bias
 * uniform in ±1/√fan_in), from @seed. */
VtCometSelector *vt_comet_selector_new    (int              width,
                                           guint32          seed);
/* Weights from a safetensors file with the module's names (the width read
 * from enc1.weight); NULL with an error naming the file and tensor. */
VtCometSelector *vt_comet_selector_open   (const char      *path,
                                           GError         **error);
void             vt_comet_selector_free   (VtCometSelector *self);

int              vt_comet_selector_get_width (VtCometSelector *self);
/* Layer @index (0 to VT_COMET_SELECTOR_LAYERS − 1) in forward order. */
VtCometConv     *vt_comet_selector_get_layer (VtCometSelector *self,
                                              int              index);
gsize            vt_comet_selector_n_params  (VtCometSelector *self);
void             vt_comet_selector_zero_grad (VtCometSelector *self);

gboolean         vt_comet_selector_check_input (int       height,
                                                int       width,
                                                GError  **error);
/* pixels (B, 3, H, W) -> logits (B, H, W), which the selector keeps (with
 * every activation) until the next forward pass. */
const float     *vt_comet_selector_forward  (VtCometSelector *self,
                                             const float     *pixels,
                                             int              batch,
                                             int              height,
                                             int              width);
/* From dlogits (B, H, W) of the last forward pass: the parameters'
 * gradients (+=). The input's gradient is not computed: x is data. */
void             vt_comet_selector_backward (VtCometSelector *self,
                                             const float     *dlogits);
/* Writes the weights as float32 safetensors (atomic). */
gboolean         vt_comet_selector_save     (VtCometSelector *self,
                                             const char      *path,
                                             GError         **error);
/* The bytes a forward and backward pass on @batch images of H × W take. */
double           vt_comet_selector_bytes    (int              width,
                                             int              batch,
                                             int              height,
                                             int              image_width);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtCometSelector, vt_comet_selector_free)

G_END_DECLS
