/* vt-active-strategy.h: which unlabeled samples to ask about.
 *
 * Each strategy picks n of the pool's U samples from the learner's
 * probabilities (U, K) and the pool's features (U, D):
 *   random             n draws without replacement: for i < n, swap
 *                      perm[i] with perm[i + below(U − i)] (vt-active-rng)
 *   least_confidence   the largest 1 − maxₖ p
 *   margin             the smallest p₍₁₎ − p₍₂₎ (the two largest)
 *   entropy            the largest −Σₖ p log p (0 log 0 = 0)
 *   coreset            k-center greedy (Sener and Savarese 2018): again and
 *                      again the sample farthest (squared Euclidean) from
 *                      the labeled set and the picks so far; with nothing
 *                      labeled, the first pick is random
 *   badge              k-means++ seeding (Ash et al. 2020) on the gradient
 *                      embeddings gᵢ = (pᵢ − onehot(argmax pᵢ)) ⊗ xᵢ: first
 *                      the largest ‖gᵢ‖, then each next with probability
 *                      D²(gᵢ) / Σ D², drawn as the first i whose running sum
 *                      of D² exceeds uniform() · Σ D²
 * Scores are computed in double from the float inputs, but for the
 * distances of coreset and BADGE: ‖a‖² + ‖b‖² − 2 a · b with the dot
 * products of a pick against the whole pool in one float matrix-vector
 * product (a 50,000-sample pool is then milliseconds a pick). Equal scores
 * go to the lower index. The picks are in the order they were made (scores:
 * best first). tests/reference/make_active_fixtures.py implements each in
 * numpy. */
#pragma once

#include "vt-active-rng.h"

G_BEGIN_DECLS

typedef enum
{
  VT_ACTIVE_RANDOM,
  VT_ACTIVE_LEAST_CONFIDENCE,
  VT_ACTIVE_MARGIN,
  VT_ACTIVE_ENTROPY,
  VT_ACTIVE_CORESET,
  VT_ACTIVE_BADGE,
  VT_ACTIVE_N_STRATEGIES,
} VtActiveStrategy;

/* "random", "least_confidence", "margin", "entropy", "coreset", "badge";
 * NULL-terminated, in VtActiveStrategy's order. */
extern const char * const vt_active_strategy_names[];

/* The pool a strategy chooses from. */
typedef struct
{
  guint         n;           /* U */
  guint         k;
  guint         dim;
  const float  *probs;       /* (U, K); not read by random and coreset */
  const float  *features;    /* (U, D); read by coreset and badge */
  const float  *labeled;     /* (L, D): the labeled samples' features (coreset) */
  guint         n_labeled;
} VtActivePool;

/* Writes min(@n, U) pool indices to @picks; returns how many. */
guint  vt_active_select  (VtActiveStrategy     strategy,
                          const VtActivePool  *pool,
                          guint                n,
                          VtActiveRng         *rng,
                          guint               *picks);

/* The uncertainty of each sample (U), larger for more uncertain:
 * 1 − max p, −(p₍₁₎ − p₍₂₎) or the entropy. */
void   vt_active_scores  (VtActiveStrategy     strategy,
                          const VtActivePool  *pool,
                          double              *scores);

G_END_DECLS
