/* vt-checkpoint.h: an opened checkpoint, i.e. a table of named tensors that
 * view into memory-mapped safetensors files (one, or the shards of an index). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "core/vt-tensor.h"
#include "io/vt-tflite.h"

G_BEGIN_DECLS

#define VT_CHECKPOINT_ERROR (vt_checkpoint_error_quark ())
GQuark vt_checkpoint_error_quark (void);

typedef enum
{
  VT_CHECKPOINT_ERROR_OPEN,       /* cannot read the file */
  VT_CHECKPOINT_ERROR_INDEX,      /* a malformed shard index */
  VT_CHECKPOINT_ERROR_SHARD,      /* a shard missing, or lacking a tensor it should hold */
  VT_CHECKPOINT_ERROR_DUPLICATE,  /* one tensor name in two shards */
  VT_CHECKPOINT_ERROR_CONFIG,     /* config.json beside it does not parse */
  VT_CHECKPOINT_ERROR_CHANGED,    /* a file cut short or changed on disk while open */
} VtCheckpointError;

typedef struct _VtCheckpoint VtCheckpoint;

/* @path: a .safetensors file, a *.safetensors.index.json of a sharded
 * checkpoint, a folder holding either, or a TensorFlow Lite model (its
 * constant tensors, quantized ones dequantized to float32). */
VtCheckpoint   *vt_checkpoint_open            (const char    *path,
                                               GError       **error);
/* A checkpoint over bytes already in memory (tests, fuzzing); no config. */
VtCheckpoint   *vt_checkpoint_new_from_bytes  (GBytes        *bytes,
                                               const char    *name,
                                               GError       **error);

VtCheckpoint   *vt_checkpoint_ref             (VtCheckpoint  *self);
void            vt_checkpoint_unref           (VtCheckpoint  *self);

const char     *vt_checkpoint_get_path        (VtCheckpoint  *self);
guint64         vt_checkpoint_get_file_size   (VtCheckpoint  *self);
guint           vt_checkpoint_get_n_shards    (VtCheckpoint  *self);
guint           vt_checkpoint_get_n_tensors   (VtCheckpoint  *self);
const VtTensor *vt_checkpoint_get_tensor      (VtCheckpoint  *self,
                                               guint          index);
const VtTensor *vt_checkpoint_lookup          (VtCheckpoint  *self,
                                               const char    *name);
/* string -> string, from the first shard's __metadata__ */
GHashTable     *vt_checkpoint_get_metadata    (VtCheckpoint  *self);
/* config.json (Hugging Face, timm) or open_clip_config.json beside the
 * checkpoint, or NULL; and the file it came from. */
JsonObject     *vt_checkpoint_get_config      (VtCheckpoint  *self);
const char     *vt_checkpoint_get_config_path (VtCheckpoint  *self);
/* A TensorFlow Lite model's graph and quantization, or NULL for another
 * format. */
const VtTfliteModel *vt_checkpoint_get_tflite (VtCheckpoint *self);

/* Learnable parameters: elements of floating-point tensors, not counting
 * BatchNorm running statistics (buffers, not parameters, in PyTorch). */
guint64         vt_checkpoint_count_parameters (VtCheckpoint *self);
gboolean        vt_tensor_is_parameter        (const VtTensor *tensor);

/* FALSE, with VT_CHECKPOINT_ERROR_CHANGED naming the file, when a file of the
 * checkpoint was cut short while its weights were read (its bytes then
 * read as zeros instead of killing the process), or changed on disk since
 * it was opened. One stat per shard: call it before and after a forward
 * pass, and discard what a pass computed when it fails. */
gboolean        vt_checkpoint_check           (VtCheckpoint  *self,
                                               GError       **error);

/* Hex SHA-256 over the bytes of every shard, in order: what identifies the
 * weights in a feature store's cache key. Reads the whole file, seconds
 * for a large one; NULL with @error set when cancelled. */
char           *vt_checkpoint_sha256          (VtCheckpoint  *self,
                                               GCancellable  *cancellable,
                                               GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtCheckpoint, vt_checkpoint_unref)

G_END_DECLS
