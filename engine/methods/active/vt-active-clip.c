/* vt-active-clip.c: opening and checking the CLIP checkpoint of a store. */
#include "vt-active-clip.h"
#include "vt-active-learner.h"
#include "models/vt-architecture.h"
#include "models/vt-predict.h"

void
vt_active_clip_free (VtActiveClip *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->class_names);
  g_free (self->sha256);
  g_clear_pointer (&self->tokenizer, vt_tokenizer_free);
  g_clear_pointer (&self->model, vt_model_free);
  g_clear_pointer (&self->checkpoint, vt_checkpoint_unref);
  g_free (self);
}

/* Both CLIP towers: an image tower into a joint embedding and a text tower. */
static gboolean
is_clip (const VtArchitecture *arch)
{
  return arch->embed_dim > 0 && arch->text_width > 0 && arch->text_depth > 0 && arch->context_length > 0;
}

gboolean
vt_active_clip_store_is_clip (const VtFeatureStore *store)
{
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtArchitecture) arch = NULL;

  if (store->source == NULL || store->source->checkpoint == NULL || *store->source->checkpoint == '\0')
    return FALSE;
  if (!(checkpoint = vt_checkpoint_open (store->source->checkpoint, NULL)))
    return FALSE;
  arch = vt_architecture_recognize (checkpoint);
  return is_clip (arch) && (guint) arch->embed_dim == store->dim;
}

VtActiveClip *
vt_active_clip_open (const VtFeatureStore  *store,
                     const char            *store_path,
                     GCancellable          *cancellable,
                     GError               **error)
{
  g_autoptr(VtActiveClip) self = g_new0 (VtActiveClip, 1);
  const VtFeatureSource *source = store->source;
  g_autofree char *sha256 = NULL;
  const VtArchitecture *arch;

  if (source == NULL || source->checkpoint == NULL || *source->checkpoint == '\0')
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s does not say which checkpoint made it: the zero_shot and coop learners need the CLIP "
                   "checkpoint whose image tower extracted the store", store_path);
      return NULL;
    }
  if (!(self->checkpoint = vt_checkpoint_open (source->checkpoint, error)))
    {
      g_prefix_error (error, "%s was extracted by %s, which the zero_shot and coop learners need: ", store_path,
                      source->checkpoint);
      return NULL;
    }
  if (!(sha256 = vt_checkpoint_sha256 (self->checkpoint, cancellable, error)))
    return NULL;
  if (source->checkpoint_sha256 == NULL || g_strcmp0 (sha256, source->checkpoint_sha256) != 0)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s has changed since it extracted %s (its SHA-256 differs): extract the store again",
                   source->checkpoint, store_path);
      return NULL;
    }
  if (!(self->model = vt_model_new (self->checkpoint, error)))
    {
      g_prefix_error (error, "%s (which extracted %s): ", source->checkpoint, store_path);
      return NULL;
    }
  arch = vt_model_get_architecture (self->model);
  if (!is_clip (arch) || !vt_zero_shot_supported (self->model))
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s was extracted by %s (%s), which is no CLIP checkpoint with a text tower and a logit scale: "
                   "the zero_shot and coop learners need one (linear and cosine learn on any features)",
                   store_path, source->checkpoint, arch->family_name);
      return NULL;
    }
  if (store->dim != (guint) arch->embed_dim)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s holds %u features per sample, not the %d of %s's image embeddings: the zero_shot and coop "
                   "learners compare image embeddings with text embeddings", store_path, store->dim,
                   arch->embed_dim, source->checkpoint);
      return NULL;
    }
  if (!(self->tokenizer = vt_predict_load_tokenizer (self->model, NULL, error)))
    return NULL;
  self->class_names = g_new0 (char *, store->n_classes + 1);
  for (guint c = 0; c < store->n_classes; c++)
    self->class_names[c] = g_strdup (store->class_names[c]);
  self->dim = store->dim;
  self->sha256 = g_steal_pointer (&sha256);
  return g_steal_pointer (&self);
}

gboolean
vt_active_clip_check (VtActiveClip          *self,
                      const VtFeatureStore  *store,
                      const char            *store_path,
                      GError               **error)
{
  if (store->source == NULL || g_strcmp0 (store->source->checkpoint_sha256, self->sha256) != 0)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s was not extracted by %s, the pool's checkpoint, as it is now", store_path,
                   vt_checkpoint_get_path (self->checkpoint));
      return FALSE;
    }
  return TRUE;
}
