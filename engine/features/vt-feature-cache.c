/* vt-feature-cache.c: measuring and clearing the feature-store cache.
 *
 * The folder is opened once and every entry is looked at and removed
 * relative to it (fstatat, unlinkat, never following a link), so a link
 * inside cannot lead the clearing out of the folder, nor an entry swapped
 * for a link between the look and the removal. */
#include "vt-feature-cache.h"

#include "core/vt-atomic-file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What vt_feature_source_cache_name makes: 32 hex digits of a SHA-256. */
#define NAME_DIGITS 32
#define NAME_SUFFIX ".safetensors"

char *
vt_feature_cache_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "vitrine", "features", NULL);
}

/* The length of the store's name @name begins with, or 0. */
static gsize
store_name_length (const char *name)
{
  for (gsize i = 0; i < NAME_DIGITS; i++)
    if (!g_ascii_isxdigit (name[i]) || g_ascii_isupper (name[i]))
      return 0;
  return strncmp (name + NAME_DIGITS, NAME_SUFFIX, strlen (NAME_SUFFIX)) == 0
         ? NAME_DIGITS + strlen (NAME_SUFFIX) : 0;
}

static gboolean
is_partial_name (const char *name)
{
  gsize length = store_name_length (name);

  return length > 0 && g_str_has_prefix (name + length, VT_ATOMIC_FILE_PARTIAL) &&
         name[length + strlen (VT_ATOMIC_FILE_PARTIAL)] != '\0';
}

static gboolean
is_store_name (const char *name)
{
  gsize length = store_name_length (name);

  return length > 0 && name[length] == '\0';
}

gboolean
vt_feature_cache_owns_name (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);
  return is_store_name (name) || is_partial_name (name);
}

typedef enum
{
  ENTRY_FOREIGN,
  ENTRY_STORE,
  ENTRY_PARTIAL,
} EntryKind;

/* What the entry @name of the folder @fd is, by its name and, without
 * following a link, its type: only regular files are ours. */
static EntryKind
entry_kind (int          fd,
            const char  *name,
            struct stat *st)
{
  if (!vt_feature_cache_owns_name (name) || fstatat (fd, name, st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG (st->st_mode))
    return ENTRY_FOREIGN;
  return is_store_name (name) ? ENTRY_STORE : ENTRY_PARTIAL;
}

/* Opens @dir for reading its entries; NULL with *@missing where it does
 * not exist, NULL with @error where it cannot be read. */
static DIR *
open_cache (const char  *dir,
            gboolean    *missing,
            GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;

  *missing = fd < 0 && errno == ENOENT;
  if (fd < 0 && !*missing)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: cannot read the folder: %s", dir,
                   g_strerror (saved));
    }
  if (fd < 0)
    return NULL;
  if ((d = fdopendir (fd)) == NULL)
    {
      int saved = errno;
      close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: cannot read the folder: %s", dir,
                   g_strerror (saved));
    }
  return d;
}

gboolean
vt_feature_cache_measure (const char           *dir,
                          VtFeatureCacheUsage  *usage,
                          GError              **error)
{
  gboolean missing;
  DIR *d;
  struct dirent *entry;

  g_return_val_if_fail (dir != NULL && usage != NULL, FALSE);

  *usage = (VtFeatureCacheUsage) { 0 };
  if ((d = open_cache (dir, &missing, error)) == NULL)
    return missing;
  while ((entry = readdir (d)) != NULL)
    {
      struct stat st;
      EntryKind kind = entry_kind (dirfd (d), entry->d_name, &st);

      if (kind == ENTRY_FOREIGN)
        continue;
      if (kind == ENTRY_STORE)
        usage->n_stores++;
      else
        usage->n_partial++;
      usage->bytes += (guint64) st.st_blocks * 512;
    }
  closedir (d);
  return TRUE;
}

gboolean
vt_feature_cache_clear (const char  *dir,
                        gint64       partial_before,
                        guint       *removed,
                        GError     **error)
{
  gboolean missing, ok = TRUE;
  guint count = 0;
  DIR *d;
  struct dirent *entry;

  g_return_val_if_fail (dir != NULL, FALSE);

  if (removed)
    *removed = 0;
  if ((d = open_cache (dir, &missing, error)) == NULL)
    return missing;
  while (ok && (entry = readdir (d)) != NULL)
    {
      struct stat st;
      EntryKind kind = entry_kind (dirfd (d), entry->d_name, &st);
      gint64 changed;

      if (kind == ENTRY_FOREIGN)
        continue;
      changed = (gint64) st.st_ctim.tv_sec * G_USEC_PER_SEC + st.st_ctim.tv_nsec / 1000;
      if (kind == ENTRY_PARTIAL && changed >= partial_before)
        continue;
      /* unlinkat removes the entry itself: were it a link by now, the link */
      if (unlinkat (dirfd (d), entry->d_name, 0) == 0)
        count++;
      else if (errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s/%s: cannot remove it: %s", dir,
                       entry->d_name, g_strerror (saved));
          ok = FALSE;
        }
    }
  closedir (d);
  if (removed)
    *removed = count;
  return ok;
}
