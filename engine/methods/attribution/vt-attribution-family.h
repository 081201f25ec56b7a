/* vt-attribution-family.h: the attribution methods a user chooses among,
 * grouped in families that compute together (the CAM family shares one
 * forward and one backward pass). The Attribution area lists every
 * family's methods from this table and runs each family's compute
 * function once for the methods chosen in it, so a family of methods is
 * added here as one entry and one compute function.
 *
 * Method names are those of a spec and a maps file ("gradcam"); titles
 * are those of figures ("Grad-CAM"). */
#pragma once

#include <gio/gio.h>

#include "models/vt-trainable.h"

G_BEGIN_DECLS

/* One image's request, the same for every family. */
typedef struct
{
  VtTrainable  *model;
  const char   *layer;        /* a tap the family reads, or NULL for its default */
  int           patch_size;   /* the ViT's patch size, 0 for a CNN */
  const float  *pixels;       /* (1, 3, H, W), normalized */
  int           height;
  int           width;
  gint64        target;       /* the class explained, or −1: the predicted one */
} VtAttributionInput;

/* Computes maps[i] (H, W) for the family's methods methods[i] (indices
 * into the family), and seconds[i], the time method i would take alone;
 * writes the target explained and the predicted class. */
typedef gboolean (*VtAttributionCompute) (const VtAttributionInput *input,
                                          const int                *methods,
                                          int                       n_methods,
                                          float * const            *maps,
                                          double                   *seconds,
                                          gint64                   *target_out,
                                          gint64                   *predicted_out,
                                          GCancellable             *cancellable,
                                          GError                  **error);

typedef struct
{
  const char           *name;            /* "cam" */
  const char           *title;           /* N_("Class activation maps"): translate it to show it */
  /* Whether maps keep their sign (gradients, Integrated Gradients) and are
   * drawn on a scale symmetric about 0; otherwise they are ≥ 0. */
  gboolean              is_signed;
  /* Whether it reads a layer's activations (vt_cam_layer_names). */
  gboolean              uses_layer;
  /* How its maps are post-processed, in words: N_("…"), translate it. */
  const char           *postprocessing;
  int                   n_methods;
  const char *        (*method_name)    (int method);
  const char *        (*method_title)   (int method);
  const char *        (*method_formula) (int method);
  VtAttributionCompute  compute;
} VtAttributionFamily;

/* The families, in the order they are offered. */
const VtAttributionFamily *vt_attribution_families (guint *n_families);

G_END_DECLS
