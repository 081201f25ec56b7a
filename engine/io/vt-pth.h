/* vt-pth.h: PyTorch checkpoints (.pth, .pt, .th, .bin) written by torch.save,
 * parsed from bytes in memory (usually a mapping of the file).
 *
 * Two layouts. The zip format (PyTorch 1.6 and later): an uncompressed zip
 * holding PREFIX/data.pkl, the pickled object, and PREFIX/data/KEY, the raw
 * bytes of each storage. The legacy format (_use_new_zipfile_serialization
 * =False, and every file before 1.6): five pickles back to back (a magic
 * number, the protocol version 1001, the system's byte order and type
 * sizes, the object, the sorted storage keys), then each storage as an
 * int64 element count and its raw bytes.
 *
 * The pickles go through the restricted unpickler (vt-pickle.h), which
 * never runs anything. The object is searched for the state dict: itself,
 * or the first dict of tensors among nested dicts, level by level (so
 * {"state_dict": …, "best_prec1": …} gives its "state_dict"). Tensor names
 * are the state dict's keys as saved (DataParallel's "module." prefix
 * included, as the safetensors twins keep it). The other entries of the
 * dicts on the way become metadata, shown with the checkpoint. */
#pragma once

#include "core/vt-tensor.h"

G_BEGIN_DECLS

#define VT_PTH_ERROR (vt_pth_error_quark ())
GQuark vt_pth_error_quark (void);

typedef enum
{
  VT_PTH_ERROR_FORMAT,        /* not a torch.save file: no data.pkl, no magic number, big-endian */
  VT_PTH_ERROR_NO_STATE_DICT, /* no dict of tensors anywhere in the top levels */
  VT_PTH_ERROR_STORAGE,       /* a storage missing, short, or running past the end of the file */
  VT_PTH_ERROR_TENSOR,        /* a tensor outside its storage, of an unread type, or named twice */
} VtPthError;

/* Whether @data starts like a torch.save file (a zip, or a pickle of protocol 2 or later). */
gboolean vt_pth_detect (const guint8  *data,
                        gsize          size);

/* Parses @data (a whole file) named @filename in messages. On success
 * @tensors holds VtTensor* (free with vt_tensor_free) in the state dict's
 * order, viewing into @data or, for a tensor whose strides are not
 * contiguous, into a copy held in @buffers (GBytes); @metadata maps the
 * other entries' names to their values as text. */
gboolean vt_pth_parse  (const guint8  *data,
                        gsize          size,
                        const char    *filename,
                        GPtrArray    **tensors,
                        GHashTable   **metadata,
                        GPtrArray    **buffers,
                        GError       **error);

G_END_DECLS
