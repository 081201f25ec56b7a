/* vt-text-attention.c: a prompt's attention in a CLIP text tower. */
#include "vt-text-attention.h"

#include <string.h>

gboolean
vt_text_attention_supported (VtModel *model)
{
  return model != NULL && vt_model_get_architecture (model)->text_depth > 0;
}

void
vt_text_attention_free (VtTextAttention *self)
{
  if (self == NULL)
    return;
  g_free (self->ids);
  g_strfreev (self->labels);
  g_free (self->probs);
  g_free (self);
}

const float *
vt_text_attention_layer (const VtTextAttention *self,
                         int                    layer)
{
  return self->probs + (gsize) layer * self->heads * self->tokens * self->tokens;
}

gboolean
vt_text_attention_rollout (const VtTextAttention *self,
                           VtHeadFusion           fusion,
                           int                    start_layer,
                           float                 *out,
                           GError               **error)
{
  g_autofree const float **layers = g_new (const float *, self->layers);
  VtRolloutOptions options;

  vt_rollout_options_init (&options);
  options.fusion = fusion;
  options.start_layer = start_layer;
  for (int l = 0; l < self->layers; l++)
    layers[l] = vt_text_attention_layer (self, l);
  return vt_attention_rollout (layers, self->layers, self->heads, self->tokens, &options, out, error);
}

VtTextAttention *
vt_text_attention_compute (VtModel      *model,
                           VtTokenizer  *tokenizer,
                           const char   *prompt,
                           GError      **error)
{
  int context = vt_model_get_architecture (model)->context_length;
  g_autoptr(VtTextAttention) self = NULL;
  g_autofree gint64 *ids = NULL;
  g_autoptr(VtTaps) taps = NULL;
  int tokens = 0;

  if (!vt_text_attention_supported (model))
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s: this checkpoint has no text tower",
                   vt_checkpoint_get_path (vt_model_get_checkpoint (model)));
      return NULL;
    }
  ids = g_new0 (gint64, context);
  vt_tokenizer_tokenize (tokenizer, prompt, context, ids);
  /* The end token has the largest id, as the tower's pooling assumes; the
   * prompt's tokens end there. */
  for (int i = 1; i < context; i++)
    if (ids[i] > ids[tokens])
      tokens = i;
  tokens++;
  if (tokens <= 2)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "the prompt has no words to attend to");
      return NULL;
    }

  taps = vt_model_forward_text (model, ids, 1, tokens, VT_TAP_ATTENTION, error);
  if (taps == NULL)
    return NULL;

  self = g_new0 (VtTextAttention, 1);
  self->tokens = tokens;
  self->ids = g_memdup2 (ids, sizeof (gint64) * tokens);
  self->labels = g_new0 (char *, tokens + 1);
  for (int i = 0; i < tokens; i++)
    {
      self->labels[i] = vt_tokenizer_token_label (tokenizer, ids[i]);
      if (self->labels[i] == NULL)
        self->labels[i] = g_strdup_printf ("#%" G_GINT64_FORMAT, ids[i]);
    }
  self->layers = vt_model_get_architecture (model)->text_depth;
  for (int l = 0; l < self->layers; l++)
    {
      g_autofree char *name = g_strdup_printf ("text.blocks.%d.attn_probs", l);
      const VtTap *tap = vt_taps_lookup (taps, name);   /* (1, heads, T, T) */
      gsize size;

      if (tap == NULL)
        {
          g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s: the text tower kept no %s",
                       vt_checkpoint_get_path (vt_model_get_checkpoint (model)), name);
          return NULL;
        }
      size = tap->numel;
      if (l == 0)
        {
          self->heads = (int) tap->shape[1];
          self->probs = g_new (float, size * self->layers);
        }
      memcpy (self->probs + size * l, tap->data, sizeof (float) * size);
    }
  return g_steal_pointer (&self);
}
