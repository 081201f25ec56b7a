/* vt-road-imputation.h: ROAD's noisy linear imputation (Rong, Leemann et
 * al., ICML 2022; tleemann/road_evaluation, NoisyLinearImputer).
 *
 * Each removed pixel takes the weighted mean of its 8 neighbours inside
 * the image, direct neighbours weighing 1/6 and diagonal ones 1/12, where
 * removed neighbours are unknowns too: for removed pixel i with in-image
 * neighbour weights w_ij (s_i = Σ_j w_ij),
 *
 *   s_i x_i − Σ_{j removed} w_ij x_j = Σ_{k kept} w_ik v_k,
 *
 * one sparse system per channel. The official code solves it with
 * scipy's spsolve (its matrix is the negative of this one); this matrix
 * is symmetric, diagonally dominant and, whenever some pixel is kept,
 * positive definite, so conjugate gradients solve it, here to a relative
 * residual of 1e-11, far inside the 1e-6 test-engine/test-faithfulness.c
 * asks against spsolve. Then N(0, σ_c²) noise is added to each imputed
 * value: the official default σ is 0.01 on [0, 1] pixels (road.py's
 * NoisyLinearImputer(noise=0.01)), so on normalized pixels σ_c = 0.01 /
 * std_c. The system is linear and each row's weights sum to s_i, so
 * imputing normalized pixels is normalizing imputed ones.
 *
 * The noise comes in as standard normal draws, channel by channel and the
 * removed pixels in row-major order, as numpy's
 * RandomState.standard_normal((3, n_removed)) gives them (vt-random.h
 * draws the same stream), so that images can be imputed in parallel from
 * draws made in order. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* image (3, H, W), removed (H, W) (non-zero: removed) -> out (3, H, W):
 * kept pixels copied, removed ones imputed, plus noise[c] · gauss[c, i]
 * for the i-th removed pixel; with @gauss (3, n_removed) NULL, no noise
 * (and @noise may be NULL). FALSE with an error if every pixel is removed
 * (nothing to impute from) or the solver does not converge. */
gboolean  vt_road_impute  (const float   *image,
                           const guint8  *removed,
                           int            height,
                           int            width,
                           const double  *noise,
                           const double  *gauss,
                           float         *out,
                           GError       **error);

G_END_DECLS
