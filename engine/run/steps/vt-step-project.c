/* vt-step-project.c: the "project" step kind: its keys, defaults, JSON and constructor;
 * its executor is vt_run_project (run/vt-run-steps.h). */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "report/vt-report.h"

static void
project_init (VtStep *base)
{
  VtProjectStep *step = (VtProjectStep *) base;

  vt_embedding_options_init (&step->options);
  /* A batch run has no one to show a moving layout to. */
  step->options.tsne.layout_interval = 0;
  step->options.umap.layout_interval = 0;
  step->options.umap.seed = step->options.tsne.seed;
  step->color = VT_EMBEDDING_COLOR_CLASS;
  step->quality = -1;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
project_clear (VtStep *step)
{
  g_free (((VtProjectStep *) step)->store);
}

static VtStep *
project_parse (JsonObject  *object,
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
  VtProjectStep *step = (VtProjectStep *) vt_step_new (&vt_project_step_type, NULL);
  VtTsneOptions *tsne = &step->options.tsne;
  int method, tsne_method, init, color, neighbors;
  guint format_flags = step->formats;
  gboolean quality = FALSE;

  method = step->options.method;
  tsne_method = tsne->method;
  init = tsne->init;
  color = step->color;
  neighbors = step->options.umap.neighbors;
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
      !vt_spec_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  if (json_object_has_member (object, "quality"))
    step->quality = quality;
  step->options.method = (VtEmbeddingMethod) method;
  tsne->method = (VtTsneMethod) tsne_method;
  tsne->init = (VtTsneInit) init;
  step->options.umap.seed = tsne->seed;
  step->options.umap.neighbors = (VtUmapNeighbors) neighbors;
  /* "neighbors" means the same for t-SNE's Barnes-Hut: auto keeps its own
   * threshold, exact and approximate force one search. */
  if (neighbors == VT_UMAP_NEIGHBORS_EXACT)
    tsne->exact_neighbors_max = G_MAXUINT;
  else if (neighbors == VT_UMAP_NEIGHBORS_APPROXIMATE)
    tsne->exact_neighbors_max = 0;
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
  vt_step_free (&step->base);
  return NULL;
}

static void
project_to_json (const VtStep *base,
                 JsonObject   *object)
{
  const VtProjectStep *step = (const VtProjectStep *) base;
  const VtTsneOptions *tsne = &step->options.tsne;
  const VtUmapOptions *umap = &step->options.umap;
  /* Orders match VtEmbeddingMethod, VtTsneMethod, VtTsneInit, VtUmapNeighbors and VtEmbeddingColor. */
  static const char * const methods[] = { "pca", "tsne", "umap" };
  static const char * const tsne_methods[] = { "auto", "exact", "barnes_hut" };
  static const char * const inits[] = { "pca", "random" };
  static const char * const neighbor_searches[] = { "auto", "exact", "approximate" };
  static const char * const colors[] = { "class", "prediction", "correct", "confidence", "task" };

  json_object_set_string_member (object, "store", step->store);
  json_object_set_string_member (object, "method", methods[step->options.method]);
  json_object_set_int_member (object, "dimensions", step->options.dims);
  if (step->options.max_samples > 0)
    json_object_set_int_member (object, "samples", step->options.max_samples);
  json_object_set_double_member (object, "perplexity", tsne->perplexity);
  json_object_set_double_member (object, "early_exaggeration", tsne->early_exaggeration);
  /* 0: chosen from the number of points (learning rate, epochs). */
  if (tsne->learning_rate > 0)
    json_object_set_double_member (object, "learning_rate", tsne->learning_rate);
  json_object_set_int_member (object, "iterations", tsne->n_iterations);
  json_object_set_double_member (object, "theta", tsne->theta);
  json_object_set_string_member (object, "tsne_method", tsne_methods[tsne->method]);
  json_object_set_string_member (object, "init", inits[tsne->init]);
  json_object_set_int_member (object, "seed", tsne->seed);
  json_object_set_int_member (object, "n_neighbors", umap->n_neighbors);
  json_object_set_string_member (object, "neighbors", neighbor_searches[umap->neighbors]);
  json_object_set_double_member (object, "min_dist", umap->min_dist);
  if (umap->n_epochs > 0)
    json_object_set_int_member (object, "epochs", umap->n_epochs);
  json_object_set_int_member (object, "negative_sample_rate", umap->negative_sample_rate);
  json_object_set_string_member (object, "color", colors[step->color]);
  if (step->task_classes > 0)
    json_object_set_int_member (object, "task_classes", step->task_classes);
  if (step->quality >= 0)
    json_object_set_boolean_member (object, "quality", step->quality == 1);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
project_formats (const VtStep *step)
{
  return ((const VtProjectStep *) step)->formats;
}

static const char *
project_store_read (const VtStep  *step,
                    guint          i,
                    const char   **key)
{
  *key = "store";
  return i == 0 ? ((const VtProjectStep *) step)->store : NULL;
}

VtProjectStep *
vt_project_step_new (const char        *id,
                     const char        *store,
                     VtEmbeddingMethod  method)
{
  VtProjectStep *step = (VtProjectStep *) vt_step_new (&vt_project_step_type, id);

  step->store = g_strdup (store);
  step->options.method = method;
  return step;
}

const VtStepType vt_project_step_type = {
  .name = "project",
  .size = sizeof (VtProjectStep),
  .init = project_init,
  .parse = project_parse,
  .clear = project_clear,
  .to_json = project_to_json,
  .execute = vt_run_project,
  .formats = project_formats,
  .store_read = project_store_read,
  .figures = vt_report_project_figures,
};
