/* main.c: vitrine's entry point. */
#include <glib/gi18n.h>
#include <locale.h>

#include "config.h"
#include "core/vt-blas.h"
#include "vitrine-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VitrineApplication) app = NULL;
  const char *localedir;

  /* Before anything else: it may start the program again. */
  vt_blas_choose_kernels (argv);
  localedir = g_getenv ("VITRINE_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* VITRINE_LOCALEDIR lets an uninstalled build (and its tests) find the
   * catalogues it just compiled. */
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name ("Vitrine");

  app = vitrine_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
