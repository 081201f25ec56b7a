/* vt-step-attribute.h: the "attribute" step's options and the constructor
 * the window uses. The step explains a classifier's decision for a few
 * images with attribution maps: one map per image per method, at the
 * input's size, written to <id>-maps.safetensors.
 *
 * Methods come in families (vt-attribution-family.h: the CAM family and
 * the gradient family), listed and computed as the Attribution area does;
 * the step reads each method's options from the spec. */
#pragma once

#include "methods/attribution/vt-attribution-family.h"
#include "run/vt-step.h"

G_BEGIN_DECLS

/* One entry of "methods": a name or {"name": …, options}. */
typedef struct
{
  const VtAttributionFamily *family;
  int                        method;    /* the family's own number for it (a VtCamMethod, …) */
  VtAttributionOptions       options;
} VtAttributeMethod;

typedef struct
{
  VtStep             base;
  VtModelInput       input;        /* checkpoint; dataset, split, transform, batch */
  char              *input_file;   /* "input": a safetensors file, or NULL */
  char              *images;       /* "images": its (N, 3, H, W) tensor */
  char             **files;        /* "files": image files, or NULL */
  guint             *samples;      /* "samples": dataset indices; NULL: every sample */
  guint              n_samples;
  VtAttributeMethod *methods;
  guint              n_methods;
  char              *layer;        /* NULL: the family's default (vt_cam_layer_names) */
  gint64            *targets;      /* "target": a class per image, or NULL */
  guint              n_targets;
  gboolean           target_all;   /* "target": one integer for every image (targets[0]) */
  VtFigureFormats    formats;
} VtAttributeStep;

/* The name a spec gives the method (vt_cam_method_name, …). */
const char      *vt_attribute_method_name (const VtAttributeMethod *method);

/* @methods: names ("gradcam", …), NULL-terminated, each with its default
 * options; NULL or an unknown name gives NULL. @files: image files,
 * NULL-terminated, copied; NULL for "input" or a dataset. The target is
 * the predicted class. */
VtAttributeStep *vt_attribute_step_new    (const char         *id,
                                           const char         *checkpoint,
                                           const char * const *files,
                                           const char * const *methods);

G_END_DECLS
