/* bench-projection.c: PCA, t-SNE and UMAP on N samples of a feature store, timed.
 *
 *   bench-projection STORE N [exact|barnes_hut|auto] [TRUST]
 *
 * Takes every (store size / N)-th sample, so classes stay balanced in an
 * ImageFolder store, exactly as projection_sklearn.py does. Prints one
 * JSON line: PCA, t-SNE and UMAP seconds, the t-SNE and UMAP layouts'
 * leave-one-out 10-NN accuracy and, with TRUST=1, their trustworthiness
 * (k = 10). A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "features/vt-feature-store.h"
#include "methods/projection/vt-embedding.h"
#include "methods/projection/vt-embedding-quality.h"
#include "methods/projection/vt-pca.h"
#include "methods/projection/vt-tsne.h"
#include "methods/projection/vt-umap.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  VtTsneOptions options;
  struct rusage usage;

  if (argc < 3)
    {
      g_printerr ("usage: %s STORE N [exact|barnes_hut|auto] [TRUST]\n", argv[0]);
      return 2;
    }
  if (!(store = vt_feature_store_load (argv[1], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  guint n = 0, dim = store->dim;
  g_autofree guint *rows = vt_embedding_sample_rows (store->n_samples, (guint) atoi (argv[2]), &n);
  g_autofree float *x = vt_feature_store_gather (store, rows, n);
  g_autofree gint64 *labels = g_new (gint64, n);
  for (gsize i = 0; i < n; i++)
    labels[i] = store->labels[rows[i]];

  gint64 start = g_get_monotonic_time ();
  g_autoptr(VtPca) pca = vt_pca_fit (x, n, dim, 2, NULL, &error);
  double pca_seconds = (g_get_monotonic_time () - start) / 1e6;

  vt_tsne_options_init (&options);
  options.layout_interval = 0;
  if (argc > 3)
    options.method = g_str_equal (argv[3], "exact") ? VT_TSNE_EXACT
                     : g_str_equal (argv[3], "barnes_hut") ? VT_TSNE_BARNES_HUT : VT_TSNE_AUTO;
  start = g_get_monotonic_time ();
  g_autoptr(VtTsneResult) tsne = vt_tsne_run (x, n, dim, &options, NULL, NULL, &error);
  if (pca == NULL || tsne == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  double tsne_seconds = (g_get_monotonic_time () - start) / 1e6;

  VtUmapOptions umap_options;
  vt_umap_options_init (&umap_options);
  umap_options.layout_interval = 0;
  start = g_get_monotonic_time ();
  g_autoptr(VtUmapResult) umap = vt_umap_run (x, n, dim, &umap_options, NULL, NULL, &error);
  if (umap == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  double umap_seconds = (g_get_monotonic_time () - start) / 1e6;
  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"n\": %u, \"pca_seconds\": %.3f, \"tsne_seconds\": %.3f, \"kl\": %.4f, \"iterations\": %u, "
          "\"peak_rss_mb\": %.1f", n, pca_seconds, tsne_seconds, tsne->kl_divergence, tsne->n_iterations,
          usage.ru_maxrss / 1024.0);
  printf (", \"knn_accuracy\": %.4f, \"umap_seconds\": %.3f, \"umap_knn_accuracy\": %.4f",
          vt_knn_accuracy (tsne->layout, n, 2, labels, 10), umap_seconds,
          vt_knn_accuracy (umap->layout, n, 2, labels, 10));
  if (argc > 4 && atoi (argv[4]))
    printf (", \"trustworthiness\": %.4f, \"umap_trustworthiness\": %.4f",
            vt_trustworthiness (x, n, dim, tsne->layout, 2, 10, NULL, NULL), vt_trustworthiness (x, n, dim, umap->layout, 2, 10, NULL, NULL));
  printf ("}\n");
  return 0;
}
