/* bench-cil.c: one class-incremental method over a whole protocol, timed.
 *
 *   bench-cil TRAIN_STORE TEST_STORE METHOD SPLIT RANPAC_DIM
 *
 * Prints one JSON line: seconds (loading excluded, as on the numpy side),
 * the last accuracy, and the peak RSS. A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "methods/cil/vt-cil-run.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) train = NULL;
  g_autoptr(VtFeatureStore) test = NULL;
  g_autoptr(VtCilResult) result = NULL;
  g_autofree guint *order = NULL;
  const VtCilMethodClass *method = NULL;
  VtCilOptions options;
  VtCilSplit split;
  struct rusage usage;
  gint64 start;

  if (argc != 6)
    {
      g_printerr ("usage: %s TRAIN TEST METHOD SPLIT RANPAC_DIM\n", argv[0]);
      return 2;
    }
  for (const VtCilMethodClass * const *m = vt_cil_methods (); *m; m++)
    if (g_str_equal ((*m)->name, argv[3]))
      method = *m;
  if (method == NULL || !vt_cil_split_parse (argv[4], &split, &error))
    {
      g_printerr ("bad method or split\n");
      return 2;
    }
  vt_cil_options_init (&options);
  options.ranpac_dim = (guint) atoi (argv[5]);
  if (!(train = vt_feature_store_load (argv[1], &error)) || !(test = vt_feature_store_load (argv[2], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  start = g_get_monotonic_time ();
  order = vt_cil_class_order (train->n_classes, TRUE, VT_CIL_DEFAULT_SEED);
  result = vt_cil_run (train, test, order, &split, &method, 1, &options, NULL, NULL, &error);
  if (result == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"seconds\": %.3f, \"last\": %.6f, \"peak_rss_mb\": %.1f}\n", (g_get_monotonic_time () - start) / 1e6,
          ((VtCilMethodResult *) g_ptr_array_index (result->methods, 0))->last, usage.ru_maxrss / 1024.0);
  return 0;
}
