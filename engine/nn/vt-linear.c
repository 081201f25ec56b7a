/* vt-linear.c: nn.Linear's backward pass. */
#include "vt-linear.h"

#include <cblas.h>

void
vt_linear_backward (float       *dx,
                    float       *dw,
                    float       *db,
                    const float *dy,
                    const float *x,
                    const float *w,
                    int          n,
                    int          in,
                    int          out)
{
  if (dx != NULL)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out,
                 1.0f, dy, out, w, in, 1.0f, dx, in);
  /* the weight gradient needs Aᵀ, which vt_gemm does not take: OpenBLAS does */
  if (dw != NULL)
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n,
                 1.0f, dy, out, x, in, 1.0f, dw, in);
  if (db != NULL)
    for (int i = 0; i < n; i++)
      for (int o = 0; o < out; o++)
        db[o] += dy[(gsize) i * out + o];
}

void
vt_linear_backward_naive (float       *dx,
                          float       *dw,
                          float       *db,
                          const float *dy,
                          const float *x,
                          const float *w,
                          int          n,
                          int          in,
                          int          out)
{
  for (int i = 0; dx != NULL && i < n; i++)
    for (int j = 0; j < in; j++)
      {
        double acc = 0.0;

        for (int o = 0; o < out; o++)
          acc += (double) dy[(gsize) i * out + o] * w[(gsize) o * in + j];
        dx[(gsize) i * in + j] += (float) acc;
      }
  for (int o = 0; dw != NULL && o < out; o++)
    for (int j = 0; j < in; j++)
      {
        double acc = 0.0;

        for (int i = 0; i < n; i++)
          acc += (double) dy[(gsize) i * out + o] * x[(gsize) i * in + j];
        dw[(gsize) o * in + j] += (float) acc;
      }
  for (int o = 0; db != NULL && o < out; o++)
    {
      double acc = 0.0;

      for (int i = 0; i < n; i++)
        acc += dy[(gsize) i * out + o];
      db[o] += (float) acc;
    }
}
