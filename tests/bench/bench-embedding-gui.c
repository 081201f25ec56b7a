/* bench-embedding-gui.c: the Embedding area on a large feature store, in
 * the real window: how long t-SNE (or UMAP) takes there, how many layouts
 * the view showed while it ran, and how responsive the window stayed (the
 * longest gap between two 20 ms ticks of the main loop). Writes
 * screenshots at about a third of the run and at the end.
 *
 *   xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
 *     bench-embedding-gui STORE OUT_DIR [tsne|umap]
 *
 * A benchmark, not a test. */
#include <stdlib.h>

#include "vitrine-application.h"
#include "vitrine-window.h"
#include "vt-gui-util.h"

typedef struct
{
  gint64  last;
  gint64  longest;
} Ticks;

static gboolean
on_tick (gpointer data)
{
  Ticks *t = data;
  gint64 now = g_get_monotonic_time ();

  if (t->last > 0)
    t->longest = MAX (t->longest, now - t->last);
  t->last = now;
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  Ticks ticks = { 0 };
  gboolean umap = argc > 3 && g_str_equal (argv[3], "umap");

  if (argc < 3)
    {
      g_printerr ("usage: %s STORE OUT_DIR [tsne|umap]\n", argv[0]);
      return 2;
    }
  gtk_init ();
  g_autoptr(VitrineApplication) app = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  VitrineWindow *window = vitrine_window_new (app);
  VitrineEmbeddingPage *page = vitrine_window_get_embedding_page (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  vitrine_window_show_area (window, "embedding");
  if (!vitrine_embedding_page_add_store (page, argv[1], &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  vt_gui_spin (500);

  vitrine_embedding_page_configure (page, umap ? VITRINE_EMBEDDING_UMAP : VITRINE_EMBEDDING_TSNE, 30, 1000000);
  gint64 start = g_get_monotonic_time ();
  guint tick = g_timeout_add (20, on_tick, &ticks);
  gboolean mid_shot = FALSE;
  vitrine_embedding_page_run (page);
  while (vitrine_embedding_page_is_running (page))
    {
      if (!mid_shot && vitrine_embedding_page_get_n_layouts (page) >= (umap ? 60 : 150))
        {
          g_autofree char *path = g_build_filename (argv[2], umap ? "umap-running.png" : "tsne-running.png", NULL);
          mid_shot = vt_gui_save_png (GTK_WIDGET (window), path);
          ticks.last = 0;   /* the screenshot is the benchmark's stall, not the window's */
        }
      g_main_context_iteration (NULL, TRUE);
    }
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  g_source_remove (tick);
  if (vitrine_embedding_page_get_error (page) != NULL)
    {
      g_printerr ("%s\n", vitrine_embedding_page_get_error (page));
      return 1;
    }
  vt_gui_spin (1000);
  g_autofree char *final = g_build_filename (argv[2], umap ? "umap.png" : "tsne.png", NULL);
  vt_gui_save_png (GTK_WIDGET (window), final);
  printf ("{\"seconds\": %.1f, \"layouts\": %u, \"longest_main_loop_gap_ms\": %.0f, \"status\": \"%s\"}\n", seconds,
          vitrine_embedding_page_get_n_layouts (page), ticks.longest / 1e3, vitrine_embedding_page_get_status (page));
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
