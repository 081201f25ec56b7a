/* vt-tflite.h: a TensorFlow Lite model (.tflite), read from its flatbuffer.
 *
 * Written against tensorflow/lite/schema/schema.fbs: the model's buffers,
 * the tensors of its first subgraph (with their quantization), the operator
 * codes and the operators with the builtin options of the operators
 * Vitrine runs. Every offset, vtable, vector and string is checked against
 * the file before it is read, so a malformed file is an error that names
 * the file and what is wrong. The model views into the bytes it was parsed
 * from; keep them alive as long as the model. */
#pragma once

#include <glib.h>

#include "core/vt-dtype.h"

G_BEGIN_DECLS

#define VT_TFLITE_ERROR (vt_tflite_error_quark ())
GQuark vt_tflite_error_quark (void);

typedef enum
{
  VT_TFLITE_ERROR_MALFORMED,    /* the flatbuffer breaks its own rules */
  VT_TFLITE_ERROR_INVALID,      /* well formed, but inconsistent (an index out of range, …) */
} VtTfliteError;

/* TensorType in schema.fbs */
typedef enum
{
  VT_TFLITE_FLOAT32 = 0,
  VT_TFLITE_FLOAT16 = 1,
  VT_TFLITE_INT32 = 2,
  VT_TFLITE_UINT8 = 3,
  VT_TFLITE_INT64 = 4,
  VT_TFLITE_STRING = 5,
  VT_TFLITE_BOOL = 6,
  VT_TFLITE_INT16 = 7,
  VT_TFLITE_INT8 = 9,
  VT_TFLITE_FLOAT64 = 10,
} VtTfliteType;

/* BuiltinOperator in schema.fbs: the ones named in messages and run. */
typedef enum
{
  VT_TFLITE_OP_ADD = 0,
  VT_TFLITE_OP_AVERAGE_POOL_2D = 1,
  VT_TFLITE_OP_CONCATENATION = 2,
  VT_TFLITE_OP_CONV_2D = 3,
  VT_TFLITE_OP_DEPTHWISE_CONV_2D = 4,
  VT_TFLITE_OP_DEQUANTIZE = 6,
  VT_TFLITE_OP_FULLY_CONNECTED = 9,
  VT_TFLITE_OP_MAX_POOL_2D = 17,
  VT_TFLITE_OP_RESHAPE = 22,
  VT_TFLITE_OP_SOFTMAX = 25,
  VT_TFLITE_OP_SQUEEZE = 43,
  VT_TFLITE_OP_QUANTIZE = 114,
} VtTfliteBuiltin;

/* ActivationFunctionType */
typedef enum
{
  VT_TFLITE_ACT_NONE = 0,
  VT_TFLITE_ACT_RELU = 1,
  VT_TFLITE_ACT_RELU_N1_TO_1 = 2,
  VT_TFLITE_ACT_RELU6 = 3,
  VT_TFLITE_ACT_TANH = 4,
  VT_TFLITE_ACT_SIGN_BIT = 5,
} VtTfliteActivation;

/* Padding */
typedef enum
{
  VT_TFLITE_PADDING_SAME = 0,
  VT_TFLITE_PADDING_VALID = 1,
} VtTflitePadding;

#define VT_TFLITE_MAX_DIMS 8

typedef struct
{
  char          *name;
  VtTfliteType   type;
  guint          ndim;
  gint32         shape[VT_TFLITE_MAX_DIMS];
  gsize          numel;
  guint32        buffer;
  /* Constant data (weights, biases, shapes): the buffer's bytes, exactly
   * numel elements of the type; NULL for an activation. */
  const guint8  *data;
  gsize          nbytes;
  /* Affine quantization: n_quant scales and zero points, one per tensor
   * (n_quant == 1) or one per slice along quantized_dimension. 0 when
   * the tensor is not quantized. */
  guint          n_quant;
  float         *scale;
  gint64        *zero_point;
  gint32         quantized_dimension;
} VtTfliteTensor;

typedef struct
{
  gint32  builtin;        /* the larger of builtin_code and deprecated_builtin_code */
  char   *custom_code;    /* or NULL */
  gint32  version;
} VtTfliteOpCode;

/* The builtin options of the operators Vitrine runs; fields an operator's
 * options do not have keep the schema's defaults. */
typedef struct
{
  guint8   type;                 /* BuiltinOptions union tag; 0 when absent */
  gint32   padding;
  gint32   stride_w, stride_h;
  gint32   dilation_w, dilation_h;
  gint32   depth_multiplier;
  gint32   filter_w, filter_h;
  gint32   activation;
  float    beta;
  gint32   axis;
  guint    n_new_shape;
  gint32  *new_shape;
} VtTfliteOptions;

typedef struct
{
  guint32          opcode_index;
  gint32           builtin;       /* copied from its operator code */
  guint            n_inputs, n_outputs;
  gint32          *inputs;        /* tensor indices; -1 for an optional input left out */
  gint32          *outputs;
  VtTfliteOptions  options;
} VtTfliteOperator;

typedef struct
{
  guint32            version;
  char              *description;
  guint              n_opcodes;
  VtTfliteOpCode    *opcodes;
  guint              n_buffers;
  guint              n_subgraphs;
  /* The first subgraph, which is what a model's interpreter runs. */
  guint              n_tensors;
  VtTfliteTensor    *tensors;
  guint              n_operators;
  VtTfliteOperator  *operators;
  guint              n_inputs, n_outputs;
  gint32            *inputs;
  gint32            *outputs;
} VtTfliteModel;

/* Parses @size bytes of a .tflite file; @name (the path) begins every
 * message. */
VtTfliteModel *vt_tflite_parse          (const guint8   *data,
                                         gsize           size,
                                         const char     *name,
                                         GError        **error);
void           vt_tflite_model_free     (VtTfliteModel  *model);

/* "CONV_2D", …, or NULL for a code this file has no name for. */
const char    *vt_tflite_builtin_name   (gint32          builtin);
/* "UINT8", … */
const char    *vt_tflite_type_name      (VtTfliteType    type);
/* Bytes per element; 0 for STRING and types not listed above. */
gsize          vt_tflite_type_size      (VtTfliteType    type);

/* The VtDType that holds a tensor of @type as it is stored; FALSE for
 * types Vitrine has no dtype for (INT8, INT16, STRING). */
gboolean       vt_tflite_type_to_dtype  (VtTfliteType    type,
                                         VtDType        *dtype);
/* A quantized constant tensor's values as float32, (q - zero_point) *
 * scale per tensor or per slice; NULL when it has no data or is not an
 * integer type. */
GBytes        *vt_tflite_dequantize     (const VtTfliteTensor *tensor);

/* One line per tensor: "12 NAME UINT8 [1, 3, 3, 32] scale=0.0235 zero_point=0". */
char          *vt_tflite_describe_tensors (const VtTfliteModel *model);

/* One line per operator: "3 CONV_2D in [0, 55, 54] out [56] padding=SAME
 * stride=2x2 activation=RELU6", the graph as text. */
char          *vt_tflite_describe_graph (const VtTfliteModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTfliteModel, vt_tflite_model_free)

G_END_DECLS
