/* vt-step-common.h: what several step kinds share: the model-input keys
 * (checkpoint, dataset, split, transform, …) and figure formats. */
#pragma once

#include "run/vt-step.h"
#include "core/vt-json-reader.h"
#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "nn/vt-optim.h"

G_BEGIN_DECLS

/* The keys every model-input step accepts, then its own. */
#define MODEL_INPUT_KEYS "checkpoint", "dataset", "split", "coarse_labels", "transform", "batch", "skip_unreadable"

/* Order matches the VtFigureFormats bits. */
extern const char * const vt_step_format_names[];

void      vt_model_input_init     (VtModelInput      *input);
void      vt_model_input_clear    (VtModelInput      *input);
/* @dataset_required: FALSE for a step that may take image files instead. */
gboolean  vt_model_input_parse    (JsonObject        *object,
                                   const char        *path,
                                   gboolean           dataset_required,
                                   VtModelInput      *input,
                                   GError           **error);
void      vt_model_input_to_json  (const VtModelInput *input,
                                   JsonObject        *object);

/* "formats": the list of names of @formats' bits. */
void      vt_step_formats_to_json (VtFigureFormats    formats,
                                   JsonObject        *object);
/* A list of the strings of @strv (NULL: none). */
JsonArray *vt_step_strv_to_json   (char * const      *strv);

/* A class name as evaluate and train compare them: lower case, letters and
 * digits only ("T-shirt/top" and "t_shirt top" are one name). */
char     *vt_step_class_name_key     (const char *name);

/* @array at @path.@key: a non-empty list of integers from 0 (a layer or
 * sample index each, @what in messages) into @out (g_free) and @n_out. */
/* Sets a spec error "@path.@key: @message" and returns FALSE. */
gboolean  vt_step_invalid_key     (GError          **error,
                                   const char       *path,
                                   const char       *key,
                                   const char       *message);

/* The images of a step that takes them as `attention` and `attribute` do:
 * exactly one of "input" with "images" (a safetensors file of
 * preprocessed images), "files" (at least one) or "dataset" (whose
 * "split" and "samples" need it), and a "transform" only for files or a
 * dataset; each refusal names the key at @path. @samples: the "samples"
 * member, or NULL. */
gboolean  vt_step_check_image_source (JsonObject       *object,
                                      const char       *path,
                                      const char       *input_file,
                                      const char       *images,
                                      char * const     *files,
                                      const VtModelInput *input,
                                      JsonNode         *samples,
                                      GError          **error);
gboolean  vt_step_get_indices     (JsonArray         *array,
                                   const char        *path,
                                   const char        *key,
                                   const char        *what,
                                   guint            **out,
                                   guint             *n_out,
                                   GError           **error);

/* The tensor @name of @file, preprocessed images (N, 3, H, W) with H and W
 * at most 4096; NULL with an error naming the file otherwise. */
const VtTensor *vt_step_image_tensor (VtCheckpoint    *file,
                                      const char      *name,
                                      GError         **error);

/* FALSE with an error naming @step_path.samples[i] when a sample index is
 * not one of @dataset's (read from @dataset_path). */
gboolean  vt_step_check_samples   (const guint       *samples,
                                   guint              n_samples,
                                   VtDataset         *dataset,
                                   const char        *dataset_path,
                                   const char        *step_path,
                                   GError           **error);

/* A tensor that points at @data (not copied), for vt_safetensors_write. */
VtTensor  vt_step_tensor_view     (const char        *name,
                                   VtDType            dtype,
                                   guint              ndim,
                                   const gint64      *shape,
                                   const void        *data);

/* @path.@key: a number in [@min, @max] (@max_open: [@min, @max)), or
 * left as *out when absent. */
gboolean  vt_step_get_number_in   (JsonObject        *object,
                                   const char        *path,
                                   const char        *key,
                                   double             min,
                                   double             max,
                                   gboolean           max_open,
                                   double            *out,
                                   GError           **error);
/* "milestones": 1 to VT_SCHEDULE_MAX_MILESTONES epochs, increasing, each
 * from 1 to @epochs, into @milestones (g_free) and @n_milestones; both
 * left as they are when absent. */
gboolean  vt_step_parse_milestones (JsonObject       *object,
                                    const char       *path,
                                    guint             epochs,
                                    guint           **milestones,
                                    guint            *n_milestones,
                                    GError          **error);
/* "milestones" as vt_step_parse_milestones reads it; nothing when NULL. */
void      vt_step_milestones_to_json (const guint    *milestones,
                                      guint           n_milestones,
                                      JsonObject     *object);
/* @schedule's milestones in steps, from ones in epochs: the schedule counts
 * them after the warm-up, so @schedule's warmup must be set first. */
void      vt_step_schedule_milestones (VtSchedule    *schedule,
                                       const guint   *milestones,
                                       guint          n_milestones,
                                       guint          steps_per_epoch);

G_END_DECLS
