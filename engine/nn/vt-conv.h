/* vt-conv.h: nn.Conv2d forward and backward, on a batch, with groups.
 *
 * in (N, C, H, W), w (K, C / groups, kh, kw), bias (K) or NULL,
 * out (N, K, OH, OW) with OH = (H + 2 pad - kh) / stride + 1 (and OW the
 * same over W): square stride and padding, zeros outside the image, as
 * every convolution of the models we run. groups divides C and K; groups =
 * C = K is a depthwise convolution. The forward pass keeps nothing: the
 * backward pass reads the input and the weight again.
 *
 * The fast path lowers each image and group to a product (im2col, then
 * OpenBLAS); the naive one sums every term in double. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int n, c, h, w;      /* input */
  int k, kh, kw;       /* output channels, kernel */
  int stride, pad, groups;
} VtConvShape;

int  vt_conv_shape_out_h      (const VtConvShape *s);
int  vt_conv_shape_out_w      (const VtConvShape *s);

void vt_conv_forward          (float *out, const float *in, const float *w, const float *bias,
                               const VtConvShape *s);
void vt_conv_forward_naive    (float *out, const float *in, const float *w, const float *bias,
                               const VtConvShape *s);

/* From dout (N, K, OH, OW): din (N, C, H, W) += ∂, dw (K, C / groups, kh,
 * kw) += ∂, dbias (K) += ∂; any of them may be NULL. */
void vt_conv_backward         (float *din, float *dw, float *dbias, const float *dout,
                               const float *in, const float *w, const VtConvShape *s);
void vt_conv_backward_naive   (float *din, float *dw, float *dbias, const float *dout,
                               const float *in, const float *w, const VtConvShape *s);

G_END_DECLS
