/* vt-resnet.h: ResNet forward passes: torchvision/timm (BasicBlock and
 * Bottleneck, 7×7 stem and max pool) and He et al.'s CIFAR ResNet with
 * option-A shortcuts. BatchNorm is folded into per-channel scale and shift
 * at load, which is exactly eval mode. */
#pragma once

#include "models/vt-architecture.h"
#include "models/vt-taps.h"

G_BEGIN_DECLS

typedef struct _VtResNet VtResNet;

VtResNet *vt_resnet_new      (VtCheckpoint          *checkpoint,
                              const VtArchitecture  *arch,
                              GError               **error);
void      vt_resnet_free     (VtResNet              *self);

/* pixels (B, 3, H, W), normalized. Taps: "logits", "pre_logits"; with
 * VT_TAP_BLOCKS also "stem.act" (timm), "stem.out", "layer1.out" …, "features". */
VtTaps   *vt_resnet_forward  (VtResNet              *self,
                              const float           *pixels,
                              int                    batch,
                              int                    height,
                              int                    width,
                              VtTapFlags             flags,
                              GError               **error);

/* Whether vt_resnet_forward takes images of @height × @width. */
gboolean  vt_resnet_check_input  (VtResNet          *self,
                                  int                height,
                                  int                width,
                                  GError           **error);
/* The bytes vt_resnet_forward allocates for @batch images of @height ×
 * @width with @flags: work buffers and taps. */
double    vt_resnet_forward_bytes (VtResNet          *self,
                                   int                batch,
                                   int                height,
                                   int                width,
                                   VtTapFlags         flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtResNet, vt_resnet_free)

G_END_DECLS
