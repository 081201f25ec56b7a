/* vt-zip.c: see vt-zip.h. Record layouts from PKWARE's APPNOTE.TXT
 * (4.3.7 local header, 4.3.12 central directory, 4.3.14-16 end records). */
#include "vt-zip.h"

#include <string.h>

G_DEFINE_QUARK (vt-zip-error-quark, vt_zip_error)

#define EOCD_SIZE 22
#define EOCD64_LOCATOR_SIZE 20
#define EOCD64_SIZE 56
#define CENTRAL_SIZE 46
#define LOCAL_SIZE 30
/* The end record's comment is at most 65,535 bytes. */
#define EOCD_SEARCH (EOCD_SIZE + 65535)

static guint64
le (const guint8 *p,
    guint         n)
{
  guint64 v = 0;

  for (guint i = 0; i < n; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

static void
entry_clear (VtZipEntry *entry)
{
  g_free (entry->name);
}

/* The zip64 extended information extra field (ID 1) replaces each of the
 * 32-bit fields that hold 0xFFFFFFFF, in this order. */
static gboolean
read_zip64_extra (const guint8  *extra,
                  gsize          length,
                  VtZipEntry    *entry,
                  gboolean       size32_max,
                  gboolean       csize32_max,
                  gboolean       offset32_max)
{
  gsize at = 0;

  while (at + 4 <= length)
    {
      guint id = (guint) le (extra + at, 2);
      gsize n = (gsize) le (extra + at + 2, 2);
      const guint8 *p = extra + at + 4;
      gsize used = 0;

      if (n > length - at - 4)
        return FALSE;
      if (id == 1)
        {
          if (size32_max)
            {
              if (used + 8 > n)
                return FALSE;
              entry->size = le (p + used, 8), used += 8;
            }
          if (csize32_max)
            {
              if (used + 8 > n)
                return FALSE;
              entry->compressed_size = le (p + used, 8), used += 8;
            }
          if (offset32_max)
            {
              if (used + 8 > n)
                return FALSE;
              entry->header_offset = le (p + used, 8);
            }
          return TRUE;
        }
      at += 4 + n;
    }
  return !size32_max && !csize32_max && !offset32_max;
}

GArray *
vt_zip_read_directory (const guint8  *data,
                       gsize          size,
                       const char    *filename,
                       GError       **error)
{
  g_autoptr(GArray) entries = NULL;
  gsize eocd = G_MAXSIZE;
  guint64 count, dir_size, dir_offset;

  /* The end record is last, before a comment of any length. */
  if (size >= EOCD_SIZE)
    for (gsize at = size - EOCD_SIZE + 1; at-- > 0 && size - at <= EOCD_SEARCH;)
      if (memcmp (data + at, "PK\x05\x06", 4) == 0 && at + EOCD_SIZE + le (data + at + 20, 2) == size)
        {
          eocd = at;
          break;
        }
  if (eocd == G_MAXSIZE)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_TRUNCATED,
                   "%s: the zip archive has no end-of-central-directory record: the file is cut short "
                   "(an interrupted download or copy?)", filename);
      return NULL;
    }
  count = le (data + eocd + 10, 2);
  dir_size = le (data + eocd + 12, 4);
  dir_offset = le (data + eocd + 16, 4);

  /* zip64: the 32-bit fields saturate and a locator before the end record
   * points to a zip64 end record with the full values. */
  if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF)
    {
      guint64 at;

      if (eocd < EOCD64_LOCATOR_SIZE || memcmp (data + eocd - EOCD64_LOCATOR_SIZE, "PK\x06\x07", 4) != 0)
        {
          g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                       "%s: the zip archive's end record needs a zip64 locator, which is missing", filename);
          return NULL;
        }
      at = le (data + eocd - EOCD64_LOCATOR_SIZE + 8, 8);
      if (at > size || size - at < EOCD64_SIZE || memcmp (data + at, "PK\x06\x06", 4) != 0)
        {
          g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                       "%s: the zip64 end record is not where its locator says (byte %" G_GUINT64_FORMAT ")",
                       filename, at);
          return NULL;
        }
      count = le (data + at + 32, 8);
      dir_size = le (data + at + 40, 8);
      dir_offset = le (data + at + 48, 8);
    }

  if (dir_offset > size || dir_size > size - dir_offset)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_TRUNCATED,
                   "%s: the zip archive's central directory (%" G_GUINT64_FORMAT " bytes at byte %" G_GUINT64_FORMAT
                   ") runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                   filename, dir_size, dir_offset, size);
      return NULL;
    }
  /* Each entry takes at least CENTRAL_SIZE bytes: that bounds the count. */
  if (count > dir_size / CENTRAL_SIZE)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                   "%s: the zip archive claims %" G_GUINT64_FORMAT " entries in a directory of %" G_GUINT64_FORMAT
                   " bytes", filename, count, dir_size);
      return NULL;
    }

  entries = g_array_sized_new (FALSE, TRUE, sizeof (VtZipEntry), (guint) count);
  g_array_set_clear_func (entries, (GDestroyNotify) entry_clear);
  {
    const guint8 *p = data + dir_offset;
    const guint8 *end = p + dir_size;

    for (guint64 i = 0; i < count; i++)
      {
        VtZipEntry entry = { 0 };
        gsize name_length, extra_length, comment_length;
        guint64 size32, csize32, offset32;

        if ((gsize) (end - p) < CENTRAL_SIZE || memcmp (p, "PK\x01\x02", 4) != 0)
          {
            g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                         "%s: zip central directory entry %" G_GUINT64_FORMAT " is damaged", filename, i);
            return NULL;
          }
        name_length = (gsize) le (p + 28, 2);
        extra_length = (gsize) le (p + 30, 2);
        comment_length = (gsize) le (p + 32, 2);
        if ((gsize) (end - p) - CENTRAL_SIZE < name_length + extra_length + comment_length)
          {
            g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                         "%s: zip central directory entry %" G_GUINT64_FORMAT " runs past the directory",
                         filename, i);
            return NULL;
          }
        entry.flags = (guint16) le (p + 8, 2);
        entry.method = (guint16) le (p + 10, 2);
        csize32 = le (p + 20, 4);
        size32 = le (p + 24, 4);
        offset32 = le (p + 42, 4);
        entry.compressed_size = csize32;
        entry.size = size32;
        entry.header_offset = offset32;
        entry.name = g_strndup ((const char *) p + CENTRAL_SIZE, name_length);
        if (!read_zip64_extra (p + CENTRAL_SIZE + name_length, extra_length, &entry,
                               size32 == 0xFFFFFFFF, csize32 == 0xFFFFFFFF, offset32 == 0xFFFFFFFF))
          {
            g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                         "%s: zip entry “%s” lacks the zip64 sizes its record promises", filename, entry.name);
            g_free (entry.name);
            return NULL;
          }
        g_array_append_val (entries, entry);
        p += CENTRAL_SIZE + name_length + extra_length + comment_length;
      }
  }
  return g_steal_pointer (&entries);
}

const VtZipEntry *
vt_zip_find (GArray     *entries,
             const char *name)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const VtZipEntry *entry = &g_array_index (entries, VtZipEntry, i);
      if (g_str_equal (entry->name, name))
        return entry;
    }
  return NULL;
}

const guint8 *
vt_zip_entry_data (const guint8      *data,
                   gsize              size,
                   const VtZipEntry  *entry,
                   const char        *filename,
                   GError           **error)
{
  guint64 at = entry->header_offset, start;

  if (entry->method != 0)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_COMPRESSED,
                   "%s: zip entry “%s” is compressed (method %u); torch.save stores entries uncompressed, so "
                   "the archive was repacked: unpack it and zip it again with “zip -0”, or save it again with torch.save",
                   filename, entry->name, entry->method);
      return NULL;
    }
  if (entry->flags & 1)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_COMPRESSED,
                   "%s: zip entry “%s” is encrypted", filename, entry->name);
      return NULL;
    }
  if (entry->compressed_size != entry->size)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_MALFORMED,
                   "%s: zip entry “%s” is stored but its two sizes differ (%" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT ")",
                   filename, entry->name, entry->compressed_size, entry->size);
      return NULL;
    }
  if (at > size || size - at < LOCAL_SIZE || memcmp (data + at, "PK\x03\x04", 4) != 0)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_TRUNCATED,
                   "%s: zip entry “%s” has no local header at byte %" G_GUINT64_FORMAT, filename, entry->name, at);
      return NULL;
    }
  /* The local header's extra field may differ from the central one's
   * (torch pads it to align the data). */
  start = at + LOCAL_SIZE + le (data + at + 26, 2) + le (data + at + 28, 2);
  if (start > size || entry->size > size - start)
    {
      g_set_error (error, VT_ZIP_ERROR, VT_ZIP_ERROR_TRUNCATED,
                   "%s: zip entry “%s” (%" G_GUINT64_FORMAT " bytes at byte %" G_GUINT64_FORMAT
                   ") runs past the end of the file (%" G_GSIZE_FORMAT " bytes)",
                   filename, entry->name, entry->size, start, size);
      return NULL;
    }
  return data + start;
}
