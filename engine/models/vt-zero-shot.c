/* vt-zero-shot.c: CLIP zero-shot classification. */
#include "vt-zero-shot.h"

#include <math.h>
#include <string.h>

gboolean
vt_zero_shot_supported (VtModel *model)
{
  return model != NULL && vt_model_get_logit_scale (model) > 0.0f;
}

static char *
fill_prompt (const char *prompt,
             const char *name)
{
  const char *slot = strstr (prompt, "{}");

  if (slot == NULL)
    return g_strdup_printf ("%s %s", prompt, name);
  return g_strdup_printf ("%.*s%s%s", (int) (slot - prompt), prompt, name, slot + 2);
}

/* The text tower's taps of the prompts of @classes (n of them). */
static VtTaps *
embed_prompts (VtModel             *model,
               VtTokenizer         *tokenizer,
               const char * const  *classes,
               const char          *prompt,
               GError             **error)
{
  int context = vt_model_get_architecture (model)->context_length;
  guint n = g_strv_length ((char **) classes);
  g_autofree gint64 *ids = NULL;

  if (n == 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "no class names to choose from");
      return NULL;
    }
  ids = g_new (gint64, (gsize) n * context);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text_prompt = fill_prompt (prompt, classes[i]);
      vt_tokenizer_tokenize (tokenizer, text_prompt, context, ids + (gsize) i * context);
    }
  return vt_model_forward_text (model, ids, n, context, VT_TAP_OUTPUTS, error);
}

gboolean
vt_zero_shot_class_embeddings (VtModel             *model,
                               VtTokenizer         *tokenizer,
                               const char * const  *classes,
                               const char          *prompt,
                               float               *embeddings,
                               GError             **error)
{
  g_autoptr(VtTaps) text = embed_prompts (model, tokenizer, classes, prompt, error);
  const VtTap *txt;

  if (text == NULL)
    return FALSE;
  txt = vt_taps_lookup (text, "text_embeds_norm");
  memcpy (embeddings, txt->data, sizeof (float) * txt->shape[0] * txt->shape[1]);
  return TRUE;
}

gboolean
vt_zero_shot_classify (VtModel             *model,
                       VtTokenizer         *tokenizer,
                       const float         *pixels,
                       const char * const  *classes,
                       const char          *prompt,
                       double              *probabilities,
                       GError             **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  guint n = g_strv_length ((char **) classes);
  int s = arch->image_size;
  g_autoptr(VtTaps) image = NULL;
  g_autoptr(VtTaps) text = NULL;
  const VtTap *img, *txt;
  double max = -INFINITY, sum = 0.0;
  float scale = vt_model_get_logit_scale (model);

  if (n == 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "no class names to choose from");
      return FALSE;
    }
  image = vt_model_forward (model, pixels, 1, s, s, VT_TAP_OUTPUTS, error);
  if (image == NULL)
    return FALSE;
  text = embed_prompts (model, tokenizer, classes, prompt, error);
  if (text == NULL)
    return FALSE;
  img = vt_taps_lookup (image, "image_embeds_norm");
  txt = vt_taps_lookup (text, "text_embeds_norm");

  for (guint i = 0; i < n; i++)
    {
      double dot = 0.0;
      for (gint64 k = 0; k < img->shape[1]; k++)
        dot += (double) img->data[k] * txt->data[(gsize) i * txt->shape[1] + k];
      probabilities[i] = scale * dot;
      max = MAX (max, probabilities[i]);
    }
  for (guint i = 0; i < n; i++)
    sum += probabilities[i] = exp (probabilities[i] - max);
  for (guint i = 0; i < n; i++)
    probabilities[i] /= sum;
  return TRUE;
}
