/* vt-trainable.h: a model whose forward pass keeps what its backward pass
 * needs, and the backward pass: the gradient of a scalar made from its
 * outputs with respect to the input image, any tap and any parameter.
 *
 * Families: CIFAR ResNet (option-A shortcuts), torchvision/timm ResNet
 * (BasicBlock, Bottleneck), timm ViT/DeiT (class token, distillation
 * token, average pooling), torchvision's ViT, OpenCLIP's ViT image tower
 * (its taps "visual.…", "image_embeds", "image_embeds_norm"; GELU or
 * QuickGELU) and Hugging Face CLIP's (taps "blocks.…", "pooled",
 * "image_embeds", "image_embeds_norm"). BatchNorm runs in eval mode (the running
 * statistics) by default, as the forward passes do, so gradients are those
 * of the model that infers; vt_trainable_set_batchnorm_training switches
 * the ResNets to training mode (batch statistics), as PyTorch's train().
 *
 * Why a model of its own beside vt-resnet.c and vt-vit.c, and not a
 * backward beside each: the inference passes fold BatchNorm into the
 * convolutions, reuse one buffer for every block and keep nothing; a
 * trainable pass must keep every activation (in a VtTape arena sized once
 * per batch shape) and read parameters that may change. They share the
 * kernels (vt_conv2d_forward, vt_linear_forward, engine/nn), so the forward
 * values agree (test-network-grad.c checks it), but not their buffers.
 *
 * Parameters keep their checkpoint names ("layer1.0.conv1.weight",
 * "blocks.11.norm1.weight"). Frozen ones are read from the checkpoint's
 * memory map; trainable ones are a value (a copy) and a gradient.
 * Gradients accumulate over backward passes until vt_trainable_zero_grad. */
#pragma once

#include "models/vt-architecture.h"
#include "models/vt-tape.h"

G_BEGIN_DECLS

typedef struct _VtTrainable VtTrainable;

/* Which parameters train (vt_trainable_set_part). */
typedef enum
{
  VT_TRAIN_NONE,          /* gradients for the input and taps only */
  VT_TRAIN_HEAD,          /* the classifier (fc, head, head_dist) */
  VT_TRAIN_LAST_BLOCKS,   /* the last N blocks, the final norm and the head */
  VT_TRAIN_NORMS,         /* every BatchNorm / LayerNorm weight and bias */
  VT_TRAIN_ALL,
} VtTrainPart;

typedef struct
{
  const char *name;
  guint       ndim;
  gint64      shape[4];
  gsize       numel;
  float      *value;      /* the checkpoint's values until it trains (then a copy) */
  float      *grad;       /* NULL unless trainable */
} VtTrainableParam;

/* NULL with VT_MODEL_ERROR_UNSUPPORTED for a family without a backward
 * pass (a CLIP text tower: vt_trainable_new_text; ModifiedResNet,
 * TensorFlow Lite). */
VtTrainable *vt_trainable_new             (VtCheckpoint          *checkpoint,
                                           const VtArchitecture  *arch,
                                           GError               **error);
/* The text tower of an OpenCLIP or Hugging Face CLIPModel checkpoint:
 * token ids in, taps "text.…", "text_embeds", "text_embeds_norm", pooled
 * at the largest id; the gradient with respect to the token embeddings is
 * that of "text.embed.tokens". */
VtTrainable *vt_trainable_new_text        (VtCheckpoint          *checkpoint,
                                           const VtArchitecture  *arch,
                                           GError               **error);
void         vt_trainable_free            (VtTrainable           *self);
/* A text tower's token embedding (vocab, C), whatever the layout calls it
 * ("token_embedding.weight", "text_model.embeddings.token_embedding.weight");
 * NULL for an image model. */
const VtTrainableParam *vt_trainable_get_token_embedding (VtTrainable *self);
gboolean     vt_trainable_supports        (const VtArchitecture  *arch);

/* Makes exactly the parameters of @part trainable (@n_blocks for
 * VT_TRAIN_LAST_BLOCKS), the others frozen; gradients start at zero. */
void         vt_trainable_set_part        (VtTrainable           *self,
                                           VtTrainPart            part,
                                           int                    n_blocks);
/* Makes one parameter trainable too; FALSE if there is none of that name. */
gboolean     vt_trainable_train_param     (VtTrainable           *self,
                                           const char            *name);
guint                    vt_trainable_get_n_params (VtTrainable  *self);
const VtTrainableParam  *vt_trainable_get_param    (VtTrainable  *self,
                                                    guint         index);
const VtTrainableParam  *vt_trainable_lookup_param (VtTrainable  *self,
                                                    const char   *name);
/* Where parameter @index sits, for a method that walks the model block by
 * block (vt-randomization.h): its block, 0 … vt_trainable_get_n_blocks − 1
 * (a ResNet's BasicBlock or Bottleneck "layer3.2", a ViT's "blocks.11"),
 * −1 for the stem before the first, vt_trainable_get_n_blocks for the
 * head and the final norm after the last; and whether it is a norm's scale
 * or shift (BatchNorm, LayerNorm). */
int          vt_trainable_get_n_blocks    (VtTrainable           *self);
int          vt_trainable_get_param_block (VtTrainable           *self,
                                           guint                  index);
gboolean     vt_trainable_param_is_norm   (VtTrainable           *self,
                                           guint                  index);
void         vt_trainable_zero_grad       (VtTrainable           *self);
/* Whether backward passes compute the input's gradient (on by default;
 * training needs only the parameters'). */
void         vt_trainable_set_input_gradient (VtTrainable        *self,
                                              gboolean            input);

/* BatchNorm in training mode (@training TRUE), as PyTorch's BatchNorm2d in
 * train(): forward passes normalize with the batch's statistics (mean and
 * biased variance per channel over B·H·W), backward passes go through
 * them, and each forward pass moves the running statistics towards the
 * batch's (momentum 0.1, the variance unbiased) and adds one to
 * num_batches_tracked. In eval mode (FALSE, the default) the running
 * statistics normalize and stay as they are: after training, the updated
 * ones. A model without BatchNorm (vt_trainable_has_batchnorm FALSE: the
 * ViTs) is the same in both modes. */
void         vt_trainable_set_batchnorm_training (VtTrainable    *self,
                                                  gboolean        training);
gboolean     vt_trainable_get_batchnorm_training (VtTrainable    *self);
gboolean     vt_trainable_has_batchnorm   (VtTrainable           *self);
/* What training mode changed besides the parameters: BatchNorm's
 * running_mean and running_var (float32) and num_batches_tracked (int64),
 * by checkpoint name without the prefix ("layer1.0.bn1.running_mean"),
 * viewing the live values; NULL for another name, or before training mode
 * first ran (they are the checkpoint's then). */
const VtTensor *vt_trainable_lookup_buffer (VtTrainable          *self,
                                            const char           *name);

/* Whether it takes @height × @width images. */
gboolean     vt_trainable_check_input     (VtTrainable           *self,
                                           int                    height,
                                           int                    width,
                                           GError               **error);
/* pixels (B, 3, H, W), normalized. Keeps every activation until the next
 * forward pass. */
gboolean     vt_trainable_forward         (VtTrainable           *self,
                                           const float           *pixels,
                                           int                    batch,
                                           int                    height,
                                           int                    width,
                                           GError               **error);
/* Token ids (B, L) through a text tower (vt_trainable_new_text); the ids
 * are checked against its vocabulary and L against its context. */
gboolean     vt_trainable_forward_text    (VtTrainable           *self,
                                           const gint64          *ids,
                                           int                    batch,
                                           int                    length,
                                           GError               **error);
/* The same with the token embeddings given, @embeddings (B, L, C), in
 * place of the rows the ids pick (prompt learning: learned context
 * vectors among fixed tokens); the ids still say where each text ends.
 * The gradient with respect to @embeddings is that of "text.embed.tokens";
 * the token embedding's own gets nothing from such a pass. */
gboolean     vt_trainable_forward_text_embedded (VtTrainable     *self,
                                                 const gint64    *ids,
                                                 const float     *embeddings,
                                                 int              batch,
                                                 int              length,
                                                 GError         **error);
/* Tap @name of the last forward pass ("logits", "pre_logits",
 * "layer3.out", "blocks.11.norm1", "input", …) or NULL: its value, and
 * its gradient from the last backward pass (of that pass alone). */
const VtTapeNode *vt_trainable_lookup_tap (VtTrainable           *self,
                                           const char            *name);
/* Every tap name, in forward order. */
GPtrArray   *vt_trainable_tap_names       (VtTrainable           *self);

/* Backward from tap @target with the gradient @dtarget (its shape): the
 * scalar is Σ dtarget · target. Parameter gradients add to what they hold. */
gboolean     vt_trainable_backward        (VtTrainable           *self,
                                           const char            *target,
                                           const float           *dtarget,
                                           GError               **error);
/* The bytes a forward and backward pass on @batch images take: the
 * activations and their gradients, and the trainable parameters' copies
 * and gradients. Forgets the last pass (call it first). For a text tower
 * @height is the sequences' length and @width 0. */
double       vt_trainable_bytes           (VtTrainable           *self,
                                           int                    batch,
                                           int                    height,
                                           int                    width);

/* Writes @checkpoint's tensors to @path (atomic), each trainable
 * parameter of @net replaced by its value and each BatchNorm statistic
 * that training mode moved by the moved one; @prefix ("module." or NULL)
 * is what the tensor names carry before the parameters' names. */
gboolean    vt_trainable_save              (VtTrainable           *net,
                                            VtCheckpoint          *checkpoint,
                                            const char            *prefix,
                                            const char            *path,
                                            GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTrainable, vt_trainable_free)

G_END_DECLS
