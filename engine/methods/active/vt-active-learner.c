/* vt-active-learner.c: the linear and cosine heads and their training,
 * and the CLIP learners, which are cosine heads with rows from the text
 * tower. */
#include "vt-active-learner.h"
#include "vt-active-rng.h"
#include "vt-coop.h"
#include "models/vt-zero-shot.h"
#include "nn/vt-cosine.h"
#include "nn/vt-linear.h"
#include "nn/vt-loss.h"
#include "nn/vt-ops.h"
#include "nn/vt-optim.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-active-error-quark, vt_active_error)

/* Rows scored at once: bounds the cosine head's normalized copies. */
#define PROBS_BLOCK 4096

struct _VtActiveLearner
{
  VtActiveLearnerOptions options;
  guint   dim, k;
  float  *w, *b;        /* (K, dim), (K) */
  float  *dw, *db;
  gboolean trained;
  float   scale;        /* the cosine logits' */
  VtCoop *coop;         /* the coop learner's prompts */
};

void
vt_active_learner_options_init (VtActiveLearnerOptions *options)
{
  memset (options, 0, sizeof *options);
  options->kind = VT_ACTIVE_LEARNER_LINEAR;
  options->cosine_scale = 10.0;
  options->lr = 0.1;
  options->momentum = 0.9;
  options->weight_decay = 5e-4;
  options->epochs = 100;
  options->n_ctx = 16;
}

void
vt_active_learner_options_defaults (VtActiveLearnerOptions *options,
                                    VtActiveLearnerKind     kind)
{
  VtActiveLearnerOptions defaults;

  vt_active_learner_options_init (&defaults);
  if (kind == VT_ACTIVE_LEARNER_COOP)
    {
      VtCoopOptions coop;

      vt_coop_options_init (&coop);
      defaults.lr = coop.lr;
      defaults.momentum = coop.momentum;
      defaults.weight_decay = coop.weight_decay;
      defaults.epochs = coop.epochs;
      defaults.batch = coop.batch;
    }
  options->kind = kind;
  options->lr = defaults.lr;
  options->momentum = defaults.momentum;
  options->weight_decay = defaults.weight_decay;
  options->epochs = defaults.epochs;
  options->batch = defaults.batch;
}

static void
initialize (VtActiveLearner *self)
{
  VtActiveRng rng;
  double bound = 1.0 / sqrt ((double) self->dim);

  vt_active_rng_init (&rng, self->options.seed);
  for (gsize i = 0; i < (gsize) self->k * self->dim; i++)
    self->w[i] = (float) ((2.0 * vt_active_rng_uniform (&rng) - 1.0) * bound);
  memset (self->b, 0, self->k * sizeof (float));
}

/* The head's arrays, at its seeded start. */
static VtActiveLearner *
learner_alloc (const VtActiveLearnerOptions *options,
               guint                         dim,
               guint                         n_classes)
{
  VtActiveLearner *self = g_new0 (VtActiveLearner, 1);

  self->options = *options;
  self->dim = dim;
  self->k = n_classes;
  self->w = g_new (float, (gsize) n_classes * dim);
  self->dw = g_new (float, (gsize) n_classes * dim);
  self->b = g_new0 (float, n_classes);
  self->db = g_new0 (float, n_classes);
  self->scale = (float) options->cosine_scale;
  initialize (self);
  return self;
}

VtActiveLearner *
vt_active_learner_new (const VtActiveLearnerOptions *options,
                       guint                         dim,
                       guint                         n_classes)
{
  g_return_val_if_fail (dim > 0 && n_classes > 0, NULL);
  /* the CLIP learners need their checkpoint: vt_active_learner_new_clip */
  g_return_val_if_fail (!VT_ACTIVE_LEARNER_IS_CLIP (options->kind), NULL);
  return learner_alloc (options, dim, n_classes);
}

VtActiveLearner *
vt_active_learner_new_clip (const VtActiveLearnerOptions *options,
                            VtActiveClip                 *clip,
                            GError                      **error)
{
  g_autoptr(VtActiveLearner) self = NULL;
  const char * const *names = (const char * const *) clip->class_names;
  gboolean ok;

  g_return_val_if_fail (VT_ACTIVE_LEARNER_IS_CLIP (options->kind), NULL);
  self = learner_alloc (options, clip->dim, g_strv_length (clip->class_names));
  self->scale = vt_model_get_logit_scale (clip->model);
  if (options->kind == VT_ACTIVE_LEARNER_ZERO_SHOT)
    ok = vt_zero_shot_class_embeddings (clip->model, clip->tokenizer, names, VT_DEFAULT_PROMPT, self->w, error);
  else
    {
      VtCoopOptions coop;

      vt_coop_options_init (&coop);
      coop.n_ctx = options->n_ctx;
      coop.csc = options->csc;
      coop.lr = options->lr;
      coop.momentum = options->momentum;
      coop.weight_decay = options->weight_decay;
      coop.epochs = options->epochs;
      coop.batch = options->batch;
      coop.seed = options->seed;
      /* before any label, the head of the starting prompts */
      ok = (self->coop = vt_coop_new (clip->model, clip->tokenizer, names, &coop, error)) != NULL &&
           vt_coop_class_embeddings (self->coop, self->w, error);
    }
  return ok ? g_steal_pointer (&self) : NULL;
}

void
vt_active_learner_free (VtActiveLearner *self)
{
  if (self == NULL)
    return;
  g_free (self->w);
  g_free (self->dw);
  g_free (self->b);
  g_free (self->db);
  vt_coop_free (self->coop);
  g_free (self);
}

VtActiveLearnerKind
vt_active_learner_get_kind (VtActiveLearner *self)
{
  return self->options.kind;
}

guint
vt_active_learner_get_dim (VtActiveLearner *self)
{
  return self->dim;
}

const float *
vt_active_learner_weight (VtActiveLearner *self)
{
  return self->w;
}

const float *
vt_active_learner_bias (VtActiveLearner *self)
{
  return self->b;
}

/* Scratch for a batch of at most n rows. */
typedef struct
{
  float  *x, *logits, *probs, *dlogits;
  float  *x_hat, *x_norm, *w_hat, *w_norm;   /* cosine head */
  gint32 *target;
} Batch;

static void
batch_clear (Batch *batch)
{
  g_free (batch->x);
  g_free (batch->logits);
  g_free (batch->probs);
  g_free (batch->dlogits);
  g_free (batch->x_hat);
  g_free (batch->x_norm);
  g_free (batch->w_hat);
  g_free (batch->w_norm);
  g_free (batch->target);
}

/* logits (n, K) of x (n, dim); the cosine head keeps its normalized rows. */
static void
forward (VtActiveLearner *self,
         Batch           *batch,
         const float     *x,
         float           *logits,
         guint            n)
{
  if (self->options.kind == VT_ACTIVE_LEARNER_LINEAR)
    vt_linear_forward (logits, x, self->w, self->b, (int) n, (int) self->dim, (int) self->k);
  else
    vt_cosine_logits_forward (logits, batch->x_hat, batch->x_norm, batch->w_hat, batch->w_norm, x, self->w,
                              self->scale, (int) n, (int) self->k, (int) self->dim);
}

gboolean
vt_active_check_labels (const guint  *rows,
                        const gint32 *labels,
                        guint         n,
                        guint         k,
                        GError      **error)
{
  if (n == 0)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID, "no labeled samples to train on");
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (labels[i] < 0 || (guint) labels[i] >= k)
      {
        g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                     "label %d of sample row %u is outside the %u classes", labels[i], rows[i], k);
        return FALSE;
      }
  return TRUE;
}

gboolean
vt_active_learner_train (VtActiveLearner *self,
                         const float     *features,
                         const guint     *rows,
                         const gint32    *labels,
                         guint            n,
                         GError         **error)
{
  const VtActiveLearnerOptions *o = &self->options;
  VtOptimizerSettings settings = { .kind = VT_OPTIMIZER_SGD, .momentum = o->momentum };
  VtSchedule schedule = { .kind = VT_SCHEDULE_CONSTANT };
  g_autoptr(VtOptimizer) optimizer = NULL;
  guint b = o->batch == 0 || o->batch > n ? n : o->batch;
  g_autofree guint *order = NULL;
  Batch batch = { 0 };
  VtActiveRng rng;
  gboolean ok = TRUE;
  int group;

  if (!vt_active_check_labels (rows, labels, n, self->k, error))
    return FALSE;
  /* zero_shot does not learn; coop learns its prompts, and its head is
   * their text embeddings */
  if (o->kind == VT_ACTIVE_LEARNER_ZERO_SHOT)
    return TRUE;
  if (o->kind == VT_ACTIVE_LEARNER_COOP)
    {
      if (!o->warm_start || !self->trained)
        vt_coop_reset (self->coop);
      self->trained = vt_coop_train (self->coop, features, rows, labels, n, NULL, error) &&
                      vt_coop_class_embeddings (self->coop, self->w, error);
      return self->trained;
    }
  if (!o->warm_start || !self->trained)
    initialize (self);
  if (!(optimizer = vt_optimizer_new (&settings, &schedule, error)))
    return FALSE;
  group = vt_optimizer_add_group (optimizer, o->lr, o->weight_decay);
  vt_optimizer_add_param (optimizer, group, self->w, self->dw, (gsize) self->k * self->dim);
  if (o->kind == VT_ACTIVE_LEARNER_LINEAR)
    vt_optimizer_add_param (optimizer, group, self->b, self->db, self->k);

  order = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  batch.x = g_new (float, (gsize) b * self->dim);
  batch.logits = g_new (float, (gsize) b * self->k);
  batch.probs = g_new (float, (gsize) b * self->k);
  batch.dlogits = g_new (float, (gsize) b * self->k);
  batch.target = g_new (gint32, b);
  if (o->kind != VT_ACTIVE_LEARNER_LINEAR)
    {
      batch.x_hat = g_new (float, (gsize) b * self->dim);
      batch.x_norm = g_new (float, b);
      batch.w_hat = g_new (float, (gsize) self->k * self->dim);
      batch.w_norm = g_new (float, self->k);
    }
  vt_active_rng_init (&rng, o->seed + 1);
  for (guint epoch = 0; epoch < o->epochs && ok; epoch++)
    {
      if (b < n)
        vt_active_rng_shuffle (&rng, order, n);
      for (guint start = 0; start < n && ok; start += b)
        {
          guint m = MIN (b, n - start);
          double loss;

          for (guint i = 0; i < m; i++)
            {
              memcpy (batch.x + (gsize) i * self->dim, features + (gsize) rows[order[start + i]] * self->dim,
                      self->dim * sizeof (float));
              batch.target[i] = labels[order[start + i]];
            }
          forward (self, &batch, batch.x, batch.logits, m);
          loss = vt_cross_entropy_forward (batch.probs, batch.logits, batch.target, NULL, (int) m, (int) self->k,
                                           0.0f, -100, error);
          if (!isfinite (loss))
            {
              if (error && *error == NULL)
                g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_DIVERGED,
                             "the loss became %g at epoch %u: lower the learning rate (now %g)", loss, epoch + 1, o->lr);
              ok = FALSE;
              break;
            }
          vt_optimizer_zero_grad (optimizer);
          memset (batch.dlogits, 0, (gsize) m * self->k * sizeof (float));
          vt_cross_entropy_backward (batch.dlogits, batch.probs, batch.target, NULL, (int) m, (int) self->k, 0.0f,
                                     -100, 1.0f);
          if (o->kind == VT_ACTIVE_LEARNER_LINEAR)
            vt_linear_backward (NULL, self->dw, self->db, batch.dlogits, batch.x, self->w, (int) m, (int) self->dim,
                                (int) self->k);
          else
            vt_cosine_logits_backward (NULL, self->dw, NULL, batch.dlogits, batch.x_hat, batch.x_norm, batch.w_hat,
                                       batch.w_norm, self->scale, (int) m, (int) self->k, (int) self->dim);
          vt_optimizer_step (optimizer);
        }
    }
  batch_clear (&batch);
  self->trained = ok;
  return ok;
}

void
vt_active_learner_probs (VtActiveLearner *self,
                         const float     *features,
                         guint            n,
                         float           *probs)
{
  Batch batch = { 0 };
  guint block = MIN (n, PROBS_BLOCK);

  if (n == 0)
    return;
  if (self->options.kind != VT_ACTIVE_LEARNER_LINEAR)
    {
      batch.x_hat = g_new (float, (gsize) block * self->dim);
      batch.x_norm = g_new (float, block);
      batch.w_hat = g_new (float, (gsize) self->k * self->dim);
      batch.w_norm = g_new (float, self->k);
    }
  for (guint start = 0; start < n; start += block)
    {
      guint m = MIN (block, n - start);
      float *out = probs + (gsize) start * self->k;

      forward (self, &batch, features + (gsize) start * self->dim, out, m);
      vt_softmax_rows (out, (int) m, (int) self->k);
    }
  batch_clear (&batch);
}

double
vt_active_learner_accuracy (VtActiveLearner *self,
                            const float     *features,
                            const gint64    *labels,
                            guint            n)
{
  g_autofree float *probs = NULL;
  guint correct = 0;

  if (n == 0)
    return NAN;
  probs = g_new (float, (gsize) n * self->k);
  vt_active_learner_probs (self, features, n, probs);
  for (guint i = 0; i < n; i++)
    {
      const float *p = probs + (gsize) i * self->k;
      guint best = 0;

      for (guint c = 1; c < self->k; c++)
        if (p[c] > p[best])
          best = c;
      correct += (gint64) best == labels[i];
    }
  return (double) correct / n;
}
