/* vt-run.h: executing a spec into a results folder.
 *
 * One code path for the GUI and --batch: the run reports events through a
 * callback (on the calling thread) and hands figures to a writer the caller
 * supplies, since drawing is not the engine's business. The folder gets
 * results.json, one CSV per table, figures/ and run.log. */
#pragma once

#include <gio/gio.h>

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

typedef enum
{
  VT_RUN_EVENT_STEP,        /* a step starts: step, message = its kind */
  VT_RUN_EVENT_PROGRESS,    /* fraction of the current step, message */
  VT_RUN_EVENT_FILE,        /* message = a file written, relative to the folder */
  VT_RUN_EVENT_METRIC,      /* a new point of a live series: series, point, value, row */
  VT_RUN_EVENT_DONE,
} VtRunEventKind;

typedef struct
{
  VtRunEventKind  kind;
  const char     *step;
  double          fraction;
  const char     *message;
  /* VT_RUN_EVENT_METRIC: point @point (0-based) of series @series (a
   * method) now has @value (accuracy on the seen classes); @row holds that
   * point's row of the accuracy matrix, @n_row values, NaN where empty. */
  const char     *series;
  guint           point;
  double          value;
  const double   *row;
  guint           n_row;
} VtRunEvent;

typedef void     (*VtRunEventFunc)   (const VtRunEvent *event,
                                      gpointer          user_data);
/* Writes @figure as @base_path.<ext> for each format in @formats. */
typedef gboolean (*VtFigureWriter)   (const VtFigure   *figure,
                                      const char       *base_path,
                                      VtFigureFormats   formats,
                                      gpointer          user_data,
                                      GError          **error);

typedef struct
{
  VtRunEventFunc  on_event;
  gpointer        event_data;
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
