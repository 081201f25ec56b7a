/* vt-projection.c: input checks shared by the projections. */
#include "vt-projection.h"

#include <glib/gi18n-lib.h>
#include <math.h>

G_DEFINE_QUARK (vt-projection-error-quark, vt_projection_error)

gboolean
vt_projection_check_input (const float  *x,
                           guint         n,
                           guint         dim,
                           guint         min_samples,
                           const char   *what,
                           GError      **error)
{
  if (n < min_samples)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                   _("%s needs at least %u samples; there are %u"), what, min_samples, n);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < dim; j++)
      if (!isfinite (x[i * dim + j]))
        {
          g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                       _("Sample %zu has a non-finite feature (%g at column %zu); "
                         "remove it or extract the features again"), i, x[i * dim + j], j);
          return FALSE;
        }
  return TRUE;
}

void
vt_projection_emit_layout (const VtEventSink *events,
                           const float       *layout,
                           guint              n,
                           guint              dims,
                           guint              iteration,
                           guint              n_iterations)
{
  const gsize shape[2] = { n, dims };
  VtEvent event = {
    .kind = VT_EVENT_TENSOR,
    .name = "layout",
    .shape = shape,
    .n_dims = 2,
    .data = layout,
    .x_name = "iteration",
    .x = iteration,
    .y = n_iterations,
    .fraction = n_iterations > 0 ? (double) iteration / n_iterations : 1.0,
    .seconds_left = -1,
  };

  vt_event_emit (events, &event);
}
