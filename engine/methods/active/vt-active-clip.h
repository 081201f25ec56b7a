/* vt-active-clip.h: the CLIP checkpoint behind a feature store, which the
 * zero_shot and coop learners need: the store's features must be that
 * checkpoint's image embeddings (what extraction keeps of a CLIP image
 * tower), and the checkpoint must have the text tower the learners' head
 * comes from.
 *
 * Opened from the store's own record of where it came from (its source:
 * the checkpoint's path and SHA-256), and refused with an error that says
 * why when the store has no such record, the checkpoint is gone or has
 * changed since, it is no CLIP checkpoint with a text tower and a logit
 * scale, or the features are not its image embeddings. */
#pragma once

#include "features/vt-feature-store.h"
#include "models/vt-model.h"
#include "models/vt-tokenizer.h"

G_BEGIN_DECLS

typedef struct
{
  VtCheckpoint  *checkpoint;
  VtModel       *model;
  VtTokenizer   *tokenizer;
  char         **class_names;   /* the store's */
  guint          dim;           /* the joint embedding's size */
  char          *sha256;        /* the checkpoint's, as the store records it */
} VtActiveClip;

/* @store_path names the store in messages. Hashes the checkpoint (seconds
 * for a large one): call it off the main thread. */
VtActiveClip *vt_active_clip_open     (const VtFeatureStore  *store,
                                       const char            *store_path,
                                       GCancellable          *cancellable,
                                       GError               **error);
/* Whether @store (another one, a test split) was made by the same
 * checkpoint bytes; FALSE with @error naming @store_path if not. */
gboolean      vt_active_clip_check    (VtActiveClip          *self,
                                       const VtFeatureStore  *store,
                                       const char            *store_path,
                                       GError               **error);
void          vt_active_clip_free     (VtActiveClip          *self);

/* Whether the store's record says it was made by a CLIP image tower with
 * a text tower, from the checkpoint's architecture alone (no hashing):
 * what the Labeling area asks to offer the CLIP learners. */
gboolean      vt_active_clip_store_is_clip (const VtFeatureStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtActiveClip, vt_active_clip_free)

G_END_DECLS
