/* vt-step-active.h: the "active" step's options (oracle mode: the store's
 * own labels answer) and the constructor the window uses. */
#pragma once

#include "run/vt-step.h"
#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-active-strategy.h"
#include "methods/active/vt-pcb.h"

G_BEGIN_DECLS

#define VT_ACTIVE_MAX_SEEDS 64

/* The bits of VtActiveStep.pcb. */
#define VT_ACTIVE_WITHOUT_PCB (1u << 0)
#define VT_ACTIVE_WITH_PCB    (1u << 1)

typedef struct
{
  VtStep                  base;
  char                   *store;        /* the pool: an extract step's id or a path */
  char                   *test;         /* where accuracy is measured */
  VtActiveLearnerOptions  learner;      /* its seed is set per run from @seeds */
  guint                   strategies;   /* bits of VtActiveStrategy */
  guint                   pcb;          /* VT_ACTIVE_WITHOUT_PCB | VT_ACTIVE_WITH_PCB */
  VtPcbFallback           pcb_fallback;
  double                  candidates;   /* PCB: the base strategy's share of the pool */
  guint                   rounds;       /* after the random first round */
  guint                   budget;       /* labels per round */
  guint                   initial;      /* the random first round's size */
  guint                   pool_samples; /* the pool is the store's first this many; 0: all */
  guint                   seeds[VT_ACTIVE_MAX_SEEDS];
  guint                   n_seeds;
  VtFigureFormats         formats;
} VtActiveStep;

/* Every strategy with and without PCB, 8 rounds of 10 after 10 random,
 * seed 0, a linear head. */
VtActiveStep *vt_active_step_new (const char *id,
                                  const char *store,
                                  const char *test);

G_END_DECLS
