/* vt-randomization.h: the model randomization sanity check of Adebayo et
 * al., "Sanity Checks for Saliency Maps" (NeurIPS 2018, section 3.1): if a
 * method's maps barely change when the model's learned weights are
 * replaced by random ones, the maps do not explain what the model learned.
 *
 * The layers are the model's blocks, top first: "head" (the classifier and
 * the final norm), then each block by its name ("layer3.2", "blocks.11"),
 * then "stem" (a ResNet's first convolution and norm; a ViT's patch
 * embedding, class token and position embedding). Orders:
 *   cascading    step s re-initializes the first s layers listed, so the
 *                randomization reaches from the head down to the input
 *   independent  step s re-initializes layer s alone
 * After each step every method's maps are computed again (for the classes
 * explained on the trained model) and compared with the trained model's
 * maps, image by image: Spearman's rank correlation of the two maps (ranks
 * with ties averaged, scipy.stats.spearmanr), and the same of their
 * absolute values, as the paper reports both; and, as its figures do, the
 * structural similarity (SSIM) of the two maps, each min–max scaled to [0,
 * 1], as scikit-image's structural_similarity computes it with its
 * defaults (data_range 1, a 7 × 7 uniform window, K1 0.01, K2 0.03, the
 * sample covariance, the mean over the pixels 3 or more from the border).
 * A constant map has no ranks to correlate nor range to scale: NaN.
 *
 * Re-initialization is PyTorch's default for each layer type (torch.nn's
 * reset_parameters): a convolution's or linear layer's weight
 * kaiming_uniform_(a = √5), that is U(−b, b) with b = 1/√fan_in, fan_in =
 * the weight's elements / its output channels; its bias U(−b, b) with the
 * same b; a BatchNorm's or LayerNorm's scale 1 and shift 0. A parameter no
 * torch.nn layer owns (a ViT's class and distillation tokens, position
 * embedding, CLIP's projection) gets N(0, 0.02²), timm's init of pos_embed.
 * BatchNorm's running statistics are buffers, not parameters: they stay
 * the checkpoint's. Draws come from numpy's RandomState (vt-random.h)
 * seeded with seed + the layer's position in vt_randomization_layers, each
 * parameter in the model's order, U(−b, b) as −b + 2b·random_sample(),
 * so a layer gets the same values in either order and a numpy script
 * reproduces them.
 *
 * The checkpoint is never written: a re-initialized parameter is a copy
 * (vt_trainable_train_param), and vt_randomization_restore drops every
 * copy, which leaves every parameter frozen, the checkpoint's again. */
#pragma once

#include <gio/gio.h>

#include "methods/attribution/vt-faithfulness-result.h"
#include "models/vt-trainable.h"

G_BEGIN_DECLS

typedef enum
{
  VT_RANDOMIZATION_CASCADING,
  VT_RANDOMIZATION_INDEPENDENT,
} VtRandomizationOrder;

typedef struct
{
  VtRandomizationOrder   order;    /* cascading */
  guint32                seed;     /* 0 */
  /* The layers to randomize (names of vt_randomization_layers), taken top
   * first whatever their order here; NULL: every layer. */
  const char * const    *layers;
  /* Whether the result keeps every step's maps (n_steps × n_methods × N
   * maps: for a few images, to look at or to check). */
  gboolean               keep_maps;
} VtRandomizationOptions;

void         vt_randomization_options_init (VtRandomizationOptions *options);
/* "cascading", "independent". */
const char  *vt_randomization_order_name   (VtRandomizationOrder    order);

/* The model's layers, top first: "head", the blocks, "stem" (g_strfreev). */
GStrv        vt_randomization_layers       (VtTrainable            *model);

/* Re-initializes layer @layer of @model (a name of vt_randomization_layers)
 * as the header says, seeded with @seed; FALSE with
 * VT_FAITHFULNESS_ERROR_INVALID naming the layers if there is none of that
 * name. */
gboolean     vt_randomization_reinit       (VtTrainable            *model,
                                            const char             *layer,
                                            guint32                 seed,
                                            GError                **error);
/* Every parameter the checkpoint's again, frozen. */
void         vt_randomization_restore      (VtTrainable            *model);

/* Spearman's ρ of a (n) and b (n), of |a| and |b| when @absolute: the
 * Pearson correlation of their ranks, ties given their mean rank; NaN if
 * either is constant. */
double       vt_randomization_spearman     (const float            *a,
                                            const float            *b,
                                            gsize                   n,
                                            gboolean                absolute);

/* SSIM of a (H, W) and b (H, W), each min–max scaled to [0, 1] first, as
 * the header says; NaN if either is constant or smaller than 7 × 7. */
double       vt_randomization_ssim         (const float            *a,
                                            const float            *b,
                                            int                     height,
                                            int                     width);

/* What is compared: Spearman's ρ of the maps, of their absolute values,
 * their SSIM. */
typedef enum
{
  VT_RANDOMIZATION_SPEARMAN,
  VT_RANDOMIZATION_SPEARMAN_ABS,
  VT_RANDOMIZATION_SSIM,
  VT_RANDOMIZATION_N_MEASURES,
} VtRandomizationMeasure;

/* Computes maps[m] (N, H, W) of every method m for the images, with
 * @model as it is now. */
typedef gboolean (*VtRandomizationMaps) (VtTrainable   *model,
                                         float * const *maps,
                                         gpointer       user_data,
                                         GCancellable  *cancellable,
                                         GError       **error);

typedef struct
{
  VtRandomizationOrder  order;
  int                   n_steps;
  char                **layers;        /* (n_steps): the layer re-initialized at each step */
  int                   n_methods;
  int                   n_images;
  /* (n_methods, n_steps, n_images) per VtRandomizationMeasure: ρ of
   * method m's map of an image after step s against its map on the
   * trained model; of absolute values; SSIM. */
  double               *measures[VT_RANDOMIZATION_N_MEASURES];
  /* With keep_maps, (n_steps × n_methods): maps[s · n_methods + m] (N, H,
   * W), method m's maps after step s; else NULL. */
  float               **maps;
} VtRandomizationResult;

/* @original[m] (N, H, W): method m's maps on the trained model. Checks
 * @cancellable between steps (and @compute, between its batches); restores
 * @model before it returns, whether it succeeded or not. */
VtRandomizationResult *vt_randomization_run  (VtTrainable                  *model,
                                              const VtRandomizationOptions *options,
                                              const float * const          *original,
                                              int                           n_methods,
                                              int                           n_images,
                                              int                           height,
                                              int                           width,
                                              VtRandomizationMaps           compute,
                                              gpointer                      user_data,
                                              GCancellable                 *cancellable,
                                              GError                      **error);
void         vt_randomization_result_free  (VtRandomizationResult  *result);

/* Method @method's @measure as a curve over the steps (x = 1 … n_steps;
 * values per image; the summary of an image is its mean over the steps),
 * with @definition (taken). */
VtFaithfulnessCurve *vt_randomization_curve (const VtRandomizationResult *result,
                                             int                          method,
                                             VtRandomizationMeasure       measure,
                                             char                        *definition);
/* What the numbers of @measure are, in one line (g_free). */
char        *vt_randomization_definition   (const VtRandomizationResult *result,
                                            guint32                      seed,
                                            VtRandomizationMeasure       measure);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtRandomizationResult, vt_randomization_result_free)

G_END_DECLS
