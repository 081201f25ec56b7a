/* test-grad.c: the paired kernels of engine/nn, forward and backward.
 *
 * For every op, three checks:
 *  - against PyTorch autograd: the fixture (tests/reference/
 *    make_grad_fixtures.py) holds inputs, the upstream gradient dy of each
 *    output, the outputs and every gradient of Σ dy · out; ours must agree
 *    to max |ours − ref| / max |ref| ≤ 1e-4, printed per tensor;
 *  - against central finite differences of the same scalar, summed in
 *    double, on the same small inputs, so that a gradient that agrees with
 *    a wrong PyTorch call still fails;
 *  - where there is a fast path, against its naive reference.
 * Every backward pass accumulates: each is run onto gradients that already
 * hold a value, and that value is taken off again before comparing. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "nn/vt-activation.h"
#include "nn/vt-attention.h"
#include "nn/vt-conv.h"
#include "nn/vt-cosine.h"
#include "nn/vt-embedding.h"
#include "nn/vt-linear.h"
#include "nn/vt-loss.h"
#include "nn/vt-norm.h"
#include "nn/vt-ops.h"
#include "nn/vt-pool.h"
#include "nn/vt-upsample.h"
#include "vt-test-util.h"

#define REF_TOLERANCE 1e-4
#define FD_TOLERANCE 2e-3
#define FD_STEP 1e-3

/* ---- fixtures ------------------------------------------------------------ */

typedef struct
{
  char         *name;
  VtCheckpoint *ckpt;
  GHashTable   *values;   /* tensor name -> float copy */
} Fixture;

static void
fixture_free (Fixture *f)
{
  vt_checkpoint_unref (f->ckpt);
  g_hash_table_unref (f->values);
  g_free (f->name);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

static Fixture *
fixture_open (const char *name)
{
  g_autofree char *relative = g_strdup_printf ("grad/%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (relative);
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);

  f->name = g_strdup (name);
  f->ckpt = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);
  f->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (f->ckpt); i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (f->ckpt, i);

      g_hash_table_insert (f->values, t->name, vt_tensor_dup_float (t));
    }
  return f;
}

static const VtTensor *
tensor (Fixture    *f,
        const char *name)
{
  const VtTensor *t = vt_checkpoint_lookup (f->ckpt, name);

  if (t == NULL)
    g_error ("%s: no tensor %s", f->name, name);
  return t;
}

/* The fixture's values of @name, which the test may change (FD perturbs them). */
static float *
get (Fixture    *f,
     const char *name)
{
  tensor (f, name);
  return g_hash_table_lookup (f->values, name);
}

static int
dim (Fixture    *f,
     const char *name,
     guint       d)
{
  const VtTensor *t = tensor (f, name);

  g_assert_cmpuint (d, <, t->ndim);
  return (int) t->shape[d];
}

static gsize
numel (Fixture    *f,
       const char *name)
{
  return tensor (f, name)->numel;
}

static double
meta (Fixture    *f,
      const char *key)
{
  const char *v = g_hash_table_lookup (vt_checkpoint_get_metadata (f->ckpt), key);

  if (v == NULL)
    g_error ("%s: no metadata %s", f->name, key);
  return g_ascii_strtod (v, NULL);
}

static double
max_abs (const float *x,
         gsize        n)
{
  double m = 0.0;

  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  return m;
}

/* max |a − b| / max |b|; the absolute difference where b is zero, to
 * rounding (below 1e-6: the attention pool's key bias, to which the
 * softmax is blind, has a gradient of 0 plus noise on both sides). */
static double
rel_diff (const float *a,
          const float *b,
          gsize        n)
{
  double worst = 0.0, scale = max_abs (b, n);

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - b[i]);

      worst = isnan (d) ? INFINITY : MAX (worst, d);
    }
  return scale > 1e-6 ? worst / scale : worst;
}

static double worst_ref, worst_fd, worst_naive;

/* Ours against the fixture's @name (grad.x, out.y, …), to @tolerance. */
static void
check_ref_within (Fixture     *f,
                  const char  *name,
                  const float *ours,
                  double       tolerance)
{
  gsize n = numel (f, name);
  double d = rel_diff (ours, get (f, name), n);

  g_test_message ("%s %s vs PyTorch: %.3g", f->name, name, d);
  worst_ref = MAX (worst_ref, d);
  if (!(d <= tolerance))
    g_error ("%s: %s differs from PyTorch by %.3g (tolerance %.0e)", f->name, name, d, tolerance);
}

static void
check_ref (Fixture     *f,
           const char  *name,
           const float *ours)
{
  check_ref_within (f, name, ours, REF_TOLERANCE);
}

static void
check_naive (const char  *what,
             const float *fast,
             const float *naive,
             gsize        n)
{
  double d = rel_diff (fast, naive, n);

  g_test_message ("%s fast vs naive: %.3g", what, d);
  worst_naive = MAX (worst_naive, d);
  if (!(d <= 1e-5))
    g_error ("%s: the fast path differs from the naive one by %.3g", what, d);
}

/* A fresh gradient buffer, holding a known value that the backward pass
 * must add to and keep (accumulation), taken off again by took_off(). */
#define PRESET 0.25f

static float *
preset (gsize n)
{
  float *g = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    g[i] = PRESET;
  return g;
}

static float *
took_off (float *g,
          gsize  n)
{
  for (gsize i = 0; i < n; i++)
    g[i] -= PRESET;
  return g;
}

/* ---- finite differences -------------------------------------------------- */

/* The scalar the gradients are of: Σ dy · out, summed in double, after
 * running the op's forward pass on the current inputs. */
typedef double (*LossFn) (gpointer ctx);

static double
dot (const float *dy,
     const float *y,
     gsize        n)
{
  double acc = 0.0;

  for (gsize i = 0; i < n; i++)
    acc += (double) dy[i] * y[i];
  return acc;
}

/* Central differences of @loss over every element of @x (n values),
 * against @grad. */
static void
check_fd (Fixture     *f,
          const char  *what,
          LossFn       loss,
          gpointer     ctx,
          float       *x,
          const float *grad,
          gsize        n)
{
  g_autofree float *fd = g_new (float, n);
  double d;

  for (gsize i = 0; i < n; i++)
    {
      float keep = x[i];
      double plus, minus;
      /* the step as the float sees it, so that the quotient is exact */
      volatile float up = keep + (float) FD_STEP, down = keep - (float) FD_STEP;

      x[i] = up;
      plus = loss (ctx);
      x[i] = down;
      minus = loss (ctx);
      x[i] = keep;
      fd[i] = (float) ((plus - minus) / ((double) up - down));
    }
  d = rel_diff (grad, fd, n);
  g_test_message ("%s d/d%s vs finite differences: %.3g", f->name, what, d);
  worst_fd = MAX (worst_fd, d);
  if (!(d <= FD_TOLERANCE))
    g_error ("%s: d/d%s differs from finite differences by %.3g (tolerance %.0e)",
             f->name, what, d, FD_TOLERANCE);
}

/* ---- linear -------------------------------------------------------------- */

typedef struct
{
  Fixture *f;
  float *x, *w, *b, *dy, *y;
  int n, in, out;
} Linear;

static double
linear_loss (gpointer data)
{
  Linear *c = data;

  vt_linear_forward_naive (c->y, c->x, c->w, c->b, c->n, c->in, c->out);
  return dot (c->dy, c->y, (gsize) c->n * c->out);
}

static void
test_linear (void)
{
  g_autoptr(Fixture) f = fixture_open ("linear");
  Linear c = { f, get (f, "in.x"), get (f, "in.w"), get (f, "in.b"), get (f, "dy.y"), NULL,
               dim (f, "in.x", 0), dim (f, "in.x", 1), dim (f, "in.w", 0) };
  gsize nx = numel (f, "in.x"), nw = numel (f, "in.w");
  g_autofree float *y = g_new (float, (gsize) c.n * c.out);
  g_autofree float *dx = preset (nx), *dw = preset (nw), *db = preset (c.out);
  g_autofree float *ndx = g_new0 (float, nx), *ndw = g_new0 (float, nw), *ndb = g_new0 (float, c.out);

  c.y = y;
  vt_linear_forward (y, c.x, c.w, c.b, c.n, c.in, c.out);
  check_ref (f, "out.y", y);
  vt_linear_backward (dx, dw, db, c.dy, c.x, c.w, c.n, c.in, c.out);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_ref (f, "grad.w", took_off (dw, nw));
  check_ref (f, "grad.b", took_off (db, c.out));
  vt_linear_backward_naive (ndx, ndw, ndb, c.dy, c.x, c.w, c.n, c.in, c.out);
  check_naive ("linear dx", dx, ndx, nx);
  check_naive ("linear dw", dw, ndw, nw);
  check_naive ("linear db", db, ndb, c.out);
  check_fd (f, "x", linear_loss, &c, c.x, dx, nx);
  check_fd (f, "w", linear_loss, &c, c.w, dw, nw);
  check_fd (f, "b", linear_loss, &c, c.b, db, c.out);
}

/* Fast against naive on sizes the fixture does not reach: many rows, odd widths. */
static void
test_linear_naive (void)
{
  const int n = 67, in = 45, out = 31;
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  g_autofree float *x = g_new (float, n * in), *w = g_new (float, out * in), *dy = g_new (float, n * out);
  g_autofree float *dx = g_new0 (float, n * in), *dw = g_new0 (float, out * in), *db = g_new0 (float, out);
  g_autofree float *ndx = g_new0 (float, n * in), *ndw = g_new0 (float, out * in), *ndb = g_new0 (float, out);

  for (int i = 0; i < n * in; i++)
    x[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int i = 0; i < out * in; i++)
    w[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int i = 0; i < n * out; i++)
    dy[i] = (float) g_rand_double_range (rng, -1, 1);
  vt_linear_backward (dx, dw, db, dy, x, w, n, in, out);
  vt_linear_backward_naive (ndx, ndw, ndb, dy, x, w, n, in, out);
  check_naive ("linear 67×45→31 dx", dx, ndx, n * in);
  check_naive ("linear 67×45→31 dw", dw, ndw, out * in);
  check_naive ("linear 67×45→31 db", db, ndb, out);
}

/* ---- conv2d -------------------------------------------------------------- */

typedef struct
{
  float *x, *w, *b, *dy, *y;
  VtConvShape s;
  gsize ny;
} Conv;

static double
conv_loss (gpointer data)
{
  Conv *c = data;

  vt_conv_forward (c->y, c->x, c->w, c->b, &c->s);
  return dot (c->dy, c->y, c->ny);
}

static void
check_conv (const char *name)
{
  g_autoptr(Fixture) f = fixture_open (name);
  gboolean has_bias = vt_checkpoint_lookup (f->ckpt, "in.b") != NULL;
  Conv c = { get (f, "in.x"), get (f, "in.w"), has_bias ? get (f, "in.b") : NULL, get (f, "dy.y"), NULL,
             { dim (f, "in.x", 0), dim (f, "in.x", 1), dim (f, "in.x", 2), dim (f, "in.x", 3),
               dim (f, "in.w", 0), dim (f, "in.w", 2), dim (f, "in.w", 3),
               (int) meta (f, "stride"), (int) meta (f, "pad"), (int) meta (f, "groups") },
             numel (f, "out.y") };
  gsize nx = numel (f, "in.x"), nw = numel (f, "in.w");
  int k = c.s.k;
  g_autofree float *y = g_new (float, c.ny), *ny = g_new (float, c.ny);
  g_autofree float *dx = preset (nx), *dw = preset (nw), *db = preset (k);
  g_autofree float *ndx = g_new0 (float, nx), *ndw = g_new0 (float, nw), *ndb = g_new0 (float, k);

  g_assert_cmpint (vt_conv_shape_out_h (&c.s), ==, dim (f, "out.y", 2));
  g_assert_cmpint (vt_conv_shape_out_w (&c.s), ==, dim (f, "out.y", 3));
  c.y = y;
  vt_conv_forward (y, c.x, c.w, c.b, &c.s);
  check_ref (f, "out.y", y);
  vt_conv_forward_naive (ny, c.x, c.w, c.b, &c.s);
  check_naive ("conv forward", y, ny, c.ny);
  vt_conv_backward (dx, dw, has_bias ? db : NULL, c.dy, c.x, c.w, &c.s);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_ref (f, "grad.w", took_off (dw, nw));
  vt_conv_backward_naive (ndx, ndw, has_bias ? ndb : NULL, c.dy, c.x, c.w, &c.s);
  check_naive ("conv dx", dx, ndx, nx);
  check_naive ("conv dw", dw, ndw, nw);
  check_fd (f, "x", conv_loss, &c, c.x, dx, nx);
  check_fd (f, "w", conv_loss, &c, c.w, dw, nw);
  if (has_bias)
    {
      check_ref (f, "grad.b", took_off (db, k));
      check_naive ("conv db", db, ndb, k);
      check_fd (f, "b", conv_loss, &c, c.b, db, k);
    }
}

static void
test_conv (void)
{
  check_conv ("conv");
}

static void
test_conv_strided_groups (void)
{
  check_conv ("conv_strided_groups");
}

static void
test_conv_depthwise (void)
{
  check_conv ("conv_depthwise");
}

static void
test_conv_1x1_stride2 (void)
{
  check_conv ("conv_1x1_stride2");
}

static void
test_conv_stem (void)
{
  check_conv ("conv_stem");
}

/* ---- BatchNorm and LayerNorm --------------------------------------------- */

typedef struct
{
  float *x, *gamma, *beta, *mean, *var, *dy, *y, *save_mean, *save_rstd;
  float eps;
  int n, c, hw;
  gboolean train;
} Norm;

static double
batchnorm_loss (gpointer data)
{
  Norm *c = data;
  gsize n = (gsize) c->n * c->c * c->hw;

  if (c->train)
    vt_batchnorm_train_forward (c->y, c->save_mean, c->save_rstd, NULL, NULL, c->x, c->gamma,
                                c->beta, c->eps, 0.1f, c->n, c->c, c->hw);
  else
    vt_batchnorm_eval_forward (c->y, c->x, c->gamma, c->beta, c->mean, c->var, c->eps,
                               c->n, c->c, c->hw);
  return dot (c->dy, c->y, n);
}

static void
check_batchnorm (const char *name,
                 gboolean    train)
{
  g_autoptr(Fixture) f = fixture_open (name);
  int n = dim (f, "in.x", 0), ch = dim (f, "in.x", 1), hw = dim (f, "in.x", 2) * dim (f, "in.x", 3);
  gsize nx = numel (f, "in.x");
  g_autofree float *y = g_new (float, nx), *save_mean = g_new (float, ch), *save_rstd = g_new (float, ch);
  g_autofree float *dx = preset (nx), *dg = preset (ch), *dbeta = preset (ch);
  Norm c = { get (f, "in.x"), get (f, "in.gamma"), get (f, "in.beta"), get (f, "in.mean"), get (f, "in.var"),
             get (f, "dy.y"), y, save_mean, save_rstd, (float) meta (f, "eps"), n, ch, hw, train };

  if (train)
    {
      g_autofree float *running_mean = g_memdup2 (c.mean, sizeof (float) * ch);
      g_autofree float *running_var = g_memdup2 (c.var, sizeof (float) * ch);

      vt_batchnorm_train_forward (y, save_mean, save_rstd, running_mean, running_var, c.x, c.gamma,
                                  c.beta, c.eps, (float) meta (f, "momentum"), n, ch, hw);
      /* the running statistics are a plain average: float rounding only */
      check_ref_within (f, "running_mean", running_mean, 1e-5);
      check_ref_within (f, "running_var", running_var, 1e-5);
      check_ref (f, "out.y", y);
      vt_batchnorm_train_backward (dx, dg, dbeta, c.dy, c.x, c.gamma, save_mean, save_rstd, n, ch, hw);
    }
  else
    {
      vt_batchnorm_eval_forward (y, c.x, c.gamma, c.beta, c.mean, c.var, c.eps, n, ch, hw);
      check_ref (f, "out.y", y);
      vt_batchnorm_eval_backward (dx, dg, dbeta, c.dy, c.x, c.gamma, c.mean, c.var, c.eps, n, ch, hw);
    }
  check_ref (f, "grad.x", took_off (dx, nx));
  check_ref (f, "grad.gamma", took_off (dg, ch));
  check_ref (f, "grad.beta", took_off (dbeta, ch));
  check_fd (f, "x", batchnorm_loss, &c, c.x, dx, nx);
  check_fd (f, "gamma", batchnorm_loss, &c, c.gamma, dg, ch);
  check_fd (f, "beta", batchnorm_loss, &c, c.beta, dbeta, ch);
}

static void
test_batchnorm_eval (void)
{
  check_batchnorm ("batchnorm_eval", FALSE);
}

static void
test_batchnorm_train (void)
{
  check_batchnorm ("batchnorm_train", TRUE);
}

static double
layernorm_loss (gpointer data)
{
  Norm *c = data;

  vt_layernorm_forward (c->y, c->save_mean, c->save_rstd, c->x, c->gamma, c->beta, c->n, c->c, c->eps);
  return dot (c->dy, c->y, (gsize) c->n * c->c);
}

static void
test_layernorm (void)
{
  g_autoptr(Fixture) f = fixture_open ("layernorm");
  int n = dim (f, "in.x", 0), ch = dim (f, "in.x", 1);
  gsize nx = numel (f, "in.x");
  g_autofree float *y = g_new (float, nx), *mean = g_new (float, n), *rstd = g_new (float, n);
  g_autofree float *dx = preset (nx), *dg = preset (ch), *dbeta = preset (ch);
  Norm c = { get (f, "in.x"), get (f, "in.gamma"), get (f, "in.beta"), NULL, NULL,
             get (f, "dy.y"), y, mean, rstd, (float) meta (f, "eps"), n, ch, 1, FALSE };

  vt_layernorm_forward (y, mean, rstd, c.x, c.gamma, c.beta, n, ch, c.eps);
  check_ref (f, "out.y", y);
  vt_layernorm_backward (dx, dg, dbeta, c.dy, c.x, c.gamma, mean, rstd, n, ch);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_ref (f, "grad.gamma", took_off (dg, ch));
  check_ref (f, "grad.beta", took_off (dbeta, ch));
  check_fd (f, "x", layernorm_loss, &c, c.x, dx, nx);
  check_fd (f, "gamma", layernorm_loss, &c, c.gamma, dg, ch);
  check_fd (f, "beta", layernorm_loss, &c, c.beta, dbeta, ch);
}

/* ---- pointwise ----------------------------------------------------------- */

typedef void (*PointwiseForward) (float *y, const float *x, gsize n);
typedef void (*PointwiseBackward) (float *dx, const float *dy, const float *v, gsize n);

typedef struct
{
  PointwiseForward forward;
  float *x, *dy, *y;
  gsize n;
} Pointwise;

static double
pointwise_loss (gpointer data)
{
  Pointwise *c = data;

  c->forward (c->y, c->x, c->n);
  return dot (c->dy, c->y, c->n);
}

/* @backward_reads_y: the backward pass takes y (ReLU, sigmoid), not x. */
static void
check_pointwise (const char        *name,
                 PointwiseForward   forward,
                 PointwiseBackward  backward,
                 gboolean           backward_reads_y)
{
  g_autoptr(Fixture) f = fixture_open (name);
  gsize n = numel (f, "in.x");
  g_autofree float *y = g_new (float, n), *dx = preset (n);
  Pointwise c = { forward, get (f, "in.x"), get (f, "dy.y"), y, n };

  forward (y, c.x, n);
  check_ref (f, "out.y", y);
  backward (dx, c.dy, backward_reads_y ? y : c.x, n);
  check_ref (f, "grad.x", took_off (dx, n));
  check_fd (f, "x", pointwise_loss, &c, c.x, dx, n);
}

static void
test_relu (void)
{
  check_pointwise ("relu", vt_relu_forward, vt_relu_backward, TRUE);
}

static void
test_gelu (void)
{
  check_pointwise ("gelu", vt_gelu_forward, vt_gelu_backward, FALSE);
}

static void
test_gelu_tanh (void)
{
  check_pointwise ("gelu_tanh", vt_gelu_tanh_forward, vt_gelu_tanh_backward, FALSE);
}

static void
test_quick_gelu (void)
{
  check_pointwise ("quick_gelu", vt_quick_gelu_forward, vt_quick_gelu_backward, FALSE);
}

static void
test_sigmoid (void)
{
  check_pointwise ("sigmoid", vt_sigmoid_forward, vt_sigmoid_backward, TRUE);
}

typedef struct
{
  float *a, *b, *dy, *y;
  gsize n;
} Residual;

static double
residual_loss (gpointer data)
{
  Residual *c = data;

  vt_residual_forward (c->y, c->a, c->b, c->n);
  return dot (c->dy, c->y, c->n);
}

static void
test_residual (void)
{
  g_autoptr(Fixture) f = fixture_open ("residual");
  gsize n = numel (f, "in.a");
  g_autofree float *y = g_new (float, n), *da = preset (n), *db = preset (n);
  Residual c = { get (f, "in.a"), get (f, "in.b"), get (f, "dy.y"), y, n };

  vt_residual_forward (y, c.a, c.b, n);
  check_ref (f, "out.y", y);
  vt_residual_backward (da, db, c.dy, n);
  check_ref (f, "grad.a", took_off (da, n));
  check_ref (f, "grad.b", took_off (db, n));
  check_fd (f, "a", residual_loss, &c, c.a, da, n);
  check_fd (f, "b", residual_loss, &c, c.b, db, n);
}

/* ---- attention ----------------------------------------------------------- */

typedef struct
{
  float *qkv, *dout, *dprobs, *out, *probs;
  int b, t, c, heads;
  gboolean causal;
} Attention;

static double
attention_loss (gpointer data)
{
  Attention *a = data;

  vt_attn_forward (a->out, a->probs, a->qkv, a->b, a->t, a->c, a->heads, a->causal);
  return dot (a->dout, a->out, (gsize) a->b * a->t * a->c)
         + dot (a->dprobs, a->probs, (gsize) a->b * a->heads * a->t * a->t);
}

static void
check_attention (const char *name)
{
  g_autoptr(Fixture) f = fixture_open (name);
  Attention a = { get (f, "in.qkv"), get (f, "dy.out"), get (f, "dy.probs"), NULL, NULL,
                  dim (f, "in.qkv", 0), dim (f, "in.qkv", 1), dim (f, "in.qkv", 2) / 3,
                  (int) meta (f, "heads"), meta (f, "causal") != 0 };
  gsize nqkv = numel (f, "in.qkv"), nout = numel (f, "out.out"), nprobs = numel (f, "out.probs");
  g_autofree float *out = g_new (float, nout), *probs = g_new (float, nprobs);
  g_autofree float *nout_v = g_new (float, nout), *nprobs_v = g_new (float, nprobs);
  g_autofree float *dqkv = preset (nqkv), *ndqkv = g_new0 (float, nqkv);
  g_autofree float *dqkv_out = g_new0 (float, nqkv);

  a.out = out;
  a.probs = probs;
  vt_attn_forward (out, probs, a.qkv, a.b, a.t, a.c, a.heads, a.causal);
  check_ref (f, "out.out", out);
  check_ref (f, "out.probs", probs);
  vt_attn_forward_naive (nout_v, nprobs_v, a.qkv, a.b, a.t, a.c, a.heads, a.causal);
  check_naive ("attention out", out, nout_v, nout);
  check_naive ("attention probs", probs, nprobs_v, nprobs);
  vt_attn_backward (dqkv, a.dout, a.dprobs, a.qkv, probs, a.b, a.t, a.c, a.heads);
  check_ref (f, "grad.qkv", took_off (dqkv, nqkv));
  vt_attn_backward_naive (ndqkv, a.dout, a.dprobs, a.qkv, probs, a.b, a.t, a.c, a.heads);
  check_naive ("attention dqkv", dqkv, ndqkv, nqkv);
  check_fd (f, "qkv", attention_loss, &a, a.qkv, dqkv, nqkv);

  /* With no gradient for the probabilities, the output's alone: against
   * finite differences of Σ dout · out. */
  vt_attn_backward (dqkv_out, a.dout, NULL, a.qkv, probs, a.b, a.t, a.c, a.heads);
  memset (ndqkv, 0, sizeof (float) * nqkv);
  vt_attn_backward_naive (ndqkv, a.dout, NULL, a.qkv, probs, a.b, a.t, a.c, a.heads);
  check_naive ("attention dqkv, no dprobs", dqkv_out, ndqkv, nqkv);
  memset (a.dprobs, 0, sizeof (float) * nprobs);
  check_fd (f, "qkv (output only)", attention_loss, &a, a.qkv, dqkv_out, nqkv);
  g_assert_cmpfloat (rel_diff (dqkv_out, dqkv, nqkv), >, 1e-3);
}

static void
test_attention (void)
{
  check_attention ("attention");
}

static void
test_attention_causal (void)
{
  check_attention ("attention_causal");
}

/* ---- pooling ------------------------------------------------------------- */

typedef struct
{
  float *x, *dy, *y;
  gint32 *argmax;
  int planes, h, w, kernel, stride, pad;
  gsize ny;
  gboolean max;
} Pool;

static double
pool_loss (gpointer data)
{
  Pool *c = data;

  if (c->max)
    vt_maxpool_forward (c->y, c->argmax, c->x, c->planes, c->h, c->w, c->kernel, c->stride, c->pad);
  else
    vt_avgpool_forward (c->y, c->x, c->planes, c->h, c->w, c->kernel, c->stride, c->pad);
  return dot (c->dy, c->y, c->ny);
}

static void
check_pool (const char *name,
            gboolean    max)
{
  g_autoptr(Fixture) f = fixture_open (name);
  gsize nx = numel (f, "in.x"), ny = numel (f, "out.y");
  g_autofree float *y = g_new (float, ny), *dx = preset (nx);
  g_autofree gint32 *argmax = g_new (gint32, ny);
  Pool c = { get (f, "in.x"), get (f, "dy.y"), y, argmax,
             dim (f, "in.x", 0) * dim (f, "in.x", 1), dim (f, "in.x", 2), dim (f, "in.x", 3),
             (int) meta (f, "kernel"), (int) meta (f, "stride"), (int) meta (f, "pad"), ny, max };
  int oh = vt_pool_out_size (c.h, c.kernel, c.stride, c.pad), ow = vt_pool_out_size (c.w, c.kernel, c.stride, c.pad);

  g_assert_cmpint (oh, ==, dim (f, "out.y", 2));
  g_assert_cmpint (ow, ==, dim (f, "out.y", 3));
  pool_loss (&c);
  check_ref (f, "out.y", y);
  if (max)
    vt_maxpool_backward (dx, c.dy, argmax, c.planes, c.h, c.w, oh, ow);
  else
    vt_avgpool_backward (dx, c.dy, c.planes, c.h, c.w, c.kernel, c.stride, c.pad);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_fd (f, "x", pool_loss, &c, c.x, dx, nx);
}

static void
test_maxpool (void)
{
  check_pool ("maxpool", TRUE);
}

static void
test_avgpool (void)
{
  check_pool ("avgpool", FALSE);
}

typedef struct
{
  float *x, *dy, *y;
  int planes, hw;
} GlobalPool;

static double
global_pool_loss (gpointer data)
{
  GlobalPool *c = data;

  vt_global_avgpool (c->y, c->x, c->planes, c->hw);
  return dot (c->dy, c->y, c->planes);
}

static void
test_global_avgpool (void)
{
  g_autoptr(Fixture) f = fixture_open ("global_avgpool");
  gsize nx = numel (f, "in.x");
  GlobalPool c = { get (f, "in.x"), get (f, "dy.y"), NULL,
                   dim (f, "in.x", 0) * dim (f, "in.x", 1), dim (f, "in.x", 2) * dim (f, "in.x", 3) };
  g_autofree float *y = g_new (float, c.planes), *dx = preset (nx);

  c.y = y;
  global_pool_loss (&c);
  check_ref (f, "out.y", y);
  vt_global_avgpool_backward (dx, c.dy, c.planes, c.hw);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_fd (f, "x", global_pool_loss, &c, c.x, dx, nx);
}

/* ---- L2 normalization and cosine logits ---------------------------------- */

typedef struct
{
  float *x, *dy, *y, *norm;
  int n, c;
} L2;

static double
l2_loss (gpointer data)
{
  L2 *c = data;

  vt_l2norm_forward (c->y, c->norm, c->x, c->n, c->c);
  return dot (c->dy, c->y, (gsize) c->n * c->c);
}

static void
test_l2norm (void)
{
  g_autoptr(Fixture) f = fixture_open ("l2norm");
  gsize nx = numel (f, "in.x");
  L2 c = { get (f, "in.x"), get (f, "dy.y"), NULL, NULL, dim (f, "in.x", 0), dim (f, "in.x", 1) };
  g_autofree float *y = g_new (float, nx), *norm = g_new (float, c.n), *dx = preset (nx);

  c.y = y;
  c.norm = norm;
  l2_loss (&c);
  check_ref (f, "out.y", y);
  vt_l2norm_backward (dx, c.dy, y, norm, c.n, c.c);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_fd (f, "x", l2_loss, &c, c.x, dx, nx);
}

typedef struct
{
  float *a, *b, *scale, *dy, *logits, *a_hat, *a_norm, *b_hat, *b_norm;
  int n, m, c;
} Cosine;

static double
cosine_loss (gpointer data)
{
  Cosine *k = data;

  vt_cosine_logits_forward (k->logits, k->a_hat, k->a_norm, k->b_hat, k->b_norm, k->a, k->b,
                            k->scale[0], k->n, k->m, k->c);
  return dot (k->dy, k->logits, (gsize) k->n * k->m);
}

static void
test_cosine_logits (void)
{
  g_autoptr(Fixture) f = fixture_open ("cosine_logits");
  int n = dim (f, "in.a", 0), m = dim (f, "in.b", 0), c = dim (f, "in.a", 1);
  g_autofree float *logits = g_new (float, n * m), *a_hat = g_new (float, n * c), *b_hat = g_new (float, m * c);
  g_autofree float *a_norm = g_new (float, n), *b_norm = g_new (float, m);
  g_autofree float *da = preset (n * c), *db = preset (m * c), *ds = preset (1);
  Cosine k = { get (f, "in.a"), get (f, "in.b"), get (f, "in.scale"), get (f, "dy.logits"),
               logits, a_hat, a_norm, b_hat, b_norm, n, m, c };

  cosine_loss (&k);
  check_ref (f, "out.logits", logits);
  vt_cosine_logits_backward (da, db, ds, k.dy, a_hat, a_norm, b_hat, b_norm, k.scale[0], n, m, c);
  check_ref (f, "grad.a", took_off (da, n * c));
  check_ref (f, "grad.b", took_off (db, m * c));
  check_ref (f, "grad.scale", took_off (ds, 1));
  check_fd (f, "a", cosine_loss, &k, k.a, da, n * c);
  check_fd (f, "b", cosine_loss, &k, k.b, db, m * c);
  check_fd (f, "scale", cosine_loss, &k, k.scale, ds, 1);
}

/* ---- losses -------------------------------------------------------------- */

typedef struct
{
  float *logits, *weight, *probs;
  gint32 *target;
  float dloss, smoothing;
  int n, k;
} CrossEntropy;

static double
cross_entropy_loss (gpointer data)
{
  CrossEntropy *c = data;
  g_autoptr(GError) error = NULL;
  double loss = vt_cross_entropy_forward (c->probs, c->logits, c->target, c->weight, c->n, c->k,
                                          c->smoothing, -100, &error);

  g_assert_no_error (error);
  return c->dloss * loss;
}

static void
check_cross_entropy (const char *name)
{
  g_autoptr(Fixture) f = fixture_open (name);
  int n = dim (f, "in.logits", 0), k = dim (f, "in.logits", 1);
  const float *target_f = get (f, "in.target");
  g_autofree gint32 *target = g_new (gint32, n);
  g_autofree float *probs = g_new (float, n * k), *dlogits = preset (n * k);
  gboolean weighted = vt_checkpoint_lookup (f->ckpt, "in.weight") != NULL;
  CrossEntropy c = { get (f, "in.logits"), weighted ? get (f, "in.weight") : NULL, probs, target,
                     get (f, "dy.loss")[0], (float) meta (f, "smoothing"), n, k };
  float loss;
  gboolean ignored = FALSE;

  g_assert_cmpint ((int) meta (f, "ignore_index"), ==, -100);
  for (int i = 0; i < n; i++)
    {
      target[i] = (gint32) target_f[i];
      ignored |= target[i] == -100;
    }
  g_assert_true (ignored);   /* the fixture covers the ignore index */
  loss = (float) (cross_entropy_loss (&c) / c.dloss);
  check_ref (f, "out.loss", &loss);
  vt_cross_entropy_backward (dlogits, probs, target, c.weight, n, k, c.smoothing, -100, c.dloss);
  check_ref (f, "grad.logits", took_off (dlogits, n * k));
  check_fd (f, "logits", cross_entropy_loss, &c, c.logits, dlogits, n * k);
}

static void
test_cross_entropy (void)
{
  check_cross_entropy ("cross_entropy");
}

static void
test_cross_entropy_weighted (void)
{
  check_cross_entropy ("cross_entropy_weighted");
}

/* Bad targets are errors, not a crash or a read outside the logits. */
static void
test_cross_entropy_bad_target (void)
{
  float logits[6] = { 0 }, probs[6];
  gint32 target[2] = { 1, 3 }, ignored[2] = { -100, -100 };
  g_autoptr(GError) error = NULL;
  double loss;

  loss = vt_cross_entropy_forward (probs, logits, target, NULL, 2, 3, 0.0f, -100, &error);
  g_assert_error (error, VT_LOSS_ERROR, VT_LOSS_ERROR_TARGET);
  g_assert_true (strstr (error->message, "sample 1") != NULL);
  g_assert_true (isnan (loss));
  g_clear_error (&error);
  vt_cross_entropy_forward (probs, logits, ignored, NULL, 2, 3, 0.0f, -100, &error);
  g_assert_error (error, VT_LOSS_ERROR, VT_LOSS_ERROR_EMPTY);
}

typedef struct
{
  float *z, *t;
  float dloss;
  int n;
} Bce;

static double
bce_loss (gpointer data)
{
  Bce *c = data;

  return c->dloss * vt_bce_logits_forward (c->z, c->t, c->n);
}

static void
test_bce_logits (void)
{
  g_autoptr(Fixture) f = fixture_open ("bce_logits");
  int n = dim (f, "in.z", 0);
  g_autofree float *dz = preset (n);
  Bce c = { get (f, "in.z"), get (f, "in.t"), get (f, "dy.loss")[0], n };
  float loss = (float) vt_bce_logits_forward (c.z, c.t, n);

  check_ref (f, "out.loss", &loss);
  vt_bce_logits_backward (dz, c.z, c.t, n, c.dloss);
  check_ref (f, "grad.z", took_off (dz, n));
  check_fd (f, "z", bce_loss, &c, c.z, dz, n);
}

typedef struct
{
  float *a, *b;
  float dloss;
  gsize n;
} Mse;

static double
mse_loss (gpointer data)
{
  Mse *c = data;

  return c->dloss * vt_mse_forward (c->a, c->b, c->n);
}

static void
test_mse (void)
{
  g_autoptr(Fixture) f = fixture_open ("mse");
  gsize n = numel (f, "in.a");
  g_autofree float *da = preset (n), *db = preset (n);
  Mse c = { get (f, "in.a"), get (f, "in.b"), get (f, "dy.loss")[0], n };
  float loss = (float) vt_mse_forward (c.a, c.b, n);

  check_ref (f, "out.loss", &loss);
  vt_mse_backward (da, db, c.a, c.b, n, c.dloss);
  check_ref (f, "grad.a", took_off (da, n));
  check_ref (f, "grad.b", took_off (db, n));
  check_fd (f, "a", mse_loss, &c, c.a, da, n);
  check_fd (f, "b", mse_loss, &c, c.b, db, n);
}

/* ---- embeddings ---------------------------------------------------------- */

static void
test_token_embedding (void)
{
  g_autoptr(Fixture) f = fixture_open ("token_embedding");
  int n = dim (f, "in.ids", 0), v = dim (f, "in.table", 0), c = dim (f, "in.table", 1);
  const float *ids_f = get (f, "in.ids");
  g_autofree gint32 *ids = g_new (gint32, n);
  g_autofree float *y = g_new (float, n * c), *dtable = preset (v * c);
  g_autoptr(GError) error = NULL;
  gint32 bad[2] = { 1, 11 };

  for (int i = 0; i < n; i++)
    ids[i] = (gint32) ids_f[i];
  g_assert_true (vt_token_embedding_forward (y, get (f, "in.table"), ids, n, v, c, &error));
  g_assert_no_error (error);
  check_ref (f, "out.y", y);
  /* a lookup: its gradient is a sum of rows of dy, which the fixture's
   * repeated id checks; there is nothing to differentiate numerically */
  vt_token_embedding_backward (dtable, get (f, "dy.y"), ids, n, c);
  check_ref (f, "grad.table", took_off (dtable, v * c));
  g_assert_false (vt_token_embedding_forward (y, get (f, "in.table"), bad, 2, v, c, &error));
  g_assert_error (error, VT_EMBEDDING_ERROR, VT_EMBEDDING_ERROR_ID);
  g_assert_true (strstr (error->message, "token 1") != NULL);
}

typedef struct
{
  float *x, *pos, *dy, *y;
  int b, t, c;
} PosEmbed;

static double
position_loss (gpointer data)
{
  PosEmbed *p = data;

  vt_position_embedding_forward (p->y, p->x, p->pos, p->b, p->t, p->c);
  return dot (p->dy, p->y, (gsize) p->b * p->t * p->c);
}

static void
test_position_embedding (void)
{
  g_autoptr(Fixture) f = fixture_open ("position_embedding");
  gsize nx = numel (f, "in.x"), np = numel (f, "in.pos");
  g_autofree float *y = g_new (float, nx), *dx = preset (nx), *dpos = preset (np);
  PosEmbed p = { get (f, "in.x"), get (f, "in.pos"), get (f, "dy.y"), y,
                 dim (f, "in.x", 0), dim (f, "in.x", 1), dim (f, "in.x", 2) };

  position_loss (&p);
  check_ref (f, "out.y", y);
  vt_position_embedding_backward (dx, dpos, p.dy, p.b, p.t, p.c);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_ref (f, "grad.pos", took_off (dpos, np));
  check_fd (f, "x", position_loss, &p, p.x, dx, nx);
  check_fd (f, "pos", position_loss, &p, p.pos, dpos, np);
}

typedef struct
{
  float *pos, *dy, *y;
  int prefix, h, w, oh, ow, c;
} Resample;

static double
resample_loss (gpointer data)
{
  Resample *r = data;

  vt_position_resample_forward (r->y, r->pos, r->prefix, r->h, r->w, r->oh, r->ow, r->c);
  return dot (r->dy, r->y, (gsize) (r->prefix + r->oh * r->ow) * r->c);
}

static void
check_resample (const char *name)
{
  g_autoptr(Fixture) f = fixture_open (name);
  gsize np = numel (f, "in.pos"), ny = numel (f, "out.y");
  g_autofree float *y = g_new (float, ny), *dpos = preset (np);
  Resample r = { get (f, "in.pos"), get (f, "dy.y"), y, (int) meta (f, "prefix"), (int) meta (f, "h"),
                 (int) meta (f, "w"), (int) meta (f, "oh"), (int) meta (f, "ow"), dim (f, "in.pos", 1) };

  resample_loss (&r);
  check_ref (f, "out.y", y);
  vt_position_resample_backward (dpos, r.dy, r.prefix, r.h, r.w, r.oh, r.ow, r.c);
  check_ref (f, "grad.pos", took_off (dpos, np));
  check_fd (f, "pos", resample_loss, &r, r.pos, dpos, np);
}

static void
test_position_resample_grow (void)
{
  check_resample ("position_resample_grow");
}

static void
test_position_resample_shrink (void)
{
  check_resample ("position_resample_shrink");
}

/* ---- bilinear upsampling ------------------------------------------------- */

typedef struct
{
  float *x, *dy, *y;
  int planes, h, w, oh, ow;
} Upsample;

static double
upsample_loss (gpointer data)
{
  Upsample *u = data;

  vt_upsample_bilinear_forward (u->y, u->x, u->planes, u->h, u->w, u->oh, u->ow);
  return dot (u->dy, u->y, (gsize) u->planes * u->oh * u->ow);
}

static void
check_upsample (const char *name)
{
  g_autoptr(Fixture) f = fixture_open (name);
  gsize nx = numel (f, "in.x"), ny = numel (f, "out.y");
  g_autofree float *y = g_new (float, ny), *dx = preset (nx);
  Upsample u = { get (f, "in.x"), get (f, "dy.y"), y, dim (f, "in.x", 0) * dim (f, "in.x", 1),
                 dim (f, "in.x", 2), dim (f, "in.x", 3), dim (f, "out.y", 2), dim (f, "out.y", 3) };

  upsample_loss (&u);
  check_ref (f, "out.y", y);
  vt_upsample_bilinear_backward (dx, u.dy, u.planes, u.h, u.w, u.oh, u.ow);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_fd (f, "x", upsample_loss, &u, u.x, dx, nx);
}

static void
test_upsample_bilinear (void)
{
  check_upsample ("upsample_bilinear");
}

static void
test_upsample_bilinear_shrink (void)
{
  check_upsample ("upsample_bilinear_shrink");
}

/* ---- CLIP attention pooling ---------------------------------------------- */

#define ATTN_POOL_PARAMS(X) X (pos) X (q_w) X (q_b) X (k_w) X (k_b) X (v_w) X (v_b) X (c_w) X (c_b)

typedef struct
{
  VtAttnPoolParams params;
  VtAttnPoolSaved *saved;
  float *x, *dout, *dprobs, *out;
} AttnPool;

static double
attn_pool_loss (gpointer data)
{
  AttnPool *a = data;
  const VtAttnPoolSaved *s = a->saved;

  vt_attn_pool_forward (a->out, a->saved, a->x, &a->params);
  return dot (a->dout, a->out, (gsize) s->n * s->e)
         + dot (a->dprobs, s->probs, (gsize) s->n * s->heads * s->t);
}

static void
test_attention_pool (void)
{
  g_autoptr(Fixture) f = fixture_open ("attention_pool");
  int n = dim (f, "in.x", 0), c = dim (f, "in.x", 1), hw = dim (f, "in.x", 2) * dim (f, "in.x", 3);
  int e = dim (f, "in.c_w", 0), heads = (int) meta (f, "heads");
  gsize nx = numel (f, "in.x");
  g_autoptr(VtAttnPoolSaved) saved = vt_attn_pool_saved_new (n, hw, c, e, heads);
  g_autofree float *out = g_new (float, n * e), *dx = preset (nx);
  VtAttnPoolParams grads;
  AttnPool a = { { 0 }, saved, get (f, "in.x"), get (f, "dy.out"), get (f, "dy.probs"), out };

#define SET(name) a.params.name = get (f, "in." #name); grads.name = preset (numel (f, "in." #name));
  ATTN_POOL_PARAMS (SET)
#undef SET
  attn_pool_loss (&a);
  check_ref (f, "out.out", out);
  check_ref (f, "out.probs", saved->probs);
  vt_attn_pool_backward (dx, &grads, a.dout, a.dprobs, saved, &a.params);
  check_ref (f, "grad.x", took_off (dx, nx));
  check_fd (f, "x", attn_pool_loss, &a, a.x, dx, nx);
#define CHECK(name) \
  check_ref (f, "grad." #name, took_off (grads.name, numel (f, "in." #name))); \
  if (strcmp (#name, "k_b") != 0) \
    check_fd (f, #name, attn_pool_loss, &a, a.params.name, grads.name, numel (f, "in." #name));
  ATTN_POOL_PARAMS (CHECK)
#undef CHECK
  /* The key bias adds q · b to every score of a row, which the softmax
   * takes away: its gradient is 0, and finite differences see only
   * rounding, so both must be near 0 instead of near each other. */
  for (gsize i = 0; i < numel (f, "in.k_b"); i++)
    {
      float keep = a.params.k_b[i];
      double plus, minus;

      g_assert_cmpfloat (fabs (grads.k_b[i]), <, 1e-5);
      a.params.k_b[i] = keep + 0.1f;
      plus = attn_pool_loss (&a);
      a.params.k_b[i] = keep - 0.1f;
      minus = attn_pool_loss (&a);
      a.params.k_b[i] = keep;
      g_assert_cmpfloat (fabs (plus - minus) / 0.2, <, 1e-4);
    }
#define FREE(name) g_free (grads.name);
  ATTN_POOL_PARAMS (FREE)
#undef FREE
}

/* ---- fast against naive on bigger, awkward shapes ------------------------ */

static void
test_conv_naive (void)
{
  static const VtConvShape shapes[] = {
    { 2, 6, 13, 11, 9, 3, 3, 2, 1, 3 },     /* strided, 3 groups */
    { 1, 8, 10, 10, 8, 3, 3, 1, 1, 8 },     /* depthwise */
    { 3, 5, 9, 12, 7, 5, 5, 1, 2, 1 },      /* 5×5, same padding */
    { 1, 4, 15, 15, 6, 7, 7, 2, 3, 2 },     /* a stem, grouped */
    { 2, 3, 2, 3, 4, 5, 5, 1, 2, 1 },       /* kernel wider than the image: whole rows of padding */
    { 1, 2, 10, 9, 3, 3, 3, 3, 1, 1 },      /* stride 3 */
    { 1, 2, 6, 7, 2, 1, 3, 1, 1, 1 },       /* a 1×3 kernel */
    { 2, 8, 5, 6, 4, 1, 1, 1, 0, 2 },       /* 1×1, grouped: the image is its own im2col */
  };
  g_autoptr(GRand) rng = g_rand_new_with_seed (11);
  int threads = openblas_get_num_threads ();

  /* on 1 and on 3 threads: the batch goes in parts, one per thread, each
   * weight gradient a partial sum of its own, added in order */
  for (guint i = 0; i < 2 * G_N_ELEMENTS (shapes); i++)
    {
      const VtConvShape *s = &shapes[i % G_N_ELEMENTS (shapes)];
      gsize nx = (gsize) s->n * s->c * s->h * s->w, nw = (gsize) s->k * (s->c / s->groups) * s->kh * s->kw;
      gsize ny = (gsize) s->n * s->k * vt_conv_shape_out_h (s) * vt_conv_shape_out_w (s);
      g_autofree float *x = g_new (float, nx), *w = g_new (float, nw), *b = g_new (float, s->k);
      g_autofree float *dy = g_new (float, ny), *y = g_new (float, ny), *ny_v = g_new (float, ny);
      g_autofree float *dx = g_new0 (float, nx), *dw = g_new0 (float, nw), *db = g_new0 (float, s->k);
      g_autofree float *ndx = g_new0 (float, nx), *ndw = g_new0 (float, nw), *ndb = g_new0 (float, s->k);
      g_autofree char *what = g_strdup_printf ("conv shape %u on %d threads", i % (guint) G_N_ELEMENTS (shapes),
                                               i < G_N_ELEMENTS (shapes) ? 1 : 3);
      g_autofree float *again = g_new0 (float, nw);

      openblas_set_num_threads (i < G_N_ELEMENTS (shapes) ? 1 : 3);

      for (gsize j = 0; j < nx; j++)
        x[j] = (float) g_rand_double_range (rng, -1, 1);
      for (gsize j = 0; j < nw; j++)
        w[j] = (float) g_rand_double_range (rng, -1, 1);
      for (int j = 0; j < s->k; j++)
        b[j] = (float) g_rand_double_range (rng, -1, 1);
      for (gsize j = 0; j < ny; j++)
        dy[j] = (float) g_rand_double_range (rng, -1, 1);
      vt_conv_forward (y, x, w, b, s);
      vt_conv_forward_naive (ny_v, x, w, b, s);
      check_naive (what, y, ny_v, ny);
      vt_conv_backward (dx, dw, db, dy, x, w, s);
      vt_conv_backward_naive (ndx, ndw, ndb, dy, x, w, s);
      check_naive (what, dx, ndx, nx);
      check_naive (what, dw, ndw, nw);
      check_naive (what, db, ndb, s->k);
      /* the same thread count gives the same sums, bit for bit */
      vt_conv_backward (NULL, again, NULL, dy, x, w, s);
      memset (ndw, 0, sizeof (float) * nw);
      vt_conv_backward (NULL, ndw, NULL, dy, x, w, s);
      g_assert_true (memcmp (again, ndw, sizeof (float) * nw) == 0);
    }
  openblas_set_num_threads (threads);
}

static void
test_summary (void)
{
  g_test_message ("largest differences: vs PyTorch %.3g, vs finite differences %.3g, fast vs naive %.3g",
                  worst_ref, worst_fd, worst_naive);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/grad/linear", test_linear);
  g_test_add_func ("/engine/grad/linear-naive", test_linear_naive);
  g_test_add_func ("/engine/grad/conv", test_conv);
  g_test_add_func ("/engine/grad/conv-strided-groups", test_conv_strided_groups);
  g_test_add_func ("/engine/grad/conv-depthwise", test_conv_depthwise);
  g_test_add_func ("/engine/grad/conv-1x1-stride2", test_conv_1x1_stride2);
  g_test_add_func ("/engine/grad/conv-stem", test_conv_stem);
  g_test_add_func ("/engine/grad/conv-naive", test_conv_naive);
  g_test_add_func ("/engine/grad/batchnorm-eval", test_batchnorm_eval);
  g_test_add_func ("/engine/grad/batchnorm-train", test_batchnorm_train);
  g_test_add_func ("/engine/grad/layernorm", test_layernorm);
  g_test_add_func ("/engine/grad/relu", test_relu);
  g_test_add_func ("/engine/grad/gelu", test_gelu);
  g_test_add_func ("/engine/grad/gelu-tanh", test_gelu_tanh);
  g_test_add_func ("/engine/grad/quick-gelu", test_quick_gelu);
  g_test_add_func ("/engine/grad/sigmoid", test_sigmoid);
  g_test_add_func ("/engine/grad/residual", test_residual);
  g_test_add_func ("/engine/grad/attention", test_attention);
  g_test_add_func ("/engine/grad/attention-causal", test_attention_causal);
  g_test_add_func ("/engine/grad/maxpool", test_maxpool);
  g_test_add_func ("/engine/grad/avgpool", test_avgpool);
  g_test_add_func ("/engine/grad/global-avgpool", test_global_avgpool);
  g_test_add_func ("/engine/grad/l2norm", test_l2norm);
  g_test_add_func ("/engine/grad/cosine-logits", test_cosine_logits);
  g_test_add_func ("/engine/grad/cross-entropy", test_cross_entropy);
  g_test_add_func ("/engine/grad/cross-entropy-weighted", test_cross_entropy_weighted);
  g_test_add_func ("/engine/grad/cross-entropy-bad-target", test_cross_entropy_bad_target);
  g_test_add_func ("/engine/grad/bce-logits", test_bce_logits);
  g_test_add_func ("/engine/grad/mse", test_mse);
  g_test_add_func ("/engine/grad/token-embedding", test_token_embedding);
  g_test_add_func ("/engine/grad/position-embedding", test_position_embedding);
  g_test_add_func ("/engine/grad/position-resample-grow", test_position_resample_grow);
  g_test_add_func ("/engine/grad/position-resample-shrink", test_position_resample_shrink);
  g_test_add_func ("/engine/grad/upsample-bilinear", test_upsample_bilinear);
  g_test_add_func ("/engine/grad/upsample-bilinear-shrink", test_upsample_bilinear_shrink);
  g_test_add_func ("/engine/grad/attention-pool", test_attention_pool);
  g_test_add_func ("/engine/grad/summary", test_summary);
  return g_test_run ();
}
