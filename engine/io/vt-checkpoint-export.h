/* vt-checkpoint-export.h: writing any checkpoint Vitrine reads (a .pth, a
 * sharded safetensors index, …) as one safetensors file. */
#pragma once

#include "vt-checkpoint.h"

G_BEGIN_DECLS

/* Writes every tensor of @checkpoint, in its order, to @path as
 * safetensors, with its metadata (and "format": "pt", which
 * safetensors.torch expects, where the metadata has no "format"). The
 * checkpoint's config (config.json or open_clip_config.json) goes beside
 * @path under the same name, so that the copy is recognized as the
 * original is; not when that is the original's own file. Both writes are
 * atomic. */
gboolean vt_checkpoint_export_safetensors (VtCheckpoint  *checkpoint,
                                           const char    *path,
                                           GError       **error);

G_END_DECLS
