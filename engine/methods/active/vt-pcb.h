/* vt-pcb.h: PCB, "Active Prompt Learning in Vision Language Models"
 * (Bang et al., CVPR 2024), the class balancing of kaist-dmlab/pcb's
 * trainers/active_learning/pcb.py.
 *
 * A base strategy proposes candidates (a share of the pool, 10% by
 * default); PCB then asks for n of them: again and again it takes the
 * class with the fewest labels so far (the first of equals), shuffles the
 * candidates predicted as that class (vt_active_rng_shuffle) and takes the
 * first not yet taken, counting one more label for that class. When none
 * is left, the official code takes a random candidate not yet taken
 * (randint over the candidates until a free one comes, with below()) and
 * counts nothing; VT_PCB_NEXT_CLASS instead tries the class with the next
 * fewest labels, and falls back to random only when no class has a
 * candidate left. Either way each time is reported. */
#pragma once

#include "vt-active-rng.h"

G_BEGIN_DECLS

typedef enum
{
  VT_PCB_RANDOM,       /* as the official code */
  VT_PCB_NEXT_CLASS,
} VtPcbFallback;

/* "random", "next_class"; NULL-terminated. */
extern const char * const vt_pcb_fallback_names[];

/* One time the class with the fewest labels had no candidate left. */
typedef struct
{
  guint  pick;        /* which of the n picks */
  guint  klass;       /* the class that had none */
  guint  taken_from;  /* the class taken instead (NEXT_CLASS), or G_MAXUINT: a random candidate */
} VtPcbShortfall;

/* Picks min(@n, @n_candidates) of @candidates (pool indices) into @picks,
 * in the order taken. @predicted (per pool index) is the learner's class;
 * @counts (K) the labels per class so far, updated as the official code
 * does. Each shortfall is appended to @shortfalls (VtPcbShortfall; may be
 * NULL). Returns how many were picked. */
guint  vt_pcb_select  (const guint     *candidates,
                       guint            n_candidates,
                       const guint     *predicted,
                       double          *counts,
                       guint            n_classes,
                       guint            n,
                       VtPcbFallback    fallback,
                       VtActiveRng     *rng,
                       guint           *picks,
                       GArray          *shortfalls);

G_END_DECLS
