/* vt-embedding.c: token and position embeddings, forward and backward. */
#include "vt-embedding.h"
#include "vt-ops.h"

#include <string.h>

G_DEFINE_QUARK (vt-embedding-error-quark, vt_embedding_error)

gboolean
vt_token_embedding_forward (float         *y,
                            const float   *table,
                            const gint32  *ids,
                            int            n,
                            int            v,
                            int            c,
                            GError       **error)
{
  for (int i = 0; i < n; i++)
    {
      if (ids[i] < 0 || ids[i] >= v)
        {
          g_set_error (error, VT_EMBEDDING_ERROR, VT_EMBEDDING_ERROR_ID,
                       "token %d: id %d is outside the table's 0…%d", i, ids[i], v - 1);
          return FALSE;
        }
      memcpy (y + (gsize) i * c, table + (gsize) ids[i] * c, sizeof (float) * c);
    }
  return TRUE;
}

void
vt_token_embedding_backward (float        *dtable,
                             const float  *dy,
                             const gint32 *ids,
                             int           n,
                             int           c)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < c; j++)
      dtable[(gsize) ids[i] * c + j] += dy[(gsize) i * c + j];
}

void
vt_position_embedding_forward (float       *y,
                               const float *x,
                               const float *pos,
                               int          b,
                               int          t,
                               int          c)
{
  gsize tc = (gsize) t * c;

  for (int n = 0; n < b; n++)
    for (gsize i = 0; i < tc; i++)
      y[n * tc + i] = x[n * tc + i] + pos[i];
}

void
vt_position_embedding_backward (float       *dx,
                                float       *dpos,
                                const float *dy,
                                int          b,
                                int          t,
                                int          c)
{
  gsize tc = (gsize) t * c;

  for (int n = 0; n < b; n++)
    for (gsize i = 0; i < tc; i++)
      {
        if (dx != NULL)
          dx[n * tc + i] += dy[n * tc + i];
        if (dpos != NULL)
          dpos[i] += dy[n * tc + i];
      }
}

void
vt_position_resample_forward (float       *out,
                              const float *pos,
                              int          prefix,
                              int          h,
                              int          w,
                              int          oh,
                              int          ow,
                              int          c)
{
  memcpy (out, pos, sizeof (float) * prefix * c);
  vt_resample_bicubic_aa (out + (gsize) prefix * c, pos + (gsize) prefix * c, h, w, c, oh, ow);
}

/* The resampling's matrix R (OH·OW, H·W) is the same for every channel:
 * column p is the resampling of a grid that is 1 at p and 0 elsewhere.
 * Building it so reuses the forward pass's own weights exactly, so the
 * two cannot drift apart; H·W resamplings of one channel are cheap next
 * to the C channels of the table. */
void
vt_position_resample_backward (float       *dpos,
                               const float *dout,
                               int          prefix,
                               int          h,
                               int          w,
                               int          oh,
                               int          ow,
                               int          c)
{
  gsize in = (gsize) h * w, out = (gsize) oh * ow;
  g_autofree float *impulse = g_new0 (float, in), *column = g_new (float, out);
  const float *grid_dout = dout + (gsize) prefix * c;

  for (gsize i = 0; i < (gsize) prefix * c; i++)
    dpos[i] += dout[i];
  for (gsize p = 0; p < in; p++)
    {
      float *row = dpos + (prefix + p) * c;

      impulse[p] = 1.0f;
      vt_resample_bicubic_aa (column, impulse, h, w, 1, oh, ow);
      impulse[p] = 0.0f;
      for (gsize o = 0; o < out; o++)
        if (column[o] != 0.0f)
          for (int j = 0; j < c; j++)
            row[j] += column[o] * grid_dout[o * c + j];
    }
}
