/* vt-comet-selector.c: COMET's selector, forward and backward by hand on
 * the engine's kernels (vt-conv, vt-upsample, vt-activation). */
#include "methods/comet/vt-comet-selector.h"

#include "core/vt-random.h"
#include "io/vt-checkpoint.h"
#include "io/vt-safetensors.h"
#include "nn/vt-activation.h"
#include "nn/vt-conv.h"
#include "nn/vt-upsample.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-comet-error-quark, vt_comet_error)

/* The activations of one batch shape, each with its gradient. */
enum
{
  ACT_INPUT,   /* x, a copy: the caller's buffer may change before the backward pass */
  ACT_E1, ACT_E2, ACT_E3,
  ACT_U2,      /* up(e3) */
  ACT_R2,      /* relu(dec2(u2)) */
  ACT_D2,      /* r2 + e2 */
  ACT_U1,      /* up(d2) */
  ACT_R1,      /* relu(dec1(u1)) */
  ACT_D1,      /* r1 + e1 */
  ACT_LOGITS,
  N_ACTS
};

struct _VtCometSelector
{
  int          width;
  VtCometConv  layers[VT_COMET_SELECTOR_LAYERS];
  float       *params;     /* every weight and bias, back to back */
  float       *grads;      /* the same layout */
  gsize        n_params;
  /* the batch shape the activations are laid out for */
  int          batch, height, image_width;
  gsize        sizes[N_ACTS];
  float       *values[N_ACTS];
  float       *dvalues[N_ACTS];
  float       *arena;
};

enum { ENC1, ENC2, ENC3, DEC2, DEC1, HEAD };

static void
layout_layers (VtCometSelector *self)
{
  int w = self->width;
  const struct { const char *name; int in, out, kernel, stride; } specs[VT_COMET_SELECTOR_LAYERS] = {
    { "enc1", 3, w, 3, 1 },         { "enc2", w, 2 * w, 3, 2 },     { "enc3", 2 * w, 4 * w, 3, 2 },
    { "dec2", 4 * w, 2 * w, 3, 1 }, { "dec1", 2 * w, w, 3, 1 },     { "head", w, 1, 1, 1 },
  };
  gsize offset = 0;

  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    offset += (gsize) specs[l].out * specs[l].in * specs[l].kernel * specs[l].kernel + specs[l].out;
  self->n_params = offset;
  self->params = g_new0 (float, offset);
  self->grads = g_new0 (float, offset);
  offset = 0;
  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *c = &self->layers[l];
      gsize nw = (gsize) specs[l].out * specs[l].in * specs[l].kernel * specs[l].kernel;

      c->name = specs[l].name;
      c->in = specs[l].in;
      c->out = specs[l].out;
      c->kernel = specs[l].kernel;
      c->stride = specs[l].stride;
      c->weight = self->params + offset;
      c->dweight = self->grads + offset;
      offset += nw;
      c->bias = self->params + offset;
      c->dbias = self->grads + offset;
      offset += c->out;
    }
}

VtCometSelector *
vt_comet_selector_new (int     width,
                       guint32 seed)
{
  VtCometSelector *self = g_new0 (VtCometSelector, 1);
  VtRandom random;

  g_return_val_if_fail (width > 0, NULL);
  self->width = width;
  layout_layers (self);
  vt_random_init (&random, seed);
  /* nn.Conv2d.reset_parameters: kaiming_uniform_(a=√5) is U(±1/√fan_in)
   * for the weight, and the bias is drawn from the same bound. */
  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *c = &self->layers[l];
      gsize nw = (gsize) c->out * c->in * c->kernel * c->kernel;
      double bound = 1.0 / sqrt ((double) c->in * c->kernel * c->kernel);

      for (gsize i = 0; i < nw; i++)
        c->weight[i] = (float) ((2.0 * vt_random_double (&random) - 1.0) * bound);
      for (int i = 0; i < c->out; i++)
        c->bias[i] = (float) ((2.0 * vt_random_double (&random) - 1.0) * bound);
    }
  return self;
}

static gboolean
copy_tensor (VtCheckpoint *checkpoint,
             const char   *path,
             const char   *name,
             guint         ndim,
             const gint64 *shape,
             float        *out,
             GError      **error)
{
  const VtTensor *tensor = vt_checkpoint_lookup (checkpoint, name);
  gsize numel = 1;
  gboolean same = tensor != NULL && tensor->ndim == ndim && tensor->dtype == VT_DTYPE_F32;

  for (guint d = 0; d < ndim; d++)
    {
      numel *= (gsize) shape[d];
      same = same && tensor->shape[d] == shape[d];
    }
  if (!same)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_WEIGHTS,
                   "%s: %s is %s; the selector whose enc1.weight is there needs it float32 with %u dimensions, "
                   "the first %" G_GINT64_FORMAT, path, name, tensor ? "of another shape or dtype" : "missing", ndim,
                   shape[0]);
      return FALSE;
    }
  memcpy (out, tensor->data, sizeof (float) * numel);
  return TRUE;
}

VtCometSelector *
vt_comet_selector_open (const char  *path,
                        GError     **error)
{
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (path, error);
  g_autoptr(VtCometSelector) self = NULL;
  const VtTensor *enc1;

  if (checkpoint == NULL)
    return NULL;
  enc1 = vt_checkpoint_lookup (checkpoint, "enc1.weight");
  if (enc1 == NULL || enc1->ndim != 4 || enc1->shape[0] < 1 || enc1->shape[0] > 4096)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_WEIGHTS,
                   "%s: no enc1.weight of shape (width, 3, 3, 3): not a COMET selector", path);
      return NULL;
    }
  self = g_new0 (VtCometSelector, 1);
  self->width = (int) enc1->shape[0];
  layout_layers (self);
  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *c = &self->layers[l];
      g_autofree char *weight_name = g_strdup_printf ("%s.weight", c->name);
      g_autofree char *bias_name = g_strdup_printf ("%s.bias", c->name);
      gint64 weight_shape[4] = { c->out, c->in, c->kernel, c->kernel }, bias_shape[1] = { c->out };

      if (!copy_tensor (checkpoint, path, weight_name, 4, weight_shape, c->weight, error) ||
          !copy_tensor (checkpoint, path, bias_name, 1, bias_shape, c->bias, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

void
vt_comet_selector_free (VtCometSelector *self)
{
  if (self == NULL)
    return;
  g_free (self->params);
  g_free (self->grads);
  g_free (self->arena);
  g_free (self);
}

int
vt_comet_selector_get_width (VtCometSelector *self)
{
  return self->width;
}

VtCometConv *
vt_comet_selector_get_layer (VtCometSelector *self,
                             int              index)
{
  g_return_val_if_fail (index >= 0 && index < VT_COMET_SELECTOR_LAYERS, NULL);
  return &self->layers[index];
}

gsize
vt_comet_selector_n_params (VtCometSelector *self)
{
  return self->n_params;
}

void
vt_comet_selector_zero_grad (VtCometSelector *self)
{
  memset (self->grads, 0, sizeof (float) * self->n_params);
}

gboolean
vt_comet_selector_check_input (int      height,
                               int      width,
                               GError **error)
{
  if (height < 4 || width < 4 || height % 4 != 0 || width % 4 != 0)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT,
                   "images of %d × %d pixels: COMET's selector halves them twice and doubles them back, "
                   "so both sides must be multiples of 4", height, width);
      return FALSE;
    }
  return TRUE;
}

/* The floats of each activation on B × H × W images. */
static void
activation_sizes (int    w,
                  int    batch,
                  int    height,
                  int    width,
                  gsize *sizes)
{
  gsize full = (gsize) batch * height * width, half = full / 4, quarter = full / 16;

  sizes[ACT_INPUT] = 3 * full;
  sizes[ACT_E1] = w * full;
  sizes[ACT_E2] = 2 * w * half;
  sizes[ACT_E3] = 4 * w * quarter;
  sizes[ACT_U2] = 4 * w * half;
  sizes[ACT_R2] = 2 * w * half;
  sizes[ACT_D2] = 2 * w * half;
  sizes[ACT_U1] = 2 * w * full;
  sizes[ACT_R1] = w * full;
  sizes[ACT_D1] = w * full;
  sizes[ACT_LOGITS] = full;
}

double
vt_comet_selector_bytes (int width,
                         int batch,
                         int height,
                         int image_width)
{
  gsize sizes[N_ACTS], total = 0;

  activation_sizes (width, batch, height, image_width, sizes);
  for (int a = 0; a < N_ACTS; a++)
    total += 2 * sizes[a];
  return (double) sizeof (float) * total;
}

static void
ensure_layout (VtCometSelector *self,
               int              batch,
               int              height,
               int              width)
{
  gsize total = 0;

  if (self->arena && self->batch == batch && self->height == height && self->image_width == width)
    return;
  g_clear_pointer (&self->arena, g_free);
  activation_sizes (self->width, batch, height, width, self->sizes);
  for (int a = 0; a < N_ACTS; a++)
    total += 2 * self->sizes[a];
  self->arena = g_new0 (float, total);
  total = 0;
  for (int a = 0; a < N_ACTS; a++)
    {
      self->values[a] = self->arena + total;
      total += self->sizes[a];
      self->dvalues[a] = self->arena + total;
      total += self->sizes[a];
    }
  self->batch = batch;
  self->height = height;
  self->image_width = width;
}

static VtConvShape
conv_shape (const VtCometConv *c,
            int                batch,
            int                height,
            int                width)
{
  VtConvShape s = { batch, c->in, height, width, c->out, c->kernel, c->kernel, c->stride, c->kernel / 2, 1 };

  return s;
}

const float *
vt_comet_selector_forward (VtCometSelector *self,
                           const float     *pixels,
                           int              batch,
                           int              height,
                           int              width)
{
  int b = batch, h = height, w = width, h2 = h / 2, w2 = w / 2, h4 = h / 4, w4 = w / 4, cw = self->width;
  float **v;
  VtConvShape s;

  g_return_val_if_fail (batch > 0 && height % 4 == 0 && width % 4 == 0, NULL);
  ensure_layout (self, batch, height, width);
  v = self->values;
  memcpy (v[ACT_INPUT], pixels, sizeof (float) * self->sizes[ACT_INPUT]);

  s = conv_shape (&self->layers[ENC1], b, h, w);
  vt_conv_forward (v[ACT_E1], v[ACT_INPUT], self->layers[ENC1].weight, self->layers[ENC1].bias, &s);
  vt_relu_forward (v[ACT_E1], v[ACT_E1], self->sizes[ACT_E1]);
  s = conv_shape (&self->layers[ENC2], b, h, w);
  vt_conv_forward (v[ACT_E2], v[ACT_E1], self->layers[ENC2].weight, self->layers[ENC2].bias, &s);
  vt_relu_forward (v[ACT_E2], v[ACT_E2], self->sizes[ACT_E2]);
  s = conv_shape (&self->layers[ENC3], b, h2, w2);
  vt_conv_forward (v[ACT_E3], v[ACT_E2], self->layers[ENC3].weight, self->layers[ENC3].bias, &s);
  vt_relu_forward (v[ACT_E3], v[ACT_E3], self->sizes[ACT_E3]);

  vt_upsample_bilinear_forward (v[ACT_U2], v[ACT_E3], b * 4 * cw, h4, w4, h2, w2);
  s = conv_shape (&self->layers[DEC2], b, h2, w2);
  vt_conv_forward (v[ACT_R2], v[ACT_U2], self->layers[DEC2].weight, self->layers[DEC2].bias, &s);
  vt_relu_forward (v[ACT_R2], v[ACT_R2], self->sizes[ACT_R2]);
  vt_residual_forward (v[ACT_D2], v[ACT_R2], v[ACT_E2], self->sizes[ACT_D2]);

  vt_upsample_bilinear_forward (v[ACT_U1], v[ACT_D2], b * 2 * cw, h2, w2, h, w);
  s = conv_shape (&self->layers[DEC1], b, h, w);
  vt_conv_forward (v[ACT_R1], v[ACT_U1], self->layers[DEC1].weight, self->layers[DEC1].bias, &s);
  vt_relu_forward (v[ACT_R1], v[ACT_R1], self->sizes[ACT_R1]);
  vt_residual_forward (v[ACT_D1], v[ACT_R1], v[ACT_E1], self->sizes[ACT_D1]);

  s = conv_shape (&self->layers[HEAD], b, h, w);
  vt_conv_forward (v[ACT_LOGITS], v[ACT_D1], self->layers[HEAD].weight, self->layers[HEAD].bias, &s);
  return v[ACT_LOGITS];
}

/* Layer @layer's backward pass on its input of @height × @width. */
static void
conv_backward (VtCometSelector *self,
               int              layer,
               float           *din,
               const float     *dout,
               const float     *in,
               int              height,
               int              width)
{
  VtCometConv *c = &self->layers[layer];
  VtConvShape s = conv_shape (c, self->batch, height, width);

  vt_conv_backward (din, c->dweight, c->dbias, dout, in, c->weight, &s);
}

void
vt_comet_selector_backward (VtCometSelector *self,
                            const float     *dlogits)
{
  int b = self->batch, h = self->height, w = self->image_width, h2 = h / 2, w2 = w / 2, h4 = h / 4, w4 = w / 4;
  int cw = self->width;
  float **v = self->values, **d = self->dvalues;
  /* a ReLU's input gradient, the largest being u1's size */
  g_autofree float *dz = NULL;

  g_return_if_fail (self->arena != NULL);
  for (int a = 0; a < N_ACTS; a++)
    memset (d[a], 0, sizeof (float) * self->sizes[a]);
  dz = g_new (float, self->sizes[ACT_U1]);

  /* logits = head(d1) */
  conv_backward (self, HEAD, d[ACT_D1], dlogits, v[ACT_D1], h, w);
  /* d1 = r1 + e1; r1 = relu(dec1(u1)) */
  vt_residual_backward (d[ACT_R1], d[ACT_E1], d[ACT_D1], self->sizes[ACT_D1]);
  memset (dz, 0, sizeof (float) * self->sizes[ACT_R1]);
  vt_relu_backward (dz, d[ACT_R1], v[ACT_R1], self->sizes[ACT_R1]);
  conv_backward (self, DEC1, d[ACT_U1], dz, v[ACT_U1], h, w);
  vt_upsample_bilinear_backward (d[ACT_D2], d[ACT_U1], b * 2 * cw, h2, w2, h, w);
  /* d2 = r2 + e2; r2 = relu(dec2(u2)) */
  vt_residual_backward (d[ACT_R2], d[ACT_E2], d[ACT_D2], self->sizes[ACT_D2]);
  memset (dz, 0, sizeof (float) * self->sizes[ACT_R2]);
  vt_relu_backward (dz, d[ACT_R2], v[ACT_R2], self->sizes[ACT_R2]);
  conv_backward (self, DEC2, d[ACT_U2], dz, v[ACT_U2], h2, w2);
  vt_upsample_bilinear_backward (d[ACT_E3], d[ACT_U2], b * 4 * cw, h4, w4, h2, w2);
  /* the encoder, e_i = relu(enc_i(e_{i−1})) */
  memset (dz, 0, sizeof (float) * self->sizes[ACT_E3]);
  vt_relu_backward (dz, d[ACT_E3], v[ACT_E3], self->sizes[ACT_E3]);
  conv_backward (self, ENC3, d[ACT_E2], dz, v[ACT_E2], h2, w2);
  memset (dz, 0, sizeof (float) * self->sizes[ACT_E2]);
  vt_relu_backward (dz, d[ACT_E2], v[ACT_E2], self->sizes[ACT_E2]);
  conv_backward (self, ENC2, d[ACT_E1], dz, v[ACT_E1], h, w);
  memset (dz, 0, sizeof (float) * self->sizes[ACT_E1]);
  vt_relu_backward (dz, d[ACT_E1], v[ACT_E1], self->sizes[ACT_E1]);
  conv_backward (self, ENC1, NULL, dz, v[ACT_INPUT], h, w);
}

gboolean
vt_comet_selector_save (VtCometSelector *self,
                        const char      *path,
                        GError         **error)
{
  const char *names[2 * VT_COMET_SELECTOR_LAYERS];
  char *owned[2 * VT_COMET_SELECTOR_LAYERS] = { NULL };
  guint ndims[2 * VT_COMET_SELECTOR_LAYERS];
  gint64 shapes_data[2 * VT_COMET_SELECTOR_LAYERS][4];
  const gint64 *shapes[2 * VT_COMET_SELECTOR_LAYERS];
  const float *data[2 * VT_COMET_SELECTOR_LAYERS];
  gboolean ok;

  for (int l = 0; l < VT_COMET_SELECTOR_LAYERS; l++)
    {
      VtCometConv *c = &self->layers[l];

      owned[2 * l] = g_strdup_printf ("%s.weight", c->name);
      owned[2 * l + 1] = g_strdup_printf ("%s.bias", c->name);
      names[2 * l] = owned[2 * l];
      names[2 * l + 1] = owned[2 * l + 1];
      ndims[2 * l] = 4;
      ndims[2 * l + 1] = 1;
      shapes_data[2 * l][0] = c->out;
      shapes_data[2 * l][1] = c->in;
      shapes_data[2 * l][2] = c->kernel;
      shapes_data[2 * l][3] = c->kernel;
      shapes_data[2 * l + 1][0] = c->out;
      shapes[2 * l] = shapes_data[2 * l];
      shapes[2 * l + 1] = shapes_data[2 * l + 1];
      data[2 * l] = c->weight;
      data[2 * l + 1] = c->bias;
    }
  ok = vt_safetensors_write_f32 (path, 2 * VT_COMET_SELECTOR_LAYERS, names, ndims, shapes, data, NULL, error);
  for (int i = 0; i < 2 * VT_COMET_SELECTOR_LAYERS; i++)
    g_clear_pointer (&owned[i], g_free);
  return ok;
}
