/* vt-road-imputation.c: ROAD's noisy linear imputation by conjugate
 * gradients (vt-road-imputation.h). */
#include "vt-road-imputation.h"
#include "vt-faithfulness-result.h"

#include <math.h>
#include <string.h>

#define NEIGHBOURS 8
#define TOLERANCE 1e-11

static const struct
{
  int    dy, dx;
  double weight;
} neighbours[NEIGHBOURS] = {
  { -1, -1, 1.0 / 12 }, { -1, 0, 1.0 / 6 }, { -1, 1, 1.0 / 12 },
  { 0, -1, 1.0 / 6 },                       { 0, 1, 1.0 / 6 },
  { 1, -1, 1.0 / 12 },  { 1, 0, 1.0 / 6 },  { 1, 1, 1.0 / 12 },
};

/* The system's rows: the diagonal s_i and, per unknown, its removed
 * neighbours (column, weight); the kept ones go to the right-hand side. */
typedef struct
{
  gsize   n;
  double *diagonal;     /* (n) */
  int    *columns;      /* (n, NEIGHBOURS), −1 where none */
  double *weights;      /* (n, NEIGHBOURS) */
} System;

/* y = M x */
static void
multiply (const System *m,
          const double *x,
          double       *y)
{
  for (gsize i = 0; i < m->n; i++)
    {
      double sum = m->diagonal[i] * x[i];

      for (int k = 0; k < NEIGHBOURS; k++)
        {
          int j = m->columns[i * NEIGHBOURS + k];

          if (j >= 0)
            sum -= m->weights[i * NEIGHBOURS + k] * x[j];
        }
      y[i] = sum;
    }
}

static double
dot (const double *a,
     const double *b,
     gsize         n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}

/* M x = b by conjugate gradients from x = 0. */
static gboolean
solve (const System *m,
       const double *b,
       double       *x,
       double       *r,
       double       *p,
       double       *q)
{
  double rr, bound;
  gsize limit = 10 * m->n + 100;

  memset (x, 0, sizeof (double) * m->n);
  memcpy (r, b, sizeof (double) * m->n);
  memcpy (p, b, sizeof (double) * m->n);
  rr = dot (r, r, m->n);
  bound = TOLERANCE * TOLERANCE * rr;
  for (gsize it = 0; it < limit; it++)
    {
      double alpha, rr_next;

      if (rr <= bound || rr == 0)
        return TRUE;
      multiply (m, p, q);
      alpha = rr / dot (p, q, m->n);
      for (gsize i = 0; i < m->n; i++)
        {
          x[i] += alpha * p[i];
          r[i] -= alpha * q[i];
        }
      rr_next = dot (r, r, m->n);
      for (gsize i = 0; i < m->n; i++)
        p[i] = r[i] + rr_next / rr * p[i];
      rr = rr_next;
    }
  return rr <= bound;
}

gboolean
vt_road_impute (const float   *image,
                const guint8  *removed,
                int            height,
                int            width,
                const double  *noise,
                const double  *gauss,
                float         *out,
                GError       **error)
{
  gsize plane = (gsize) height * width, n = 0;
  g_autofree int *unknown = g_new (int, plane);
  g_autofree gsize *pixel = NULL;
  g_autofree double *b = NULL;
  g_autofree double *x = NULL;
  g_autofree double *work = NULL;
  System m = { 0 };

  memcpy (out, image, sizeof (float) * 3 * plane);
  for (gsize p = 0; p < plane; p++)
    unknown[p] = removed[p] ? (int) n++ : -1;
  if (n == 0)
    return TRUE;
  if (n == plane)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "ROAD imputation: all %" G_GSIZE_FORMAT " pixels are removed, so none is left to impute "
                   "from", plane);
      return FALSE;
    }

  m.n = n;
  m.diagonal = g_new0 (double, n);
  m.columns = g_new (int, n * NEIGHBOURS);
  m.weights = g_new0 (double, n * NEIGHBOURS);
  pixel = g_new (gsize, n);
  b = g_new0 (double, 3 * n);
  for (gsize p = 0; p < plane; p++)
    {
      int i = unknown[p], y = (int) (p / width), xx = (int) (p % width);

      if (i < 0)
        continue;
      pixel[i] = p;
      for (int k = 0; k < NEIGHBOURS; k++)
        {
          int ny = y + neighbours[k].dy, nx = xx + neighbours[k].dx;
          gsize q;

          m.columns[(gsize) i * NEIGHBOURS + k] = -1;
          if (ny < 0 || nx < 0 || ny >= height || nx >= width)
            continue;
          q = (gsize) ny * width + nx;
          m.diagonal[i] += neighbours[k].weight;
          if (unknown[q] >= 0)
            {
              m.columns[(gsize) i * NEIGHBOURS + k] = unknown[q];
              m.weights[(gsize) i * NEIGHBOURS + k] = neighbours[k].weight;
            }
          else
            for (int c = 0; c < 3; c++)
              b[c * n + i] += neighbours[k].weight * image[c * plane + q];
        }
    }

  x = g_new (double, 3 * n);
  work = g_new (double, 3 * n);
  for (int c = 0; c < 3; c++)
    if (!solve (&m, b + c * n, x + c * n, work, work + n, work + 2 * n))
      {
        g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_FAILED,
                     "ROAD imputation: conjugate gradients did not converge on %" G_GSIZE_FORMAT
                     " removed pixels (channel %d)", n, c);
        g_free (m.diagonal);
        g_free (m.columns);
        g_free (m.weights);
        return FALSE;
      }
  for (int c = 0; c < 3; c++)
    for (gsize i = 0; i < n; i++)
      out[c * plane + pixel[i]] = (float) (x[c * n + i] + (gauss ? noise[c] * gauss[c * n + i] : 0));
  g_free (m.diagonal);
  g_free (m.columns);
  g_free (m.weights);
  return TRUE;
}
