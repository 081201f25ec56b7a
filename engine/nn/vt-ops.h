/* vt-ops.h: forward kernels on float arrays, laid out as PyTorch lays them
 * out (NCHW images, row-major matrices, (B, T, C) token sequences).
 *
 * Matrix work goes through vt_gemm (vt-gemm.h). Where a kernel has a fast
 * path, a naive reference sits beside it (…_naive) and the tests compare the
 * two. Shapes are in the comments; nothing here allocates unless it says so. */
#pragma once

#include <glib.h>

#include "vt-gemm.h"

G_BEGIN_DECLS

/* y (N, out) = x (N, in) · Wᵀ + b; W is (out, in) as nn.Linear stores it; b may be NULL. */
void   vt_linear_forward        (float *y, const float *x, const float *w, const float *b,
                                 int n, int in, int out);
void   vt_linear_forward_naive  (float *y, const float *x, const float *w, const float *b,
                                 int n, int in, int out);

/* y (N, out) = x (N, in) · P, P (in, out) used as stored, not transposed
 * (CLIP's visual.proj and text_projection). */
void   vt_matmul_forward        (float *y, const float *x, const float *p, int n, int in, int out);

/* 2-D convolution. in (C, H, W) for one image, w (K, C, kh, kw), bias (K) or
 * NULL, out (K, OH, OW) with OH = (H + 2 pad - kh) / stride + 1; then
 * @epilogue (or NULL) on out as a (K, OH·OW) matrix: a BatchNorm's scale
 * and shift per channel, a residual, a ReLU, in the product's last pass.
 * Its work arrays are each thread's own, kept from call to call. */
void   vt_conv2d_forward        (float *out, const float *in, const float *w, const float *bias,
                                 int c, int h, int wd, int k, int kh, int kw, int stride, int pad,
                                 const VtGemmEpilogue *epilogue);
void   vt_conv2d_forward_naive  (float *out, const float *in, const float *w, const float *bias,
                                 int c, int h, int wd, int k, int kh, int kw, int stride, int pad);
int    vt_conv2d_out_size       (int size, int kernel, int stride, int pad);

/* Folds BatchNorm (weight, bias, running mean, running var, eps) into
 * scale and shift, in double so the fold adds no rounding of its own. */
void   vt_batchnorm_fold        (float *scale, float *shift, const float *weight, const float *bias,
                                 const float *mean, const float *var, float eps, int c);

/* x += y */
void   vt_add                   (float *x, const float *y, gsize n);
/* x = max(x + y, 0): a residual block's end, in one pass (a NaN stays NaN). */
void   vt_add_relu              (float *x, const float *y, gsize n);

/* Max pooling, -inf padding: in (C, H, W) -> out (C, OH, OW); pad ≤ kernel / 2,
 * as PyTorch requires. */
void   vt_maxpool2d             (float *out, const float *in, int c, int h, int w,
                                 int kernel, int stride, int pad);
/* Average pooling with kernel = stride = @k, no padding, the remainder
 * dropped (nn.AvgPool2d(k)): in (C, H, W) -> out (C, H / k, W / k). */
void   vt_avgpool2d             (float *out, const float *in, int c, int h, int w, int k);
/* Mean over HW: in (C, HW) -> out (C). */
void   vt_global_avgpool        (float *out, const float *in, int c, int hw);

/* LayerNorm over the last dimension: x (N, C) -> y (N, C). */
void   vt_layernorm             (float *y, const float *x, const float *gamma, const float *beta,
                                 int n, int c, float eps);
/* GELU, exact (erf), as nn.GELU(); and QuickGELU x·σ(1.702x), as OpenAI CLIP. */
void   vt_gelu                  (float *x, gsize n);
void   vt_quick_gelu            (float *x, gsize n);
/* The approximations the kernels use, exposed for their tests. */
float  vt_exp_approx            (float x);
float  vt_erf_approx            (float x);

/* out = in / ‖in‖₂ (F.normalize), n values; out may be in. */
void   vt_l2_normalize          (float *out, const float *in, int n);

/* Softmax over each row of x (rows, cols), in place. */
void   vt_softmax_rows          (float *x, int rows, int cols);

/* Multi-head self-attention on packed projections.
 * qkv (T, 3C): q, k, v side by side, head h in columns h·D … h·D+D-1 of each.
 * out (T, C): softmax(q kᵀ / √D [+ causal mask]) v, heads side by side.
 * probs (heads, T, T) receives the probabilities when not NULL; otherwise
 * @scores (T, T) is scratch. */
void   vt_attention_forward     (float *out, float *probs, float *scores, const float *qkv,
                                 int t, int c, int heads, gboolean causal);
/* One head h of the above: writes out[:, h·D … h·D+D-1] and, when @probs
 * is not NULL, probs (T, T) of that head. */
void   vt_attention_head        (float *out, float *probs, float *scores, const float *qkv,
                                 int t, int c, int heads, int h, gboolean causal);
void   vt_attention_forward_naive (float *out, float *probs, const float *qkv,
                                   int t, int c, int heads, gboolean causal);

/* Resamples a grid of vectors, in (H, W, C), to (OH, OW, C) as PyTorch's
 * F.interpolate (mode="bicubic", antialias=True, align_corners=False) does:
 * Keys' cubic with a = -0.5, widened by the scale when shrinking, weights
 * normalized per output, rows first, then columns. timm and OpenCLIP resize
 * position embeddings with exactly this. */
void   vt_resample_bicubic_aa   (float *out, const float *in, int h, int w, int c, int oh, int ow);

G_END_DECLS
