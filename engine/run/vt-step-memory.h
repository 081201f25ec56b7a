/* vt-step-memory.h: what a step will ask of memory, estimated before it
 * runs, one function per kind of step.
 *
 * Each adds up the large buffers the step allocates (the batches being
 * decoded, the model's activations, the store, a method's matrices) and,
 * when they exceed the machine's memory (vt-memory.h), fails with the
 * amount, what takes it, and the spec keys to lower, named by their JSON
 * path under @path ("$.steps[0]"). A step that fits is not slowed: these
 * are sums of a few products. */
#pragma once

#include "core/vt-tensor.h"
#include "features/vt-feature-store.h"
#include "io/vt-glyph-dataset.h"
#include "methods/cil/vt-cil-method.h"
#include "methods/cil/vt-cil-protocol.h"
#include "methods/projection/vt-embedding.h"
#include "models/vt-model.h"
#include "models/vt-trainable.h"
#include "run/steps/vt-step-active.h"

G_BEGIN_DECLS

/* evaluate and extract: @batch images of @transform's crop through @model
 * over @dataset, into a store (with logits when @logits); evaluate also
 * reports a confusion matrix of @confusion_classes² (0 for extract). */
gboolean  vt_step_memory_check_extract      (VtModel                  *model,
                                             VtDataset                *dataset,
                                             const VtTransform        *transform,
                                             guint                     batch,
                                             gboolean                  logits,
                                             guint                     confusion_classes,
                                             const char               *path,
                                             GError                  **error);

/* forward: @images (N, 3, H, W) and/or @tokens (N, L) from @input_path, in
 * one pass each, keeping @taps. */
gboolean  vt_step_memory_check_forward      (VtModel                  *model,
                                             const VtTensor           *images,
                                             const VtTensor           *tokens,
                                             VtTapFlags                taps,
                                             const char               *input_path,
                                             const char               *path,
                                             GError                  **error);

/* forward's "gradients": a forward pass on @images that keeps every
 * activation, and their gradients. Call before the pass (the estimate
 * lays the model out anew). */
gboolean  vt_step_memory_check_gradients    (VtTrainable              *model,
                                             const VtTensor           *images,
                                             const char               *input_path,
                                             const char               *path,
                                             GError                  **error);
/* train: a forward and backward pass on @batch images of @size × @size
 * through @model, the batch and its padded copy for augmentation. Call
 * before vt_trainable_set_part (the estimate lays the model out anew). */
gboolean  vt_step_memory_check_train        (VtTrainable              *model,
                                             guint                     batch,
                                             int                       size,
                                             guint                     pad,
                                             const char               *path,
                                             GError                  **error);
/* comet: a forward and backward pass on @batch images of @size × @size
 * through @detector, @predictor and a selector of @selector_width, the
 * masked copies, and the @n_test test images with their masks kept for
 * the maps file. Call before vt_trainable_set_part (the estimate lays the
 * models out anew). */
gboolean  vt_step_memory_check_comet        (VtTrainable              *detector,
                                             VtTrainable              *predictor,
                                             int                       selector_width,
                                             guint                     batch,
                                             int                       size,
                                             guint                     n_test,
                                             const char               *path,
                                             GError                  **error);
/* incremental: @methods on @train and @test with the stages of @split in
 * @order. */
gboolean  vt_step_memory_check_incremental  (VtFeatureStore           *train,
                                             VtFeatureStore           *test,
                                             const guint              *order,
                                             const VtCilSplit         *split,
                                             const VtCilMethodClass  **methods,
                                             guint                     n_methods,
                                             const VtCilOptions       *options,
                                             const char               *path,
                                             GError                  **error);

/* project: @options on @store, with trustworthiness when @quality. */
gboolean  vt_step_memory_check_project      (VtFeatureStore           *store,
                                             const VtEmbeddingOptions *options,
                                             gboolean                  quality,
                                             const char               *path,
                                             GError                  **error);

/* attention: @n_images of @height × @width through @model one at a time,
 * keeping every layer's attention, and @per_image floats of maps (and the
 * input) for each image until the file is written. */
gboolean  vt_step_memory_check_attention    (VtModel                  *model,
                                             guint                     n_images,
                                             int                       height,
                                             int                       width,
                                             double                    per_image,
                                             const char               *path,
                                             GError                  **error);
/* attribute: @n_images of @height × @width explained in batches of @batch
 * through @model's (from @checkpoint_path) backward pass by @n_methods methods, Score-CAM's
 * masked inputs @score_batch at a time (0: no Score-CAM); every map and
 * the input kept until the file is written. Call before the first forward
 * pass (the estimate lays the model out anew). */
gboolean  vt_step_memory_check_attribute    (VtTrainable              *model,
                                             const char               *checkpoint_path,
                                             guint                     n_images,
                                             guint                     batch,
                                             guint                     score_batch,
                                             int                       height,
                                             int                       width,
                                             guint                     n_methods,
                                             const char               *path,
                                             GError                  **error);
/* faithfulness: the attribute step's maps of @n_images (every image and
 * map kept, and @masks for the localization metrics), then the metrics,
 * which go through the model a batch of perturbed images at a time. */
gboolean  vt_step_memory_check_faithfulness (VtTrainable              *model,
                                             const char               *checkpoint_path,
                                             guint                     n_images,
                                             guint                     batch,
                                             guint                     score_batch,
                                             int                       height,
                                             int                       width,
                                             guint                     n_methods,
                                             gboolean                  masks,
                                             const char               *path,
                                             GError                  **error);
/* glyphs: generating the dataset of @options (its inputs aside, which the
 * dataset readers bound). */
gboolean  vt_step_memory_check_glyphs       (const VtGlyphDatasetOptions *options,
                                             const char               *path,
                                             GError                  **error);
/* active: @step's loop on the pool @pool (the test store is loaded already). */
gboolean  vt_step_memory_check_active       (VtFeatureStore           *pool,
                                             const VtActiveStep       *step,
                                             const char               *path,
                                             GError                  **error);

G_END_DECLS
