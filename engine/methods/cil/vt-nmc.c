/* vt-nmc.c: nearest class mean on L2-normalized features (Janson et al.):
 * each class is the mean of its normalized training features, and a sample
 * goes to the class whose mean is nearest in Euclidean distance. */
#include "vt-cil-method.h"

#include <cblas.h>
#include <math.h>

typedef struct
{
  VtCilMethod  base;
  double      *sums;     /* (n_classes, dim) of normalized features */
  guint64     *counts;
  double      *means;
} Nmc;

static VtCilMethod *
nmc_create (guint               dim,
            guint               n_classes,
            const VtCilOptions *options)
{
  Nmc *self = g_new0 (Nmc, 1);

  self->sums = g_new0 (double, (gsize) n_classes * dim);
  self->counts = g_new0 (guint64, n_classes);
  self->means = g_new0 (double, (gsize) n_classes * dim);
  return &self->base;
}

static gboolean
nmc_learn (VtCilMethod  *method,
           const double *x,
           const guint  *y,
           gsize         n,
           guint         n_seen,
           GError      **error)
{
  Nmc *self = (Nmc *) method;
  guint dim = method->dim;

  vt_cil_update_class_means (x, y, n, dim, TRUE, n_seen, self->sums, self->counts, self->means);
  return TRUE;
}

static void
nmc_predict (VtCilMethod  *method,
             const double *x,
             gsize         n,
             guint        *pred)
{
  Nmc *self = (Nmc *) method;
  guint dim = method->dim, k = method->n_seen;
  g_autofree double *dots = g_new (double, n * k);
  g_autofree double *mean_norms = g_new (double, k);

  for (guint c = 0; c < k; c++)
    mean_norms[c] = cblas_ddot ((int) dim, self->means + (gsize) c * dim, 1, self->means + (gsize) c * dim, 1);
  /* With u = x / ‖x‖: ‖u − μ‖² = 1 − 2 (x·μ) / ‖x‖ + ‖μ‖², so the products
   * of the raw features do, each row scaled by its own norm. */
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, (int) k, (int) dim,
               1.0, x, (int) dim, self->means, (int) dim, 0.0, dots, (int) k);
  for (gsize i = 0; i < n; i++)
    {
      double *row = dots + i * k;
      double norm = MAX (cblas_dnrm2 ((int) dim, x + i * dim, 1), 1e-12);

      for (guint c = 0; c < k; c++)
        row[c] = 2.0 * row[c] / norm - mean_norms[c];
      pred[i] = vt_cil_argmax (row, k);
    }
}

static void
nmc_destroy (VtCilMethod *method)
{
  Nmc *self = (Nmc *) method;

  g_free (self->sums);
  g_free (self->counts);
  g_free (self->means);
  g_free (self);
}

const VtCilMethodClass vt_cil_nmc = { "nmc", "NMC", nmc_create, nmc_learn, nmc_predict, nmc_destroy };
