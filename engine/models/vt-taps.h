/* vt-taps.h: what a forward pass hands back: named float tensors such as
 * "logits", "pre_logits", "layer2.out", "blocks.3.attn_probs". The names
 * follow the upstream module paths, so they line up with PyTorch hooks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VT_TAP_OUTPUTS   = 0,        /* logits, pre-logits feature (always) */
  VT_TAP_BLOCKS    = 1 << 0,   /* embeddings and every block's output */
  VT_TAP_ATTENTION = 1 << 1,   /* attention probabilities and branch outputs */
} VtTapFlags;

typedef struct
{
  char    *name;
  guint    ndim;
  gint64   shape[6];
  gsize    numel;
  float   *data;
} VtTap;

typedef struct _VtTaps VtTaps;

VtTaps       *vt_taps_new        (void);
void          vt_taps_free       (VtTaps      *taps);
/* Adds a zero-filled tap; returns its data. */
float        *vt_taps_add        (VtTaps      *taps,
                                  const char  *name,
                                  guint        ndim,
                                  const gint64 *shape);
/* Image @b's slice of the batched tap @name, whose full shape is @shape
 * (batch first): created, zero-filled, on first use. Forward passes fill
 * their taps image by image through this. */
float        *vt_taps_slot       (VtTaps       *taps,
                                  const char   *name,
                                  int           b,
                                  guint         ndim,
                                  const gint64 *shape);
/* Copies image @b's values into its slice of @name. */
void          vt_taps_store      (VtTaps       *taps,
                                  const char   *name,
                                  int           b,
                                  guint         ndim,
                                  const gint64 *shape,
                                  const float  *values);
const VtTap  *vt_taps_lookup     (VtTaps      *taps,
                                  const char  *name);
guint         vt_taps_get_n      (VtTaps      *taps);
const VtTap  *vt_taps_get        (VtTaps      *taps,
                                  guint        index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTaps, vt_taps_free)

G_END_DECLS
