/* vt-norm.h: BatchNorm2d (eval and training mode) and LayerNorm, forward
 * and backward. Backward passes accumulate (+=); any gradient may be NULL. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* BatchNorm in eval mode, x (N, C, HW) -> y (N, C, HW): the running
 * statistics folded into a scale and shift per channel (vt_batchnorm_fold,
 * as the forward passes do today). Its backward pass needs the statistics
 * again for the parameters' gradients:
 *   dx += dy · γ / √(var + eps),  dγ += Σ dy · (x − mean) / √(var + eps),  dβ += Σ dy. */
void vt_batchnorm_eval_forward  (float *y, const float *x, const float *gamma, const float *beta,
                                 const float *mean, const float *var, float eps,
                                 int n, int c, int hw);
void vt_batchnorm_eval_backward (float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *gamma, const float *mean,
                                 const float *var, float eps, int n, int c, int hw);

/* BatchNorm in training mode: normalizes with the batch's own statistics
 * over N·HW (variance biased), and keeps save_mean (C) and save_rstd (C)
 * for the backward pass. When running_mean and running_var are not NULL
 * they move towards the batch's, as PyTorch does: r = (1 − momentum) r +
 * momentum · batch, the variance unbiased (× M / (M − 1), M = N·HW).
 * M must be above 1: callers refuse M = 1 first, as PyTorch does
 * (vt-trainable-resnet.c's resnet_check_layout). */
void vt_batchnorm_train_forward (float *y, float *save_mean, float *save_rstd,
                                 float *running_mean, float *running_var,
                                 const float *x, const float *gamma, const float *beta,
                                 float eps, float momentum, int n, int c, int hw);
void vt_batchnorm_train_backward (float *dx, float *dgamma, float *dbeta, const float *dy,
                                  const float *x, const float *gamma, const float *save_mean,
                                  const float *save_rstd, int n, int c, int hw);
/* The forward pass's statistics of channel @ch alone: save_mean[ch],
 * save_rstd[ch] and the running update of running_mean[ch] and
 * running_var[ch], for callers that apply the normalization themselves
 * (the trainable ResNets fold it into their convolutions' epilogue) and
 * share the channels among threads. */
void vt_batchnorm_train_statistics (float *save_mean, float *save_rstd,
                                    float *running_mean, float *running_var,
                                    const float *x, float eps, float momentum,
                                    int n, int c, int hw, int ch);
/* Its parts, for a caller that sums plane by plane as it computes them
 * (one pass, about a @shift near the mean: the trainable ResNets take the
 * running mean): Σ (x − shift) and Σ (x − shift)² over @hw values, in
 * double, added to *sum and *sq; then, from the sums over M = N·HW
 * values, what vt_batchnorm_train_statistics gives. */
void vt_batchnorm_plane_moments    (const float *x, gsize hw, double shift, double *sum, double *sq);
void vt_batchnorm_finish_statistics (float *save_mean, float *save_rstd,
                                     float *running_mean, float *running_var,
                                     double shift, double sum, double sq, double m,
                                     float eps, float momentum, int ch);

/* LayerNorm over the last dimension, x (N, C) -> y (N, C); keeps mean (N)
 * and rstd (N) for the backward pass. gamma and beta (C) may be NULL (no
 * affine part). */
void vt_layernorm_forward       (float *y, float *mean, float *rstd, const float *x,
                                 const float *gamma, const float *beta, int n, int c, float eps);
void vt_layernorm_backward      (float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *gamma, const float *mean,
                                 const float *rstd, int n, int c);

G_END_DECLS
