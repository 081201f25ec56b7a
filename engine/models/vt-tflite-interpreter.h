/* vt-tflite-interpreter.h: runs a uint8-quantized TensorFlow Lite graph
 * exactly as TensorFlow Lite's reference kernels do.
 *
 * Asymmetric uint8 activations and weights, int32 biases; every rescale
 * through a Q31 fixed-point multiplier and a power-of-two shift
 * (QuantizeMultiplier, MultiplyByQuantizedMultiplier), rounding and
 * saturation as in tensorflow/lite/kernels/internal/reference/ and
 * gemmlowp's fixedpoint.h, so outputs agree with TFLite to the last bit.
 * Operators: CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, RESHAPE,
 * SOFTMAX (what the Coral MobileNets hold); any other is refused when the
 * interpreter is made. */
#pragma once

#include "io/vt-image.h"
#include "io/vt-tflite.h"

G_BEGIN_DECLS

#define VT_TFLITE_RUN_ERROR (vt_tflite_run_error_quark ())
GQuark vt_tflite_run_error_quark (void);

typedef enum
{
  VT_TFLITE_RUN_ERROR_UNSUPPORTED,  /* an operator, type or layout not run here */
  VT_TFLITE_RUN_ERROR_SHAPE,        /* shapes or quantization that do not fit together */
} VtTfliteRunError;

/* The most bytes of activations one interpreter allocates (each path):
 * MobileNets need some megabytes; a file that asks for more is refused,
 * not obeyed. */
#define VT_TFLITE_MAX_ACTIVATION_BYTES ((gsize) 1 << 28)

typedef struct _VtTfliteInterpreter VtTfliteInterpreter;

/* Checks every operator of @model (which must outlive the interpreter)
 * and prepares its multipliers; @name (the file) begins every message. */
VtTfliteInterpreter *vt_tflite_interpreter_new        (const VtTfliteModel  *model,
                                                       const char           *name,
                                                       GError              **error);
void                 vt_tflite_interpreter_free       (VtTfliteInterpreter  *self);

/* The input's shape [1, H, W, C], as the model states it. */
const VtTfliteTensor *vt_tflite_interpreter_get_input (VtTfliteInterpreter  *self);

/* Multiply-accumulates (or element steps, for the other operators) one
 * invoke takes: 300 million for MobileNet V2. */
guint64              vt_tflite_interpreter_get_cost   (VtTfliteInterpreter  *self);

/* Runs the graph on one input of H×W×C uint8 values. */
void                 vt_tflite_interpreter_invoke     (VtTfliteInterpreter  *self,
                                                       const guint8         *input);
/* Output @index of the last invoke: its tensor and its uint8 values. */
const guint8        *vt_tflite_interpreter_get_output (VtTfliteInterpreter  *self,
                                                       guint                 index,
                                                       const VtTfliteTensor **tensor);
/* Any tensor's values after an invoke (activations included), or NULL for
 * a constant or one not computed. */
const guint8        *vt_tflite_interpreter_get_values (VtTfliteInterpreter  *self,
                                                       guint                 tensor);

/* The float path: the same graph in float32 on the dequantized weights
 * and biases ((q - zero point) · scale), activations unquantized (ReLU6
 * clamps to [0, 6], SOFTMAX is exp / sum), sums in double. For features
 * with the rounding of the uint8 path taken out. @input: H×W×C floats,
 * the dequantized input ((p - 128) / 128 for the Coral models). FALSE with
 * an error when the float buffers would pass VT_TFLITE_MAX_ACTIVATION_BYTES. */
gboolean             vt_tflite_interpreter_invoke_float     (VtTfliteInterpreter  *self,
                                                             const float          *input,
                                                             GError              **error);
/* Output @index of the last float invoke. */
const float         *vt_tflite_interpreter_get_output_float (VtTfliteInterpreter  *self,
                                                             guint                 index);
/* Any tensor's floats after a float invoke, or NULL. */
const float         *vt_tflite_interpreter_get_values_float (VtTfliteInterpreter  *self,
                                                             guint                 tensor);
/* The uint8 input dequantized with the input tensor's scale and zero point,
 * for vt_tflite_interpreter_invoke_float. */
float               *vt_tflite_interpreter_dequantize_input (VtTfliteInterpreter  *self,
                                                             const guint8         *input);

/* What Coral's examples feed a uint8 image classifier: the RGB image
 * resized to the input's H×W with Pillow's LANCZOS filter, the pixels as
 * they are. Only for an input whose quantization maps pixel p to
 * (p - 128) / 128 or to p / 255 · …: the model's own normalization, which
 * these examples pass through unchanged; FALSE with an error otherwise. */
guint8              *vt_tflite_interpreter_preprocess (VtTfliteInterpreter  *self,
                                                       const VtImage        *image,
                                                       GError              **error);

/* For tests: CONV_2D and DEPTHWISE_CONV_2D by the naive reference
 * kernels (window by window, sums in 64 bits or double) instead of the
 * products and vectorized loops, on both paths. */
void                 vt_tflite_interpreter_set_naive  (VtTfliteInterpreter  *self,
                                                       gboolean              naive);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTfliteInterpreter, vt_tflite_interpreter_free)

G_END_DECLS
