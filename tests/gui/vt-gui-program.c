/* vt-gui-program.c: the main () every GUI test program shares. */
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

#include <gtk/gtk.h>

static void
run_gui_test (gconstpointer data)
{
  const VtGuiTest *t = data;

  vt_gui_step_begin (t->seconds, "%s", t->path);
  if (t->func)
    t->func ();
  else
    t->data_func (t->data);
  vt_gui_step_end ();
}

int
vt_gui_test_main (int                 *argc,
                  char              ***argv,
                  const VtGuiTest     *tests,
                  guint                n_tests,
                  VitrineApplication **app)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *cache_dir = NULL;
  int status;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("No display: run the GUI tests under xvfb-run (see README.md)\n");
      return 1;
    }
  data_dir = vt_test_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  cache_dir = vt_test_tmpdir ();
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  vt_gui_step_begin (120, "start GTK and register the application");
  gtk_test_init (argc, argv, NULL);
  *app = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (*app), NULL, &error);
  g_assert_no_error (error);
  vt_gui_step_end ();

  for (guint i = 0; i < n_tests; i++)
    g_test_add_data_func (tests[i].path, &tests[i], run_gui_test);
  status = g_test_run ();
  g_clear_object (app);
  vt_test_rm_rf (cache_dir);
  vt_test_rm_rf (data_dir);
  return status;
}
