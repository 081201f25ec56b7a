/* vt-attention-maps.c: head fusion, rollout, token maps, DINO's mass mask
 * and upsampling, for one image's attention probabilities. */
#include "vt-attention-maps.h"
#include "nn/vt-upsample.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (vt-attention-error-quark, vt_attention_error)

const char *
vt_head_fusion_name (VtHeadFusion fusion)
{
  switch (fusion)
    {
    case VT_HEAD_FUSION_MAX:
      return "max";
    case VT_HEAD_FUSION_MIN:
      return "min";
    case VT_HEAD_FUSION_MEAN:
    default:
      return "mean";
    }
}

void
vt_rollout_options_init (VtRolloutOptions *options)
{
  *options = (VtRolloutOptions) { VT_HEAD_FUSION_MEAN, 0.0, 0, FALSE };
}

void
vt_attention_fuse_heads (const float  *probs,
                         int           heads,
                         int           tokens,
                         VtHeadFusion  fusion,
                         float        *out)
{
  gsize n = (gsize) tokens * tokens;

  g_return_if_fail (heads >= 1 && tokens >= 1);

  memcpy (out, probs, sizeof (float) * n);
  for (int h = 1; h < heads; h++)
    {
      const float *p = probs + (gsize) h * n;

      switch (fusion)
        {
        case VT_HEAD_FUSION_MAX:
          for (gsize i = 0; i < n; i++)
            out[i] = p[i] > out[i] ? p[i] : out[i];
          break;
        case VT_HEAD_FUSION_MIN:
          for (gsize i = 0; i < n; i++)
            out[i] = p[i] < out[i] ? p[i] : out[i];
          break;
        case VT_HEAD_FUSION_MEAN:
        default:
          for (gsize i = 0; i < n; i++)
            out[i] += p[i];
          break;
        }
    }
  /* As torch's mean: the sum in order, then one division. */
  if (fusion == VT_HEAD_FUSION_MEAN)
    for (gsize i = 0; i < n; i++)
      out[i] /= (float) heads;
}

/* An unsigned key that orders floats as their values do (negative below
 * positive; NaN above +Inf), so that the k-th smallest can be found by
 * radix selection: a fixed number of passes, whatever the values, and the
 * same answer whatever order they come in. */
static inline guint32
order_key (float value)
{
  guint32 bits;

  memcpy (&bits, &value, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

/* Keys above every value's: entries that do not compete. */
#define KEY_EXCLUDED G_MAXUINT32
#define BUCKETS 65536

static int
compare_keys (const void *a,
              const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

/* Sets to 0 the @k lowest entries of @a (T, T), ties lowest row-major
 * index first. With @spare_class_token, only entries off row 0 and column
 * 0 compete (the correct rollout); without, all T² do, and entry [0, 0]
 * stays when it is among the k, as vit-explain leaves it. @scratch holds
 * 2 T² + BUCKETS values.
 *
 * The k-th smallest key is found by radix selection on its top 16 bits
 * (one histogram over all entries), then among the few entries of that
 * bucket: four passes over T² whatever the values, where a sort would
 * take T² log T² steps. */
static void
drop_lowest (float     *a,
             gsize      t,
             gsize      k,
             gboolean   spare_class_token,
             guint32   *scratch)
{
  gsize n = t * t, rank, below = 0, ties, m = 0, seen = 0;
  guint32 *keys = scratch, *members = scratch + n, *counts = scratch + 2 * n;
  guint32 bucket, threshold;
  float first = a[0];

  if (spare_class_token)
    k = MIN (k, (t - 1) * (t - 1));
  k = MIN (k, n);
  if (k == 0)
    return;
  for (gsize i = 0; i < n; i++)
    keys[i] = order_key (a[i]);
  if (spare_class_token)
    {
      /* A NaN may have the excluded key's bits: one below keeps them apart. */
      for (gsize i = 0; i < n; i++)
        keys[i] = MIN (keys[i], KEY_EXCLUDED - 1);
      for (gsize c = 0; c < t; c++)
        keys[c] = KEY_EXCLUDED;
      for (gsize q = 1; q < t; q++)
        keys[q * t] = KEY_EXCLUDED;
    }

  memset (counts, 0, sizeof (guint32) * BUCKETS);
  for (gsize i = 0; i < n; i++)
    counts[keys[i] >> 16]++;
  for (bucket = 0; bucket < BUCKETS - 1 && seen + counts[bucket] < k; bucket++)
    seen += counts[bucket];
  rank = k - seen;
  for (gsize i = 0; i < n; i++)
    if (keys[i] >> 16 == bucket)
      members[m++] = keys[i];
  qsort (members, m, sizeof *members, compare_keys);
  threshold = members[rank - 1];
  below = seen;
  for (gsize j = 0; j < m && members[j] < threshold; j++)
    below++;

  for (gsize i = 0; i < n; i++)
    a[i] = keys[i] < threshold ? 0.0f : a[i];
  ties = k - below;
  for (gsize i = 0; i < n && ties > 0; i++)
    if (keys[i] == threshold)
      {
        a[i] = 0.0f;
        ties--;
      }
  if (!spare_class_token)
    a[0] = first;
}

/* One layer's A' from its fused matrix @a (T, T), in place. */
static void
rollout_layer (float                   *a,
               int                      tokens,
               const VtRolloutOptions  *options,
               guint32                 *keys)
{
  gsize t = tokens;

  if (options->discard_ratio > 0)
    {
      /* ⌊ratio · candidates⌋, truncated as Python's int() truncates:
       * vit-explain's candidates are all T² entries, ours the (T − 1)²
       * off the class token's row and column. */
      gsize candidates = options->compat ? t * t : (t - 1) * (t - 1);

      drop_lowest (a, t, (gsize) ((double) candidates * options->discard_ratio), !options->compat, keys);
    }

  if (options->compat)
    {
      /* a = (F + I) / 2; a / a.sum(dim=-1): entry [q, k] over row k's sum. */
      g_autofree float *inverse = g_new (float, t);

      for (gsize q = 0; q < t; q++)
        {
          double s = 0;

          a[q * t + q] += 1.0f;
          for (gsize k = 0; k < t; k++)
            {
              a[q * t + k] /= 2.0f;
              s += a[q * t + k];
            }
          inverse[q] = (float) (1.0 / s);
        }
      for (gsize q = 0; q < t; q++)
        for (gsize k = 0; k < t; k++)
          a[q * t + k] *= inverse[k];
    }
  else
    for (gsize q = 0; q < t; q++)
      {
        float *row = a + q * t;
        double s = 0;
        float inverse;

        /* Fused attention is never negative, so the sum is at least 1. */
        row[q] += 1.0f;
        for (gsize k = 0; k < t; k++)
          s += row[k];
        inverse = (float) (1.0 / s);
        for (gsize k = 0; k < t; k++)
          row[k] *= inverse;
      }
}

gboolean
vt_attention_rollout (const float * const     *layers,
                      int                      n_layers,
                      int                      heads,
                      int                      tokens,
                      const VtRolloutOptions  *options,
                      float                   *out,
                      GError                 **error)
{
  gsize t = tokens, n = t * t;
  g_autofree float *a = NULL;
  g_autofree float *product = NULL;
  g_autofree guint32 *keys = NULL;

  g_return_val_if_fail (layers != NULL && heads >= 1 && tokens >= 1 && options != NULL, FALSE);

  if (options->start_layer < 0 || options->start_layer >= n_layers)
    {
      g_set_error (error, VT_ATTENTION_ERROR, VT_ATTENTION_ERROR_INVALID,
                   "start layer %d does not exist: the model has %d layers (0 to %d)",
                   options->start_layer, n_layers, n_layers - 1);
      return FALSE;
    }
  if (!(options->discard_ratio >= 0 && options->discard_ratio < 1))
    {
      g_set_error (error, VT_ATTENTION_ERROR, VT_ATTENTION_ERROR_INVALID,
                   "a discard ratio of %g: give one from 0 to below 1", options->discard_ratio);
      return FALSE;
    }

  a = g_new (float, n);
  product = g_new (float, n);
  keys = g_new (guint32, 2 * n + BUCKETS);
  for (int l = options->start_layer; l < n_layers; l++)
    {
      vt_attention_fuse_heads (layers[l], heads, tokens, options->fusion, a);
      rollout_layer (a, tokens, options, keys);
      if (l == options->start_layer)
        memcpy (out, a, sizeof (float) * n);
      else
        {
          /* R = A' · R */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, tokens, tokens, tokens,
                       1.0f, a, tokens, out, tokens, 0.0f, product, tokens);
          memcpy (out, product, sizeof (float) * n);
        }
    }
  return TRUE;
}

void
vt_attention_token_map (const float *matrix,
                        int          tokens,
                        int          prefix_tokens,
                        int          query,
                        float       *out)
{
  g_return_if_fail (prefix_tokens >= 0 && prefix_tokens < tokens && query >= 0 && query < tokens);

  memcpy (out, matrix + (gsize) query * tokens + prefix_tokens, sizeof (float) * (tokens - prefix_tokens));
}

void
vt_attention_class_map (const float *matrix,
                        int          tokens,
                        int          prefix_tokens,
                        float       *out)
{
  vt_attention_token_map (matrix, tokens, prefix_tokens, 0, out);
}

typedef struct
{
  guint32 key;
  int     index;
} Ranked;

static int
compare_ranked (const void *a,
                const void *b)
{
  const Ranked *x = a, *y = b;

  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

void
vt_attention_mass_mask (const float *map,
                        int          n,
                        double       share,
                        float       *mask)
{
  g_autofree Ranked *ranked = NULL;
  double total = 0, running = 0;

  g_return_if_fail (n >= 0);

  ranked = g_new (Ranked, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      ranked[i] = (Ranked) { order_key (map[i]), i };
      total += map[i];
      mask[i] = 0.0f;
    }
  if (!(total > 0))
    return;
  qsort (ranked, n, sizeof *ranked, compare_ranked);
  for (int r = 0; r < n; r++)
    {
      running += map[ranked[r].index] / total;
      if (running > 1.0 - share)
        mask[ranked[r].index] = 1.0f;
    }
}

void
vt_attention_upsample (const float *grid,
                       int          gh,
                       int          gw,
                       int          out_h,
                       int          out_w,
                       float       *out)
{
  vt_upsample_bilinear_forward (out, grid, 1, gh, gw, out_h, out_w);
}
