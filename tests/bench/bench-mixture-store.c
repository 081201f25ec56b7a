/* bench-mixture-store.c: a synthetic but structured feature store for the
 * million-point benchmark (million.sh).
 *
 *   bench-mixture-store OUT.safetensors [N [DIM [CLUSTERS [SEED]]]]
 *
 * N points (1,000,000) in DIM dimensions (64) from a seeded mixture of
 * CLUSTERS Gaussians (50): centres N(0, 4²) per coordinate, each cluster
 * with its own spread in [0.5, 1.5], points labelled by their cluster, so
 * a layout has real structure to keep. A benchmark tool, not a test. */
#include <stdlib.h>

#include "core/vt-random.h"
#include "features/vt-feature-store.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  guint n = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1000000;
  guint dim = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 64;
  guint clusters = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 50;
  guint32 seed = argc > 5 ? (guint32) g_ascii_strtoull (argv[5], NULL, 10) : 0;
  VtRandom random;

  if (argc < 2 || n == 0 || dim == 0 || clusters == 0 || n > 100000000 || dim > 4096 || clusters > 10000)
    {
      g_printerr ("usage: %s OUT.safetensors [N [DIM [CLUSTERS [SEED]]]]\n", argv[0]);
      return 2;
    }
  vt_random_init (&random, seed);
  g_autofree float *centres = g_new (float, (gsize) clusters * dim);
  g_autofree float *spreads = g_new (float, clusters);
  for (gsize c = 0; c < (gsize) clusters * dim; c++)
    centres[c] = 4 * vt_random_gauss (&random);
  for (guint c = 0; c < clusters; c++)
    spreads[c] = 0.5 + vt_random_double (&random);

  g_autoptr(VtFeatureStore) store = vt_feature_store_new (n, dim, 0);
  store->n_samples = n;
  store->n_classes = clusters;
  store->class_names = g_new0 (char *, clusters + 1);
  for (guint c = 0; c < clusters; c++)
    store->class_names[c] = g_strdup_printf ("cluster %u", c);
  for (guint i = 0; i < n; i++)
    {
      guint c = vt_random_next_uint32 (&random) % clusters;

      store->labels[i] = c;
      store->indices[i] = i;
      for (guint j = 0; j < dim; j++)
        store->features[(gsize) i * dim + j] = centres[(gsize) c * dim + j] + spreads[c] * vt_random_gauss (&random);
    }
  if (!vt_feature_store_save (store, argv[1], &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}
