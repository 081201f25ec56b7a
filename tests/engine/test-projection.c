/* test-projection.c: PCA and t-SNE against scikit-learn 1.2 on ResNet-20
 * features of real CIFAR-10 JPEGs: PCA's components and variances, t-SNE's
 * affinities and gradients (exact and Barnes-Hut) at a fixed layout,
 * trustworthiness and kNN accuracy of given layouts, the quality of a
 * whole t-SNE run beside sklearn's TSNE; UMAP's curve against scipy's
 * curve_fit, its fuzzy graph against a numpy version, and its layout's
 * quality beside our t-SNE's; NN-descent's neighbours against the exact
 * ones, on those features and on Fashion-MNIST's 784 pixels. Reference:
 * tests/reference/make_projection_fixture.py. */
#include <cblas.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "core/vt-parallel.h"
#include "features/vt-feature-store.h"
#include "io/vt-dataset.h"
#include "methods/projection/vt-embedding.h"
#include "methods/projection/vt-embedding-quality.h"
#include "methods/projection/vt-neighbors.h"
#include "methods/projection/vt-nn-descent.h"
#include "methods/projection/vt-pca.h"
#include "methods/projection/vt-tsne.h"
#include "methods/projection/vt-umap.h"
#include "vt-test-util.h"

static JsonObject *
expected (void)
{
  static JsonParser *parser;
  g_autoptr(GError) error = NULL;

  if (parser == NULL)
    {
      g_autofree char *path = vt_test_fixture ("projection/expected.json");
      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static double
expected_double (const char *name)
{
  return json_object_get_double_member (expected (), name);
}

/* A fixture tensor as float64 (or float32 when @as_float), caller frees. */
static gpointer
fixture_tensor (const char *name, gboolean as_float, gsize *count)
{
  static VtCheckpoint *file;
  g_autoptr(GError) error = NULL;

  if (file == NULL)
    {
      g_autofree char *path = vt_test_fixture ("projection/small.safetensors");
      file = vt_checkpoint_open (path, &error);
      g_assert_no_error (error);
    }
  const VtTensor *tensor = vt_checkpoint_lookup (file, name);
  g_assert_nonnull (tensor);
  if (count != NULL)
    *count = tensor->numel;
  if (as_float)
    return vt_tensor_dup_float (tensor);
  double *out = g_new (double, tensor->numel);
  for (gsize a = 0; a < tensor->numel; a++)
    out[a] = vt_dtype_read_double (tensor->dtype, tensor->data, a);
  return out;
}

static guint
small_n (void)
{
  return (guint) json_object_get_int_member (expected (), "n_small");
}

static void
test_pca (void)
{
  guint n = small_n ();
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autofree double *components = fixture_tensor ("pca_components", FALSE, NULL);
  g_autofree float *want_layout = fixture_tensor ("pca_layout", TRUE, NULL);
  JsonArray *variance = json_object_get_array_member (expected (), "explained_variance");
  JsonArray *ratio = json_object_get_array_member (expected (), "explained_variance_ratio");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtPca) pca = vt_pca_fit (x, n, 64, 2, NULL, &error);
  g_autofree float *layout = g_new (float, 2 * n);
  double worst = 0;

  g_assert_no_error (error);
  for (guint c = 0; c < 2; c++)
    {
      g_assert_cmpfloat_with_epsilon (pca->explained_variance[c],
                                      json_array_get_double_element (variance, c), 1e-5);
      g_assert_cmpfloat_with_epsilon (pca->explained_variance_ratio[c],
                                      json_array_get_double_element (ratio, c), 1e-6);
      for (guint j = 0; j < 64; j++)
        worst = MAX (worst, fabs (pca->components[c * 64 + j] - components[c * 64 + j]));
    }
  g_test_message ("PCA components: max |ours - sklearn| = %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-5);

  vt_pca_transform (pca, x, n, layout);
  worst = 0;
  for (guint a = 0; a < 2 * n; a++)
    worst = MAX (worst, fabs (layout[a] - want_layout[a]));
  g_test_message ("PCA layout: max |ours - sklearn| = %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-4);

  g_assert_null (vt_pca_fit (x, n, 64, 4, NULL, &error));
  g_assert_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS);
}

/* Three components, as the Embedding area's 3-D view and a project step's
 * "dimensions": 3 ask for: the third is sklearn's too, sign included. */
static void
test_pca_three (void)
{
  guint n = small_n ();
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autofree double *components = fixture_tensor ("pca3_components", FALSE, NULL);
  g_autofree float *want_layout = fixture_tensor ("pca3_layout", TRUE, NULL);
  JsonArray *variance = json_object_get_array_member (expected (), "explained_variance_3");
  JsonArray *ratio = json_object_get_array_member (expected (), "explained_variance_ratio_3");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtPca) pca = vt_pca_fit (x, n, 64, 3, NULL, &error);
  g_autofree float *layout = g_new (float, 3 * n);
  double worst = 0, worst_third = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (pca->n_components, ==, 3);
  for (guint c = 0; c < 3; c++)
    {
      g_assert_cmpfloat_with_epsilon (pca->explained_variance[c],
                                      json_array_get_double_element (variance, c), 1e-5);
      g_assert_cmpfloat_with_epsilon (pca->explained_variance_ratio[c],
                                      json_array_get_double_element (ratio, c), 1e-6);
      for (guint j = 0; j < 64; j++)
        worst = MAX (worst, fabs (pca->components[c * 64 + j] - components[c * 64 + j]));
    }
  g_test_message ("PCA (3) components: max |ours - sklearn| = %.2e", worst);
  g_assert_cmpfloat (worst, <, 1e-5);

  vt_pca_transform (pca, x, n, layout);
  worst = 0;
  for (guint a = 0; a < 3 * n; a++)
    {
      worst = MAX (worst, fabs (layout[a] - want_layout[a]));
      if (a % 3 == 2)
        worst_third = MAX (worst_third, fabs (layout[a] - want_layout[a]));
    }
  g_test_message ("PCA (3) layout: max |ours - sklearn| = %.2e (third column %.2e)", worst, worst_third);
  g_assert_cmpfloat (worst, <, 1e-4);
}

/* max |a − b| / max |b| */
static double
relative_difference (const double *a, const double *b, gsize n)
{
  double worst = 0, scale = 0;

  for (gsize i = 0; i < n; i++)
    {
      worst = MAX (worst, fabs (a[i] - b[i]));
      scale = MAX (scale, fabs (b[i]));
    }
  return worst / scale;
}

static void
test_affinities (void)
{
  guint n = small_n (), k = 91;
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autofree double *want_exact = fixture_tensor ("p_exact", FALSE, NULL);
  g_autofree double *want_nn = fixture_tensor ("p_nn", FALSE, NULL);
  g_autofree double *exact = vt_tsne_affinities_dense (x, n, 64, 30);
  g_autofree guint *indices = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  g_autoptr(GError) error = NULL;

  double difference = relative_difference (exact, want_exact, (gsize) n * n);
  g_test_message ("exact P: max |ours - sklearn| / max P = %.2e", difference);
  g_assert_cmpfloat (difference, <, 1e-6);

  g_assert_true (vt_neighbors_exact (x, n, 64, k, indices, distances, NULL, &error));
  g_autoptr(VtSparse) p = vt_tsne_affinities_from_neighbors (indices, distances, n, k, 30);
  g_autofree double *dense = g_new0 (double, (gsize) n * n);
  for (gsize i = 0; i < n; i++)
    for (gsize a = p->row_starts[i]; a < p->row_starts[i + 1]; a++)
      dense[i * n + p->columns[a]] = p->values[a];
  difference = relative_difference (dense, want_nn, (gsize) n * n);
  g_test_message ("kNN P: max |ours - sklearn| / max P = %.2e", difference);
  g_assert_cmpfloat (difference, <, 1e-6);
}

/* The fixture's dense P as CSR, keeping its nonzero entries. */
static VtSparse *
sparse_from_dense (const double *dense, guint n)
{
  VtSparse *p = g_new0 (VtSparse, 1);
  gsize nnz = 0;

  for (gsize a = 0; a < (gsize) n * n; a++)
    nnz += dense[a] != 0;
  p->n = n;
  p->row_starts = g_new (gsize, n + 1);
  p->columns = g_new (guint, nnz);
  p->values = g_new (float, nnz);
  nnz = 0;
  for (gsize i = 0; i < n; i++)
    {
      p->row_starts[i] = nnz;
      for (gsize j = 0; j < n; j++)
        if (dense[i * n + j] != 0)
          {
            p->columns[nnz] = j;
            p->values[nnz++] = dense[i * n + j];
          }
    }
  p->row_starts[n] = nnz;
  return p;
}

/* ---- Symmetrization ------------------------------------------------------ */

static double
add_directions (double forward, double backward)
{
  return forward + backward;
}

static double
union_directions (double forward, double backward)
{
  return forward + backward - forward * backward;
}

/* A random neighbour graph that has what real ones have and more: pairs
 * named from one side only and from both, a column named twice in a row,
 * a point naming itself, weights that are zero or negative (left out). */
static void
random_graph (GRand *rand, guint n, guint k, guint *indices, double *weights)
{
  for (gsize a = 0; a < (gsize) n * k; a++)
    {
      gsize i = a / k;
      double roll = g_rand_double (rand);

      indices[a] = g_rand_int_range (rand, 0, n);
      if (roll < 0.1 && a % k > 0)
        indices[a] = indices[a - 1];               /* named twice */
      else if (roll < 0.15)
        indices[a] = (guint) i;                    /* itself */
      else if (roll < 0.5)
        indices[a] = (guint) ((i + 1 + a % k) % n); /* near: often mutual */
      weights[a] = roll > 0.95 ? 0 : roll > 0.9 ? -0.5 : g_rand_double_range (rand, 1e-3, 1);
    }
}

/* vt_sparse_symmetrize against the plain dense definition: W[i][j] the sum
 * of i's positive weights naming j, in slot order; entry (i, j) wherever
 * W[i][j] or W[j][i] is positive, combine (W[i][j], W[j][i]) in float32.
 * Exactly, and the same on one thread as on three. */
static void
test_symmetrize (void)
{
  static const guint sizes[][2] = { { 1, 1 }, { 2, 1 }, { 7, 3 }, { 50, 15 }, { 300, 40 } };
  VtCombineFunc combines[] = { add_directions, union_directions };
  g_autoptr(GRand) rand = g_rand_new_with_seed (16);
  int threads = openblas_get_num_threads ();

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint c = 0; c < G_N_ELEMENTS (combines); c++)
      {
        guint n = sizes[s][0], k = sizes[s][1];
        g_autofree guint *indices = g_new (guint, (gsize) n * k);
        g_autofree double *weights = g_new (double, (gsize) n * k);
        g_autofree double *dense = g_new0 (double, (gsize) n * n);
        gsize expected_entries = 0;

        random_graph (rand, n, k, indices, weights);
        for (gsize a = 0; a < (gsize) n * k; a++)
          if (weights[a] > 0)
            dense[(a / k) * n + indices[a]] += weights[a];

        openblas_set_num_threads (1);
        g_autoptr(VtSparse) one = vt_sparse_symmetrize (indices, weights, n, k, combines[c]);
        openblas_set_num_threads (3);
        g_autoptr(VtSparse) three = vt_sparse_symmetrize (indices, weights, n, k, combines[c]);
        openblas_set_num_threads (threads);

        for (gsize i = 0; i < n; i++)
          {
            gsize a = one->row_starts[i];

            g_assert_cmpuint (one->row_starts[i], ==, expected_entries);
            for (gsize j = 0; j < n; j++)
              if (dense[i * n + j] > 0 || dense[j * n + i] > 0)
                {
                  g_assert_cmpuint (a, <, one->row_starts[i + 1]);
                  g_assert_cmpuint (one->columns[a], ==, j);
                  g_assert_true (one->values[a] == (float) combines[c] (dense[i * n + j], dense[j * n + i]));
                  a++;
                  expected_entries++;
                }
            g_assert_cmpuint (a, ==, one->row_starts[i + 1]);
          }
        g_assert_cmpuint (three->row_starts[n], ==, one->row_starts[n]);
        g_assert_cmpmem (three->row_starts, (n + 1) * sizeof (gsize), one->row_starts, (n + 1) * sizeof (gsize));
        g_assert_cmpmem (three->columns, one->row_starts[n] * sizeof (guint),
                         one->columns, one->row_starts[n] * sizeof (guint));
        g_assert_cmpmem (three->values, one->row_starts[n] * sizeof (float),
                         one->values, one->row_starts[n] * sizeof (float));
      }
}

/* What the symmetrization holds at its peak, by its own count: 8 bytes an
 * entry of the result, 4 a directed pair while it builds, two row-start
 * arrays and a row of scratch per thread; never more than the header's
 * bound for n and k. The pair list it replaced held 24 bytes for each end
 * of each pair (48 a pair) beside the result's 12 an entry. */
static void
test_symmetrize_bytes (void)
{
  static const guint sizes[][2] = { { 5000, 15 }, { 5000, 91 } };
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint n = sizes[s][0], k = sizes[s][1];
      gsize pairs = (gsize) n * k;
      g_autofree guint *indices = g_new (guint, pairs);
      g_autofree double *weights = g_new (double, pairs);

      for (gsize a = 0; a < pairs; a++)
        {
          indices[a] = g_rand_int_range (rand, 0, n);
          weights[a] = g_rand_double_range (rand, 1e-3, 1);
        }
      g_autoptr(VtSparse) p = vt_sparse_symmetrize (indices, weights, n, k, add_directions);
      gsize entries = p->row_starts[n];
      gsize tight = 8 * entries + 4 * pairs + 16 * ((gsize) n + 1)
                    + (gsize) vt_parallel_threads () * k * 2 * sizeof (guint);
      gsize bound = vt_sparse_symmetrize_bytes (n, k);
      gsize pair_list = 48 * pairs + 12 * entries;

      g_test_message ("symmetrizing %u points × %u neighbours: %" G_GSIZE_FORMAT " entries, %" G_GSIZE_FORMAT
                      " bytes at the peak (bound %" G_GSIZE_FORMAT ", %.1f a pair; the pair list: %"
                      G_GSIZE_FORMAT ")", n, k, entries, p->build_bytes, bound,
                      (double) p->build_bytes / pairs, pair_list);
      g_assert_cmpuint (p->build_bytes, ==, tight);
      g_assert_cmpuint (p->build_bytes, <=, bound);
      g_assert_cmpuint (bound, <=, 20 * pairs + 16 * ((gsize) n + 1) + (gsize) vt_parallel_threads () * 8 * k);
      g_assert_cmpuint (p->build_bytes, <, pair_list / 3);
    }
}

/* Barnes-Hut's gradient from inside another loop's chunk, where its own
 * loops run in one piece on the caller's thread: the same numbers as on
 * two threads. (The attraction once took only its first slice then.) */
typedef struct
{
  const VtSparse  *p;
  const double    *layout;
  double          *gradient;
} NestedGradient;

static void
gradient_in_chunk (gsize begin, gsize end, gpointer data)
{
  NestedGradient *nested = data;

  g_assert_true (vt_parallel_in_region ());
  if (begin == 0)
    vt_tsne_gradient_bh (nested->p, nested->layout, 0.5, nested->gradient, NULL);
}

static void
test_tsne_gradient_nested (void)
{
  guint n = small_n ();
  g_autofree double *p_nn = fixture_tensor ("p_nn", FALSE, NULL);
  g_autofree double *layout = fixture_tensor ("layout", FALSE, NULL);
  g_autofree double *alone = g_new (double, 2 * n);
  g_autofree double *nested = g_new (double, 2 * n);
  g_autoptr(VtSparse) sparse = sparse_from_dense (p_nn, n);
  int threads = openblas_get_num_threads ();

  openblas_set_num_threads (2);
  vt_tsne_gradient_bh (sparse, layout, 0.5, alone, NULL);
  vt_parallel_for (2, gradient_in_chunk, &(NestedGradient) { sparse, layout, nested });
  openblas_set_num_threads (threads);
  g_assert_cmpmem (nested, 2 * n * sizeof (double), alone, 2 * n * sizeof (double));
}

static void
test_gradients (void)
{
  guint n = small_n ();
  g_autofree double *p_exact = fixture_tensor ("p_exact", FALSE, NULL);
  g_autofree double *p_nn = fixture_tensor ("p_nn", FALSE, NULL);
  g_autofree double *layout = fixture_tensor ("layout", FALSE, NULL);
  g_autofree double *want_exact = fixture_tensor ("exact_gradient", FALSE, NULL);
  g_autofree double *want_bh = fixture_tensor ("bh_gradient", FALSE, NULL);
  g_autofree double *gradient = g_new (double, 2 * n);
  g_autofree double *reference = g_new (double, 2 * n);
  g_autoptr(VtSparse) sparse = sparse_from_dense (p_nn, n);
  double kl = 0;

  vt_tsne_gradient_exact (p_exact, layout, n, gradient, &kl);
  double difference = relative_difference (gradient, want_exact, 2 * n);
  g_test_message ("exact gradient: max relative difference %.2e; KL %.10f vs %.10f", difference, kl,
                  expected_double ("exact_kl"));
  g_assert_cmpfloat (difference, <, 1e-10);
  g_assert_cmpfloat_with_epsilon (kl, expected_double ("exact_kl"), 1e-10);

  /* Barnes-Hut at θ = 0.5 approximates the exact gradient of the same P.
   * Ours and sklearn's differ in their trees (ours opens cells against a
   * group's bounding box): both must stay within 2% of the exact gradient,
   * and our KL at least as close to the exact KL. */
  double exact_kl = 0, bh_kl = 0;
  vt_tsne_gradient_exact (p_nn, layout, n, reference, &exact_kl);
  vt_tsne_gradient_bh (sparse, layout, 0.5, gradient, &bh_kl);
  double ours = relative_difference (gradient, reference, 2 * n);
  double theirs = relative_difference (want_bh, reference, 2 * n);
  g_test_message ("Barnes-Hut gradient (θ 0.5) against the exact one: ours %.2e, sklearn's %.2e; to sklearn's "
                  "%.2e. KL: exact %.6f, ours %.6f, sklearn's %.6f", ours, theirs,
                  relative_difference (gradient, want_bh, 2 * n), exact_kl, bh_kl, expected_double ("bh_kl"));
  g_assert_cmpfloat (theirs, <, 2e-2);
  g_assert_cmpfloat (ours, <, 2e-2);
  g_assert_cmpfloat (fabs (bh_kl - exact_kl), <=, fabs (expected_double ("bh_kl") - exact_kl) + 1e-6);

  /* With θ → 0 no cell is summarized: Barnes-Hut becomes the exact gradient. */
  vt_tsne_gradient_bh (sparse, layout, 1e-6, gradient, NULL);
  vt_tsne_gradient_exact (p_nn, layout, n, reference, NULL);
  difference = relative_difference (gradient, reference, 2 * n);
  g_test_message ("Barnes-Hut at θ 1e-6 vs exact: %.2e", difference);
  g_assert_cmpfloat (difference, <, 1e-5);
}

static void
test_quality_measures (void)
{
  guint n = small_n ();
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autofree double *layout64 = fixture_tensor ("layout", FALSE, NULL);
  g_autofree float *pca_layout = fixture_tensor ("pca_layout", TRUE, NULL);
  g_autofree double *labels64 = fixture_tensor ("labels", FALSE, NULL);
  g_autofree float *layout = g_new (float, 2 * n);
  g_autofree gint64 *labels = g_new (gint64, n);

  for (guint a = 0; a < 2 * n; a++)
    layout[a] = layout64[a];
  for (guint i = 0; i < n; i++)
    labels[i] = (gint64) labels64[i];
  g_assert_cmpfloat_with_epsilon (vt_trustworthiness (x, n, 64, layout, 2, 10, NULL, NULL),
                                  expected_double ("trust_layout"), 1e-12);
  g_assert_cmpfloat_with_epsilon (vt_trustworthiness (x, n, 64, pca_layout, 2, 10, NULL, NULL),
                                  expected_double ("trust_pca"), 1e-12);
  g_assert_cmpfloat_with_epsilon (vt_knn_accuracy (pca_layout, n, 2, labels, 10),
                                  expected_double ("knn_pca"), 1e-12);
}

static VtFeatureStore *
training_features (void)
{
  g_autofree char *path = vt_test_fixture ("cil/train.safetensors");
  g_autoptr(GError) error = NULL;
  VtFeatureStore *store = vt_feature_store_load (path, &error);

  g_assert_no_error (error);
  return store;
}

typedef struct
{
  guint          calls;
  guint          last_iteration;
  GCancellable  *cancel_after_first;
} Layouts;

static void
count_layout (const VtEvent *event, gpointer user_data)
{
  Layouts *l = user_data;
  const float *layout = event->data;
  guint n, dims, iteration = (guint) event->x, n_iterations = (guint) event->y;

  if (event->kind != VT_EVENT_TENSOR)
    return;
  g_assert_cmpstr (event->name, ==, "layout");
  g_assert_cmpuint (event->n_dims, ==, 2);
  n = event->shape[0];
  dims = event->shape[1];

  g_assert_cmpuint (dims, ==, 2);
  g_assert_cmpuint (iteration, >=, l->last_iteration);
  g_assert_cmpuint (n_iterations, ==, 1000);
  g_assert_true (isfinite (layout[0]) && isfinite (layout[2 * n - 1]));
  l->calls++;
  l->last_iteration = iteration;
  if (l->cancel_after_first != NULL && iteration >= 20)
    g_cancellable_cancel (l->cancel_after_first);
}

/* Any projection's stream: layouts in order, finite. */
static void
count_layout_any (const VtEvent *event, gpointer user_data)
{
  Layouts *l = user_data;
  const float *layout = event->data;
  guint n, iteration = (guint) event->x;

  if (event->kind != VT_EVENT_TENSOR)
    return;
  g_assert_cmpstr (event->name, ==, "layout");
  n = event->shape[0];

  g_assert_cmpuint (iteration, >=, l->last_iteration);
  g_assert_true (isfinite (layout[0]) && isfinite (layout[2 * n - 1]));
  l->calls++;
  l->last_iteration = iteration;
}

static void
test_tsne_quality (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  VtTsneOptions options;
  Layouts layouts = { 0 };

  vt_tsne_options_init (&options);
  options.layout_interval = 50;
  gint64 start = g_get_monotonic_time ();
  g_autoptr(VtTsneResult) result = vt_tsne_run (store->features, store->n_samples, store->dim, &options,
                                                &(VtEventSink) { count_layout, &layouts }, NULL, &error);
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_no_error (error);
  g_assert_false (result->exact);
  double trust = vt_trustworthiness (store->features, store->n_samples, store->dim, result->layout, 2, 10, NULL, NULL);
  double knn = vt_knn_accuracy (result->layout, store->n_samples, 2, store->labels, 10);
  g_test_message ("t-SNE on %u points: trustworthiness %.4f (sklearn %.4f), 10-NN accuracy %.4f "
                  "(sklearn %.4f), KL %.4f after %u iterations, %.1f s (sklearn %.1f s when the fixture was made)",
                  store->n_samples, trust, expected_double ("tsne_trustworthiness"), knn,
                  expected_double ("tsne_knn_accuracy"), result->kl_divergence, result->n_iterations,
                  seconds, expected_double ("tsne_seconds"));
  g_assert_cmpfloat (fabs (trust - expected_double ("tsne_trustworthiness")), <=, 0.01);
  g_assert_cmpfloat (fabs (knn - expected_double ("tsne_knn_accuracy")), <=, 0.02);
  /* Streamed: the first layout, every 50th iteration, and the last. */
  g_assert_cmpuint (layouts.calls, >=, 1000 / 50);
  g_assert_cmpuint (layouts.last_iteration, ==, result->n_iterations);

  /* The same input gives the same layout, whatever the threads did. */
  g_autoptr(VtTsneResult) again = vt_tsne_run (store->features, store->n_samples, store->dim, &options,
                                               NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (again->layout, 2 * store->n_samples * sizeof (float),
                   result->layout, 2 * store->n_samples * sizeof (float));
}

/* Above its threshold (lowered here from 50,000 to 100 points) Barnes-Hut
 * t-SNE takes NN-descent's neighbours, and the layout keeps its quality:
 * trustworthiness and 10-NN accuracy within 0.01 and 0.02 of the layout
 * on exact neighbours, both far above PCA's. */
static void
test_tsne_approximate (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  VtTsneOptions options;

  vt_tsne_options_init (&options);
  options.layout_interval = 0;
  options.n_iterations = 500;
  g_assert_cmpuint (options.exact_neighbors_max, ==, VT_TSNE_EXACT_NEIGHBORS_MAX);
  g_autoptr(VtTsneResult) exact = vt_tsne_run (store->features, store->n_samples, store->dim, &options,
                                               NULL, NULL, &error);
  g_assert_no_error (error);
  options.exact_neighbors_max = 100;
  g_autoptr(VtTsneResult) approximate = vt_tsne_run (store->features, store->n_samples, store->dim, &options,
                                                     NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (exact->approximate_neighbors);
  g_assert_true (approximate->approximate_neighbors);

  double exact_trust = vt_trustworthiness (store->features, store->n_samples, store->dim, exact->layout, 2, 10,
                                           NULL, NULL);
  double approximate_trust = vt_trustworthiness (store->features, store->n_samples, store->dim,
                                                 approximate->layout, 2, 10, NULL, NULL);
  double exact_knn = vt_knn_accuracy (exact->layout, store->n_samples, 2, store->labels, 10);
  double approximate_knn = vt_knn_accuracy (approximate->layout, store->n_samples, 2, store->labels, 10);
  g_test_message ("t-SNE of %u points on exact neighbours: trustworthiness %.4f, 10-NN accuracy %.4f; "
                  "on NN-descent's: %.4f, %.4f", store->n_samples, exact_trust, exact_knn, approximate_trust,
                  approximate_knn);
  g_assert_cmpfloat (fabs (exact_trust - approximate_trust), <, 0.01);
  g_assert_cmpfloat (fabs (exact_knn - approximate_knn), <, 0.02);
  g_assert_cmpfloat (approximate_trust, >, expected_double ("trust_pca") + 0.05);
  /* Different neighbours (NN-descent misses a few): a different layout, not the exact one again. */
  g_assert_true (memcmp (exact->layout, approximate->layout, 2 * store->n_samples * sizeof (float)) != 0);
}

static void
test_tsne_exact (void)
{
  guint n = small_n ();
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  VtTsneOptions options;

  vt_tsne_options_init (&options);
  g_autoptr(VtTsneResult) result = vt_tsne_run (x, n, 64, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (result->exact);   /* "auto" up to 500 points */
  double trust = vt_trustworthiness (x, n, 64, result->layout, 2, 10, NULL, NULL);
  g_test_message ("exact t-SNE on %u points: trustworthiness %.4f (PCA's %.4f)", n, trust,
                  expected_double ("trust_pca"));
  g_assert_cmpfloat (trust, >, expected_double ("trust_pca") + 0.05);
}

static void
test_bad_input (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree float *x = g_memdup2 (store->features, 300 * 64 * sizeof (float));
  VtTsneOptions options;
  Layouts layouts = { .cancel_after_first = cancellable };

  vt_tsne_options_init (&options);

  /* Fewer samples than the perplexity needs. */
  g_assert_null (vt_tsne_run (x, 20, 64, &options, NULL, NULL, &error));
  g_assert_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "perplexity 30"));
  g_assert_nonnull (strstr (error->message, "there are 20"));
  g_clear_error (&error);

  /* A NaN row, named. */
  x[7 * 64 + 5] = NAN;
  g_assert_null (vt_tsne_run (x, 300, 64, &options, NULL, NULL, &error));
  g_assert_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "Sample 7"));
  g_clear_error (&error);
  g_assert_null (vt_pca_fit (x, 300, 64, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "Sample 7"));
  g_clear_error (&error);
  x[7 * 64 + 5] = 0;

  /* One class only: a layout, and kNN accuracy 1. */
  g_autofree float *one_class = g_new (float, 200 * 64);
  g_autofree gint64 *one_label = g_new0 (gint64, 200);
  guint n_one = 0;
  for (guint i = 0; i < store->n_samples && n_one < 200; i++)
    if (store->labels[i] == 3)
      memcpy (one_class + 64 * n_one++, store->features + (gsize) i * 64, 64 * sizeof (float));
  g_assert_cmpuint (n_one, ==, 200);
  options.method = VT_TSNE_BARNES_HUT;
  g_autoptr(VtTsneResult) one = vt_tsne_run (one_class, 200, 64, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vt_knn_accuracy (one->layout, 200, 2, one_label, 10), ==, 1.0);

  /* Coincident points (all rows equal) neither hang nor produce NaN. */
  for (guint i = 1; i < 100; i++)
    memcpy (x + i * 64, x, 64 * sizeof (float));
  g_autoptr(VtTsneResult) same = vt_tsne_run (x, 100, 64, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint a = 0; a < 200; a++)
    g_assert_true (isfinite (same->layout[a]));

  /* Cancelled from the layout callback: stops within an iteration. */
  g_assert_null (vt_tsne_run (store->features, 2000, 64, &options,
                              &(VtEventSink) { count_layout, &layouts }, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (layouts.last_iteration, <=, 30);
}

static void
test_umap_parts (void)
{
  guint n = small_n (), k = 15;
  g_autofree float *x = fixture_tensor ("features", TRUE, NULL);
  g_autofree double *want = fixture_tensor ("umap_graph", FALSE, NULL);
  g_autofree guint *indices = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  g_autofree double *dense = g_new0 (double, (gsize) n * n);
  double a, b;

  vt_umap_fit_curve (1.0, 0.1, &a, &b);
  g_test_message ("UMAP curve: a %.10f b %.10f (scipy %.10f %.10f)", a, b,
                  expected_double ("umap_a"), expected_double ("umap_b"));
  g_assert_cmpfloat_with_epsilon (a, expected_double ("umap_a"), 1e-6);
  g_assert_cmpfloat_with_epsilon (b, expected_double ("umap_b"), 1e-6);

  g_assert_true (vt_umap_neighbors (x, n, 64, k, VT_UMAP_NEIGHBORS_AUTO, 0, indices, distances, NULL, NULL));
  g_autoptr(VtSparse) graph = vt_umap_fuzzy_set (indices, distances, n, k);
  for (gsize i = 0; i < n; i++)
    for (gsize e = graph->row_starts[i]; e < graph->row_starts[i + 1]; e++)
      dense[i * n + graph->columns[e]] = graph->values[e];
  double difference = relative_difference (dense, want, (gsize) n * n);
  g_test_message ("UMAP fuzzy graph: max |ours - numpy| = %.2e (of weights up to 1)", difference);
  /* Both round distances to float32 as umap-learn does, from sklearn's and our
   * own distance arithmetic: weights agree to a few float32 ulps. */
  g_assert_cmpfloat (difference, <, 1e-5);
}

static void
test_umap_quality (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  VtUmapOptions options;
  VtTsneOptions tsne_options;
  Layouts layouts = { 0 };

  vt_umap_options_init (&options);
  options.layout_interval = 50;
  g_autoptr(VtUmapResult) umap = vt_umap_run (store->features, store->n_samples, store->dim, &options,
                                              &(VtEventSink) { count_layout_any, &layouts }, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (umap->n_epochs, ==, 500);
  g_assert_cmpuint (layouts.calls, ==, 1 + 500 / 50);
  vt_tsne_options_init (&tsne_options);
  g_autoptr(VtTsneResult) tsne = vt_tsne_run (store->features, store->n_samples, store->dim, &tsne_options,
                                              NULL, NULL, &error);
  g_assert_no_error (error);
  double umap_trust = vt_trustworthiness (store->features, store->n_samples, store->dim, umap->layout, 2, 10, NULL, NULL);
  double tsne_trust = vt_trustworthiness (store->features, store->n_samples, store->dim, tsne->layout, 2, 10, NULL, NULL);
  double knn = vt_knn_accuracy (umap->layout, store->n_samples, 2, store->labels, 10);
  g_test_message ("UMAP on %u points: trustworthiness %.4f (our t-SNE %.4f), 10-NN accuracy %.4f (sklearn's "
                  "t-SNE %.4f), %" G_GSIZE_FORMAT " edges", store->n_samples, umap_trust, tsne_trust, knn,
                  expected_double ("tsne_knn_accuracy"), umap->n_edges);
  g_assert_cmpfloat (umap_trust, >=, tsne_trust - 0.02);
  g_assert_cmpfloat (knn, >=, expected_double ("tsne_knn_accuracy") - 0.02);

  /* Seeded: the same layout again; another seed, another layout. */
  g_autoptr(VtUmapResult) again = vt_umap_run (store->features, store->n_samples, store->dim, &options, NULL,
                                               NULL, &error);
  g_assert_cmpmem (again->layout, 2 * store->n_samples * sizeof (float),
                   umap->layout, 2 * store->n_samples * sizeof (float));
  options.seed = 7;
  g_autoptr(VtUmapResult) other = vt_umap_run (store->features, store->n_samples, store->dim, &options, NULL,
                                               NULL, &error);
  g_assert_true (memcmp (other->layout, umap->layout, 2 * store->n_samples * sizeof (float)) != 0);

  /* Too few samples for the neighbours; a bad min_dist. */
  g_assert_null (vt_umap_run (store->features, 10, store->dim, &options, NULL, NULL, &error));
  g_assert_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "15 neighbours needs more than 15 samples; there are 10"));
  g_clear_error (&error);
  options.min_dist = 2;
  g_assert_null (vt_umap_run (store->features, 100, store->dim, &options, NULL, NULL, &error));
  g_assert_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS);
}

/* The exact search across blocks of candidates (more rows than one block
 * of 4,096): each row's neighbours are the k nearest by a plain float64
 * measure of every pair, wherever the k-th and the next are not within
 * float32 rounding of each other (where either may win). */
static void
test_neighbors_blocks (void)
{
  guint n = 4096 + 500, dim = 6, k = 10, near_ties = 0;
  g_autoptr(GRand) rand = g_rand_new_with_seed (4096);
  g_autofree float *x = g_new (float, (gsize) n * dim);
  g_autofree guint *indices = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  double row[11];   /* the k + 1 nearest so far, ascending */
  g_autoptr(GError) error = NULL;

  for (gsize a = 0; a < (gsize) n * dim; a++)
    x[a] = (float) g_rand_double_range (rand, -1, 1);
  g_assert_true (vt_neighbors_exact (x, n, dim, k, indices, distances, NULL, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    {
      for (guint a = 0; a <= k; a++)
        row[a] = INFINITY;
      for (gsize j = 0; j < n; j++)
        {
          double sum = 0;
          guint at = k;

          for (guint c = 0; c < dim && j != i; c++)
            sum += ((double) x[i * dim + c] - x[j * dim + c]) * ((double) x[i * dim + c] - x[j * dim + c]);
          if (j == i || sum >= row[k])
            continue;
          for (; at > 0 && row[at - 1] > sum; at--)
            row[at] = row[at - 1];
          row[at] = sum;
        }
      if (row[k] - row[k - 1] <= 1e-5 * row[k])
        {
          near_ties++;
          continue;
        }
      for (guint a = 0; a < k; a++)
        g_assert_cmpfloat (distances[i * k + a], ==, row[a]);
    }
  g_test_message ("exact neighbours of %u points in blocks: %u rows with a near tie at the k-th", n, near_ties);
  g_assert_cmpuint (near_ties, <, n / 100);
}

/* UMAP's epochs on three threads (more than this machine has) and on one,
 * where the loop is umap-learn's own, for 1,000 of the points and 200
 * epochs (as above 10,000 points): two runs on three threads agree bit
 * for bit, and their layout keeps what the one thread's has, to within
 * what umap-quality allows against t-SNE. */
static void
test_umap_threads (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  guint n = 1000;
  int threads = openblas_get_num_threads ();
  VtUmapOptions options;

  vt_umap_options_init (&options);
  options.n_epochs = 200;
  openblas_set_num_threads (1);
  g_autoptr(VtUmapResult) one = vt_umap_run (store->features, n, store->dim, &options, NULL, NULL, &error);
  openblas_set_num_threads (3);
  g_autoptr(VtUmapResult) three = vt_umap_run (store->features, n, store->dim, &options, NULL, NULL, &error);
  g_autoptr(VtUmapResult) again = vt_umap_run (store->features, n, store->dim, &options, NULL, NULL, &error);
  openblas_set_num_threads (threads);
  g_assert_no_error (error);
  g_assert_cmpuint (one->n_slices, ==, 1);
  g_assert_cmpuint (three->n_slices, ==, 3);
  g_assert_cmpmem (again->layout, 2 * n * sizeof (float), three->layout, 2 * n * sizeof (float));
  g_assert_true (memcmp (one->layout, three->layout, 2 * n * sizeof (float)) != 0);

  double trust_one = vt_trustworthiness (store->features, n, store->dim, one->layout, 2, 10, NULL, NULL);
  double trust_three = vt_trustworthiness (store->features, n, store->dim, three->layout, 2, 10, NULL, NULL);
  double knn_one = vt_knn_accuracy (one->layout, n, 2, store->labels, 10);
  double knn_three = vt_knn_accuracy (three->layout, n, 2, store->labels, 10);
  g_test_message ("UMAP on %u points: trustworthiness %.4f on one thread, %.4f on three; 10-NN accuracy %.4f, "
                  "%.4f", n, trust_one, trust_three, knn_one, knn_three);
  g_assert_cmpfloat (trust_three, >=, trust_one - 0.02);
  g_assert_cmpfloat (knn_three, >=, knn_one - 0.02);
}

/* The share of the exact neighbours NN-descent finds, and that a neighbour
 * found by both has one distance. */
static double
recall (const float *x, guint n, guint dim, guint k, guint *approximate)
{
  g_autofree guint *exact = g_new (guint, (gsize) n * k);
  g_autofree double *exact_distances = g_new (double, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  g_autoptr(GError) error = NULL;
  gsize found = 0;

  g_assert_true (vt_neighbors_exact (x, n, dim, k, exact, exact_distances, NULL, &error));
  g_assert_true (vt_neighbors_approximate (x, n, dim, k, 0, approximate, distances, NULL, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      {
        g_assert_cmpuint (approximate[i * k + a], !=, i);
        g_assert_cmpuint (approximate[i * k + a], <, n);
        if (a > 0)
          g_assert_cmpfloat (distances[i * k + a - 1], <=, distances[i * k + a]);
        for (guint b = 0; b < k; b++)
          if (approximate[i * k + a] == exact[i * k + b])
            {
              g_assert_cmpfloat (distances[i * k + a], ==, exact_distances[i * k + b]);
              found++;
            }
      }
  return (double) found / ((gsize) n * k);
}

static void
test_nn_descent (void)
{
  g_autoptr(VtFeatureStore) store = training_features ();
  g_autoptr(GError) error = NULL;
  guint k = 14, n = store->n_samples;
  g_autofree guint *first = g_new (guint, (gsize) n * k);
  g_autofree guint *again = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);

  double features_recall = recall (store->features, n, store->dim, k, first);
  g_test_message ("NN-descent recall on %u ResNet-20 features of %u floats: %.4f", n, store->dim,
                  features_recall);
  g_assert_cmpfloat (features_recall, >=, 0.98);

  /* One thread or two: the same neighbours. */
  int threads = openblas_get_num_threads ();
  openblas_set_num_threads (threads == 1 ? 2 : 1);
  g_assert_true (vt_neighbors_approximate (store->features, n, store->dim, k, 0, again, distances, NULL,
                                           &error));
  openblas_set_num_threads (threads);
  g_assert_cmpmem (again, (gsize) n * k * sizeof (guint), first, (gsize) n * k * sizeof (guint));

  /* Wide vectors: Fashion-MNIST's first 4,000 test images as 784 pixels. */
  g_autoptr(VtDataset) fashion = vt_dataset_open ("/usr/share/datasets/fashion-mnist",
                                                  &(VtDatasetOptions) { .split = "test" }, &error);
  g_assert_no_error (error);
  guint pixels = 28 * 28, wide_n = 4000;
  g_autofree float *wide = g_new (float, (gsize) wide_n * pixels);
  for (guint i = 0; i < wide_n; i++)
    {
      g_autoptr(VtImage) image = vt_dataset_load_image (fashion, i, &error);
      g_assert_no_error (error);
      for (guint p = 0; p < pixels; p++)
        wide[(gsize) i * pixels + p] = image->rgb[3 * p] / 255.0f;
    }
  g_autofree guint *wide_found = g_new (guint, (gsize) wide_n * k);
  double wide_recall = recall (wide, wide_n, pixels, k, wide_found);
  g_test_message ("NN-descent recall on %u Fashion-MNIST images of %u pixels: %.4f", wide_n, pixels, wide_recall);
  g_assert_cmpfloat (wide_recall, >=, 0.98);

  /* Coincident points (a block of copies) still get k other rows each. */
  g_autofree float *copies = g_memdup2 (store->features, (gsize) 500 * store->dim * sizeof (float));
  for (guint i = 1; i < 100; i++)
    memcpy (copies + (gsize) i * store->dim, copies, store->dim * sizeof (float));
  g_assert_cmpfloat (recall (copies, 500, store->dim, k, first), >=, 0.9);

  /* Cancelled. */
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  g_assert_false (vt_neighbors_approximate (store->features, n, store->dim, k, 0, again, distances, cancellable,
                                            &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* UMAP on approximate neighbours lays the points out as well as on exact ones. */
  VtUmapOptions options;
  vt_umap_options_init (&options);
  options.layout_interval = 0;
  g_autoptr(VtUmapResult) exact = vt_umap_run (store->features, n, store->dim, &options, NULL, NULL,
                                               &error);
  options.neighbors = VT_UMAP_NEIGHBORS_APPROXIMATE;
  g_autoptr(VtUmapResult) approximate = vt_umap_run (store->features, n, store->dim, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (exact->approximate_neighbors);
  g_assert_true (approximate->approximate_neighbors);
  double exact_trust = vt_trustworthiness (store->features, n, store->dim, exact->layout, 2, 10, NULL, NULL);
  double approximate_trust = vt_trustworthiness (store->features, n, store->dim, approximate->layout, 2, 10, NULL, NULL);
  g_test_message ("UMAP trustworthiness on exact neighbours %.4f, on NN-descent's %.4f", exact_trust,
                  approximate_trust);
  g_assert_cmpfloat (fabs (exact_trust - approximate_trust), <, 0.01);
}

/* Colourings: tasks group classes in label order; correctness and
 * confidence come from the logits. */
static void
test_categories (void)
{
  g_autoptr(VtFeatureStore) store = vt_feature_store_new (4, 2, 3);
  guint rows[4] = { 0, 1, 2, 3 }, categories[4], n_names = 0;
  static const float logits[4][3] = { { 5, 0, 0 }, { 0, 5, 0 }, { 0, 0, 1 }, { 0.1f, 0, 0 } };
  static const gint64 labels[4] = { 0, 2, 2, 1 };

  store->n_samples = 4;
  store->n_classes = 3;
  store->class_names = g_strsplit ("a b c", " ", -1);
  memcpy (store->labels, labels, sizeof labels);
  memcpy (store->logits, logits, sizeof logits);

  g_auto(GStrv) tasks = vt_embedding_categories (store, rows, 4, VT_EMBEDDING_COLOR_TASK, 2, categories, &n_names);
  g_assert_cmpuint (n_names, ==, 2);
  g_assert_cmpstr (tasks[0], ==, "task 1 (classes 0–1)");
  g_assert_cmpstr (tasks[1], ==, "task 2 (classes 2–2)");
  g_assert_cmpuint (categories[0], ==, 0);
  g_assert_cmpuint (categories[1], ==, 1);
  g_assert_cmpuint (categories[3], ==, 0);

  g_auto(GStrv) correct = vt_embedding_categories (store, rows, 4, VT_EMBEDDING_COLOR_CORRECT, 0, categories, &n_names);
  g_assert_cmpuint (n_names, ==, 2);
  /* Predictions 0, 1, 2, 0 against labels 0, 2, 2, 1. */
  g_assert_cmpuint (categories[0], ==, 0);
  g_assert_cmpuint (categories[1], ==, 1);
  g_assert_cmpuint (categories[2], ==, 0);
  g_assert_cmpuint (categories[3], ==, 1);

  g_auto(GStrv) bins = vt_embedding_categories (store, rows, 4, VT_EMBEDDING_COLOR_CONFIDENCE, 0, categories, &n_names);
  g_assert_cmpuint (n_names, ==, 10);
  /* softmax (5, 0, 0) = 0.987 → the top bin; (0.1, 0, 0) = 0.355 → the fourth. */
  g_assert_cmpuint (categories[0], ==, 9);
  g_assert_cmpuint (categories[3], ==, 3);
  g_assert_true (vt_embedding_color_available (store, VT_EMBEDDING_COLOR_PREDICTION));
}

/* Cancel ----------------------------------------------------------------------*/

/* Uniform floats in [0, 1) from a fixed LCG: big inputs, made fast. */
static float *
noise (gsize count, guint32 seed)
{
  float *x = g_new (float, count);

  for (gsize a = 0; a < count; a++)
    {
      seed = seed * 1664525u + 1013904223u;
      x[a] = (seed >> 8) * (1.0f / 16777216.0f);
    }
  return x;
}

typedef struct
{
  float  *x;
  guint   n;
  guint   dim;
  float  *layout;
} Points;

static gboolean
pca_task (gpointer data, GCancellable *cancellable, GError **error)
{
  Points *p = data;
  g_autoptr(VtPca) pca = vt_pca_fit (p->x, p->n, p->dim, 2, cancellable, error);

  return pca != NULL;
}

/* 60,000 × 1,024: a covariance of 63 GFLOP, seconds on two cores. */
static void
test_pca_cancel (void)
{
  Points p = { noise ((gsize) 60000 * 1024, 1), 60000, 1024, NULL };

  vt_test_assert_cancels ("PCA of 60,000 × 1,024", pca_task, &p, 100);
  g_free (p.x);
}

static gboolean
trustworthiness_task (gpointer data, GCancellable *cancellable, GError **error)
{
  Points *p = data;

  vt_trustworthiness (p->x, p->n, p->dim, p->layout, 2, 10, cancellable, error);
  return *error == NULL;
}

/* 12,000 points: ranking every point's layout neighbours among all the
 * others is about 1.6 × 10⁹ steps, several seconds (half a minute when
 * loaded); cancelled early and in the ranking. */
static void
test_trustworthiness_cancel (void)
{
  Points p = { noise ((gsize) 12000 * 64, 2), 12000, 64, noise ((gsize) 12000 * 2, 3) };

  vt_test_assert_cancels ("trustworthiness of 12,000 points (early)", trustworthiness_task, &p, 20);
  vt_test_assert_cancels ("trustworthiness of 12,000 points (ranking)", trustworthiness_task, &p, 1000);
  g_free (p.x);
  g_free (p.layout);
}

/* An embedding of @n points of @dim random features, ten classes. */
static VtEmbedding *
random_embedding (guint n, guint dim)
{
  VtEmbedding *embedding = g_new0 (VtEmbedding, 1);
  VtFeatureStore *store = vt_feature_store_new (n, dim, 0);
  g_autofree float *features = noise ((gsize) n * dim, 4);

  memcpy (store->features, features, sizeof (float) * n * dim);
  store->n_samples = n;
  store->n_classes = 10;
  store->class_names = g_new0 (char *, 11);
  for (guint c = 0; c < 10; c++)
    store->class_names[c] = g_strdup_printf ("class %u", c);
  for (guint i = 0; i < n; i++)
    {
      store->labels[i] = i % 10;
      store->indices[i] = i;
    }
  embedding->store = store;
  embedding->n = n;
  embedding->dims = 2;
  embedding->rows = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    embedding->rows[i] = i;
  embedding->layout = noise (2 * (gsize) n, 5);
  return embedding;
}

typedef struct
{
  VtEmbedding  *embedding;
  char         *dir;
} Export;

static gboolean
csv_task (gpointer data, GCancellable *cancellable, GError **error)
{
  Export *e = data;
  g_autofree char *path = g_build_filename (e->dir, "layout.csv", NULL);

  return vt_embedding_write_csv (e->embedding, path, cancellable, error);
}

static gboolean
projector_task (gpointer data, GCancellable *cancellable, GError **error)
{
  Export *e = data;
  g_autofree char *tensors = g_build_filename (e->dir, "tensors.tsv", NULL);
  g_autofree char *metadata = g_build_filename (e->dir, "metadata.tsv", NULL);

  return vt_embedding_write_projector (e->embedding, tensors, metadata, cancellable, error);
}

/* The layout CSV of 3,000,000 points and the projector's TSVs of 50,000
 * × 256 features: seconds of printf each. Nothing is left half written. */
static void
test_export_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autoptr(VtEmbedding) many = random_embedding (3000000, 1);
  g_autoptr(VtEmbedding) wide = random_embedding (50000, 256);
  Export csv = { many, dir }, projector = { wide, dir };
  g_autoptr(GDir) listing = NULL;

  vt_test_assert_cancels ("layout CSV of 3,000,000 points", csv_task, &csv, 100);
  /* Later: the writer first reserves its whole text (128 MB), which
   * meson's MALLOC_PERTURB_ fills byte by byte before any row is written. */
  vt_test_assert_cancels ("projector TSVs of 50,000 × 256", projector_task, &projector, 600);
  listing = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (listing));
  vt_test_rm_rf (dir);
}

/* A store of @n points of 64 features in four classes whose values come
 * from their row and column, so a file's text can be checked anywhere. */
static VtFeatureStore *
counting_store (guint n)
{
  VtFeatureStore *store = vt_feature_store_new (n, 64, 0);

  store->n_samples = n;
  store->n_classes = 4;
  store->class_names = g_strsplit ("ant bee\tcat dog eel", " ", -1);
  for (guint i = 0; i < n; i++)
    {
      store->labels[i] = i % 4;
      store->indices[i] = 10 * (gint64) i;
      for (guint j = 0; j < 64; j++)
        store->features[(gsize) i * 64 + j] = sinf (0.37f * i + j) * (j + 1);
    }
  return store;
}

static VtEmbedding *
counting_embedding (VtFeatureStore *store)
{
  VtEmbedding *embedding = g_new0 (VtEmbedding, 1);

  embedding->store = vt_feature_store_ref (store);
  embedding->rows = vt_embedding_sample_rows (store->n_samples, 0, &embedding->n);
  embedding->dims = 2;
  embedding->layout = g_new (float, 2 * (gsize) embedding->n);
  for (gsize c = 0; c < 2 * (gsize) embedding->n; c++)
    embedding->layout[c] = c * 0.5f;
  return embedding;
}

static char *
expected_tensors_row (VtFeatureStore *store, guint row)
{
  GString *line = g_string_new (NULL);

  for (guint j = 0; j < store->dim; j++)
    g_string_append_printf (line, j ? "\t%.7g" : "%.7g", store->features[(gsize) row * store->dim + j]);
  return g_string_free (line, FALSE);
}

/* The exports stream: 100,000 points of 64 features are about 75 MB of
 * tensors.tsv, written here under a 32 MB cap on new memory (in a child
 * process, where an allocation beyond it aborts), and the files hold
 * exactly the rows; a folder that cannot be written leaves nothing. */
static void
test_export_streams (void)
{
  const guint n = 100000;
  g_autoptr(VtFeatureStore) store = counting_store (n);
  g_autoptr(VtEmbedding) embedding = counting_embedding (store);
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      const char *dir = g_getenv ("VT_TEST_EXPORT_DIR");
      g_autofree char *tensors = g_build_filename (dir, "tensors.tsv", NULL);
      g_autofree char *metadata = g_build_filename (dir, "metadata.tsv", NULL);
      g_autofree char *layout = g_build_filename (dir, "layout.csv", NULL);

      vt_test_limit_memory (32 << 20);
      gboolean written = vt_embedding_write_projector (embedding, tensors, metadata, NULL, &error) &&
                         vt_embedding_write_csv (embedding, layout, NULL, &error);
      vt_test_unlimit_memory ();
      g_assert_no_error (error);
      g_assert_true (written);
      return;
    }

  g_autofree char *dir = vt_test_tmpdir ();
  g_setenv ("VT_TEST_EXPORT_DIR", dir, TRUE);
  /* A minute at most: a child that hangs fails the test. */
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();

  /* Exactly the three files: no temporary one is left beside them. */
  g_autoptr(GDir) listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  guint n_files = 0;
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 3);

  g_autofree char *tensors_path = g_build_filename (dir, "tensors.tsv", NULL);
  g_autofree char *metadata_path = g_build_filename (dir, "metadata.tsv", NULL);
  g_autofree char *layout_path = g_build_filename (dir, "layout.csv", NULL);
  g_autofree char *tensors = NULL, *metadata = NULL, *layout = NULL;
  g_assert_true (g_file_get_contents (tensors_path, &tensors, NULL, &error));
  g_assert_true (g_file_get_contents (metadata_path, &metadata, NULL, &error));
  g_assert_true (g_file_get_contents (layout_path, &layout, NULL, &error));
  g_auto(GStrv) tensor_lines = g_strsplit (tensors, "\n", -1);
  g_auto(GStrv) metadata_lines = g_strsplit (metadata, "\n", -1);
  g_auto(GStrv) layout_lines = g_strsplit (layout, "\n", -1);
  g_assert_cmpuint (g_strv_length (tensor_lines), ==, n + 1);
  g_assert_cmpstr (tensor_lines[n], ==, "");
  for (guint row = 0; row < n; row += 997)
    {
      g_autofree char *want = expected_tensors_row (store, row);
      g_assert_cmpstr (tensor_lines[row], ==, want);
    }
  {
    g_autofree char *want = expected_tensors_row (store, n - 1);
    g_assert_cmpstr (tensor_lines[n - 1], ==, want);
  }
  g_assert_cmpuint (g_strv_length (metadata_lines), ==, n + 2);
  g_assert_cmpstr (metadata_lines[0], ==, "class\tlabel");
  g_assert_cmpstr (metadata_lines[1], ==, "ant\t0");
  g_assert_cmpstr (metadata_lines[2], ==, "bee cat\t1");
  g_assert_cmpstr (metadata_lines[n], ==, "eel\t3");
  g_assert_cmpuint (g_strv_length (layout_lines), ==, n + 2);
  g_assert_cmpstr (layout_lines[0], ==, "sample,label,class,x,y");
  g_assert_cmpstr (layout_lines[3], ==, "20,2,dog,2,2.5");
  g_assert_cmpstr (layout_lines[n], ==, "999990,3,eel,99999,99999.5");

  /* A folder that is not there: an error naming the file, and nothing written. */
  g_autofree char *missing = g_build_filename (dir, "missing", "tensors.tsv", NULL);
  g_assert_false (vt_embedding_write_projector (embedding, missing, metadata_path, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
  vt_test_rm_rf (dir);
}

/* One row's neighbours among some rows, as a click on the plot asks for
 * them, are what vt_neighbors_exact gives that row over the same rows
 * (gathered into a matrix of their own); duplicated rows make exact ties,
 * which both break by position. */
static void
test_neighbors_of_row (void)
{
  guint n = 600, dim = 5, k = 7, subset = 0;
  g_autoptr(GRand) rand = g_rand_new_with_seed (77);
  g_autofree float *x = g_new (float, (gsize) n * dim);
  g_autofree guint *rows = g_new (guint, n);
  g_autofree float *gathered = g_new (float, (gsize) n * dim);
  g_autofree guint *indices = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);
  g_autoptr(GError) error = NULL;

  for (gsize a = 0; a < (gsize) n * dim; a++)
    x[a] = (float) g_rand_double_range (rand, -1, 1);
  for (guint i = 0; i < n; i += 10)   /* every tenth row twice */
    memcpy (x + (gsize) (i + 1) * dim, x + (gsize) i * dim, sizeof (float) * dim);
  /* Every other row, as a plot of part of a store shows. */
  for (guint i = 0; i < n; i += 2)
    {
      rows[subset] = i;
      memcpy (gathered + (gsize) subset * dim, x + (gsize) i * dim, sizeof (float) * dim);
      subset++;
    }
  g_assert_true (vt_neighbors_exact (gathered, subset, dim, k, indices, distances, NULL, &error));
  g_assert_no_error (error);
  for (guint q = 0; q < subset; q++)
    {
      guint positions[7];
      double sq[7];

      g_assert_cmpuint (vt_neighbors_of_row (x, dim, rows, subset, q, k, positions, sq), ==, k);
      for (guint a = 0; a < k; a++)
        {
          g_assert_cmpuint (positions[a], ==, indices[(gsize) q * k + a]);
          g_assert_cmpfloat (sq[a], ==, distances[(gsize) q * k + a]);
        }
    }
  /* Fewer candidates than k: all the others. */
  {
    guint positions[7];
    double sq[7];

    g_assert_cmpuint (vt_neighbors_of_row (x, dim, rows, 3, 1, k, positions, sq), ==, 2);
    g_assert_cmpuint (vt_neighbors_of_row (x, dim, rows, 1, 0, k, positions, sq), ==, 0);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/projection/pca", test_pca);
  g_test_add_func ("/projection/pca-three", test_pca_three);
  g_test_add_func ("/projection/affinities", test_affinities);
  g_test_add_func ("/projection/gradients", test_gradients);
  g_test_add_func ("/projection/symmetrize", test_symmetrize);
  g_test_add_func ("/projection/symmetrize-bytes", test_symmetrize_bytes);
  g_test_add_func ("/projection/tsne-gradient-nested", test_tsne_gradient_nested);
  g_test_add_func ("/projection/quality-measures", test_quality_measures);
  g_test_add_func ("/projection/tsne-exact", test_tsne_exact);
  g_test_add_func ("/projection/tsne-quality", test_tsne_quality);
  g_test_add_func ("/projection/tsne-approximate", test_tsne_approximate);
  g_test_add_func ("/projection/bad-input", test_bad_input);
  g_test_add_func ("/projection/umap-parts", test_umap_parts);
  g_test_add_func ("/projection/umap-quality", test_umap_quality);
  g_test_add_func ("/projection/umap-threads", test_umap_threads);
  g_test_add_func ("/projection/neighbors-blocks", test_neighbors_blocks);
  g_test_add_func ("/projection/neighbors-of-row", test_neighbors_of_row);
  g_test_add_func ("/projection/nn-descent", test_nn_descent);
  g_test_add_func ("/projection/categories", test_categories);
  g_test_add_func ("/projection/pca-cancel", test_pca_cancel);
  g_test_add_func ("/projection/trustworthiness-cancel", test_trustworthiness_cancel);
  g_test_add_func ("/projection/export-cancel", test_export_cancel);
  g_test_add_func ("/projection/export-streams", test_export_streams);
  return g_test_run ();
}
