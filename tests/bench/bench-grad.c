/* bench-grad.c: the backward passes of one convolution or linear layer,
 * timed (the Vitrine side of grad.sh, which holds the list of layers).
 *
 *   bench-grad conv N C H K KERNEL STRIDE PAD GROUPS
 *   bench-grad linear ROWS IN OUT
 *
 * Runs the backward pass (input, weight and bias gradients) on random
 * values until half a second has passed, after a warm-up, and prints the
 * median milliseconds of one pass as JSON. Threads: OPENBLAS_NUM_THREADS
 * (the products are OpenBLAS's). A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>

#include "core/vt-blas.h"
#include "nn/vt-conv.h"
#include "nn/vt-linear.h"
#include "vt-bench-util.h"

static float *
random_floats (GRand *rng,
               gsize  n)
{
  float *x = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
  return x;
}

typedef void (*Pass) (gpointer data);

/* The median of as many runs as fit in half a second (at least 5). */
static double
time_ms (Pass     pass,
         gpointer data)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 start = g_get_monotonic_time ();

  pass (data);   /* warm-up: buffers, OpenBLAS's threads */
  while (times->len < 5 || g_get_monotonic_time () - start < 500000)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      pass (data);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (times, ms);
    }
  return vt_bench_median (times);
}

typedef struct
{
  VtConvShape s;
  float *x, *w, *dy, *dx, *dw, *db;
} Conv;

static void
conv_pass (gpointer data)
{
  Conv *c = data;

  vt_conv_backward (c->dx, c->dw, c->db, c->dy, c->x, c->w, &c->s);
}

typedef struct
{
  int n, in, out;
  float *x, *w, *dy, *dx, *dw, *db;
} Linear;

static void
linear_pass (gpointer data)
{
  Linear *l = data;

  vt_linear_backward (l->dx, l->dw, l->db, l->dy, l->x, l->w, l->n, l->in, l->out);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  double ms;

  vt_blas_choose_kernels (argv);
  if (argc == 10 && g_str_equal (argv[1], "conv"))
    {
      Conv c = { { atoi (argv[2]), atoi (argv[3]), atoi (argv[4]), atoi (argv[4]), atoi (argv[5]),
                   atoi (argv[6]), atoi (argv[6]), atoi (argv[7]), atoi (argv[8]), atoi (argv[9]) } };
      VtConvShape *s = &c.s;
      gsize nx = (gsize) s->n * s->c * s->h * s->w, nw = (gsize) s->k * (s->c / s->groups) * s->kh * s->kw;
      gsize ny = (gsize) s->n * s->k * vt_conv_shape_out_h (s) * vt_conv_shape_out_w (s);

      c.x = random_floats (rng, nx);
      c.w = random_floats (rng, nw);
      c.dy = random_floats (rng, ny);
      c.dx = g_new0 (float, nx);
      c.dw = g_new0 (float, nw);
      c.db = g_new0 (float, s->k);
      ms = time_ms (conv_pass, &c);
      g_free (c.x); g_free (c.w); g_free (c.dy); g_free (c.dx); g_free (c.dw); g_free (c.db);
    }
  else if (argc == 5 && g_str_equal (argv[1], "linear"))
    {
      Linear l = { atoi (argv[2]), atoi (argv[3]), atoi (argv[4]) };

      l.x = random_floats (rng, (gsize) l.n * l.in);
      l.w = random_floats (rng, (gsize) l.out * l.in);
      l.dy = random_floats (rng, (gsize) l.n * l.out);
      l.dx = g_new0 (float, (gsize) l.n * l.in);
      l.dw = g_new0 (float, (gsize) l.out * l.in);
      l.db = g_new0 (float, l.out);
      ms = time_ms (linear_pass, &l);
      g_free (l.x); g_free (l.w); g_free (l.dy); g_free (l.dx); g_free (l.dw); g_free (l.db);
    }
  else
    {
      fprintf (stderr, "usage: bench-grad conv N C H K KERNEL STRIDE PAD GROUPS\n"
                       "       bench-grad linear ROWS IN OUT\n");
      return 2;
    }
  printf ("{\"ms\": %.4f, \"blas_core\": \"%s\"}\n", ms, vt_blas_core ());
  return 0;
}
