/* vt-gradient-attribution.h: attributions from the gradient of one class
 * logit y = logits[target] with respect to the normalized input x (3, H, W)
 * of each image, and, for ViTs, with respect to the attention:
 *
 *   gradient          map = Σ_c ∂y/∂x_c                       (signed)
 *   gradient_x_input  map = Σ_c x_c ∂y/∂x_c                   (signed)
 *   smoothgrad        map = Σ_c mean_s ∂y/∂x_c (x + σ ε_s),  ε_s ~ N(0, 1)
 *                     per pixel and channel, s = 1 … n (default 25), σ =
 *                     level (default 0.15) · (max − min of the image's x)
 *                     (Smilkov et al. 2017's noise level); signed
 *   ig                Integrated Gradients (Sundararajan et al. 2017), with
 *                     Captum's rules: a_c = (x − x')_c Σ_k w_k ∂y/∂x_c
 *                     (x' + α_k (x − x')), map = Σ_c a_c (signed), and the
 *                     completeness gap Σ_{c,i,j} a − (y(x) − y(x')) over the
 *                     unsummed attributions, in double;
 *                       gausslegendre      α_k = (1 + t_k) / 2, w_k = v_k / 2
 *                                          for the Gauss–Legendre nodes t_k
 *                                          and weights v_k (numpy's leggauss)
 *                       riemann_trapezoid  α_k = k / (n − 1), w_k = 1 / n
 *                                          with w_0, w_{n−1} halved (Captum's
 *                                          step sizes: they sum to (n − 1) / n)
 *                     and the baseline x':
 *                       zeros  0 in normalized space: the mean colour
 *                       black  pixel 0 in [0, 1], normalized: −mean / std
 *                       blur   x blurred per channel by a Gaussian of σ
 *                              pixels (scipy.ndimage.gaussian_filter:
 *                              truncate 4, mode "reflect")
 *                       noise  uniform [0, 1) pixels (numpy's
 *                              random_sample), normalized
 *   gradient_rollout  Chefer et al. 2021 (“Generic attention-model
 *                     explainability”): R = I (T × T); for each block,
 *                     R ← R + Ā R with Ā = mean_heads max(∂y/∂A ⊙ A, 0),
 *                     A the block's attention probabilities
 *                     (blocks.N.attn_probs); the class token's row over the
 *                     patches (prefix tokens dropped) laid on the patch grid
 *                     and up-sampled to the input, bilinear with half-pixel
 *                     centres (vt_attention_upsample). ViTs with a class
 *                     token only.
 *
 * Maps are (H, W) at the input's resolution, not normalized. The random
 * draws (SmoothGrad's ε, the noise baseline) come from one numpy
 * RandomState stream (vt-random.h) seeded with options->seed per call and
 * drawn image after image in batch order, (3, H, W) in C order each time,
 * so np.random.RandomState(seed) reproduces them. The model keeps
 * inference behaviour: VtTrainable runs BatchNorm on its running
 * statistics and has no dropout, and no parameter gradient is needed
 * (those that train accumulate, as every backward pass leaves them). */
#pragma once

#include <gio/gio.h>

#include "core/vt-random.h"
#include "models/vt-trainable.h"

G_BEGIN_DECLS

#define VT_GRADIENT_ATTRIBUTION_ERROR (vt_gradient_attribution_error_quark ())
GQuark vt_gradient_attribution_error_quark (void);

typedef enum
{
  VT_GRADIENT_ATTRIBUTION_ERROR_OPTIONS,  /* an option out of range, an unknown name */
  VT_GRADIENT_ATTRIBUTION_ERROR_TARGET,   /* a target class out of range, or no logits */
  VT_GRADIENT_ATTRIBUTION_ERROR_MODEL,    /* gradient_rollout on a model without attention or class token */
} VtGradientAttributionError;

typedef enum
{
  VT_GRADIENT_ATTRIBUTION_GRADIENT,
  VT_GRADIENT_ATTRIBUTION_GRADIENT_X_INPUT,
  VT_GRADIENT_ATTRIBUTION_SMOOTHGRAD,
  VT_GRADIENT_ATTRIBUTION_IG,
  VT_GRADIENT_ATTRIBUTION_GRADIENT_ROLLOUT,
  VT_GRADIENT_ATTRIBUTION_N_METHODS,
} VtGradientAttributionMethod;

typedef enum
{
  VT_IG_RULE_GAUSS_LEGENDRE,
  VT_IG_RULE_RIEMANN_TRAPEZOID,
  VT_IG_N_RULES,
} VtIgRule;

typedef enum
{
  VT_IG_BASELINE_ZEROS,
  VT_IG_BASELINE_BLACK,
  VT_IG_BASELINE_BLUR,
  VT_IG_BASELINE_NOISE,
  VT_IG_N_BASELINES,
} VtIgBaseline;

typedef struct
{
  int           samples;      /* smoothgrad: n ≥ 1 (25) */
  double        noise_level;  /* smoothgrad: σ / (max − min) ≥ 0 (0.15) */
  VtIgRule      rule;         /* ig (gausslegendre, Captum's default) */
  int           steps;        /* ig: ≥ 1, ≥ 2 for riemann_trapezoid (50) */
  VtIgBaseline  baseline;     /* ig (zeros) */
  double        blur_sigma;   /* ig, blur: the Gaussian's σ in pixels, > 0 (5) */
  guint32       seed;         /* smoothgrad, ig noise (0) */
  /* The checkpoint's normalization (x = (pixel − mean) / std), for the
   * black and noise baselines (ImageNet's). */
  float         mean[3];
  float         std[3];
  /* Images per forward pass (noisy copies, points on the path); 0 = as
   * many as take about 1 GiB (vt_trainable_bytes), at most 64. */
  int           max_batch;
} VtGradientAttributionOptions;

/* The defaults above. */
void        vt_gradient_attribution_options_init  (VtGradientAttributionOptions *options);

/* "gradient", "gradient_x_input", "smoothgrad", "ig", "gradient_rollout":
 * the names in a spec, a maps file and results.json. */
const char *vt_gradient_attribution_method_name   (VtGradientAttributionMethod  method);
/* "Gradient", "Gradient × Input", …: for figures. */
const char *vt_gradient_attribution_method_title  (VtGradientAttributionMethod  method);
/* FALSE for an unknown name, with an error (if @error) naming it and the
 * known ones. */
gboolean    vt_gradient_attribution_method_from_name (const char                   *name,
                                                      VtGradientAttributionMethod  *method,
                                                      GError                      **error);
/* "gausslegendre", "riemann_trapezoid" (Captum's names). */
const char *vt_ig_rule_name                       (VtIgRule                     rule);
gboolean    vt_ig_rule_from_name                  (const char                  *name,
                                                   VtIgRule                    *rule,
                                                   GError                     **error);
/* "zeros", "black", "blur", "noise". */
const char *vt_ig_baseline_name                   (VtIgBaseline                 baseline);
gboolean    vt_ig_baseline_from_name              (const char                  *name,
                                                   VtIgBaseline                *baseline,
                                                   GError                     **error);

/* The method's definition with its options, in one line, for a maps
 * file's metadata and results.json (“ig: sum_c (x - x')_c …; gausslegendre,
 * 50 steps, baseline zeros (…)”). Options that the method does not read
 * are left out. Free with g_free. */
char       *vt_gradient_attribution_definition    (VtGradientAttributionMethod          method,
                                                   const VtGradientAttributionOptions  *options);

/* The nodes α (steps) and weights w (steps) of @rule (see above). */
void        vt_ig_rule_points                     (VtIgRule                     rule,
                                                   int                          steps,
                                                   double                      *alphas,
                                                   double                      *weights);

/* The baseline x' (3, H, W) of one image x (3, H, W) for @options; @random
 * is drawn from for the noise baseline only. */
void        vt_ig_baseline_image                  (const VtGradientAttributionOptions *options,
                                                   const float                  *pixels,
                                                   int                           height,
                                                   int                           width,
                                                   VtRandom                     *random,
                                                   float                        *baseline);

/* @method over a batch through @model (a whole-network backward pass).
 *
 * pixels (B, 3, H, W), normalized. @targets (B) are the classes the maps
 * explain, or NULL for the predicted ones (the argmax of the logits of the
 * images themselves). Writes @targets_out and @predicted_out (B), maps
 * (B, H, W), @gaps (B) for ig (NaN for the other methods; may be NULL) and
 * @seconds (the call's time; may be NULL). FALSE with an error for options
 * out of range, a target out of range, a model without logits, and
 * gradient_rollout on a model that is not a ViT with a class token.
 * Checks @cancellable between forward passes. */
gboolean    vt_gradient_attribute                 (VtTrainable                         *model,
                                                   VtGradientAttributionMethod          method,
                                                   const VtGradientAttributionOptions  *options,
                                                   const float                         *pixels,
                                                   int                                  batch,
                                                   int                                  height,
                                                   int                                  width,
                                                   const gint64                        *targets,
                                                   float                               *maps,
                                                   gint64                              *targets_out,
                                                   gint64                              *predicted_out,
                                                   double                              *gaps,
                                                   double                              *seconds,
                                                   GCancellable                        *cancellable,
                                                   GError                             **error);

G_END_DECLS
