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
#include "core/vt-json-reader.h"
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

/* @names ("gradcam", …), NULL-terminated and non-empty, each with its
 * default options, into @methods (g_free) and @n_methods; FALSE with an
 * error naming the first unknown one. */
gboolean         vt_attribute_methods_from_names (const char * const  *names,
                                                  VtAttributeMethod  **methods,
                                                  guint               *n_methods,
                                                  GError             **error);

/* What the faithfulness step shares with this one, so that "methods",
 * "layer" and "target" mean the same in both. */

/* "methods": a non-empty list, each a name or {"name": …, options}. */
gboolean   vt_attribute_parse_methods   (JsonObject               *object,
                                         const char               *path,
                                         VtAttributeMethod       **methods,
                                         guint                    *n_methods,
                                         GError                  **error);
/* "target": "predicted", one class for every image, or a class per image. */
gboolean   vt_attribute_parse_target    (JsonObject               *object,
                                         const char               *path,
                                         gint64                  **targets,
                                         guint                    *n_targets,
                                         gboolean                 *target_all,
                                         GError                  **error);
/* "methods", "layer" (when not NULL) and "target" into @object. */
void       vt_attribute_methods_to_json (const VtAttributeMethod  *methods,
                                         guint                     n_methods,
                                         const char               *layer,
                                         const gint64             *targets,
                                         guint                     n_targets,
                                         gboolean                  target_all,
                                         JsonObject               *object);
/* FALSE, naming the JSON path, when a target class is not one of the
 * model's @classes or the list does not give one per image. */
gboolean   vt_attribute_check_targets   (const gint64             *targets,
                                         guint                     n_targets,
                                         gboolean                  target_all,
                                         const char               *path,
                                         guint                     n_images,
                                         int                       classes,
                                         GError                  **error);
/* The layers @model offers a map at (from a pass on the first image of
 * @pixels), and in *@layer the spec's @spec_layer or the default (held by
 * *@default_layer); NULL with an error naming the layers otherwise. */
GPtrArray *vt_attribute_resolve_layer   (VtTrainable              *model,
                                         int                       patch_size,
                                         const float              *pixels,
                                         int                       height,
                                         int                       width,
                                         const char               *spec_layer,
                                         const char               *step_path,
                                         const char               *checkpoint_path,
                                         char                    **default_layer,
                                         const char              **layer,
                                         GError                  **error);
/* Every family's maps of @input's batch: maps[m] (batch, H, W) and, where
 * @gaps is not NULL, gaps[m] (batch) for @methods[m]; adds each method's
 * seconds to seconds[m]. */
gboolean   vt_attribute_compute_batch   (const VtAttributionInput *input,
                                         const VtAttributeMethod  *methods,
                                         guint                     n_methods,
                                         float                   **maps,
                                         double                  **gaps,
                                         double                   *seconds,
                                         gint64                   *targets,
                                         gint64                   *predicted,
                                         GCancellable             *cancellable,
                                         GError                  **error);

G_END_DECLS
