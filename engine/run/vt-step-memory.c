/* vt-step-memory.c: each step's memory, estimated from its settings.
 *
 * The figures follow the allocations in the code they name; they count
 * what is allocated (which g_malloc must find), not what is touched. */
#include "vt-step-memory.h"
#include "core/vt-memory.h"
#include "core/vt-parallel.h"
#include "features/vt-extractor.h"
#include "methods/comet/vt-comet-selector.h"
#include "methods/projection/vt-tsne.h"
#include "methods/projection/vt-umap.h"

#include <math.h>

#define F32 4.0
#define F64 8.0
/* A k × k confusion matrix as counts, doubles for its figure, a JsonNode
 * per cell in results.json (json-glib's nodes are about 80 bytes) and a
 * CSV field. */
#define CONFUSION_CELL (8.0 + 8.0 + 80.0 + 16.0)

static double
threads (void)
{
  return MAX (vt_parallel_threads (), 1);
}

gboolean
vt_step_memory_check_extract (VtModel            *model,
                              VtDataset          *dataset,
                              const VtTransform  *transform,
                              guint               batch,
                              gboolean            logits,
                              guint               confusion_classes,
                              const char         *path,
                              GError            **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  g_auto(VtMemoryEstimate) e = { 0 };
  double crop = transform->crop_size, resize = MAX (transform->resize_size, transform->crop_size);
  double n = dataset->n_samples;
  guint slots = MAX (vt_extract_n_slots (dataset->n_samples, batch), 1);
  guint in_model = (guint) MIN ((double) batch, MAX (n, 1));
  g_autofree char *slot_text = NULL;
  g_autofree char *what = NULL;
  g_autofree char *advice = NULL;

  vt_memory_estimate_init (&e);
  /* vt-extractor.c: its ring of batches, each batch × 3 × crop² floats. */
  slot_text = g_strdup_printf (slots == 1 ? "%u batch being decoded" : "%u batches being decoded", slots);
  vt_memory_estimate_add (&e, slot_text, slots * (double) batch * 3 * crop * crop * F32);
  /* Each decoder holds an image resized to the shorter side and its crop,
   * as bytes (square images; a wide one needs more). */
  vt_memory_estimate_add (&e, "images being resized", threads () * 3 * (2 * resize * resize + crop * crop));
  vt_memory_estimate_add (&e, "the model's activations",
                          vt_model_forward_bytes (model, (int) in_model, (int) crop, (int) crop, VT_TAP_OUTPUTS));
  vt_memory_estimate_add (&e, "the feature store",
                          n * (F32 * (arch->num_features + (logits ? arch->num_classes : 0)) + 16));
  vt_memory_estimate_add (&e, "the confusion matrix", CONFUSION_CELL * confusion_classes * confusion_classes);
  what = g_strdup_printf ("%s: running %s on %s at batch %u and %d×%d pixels", path,
                          vt_checkpoint_get_path (vt_model_get_checkpoint (model)), dataset->path, batch,
                          transform->crop_size, transform->crop_size);
  advice = g_strdup_printf ("Lower %s.batch (now %u) or %s.transform.crop (now %d; and resize with it).",
                            path, batch, path, transform->crop_size);
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_forward (VtModel         *model,
                              const VtTensor  *images,
                              const VtTensor  *tokens,
                              VtTapFlags       taps,
                              const char      *input_path,
                              const char      *path,
                              GError         **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s: running the model on %s", path, input_path);
  g_autofree char *advice = g_strdup_printf ("Put fewer images or texts in %s, or keep fewer taps in %s.taps.",
                                             input_path, path);

  vt_memory_estimate_init (&e);
  if (images)
    {
      vt_memory_estimate_add (&e, "the images as floats", F32 * images->numel);
      vt_memory_estimate_add (&e, "the image tower's activations and taps",
                              vt_model_forward_bytes (model, (int) MIN (images->shape[0], G_MAXINT),
                                                      (int) MIN (images->shape[2], G_MAXINT),
                                                      (int) MIN (images->shape[3], G_MAXINT), taps));
    }
  if (tokens)
    {
      vt_memory_estimate_add (&e, "the token ids", 8.0 * tokens->numel);
      vt_memory_estimate_add (&e, "the text tower's activations and taps",
                              vt_model_forward_text_bytes (model, (int) MIN (tokens->shape[0], G_MAXINT),
                                                           (int) MIN (tokens->shape[1], G_MAXINT), taps));
    }
  /* The taps are copied into one file's worth of tensors when written. */
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_gradients (VtTrainable     *model,
                                const VtTensor  *images,
                                const char      *input_path,
                                const char      *path,
                                GError         **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s.gradients: a backward pass on %s", path, input_path);
  g_autofree char *advice = g_strdup_printf ("Put fewer images in %s.", input_path);

  vt_memory_estimate_init (&e);
  vt_memory_estimate_add (&e, "the activations kept for the backward pass, their gradients and the parameters'",
                          vt_trainable_bytes (model, (int) MIN (images->shape[0], G_MAXINT),
                                              (int) MIN (images->shape[2], G_MAXINT),
                                              (int) MIN (images->shape[3], G_MAXINT)));
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_train (VtTrainable  *model,
                            guint         batch,
                            int           size,
                            guint         pad,
                            const char   *path,
                            GError      **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s: training on batches of %u images", path, batch);
  g_autofree char *advice = g_strdup_printf ("Lower %s.batch.", path);

  vt_memory_estimate_init (&e);
  vt_memory_estimate_add (&e, "the activations kept for the backward pass, their gradients and the parameters'",
                          vt_trainable_bytes (model, (int) batch, size, size));
  vt_memory_estimate_add (&e, "the decoded batch", 4.0 * batch * 3 * (size + 2.0 * pad) * (size + 2.0 * pad));
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_comet (VtTrainable  *detector,
                            VtTrainable  *predictor,
                            int           selector_width,
                            guint         batch,
                            int           size,
                            guint         n_test,
                            const char   *path,
                            GError      **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s: COMET on batches of %u images", path, batch);
  g_autofree char *advice = g_strdup_printf ("Lower %s.batch or %s.test_limit.", path, path);
  double image = 4.0 * 3 * size * size;

  vt_memory_estimate_init (&e);
  vt_memory_estimate_add (&e, "the detector's activations and their gradients",
                          vt_trainable_bytes (detector, (int) batch, size, size));
  vt_memory_estimate_add (&e, "the predictor's activations, their gradients and its parameters'",
                          vt_trainable_bytes (predictor, (int) batch, size, size));
  vt_memory_estimate_add (&e, "the selector's activations and their gradients",
                          vt_comet_selector_bytes (selector_width, (int) batch, size, size));
  vt_memory_estimate_add (&e, "the batch, its masks and its masked-in and masked-out copies",
                          batch * (3 * image + 3 * image / 3));
  vt_memory_estimate_add (&e, "the test images and their masks, for the maps file", n_test * (image + image / 3));
  return vt_memory_check (&e, what, advice, error);
}

/* The most training samples one stage of @split holds. */
static double
largest_stage (VtFeatureStore    *train,
               const guint       *order,
               const VtCilSplit  *split)
{
  g_autoptr(GArray) ends = NULL;
  g_autofree guint64 *per_class = g_new0 (guint64, MAX (train->n_classes, 1));
  double largest = 0;

  /* A split that does not fit is vt_cil_run's to report; count it all. */
  if (!vt_cil_split_stages (split, train->n_classes, &ends, NULL))
    return train->n_samples;
  for (guint i = 0; i < train->n_samples; i++)
    if (train->labels[i] >= 0 && (guint64) train->labels[i] < train->n_classes)
      per_class[train->labels[i]]++;
  for (guint t = 0, first = 0; t < ends->len; first = g_array_index (ends, guint, t), t++)
    {
      double n = 0;
      for (guint c = first; c < g_array_index (ends, guint, t); c++)
        n += per_class[order[c]];
      largest = MAX (largest, n);
    }
  return largest;
}

gboolean
vt_step_memory_check_incremental (VtFeatureStore           *train,
                                  VtFeatureStore           *test,
                                  const guint              *order,
                                  const VtCilSplit         *split,
                                  const VtCilMethodClass  **methods,
                                  guint                     n_methods,
                                  const VtCilOptions       *options,
                                  const char               *path,
                                  GError                  **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  double d = train->dim, k = train->n_classes, n_test = test->n_samples;
  double n_stage = largest_stage (train, order, split);
  double transient = 0, other;
  const char *source = NULL;
  double budget = vt_memory_budget (&source);
  gboolean ranpac = FALSE, gda = FALSE;
  g_autoptr(GString) advice = g_string_new (NULL);
  g_autofree char *what = g_strdup_printf ("%s: the class-incremental run", path);

  vt_memory_estimate_init (&e);
  /* vt-cil-run.c: a stage's rows and all test rows as doubles. */
  vt_memory_estimate_add (&e, "the features as doubles", F64 * (n_stage + n_test) * (d + 1));
  for (guint m = 0; m < n_methods; m++)
    {
      /* Results: the accuracy matrix is small; the confusion is k². */
      vt_memory_estimate_add (&e, "the confusion matrices", CONFUSION_CELL * k * k + 4.0 * n_test);
      if (methods[m] == &vt_cil_ranpac)
        {
          double mm = options->ranpac_dim;

          ranpac = TRUE;
          /* vt-ranpac.c: W (D, M); G, its copy per solve and the fit's G;
           * Q, the output and the fit's; a stage's h and its shuffle, or
           * the test rows' h when predicting. */
          vt_memory_estimate_add (&e, "RanPAC's M×M matrices", 3 * F64 * mm * mm);
          vt_memory_estimate_add (&e, "RanPAC's projection", F64 * (d * mm + 4 * k * mm));
          transient = MAX (transient, F64 * mm * MAX (2 * n_stage, n_test));
        }
      else if (methods[m] == &vt_cil_gda)
        {
          gda = TRUE;
          /* vt-gda.c: the scatter and the shrunken copy; centred rows. */
          vt_memory_estimate_add (&e, "GDA's D×D covariances", 2 * F64 * d * d);
          vt_memory_estimate_add (&e, "GDA's class statistics", F64 * (4 * k * d + n_stage * d));
        }
      else
        vt_memory_estimate_add (&e, "class means", 2 * F64 * k * d);
      transient = MAX (transient, F64 * n_test * k);
    }
  vt_memory_estimate_add (&e, "a stage's projected features", transient);
  if (e.bytes <= budget)
    return TRUE;

  other = e.bytes;
  if (ranpac)
    {
      double mm = options->ranpac_dim, linear = F64 * (d + 4 * k + MAX (2 * n_stage, n_test));
      double rest = other - 3 * F64 * mm * mm - F64 * mm * (d + 4 * k) - F64 * mm * MAX (2 * n_stage, n_test);
      /* The largest M whose 24 M² + linear·M bytes fit beside the rest. */
      double room = budget - rest;
      double fits = room > 0 ? (-linear + sqrt (linear * linear + 4 * 3 * F64 * room)) / (2 * 3 * F64) : 0;

      g_string_append_printf (advice, "Lower %s.ranpac_dim (now %u; RanPAC keeps three M×M matrices of "
                              "doubles; at most about %.0f would fit in all of this memory)", path, options->ranpac_dim, floor (fits));
    }
  if (gda && 2 * F64 * d * d > budget / 4)
    g_string_append_printf (advice, "%s leave “gda” out of %s.methods (it keeps two D×D matrices for the "
                            "stores' %u features)", advice->len ? ", or" : "Leave", path, train->dim);
  if (advice->len == 0)
    g_string_append_printf (advice, "Use smaller stores, or fewer classes per stage in %s.split", path);
  g_string_append_c (advice, '.');
  return vt_memory_check (&e, what, advice->str, error);
}

gboolean
vt_step_memory_check_project (VtFeatureStore            *store,
                              const VtEmbeddingOptions  *options,
                              gboolean                   quality,
                              const char                *path,
                              GError                   **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  double n = options->max_samples > 0 ? MIN (options->max_samples, store->n_samples) : store->n_samples;
  double d = store->dim;
  g_autoptr(GString) advice = g_string_new (NULL);
  g_autofree char *what = NULL;
  const char *method = options->method == VT_EMBEDDING_PCA ? "PCA"
                       : options->method == VT_EMBEDDING_UMAP ? "UMAP" : "t-SNE";

  vt_memory_estimate_init (&e);
  what = g_strdup_printf ("%s: %s of %.0f samples", path, method, n);
  /* vt-embedding.c: the sampled rows; the layout, kept twice. */
  if (n < store->n_samples)
    vt_memory_estimate_add (&e, "the sampled features", F32 * n * d);
  vt_memory_estimate_add (&e, "the layout", 2 * F32 * n * options->dims);
  /* vt-pca.c (also t-SNE's initial layout): the scatter, the eigenvectors
   * and LAPACK's workspace; a block of centred rows. */
  if (options->method == VT_EMBEDDING_PCA || options->tsne.init == VT_TSNE_INIT_PCA)
    vt_memory_estimate_add (&e, "PCA's D×D matrices", F64 * (3 * d * d + 2048 * d));
  g_string_append_printf (advice, "Lower %s.samples (now %.0f)", path, n);

  if (options->method == VT_EMBEDDING_TSNE)
    {
      gboolean exact = options->tsne.method == VT_TSNE_EXACT
                       || (options->tsne.method == VT_TSNE_AUTO && n <= VT_TSNE_EXACT_AUTO_MAX);
      /* vt-tsne.c: eight 2N arrays and one per thread. */
      vt_memory_estimate_add (&e, "t-SNE's gradients", F64 * 2 * n * (8 + threads ()));
      if (exact)
        vt_memory_estimate_add (&e, "exact t-SNE's N×N affinities", F64 * n * n);
      else
        {
          double k = MIN (n - 1, floor (3 * options->tsne.perplexity + 1));
          /* The neighbours (indices, distances, conditional P); P
           * symmetrized (up to 2Nk entries, built through a list of them)
           * and its upper triangle in float; the blocks of products. */
          vt_memory_estimate_add (&e, "t-SNE's neighbour affinities", n * k * (4 + 8 + 8 + 2 * 12 + 2 * 16 + 8));
          vt_memory_estimate_add (&e, "the neighbour search", threads () * F32 * 128 * n);
          g_string_append_printf (advice, ", %s.perplexity (now %g: %.0f neighbours a point)", path,
                                  options->tsne.perplexity, k);
        }
    }
  else if (options->method == VT_EMBEDDING_UMAP)
    {
      double k = MIN (n - 1, options->umap.n_neighbors);
      gboolean approximate = options->umap.neighbors == VT_UMAP_NEIGHBORS_APPROXIMATE
                             || (options->umap.neighbors == VT_UMAP_NEIGHBORS_AUTO && n > VT_UMAP_EXACT_NEIGHBORS_MAX);

      /* vt-umap.c: the neighbours twice over, the memberships, the
       * symmetrized graph (through a list of entries) and its edges. */
      vt_memory_estimate_add (&e, "UMAP's neighbour graph", n * k * (2 * 12 + 8 + 2 * 12 + 2 * 16 + 2 * 24));
      if (approximate)
        /* vt-nn-descent.c: heaps, candidates, and the trees' points. */
        vt_memory_estimate_add (&e, "NN-descent", n * (9 * k + 60 * 8 + 4.0 * MIN (64, 5 + round (sqrt (n) / 20))));
      else
        vt_memory_estimate_add (&e, "the neighbour search", threads () * F32 * 128 * n);
      g_string_append_printf (advice, ", %s.n_neighbors (now %.0f)", path, k);
    }
  if (quality)
    {
      /* vt-embedding-quality.c: the features as doubles, blocks of
       * products, and the 10 neighbours of every point. */
      vt_memory_estimate_add (&e, "trustworthiness", F64 * (n * d + 128 * n) + 2 * 12 * n * 10);
      g_string_append_printf (advice, ", or set %s.quality to false", path);
    }
  g_string_append_c (advice, '.');
  return vt_memory_check (&e, what, advice->str, error);
}

gboolean
vt_step_memory_check_attention (VtModel     *model,
                                guint        n_images,
                                int          height,
                                int          width,
                                double       per_image,
                                const char  *path,
                                GError     **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s: the attention maps of %u images of %d×%d pixels from %s", path,
                                           n_images, height, width,
                                           vt_checkpoint_get_path (vt_model_get_checkpoint (model)));
  g_autofree char *advice = g_strdup_printf ("Ask for fewer images (%s.samples, %s.files or the input's batch) or "
                                             "fewer layers in %s.heads.", path, path, path);

  vt_memory_estimate_init (&e);
  /* vt-step-attention.c: one image at a time, all of its attention kept. */
  vt_memory_estimate_add (&e, "the model's activations and attention",
                          vt_model_forward_bytes (model, 1, height, width, VT_TAP_ATTENTION));
  vt_memory_estimate_add (&e, "the maps and the input, every image's", F32 * per_image * n_images);
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_attribute (VtTrainable  *model,
                                const char   *checkpoint_path,
                                guint         n_images,
                                guint         batch,
                                guint         score_batch,
                                int           height,
                                int           width,
                                guint         n_methods,
                                const char   *path,
                                GError      **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  double plane = (double) height * width, in_model = MAX (batch, score_batch);
  g_autofree char *what = g_strdup_printf ("%s: the attribution maps of %u images of %d×%d pixels from %s at "
                                           "batch %u", path, n_images, height, width,
                                           checkpoint_path, batch);
  g_autofree char *advice = g_strdup_printf ("Lower %s.batch (now %u)%s, or ask for fewer images (%s.samples, "
                                             "%s.files or the input's batch) or fewer methods.", path, batch,
                                             score_batch ? " or scorecam's score_batch" : "", path, path);

  vt_memory_estimate_init (&e);
  /* vt-cam.c: a batch forward and backward (Score-CAM's masked inputs
   * go through the same tape); the layer's activations and gradient are
   * copied out, at most the whole batch's activations. */
  vt_memory_estimate_add (&e, "the activations kept for the backward pass and their gradients",
                          vt_trainable_bytes (model, (int) MIN (in_model, G_MAXINT), height, width));
  vt_memory_estimate_add (&e, "Score-CAM's masked inputs", F32 * score_batch * 3 * plane);
  /* vt-step-attribute.c: every map and image until the file is written,
   * and the file's bytes, built in memory before they are written. */
  vt_memory_estimate_add (&e, "the maps and the input, every image's, and the file's copy of them",
                          2 * F32 * n_images * plane * (n_methods + 3.0));
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_faithfulness (VtTrainable  *model,
                                   const char   *checkpoint_path,
                                   guint         n_images,
                                   guint         batch,
                                   guint         score_batch,
                                   int           height,
                                   int           width,
                                   guint         n_methods,
                                   gboolean      masks,
                                   const char   *path,
                                   GError      **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  double plane = (double) height * width, in_model = MAX (batch, score_batch);
  /* vt-faithfulness.c and vt-faithfulness-road.c: the perturbed images of
   * a classifier call (VtFaithfulnessOptions' batch_size, VtRoadOptions'),
   * their substrate or ranking, and the logits. */
  double metric_batch = 64;
  g_autofree char *what = g_strdup_printf ("%s: the faithfulness of the attribution maps of %u images of %d×%d "
                                           "pixels from %s at batch %u", path, n_images, height, width,
                                           checkpoint_path, batch);
  g_autofree char *advice = g_strdup_printf ("Lower %s.batch (now %u)%s, or ask for fewer images (%s.samples) or "
                                             "fewer methods.", path, batch,
                                             score_batch ? " or scorecam's score_batch" : "", path);

  vt_memory_estimate_init (&e);
  vt_memory_estimate_add (&e, "the activations kept for the backward pass and their gradients",
                          vt_trainable_bytes (model, (int) MIN (MAX (in_model, metric_batch), G_MAXINT), height,
                                              width));
  vt_memory_estimate_add (&e, "Score-CAM's masked inputs", F32 * score_batch * 3 * plane);
  /* vt-step-faithfulness.c: every image, map and mask until the metrics
   * are done, and the maps file's copy of them. */
  vt_memory_estimate_add (&e, "the maps, the images and their masks, every image's, and the file's copy of them",
                          2 * F32 * n_images * plane * (n_methods + 3.0 + (masks ? 1.0 : 0.0)));
  vt_memory_estimate_add (&e, "the perturbed images of a batch and their substrate",
                          3 * F32 * metric_batch * 3 * plane);
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_glyphs (const VtGlyphDatasetOptions  *options,
                             const char                   *path,
                             GError                      **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  g_autofree char *what = g_strdup_printf ("%s: generating %u + %u glyph images of %u×%u pixels", path,
                                           options->n_train, options->n_test, options->size, options->size);
  g_autofree char *advice = g_strdup_printf ("Lower %s.train_images (now %u), %s.test_images (now %u) or "
                                             "%s.size (now %u).", path, options->n_train, path, options->n_test,
                                             path, options->size);

  vt_memory_estimate_init (&e);
  /* vt-glyph-dataset.c: the placements and the images being rendered. */
  vt_memory_estimate_add (&e, "the placements and the images being rendered",
                          vt_glyph_dataset_bytes (options, (int) threads ()));
  return vt_memory_check (&e, what, advice, error);
}

gboolean
vt_step_memory_check_active (VtFeatureStore      *pool,
                             const VtActiveStep  *step,
                             const char          *path,
                             GError             **error)
{
  g_auto(VtMemoryEstimate) e = { 0 };
  double u = step->pool_samples > 0 ? MIN (step->pool_samples, pool->n_samples) : pool->n_samples;
  double k = pool->n_classes, d = pool->dim;
  double labeled = step->initial + (double) step->rounds * step->budget;
  g_autofree char *what = NULL;
  g_autofree char *advice = NULL;

  vt_memory_estimate_init (&e);
  what = g_strdup_printf ("%s: active learning on %.0f samples of %.0f features in %.0f classes", path, u, d, k);
  /* vt-step-active.c: the unlabeled pool's features and probabilities,
   * the labeled features, the round's index lists; results per round. */
  vt_memory_estimate_add (&e, "the pool's features and probabilities", F32 * u * (d + k) + F32 * labeled * d + 16 * u);
  /* vt-active-strategy.c: scores and order (uncertainty), distances
   * (coreset), BADGE's class part of the gradient embeddings and norms. */
  if (step->strategies & (1u << VT_ACTIVE_BADGE))
    vt_memory_estimate_add (&e, "BADGE's gradient embeddings", F64 * u * (k + 5));
  else
    vt_memory_estimate_add (&e, "the strategies' scores", (F64 + 8) * u);
  /* vt-active-learner.c: the head, its gradient and momentum, a batch. */
  vt_memory_estimate_add (&e, "the learner", 3 * F32 * k * d + F32 * labeled * (2 * d + 3 * k));
  vt_memory_estimate_add (&e, "the selections and histograms",
                          (double) VT_ACTIVE_N_STRATEGIES * 2 * step->n_seeds * (step->rounds + 1) * (8 * k + 16)
                          + 16 * labeled * VT_ACTIVE_N_STRATEGIES * 2 * step->n_seeds);
  advice = g_strdup_printf ("Lower %s.pool_samples (now %.0f).", path, u);
  return vt_memory_check (&e, what, advice, error);
}
