/* vt-gui-program.h: the main () every GUI test program shares. */
#pragma once

#include <glib.h>

#include "vitrine-application.h"

G_BEGIN_DECLS

/* One test: @func, or @data_func with @data; a watchdog step of @seconds
 * (vt_gui_step_begin) around it, named by @path. */
typedef struct
{
  const char    *path;
  void         (*func) (void);
  guint          seconds;
  GTestDataFunc  data_func;
  gconstpointer  data;
} VtGuiTest;

/* Refuses to run without a display (not a skip: these tests must run; the
 * README's test command starts Xvfb), gives the program XDG data and cache
 * folders of its own (the runs' folders, recent files, the feature cache:
 * so a first extraction is never a reuse of another program's), starts
 * GTK, registers a VitrineApplication in *@app, runs @tests, and removes
 * the folders. Returns the exit status. */
int vt_gui_test_main (int              *argc,
                      char           ***argv,
                      const VtGuiTest  *tests,
                      guint             n_tests,
                      VitrineApplication **app);

G_END_DECLS
