/* vt-active-round.h: one round of active learning with a person answering,
 * as the Labeling area runs it in a worker: retrain the head on the labels
 * so far, measure it on a test store, and rank the pool's samples not yet
 * decided into the next queue, each with the head's guess and top five.
 *
 * vt_active_round_select is the choosing part alone (a strategy, under PCB
 * or not), which the `active` step's oracle loop shares. */
#pragma once

#include "features/vt-feature-store.h"
#include "vt-active-learner.h"
#include "vt-active-strategy.h"
#include "vt-label-journal.h"
#include "vt-pcb.h"

G_BEGIN_DECLS

/* How the next samples are chosen. */
typedef struct
{
  VtActiveStrategy  strategy;
  gboolean          pcb;
  VtPcbFallback     pcb_fallback;
  double            candidates;   /* PCB: the base strategy's share of the unlabeled pool */
} VtActiveChoice;

/* Picks up to @budget of the first @n_pool rows of @pool that are not
 * @taken (n_pool flags: labeled or otherwise decided), scored by @learner's
 * probabilities (NULL: a random pick, for a first round with no labels).
 * @labeled_rows (n_labeled store rows) are what coreset measures distance
 * from; @counts (K) the labels per class so far, which PCB starts from (it
 * is not changed). Writes store rows to @picks (budget), in the order
 * picked, and, when @pick_probs is not NULL, the learner's probabilities
 * of each pick to it (budget, K); PCB's shortfalls are appended to
 * @shortfalls (VtPcbShortfall; may be NULL). Returns how many were picked. */
guint vt_active_round_select (const VtFeatureStore *pool,
                              guint                 n_pool,
                              const gboolean       *taken,
                              const guint          *labeled_rows,
                              guint                 n_labeled,
                              VtActiveLearner      *learner,
                              const VtActiveChoice *choice,
                              const double         *counts,
                              guint                 budget,
                              VtActiveRng          *rng,
                              guint                *picks,
                              float                *pick_probs,
                              GArray               *shortfalls);

typedef struct
{
  VtActiveLearnerOptions  learner;   /* seeds the head; the round's picks draw from seed + round */
  VtActiveChoice          choice;
  guint                   budget;    /* samples in the queue */
  VtActiveClip           *clip;      /* the pool's CLIP checkpoint (borrowed): the zero_shot and coop learners need it */
  /* The last round's learner (VtActiveRound.learner) to train again, or
   * NULL for a new one: with learner.warm_start its training starts from
   * its weights. The round takes it over (frees it on error). */
  VtActiveLearner        *reuse;
} VtActiveRoundOptions;

#define VT_ACTIVE_ROUND_TOP 5

/* The next queue. */
typedef struct
{
  guint    round;
  guint    n;            /* samples in the queue (fewer than the budget when the pool runs out) */
  guint    k;            /* classes */
  guint   *rows;         /* (n): store rows */
  gint64  *samples;      /* (n): their dataset indices (pool->indices), as the journal names them */
  gint32  *guess;        /* (n): the head's class, or -1 when nothing was labeled yet */
  float   *probs;        /* (n, K): the head's probabilities (zeros without a head) */
  guint    n_top;        /* min(K, VT_ACTIVE_ROUND_TOP) */
  guint   *top;          /* (n, n_top): classes, most likely first (ties: lower class) */
  guint    n_labeled;    /* labels the head was trained on */
  double   accuracy;     /* on the test store; NaN without labels or without a test store */
  GArray  *shortfalls;   /* VtPcbShortfall */
  VtActiveLearner *learner;   /* the head trained (or the one reused), NULL without labels; owned */
} VtActiveRound;

/* Runs round @round on @pool given the standing @decisions (the journal's:
 * labels train the head; labeled and skipped samples are not asked again).
 * @test (may be NULL) must have @pool's classes and dimension. With no
 * label yet the queue is a random pick with no guess. FALSE-y (NULL) with
 * @error when a decision names a sample the pool does not hold, a label is
 * out of range, training diverges, or @cancellable is cancelled. */
VtActiveRound *vt_active_round_run  (const VtFeatureStore        *pool,
                                     const VtFeatureStore        *test,
                                     const VtActiveRoundOptions  *options,
                                     const VtLabelDecision       *decisions,
                                     guint                        n_decisions,
                                     guint                        round,
                                     GCancellable                *cancellable,
                                     GError                     **error);
void           vt_active_round_free (VtActiveRound *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtActiveRound, vt_active_round_free)

G_END_DECLS
