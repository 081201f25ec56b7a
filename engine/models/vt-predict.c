/* vt-predict.c: softmax, top-k and zero-shot for one image. */
#include "vt-predict.h"

#include <math.h>

void
vt_predict_softmax (const float *logits,
                    guint        n,
                    double      *probabilities)
{
  double max = -INFINITY, sum = 0.0;

  for (guint c = 0; c < n; c++)
    max = MAX (max, logits[c]);
  for (guint c = 0; c < n; c++)
    sum += probabilities[c] = exp ((double) logits[c] - max);
  for (guint c = 0; c < n; c++)
    probabilities[c] /= sum;
}

void
vt_predict_top (const double *values,
                guint         n,
                guint         k,
                guint        *top)
{
  /* k passes over n values: k is a handful, n at most some thousands. */
  for (guint r = 0; r < k && r < n; r++)
    {
      int best = -1;

      for (guint c = 0; c < n; c++)
        {
          gboolean taken = FALSE;

          for (guint q = 0; q < r && !taken; q++)
            taken = top[q] == c;
          if (!taken && (best < 0 || values[c] > values[best]))
            best = (int) c;
        }
      top[r] = (guint) best;
    }
}

gboolean
vt_predict_image (VtModel             *model,
                  VtTokenizer         *tokenizer,
                  const char * const  *classes,
                  const char          *prompt,
                  const float         *pixels,
                  int                  size,
                  double              *probabilities,
                  GError             **error)
{
  const VtArchitecture *arch = vt_model_get_architecture (model);
  g_autoptr(VtTaps) taps = NULL;
  const VtTap *logits;

  if (classes != NULL && size != arch->image_size)
    {
      /* vt_zero_shot_classify runs the image tower at the model's size. */
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "%s: zero-shot takes images of %d×%d pixels, the model's size, not %d×%d",
                   vt_checkpoint_get_path (vt_model_get_checkpoint (model)), arch->image_size, arch->image_size,
                   size, size);
      return FALSE;
    }
  if (classes != NULL)
    return vt_zero_shot_classify (model, tokenizer, pixels, classes, prompt ? prompt : VT_DEFAULT_PROMPT,
                                  probabilities, error);
  if (arch->num_classes <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "%s: the model has no classifier head; a CLIP model classifies over class names it is given",
                   vt_checkpoint_get_path (vt_model_get_checkpoint (model)));
      return FALSE;
    }
  taps = vt_model_forward (model, pixels, 1, size, size, VT_TAP_OUTPUTS, error);
  if (taps == NULL)
    return FALSE;
  logits = vt_taps_lookup (taps, "logits");
  vt_predict_softmax (logits->data, (guint) arch->num_classes, probabilities);
  return TRUE;
}

/* The Hugging Face vocab.json beside a checkpoint (or in its folder), when
 * merges.txt is there too; NULL otherwise. */
static char *
checkpoint_vocabulary (VtModel  *model,
                       char    **merges)
{
  const char *path = vt_checkpoint_get_path (vt_model_get_checkpoint (model));
  g_autofree char *dir = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path) : g_path_get_dirname (path);
  g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);

  *merges = g_build_filename (dir, "merges.txt", NULL);
  if (g_file_test (vocab, G_FILE_TEST_IS_REGULAR) && g_file_test (*merges, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&vocab);
  g_clear_pointer (merges, g_free);
  return NULL;
}

VtTokenizer *
vt_predict_load_tokenizer (VtModel  *model,
                           char    **source,
                           GError  **error)
{
  /* Installed first, then the source tree's copy (a build run in place). */
  static const char * const roots[] = { VITRINE_DATADIR, SOURCE_DATA_DIR };
  g_autofree char *merges = NULL;
  g_autofree char *vocab = checkpoint_vocabulary (model, &merges);
  VtTokenizer *tokenizer;

  if (vocab != NULL)
    {
      tokenizer = vt_tokenizer_new_from_hf (vocab, merges, error);
      if (tokenizer != NULL && source != NULL)
        *source = g_steal_pointer (&vocab);
      return tokenizer;
    }
  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      g_autofree char *bundled = g_build_filename (roots[i], "clip", "bpe_simple_vocab_16e6.txt.gz", NULL);

      if (!g_file_test (bundled, G_FILE_TEST_IS_REGULAR))
        continue;
      tokenizer = vt_tokenizer_new_from_bpe_file (bundled, error);
      if (tokenizer != NULL && source != NULL)
        *source = g_steal_pointer (&bundled);
      return tokenizer;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "%s: no vocabulary for the text tower: neither vocab.json and merges.txt beside it nor the "
               "CLIP vocabulary Vitrine installs (clip/bpe_simple_vocab_16e6.txt.gz in %s)",
               vt_checkpoint_get_path (vt_model_get_checkpoint (model)), roots[0]);
  return NULL;
}
