/* bench-comet.c: one COMET training step, timed (the Vitrine side of
 * comet.sh).
 *
 *   bench-comet DETECTOR BATCH [DEPTH [WIDTH]]
 *
 * The selector of WIDTH (16), a fresh CIFAR ResNet of DEPTH (20) layers as
 * the predictor (BatchNorm in training mode), DETECTOR frozen in eval mode,
 * 32×32 random normalized pixels and random labels; one step is
 * vt_comet_train_step: the three forward passes, the backward passes of P,
 * D and S, and the AdamW update. Runs steps until two seconds have passed,
 * after a warm-up, and prints the median milliseconds of one step and the
 * seconds one epoch of CIFAR-10's 50,000 training images would take at
 * that rate (data loading not counted) as JSON. Threads:
 * OPENBLAS_NUM_THREADS. A benchmark, not a test. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vt-blas.h"
#include "io/vt-checkpoint.h"
#include "methods/comet/vt-comet.h"
#include "methods/comet/vt-comet-predictor.h"
#include "models/vt-architecture.h"
#include "vt-bench-util.h"

#define SIZE 32
#define CIFAR_TRAIN 50000

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) detector_checkpoint = NULL;
  g_autoptr(VtCheckpoint) predictor_checkpoint = NULL;
  g_autoptr(VtArchitecture) detector_arch = NULL;
  g_autoptr(VtArchitecture) predictor_arch = NULL;
  g_autoptr(VtTrainable) detector = NULL;
  g_autoptr(VtTrainable) predictor = NULL;
  g_autoptr(VtCometSelector) selector = NULL;
  g_autoptr(VtComet) comet = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *pixels = NULL;
  g_autofree gint32 *labels = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *predictor_path = NULL;
  VtCometLossSettings loss = VT_COMET_LOSS_DEFAULTS;
  VtOptimizerSettings optimizer = { VT_OPTIMIZER_ADAMW, 0.0, FALSE, 0.9, 0.999, 1e-8 };
  VtSchedule schedule = { VT_SCHEDULE_CONSTANT, 0, 1.0, 1, 0.1, { 0 }, 0, 0, 0.0 };
  int batch, depth, width;
  gint64 start;
  double ms;

  vt_blas_choose_kernels (argv);
  if (argc < 3 || argc > 5)
    {
      fprintf (stderr, "usage: bench-comet DETECTOR BATCH [DEPTH [WIDTH]]\n");
      return 2;
    }
  batch = atoi (argv[2]);
  depth = argc > 3 ? atoi (argv[3]) : 20;
  width = argc > 4 ? atoi (argv[4]) : 16;
  if (!(dir = g_dir_make_tmp ("bench-comet-XXXXXX", &error)))
    goto fail;
  predictor_path = g_build_filename (dir, "predictor.safetensors", NULL);
  if (!(detector_checkpoint = vt_checkpoint_open (argv[1], &error)))
    goto fail;
  detector_arch = vt_architecture_recognize (detector_checkpoint);
  if (!(detector = vt_trainable_new (detector_checkpoint, detector_arch, &error)) ||
      !vt_comet_predictor_write_initial (predictor_path, depth, detector_arch->num_classes, 1, &error) ||
      !(predictor_checkpoint = vt_checkpoint_open (predictor_path, &error)))
    goto fail;
  predictor_arch = vt_architecture_recognize (predictor_checkpoint);
  if (!(predictor = vt_trainable_new (predictor_checkpoint, predictor_arch, &error)))
    goto fail;
  selector = vt_comet_selector_new (width, 1);
  if (!(comet = vt_comet_new (selector, predictor, detector, detector_arch->num_classes, &loss, &optimizer,
                              &schedule, 5e-4, 0.03, &error)))
    goto fail;

  pixels = g_new (float, (gsize) batch * 3 * SIZE * SIZE);
  for (gsize i = 0; i < (gsize) batch * 3 * SIZE * SIZE; i++)
    pixels[i] = (float) g_rand_double_range (rng, -2.0, 2.0);
  labels = g_new (gint32, batch);
  for (int i = 0; i < batch; i++)
    labels[i] = g_rand_int_range (rng, 0, detector_arch->num_classes);

  start = 0;
  for (int run = 0; run == 0 || times->len < 5 || g_get_monotonic_time () - start < 2000000; run++)
    {
      gint64 t0 = g_get_monotonic_time ();
      VtCometLosses losses;

      if (!vt_comet_train_step (comet, pixels, labels, batch, SIZE, SIZE, &losses, &error))
        goto fail;
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      if (run == 0)
        start = g_get_monotonic_time ();   /* the first is a warm-up: the arenas, OpenBLAS's threads */
      else
        g_array_append_val (times, ms);
    }
  ms = vt_bench_median (times);
  printf ("{\"ms\": %.3f, \"epoch_s\": %.1f}\n", ms, ms / 1000.0 * ((CIFAR_TRAIN + batch - 1) / batch));
  g_unlink (predictor_path);
  g_rmdir (dir);
  return 0;

fail:
  fprintf (stderr, "bench-comet: %s\n", error->message);
  if (predictor_path)
    g_unlink (predictor_path);
  if (dir)
    g_rmdir (dir);
  return 1;
}
