/* fuzz-util.c: the temp folder, writing inputs to it, and cutting them. */
#include "fuzz-util.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static char *temp_dir;

/* Removes the folder's files (the harnesses make no subfolders but one
 * level, which this also clears), then the folder. */
static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_dir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_temp_dir (void)
{
  if (temp_dir != NULL)
    remove_dir (temp_dir);
}

const char *
fuzz_temp_dir (void)
{
  if (temp_dir == NULL)
    {
      g_autoptr(GError) error = NULL;

      temp_dir = g_dir_make_tmp ("vitrine-fuzz-XXXXXX", &error);
      if (temp_dir == NULL)
        g_error ("cannot make a temp folder: %s", error->message);
      atexit (remove_temp_dir);
    }
  return temp_dir;
}

char *
fuzz_write_file (const char *name,
                 const void *data,
                 size_t      size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fuzz_temp_dir (), name, NULL);

  if (data == NULL)
    g_unlink (path);
  /* Not atomic and no fsync: nobody else reads the folder, and a sync per
   * input would make disk speed the fuzzer's. */
  else if (!g_file_set_contents_full (path, data, (gssize) size, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("cannot write %s: %s", path, error->message);
  return path;
}

guint
fuzz_split (const uint8_t  *data,
            size_t          size,
            guint           n_parts,
            const uint8_t **parts,
            size_t         *sizes)
{
  const size_t marker = strlen (FUZZ_SPLIT);
  guint n = 0;

  for (guint i = 0; i < n_parts; i++)
    {
      parts[i] = NULL;
      sizes[i] = 0;
    }
  while (n < n_parts)
    {
      const uint8_t *cut = n + 1 < n_parts ? memmem (data, size, FUZZ_SPLIT, marker) : NULL;

      parts[n] = data;
      sizes[n] = cut ? (size_t) (cut - data) : size;
      n++;
      if (cut == NULL)
        break;
      size -= (size_t) (cut - data) + marker;
      data = cut + marker;
    }
  return n;
}

const char *
fuzz_getenv (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_error ("%s is not set; run the fuzzers through meson test", name);
  return value;
}

gboolean
fuzz_error_names (const GError *error,
                  const char   *path)
{
  return error != NULL && g_str_has_prefix (error->message, path);
}
