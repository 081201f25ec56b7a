/* vt-optim.h: optimizers (SGD with momentum, Nesterov and weight decay;
 * Adam; AdamW), learning-rate schedules with a linear warm-up, parameter
 * groups, and gradient clipping by norm, as torch.optim computes them.
 *
 * A parameter is a value and its gradient (n floats each), the gradient
 * filled by the backward passes; the optimizer keeps its own state per
 * parameter (momentum, moments). Each parameter belongs to a group with its
 * own base learning rate and weight decay (a slow backbone, a fast head);
 * the schedule scales every group's rate the same way. The arithmetic is
 * deterministic: the same start and gradients give the same parameters. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_OPTIM_ERROR (vt_optim_error_quark ())
GQuark vt_optim_error_quark (void);

typedef enum
{
  VT_OPTIM_ERROR_INVALID,   /* a setting out of range */
} VtOptimError;

typedef enum
{
  VT_OPTIMIZER_SGD,
  VT_OPTIMIZER_ADAM,    /* weight decay added to the gradient (L2), as torch.optim.Adam */
  VT_OPTIMIZER_ADAMW,   /* weight decay applied to the value, decoupled */
} VtOptimizerKind;

typedef struct
{
  VtOptimizerKind kind;
  double          momentum;    /* SGD; 0 for none */
  gboolean        nesterov;    /* SGD, needs momentum > 0 */
  double          beta1, beta2, eps;   /* Adam and AdamW */
} VtOptimizerSettings;

typedef enum
{
  VT_SCHEDULE_CONSTANT,
  VT_SCHEDULE_STEP,        /* × gamma every step_size steps */
  VT_SCHEDULE_MULTI_STEP,  /* × gamma at each milestone */
  VT_SCHEDULE_COSINE,      /* from the base rate to min_lr over total − warmup steps */
} VtScheduleKind;

#define VT_SCHEDULE_MAX_MILESTONES 16

typedef struct
{
  VtScheduleKind kind;
  int            warmup;          /* steps of linear warm-up, 0 for none */
  double         warmup_start;    /* the warm-up's first factor, in (0, 1] */
  int            step_size;       /* STEP */
  double         gamma;           /* STEP, MULTI_STEP */
  int            milestones[VT_SCHEDULE_MAX_MILESTONES];   /* MULTI_STEP, increasing, */
  int            n_milestones;                             /* counted after the warm-up */
  int            total;           /* COSINE: all steps, warm-up included */
  double         min_lr;          /* COSINE */
} VtSchedule;

/* Checks a schedule's settings; the message names the field. */
gboolean vt_schedule_validate (const VtSchedule *schedule,
                               GError          **error);
/* The learning rate at step @step (0 for the first) of a group whose base
 * rate is @base_lr: during the warm-up base · (s + (1 − s) · step / warmup),
 * then the schedule on t = step − warmup, as PyTorch's LinearLR followed
 * (SequentialLR) by StepLR, MultiStepLR or CosineAnnealingLR gives it.
 * Cosine stays at min_lr past its end. */
double   vt_schedule_lr       (const VtSchedule *schedule,
                               double            base_lr,
                               int               step);

typedef struct _VtOptimizer VtOptimizer;

VtOptimizer *vt_optimizer_new       (const VtOptimizerSettings *settings,
                                     const VtSchedule          *schedule,
                                     GError                   **error);
void         vt_optimizer_free      (VtOptimizer *self);

/* A new group; returns its index. */
int          vt_optimizer_add_group (VtOptimizer *self,
                                     double       lr,
                                     double       weight_decay);
/* Adds a parameter to @group: @value and @grad (n floats) stay the
 * caller's and must outlive the optimizer. */
void         vt_optimizer_add_param (VtOptimizer *self,
                                     int          group,
                                     float       *value,
                                     float       *grad,
                                     gsize        n);

/* The learning rate @group uses at the next step. */
double       vt_optimizer_get_lr    (VtOptimizer *self,
                                     int          group);
int          vt_optimizer_get_step  (VtOptimizer *self);
/* Sets every gradient to 0. */
void         vt_optimizer_zero_grad (VtOptimizer *self);
/* One update of every parameter from its gradient, at the scheduled
 * rate; then the schedule moves on one step. */
void         vt_optimizer_step      (VtOptimizer *self);

/* Scales every gradient by max_norm / (‖g‖ + 1e-6) when that is below 1,
 * ‖g‖ the L2 norm of all of them together, as clip_grad_norm_; returns
 * ‖g‖ (before clipping). A NaN or infinite norm is returned and nothing
 * is scaled, so that the caller can stop the run. */
double       vt_optimizer_clip_grad_norm (VtOptimizer *self,
                                          double       max_norm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtOptimizer, vt_optimizer_free)

G_END_DECLS
