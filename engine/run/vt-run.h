/* vt-run.h: executing a spec into a results folder.
 *
 * One code path for the GUI and --batch: the run reports events through a
 * callback (on the calling thread) and hands figures to a writer the caller
 * supplies, since drawing is not the engine's business. The folder gets
 * results.json, one CSV per table, figures/ and run.log. */
#pragma once

#include <gio/gio.h>

#include "core/vt-events.h"
#include "report/vt-figure.h"
#include "run/vt-spec.h"

G_BEGIN_DECLS

#define VT_RUN_ERROR (vt_run_error_quark ())
GQuark vt_run_error_quark (void);

typedef enum
{
  VT_RUN_ERROR_MISSING_TENSOR,   /* a spec names a tensor the checkpoint lacks */
  VT_RUN_ERROR_OUTPUT,           /* the results folder cannot be written */
  VT_RUN_ERROR_INPUT,            /* an input tensor missing or of the wrong shape */
} VtRunError;

/* Writes @figure as @base_path.<ext> for each format in @formats. */
typedef gboolean (*VtFigureWriter)   (const VtFigure   *figure,
                                      const char       *base_path,
                                      VtFigureFormats   formats,
                                      gpointer          user_data,
                                      GError          **error);

typedef struct
{
  VtEventSink     events;         /* every event, stamped with its step's id */
  VtFigureWriter  write_figure;
  gpointer        figure_data;
} VtRunOptions;

gboolean  vt_run_execute            (VtSpec              *spec,
                                     const char          *output_dir,
                                     const VtRunOptions  *options,
                                     GCancellable        *cancellable,
                                     GError             **error);

/* Creates a folder of its own for a run under @parent (made if missing):
 * @parent/@name, or @parent/@name-2, -3, … where that is taken, so that
 * two runs started in the same second never share one. The path, or NULL
 * with a VT_RUN_ERROR_OUTPUT error naming it. */
char     *vt_run_new_folder         (const char          *parent,
                                     const char          *name,
                                     GError             **error);

/* A file-name-safe form of a tensor or class name. */
char     *vt_run_safe_file_name     (const char          *name);

/* Writes @contents to @path atomically (temporary file, then rename). */
gboolean  vt_run_write_file         (const char          *path,
                                     const char          *contents,
                                     gssize               length,
                                     GError             **error);

G_END_DECLS
