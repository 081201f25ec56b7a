/* bench-predict-click.c: what one prediction costs in the real window's
 * Predict area: the time from the click (vitrine_predict_page_open) until
 * the page is done and the window has painted the classes, median of
 * ROUNDS: wall clock, the main thread's CPU time, and the CPU time of the
 * whole process (every thread: what a click costs, whatever else the
 * loaded machine runs meanwhile).
 *
 *   xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
 *     bench-predict-click CHECKPOINT IMAGE [ROUNDS [CLASSES]]
 *
 * e.g. data/demo/resnet20-12fca82f.safetensors and a CIFAR JPEG; for a
 * CLIP checkpoint, CLASSES are the names typed ("cat, dog, ship") under
 * the prompt "a photo of a {}.". A benchmark, not a test. */
#include <stdlib.h>
#include <time.h>

#include "vitrine-application.h"
#include "vitrine-window.h"
#include "vt-gui-util.h"

static double
cpu_ms (clockid_t clock)
{
  struct timespec t;

  clock_gettime (clock, &t);
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
  g_autoptr(GArray) main_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) process_ms = g_array_new (FALSE, FALSE, sizeof (double));
  guint rounds = argc > 3 ? (guint) atoi (argv[3]) : 20;
  const char *name = NULL;
  double probability = 0.0;

  if (argc < 3)
    {
      g_printerr ("usage: %s CHECKPOINT IMAGE [ROUNDS [CLASSES]]\n", argv[0]);
      return 2;
    }
  gtk_init ();
  g_autoptr(VitrineApplication) app = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  VitrineWindow *window = vitrine_window_new (app);
  VitrinePredictPage *page = vitrine_window_get_predict_page (window);
  g_autoptr(GFile) image = g_file_new_for_commandline_arg (argv[2]);
  g_autoptr(GFile) checkpoint = g_file_new_for_commandline_arg (argv[1]);
  g_autofree char *uri = g_file_get_uri (checkpoint);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", uri);
  while (vitrine_window_is_loading (window))
    g_main_context_iteration (NULL, TRUE);
  if (!vitrine_window_shows_area (window, "predict"))
    {
      g_printerr ("%s: the Predict area does not show for this checkpoint\n", argv[1]);
      return 1;
    }
  vitrine_window_show_area (window, "predict");
  if (argc > 4)
    vitrine_predict_page_set_zero_shot (page, argv[4], "a photo of a {}.");
  vt_gui_spin (500);

  for (guint r = 0; r < rounds; r++)
    {
      gint64 start = g_get_monotonic_time ();
      double main_start = cpu_ms (CLOCK_THREAD_CPUTIME_ID), process_start = cpu_ms (CLOCK_PROCESS_CPUTIME_ID);
      double took, main_cpu, process_cpu;

      vitrine_predict_page_open (page, image);
      while (vitrine_predict_page_is_busy (page))
        g_main_context_iteration (NULL, TRUE);
      if (vitrine_predict_page_get_error (page) != NULL)
        {
          g_printerr ("%s\n", vitrine_predict_page_get_error (page));
          return 1;
        }
      if (!vt_gui_wait_painted (GTK_WIDGET (window), 30000))
        {
          g_printerr ("no frame within 30 s of a prediction\n");
          return 1;
        }
      took = (g_get_monotonic_time () - start) / 1e3;
      main_cpu = cpu_ms (CLOCK_THREAD_CPUTIME_ID) - main_start;
      process_cpu = cpu_ms (CLOCK_PROCESS_CPUTIME_ID) - process_start;
      g_array_append_val (ms, took);
      g_array_append_val (main_ms, main_cpu);
      g_array_append_val (process_ms, process_cpu);
      vt_gui_spin (50);
    }
  vitrine_predict_page_get_top (page, 0, &name, &probability);
  g_array_sort (ms, compare_doubles);
  g_array_sort (main_ms, compare_doubles);
  g_array_sort (process_ms, compare_doubles);
  g_print ("%u predictions of %s (top: %s, %.4f), click to painted result: median %.1f ms, slowest %.1f ms wall; "
           "CPU median %.1f ms in the main thread, %.1f ms in all threads\n",
           ms->len, argv[2], name, probability, g_array_index (ms, double, ms->len / 2),
           g_array_index (ms, double, ms->len - 1), g_array_index (main_ms, double, main_ms->len / 2),
           g_array_index (process_ms, double, process_ms->len / 2));
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
