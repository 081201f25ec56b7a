/* vt-simplecil.c: SimpleCIL (Zhou et al.): the class means of the raw
 * features become the rows of a cosine classifier; a sample goes to the
 * prototype with the largest cosine similarity. */
#include "vt-cil-method.h"

#include <cblas.h>
#include <math.h>

typedef struct
{
  VtCilMethod  base;
  double      *sums;         /* (n_classes, dim) */
  guint64     *counts;
  double      *prototypes;   /* normalized class means */
} SimpleCil;

static VtCilMethod *
simplecil_create (guint               dim,
                  guint               n_classes,
                  const VtCilOptions *options)
{
  SimpleCil *self = g_new0 (SimpleCil, 1);

  self->sums = g_new0 (double, (gsize) n_classes * dim);
  self->counts = g_new0 (guint64, n_classes);
  self->prototypes = g_new0 (double, (gsize) n_classes * dim);
  return &self->base;
}

static gboolean
simplecil_learn (VtCilMethod  *method,
                 const double *x,
                 const guint  *y,
                 gsize         n,
                 guint         n_seen,
                 GError      **error)
{
  SimpleCil *self = (SimpleCil *) method;
  guint dim = method->dim;

  /* The class means, then each scaled to unit length in place. */
  vt_cil_update_class_means (x, y, n, dim, FALSE, n_seen, self->sums, self->counts, self->prototypes);
  for (guint c = 0; c < n_seen; c++)
    {
      double *p = self->prototypes + (gsize) c * dim, norm = 0.0;
      for (guint d = 0; d < dim; d++)
        norm += p[d] * p[d];
      norm = MAX (sqrt (norm), 1e-12);
      for (guint d = 0; d < dim; d++)
        p[d] /= norm;
    }
  return TRUE;
}

static void
simplecil_predict (VtCilMethod  *method,
                   const double *x,
                   gsize         n,
                   guint        *pred)
{
  SimpleCil *self = (SimpleCil *) method;
  guint dim = method->dim, k = method->n_seen;
  g_autofree double *scores = g_new (double, n * k);

  /* The sample's own norm scales every cosine alike: x·p ranks as cos. */
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, (int) k, (int) dim,
               1.0, x, (int) dim, self->prototypes, (int) dim, 0.0, scores, (int) k);
  for (gsize i = 0; i < n; i++)
    pred[i] = vt_cil_argmax (scores + i * k, k);
}

static void
simplecil_destroy (VtCilMethod *method)
{
  SimpleCil *self = (SimpleCil *) method;

  g_free (self->sums);
  g_free (self->counts);
  g_free (self->prototypes);
  g_free (self);
}

const VtCilMethodClass vt_cil_simplecil = { "simplecil", "SimpleCIL", simplecil_create, simplecil_learn,
                                            simplecil_predict, simplecil_destroy };
