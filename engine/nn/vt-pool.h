/* vt-pool.h: max and average pooling with their backward passes, on
 * planes: in (P, H, W) for P = N·C planes, out (P, OH, OW) with
 * OH = (H + 2 pad − kernel) / stride + 1 (floor, as PyTorch's default).
 * Backward passes accumulate (+=). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int  vt_pool_out_size              (int size, int kernel, int stride, int pad);

/* nn.MaxPool2d: −inf padding, pad ≤ kernel / 2; keeps argmax (P, OH, OW),
 * the index within its plane (y·W + x) of each output's input, the first
 * of equals, which is where the backward pass sends the gradient. */
void vt_maxpool_forward            (float *out, gint32 *argmax, const float *in, int planes,
                                    int h, int w, int kernel, int stride, int pad);
void vt_maxpool_backward           (float *din, const float *dout, const gint32 *argmax,
                                    int planes, int h, int w, int oh, int ow);

/* nn.AvgPool2d (count_include_pad=True, the default): each output the sum
 * of its window, zeros in the padding, over kernel². */
void vt_avgpool_forward            (float *out, const float *in, int planes, int h, int w,
                                    int kernel, int stride, int pad);
void vt_avgpool_backward           (float *din, const float *dout, int planes, int h, int w,
                                    int kernel, int stride, int pad);

/* The backward pass of the mean over HW (vt_global_avgpool, vt-ops.h):
 * din (P, HW) += dout (P) / HW. */
void vt_global_avgpool_backward    (float *din, const float *dout, int planes, int hw);

G_END_DECLS
