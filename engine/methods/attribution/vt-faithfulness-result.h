/* vt-faithfulness-result.h: what a faithfulness or localization metric
 * hands back, and the metrics' error domain.
 *
 * Every result carries its definition (metric, substrate or imputation,
 * steps or percentages, the score), the string results.json and figures
 * show beside the number, so that two numbers are never compared without
 * knowing that they measure the same thing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_FAITHFULNESS_ERROR (vt_faithfulness_error_quark ())
GQuark vt_faithfulness_error_quark (void);

typedef enum
{
  VT_FAITHFULNESS_ERROR_INVALID,     /* a bad option or input (steps, percentages, a map, a mask) */
  VT_FAITHFULNESS_ERROR_CLASSIFIER,  /* the classifier's output does not fit (classes, a target) */
  VT_FAITHFULNESS_ERROR_FAILED,      /* the imputation's solver did not converge */
} VtFaithfulnessError;

/* A curve per image over the same x, their mean, and a summary per image
 * (an AUC, or a mean over the points; the definition says which). An
 * image whose values are NaN (an empty ground-truth mask) does not count:
 * its summary is NaN and the means leave it out. */
typedef struct
{
  char   *definition;
  int     n_images;
  int     n_points;
  double *x;             /* (n_points) */
  double *values;        /* (n_images, n_points) */
  double *mean;          /* (n_points): the mean over images */
  double *summary;       /* (n_images) */
  int     n_counted;     /* images that count */
  double  mean_summary;  /* the mean of summary */
} VtFaithfulnessCurve;

/* A number per image, NaN where an image does not count (its mask is
 * empty), or only a number for the whole set (values NULL). */
typedef struct
{
  char   *definition;
  int     n_images;
  double *values;        /* (n_images) or NULL */
  int     n_counted;     /* images that count */
  double  mean;          /* over the images that count, or the set's number */
} VtFaithfulnessScores;

/* Zero-filled, with x, values, mean and summary allocated. */
VtFaithfulnessCurve  *vt_faithfulness_curve_new    (int                   n_images,
                                                    int                   n_points,
                                                    char                 *definition);
void                  vt_faithfulness_curve_free   (VtFaithfulnessCurve  *curve);
/* Fills mean, and summary and mean_summary: with @auc, the trapezoid rule
 * over x, divided by the x range (RISE's auc when x runs over [0, 1] in
 * equal steps); else the mean over the points. */
void                  vt_faithfulness_curve_finish (VtFaithfulnessCurve  *curve,
                                                    gboolean              auc);

/* With values allocated (NaN-filled) unless @per_image is FALSE. */
VtFaithfulnessScores *vt_faithfulness_scores_new   (int                   n_images,
                                                    gboolean              per_image,
                                                    char                 *definition);
void                  vt_faithfulness_scores_free  (VtFaithfulnessScores *scores);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFaithfulnessCurve, vt_faithfulness_curve_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtFaithfulnessScores, vt_faithfulness_scores_free)

G_END_DECLS
