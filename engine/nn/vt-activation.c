/* vt-activation.c: pointwise ops, forward and backward. */
#include "vt-activation.h"

#include <math.h>

#define SQRT_2_OVER_PI 0.79788456080286535588
#define GELU_TANH_C 0.044715
#define QUICK_GELU_C 1.702

void
vt_relu_forward (float       *y,
                 const float *x,
                 gsize        n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : (isnan (x[i]) ? x[i] : 0.0f);
}

void
vt_relu_backward (float       *dx,
                  const float *dy,
                  const float *y,
                  gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (y[i] > 0.0f)
      dx[i] += dy[i];
}

void
vt_gelu_forward (float       *y,
                 const float *x,
                 gsize        n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = (float) (0.5 * x[i] * (1.0 + erf (x[i] * M_SQRT1_2)));
}

/* d/dx x Φ(x) = Φ(x) + x φ(x) */
void
vt_gelu_backward (float       *dx,
                  const float *dy,
                  const float *x,
                  gsize        n)
{
  for (gsize i = 0; i < n; i++)
    {
      double v = x[i];
      double cdf = 0.5 * (1.0 + erf (v * M_SQRT1_2));
      double pdf = exp (-0.5 * v * v) * (M_2_SQRTPI * M_SQRT1_2 * 0.5);

      dx[i] += (float) (dy[i] * (cdf + v * pdf));
    }
}

void
vt_gelu_tanh_forward (float       *y,
                      const float *x,
                      gsize        n)
{
  for (gsize i = 0; i < n; i++)
    {
      double v = x[i];

      y[i] = (float) (0.5 * v * (1.0 + tanh (SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v))));
    }
}

void
vt_gelu_tanh_backward (float       *dx,
                       const float *dy,
                       const float *x,
                       gsize        n)
{
  for (gsize i = 0; i < n; i++)
    {
      double v = x[i];
      double t = tanh (SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v));
      double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * v * v);

      dx[i] += (float) (dy[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du));
    }
}

void
vt_quick_gelu_forward (float       *y,
                       const float *x,
                       gsize        n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = (float) (x[i] / (1.0 + exp (-QUICK_GELU_C * x[i])));
}

void
vt_quick_gelu_backward (float       *dx,
                        const float *dy,
                        const float *x,
                        gsize        n)
{
  for (gsize i = 0; i < n; i++)
    {
      double s = 1.0 / (1.0 + exp (-QUICK_GELU_C * x[i]));

      dx[i] += (float) (dy[i] * (s + QUICK_GELU_C * x[i] * s * (1.0 - s)));
    }
}

void
vt_sigmoid_forward (float       *y,
                    const float *x,
                    gsize        n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = (float) (1.0 / (1.0 + exp (-(double) x[i])));
}

void
vt_sigmoid_backward (float       *dx,
                     const float *dy,
                     const float *y,
                     gsize        n)
{
  for (gsize i = 0; i < n; i++)
    dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

void
vt_residual_forward (float       *y,
                     const float *a,
                     const float *b,
                     gsize        n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = a[i] + b[i];
}

void
vt_residual_backward (float       *da,
                      float       *db,
                      const float *dy,
                      gsize        n)
{
  for (gsize i = 0; da != NULL && i < n; i++)
    da[i] += dy[i];
  for (gsize i = 0; db != NULL && i < n; i++)
    db[i] += dy[i];
}
