/* vt-optim.c: SGD, Adam, AdamW, schedules and clipping.
 *
 * The updates follow torch.optim's (1.13, single-tensor path) step for
 * step, so that ten steps from one start agree with PyTorch's to float
 * rounding; each element's arithmetic is in double, stored as float. */
#include "vt-optim.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-optim-error-quark, vt_optim_error)

typedef struct
{
  double lr;
  double weight_decay;
} Group;

typedef struct
{
  int    group;
  float *value;
  float *grad;
  gsize  n;
  float *m;   /* SGD's momentum buffer, or Adam's first moment */
  float *v;   /* Adam's second moment */
} Param;

struct _VtOptimizer
{
  VtOptimizerSettings settings;
  VtSchedule          schedule;
  GArray             *groups;   /* Group */
  GArray             *params;   /* Param */
  int                 step;
};

gboolean
vt_schedule_validate (const VtSchedule *s,
                      GError          **error)
{
  const char *bad = NULL;

  if (s->warmup < 0)
    bad = "warmup must be 0 or more";
  else if (s->warmup > 0 && !(s->warmup_start > 0.0 && s->warmup_start <= 1.0))
    bad = "warmup_start must be in (0, 1]";
  else if (s->kind == VT_SCHEDULE_STEP && s->step_size < 1)
    bad = "step_size must be 1 or more";
  else if ((s->kind == VT_SCHEDULE_STEP || s->kind == VT_SCHEDULE_MULTI_STEP) && !(s->gamma > 0.0))
    bad = "gamma must be above 0";
  else if (s->kind == VT_SCHEDULE_MULTI_STEP
           && (s->n_milestones < 0 || s->n_milestones > VT_SCHEDULE_MAX_MILESTONES))
    bad = "too many milestones";
  else if (s->kind == VT_SCHEDULE_COSINE && s->total <= s->warmup)
    bad = "total must be above warmup";
  else if (s->kind == VT_SCHEDULE_COSINE && !(s->min_lr >= 0.0))
    bad = "min_lr must be 0 or more";
  for (int i = 1; bad == NULL && s->kind == VT_SCHEDULE_MULTI_STEP && i < s->n_milestones; i++)
    if (s->milestones[i] <= s->milestones[i - 1])
      bad = "milestones must increase";
  if (bad != NULL)
    {
      g_set_error (error, VT_OPTIM_ERROR, VT_OPTIM_ERROR_INVALID, "schedule: %s", bad);
      return FALSE;
    }
  return TRUE;
}

double
vt_schedule_lr (const VtSchedule *s,
                double            base_lr,
                int               step)
{
  int t = step - s->warmup, passed = 0;

  if (step < s->warmup)
    return base_lr * (s->warmup_start + (1.0 - s->warmup_start) * step / s->warmup);
  switch (s->kind)
    {
    case VT_SCHEDULE_STEP:
      return base_lr * pow (s->gamma, t / s->step_size);
    case VT_SCHEDULE_MULTI_STEP:
      while (passed < s->n_milestones && s->milestones[passed] <= t)
        passed++;
      return base_lr * pow (s->gamma, passed);
    case VT_SCHEDULE_COSINE:
      {
        int span = s->total - s->warmup;

        if (t >= span)
          return s->min_lr;
        return s->min_lr + (base_lr - s->min_lr) * (1.0 + cos (G_PI * t / span)) / 2.0;
      }
    case VT_SCHEDULE_CONSTANT:
    default:
      return base_lr;
    }
}

VtOptimizer *
vt_optimizer_new (const VtOptimizerSettings *settings,
                  const VtSchedule          *schedule,
                  GError                   **error)
{
  VtOptimizer *self;
  const char *bad = NULL;

  if (!(settings->momentum >= 0.0 && settings->momentum < 1.0))
    bad = "momentum must be in [0, 1)";
  else if (settings->nesterov && !(settings->momentum > 0.0))
    bad = "nesterov needs a momentum above 0";
  else if (settings->kind != VT_OPTIMIZER_SGD
           && !(settings->beta1 >= 0.0 && settings->beta1 < 1.0 && settings->beta2 >= 0.0
                && settings->beta2 < 1.0))
    bad = "betas must be in [0, 1)";
  else if (settings->kind != VT_OPTIMIZER_SGD && !(settings->eps > 0.0))
    bad = "eps must be above 0";
  if (bad != NULL)
    {
      g_set_error (error, VT_OPTIM_ERROR, VT_OPTIM_ERROR_INVALID, "optimizer: %s", bad);
      return NULL;
    }
  if (!vt_schedule_validate (schedule, error))
    return NULL;
  self = g_new0 (VtOptimizer, 1);
  self->settings = *settings;
  self->schedule = *schedule;
  self->groups = g_array_new (FALSE, FALSE, sizeof (Group));
  self->params = g_array_new (FALSE, FALSE, sizeof (Param));
  return self;
}

void
vt_optimizer_free (VtOptimizer *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);

      g_free (p->m);
      g_free (p->v);
    }
  g_array_unref (self->params);
  g_array_unref (self->groups);
  g_free (self);
}

int
vt_optimizer_add_group (VtOptimizer *self,
                        double       lr,
                        double       weight_decay)
{
  Group g = { lr, weight_decay };

  g_array_append_val (self->groups, g);
  return (int) self->groups->len - 1;
}

void
vt_optimizer_add_param (VtOptimizer *self,
                        int          group,
                        float       *value,
                        float       *grad,
                        gsize        n)
{
  Param p = { group, value, grad, n, NULL, NULL };

  g_return_if_fail (group >= 0 && (guint) group < self->groups->len);
  /* the state starts at zero: torch's first SGD step copies the gradient
   * into the buffer, which the step below does by hand */
  p.m = g_new0 (float, n);
  if (self->settings.kind != VT_OPTIMIZER_SGD)
    p.v = g_new0 (float, n);
  g_array_append_val (self->params, p);
}

double
vt_optimizer_get_lr (VtOptimizer *self,
                     int          group)
{
  return vt_schedule_lr (&self->schedule, g_array_index (self->groups, Group, group).lr, self->step);
}

int
vt_optimizer_get_step (VtOptimizer *self)
{
  return self->step;
}

void
vt_optimizer_zero_grad (VtOptimizer *self)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);

      memset (p->grad, 0, sizeof (float) * p->n);
    }
}

static void
sgd_step (const VtOptimizerSettings *s,
          Param                     *p,
          double                     lr,
          double                     wd,
          gboolean                   first)
{
  for (gsize i = 0; i < p->n; i++)
    {
      double g = p->grad[i] + wd * p->value[i];

      if (s->momentum > 0.0)
        {
          /* torch: the buffer is the gradient itself at the first step */
          double buf = first ? g : s->momentum * p->m[i] + g;

          p->m[i] = (float) buf;
          g = s->nesterov ? g + s->momentum * p->m[i] : p->m[i];
        }
      p->value[i] = (float) (p->value[i] - lr * g);
    }
}

static void
adam_step (const VtOptimizerSettings *s,
           Param                     *p,
           double                     lr,
           double                     wd,
           int                        t)
{
  double bc1 = 1.0 - pow (s->beta1, t), bc2 = 1.0 - pow (s->beta2, t);
  gboolean decoupled = s->kind == VT_OPTIMIZER_ADAMW;

  for (gsize i = 0; i < p->n; i++)
    {
      double x = p->value[i], g = p->grad[i];

      if (decoupled)
        x *= 1.0 - lr * wd;
      else
        g += wd * x;
      p->m[i] = (float) (s->beta1 * p->m[i] + (1.0 - s->beta1) * g);
      p->v[i] = (float) (s->beta2 * p->v[i] + (1.0 - s->beta2) * g * g);
      x -= lr / bc1 * p->m[i] / (sqrt (p->v[i]) / sqrt (bc2) + s->eps);
      p->value[i] = (float) x;
    }
}

void
vt_optimizer_step (VtOptimizer *self)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);
      Group *g = &g_array_index (self->groups, Group, p->group);
      double lr = vt_schedule_lr (&self->schedule, g->lr, self->step);

      if (self->settings.kind == VT_OPTIMIZER_SGD)
        sgd_step (&self->settings, p, lr, g->weight_decay, self->step == 0);
      else
        adam_step (&self->settings, p, lr, g->weight_decay, self->step + 1);
    }
  self->step++;
}

double
vt_optimizer_clip_grad_norm (VtOptimizer *self,
                             double       max_norm)
{
  double sq = 0.0, norm, coef;

  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);

      for (gsize j = 0; j < p->n; j++)
        sq += (double) p->grad[j] * p->grad[j];
    }
  norm = sqrt (sq);
  coef = max_norm / (norm + 1e-6);
  if (!isfinite (norm) || coef >= 1.0)
    return norm;
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);

      for (gsize j = 0; j < p->n; j++)
        p->grad[j] = (float) (p->grad[j] * coef);
    }
  return norm;
}
