/* vt-events.c: the helpers every emitter uses. */
#include "vt-events.h"

void
vt_event_emit (const VtEventSink *sink,
               const VtEvent     *event)
{
  if (sink != NULL && sink->func != NULL)
    sink->func (event, sink->data);
}

void
vt_event_emit_progress (const VtEventSink *sink,
                        double             fraction,
                        const char        *message,
                        double             rate,
                        double             seconds_left)
{
  VtEvent event = {
    .kind = VT_EVENT_PROGRESS,
    .fraction = CLAMP (fraction, 0.0, 1.0),
    .message = message,
    .rate = rate,
    .seconds_left = seconds_left,
  };

  vt_event_emit (sink, &event);
}

void
vt_event_emit_metric (const VtEventSink *sink,
                      const char        *series,
                      const char        *x_name,
                      double             x,
                      double             y,
                      const double      *values,
                      guint              n_values)
{
  VtEvent event = {
    .kind = VT_EVENT_METRIC,
    .series = series,
    .x_name = x_name,
    .x = x,
    .y = y,
    .values = values,
    .n_values = n_values,
  };

  vt_event_emit (sink, &event);
}

void
vt_event_emit_tensor (const VtEventSink *sink,
                      const char        *name,
                      const gsize       *shape,
                      guint              n_dims,
                      const float       *data)
{
  VtEvent event = {
    .kind = VT_EVENT_TENSOR,
    .name = name,
    .shape = shape,
    .n_dims = n_dims,
    .data = data,
  };

  vt_event_emit (sink, &event);
}

const char *
vt_event_kind_name (VtEventKind kind)
{
  static const char *const names[] = {
    [VT_EVENT_STEP] = "step",
    [VT_EVENT_PROGRESS] = "progress",
    [VT_EVENT_METRIC] = "metric",
    [VT_EVENT_TENSOR] = "tensor",
    [VT_EVENT_TABLE] = "table",
    [VT_EVENT_FIGURE] = "figure",
    [VT_EVENT_FILE] = "file",
    [VT_EVENT_DONE] = "done",
    [VT_EVENT_ERROR] = "error",
  };

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), "unknown");
  return names[kind];
}
