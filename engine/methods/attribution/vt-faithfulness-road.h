/* vt-faithfulness-road.h: ROAD, RemOve And Debias (Rong, Leemann, Nguyen,
 * Fiedler, Qian, Unhelkar, Seidel, Kasneci, Kasneci; ICML 2022): at each
 * percentage p, the floor(H·W·p / 100) most relevant pixels (MoRF) or
 * least relevant ones (LeRF) are removed (vt-map-rank.h: largest first,
 * ties by index) and filled by noisy linear imputation
 * (vt-road-imputation.h); the model, not retrained, classifies the result.
 *
 *   vt_road_accuracy            the paper's measure: per percentage, the
 *                               fraction of images classified as their
 *                               label (values: 1 or 0 per image; mean:
 *                               the accuracy curve)
 *   vt_road_confidence_change   pytorch-grad-cam's variant (its
 *                               ROADMostRelevantFirstAverage and
 *                               ROADLeastRelevantFirstAverage): per image,
 *                               the target's softmax probability after
 *                               imputation minus before, and its mean over
 *                               the percentages (summary)
 *
 * Where they differ from the code they come from, on purpose:
 * - ties: the official code adds 1e-4 · N(0, 1) to the rescaled map to
 *   break them at random; pytorch-grad-cam thresholds at np.percentile and
 *   removes every pixel tied at the threshold (a constant map: all). Here
 *   ties go by pixel index, and exactly floor(H·W·p / 100) pixels go.
 * - LeRF at p removes the p % least relevant pixels, as the paper plots
 *   it; the official ImputedDataset(remove=False, th_p) removes all but
 *   the th_p most relevant, i.e. its th_p is 1 − p/100 here.
 * - pytorch-grad-cam's percentile q removes the pixels at or above the
 *   q-th percentile, 100 − q % of them (for either order), so its q is
 *   p = 100 − q here; over 10 … 90 its averages are over the same set.
 *
 * Batched: a percentage's images of a batch go through the classifier in
 * one call. */
#pragma once

#include <gio/gio.h>

#include "vt-faithfulness-classifier.h"
#include "vt-faithfulness-result.h"

G_BEGIN_DECLS

typedef enum
{
  VT_ROAD_MORF,   /* most relevant first */
  VT_ROAD_LERF,   /* least relevant first */
} VtRoadOrder;

typedef struct
{
  const double *percentages;     /* each in [0, 100); default 10, 20, … 90 */
  int           n_percentages;
  double        noise[3];        /* σ per channel, in the images' units; 0.01 */
  guint32       seed;            /* the noise's numpy seed; 0 */
  int           batch_size;      /* images per classifier call; 64 */
} VtRoadOptions;

void         vt_road_options_init   (VtRoadOptions *options);
/* "morf", "lerf". */
const char  *vt_road_order_name     (VtRoadOrder    order);

/* pixels (N, 3, H, W) normalized, maps (N, H, W); @labels (N), or NULL
 * for the classes predicted on the images (agreement with the model). */
VtFaithfulnessCurve *vt_road_accuracy          (VtRoadOrder           order,
                                                VtClassifier         *classifier,
                                                const float          *pixels,
                                                const float          *maps,
                                                int                   n_images,
                                                int                   height,
                                                int                   width,
                                                const gint64         *labels,
                                                const VtRoadOptions  *options,
                                                GCancellable         *cancellable,
                                                GError              **error);
/* @targets (N), or NULL for the predicted classes. */
VtFaithfulnessCurve *vt_road_confidence_change (VtRoadOrder           order,
                                                VtClassifier         *classifier,
                                                const float          *pixels,
                                                const float          *maps,
                                                int                   n_images,
                                                int                   height,
                                                int                   width,
                                                const gint64         *targets,
                                                const VtRoadOptions  *options,
                                                GCancellable         *cancellable,
                                                GError              **error);

/* removed (H·W) for one image: 1 for the pixels @order removes at
 * @percentage, from its ranking @ranked (vt_map_rank). */
void         vt_road_removed        (VtRoadOrder    order,
                                     const guint   *ranked,
                                     gsize          n_pixels,
                                     double         percentage,
                                     guint8        *removed);

G_END_DECLS
