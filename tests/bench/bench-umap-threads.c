/* bench-umap-threads.c: UMAP's layout on one thread (umap-learn's own
 * sequential loop, the reference) against the same on THREADS slices, in
 * one process, one after the other, on the first N samples of a store.
 *
 *   bench-umap-threads STORE N [THREADS] [EPOCHS]
 *
 * Prints one JSON line: each run's wall and CPU seconds from the end of the
 * neighbour search to the end of the epochs (the fuzzy graph, the PCA
 * start and the epochs; the epochs are most of it, and the search is the
 * same code in both), the ratio, and both layouts'
 * leave-one-out 10-NN accuracy against the store's labels. On a loaded
 * machine the wall ratio says little; equal CPU seconds say the threads
 * split the work without adding to it. THREADS
 * defaults to 2; EPOCHS to UMAP's own (200 above 10,000 points). A
 * benchmark, not a test. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "features/vt-feature-store.h"
#include "methods/projection/vt-embedding-quality.h"
#include "methods/projection/vt-umap.h"

/* The process's user + system seconds so far. */
static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* When the first "Building the fuzzy graph" progress event came. */
typedef struct
{
  gint64  graph_started;
  double  graph_started_cpu;
} Clock;

static void
on_event (const VtEvent *event, gpointer user_data)
{
  Clock *clock = user_data;

  if (event->kind == VT_EVENT_PROGRESS && clock->graph_started == 0 && event->fraction >= 0.1)
    {
      clock->graph_started = g_get_monotonic_time ();
      clock->graph_started_cpu = cpu_seconds ();
    }
}

static double
run (const VtFeatureStore *store, guint n, const VtUmapOptions *options, int threads, float **layout,
     double *cpu)
{
  g_autoptr(GError) error = NULL;
  Clock clock = { 0 };

  openblas_set_num_threads (threads);
  VtUmapResult *result = vt_umap_run (store->features, n, store->dim, options,
                                      &(VtEventSink) { on_event, &clock }, NULL, &error);
  gint64 end = g_get_monotonic_time ();
  *cpu = cpu_seconds () - clock.graph_started_cpu;
  if (result == NULL)
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  *layout = g_steal_pointer (&result->layout);
  vt_umap_result_free (result);
  return (end - clock.graph_started) / 1e6;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  VtUmapOptions options;

  if (argc < 3)
    {
      g_printerr ("usage: %s STORE N [THREADS] [EPOCHS]\n", argv[0]);
      return 2;
    }
  if (!(store = vt_feature_store_load (argv[1], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  guint n = MIN ((guint) atoi (argv[2]), store->n_samples);
  int threads = argc > 3 ? atoi (argv[3]) : 2;
  vt_umap_options_init (&options);
  options.layout_interval = 0;
  options.n_epochs = argc > 4 ? (guint) atoi (argv[4]) : 0;

  g_autofree float *one_layout = NULL, *many_layout = NULL;
  double one_cpu, many_cpu;
  double one = run (store, n, &options, 1, &one_layout, &one_cpu);
  double many = run (store, n, &options, threads, &many_layout, &many_cpu);
  printf ("{\"n\": %u, \"threads\": %d, \"one_thread_s\": %.2f, \"threads_s\": %.2f, \"speedup\": %.2f, "
          "\"one_thread_cpu_s\": %.2f, \"threads_cpu_s\": %.2f, "
          "\"knn_one_thread\": %.4f, \"knn_threads\": %.4f}\n", n, threads, one, many, one / many, one_cpu, many_cpu,
          vt_knn_accuracy (one_layout, n, 2, store->labels, 10),
          vt_knn_accuracy (many_layout, n, 2, store->labels, 10));
  return 0;
}
