/* vt-tflite-net.h: a TensorFlow Lite graph as a model family, beside
 * vt-resnet and vt-vit: what its architecture is, and its forward pass.
 *
 * The graph says what tensor names cannot: the input's size and
 * quantization (the preset transform: Pillow's LANCZOS to the input's
 * H×W, as Coral's examples resize, then (p - zero point) · scale), and its
 * head. A graph that ends in SOFTMAX is a classifier: "logits" is what
 * SOFTMAX takes, "pre_logits" what the last CONV_2D or FULLY_CONNECTED
 * before it takes (MobileNet V2: 1280 values after the average pool). Any
 * other graph is a feature extractor: "pre_logits" is its output (MobileNet
 * V1's embedding extractor: 1024 values), and it has no classes. Class
 * names come from imagenet_labels.txt or labels.txt beside the file; one
 * that does not name exactly the model's classes is refused, named.
 *
 * The forward pass runs the uint8 interpreter: the numbers TensorFlow
 * Lite's reference kernels give, dequantized. */
#pragma once

#include "models/vt-architecture.h"
#include "models/vt-taps.h"

G_BEGIN_DECLS

typedef struct _VtTfliteNet VtTfliteNet;

/* The labels files looked for beside a .tflite, in this order. */
#define VT_TFLITE_LABELS_FILES "imagenet_labels.txt", "labels.txt"

/* Fills @arch for the .tflite @checkpoint holds. A labels file of the
 * wrong length, or an input that is no RGB image, is arch->problem. */
void         vt_tflite_net_recognize      (VtCheckpoint          *checkpoint,
                                           VtArchitecture        *arch);

VtTfliteNet *vt_tflite_net_new            (VtCheckpoint          *checkpoint,
                                           const VtArchitecture  *arch,
                                           GError               **error);
void         vt_tflite_net_free           (VtTfliteNet           *self);

/* pixels (B, 3, H, W), each the dequantized input value (p - zero point) ·
 * scale, as the preset transform makes it; each is quantized back to the
 * input's uint8 (rounded, saturated) for the interpreter. Taps: "logits"
 * (classifiers), "pre_logits". Calls from several threads take turns. */
VtTaps      *vt_tflite_net_forward        (VtTfliteNet           *self,
                                           const float           *pixels,
                                           int                    batch,
                                           int                    height,
                                           int                    width,
                                           VtTapFlags             flags,
                                           GError               **error);
gboolean     vt_tflite_net_check_input    (VtTfliteNet           *self,
                                           int                    height,
                                           int                    width,
                                           GError               **error);
double       vt_tflite_net_forward_bytes  (VtTfliteNet           *self,
                                           int                    batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTfliteNet, vt_tflite_net_free)

G_END_DECLS
