/* vt-transformer.c: transformer blocks. */
#include "vt-transformer.h"
#include "core/vt-parallel.h"
#include "nn/vt-ops.h"

#include <string.h>

const VtTransformerNames vt_transformer_names_timm = {
  .block = "blocks.%d", .norm1 = "norm1", .qkv_weight = "attn.qkv.weight", .qkv_bias = "attn.qkv.bias",
  .proj = "attn.proj", .norm2 = "norm2", .fc1 = "mlp.fc1", .fc2 = "mlp.fc2",
};

const VtTransformerNames vt_transformer_names_openclip = {
  .block = "resblocks.%d", .norm1 = "ln_1", .qkv_weight = "attn.in_proj_weight", .qkv_bias = "attn.in_proj_bias",
  .proj = "attn.out_proj", .norm2 = "ln_2", .fc1 = "mlp.c_fc", .fc2 = "mlp.c_proj",
};

const VtTransformerNames vt_transformer_names_torchvision = {
  .block = "encoder_layer_%d", .norm1 = "ln_1", .qkv_weight = "self_attention.in_proj_weight",
  .qkv_bias = "self_attention.in_proj_bias", .proj = "self_attention.out_proj", .norm2 = "ln_2",
  .fc1 = "mlp.0", .fc2 = "mlp.3",
};

const VtTransformerNames vt_transformer_names_hf = {
  .block = "layers.%d", .norm1 = "layer_norm1", .q = "self_attn.q_proj", .k = "self_attn.k_proj",
  .v = "self_attn.v_proj", .proj = "self_attn.out_proj", .norm2 = "layer_norm2", .fc1 = "mlp.fc1", .fc2 = "mlp.fc2",
};

/* Separate q, k, v projections packed into one (3C, C) weight and (3C) bias,
 * in the q, k, v order the attention kernel reads. */
static gboolean
pack_qkv (VtWeights                 *weights,
          const char                *block,
          const VtTransformerNames  *names,
          int                        c,
          VtTransformerBlock        *b,
          GError                   **error)
{
  const char *parts[3] = { names->q, names->k, names->v };
  float *w = vt_weights_alloc (weights, (gsize) 3 * c * c);
  float *bias = vt_weights_alloc (weights, (gsize) 3 * c);

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *wn = g_strdup_printf ("%s.%s.weight", block, parts[i]);
      g_autofree char *bn = g_strdup_printf ("%s.%s.bias", block, parts[i]);
      const float *pw = vt_weights_get (weights, wn, VT_SHAPE (c, c), error);
      const float *pb = pw ? vt_weights_get (weights, bn, VT_SHAPE (c), error) : NULL;

      if (pb == NULL)
        return FALSE;
      memcpy (w + (gsize) i * c * c, pw, sizeof (float) * c * c);
      memcpy (bias + (gsize) i * c, pb, sizeof (float) * c);
    }
  b->qkv_w = w;
  b->qkv_b = bias;
  return TRUE;
}

static const float *
get (VtWeights    *w,
     const char   *block,
     const char   *name,
     const char   *suffix,
     guint         ndim,
     const gint64 *shape,
     GError      **error)
{
  g_autofree char *full = g_strdup_printf ("%s.%s%s", block, name, suffix);
  return vt_weights_get (w, full, ndim, shape, error);
}

gboolean
vt_transformer_bind (VtTransformer             *tr,
                     VtWeights                 *weights,
                     const VtTransformerNames  *names,
                     const char                *prefix,
                     int                        depth,
                     int                        width,
                     int                        heads,
                     int                        mlp,
                     GError                   **error)
{
  int c = width;

  tr->depth = depth;
  tr->width = width;
  tr->heads = heads;
  tr->mlp = mlp;
  tr->blocks = g_new0 (VtTransformerBlock, MAX (depth, 1));
  tr->buffers = vt_buffer_pool_new ();
  if (heads <= 0 || width % heads != 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                   "a width of %d does not split into %d attention heads", width, heads);
      return FALSE;
    }

  for (int i = 0; i < depth; i++)
    {
      VtTransformerBlock *b = &tr->blocks[i];
      g_autofree char *relative = NULL;
      g_autofree char *block = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      relative = g_strdup_printf (names->block, i);
#pragma GCC diagnostic pop
      block = g_strconcat (prefix, relative, NULL);

      if (names->qkv_weight == NULL)
        {
          if (!pack_qkv (weights, block, names, c, b, error))
            return FALSE;
        }
      else if (!(b->qkv_w = get (weights, block, names->qkv_weight, "", VT_SHAPE (3 * c, c), error)) ||
               !(b->qkv_b = get (weights, block, names->qkv_bias, "", VT_SHAPE (3 * c), error)))
        return FALSE;
      if (!(b->norm1_w = get (weights, block, names->norm1, ".weight", VT_SHAPE (c), error)) ||
          !(b->norm1_b = get (weights, block, names->norm1, ".bias", VT_SHAPE (c), error)) ||
          !(b->proj_w = get (weights, block, names->proj, ".weight", VT_SHAPE (c, c), error)) ||
          !(b->proj_b = get (weights, block, names->proj, ".bias", VT_SHAPE (c), error)) ||
          !(b->norm2_w = get (weights, block, names->norm2, ".weight", VT_SHAPE (c), error)) ||
          !(b->norm2_b = get (weights, block, names->norm2, ".bias", VT_SHAPE (c), error)) ||
          !(b->fc1_w = get (weights, block, names->fc1, ".weight", VT_SHAPE (mlp, c), error)) ||
          !(b->fc1_b = get (weights, block, names->fc1, ".bias", VT_SHAPE (mlp), error)) ||
          !(b->fc2_w = get (weights, block, names->fc2, ".weight", VT_SHAPE (c, mlp), error)) ||
          !(b->fc2_b = get (weights, block, names->fc2, ".bias", VT_SHAPE (c), error)))
        return FALSE;
    }
  return TRUE;
}

void
vt_transformer_clear (VtTransformer *tr)
{
  g_clear_pointer (&tr->blocks, g_free);
  g_clear_pointer (&tr->buffers, vt_buffer_pool_free);
}

/* The per-image, per-head and per-row work, split over the cores. */
typedef struct
{
  const VtTransformer *tr;
  const VtTransformerBlock *blk;
  int          t;
  float       *att;
  float       *probs;
  const float *qkv;
  float       *h;
  const float *x;
  float       *hidden;
  gboolean     second_norm;
} Work;

static void
attention_range (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const Work *w = data;
  int t = w->t, c = w->tr->width, heads = w->tr->heads;
  g_autofree float *scores = g_new (float, (gsize) t * t);

  for (gsize task = begin; task < end; task++)
    {
      gsize b = task / heads;
      int head = (int) (task % heads);

      vt_attention_head (w->att + b * t * c,
                         w->probs ? w->probs + (b * heads + head) * t * t : NULL,
                         scores, w->qkv + b * t * 3 * c, t, c, heads, head, w->tr->causal);
    }
}

static void
layernorm_range (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const Work *w = data;
  int c = w->tr->width;
  const float *gamma = w->second_norm ? w->blk->norm2_w : w->blk->norm1_w;
  const float *beta = w->second_norm ? w->blk->norm2_b : w->blk->norm1_b;

  vt_layernorm (w->h + begin * c, w->x + begin * c, gamma, beta, end - begin, c, w->tr->eps);
}

static void
activation_range (gsize    begin,
                  gsize    end,
                  gpointer data)
{
  const Work *w = data;
  gsize mlp = w->tr->mlp;

  if (w->tr->quick_gelu)
    vt_quick_gelu (w->hidden + begin * mlp, (end - begin) * mlp);
  else
    vt_gelu (w->hidden + begin * mlp, (end - begin) * mlp);
}

double
vt_transformer_run_bytes (const VtTransformer *tr,
                          int                  batch,
                          int                  t,
                          VtTapFlags           flags)
{
  double rows = (double) batch * t, c = tr->width;
  /* The work buffer below, and each core's attention scores. */
  double floats = rows * (6 * c + tr->mlp) + (double) MAX (vt_parallel_threads (), 1) * t * t;

  if (flags & VT_TAP_ATTENTION)
    floats += tr->depth * ((double) batch * tr->heads * t * t + rows * c);
  if (flags & VT_TAP_BLOCKS)
    floats += tr->depth * rows * c;
  return sizeof (float) * floats;
}

void
vt_transformer_run (const VtTransformer *tr,
                    float               *x,
                    int                  batch,
                    int                  t,
                    VtTaps              *taps,
                    const char          *tap_prefix,
                    VtTapFlags           flags)
{
  int c = tr->width;
  gsize rows = (gsize) batch * t;
  /* h, qkv, att, branch and hidden, in one buffer */
  gsize size = rows * (6 * c + tr->mlp);
  float *buffer = vt_buffer_pool_take (tr->buffers, size);
  float *h = buffer, *qkv = h + rows * c, *att = qkv + rows * 3 * c;
  float *branch = att + rows * c, *hidden = branch + rows * c;

  for (int i = 0; i < tr->depth; i++)
    {
      const VtTransformerBlock *blk = &tr->blocks[i];
      float *probs = NULL;

      if (flags & VT_TAP_ATTENTION)
        {
          g_autofree char *name = g_strdup_printf ("%sblocks.%d.attn_probs", tap_prefix, i);
          probs = vt_taps_add (taps, name, 4, (gint64[]) { batch, tr->heads, t, t });
        }

      Work work = { tr, blk, t, att, probs, qkv, h, x, hidden, FALSE };

      /* x = x + proj(attention(norm1(x))) */
      vt_parallel_for (rows, layernorm_range, &work);
      vt_linear_forward (qkv, h, blk->qkv_w, blk->qkv_b, rows, c, 3 * c);
      /* The per-head products (T×D by D×T) are small: OpenBLAS runs each
       * slower on two threads than on one, so the heads of all images are
       * spread over the cores instead. */
      vt_parallel_for_single_blas ((gsize) batch * tr->heads, attention_range, &work);
      vt_linear_forward (branch, att, blk->proj_w, blk->proj_b, rows, c, c);
      if (flags & VT_TAP_ATTENTION)
        {
          g_autofree char *name = g_strdup_printf ("%sblocks.%d.attn_out", tap_prefix, i);
          memcpy (vt_taps_add (taps, name, 3, (gint64[]) { batch, t, c }), branch, sizeof (float) * rows * c);
        }
      vt_add (x, branch, rows * c);

      /* x = x + fc2(act(fc1(norm2(x)))) */
      work.second_norm = TRUE;
      vt_parallel_for (rows, layernorm_range, &work);
      vt_linear_forward (hidden, h, blk->fc1_w, blk->fc1_b, rows, c, tr->mlp);
      vt_parallel_for (rows, activation_range, &work);
      vt_linear_forward (branch, hidden, blk->fc2_w, blk->fc2_b, rows, tr->mlp, c);
      vt_add (x, branch, rows * c);

      if (flags & VT_TAP_BLOCKS)
        {
          g_autofree char *name = g_strdup_printf ("%sblocks.%d.out", tap_prefix, i);
          memcpy (vt_taps_add (taps, name, 3, (gint64[]) { batch, t, c }), x, sizeof (float) * rows * c);
        }
    }
  vt_buffer_pool_give (tr->buffers, buffer, size);
}
