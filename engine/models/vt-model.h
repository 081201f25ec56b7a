/* vt-model.h: a checkpoint bound to its architecture, ready to run.
 *
 * Families with a forward pass: CIFAR and torchvision/timm ResNets, timm
 * ViT/DeiT, torchvision ViT, OpenAI/OpenCLIP CLIP with a ViT or a
 * ModifiedResNet (RN50 and its kin) image tower, and Hugging Face's CLIP
 * (vision tower, and the text tower of a CLIPModel), and TensorFlow Lite
 * graphs in uint8 (vt-tflite-net.h). */
#pragma once

#include "models/vt-architecture.h"
#include "models/vt-taps.h"
#include "models/vt-weights.h"

G_BEGIN_DECLS

typedef struct _VtModel VtModel;

VtModel               *vt_model_new                (VtCheckpoint    *checkpoint,
                                                    GError         **error);
/* Reference-counted, so a worker thread can hold the model it runs. */
VtModel               *vt_model_ref                (VtModel         *self);
void                   vt_model_free               (VtModel         *self);   /* unref */
/* The checkpoint the weights live in (not a new reference). */
VtCheckpoint          *vt_model_get_checkpoint     (VtModel         *self);
const VtArchitecture  *vt_model_get_architecture   (VtModel         *self);
/* exp(logit_scale) when the model has both CLIP towers, else 0. */
float                  vt_model_get_logit_scale    (VtModel         *self);

/* pixels (B, 3, H, W), already preprocessed. */
VtTaps                *vt_model_forward            (VtModel         *self,
                                                    const float     *pixels,
                                                    int              batch,
                                                    int              height,
                                                    int              width,
                                                    VtTapFlags       flags,
                                                    GError         **error);
/* Token ids (B, L) for a CLIP text tower. */
VtTaps                *vt_model_forward_text       (VtModel         *self,
                                                    const gint64    *ids,
                                                    int              batch,
                                                    int              length,
                                                    VtTapFlags       flags,
                                                    GError         **error);

/* Whether the image tower takes @height × @width images; the error names
 * the checkpoint and the sizes it does take. */
gboolean               vt_model_check_input        (VtModel         *self,
                                                    int              height,
                                                    int              width,
                                                    GError         **error);
/* The bytes vt_model_forward and vt_model_forward_text allocate for a
 * batch (work arrays and taps), so that a caller can refuse a batch or an
 * input size that would not fit before it runs. */
double                 vt_model_forward_bytes      (VtModel         *self,
                                                    int              batch,
                                                    int              height,
                                                    int              width,
                                                    VtTapFlags       flags);
double                 vt_model_forward_text_bytes (VtModel         *self,
                                                    int              batch,
                                                    int              length,
                                                    VtTapFlags       flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtModel, vt_model_free)

G_END_DECLS
