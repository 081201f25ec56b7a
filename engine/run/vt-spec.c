/* vt-spec.c: loading and validating experiment specs.
 *
 * A kind is one row of step_kinds: its name and its parser. Later kinds
 * (evaluate, extract, incremental, …) add a row and a parser. */
#include "vt-spec.h"
#include "vt-spec-reader.h"
#include "core/vt-json.h"
#include "io/vt-file.h"
#include "models/vt-transform.h"
#include "models/vt-zero-shot.h"
#include "methods/cil/vt-cil-protocol.h"

G_DEFINE_QUARK (vt-spec-error-quark, vt_spec_error)

static void
inspect_step_free (VtStep *step)
{
  VtInspectStep *inspect = (VtInspectStep *) step;

  g_free (inspect->checkpoint);
  g_strfreev (inspect->histograms);
}

static VtStep *
inspect_step_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "histograms", "bins", "formats", NULL };
  /* Order matches the VtFigureFormats bits. */
  static const char * const formats[] = { "png", "svg", "pdf", NULL };
  VtInspectStep *step = g_new0 (VtInspectStep, 1);
  guint format_flags = VT_FIGURE_FORMATS_ALL;

  step->bins = VT_STATS_DEFAULT_BINS;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_spec_get_strv (object, path, "histograms", &step->histograms, error) ||
      !vt_spec_get_uint (object, path, "bins", 2, 4096, &step->bins, error) ||
      !vt_spec_get_flags (object, path, "formats", formats, &format_flags, error))
    {
      inspect_step_free (&step->base);
      g_free (step);
      return NULL;
    }
  if (step->histograms == NULL)
    step->histograms = g_new0 (char *, 1);
  step->formats = format_flags;
  return &step->base;
}

static void
forward_step_free (VtStep *step)
{
  VtForwardStep *forward = (VtForwardStep *) step;

  g_free (forward->checkpoint);
  g_free (forward->input);
  g_free (forward->images);
  g_free (forward->tokens);
}

static VtStep *
forward_step_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "input", "images", "tokens", "taps", NULL };
  /* Bit i of the flags is choice i: "outputs" is bit 0 and always on. */
  static const char * const taps[] = { "outputs", "blocks", "attention", NULL };
  VtForwardStep *step = g_new0 (VtForwardStep, 1);
  guint tap_flags = 1;

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "checkpoint", TRUE, &step->checkpoint, error) ||
      !vt_spec_get_string (object, path, "input", TRUE, &step->input, error) ||
      !vt_spec_get_string (object, path, "images", FALSE, &step->images, error) ||
      !vt_spec_get_string (object, path, "tokens", FALSE, &step->tokens, error) ||
      !vt_spec_get_flags (object, path, "taps", taps, &tap_flags, error))
    goto fail;
  if (step->images == NULL && step->tokens == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: name the input tensor with “images” or “tokens” (or both)", path);
      goto fail;
    }
  /* Drop the "outputs" bit: the rest line up with VtTapFlags. */
  step->taps = tap_flags >> 1;
  return &step->base;

fail:
  forward_step_free (&step->base);
  g_free (step);
  return NULL;
}

/* The keys every model-input step accepts, then its own. */
#define MODEL_INPUT_KEYS "checkpoint", "dataset", "split", "coarse_labels", "transform", "batch", "skip_unreadable"

static void
model_input_clear (VtModelInput *input)
{
  g_free (input->checkpoint);
  g_free (input->dataset);
  g_free (input->split);
}

static gboolean
transform_spec_parse (JsonObject       *parent,
                      const char       *parent_path,
                      VtTransformSpec  *t,
                      GError          **error)
{
  static const char * const keys[] = { "resize", "crop", "crop_pct", "interpolation", "mean", "std", "normalize", NULL };
  /* Order matches VtResample. */
  static const char * const filters[] = { "bilinear", "bicubic", NULL };
  g_autofree char *path = g_strdup_printf ("%s.transform", parent_path);
  JsonNode *node = json_object_get_member (parent, "transform");
  JsonObject *object;
  guint resize = 0, crop = 0;

  *t = (VtTransformSpec) { -1, -1, 0.0, -1, FALSE, FALSE, { 0 }, { 0 }, TRUE };
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: expected an object", path);
      return FALSE;
    }
  object = json_node_get_object (node);
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_uint (object, path, "resize", 0, 4096, &resize, error) ||
      !vt_spec_get_uint (object, path, "crop", 1, 4096, &crop, error) ||
      /* Above 0.1: the resize, crop / crop_pct, stays an int (at most
       * 40960) and a sane one; timm's models use 0.875 to 1. */
      !vt_spec_get_number (object, path, "crop_pct", 0.1, 1.0, &t->crop_pct, error) ||
      !vt_spec_get_choice (object, path, "interpolation", filters, &t->interpolation, error) ||
      !vt_spec_get_triple (object, path, "mean", VT_TRANSFORM_MEAN_MIN, VT_TRANSFORM_MEAN_MAX, t->mean,
                           &t->has_mean, error) ||
      !vt_spec_get_triple (object, path, "std", VT_TRANSFORM_STD_MIN, VT_TRANSFORM_STD_MAX, t->std,
                           &t->has_std, error) ||
      !vt_spec_get_bool (object, path, "normalize", &t->normalize, error))
    return FALSE;
  if (json_object_has_member (object, "resize"))
    t->resize = (int) resize;
  if (json_object_has_member (object, "crop"))
    t->crop = (int) crop;
  if (t->crop_pct > 0 && t->resize >= 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: give “resize” or “crop_pct”, not both", path);
      return FALSE;
    }
  if (!t->normalize && (t->has_mean || t->has_std))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: “mean” and “std” contradict “normalize”: false", path);
      return FALSE;
    }
  return TRUE;
}

/* @dataset_required: FALSE for a step that may take image files instead. */
static gboolean
model_input_parse (JsonObject    *object,
                   const char    *path,
                   gboolean       dataset_required,
                   VtModelInput  *input,
                   GError       **error)
{
  static const char * const splits[] = { "train", "test", NULL };
  int split = -1;

  input->batch = 64;
  if (!vt_spec_get_string (object, path, "checkpoint", TRUE, &input->checkpoint, error) ||
      !vt_spec_get_string (object, path, "dataset", dataset_required, &input->dataset, error) ||
      !vt_spec_get_choice (object, path, "split", splits, &split, error) ||
      !vt_spec_get_bool (object, path, "coarse_labels", &input->coarse_labels, error) ||
      !transform_spec_parse (object, path, &input->transform, error) ||
      !vt_spec_get_uint (object, path, "batch", 1, 1024, &input->batch, error) ||
      !vt_spec_get_bool (object, path, "skip_unreadable", &input->skip_unreadable, error))
    return FALSE;
  if (split >= 0)
    input->split = g_strdup (splits[split]);
  return TRUE;
}

static void
evaluate_step_free (VtStep *step)
{
  model_input_clear (&((VtEvaluateStep *) step)->input);
}

static VtStep *
evaluate_step_parse (JsonObject  *object,
                     const char  *path,
                     GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "class_match", "formats", NULL };
  static const char * const formats[] = { "png", "svg", "pdf", NULL };
  static const char * const matches[] = { "names", "index", NULL };
  VtEvaluateStep *step = g_new0 (VtEvaluateStep, 1);
  guint format_flags = VT_FIGURE_FORMATS_ALL;
  int match = 0;

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_spec_get_choice (object, path, "class_match", matches, &match, error) ||
      !vt_spec_get_flags (object, path, "formats", formats, &format_flags, error))
    {
      evaluate_step_free (&step->base);
      g_free (step);
      return NULL;
    }
  step->by_index = match == 1;
  step->formats = format_flags;
  return &step->base;
}

static void
extract_step_free (VtStep *step)
{
  VtExtractStep *extract = (VtExtractStep *) step;

  model_input_clear (&extract->input);
  g_free (extract->store);
}

static VtStep *
extract_step_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "store", "logits", "verify", NULL };
  VtExtractStep *step = g_new0 (VtExtractStep, 1);

  if (!vt_spec_check_keys (object, path, keys, error) ||
      !model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_spec_get_string (object, path, "store", FALSE, &step->store, error) ||
      !vt_spec_get_bool (object, path, "logits", &step->logits, error) ||
      !vt_spec_get_bool (object, path, "verify", &step->verify, error))
    {
      extract_step_free (&step->base);
      g_free (step);
      return NULL;
    }
  return &step->base;
}

static void
incremental_step_free (VtStep *step)
{
  VtIncrementalStep *inc = (VtIncrementalStep *) step;

  g_free (inc->train);
  g_free (inc->test);
  g_free (inc->split);
}

static VtStep *
incremental_step_parse (JsonObject  *object,
                        const char  *path,
                        GError     **error)
{
  static const char * const keys[] = { "kind", "id", "train", "test", "split", "order", "seed", "methods",
                                       "gda_shrinkage", "gda_ridge", "ranpac_dim", "ranpac_seed", "formats", NULL };
  static const char * const orders[] = { "shuffled", "given", NULL };
  /* Order matches VtGdaShrinkage. */
  static const char * const shrinkages[] = { "ks", "ridge", NULL };
  static const char * const formats[] = { "png", "svg", "pdf", NULL };
  const VtCilMethodClass * const *all = vt_cil_methods ();
  g_autofree const char **names = NULL;
  VtIncrementalStep *step = g_new0 (VtIncrementalStep, 1);
  guint format_flags = VT_FIGURE_FORMATS_ALL, n_methods = vt_cil_n_methods ();
  int order = 0, shrinkage = VT_GDA_SHRINK_KS;
  VtCilSplit split;

  names = g_new0 (const char *, n_methods + 1);
  for (guint i = 0; i < n_methods; i++)
    names[i] = all[i]->name;
  vt_cil_options_init (&step->options);
  step->seed = VT_CIL_DEFAULT_SEED;
  step->methods = (1u << n_methods) - 1;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "train", TRUE, &step->train, error) ||
      !vt_spec_get_string (object, path, "test", TRUE, &step->test, error) ||
      !vt_spec_get_string (object, path, "split", TRUE, &step->split, error) ||
      !vt_spec_get_choice (object, path, "order", orders, &order, error) ||
      !vt_spec_get_uint (object, path, "seed", 0, G_MAXUINT32, &step->seed, error) ||
      !vt_spec_get_flags (object, path, "methods", names, &step->methods, error) ||
      !vt_spec_get_choice (object, path, "gda_shrinkage", shrinkages, &shrinkage, error) ||
      !vt_spec_get_number (object, path, "gda_ridge", 0.0, 1.0, &step->options.gda_ridge, error) ||
      !vt_spec_get_uint (object, path, "ranpac_dim", 1, 100000, &step->options.ranpac_dim, error) ||
      !vt_spec_get_uint (object, path, "ranpac_seed", 0, G_MAXUINT32, &step->options.ranpac_seed, error) ||
      !vt_spec_get_flags (object, path, "formats", formats, &format_flags, error))
    goto fail;
  if (!vt_cil_split_parse (step->split, &split, NULL))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.split: “%s” is not a split: expected B<base>-Inc<step>, such as B0-Inc10", path, step->split);
      goto fail;
    }
  step->shuffle = order == 0;
  step->options.gda_shrinkage = (VtGdaShrinkage) shrinkage;
  step->formats = format_flags;
  return &step->base;

fail:
  incremental_step_free (&step->base);
  g_free (step);
  return NULL;
}

static void
project_step_free (VtStep *step)
{
  g_free (((VtProjectStep *) step)->store);
}

static VtStep *
project_step_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", "store", "method", "dimensions", "samples", "perplexity",
                                       "early_exaggeration", "learning_rate", "iterations", "theta",
                                       "tsne_method", "init", "seed", "n_neighbors", "neighbors", "min_dist",
                                       "epochs", "negative_sample_rate", "color", "task_classes", "quality", "formats", NULL };
  /* Orders match VtEmbeddingMethod, VtTsneMethod, VtTsneInit, VtUmapNeighbors and VtEmbeddingColor. */
  static const char * const methods[] = { "pca", "tsne", "umap", NULL };
  static const char * const tsne_methods[] = { "auto", "exact", "barnes_hut", NULL };
  static const char * const inits[] = { "pca", "random", NULL };
  static const char * const neighbor_searches[] = { "auto", "exact", "approximate", NULL };
  static const char * const colors[] = { "class", "prediction", "correct", "confidence", "task", NULL };
  static const char * const formats[] = { "png", "svg", "pdf", NULL };
  VtProjectStep *step = g_new0 (VtProjectStep, 1);
  VtTsneOptions *tsne = &step->options.tsne;
  int method = VT_EMBEDDING_TSNE, tsne_method = VT_TSNE_AUTO, init = VT_TSNE_INIT_PCA;
  int color = VT_EMBEDDING_COLOR_CLASS, neighbors = VT_UMAP_NEIGHBORS_AUTO;
  guint format_flags = VT_FIGURE_FORMATS_ALL;
  gboolean quality = FALSE;

  vt_embedding_options_init (&step->options);
  step->quality = -1;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !vt_spec_get_string (object, path, "store", TRUE, &step->store, error) ||
      !vt_spec_get_choice (object, path, "method", methods, &method, error) ||
      !vt_spec_get_uint (object, path, "dimensions", 2, 3, &step->options.dims, error) ||
      !vt_spec_get_uint (object, path, "samples", 1, G_MAXUINT32, &step->options.max_samples, error) ||
      !vt_spec_get_number (object, path, "perplexity", 0.0, 1e4, &tsne->perplexity, error) ||
      !vt_spec_get_number (object, path, "early_exaggeration", 0.999999, 1e4, &tsne->early_exaggeration, error) ||
      !vt_spec_get_number (object, path, "learning_rate", 0.0, 1e7, &tsne->learning_rate, error) ||
      !vt_spec_get_uint (object, path, "iterations", 250, 100000, &tsne->n_iterations, error) ||
      !vt_spec_get_number (object, path, "theta", 0.0, 1.0, &tsne->theta, error) ||
      !vt_spec_get_choice (object, path, "tsne_method", tsne_methods, &tsne_method, error) ||
      !vt_spec_get_choice (object, path, "init", inits, &init, error) ||
      !vt_spec_get_uint (object, path, "seed", 0, G_MAXUINT32, &tsne->seed, error) ||
      !vt_spec_get_uint (object, path, "n_neighbors", 2, 1000, &step->options.umap.n_neighbors, error) ||
      !vt_spec_get_choice (object, path, "neighbors", neighbor_searches, &neighbors, error) ||
      !vt_spec_get_number (object, path, "min_dist", -1e-12, 10.0, &step->options.umap.min_dist, error) ||
      !vt_spec_get_uint (object, path, "epochs", 1, 100000, &step->options.umap.n_epochs, error) ||
      !vt_spec_get_uint (object, path, "negative_sample_rate", 1, 1000,
                         &step->options.umap.negative_sample_rate, error) ||
      !vt_spec_get_choice (object, path, "color", colors, &color, error) ||
      !vt_spec_get_uint (object, path, "task_classes", 1, 100000, &step->task_classes, error) ||
      !vt_spec_get_bool (object, path, "quality", &quality, error) ||
      !vt_spec_get_flags (object, path, "formats", formats, &format_flags, error))
    goto fail;
  if (json_object_has_member (object, "quality"))
    step->quality = quality;
  step->options.method = (VtEmbeddingMethod) method;
  tsne->method = (VtTsneMethod) tsne_method;
  tsne->init = (VtTsneInit) init;
  tsne->layout_interval = 0;
  step->options.umap.seed = tsne->seed;
  step->options.umap.neighbors = (VtUmapNeighbors) neighbors;
  /* "neighbors" means the same for t-SNE's Barnes-Hut: auto keeps its own
   * threshold, exact and approximate force one search. */
  if (neighbors == VT_UMAP_NEIGHBORS_EXACT)
    tsne->exact_neighbors_max = G_MAXUINT;
  else if (neighbors == VT_UMAP_NEIGHBORS_APPROXIMATE)
    tsne->exact_neighbors_max = 0;
  step->options.umap.layout_interval = 0;
  step->color = (VtEmbeddingColor) color;
  step->formats = format_flags;
  if (step->options.method != VT_EMBEDDING_PCA && step->options.dims != 2)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.dimensions: t-SNE and UMAP lay points out in 2 dimensions", path);
      goto fail;
    }
  return &step->base;

fail:
  project_step_free (&step->base);
  g_free (step);
  return NULL;
}

static void
predict_step_free (VtStep *step)
{
  VtPredictStep *predict = (VtPredictStep *) step;

  model_input_clear (&predict->input);
  g_strfreev (predict->images);
  g_strfreev (predict->classes);
  g_free (predict->classes_file);
  g_free (predict->prompt);
}

static VtStep *
predict_step_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "images", "top", "classes", "prompt", NULL };
  VtPredictStep *step = g_new0 (VtPredictStep, 1);
  JsonNode *classes = json_object_get_member (object, "classes");

  step->top = 5;
  if (!vt_spec_check_keys (object, path, keys, error) ||
      !model_input_parse (object, path, FALSE, &step->input, error) ||
      !vt_spec_get_strv (object, path, "images", &step->images, error) ||
      /* The number of classes is the model's: checked when it is open. */
      !vt_spec_get_uint (object, path, "top", 1, 100000, &step->top, error) ||
      !vt_spec_get_string (object, path, "prompt", FALSE, &step->prompt, error))
    goto fail;
  if ((step->images == NULL) == (step->input.dataset == NULL))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s: give “images” (a list of image files) or “dataset”, one of the two", path);
      goto fail;
    }
  if (step->images != NULL && step->images[0] == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.images: expected at least one image file", path);
      goto fail;
    }
  if (step->images != NULL && step->input.split != NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.split: a split is of a dataset, not of “images”",
                   path);
      goto fail;
    }
  /* "classes": the names, or a file that holds them one per line. */
  if (classes != NULL && JSON_NODE_HOLDS_VALUE (classes) && json_node_get_value_type (classes) == G_TYPE_STRING)
    step->classes_file = g_strdup (json_node_get_string (classes));
  else if (classes != NULL && !JSON_NODE_HOLDS_ARRAY (classes))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.classes: expected a list of class names, or a file of them one per line", path);
      goto fail;
    }
  else if (!vt_spec_get_strv (object, path, "classes", &step->classes, error))
    goto fail;
  if (step->classes != NULL && step->classes[0] == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.classes: expected at least one class name", path);
      goto fail;
    }
  if (step->prompt != NULL && step->classes == NULL && step->classes_file == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.prompt: a prompt is for “classes” (CLIP's zero-shot); give the class names too", path);
      goto fail;
    }
  if (step->prompt == NULL)
    step->prompt = g_strdup (VT_DEFAULT_PROMPT);
  return &step->base;

fail:
  predict_step_free (&step->base);
  g_free (step);
  return NULL;
}

static const struct
{
  const char  *name;
  VtStepKind   kind;
  VtStep    *(*parse) (JsonObject *object, const char *path, GError **error);
  void       (*free)  (VtStep *step);
} step_kinds[] = {
  { "inspect", VT_STEP_INSPECT, inspect_step_parse, inspect_step_free },
  { "forward", VT_STEP_FORWARD, forward_step_parse, forward_step_free },
  { "evaluate", VT_STEP_EVALUATE, evaluate_step_parse, evaluate_step_free },
  { "extract", VT_STEP_EXTRACT, extract_step_parse, extract_step_free },
  { "incremental", VT_STEP_INCREMENTAL, incremental_step_parse, incremental_step_free },
  { "project", VT_STEP_PROJECT, project_step_parse, project_step_free },
  { "predict", VT_STEP_PREDICT, predict_step_parse, predict_step_free },
};

const char *
vt_step_kind_name (VtStepKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_kinds); i++)
    if (step_kinds[i].kind == kind)
      return step_kinds[i].name;
  g_return_val_if_reached (NULL);
}

static void
step_free (VtStep *step)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_kinds); i++)
    if (step_kinds[i].kind == step->kind)
      step_kinds[i].free (step);
  g_free (step->id);
  g_free (step);
}

void
vt_spec_free (VtSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->path);
  g_free (spec->base_dir);
  g_free (spec->name);
  g_clear_pointer (&spec->steps, g_ptr_array_unref);
  g_clear_pointer (&spec->source, json_node_unref);
  g_free (spec);
}

static gboolean
is_valid_id (const char *id)
{
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return *id != '\0';
}

static VtStep *
parse_step (JsonNode    *node,
            guint        index,
            GHashTable  *ids,
            GError     **error)
{
  g_autofree char *path = g_strdup_printf ("$.steps[%u]", index);
  g_autofree char *kind = NULL;
  g_autofree char *id = NULL;
  JsonObject *object;
  VtStep *step = NULL;
  guint k;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: expected an object", path);
      return NULL;
    }
  object = json_node_get_object (node);
  if (!vt_spec_get_string (object, path, "kind", TRUE, &kind, error) ||
      !vt_spec_get_string (object, path, "id", FALSE, &id, error))
    return NULL;

  for (k = 0; k < G_N_ELEMENTS (step_kinds) && !g_str_equal (step_kinds[k].name, kind); k++)
    ;
  if (k == G_N_ELEMENTS (step_kinds))
    {
      g_autoptr(GString) known = g_string_new (NULL);
      for (guint i = 0; i < G_N_ELEMENTS (step_kinds); i++)
        g_string_append_printf (known, "%s%s", i ? ", " : "", step_kinds[i].name);
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.kind: unknown kind “%s” (known: %s)", path, kind, known->str);
      return NULL;
    }

  /* Default ids: "inspect", then "inspect-2", … */
  if (id == NULL)
    {
      id = g_strdup (kind);
      for (guint n = 2; g_hash_table_contains (ids, id); n++)
        {
          g_free (id);
          id = g_strdup_printf ("%s-%u", kind, n);
        }
    }
  else if (!is_valid_id (id) || g_hash_table_contains (ids, id))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.id: “%s” must be unique and use only letters, digits, “-” and “_”", path, id);
      return NULL;
    }

  step = step_kinds[k].parse (object, path, error);
  if (step == NULL)
    return NULL;
  step->kind = step_kinds[k].kind;
  step->id = g_steal_pointer (&id);
  g_hash_table_add (ids, step->id);
  return step;
}

/* A feature store that step @index names: the id of an earlier extract
 * step, the path an earlier extract step writes, or a store file that
 * exists. Anything else is a misspelt id or path, better said now (a spec
 * error) than after the steps before it have run. */
static gboolean
check_store_reference (VtSpec      *spec,
                       guint        index,
                       const char  *key,
                       const char  *name,
                       GError     **error)
{
  g_autofree char *path = vt_spec_resolve_path (spec, name);
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint i = 0; i < spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (spec->steps, i);
      g_autofree char *writes = NULL;

      if (!g_str_equal (step->id, name))
        {
          if (step->kind == VT_STEP_EXTRACT && i < index)
            {
              VtExtractStep *extract = (VtExtractStep *) step;
              writes = extract->store ? vt_spec_resolve_path (spec, extract->store) : NULL;
              if (writes != NULL && g_str_equal (writes, path))
                return TRUE;
              g_string_append_printf (known, "%s%s", known->len ? ", " : "", step->id);
            }
          continue;
        }
      if (step->kind == VT_STEP_EXTRACT && i < index)
        return TRUE;
      if (step->kind == VT_STEP_EXTRACT)
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                     "$.steps[%u].%s: “%s” is an extract step that comes later; move it before this step",
                     index, key, name);
      else
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                     "$.steps[%u].%s: “%s” is the id of a step of kind “%s”, which writes no feature store; "
                     "name an extract step", index, key, name, vt_step_kind_name (step->kind));
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
               "$.steps[%u].%s: “%s” is neither the id of an earlier extract step (%s%s) nor a store file (%s does not exist)",
               index, key, name, known->len ? "known: " : "there is none", known->str, path);
  return FALSE;
}

static gboolean
check_store_references (VtSpec   *spec,
                        guint     index,
                        GError  **error)
{
  VtStep *step = g_ptr_array_index (spec->steps, index);

  if (step->kind == VT_STEP_INCREMENTAL)
    {
      VtIncrementalStep *inc = (VtIncrementalStep *) step;
      return check_store_reference (spec, index, "train", inc->train, error) &&
             check_store_reference (spec, index, "test", inc->test, error);
    }
  if (step->kind == VT_STEP_PROJECT)
    return check_store_reference (spec, index, "store", ((VtProjectStep *) step)->store, error);
  return TRUE;
}

static VtSpec *
parse_spec (JsonNode    *root,
            const char  *base_dir,
            GError     **error)
{
  static const char * const keys[] = { "name", "steps", NULL };
  g_autoptr(VtSpec) spec = g_new0 (VtSpec, 1);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *object;
  JsonNode *steps;

  spec->base_dir = g_strdup (base_dir);
  spec->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  spec->source = json_node_copy (root);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "$: expected an object");
      return NULL;
    }
  object = json_node_get_object (root);
  if (!vt_spec_check_keys (object, "$", keys, error) ||
      !vt_spec_get_string (object, "$", "name", FALSE, &spec->name, error))
    return NULL;

  steps = json_object_get_member (object, "steps");
  if (steps == NULL || !JSON_NODE_HOLDS_ARRAY (steps) ||
      json_array_get_length (json_node_get_array (steps)) == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "$.steps: expected a non-empty list of steps");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (steps)); i++)
    {
      VtStep *step = parse_step (json_array_get_element (json_node_get_array (steps), i), i, ids, error);
      if (step == NULL)
        return NULL;
      g_ptr_array_add (spec->steps, step);
    }
  for (guint i = 0; i < spec->steps->len; i++)
    if (!check_store_references (spec, i, error))
      return NULL;
  return g_steal_pointer (&spec);
}

VtSpec *
vt_spec_new_from_data (const char  *json,
                       const char  *base_dir,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  /* Unnamed: vt_spec_load puts the file's name before the message. */
  g_autoptr(JsonNode) root = vt_json_parse (json, -1, NULL, &local_error);

  if (root == NULL)
    {
      /* A key given twice is JSON json-glib reads, but not a spec: the
       * reader could only guess which of the two was meant. */
      g_set_error_literal (error, VT_SPEC_ERROR,
                           g_error_matches (local_error, VT_JSON_ERROR, VT_JSON_ERROR_DUPLICATE)
                             ? VT_SPEC_ERROR_INVALID : VT_SPEC_ERROR_PARSE,
                           local_error->message);
      return NULL;
    }
  return parse_spec (root, base_dir, error);
}

VtSpec *
vt_spec_load (const char  *path,
              GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) local_error = NULL;
  VtSpec *spec;

  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, &local_error))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_READ, "%s", local_error->message);
      return NULL;
    }
  spec = vt_spec_new_from_data (contents, dir, &local_error);
  if (spec == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, local_error->code, "%s: %s", path, local_error->message);
      return NULL;
    }
  spec->path = g_strdup (path);
  return spec;
}

char *
vt_spec_resolve_path (VtSpec     *spec,
                      const char *path)
{
  if (g_path_is_absolute (path) || spec->base_dir == NULL)
    return g_strdup (path);
  return g_build_filename (spec->base_dir, path, NULL);
}
