/* vt-faithfulness-localization.h: how well maps (N, H, W) find the object
 * where ground-truth masks (N, H, W) hold it (values 0 or 1; anything else
 * is an error). Images whose mask is empty do not count (their values are
 * NaN), except in COMET's variant, which counts pixels over the whole set.
 *
 *   pixel AP          per image, scikit-learn's average_precision_score of
 *                     the mask's pixels scored by the map: Σ_k (R_k −
 *                     R_{k−1}) P_k over the map's distinct values, largest
 *                     first (tied pixels enter together); the mean over
 *                     images
 *   COMET's pixel AP  what Zood123/COMET's MaskEvaluator computes: maps
 *                     in [0, 1] (else an error), histograms of the
 *                     positive and negative pixels of all images over the
 *                     bins [i/40, (i+1)/40) for i = 1 … 38 and [39/40, 1]
 *                     (values below 1/40 are left out), cumulated from the
 *                     top bin; a first point tp = 1, fp = 0, fn = 10000
 *                     put in front as its code does; AP = Σ P_k (R_k −
 *                     R_{k−1}) over the points with tp + fp > 0. COMET
 *                     prints it × 100; here it stays a fraction.
 *   pointing game     TorchRay's PointingGame: the map's first largest
 *                     pixel (row-major, numpy's argmax) hits when some mask
 *                     pixel lies at a distance below the tolerance (15
 *                     pixels, TorchRay's default; it was set for 224 × 224
 *                     images); the fraction of hits over images (TorchRay
 *                     averages per class, which needs the classes)
 *   IoU curve         for k = 5, 10, … 95: the IoU of the top floor(H·W·k /
 *                     100) pixels (vt-map-rank.h: ties by index) with the
 *                     mask; summary: the trapezoid rule over k, divided by
 *                     its range
 *   mask mass         the share of a map's positive mass that lies on the
 *                     mask, Σ max(s, 0)·mask / Σ max(s, 0) (Score-CAM's
 *                     "energy-based pointing game", Wang et al. 2020); the
 *                     mean over images. A map with no positive mass has no
 *                     share (NaN, not counted). On a dataset whose
 *                     background agrees with the label, it says how much of
 *                     a method's attention the object gets, not the cue. */
#pragma once

#include <glib.h>

#include "vt-faithfulness-result.h"

G_BEGIN_DECLS

#define VT_POINTING_GAME_TOLERANCE 15

VtFaithfulnessScores *vt_localization_pixel_ap      (const float  *maps,
                                                     const float  *masks,
                                                     int           n_images,
                                                     int           height,
                                                     int           width,
                                                     GError      **error);
VtFaithfulnessScores *vt_localization_comet_ap      (const float  *maps,
                                                     const float  *masks,
                                                     int           n_images,
                                                     int           height,
                                                     int           width,
                                                     GError      **error);
/* @tolerance ≥ 0 pixels. */
VtFaithfulnessScores *vt_localization_pointing_game (const float  *maps,
                                                     const float  *masks,
                                                     int           n_images,
                                                     int           height,
                                                     int           width,
                                                     int           tolerance,
                                                     GError      **error);
VtFaithfulnessScores *vt_localization_mask_mass     (const float  *maps,
                                                     const float  *masks,
                                                     int           n_images,
                                                     int           height,
                                                     int           width,
                                                     GError      **error);
VtFaithfulnessCurve  *vt_localization_iou_curve     (const float  *maps,
                                                     const float  *masks,
                                                     int           n_images,
                                                     int           height,
                                                     int           width,
                                                     GError      **error);

G_END_DECLS
