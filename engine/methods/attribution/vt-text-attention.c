/* vt-text-attention.c: a prompt's attention in a CLIP text tower. */
#include "vt-text-attention.h"

#include <string.h>

#include "core/vt-dtype.h"

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

VtTextAttention *
vt_text_attention_new_from_maps (VtCheckpoint  *maps,
                                 JsonObject    *text,
                                 const char    *where,
                                 GError       **error)
{
  g_autoptr(VtTextAttention) self = g_new0 (VtTextAttention, 1);
  JsonNode *tokens = text ? json_object_get_member (text, "tokens") : NULL;
  JsonNode *ids = text ? json_object_get_member (text, "ids") : NULL;
  guint t;

  if (tokens == NULL || !JSON_NODE_HOLDS_ARRAY (tokens) || ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids) ||
      (t = json_array_get_length (json_node_get_array (tokens))) < 1 ||
      json_array_get_length (json_node_get_array (ids)) != t)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "%s: no list of “tokens” with their “ids”", where);
      return NULL;
    }
  self->tokens = (int) t;
  self->layers = (int) json_object_get_int_member_with_default (text, "layers", 0);
  self->heads = (int) json_object_get_int_member_with_default (text, "heads", 0);
  if (self->layers < 1 || self->heads < 1)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "%s: no number of “layers” and “heads”", where);
      return NULL;
    }
  self->ids = g_new (gint64, t);
  self->labels = g_new0 (char *, t + 1);
  for (guint i = 0; i < t; i++)
    {
      JsonNode *label = json_array_get_element (json_node_get_array (tokens), i);
      JsonNode *id = json_array_get_element (json_node_get_array (ids), i);

      if (!JSON_NODE_HOLDS_VALUE (label) || json_node_get_value_type (label) != G_TYPE_STRING ||
          !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_INT64)
        {
          g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "%s: token %u is not a label with an id", where, i);
          return NULL;
        }
      self->labels[i] = g_strdup (json_node_get_string (label));
      self->ids[i] = json_node_get_int (id);
    }
  self->probs = g_new (float, (gsize) self->layers * self->heads * t * t);
  for (int l = 0; l < self->layers; l++)
    {
      g_autofree char *name = g_strdup_printf ("text.blocks.%d.heads", l);
      const VtTensor *m = vt_checkpoint_lookup (maps, name);
      gsize size = (gsize) self->heads * t * t;

      if (m == NULL || m->ndim != 4 || m->shape[0] != 1 || m->shape[1] != self->heads || m->shape[2] != t ||
          m->shape[3] != t || !vt_dtype_is_float (m->dtype))
        {
          g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "%s: no %s of shape (1, %d, %u, %u)",
                       vt_checkpoint_get_path (maps), name, self->heads, t, t);
          return NULL;
        }
      for (gsize i = 0; i < size; i++)
        self->probs[(gsize) l * size + i] = (float) vt_dtype_read_double (m->dtype, m->data, i);
    }
  return g_steal_pointer (&self);
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
