/* vt-layer-list.h: what a model computes, in order, with the shape of each
 * output, as Netron lists a network's layers: read off one forward pass of
 * one image of zeros at a given size (by default the architecture's
 * image_size) with every block's output kept (VT_TAP_BLOCKS). The names
 * are the taps' (vt-taps.h), the upstream module paths, so a row is also
 * what a `forward` step can write. Image towers only: a CLIP checkpoint's
 * text tower is not listed. */
#pragma once

#include <json-glib/json-glib.h>

#include "models/vt-model.h"

G_BEGIN_DECLS

typedef struct
{
  char   *name;        /* "input", "stem.out", "layer2.out", "blocks.3.out", "logits" */
  guint   ndim;        /* of one image's output, without the batch */
  gint64  shape[5];
} VtLayer;

typedef struct
{
  VtLayer *layers;     /* the input first, then in the order the pass computes them */
  guint    n_layers;
} VtLayerList;

/* @height × @width: the input size, or 0 × 0 for the architecture's. */
VtLayerList *vt_layer_list_new            (VtModel       *model,
                                           int            height,
                                           int            width,
                                           GError       **error);
void         vt_layer_list_free           (VtLayerList   *list);
/* [{"name": …, "shape": [ … ]}, …] */
JsonNode    *vt_layer_list_to_json        (const VtLayerList *list);
/* What vt_layer_list_to_json wrote; @where names the JSON in errors. */
VtLayerList *vt_layer_list_new_from_json  (JsonNode      *node,
                                           const char    *where,
                                           GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtLayerList, vt_layer_list_free)

G_END_DECLS
