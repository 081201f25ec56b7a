/* vt-test-util.c: test inputs. */
#include "vt-test-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sys/resource.h>
#include <string.h>

static char *
under_env (const char *variable,
           const char *relative)
{
  const char *root = g_getenv (variable);
  char *path;

  if (root == NULL)
    g_error ("%s is not set; run the tests through meson", variable);
  path = g_build_filename (root, relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_error ("Test input %s is missing (%s=%s)", path, variable, root);
  return path;
}

char *
vt_test_asset (const char *relative)
{
  return under_env ("VITRINE_SHARED_ASSETS", relative);
}

char *
vt_test_fixture (const char *relative)
{
  return under_env ("VITRINE_FIXTURES", relative);
}

char *
vt_test_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vitrine-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
vt_test_rm_rf (const char *path)
{
  /* A link is removed, never followed: what it points to is not ours. */
  GDir *dir = g_file_test (path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          vt_test_rm_rf (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_remove (path);
}

char *
vt_test_write_safetensors (const char *dir,
                           const char *name,
                           const char *header,
                           gsize       data_size)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  guint64 len = GUINT64_TO_LE (strlen (header));

  g_byte_array_append (bytes, (const guint8 *) &len, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  for (gsize i = 0; i < data_size; i++)
    {
      guint8 b = (guint8) (i * 37 + 11);
      g_byte_array_append (bytes, &b, 1);
    }
  g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
  return path;
}

char *
vt_test_write_truncated (const char *source,
                         const char *dir,
                         const char *name,
                         guint       numerator,
                         guint       denominator)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);
  gsize length;

  g_file_get_contents (source, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, contents, (gssize) (length / denominator * numerator), &error);
  g_assert_no_error (error);
  return path;
}

char *
vt_test_copy (const char *source,
              const char *dir,
              const char *name)
{
  return vt_test_write_truncated (source, dir, name, 1, 1);
}

char *
vt_test_write_file (const char *dir,
                    const char *name,
                    const void *data,
                    gsize       size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

char *
vt_test_nested_json (guint depth)
{
  char *text = g_malloc (2 * (gsize) depth + 1);

  memset (text, '[', depth);
  memset (text + depth, ']', depth);
  text[2 * (gsize) depth] = '\0';
  return text;
}

typedef struct
{
  GCancellable  *cancellable;
  guint          delay_ms;
  gint64         cancelled_at;   /* monotonic µs */
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *c = data;

  g_usleep ((gulong) c->delay_ms * 1000);
  c->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

double
vt_test_deadline_scale (void)
{
  const char *text = g_getenv ("VITRINE_DEADLINE_SCALE");
  double scale = text ? g_ascii_strtod (text, NULL) : 1.0;

  return scale >= 1.0 ? scale : 1.0;
}

gint64
vt_test_assert_cancels (const char *what,
                        VtTestTask  task,
                        gpointer    data,
                        guint       delay_ms)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Canceller canceller = { cancellable, delay_ms, 0 };
  gint64 started = g_get_monotonic_time (), returned, latency;
  GThread *thread = g_thread_new ("cancel", cancel_later, &canceller);
  gboolean finished = task (data, cancellable, &error);

  returned = g_get_monotonic_time ();
  g_thread_join (thread);
  latency = returned - canceller.cancelled_at;
  g_test_message ("%s: cancelled %.0f ms after the start, returned %.1f ms after the cancel", what,
                  (canceller.cancelled_at - started) / 1e3, latency / 1e3);
  if (finished)
    g_error ("%s ran to its end (%.0f ms) instead of stopping at the cancel after %u ms", what,
             (returned - started) / 1e3, delay_ms);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (latency >= VT_TEST_CANCEL_BOUND_US * vt_test_deadline_scale ())
    g_error ("%s took %.1f ms to stop after the cancel; at most %.0f ms", what, latency / 1e3,
             VT_TEST_CANCEL_BOUND_US * vt_test_deadline_scale () / 1000);
  return latency;
}

void
vt_test_limit_memory (gsize extra)
{
  g_autofree char *status = NULL;
  const char *line;
  struct rlimit limit;
  guint64 kib;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmSize:");
  g_assert_nonnull (line);
  kib = g_ascii_strtoull (line + strlen ("VmSize:"), NULL, 10);
  g_assert_cmpuint (kib, >, 0);
  g_assert_cmpint (getrlimit (RLIMIT_AS, &limit), ==, 0);
  limit.rlim_cur = kib * 1024 + extra;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
}

void
vt_test_unlimit_memory (void)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_AS, &limit), ==, 0);
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
}

double
vt_test_relative_difference (const float *ours,
                             const float *ref,
                             gsize        n)
{
  double diff = 0.0, scale = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      diff = MAX (diff, fabs ((double) ours[i] - ref[i]));
      scale = MAX (scale, fabs ((double) ref[i]));
    }
  return scale > 0.0 ? diff / scale : diff;
}
