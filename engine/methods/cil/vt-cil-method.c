/* vt-cil-method.c: the method table and what the methods share. */
#include "vt-cil-method.h"

#include <math.h>
#include <string.h>

void
vt_cil_options_init (VtCilOptions *options)
{
  options->gda_shrinkage = VT_GDA_SHRINK_KS;
  options->gda_ridge = 1e-4;
  options->ranpac_dim = 10000;
  options->ranpac_seed = 0;
}

VtCilMethod *
vt_cil_method_new (const VtCilMethodClass *klass,
                   guint                   dim,
                   guint                   n_classes,
                   const VtCilOptions     *options)
{
  VtCilMethod *self = klass->create (dim, n_classes, options);

  self->klass = klass;
  self->dim = dim;
  self->n_classes = n_classes;
  self->n_seen = 0;
  return self;
}

gboolean
vt_cil_method_learn (VtCilMethod   *self,
                     const double  *x,
                     const guint   *y,
                     gsize          n,
                     guint          n_seen,
                     GError       **error)
{
  if (!self->klass->learn (self, x, y, n, n_seen, error))
    return FALSE;
  self->n_seen = n_seen;
  return TRUE;
}

void
vt_cil_method_progress (VtCilMethod *self,
                        double       fraction,
                        const char  *what)
{
  if (fraction >= 0)
    self->progress_fraction = fraction;
  if (self->progress)
    self->progress (self->progress_fraction, what, self->progress_data);
}

void
vt_cil_method_free (VtCilMethod *self)
{
  if (self != NULL)
    self->klass->destroy (self);
}

const VtCilMethodClass * const *
vt_cil_methods (void)
{
  static const VtCilMethodClass * const methods[] = { &vt_cil_nmc, &vt_cil_simplecil, &vt_cil_gda, &vt_cil_ranpac, NULL };
  return methods;
}

guint
vt_cil_n_methods (void)
{
  guint n = 0;

  while (vt_cil_methods ()[n])
    n++;
  return n;
}

void
vt_cil_update_class_means (const double *x,
                           const guint  *y,
                           gsize         n,
                           guint         dim,
                           gboolean      normalize,
                           guint         n_seen,
                           double       *sums,
                           guint64      *counts,
                           double       *means)
{
  for (gsize i = 0; i < n; i++)
    {
      const double *row = x + i * dim;
      double *sum = sums + (gsize) y[i] * dim;
      double scale = 1.0;

      if (normalize)
        {
          double norm = 0.0;
          for (guint d = 0; d < dim; d++)
            norm += row[d] * row[d];
          /* As torch.nn.functional.normalize: divide by max(‖x‖, 1e-12). */
          scale = 1.0 / MAX (sqrt (norm), 1e-12);
        }
      for (guint d = 0; d < dim; d++)
        sum[d] += row[d] * scale;
      counts[y[i]]++;
    }
  for (guint c = 0; c < n_seen; c++)
    for (guint d = 0; d < dim; d++)
      means[(gsize) c * dim + d] = counts[c] ? sums[(gsize) c * dim + d] / counts[c] : 0.0;
}

guint
vt_cil_argmax (const double *scores,
               guint         n)
{
  guint best = 0;

  for (guint c = 1; c < n; c++)
    if (scores[c] > scores[best])
      best = c;
  return best;
}
