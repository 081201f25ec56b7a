/* vt-tape.h: what a trainable forward pass keeps for its backward pass:
 * every activation as a named node, with its value and its gradient, in
 * one arena sized once per batch shape.
 *
 * A family (vt-trainable-resnet.c, vt-trainable-vit.c) declares its nodes
 * in forward order when the batch shape changes (vt_tape_begin, then
 * vt_tape_node for each, then vt_tape_allocate), keeps the pointers, and
 * from then on its forward pass writes the values and its backward pass
 * the gradients. A node may have more names than one ("layer3.out" is the
 * last block's "layer3.2.out"); every name is a tap whose value and
 * gradient can be asked for. A node's order is its place in the forward
 * pass: a backward pass from a target node skips every op after it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *name;
  guint    ndim;
  gint64   shape[4];
  gsize    numel;
  int      order;
  /* Its backward step assigns the whole gradient instead of adding to it
   * (one reader, which always runs when the node is live):
   * vt_tape_zero_grad leaves it. */
  gboolean assigned;
  float   *value;
  float   *grad;
} VtTapeNode;

typedef struct _VtTape VtTape;

VtTape      *vt_tape_new       (void);
void         vt_tape_free      (VtTape       *tape);

/* Whether the tape is laid out for this key (the batch shape); if not,
 * forgets every node and starts a new layout. */
gboolean     vt_tape_begin     (VtTape       *tape,
                                const char   *key);
VtTapeNode  *vt_tape_node      (VtTape       *tape,
                                const char   *name,
                                guint         ndim,
                                const gint64 *shape);
/* @n floats of work memory that the forward pass keeps for the backward
 * pass but that is no tap (a LayerNorm's mean and rstd, a max pool's
 * argmax): a node without a name or a gradient, in the arena too. */
VtTapeNode  *vt_tape_work      (VtTape       *tape,
                                gsize         n);
/* Another name for @node. */
void         vt_tape_alias     (VtTape       *tape,
                                VtTapeNode   *node,
                                const char   *name);
/* Work memory of the largest node's size, @which 0 or 1 (a backward
 * step's intermediate gradient), after vt_tape_allocate. */
float       *vt_tape_scratch   (VtTape       *tape,
                                int           which);
/* One block for every node's value and gradient, 64-byte aligned each. */
void         vt_tape_allocate  (VtTape       *tape);
/* The floats the layout takes, values and gradients (before or after
 * vt_tape_allocate). */
gsize        vt_tape_floats    (VtTape       *tape);

VtTapeNode  *vt_tape_lookup    (VtTape       *tape,
                                const char   *name);
/* The nodes' names, in forward order (aliases after the node they name). */
GPtrArray   *vt_tape_names     (VtTape       *tape);
/* Zeroes every gradient but the assigned ones, before a backward pass. */
void         vt_tape_zero_grad (VtTape       *tape);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTape, vt_tape_free)

G_END_DECLS
