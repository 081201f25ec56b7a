/* vt-projection.h: what PCA, t-SNE and UMAP share: checking their input,
 * and the callback through which the iterative ones stream layouts.
 *
 * Inputs are N x D float32 rows (a feature store's features); layouts are
 * N x dims float32, row-major. */
#pragma once

#include <gio/gio.h>

#include "core/vt-events.h"

G_BEGIN_DECLS

#define VT_PROJECTION_ERROR (vt_projection_error_quark ())
GQuark vt_projection_error_quark (void);

typedef enum
{
  VT_PROJECTION_ERROR_INPUT,     /* NaN or infinite values, too few samples */
  VT_PROJECTION_ERROR_OPTIONS,   /* a parameter out of its range */
} VtProjectionError;

/* A layout as it moves, to @events (may be NULL), on the worker's thread:
 * VT_EVENT_TENSOR named "layout", shape {n, dims}, data @layout (valid only
 * during the call), x_name "iteration", x = @iteration, y = @n_iterations
 * (the iterations planned), fraction = iteration / n_iterations. */
void  vt_projection_emit_layout (const VtEventSink *events,
                                 const float       *layout,
                                 guint              n,
                                 guint              dims,
                                 guint              iteration,
                                 guint              n_iterations);

/* Fails, naming the first offending row, when @x holds NaN or infinity, and
 * when there are fewer than @min_samples rows (@what says who needs them). */
gboolean  vt_projection_check_input  (const float  *x,
                                      guint         n,
                                      guint         dim,
                                      guint         min_samples,
                                      const char   *what,
                                      GError      **error);

G_END_DECLS
