/* vt-attention.c: softmax attention with its backward pass.
 *
 * With S = q kᵀ / √D, P = softmax(S) row by row, O = P v:
 *   dP = dO vᵀ (+ dprobs),  dv = Pᵀ dO,
 *   dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS k / √D,  dk = dSᵀ q / √D.
 * Masked entries have P = 0, hence dS = 0: the mask needs no backward. */
#include "vt-attention.h"
#include "vt-linear.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* probs row r (T) from scores in place: the causal mask leaves entries
 * after r out (probability 0). */
static void
softmax_row (float    *row,
             int       t,
             int       r,
             gboolean  causal)
{
  int end = causal ? r + 1 : t;
  float top = -INFINITY;
  double sum = 0.0;

  for (int j = 0; j < end; j++)
    top = MAX (top, row[j]);
  for (int j = 0; j < end; j++)
    {
      row[j] = expf (row[j] - top);
      sum += row[j];
    }
  for (int j = 0; j < end; j++)
    row[j] = (float) (row[j] / sum);
  for (int j = end; j < t; j++)
    row[j] = 0.0f;
}

void
vt_attn_forward (float       *out,
                 float       *probs,
                 const float *qkv,
                 int          b,
                 int          t,
                 int          c,
                 int          heads,
                 gboolean     causal)
{
  int d = c / heads;
  float scale = 1.0f / sqrtf ((float) d);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *q = qkv + (gsize) n * t * 3 * c + h * d;
        float *p = probs + ((gsize) n * heads + h) * t * t;

        /* S (T, T) = q (T, D) · kᵀ / √D */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d,
                     scale, q, 3 * c, q + c, 3 * c, 0.0f, p, t);
        for (int r = 0; r < t; r++)
          softmax_row (p + (gsize) r * t, t, r, causal);
        /* O (T, D) = P · v */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t,
                     1.0f, p, t, q + 2 * c, 3 * c, 0.0f, out + (gsize) n * t * c + h * d, c);
      }
}

void
vt_attn_backward (float       *dqkv,
                  const float *dout,
                  const float *dprobs,
                  const float *qkv,
                  const float *probs,
                  int          b,
                  int          t,
                  int          c,
                  int          heads)
{
  int d = c / heads;
  float scale = 1.0f / sqrtf ((float) d);
  g_autofree float *ds = g_new (float, (gsize) t * t);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        gsize base = (gsize) n * t * 3 * c + h * d;
        const float *q = qkv + base, *p = probs + ((gsize) n * heads + h) * t * t;
        const float *dout_h = dout + (gsize) n * t * c + h * d;
        float *dq = dqkv + base;

        /* dP (T, T) = dO (T, D) · vᵀ (+ dprobs) */
        if (dprobs != NULL)
          memcpy (ds, dprobs + ((gsize) n * heads + h) * t * t, sizeof (float) * t * t);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d,
                     1.0f, dout_h, c, q + 2 * c, 3 * c, dprobs != NULL ? 1.0f : 0.0f, ds, t);
        /* dv (T, D) += Pᵀ · dO */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t,
                     1.0f, p, t, dout_h, c, 1.0f, dq + 2 * c, 3 * c);
        for (int r = 0; r < t; r++)
          {
            float *row = ds + (gsize) r * t;
            const float *pr = p + (gsize) r * t;
            double dot = 0.0;

            for (int j = 0; j < t; j++)
              dot += (double) row[j] * pr[j];
            for (int j = 0; j < t; j++)
              row[j] = pr[j] * (row[j] - (float) dot);
          }
        /* dq += dS · k / √D, dk += dSᵀ · q / √D */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t,
                     scale, ds, t, q + c, 3 * c, 1.0f, dq, 3 * c);
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t,
                     scale, ds, t, q, 3 * c, 1.0f, dq + c, 3 * c);
      }
}

void
vt_attn_forward_naive (float       *out,
                       float       *probs,
                       const float *qkv,
                       int          b,
                       int          t,
                       int          c,
                       int          heads,
                       gboolean     causal)
{
  int d = c / heads;
  double scale = 1.0 / sqrt ((double) d);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *x = qkv + (gsize) n * t * 3 * c;
        float *p = probs + ((gsize) n * heads + h) * t * t;

        for (int i = 0; i < t; i++)
          {
            double top = -INFINITY, sum = 0.0;
            g_autofree double *s = g_new (double, t);

            for (int j = 0; j < t; j++)
              {
                double acc = 0.0;

                for (int e = 0; e < d; e++)
                  acc += (double) x[(gsize) i * 3 * c + h * d + e] * x[(gsize) j * 3 * c + c + h * d + e];
                s[j] = causal && j > i ? -INFINITY : acc * scale;
                top = MAX (top, s[j]);
              }
            for (int j = 0; j < t; j++)
              sum += s[j] = exp (s[j] - top);
            for (int j = 0; j < t; j++)
              p[(gsize) i * t + j] = (float) (s[j] / sum);
            for (int e = 0; e < d; e++)
              {
                double acc = 0.0;

                for (int j = 0; j < t; j++)
                  acc += s[j] / sum * x[(gsize) j * 3 * c + 2 * c + h * d + e];
                out[((gsize) n * t + i) * c + h * d + e] = (float) acc;
              }
          }
      }
}

void
vt_attn_backward_naive (float       *dqkv,
                        const float *dout,
                        const float *dprobs,
                        const float *qkv,
                        const float *probs,
                        int          b,
                        int          t,
                        int          c,
                        int          heads)
{
  int d = c / heads;
  double scale = 1.0 / sqrt ((double) d);
  g_autofree double *ds = g_new (double, (gsize) t * t);

  for (int n = 0; n < b; n++)
    for (int h = 0; h < heads; h++)
      {
        const float *x = qkv + (gsize) n * t * 3 * c, *p = probs + ((gsize) n * heads + h) * t * t;
        const float *go = dout + (gsize) n * t * c;
        float *dx = dqkv + (gsize) n * t * 3 * c;

#define Q(i, e) x[(gsize) (i) * 3 * c + h * d + (e)]
#define K(i, e) x[(gsize) (i) * 3 * c + c + h * d + (e)]
#define V(i, e) x[(gsize) (i) * 3 * c + 2 * c + h * d + (e)]
#define DO(i, e) go[(gsize) (i) * c + h * d + (e)]
        for (int i = 0; i < t; i++)
          {
            double dot = 0.0;

            for (int j = 0; j < t; j++)
              {
                double dp = dprobs != NULL ? dprobs[(((gsize) n * heads + h) * t + i) * t + j] : 0.0;

                for (int e = 0; e < d; e++)
                  dp += (double) DO (i, e) * V (j, e);
                ds[(gsize) i * t + j] = dp;
                dot += dp * p[(gsize) i * t + j];
              }
            for (int j = 0; j < t; j++)
              ds[(gsize) i * t + j] = p[(gsize) i * t + j] * (ds[(gsize) i * t + j] - dot);
          }
        for (int j = 0; j < t; j++)
          for (int e = 0; e < d; e++)
            {
              double dq = 0.0, dk = 0.0, dv = 0.0;

              for (int i = 0; i < t; i++)
                {
                  dq += ds[(gsize) j * t + i] * K (i, e);
                  dk += ds[(gsize) i * t + j] * Q (i, e);
                  dv += (double) p[(gsize) i * t + j] * DO (i, e);
                }
              dx[(gsize) j * 3 * c + h * d + e] += (float) (dq * scale);
              dx[(gsize) j * 3 * c + c + h * d + e] += (float) (dk * scale);
              dx[(gsize) j * 3 * c + 2 * c + h * d + e] += (float) dv;
            }
#undef Q
#undef K
#undef V
#undef DO
      }
}

VtAttnPoolSaved *
vt_attn_pool_saved_new (int n,
                        int hw,
                        int c,
                        int e,
                        int heads)
{
  VtAttnPoolSaved *s = g_new0 (VtAttnPoolSaved, 1);
  gsize t = (gsize) hw + 1;

  s->n = n;
  s->t = (int) t;
  s->c = c;
  s->e = e;
  s->heads = heads;
  s->tokens = g_new (float, n * t * c);
  s->q = g_new (float, (gsize) n * c);
  s->k = g_new (float, n * t * c);
  s->v = g_new (float, n * t * c);
  s->probs = g_new (float, n * heads * t);
  s->ctx = g_new (float, (gsize) n * c);
  return s;
}

void
vt_attn_pool_saved_free (VtAttnPoolSaved *s)
{
  if (s == NULL)
    return;
  g_free (s->tokens);
  g_free (s->q);
  g_free (s->k);
  g_free (s->v);
  g_free (s->probs);
  g_free (s->ctx);
  g_free (s);
}

/* y (rows, out) = x (rows, in, rows @ldx apart) · Wᵀ + b */
static void
project (float       *y,
         const float *x,
         int          ldx,
         const float *w,
         const float *b,
         int          rows,
         int          in,
         int          out)
{
  for (int i = 0; i < rows; i++)
    memcpy (y + (gsize) i * out, b, sizeof (float) * out);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in,
               1.0f, x, ldx, w, in, 1.0f, y, out);
}

void
vt_attn_pool_forward (float                  *out,
                      VtAttnPoolSaved        *s,
                      const float            *x,
                      const VtAttnPoolParams *p)
{
  int n = s->n, t = s->t, c = s->c, hw = t - 1, d = c / s->heads;
  float scale = 1.0f / sqrtf ((float) d);

  for (int i = 0; i < n; i++)
    {
      float *tok = s->tokens + (gsize) i * t * c;
      const float *xi = x + (gsize) i * c * hw;

      for (int ch = 0; ch < c; ch++)
        {
          double sum = 0.0;

          for (int q = 0; q < hw; q++)
            {
              tok[(gsize) (1 + q) * c + ch] = xi[(gsize) ch * hw + q];
              sum += xi[(gsize) ch * hw + q];
            }
          tok[ch] = (float) (sum / hw);
        }
      for (gsize j = 0; j < (gsize) t * c; j++)
        tok[j] += p->pos[j];
    }
  project (s->q, s->tokens, t * c, p->q_w, p->q_b, n, c, c);
  project (s->k, s->tokens, c, p->k_w, p->k_b, n * t, c, c);
  project (s->v, s->tokens, c, p->v_w, p->v_b, n * t, c, c);
  for (int i = 0; i < n; i++)
    for (int h = 0; h < s->heads; h++)
      {
        const float *q = s->q + (gsize) i * c + h * d;
        float *pr = s->probs + ((gsize) i * s->heads + h) * t;
        float *ctx = s->ctx + (gsize) i * c + h * d;

        for (int j = 0; j < t; j++)
          {
            const float *k = s->k + ((gsize) i * t + j) * c + h * d;
            double acc = 0.0;

            for (int e = 0; e < d; e++)
              acc += (double) q[e] * k[e];
            pr[j] = (float) acc * scale;
          }
        softmax_row (pr, t, t - 1, FALSE);
        for (int e = 0; e < d; e++)
          {
            double acc = 0.0;

            for (int j = 0; j < t; j++)
              acc += (double) pr[j] * s->v[((gsize) i * t + j) * c + h * d + e];
            ctx[e] = (float) acc;
          }
      }
  project (out, s->ctx, c, p->c_w, p->c_b, n, c, s->e);
}

void
vt_attn_pool_backward (float                  *dx,
                       const VtAttnPoolParams *g,
                       const float            *dout,
                       const float            *dprobs,
                       const VtAttnPoolSaved  *s,
                       const VtAttnPoolParams *p)
{
  int n = s->n, t = s->t, c = s->c, hw = t - 1, d = c / s->heads;
  float scale = 1.0f / sqrtf ((float) d);
  gsize ntc = (gsize) n * t * c;
  g_autofree float *dctx = g_new0 (float, (gsize) n * c), *dq = g_new0 (float, (gsize) n * c);
  g_autofree float *dk = g_new0 (float, ntc), *dv = g_new0 (float, ntc), *dtok = g_new0 (float, ntc);
  g_autofree float *tok0 = g_new (float, (gsize) n * c), *dtok0 = g_new0 (float, (gsize) n * c);
  g_autofree float *ds = g_new (float, t);

  vt_linear_backward (dctx, g->c_w, g->c_b, dout, s->ctx, p->c_w, n, c, s->e);
  for (int i = 0; i < n; i++)
    for (int h = 0; h < s->heads; h++)
      {
        const float *pr = s->probs + ((gsize) i * s->heads + h) * t;
        const float *q = s->q + (gsize) i * c + h * d, *dc = dctx + (gsize) i * c + h * d;
        double dot = 0.0;

        for (int j = 0; j < t; j++)
          {
            gsize row = ((gsize) i * t + j) * c + h * d;
            double dp = dprobs != NULL ? dprobs[((gsize) i * s->heads + h) * t + j] : 0.0;

            for (int e = 0; e < d; e++)
              {
                dp += (double) dc[e] * s->v[row + e];
                dv[row + e] += pr[j] * dc[e];
              }
            ds[j] = (float) dp;
            dot += dp * pr[j];
          }
        for (int j = 0; j < t; j++)
          {
            gsize row = ((gsize) i * t + j) * c + h * d;
            float dsj = pr[j] * (ds[j] - (float) dot) * scale;

            for (int e = 0; e < d; e++)
              {
                dq[(gsize) i * c + h * d + e] += dsj * s->k[row + e];
                dk[row + e] += dsj * q[e];
              }
          }
      }
  for (int i = 0; i < n; i++)
    memcpy (tok0 + (gsize) i * c, s->tokens + (gsize) i * t * c, sizeof (float) * c);
  vt_linear_backward (dtok0, g->q_w, g->q_b, dq, tok0, p->q_w, n, c, c);
  vt_linear_backward (dtok, g->k_w, g->k_b, dk, s->tokens, p->k_w, n * t, c, c);
  vt_linear_backward (dtok, g->v_w, g->v_b, dv, s->tokens, p->v_w, n * t, c, c);
  for (int i = 0; i < n; i++)
    {
      float *dti = dtok + (gsize) i * t * c;

      for (int ch = 0; ch < c; ch++)
        dti[ch] += dtok0[(gsize) i * c + ch];
      for (gsize j = 0; g->pos != NULL && j < (gsize) t * c; j++)
        g->pos[j] += dti[j];
      for (int ch = 0; dx != NULL && ch < c; ch++)
        {
          float from_mean = dti[ch] / (float) hw;

          for (int q = 0; q < hw; q++)
            dx[((gsize) i * c + ch) * hw + q] += dti[(gsize) (1 + q) * c + ch] + from_mean;
        }
    }
}
