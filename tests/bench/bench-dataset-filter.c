/* bench-dataset-filter.c: what one click on a class in the Dataset area's
 * class list costs, in the real window: the time from the click
 * (vitrine_dataset_page_filter) until the grid has laid out, bound and
 * painted the new samples, and how many cells that bound.
 *
 *   xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
 *     bench-dataset-filter DATASET [ROUNDS]
 *
 * DATASET is e.g. ../shared/assets/datasets/cifar10-jpg/train (50,000
 * JPEGs). Each round clicks every class and then "All classes". A
 * benchmark, not a test. */
#include <stdlib.h>
#include <time.h>

#include "vitrine-application.h"
#include "vitrine-window.h"
#include "vt-gui-util.h"

/* The main thread's CPU time: what a click costs the window, whatever
 * else the machine runs meanwhile. */
static double
thread_cpu_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) call_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cpu_ms = g_array_new (FALSE, FALSE, sizeof (double));
  guint rounds = argc > 2 ? (guint) atoi (argv[2]) : 3;
  guint binds = 0;

  if (argc < 2)
    {
      g_printerr ("usage: %s DATASET [ROUNDS]\n", argv[0]);
      return 2;
    }
  gtk_init ();
  g_autoptr(VitrineApplication) app = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  VitrineWindow *window = vitrine_window_new (app);
  VitrineDatasetPage *page = vitrine_window_get_dataset_page (window);
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[1]);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  vitrine_window_open_dataset (window, file);
  while (vitrine_dataset_page_is_busy (page))
    g_main_context_iteration (NULL, TRUE);
  if (vitrine_dataset_page_get_error (page) != NULL)
    {
      g_printerr ("%s\n", vitrine_dataset_page_get_error (page));
      return 1;
    }
  VtDataset *dataset = vitrine_dataset_page_get_dataset (page);
  vt_gui_spin (1000);

  for (guint r = 0; r < rounds; r++)
    for (int label = 0; label <= (int) dataset->n_classes; label++)
      {
        int shown = label < (int) dataset->n_classes ? label : -1;
        guint binds_before = vitrine_dataset_page_get_n_binds (page);
        gint64 start = g_get_monotonic_time ();
        double cpu_start = thread_cpu_ms (), took, cpu;

        vitrine_dataset_page_filter (page, shown);
        took = (g_get_monotonic_time () - start) / 1e3;
        g_array_append_val (call_ms, took);
        if (!vt_gui_wait_painted (GTK_WIDGET (window), 30000))
          {
            g_printerr ("no frame within 30 s of a click\n");
            return 1;
          }
        took = (g_get_monotonic_time () - start) / 1e3;
        cpu = thread_cpu_ms () - cpu_start;
        g_array_append_val (ms, took);
        g_array_append_val (cpu_ms, cpu);
        binds += vitrine_dataset_page_get_n_binds (page) - binds_before;
        /* The thumbnails the click asked for decode meanwhile, as they would
         * between a user's clicks. */
        vt_gui_spin (300);
      }
  g_array_sort (ms, compare_doubles);
  g_array_sort (call_ms, compare_doubles);
  g_array_sort (cpu_ms, compare_doubles);
  g_print ("%u samples, %u clicks, per click to the painted frame: median %.1f ms, slowest %.1f ms wall; "
           "main thread CPU median %.1f ms, slowest %.1f ms; the call itself median %.1f ms wall; "
           "%.0f cells bound per click\n",
           dataset->n_samples, ms->len, g_array_index (ms, double, ms->len / 2),
           g_array_index (ms, double, ms->len - 1), g_array_index (cpu_ms, double, cpu_ms->len / 2),
           g_array_index (cpu_ms, double, cpu_ms->len - 1), g_array_index (call_ms, double, call_ms->len / 2),
           (double) binds / ms->len);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
