/* vt-upsample.h: bilinear resizing of feature maps, F.interpolate(mode=
 * "bilinear", align_corners=False) to a given size, forward and backward:
 * in (P, H, W) -> out (P, OH, OW) for P = N·C planes. Source coordinates
 * are (o + 0.5) · H / OH − 0.5, clamped at 0, as PyTorch computes them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void vt_upsample_bilinear_forward  (float *out, const float *in, int planes, int h, int w,
                                    int oh, int ow);
/* din (P, H, W) += ∂ from dout (P, OH, OW) */
void vt_upsample_bilinear_backward (float *din, const float *dout, int planes, int h, int w,
                                    int oh, int ow);

G_END_DECLS
