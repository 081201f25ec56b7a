/* bench-conv.c: where ResNet-50's time goes at batch 1, convolution by
 * convolution (vt_conv2d_forward with the folded BatchNorm and ReLU as its
 * epilogue).
 *
 *   OPENBLAS_NUM_THREADS=2 bench-conv [LAYER]   (only the layers whose name starts so)
 *
 * Each distinct layer of torchvision's ResNet-50 at 224×224 runs until a
 * tenth of a second has passed, after a warm-up; prints its milliseconds,
 * GFLOP/s (a multiply-add counted as 2) and how many times the network runs
 * it, then the total over the network. A benchmark, not a test. */
#include <stdio.h>

#include "core/vt-parallel.h"
#include "nn/vt-ops.h"

typedef struct
{
  const char *what;
  int         c, size, k, kernel, stride, count;
} Layer;

/* torchvision's ResNet-50 (v1.5: the stride is on the 3×3 convolution) */
static const Layer layers[] = {
  { "stem 7x7/2",        3, 224,   64, 7, 2, 1 },
  { "l1 1x1 64>64",     64,  56,   64, 1, 1, 1 },
  { "l1 1x1 256>64",   256,  56,   64, 1, 1, 2 },
  { "l1 3x3 64",        64,  56,   64, 3, 1, 3 },
  { "l1 1x1 64>256",    64,  56,  256, 1, 1, 4 },   /* 3 blocks + the shortcut */
  { "l2 1x1 256>128",  256,  56,  128, 1, 1, 1 },
  { "l2 3x3/2 128",    128,  56,  128, 3, 2, 1 },
  { "l2 down 256>512", 256,  56,  512, 1, 2, 1 },
  { "l2 1x1 512>128",  512,  28,  128, 1, 1, 3 },
  { "l2 3x3 128",      128,  28,  128, 3, 1, 3 },
  { "l2 1x1 128>512",  128,  28,  512, 1, 1, 4 },
  { "l3 1x1 512>256",  512,  28,  256, 1, 1, 1 },
  { "l3 3x3/2 256",    256,  28,  256, 3, 2, 1 },
  { "l3 down 512>1024", 512, 28, 1024, 1, 2, 1 },
  { "l3 1x1 1024>256", 1024, 14,  256, 1, 1, 5 },
  { "l3 3x3 256",      256,  14,  256, 3, 1, 5 },
  { "l3 1x1 256>1024", 256,  14, 1024, 1, 1, 6 },
  { "l4 1x1 1024>512", 1024, 14,  512, 1, 1, 1 },
  { "l4 3x3/2 512",    512,  14,  512, 3, 2, 1 },
  { "l4 down 1024>2048", 1024, 14, 2048, 1, 2, 1 },
  { "l4 1x1 2048>512", 2048,  7,  512, 1, 1, 2 },
  { "l4 3x3 512",      512,   7,  512, 3, 1, 2 },
  { "l4 1x1 512>2048", 512,   7, 2048, 1, 1, 3 },
};

static float *
random_floats (GRand *rng,
               gsize  n)
{
  float *x = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
  return x;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  double total_ms = 0.0, total_gflop = 0.0;

  printf ("threads: %d\n", vt_parallel_threads ());
  printf ("%-18s %5s %9s %9s\n", "layer", "count", "ms", "GFLOP/s");
  for (gsize l = 0; l < G_N_ELEMENTS (layers); l++)
    {
      const Layer *s = &layers[l];
      if (argc > 1 && !g_str_has_prefix (s->what, argv[1]))
        continue;
      int pad = s->kernel / 2;
      int out_size = vt_conv2d_out_size (s->size, s->kernel, s->stride, pad);
      gsize pixels = (gsize) out_size * out_size;
      g_autofree float *in = random_floats (rng, (gsize) s->c * s->size * s->size);
      g_autofree float *weight = random_floats (rng, (gsize) s->k * s->c * s->kernel * s->kernel);
      g_autofree float *scale = random_floats (rng, s->k);
      g_autofree float *shift = random_floats (rng, s->k);
      g_autofree float *out = g_new (float, s->k * pixels);
      VtGemmEpilogue bn_relu = { scale, shift, NULL, 0, TRUE };
      double gflop = 2e-9 * s->k * pixels * s->c * s->kernel * s->kernel;
      gint64 start, now;
      int runs = 0;

      for (int warm = 0; warm < 3; warm++)
        vt_conv2d_forward (out, in, weight, NULL, s->c, s->size, s->size, s->k, s->kernel, s->kernel,
                           s->stride, pad, &bn_relu);
      start = g_get_monotonic_time ();
      do
        {
          vt_conv2d_forward (out, in, weight, NULL, s->c, s->size, s->size, s->k, s->kernel, s->kernel,
                             s->stride, pad, &bn_relu);
          runs++;
          now = g_get_monotonic_time ();
        }
      while (now - start < 100000);

      double ms = (now - start) / 1e3 / runs;
      printf ("%-18s %5d %9.3f %9.1f\n", s->what, s->count, ms, gflop / ms * 1e3);
      total_ms += ms * s->count;
      total_gflop += gflop * s->count;
    }
  printf ("%-18s %5s %9.3f %9.1f\n", "network", "", total_ms, total_gflop / total_ms * 1e3);
  return 0;
}
