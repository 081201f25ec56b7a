/* vt-gda.c: Gaussian discriminant analysis with one shared covariance
 * (streaming LDA). Class means and the pooled within-class scatter grow as
 * classes arrive; the precision matrix is a shrunken inverse of it:
 *
 *   KS (Kubokawa–Srivastava, as the training-free CLIP baseline of Wang et
 *   al. uses it): Λ = d · (scatter + tr(S) I)^-1, S = scatter / (N − 1)
 *   ridge (Avalanche's StreamingLDA): Λ = ((1 − ε) S + ε I)^-1, S = scatter / N
 *
 * Scores are linear: x·Λμ_c − ½ μ_c·Λμ_c (equal class priors add the same
 * constant to every class and are left out). The inverse is a Cholesky
 * solve against the means, never formed. */
#include "vt-cil-method.h"
#include "core/vt-lapack.h"
#include "vt-cil-protocol.h"

#include <cblas.h>
#include <string.h>

typedef struct
{
  VtCilMethod     base;
  VtGdaShrinkage  shrinkage;
  double          ridge;
  double         *sums;      /* (n_classes, dim) */
  guint64        *counts;
  double         *means;
  double         *scatter;   /* (dim, dim), pooled within-class; upper triangle only */
  guint64         n_total;
  double         *weights;   /* (n_seen, dim): Λμ_c per row */
  double         *bias;      /* n_classes */
  double         *centered;  /* a stage's rows minus their class means, reused */
  gsize           centered_rows;
  double         *a;         /* the shrunken matrix, (dim, dim), reused */
} Gda;

static VtCilMethod *
gda_create (guint               dim,
            guint               n_classes,
            const VtCilOptions *options)
{
  Gda *self = g_new0 (Gda, 1);

  self->shrinkage = options->gda_shrinkage;
  self->ridge = options->gda_ridge;
  self->sums = g_new0 (double, (gsize) n_classes * dim);
  self->counts = g_new0 (guint64, n_classes);
  self->means = g_new0 (double, (gsize) n_classes * dim);
  self->scatter = g_new0 (double, (gsize) dim * dim);
  self->weights = g_new0 (double, (gsize) n_classes * dim);
  self->bias = g_new0 (double, n_classes);
  self->a = g_new (double, (gsize) dim * dim);
  return &self->base;
}

static gboolean
gda_learn (VtCilMethod  *method,
           const double *x,
           const guint  *y,
           gsize         n,
           guint         n_seen,
           GError      **error)
{
  Gda *self = (Gda *) method;
  guint dim = method->dim;
  double *centered, *a = self->a;
  double trace = 0.0, scale;
  int info;

  if (n > self->centered_rows)
    {
      g_free (self->centered);
      self->centered = g_new (double, n * dim);
      self->centered_rows = n;
    }
  centered = self->centered;

  /* A class's samples all come in its own stage: its mean is final now. */
  vt_cil_update_class_means (x, y, n, dim, FALSE, n_seen, self->sums, self->counts, self->means);
  for (gsize i = 0; i < n; i++)
    for (guint d = 0; d < dim; d++)
      centered[i * dim + d] = x[i * dim + d] - self->means[(gsize) y[i] * dim + d];
  /* Symmetric: one triangle is half the work. Row-major upper is the
   * column-major lower triangle that dposv ("L") reads. */
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, (int) dim, (int) n,
               1.0, centered, (int) dim, 1.0, self->scatter, (int) dim);
  self->n_total += n;

  for (guint d = 0; d < dim; d++)
    trace += self->scatter[(gsize) d * dim + d];
  if (self->shrinkage == VT_GDA_SHRINK_KS)
    {
      memcpy (a, self->scatter, sizeof (double) * dim * dim);
      for (guint d = 0; d < dim; d++)
        a[(gsize) d * dim + d] += trace / (double) (self->n_total - 1);
      scale = dim;
    }
  else
    {
      for (gsize k = 0; k < (gsize) dim * dim; k++)
        a[k] = (1.0 - self->ridge) * self->scatter[k] / (double) self->n_total;
      for (guint d = 0; d < dim; d++)
        a[(gsize) d * dim + d] += self->ridge;
      scale = 1.0;
    }

  /* Λ μ_c for every seen class: A Z = M^T. Rows of `weights` are the
   * columns of Z, which is how a column-major solver lays them out. */
  memcpy (self->weights, self->means, sizeof (double) * n_seen * dim);
  info = vt_lapack_posv ((int) dim, (int) n_seen, a, self->weights);
  if (info != 0)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_NUMERIC,
                   "GDA: the shrunken covariance is not positive definite (LAPACK dposv: %d)", info);
      return FALSE;
    }
  for (guint c = 0; c < n_seen; c++)
    {
      double *w = self->weights + (gsize) c * dim;
      cblas_dscal ((int) dim, scale, w, 1);
      self->bias[c] = -0.5 * cblas_ddot ((int) dim, self->means + (gsize) c * dim, 1, w, 1);
    }
  return TRUE;
}

static void
gda_predict (VtCilMethod  *method,
             const double *x,
             gsize         n,
             guint        *pred)
{
  Gda *self = (Gda *) method;
  guint dim = method->dim, k = method->n_seen;
  g_autofree double *scores = g_new (double, n * k);

  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, (int) k, (int) dim,
               1.0, x, (int) dim, self->weights, (int) dim, 0.0, scores, (int) k);
  for (gsize i = 0; i < n; i++)
    {
      for (guint c = 0; c < k; c++)
        scores[i * k + c] += self->bias[c];
      pred[i] = vt_cil_argmax (scores + i * k, k);
    }
}

static void
gda_destroy (VtCilMethod *method)
{
  Gda *self = (Gda *) method;

  g_free (self->sums);
  g_free (self->counts);
  g_free (self->means);
  g_free (self->scatter);
  g_free (self->weights);
  g_free (self->bias);
  g_free (self->centered);
  g_free (self->a);
  g_free (self);
}

const VtCilMethodClass vt_cil_gda = { "gda", "GDA", gda_create, gda_learn, gda_predict, gda_destroy };
