/* vt-faithfulness.h: deletion and insertion as RISE defines them
 * (Petsiuk, Das and Saenko, BMVC 2018; eclique/RISE evaluation.py).
 *
 * The pixels of each image are ranked by the map (vt-map-rank.h: largest
 * first, ties by index). Deletion starts from the image and insertion
 * from the substrate; step by step the next chunk of ranked pixels (all
 * three channels) takes the value of the other. The score is the softmax
 * probability of the target class (the class predicted on the image,
 * unless given), read before the first step and after each: steps + 1
 * points at x = 0, 1/steps, … 1. Chunk i holds the pixels ranked
 * floor(i·HW/steps) … floor((i+1)·HW/steps) − 1: RISE's `step` pixels
 * per iteration when steps divides HW, as 32 divides 32 × 32 and 224 × 224.
 * The AUC is RISE's auc: the trapezoid rule over [0, 1].
 *
 * Substrates (RISE's pairing: deletion to zeros, insertion from blur):
 *   zeros  0 in normalized space (the dataset's mean colour)
 *   blur   RISE's gkern(11, 5) by conv2d with zero padding 5, per channel:
 *          the 11 × 11 kernel is k ⊗ k with k = scipy's gaussian_filter1d
 *          (σ 5, truncate 4, mode "reflect") of a unit impulse at the
 *          centre of 11 samples, so it is applied separably, rows then
 *          columns, in double.
 *
 * Batched: each step's images of a batch go through the classifier in
 * one call. */
#pragma once

#include <gio/gio.h>

#include "vt-faithfulness-classifier.h"
#include "vt-faithfulness-result.h"

G_BEGIN_DECLS

typedef enum
{
  VT_FAITHFULNESS_DELETION,
  VT_FAITHFULNESS_INSERTION,
} VtFaithfulnessGame;

typedef enum
{
  VT_FAITHFULNESS_SUBSTRATE_ZEROS,
  VT_FAITHFULNESS_SUBSTRATE_BLUR,
} VtFaithfulnessSubstrate;

#define VT_FAITHFULNESS_BLUR_SIZE 11
#define VT_FAITHFULNESS_BLUR_SIGMA 5.0

typedef struct
{
  int                      steps;       /* 1 … H·W; 32 */
  VtFaithfulnessSubstrate  substrate;   /* zeros */
  int                      batch_size;  /* images per classifier call; 64 */
} VtFaithfulnessOptions;

void         vt_faithfulness_options_init     (VtFaithfulnessOptions        *options);
/* "deletion", "insertion"; "zeros", "blur". */
const char  *vt_faithfulness_game_name        (VtFaithfulnessGame            game);
const char  *vt_faithfulness_substrate_name   (VtFaithfulnessSubstrate       substrate);
gboolean     vt_faithfulness_substrate_from_name (const char                *name,
                                                  VtFaithfulnessSubstrate   *substrate);

/* RISE's 1-D blur kernel k (VT_FAITHFULNESS_BLUR_SIZE). */
void         vt_faithfulness_blur_kernel      (double                       *kernel);
/* pixels (3, H, W) -> out (3, H, W), the blur substrate. */
void         vt_faithfulness_blur             (const float                  *pixels,
                                               int                           height,
                                               int                           width,
                                               float                        *out);

/* pixels (N, 3, H, W) normalized, maps (N, H, W); @targets (N) or NULL
 * for the predicted classes. A curve per image (values: probabilities;
 * summary: the AUC). Checks @cancellable between steps. */
VtFaithfulnessCurve *vt_faithfulness_run      (VtFaithfulnessGame            game,
                                               VtClassifier                 *classifier,
                                               const float                  *pixels,
                                               const float                  *maps,
                                               int                           n_images,
                                               int                           height,
                                               int                           width,
                                               const gint64                 *targets,
                                               const VtFaithfulnessOptions  *options,
                                               GCancellable                 *cancellable,
                                               GError                      **error);

G_END_DECLS
