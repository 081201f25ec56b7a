/* bench-train.c: one forward and backward pass of a whole network, timed
 * (the Vitrine side of train.sh).
 *
 *   bench-train CHECKPOINT BATCH SIZE [eval|train]
 *
 * BatchNorm in eval mode, or with "train" in training mode (batch
 * statistics, running statistics updated: PyTorch's model.train()).
 * Every parameter trains (VT_TRAIN_ALL), the input's gradient is not
 * taken; the scalar is softmax cross-entropy on random labels. Runs
 * forward, loss, backward on random normalized pixels until two seconds
 * have passed, after a warm-up, and prints the median milliseconds of one
 * step and the images per second as JSON. Threads: OPENBLAS_NUM_THREADS.
 * A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vt-blas.h"
#include "io/vt-checkpoint.h"
#include "models/vt-trainable.h"
#include "nn/vt-loss.h"
#include "vt-bench-util.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *pixels = NULL;
  g_autofree float *probs = NULL;
  g_autofree float *dlogits = NULL;
  g_autofree gint32 *labels = NULL;
  VtArchitecture *arch;
  int batch, size, classes;
  gint64 start;
  double ms;

  vt_blas_choose_kernels (argv);
  if ((argc != 4 && argc != 5) || (argc == 5 && strcmp (argv[4], "eval") != 0 && strcmp (argv[4], "train") != 0))
    {
      fprintf (stderr, "usage: bench-train CHECKPOINT BATCH SIZE [eval|train]\n");
      return 2;
    }
  batch = atoi (argv[2]);
  size = atoi (argv[3]);
  if (!(checkpoint = vt_checkpoint_open (argv[1], &error)))
    goto fail;
  arch = vt_architecture_recognize (checkpoint);
  classes = arch->num_classes;
  model = vt_trainable_new (checkpoint, arch, &error);
  vt_architecture_free (arch);
  if (model == NULL)
    goto fail;
  vt_trainable_set_part (model, VT_TRAIN_ALL, 0);
  vt_trainable_set_input_gradient (model, FALSE);
  vt_trainable_set_batchnorm_training (model, argc == 5 && strcmp (argv[4], "train") == 0);

  pixels = g_new (float, (gsize) batch * 3 * size * size);
  for (gsize i = 0; i < (gsize) batch * 3 * size * size; i++)
    pixels[i] = (float) g_rand_double_range (rng, -2.0, 2.0);
  labels = g_new (gint32, batch);
  for (int i = 0; i < batch; i++)
    labels[i] = g_rand_int_range (rng, 0, classes);
  probs = g_new (float, (gsize) batch * classes);
  dlogits = g_new (float, (gsize) batch * classes);

  start = 0;
  for (int run = 0; run == 0 || times->len < 5 || g_get_monotonic_time () - start < 2000000; run++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!vt_trainable_forward (model, pixels, batch, size, size, &error))
        goto fail;
      vt_cross_entropy_forward (probs, vt_trainable_lookup_tap (model, "logits")->value, labels, NULL, batch,
                                classes, 0.0f, -100, &error);
      memset (dlogits, 0, sizeof (float) * batch * classes);
      vt_cross_entropy_backward (dlogits, probs, labels, NULL, batch, classes, 0.0f, -100, 1.0f);
      vt_trainable_zero_grad (model);
      if (!vt_trainable_backward (model, "logits", dlogits, &error))
        goto fail;
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      if (run == 0)
        start = g_get_monotonic_time ();   /* the first is a warm-up: the arena, OpenBLAS's threads */
      else
        g_array_append_val (times, ms);
    }
  ms = vt_bench_median (times);
  printf ("{\"ms\": %.3f, \"images_per_s\": %.1f}\n", ms, batch * 1000.0 / ms);
  return 0;

fail:
  fprintf (stderr, "bench-train: %s\n", error->message);
  return 1;
}
