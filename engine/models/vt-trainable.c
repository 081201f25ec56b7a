/* vt-trainable.c: the parameters, the tape and the family table behind
 * VtTrainable; the passes themselves are in vt-trainable-<family>.c. */
#include "vt-trainable-private.h"
#include "io/vt-safetensors.h"

#include <string.h>

struct _VtTrainable
{
  GPtrArray                *params;     /* VtParam, owned */
  GHashTable               *by_name;    /* borrowed names -> VtParam */
  int                       n_blocks;
  VtTape                   *tape;
  const VtTrainableFamily  *family;
  gpointer                  state;      /* the family's */
  GHashTable               *buffers;    /* name -> VtTensor over the family's data, owned */
  gboolean                  batchnorm_training;
  gboolean                  forwarded;
  gboolean                  no_input_gradient;
  gboolean                  text;
  int                       vocab;
  VtParam                  *token_embedding;   /* a text tower's, or NULL */
  int                       batch, height, width;
};

static void
param_free (gpointer data)
{
  VtParam *p = data;

  if (p->pub.value != p->stored)
    g_free (p->pub.value);
  g_free (p->pub.grad);
  g_free ((char *) p->pub.name);
  g_free (p);
}

static void
buffer_free (gpointer data)
{
  VtTensor *t = data;

  g_free (t->name);
  g_free (t);
}

/* The parts both constructors share. */
static VtTrainable *
trainable_alloc (void)
{
  VtTrainable *self = g_new0 (VtTrainable, 1);

  self->params = g_ptr_array_new_with_free_func (param_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->buffers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, buffer_free);
  self->tape = vt_tape_new ();
  return self;
}

/* The families vt-trainable-vit.c runs (a CLIP image tower that is a ViT,
 * not a ModifiedResNet). */
static gboolean
is_vit (const VtArchitecture *arch)
{
  return arch->family == VT_ARCH_TIMM_VIT || arch->family == VT_ARCH_TORCHVISION_VIT ||
         ((arch->family == VT_ARCH_OPENCLIP || arch->family == VT_ARCH_HF_CLIP) && arch->patch_size > 0);
}

gboolean
vt_trainable_supports (const VtArchitecture *arch)
{
  return arch->family == VT_ARCH_RESNET || arch->family == VT_ARCH_CIFAR_RESNET || is_vit (arch);
}

VtTrainable *
vt_trainable_new (VtCheckpoint          *checkpoint,
                  const VtArchitecture  *arch,
                  GError               **error)
{
  g_autoptr(VtTrainable) self = trainable_alloc ();

  if (arch->family == VT_ARCH_RESNET || arch->family == VT_ARCH_CIFAR_RESNET)
    self->state = vt_trainable_resnet_new (self, checkpoint, arch, &self->family, error);
  else if (is_vit (arch))
    self->state = vt_trainable_vit_new (self, checkpoint, arch, &self->family, error);
  else
    g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                 "%s: no backward pass for a %s yet (there is one for CIFAR and torchvision/timm "
                 "ResNets, timm and torchvision ViTs, and OpenCLIP's and Hugging Face's CLIP ViT image towers)",
                 vt_checkpoint_get_path (checkpoint), arch->family_name);
  if (self->state == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

VtTrainable *
vt_trainable_new_text (VtCheckpoint          *checkpoint,
                       const VtArchitecture  *arch,
                       GError               **error)
{
  g_autoptr(VtTrainable) self = trainable_alloc ();

  self->text = TRUE;
  if ((arch->family != VT_ARCH_OPENCLIP && arch->family != VT_ARCH_HF_CLIP) || arch->text_width <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                   "%s: no text tower with a backward pass (there is one for OpenCLIP's and Hugging Face's CLIP)",
                   vt_checkpoint_get_path (checkpoint));
      return NULL;
    }
  if (!(self->state = vt_trainable_text_new (self, checkpoint, arch, &self->family, error)))
    return NULL;
  return g_steal_pointer (&self);
}

void
vt_trainable_free (VtTrainable *self)
{
  if (self == NULL)
    return;
  if (self->family && self->state)
    self->family->free (self->state);
  vt_tape_free (self->tape);
  g_hash_table_unref (self->buffers);
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->params);
  g_free (self);
}

VtParam *
vt_trainable_bind (VtTrainable   *self,
                   VtWeights     *weights,
                   const char    *name,
                   VtParamKind    kind,
                   int            block,
                   guint          ndim,
                   const gint64  *shape,
                   GError       **error)
{
  const float *stored = vt_weights_get (weights, name, ndim, shape, error);
  VtParam *p;

  if (stored == NULL)
    return NULL;
  /* A tensor bound twice is one parameter (its gradients add). */
  if ((p = g_hash_table_lookup (self->by_name, name)) != NULL)
    return p;
  p = g_new0 (VtParam, 1);
  p->pub.name = g_strdup (name);
  p->pub.ndim = ndim;
  p->pub.numel = 1;
  for (guint d = 0; d < ndim; d++)
    {
      p->pub.shape[d] = shape[d];
      p->pub.numel *= (gsize) shape[d];
    }
  p->stored = stored;
  p->pub.value = (float *) stored;
  p->kind = kind;
  p->block = block;
  g_ptr_array_add (self->params, p);
  g_hash_table_insert (self->by_name, (char *) p->pub.name, p);
  return p;
}

gboolean
vt_trainable_bind_optional (VtTrainable   *self,
                            VtWeights     *weights,
                            const char    *name,
                            VtParamKind    kind,
                            int            block,
                            guint          ndim,
                            const gint64  *shape,
                            VtParam      **out,
                            GError       **error)
{
  *out = NULL;
  if (!vt_weights_has (weights, name))
    return TRUE;
  *out = vt_trainable_bind (self, weights, name, kind, block, ndim, shape, error);
  return *out != NULL;
}

void
vt_trainable_add_buffer (VtTrainable   *self,
                         const char    *name,
                         VtDType        dtype,
                         guint          ndim,
                         const gint64  *shape,
                         gconstpointer  data)
{
  VtTensor *t = vt_tensor_new (name, dtype, ndim, shape, data);

  g_hash_table_replace (self->buffers, t->name, t);
}

const VtTensor *
vt_trainable_lookup_buffer (VtTrainable *self,
                            const char  *name)
{
  return g_hash_table_lookup (self->buffers, name);
}

void
vt_trainable_set_batchnorm_training (VtTrainable *self,
                                     gboolean     training)
{
  self->batchnorm_training = training;
  if (self->family->set_batchnorm_training)
    self->family->set_batchnorm_training (self->state, training);
}

gboolean
vt_trainable_get_batchnorm_training (VtTrainable *self)
{
  return self->batchnorm_training;
}

gboolean
vt_trainable_has_batchnorm (VtTrainable *self)
{
  return self->family->set_batchnorm_training != NULL;
}

float *
vt_trainable_scratch (VtTrainable *self,
                      int          which)
{
  return vt_tape_scratch (self->tape, which);
}

void
vt_trainable_set_token_embedding (VtTrainable *self,
                                  VtParam     *embedding)
{
  self->token_embedding = embedding;
  self->vocab = (int) embedding->pub.shape[0];
}

const VtTrainableParam *
vt_trainable_get_token_embedding (VtTrainable *self)
{
  return self->token_embedding ? &self->token_embedding->pub : NULL;
}

void
vt_trainable_set_n_blocks (VtTrainable *self,
                           int          n_blocks)
{
  self->n_blocks = n_blocks;
}

static void
set_trainable (VtParam  *p,
               gboolean  trainable)
{
  if (trainable && p->pub.grad == NULL)
    {
      /* The value is copied: the memory map is read-only, and an optimizer
       * will change it. */
      p->pub.value = g_memdup2 (p->stored, sizeof (float) * p->pub.numel);
      p->pub.grad = g_new0 (float, p->pub.numel);
    }
  else if (!trainable && p->pub.grad != NULL)
    {
      g_free (p->pub.value);
      p->pub.value = (float *) p->stored;
      g_clear_pointer (&p->pub.grad, g_free);
    }
}

void
vt_trainable_set_part (VtTrainable *self,
                       VtTrainPart  part,
                       int          n_blocks)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      VtParam *p = g_ptr_array_index (self->params, i);
      gboolean on = FALSE;

      switch (part)
        {
        case VT_TRAIN_NONE:
          break;
        case VT_TRAIN_HEAD:
          on = p->kind == VT_PARAM_HEAD;
          break;
        case VT_TRAIN_LAST_BLOCKS:
          on = p->kind == VT_PARAM_HEAD || p->block >= self->n_blocks - n_blocks;
          break;
        case VT_TRAIN_NORMS:
          on = p->kind == VT_PARAM_NORM;
          break;
        case VT_TRAIN_ALL:
          on = TRUE;
          break;
        }
      set_trainable (p, on);
    }
}

gboolean
vt_trainable_train_param (VtTrainable *self,
                          const char  *name)
{
  VtParam *p = g_hash_table_lookup (self->by_name, name);

  if (p == NULL)
    return FALSE;
  set_trainable (p, TRUE);
  return TRUE;
}

guint
vt_trainable_get_n_params (VtTrainable *self)
{
  return self->params->len;
}

const VtTrainableParam *
vt_trainable_get_param (VtTrainable *self,
                        guint        index)
{
  g_return_val_if_fail (index < self->params->len, NULL);
  return &((VtParam *) g_ptr_array_index (self->params, index))->pub;
}

int
vt_trainable_get_n_blocks (VtTrainable *self)
{
  return self->n_blocks;
}

int
vt_trainable_get_param_block (VtTrainable *self,
                              guint        index)
{
  g_return_val_if_fail (index < self->params->len, -1);
  return ((VtParam *) g_ptr_array_index (self->params, index))->block;
}

gboolean
vt_trainable_param_is_norm (VtTrainable *self,
                            guint        index)
{
  g_return_val_if_fail (index < self->params->len, FALSE);
  return ((VtParam *) g_ptr_array_index (self->params, index))->kind == VT_PARAM_NORM;
}

const VtTrainableParam *
vt_trainable_lookup_param (VtTrainable *self,
                           const char  *name)
{
  VtParam *p = g_hash_table_lookup (self->by_name, name);

  return p ? &p->pub : NULL;
}

void
vt_trainable_zero_grad (VtTrainable *self)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      VtParam *p = g_ptr_array_index (self->params, i);

      if (p->pub.grad)
        memset (p->pub.grad, 0, sizeof (float) * p->pub.numel);
    }
}

void
vt_trainable_set_input_gradient (VtTrainable *self,
                                 gboolean     input)
{
  self->no_input_gradient = !input;
}

gboolean
vt_trainable_check_input (VtTrainable  *self,
                          int           height,
                          int           width,
                          GError      **error)
{
  return self->family->check_input (self->state, height, width, error);
}

static void
layout (VtTrainable *self,
        int          batch,
        int          height,
        int          width)
{
  g_autofree char *key = self->text ? g_strdup_printf ("%d×%d tokens", batch, height)
                                    : g_strdup_printf ("%d×3×%d×%d", batch, height, width);

  if (vt_tape_begin (self->tape, key))
    return;
  self->family->layout (self->state, self->tape, batch, height, width);
  vt_tape_allocate (self->tape);
}

gboolean
vt_trainable_forward (VtTrainable  *self,
                      const float  *pixels,
                      int           batch,
                      int           height,
                      int           width,
                      GError      **error)
{
  if (self->text)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a text tower takes token ids, not images");
      return FALSE;
    }
  if (batch <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a batch of %d images", batch);
      return FALSE;
    }
  if (!vt_trainable_check_input (self, height, width, error))
    return FALSE;
  layout (self, batch, height, width);
  if (self->family->check_layout && !self->family->check_layout (self->state, error))
    return FALSE;
  self->family->forward (self->state, pixels);
  self->forwarded = TRUE;
  self->batch = batch;
  self->height = height;
  self->width = width;
  return TRUE;
}

static gboolean
forward_text (VtTrainable   *self,
              const gint64  *ids,
              const float   *embeddings,
              int            batch,
              int            length,
              GError       **error)
{
  VtTextInput input = { ids, embeddings };

  if (!self->text)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "an image tower takes images, not token ids");
      return FALSE;
    }
  if (batch <= 0)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a batch of %d texts", batch);
      return FALSE;
    }
  if (!self->family->check_input (self->state, length, 0, error))
    return FALSE;
  for (gsize i = 0; i < (gsize) batch * length; i++)
    if (ids[i] < 0 || ids[i] >= self->vocab)
      {
        g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
                     "token id %" G_GINT64_FORMAT " is outside the vocabulary of %d", ids[i], self->vocab);
        return FALSE;
      }
  layout (self, batch, length, 0);
  self->family->forward (self->state, &input);
  self->forwarded = TRUE;
  self->batch = batch;
  self->height = length;
  self->width = 0;
  return TRUE;
}

gboolean
vt_trainable_forward_text (VtTrainable   *self,
                           const gint64  *ids,
                           int            batch,
                           int            length,
                           GError       **error)
{
  return forward_text (self, ids, NULL, batch, length, error);
}

gboolean
vt_trainable_forward_text_embedded (VtTrainable   *self,
                                    const gint64  *ids,
                                    const float   *embeddings,
                                    int            batch,
                                    int            length,
                                    GError       **error)
{
  g_return_val_if_fail (embeddings != NULL, FALSE);
  return forward_text (self, ids, embeddings, batch, length, error);
}

const VtTapeNode *
vt_trainable_lookup_tap (VtTrainable *self,
                         const char  *name)
{
  return self->forwarded ? vt_tape_lookup (self->tape, name) : NULL;
}

GPtrArray *
vt_trainable_tap_names (VtTrainable *self)
{
  return vt_tape_names (self->tape);
}

gboolean
vt_trainable_backward (VtTrainable  *self,
                       const char   *target,
                       const float  *dtarget,
                       GError      **error)
{
  VtTapeNode *node;

  if (!self->forwarded)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "a backward pass before any forward pass");
      return FALSE;
    }
  if ((node = vt_tape_lookup (self->tape, target)) == NULL)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT, "no tap “%s” to start a backward pass from", target);
      return FALSE;
    }
  vt_tape_zero_grad (self->tape);
  memcpy (node->grad, dtarget, sizeof (float) * node->numel);
  self->family->backward (self->state, node, !self->no_input_gradient);
  return TRUE;
}

double
vt_trainable_bytes (VtTrainable *self,
                    int          batch,
                    int          height,
                    int          width)
{
  g_autoptr(VtTape) tape = vt_tape_new ();

  double floats;

  /* Laid out for real, without the arena: the exact count. The family's
   * node pointers then point into this tape, so the last pass is forgotten. */
  vt_tape_begin (tape, "estimate");
  self->family->layout (self->state, tape, batch, height, width);
  floats = (double) vt_tape_floats (tape);
  vt_tape_begin (self->tape, "");
  self->forwarded = FALSE;
  /* and each trainable parameter's copy and gradient */
  for (guint i = 0; i < self->params->len; i++)
    {
      VtParam *p = g_ptr_array_index (self->params, i);

      if (p->pub.grad)
        floats += 2.0 * p->pub.numel;
    }
  return sizeof (float) * floats;
}

gboolean
vt_trainable_save (VtTrainable   *net,
                   VtCheckpoint  *checkpoint,
                   const char    *prefix,
                   const char    *path,
                   GError       **error)
{
  guint n = vt_checkpoint_get_n_tensors (checkpoint);
  g_autofree VtTensor *copies = g_new0 (VtTensor, MAX (n, 1));
  g_autofree const VtTensor **tensors = g_new0 (const VtTensor *, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      const VtTensor *tensor = vt_checkpoint_get_tensor (checkpoint, i);
      const char *name = prefix && g_str_has_prefix (tensor->name, prefix) ? tensor->name + strlen (prefix)
                                                                          : tensor->name;
      const VtTrainableParam *param = vt_trainable_lookup_param (net, name);
      const VtTensor *buffer = vt_trainable_lookup_buffer (net, name);

      copies[i] = *tensor;
      /* Trained parameters are float32 copies; the others stay as stored, */
      if (param && param->grad && param->numel == tensor->numel)
        {
          copies[i].dtype = VT_DTYPE_F32;
          copies[i].nbytes = sizeof (float) * param->numel;
          copies[i].data = (const guint8 *) param->value;
        }
      /* and so are BatchNorm's running statistics that training mode moved. */
      else if (buffer && buffer->numel == tensor->numel)
        {
          copies[i].dtype = buffer->dtype;
          copies[i].nbytes = buffer->nbytes;
          copies[i].data = buffer->data;
        }
      tensors[i] = &copies[i];
    }
  return vt_safetensors_write (path, n, tensors, vt_checkpoint_get_metadata (checkpoint), error);
}
