/* vt-tflite-net.c: see vt-tflite-net.h. */
#include "vt-tflite-net.h"
#include "vt-model.h"
#include "vt-tflite-interpreter.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "io/vt-file.h"

/* Where the head's tensors are: -1 for none. */
typedef struct
{
  gint32 logits;     /* what SOFTMAX takes */
  gint32 features;   /* pre_logits */
} Head;

struct _VtTfliteNet
{
  VtCheckpoint         *checkpoint;
  VtTfliteInterpreter  *interpreter;
  Head                  head;
  int                   size;
  gsize                 n_features, n_classes;
  /* One interpreter holds one pass's activations: passes take turns. */
  GMutex                lock;
  guint8               *input;       /* (H, W, 3), what the interpreter reads */
};

/* The operator that writes tensor @t, or NULL (an input, a constant). */
static const VtTfliteOperator *
producer (const VtTfliteModel *model,
          gint32               t)
{
  for (guint i = model->n_operators; t >= 0 && i-- > 0;)
    if (model->operators[i].n_outputs > 0 && model->operators[i].outputs[0] == t)
      return &model->operators[i];
  return NULL;
}

static void
find_head (const VtTfliteModel *model,
           Head                *head)
{
  gint32 t = model->n_outputs > 0 ? model->outputs[0] : -1;
  const VtTfliteOperator *op = producer (model, t);

  head->logits = -1;
  head->features = t;
  if (op == NULL || op->builtin != VT_TFLITE_OP_SOFTMAX || op->n_inputs < 1)
    return;
  head->logits = head->features = t = op->inputs[0];
  /* MobileNet V2: AvgPool → CONV_2D 1×1 → RESHAPE (the Squeeze) → SOFTMAX. */
  while ((op = producer (model, t)) != NULL && op->n_inputs > 0 &&
         (op->builtin == VT_TFLITE_OP_RESHAPE || op->builtin == VT_TFLITE_OP_SQUEEZE))
    t = op->inputs[0];
  if (op != NULL && op->n_inputs > 0 &&
      (op->builtin == VT_TFLITE_OP_CONV_2D || op->builtin == VT_TFLITE_OP_FULLY_CONNECTED))
    head->features = op->inputs[0];
}

static gboolean
valid_tensor (const VtTfliteModel *model,
              gint32               t)
{
  return t >= 0 && (guint) t < model->n_tensors;
}

/* The class names in the first labels file beside @path: NULL, and no
 * problem, when there is none. */
static char **
read_labels (const char      *path,
             gsize            n_classes,
             VtArchitecture  *arch)
{
  static const char * const names[] = { VT_TFLITE_LABELS_FILES };
  g_autofree char *dir = g_path_get_dirname (path);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (dir, names[i], NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        continue;
      if (!vt_file_get_contents (file, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, &error))
        {
          arch->problem = g_strdup (error->message);
          return NULL;
        }
      /* Trailing blank lines are not names. */
      g_strchomp (contents);
      lines = g_strsplit (contents, "\n", -1);
      for (guint l = 0; lines[l] != NULL; l++)
        g_strstrip (lines[l]);
      if (!g_utf8_validate (contents, -1, NULL) || g_strv_length (lines) != n_classes)
        {
          arch->problem = g_strdup_printf ("%s: %s%u class names (one per line), but %s has %" G_GSIZE_FORMAT
                                           " outputs", file, g_utf8_validate (contents, -1, NULL) ? "" : "not UTF-8 text; ",
                                           g_strv_length (lines), path, n_classes);
          return NULL;
        }
      return g_steal_pointer (&lines);
    }
  return NULL;
}

void
vt_tflite_net_recognize (VtCheckpoint   *checkpoint,
                         VtArchitecture *arch)
{
  const VtTfliteModel *model = vt_checkpoint_get_tflite (checkpoint);
  const char *path = vt_checkpoint_get_path (checkpoint);
  g_autofree char *base = g_path_get_basename (path);
  const VtTfliteTensor *in = NULL;
  Head head;

  g_return_if_fail (model != NULL);
  arch->family = VT_ARCH_TFLITE;
  arch->family_name = g_strdup (N_("TensorFlow Lite"));
  if (g_str_has_suffix (base, ".tflite"))
    base[strlen (base) - strlen (".tflite")] = '\0';
  arch->model_name = g_steal_pointer (&base);
  if (model->n_inputs == 1 && valid_tensor (model, model->inputs[0]))
    in = &model->tensors[model->inputs[0]];
  /* What the preset transform can make: one square RGB image in uint8. */
  if (in == NULL || in->type != VT_TFLITE_UINT8 || in->ndim != 4 || in->shape[0] != 1 || in->shape[3] != 3 ||
      in->shape[1] != in->shape[2] || in->shape[1] < 1 || in->shape[1] > 4096 || in->n_quant != 1 ||
      !(in->scale[0] > 0.0f) || in->zero_point[0] < 0 || in->zero_point[0] > 255)
    {
      arch->problem = g_strdup_printf ("%s: the model's input is not one square RGB image of uint8 values "
                                       "[1, H, H, 3] with one scale and zero point; Vitrine runs only such "
                                       "TensorFlow Lite models", path);
      arch->image_size = 224;
    }
  else
    arch->image_size = in->shape[1];

  find_head (model, &head);
  if (valid_tensor (model, head.logits))
    arch->num_classes = (int) MIN (model->tensors[head.logits].numel, G_MAXINT);
  if (valid_tensor (model, head.features))
    arch->num_features = (int) MIN (model->tensors[head.features].numel, G_MAXINT);
  if (arch->num_classes > 0 && arch->problem == NULL)
    arch->class_names = read_labels (path, (gsize) arch->num_classes, arch);

  /* (p / 255 - mean) / std is (p - zero point) · scale: the value the
   * input's quantization gives pixel p, which the uint8 path rounds back
   * to p exactly. */
  for (int c = 0; c < 3; c++)
    {
      arch->mean[c] = in && arch->image_size == in->shape[1] ? (float) (in->zero_point[0] / 255.0) : 0.0f;
      arch->std[c] = in && arch->image_size == in->shape[1] ? (float) (1.0 / (255.0 * in->scale[0])) : 1.0f;
    }
  arch->normalization = N_("the input's quantization");
  /* Coral's examples resize the whole image to the input size. */
  arch->resize_size = arch->image_size;
  arch->resize_square = TRUE;
  arch->interpolation = VT_RESAMPLE_LANCZOS;
}

VtTfliteNet *
vt_tflite_net_new (VtCheckpoint          *checkpoint,
                   const VtArchitecture  *arch,
                   GError               **error)
{
  const VtTfliteModel *model = vt_checkpoint_get_tflite (checkpoint);
  const char *path = vt_checkpoint_get_path (checkpoint);
  g_autoptr(VtTfliteNet) self = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  self = g_new0 (VtTfliteNet, 1);
  g_mutex_init (&self->lock);
  self->checkpoint = vt_checkpoint_ref (checkpoint);
  if (!(self->interpreter = vt_tflite_interpreter_new (model, path, error)))
    return NULL;
  find_head (model, &self->head);
  if (!valid_tensor (model, self->head.features) ||
      (self->head.logits >= 0 && !valid_tensor (model, self->head.logits)))
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED, "%s: the graph has no output to take "
                   "features from", path);
      return NULL;
    }
  self->size = arch->image_size;
  self->n_features = model->tensors[self->head.features].numel;
  self->n_classes = self->head.logits >= 0 ? model->tensors[self->head.logits].numel : 0;
  self->input = g_new (guint8, (gsize) self->size * self->size * 3);
  return g_steal_pointer (&self);
}

void
vt_tflite_net_free (VtTfliteNet *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->interpreter, vt_tflite_interpreter_free);
  g_clear_pointer (&self->checkpoint, vt_checkpoint_unref);
  g_mutex_clear (&self->lock);
  g_free (self->input);
  g_free (self);
}

gboolean
vt_tflite_net_check_input (VtTfliteNet  *self,
                           int           height,
                           int           width,
                           GError      **error)
{
  if (height == self->size && width == self->size)
    return TRUE;
  g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_INPUT,
               "the graph takes images of %d×%d pixels only, not %d×%d", self->size, self->size, width, height);
  return FALSE;
}

double
vt_tflite_net_forward_bytes (VtTfliteNet *self,
                             int          batch)
{
  /* The activations are the interpreter's, made once; the taps grow with the batch. */
  return (double) batch * (self->n_features + self->n_classes) * sizeof (float);
}

/* Tensor @t of the last invoke, dequantized into @out. */
static gboolean
dequantize_tensor (VtTfliteNet  *self,
                   gint32        t,
                   float        *out,
                   GError      **error)
{
  const VtTfliteTensor *tensor = &vt_checkpoint_get_tflite (self->checkpoint)->tensors[t];
  const guint8 *q = vt_tflite_interpreter_get_values (self->interpreter, (guint) t);

  if (q == NULL || tensor->n_quant != 1)
    {
      g_set_error (error, VT_MODEL_ERROR, VT_MODEL_ERROR_UNSUPPORTED,
                   "the tensor “%s” is not a uint8 activation with one scale", tensor->name);
      return FALSE;
    }
  for (gsize i = 0; i < tensor->numel; i++)
    out[i] = (float) (((double) q[i] - (double) tensor->zero_point[0]) * tensor->scale[0]);
  return TRUE;
}

VtTaps *
vt_tflite_net_forward (VtTfliteNet   *self,
                       const float   *pixels,
                       int            batch,
                       int            height,
                       int            width,
                       VtTapFlags     flags,
                       GError       **error)
{
  const VtTfliteTensor *in = vt_tflite_interpreter_get_input (self->interpreter);
  gsize plane = (gsize) self->size * self->size;
  g_autoptr(VtTaps) taps = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  float *features, *logits = NULL;

  (void) flags;   /* no block taps: the graph's tensors are the inspection's */
  if (!vt_tflite_net_check_input (self, height, width, error))
    return NULL;
  taps = vt_taps_new ();
  features = vt_taps_add (taps, "pre_logits", 2, (gint64[]) { batch, (gint64) self->n_features });
  if (self->n_classes > 0)
    logits = vt_taps_add (taps, "logits", 2, (gint64[]) { batch, (gint64) self->n_classes });
  locker = g_mutex_locker_new (&self->lock);
  for (int b = 0; b < batch; b++)
    {
      const float *image = pixels + (gsize) b * 3 * plane;

      /* (3, H, W) values back to the (H, W, 3) uint8 they were made from. */
      for (gsize i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
          {
            double q = nearbyint (image[c * plane + i] / in->scale[0] + (double) in->zero_point[0]);
            /* NaN saturates to 0, as a negative value does. */
            self->input[i * 3 + c] = q >= 255.0 ? 255 : q > 0.0 ? (guint8) q : 0;
          }
      vt_tflite_interpreter_invoke (self->interpreter, self->input);
      if (!dequantize_tensor (self, self->head.features, features + (gsize) b * self->n_features, error) ||
          (logits && !dequantize_tensor (self, self->head.logits, logits + (gsize) b * self->n_classes, error)))
        return NULL;
    }
  return g_steal_pointer (&taps);
}
