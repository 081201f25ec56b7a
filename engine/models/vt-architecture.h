/* vt-architecture.h: which known model a checkpoint holds, and its
 * hyper-parameters, recognized from tensor names and shapes.
 *
 * Shapes say almost everything. What they cannot say (attention heads) comes
 * from a config.json beside the checkpoint, or from metadata the writer left
 * in the file, or else from the convention of 64-wide heads, and
 * heads_source says which. */
#pragma once

#include "io/vt-checkpoint.h"
#include "io/vt-resize.h"

G_BEGIN_DECLS

typedef enum
{
  VT_ARCH_UNKNOWN,
  VT_ARCH_TIMM_VIT,        /* timm VisionTransformer, DeiT (distilled too) */
  VT_ARCH_TORCHVISION_VIT, /* torchvision.models.VisionTransformer */
  VT_ARCH_OPENCLIP,        /* OpenAI / OpenCLIP CLIP: ViT or ModifiedResNet image tower */
  VT_ARCH_HF_CLIP,         /* Hugging Face CLIPModel / CLIPVisionModel */
  VT_ARCH_RESNET,          /* torchvision / timm ResNet */
  VT_ARCH_CIFAR_RESNET,    /* He et al.'s CIFAR ResNet, option-A shortcuts */
  VT_ARCH_TFLITE,          /* a TensorFlow Lite graph (vt-tflite-net.h) */
} VtArchFamily;

typedef struct
{
  VtArchFamily  family;
  char         *family_name;    /* "timm ViT", "CIFAR ResNet (option A)", … */
  char         *model_name;     /* a conventional name when one fits: "resnet20", "ViT-B/32" */
  char         *prefix;         /* stripped from every name: "module." or "" */

  /* 0 where unknown or not applicable. For CLIP these describe the image tower. */
  int           depth;          /* blocks (ViT) or weighted layers (ResNet) */
  int           width;          /* embedding width (ViT) or stem channels (ResNet) */
  int           heads;
  int           mlp_width;
  int           patch_size;
  int           image_size;
  int           num_classes;
  int           num_features;   /* width of the pre-logits feature */
  int           n_stages;
  int           stage_blocks[4];
  char         *block;          /* "BasicBlock", "Bottleneck" */
  char         *pooling;        /* "class token", "average", "class + distillation tokens", "attention pool" */
  const char   *heads_source;   /* "config.json", "checkpoint metadata", "assumed: width / 64" */
  gboolean      quick_gelu;     /* MLP activation x·σ(1.702x) (OpenAI CLIP) instead of exact GELU */

  /* CLIP only */
  int           embed_dim;      /* joint image-text space */
  int           text_depth;
  gboolean      text_quick_gelu;   /* the text tower's activation: Hugging Face configures it apart */
  int           text_width;
  int           text_heads;
  int           context_length;
  int           vocab_size;

  char        **class_names;    /* config.json, labels.txt beside it, CIFAR-10's; or NULL */

  /* Input normalization, (x / 255 - mean) / std per RGB channel: from a
   * config.json that states it, else the family's usual preset. */
  float         mean[3];
  float         std[3];
  const char   *normalization;  /* N_("ImageNet"), N_("OpenAI CLIP"), N_("0.5 (Inception)"), "config.json" */
  /* The eval transform: shorter side to resize_size, center crop to
   * image_size (resize_size = image_size / crop_pct, floored). */
  int           resize_size;
  VtResample    interpolation;
  /* Resize the whole image to image_size × image_size instead, not keeping
   * its aspect ratio (Coral's examples, Keras): no crop. */
  gboolean      resize_square;

  /* The first value of config.json that the model cannot use (a crop_pct,
   * mean or std out of range), naming the file and JSON path; the preset
   * stands in for it, and vt_model_new refuses the model with this. */
  char         *problem;
} VtArchitecture;

/* Never fails: an unrecognized checkpoint gives family VT_ARCH_UNKNOWN. */
VtArchitecture *vt_architecture_recognize  (VtCheckpoint          *checkpoint);
void            vt_architecture_free       (VtArchitecture        *arch);

/* The known hyper-parameters as (key, label, value) rows, for display and
 * results.json; the one place that lists them. */
typedef struct
{
  const char *key;              /* "depth" */
  const char *label;            /* untranslated, mark with N_: "Depth" */
  char       *value;            /* "12" */
  gboolean    translatable;     /* value is an N_() word ("average"), not a number or name */
} VtArchParam;

GPtrArray      *vt_architecture_describe   (const VtArchitecture  *arch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtArchitecture, vt_architecture_free)

G_END_DECLS
