/* vt-file-format.h: telling what a file is from its first bytes, so that
 * a file of another format is named as what it is ("a TensorFlow Lite
 * model") rather than reported as a damaged safetensors file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the bytes at the start of a file (@size of them, as many as there
 * are up to 16) say it is, as a phrase for a message ("a PyTorch checkpoint
 * (torch.save's zip format)"), and how to turn it into safetensors in
 * @convert (may be NULL); or NULL for a format not known here. */
const char *vt_file_format_describe (const guint8  *data,
                                     gsize          size,
                                     const char   **convert);

G_END_DECLS
