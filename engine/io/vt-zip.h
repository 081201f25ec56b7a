/* vt-zip.h: the central directory of a zip archive in memory, for
 * torch.save's zip format, whose entries are stored uncompressed (and
 * aligned to 64 bytes) so that tensors can view into a mapping of the file.
 *
 * Only what such an archive needs: the end-of-central-directory record
 * (zip64 too, for files over 4 GiB), each entry's name, method, sizes and
 * local header. Compressed or encrypted entries are listed, and refused by
 * vt_zip_entry_data with a message naming them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_ZIP_ERROR (vt_zip_error_quark ())
GQuark vt_zip_error_quark (void);

typedef enum
{
  VT_ZIP_ERROR_TRUNCATED,    /* no end record, or a record past the end of the file */
  VT_ZIP_ERROR_MALFORMED,    /* a record with a wrong signature or inconsistent sizes */
  VT_ZIP_ERROR_COMPRESSED,   /* an entry that is compressed or encrypted */
} VtZipError;

typedef struct
{
  char    *name;
  guint16  method;         /* 0: stored */
  guint16  flags;
  guint64  size;           /* uncompressed */
  guint64  compressed_size;
  guint64  header_offset;  /* of the local file header */
} VtZipEntry;

/* The entries of the archive @data, in central-directory order; messages
 * start with "@filename: ". Free with g_array_unref. */
GArray       *vt_zip_read_directory  (const guint8      *data,
                                      gsize              size,
                                      const char        *filename,
                                      GError           **error);
/* The entry named @name, or NULL. */
const VtZipEntry *vt_zip_find        (GArray            *entries,
                                      const char        *name);
/* Where @entry's bytes lie in @data (entry->size of them), after its local
 * header; NULL with an error when they are compressed, encrypted, or run
 * past the end of the file. */
const guint8 *vt_zip_entry_data      (const guint8      *data,
                                      gsize              size,
                                      const VtZipEntry  *entry,
                                      const char        *filename,
                                      GError           **error);

G_END_DECLS
