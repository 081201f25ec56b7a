/* vt-coop.c: CoOp's prompts, their loss and its gradient through the frozen
 * text tower, and their training. */
#include "vt-coop.h"
#include "vt-active-learner.h"
#include "vt-active-rng.h"
#include "models/vt-trainable.h"
#include "nn/vt-cosine.h"
#include "nn/vt-loss.h"
#include "nn/vt-optim.h"

#include <math.h>
#include <string.h>

struct _VtCoop
{
  VtCoopOptions  options;
  VtTrainable   *text;
  guint          k, dim, width, length;
  float          scale;
  gint64        *ids;          /* (K, L): SOT, n_ctx placeholders, the class name, ".", EOT, padding */
  float         *embeddings;   /* (K, L, C): the token embeddings, the context at 1 … n_ctx */
  float         *context;      /* (n_ctx, C) or (K, n_ctx, C) */
  float         *dcontext;     /* the same, the optimizer's gradient */
};

void
vt_coop_options_init (VtCoopOptions *options)
{
  memset (options, 0, sizeof *options);
  options->n_ctx = 16;
  options->lr = 0.002;
  options->momentum = 0.9;
  options->weight_decay = 5e-4;
  options->epochs = 50;
  options->batch = 32;
}

void
vt_coop_free (VtCoop *self)
{
  if (self == NULL)
    return;
  vt_trainable_free (self->text);
  g_free (self->ids);
  g_free (self->embeddings);
  g_free (self->context);
  g_free (self->dcontext);
  g_free (self);
}

guint
vt_coop_get_n_classes (VtCoop *self)
{
  return self->k;
}

guint
vt_coop_get_dim (VtCoop *self)
{
  return self->dim;
}

guint
vt_coop_get_length (VtCoop *self)
{
  return self->length;
}

const gint64 *
vt_coop_get_ids (VtCoop *self)
{
  return self->ids;
}

float
vt_coop_get_scale (VtCoop *self)
{
  return self->scale;
}

float *
vt_coop_get_context (VtCoop *self)
{
  return self->context;
}

gsize
vt_coop_get_context_size (VtCoop *self)
{
  return (gsize) (self->options.csc ? self->k : 1) * self->options.n_ctx * self->width;
}

void
vt_coop_reset (VtCoop *self)
{
  VtActiveRng rng;

  /* nn.init.normal_(ctx_vectors, std=0.02), from our own stream */
  vt_active_rng_init (&rng, self->options.seed);
  for (gsize i = 0; i < vt_coop_get_context_size (self); i++)
    {
      double u1 = vt_active_rng_uniform (&rng), u2 = vt_active_rng_uniform (&rng);

      self->context[i] = (float) (0.02 * sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * G_PI * u2));
    }
}

/* The prompt ids of every class, cut after the longest one's end token:
 * (K, context) ids from the tokenizer, then kept to their first L. */
static gboolean
tokenize_prompts (VtCoop              *self,
                  VtTokenizer         *tokenizer,
                  const char * const  *class_names,
                  int                  context,
                  GError             **error)
{
  g_autofree gint64 *full = g_new0 (gint64, (gsize) self->k * context);
  g_autoptr(GString) prefix = g_string_new (NULL);
  guint length = 0;

  for (guint j = 0; j < self->options.n_ctx; j++)
    g_string_append (prefix, "X ");
  for (guint c = 0; c < self->k; c++)
    {
      g_autofree char *name = g_strdelimit (g_strdup (class_names[c]), "_", ' ');
      g_autofree char *prompt = g_strdup_printf ("%s%s.", prefix->str, name);
      g_autoptr(GArray) tokens = vt_tokenizer_encode (tokenizer, prompt);
      gint64 *row = full + (gsize) c * context;

      if (tokens->len + 2 > (guint) context)
        {
          g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                       "the CoOp prompt of class “%s” takes %u tokens with %u context vectors, more than the text "
                       "tower's context of %d: use fewer context vectors (n_ctx)",
                       class_names[c], tokens->len + 2, self->options.n_ctx, context);
          return FALSE;
        }
      vt_tokenizer_tokenize (tokenizer, prompt, context, row);
      /* the context's placeholders must be one token each, where the
       * context vectors go */
      for (guint j = 1; j < self->options.n_ctx; j++)
        if (row[1 + j] != row[1])
          {
            g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                         "the tokenizer does not make one token of each “X” of the CoOp prompt “%s”", prompt);
            return FALSE;
          }
      length = MAX (length, tokens->len + 2);
    }
  self->length = length;
  self->ids = g_new (gint64, (gsize) self->k * length);
  for (guint c = 0; c < self->k; c++)
    memcpy (self->ids + (gsize) c * length, full + (gsize) c * context, length * sizeof (gint64));
  return TRUE;
}

VtCoop *
vt_coop_new (VtModel              *model,
             VtTokenizer          *tokenizer,
             const char * const   *class_names,
             const VtCoopOptions  *options,
             GError              **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  g_autoptr(VtCoop) self = g_new0 (VtCoop, 1);
  const VtTrainableParam *token_embedding;

  g_return_val_if_fail (options->n_ctx > 0, NULL);
  self->options = *options;
  self->k = g_strv_length ((char **) class_names);
  self->dim = arch->embed_dim;
  self->width = arch->text_width;
  self->scale = vt_model_get_logit_scale (model);
  if (self->k == 0)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID, "no class names to learn prompts for");
      return NULL;
    }
  if (self->scale <= 0.0f ||
      !(self->text = vt_trainable_new_text (vt_model_get_checkpoint (model), arch, error)))
    {
      if (error && *error == NULL)
        g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID, "%s: CoOp needs a CLIP checkpoint's logit scale",
                     vt_checkpoint_get_path (vt_model_get_checkpoint (model)));
      return NULL;
    }
  /* the tower is frozen: only the gradient of its token embeddings is wanted */
  vt_trainable_set_part (self->text, VT_TRAIN_NONE, 0);
  if (!tokenize_prompts (self, tokenizer, class_names, arch->context_length, error))
    return NULL;

  token_embedding = vt_trainable_get_token_embedding (self->text);
  self->embeddings = g_new (float, (gsize) self->k * self->length * self->width);
  for (gsize i = 0; i < (gsize) self->k * self->length; i++)
    memcpy (self->embeddings + i * self->width, token_embedding->value + (gsize) self->ids[i] * self->width,
            self->width * sizeof (float));
  self->context = g_new (float, vt_coop_get_context_size (self));
  self->dcontext = g_new0 (float, vt_coop_get_context_size (self));
  vt_coop_reset (self);
  return g_steal_pointer (&self);
}

/* The text tower on the prompts with the context in place. */
static gboolean
forward (VtCoop  *self,
         GError **error)
{
  guint n_ctx = self->options.n_ctx, c = self->width;

  for (guint k = 0; k < self->k; k++)
    memcpy (self->embeddings + ((gsize) k * self->length + 1) * c,
            self->context + (self->options.csc ? (gsize) k * n_ctx * c : 0), (gsize) n_ctx * c * sizeof (float));
  return vt_trainable_forward_text_embedded (self->text, self->ids, self->embeddings, (int) self->k,
                                             (int) self->length, error);
}

gboolean
vt_coop_loss_backward (VtCoop        *self,
                       const float   *features,
                       const gint32  *labels,
                       guint          n,
                       double        *loss,
                       float         *dcontext,
                       GError       **error)
{
  guint k = self->k, e = self->dim, c = self->width, n_ctx = self->options.n_ctx;
  g_autofree float *logits = g_new (float, (gsize) n * k);
  g_autofree float *probs = g_new (float, (gsize) n * k);
  g_autofree float *dlogits = g_new0 (float, (gsize) n * k);
  g_autofree float *x_hat = g_new (float, (gsize) n * e);
  g_autofree float *x_norm = g_new (float, n);
  g_autofree float *w_hat = g_new (float, (gsize) k * e);
  g_autofree float *w_norm = g_new (float, k);
  g_autofree float *dw = g_new0 (float, (gsize) k * e);
  const VtTapeNode *embeds, *tokens;

  if (!forward (self, error))
    return FALSE;
  embeds = vt_trainable_lookup_tap (self->text, "text_embeds");
  vt_cosine_logits_forward (logits, x_hat, x_norm, w_hat, w_norm, features, embeds->value, self->scale, (int) n,
                            (int) k, (int) e);
  *loss = vt_cross_entropy_forward (probs, logits, labels, NULL, (int) n, (int) k, 0.0f, -100, error);
  if (error && *error)
    return FALSE;
  vt_cross_entropy_backward (dlogits, probs, labels, NULL, (int) n, (int) k, 0.0f, -100, 1.0f);
  vt_cosine_logits_backward (NULL, dw, NULL, dlogits, x_hat, x_norm, w_hat, w_norm, self->scale, (int) n, (int) k,
                             (int) e);
  if (!vt_trainable_backward (self->text, "text_embeds", dw, error))
    return FALSE;

  /* the context's rows of the token embeddings' gradient: one set per
   * class, or the sum over the classes that share it */
  tokens = vt_trainable_lookup_tap (self->text, "text.embed.tokens");
  for (guint cls = 0; cls < k; cls++)
    {
      const float *g = tokens->grad + ((gsize) cls * self->length + 1) * c;
      float *d = dcontext + (self->options.csc ? (gsize) cls * n_ctx * c : 0);

      for (gsize i = 0; i < (gsize) n_ctx * c; i++)
        d[i] += g[i];
    }
  return TRUE;
}

gboolean
vt_coop_train (VtCoop        *self,
               const float   *features,
               const guint   *rows,
               const gint32  *labels,
               guint          n,
               GArray        *losses,
               GError       **error)
{
  const VtCoopOptions *o = &self->options;
  VtOptimizerSettings settings = { .kind = VT_OPTIMIZER_SGD, .momentum = o->momentum };
  guint b = o->batch == 0 || o->batch > n ? n : o->batch;
  VtSchedule schedule = { .kind = VT_SCHEDULE_COSINE, .warmup_start = 1.0, .min_lr = 0.0 };
  g_autoptr(VtOptimizer) optimizer = NULL;
  g_autofree guint *order = NULL;
  g_autofree float *x = NULL;
  g_autofree gint32 *target = NULL;
  VtActiveRng rng;
  int group;

  if (!vt_active_check_labels (rows, labels, n, self->k, error))
    return FALSE;
  schedule.total = (int) (o->epochs * ((n + b - 1) / b));
  if (!(optimizer = vt_optimizer_new (&settings, &schedule, error)))
    return FALSE;
  group = vt_optimizer_add_group (optimizer, o->lr, o->weight_decay);
  vt_optimizer_add_param (optimizer, group, self->context, self->dcontext, vt_coop_get_context_size (self));

  order = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    order[i] = i;
  x = g_new (float, (gsize) b * self->dim);
  target = g_new (gint32, b);
  vt_active_rng_init (&rng, o->seed + 1);
  for (guint epoch = 0; epoch < o->epochs; epoch++)
    {
      if (b < n)
        vt_active_rng_shuffle (&rng, order, n);
      for (guint start = 0; start < n; start += b)
        {
          guint m = MIN (b, n - start);
          double loss;

          for (guint i = 0; i < m; i++)
            {
              memcpy (x + (gsize) i * self->dim, features + (gsize) rows[order[start + i]] * self->dim,
                      self->dim * sizeof (float));
              target[i] = labels[order[start + i]];
            }
          vt_optimizer_zero_grad (optimizer);
          if (!vt_coop_loss_backward (self, x, target, m, &loss, self->dcontext, error))
            return FALSE;
          if (!isfinite (loss))
            {
              g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_DIVERGED,
                           "the CoOp loss became %g at epoch %u: lower the learning rate (now %g)", loss, epoch + 1,
                           o->lr);
              return FALSE;
            }
          if (losses)
            g_array_append_val (losses, loss);
          vt_optimizer_step (optimizer);
        }
    }
  return TRUE;
}

gboolean
vt_coop_class_embeddings (VtCoop  *self,
                          float   *embeddings,
                          GError **error)
{
  if (!forward (self, error))
    return FALSE;
  memcpy (embeddings, vt_trainable_lookup_tap (self->text, "text_embeds_norm")->value,
          (gsize) self->k * self->dim * sizeof (float));
  return TRUE;
}
