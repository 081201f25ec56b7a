/* vt-tflite.c: see vt-tflite.h.
 *
 * A flatbuffer is a tree of tables reached through 32-bit offsets. A table
 * starts with a signed offset to its vtable; the vtable lists, per field,
 * where the field sits in the table (0: absent, take the default). Fields
 * that are tables, vectors or strings hold an unsigned offset, relative to
 * the field, to their target; a vector or string starts with its length.
 * Here every one of those steps goes through a function that checks it
 * against the file, and the first failure is the error reported. */
#include "vt-tflite.h"

#include <string.h>

G_DEFINE_QUARK (vt-tflite-error-quark, vt_tflite_error)

typedef struct
{
  const guint8  *data;
  gsize          size;
  const char    *name;
  GError       **error;
  gboolean       failed;
} Reader;

typedef struct
{
  gsize    pos;       /* where the table starts */
  gsize    vtable;
  guint    vt_size;   /* bytes of the vtable */
  guint    size;      /* bytes of the table's inline data */
} Table;

typedef struct
{
  gsize    pos;       /* the first element */
  guint32  len;
} Vector;

static void fail (Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
fail (Reader     *r,
      const char *format,
      ...)
{
  va_list args;
  g_autofree char *what = NULL;

  if (r->failed)
    return;
  r->failed = TRUE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, VT_TFLITE_ERROR, VT_TFLITE_ERROR_MALFORMED,
               "%s: malformed TensorFlow Lite model: %s", r->name, what);
}

static void invalid (Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
invalid (Reader     *r,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *what = NULL;

  if (r->failed)
    return;
  r->failed = TRUE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, VT_TFLITE_ERROR, VT_TFLITE_ERROR_INVALID,
               "%s: invalid TensorFlow Lite model: %s", r->name, what);
}

static gboolean
in_file (Reader *r,
         guint64 pos,
         guint64 len)
{
  return pos <= r->size && len <= r->size - pos;
}

static guint32
read_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16
read_u16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

/* The table at @pos, its vtable checked; FALSE (and the reader failed)
 * when either leaves the file. @what names it for the message. */
static gboolean
table_at (Reader     *r,
          guint64     pos,
          const char *what,
          Table      *t)
{
  gint64 vtable;

  memset (t, 0, sizeof *t);
  if (r->failed)
    return FALSE;
  if (!in_file (r, pos, 4))
    {
      fail (r, "%s at byte %" G_GUINT64_FORMAT " is past the end of the file", what, pos);
      return FALSE;
    }
  vtable = (gint64) pos - (gint32) read_u32 (r->data + pos);
  if (vtable < 0 || !in_file (r, (guint64) vtable, 4))
    {
      fail (r, "%s at byte %" G_GUINT64_FORMAT " has its vtable outside the file", what, pos);
      return FALSE;
    }
  t->pos = pos;
  t->vtable = (gsize) vtable;
  t->vt_size = read_u16 (r->data + vtable);
  t->size = read_u16 (r->data + vtable + 2);
  if (t->vt_size < 4 || t->vt_size % 2 != 0 || !in_file (r, t->vtable, t->vt_size))
    {
      fail (r, "%s at byte %" G_GUINT64_FORMAT " has a vtable of %u bytes, which does not fit",
            what, pos, t->vt_size);
      return FALSE;
    }
  if (t->size < 4 || !in_file (r, pos, t->size))
    {
      fail (r, "%s at byte %" G_GUINT64_FORMAT " claims %u bytes, past the end of the file",
            what, pos, t->size);
      return FALSE;
    }
  return TRUE;
}

/* Where field @id of @t lies, 0 when absent; a field that would run past
 * the table's own size is an error. */
static gsize
field (Reader      *r,
       const Table *t,
       guint        id,
       guint        width)
{
  guint entry = 4 + 2 * id;
  guint offset;

  if (r->failed || entry + 2 > t->vt_size)
    return 0;
  offset = read_u16 (r->data + t->vtable + entry);
  if (offset == 0)
    return 0;
  if (offset < 4 || offset + width > t->size)
    {
      fail (r, "field %u of the table at byte %" G_GSIZE_FORMAT " lies outside the table", id, t->pos);
      return 0;
    }
  return t->pos + offset;
}

static gint32
field_i32 (Reader *r, const Table *t, guint id, gint32 fallback)
{
  gsize at = field (r, t, id, 4);
  return at ? (gint32) read_u32 (r->data + at) : fallback;
}

static guint32
field_u32 (Reader *r, const Table *t, guint id, guint32 fallback)
{
  gsize at = field (r, t, id, 4);
  return at ? read_u32 (r->data + at) : fallback;
}

static gint32
field_i8 (Reader *r, const Table *t, guint id, gint32 fallback)
{
  gsize at = field (r, t, id, 1);
  return at ? (gint8) r->data[at] : fallback;
}

static guint8
field_u8 (Reader *r, const Table *t, guint id, guint8 fallback)
{
  gsize at = field (r, t, id, 1);
  return at ? r->data[at] : fallback;
}

static float
field_f32 (Reader *r, const Table *t, guint id, float fallback)
{
  gsize at = field (r, t, id, 4);
  float value;

  if (!at)
    return fallback;
  memcpy (&value, r->data + at, 4);
  return value;
}

static guint64
field_u64 (Reader *r, const Table *t, guint id, guint64 fallback)
{
  gsize at = field (r, t, id, 8);

  if (!at)
    return fallback;
  return read_u32 (r->data + at) | ((guint64) read_u32 (r->data + at + 4) << 32);
}

/* Follows the offset in field @id; 0 when absent or when it leaves the file. */
static guint64
field_target (Reader      *r,
              const Table *t,
              guint        id)
{
  gsize at = field (r, t, id, 4);
  guint64 target;

  if (!at)
    return 0;
  target = (guint64) at + read_u32 (r->data + at);
  if (!in_file (r, target, 4))
    {
      fail (r, "field %u of the table at byte %" G_GSIZE_FORMAT " points past the end of the file", id, t->pos);
      return 0;
    }
  return target;
}

/* The vector in field @id with elements of @elem bytes; absent reads as
 * empty. */
static Vector
field_vector (Reader      *r,
              const Table *t,
              guint        id,
              guint        elem,
              const char  *what)
{
  Vector v = { 0, 0 };
  guint64 target = field_target (r, t, id);

  if (target == 0)
    return v;
  v.len = read_u32 (r->data + target);
  v.pos = target + 4;
  if (!in_file (r, v.pos, (guint64) v.len * elem))
    {
      fail (r, "%s at byte %" G_GUINT64_FORMAT " holds %u elements, more than the file has room for",
            what, target, v.len);
      v.len = 0;
    }
  return v;
}

/* A string field as valid UTF-8 (names are shown and written to JSON), or
 * NULL when absent. */
static char *
field_string (Reader      *r,
              const Table *t,
              guint        id,
              const char  *what)
{
  guint64 target = field_target (r, t, id);
  Vector v;

  if (target == 0)
    return NULL;
  v = field_vector (r, t, id, 1, what);
  if (r->failed)
    return NULL;
  return g_utf8_make_valid ((const char *) r->data + v.pos, v.len);
}

/* Element @i of a vector of tables. */
static gboolean
vector_table (Reader       *r,
              const Vector *v,
              guint         i,
              const char   *what,
              Table        *t)
{
  gsize at = v->pos + (gsize) i * 4;
  return table_at (r, (guint64) at + read_u32 (r->data + at), what, t);
}

static gint32 *
vector_dup_i32 (Reader       *r,
                const Vector *v)
{
  gint32 *out = g_new (gint32, MAX (v->len, 1));

  for (guint i = 0; i < v->len; i++)
    out[i] = (gint32) read_u32 (r->data + v->pos + (gsize) i * 4);
  return out;
}

const char *
vt_tflite_builtin_name (gint32 builtin)
{
  switch (builtin)
    {
    case VT_TFLITE_OP_ADD: return "ADD";
    case VT_TFLITE_OP_AVERAGE_POOL_2D: return "AVERAGE_POOL_2D";
    case VT_TFLITE_OP_CONCATENATION: return "CONCATENATION";
    case VT_TFLITE_OP_CONV_2D: return "CONV_2D";
    case VT_TFLITE_OP_DEPTHWISE_CONV_2D: return "DEPTHWISE_CONV_2D";
    case VT_TFLITE_OP_DEQUANTIZE: return "DEQUANTIZE";
    case VT_TFLITE_OP_FULLY_CONNECTED: return "FULLY_CONNECTED";
    case VT_TFLITE_OP_MAX_POOL_2D: return "MAX_POOL_2D";
    case VT_TFLITE_OP_RESHAPE: return "RESHAPE";
    case VT_TFLITE_OP_SOFTMAX: return "SOFTMAX";
    case VT_TFLITE_OP_SQUEEZE: return "SQUEEZE";
    case VT_TFLITE_OP_QUANTIZE: return "QUANTIZE";
    default: return NULL;
    }
}

const char *
vt_tflite_type_name (VtTfliteType type)
{
  switch (type)
    {
    case VT_TFLITE_FLOAT32: return "FLOAT32";
    case VT_TFLITE_FLOAT16: return "FLOAT16";
    case VT_TFLITE_INT32: return "INT32";
    case VT_TFLITE_UINT8: return "UINT8";
    case VT_TFLITE_INT64: return "INT64";
    case VT_TFLITE_STRING: return "STRING";
    case VT_TFLITE_BOOL: return "BOOL";
    case VT_TFLITE_INT16: return "INT16";
    case VT_TFLITE_INT8: return "INT8";
    case VT_TFLITE_FLOAT64: return "FLOAT64";
    default: return "unknown";
    }
}

gsize
vt_tflite_type_size (VtTfliteType type)
{
  switch (type)
    {
    case VT_TFLITE_FLOAT32: case VT_TFLITE_INT32: return 4;
    case VT_TFLITE_FLOAT16: case VT_TFLITE_INT16: return 2;
    case VT_TFLITE_UINT8: case VT_TFLITE_INT8: case VT_TFLITE_BOOL: return 1;
    case VT_TFLITE_INT64: case VT_TFLITE_FLOAT64: return 8;
    default: return 0;
    }
}

void
vt_tflite_model_free (VtTfliteModel *model)
{
  if (model == NULL)
    return;
  for (guint i = 0; i < model->n_opcodes; i++)
    g_free (model->opcodes[i].custom_code);
  for (guint i = 0; i < model->n_tensors; i++)
    {
      g_free (model->tensors[i].name);
      g_free (model->tensors[i].scale);
      g_free (model->tensors[i].zero_point);
    }
  for (guint i = 0; i < model->n_operators; i++)
    {
      g_free (model->operators[i].inputs);
      g_free (model->operators[i].outputs);
      g_free (model->operators[i].options.new_shape);
    }
  g_free (model->description);
  g_free (model->opcodes);
  g_free (model->tensors);
  g_free (model->operators);
  g_free (model->inputs);
  g_free (model->outputs);
  g_free (model);
}

/* Buffer { data:[ubyte]; offset:ulong; size:ulong; }: the bytes, inline or
 * (for models over 2 GB) at an offset from the start of the file. */
static void
read_buffer (Reader       *r,
             const Vector *buffers,
             guint         index,
             const guint8 **data,
             gsize         *size)
{
  Table t;
  Vector bytes;
  guint64 offset, length;

  *data = NULL;
  *size = 0;
  if (!vector_table (r, buffers, index, "a buffer", &t))
    return;
  bytes = field_vector (r, &t, 0, 1, "a buffer's data");
  if (bytes.len > 0)
    {
      *data = r->data + bytes.pos;
      *size = bytes.len;
      return;
    }
  offset = field_u64 (r, &t, 1, 0);
  length = field_u64 (r, &t, 2, 0);
  if (offset > 1 && length > 0)
    {
      if (!in_file (r, offset, length))
        {
          fail (r, "buffer %u lies at bytes %" G_GUINT64_FORMAT "–%" G_GUINT64_FORMAT ", past the end of the file",
                index, offset, offset + length);
          return;
        }
      *data = r->data + offset;
      *size = (gsize) length;
    }
}

static void
read_quantization (Reader         *r,
                   const Table    *tensor,
                   guint           index,
                   VtTfliteTensor *out)
{
  guint64 target = field_target (r, tensor, 4);
  Table q;
  Vector scale, zero_point;

  if (target == 0 || !table_at (r, target, "a tensor's quantization", &q))
    return;
  scale = field_vector (r, &q, 2, 4, "a quantization scale");
  zero_point = field_vector (r, &q, 3, 8, "a quantization zero point");
  out->quantized_dimension = field_i32 (r, &q, 6, 0);
  if (r->failed || scale.len == 0)
    return;
  if (zero_point.len != scale.len)
    {
      invalid (r, "tensor %u (“%s”) has %u quantization scales but %u zero points",
               index, out->name, scale.len, zero_point.len);
      return;
    }
  if (scale.len > 1 &&
      (out->quantized_dimension < 0 || (guint) out->quantized_dimension >= out->ndim ||
       out->shape[out->quantized_dimension] != (gint64) scale.len))
    {
      invalid (r, "tensor %u (“%s”) has %u quantization scales, which is not its size along "
               "its quantized dimension %d", index, out->name, scale.len, out->quantized_dimension);
      return;
    }
  out->n_quant = scale.len;
  out->scale = g_new (float, scale.len);
  out->zero_point = g_new (gint64, scale.len);
  for (guint i = 0; i < scale.len; i++)
    {
      memcpy (&out->scale[i], r->data + scale.pos + (gsize) i * 4, 4);
      out->zero_point[i] = (gint64) (read_u32 (r->data + zero_point.pos + (gsize) i * 8) |
                                     ((guint64) read_u32 (r->data + zero_point.pos + (gsize) i * 8 + 4) << 32));
    }
}

static void
read_tensor (Reader         *r,
             const Vector   *buffers,
             const Table    *t,
             guint           index,
             VtTfliteTensor *out)
{
  Vector shape = field_vector (r, t, 0, 4, "a tensor's shape");
  gsize elem;

  out->name = field_string (r, t, 3, "a tensor's name");
  if (out->name == NULL)
    out->name = g_strdup_printf ("tensor %u", index);
  out->type = field_i8 (r, t, 1, VT_TFLITE_FLOAT32);
  out->buffer = field_u32 (r, t, 2, 0);
  if (r->failed)
    return;
  if (shape.len > VT_TFLITE_MAX_DIMS)
    {
      invalid (r, "tensor %u (“%s”) has %u dimensions; at most %d are supported",
               index, out->name, shape.len, VT_TFLITE_MAX_DIMS);
      return;
    }
  out->ndim = shape.len;
  out->numel = 1;
  for (guint d = 0; d < shape.len; d++)
    {
      out->shape[d] = (gint32) read_u32 (r->data + shape.pos + (gsize) d * 4);
      if (out->shape[d] < 0)
        {
          invalid (r, "tensor %u (“%s”) has a negative size %d in dimension %u",
                   index, out->name, out->shape[d], d);
          return;
        }
      /* A product past the file size cannot be constant data, and an
       * activation that large could never be allocated: refuse it here
       * rather than overflow later. */
      if (out->shape[d] > 0 && out->numel > (G_MAXINT32 / (gsize) out->shape[d]))
        {
          invalid (r, "tensor %u (“%s”) has more than 2^31 elements", index, out->name);
          return;
        }
      out->numel *= (gsize) out->shape[d];
    }
  if (out->buffer >= buffers->len)
    {
      invalid (r, "tensor %u (“%s”) names buffer %u, but the model has %u buffers",
               index, out->name, out->buffer, buffers->len);
      return;
    }
  read_buffer (r, buffers, out->buffer, &out->data, &out->nbytes);
  elem = vt_tflite_type_size (out->type);
  if (out->data != NULL && (elem == 0 || out->nbytes != out->numel * elem))
    {
      invalid (r, "tensor %u (“%s”) of type %s and %zu elements has a buffer of %zu bytes",
               index, out->name, vt_tflite_type_name (out->type), out->numel, out->nbytes);
      return;
    }
  read_quantization (r, t, index, out);
}

static void
read_options (Reader           *r,
              const Table      *op,
              VtTfliteOptions  *o)
{
  guint64 target;
  Table t;

  o->type = field_u8 (r, op, 3, 0);
  o->stride_w = o->stride_h = 1;
  o->dilation_w = o->dilation_h = 1;
  o->depth_multiplier = 1;
  o->beta = 1.0f;
  target = field_target (r, op, 4);
  if (target == 0 || !table_at (r, target, "an operator's options", &t))
    return;
  switch (o->type)
    {
    case 1:   /* Conv2DOptions */
      o->padding = field_i8 (r, &t, 0, 0);
      o->stride_w = field_i32 (r, &t, 1, 0);
      o->stride_h = field_i32 (r, &t, 2, 0);
      o->activation = field_i8 (r, &t, 3, 0);
      o->dilation_w = field_i32 (r, &t, 4, 1);
      o->dilation_h = field_i32 (r, &t, 5, 1);
      break;
    case 2:   /* DepthwiseConv2DOptions */
      o->padding = field_i8 (r, &t, 0, 0);
      o->stride_w = field_i32 (r, &t, 1, 0);
      o->stride_h = field_i32 (r, &t, 2, 0);
      o->depth_multiplier = field_i32 (r, &t, 3, 0);
      o->activation = field_i8 (r, &t, 4, 0);
      o->dilation_w = field_i32 (r, &t, 5, 1);
      o->dilation_h = field_i32 (r, &t, 6, 1);
      break;
    case 5:   /* Pool2DOptions */
      o->padding = field_i8 (r, &t, 0, 0);
      o->stride_w = field_i32 (r, &t, 1, 0);
      o->stride_h = field_i32 (r, &t, 2, 0);
      o->filter_w = field_i32 (r, &t, 3, 0);
      o->filter_h = field_i32 (r, &t, 4, 0);
      o->activation = field_i8 (r, &t, 5, 0);
      break;
    case 8:   /* FullyConnectedOptions */
      o->activation = field_i8 (r, &t, 0, 0);
      break;
    case 9:   /* SoftmaxOptions */
      o->beta = field_f32 (r, &t, 0, 0.0f);
      break;
    case 10:  /* ConcatenationOptions */
      o->axis = field_i32 (r, &t, 0, 0);
      o->activation = field_i8 (r, &t, 1, 0);
      break;
    case 11:  /* AddOptions */
      o->activation = field_i8 (r, &t, 0, 0);
      break;
    case 17:  /* ReshapeOptions */
      {
        Vector v = field_vector (r, &t, 0, 4, "a reshape's new shape");
        if (r->failed)
          return;
        o->n_new_shape = v.len;
        o->new_shape = vector_dup_i32 (r, &v);
      }
      break;
    default:
      break;
    }
}

static gboolean
check_indices (Reader       *r,
               const gint32 *indices,
               guint         n,
               guint         n_tensors,
               gboolean      optional,
               const char   *what)
{
  for (guint i = 0; i < n; i++)
    if ((indices[i] < 0 && !(optional && indices[i] == -1)) ||
        (indices[i] >= 0 && (guint) indices[i] >= n_tensors))
      {
        invalid (r, "%s names tensor %d, but the subgraph has %u tensors", what, indices[i], n_tensors);
        return FALSE;
      }
  return TRUE;
}

static void
read_operator (Reader            *r,
               const Table       *t,
               VtTfliteModel     *model,
               guint              index,
               VtTfliteOperator  *op)
{
  Vector inputs = field_vector (r, t, 1, 4, "an operator's inputs");
  Vector outputs = field_vector (r, t, 2, 4, "an operator's outputs");
  g_autofree char *what = NULL;

  op->opcode_index = field_u32 (r, t, 0, 0);
  if (r->failed)
    return;
  op->n_inputs = inputs.len;
  op->inputs = vector_dup_i32 (r, &inputs);
  op->n_outputs = outputs.len;
  op->outputs = vector_dup_i32 (r, &outputs);
  if (op->opcode_index >= model->n_opcodes)
    {
      invalid (r, "operator %u has operator code %u, but the model has %u", index,
               op->opcode_index, model->n_opcodes);
      return;
    }
  op->builtin = model->opcodes[op->opcode_index].builtin;
  what = g_strdup_printf ("operator %u", index);
  if (!check_indices (r, op->inputs, op->n_inputs, model->n_tensors, TRUE, what) ||
      !check_indices (r, op->outputs, op->n_outputs, model->n_tensors, FALSE, what))
    return;
  read_options (r, t, &op->options);
}

static void
read_model (Reader        *r,
            VtTfliteModel *model)
{
  Table root, subgraph;
  Vector opcodes, subgraphs, buffers, tensors, operators, inputs, outputs;

  if (r->size < 8 || memcmp (r->data + 4, "TFL3", 4) != 0)
    {
      fail (r, "no “TFL3” file identifier at byte 4 (not a TensorFlow Lite model)");
      return;
    }
  if (!table_at (r, read_u32 (r->data), "the model", &root))
    return;
  model->version = field_u32 (r, &root, 0, 0);
  model->description = field_string (r, &root, 3, "the model's description");
  opcodes = field_vector (r, &root, 1, 4, "the operator codes");
  subgraphs = field_vector (r, &root, 2, 4, "the subgraphs");
  buffers = field_vector (r, &root, 4, 4, "the buffers");
  if (r->failed)
    return;

  model->n_opcodes = opcodes.len;
  model->opcodes = g_new0 (VtTfliteOpCode, MAX (opcodes.len, 1));
  for (guint i = 0; i < opcodes.len && !r->failed; i++)
    {
      Table t;
      VtTfliteOpCode *code = &model->opcodes[i];

      if (!vector_table (r, &opcodes, i, "an operator code", &t))
        return;
      /* Codes past 127 live in builtin_code; older files have only the
       * byte-wide deprecated_builtin_code. TensorFlow takes the larger. */
      code->builtin = MAX (field_i8 (r, &t, 0, 0), field_i32 (r, &t, 3, 0));
      code->custom_code = field_string (r, &t, 1, "a custom operator's name");
      code->version = field_i32 (r, &t, 2, 1);
    }

  model->n_buffers = buffers.len;
  model->n_subgraphs = subgraphs.len;
  if (subgraphs.len == 0)
    {
      invalid (r, "the model has no subgraph");
      return;
    }
  if (!vector_table (r, &subgraphs, 0, "the first subgraph", &subgraph))
    return;
  tensors = field_vector (r, &subgraph, 0, 4, "the tensors");
  inputs = field_vector (r, &subgraph, 1, 4, "the subgraph's inputs");
  outputs = field_vector (r, &subgraph, 2, 4, "the subgraph's outputs");
  operators = field_vector (r, &subgraph, 3, 4, "the operators");
  if (r->failed)
    return;

  model->tensors = g_new0 (VtTfliteTensor, MAX (tensors.len, 1));
  for (guint i = 0; i < tensors.len && !r->failed; i++)
    {
      Table t;

      if (!vector_table (r, &tensors, i, "a tensor", &t))
        return;
      model->n_tensors = i + 1;
      read_tensor (r, &buffers, &t, i, &model->tensors[i]);
    }
  if (r->failed)
    return;

  model->n_inputs = inputs.len;
  model->inputs = vector_dup_i32 (r, &inputs);
  model->n_outputs = outputs.len;
  model->outputs = vector_dup_i32 (r, &outputs);
  if (!check_indices (r, model->inputs, model->n_inputs, model->n_tensors, FALSE, "the subgraph's inputs") ||
      !check_indices (r, model->outputs, model->n_outputs, model->n_tensors, FALSE, "the subgraph's outputs"))
    return;

  model->operators = g_new0 (VtTfliteOperator, MAX (operators.len, 1));
  for (guint i = 0; i < operators.len && !r->failed; i++)
    {
      Table t;

      if (!vector_table (r, &operators, i, "an operator", &t))
        return;
      model->n_operators = i + 1;
      read_operator (r, &t, model, i, &model->operators[i]);
    }
}

VtTfliteModel *
vt_tflite_parse (const guint8  *data,
                 gsize          size,
                 const char    *name,
                 GError       **error)
{
  g_autoptr(VtTfliteModel) model = g_new0 (VtTfliteModel, 1);
  Reader r = { data, size, name, error, FALSE };

  read_model (&r, model);
  if (r.failed)
    return NULL;
  return g_steal_pointer (&model);
}

static const char *
activation_name (gint32 activation)
{
  static const char *names[] = { "NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT" };
  return activation >= 0 && activation < (gint32) G_N_ELEMENTS (names) ? names[activation] : "unknown";
}

static void
append_indices (GString      *s,
                const char   *label,
                const gint32 *indices,
                guint         n)
{
  g_string_append_printf (s, *label ? " %s [" : "%s [", label);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? ", " : "", indices[i]);
  g_string_append_c (s, ']');
}

char *
vt_tflite_describe_graph (const VtTfliteModel *model)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < model->n_operators; i++)
    {
      const VtTfliteOperator *op = &model->operators[i];
      const VtTfliteOptions *o = &op->options;
      const char *name = vt_tflite_builtin_name (op->builtin);

      if (name)
        g_string_append_printf (s, "%u %s", i, name);
      else
        g_string_append_printf (s, "%u builtin %d", i, op->builtin);
      append_indices (s, "in", op->inputs, op->n_inputs);
      append_indices (s, "out", op->outputs, op->n_outputs);
      switch (o->type)
        {
        case 1: case 2: case 5:
          g_string_append_printf (s, " padding=%s stride=%dx%d",
                                  o->padding == VT_TFLITE_PADDING_VALID ? "VALID" : "SAME",
                                  o->stride_h, o->stride_w);
          if (o->type == 5)
            g_string_append_printf (s, " filter=%dx%d", o->filter_h, o->filter_w);
          else if (o->dilation_h != 1 || o->dilation_w != 1)
            g_string_append_printf (s, " dilation=%dx%d", o->dilation_h, o->dilation_w);
          if (o->type == 2)
            g_string_append_printf (s, " depth_multiplier=%d", o->depth_multiplier);
          g_string_append_printf (s, " activation=%s", activation_name (o->activation));
          break;
        case 8: case 11:
          g_string_append_printf (s, " activation=%s", activation_name (o->activation));
          break;
        case 9:
          g_string_append_printf (s, " beta=%g", o->beta);
          break;
        case 10:
          g_string_append_printf (s, " axis=%d activation=%s", o->axis, activation_name (o->activation));
          break;
        case 17:
          append_indices (s, "new_shape", o->new_shape, o->n_new_shape);
          break;
        default:
          break;
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

gboolean
vt_tflite_type_to_dtype (VtTfliteType  type,
                         VtDType      *dtype)
{
  switch (type)
    {
    case VT_TFLITE_FLOAT32: *dtype = VT_DTYPE_F32; return TRUE;
    case VT_TFLITE_FLOAT16: *dtype = VT_DTYPE_F16; return TRUE;
    case VT_TFLITE_FLOAT64: *dtype = VT_DTYPE_F64; return TRUE;
    case VT_TFLITE_INT32: *dtype = VT_DTYPE_I32; return TRUE;
    case VT_TFLITE_INT64: *dtype = VT_DTYPE_I64; return TRUE;
    case VT_TFLITE_UINT8: *dtype = VT_DTYPE_U8; return TRUE;
    case VT_TFLITE_BOOL: *dtype = VT_DTYPE_BOOL; return TRUE;
    default: return FALSE;
    }
}

static gint64
read_integer (VtTfliteType  type,
              const guint8 *data,
              gsize         i)
{
  switch (type)
    {
    case VT_TFLITE_UINT8: return data[i];
    case VT_TFLITE_INT8: return (gint8) data[i];
    case VT_TFLITE_INT16: return (gint16) (data[2 * i] | (data[2 * i + 1] << 8));
    case VT_TFLITE_INT32: return (gint32) read_u32 (data + 4 * i);
    case VT_TFLITE_INT64:
      return (gint64) (read_u32 (data + 8 * i) | ((guint64) read_u32 (data + 8 * i + 4) << 32));
    default: return 0;
    }
}

GBytes *
vt_tflite_dequantize (const VtTfliteTensor *t)
{
  gsize inner = 1;
  guint dim = t->n_quant > 1 ? (guint) t->quantized_dimension : 0;
  float *values;

  if (t->data == NULL || t->n_quant == 0 ||
      !(t->type == VT_TFLITE_UINT8 || t->type == VT_TFLITE_INT8 || t->type == VT_TFLITE_INT16 ||
        t->type == VT_TFLITE_INT32 || t->type == VT_TFLITE_INT64))
    return NULL;
  /* Per-axis: slice c of dimension dim covers runs of inner elements. */
  for (guint d = dim + 1; d < t->ndim; d++)
    inner *= (gsize) t->shape[d];
  values = g_new (float, MAX (t->numel, 1));
  for (gsize i = 0; i < t->numel; i++)
    {
      guint c = t->n_quant > 1 ? (guint) ((i / inner) % t->n_quant) : 0;
      /* In double: a zero point from the file may be any int64. */
      values[i] = (float) (((double) read_integer (t->type, t->data, i) - (double) t->zero_point[c]) * t->scale[c]);
    }
  return g_bytes_new_take (values, t->numel * sizeof (float));
}

char *
vt_tflite_describe_tensors (const VtTfliteModel *model)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < model->n_tensors; i++)
    {
      const VtTfliteTensor *t = &model->tensors[i];

      g_string_append_printf (s, "%u %s %s", i, t->name, vt_tflite_type_name (t->type));
      append_indices (s, "", t->shape, t->ndim);
      if (t->n_quant == 1)
        g_string_append_printf (s, " scale=%.9g zero_point=%" G_GINT64_FORMAT, t->scale[0], t->zero_point[0]);
      else if (t->n_quant > 1)
        g_string_append_printf (s, " per-axis along %d: %u scales", t->quantized_dimension, t->n_quant);
      if (t->data == NULL)
        g_string_append (s, " (activation)");
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}
