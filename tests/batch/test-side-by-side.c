/* test-side-by-side.c: two runs at once in one process (as the window runs
 * an extraction beside a t-SNE) each give the results they give alone, and
 * neither waits on the other for ever; one cancelled stops within the
 * cancel bound, and the other still gives its lone results.
 *
 * The two share the engine's helper threads and OpenBLAS's one,
 * process-wide thread count; t-SNE cuts its sums by that count, so a run
 * that saw another's hold on it (vt_parallel_for_single_blas) laid its
 * points out differently. */
#include <cblas.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/vt-parallel.h"
#include "run/vt-run.h"
#include "vt-test-util.h"

/* How long two runs that each take a few seconds alone may take together
 * on a loaded two-core machine before the test calls it a deadlock. */
#define DEADLOCK_AFTER_US (240 * G_USEC_PER_SEC)

typedef struct
{
  const char    *what;
  const char    *json;
  char          *out;
  GCancellable  *cancellable;
  gboolean       ok;
  GError        *error;
  /* set under lock when the run returns */
  GMutex        *lock;
  GCond         *returned;
  gboolean       done;
} Run;

static void
execute (Run *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (r->json, NULL, &error);
  VtRunOptions options = { { NULL, NULL }, NULL, NULL };

  g_assert_no_error (error);
  r->ok = vt_run_execute (spec, r->out, &options, r->cancellable, &r->error);
}

static gpointer
run_thread (gpointer data)
{
  Run *r = data;

  execute (r);
  g_mutex_lock (r->lock);
  r->done = TRUE;
  g_cond_broadcast (r->returned);
  g_mutex_unlock (r->lock);
  return NULL;
}

static GThread *
start (Run *r)
{
  r->done = FALSE;
  return g_thread_new (r->what, run_thread, r);
}

/* Joins @thread once @r has returned; a run that has not by the deadline
 * is taken for a deadlock and fails the test, naming it. */
static void
finish (Run     *r,
        GThread *thread)
{
  gint64 deadline = g_get_monotonic_time () + DEADLOCK_AFTER_US;

  g_mutex_lock (r->lock);
  while (!r->done)
    if (!g_cond_wait_until (r->returned, r->lock, deadline))
      g_error ("the %s run has not returned after %d s beside the other one: a deadlock", r->what,
               (int) (DEADLOCK_AFTER_US / G_USEC_PER_SEC));
  g_mutex_unlock (r->lock);
  g_thread_join (thread);
}

/* results.json's text, but for the run's times and the folder it ran in. */
static char *
results_text (const char *out)
{
  g_autofree char *path = g_build_filename (out, "results.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GRegex) times = g_regex_new ("\"(started|seconds)\" : [^,\\n]*", 0, 0, NULL);
  g_autofree char *timeless = NULL;
  g_autoptr(GString) placeless = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    g_error ("%s was not written", path);
  timeless = g_regex_replace_literal (times, text, -1, 0, "\"\\1\" : -", 0, NULL);
  placeless = g_string_new (timeless);
  g_string_replace (placeless, out, "OUT", 0);
  return g_string_free (g_steal_pointer (&placeless), FALSE);
}

/* @out's results.json, times and folder aside, and every other file in it
 * but run.log (which is stamped with the time), byte for byte, are
 * @alone's. Returns how many files were compared. */
static guint
assert_same_results (const char *what,
                     const char *alone,
                     const char *out)
{
  g_autofree char *a = results_text (alone);
  g_autofree char *b = results_text (out);
  g_autoptr(GDir) dir = g_dir_open (alone, 0, NULL);
  const char *name;
  guint compared = 1;

  if (!g_str_equal (a, b))
    g_error ("%s: results.json beside the other run differs from the run alone:\n%s\n----\n%s", what, b, a);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *pa = g_build_filename (alone, name, NULL);
      g_autofree char *pb = g_build_filename (out, name, NULL);
      g_autofree char *ca = NULL;
      g_autofree char *cb = NULL;
      gsize la = 0, lb = 0;

      if (g_str_equal (name, "run.log") || g_str_equal (name, "results.json") ||
          g_file_test (pa, G_FILE_TEST_IS_DIR))
        continue;
      g_assert_true (g_file_get_contents (pa, &ca, &la, NULL));
      if (!g_file_get_contents (pb, &cb, &lb, NULL))
        g_error ("%s: %s was not written beside the other run", what, pb);
      if (la != lb || memcmp (ca, cb, la) != 0)
        g_error ("%s: %s differs from the run alone's %s", what, pb, pa);
      compared++;
    }
  return compared;
}

static gboolean
cancelled_task (gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  Run *r = data;

  r->cancellable = cancellable;
  execute (r);
  r->cancellable = NULL;
  if (!r->ok)
    g_propagate_error (error, g_steal_pointer (&r->error));
  return r->ok;
}

static void
test_extract_beside_tsne (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  g_autofree char *store = vt_test_fixture ("cil/train.safetensors");
  /* 200 images through ResNet-20, logits kept; 2,000 points by t-SNE
   * (Barnes-Hut), with the neighbourhood scores: each a second or a few. */
  g_autofree char *extract_json = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"%s\","
    " \"logits\": true}]}", ckpt, sample);
  g_autofree char *tsne_json = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"project\", \"id\": \"tsne\", \"store\": \"%s\", \"method\": \"tsne\","
    " \"iterations\": 500}]}", store);
  /* Long enough to be cancelled midway: 10,000 images, and t-SNE for
   * 20,000 iterations. */
  g_autofree char *long_extract_json = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"%s\","
    " \"split\": \"test\"}]}", ckpt, cifar);
  g_autofree char *long_tsne_json = g_strdup_printf (
    "{\"steps\": [{\"kind\": \"project\", \"id\": \"tsne\", \"store\": \"%s\", \"method\": \"tsne\","
    " \"iterations\": 20000}]}", store);
  GMutex lock;
  GCond returned;
  Run extract = { "extraction", extract_json, g_build_filename (dir, "extract-alone", NULL), NULL, FALSE, NULL,
                  &lock, &returned, FALSE };
  Run tsne = { "t-SNE", tsne_json, g_build_filename (dir, "tsne-alone", NULL), NULL, FALSE, NULL,
               &lock, &returned, FALSE };
  g_autofree char *extract_alone = NULL;
  g_autofree char *tsne_alone = NULL;
  GThread *a, *b;
  guint compared = 0;

  g_mutex_init (&lock);
  g_cond_init (&returned);

  /* Each alone. */
  execute (&extract);
  g_assert_no_error (extract.error);
  execute (&tsne);
  g_assert_no_error (tsne.error);
  extract_alone = g_steal_pointer (&extract.out);
  tsne_alone = g_steal_pointer (&tsne.out);

  /* Both at once, each on a thread of its own, as the window runs them. */
  extract.out = g_build_filename (dir, "extract-together", NULL);
  tsne.out = g_build_filename (dir, "tsne-together", NULL);
  a = start (&tsne);
  b = start (&extract);
  finish (&extract, b);
  finish (&tsne, a);
  g_assert_no_error (extract.error);
  g_assert_no_error (tsne.error);
  compared += assert_same_results ("extraction beside t-SNE", extract_alone, extract.out);
  compared += assert_same_results ("t-SNE beside an extraction", tsne_alone, tsne.out);

  /* A long extraction cancelled midway while the t-SNE runs: it stops in
   * time, and the t-SNE is as it is alone. */
  {
    Run cancelled = { "long extraction", long_extract_json, g_build_filename (dir, "extract-cancelled", NULL), NULL,
                      FALSE, NULL, &lock, &returned, FALSE };

    g_free (tsne.out);
    tsne.out = g_build_filename (dir, "tsne-beside-cancel", NULL);
    a = start (&tsne);
    vt_test_assert_cancels ("an extraction of 10,000 images beside a t-SNE", cancelled_task, &cancelled, 1500);
    finish (&tsne, a);
    g_assert_no_error (tsne.error);
    compared += assert_same_results ("t-SNE beside a cancelled extraction", tsne_alone, tsne.out);
    g_free (cancelled.out);
  }
  /* And the other way round: a long t-SNE cancelled beside the extraction. */
  {
    Run cancelled = { "long t-SNE", long_tsne_json, g_build_filename (dir, "tsne-cancelled", NULL), NULL,
                      FALSE, NULL, &lock, &returned, FALSE };

    g_free (extract.out);
    extract.out = g_build_filename (dir, "extract-beside-cancel", NULL);
    b = start (&extract);
    vt_test_assert_cancels ("a t-SNE of 20,000 iterations beside an extraction", cancelled_task, &cancelled, 500);
    finish (&extract, b);
    g_assert_no_error (extract.error);
    compared += assert_same_results ("extraction beside a cancelled t-SNE", extract_alone, extract.out);
    g_free (cancelled.out);
  }
  g_test_message ("side by side: %u files as each run gives them alone", compared);

  g_free (extract.out);
  g_free (tsne.out);
  g_mutex_clear (&lock);
  g_cond_clear (&returned);
  vt_test_rm_rf (dir);
}

/* Two threads' loops that hold OpenBLAS to one thread (as an extraction's
 * forward passes and a t-SNE's neighbour search do), over and over at the
 * same time, while a third thread (a run starting a t-SNE, which cuts its
 * sums by the count) asks for the engine's thread count: it is the one set
 * throughout, and afterwards OpenBLAS has it back. Each loop used to save
 * the count, set 1 and put the saved one back: the third thread was told
 * 1, and a loop that saved while the other held the count put back 1 for
 * good. */
typedef struct
{
  gint  holders_left;
  gint  asked;
  gint  wrong;
} HoldCheck;

static void
hold_chunk (gsize begin, gsize end, gpointer data)
{
  /* inside, the loop's own chunks count one thread, as OpenBLAS does */
  g_assert_cmpint (vt_parallel_threads (), ==, 1);
}

static gpointer
hold_loops (gpointer data)
{
  HoldCheck *check = data;

  for (int i = 0; i < 3000; i++)
    vt_parallel_for_single_blas (8, hold_chunk, NULL);
  g_atomic_int_add (&check->holders_left, -1);
  return NULL;
}

static gpointer
ask_count (gpointer data)
{
  HoldCheck *check = data;

  while (g_atomic_int_get (&check->holders_left) > 0)
    {
      g_atomic_int_inc (&check->asked);
      if (vt_parallel_threads () != 2)
        g_atomic_int_inc (&check->wrong);
    }
  return NULL;
}

static void
test_thread_count_kept (void)
{
  int before = openblas_get_num_threads ();
  HoldCheck check = { 2, 0, 0 };
  GThread *a, *b, *c;

  openblas_set_num_threads (2);
  c = g_thread_new ("ask", ask_count, &check);
  a = g_thread_new ("hold-a", hold_loops, &check);
  b = g_thread_new ("hold-b", hold_loops, &check);
  g_thread_join (a);
  g_thread_join (b);
  g_thread_join (c);
  g_test_message ("the count asked %d times while two threads held OpenBLAS to one, wrong %d times",
                  check.asked, check.wrong);
  g_assert_cmpint (check.wrong, ==, 0);
  g_assert_cmpint (openblas_get_num_threads (), ==, 2);
  g_assert_cmpint (vt_parallel_threads (), ==, 2);
  openblas_set_num_threads (before);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/side-by-side/thread-count-kept", test_thread_count_kept);
  g_test_add_func ("/side-by-side/extract-beside-tsne", test_extract_beside_tsne);
  return g_test_run ();
}
