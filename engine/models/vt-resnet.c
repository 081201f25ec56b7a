/* vt-resnet.c: ResNet forward. */
#include "vt-resnet.h"
#include "vt-weights.h"
#include "core/vt-buffer-pool.h"
#include "core/vt-parallel.h"
#include "nn/vt-ops.h"

#include <math.h>
#include <string.h>

#define BN_EPS 1e-5f

/* A convolution without bias followed by BatchNorm, folded. */
typedef struct
{
  const float *weight;     /* (out, in, k, k) */
  float       *scale;
  float       *shift;
  int          in;
  int          out;
  int          kernel;
  int          stride;
  int          pad;
} ConvBn;

typedef struct
{
  ConvBn    conv[3];
  int       n_convs;        /* 2: BasicBlock, 3: Bottleneck */
  gboolean  has_downsample;
  ConvBn    downsample;
  int       option_a_pad;   /* CIFAR: zero channels added on each side, or 0 */
  int       stride;
  gboolean  pool_stride;    /* ModifiedResNet: stride by average pooling after conv2 and
                             * before the shortcut's convolution, not in them */
  int       in;
  int       out;
  int       stage;          /* 1-based */
  gboolean  last_of_stage;
} Block;

/* CLIP's attention pooling: the mean token first, a learned position
 * embedding, and one multi-head attention whose query is that token. */
typedef struct
{
  const float *pos;                  /* (T, C), T = grid² + 1 */
  const float *q_w, *q_b, *k_w, *k_b, *v_w, *v_b;   /* (C, C), (C) */
  const float *c_w, *c_b;            /* (embed, C), (embed) */
  int          tokens;
  int          width;
  int          heads;
  int          embed;
} AttentionPool;

struct _VtResNet
{
  VtWeights   *weights;
  gboolean     cifar;
  gboolean     clip;       /* OpenCLIP's ModifiedResNet */
  const char  *tower;      /* "visual." for CLIP, else "" */
  int          image_size; /* the size it was trained at; CLIP's attention pool takes no other */
  ConvBn       stem;
  ConvBn       stem2, stem3;   /* ModifiedResNet's second and third stem convolutions */
  AttentionPool attnpool;
  VtBufferPool *buffers;   /* each pass's Buffers, kept for the next */
  Block       *blocks;
  int          n_blocks;
  const float *fc_weight;
  const float *fc_bias;
  int          n_classes;
  int          n_features;
};

static gboolean
bind_conv_bn (VtWeights   *w,
              ConvBn      *cb,
              const char  *conv,
              const char  *bn,
              int          in,
              int          out,
              int          kernel,
              int          stride,
              GError     **error)
{
  g_autofree char *weight = g_strdup_printf ("%s.weight", conv);
  g_autofree char *bn_w = g_strdup_printf ("%s.weight", bn);
  g_autofree char *bn_b = g_strdup_printf ("%s.bias", bn);
  g_autofree char *bn_m = g_strdup_printf ("%s.running_mean", bn);
  g_autofree char *bn_v = g_strdup_printf ("%s.running_var", bn);
  const float *gamma, *beta, *mean, *var;

  cb->in = in;
  cb->out = out;
  cb->kernel = kernel;
  cb->stride = stride;
  cb->pad = kernel / 2;
  if (!(cb->weight = vt_weights_get (w, weight, VT_SHAPE (out, in, kernel, kernel), error)) ||
      !(gamma = vt_weights_get (w, bn_w, VT_SHAPE (out), error)) ||
      !(beta = vt_weights_get (w, bn_b, VT_SHAPE (out), error)) ||
      !(mean = vt_weights_get (w, bn_m, VT_SHAPE (out), error)) ||
      !(var = vt_weights_get (w, bn_v, VT_SHAPE (out), error)))
    return FALSE;
  cb->scale = vt_weights_alloc (w, out);
  cb->shift = vt_weights_alloc (w, out);
  vt_batchnorm_fold (cb->scale, cb->shift, gamma, beta, mean, var, BN_EPS, out);
  return TRUE;
}

static gboolean
bind_blocks (VtResNet              *self,
             const VtArchitecture  *arch,
             VtCheckpoint          *checkpoint,
             int                    in,
             GError               **error)
{
  gboolean bottleneck = g_strcmp0 (arch->block, "Bottleneck") == 0;
  int index = 0;

  self->n_blocks = 0;
  for (int s = 0; s < arch->n_stages; s++)
    self->n_blocks += arch->stage_blocks[s];
  self->blocks = g_new0 (Block, self->n_blocks);

  for (int s = 0; s < arch->n_stages; s++)
    for (int i = 0; i < arch->stage_blocks[s]; i++, index++)
      {
        Block *b = &self->blocks[index];
        g_autofree char *base = g_strdup_printf ("%slayer%d.%d", self->tower, s + 1, i);
        int stage_stride = s == 0 ? 1 : 2;
        g_autofree char *name = NULL;
        const VtTensor *t;
        int width;

        b->stage = s + 1;
        b->last_of_stage = i == arch->stage_blocks[s] - 1;
        b->stride = i == 0 ? stage_stride : 1;
        b->pool_stride = self->clip && b->stride > 1;
        b->in = in;
        b->n_convs = bottleneck ? 3 : 2;

        /* Widths come from the stored weights (timm allows any channel plan). */
        name = g_strdup_printf ("%s%s.conv1.weight", arch->prefix, base);
        t = vt_checkpoint_lookup (checkpoint, name);
        if (t == NULL || t->ndim != 4)
          {
            g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR,
                         "%s: tensor “%s” is missing", vt_checkpoint_get_path (checkpoint), name);
            return FALSE;
          }
        width = (int) t->shape[0];

        for (int c = 0; c < b->n_convs; c++)
          {
            g_autofree char *conv = g_strdup_printf ("%s.conv%d", base, c + 1);
            g_autofree char *bn = g_strdup_printf ("%s.bn%d", base, c + 1);
            int kernel = bottleneck && c != 1 ? 1 : 3;
            int c_in = c == 0 ? in : width;
            int c_out = width;
            /* BasicBlock strides in conv1, Bottleneck in conv2 (ResNet v1.5),
             * ModifiedResNet by pooling instead. */
            int stride = !b->pool_stride && (bottleneck ? c == 1 : c == 0) ? b->stride : 1;

            if (c == b->n_convs - 1)
              {
                g_autofree char *last = g_strdup_printf ("%s%s.conv%d.weight", arch->prefix, base, c + 1);
                const VtTensor *lt = vt_checkpoint_lookup (checkpoint, last);
                c_out = lt && lt->ndim == 4 ? (int) lt->shape[0] : width * (bottleneck ? 4 : 1);
              }
            if (!bind_conv_bn (self->weights, &b->conv[c], conv, bn, c_in, c_out, kernel, stride, error))
              return FALSE;
          }
        b->out = b->conv[b->n_convs - 1].out;

        {
          g_autofree char *down = g_strdup_printf ("%s.downsample.0.weight", base);
          if (vt_weights_has (self->weights, down))
            {
              g_autofree char *conv = g_strdup_printf ("%s.downsample.0", base);
              g_autofree char *bn = g_strdup_printf ("%s.downsample.1", base);
              b->has_downsample = TRUE;
              if (!bind_conv_bn (self->weights, &b->downsample, conv, bn, in, b->out, 1,
                                 b->pool_stride ? 1 : b->stride, error))
                return FALSE;
              b->downsample.pad = 0;
            }
          else if (self->cifar && (b->stride != 1 || in != b->out))
            b->option_a_pad = (b->out - in) / 2;
          else if (b->stride != 1 || in != b->out)
            {
              g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR,
                           "%s: tensor “%s%s” is missing (block changes shape)",
                           vt_checkpoint_get_path (checkpoint), arch->prefix, down);
              return FALSE;
            }
        }
        in = b->out;
      }
  self->n_features = in;
  return TRUE;
}

static gboolean
bind_attention_pool (VtResNet              *self,
                     const VtArchitecture  *arch,
                     GError               **error)
{
  AttentionPool *p = &self->attnpool;
  VtWeights *w = self->weights;
  int grid = arch->image_size / 32, c = self->n_features;

  p->tokens = grid * grid + 1;
  p->width = c;
  p->heads = arch->heads;
  p->embed = arch->num_features;
  if (p->heads <= 0 || c % p->heads != 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_SHAPE,
                   "the attention pool's width %d does not split into %d heads", c, p->heads);
      return FALSE;
    }
  if (!(p->pos = vt_weights_get (w, "visual.attnpool.positional_embedding", VT_SHAPE (p->tokens, c), error)) ||
      !(p->q_w = vt_weights_get (w, "visual.attnpool.q_proj.weight", VT_SHAPE (c, c), error)) ||
      !(p->q_b = vt_weights_get (w, "visual.attnpool.q_proj.bias", VT_SHAPE (c), error)) ||
      !(p->k_w = vt_weights_get (w, "visual.attnpool.k_proj.weight", VT_SHAPE (c, c), error)) ||
      !(p->k_b = vt_weights_get (w, "visual.attnpool.k_proj.bias", VT_SHAPE (c), error)) ||
      !(p->v_w = vt_weights_get (w, "visual.attnpool.v_proj.weight", VT_SHAPE (c, c), error)) ||
      !(p->v_b = vt_weights_get (w, "visual.attnpool.v_proj.bias", VT_SHAPE (c), error)) ||
      !(p->c_w = vt_weights_get (w, "visual.attnpool.c_proj.weight", VT_SHAPE (p->embed, c), error)) ||
      !(p->c_b = vt_weights_get (w, "visual.attnpool.c_proj.bias", VT_SHAPE (p->embed), error)))
    return FALSE;
  self->n_features = p->embed;
  return TRUE;
}

VtResNet *
vt_resnet_new (VtCheckpoint          *checkpoint,
               const VtArchitecture  *arch,
               GError               **error)
{
  g_autoptr(VtResNet) self = g_new0 (VtResNet, 1);
  int stem_out;

  g_return_val_if_fail (arch->family == VT_ARCH_RESNET || arch->family == VT_ARCH_CIFAR_RESNET ||
                        (arch->family == VT_ARCH_OPENCLIP && arch->patch_size == 0), NULL);

  self->buffers = vt_buffer_pool_new ();
  self->weights = vt_weights_new (checkpoint, arch->prefix);
  self->cifar = arch->family == VT_ARCH_CIFAR_RESNET;
  self->clip = arch->family == VT_ARCH_OPENCLIP;
  self->tower = self->clip ? "visual." : "";
  stem_out = arch->width;
  self->image_size = arch->image_size;
  if (self->clip)
    {
      /* Three 3×3 convolutions, the first with stride 2, width/2, width/2, width. */
      if (!bind_conv_bn (self->weights, &self->stem, "visual.conv1", "visual.bn1", 3, stem_out / 2, 3, 2, error) ||
          !bind_conv_bn (self->weights, &self->stem2, "visual.conv2", "visual.bn2", stem_out / 2, stem_out / 2, 3, 1,
                         error) ||
          !bind_conv_bn (self->weights, &self->stem3, "visual.conv3", "visual.bn3", stem_out / 2, stem_out, 3, 1,
                         error))
        return NULL;
    }
  else if (!bind_conv_bn (self->weights, &self->stem, "conv1", "bn1", 3, stem_out, self->cifar ? 3 : 7,
                          self->cifar ? 1 : 2, error))
    return NULL;
  if (!bind_blocks (self, arch, checkpoint, stem_out, error))
    return NULL;
  if (self->clip)
    return bind_attention_pool (self, arch, error) ? g_steal_pointer (&self) : NULL;

  {
    const char *fc = self->cifar ? "linear" : "fc";
    g_autofree char *fc_w = g_strdup_printf ("%s.weight", fc);
    g_autofree char *fc_b = g_strdup_printf ("%s.bias", fc);

    if (vt_weights_has (self->weights, fc_w))
      {
        self->n_classes = arch->num_classes;
        if (!(self->fc_weight = vt_weights_get (self->weights, fc_w, VT_SHAPE (self->n_classes, self->n_features), error)) ||
            !(self->fc_bias = vt_weights_get (self->weights, fc_b, VT_SHAPE (self->n_classes), error)))
          return NULL;
      }
  }
  return g_steal_pointer (&self);
}

/* The option-A shortcut: every second pixel, channels zero-padded. */
static void
shortcut_option_a (float       *out,
                   const float *in,
                   int          c,
                   int          h,
                   int          w,
                   int          pad)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;

  memset (out, 0, sizeof (float) * (gsize) (c + 2 * pad) * oh * ow);
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        out[((gsize) (ch + pad) * oh + y) * ow + x] = in[((gsize) ch * h + 2 * y) * w + 2 * x];
}

/* conv + folded BN (+ the residual @add, of the output's shape, or NULL)
 * (+ ReLU), all but the convolution in its product's last pass over the
 * output; returns the output size in *oh, *ow. */
static void
run_conv_bn_add (const ConvBn *cb,
                 float        *out,
                 const float  *in,
                 int           h,
                 int           w,
                 const float  *add,
                 gboolean      relu,
                 int          *oh,
                 int          *ow)
{
  VtGemmEpilogue epilogue = { cb->scale, cb->shift, add, 0, relu };

  *oh = vt_conv2d_out_size (h, cb->kernel, cb->stride, cb->pad);
  *ow = vt_conv2d_out_size (w, cb->kernel, cb->stride, cb->pad);
  epilogue.ld_add = *oh * *ow;
  vt_conv2d_forward (out, in, cb->weight, NULL, cb->in, h, w, cb->out, cb->kernel, cb->kernel,
                     cb->stride, cb->pad, &epilogue);
}

static void
run_conv_bn (const ConvBn *cb,
             float        *out,
             const float  *in,
             int           h,
             int           w,
             gboolean      relu,
             int          *oh,
             int          *ow)
{
  run_conv_bn_add (cb, out, in, h, w, NULL, relu, oh, ow);
}

/* Buffers for one image at a time, sized for the largest activation, all
 * in one block from the model's VtBufferPool: freshly allocated, their
 * pages were faulted in and zeroed by the kernel on every call, which cost
 * ResNet-50 a fifth of its time at batch 1. One block per thread that ran. */
typedef struct
{
  float *block;
  gsize  size;
  float *x, *t1, *t2, *t3, *s;
  float *pool;   /* the attention pool's tokens, keys, values, query, output and probabilities */
} Buffers;

/* The floats of one image's buffers: five of the largest activation, and
 * the attention pool's; *biggest gets the largest. The walk follows
 * forward_image's sizes, each block bounded by its widest convolution at
 * its input's pixels (no convolution makes more pixels than it reads). */
static gsize
buffers_size (const VtResNet *self,
              int             height,
              int             width,
              gsize          *biggest)
{
  int h = vt_conv2d_out_size (height, self->stem.kernel, self->stem.stride, self->stem.pad);
  int w = vt_conv2d_out_size (width, self->stem.kernel, self->stem.stride, self->stem.pad);
  gsize pool = 0;

  /* The stem's output; CLIP's three stem convolutions are all at its size. */
  *biggest = (gsize) MAX (self->stem.out, self->clip ? MAX (self->stem2.out, self->stem3.out) : 0) * h * w;
  if (self->clip)
    {
      h /= 2;
      w /= 2;
    }
  else if (!self->cifar)
    {
      h = vt_conv2d_out_size (h, 3, 2, 1);
      w = vt_conv2d_out_size (w, 3, 2, 1);
    }
  for (int i = 0; i < self->n_blocks; i++)
    {
      const Block *blk = &self->blocks[i];
      int oh = h, ow = w;

      for (int c = 0; c < blk->n_convs; c++)
        {
          const ConvBn *cb = &blk->conv[c];

          *biggest = MAX (*biggest, (gsize) MAX (cb->in, cb->out) * h * w);
          oh = vt_conv2d_out_size (oh, cb->kernel, cb->stride, cb->pad);
          ow = vt_conv2d_out_size (ow, cb->kernel, cb->stride, cb->pad);
        }
      if (blk->has_downsample)
        *biggest = MAX (*biggest, (gsize) MAX (blk->downsample.in, blk->downsample.out) * h * w);
      if (blk->pool_stride)
        {
          oh /= blk->stride;
          ow /= blk->stride;
        }
      h = oh;
      w = ow;
    }
  if (self->clip)
    {
      const AttentionPool *p = &self->attnpool;
      pool = (gsize) 3 * p->tokens * p->width + 2 * p->width + (gsize) p->heads * p->tokens;
    }
  return 5 * *biggest + pool;
}

static void
buffers_take (VtResNet *self,
              Buffers  *bufs,
              int       height,
              int       width)
{
  gsize biggest;

  bufs->size = buffers_size (self, height, width, &biggest);
  bufs->block = vt_buffer_pool_take (self->buffers, bufs->size);
  bufs->x = bufs->block;
  bufs->t1 = bufs->x + biggest;
  bufs->t2 = bufs->t1 + biggest;
  bufs->t3 = bufs->t2 + biggest;
  bufs->s = bufs->t3 + biggest;
  bufs->pool = self->clip ? bufs->s + biggest : NULL;
}

static void
buffers_give (VtResNet *self,
              Buffers  *bufs)
{
  vt_buffer_pool_give (self->buffers, bufs->block, bufs->size);
}

/* Buffers are all of the biggest size, so any may take another's role. */
static void
swap_buffers (float **a,
              float **b)
{
  float *t = *a;

  *a = *b;
  *b = t;
}

void
vt_resnet_free (VtResNet *self)
{
  if (self == NULL)
    return;
  vt_buffer_pool_free (self->buffers);
  g_free (self->blocks);
  vt_weights_free (self->weights);
  g_free (self);
}

typedef struct
{
  VtResNet    *self;
  const float *pixels;
  int          batch;
  int          height;
  int          width;
  VtTapFlags   flags;
  VtTaps      *taps;
  float       *features;
} Pass;

/* CLIP's attention pooling of x (C, H·W) into @out (embed); the pooled
 * token's attention probabilities (heads, T) go to @probs. As
 * F.multi_head_attention_forward computes row 0 of it. */
static void
attention_pool (const AttentionPool *p,
                const float         *x,
                float               *pool,
                float               *out,
                float              **probs)
{
  int t = p->tokens, c = p->width, hw = t - 1, d = c / p->heads;
  float *tokens = pool, *keys = tokens + (gsize) t * c, *values = keys + (gsize) t * c;
  float *query = values + (gsize) t * c, *mixed = query + c, *attn = mixed + c;
  float scale = 1.0f / sqrtf ((float) d);

  /* Tokens (T, C): the mean over positions, then every position. */
  vt_global_avgpool (tokens, x, c, hw);
  for (int ch = 0; ch < c; ch++)
    for (int i = 0; i < hw; i++)
      tokens[(gsize) (1 + i) * c + ch] = x[(gsize) ch * hw + i];
  vt_add (tokens, p->pos, (gsize) t * c);

  vt_linear_forward (query, tokens, p->q_w, p->q_b, 1, c, c);
  vt_linear_forward (keys, tokens, p->k_w, p->k_b, t, c, c);
  vt_linear_forward (values, tokens, p->v_w, p->v_b, t, c, c);
  for (int h = 0; h < p->heads; h++)
    {
      float *row = attn + (gsize) h * t;
      for (int j = 0; j < t; j++)
        {
          float dot = 0;
          for (int e = 0; e < d; e++)
            dot += query[h * d + e] * scale * keys[(gsize) j * c + h * d + e];
          row[j] = dot;
        }
      vt_softmax_rows (row, 1, t);
      for (int e = 0; e < d; e++)
        {
          float sum = 0;
          for (int j = 0; j < t; j++)
            sum += row[j] * values[(gsize) j * c + h * d + e];
          mixed[h * d + e] = sum;
        }
    }
  vt_linear_forward (out, mixed, p->c_w, p->c_b, 1, c, p->embed);
  *probs = attn;
}

/* ModifiedResNet's stem: three convolutions, then a 2×2 average pool, into
 * bufs->x. Returns its channels, and its size in *h, *w. */
static int
clip_stem (const Pass  *pass,
           Buffers     *bufs,
           const float *image,
           int          b,
           int         *h,
           int         *w)
{
  VtResNet *self = pass->self;
  int c = self->stem3.out;

  run_conv_bn (&self->stem, bufs->t1, image, pass->height, pass->width, TRUE, h, w);
  run_conv_bn (&self->stem2, bufs->t2, bufs->t1, *h, *w, TRUE, h, w);
  run_conv_bn (&self->stem3, bufs->t1, bufs->t2, *h, *w, TRUE, h, w);
  vt_avgpool2d (bufs->x, bufs->t1, c, *h, *w, 2);
  *h /= 2;
  *w /= 2;
  if (pass->flags & VT_TAP_BLOCKS)
    vt_taps_store (pass->taps, "visual.stem.out", b, 4, (gint64[]) { pass->batch, c, *h, *w }, bufs->x);
  return c;
}

/* torchvision's stem (7×7 convolution, max pool) or the CIFAR one (3×3
 * alone), into bufs->x. Returns its channels, and its size in *h, *w. */
static int
resnet_stem (const Pass  *pass,
             Buffers     *bufs,
             const float *image,
             int          b,
             int         *h,
             int         *w)
{
  VtResNet *self = pass->self;
  gboolean blocks = (pass->flags & VT_TAP_BLOCKS) != 0;
  int c = self->stem.out;

  run_conv_bn (&self->stem, bufs->t1, image, pass->height, pass->width, TRUE, h, w);
  if (self->cifar)
    swap_buffers (&bufs->x, &bufs->t1);
  else
    {
      if (blocks)
        vt_taps_store (pass->taps, "stem.act", b, 4, (gint64[]) { pass->batch, c, *h, *w }, bufs->t1);
      vt_maxpool2d (bufs->x, bufs->t1, c, *h, *w, 3, 2, 1);
      *h = vt_conv2d_out_size (*h, 3, 2, 1);
      *w = vt_conv2d_out_size (*w, 3, 2, 1);
    }
  if (blocks)
    vt_taps_store (pass->taps, "stem.out", b, 4, (gint64[]) { pass->batch, c, *h, *w }, bufs->x);
  return c;
}

/* One image through the network; its pooled feature into pass->features. */
static void
forward_image (const Pass *pass,
               Buffers    *bufs,
               int         b)
{
  VtResNet *self = pass->self;
  gboolean blocks = (pass->flags & VT_TAP_BLOCKS) != 0;
  const float *image = pass->pixels + (gsize) b * 3 * pass->height * pass->width;
  int h, w, c;

  c = self->clip ? clip_stem (pass, bufs, image, b, &h, &w) : resnet_stem (pass, bufs, image, b, &h, &w);

  for (int i = 0; i < self->n_blocks; i++)
    {
      const Block *blk = &self->blocks[i];
      const float *shortcut = bufs->s;
      int h1, w1, h2, w2;
      float **out;

      /* Shortcut first, from the block's input; an identity shortcut is the
       * input itself, which the convolutions below leave untouched. */
      if (blk->has_downsample && blk->pool_stride)
        {
          /* ModifiedResNet: pool, then the 1×1 convolution (t3 is free until conv3). */
          vt_avgpool2d (bufs->t3, bufs->x, c, h, w, blk->stride);
          run_conv_bn (&blk->downsample, bufs->s, bufs->t3, h / blk->stride, w / blk->stride, FALSE,
                       &h2, &w2);
        }
      else if (blk->has_downsample)
        run_conv_bn (&blk->downsample, bufs->s, bufs->x, h, w, FALSE, &h2, &w2);
      else if (blk->option_a_pad > 0 || blk->stride != 1)
        shortcut_option_a (bufs->s, bufs->x, c, h, w, blk->option_a_pad);
      else
        shortcut = bufs->x;

      /* The block's last convolution adds the shortcut and applies the
       * ReLU in its last pass, unless a pooling comes after it. */
      run_conv_bn (&blk->conv[0], bufs->t1, bufs->x, h, w, TRUE, &h1, &w1);
      if (blk->n_convs == 2 && !blk->pool_stride)
        run_conv_bn_add (&blk->conv[1], bufs->t2, bufs->t1, h1, w1, shortcut, TRUE, &h2, &w2);
      else
        run_conv_bn (&blk->conv[1], bufs->t2, bufs->t1, h1, w1, blk->n_convs == 3, &h2, &w2);
      out = &bufs->t2;
      if (blk->pool_stride)
        {
          vt_avgpool2d (bufs->t1, bufs->t2, blk->conv[1].out, h2, w2, blk->stride);
          h2 /= blk->stride;
          w2 /= blk->stride;
          swap_buffers (&bufs->t1, &bufs->t2);
        }
      if (blk->n_convs == 3)
        {
          run_conv_bn_add (&blk->conv[2], bufs->t3, bufs->t2, h2, w2, shortcut, TRUE, &h2, &w2);
          out = &bufs->t3;
        }
      else if (blk->pool_stride)
        vt_add_relu (*out, shortcut, (gsize) blk->out * h2 * w2);
      c = blk->out;
      h = h2;
      w = w2;
      /* The output becomes the next block's input. */
      swap_buffers (&bufs->x, out);

      if (blocks && blk->last_of_stage)
        {
          g_autofree char *name = g_strdup_printf ("%slayer%d.out", self->tower, blk->stage);
          vt_taps_store (pass->taps, name, b, 4, (gint64[]) { pass->batch, c, h, w }, bufs->x);
        }
    }
  if (self->clip)
    {
      const AttentionPool *p = &self->attnpool;
      float *probs;

      attention_pool (p, bufs->x, bufs->pool, pass->features + (gsize) b * self->n_features, &probs);
      if (pass->flags & VT_TAP_ATTENTION)
        vt_taps_store (pass->taps, "visual.attnpool.attn_probs", b, 4,
                       (gint64[]) { pass->batch, p->heads, 1, p->tokens }, probs);
      return;
    }
  if (blocks && !self->cifar)
    vt_taps_store (pass->taps, "features", b, 4, (gint64[]) { pass->batch, c, h, w }, bufs->x);
  vt_global_avgpool (pass->features + (gsize) b * self->n_features, bufs->x, c, h * w);
}

static void
images_range (gsize    begin,
              gsize    end,
              gpointer data)
{
  const Pass *pass = data;
  Buffers bufs;

  buffers_take (pass->self, &bufs, pass->height, pass->width);
  for (gsize b = begin; b < end; b++)
    forward_image (pass, &bufs, (int) b + 1);
  buffers_give (pass->self, &bufs);
}

gboolean
vt_resnet_check_input (VtResNet  *self,
                       int        height,
                       int        width,
                       GError   **error)
{
  /* Below 8 pixels the stride-2 stages leave nothing to pool. */
  if (height < 8 || width < 8)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "the input is %d×%d pixels; this ResNet needs at least 8×8 (it was trained at %d×%d)",
                   width, height, self->image_size, self->image_size);
      return FALSE;
    }
  /* The attention pool's position embedding fixes the final grid. */
  if (self->clip && (height != self->image_size || width != self->image_size))
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "this CLIP ResNet takes %d×%d images (its attention pool's position embedding), not %d×%d",
                   self->image_size, self->image_size, width, height);
      return FALSE;
    }
  return TRUE;
}

double
vt_resnet_forward_bytes (VtResNet    *self,
                         int          batch,
                         int          height,
                         int          width,
                         VtTapFlags   flags)
{
  gsize biggest;
  double image = (double) buffers_size (self, height, width, &biggest);
  /* One image's buffers on each core that takes images (see below). */
  double threads = MIN (MAX (vt_parallel_threads (), 1), MAX (batch, 1));
  double outputs = (double) batch * (3.0 * self->n_features + self->n_classes);

  /* Block taps hold the stem's and every stage's output: each stage halves
   * the pixels and at most doubles their channels, so together no more
   * than four times the stem's. */
  if (flags & VT_TAP_BLOCKS)
    outputs += (double) batch * 4.0 * self->stem.out
               * vt_conv2d_out_size (height, self->stem.kernel, self->stem.stride, self->stem.pad)
               * vt_conv2d_out_size (width, self->stem.kernel, self->stem.stride, self->stem.pad);
  return sizeof (float) * (threads * image + outputs);
}

VtTaps *
vt_resnet_forward (VtResNet     *self,
                   const float  *pixels,
                   int           batch,
                   int           height,
                   int           width,
                   VtTapFlags    flags,
                   GError      **error)
{
  g_autoptr(VtTaps) taps = vt_taps_new ();
  Pass pass = { self, pixels, batch, height, width, flags, taps, NULL };
  float *logits = NULL;
  Buffers bufs;

  if (batch <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a batch of %d images", batch);
      return NULL;
    }
  if (!vt_resnet_check_input (self, height, width, error))
    return NULL;

  pass.features = vt_taps_add (taps, "pre_logits", 2, (gint64[]) { batch, self->n_features });
  if (self->fc_weight)
    logits = vt_taps_add (taps, "logits", 2, (gint64[]) { batch, self->n_classes });

  /* The first image alone (it creates the taps), then the others spread over
   * the cores, each with single-threaded BLAS: small convolutions scale
   * better across images than inside one product. One image uses every
   * core through BLAS. */
  buffers_take (self, &bufs, height, width);
  forward_image (&pass, &bufs, 0);
  buffers_give (self, &bufs);
  if (batch > 1)
    vt_parallel_for_single_blas ((gsize) batch - 1, images_range, &pass);

  if (logits)
    vt_linear_forward (logits, pass.features, self->fc_weight, self->fc_bias, batch, self->n_features, self->n_classes);
  if (self->clip)
    {
      /* As the ViT towers name them: the joint embedding, and it normalized. */
      gint64 shape[2] = { batch, self->n_features };
      float *embeds = vt_taps_add (taps, "image_embeds", 2, shape);
      float *norm = vt_taps_add (taps, "image_embeds_norm", 2, shape);

      memcpy (embeds, pass.features, sizeof (float) * batch * self->n_features);
      for (int b = 0; b < batch; b++)
        vt_l2_normalize (norm + (gsize) b * self->n_features, embeds + (gsize) b * self->n_features,
                         self->n_features);
    }
  return g_steal_pointer (&taps);
}
