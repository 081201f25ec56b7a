/* vt-cam.h: the class activation map (CAM) family over one layer's
 * activations A (C, h, w) of one image and, for the gradient methods,
 * the gradient G = ∂y/∂A of the target logit y:
 *
 *   gradcam    w_c = mean_ij G_cij;               cam = Σ_c w_c A_c
 *   gradcam++  a_cij = G² / (2 G² + (Σ_ij A_cij) G³ + 1e-6), 0 where G = 0;
 *              w_c = Σ_ij max(G_cij, 0) a_cij;     cam = Σ_c w_c A_c
 *   hirescam   cam = Σ_c G_c ⊙ A_c
 *   xgradcam   w_c = Σ_ij G_cij A_cij / (Σ_ij A_cij + 1e-7);  cam = Σ_c w_c A_c
 *   layercam   cam = Σ_c max(G_c, 0) ⊙ A_c
 *   eigencam   the (hw, C) matrix of A, each channel's mean removed, times
 *              the first right singular vector (LAPACK's dgesdd, jobz "A",
 *              as numpy.linalg.svd): no gradient, and the sign is the
 *              one LAPACK gives
 *   scorecam   each channel up-sampled to the input (bilinear, corners
 *              aligned: torch's UpsamplingBilinear2d), min–max scaled
 *              (+1e-8), masks the input; s_c = the target logit of the
 *              masked input; w = softmax(s);  cam = Σ_c w_c A_c
 *
 * These are jacobgil/pytorch-grad-cam's definitions (its get_cam_weights
 * and get_2d_projection), and its post-processing (vt_cam_postprocess):
 * ReLU, per-image min–max (÷ (max + 1e-7)), bilinear up-sampling with
 * half-pixel centres to the input's size, and min–max once more (its
 * aggregate over target layers, for one layer).
 *
 * A ViT's tokens (T, C) become (C, gh, gw) with vt_cam_tokens_to_grid:
 * the prefix tokens (class, distillation) dropped, the patches laid back
 * on the grid, as pytorch-grad-cam's reshape_transform does. */
#pragma once

#include <gio/gio.h>

#include "models/vt-trainable.h"

G_BEGIN_DECLS

#define VT_CAM_ERROR (vt_cam_error_quark ())
GQuark vt_cam_error_quark (void);

typedef enum
{
  VT_CAM_ERROR_FAILED,    /* the SVD did not converge */
  VT_CAM_ERROR_LAYER,     /* no such layer, or not one a CAM can use */
  VT_CAM_ERROR_TARGET,    /* a target class out of range, or no logits */
} VtCamError;

typedef enum
{
  VT_CAM_GRADCAM,
  VT_CAM_GRADCAM_PLUS_PLUS,
  VT_CAM_HIRESCAM,
  VT_CAM_XGRADCAM,
  VT_CAM_LAYERCAM,
  VT_CAM_EIGENCAM,
  VT_CAM_SCORECAM,
  VT_CAM_N_METHODS,
} VtCamMethod;

/* "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam",
 * "scorecam": the names in a spec, a maps file and results.json. */
const char *vt_cam_method_name       (VtCamMethod   method);
/* "Grad-CAM", "Grad-CAM++", …: for figures. */
const char *vt_cam_method_title      (VtCamMethod   method);
/* The method's formula in one line, for a maps file's definitions. */
const char *vt_cam_method_formula    (VtCamMethod   method);
gboolean    vt_cam_method_from_name  (const char   *name,
                                      VtCamMethod  *method);
/* Whether it reads the target's gradient (all but eigencam, scorecam). */
gboolean    vt_cam_method_uses_gradient (VtCamMethod method);

/* The post-processing of every map, in words. */
#define VT_CAM_POSTPROCESSING "ReLU, min-max (max + 1e-7), bilinear up-sampling with half-pixel centres " \
                              "(align_corners=False) to the input, min-max again"

/* act, grad (C, h, w) -> cam (h, w), before post-processing, for every
 * method but scorecam (vt_cam_score_*). @grad may be NULL for eigencam.
 * FALSE with an error only when eigencam's SVD fails. */
gboolean    vt_cam_raw               (VtCamMethod   method,
                                      const float  *act,
                                      const float  *grad,
                                      int           channels,
                                      int           h,
                                      int           w,
                                      float        *cam,
                                      GError      **error);

/* cam (h, w) -> out (out_h, out_w): ReLU, min–max, bilinear up-sampling
 * with half-pixel centres, min–max (see above). A map that is 0 after
 * the ReLU stays 0. */
void        vt_cam_postprocess       (const float  *cam,
                                      int           h,
                                      int           w,
                                      int           out_h,
                                      int           out_w,
                                      float        *out);

/* Score-CAM's masked inputs for channels first … first + n − 1: each
 * channel of act (C, h, w) up-sampled with the corners aligned and min–max
 * scaled (÷ (max − min + 1e-8)), times pixels (3, H, W) -> out (n, 3, H, W),
 * a batch for the model. */
void        vt_cam_score_inputs      (const float  *pixels,
                                      const float  *act,
                                      int           h,
                                      int           w,
                                      int           first,
                                      int           n,
                                      int           out_h,
                                      int           out_w,
                                      float        *out);
/* scores (C): the target logit of each masked input -> cam (h, w) =
 * Σ_c softmax(scores)_c A_c. */
void        vt_cam_score_combine     (const float  *act,
                                      const float  *scores,
                                      int           channels,
                                      int           h,
                                      int           w,
                                      float        *cam);

/* tokens (T, C) of one image -> grid (C, gh, gw): tokens @prefix … T − 1,
 * row-major over the grid (T = prefix + gh · gw). */
void        vt_cam_tokens_to_grid    (const float  *tokens,
                                      int           n_tokens,
                                      int           channels,
                                      int           prefix,
                                      int           gh,
                                      int           gw,
                                      float        *grid);

/* grid (gh, gw) -> out (out_h, out_w), bilinear with the corners aligned
 * (align_corners=True; a 1-pixel side is that pixel's value). */
void        vt_cam_upsample_corners  (const float  *grid,
                                      int           gh,
                                      int           gw,
                                      int           out_h,
                                      int           out_w,
                                      float        *out);

/* The whole computation for a batch, through @model (a whole-network
 * backward pass, vt-trainable.h).
 *
 * @layer is a tap of shape (B, C, h, w), or with @patch_size > 0 a ViT's
 * tokens (B, T, C) over the (H / patch_size, W / patch_size) grid after
 * T − gh · gw prefix tokens (at most 2). A stage name ("layer3") is its
 * tap "layer3.out". pixels (B, 3, H, W), normalized. @targets (B) are the
 * classes the maps explain, or NULL for the predicted ones (the argmax of
 * the logits). Writes @targets_out and @predicted_out (B), maps[m]
 * (B, H, W) for methods[m], and seconds[m]: the time method m would take
 * alone (the forward pass, the backward pass if it reads the gradient, its
 * own work). Score-CAM runs its masked inputs through @model in batches
 * of @score_batch, after the other methods (they overwrite the tape).
 * Checks @cancellable between images. */
gboolean    vt_cam_compute           (VtTrainable        *model,
                                      const char         *layer,
                                      int                 patch_size,
                                      const float        *pixels,
                                      int                 batch,
                                      int                 height,
                                      int                 width,
                                      const gint64       *targets,
                                      const VtCamMethod  *methods,
                                      int                 n_methods,
                                      int                 score_batch,
                                      gint64             *targets_out,
                                      gint64             *predicted_out,
                                      float * const      *maps,
                                      double             *seconds,
                                      GCancellable       *cancellable,
                                      GError            **error);

/* After a forward pass of @model on @height × @width images: the layers
 * vt_cam_compute takes, the stages ("layer1" …) or blocks' norm1 first,
 * then every other tap it could use; and the default (the last stage, or
 * the last block's norm1), NULL if there is none. */
GPtrArray  *vt_cam_layer_names       (VtTrainable        *model,
                                      int                 patch_size,
                                      int                 height,
                                      int                 width,
                                      char              **default_layer);

G_END_DECLS
