/* vt-tflite-interpreter.c: see vt-tflite-interpreter.h.
 *
 * Each kernel follows its TensorFlow Lite reference (named at it) line by
 * line; where the arithmetic looks odd (a division that truncates, a
 * rounding nudge) it is because the reference does exactly that, and the
 * outputs must match to the bit. tests/reference/tflite_reference.py is
 * the same arithmetic in numpy. */
#include "vt-tflite-interpreter.h"

#include <math.h>
#include <string.h>

#include "core/vt-parallel.h"
#include "core/vt-simd.h"
#include "io/vt-resize.h"
#include "nn/vt-gemm.h"

G_DEFINE_QUARK (vt-tflite-run-error-quark, vt_tflite_run_error)

typedef struct
{
  const VtTfliteOperator  *op;
  /* CONV_2D, DEPTHWISE_CONV_2D: the output rescale. ADD: the two input
   * rescales and the output one. SOFTMAX: the input's beta multiplier. */
  gint32   multiplier[3];
  int      shift[3];
  gint32   act_min, act_max;
  int      pad_h, pad_w;
  int      diff_min;              /* SOFTMAX */
  /* CONV_2D on the uint8 path: the filter minus its zero point, as
   * floats for vt_gemm (exact integers); made on the first invoke. */
  float   *centered_filter;
} Step;

struct _VtTfliteInterpreter
{
  const VtTfliteModel  *model;
  char                 *name;
  Step                 *steps;
  guint8              **values;    /* per tensor: its bytes, constant or computed */
  guint8              **owned;     /* the activation buffers, allocated on the first invoke */
  gboolean             *computed;  /* per tensor: the input or an operator's output */
  float               **floats;    /* the float path, per tensor: dequantized constants, activations */
  gboolean              naive;     /* the reference convolutions only (tests) */
};

/* ---- quantization_util.cc and gemmlowp/fixedpoint.h ------------------- */

/* QuantizeMultiplier: @m as q · 2^shift with q a Q31 number in [0.5, 1). */
static void
quantize_multiplier (double  m,
                     gint32 *multiplier,
                     int    *shift)
{
  double q;
  gint64 q_fixed;

  if (m == 0.0)
    {
      *multiplier = 0;
      *shift = 0;
      return;
    }
  q = frexp (m, shift);
  q_fixed = (gint64) round (q * (double) (1LL << 31));
  if (q_fixed == (1LL << 31))
    {
      q_fixed /= 2;
      ++*shift;
    }
  if (*shift < -31)
    {
      *shift = 0;
      q_fixed = 0;
    }
  *multiplier = (gint32) q_fixed;
}

static gint32
srdhm (gint32 a,
       gint32 b)
{
  gboolean overflow = a == b && a == G_MININT32;
  gint64 ab = (gint64) a * (gint64) b;
  gint64 nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  /* C's division truncates toward zero, as the reference relies on. */
  gint32 high = (gint32) ((ab + nudge) / (1LL << 31));

  return overflow ? G_MAXINT32 : high;
}

/* RoundingDivideByPOT: halves away from zero. In 64 bits, so that an
 * exponent past 31 (SOFTMAX's final shift reaches 34 for a sum of exps
 * over 2^30) shifts to 0 or -1 instead of being undefined; for exponents
 * up to 31 it is the reference's int32 arithmetic exactly. */
static gint32
rounding_divide_by_pot (gint32 x,
                        int    exponent)
{
  gint64 mask, remainder, threshold;

  exponent = CLAMP (exponent, 0, 62);
  mask = (1LL << exponent) - 1;
  remainder = (gint64) x & mask;
  threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (gint32) (((gint64) x >> exponent) + (remainder > threshold ? 1 : 0));
}

static gint32
multiply_by_quantized_multiplier (gint32 x,
                                  gint32 multiplier,
                                  int    shift)
{
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;

  return rounding_divide_by_pot (srdhm ((gint32) ((gint64) x * (1LL << left)), multiplier), right);
}

/* SaturatingRoundingMultiplyByPOT */
static gint32
saturating_multiply_by_pot (gint32 x,
                            int    exponent)
{
  if (exponent > 0)
    {
      gint32 threshold = (gint32) ((1LL << (31 - exponent)) - 1);
      if (x > threshold)
        return G_MAXINT32;
      if (x < -threshold)
        return G_MININT32;
      return (gint32) ((gint64) x * (1LL << exponent));
    }
  if (exponent < 0)
    return rounding_divide_by_pot (x, -exponent);
  return x;
}

/* exp_on_interval_between_negative_one_quarter_and_0_excl: Q0.31 in and out. */
static gint32
exp_on_quarter (gint32 a)
{
  const gint32 constant_term = 1895147668;        /* exp(-1/8) */
  const gint32 constant_1_over_3 = 715827883;
  gint32 x = a + (1 << 28);                        /* a + 1/8 */
  gint32 x2 = srdhm (x, x);
  gint32 x3 = srdhm (x2, x);
  gint32 x4 = srdhm (x2, x2);
  gint32 x4_over_4 = saturating_multiply_by_pot (x4, -2);
  gint32 poly = saturating_multiply_by_pot (srdhm (x4_over_4 + x3, constant_1_over_3) + x2, -1);

  return constant_term + srdhm (constant_term, x + poly);
}

/* exp_on_negative_values for a Q5.26 input, a Q0.31 result. */
static gint32
exp_on_negative_values (gint32 a)
{
  enum { INTEGER_BITS = 5, FRACTIONAL_BITS = 31 - INTEGER_BITS };
  static const gint32 barrel[] = { 1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242 };
  const gint32 one_quarter = 1 << (FRACTIONAL_BITS - 2);
  gint32 a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  gint32 result = exp_on_quarter (saturating_multiply_by_pot (a_mod_quarter_minus_one_quarter, INTEGER_BITS));
  gint32 remainder = a_mod_quarter_minus_one_quarter - a;

  /* exp(-2^e) for e = -2 … 4, multiplied in for each bit of the rest. */
  for (int e = -2; e <= 4; e++)
    if (remainder & (1 << (FRACTIONAL_BITS + e)))
      result = srdhm (result, barrel[e + 2]);
  return a == 0 ? G_MAXINT32 : result;
}

/* RoundingHalfSum */
static gint32
rounding_half_sum (gint32 a,
                   gint32 b)
{
  gint64 sum = (gint64) a + b;
  gint64 sign = sum >= 0 ? 1 : -1;

  return (gint32) ((sum + sign) / 2);
}

/* one_over_one_plus_x_for_x_in_0_1: Newton-Raphson in Q2.29. */
static gint32
one_over_one_plus_x (gint32 a)
{
  gint32 half_denominator = rounding_half_sum (a, G_MAXINT32);
  gint32 x = 1515870810 + srdhm (half_denominator, -1010580540);  /* 48/17 - 32/17 · d */

  for (int i = 0; i < 3; i++)
    {
      gint32 one_minus_half_denominator_times_x = (1 << 29) - srdhm (half_denominator, x);
      x = x + saturating_multiply_by_pot (srdhm (x, one_minus_half_denominator_times_x), 2);
    }
  return saturating_multiply_by_pot (x, 1);
}

/* GetReciprocal */
static gint32
get_reciprocal (gint32  x,
                int     integer_digits,
                int    *num_bits_over_unit)
{
  int headroom_plus_one = x == 0 ? 32 : __builtin_clz ((guint32) x);
  guint32 shifted = headroom_plus_one >= 32 ? 0 : (guint32) x << headroom_plus_one;

  *num_bits_over_unit = integer_digits - headroom_plus_one;
  return one_over_one_plus_x ((gint32) (shifted - (1U << 31)));
}

/* ---- preparing ----------------------------------------------------------- */

/* quantize_multiplier for a rescale factor taken from the file: one past
 * 2^30 (or not finite) has no Q31 form the kernels can shift by, and no
 * real model has one; refused rather than shifted out of range. */
static gboolean
checked_multiplier (double  m,
                    gint32 *multiplier,
                    int    *shift)
{
  if (!isfinite (m) || m < 0 || m >= (double) (1 << 30))
    return FALSE;
  quantize_multiplier (m, multiplier, shift);
  return *shift <= 30;
}

static gboolean
fail (GError     **error,
      int          code,
      const char  *name,
      guint        index,
      const char  *format,
      ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail (GError     **error,
      int          code,
      const char  *name,
      guint        index,
      const char  *format,
      ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VT_TFLITE_RUN_ERROR, code, "%s: operator %u: %s", name, index, what);
  return FALSE;
}

static const VtTfliteTensor *
tensor_at (const VtTfliteModel    *model,
           const VtTfliteOperator *op,
           guint                   i,
           gboolean                output)
{
  gint32 index;

  if (output ? i >= op->n_outputs : i >= op->n_inputs)
    return NULL;
  index = output ? op->outputs[i] : op->inputs[i];
  return index >= 0 ? &model->tensors[index] : NULL;
}

/* Per-tensor uint8 (or int32 for a bias) quantization, as these kernels
 * need. */
static gboolean
quantized (const VtTfliteTensor *t,
           VtTfliteType          type)
{
  return t != NULL && t->type == type && t->n_quant == 1 && t->scale[0] > 0 && isfinite (t->scale[0]) &&
         t->zero_point[0] >= 0 && t->zero_point[0] <= 255;
}

/* CalculateActivationRangeQuantized for uint8; the reference quantizes the
 * bounds in float. */
static gboolean
activation_range (gint32                activation,
                  const VtTfliteTensor *out,
                  gint32               *act_min,
                  gint32               *act_max)
{
  float scale = out->scale[0];
  gint32 zero_point = (gint32) out->zero_point[0];
/* Clamped before the cast: a tiny scale must not overflow an int. */
#define QUANTIZE(f) (zero_point + (gint32) CLAMP (roundf ((f) / scale), -1e6f, 1e6f))

  switch (activation)
    {
    case VT_TFLITE_ACT_NONE:
      *act_min = 0;
      *act_max = 255;
      return TRUE;
    case VT_TFLITE_ACT_RELU:
      *act_min = MAX (0, QUANTIZE (0.0f));
      *act_max = 255;
      return TRUE;
    case VT_TFLITE_ACT_RELU6:
      *act_min = MAX (0, QUANTIZE (0.0f));
      *act_max = MIN (255, QUANTIZE (6.0f));
      return TRUE;
    case VT_TFLITE_ACT_RELU_N1_TO_1:
      *act_min = MAX (0, QUANTIZE (-1.0f));
      *act_max = MIN (255, QUANTIZE (1.0f));
      return TRUE;
    default:
      return FALSE;
    }
#undef QUANTIZE
}

/* ComputePaddingHeightWidth: the output size, and the padding before. */
static int
output_size (gint32 padding,
             int    size,
             int    filter,
             int    stride,
             int    dilation,
             int   *pad)
{
  int effective = (filter - 1) * dilation + 1;
  int out;

  if (padding == VT_TFLITE_PADDING_SAME)
    out = (size + stride - 1) / stride;
  else
    out = (size - effective + stride) / stride;
  *pad = padding == VT_TFLITE_PADDING_SAME ? MAX ((out - 1) * stride + effective - size, 0) / 2 : 0;
  return out;
}

static gboolean
same_shape (const VtTfliteTensor *a,
            const VtTfliteTensor *b)
{
  return a->ndim == b->ndim && memcmp (a->shape, b->shape, a->ndim * sizeof (gint32)) == 0;
}

/* Spatial operators: NHWC in and out, batch 1, the output's shape what
 * the options give. */
static gboolean
prepare_spatial (const VtTfliteOperator *op,
                 const VtTfliteTensor   *in,
                 const VtTfliteTensor   *out,
                 int                     filter_h,
                 int                     filter_w,
                 int                     channels,
                 Step                   *step,
                 const char             *name,
                 guint                   index,
                 GError                **error)
{
  const VtTfliteOptions *o = &op->options;
  int oh, ow;

  if (in->ndim != 4 || out->ndim != 4 || in->shape[0] != 1 || out->shape[0] != 1)
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index, "input and output must be 1×H×W×C");
  if (o->stride_h < 1 || o->stride_w < 1 || o->dilation_h < 1 || o->dilation_w < 1 ||
      o->stride_h > 1024 || o->stride_w > 1024 || o->dilation_h > 1024 || o->dilation_w > 1024 ||
      filter_h < 1 || filter_w < 1 || filter_h > 1024 || filter_w > 1024 ||
      (o->padding != VT_TFLITE_PADDING_SAME && o->padding != VT_TFLITE_PADDING_VALID))
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                 "strides %d×%d, dilations %d×%d, filter %d×%d or padding %d out of range",
                 o->stride_h, o->stride_w, o->dilation_h, o->dilation_w, filter_h, filter_w, o->padding);
  oh = output_size (o->padding, in->shape[1], filter_h, o->stride_h, o->dilation_h, &step->pad_h);
  ow = output_size (o->padding, in->shape[2], filter_w, o->stride_w, o->dilation_w, &step->pad_w);
  if (out->shape[1] != oh || out->shape[2] != ow || out->shape[3] != channels)
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                 "the output is %d×%d×%d, but the input and options give %d×%d×%d",
                 out->shape[1], out->shape[2], out->shape[3], oh, ow, channels);
  return TRUE;
}

static gboolean
prepare_conv (const VtTfliteModel    *model,
              const VtTfliteOperator *op,
              Step                   *step,
              const char             *name,
              guint                   index,
              GError                **error)
{
  const VtTfliteTensor *in = tensor_at (model, op, 0, FALSE);
  const VtTfliteTensor *filter = tensor_at (model, op, 1, FALSE);
  const VtTfliteTensor *bias = tensor_at (model, op, 2, FALSE);
  const VtTfliteTensor *out = tensor_at (model, op, 0, TRUE);
  gboolean depthwise = op->builtin == VT_TFLITE_OP_DEPTHWISE_CONV_2D;
  int channels;

  if (!quantized (in, VT_TFLITE_UINT8) || !quantized (filter, VT_TFLITE_UINT8) || !quantized (out, VT_TFLITE_UINT8) ||
      filter->data == NULL || filter->ndim != 4 || in->ndim != 4 ||
      (bias != NULL && (bias->type != VT_TFLITE_INT32 || bias->data == NULL)))
    return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index,
                 "%s runs only on per-tensor uint8 input, output and constant 4-d filter, with an int32 bias",
                 vt_tflite_builtin_name (op->builtin));
  if (depthwise)
    {
      channels = filter->shape[3];
      if (filter->shape[0] != 1 || op->options.depth_multiplier < 1 ||
          (gint64) in->shape[3] * op->options.depth_multiplier != channels)
        return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                     "a depthwise filter of %d channels does not fit %d input channels × depth multiplier %d",
                     channels, in->shape[3], op->options.depth_multiplier);
    }
  else
    {
      channels = filter->shape[0];
      if (filter->shape[3] != in->shape[3])
        return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                     "the filter takes %d channels, the input has %d", filter->shape[3], in->shape[3]);
    }
  if (bias != NULL && (bias->numel != (gsize) channels))
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                 "the bias has %zu values for %d channels", bias->numel, channels);
  if (!prepare_spatial (op, in, out, filter->shape[1], filter->shape[2], channels, step, name, index, error))
    return FALSE;
  /* PopulateConvolutionQuantizationParams: the scales as doubles. */
  if (!checked_multiplier ((double) in->scale[0] * (double) filter->scale[0] / (double) out->scale[0],
                           &step->multiplier[0], &step->shift[0]))
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                 "input scale %g × filter scale %g / output scale %g is out of range",
                 in->scale[0], filter->scale[0], out->scale[0]);
  if (!activation_range (op->options.activation, out, &step->act_min, &step->act_max))
    return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "activation %d is not run here",
                 op->options.activation);
  return TRUE;
}

static gboolean
prepare_add (const VtTfliteModel    *model,
             const VtTfliteOperator *op,
             Step                   *step,
             const char             *name,
             guint                   index,
             GError                **error)
{
  const VtTfliteTensor *a = tensor_at (model, op, 0, FALSE);
  const VtTfliteTensor *b = tensor_at (model, op, 1, FALSE);
  const VtTfliteTensor *out = tensor_at (model, op, 0, TRUE);
  double twice_max;
  const int left_shift = 20;

  if (!quantized (a, VT_TFLITE_UINT8) || !quantized (b, VT_TFLITE_UINT8) || !quantized (out, VT_TFLITE_UINT8))
    return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "ADD runs only on per-tensor uint8 tensors");
  if (!same_shape (a, b) || !same_shape (a, out))
    return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index,
                 "ADD runs only on tensors of one shape (no broadcasting)");
  /* PrepareGeneralSubOp / QuantizedAdd in add.cc. */
  twice_max = 2 * MAX (a->scale[0], b->scale[0]);
  if (!checked_multiplier (a->scale[0] / twice_max, &step->multiplier[0], &step->shift[0]) ||
      !checked_multiplier (b->scale[0] / twice_max, &step->multiplier[1], &step->shift[1]) ||
      !checked_multiplier (twice_max / ((1 << left_shift) * out->scale[0]), &step->multiplier[2], &step->shift[2]))
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                 "input scales %g and %g with output scale %g are out of range",
                 a->scale[0], b->scale[0], out->scale[0]);
  if (!activation_range (op->options.activation, out, &step->act_min, &step->act_max))
    return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "activation %d is not run here",
                 op->options.activation);
  return TRUE;
}

static gboolean
prepare_step (const VtTfliteModel    *model,
              const VtTfliteOperator *op,
              Step                   *step,
              const char             *name,
              guint                   index,
              GError                **error)
{
  const VtTfliteTensor *in = tensor_at (model, op, 0, FALSE);
  const VtTfliteTensor *out = tensor_at (model, op, 0, TRUE);

  step->op = op;
  if (in == NULL || out == NULL || op->n_outputs != 1)
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index, "an operator needs an input and one output");
  if (out->data != NULL)
    return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index, "its output “%s” is a constant", out->name);
  switch (op->builtin)
    {
    case VT_TFLITE_OP_CONV_2D:
    case VT_TFLITE_OP_DEPTHWISE_CONV_2D:
      return prepare_conv (model, op, step, name, index, error);
    case VT_TFLITE_OP_ADD:
      return prepare_add (model, op, step, name, index, error);
    case VT_TFLITE_OP_AVERAGE_POOL_2D:
      if (!quantized (in, VT_TFLITE_UINT8) || !quantized (out, VT_TFLITE_UINT8))
        return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "AVERAGE_POOL_2D runs only on uint8");
      /* The reference averages the stored values: it needs one scale. */
      if (in->scale[0] != out->scale[0] || in->zero_point[0] != out->zero_point[0])
        return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                     "AVERAGE_POOL_2D needs its input's quantization on its output");
      if (!activation_range (op->options.activation, out, &step->act_min, &step->act_max))
        return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "activation %d is not run here",
                     op->options.activation);
      return prepare_spatial (op, in, out, op->options.filter_h, op->options.filter_w,
                              in->ndim == 4 ? in->shape[3] : 0, step, name, index, error);
    case VT_TFLITE_OP_RESHAPE:
      if (in->type != out->type || in->numel != out->numel || vt_tflite_type_size (in->type) == 0)
        return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index,
                     "RESHAPE from %zu to %zu elements", in->numel, out->numel);
      return TRUE;
    case VT_TFLITE_OP_SOFTMAX:
      {
        double real;

        /* The sum of exps has 12 integer bits: 4096 values at most. */
        if (!quantized (in, VT_TFLITE_UINT8) || !quantized (out, VT_TFLITE_UINT8) || !same_shape (in, out) ||
            in->ndim < 1 || in->shape[in->ndim - 1] > 4096 || out->scale[0] != 1.0f / 256 || out->zero_point[0] != 0 ||
            !(op->options.beta > 0) || !isfinite (op->options.beta))
          return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index,
                       "SOFTMAX runs only on uint8, over at most 4096 values, with an output of scale 1/256 "
                       "and zero point 0");
        /* PreprocessSoftmaxScaling and CalculateInputRadius, 5 integer bits. */
        real = MIN ((double) op->options.beta * (double) in->scale[0] * (double) (1 << (31 - 5)),
                    (double) (1LL << 31) - 1.0);
        if (!checked_multiplier (real, &step->multiplier[0], &step->shift[0]))
          return fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, index, "beta %g × input scale %g is out of range",
                       op->options.beta, in->scale[0]);
        if (step->shift[0] < 0)
          step->shift[0] = 0;   /* QuantizeMultiplierGreaterThanOne: never a right shift */
        step->diff_min = -(int) floor (1.0 * ((1 << 5) - 1) * (double) (1LL << (31 - 5)) /
                                       (double) (1LL << step->shift[0]));
        return TRUE;
      }
    default:
      {
        const char *op_name = vt_tflite_builtin_name (op->builtin);
        if (op_name)
          return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "%s is not run here", op_name);
        return fail (error, VT_TFLITE_RUN_ERROR_UNSUPPORTED, name, index, "builtin operator %d is not run here",
                     op->builtin);
      }
    }
}

void
vt_tflite_interpreter_free (VtTfliteInterpreter *self)
{
  if (self == NULL)
    return;
  if (self->owned)
    for (guint i = 0; i < self->model->n_tensors; i++)
      g_free (self->owned[i]);
  g_free (self->owned);
  g_free (self->computed);
  if (self->floats)
    for (guint i = 0; i < self->model->n_tensors; i++)
      g_free (self->floats[i]);
  g_free (self->floats);
  g_free (self->values);
  for (guint i = 0; self->steps && i < self->model->n_operators; i++)
    g_free (self->steps[i].centered_filter);
  g_free (self->steps);
  g_free (self->name);
  g_free (self);
}

VtTfliteInterpreter *
vt_tflite_interpreter_new (const VtTfliteModel  *model,
                           const char           *name,
                           GError              **error)
{
  g_autoptr(VtTfliteInterpreter) self = g_new0 (VtTfliteInterpreter, 1);
  const VtTfliteTensor *input;
  gsize total = 0;

  self->model = model;
  self->name = g_strdup (name);
  if (model->n_inputs != 1 || model->n_outputs < 1)
    {
      g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_UNSUPPORTED,
                   "%s: the model has %u inputs; one image input is what runs here", name, model->n_inputs);
      return NULL;
    }
  input = &model->tensors[model->inputs[0]];
  if (!quantized (input, VT_TFLITE_UINT8) || input->ndim != 4 || input->shape[0] != 1 || input->data != NULL)
    {
      g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_UNSUPPORTED,
                   "%s: the input “%s” is not a 1×H×W×C uint8 tensor with one scale and zero point", name,
                   input->name);
      return NULL;
    }
  self->steps = g_new0 (Step, MAX (model->n_operators, 1));
  self->values = g_new0 (guint8 *, model->n_tensors);
  self->owned = g_new0 (guint8 *, model->n_tensors);
  self->computed = g_new0 (gboolean, model->n_tensors);
  for (guint i = 0; i < model->n_tensors; i++)
    self->values[i] = (guint8 *) model->tensors[i].data;

  /* The input first, then each operator's output in order: an operator
   * reading a tensor nothing computed yet is an error, not garbage. The
   * buffers are allocated on the first invoke, so that checking a model
   * costs no memory. */
  for (guint i = 0; i <= model->n_operators; i++)
    {
      const VtTfliteTensor *t;
      gint32 index;

      if (i > 0)
        {
          const VtTfliteOperator *op = &model->operators[i - 1];

          if (!prepare_step (model, op, &self->steps[i - 1], name, i - 1, error))
            return NULL;
          for (guint k = 0; k < op->n_inputs; k++)
            if (op->inputs[k] >= 0 && self->values[op->inputs[k]] == NULL && !self->computed[op->inputs[k]])
              {
                fail (error, VT_TFLITE_RUN_ERROR_SHAPE, name, i - 1, "input “%s” is computed by no earlier operator",
                      model->tensors[op->inputs[k]].name);
                return NULL;
              }
          index = op->outputs[0];
        }
      else
        index = model->inputs[0];
      t = &model->tensors[index];
      if (self->values[index] != NULL || self->computed[index])
        {
          g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_SHAPE,
                       "%s: tensor “%s” is written twice", name, t->name);
          return NULL;
        }
      total += t->numel * vt_tflite_type_size (t->type);
      if (total > VT_TFLITE_MAX_ACTIVATION_BYTES)
        {
          g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_SHAPE,
                       "%s: the activations need more than %zu MiB", name, VT_TFLITE_MAX_ACTIVATION_BYTES >> 20);
          return NULL;
        }
      self->computed[index] = TRUE;
    }
  for (guint i = 0; i < model->n_outputs; i++)
    if (!self->computed[model->outputs[i]])
      {
        g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_SHAPE,
                     "%s: output “%s” is computed by no operator", name, model->tensors[model->outputs[i]].name);
        return NULL;
      }
  return g_steal_pointer (&self);
}

/* ---- the kernels ---------------------------------------------------------- */

static gint32
bias_at (const VtTfliteTensor *bias,
         int                   c)
{
  gint32 v;

  if (bias == NULL)
    return 0;
  memcpy (&v, bias->data + 4 * (gsize) c, 4);
  return GINT32_FROM_LE (v);
}

typedef struct
{
  VtTfliteInterpreter  *self;
  const Step           *step;
} Job;

static void
conv_rows_naive (gsize    begin,
                 gsize    end,
                 gpointer data)
{
  const Job *job = data;
  const VtTfliteModel *model = job->self->model;
  const Step *step = job->step;
  const VtTfliteOperator *op = step->op;
  const VtTfliteOptions *o = &op->options;
  const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? &model->tensors[op->inputs[2]] : NULL;
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  const guint8 *x = job->self->values[op->inputs[0]];
  const guint8 *w = filter->data;
  guint8 *y = job->self->values[op->outputs[0]];
  gboolean depthwise = op->builtin == VT_TFLITE_OP_DEPTHWISE_CONV_2D;
  int h = in->shape[1], wd = in->shape[2], ic = in->shape[3];
  int ow = out->shape[2], oc = out->shape[3];
  int kh = filter->shape[1], kw = filter->shape[2];
  gint32 in_off = -(gint32) in->zero_point[0];
  gint32 w_off = -(gint32) filter->zero_point[0];
  gint32 out_off = (gint32) out->zero_point[0];
  int mult = depthwise ? o->depth_multiplier : 1;

  for (int oy = (int) begin; oy < (int) end; oy++)
    for (int ox = 0; ox < ow; ox++)
      {
        int y0 = oy * o->stride_h - step->pad_h;
        int x0 = ox * o->stride_w - step->pad_w;
        guint8 *dst = y + ((gsize) oy * ow + ox) * oc;

        for (int c = 0; c < oc; c++)
          {
            /* 64 bits: a window of more than 33,000 products could overflow
             * int32, undefined behaviour in the reference; here it
             * saturates instead. Real models stay far below. */
            gint64 acc = 0;

            for (int fy = 0; fy < kh; fy++)
              {
                int iy = y0 + fy * o->dilation_h;
                if (iy < 0 || iy >= h)
                  continue;
                for (int fx = 0; fx < kw; fx++)
                  {
                    int ix = x0 + fx * o->dilation_w;
                    const guint8 *src;
                    if (ix < 0 || ix >= wd)
                      continue;
                    src = x + ((gsize) iy * wd + ix) * ic;
                    if (depthwise)
                      acc += (gint32) ((src[c / mult] + in_off) * (w[((gsize) fy * kw + fx) * oc + c] + w_off));
                    else
                      {
                        const guint8 *wk = w + (((gsize) c * kh + fy) * kw + fx) * ic;
                        gint32 partial = 0;   /* ic ≤ 32768 products of at most 255² fit */
                        int k = 0;

                        while (k < ic)
                          {
                            int stop = MIN (ic, k + 32768);
                            for (partial = 0; k < stop; k++)
                              partial += (src[k] + in_off) * (wk[k] + w_off);
                            acc += partial;
                          }
                      }
                  }
              }
            {
              gint32 sum = (gint32) CLAMP (acc + bias_at (bias, c), G_MININT32, G_MAXINT32);
              gint32 v = multiply_by_quantized_multiplier (sum, step->multiplier[0], step->shift[0]) + out_off;
              dst[c] = (guint8) CLAMP (v, step->act_min, step->act_max);
            }
          }
      }
}

/* reference_ops::Conv (uint8) and DepthwiseConv (uint8, rounding away from
 * zero): sums of (input - input zero point) · (filter - filter zero point)
 * over the window, positions outside the input left out, plus the bias;
 * then the fixed-point rescale, the output zero point and the clamp. Rows
 * of the output in parallel: each is computed alone, so the result does
 * not depend on the thread count. */
static void run_conv (VtTfliteInterpreter *self, const Step *step, gboolean quantized);

/* reference_ops::Add (uint8): both inputs shifted left by 20 bits, each
 * rescaled to twice the larger input scale, summed, rescaled to the output. */
static void
run_add (VtTfliteInterpreter *self,
         const Step          *step)
{
  const VtTfliteOperator *op = step->op;
  const VtTfliteTensor *a = &self->model->tensors[op->inputs[0]];
  const VtTfliteTensor *b = &self->model->tensors[op->inputs[1]];
  const VtTfliteTensor *out = &self->model->tensors[op->outputs[0]];
  const guint8 *xa = self->values[op->inputs[0]];
  const guint8 *xb = self->values[op->inputs[1]];
  guint8 *y = self->values[op->outputs[0]];

  for (gsize i = 0; i < out->numel; i++)
    {
      gint32 va = ((gint32) xa[i] - (gint32) a->zero_point[0]) * (1 << 20);
      gint32 vb = ((gint32) xb[i] - (gint32) b->zero_point[0]) * (1 << 20);
      gint32 sum = multiply_by_quantized_multiplier (va, step->multiplier[0], step->shift[0]) +
                   multiply_by_quantized_multiplier (vb, step->multiplier[1], step->shift[1]);
      gint32 raw = multiply_by_quantized_multiplier (sum, step->multiplier[2], step->shift[2]) +
                   (gint32) out->zero_point[0];

      y[i] = (guint8) CLAMP (raw, step->act_min, step->act_max);
    }
}

/* reference_ops::AveragePool (uint8): the mean of the window's part inside
 * the input, rounded half up. */
static void
run_average_pool (VtTfliteInterpreter *self,
                  const Step          *step)
{
  const VtTfliteOperator *op = step->op;
  const VtTfliteOptions *o = &op->options;
  const VtTfliteTensor *in = &self->model->tensors[op->inputs[0]];
  const VtTfliteTensor *out = &self->model->tensors[op->outputs[0]];
  const guint8 *x = self->values[op->inputs[0]];
  guint8 *y = self->values[op->outputs[0]];
  int h = in->shape[1], w = in->shape[2], c = in->shape[3];

  for (int oy = 0; oy < out->shape[1]; oy++)
    for (int ox = 0; ox < out->shape[2]; ox++)
      {
        int y0 = oy * o->stride_h - step->pad_h, x0 = ox * o->stride_w - step->pad_w;
        int ys = MAX (0, y0), ye = MIN (h, y0 + o->filter_h);
        int xs = MAX (0, x0), xe = MIN (w, x0 + o->filter_w);
        int count = MAX (ye - ys, 0) * MAX (xe - xs, 0);

        for (int k = 0; k < c; k++)
          {
            gint32 acc = 0;
            for (int iy = ys; iy < ye; iy++)
              for (int ix = xs; ix < xe; ix++)
                acc += x[((gsize) iy * w + ix) * c + k];
            acc = count > 0 ? (acc + count / 2) / count : 0;
            y[((gsize) oy * out->shape[2] + ox) * c + k] = (guint8) CLAMP (acc, step->act_min, step->act_max);
          }
      }
}

/* reference_ops::Softmax (uint8): exp of the rescaled differences to the
 * row's maximum in gemmlowp's fixed point (Q5.26 in, Q0.31 out), their
 * sum in Q12.19, its reciprocal by Newton-Raphson, the product shifted
 * to 8 bits. */
static void
run_softmax (VtTfliteInterpreter *self,
             const Step          *step)
{
  const VtTfliteOperator *op = step->op;
  const VtTfliteTensor *in = &self->model->tensors[op->inputs[0]];
  const guint8 *x = self->values[op->inputs[0]];
  guint8 *y = self->values[op->outputs[0]];
  gsize depth = (gsize) MAX (in->shape[in->ndim - 1], 1);
  gsize rows = in->numel / depth;

  for (gsize r = 0; r < rows; r++)
    {
      const guint8 *row = x + r * depth;
      guint8 *dst = y + r * depth;
      gint32 max_in_row = 0, sum_of_exps = 0, shifted_scale;
      int num_bits_over_unit;

      for (gsize c = 0; c < depth; c++)
        max_in_row = MAX (max_in_row, row[c]);
      for (gsize c = 0; c < depth; c++)
        {
          gint32 diff = (gint32) row[c] - max_in_row;
          if (diff >= step->diff_min)
            {
              gint32 rescaled = srdhm (diff * (1 << step->shift[0]), step->multiplier[0]);
              sum_of_exps += saturating_multiply_by_pot (exp_on_negative_values (rescaled), -12);
            }
        }
      shifted_scale = get_reciprocal (sum_of_exps, 12, &num_bits_over_unit);
      for (gsize c = 0; c < depth; c++)
        {
          gint32 diff = (gint32) row[c] - max_in_row;
          gint32 v = 0;

          if (diff >= step->diff_min)
            {
              gint32 rescaled = srdhm (diff * (1 << step->shift[0]), step->multiplier[0]);
              gint32 e = exp_on_negative_values (rescaled);
              v = rounding_divide_by_pot (srdhm (shifted_scale, e), num_bits_over_unit + 31 - 8);
            }
          dst[c] = (guint8) CLAMP (v, 0, 255);
        }
    }
}

guint64
vt_tflite_interpreter_get_cost (VtTfliteInterpreter *self)
{
  const VtTfliteModel *model = self->model;
  guint64 cost = model->tensors[model->inputs[0]].numel;   /* copying the input in */

  for (guint i = 0; i < model->n_operators; i++)
    {
      const VtTfliteOperator *op = &model->operators[i];
      const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
      const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
      guint64 window = 1;

      if (op->builtin == VT_TFLITE_OP_CONV_2D || op->builtin == VT_TFLITE_OP_DEPTHWISE_CONV_2D)
        {
          const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
          window = (guint64) filter->shape[1] * filter->shape[2] *
                   (op->builtin == VT_TFLITE_OP_CONV_2D ? (guint64) in->shape[3] : 1);
        }
      else if (op->builtin == VT_TFLITE_OP_AVERAGE_POOL_2D)
        window = (guint64) op->options.filter_h * op->options.filter_w;
      cost += (guint64) out->numel * MAX (window, 1);
    }
  return cost;
}

const VtTfliteTensor *
vt_tflite_interpreter_get_input (VtTfliteInterpreter *self)
{
  return &self->model->tensors[self->model->inputs[0]];
}

static void
allocate_activations (VtTfliteInterpreter *self)
{
  const VtTfliteModel *model = self->model;

  for (guint i = 0; i < model->n_tensors; i++)
    if (self->computed[i] && self->owned[i] == NULL)
      {
        const VtTfliteTensor *t = &model->tensors[i];
        self->owned[i] = g_malloc0 (MAX (t->numel * vt_tflite_type_size (t->type), 1));
        self->values[i] = self->owned[i];
      }
}

void
vt_tflite_interpreter_invoke (VtTfliteInterpreter *self,
                              const guint8        *input)
{
  const VtTfliteModel *model = self->model;
  const VtTfliteTensor *in = vt_tflite_interpreter_get_input (self);

  allocate_activations (self);
  memcpy (self->values[model->inputs[0]], input, in->numel);
  for (guint i = 0; i < model->n_operators; i++)
    {
      const Step *step = &self->steps[i];

      switch (step->op->builtin)
        {
        case VT_TFLITE_OP_CONV_2D:
        case VT_TFLITE_OP_DEPTHWISE_CONV_2D:
          run_conv (self, step, TRUE);
          break;
        case VT_TFLITE_OP_ADD:
          run_add (self, step);
          break;
        case VT_TFLITE_OP_AVERAGE_POOL_2D:
          run_average_pool (self, step);
          break;
        case VT_TFLITE_OP_RESHAPE:
          {
            const VtTfliteTensor *t = &model->tensors[step->op->outputs[0]];
            memcpy (self->values[step->op->outputs[0]], self->values[step->op->inputs[0]],
                    t->numel * vt_tflite_type_size (t->type));
          }
          break;
        case VT_TFLITE_OP_SOFTMAX:
          run_softmax (self, step);
          break;
        default:
          g_assert_not_reached ();   /* vt_tflite_interpreter_new refused it */
        }
    }
}

const guint8 *
vt_tflite_interpreter_get_output (VtTfliteInterpreter   *self,
                                  guint                  index,
                                  const VtTfliteTensor **tensor)
{
  g_return_val_if_fail (index < self->model->n_outputs, NULL);
  if (tensor)
    *tensor = &self->model->tensors[self->model->outputs[index]];
  return self->values[self->model->outputs[index]];
}

const guint8 *
vt_tflite_interpreter_get_values (VtTfliteInterpreter *self,
                                  guint                tensor)
{
  g_return_val_if_fail (tensor < self->model->n_tensors, NULL);
  return self->owned[tensor];
}

guint8 *
vt_tflite_interpreter_preprocess (VtTfliteInterpreter  *self,
                                  const VtImage        *image,
                                  GError              **error)
{
  const VtTfliteTensor *in = vt_tflite_interpreter_get_input (self);
  g_autoptr(VtImage) resized = NULL;

  /* pycoral's classify_image.py feeds the resized pixels unchanged when
   * scale · 128 = 1 and the zero point is 128 (its default mean and std
   * of 128): the Coral models' inputs all are. */
  if (in->shape[3] != 3 || in->n_quant != 1 || fabs (in->scale[0] * 128.0 - 1.0) > 1e-5 || in->zero_point[0] != 128)
    {
      g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_UNSUPPORTED,
                   "%s: the model's input “%s” is not an RGB image quantized with scale 1/128 and zero point 128",
                   self->name, in->name);
      return NULL;
    }
  resized = vt_image_resize (image, in->shape[2], in->shape[1], VT_RESAMPLE_LANCZOS);
  return g_memdup2 (resized->rgb, (gsize) resized->width * resized->height * 3);
}

/* ---- the float path ------------------------------------------------------- */

static float
float_activation (gint32 activation,
                  float  v)
{
  switch (activation)
    {
    case VT_TFLITE_ACT_RELU: return MAX (v, 0.0f);
    case VT_TFLITE_ACT_RELU6: return CLAMP (v, 0.0f, 6.0f);
    case VT_TFLITE_ACT_RELU_N1_TO_1: return CLAMP (v, -1.0f, 1.0f);
    default: return v;
    }
}

/* Every tensor an operator reads or writes as floats; constants
 * dequantized once. */
static gboolean
prepare_floats (VtTfliteInterpreter  *self,
                GError              **error)
{
  const VtTfliteModel *model = self->model;
  gsize total = 0;

  if (self->floats != NULL)
    return TRUE;
  for (guint i = 0; i < model->n_tensors; i++)
    if (self->computed[i] || model->tensors[i].data != NULL)
      total += model->tensors[i].numel * sizeof (float);
  if (total > VT_TFLITE_MAX_ACTIVATION_BYTES)
    {
      g_set_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_SHAPE,
                   "%s: the float path needs more than %zu MiB", self->name, VT_TFLITE_MAX_ACTIVATION_BYTES >> 20);
      return FALSE;
    }
  self->floats = g_new0 (float *, model->n_tensors);
  for (guint i = 0; i < model->n_tensors; i++)
    {
      const VtTfliteTensor *t = &model->tensors[i];

      if (!self->computed[i] && t->data == NULL)
        continue;
      if (t->data != NULL && t->n_quant > 0)
        {
          g_autoptr(GBytes) values = vt_tflite_dequantize (t);
          /* NULL for a quantized type no kernel reads (the checks at
           * construction saw to that): zeros stand in. */
          self->floats[i] = values ? g_memdup2 (g_bytes_get_data (values, NULL), t->numel * sizeof (float))
                                   : g_new0 (float, MAX (t->numel, 1));
        }
      else
        self->floats[i] = g_new0 (float, MAX (t->numel, 1));
    }
  return TRUE;
}

static void
float_conv_rows_naive (gsize    begin,
                       gsize    end,
                       gpointer data)
{
  const Job *job = data;
  const VtTfliteModel *model = job->self->model;
  const Step *step = job->step;
  const VtTfliteOperator *op = step->op;
  const VtTfliteOptions *o = &op->options;
  const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  const float *x = job->self->floats[op->inputs[0]];
  const float *w = job->self->floats[op->inputs[1]];
  const float *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? job->self->floats[op->inputs[2]] : NULL;
  float *y = job->self->floats[op->outputs[0]];
  gboolean depthwise = op->builtin == VT_TFLITE_OP_DEPTHWISE_CONV_2D;
  int h = in->shape[1], wd = in->shape[2], ic = in->shape[3];
  int ow = out->shape[2], oc = out->shape[3];
  int kh = filter->shape[1], kw = filter->shape[2];
  int mult = depthwise ? o->depth_multiplier : 1;

  for (int oy = (int) begin; oy < (int) end; oy++)
    for (int ox = 0; ox < ow; ox++)
      {
        int y0 = oy * o->stride_h - step->pad_h;
        int x0 = ox * o->stride_w - step->pad_w;
        float *dst = y + ((gsize) oy * ow + ox) * oc;

        for (int c = 0; c < oc; c++)
          {
            double acc = bias ? bias[c] : 0.0;

            for (int fy = 0; fy < kh; fy++)
              {
                int iy = y0 + fy * o->dilation_h;
                if (iy < 0 || iy >= h)
                  continue;
                for (int fx = 0; fx < kw; fx++)
                  {
                    int ix = x0 + fx * o->dilation_w;
                    const float *src;
                    if (ix < 0 || ix >= wd)
                      continue;
                    src = x + ((gsize) iy * wd + ix) * ic;
                    if (depthwise)
                      acc += (double) src[c / mult] * w[((gsize) fy * kw + fx) * oc + c];
                    else
                      {
                        const float *wk = w + (((gsize) c * kh + fy) * kw + fx) * ic;
                        for (int k = 0; k < ic; k++)
                          acc += (double) src[k] * wk[k];
                      }
                  }
              }
            dst[c] = float_activation (o->activation, (float) acc);
          }
      }
}

gboolean
vt_tflite_interpreter_invoke_float (VtTfliteInterpreter  *self,
                                    const float          *input,
                                    GError              **error)
{
  const VtTfliteModel *model = self->model;

  if (!prepare_floats (self, error))
    return FALSE;
  memcpy (self->floats[model->inputs[0]], input, model->tensors[model->inputs[0]].numel * sizeof (float));
  for (guint i = 0; i < model->n_operators; i++)
    {
      const Step *step = &self->steps[i];
      const VtTfliteOperator *op = step->op;
      const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
      const float *x = self->floats[op->inputs[0]];
      float *y = self->floats[op->outputs[0]];

      switch (op->builtin)
        {
        case VT_TFLITE_OP_CONV_2D:
        case VT_TFLITE_OP_DEPTHWISE_CONV_2D:
          run_conv (self, step, FALSE);
          break;
        case VT_TFLITE_OP_ADD:
          {
            const float *b = self->floats[op->inputs[1]];
            for (gsize k = 0; k < out->numel; k++)
              y[k] = float_activation (op->options.activation, x[k] + b[k]);
          }
          break;
        case VT_TFLITE_OP_AVERAGE_POOL_2D:
          {
            const VtTfliteOptions *o = &op->options;
            const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
            int h = in->shape[1], w = in->shape[2], c = in->shape[3];

            for (int oy = 0; oy < out->shape[1]; oy++)
              for (int ox = 0; ox < out->shape[2]; ox++)
                {
                  int y0 = oy * o->stride_h - step->pad_h, x0 = ox * o->stride_w - step->pad_w;
                  int ys = MAX (0, y0), ye = MIN (h, y0 + o->filter_h);
                  int xs = MAX (0, x0), xe = MIN (w, x0 + o->filter_w);
                  int count = MAX (ye - ys, 0) * MAX (xe - xs, 0);

                  for (int k = 0; k < c; k++)
                    {
                      double acc = 0.0;
                      for (int iy = ys; iy < ye; iy++)
                        for (int ix = xs; ix < xe; ix++)
                          acc += x[((gsize) iy * w + ix) * c + k];
                      y[((gsize) oy * out->shape[2] + ox) * c + k] =
                        float_activation (o->activation, count > 0 ? (float) (acc / count) : 0.0f);
                    }
                }
          }
          break;
        case VT_TFLITE_OP_RESHAPE:
          memcpy (y, x, out->numel * sizeof (float));
          break;
        case VT_TFLITE_OP_SOFTMAX:
          {
            gsize depth = (gsize) MAX (out->shape[out->ndim - 1], 1);

            for (gsize r = 0; r < out->numel / depth; r++)
              {
                const float *row = x + r * depth;
                float top = row[0];
                double sum = 0.0;

                for (gsize k = 1; k < depth; k++)
                  top = MAX (top, row[k]);
                for (gsize k = 0; k < depth; k++)
                  sum += exp ((double) op->options.beta * (row[k] - top));
                for (gsize k = 0; k < depth; k++)
                  y[r * depth + k] = (float) (exp ((double) op->options.beta * (row[k] - top)) / sum);
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

const float *
vt_tflite_interpreter_get_output_float (VtTfliteInterpreter *self,
                                        guint                index)
{
  g_return_val_if_fail (index < self->model->n_outputs && self->floats != NULL, NULL);
  return self->floats[self->model->outputs[index]];
}

const float *
vt_tflite_interpreter_get_values_float (VtTfliteInterpreter *self,
                                        guint                tensor)
{
  g_return_val_if_fail (tensor < self->model->n_tensors, NULL);
  return self->floats ? self->floats[tensor] : NULL;
}

float *
vt_tflite_interpreter_dequantize_input (VtTfliteInterpreter *self,
                                        const guint8        *input)
{
  const VtTfliteTensor *in = vt_tflite_interpreter_get_input (self);
  float *out = g_new (float, MAX (in->numel, 1));

  for (gsize i = 0; i < in->numel; i++)
    out[i] = (float) (((double) input[i] - (double) in->zero_point[0]) * in->scale[0]);
  return out;
}

/* ---- the fast convolutions ------------------------------------------------ */

/* The naive kernels above (conv_rows_naive, float_conv_rows_naive) are the
 * references; these compute the same numbers faster: a CONV_2D as a
 * matrix product of the windows (im2col; a 1×1 convolution's windows are
 * its input) by the filter through vt_gemm, a DEPTHWISE_CONV_2D with the
 * channels innermost, where the compiler vectorizes them.
 *
 * On the uint8 path the product stays exact: every term (input - zero
 * point) · (filter - zero point) is an integer of magnitude at most 255²,
 * so a float sum of up to EXACT_TERMS of them (16,646,400 < 2²⁴) is exact
 * in any order, fused multiply-adds included. The window is cut into such
 * pieces, and the pieces are summed in 64-bit integers. */
#define EXACT_TERMS 256
/* Output pixels per product: a multiple of vt_gemm's tile, few enough
 * that the block of windows stays in the cache. */
#define CONV_BLOCK_ROWS (8 * VT_GEMM_TILE_ROWS)
/* A CONV_2D window of more values than this (a file may state any; the
 * block of windows is CONV_BLOCK_ROWS of them) takes the naive kernel,
 * which needs no such block. */
#define GEMM_MAX_WINDOW (1 << 16)
/* A depthwise window with more taps than this could overflow the int32
 * sums: such a filter takes the naive kernel, which sums in 64 bits. */
#define DEPTHWISE_MAX_TAPS 33025

typedef struct
{
  VtTfliteInterpreter  *self;
  const Step           *step;
  gboolean              quantized;
} FastJob;

/* The int32 bias of @n channels, or zeros. */
static gint32 *
decode_bias (const VtTfliteTensor *bias,
             int                   n)
{
  gint32 *values = g_new (gint32, n);

  for (int j = 0; j < n; j++)
    values[j] = bias_at (bias, j);
  return values;
}

/* @acc += @c (exact integers in float), or = where @first. */
static VT_AVX2_CLONES void
add_piece (gint64      *acc,
           const float *c,
           gsize        n,
           gboolean     first)
{
  if (first)
    for (gsize i = 0; i < n; i++)
      acc[i] = (gint64) c[i];
  else
    for (gsize i = 0; i < n; i++)
      acc[i] += (gint64) c[i];
}

/* With AVX-512 the 64-bit products and shifts of the rescale vectorize. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define REQUANTIZE_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#define REQUANTIZE_CLONES
#endif

/* Sums (@rows, @n) plus the bias, rescaled to the output's uint8 as at the
 * end of conv_rows_naive: multiply_by_quantized_multiplier written out
 * with the step's constants hoisted, branch-free so that it vectorizes
 * (the same arithmetic: the Q31 multiplier is positive, so srdhm never
 * overflows; a right shift past 31 takes the general function). */
static REQUANTIZE_CLONES void
requantize (const gint64 *acc,
            const gint32 *bias,
            int           rows,
            int           n,
            const Step   *step,
            gint32        zero_point,
            guint8       *y)
{
  const gint64 multiplier = step->multiplier[0];
  const int left = MAX (step->shift[0], 0), right = MAX (-step->shift[0], 0);
  const gint32 mask = (gint32) (((gint64) 1 << MIN (right, 31)) - 1);
  const gint32 lo = step->act_min, hi = step->act_max;

  for (int r = 0; r < rows; r++)
    {
      const gint64 *row = acc + (gsize) r * n;
      guint8 *out = y + (gsize) r * n;

      if (right > 31 || multiplier <= 0)
        {
          for (int j = 0; j < n; j++)
            {
              gint32 sum = (gint32) CLAMP (row[j] + bias[j], G_MININT32, G_MAXINT32);
              gint32 v = multiply_by_quantized_multiplier (sum, step->multiplier[0], step->shift[0]) + zero_point;
              out[j] = (guint8) CLAMP (v, lo, hi);
            }
          continue;
        }
      for (int j = 0; j < n; j++)
        {
          gint64 total = row[j] + bias[j];
          gint32 sum = (gint32) (total < G_MININT32 ? G_MININT32 : total > G_MAXINT32 ? G_MAXINT32 : total);
          gint32 a = (gint32) ((gint64) sum * ((gint64) 1 << left));
          gint64 ab = (gint64) a * multiplier;
          gint64 t = ab + (ab >= 0 ? (1 << 30) : 1 - (1 << 30));
          /* Division by 2^31 truncating toward zero, as srdhm's. */
          gint32 high = (gint32) ((t + ((t >> 63) & 0x7fffffff)) >> 31);
          gint32 threshold = (mask >> 1) + (high < 0 ? 1 : 0);
          gint32 v = (high >> right) + ((high & mask) > threshold ? 1 : 0) + zero_point;

          out[j] = (guint8) (v < lo ? lo : v > hi ? hi : v);
        }
    }
}

/* Whether the windows of @op are its input, row for row. */
static gboolean
pointwise (const VtTfliteModel *model,
           const Step          *step)
{
  const VtTfliteTensor *filter = &model->tensors[step->op->inputs[1]];
  const VtTfliteOptions *o = &step->op->options;

  return filter->shape[1] == 1 && filter->shape[2] == 1 && o->stride_h == 1 && o->stride_w == 1 &&
         step->pad_h == 0 && step->pad_w == 0;
}

/* The windows of output pixels [p0, p0 + rows) as rows of (kh · kw · ic)
 * values, in the filter's order (fy, fx, channel): on the uint8 path the
 * input minus its zero point, positions outside the input 0 (the
 * reference leaves them out, which is the same). */
static VT_AVX2_CLONES void
im2col (const FastJob *job,
        gsize          p0,
        int            rows,
        float         *a)
{
  const VtTfliteModel *model = job->self->model;
  const Step *step = job->step;
  const VtTfliteOperator *op = step->op;
  const VtTfliteOptions *o = &op->options;
  const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  int h = in->shape[1], wd = in->shape[2], ic = in->shape[3];
  int ow = out->shape[2], kh = filter->shape[1], kw = filter->shape[2];
  gsize k = (gsize) kh * kw * ic;
  float zero = job->quantized ? (float) in->zero_point[0] : 0.0f;
  const guint8 *xq = job->self->values[op->inputs[0]];
  const float *xf = job->self->floats ? job->self->floats[op->inputs[0]] : NULL;

  for (int r = 0; r < rows; r++)
    {
      int oy = (int) ((p0 + r) / ow), ox = (int) ((p0 + r) % ow);
      float *row = a + (gsize) r * k;

      for (int fy = 0; fy < kh; fy++)
        for (int fx = 0; fx < kw; fx++)
          {
            int iy = oy * o->stride_h - step->pad_h + fy * o->dilation_h;
            int ix = ox * o->stride_w - step->pad_w + fx * o->dilation_w;
            float *dst = row + ((gsize) fy * kw + fx) * ic;
            gsize at = ((gsize) iy * wd + ix) * ic;

            if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
              memset (dst, 0, (gsize) ic * sizeof (float));
            else if (job->quantized)
              for (int c = 0; c < ic; c++)
                dst[c] = (float) xq[at + c] - zero;
            else
              memcpy (dst, xf + at, (gsize) ic * sizeof (float));
          }
    }
}

static void clamp_activation (float *y, gsize n, gint32 activation);

/* Output pixels [begin, end) of a CONV_2D, CONV_BLOCK_ROWS at a time. */
static void
gemm_conv_rows (gsize    begin,
                gsize    end,
                gpointer data)
{
  const FastJob *job = data;
  VtTfliteInterpreter *self = job->self;
  const VtTfliteModel *model = self->model;
  const Step *step = job->step;
  const VtTfliteOperator *op = step->op;
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? &model->tensors[op->inputs[2]] : NULL;
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  int n = out->shape[3];
  int k = filter->shape[1] * filter->shape[2] * filter->shape[3];
  gboolean direct = !job->quantized && pointwise (model, step);
  g_autofree float *a = direct ? NULL : g_new (float, (gsize) CONV_BLOCK_ROWS * k);
  g_autofree float *c = job->quantized ? g_new (float, (gsize) CONV_BLOCK_ROWS * n) : NULL;
  g_autofree gint64 *acc = job->quantized ? g_new (gint64, (gsize) CONV_BLOCK_ROWS * n) : NULL;
  g_autofree gint32 *bias_q = job->quantized ? decode_bias (bias, n) : NULL;

  for (gsize p0 = begin; p0 < end; p0 += CONV_BLOCK_ROWS)
    {
      int rows = (int) MIN ((gsize) CONV_BLOCK_ROWS, end - p0);
      gsize cells = (gsize) rows * n;
      const float *windows = direct ? self->floats[op->inputs[0]] + p0 * k : a;

      if (!direct)
        im2col (job, p0, rows, a);
      if (!job->quantized)
        {
          const float *b = bias ? self->floats[op->inputs[2]] : NULL;
          float *y = self->floats[op->outputs[0]] + p0 * n;

          vt_gemm (TRUE, rows, n, k, 1.0f, windows, k, self->floats[op->inputs[1]], k, 0.0f, b, y, n, NULL);
          clamp_activation (y, cells, op->options.activation);
          continue;
        }
      for (int k0 = 0; k0 < k; k0 += EXACT_TERMS)
        {
          int piece = MIN (EXACT_TERMS, k - k0);

          vt_gemm (TRUE, rows, n, piece, 1.0f, windows + k0, k, step->centered_filter + k0, k, 0.0f, NULL, c, n,
                   NULL);
          add_piece (acc, c, cells, k0 == 0);
        }
      requantize (acc, bias_q, rows, n, step, (gint32) out->zero_point[0], self->values[op->outputs[0]] + p0 * n);
    }
}

/* The float path's activation over @n values, the choice made once. */
static VT_AVX2_CLONES void
clamp_activation (float  *y,
                  gsize   n,
                  gint32  activation)
{
  float lo = activation == VT_TFLITE_ACT_RELU_N1_TO_1 ? -1.0f : 0.0f;
  float hi = activation == VT_TFLITE_ACT_RELU6 ? 6.0f : activation == VT_TFLITE_ACT_RELU_N1_TO_1 ? 1.0f : INFINITY;

  if (activation != VT_TFLITE_ACT_RELU && activation != VT_TFLITE_ACT_RELU6 &&
      activation != VT_TFLITE_ACT_RELU_N1_TO_1)
    return;
  /* As float_activation: MAX (v, lo) then MIN; a NaN becomes lo there too. */
  for (gsize i = 0; i < n; i++)
    {
      float v = y[i] > lo ? y[i] : lo;
      y[i] = v < hi ? v : hi;
    }
}

/* Output rows [begin, end) of a DEPTHWISE_CONV_2D with depth multiplier 1:
 * a row's sums at once, tap by tap, the channels innermost. */
static VT_AVX2_CLONES void
depthwise_rows (gsize    begin,
                gsize    end,
                gpointer data)
{
  const FastJob *job = data;
  VtTfliteInterpreter *self = job->self;
  const VtTfliteModel *model = self->model;
  const Step *step = job->step;
  const VtTfliteOperator *op = step->op;
  const VtTfliteOptions *o = &op->options;
  const VtTfliteTensor *in = &model->tensors[op->inputs[0]];
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? &model->tensors[op->inputs[2]] : NULL;
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  int h = in->shape[1], wd = in->shape[2], ch = out->shape[3], ow = out->shape[2];
  int kh = filter->shape[1], kw = filter->shape[2];
  gsize row_cells = (gsize) ow * ch;
  g_autofree gint32 *acc = job->quantized ? g_new (gint32, row_cells) : NULL;
  g_autofree gint64 *acc64 = job->quantized ? g_new (gint64, row_cells) : NULL;
  g_autofree gint32 *bias_q = job->quantized ? decode_bias (bias, ch) : NULL;
  g_autofree gint32 *wq = NULL;
  const float *bias_f = !job->quantized && bias ? self->floats[op->inputs[2]] : NULL;
  gint32 in_off = (gint32) in->zero_point[0];

  if (job->quantized)
    {
      /* The filter minus its zero point, once per chunk. */
      wq = g_new (gint32, (gsize) kh * kw * ch);
      for (gsize i = 0; i < (gsize) kh * kw * ch; i++)
        wq[i] = (gint32) filter->data[i] - (gint32) filter->zero_point[0];
    }
  for (int oy = (int) begin; oy < (int) end; oy++)
    {
      float *yf = job->quantized ? NULL : self->floats[op->outputs[0]] + (gsize) oy * row_cells;

      if (job->quantized)
        memset (acc, 0, row_cells * sizeof (gint32));
      else
        for (int ox = 0; ox < ow; ox++)
          for (int c = 0; c < ch; c++)
            yf[(gsize) ox * ch + c] = bias_f ? bias_f[c] : 0.0f;
      for (int fy = 0; fy < kh; fy++)
        {
          int iy = oy * o->stride_h - step->pad_h + fy * o->dilation_h;
          if (iy < 0 || iy >= h)
            continue;
          for (int fx = 0; fx < kw; fx++)
            {
              gsize tap = ((gsize) fy * kw + fx) * ch;

              for (int ox = 0; ox < ow; ox++)
                {
                  int ix = ox * o->stride_w - step->pad_w + fx * o->dilation_w;
                  gsize src = ((gsize) iy * wd + ix) * ch;

                  if (ix < 0 || ix >= wd)
                    continue;
                  if (job->quantized)
                    {
                      const guint8 *x = self->values[op->inputs[0]] + src;
                      const gint32 *w = wq + tap;
                      gint32 *a = acc + (gsize) ox * ch;

                      for (int c = 0; c < ch; c++)
                        a[c] += ((gint32) x[c] - in_off) * w[c];
                    }
                  else
                    {
                      const float *x = self->floats[op->inputs[0]] + src;
                      const float *w = self->floats[op->inputs[1]] + tap;
                      float *a = yf + (gsize) ox * ch;

                      for (int c = 0; c < ch; c++)
                        a[c] += x[c] * w[c];
                    }
                }
            }
        }
      if (job->quantized)
        {
          for (gsize i = 0; i < row_cells; i++)
            acc64[i] = acc[i];
          requantize (acc64, bias_q, ow, ch, step, (gint32) out->zero_point[0],
                      self->values[op->outputs[0]] + (gsize) oy * row_cells);
        }
      else
        clamp_activation (yf, row_cells, o->activation);
    }
}

/* reference_ops::Conv (uint8) and DepthwiseConv (uint8, rounding away from
 * zero), or the float path's: sums of (input - input zero point) · (filter
 * - filter zero point) over the window, positions outside the input left
 * out, plus the bias; then the fixed-point rescale, the output zero point
 * and the clamp. Output rows in parallel: each is computed alone, so the
 * result does not depend on the thread count. */
static void
run_conv (VtTfliteInterpreter *self,
          const Step          *step,
          gboolean             quantized)
{
  const VtTfliteModel *model = self->model;
  const VtTfliteOperator *op = step->op;
  const VtTfliteTensor *filter = &model->tensors[op->inputs[1]];
  const VtTfliteTensor *out = &model->tensors[op->outputs[0]];
  FastJob fast = { self, step, quantized };
  Job job = { self, step };

  if (self->naive)
    vt_parallel_for ((gsize) out->shape[1], quantized ? conv_rows_naive : float_conv_rows_naive, &job);
  else if (op->builtin == VT_TFLITE_OP_CONV_2D &&
           (gint64) filter->shape[1] * filter->shape[2] * filter->shape[3] <= GEMM_MAX_WINDOW)
    {
      if (quantized && step->centered_filter == NULL)
        {
          /* Made once, on the first invoke; the step is the interpreter's own. */
          float *centered = g_new (float, MAX (filter->numel, 1));

          for (gsize i = 0; i < filter->numel; i++)
            centered[i] = (float) filter->data[i] - (float) filter->zero_point[0];
          ((Step *) step)->centered_filter = centered;
        }
      vt_parallel_for_single_blas ((gsize) out->shape[1] * out->shape[2], gemm_conv_rows, &fast);
    }
  else if (op->builtin == VT_TFLITE_OP_DEPTHWISE_CONV_2D && op->options.depth_multiplier == 1 &&
           (gint64) filter->shape[1] * filter->shape[2] <= DEPTHWISE_MAX_TAPS)
    vt_parallel_for ((gsize) out->shape[1], depthwise_rows, &fast);
  else
    vt_parallel_for ((gsize) out->shape[1], quantized ? conv_rows_naive : float_conv_rows_naive, &job);
}

void
vt_tflite_interpreter_set_naive (VtTfliteInterpreter *self,
                                 gboolean             naive)
{
  self->naive = naive;
}
