/* vt-events.h: one event vocabulary for long work, below the methods.
 *
 * A method, an extraction, a projection or a whole run tells whoever asked
 * how it is going through one callback that receives a VtEvent. The run
 * stamps each event with its step's id and passes it on; --batch prints
 * each as a JSON line on stderr; the window hands them to its main loop.
 * Every pointer in an event is valid only during the call: a receiver
 * that keeps something copies it.
 *
 * The callback runs on the thread that does the work (never the GTK main
 * thread in the window), so it must be quick and must not touch widgets. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VT_EVENT_STEP,       /* a step of a run starts: step, message = its kind */
  VT_EVENT_PROGRESS,   /* fraction, message, rate, seconds_left */
  VT_EVENT_METRIC,     /* series, x_name, x, y (+ values) */
  VT_EVENT_TENSOR,     /* name, shape, n_dims, data: a layout as it moves, a map */
  VT_EVENT_TABLE,      /* name, path: a table written (CSV, relative to the folder) */
  VT_EVENT_FIGURE,     /* name, figure: a figure built (a VtFigure, engine/report/) */
  VT_EVENT_FILE,       /* path: a file written, relative to the results folder */
  VT_EVENT_DONE,       /* the run finished */
  VT_EVENT_ERROR,      /* message: why the run stopped */
} VtEventKind;

typedef struct
{
  VtEventKind    kind;
  const char    *step;          /* the step's id; NULL outside a run */

  /* VT_EVENT_STEP, VT_EVENT_PROGRESS, VT_EVENT_ERROR */
  const char    *message;       /* may be NULL */

  /* VT_EVENT_PROGRESS */
  double         fraction;      /* of the current step (or of the work), in [0, 1] */
  double         rate;          /* items per second; 0: not known */
  double         seconds_left;  /* < 0: not known */

  /* VT_EVENT_METRIC: a new point (x, y) of series @series, for any number
   * of series and any x (x_name "stage", "epoch", "step", "iteration").
   * @values (n_values, may be NULL) is the point's detail, e.g. a stage's
   * row of the accuracy matrix, NaN where empty. */
  const char    *series;
  const char    *x_name;
  double         x;
  double         y;
  const double  *values;
  guint          n_values;

  /* VT_EVENT_TENSOR, VT_EVENT_TABLE, VT_EVENT_FIGURE. A tensor that moves
   * (a projection's "layout", shape {n, dims}) also sets x_name
   * "iteration", x = the iteration and y = the iterations planned. */
  const char    *name;
  const gsize   *shape;         /* VT_EVENT_TENSOR: n_dims sizes, row-major float data */
  guint          n_dims;
  const float   *data;
  gconstpointer  figure;        /* VT_EVENT_FIGURE: const VtFigure * */

  /* VT_EVENT_TABLE, VT_EVENT_FILE */
  const char    *path;
} VtEvent;

typedef void (*VtEventFunc) (const VtEvent *event,
                             gpointer       user_data);

/* Where events go: a function and its data. A sink whose func is NULL
 * drops everything, so callers may pass a zeroed sink (or NULL). */
typedef struct
{
  VtEventFunc  func;
  gpointer     data;
} VtEventSink;

/* Passes @event to @sink (may be NULL). */
void  vt_event_emit           (const VtEventSink *sink,
                               const VtEvent     *event);

void  vt_event_emit_progress  (const VtEventSink *sink,
                               double             fraction,
                               const char        *message,
                               double             rate,
                               double             seconds_left);

void  vt_event_emit_metric    (const VtEventSink *sink,
                               const char        *series,
                               const char        *x_name,
                               double             x,
                               double             y,
                               const double      *values,
                               guint              n_values);

void  vt_event_emit_tensor    (const VtEventSink *sink,
                               const char        *name,
                               const gsize       *shape,
                               guint              n_dims,
                               const float       *data);

/* The kind's name as --batch prints it: "step", "progress", "metric", … */
const char *vt_event_kind_name (VtEventKind kind);

G_END_DECLS
