/* vt-ranpac.c: RanPAC's closed-form classifier (McDonnell et al.): a fixed
 * Gaussian random projection W (dim, M) with ReLU, h = max(0, xW); the Gram
 * matrix G = Σ hᵀh and Q = Σ hᵀy (one-hot) accumulate over stages, and the
 * output weights are (G + λI)^-1 Q.
 *
 * λ is chosen at each stage from 10^-8 … 10^8 as RanPAC does: fit on 80% of
 * the stage's samples (their own G and Q), score the mean squared error of
 * the one-hot targets on the other 20%, keep the best. RanPAC's loader
 * shuffles the samples first; here a permutation from the same numpy stream
 * as the projection does, drawn once per stage.
 * Each fit is a Cholesky solve: G + λI is symmetric positive definite, and
 * tests/bench/bench-ridge.c measured 17 Cholesky solves at 0.57–0.61 of the
 * time of 17 LU solves (what RanPAC's torch.linalg.solve does) and at
 * 0.71–0.88 of one eigendecomposition followed by two products per λ, for
 * M = 2,000 to 4,000. Where rounding leaves G + λI not positive definite
 * (λ = 1e-8 on a Gram matrix of fewer samples than M), LU takes over. W comes from numpy's legacy Gaussian stream
 * (np.random.seed(seed); np.random.standard_normal((dim, M))), so a Python
 * reference can make the same projection. */
#include "vt-cil-method.h"
#include "core/vt-lapack.h"
#include "core/vt-random.h"
#include "vt-cil-protocol.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* 10^-8 … 10^8, as 10.0 ** np.arange(-8, 9). */
static const double lambdas[] = { 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0,
                                  1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };

typedef struct
{
  VtCilMethod  base;
  guint        m;
  double      *projection;   /* (dim, M) */
  double      *gram;         /* (M, M) */
  double      *q;            /* (n_classes, M): row c is Σ h over class c's samples */
  double      *output;       /* (n_seen, M): row c weighs class c */
  double      *system;       /* (M, M): G + λI for each solve, reused (LU overwrites it) */
  double       lambda;       /* the last stage's choice */
  VtRandom     random;       /* after the projection: one permutation per stage */
} RanPac;

static VtCilMethod *
ranpac_create (guint               dim,
               guint               n_classes,
               const VtCilOptions *options)
{
  RanPac *self = g_new0 (RanPac, 1);

  self->m = options->ranpac_dim;
  self->projection = g_new (double, (gsize) dim * self->m);
  vt_random_init (&self->random, options->ranpac_seed);
  for (gsize k = 0; k < (gsize) dim * self->m; k++)
    self->projection[k] = vt_random_gauss (&self->random);
  self->gram = g_new0 (double, (gsize) self->m * self->m);
  self->q = g_new0 (double, (gsize) n_classes * self->m);
  self->output = g_new0 (double, (gsize) n_classes * self->m);
  self->system = g_new (double, (gsize) self->m * self->m);
  return &self->base;
}

/* Work between two looks at the cancellable: about 0.2 GFLOP, some
 * milliseconds, so that Cancel stops a stage of M = 10,000 at once, on a
 * loaded machine too. */
#define CHECK_FLOPS 2e8

static gboolean
cancelled (RanPac  *self,
           GError **error)
{
  return g_cancellable_set_error_if_cancelled (self->base.cancellable, error);
}

/* h = ReLU(x W), (n, M), by blocks of rows of x. */
static gboolean
project (RanPac        *self,
         const double  *x,
         gsize          n,
         double        *h,
         GError       **error)
{
  guint m = self->m, dim = self->base.dim;
  gsize rows = CLAMP ((gsize) (CHECK_FLOPS / (2.0 * dim * m)), 1, 4096);

  for (gsize begin = 0; begin < n; begin += rows)
    {
      gsize count = MIN (rows, n - begin);

      if (cancelled (self, error))
        return FALSE;
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) count, (int) m, (int) dim,
                   1.0, x + begin * dim, (int) dim, self->projection, (int) m, 0.0, h + begin * m, (int) m);
    }
  for (gsize k = 0; k < n * m; k++)
    h[k] = MAX (h[k], 0.0);
  return TRUE;
}

/* gram (M, M) = beta gram + hᵀh over the n rows of h (n, M), tile by tile
 * of the output, which one product over all of it would not let Cancel
 * interrupt (minutes at M = 10,000). Progress goes from @from to @to of
 * the stage. */
static gboolean
gram_product (RanPac        *self,
              const double  *h,
              gsize          n,
              double         beta,
              double        *gram,
              const char    *what,
              double         from,
              double         to,
              GError       **error)
{
  guint m = self->m;
  guint tile = CLAMP ((guint) sqrt (CHECK_FLOPS / (2.0 * MAX (n, 1))), 64, 2048);
  guint tiles = (m + tile - 1) / tile, done = 0;

  for (guint i = 0; i < m; i += tile)
    for (guint j = 0; j < m; j += tile, done++)
      {
        guint rows = MIN (tile, m - i), cols = MIN (tile, m - j);

        if (cancelled (self, error))
          return FALSE;
        cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) rows, (int) cols, (int) n,
                     1.0, h + i, (int) m, h + j, (int) m, beta, gram + (gsize) i * m + j, (int) m);
        if (j == 0)
          vt_cil_method_progress (&self->base, from + (to - from) * done / ((double) tiles * tiles), what);
      }
  return TRUE;
}

/* a = G + λI, out = Q: the system a solver overwrites. */
static void
load_system (const double *gram,
             const double *q,
             guint         m,
             guint         k,
             double        lambda,
             double       *a,
             double       *out)
{
  memcpy (a, gram, sizeof (double) * m * m);
  for (guint d = 0; d < m; d++)
    a[(gsize) d * m + d] += lambda;
  memcpy (out, q, sizeof (double) * k * m);
}

/* out (k, M) = rows of (G + λI)^-1 Qᵀ for the k classes, with Q (k, M);
 * @a (M, M) is scratch. Column-major B (M, k) is our row-major (k, M), so
 * the layouts match. */
static gboolean
solve_ridge (RanPac        *self,
             const double  *gram,
             const double  *q,
             guint          k,
             double         lambda,
             double        *out,
             GError       **error)
{
  guint m = self->m;
  double *a = self->system;
  int info;

  load_system (gram, q, m, k, lambda, a, out);
  info = vt_lapack_posv_cancellable ((int) m, (int) k, a, out, self->base.cancellable);
  if (info == VT_LAPACK_CANCELLED)
    return !cancelled (self, error);
  if (info > 0)
    {
      /* G + λI is not positive definite to rounding (a small λ and fewer
       * samples than M): LU, as torch.linalg.solve in RanPAC. */
      g_autofree char *what = g_strdup_printf ("λ = %g by LU: G + λI is not positive definite to rounding", lambda);

      vt_cil_method_progress (&self->base, -1.0, what);
      load_system (gram, q, m, k, lambda, a, out);
      info = vt_lapack_gesv_cancellable ((int) m, (int) k, a, out, self->base.cancellable);
      if (info == VT_LAPACK_CANCELLED)
        return !cancelled (self, error);
    }
  if (info != 0)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_NUMERIC,
                   "RanPAC: G + %g I is singular (LAPACK: %d)", lambda, info);
      return FALSE;
    }
  return TRUE;
}

static gboolean
ranpac_learn (VtCilMethod  *method,
              const double *x,
              const guint  *y,
              gsize         n,
              guint         n_seen,
              GError      **error)
{
  RanPac *self = (RanPac *) method;
  guint m = self->m;
  gsize n_fit = (gsize) (n * 0.8), n_val = n - n_fit;
  g_autofree double *h = g_new (double, n * m);
  g_autofree guint *perm = g_new (guint, MAX (n, 1));
  g_autofree double *shuffled = g_new (double, n * m);
  g_autofree double *gram_fit = g_new0 (double, (gsize) m * m);
  g_autofree double *q_fit = g_new0 (double, (gsize) n_seen * m);
  g_autofree double *w = g_new (double, (gsize) n_seen * m);
  g_autofree double *pred = g_new (double, MAX (n_val, 1) * n_seen);
  double best_loss = G_MAXDOUBLE;

  vt_cil_method_progress (method, 0.0, "random projection");
  if (!project (self, x, n, h, error))
    return FALSE;

  /* The running statistics, over every sample of the stage. */
  if (!gram_product (self, h, n, 1.0, self->gram, "Gram matrix", 0.05, 0.35, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    cblas_daxpy ((int) m, 1.0, h + i * m, 1, self->q + (gsize) y[i] * m, 1);

  /* The stage's samples shuffled; the first 80% fit, the rest score. */
  vt_random_permutation (&self->random, (guint) n, perm);
  for (gsize i = 0; i < n; i++)
    memcpy (shuffled + i * m, h + (gsize) perm[i] * m, sizeof (double) * m);
  if (!gram_product (self, shuffled, n_fit, 0.0, gram_fit, "Gram matrix of the 80% that fit λ", 0.35, 0.6, error))
    return FALSE;
  for (gsize i = 0; i < n_fit; i++)
    cblas_daxpy ((int) m, 1.0, shuffled + i * m, 1, q_fit + (gsize) y[perm[i]] * m, 1);

  for (guint l = 0; l < G_N_ELEMENTS (lambdas); l++)
    {
      g_autofree char *what = g_strdup_printf ("choosing λ (%u of %u)", l + 1, (guint) G_N_ELEMENTS (lambdas));
      double loss = 0.0;

      vt_cil_method_progress (method, 0.6 + 0.35 * l / G_N_ELEMENTS (lambdas), what);
      if (!solve_ridge (self, gram_fit, q_fit, n_seen, lambdas[l], w, error))
        return FALSE;
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n_val, (int) n_seen, (int) m,
                   1.0, shuffled + n_fit * m, (int) m, w, (int) m, 0.0, pred, (int) n_seen);
      for (gsize i = 0; i < n_val; i++)
        for (guint c = 0; c < n_seen; c++)
          {
            double diff = pred[i * n_seen + c] - (y[perm[n_fit + i]] == c ? 1.0 : 0.0);
            loss += diff * diff;
          }
      /* The first of equal losses, as np.argmin. */
      if (loss < best_loss)
        {
          best_loss = loss;
          self->lambda = lambdas[l];
        }
    }
  vt_cil_method_progress (method, 0.95, "output weights");
  return solve_ridge (self, self->gram, self->q, n_seen, self->lambda, self->output, error);
}

static void
ranpac_predict (VtCilMethod  *method,
                const double *x,
                gsize         n,
                guint        *pred)
{
  RanPac *self = (RanPac *) method;
  guint k = method->n_seen;
  g_autofree double *h = g_new (double, n * self->m);
  g_autofree double *scores = g_new (double, n * k);

  /* Cancelled: the caller looks at the cancellable and drops @pred. */
  if (!project (self, x, n, h, NULL))
    return;
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, (int) k, (int) self->m,
               1.0, h, (int) self->m, self->output, (int) self->m, 0.0, scores, (int) k);
  for (gsize i = 0; i < n; i++)
    pred[i] = vt_cil_argmax (scores + i * k, k);
}

static void
ranpac_destroy (VtCilMethod *method)
{
  RanPac *self = (RanPac *) method;

  g_free (self->projection);
  g_free (self->gram);
  g_free (self->q);
  g_free (self->output);
  g_free (self->system);
  g_free (self);
}

const VtCilMethodClass vt_cil_ranpac = { "ranpac", "RanPAC", ranpac_create, ranpac_learn, ranpac_predict, ranpac_destroy };
