/* vt-step-faithfulness.h: the constructor of the faithfulness step that
 * the window uses (the Attribution area's metrics panel). The step's keys
 * and run are in vt-step-faithfulness.c; a spec sets every option, the
 * constructor the few the panel offers, each metric otherwise with its
 * defaults (RISE's substrates, ROAD's 10 … 90 % in both orders). */
#pragma once

#include "run/vt-step.h"

G_BEGIN_DECLS

/* @methods: attribution method names ("gradcam", …) and @metrics: metric
 * names ("deletion", "insertion", "road", …), both NULL-terminated and
 * non-empty, each with its defaults; NULL with an error naming the first
 * unknown one. The target is the predicted class; every sample of the
 * dataset (its @split, may be NULL) is measured unless
 * vt_faithfulness_step_set_samples says otherwise. */
VtStep   *vt_faithfulness_step_new          (const char         *id,
                                             const char         *checkpoint,
                                             const char         *dataset,
                                             const char         *split,
                                             const char * const *methods,
                                             const char * const *metrics,
                                             GError            **error);
/* The dataset indices to measure (copied); n 0: every sample. */
void      vt_faithfulness_step_set_samples  (VtStep             *step,
                                             const guint        *samples,
                                             guint               n);
/* The layer the layer-reading methods use; NULL: the model's default. */
void      vt_faithfulness_step_set_layer    (VtStep             *step,
                                             const char         *layer);
/* Deletion's and insertion's "steps". */
void      vt_faithfulness_step_set_steps    (VtStep             *step,
                                             guint               steps);

G_END_DECLS
