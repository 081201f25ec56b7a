/* vt-trainable-resnet.c: the trainable ResNets, CIFAR (option-A
 * shortcuts) and torchvision/timm (BasicBlock, Bottleneck; 7×7 stem and
 * max pool). Every convolution is followed by BatchNorm, and runs as the
 * inference pass runs it (vt_conv2d_forward on one image, then the
 * BatchNorm's scale and shift, the residual and the ReLU in that order),
 * so the values are the same; the pre-BatchNorm output is kept for the
 * backward pass, which runs on the whole batch (vt_conv_backward).
 *
 * In eval mode each image runs through the whole network on its own core.
 * In training mode BatchNorm's statistics are the batch's, so the pass
 * goes convolution by convolution, all images each time, with a wait for
 * the statistics between (forward_training). */
#include "vt-trainable-private.h"
#include "core/vt-parallel.h"
#include "nn/vt-activation.h"
#include "nn/vt-conv.h"
#include "nn/vt-linear.h"
#include "nn/vt-norm.h"
#include "nn/vt-ops.h"
#include "nn/vt-pool.h"

#include <math.h>
#include <string.h>

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f   /* PyTorch's default */

/* A convolution without bias, BatchNorm, an optional residual, an optional ReLU. */
typedef struct
{
  VtParam     *weight;    /* (out, in, k, k) */
  VtParam     *gamma, *beta;
  const float *mean, *var;      /* the running statistics: the checkpoint's, or running_* once trained */
  float       *scale, *shift;   /* folded from the above (or the batch's) at each forward pass */
  char        *bn;              /* the BatchNorm's name ("layer1.0.bn1") */
  float       *batch_mean, *batch_rstd;      /* training mode: this batch's, for the backward pass */
  float       *running_mean, *running_var;   /* copies that training mode updates, or NULL */
  gint64       batches_tracked;              /* num_batches_tracked */
  float       *weight_t;        /* (in, out, k, k), flipped: the input gradient's kernel */
  int          in, out, kernel, stride, pad;
  gboolean     relu;
  /* the layout's */
  int          h, w, oh, ow;
  VtTapeNode  *x;         /* input (B, in, h, w) */
  VtTapeNode  *pre;       /* convolution output (B, out, oh, ow) */
  VtTapeNode  *add;       /* residual of y's shape, or NULL */
  VtTapeNode  *y;         /* output */
} ConvBn;

typedef struct
{
  ConvBn       conv[3];
  int          n_convs;        /* 2: BasicBlock, 3: Bottleneck */
  gboolean     has_downsample;
  ConvBn       downsample;
  int          option_a_pad;   /* CIFAR: zero channels on each side, or 0 */
  gboolean     option_a;
  int          stride, in, out, stage, index;
  gboolean     last_of_stage;
  VtTapeNode  *input, *shortcut, *output;
} Block;

typedef struct
{
  VtTrainable *owner;
  VtWeights   *weights;
  gboolean     cifar;
  ConvBn       stem;
  Block       *blocks;
  int          n_blocks;
  VtParam     *fc_w, *fc_b;
  int          n_classes, n_features;
  /* the layout's */
  int          batch, height, width;
  VtTapeNode  *input, *stem_out, *pooled, *logits;
  VtTapeNode  *argmax;          /* the max pool's, (B, C, ph, pw) gint32 */
  int          final_h, final_w;
  gboolean     batchnorm_training;
  /* training mode's order: the convolutions, each with the block whose
   * option-A shortcut is due before it (or NULL) */
  ConvBn     **plan;
  const Block **plan_option_a;
  int          n_plan;
  double      *moments;         /* (B, C, 2) of the convolution in flight: Σ d, Σ d², d = pre − running mean */
  gsize        moments_size;
} ResNet;

/* Every convolution with its BatchNorm, in forward order. */
static void
for_each_conv_bn (ResNet  *self,
                  void   (*func) (ResNet *self, ConvBn *cb))
{
  func (self, &self->stem);
  for (int i = 0; self->blocks && i < self->n_blocks; i++)
    {
      if (self->blocks[i].has_downsample)
        func (self, &self->blocks[i].downsample);
      for (int c = 0; c < self->blocks[i].n_convs; c++)
        func (self, &self->blocks[i].conv[c]);
    }
}

static gboolean
bind_conv_bn (ResNet      *self,
              ConvBn      *cb,
              const char  *conv,
              const char  *bn,
              int          block,
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

  cb->in = in;
  cb->out = out;
  cb->kernel = kernel;
  cb->stride = stride;
  cb->pad = kernel / 2;
  if (!(cb->weight = vt_trainable_bind (self->owner, self->weights, weight, VT_PARAM_OTHER, block,
                                        VT_SHAPE (out, in, kernel, kernel), error)) ||
      !(cb->gamma = vt_trainable_bind (self->owner, self->weights, bn_w, VT_PARAM_NORM, block, VT_SHAPE (out), error)) ||
      !(cb->beta = vt_trainable_bind (self->owner, self->weights, bn_b, VT_PARAM_NORM, block, VT_SHAPE (out), error)) ||
      !(cb->mean = vt_weights_get (self->weights, bn_m, VT_SHAPE (out), error)) ||
      !(cb->var = vt_weights_get (self->weights, bn_v, VT_SHAPE (out), error)))
    return FALSE;
  cb->scale = g_new (float, out);
  cb->shift = g_new (float, out);
  cb->batch_mean = g_new (float, out);
  cb->batch_rstd = g_new (float, out);
  cb->bn = g_strdup (bn);
  cb->weight_t = g_new (float, (gsize) out * in * kernel * kernel);
  return TRUE;
}

static void
clear_conv_bn (ResNet *self,
               ConvBn *cb)
{
  g_clear_pointer (&cb->scale, g_free);
  g_clear_pointer (&cb->shift, g_free);
  g_clear_pointer (&cb->batch_mean, g_free);
  g_clear_pointer (&cb->batch_rstd, g_free);
  g_clear_pointer (&cb->running_mean, g_free);
  g_clear_pointer (&cb->running_var, g_free);
  g_clear_pointer (&cb->bn, g_free);
  g_clear_pointer (&cb->weight_t, g_free);
}

static void
resnet_free (gpointer data)
{
  ResNet *self = data;

  /* blocks that did not bind are zeros, which clear as they are */
  for_each_conv_bn (self, clear_conv_bn);
  g_free (self->plan);
  g_free (self->plan_option_a);
  g_free (self->moments);
  g_free (self->blocks);
  vt_weights_free (self->weights);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ResNet, resnet_free)

/* The block plan as vt-resnet.c binds it: widths from the stored weights,
 * BasicBlock strides in conv1, Bottleneck in conv2. */
static gboolean
bind_blocks (ResNet                *self,
             const VtArchitecture  *arch,
             VtCheckpoint          *checkpoint,
             int                    in,
             GError               **error)
{
  gboolean bottleneck = g_strcmp0 (arch->block, "Bottleneck") == 0;
  int index = 0;

  for (int s = 0; s < arch->n_stages; s++)
    self->n_blocks += arch->stage_blocks[s];
  self->blocks = g_new0 (Block, MAX (self->n_blocks, 1));
  for (int s = 0; s < arch->n_stages; s++)
    for (int i = 0; i < arch->stage_blocks[s]; i++, index++)
      {
        Block *b = &self->blocks[index];
        g_autofree char *base = g_strdup_printf ("layer%d.%d", s + 1, i);
        g_autofree char *first = g_strdup_printf ("%s%s.conv1.weight", arch->prefix, base);
        g_autofree char *down = g_strdup_printf ("%s.downsample.0.weight", base);
        const VtTensor *t = vt_checkpoint_lookup (checkpoint, first);
        int width;

        b->stage = s + 1;
        b->index = i;
        b->last_of_stage = i == arch->stage_blocks[s] - 1;
        b->stride = i == 0 && s > 0 ? 2 : 1;
        b->in = in;
        b->n_convs = bottleneck ? 3 : 2;
        if (t == NULL || t->ndim != 4)
          {
            g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR,
                         "%s: tensor “%s” is missing", vt_checkpoint_get_path (checkpoint), first);
            return FALSE;
          }
        width = (int) t->shape[0];
        for (int c = 0; c < b->n_convs; c++)
          {
            g_autofree char *conv = g_strdup_printf ("%s.conv%d", base, c + 1);
            g_autofree char *bn = g_strdup_printf ("%s.bn%d", base, c + 1);
            int kernel = bottleneck && c != 1 ? 1 : 3;
            int c_out = width;

            if (c == b->n_convs - 1)
              {
                g_autofree char *last = g_strdup_printf ("%s%s.conv%d.weight", arch->prefix, base, c + 1);
                const VtTensor *lt = vt_checkpoint_lookup (checkpoint, last);
                c_out = lt && lt->ndim == 4 ? (int) lt->shape[0] : width * (bottleneck ? 4 : 1);
              }
            if (!bind_conv_bn (self, &b->conv[c], conv, bn, index, c == 0 ? in : width, c_out, kernel,
                               (bottleneck ? c == 1 : c == 0) ? b->stride : 1, error))
              return FALSE;
            b->conv[c].relu = TRUE;
          }
        b->out = b->conv[b->n_convs - 1].out;
        if (vt_weights_has (self->weights, down))
          {
            g_autofree char *conv = g_strdup_printf ("%s.downsample.0", base);
            g_autofree char *bn = g_strdup_printf ("%s.downsample.1", base);

            b->has_downsample = TRUE;
            if (!bind_conv_bn (self, &b->downsample, conv, bn, index, in, b->out, 1, b->stride, error))
              return FALSE;
            b->downsample.pad = 0;
          }
        else if (self->cifar && (b->stride != 1 || in != b->out))
          {
            b->option_a = TRUE;
            b->option_a_pad = (b->out - in) / 2;
          }
        else if (b->stride != 1 || in != b->out)
          {
            g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_MISSING_TENSOR,
                         "%s: tensor “%s%s” is missing (block changes shape)",
                         vt_checkpoint_get_path (checkpoint), arch->prefix, down);
            return FALSE;
          }
        in = b->out;
      }
  self->n_features = in;
  return TRUE;
}

/* ---- layout -------------------------------------------------------------- */

static VtTapeNode *
image_node (VtTape     *tape,
            const char *name,
            int         batch,
            int         c,
            int         h,
            int         w)
{
  return vt_tape_node (tape, name, 4, (gint64[]) { batch, c, h, w });
}

/* Lays out @cb on input @x (h × w): its convolution output @pre_name and
 * its output @y_name (or @y when given). */
static void
layout_conv_bn (ResNet      *self,
                VtTape      *tape,
                ConvBn      *cb,
                VtTapeNode  *x,
                int          h,
                int          w,
                const char  *pre_name,
                const char  *y_name)
{
  cb->x = x;
  cb->h = h;
  cb->w = w;
  cb->oh = vt_conv2d_out_size (h, cb->kernel, cb->stride, cb->pad);
  cb->ow = vt_conv2d_out_size (w, cb->kernel, cb->stride, cb->pad);
  cb->pre = image_node (tape, pre_name, self->batch, cb->out, cb->oh, cb->ow);
  cb->pre->assigned = TRUE;   /* by bn_backward, or it is the target */
  cb->y = image_node (tape, y_name, self->batch, cb->out, cb->oh, cb->ow);
  cb->add = NULL;
}

static void
resnet_layout (gpointer  data,
               VtTape   *tape,
               int       batch,
               int       height,
               int       width)
{
  ResNet *self = data;
  VtTapeNode *x;
  int h, w;

  self->batch = batch;
  self->height = height;
  self->width = width;
  {
    gsize widest = 0;

    for (int k = 0; k < self->n_plan; k++)
      widest = MAX (widest, (gsize) self->plan[k]->out);
    if ((gsize) batch * widest * 2 > self->moments_size)
      {
        self->moments_size = (gsize) batch * widest * 2;
        self->moments = g_renew (double, self->moments, self->moments_size);
      }
  }
  self->input = image_node (tape, "input", batch, 3, height, width);
  layout_conv_bn (self, tape, &self->stem, self->input, height, width, "conv1",
                  self->cifar ? "stem.out" : "stem.act");
  self->stem.relu = TRUE;
  h = self->stem.oh;
  w = self->stem.ow;
  x = self->stem.y;
  if (!self->cifar)
    {
      h = vt_pool_out_size (h, 3, 2, 1);
      w = vt_pool_out_size (w, 3, 2, 1);
      x = self->stem_out = image_node (tape, "stem.out", batch, self->stem.out, h, w);
      self->argmax = vt_tape_work (tape, (gsize) batch * self->stem.out * h * w);
    }
  else
    self->stem_out = self->stem.y;

  for (int i = 0; i < self->n_blocks; i++)
    {
      Block *b = &self->blocks[i];
      g_autofree char *base = g_strdup_printf ("layer%d.%d", b->stage, b->index);
      ConvBn *last = &b->conv[b->n_convs - 1];
      int ch = h, cw = w;

      b->input = x;
      b->shortcut = x;
      if (b->has_downsample)
        {
          g_autofree char *pre = g_strdup_printf ("%s.downsample.0", base);
          g_autofree char *y = g_strdup_printf ("%s.downsample", base);

          layout_conv_bn (self, tape, &b->downsample, x, h, w, pre, y);
          b->shortcut = b->downsample.y;
        }
      else if (b->option_a)
        {
          g_autofree char *name = g_strdup_printf ("%s.shortcut", base);

          b->shortcut = image_node (tape, name, batch, b->out, (h + 1) / 2, (w + 1) / 2);
        }
      for (int c = 0; c < b->n_convs; c++)
        {
          g_autofree char *pre = g_strdup_printf ("%s.conv%d", base, c + 1);
          g_autofree char *y = c == b->n_convs - 1 ? g_strdup_printf ("%s.out", base)
                                                   : g_strdup_printf ("%s.act%d", base, c + 1);

          layout_conv_bn (self, tape, &b->conv[c], x, ch, cw, pre, y);
          x = b->conv[c].y;
          ch = b->conv[c].oh;
          cw = b->conv[c].ow;
        }
      last->add = b->shortcut;
      b->output = x;
      h = ch;
      w = cw;
      if (b->last_of_stage)
        {
          g_autofree char *stage = g_strdup_printf ("layer%d.out", b->stage);
          vt_tape_alias (tape, x, stage);
        }
    }
  if (!self->cifar)
    vt_tape_alias (tape, x, "features");
  self->final_h = h;
  self->final_w = w;
  self->pooled = vt_tape_node (tape, "pre_logits", 2, (gint64[]) { batch, self->n_features });
  self->logits = self->fc_w == NULL ? NULL
                 : vt_tape_node (tape, "logits", 2, (gint64[]) { batch, self->n_classes });
}

/* ---- forward ------------------------------------------------------------- */

static gsize
per_image (const VtTapeNode *node)
{
  return node->numel / (gsize) node->shape[0];
}

/* Image @b through @cb's convolution, as the inference pass runs it. */
static void
conv_forward (gconstpointer data,
              int           b)
{
  const ConvBn *cb = data;

  vt_conv2d_forward (cb->pre->value + b * per_image (cb->pre), cb->x->value + b * per_image (cb->x),
                     cb->weight->pub.value, NULL, cb->in, cb->h, cb->w, cb->out,
                     cb->kernel, cb->kernel, cb->stride, cb->pad, NULL);
}

/* Image @b through @cb's epilogue: the BatchNorm's scale and shift, the
 * residual, the ReLU, in the inference epilogue's order (vt-gemm.c). */
static void
bn_epilogue (gconstpointer data,
             int           b)
{
  const ConvBn *cb = data;
  const float *pre = cb->pre->value + b * per_image (cb->pre);
  float *y = cb->y->value + b * per_image (cb->y);
  const float *add = cb->add ? cb->add->value + b * per_image (cb->add) : NULL;
  gsize p = (gsize) cb->oh * cb->ow;

  for (int k = 0; k < cb->out; k++)
    for (gsize i = 0; i < p; i++)
      {
        gsize at = (gsize) k * p + i;
        float v = pre[at] * cb->scale[k];

        v = v + cb->shift[k];
        if (add != NULL)
          v = v + add[at];
        if (cb->relu)
          v = v < 0.0f ? 0.0f : v;
        y[at] = v;
      }
}

static void
conv_bn_forward (const ConvBn *cb,
                 int           b)
{
  conv_forward (cb, b);
  bn_epilogue (cb, b);
}

/* The option-A shortcut: every second pixel, channels zero-padded. */
static void
option_a_forward (gconstpointer data,
                  int           b)
{
  const Block *blk = data;
  const VtTapeNode *in = blk->input, *out = blk->shortcut;
  int c = (int) in->shape[1], h = (int) in->shape[2], w = (int) in->shape[3];
  int oh = (int) out->shape[2], ow = (int) out->shape[3];
  const float *x = in->value + b * per_image (in);
  float *s = out->value + b * per_image (out);

  memset (s, 0, sizeof (float) * per_image (out));
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < oh; y++)
      for (int xx = 0; xx < ow; xx++)
        s[((gsize) (ch + blk->option_a_pad) * oh + y) * ow + xx] = x[((gsize) ch * h + 2 * y) * w + 2 * xx];
}

static void
option_a_backward (const Block *blk)
{
  const VtTapeNode *in = blk->input, *out = blk->shortcut;
  int c = (int) in->shape[1], h = (int) in->shape[2], w = (int) in->shape[3];
  int oh = (int) out->shape[2], ow = (int) out->shape[3];

  for (gint64 b = 0; b < in->shape[0]; b++)
    {
      float *dx = in->grad + b * per_image (in);
      const float *ds = out->grad + b * per_image (out);

      for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < oh; y++)
          for (int xx = 0; xx < ow; xx++)
            dx[((gsize) ch * h + 2 * y) * w + 2 * xx] += ds[((gsize) (ch + blk->option_a_pad) * oh + y) * ow + xx];
    }
}

static void
stem_pool_forward (gconstpointer data,
                   int           b)
{
  const ResNet *self = data;
  const VtTapeNode *act = self->stem.y;
  gsize plane = per_image (self->stem_out);

  vt_maxpool_forward (self->stem_out->value + b * plane, (gint32 *) self->argmax->value + b * plane,
                      act->value + b * per_image (act), self->stem.out,
                      (int) act->shape[2], (int) act->shape[3], 3, 2, 1);
}

static void
head_pool_forward (gconstpointer data,
                   int           b)
{
  const ResNet *self = data;
  const VtTapeNode *last = self->blocks[self->n_blocks - 1].output;

  vt_global_avgpool (self->pooled->value + (gsize) b * self->n_features, last->value + b * per_image (last),
                     self->n_features, self->final_h * self->final_w);
}

static void
forward_image (const ResNet *self,
               int           b)
{
  conv_bn_forward (&self->stem, b);
  if (!self->cifar)
    stem_pool_forward (self, b);
  for (int i = 0; i < self->n_blocks; i++)
    {
      const Block *blk = &self->blocks[i];

      if (blk->has_downsample)
        conv_bn_forward (&blk->downsample, b);
      else if (blk->option_a)
        option_a_forward (blk, b);
      for (int c = 0; c < blk->n_convs; c++)
        conv_bn_forward (&blk->conv[c], b);
    }
  head_pool_forward (self, b);
}

static void
images_range (gsize    begin,
              gsize    end,
              gpointer data)
{
  for (gsize b = begin; b < end; b++)
    forward_image (data, (int) b);
}

static void
fold (ResNet *self,
      ConvBn *cb)
{
  vt_batchnorm_fold (cb->scale, cb->shift, cb->gamma->pub.value, cb->beta->pub.value, cb->mean, cb->var,
                     BN_EPS, cb->out);
}

/* ---- forward in training mode: layer by layer ----------------------------- */

typedef struct
{
  void        (*func) (gconstpointer what, int b);
  gconstpointer what;
} ImageJob;

static void
image_job_range (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const ImageJob *job = data;

  for (gsize b = begin; b < end; b++)
    job->func (job->what, (int) b);
}

/* @func (@what, b) for every image b, spread over the cores. */
static void
for_each_image (const ResNet  *self,
                void         (*func) (gconstpointer what, int b),
                gconstpointer  what)
{
  ImageJob job = { func, what };

  vt_parallel_for_single_blas ((gsize) self->batch, image_job_range, &job);
}

/* Training mode runs in phases, one per convolution k of the plan: every
 * image finishes convolution k − 1 (its epilogue, then the max pool after
 * the stem), then starts k (its option-A shortcut if due, the convolution,
 * and each channel's Σ d and Σ d² over its plane while it is in cache);
 * between phases the batch's statistics are reduced from those sums. So
 * each activation is made and used while its image's planes are hot, as
 * in eval mode, with one wait per convolution. */
typedef struct
{
  ResNet *self;
  int     k;
} Phase;

static void
training_phase (gconstpointer data,
                int           b)
{
  const Phase *phase = data;
  ResNet *self = phase->self;
  const ConvBn *cb;
  gsize hw;

  if (phase->k > 0)
    {
      bn_epilogue (self->plan[phase->k - 1], b);
      if (phase->k == 1 && !self->cifar)
        stem_pool_forward (self, b);
    }
  if (phase->k == self->n_plan)
    {
      head_pool_forward (self, b);
      return;
    }
  cb = self->plan[phase->k];
  if (self->plan_option_a[phase->k])
    option_a_forward (self->plan_option_a[phase->k], b);
  conv_forward (cb, b);
  hw = (gsize) cb->oh * cb->ow;
  for (int ch = 0; ch < cb->out; ch++)
    {
      double *at = self->moments + ((gsize) b * cb->out + ch) * 2;

      at[0] = at[1] = 0.0;
      vt_batchnorm_plane_moments (cb->pre->value + ((gsize) b * cb->out + ch) * hw, hw, cb->mean[ch], &at[0],
                                  &at[1]);
    }
}

/* The batch's statistics of each channel from the images' sums, folded
 * into scale and shift as vt_batchnorm_fold folds the running ones: scale
 * = γ · rstd, shift = β − mean · scale; the running statistics move. */
static void
reduce_statistics (ResNet *self,
                   ConvBn *cb)
{
  double m = (double) self->batch * cb->oh * cb->ow;

  for (int ch = 0; ch < cb->out; ch++)
    {
      double sum = 0.0, sq = 0.0;

      for (int b = 0; b < self->batch; b++)
        {
          const double *at = self->moments + ((gsize) b * cb->out + ch) * 2;

          sum += at[0];
          sq += at[1];
        }
      /* the shift is the running mean as it was before this update */
      vt_batchnorm_finish_statistics (cb->batch_mean, cb->batch_rstd, cb->running_mean, cb->running_var,
                                      cb->mean[ch], sum, sq, m, BN_EPS, BN_MOMENTUM, ch);
      cb->scale[ch] = cb->gamma->pub.value[ch] * cb->batch_rstd[ch];
      cb->shift[ch] = cb->beta->pub.value[ch] - cb->batch_mean[ch] * cb->scale[ch];
    }
  cb->batches_tracked++;
}

static void
forward_training (ResNet *self)
{
  for (int k = 0; k <= self->n_plan; k++)
    {
      Phase phase = { self, k };

      for_each_image (self, training_phase, &phase);
      if (k < self->n_plan)
        reduce_statistics (self, self->plan[k]);
    }
}

static void
add_to_plan (ResNet *self,
             ConvBn *cb)
{
  self->plan[self->n_plan++] = cb;
}

/* The plan: for_each_conv_bn's order; an option-A block's shortcut is due
 * before its first convolution (its input is the block's). */
static void
make_plan (ResNet *self)
{
  int n = 1;

  for (int i = 0; i < self->n_blocks; i++)
    n += self->blocks[i].n_convs + (self->blocks[i].has_downsample ? 1 : 0);
  self->plan = g_new0 (ConvBn *, n);
  self->plan_option_a = g_new0 (const Block *, n);
  for_each_conv_bn (self, add_to_plan);
  for (int k = 0; k < self->n_plan; k++)
    for (int i = 0; i < self->n_blocks; i++)
      if (self->blocks[i].option_a && self->plan[k] == &self->blocks[i].conv[0])
        self->plan_option_a[k] = &self->blocks[i];
}

/* Training mode's running statistics: copies of the checkpoint's (or of
 * what an earlier training mode left), which vt_trainable_lookup_buffer
 * shows as the checkpoint's tensors would be. */
static void
own_running_statistics (ResNet *self,
                        ConvBn *cb)
{
  g_autofree char *mean = g_strdup_printf ("%s.running_mean", cb->bn);
  g_autofree char *var = g_strdup_printf ("%s.running_var", cb->bn);
  g_autofree char *tracked = g_strdup_printf ("%s.num_batches_tracked", cb->bn);
  const VtTensor *stored = vt_weights_lookup (self->weights, tracked);

  if (cb->running_mean != NULL)
    return;
  cb->mean = cb->running_mean = g_memdup2 (cb->mean, sizeof (float) * cb->out);
  cb->var = cb->running_var = g_memdup2 (cb->var, sizeof (float) * cb->out);
  vt_trainable_add_buffer (self->owner, mean, VT_DTYPE_F32, VT_SHAPE (cb->out), cb->running_mean);
  vt_trainable_add_buffer (self->owner, var, VT_DTYPE_F32, VT_SHAPE (cb->out), cb->running_var);
  /* PyTorch's counter, where the checkpoint has one: a scalar integer */
  if (stored != NULL && stored->numel == 1 && stored->dtype == VT_DTYPE_I64)
    {
      cb->batches_tracked = (gint64) vt_dtype_read_double (stored->dtype, stored->data, 0);
      vt_trainable_add_buffer (self->owner, tracked, VT_DTYPE_I64, stored->ndim, stored->shape,
                               &cb->batches_tracked);
    }
}

static void
resnet_set_batchnorm_training (gpointer data,
                               gboolean training)
{
  ResNet *self = data;

  if (training)
    for_each_conv_bn (self, own_running_statistics);
  self->batchnorm_training = training;
}

static void
resnet_forward (gpointer      data,
                gconstpointer input)
{
  ResNet *self = data;
  const float *pixels = input;

  memcpy (self->input->value, pixels, sizeof (float) * self->input->numel);
  if (self->batchnorm_training)
    forward_training (self);
  else
    {
      for_each_conv_bn (self, fold);
      /* The images spread over the cores, each with single-threaded BLAS,
       * as the inference pass does. */
      vt_parallel_for_single_blas ((gsize) self->batch, images_range, self);
    }
  if (self->logits)
    vt_linear_forward (self->logits->value, self->pooled->value, self->fc_w->pub.value, self->fc_b->pub.value,
                       self->batch, self->n_features, self->n_classes);
}

/* ---- backward ------------------------------------------------------------ */

static gboolean
live (const VtTapeNode *node,
      const VtTapeNode *target)
{
  return node->order <= target->order;
}

/* Through the ReLU (y > 0 ⇔ its input > 0), the residual and the
 * BatchNorm, channel by channel: add->grad += dz, pre->grad = dz · scale
 * (eval mode) or vt_batchnorm_train_backward's formula (training mode),
 * and the BatchNorm's parameter gradients. */
typedef struct
{
  const ConvBn *cb;
  int           batch;
  gboolean      training;
} BnJob;

/* One plane: dz = dy where y > 0 (or everywhere without a ReLU), written
 * to dpre scaled; loops without a branch, so that they vectorize. */
static void
plane_backward (float       *restrict dpre,
                float       *restrict dadd,
                const float *restrict y,
                const float *restrict dy,
                gsize                 hw,
                gboolean              relu,
                float                 scale)
{
  /* both loaded, then a select: a branch on y's sign mispredicts half the
   * time, and this loop vectorizes */
  if (relu)
    for (gsize p = 0; p < hw; p++)
      {
        float d = dy[p], v = y[p];

        dpre[p] = v > 0.0f ? d : 0.0f;
      }
  else
    memcpy (dpre, dy, sizeof (float) * hw);
  if (dadd)
    for (gsize p = 0; p < hw; p++)
      dadd[p] += dpre[p];
}

/* Σ dz and Σ dz · (pre − mean) over a plane, dz still unscaled in dpre. */
static void
plane_sums (const float *restrict dz,
            const float *restrict pre,
            gsize                 hw,
            float                 mean,
            double               *sum_dz,
            double               *sum_dz_x)
{
  float a = 0.0f, b = 0.0f;

  for (gsize p = 0; p < hw; p++)
    {
      a += dz[p];
      b += dz[p] * (pre[p] - mean);
    }
  *sum_dz += a;
  *sum_dz_x += b;
}

/* Training mode's dpre from dz (in place): with x̂ = (pre − mean) · rstd
 * and M = B·H·W, dpre = scale · (dz − Σ dz / M − x̂ · Σ dz · x̂ / M). */
static void
plane_train_backward (float       *restrict dz,
                      const float *restrict pre,
                      gsize                 hw,
                      float                 mean,
                      float                 scale,
                      float                 shift_dz,
                      float                 slope)
{
  for (gsize p = 0; p < hw; p++)
    dz[p] = scale * (dz[p] - shift_dz - (pre[p] - mean) * slope);
}

static void
bn_backward_range (gsize    begin,
                   gsize    end,
                   gpointer data)
{
  const BnJob *job = data;
  const ConvBn *cb = job->cb;
  gsize hw = (gsize) cb->oh * cb->ow;
  gboolean params = cb->gamma->pub.grad != NULL || cb->beta->pub.grad != NULL;

  for (gsize ch = begin; ch < end; ch++)
    {
      double sum_dz = 0.0, sum_dz_x = 0.0, m = (double) job->batch * hw;
      float mean = job->training ? cb->batch_mean[ch] : cb->mean[ch], scale = cb->scale[ch];

      for (int n = 0; n < job->batch; n++)
        {
          gsize o = ((gsize) n * cb->out + ch) * hw;
          float *dpre = cb->pre->grad + o;

          plane_backward (dpre, cb->add ? cb->add->grad + o : NULL, cb->y->value + o, cb->y->grad + o, hw,
                          cb->relu, scale);
          if (params || job->training)
            plane_sums (dpre, cb->pre->value + o, hw, mean, &sum_dz, &sum_dz_x);
          if (!job->training)
            for (gsize p = 0; p < hw; p++)
              dpre[p] *= scale;
        }
      if (job->training)
        {
          double rstd = cb->batch_rstd[ch];

          /* the batch's mean and variance depend on every pre: a second pass */
          for (int n = 0; n < job->batch; n++)
            {
              gsize o = ((gsize) n * cb->out + ch) * hw;

              plane_train_backward (cb->pre->grad + o, cb->pre->value + o, hw, mean, scale, (float) (sum_dz / m),
                                    (float) (sum_dz_x * rstd * rstd / m));
            }
          if (cb->gamma->pub.grad)
            cb->gamma->pub.grad[ch] += (float) (sum_dz_x * rstd);
        }
      else if (cb->gamma->pub.grad)
        cb->gamma->pub.grad[ch] += (float) (sum_dz_x / sqrt ((double) cb->var[ch] + BN_EPS));
      if (cb->beta->pub.grad)
        cb->beta->pub.grad[ch] += (float) sum_dz;
    }
}

/* The input gradient of a stride-1 convolution is a convolution itself:
 * dout with the flipped, transposed kernel and padding k − 1 − pad, run by
 * the forward pass's kernel, image by image. */
typedef struct
{
  const ConvBn *cb;
  float        *work;   /* (B, in, h, w) */
} InputJob;

static void
input_backward_range (gsize    begin,
                      gsize    end,
                      gpointer data)
{
  const InputJob *job = data;
  const ConvBn *cb = job->cb;
  gsize in_size = per_image (cb->x), out_size = per_image (cb->pre);

  for (gsize b = begin; b < end; b++)
    {
      float *work = job->work + b * in_size;

      vt_conv2d_forward (work, cb->pre->grad + b * out_size, cb->weight_t, NULL, cb->out, cb->oh, cb->ow, cb->in,
                         cb->kernel, cb->kernel, 1, cb->kernel - 1 - cb->pad, NULL);
      vt_add (cb->x->grad + b * in_size, work, in_size);
    }
}

static void
transpose_kernel (const ConvBn *cb)
{
  const float *w = cb->weight->pub.value;
  int k = cb->kernel;

  for (int o = 0; o < cb->out; o++)
    for (int c = 0; c < cb->in; c++)
      for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
          cb->weight_t[(((gsize) c * cb->out + o) * k + (k - 1 - i)) * k + (k - 1 - j)] =
            w[(((gsize) o * cb->in + c) * k + i) * k + j];
}

static void
conv_bn_backward (ResNet           *self,
                  const ConvBn     *cb,
                  const VtTapeNode *target,
                  gboolean          input)
{
  VtConvShape shape = { self->batch, cb->in, cb->h, cb->w, cb->out, cb->kernel, cb->kernel, cb->stride, cb->pad, 1 };
  gboolean din = cb->x != self->input || input;

  if (live (cb->y, target))
    {
      BnJob job = { cb, self->batch, self->batchnorm_training };

      vt_parallel_for ((gsize) cb->out, bn_backward_range, &job);
    }
  if (!live (cb->pre, target))
    return;
  if (din && cb->stride == 1)
    {
      InputJob job = { cb, vt_trainable_scratch (self->owner, 0) };

      transpose_kernel (cb);
      vt_parallel_for_single_blas ((gsize) self->batch, input_backward_range, &job);
      din = FALSE;
    }
  if (din || cb->weight->pub.grad)
    vt_conv_backward (din ? cb->x->grad : NULL, cb->weight->pub.grad, NULL, cb->pre->grad, cb->x->value,
                      cb->weight->pub.value, &shape);
}

static void
resnet_backward (gpointer          data,
                 const VtTapeNode *target,
                 gboolean          input)
{
  ResNet *self = data;
  const VtTapeNode *last = self->blocks[self->n_blocks - 1].output;

  if (self->logits && live (self->logits, target))
    vt_linear_backward (self->pooled->grad, self->fc_w->pub.grad, self->fc_b->pub.grad, self->logits->grad,
                        self->pooled->value, self->fc_w->pub.value, self->batch, self->n_features, self->n_classes);
  if (live (self->pooled, target))
    vt_global_avgpool_backward (last->grad, self->pooled->grad, self->batch * self->n_features,
                                self->final_h * self->final_w);
  for (int i = self->n_blocks - 1; i >= 0; i--)
    {
      const Block *blk = &self->blocks[i];

      for (int c = blk->n_convs - 1; c >= 0; c--)
        conv_bn_backward (self, &blk->conv[c], target, input);
      if (blk->has_downsample)
        conv_bn_backward (self, &blk->downsample, target, input);
      else if (blk->option_a && live (blk->shortcut, target))
        option_a_backward (blk);
    }
  if (!self->cifar && live (self->stem_out, target))
    vt_maxpool_backward (self->stem.y->grad, self->stem_out->grad, (const gint32 *) self->argmax->value, self->batch * self->stem.out,
                         (int) self->stem.y->shape[2], (int) self->stem.y->shape[3],
                         (int) self->stem_out->shape[2], (int) self->stem_out->shape[3]);
  conv_bn_backward (self, &self->stem, target, input);
}

static gboolean
resnet_check_input (gpointer   data,
                    int        height,
                    int        width,
                    GError   **error)
{
  if (height < 8 || width < 8)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                   "the input is %d×%d pixels; this ResNet needs at least 8×8", width, height);
      return FALSE;
    }
  return TRUE;
}

/* PyTorch refuses a BatchNorm in training mode that would see one value
 * per channel ("Expected more than 1 value per channel when training"):
 * its unbiased variance would divide by zero. A batch of one image over a
 * 1×1 map is such a case (a torchvision ResNet's layer4 at 32×32); one
 * image over a larger map is not. */
static gboolean
one_value_per_channel (const ResNet  *self,
                       const ConvBn  *cb,
                       GError       **error)
{
  if ((gsize) self->batch * cb->oh * cb->ow > 1)
    return FALSE;
  g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
               "%s: BatchNorm in training mode needs more than 1 value per channel, but a batch of %d image "
               "over its %d×%d map gives it 1; use a batch of at least 2 images (or BatchNorm in eval mode)",
               cb->bn, self->batch, cb->ow, cb->oh);
  return TRUE;
}

/* The BatchNorms in PyTorch's order (a block's convolutions, then its
 * downsample), so the one named is the one PyTorch would stop at. */
static gboolean
resnet_check_layout (gpointer   data,
                     GError   **error)
{
  ResNet *self = data;

  if (!self->batchnorm_training)
    return TRUE;
  if (one_value_per_channel (self, &self->stem, error))
    return FALSE;
  for (int i = 0; i < self->n_blocks; i++)
    {
      const Block *b = &self->blocks[i];

      for (int c = 0; c < b->n_convs; c++)
        if (one_value_per_channel (self, &b->conv[c], error))
          return FALSE;
      if (b->has_downsample && one_value_per_channel (self, &b->downsample, error))
        return FALSE;
    }
  return TRUE;
}

static const VtTrainableFamily resnet_family = {
  resnet_check_input, resnet_layout, resnet_forward, resnet_backward, resnet_free, resnet_set_batchnorm_training,
  resnet_check_layout,
};

gpointer
vt_trainable_resnet_new (VtTrainable               *owner,
                         VtCheckpoint              *checkpoint,
                         const VtArchitecture      *arch,
                         const VtTrainableFamily  **family,
                         GError                   **error)
{
  g_autoptr(ResNet) self = g_new0 (ResNet, 1);
  const char *fc;

  self->owner = owner;
  self->weights = vt_weights_new (checkpoint, arch->prefix);
  self->cifar = arch->family == VT_ARCH_CIFAR_RESNET;
  if (!bind_conv_bn (self, &self->stem, "conv1", "bn1", -1, 3, arch->width, self->cifar ? 3 : 7,
                     self->cifar ? 1 : 2, error) ||
      !bind_blocks (self, arch, checkpoint, arch->width, error))
    return NULL;
  if (self->n_blocks == 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s: a ResNet without blocks",
                   vt_checkpoint_get_path (checkpoint));
      return NULL;
    }
  fc = self->cifar ? "linear" : "fc";
  {
    g_autofree char *fc_w = g_strdup_printf ("%s.weight", fc);
    g_autofree char *fc_b = g_strdup_printf ("%s.bias", fc);

    if (vt_weights_has (self->weights, fc_w))
      {
        self->n_classes = arch->num_classes;
        if (!(self->fc_w = vt_trainable_bind (owner, self->weights, fc_w, VT_PARAM_HEAD, self->n_blocks,
                                              VT_SHAPE (self->n_classes, self->n_features), error)) ||
            !(self->fc_b = vt_trainable_bind (owner, self->weights, fc_b, VT_PARAM_HEAD, self->n_blocks,
                                              VT_SHAPE (self->n_classes), error)))
          return NULL;
      }
  }
  make_plan (self);
  vt_trainable_set_n_blocks (owner, self->n_blocks);
  *family = &resnet_family;
  return g_steal_pointer (&self);
}
