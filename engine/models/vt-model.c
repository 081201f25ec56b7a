/* vt-model.c: dispatch to a family's forward pass. */
#include "vt-model.h"
#include "vt-resnet.h"
#include "vt-vit.h"

#include <math.h>

struct _VtModel
{
  VtCheckpoint   *checkpoint;
  VtArchitecture *arch;
  VtResNet       *resnet;
  VtViT          *vit;
};

VtModel *
vt_model_new (VtCheckpoint  *checkpoint,
              GError       **error)
{
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
      self->vit = vt_vit_new (checkpoint, self->arch, error);
      return self->vit && vt_checkpoint_check (checkpoint, error) ? g_steal_pointer (&self) : NULL;
    case VT_ARCH_OPENCLIP:
      /* A ViT image tower and the text tower run in vt-vit, a ModifiedResNet image tower in vt-resnet. */
      if (self->arch->patch_size == 0 && !(self->resnet = vt_resnet_new (checkpoint, self->arch, error)))
        return NULL;
      if ((self->arch->patch_size > 0 || self->arch->text_width > 0) &&
          !(self->vit = vt_vit_new (checkpoint, self->arch, error)))
        return NULL;
      /* Building converts weights (F16, folded BatchNorm) read from the map. */
      return vt_checkpoint_check (checkpoint, error) ? g_steal_pointer (&self) : NULL;
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

/* NaN in an output is reported, not passed on as a number. */
static VtTaps *
check_finite (VtTaps  *taps,
              GError **error)
{
  const char *outputs[] = { "logits", "pre_logits", "image_embeds", "text_embeds" };

  for (guint i = 0; taps && i < G_N_ELEMENTS (outputs); i++)
    {
      const VtTap *tap = vt_taps_lookup (taps, outputs[i]);
      for (gsize j = 0; tap && j < tap->numel; j++)
        if (!isfinite (tap->data[j]))
          {
            g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                         "the output “%s” holds NaN or infinity (element %" G_GSIZE_FORMAT ")", outputs[i], j);
            vt_taps_free (taps);
            return NULL;
          }
    }
  return taps;
}

/* The weights are read from the checkpoint's memory map: a checkpoint cut
 * short during the pass reads as zeros there (see vt-file-map.h), so what
 * the pass computed is only kept when the files are still the ones opened,
 * afterwards as before. */
static VtTaps *
check_weights (VtModel  *self,
               VtTaps   *taps,
               GError  **error)
{
  if (taps != NULL && !vt_checkpoint_check (self->checkpoint, error))
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
  else
    taps = vt_vit_forward_image (self->vit, pixels, batch, height, width, flags, error);
  return check_finite (check_weights (self, taps, error), error);
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
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s has no text tower",
                   self->arch->family_name);
      return NULL;
    }
  if (!vt_checkpoint_check (self->checkpoint, error))
    return NULL;
  return check_finite (check_weights (self, vt_vit_forward_text (self->vit, ids, batch, length, flags, error), error),
                       error);
}
