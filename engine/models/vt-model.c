/* vt-model.c: dispatch to a family's forward pass. */
#include "vt-model.h"
#include "vt-resnet.h"
#include "vt-tflite-net.h"
#include "vt-vit.h"

#include <math.h>

struct _VtModel
{
  VtCheckpoint   *checkpoint;
  VtArchitecture *arch;
  VtResNet       *resnet;
  VtViT          *vit;
  VtTfliteNet    *tflite;
};

/* Where a family's checkpoint says how many heads a tower has, as a user
 * would write it beside the checkpoint. */
static const char *
heads_hint (const VtArchitecture *arch,
            gboolean              text)
{
  switch (arch->family)
    {
    case VT_ARCH_TIMM_VIT:
      return "a config.json beside the checkpoint with \"model_args\": {\"num_heads\": N} (timm's format)";
    case VT_ARCH_HF_CLIP:
      return text ? "the config.json beside the checkpoint: \"text_config\": {\"num_attention_heads\": N}"
                  : "the config.json beside the checkpoint: \"vision_config\": {\"num_attention_heads\": N}";
    case VT_ARCH_OPENCLIP:
      return text ? "an open_clip_config.json beside the checkpoint: \"model_cfg\": {\"text_cfg\": {\"heads\": N}}"
                  : "an open_clip_config.json beside the checkpoint: \"model_cfg\": {\"vision_cfg\": "
                    "{\"head_width\": W}} (the heads are the width / W)";
    case VT_ARCH_TORCHVISION_VIT:
      return "nowhere: torchvision keeps no config and its ViTs all have 64-wide heads, so this is no "
             "torchvision ViT; a timm ViT takes a config.json with \"model_args\": {\"num_heads\": N}";
    default:
      return "a config.json beside the checkpoint with \"num_attention_heads\": N";
    }
}

/* A tower whose width does not split into its heads: said with where the
 * count came from and how to give the right one, before a tower is bound. */
static gboolean
check_heads (const VtArchitecture  *arch,
             const char            *path,
             const char            *tower,
             int                    width,
             int                    heads,
             const char            *source,
             gboolean               text,
             GError               **error)
{
  if (width <= 0 || (heads > 0 && width % heads == 0))
    return TRUE;
  if (heads <= 0)
    g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                 "%s: nothing says how many attention heads the %s has (no config.json or metadata gives "
                 "them), and its width of %d is no multiple of 64 to assume 64-wide heads. Give the count in %s",
                 path, tower, width, heads_hint (arch, text));
  else
    g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                 "%s: the %s's width of %d does not split into %d attention heads (the count came from %s). "
                 "Give the right count in %s",
                 path, tower, width, heads, source ? source : "the checkpoint", heads_hint (arch, text));
  return FALSE;
}

/* The towers vt_vit_new binds: the image tower where it is a ViT, and the
 * text tower. */
static gboolean
check_vit_heads (const VtArchitecture  *arch,
                 const char            *path,
                 GError               **error)
{
  return (arch->patch_size == 0 ||
          check_heads (arch, path, "image tower", arch->width, arch->heads, arch->heads_source, FALSE, error)) &&
         (arch->text_width == 0 ||
          check_heads (arch, path, "text tower", arch->text_width, arch->text_heads,
                       "the config, or width / 64 without one", TRUE, error));
}

VtModel *
vt_model_new (VtCheckpoint  *checkpoint,
              GError       **error)
{
  const char *path = vt_checkpoint_get_path (checkpoint);

  g_autoptr(VtModel) self = g_atomic_rc_box_new0 (VtModel);

  self->checkpoint = vt_checkpoint_ref (checkpoint);
  self->arch = vt_architecture_recognize (checkpoint);
  if (self->arch->problem != NULL)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_CONFIG, "%s; correct it there, or remove it to use the "
                   "%s preset", self->arch->problem, self->arch->family_name);
      return NULL;
    }
  switch (self->arch->family)
    {
    case VT_ARCH_RESNET:
    case VT_ARCH_CIFAR_RESNET:
      self->resnet = vt_resnet_new (checkpoint, self->arch, error);
      return self->resnet && vt_checkpoint_check (checkpoint, error) ? g_steal_pointer (&self) : NULL;
    case VT_ARCH_TIMM_VIT:
    case VT_ARCH_TORCHVISION_VIT:
    case VT_ARCH_HF_CLIP:
      if (!check_vit_heads (self->arch, path, error))
        return NULL;
      self->vit = vt_vit_new (checkpoint, self->arch, error);
      return self->vit && vt_checkpoint_check (checkpoint, error) ? g_steal_pointer (&self) : NULL;
    case VT_ARCH_OPENCLIP:
      /* A ViT image tower and the text tower run in vt-vit, a ModifiedResNet image tower in vt-resnet. */
      /* A ModifiedResNet's attention pool is 32 times its stem's width. */
      if (self->arch->patch_size == 0 &&
          (!check_heads (self->arch, path, "attention pool", self->arch->width * 32, self->arch->heads,
                         self->arch->heads_source, FALSE, error) ||
           !(self->resnet = vt_resnet_new (checkpoint, self->arch, error))))
        return NULL;
      if ((self->arch->patch_size > 0 || self->arch->text_width > 0) &&
          (!check_vit_heads (self->arch, path, error) ||
           !(self->vit = vt_vit_new (checkpoint, self->arch, error))))
        return NULL;
      /* Building converts weights (F16, folded BatchNorm) read from the map. */
      return vt_checkpoint_check (checkpoint, error) ? g_steal_pointer (&self) : NULL;
    case VT_ARCH_TFLITE:
      self->tflite = vt_tflite_net_new (checkpoint, self->arch, error);
      return self->tflite ? g_steal_pointer (&self) : NULL;
    case VT_ARCH_UNKNOWN:
    default:
      break;
    }
  g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
               "%s: Vitrine has no forward pass for %s yet", vt_checkpoint_get_path (checkpoint),
               self->arch->family_name);
  return NULL;
}

static void
vt_model_finalize (VtModel *self)
{
  g_clear_pointer (&self->resnet, vt_resnet_free);
  g_clear_pointer (&self->vit, vt_vit_free);
  g_clear_pointer (&self->tflite, vt_tflite_net_free);
  g_clear_pointer (&self->arch, vt_architecture_free);
  g_clear_pointer (&self->checkpoint, vt_checkpoint_unref);
}

VtModel *
vt_model_ref (VtModel *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
vt_model_free (VtModel *self)
{
  if (self == NULL)
    return;
  g_atomic_rc_box_release_full (self, (GDestroyNotify) vt_model_finalize);
}

VtCheckpoint *
vt_model_get_checkpoint (VtModel *self)
{
  return self->checkpoint;
}

const VtArchitecture *
vt_model_get_architecture (VtModel *self)
{
  return self->arch;
}

float
vt_model_get_logit_scale (VtModel *self)
{
  return self->vit && vt_vit_has_text (self->vit) ? vt_vit_get_logit_scale (self->vit) : 0.0f;
}

/* NaN in an output is reported, not passed on as a number. The features
 * come before the logits: the first stage that went wrong is the one to
 * name. */
static VtTaps *
check_finite (VtTaps  *taps,
              GError **error)
{
  const char *outputs[] = { "pre_logits", "logits", "image_embeds", "text_embeds" };

  for (guint i = 0; taps && i < G_N_ELEMENTS (outputs); i++)
    {
      const VtTap *tap = vt_taps_lookup (taps, outputs[i]);
      gsize per_row = tap && tap->ndim > 0 && tap->shape[0] > 0 ? tap->numel / tap->shape[0] : 1;

      for (gsize j = 0; tap && j < tap->numel; j++)
        if (!isfinite (tap->data[j]))
          {
            g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                         "the output “%s” is %s for input %" G_GSIZE_FORMAT " of the batch (at its element %"
                         G_GSIZE_FORMAT "): a weight or an input value is NaN or infinite, or a value "
                         "overflowed. An inspect step counts each tensor's NaN and infinities",
                         outputs[i], isnan (tap->data[j]) ? "NaN" : "infinite", j / per_row, j % per_row);
            vt_taps_free (taps);
            return NULL;
          }
    }
  return taps;
}

/* What a pass returns: errors name the checkpoint that ran, and the taps
 * are kept only when every output is finite and the files are still the
 * ones opened. The weights are read from the checkpoint's memory map: one
 * cut short during the pass reads as zeros there (see vt-file-map.h). */
static VtTaps *
finish_pass (VtModel  *self,
             VtTaps   *taps,
             GError  **error)
{
  if (taps == NULL || (taps = check_finite (taps, error)) == NULL)
    {
      g_prefix_error (error, "%s: ", vt_checkpoint_get_path (self->checkpoint));
      return NULL;
    }
  /* Its message names the file. */
  if (!vt_checkpoint_check (self->checkpoint, error))
    g_clear_pointer (&taps, vt_taps_free);
  return taps;
}

VtTaps *
vt_model_forward (VtModel      *self,
                  const float  *pixels,
                  int           batch,
                  int           height,
                  int           width,
                  VtTapFlags    flags,
                  GError      **error)
{
  VtTaps *taps;

  if (!vt_checkpoint_check (self->checkpoint, error))
    return NULL;
  if (self->resnet)
    taps = vt_resnet_forward (self->resnet, pixels, batch, height, width, flags, error);
  else if (self->tflite)
    taps = vt_tflite_net_forward (self->tflite, pixels, batch, height, width, flags, error);
  else
    taps = vt_vit_forward_image (self->vit, pixels, batch, height, width, flags, error);
  return finish_pass (self, taps, error);
}

gboolean
vt_model_check_input (VtModel  *self,
                      int       height,
                      int       width,
                      GError  **error)
{
  gboolean ok = self->resnet ? vt_resnet_check_input (self->resnet, height, width, error)
              : self->tflite ? vt_tflite_net_check_input (self->tflite, height, width, error)
                             : vt_vit_check_input (self->vit, height, width, error);

  if (!ok)
    g_prefix_error (error, "%s: ", vt_checkpoint_get_path (self->checkpoint));
  return ok;
}

double
vt_model_forward_bytes (VtModel     *self,
                        int          batch,
                        int          height,
                        int          width,
                        VtTapFlags   flags)
{
  if (self->resnet)
    return vt_resnet_forward_bytes (self->resnet, batch, height, width, flags);
  if (self->tflite)
    return vt_tflite_net_forward_bytes (self->tflite, batch);
  return vt_vit_forward_image_bytes (self->vit, batch, height, width, flags);
}

double
vt_model_forward_text_bytes (VtModel     *self,
                             int          batch,
                             int          length,
                             VtTapFlags   flags)
{
  return self->vit ? vt_vit_forward_text_bytes (self->vit, batch, length, flags) : 0.0;
}

VtTaps *
vt_model_forward_text (VtModel       *self,
                       const gint64  *ids,
                       int            batch,
                       int            length,
                       VtTapFlags     flags,
                       GError       **error)
{
  if (self->vit == NULL)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s: this %s has no text tower",
                   vt_checkpoint_get_path (self->checkpoint), self->arch->family_name);
      return NULL;
    }
  if (!vt_checkpoint_check (self->checkpoint, error))
    return NULL;
  return finish_pass (self, vt_vit_forward_text (self->vit, ids, batch, length, flags, error), error);
}
