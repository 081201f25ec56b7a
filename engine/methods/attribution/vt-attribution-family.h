/* vt-attribution-family.h: the attribution methods a user chooses among,
 * grouped in families that compute together: the CAM family (vt-cam.h)
 * shares one forward and one backward pass per batch; the gradient family
 * (vt-gradient-attribution.h: gradient, gradient × input, SmoothGrad,
 * Integrated Gradients, gradient rollout) runs each method on the batch.
 * The Attribution area and the `attribute` step list every family's
 * methods from this table and run each family's compute function once per
 * batch for the methods chosen in it, so a family is added here as one
 * entry and one compute function.
 *
 * Method names are those of a spec and a maps file ("gradcam"); titles
 * are those of figures ("Grad-CAM"). */
#pragma once

#include <gio/gio.h>

#include "methods/attribution/vt-gradient-attribution.h"
#include "models/vt-trainable.h"

G_BEGIN_DECLS

/* Score-CAM's masked inputs per forward pass, by default: small enough
 * that Cancel is seen between batches within a fraction of a second on a
 * ViT-B. */
#define VT_ATTRIBUTION_SCORE_BATCH 16

/* One method's options, whichever its family: each family reads its own. */
typedef struct
{
  guint                         score_batch;  /* cam, scorecam */
  /* The gradient family's; its mean and std are the input's (below). */
  VtGradientAttributionOptions  gradient;
} VtAttributionOptions;

/* The defaults of every family. */
void  vt_attribution_options_init  (VtAttributionOptions *options);

/* A batch, the same for every family. */
typedef struct
{
  VtTrainable   *model;
  const char    *layer;        /* a tap the family reads, or NULL for its default */
  int            patch_size;   /* the ViT's patch size, 0 for a CNN */
  const float   *pixels;       /* (batch, 3, H, W), normalized */
  int            batch;
  int            height;
  int            width;
  const gint64  *targets;      /* (batch): the classes explained, or NULL: the predicted ones */
  const float   *mean;         /* the normalization x = (pixel − mean) / std, */
  const float   *std;          /* for baselines made in pixel space */
} VtAttributionInput;

/* Computes maps[i] (batch, H, W) for the family's methods methods[i]
 * (indices into the family) with options[i], and seconds[i], the time
 * method i would take alone; gaps[i] (batch), where not NULL, the
 * completeness gap of each map (NaN where the method has none); writes
 * the targets explained and the predicted classes (batch). Checks
 * @cancellable between passes. */
typedef gboolean (*VtAttributionCompute) (const VtAttributionInput           *input,
                                          const int                          *methods,
                                          const VtAttributionOptions * const *options,
                                          int                                 n_methods,
                                          float * const                      *maps,
                                          double                             *seconds,
                                          double * const                     *gaps,
                                          gint64                             *targets_out,
                                          gint64                             *predicted_out,
                                          GCancellable                       *cancellable,
                                          GError                            **error);

typedef struct
{
  const char           *name;            /* "cam", "gradient" */
  const char           *title;           /* N_("Class activation maps"): translate it to show it */
  /* Whether maps keep their sign (gradients, Integrated Gradients) and are
   * drawn on a scale symmetric about 0; otherwise they are ≥ 0. */
  gboolean              is_signed;
  /* Whether it reads a layer's activations (vt_cam_layer_names). */
  gboolean              uses_layer;
  /* How its maps are post-processed, in words: N_("…"), translate it to
   * show it (files keep it in English). */
  const char           *postprocessing;
  int                   n_methods;
  const char *        (*method_name)       (int method);
  const char *        (*method_title)      (int method);
  /* The method's definition with its options, in one line (g_free). */
  char *              (*method_definition) (int                         method,
                                            const VtAttributionOptions *options);
  VtAttributionCompute  compute;
} VtAttributionFamily;

/* The families, in the order they are offered. */
const VtAttributionFamily *vt_attribution_families (guint *n_families);

/* The family and method named @name ("gradcam", "ig"); FALSE if none. */
gboolean  vt_attribution_lookup_method  (const char                  *name,
                                         const VtAttributionFamily  **family,
                                         int                         *method);

/* "gradcam, gradcam++, …": every method of every family (g_free). */
char     *vt_attribution_known_methods  (void);

G_END_DECLS
