/* vt-comet-predictor.c: a fresh CIFAR ResNet for COMET's predictor, and
 * the saving of trained networks. */
#include "methods/comet/vt-comet-predictor.h"
#include "methods/comet/vt-comet-selector.h"

#include "core/vt-random.h"
#include "io/vt-safetensors.h"

#include <math.h>
#include <string.h>

typedef struct
{
  GPtrArray *tensors;   /* VtTensor *, owning their names and data */
  VtRandom   random;
} Builder;

static VtTensor *
add_tensor (Builder     *b,
            VtDType      dtype,
            const char  *name,
            guint        ndim,
            const gint64 *shape)
{
  VtTensor *t = vt_tensor_new (name, dtype, ndim, shape, NULL);

  t->data = g_malloc0 (MAX (t->nbytes, 1));
  g_ptr_array_add (b->tensors, t);
  return t;
}

/* kaiming_normal_(w) with its defaults: N(0, 2 / fan_in). */
static void
add_kaiming (Builder    *b,
             const char *name,
             guint       ndim,
             const gint64 *shape)
{
  VtTensor *t = add_tensor (b, VT_DTYPE_F32, name, ndim, shape);
  float *w = (float *) t->data;
  double fan_in = (double) t->numel / (double) shape[0], std = sqrt (2.0 / fan_in);

  for (gsize i = 0; i < t->numel; i++)
    w[i] = (float) (std * vt_random_gauss (&b->random));
}

static void
add_batchnorm (Builder    *b,
               const char *name,
               gint64      channels)
{
  static const char * const parts[] = { "weight", "bias", "running_mean", "running_var" };

  for (int p = 0; p < 4; p++)
    {
      g_autofree char *full = g_strdup_printf ("%s.%s", name, parts[p]);
      VtTensor *t = add_tensor (b, VT_DTYPE_F32, full, 1, &channels);
      float *v = (float *) t->data;

      if (p == 0 || p == 3)
        for (gint64 c = 0; c < channels; c++)
          v[c] = 1.0f;
    }
  {
    g_autofree char *full = g_strdup_printf ("%s.num_batches_tracked", name);

    add_tensor (b, VT_DTYPE_I64, full, 0, NULL);
  }
}

static void
tensor_free (gpointer data)
{
  VtTensor *t = data;

  g_free ((gpointer) t->data);
  g_free (t->name);
  g_free (t);
}

gboolean
vt_comet_predictor_write_initial (const char  *path,
                                  int          depth,
                                  int          n_classes,
                                  guint32      seed,
                                  GError     **error)
{
  Builder b = { g_ptr_array_new_with_free_func (tensor_free) };
  int blocks = (depth - 2) / 6, in_planes = 16;
  gboolean ok;

  if (depth < 8 || (depth - 2) % 6 != 0 || n_classes < 2)
    {
      g_set_error (error, VT_COMET_ERROR, VT_COMET_ERROR_INPUT,
                   "a CIFAR ResNet of %d layers and %d classes: its depth is 6n + 2 (8, 14, 20, …) and it "
                   "needs 2 classes or more", depth, n_classes);
      g_ptr_array_unref (b.tensors);
      return FALSE;
    }
  vt_random_init (&b.random, seed);
  add_kaiming (&b, "conv1.weight", 4, (gint64[]) { 16, 3, 3, 3 });
  add_batchnorm (&b, "bn1", 16);
  for (int s = 0; s < 3; s++)
    {
      int planes = 16 << s;

      for (int i = 0; i < blocks; i++)
        {
          g_autofree char *prefix = g_strdup_printf ("layer%d.%d", s + 1, i);
          g_autofree char *conv1 = g_strdup_printf ("%s.conv1.weight", prefix);
          g_autofree char *bn1 = g_strdup_printf ("%s.bn1", prefix);
          g_autofree char *conv2 = g_strdup_printf ("%s.conv2.weight", prefix);
          g_autofree char *bn2 = g_strdup_printf ("%s.bn2", prefix);

          add_kaiming (&b, conv1, 4, (gint64[]) { planes, in_planes, 3, 3 });
          add_batchnorm (&b, bn1, planes);
          add_kaiming (&b, conv2, 4, (gint64[]) { planes, planes, 3, 3 });
          add_batchnorm (&b, bn2, planes);
          in_planes = planes;
        }
    }
  add_kaiming (&b, "linear.weight", 2, (gint64[]) { n_classes, 64 });
  {
    VtTensor *bias = add_tensor (&b, VT_DTYPE_F32, "linear.bias", 1, (gint64[]) { n_classes });
    float *v = (float *) bias->data;

    for (int c = 0; c < n_classes; c++)
      v[c] = (float) ((2.0 * vt_random_double (&b.random) - 1.0) / 8.0);   /* 1/√64 */
  }
  ok = vt_safetensors_write (path, b.tensors->len, (const VtTensor * const *) b.tensors->pdata, NULL, error);
  g_ptr_array_unref (b.tensors);
  return ok;
}

