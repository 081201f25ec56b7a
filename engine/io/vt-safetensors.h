/* vt-safetensors.h: the safetensors format, parsed from bytes in memory.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON, then the data
 * buffer. Every tensor's data_offsets are relative to the buffer, and the
 * tensors tile it exactly: no gap, no overlap, nothing after the last. */
#pragma once

#include "core/vt-tensor.h"

G_BEGIN_DECLS

#define VT_SAFETENSORS_ERROR (vt_safetensors_error_quark ())
GQuark vt_safetensors_error_quark (void);

typedef enum
{
  VT_SAFETENSORS_ERROR_TRUNCATED,   /* shorter than its header says */
  VT_SAFETENSORS_ERROR_HEADER,      /* header length absurd or header not an object */
  VT_SAFETENSORS_ERROR_JSON,        /* header is not JSON */
  VT_SAFETENSORS_ERROR_DTYPE,       /* unknown dtype */
  VT_SAFETENSORS_ERROR_SHAPE,       /* bad shape, or shape does not match the byte span */
  VT_SAFETENSORS_ERROR_OFFSETS,     /* offsets out of range, reversed, overlapping, gapped */
  VT_SAFETENSORS_ERROR_METADATA,    /* __metadata__ not a map of strings */
  VT_SAFETENSORS_ERROR_FORMAT,      /* a file of another format (vt-file-format.h) */
} VtSafetensorsError;

/* The safetensors reference implementation refuses larger headers too. */
#define VT_SAFETENSORS_MAX_HEADER (100 * 1000 * 1000)

/* Parses @data (a whole file) named @filename in messages. On success
 * @tensors holds VtTensor* (free with vt_safetensors_tensor_free) in header
 * order, viewing into @data (free with vt_tensor_free), and @metadata maps
 * string to string. */
gboolean vt_safetensors_parse        (const guint8  *data,
                                      gsize          size,
                                      const char    *filename,
                                      GPtrArray    **tensors,
                                      GHashTable   **metadata,
                                      GError       **error);

/* The same checks on a file of @size bytes of which only the first
 * @available are at @data, as many as its header takes (8 + the length
 * in the first 8 bytes, at most 8 + VT_SAFETENSORS_MAX_HEADER), so that
 * a reader can read each tensor's bytes itself: @tensors' data are NULL,
 * and @offsets (guint64, one per tensor) say where each one's bytes start
 * in the file. */
gboolean vt_safetensors_parse_header (const guint8  *data,
                                      gsize          available,
                                      guint64        size,
                                      const char    *filename,
                                      GPtrArray    **tensors,
                                      GArray       **offsets,
                                      GHashTable   **metadata,
                                      GError       **error);

/* Writes @tensors (name, dtype, shape, data; ndim ≤ 8) to @path: header
 * padded to 8 bytes, tensors back to back in the given order; @metadata
 * (string -> string) may be NULL. Atomic: a temporary file renamed into
 * place. */
gboolean vt_safetensors_write        (const char              *path,
                                      guint                    n,
                                      const VtTensor * const  *tensors,
                                      GHashTable              *metadata,
                                      GError                 **error);

/* The same for float32 tensors given as parts: header padded to 8 bytes, tensors back
 * to back in the given order. @names, @shapes (ndims[i] sizes each) and
 * @data describe n tensors; @metadata (string -> string) may be NULL.
 * Atomic: a temporary file renamed into place. */
gboolean vt_safetensors_write_f32    (const char          *path,
                                      guint                n,
                                      const char * const  *names,
                                      const guint         *ndims,
                                      const gint64 * const *shapes,
                                      const float * const *data,
                                      GHashTable          *metadata,
                                      GError             **error);

G_END_DECLS
