/* vt-embedding.h: token embedding (CLIP's text tower) and position
 * embedding (ViT, both CLIP towers), plain or resampled to another grid,
 * forward and backward. Backward passes accumulate (+=). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_EMBEDDING_ERROR (vt_embedding_error_quark ())
GQuark vt_embedding_error_quark (void);

typedef enum
{
  VT_EMBEDDING_ERROR_ID,   /* a token id outside the table */
} VtEmbeddingError;

/* y (N, C) = table[ids] for table (V, C), ids (N). An id outside [0, V) is
 * an error naming its position (y is then left partly written). */
gboolean vt_token_embedding_forward  (float *y, const float *table, const gint32 *ids,
                                      int n, int v, int c, GError **error);
/* dtable[ids[i]] += dy[i]: rows of a token that occurs twice sum. */
void     vt_token_embedding_backward (float *dtable, const float *dy, const gint32 *ids,
                                      int n, int c);

/* y (B, T, C) = x + pos (T, C); y may be x. dx (may be NULL) += dy and
 * dpos += Σ_b dy. */
void     vt_position_embedding_forward  (float *y, const float *x, const float *pos,
                                         int b, int t, int c);
void     vt_position_embedding_backward (float *dx, float *dpos, const float *dy,
                                         int b, int t, int c);

/* A position table stored for one grid and used at another (a ViT at a new
 * image size): pos (prefix + H·W, C), its first @prefix rows (the class
 * token's) kept, the grid resampled to (OH, OW) with vt_resample_bicubic_aa
 * (vt-ops.h), as timm and OpenCLIP do: out (prefix + OH·OW, C). The
 * resampling is linear in the table, so the backward pass applies its
 * transpose: dpos += Rᵀ dout. */
void     vt_position_resample_forward   (float *out, const float *pos, int prefix,
                                         int h, int w, int oh, int ow, int c);
void     vt_position_resample_backward  (float *dpos, const float *dout, int prefix,
                                         int h, int w, int oh, int ow, int c);

G_END_DECLS
