/* test-feature-cache.c: the feature-store cache counts and clears only the
 * stores and temporary files Vitrine writes there; other files, folders and
 * links (whatever their names) stay, and what a link points to is never
 * touched. */
#include <glib/gstdio.h>

#include "core/vt-atomic-file.h"
#include "features/vt-feature-cache.h"
#include "vt-test-util.h"

#define STORE "0123456789abcdef0123456789abcdef.safetensors"
#define OTHER "fedcba9876543210fedcba9876543210.safetensors"

static void
test_names (void)
{
  g_assert_true (vt_feature_cache_owns_name (STORE));
  g_assert_true (vt_feature_cache_owns_name (STORE VT_ATOMIC_FILE_PARTIAL "Ab12Cd"));
  g_assert_false (vt_feature_cache_owns_name (STORE VT_ATOMIC_FILE_PARTIAL));
  g_assert_false (vt_feature_cache_owns_name ("0123456789ABCDEF0123456789abcdef.safetensors"));
  g_assert_false (vt_feature_cache_owns_name ("0123456789abcdef0123456789abcde.safetensors"));
  g_assert_false (vt_feature_cache_owns_name (STORE ".bak"));
  g_assert_false (vt_feature_cache_owns_name ("features.safetensors"));
  g_assert_false (vt_feature_cache_owns_name ("notes.txt"));
}

static gboolean
exists (const char *dir,
        const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_lstat (path, &st) == 0;
}

static void
test_measure_and_clear (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *outside = vt_test_tmpdir ();
  g_autofree char *target = vt_test_write_file (outside, OTHER, "not the cache's", 15);
  g_autofree char *link = g_build_filename (dir, OTHER, NULL);
  g_autofree char *folder = g_build_filename (dir, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.safetensors", NULL);
  g_autofree char *store = NULL, *old_partial = NULL, *young_partial = NULL, *mine = NULL, *in_folder = NULL;
  g_autoptr(GError) error = NULL;
  VtFeatureCacheUsage usage;
  guint removed = 99;
  char data[10000] = { 1 };

  store = vt_test_write_file (dir, STORE, data, sizeof data);
  old_partial = vt_test_write_file (dir, STORE VT_ATOMIC_FILE_PARTIAL "old123", data, 100);
  /* past the file system's clock tick, which can be coarse */
  g_usleep (50 * 1000);
  young_partial = vt_test_write_file (dir, OTHER VT_ATOMIC_FILE_PARTIAL "new456", data, 100);
  mine = vt_test_write_file (dir, "notes.txt", data, sizeof data);
  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  in_folder = vt_test_write_file (folder, STORE, data, 10);

  g_assert_true (vt_feature_cache_measure (dir, &usage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (usage.n_stores, ==, 1);
  g_assert_cmpuint (usage.n_partial, ==, 2);
  /* allocated blocks: at least the bytes written */
  g_assert_cmpuint (usage.bytes, >=, sizeof data + 200);
  g_assert_cmpuint (usage.bytes, <, sizeof data + 200 + 3 * 65536);

  /* the young temporary file may be an extraction's, still writing */
  {
    g_autofree char *young = g_build_filename (dir, OTHER VT_ATOMIC_FILE_PARTIAL "new456", NULL);
    GStatBuf st;
    g_assert_cmpint (g_stat (young, &st), ==, 0);
    g_assert_true (vt_feature_cache_clear (dir, (gint64) st.st_ctim.tv_sec * G_USEC_PER_SEC + st.st_ctim.tv_nsec / 1000,
                                           &removed, &error));
  }
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_false (exists (dir, STORE));
  g_assert_false (exists (dir, STORE VT_ATOMIC_FILE_PARTIAL "old123"));
  g_assert_true (exists (dir, OTHER VT_ATOMIC_FILE_PARTIAL "new456"));
  g_assert_true (exists (dir, "notes.txt"));
  g_assert_true (exists (dir, OTHER));   /* the link itself */
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (in_folder, G_FILE_TEST_IS_REGULAR));

  g_assert_true (vt_feature_cache_clear (dir, G_MAXINT64, &removed, &error));
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (vt_feature_cache_measure (dir, &usage, &error));
  g_assert_cmpuint (usage.n_stores + usage.n_partial, ==, 0);
  g_assert_cmpuint (usage.bytes, ==, 0);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));

  vt_test_rm_rf (dir);
  vt_test_rm_rf (outside);
}

/* No cache yet is an empty one; a cache path that is a file is an error
 * that names it. */
static void
test_missing_and_bad (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *none = g_build_filename (dir, "none", NULL);
  g_autofree char *file = vt_test_write_file (dir, "file", "x", 1);
  g_autoptr(GError) error = NULL;
  VtFeatureCacheUsage usage = { 7, 7, 7 };
  guint removed = 7;

  g_assert_true (vt_feature_cache_measure (none, &usage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (usage.n_stores + usage.n_partial + usage.bytes, ==, 0);
  g_assert_true (vt_feature_cache_clear (none, G_MAXINT64, &removed, &error));
  g_assert_cmpuint (removed, ==, 0);

  g_assert_false (vt_feature_cache_measure (file, &usage, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_assert_true (g_str_has_prefix (error->message, file));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (vt_feature_cache_clear (file, G_MAXINT64, &removed, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  vt_test_rm_rf (dir);
}

static void
test_dir (void)
{
  g_autofree char *dir = vt_feature_cache_dir ();
  g_autofree char *expected = g_build_filename (g_get_user_cache_dir (), "vitrine", "features", NULL);

  g_assert_cmpstr (dir, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/feature-cache/names", test_names);
  g_test_add_func ("/engine/feature-cache/measure-and-clear", test_measure_and_clear);
  g_test_add_func ("/engine/feature-cache/missing-and-bad", test_missing_and_bad);
  g_test_add_func ("/engine/feature-cache/dir", test_dir);
  return g_test_run ();
}
