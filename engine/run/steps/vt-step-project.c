/* vt-step-project.c: the "project" step kind: its keys, defaults, JSON and constructor;
 * and its executor, vt_run_project. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "features/vt-feature-store.h"
#include "io/vt-file.h"
#include "io/vt-safetensors.h"
#include "methods/cil/vt-cil-run.h"
#include "methods/projection/vt-embedding-quality.h"
#include "models/vt-inspection.h"
#include "models/vt-predict.h"
#include "report/vt-csv.h"

#include "config.h"

#include <math.h>
#include <string.h>


#include "report/vt-report.h"

static void
project_init (VtStep *base)
{
  VtProjectStep *step = (VtProjectStep *) base;

  vt_embedding_options_init (&step->options);
  /* A batch run has no one to show a moving layout to: "layout_every"
   * (the window's) asks for the layouts, set on the options when it runs. */
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
                                       "epochs", "negative_sample_rate", "color", "task_classes", "quality", "layout_every",
                                       "formats", NULL };
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
  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "store", TRUE, &step->store, error) ||
      !vt_json_get_choice (object, path, "method", methods, &method, error) ||
      !vt_json_get_uint (object, path, "dimensions", 2, 3, &step->options.dims, error) ||
      !vt_json_get_uint (object, path, "samples", 1, G_MAXUINT32, &step->options.max_samples, error) ||
      !vt_json_get_number (object, path, "perplexity", 0.0, 1e4, &tsne->perplexity, error) ||
      !vt_json_get_number (object, path, "early_exaggeration", 0.999999, 1e4, &tsne->early_exaggeration, error) ||
      !vt_json_get_number (object, path, "learning_rate", 0.0, 1e7, &tsne->learning_rate, error) ||
      !vt_json_get_uint (object, path, "iterations", 250, 100000, &tsne->n_iterations, error) ||
      !vt_json_get_number (object, path, "theta", 0.0, 1.0, &tsne->theta, error) ||
      !vt_json_get_choice (object, path, "tsne_method", tsne_methods, &tsne_method, error) ||
      !vt_json_get_choice (object, path, "init", inits, &init, error) ||
      !vt_json_get_uint (object, path, "seed", 0, G_MAXUINT32, &tsne->seed, error) ||
      !vt_json_get_uint (object, path, "n_neighbors", 2, 1000, &step->options.umap.n_neighbors, error) ||
      !vt_json_get_choice (object, path, "neighbors", neighbor_searches, &neighbors, error) ||
      !vt_json_get_number (object, path, "min_dist", -1e-12, 10.0, &step->options.umap.min_dist, error) ||
      !vt_json_get_uint (object, path, "epochs", 1, 100000, &step->options.umap.n_epochs, error) ||
      !vt_json_get_uint (object, path, "negative_sample_rate", 1, 1000,
                         &step->options.umap.negative_sample_rate, error) ||
      !vt_json_get_choice (object, path, "color", colors, &color, error) ||
      !vt_json_get_uint (object, path, "task_classes", 1, 100000, &step->task_classes, error) ||
      !vt_json_get_bool (object, path, "quality", &quality, error) ||
      !vt_json_get_uint (object, path, "layout_every", 0, 100000, &step->layout_every, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
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
  if (step->layout_every > 0)
    json_object_set_int_member (object, "layout_every", step->layout_every);
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

static void
projection_event (const VtEvent *event,
                  gpointer       data)
{
  VtEvent copy = *event;

  /* Progress and the layouts as they move, stamped with the step. */
  vt_run_dispatch (data, &copy);
}

/* Trustworthiness is O(N²): by default only up to this many points. */
#define PROJECT_QUALITY_AUTO_MAX 20000

static gboolean
add_layout_quality (VtRunContext *run, const VtEmbedding *embedding, JsonObject *out, GError **error)
{
  VtFeatureStore *store = embedding->store;
  g_autofree float *x = vt_feature_store_gather (store, embedding->rows, embedding->n);
  g_autofree gint64 *labels = g_new (gint64, embedding->n);
  gboolean one_class = TRUE;

  for (gsize i = 0; i < embedding->n; i++)
    {
      labels[i] = store->labels[embedding->rows[i]];
      one_class = one_class && labels[i] == labels[0];
    }
  if (embedding->n <= 20)
    {
      json_object_set_string_member (out, "quality_note", "too few points for trustworthiness at k = 10");
      return TRUE;
    }
  vt_run_emit (run, VT_EVENT_PROGRESS, 1.0, "measuring trustworthiness (k = 10)");
  g_autoptr(GError) trust_error = NULL;
  double trust = vt_trustworthiness (x, embedding->n, store->dim, embedding->layout, embedding->dims, 10,
                                     run->cancellable, &trust_error);
  if (trust_error)
    {
      g_propagate_error (error, g_steal_pointer (&trust_error));
      return FALSE;
    }
  vt_run_set_number (out, "trustworthiness", trust);
  if (one_class)
    json_object_set_string_member (out, "quality_note",
                                   "all points are of one class: kNN accuracy says nothing and is left out");
  else
    vt_run_set_number (out, "knn_accuracy", vt_knn_accuracy (embedding->layout, embedding->n, embedding->dims, labels, 10));
  return TRUE;
}

JsonNode *
vt_run_project (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtProjectStep *step = (VtProjectStep *) base;
  g_autofree char *store_path = vt_run_resolve_store (run, step->store);
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(VtEmbedding) embedding = NULL;
  g_autofree char *layout_name = g_strdup_printf ("%s-layout.csv", step->base.id);
  g_autofree char *tensors_name = g_strdup_printf ("%s-tensors.tsv", step->base.id);
  g_autofree char *metadata_name = g_strdup_printf ("%s-metadata.tsv", step->base.id);
  g_autofree char *layout_path = g_build_filename (run->output_dir, layout_name, NULL);
  g_autofree char *tensors_path = g_build_filename (run->output_dir, tensors_name, NULL);
  g_autofree char *metadata_path = g_build_filename (run->output_dir, metadata_name, NULL);
  g_autofree char *colors_name = g_strdup_printf ("%s-colors.csv", step->base.id);
  g_autofree char *colors_path = g_build_filename (run->output_dir, colors_name, NULL);
  const char *title = step->options.method == VT_EMBEDDING_PCA ? "PCA"
                      : step->options.method == VT_EMBEDDING_UMAP ? "UMAP" : "t-SNE";

  if (!(store = vt_run_load_store (store_path, NULL, error)))
    return NULL;
  if (!vt_embedding_color_available (store, step->color))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: colouring by prediction needs logits; extract with \"logits\": true", store_path);
      return NULL;
    }
  {
    guint n = step->options.max_samples > 0 ? MIN (step->options.max_samples, store->n_samples) : store->n_samples;
    gboolean quality = step->quality == 1 || (step->quality == -1 && n <= PROJECT_QUALITY_AUTO_MAX);

    if (!vt_step_memory_check_project (store, &step->options, quality, run->step_path, error))
      return NULL;
  }
  {
    VtEmbeddingOptions options = step->options;

    /* One number for either method: a step lays out by one of them. */
    options.tsne.layout_interval = step->layout_every;
    options.umap.layout_interval = step->layout_every;
    embedding = vt_embedding_compute (store, &options, &(VtEventSink) { projection_event, run },
                                      run->cancellable, error);
  }
  if (embedding == NULL)
    {
      g_prefix_error (error, "%s: ", store_path);
      return NULL;
    }

  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *out = json_object_new ();
  JsonArray *figures = json_array_new ();
  json_node_take_object (node, out);
  json_object_set_string_member (out, "store", store_path);
  json_object_set_string_member (out, "method", vt_embedding_method_name (embedding->method));
  json_object_set_int_member (out, "points", embedding->n);
  json_object_set_int_member (out, "dimensions", embedding->dims);
  json_object_set_double_member (out, "seconds", embedding->seconds);
  if (embedding->method == VT_EMBEDDING_PCA)
    {
      JsonArray *ratio = json_array_new ();
      for (guint c = 0; c < embedding->dims; c++)
        vt_run_add_number (ratio, embedding->explained_variance_ratio[c]);
      json_object_set_array_member (out, "explained_variance_ratio", ratio);
    }
  else if (embedding->method == VT_EMBEDDING_UMAP)
    {
      json_object_set_int_member (out, "epochs", embedding->iterations);
      json_object_set_int_member (out, "n_neighbors", step->options.umap.n_neighbors);
      json_object_set_boolean_member (out, "approximate_neighbors", embedding->approximate_neighbors);
      json_object_set_double_member (out, "min_dist", step->options.umap.min_dist);
    }
  else
    {
      vt_run_set_number (out, "kl_divergence", embedding->kl_divergence);
      json_object_set_int_member (out, "iterations", embedding->iterations);
      json_object_set_double_member (out, "perplexity", step->options.tsne.perplexity);
      json_object_set_boolean_member (out, "approximate_neighbors", embedding->approximate_neighbors);
    }
  if ((step->quality == 1 || (step->quality == -1 && embedding->n <= PROJECT_QUALITY_AUTO_MAX)) &&
      !add_layout_quality (run, embedding, out, error))
    {
      json_array_unref (figures);
      json_node_unref (node);
      return NULL;
    }

  g_autofree guint *categories = g_new (guint, embedding->n);
  guint n_names = 0;
  g_auto(GStrv) names = vt_embedding_categories (store, embedding->rows, embedding->n, step->color,
                                                 step->task_classes, categories, &n_names);
  /* What the scatter figure needs beyond the layout table (vt-report.h):
   * each point's colour, the legend, the palette and the title. */
  {
    g_autofree char *figure_title = g_strdup_printf ("%s of %u samples", title, embedding->n);
    JsonArray *legend = json_array_new ();
    g_autoptr(VtFileWriter) colors = NULL;
    g_autoptr(GError) colors_error = NULL;

    for (guint c = 0; c < n_names; c++)
      json_array_add_string_element (legend, names[c]);
    json_object_set_string_member (out, "figure_title", figure_title);
    json_object_set_array_member (out, "legend", legend);
    json_object_set_string_member (out, "palette", vt_embedding_color_is_ordered (step->color) ? "sequential"
                                                                                               : "categorical");
    if (!(colors = vt_file_writer_new (colors_path, &colors_error)))
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", colors_error->message);
        json_node_unref (node);
        return NULL;
      }
    vt_file_writer_append (colors, "color\n");
    for (gsize i = 0; i < embedding->n; i++)
      vt_file_writer_printf (colors, "%u\n", categories[i]);
    if (!vt_file_writer_commit (colors, &colors_error))
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", colors_error->message);
        json_node_unref (node);
        return NULL;
      }
  }
  json_object_set_array_member (out, "figures", figures);

  g_autoptr(GError) write_error = NULL;
  if (!vt_embedding_write_csv (embedding, layout_path, run->cancellable, &write_error) ||
      !vt_embedding_write_projector (embedding, tensors_path, metadata_path, run->cancellable, &write_error))
    {
      if (g_error_matches (write_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&write_error));
      else
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", write_error->message);
      json_node_unref (node);
      return NULL;
    }
  vt_run_emit (run, VT_EVENT_FILE, 1.0, layout_name);
  vt_run_emit (run, VT_EVENT_FILE, 1.0, tensors_name);
  vt_run_emit (run, VT_EVENT_FILE, 1.0, metadata_name);
  vt_run_emit (run, VT_EVENT_FILE, 1.0, colors_name);
  json_object_set_string_member (out, "layout_table", layout_name);
  json_object_set_string_member (out, "colors_table", colors_name);
  json_object_set_string_member (out, "projector_tensors", tensors_name);
  json_object_set_string_member (out, "projector_metadata", metadata_name);
  return node;
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
