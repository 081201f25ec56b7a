/* bench-neighbors.c: UMAP's neighbour search, exact against approximate.
 *
 *   bench-neighbors SOURCE N [K [OUT]]
 *
 * SOURCE is a feature store (.safetensors) or a dataset (its pixels,
 * scaled to [0, 1], are the vectors: Fashion-MNIST gives 784 of them).
 * The first N rows; K neighbours (default 14, UMAP's 15 less the point
 * itself). Prints one JSON line: both searches' seconds and the
 * approximate one's recall (the share of the exact neighbours it found).
 * With OUT, the approximate neighbours go there as (N, K) uint32, for
 * neighbors_pynndescent.py to check against scikit-learn's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/vt-feature-store.h"
#include "io/vt-dataset.h"
#include "methods/projection/vt-neighbors.h"
#include "methods/projection/vt-nn-descent.h"

static float *
dataset_rows (const char *path, guint n, guint *dim, GError **error)
{
  g_autoptr(VtDataset) dataset = vt_dataset_open (path, &(VtDatasetOptions) { .split = "train" }, error);
  if (dataset == NULL)
    return NULL;
  n = MIN (n, dataset->n_samples);
  float *x = NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, i, error);
      if (image == NULL)
        {
          g_free (x);
          return NULL;
        }
      /* One channel of the RGB copy: the datasets here are grey or the
       * channels differ little; the point is the width. */
      if (x == NULL)
        {
          *dim = image->width * image->height;
          x = g_new (float, (gsize) n * *dim);
        }
      for (guint p = 0; p < *dim; p++)
        x[(gsize) i * *dim + p] = image->rgb[3 * p] / 255.0f;
    }
  return x;
}

static int
failed (const GError *error)
{
  fprintf (stderr, "%s\n", error->message);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  guint n, dim = 0;
  g_autofree float *x = NULL;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s SOURCE N [K]\n", argv[0]);
      return 2;
    }
  n = atoi (argv[2]);
  guint k = argc > 3 ? (guint) atoi (argv[3]) : 14;
  if (g_str_has_suffix (argv[1], ".safetensors"))
    {
      g_autoptr(VtFeatureStore) store = vt_feature_store_load (argv[1], &error);
      if (store == NULL)
        return failed (error);
      n = MIN (n, store->n_samples);
      dim = store->dim;
      x = g_memdup2 (store->features, (gsize) n * dim * sizeof (float));
    }
  else if ((x = dataset_rows (argv[1], n, &dim, &error)) == NULL)
    return failed (error);

  g_autofree guint *exact = g_new (guint, (gsize) n * k);
  g_autofree guint *approximate = g_new (guint, (gsize) n * k);
  g_autofree double *distances = g_new (double, (gsize) n * k);

  gint64 start = g_get_monotonic_time ();
  if (!vt_neighbors_exact (x, n, dim, k, exact, distances, NULL, &error))
    return failed (error);
  double exact_seconds = (g_get_monotonic_time () - start) / 1e6;
  start = g_get_monotonic_time ();
  if (!vt_neighbors_approximate (x, n, dim, k, 0, approximate, distances, NULL, &error))
    return failed (error);
  double approximate_seconds = (g_get_monotonic_time () - start) / 1e6;

  if (argc > 4 && !g_file_set_contents (argv[4], (const char *) approximate, (gsize) n * k * sizeof (guint),
                                        &error))
    return failed (error);
  gsize found = 0;
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < k; a++)
      for (guint b = 0; b < k; b++)
        found += approximate[i * k + a] == exact[i * k + b];
  printf ("{\"n\": %u, \"dim\": %u, \"k\": %u, \"exact_seconds\": %.3f, \"approximate_seconds\": %.3f, "
          "\"recall\": %.5f}\n", n, dim, k, exact_seconds, approximate_seconds, (double) found / ((gsize) n * k));
  return 0;
}
