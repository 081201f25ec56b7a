/* test-tflite.c: the TensorFlow Lite reader on the two Coral models, on
 * crafted files and on damaged ones. */
#include <string.h>

#include "io/vt-tflite.h"
#include "vt-test-util.h"

#define V2 "models/coral-mobilenet/mobilenet_v2_1.0_224_quant.tflite"
#define V1 "models/coral-mobilenet/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"

static GBytes *
read_asset (const char *relative,
            char      **path_out)
{
  g_autofree char *path = vt_test_asset (relative);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize size;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  *path_out = g_steal_pointer (&path);
  return g_bytes_new_take (contents, size);
}

static guint
count_ops (const VtTfliteModel *model,
           gint32               builtin)
{
  guint n = 0;

  for (guint i = 0; i < model->n_operators; i++)
    n += model->operators[i].builtin == builtin;
  return n;
}

static void
test_mobilenet_v2 (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = read_asset (V2, &path);
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autoptr(VtTfliteModel) model = vt_tflite_parse (data, size, path, &error);
  const VtTfliteTensor *input, *output, *logits_w;
  const VtTfliteOperator *first, *last;

  g_assert_no_error (error);
  g_assert_cmpuint (model->version, ==, 3);
  g_assert_cmpuint (model->n_subgraphs, ==, 1);
  g_assert_cmpuint (model->n_tensors, ==, 174);
  g_assert_cmpuint (model->n_operators, ==, 66);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_CONV_2D), ==, 36);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_DEPTHWISE_CONV_2D), ==, 17);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_ADD), ==, 10);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_AVERAGE_POOL_2D), ==, 1);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_RESHAPE), ==, 1);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_SOFTMAX), ==, 1);

  g_assert_cmpuint (model->n_inputs, ==, 1);
  input = &model->tensors[model->inputs[0]];
  g_assert_cmpstr (input->name, ==, "input");
  g_assert_cmpint (input->type, ==, VT_TFLITE_UINT8);
  g_assert_cmpuint (input->ndim, ==, 4);
  g_assert_cmpint (input->shape[1], ==, 224);
  g_assert_cmpint (input->shape[3], ==, 3);
  g_assert_null (input->data);
  g_assert_cmpuint (input->n_quant, ==, 1);
  g_assert_cmpfloat (input->scale[0], ==, 0.0078125f);
  g_assert_cmpint (input->zero_point[0], ==, 128);

  output = &model->tensors[model->outputs[0]];
  g_assert_cmpstr (output->name, ==, "MobilenetV2/Predictions/Softmax");
  g_assert_cmpint (output->shape[1], ==, 1001);
  g_assert_cmpfloat (output->scale[0], ==, 1.0f / 256);

  /* The classifier's 1x1 convolution: weights with their buffer. */
  last = &model->operators[63];
  g_assert_cmpint (last->builtin, ==, VT_TFLITE_OP_CONV_2D);
  g_assert_cmpuint (last->n_inputs, ==, 3);
  logits_w = &model->tensors[last->inputs[1]];
  g_assert_cmpint (logits_w->type, ==, VT_TFLITE_UINT8);
  g_assert_cmpint (logits_w->shape[0], ==, 1001);
  g_assert_cmpint (logits_w->shape[3], ==, 1280);
  g_assert_cmpuint (logits_w->nbytes, ==, 1001 * 1280);
  g_assert_true (logits_w->data > data && logits_w->data + logits_w->nbytes <= data + size);
  g_assert_cmpint (logits_w->zero_point[0], ==, 113);
  g_assert_cmpint (model->tensors[last->inputs[2]].type, ==, VT_TFLITE_INT32);

  /* The stem: a 3x3 stride-2 convolution with ReLU6, SAME padding. */
  first = &model->operators[0];
  g_assert_cmpint (first->builtin, ==, VT_TFLITE_OP_CONV_2D);
  g_assert_cmpint (first->options.padding, ==, VT_TFLITE_PADDING_SAME);
  g_assert_cmpint (first->options.stride_w, ==, 2);
  g_assert_cmpint (first->options.stride_h, ==, 2);
  g_assert_cmpint (first->options.activation, ==, VT_TFLITE_ACT_RELU6);
  g_assert_cmpint (model->operators[1].options.depth_multiplier, ==, 1);
  g_assert_cmpfloat (model->operators[65].options.beta, ==, 1.0f);
  g_assert_cmpint (model->operators[62].options.filter_w, ==, 7);
}

static void
test_mobilenet_v1 (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = read_asset (V1, &path);
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autoptr(VtTfliteModel) model = vt_tflite_parse (data, size, path, &error);
  g_autofree char *graph = NULL;
  const VtTfliteTensor *output;

  g_assert_no_error (error);
  g_assert_cmpuint (model->n_operators, ==, 28);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_CONV_2D), ==, 14);
  g_assert_cmpuint (count_ops (model, VT_TFLITE_OP_DEPTHWISE_CONV_2D), ==, 13);
  output = &model->tensors[model->outputs[0]];
  g_assert_cmpuint (output->ndim, ==, 4);
  g_assert_cmpint (output->shape[3], ==, 1024);

  graph = vt_tflite_describe_graph (model);
  g_assert_true (g_str_has_prefix (graph, "0 CONV_2D in [0, 28, 27] out [29] padding=SAME stride=2x2 activation=RELU6\n"));
  g_assert_nonnull (strstr (graph, "\n27 AVERAGE_POOL_2D in [81] out [82] padding=VALID stride=2x2 filter=7x7 activation=NONE\n"));
}

/* Every cut of a real model is refused with a message naming the file. */
static void
test_truncated (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = read_asset (V1, &path);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  for (guint k = 0; k < 200; k++)
    {
      g_autoptr(GError) error = NULL;
      gsize cut = size / 200 * k + k;
      g_autoptr(VtTfliteModel) model = vt_tflite_parse (data, cut, path, &error);

      g_assert_null (model);
      g_assert_error (error, VT_TFLITE_ERROR, VT_TFLITE_ERROR_MALFORMED);
      g_assert_true (g_str_has_prefix (error->message, path));
    }
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = v >> 24;
}

static char *
parse_error (const guint8 *data,
             gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTfliteModel) model = vt_tflite_parse (data, size, "bad.tflite", &error);

  g_assert_null (model);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "bad.tflite: "));
  return g_strdup (error->message);
}

/* Damage in the root table: each is named. */
static void
test_damaged (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = read_asset (V1, &path);
  gsize size = g_bytes_get_size (bytes);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), size);
  guint32 root = get_u32 (copy);
  guint32 soffset = get_u32 (copy + root);
  char *message;

  /* The identifier. */
  copy[4] = 'X';
  message = parse_error (copy, size);
  g_assert_nonnull (strstr (message, "no “TFL3” file identifier"));
  g_free (message);
  copy[4] = 'T';

  /* The root offset past the end. */
  put_u32 (copy, (guint32) size);
  message = parse_error (copy, size);
  g_assert_nonnull (strstr (message, "the model at byte"));
  g_assert_nonnull (strstr (message, "past the end of the file"));
  g_free (message);
  put_u32 (copy, root);

  /* The root's vtable before the start of the file. */
  put_u32 (copy + root, root + 100);
  message = parse_error (copy, size);
  g_assert_nonnull (strstr (message, "vtable outside the file"));
  g_free (message);
  put_u32 (copy + root, soffset);

  /* A vtable too short to hold its own header. */
  {
    gsize vtable = root - (gint32) soffset;
    guint8 saved[2] = { copy[vtable], copy[vtable + 1] };

    copy[vtable] = 2;
    copy[vtable + 1] = 0;
    message = parse_error (copy, size);
    g_assert_nonnull (strstr (message, "has a vtable of 2 bytes"));
    g_free (message);
    copy[vtable] = saved[0];
    copy[vtable + 1] = saved[1];
  }

  /* Intact again: it parses. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VtTfliteModel) model = vt_tflite_parse (copy, size, path, &error);
    g_assert_no_error (error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/tflite/mobilenet-v2", test_mobilenet_v2);
  g_test_add_func ("/engine/tflite/mobilenet-v1", test_mobilenet_v1);
  g_test_add_func ("/engine/tflite/truncated", test_truncated);
  g_test_add_func ("/engine/tflite/damaged", test_damaged);
  return g_test_run ();
}
