/* bench-scatter.c: how long the GL scatter view takes to draw N points.
 * (The shaders come from the application's resource bundle, compiled in.)
 *
 *   xvfb-run -a -s "-screen 0 1280x800x24" bench-scatter [N ...]
 *
 * A 1280 x 800 window with the scatter view, N points in ten Gaussian
 * clusters; each frame zooms a little so the points are drawn again. With
 * measuring on, each frame ends in glFinish, so the time covers the GPU's
 * (here llvmpipe's) work. Prints the median and the slowest of 30 frames
 * for each N. A benchmark, not a test. */
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>

#include "core/vt-random.h"
#include "vitrine-scatter-view.h"

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
spin_until_frame (VitrineScatterView *view, guint frames)
{
  while (vitrine_scatter_view_get_n_frames (view) < frames)
    g_main_context_iteration (NULL, TRUE);
}

int
main (int argc, char *argv[])
{
  static const guint defaults[] = { 100000, 1000000 };
  guint n_sizes = argc > 1 ? (guint) argc - 1 : G_N_ELEMENTS (defaults);

  gtk_init ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = vitrine_scatter_view_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  vitrine_scatter_view_set_measure (VITRINE_SCATTER_VIEW (view), TRUE);

  for (guint s = 0; s < n_sizes; s++)
    {
      guint n = argc > 1 ? (guint) atoi (argv[s + 1]) : defaults[s];
      g_autofree float *xy = g_new (float, 2 * (gsize) n);
      g_autofree guint *categories = g_new (guint, n);
      double frames[30];
      VtRandom random;

      vt_random_init (&random, 0);
      for (guint i = 0; i < n; i++)
        {
          categories[i] = i % 10;
          xy[2 * i] = 10 * cos (categories[i] * 0.628) + vt_random_gauss (&random);
          xy[2 * i + 1] = 10 * sin (categories[i] * 0.628) + vt_random_gauss (&random);
        }
      vitrine_scatter_view_set_points (VITRINE_SCATTER_VIEW (view), xy, n, categories, 10);
      vitrine_scatter_view_set_point_size (VITRINE_SCATTER_VIEW (view), n > 200000 ? 2 : 3);
      /* The first frame uploads the buffers; it is not counted. */
      spin_until_frame (VITRINE_SCATTER_VIEW (view), vitrine_scatter_view_get_n_frames (VITRINE_SCATTER_VIEW (view)) + 1);
      if (!vitrine_scatter_view_is_gl (VITRINE_SCATTER_VIEW (view)))
        {
          g_printerr ("no OpenGL: the view fell back to Cairo\n");
          return 1;
        }
      for (int f = 0; f < 30; f++)
        {
          guint before = vitrine_scatter_view_get_n_frames (VITRINE_SCATTER_VIEW (view));

          vitrine_scatter_view_zoom (VITRINE_SCATTER_VIEW (view), f % 2 ? 1 / 1.01 : 1.01, 640, 400);
          spin_until_frame (VITRINE_SCATTER_VIEW (view), before + 1);
          frames[f] = vitrine_scatter_view_get_frame_ms (VITRINE_SCATTER_VIEW (view));
        }
      qsort (frames, 30, sizeof (double), compare_doubles);
      printf ("{\"points\": %u, \"median_frame_ms\": %.1f, \"slowest_frame_ms\": %.1f}\n", n, frames[15],
              frames[29]);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
