/* test-tflite.c: the TensorFlow Lite reader on the two Coral models, on
 * crafted files and on damaged ones. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "core/vt-json.h"
#include "core/vt-stats.h"
#include "io/vt-checkpoint.h"
#include "io/vt-class-names.h"
#include "io/vt-safetensors.h"
#include "io/vt-tflite.h"
#include "features/vt-feature-store.h"
#include "models/vt-inspection.h"
#include "models/vt-model.h"
#include "models/vt-predict.h"
#include "models/vt-tflite-interpreter.h"
#include "run/vt-run.h"
#include "run/vt-spec.h"
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

/* ---- uint8 inference against tests/reference/tflite_reference.py ---- */

static JsonObject *
fixture (void)
{
  static JsonNode *root;

  if (root == NULL)
    {
      g_autofree char *path = vt_test_fixture ("tflite/outputs.json");
      g_autoptr(GError) error = NULL;

      root = vt_json_load_file (path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (root);
}

typedef struct
{
  char                 *path;
  GBytes               *bytes;
  VtTfliteModel        *model;
  VtTfliteInterpreter  *interpreter;
} Loaded;

static void
loaded_clear (Loaded *l)
{
  g_clear_pointer (&l->interpreter, vt_tflite_interpreter_free);
  g_clear_pointer (&l->model, vt_tflite_model_free);
  g_clear_pointer (&l->bytes, g_bytes_unref);
  g_clear_pointer (&l->path, g_free);
}

static void
load_model (const char *file,
            Loaded     *l)
{
  g_autofree char *relative = g_build_filename ("models/coral-mobilenet", file, NULL);
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data;

  l->bytes = read_asset (relative, &l->path);
  data = g_bytes_get_data (l->bytes, &size);
  l->model = vt_tflite_parse (data, size, l->path, &error);
  g_assert_no_error (error);
  l->interpreter = vt_tflite_interpreter_new (l->model, l->path, &error);
  g_assert_no_error (error);
}

static char *
sha256_hex (const guint8 *data,
            gsize         size)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
}

static char *
to_hex (const guint8 *data,
        gsize         size)
{
  GString *s = g_string_sized_new (2 * size);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* Runs @image_path through @l; returns the input fed. */
static guint8 *
classify (Loaded     *l,
          const char *image_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = vt_image_load (image_path, &error);
  guint8 *input;

  g_assert_no_error (error);
  input = vt_tflite_interpreter_preprocess (l->interpreter, image, &error);
  g_assert_no_error (error);
  vt_tflite_interpreter_invoke (l->interpreter, input);
  return input;
}

static guint
argmax (const guint8 *values,
        gsize         n)
{
  guint best = 0;

  for (gsize i = 1; i < n; i++)
    if (values[i] > values[best])
      best = (guint) i;
  return best;
}

/* The sample photos through both models: the input (Pillow's LANCZOS
 * resize) and the uint8 output identical to the numpy reference kernels,
 * and parrot.jpg a macaw. */
static void
test_uint8_photos (void)
{
  JsonArray *photos = json_object_get_array_member (fixture (), "photos");
  g_autofree char *labels_path = vt_test_asset ("models/coral-mobilenet/imagenet_labels.txt");
  g_auto(GStrv) labels = vt_class_names_read_file (labels_path, 1001);
  Loaded models[2] = { { 0 } };

  g_assert_nonnull (labels);
  load_model ("mobilenet_v2_1.0_224_quant.tflite", &models[0]);
  load_model ("mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", &models[1]);
  g_assert_cmpuint (json_array_get_length (photos), ==, 8);
  for (guint i = 0; i < json_array_get_length (photos); i++)
    {
      JsonObject *entry = json_array_get_object_element (photos, i);
      const char *photo = json_object_get_string_member (entry, "photo");
      gboolean v2 = g_str_has_prefix (json_object_get_string_member (entry, "model"), "mobilenet_v2");
      Loaded *l = &models[v2 ? 0 : 1];
      g_autofree char *relative = g_build_filename ("models/coral-mobilenet", photo, NULL);
      g_autofree char *image_path = vt_test_asset (relative);
      g_autofree guint8 *input = classify (l, image_path);
      g_autofree char *input_sha = sha256_hex (input, 224 * 224 * 3);
      const VtTfliteTensor *out_tensor;
      const guint8 *out = vt_tflite_interpreter_get_output (l->interpreter, 0, &out_tensor);
      g_autofree char *hex = to_hex (out, out_tensor->numel);

      g_test_message ("%s through %s", photo, json_object_get_string_member (entry, "model"));
      g_assert_cmpstr (input_sha, ==, json_object_get_string_member (entry, "input_sha256"));
      g_assert_cmpstr (hex, ==, json_object_get_string_member (entry, "output"));
      if (v2)
        {
          g_assert_cmpuint (out_tensor->numel, ==, 1001);
          g_assert_cmpstr (labels[argmax (out, 1001)], ==, json_object_get_string_member (entry, "top1"));
          if (g_str_equal (photo, "parrot.jpg"))
            g_assert_cmpstr (labels[argmax (out, 1001)], ==, "macaw");
        }
      else
        g_assert_cmpuint (out_tensor->numel, ==, 1024);
    }
  loaded_clear (&models[0]);
  loaded_clear (&models[1]);
}

/* Every tensor the classifier computes for parrot.jpg, not only the last:
 * a kernel off by one step anywhere shows where. */
static void
test_uint8_every_tensor (void)
{
  JsonArray *photos = json_object_get_array_member (fixture (), "photos");
  JsonObject *expected = json_object_get_object_member (json_array_get_object_element (photos, 0), "tensor_sha256");
  g_autofree char *image_path = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  Loaded l = { 0 };
  g_autofree guint8 *input = NULL;
  guint checked = 0;

  load_model ("mobilenet_v2_1.0_224_quant.tflite", &l);
  input = classify (&l, image_path);
  for (guint op = 0; op < l.model->n_operators; op++)
    {
      guint index = (guint) l.model->operators[op].outputs[0];
      g_autofree char *key = g_strdup_printf ("%u", index);
      g_autofree char *sha = sha256_hex (vt_tflite_interpreter_get_values (l.interpreter, index),
                                         l.model->tensors[index].numel);

      g_test_message ("operator %u %s", op, vt_tflite_builtin_name (l.model->operators[op].builtin));
      g_assert_cmpstr (sha, ==, json_object_get_string_member (expected, key));
      checked++;
    }
  g_assert_cmpuint (checked, ==, 66);
  loaded_clear (&l);
}

/* CIFAR-10 test images upscaled to 224: tiny images, so the model sees
 * little but blur, and outputs spread over many classes (a different
 * regime from the photos). */
static void
test_uint8_cifar (void)
{
  JsonArray *cifar = json_object_get_array_member (fixture (), "cifar");
  Loaded l = { 0 };
  guint n = json_array_get_length (cifar);

  g_assert_cmpuint (n, ==, 100);
  load_model ("mobilenet_v2_1.0_224_quant.tflite", &l);
  /* Every 10th image (one per class): the whole set takes minutes under
   * the sanitizers; the fixture holds all 100, as tflite_armnn.py runs them. */
  for (guint i = 0; i < n; i += 10)
    {
      JsonObject *entry = json_array_get_object_element (cifar, i);
      g_autofree char *relative = g_build_filename ("datasets/cifar10-jpg/test",
                                                    json_object_get_string_member (entry, "file"), NULL);
      g_autofree char *image_path = vt_test_asset (relative);
      g_autofree guint8 *input = classify (&l, image_path);
      const guint8 *out = vt_tflite_interpreter_get_output (l.interpreter, 0, NULL);
      g_autofree char *sha = sha256_hex (out, 1001);

      g_test_message ("%s", json_object_get_string_member (entry, "file"));
      g_assert_cmpstr (sha, ==, json_object_get_string_member (entry, "output_sha256"));
      g_assert_cmpint (argmax (out, 1001), ==, json_object_get_int_member (entry, "top1"));
    }
  loaded_clear (&l);
}

/* The float path on the dequantized weights, within 1e-4 of the same graph
 * in float64 numpy (tests/reference/make_tflite_float_fixture.py). */
static void
test_float_path (void)
{
  g_autofree char *fixture_path = vt_test_fixture ("tflite/float.json");
  g_autofree char *image_path = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = vt_json_load_file (fixture_path, &error);
  static const char *models[] = { "mobilenet_v2_1.0_224_quant.tflite",
                                  "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite" };

  g_assert_no_error (error);
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      JsonObject *expected = json_object_get_object_member (json_node_get_object (root), models[m]);
      JsonArray *output = json_object_get_array_member (expected, "output");
      Loaded l = { 0 };
      g_autofree guint8 *input = NULL;
      g_autofree float *x = NULL;
      const float *y;
      double worst = 0;
      guint best = 0;

      load_model (models[m], &l);
      input = classify (&l, image_path);
      x = vt_tflite_interpreter_dequantize_input (l.interpreter, input);
      g_assert_true (vt_tflite_interpreter_invoke_float (l.interpreter, x, &error));
      g_assert_no_error (error);
      y = vt_tflite_interpreter_get_output_float (l.interpreter, 0);
      g_assert_cmpuint (json_array_get_length (output), ==, l.model->tensors[l.model->outputs[0]].numel);
      for (guint i = 0; i < json_array_get_length (output); i++)
        {
          worst = MAX (worst, fabs (y[i] - json_array_get_double_element (output, i)));
          if (y[i] > y[best])
            best = i;
        }
      g_test_message ("%s: largest difference %.3g", models[m], worst);
      g_assert_cmpfloat (worst, <, 1e-4);
      if (m == 0)
        {
          JsonArray *logits = json_object_get_array_member (expected, "logits");
          const float *z = vt_tflite_interpreter_get_values_float (l.interpreter, 172);

          g_assert_cmpuint (best, ==, 89);   /* macaw, as the uint8 path says */
          for (guint i = 0; i < json_array_get_length (logits); i++)
            g_assert_cmpfloat_with_epsilon (z[i], json_array_get_double_element (logits, i), 1e-4);
        }
      loaded_clear (&l);
    }
}

/* An operator the interpreter has no kernel for is refused up front,
 * named with its index. */
static void
test_unsupported (void)
{
  Loaded l = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTfliteInterpreter) interpreter = NULL;

  load_model ("mobilenet_v2_1.0_224_quant.tflite", &l);
  l.model->operators[5].builtin = 18;   /* MUL */
  interpreter = vt_tflite_interpreter_new (l.model, l.path, &error);
  g_assert_null (interpreter);
  g_assert_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_UNSUPPORTED);
  g_assert_true (g_str_has_prefix (error->message, l.path));
  g_assert_nonnull (strstr (error->message, "operator 5: builtin operator 18 is not run here"));
  g_clear_error (&error);

  /* An output shape the options do not give. */
  l.model->operators[5].builtin = VT_TFLITE_OP_CONV_2D;
  l.model->operators[0].options.stride_w = 1;
  interpreter = vt_tflite_interpreter_new (l.model, l.path, &error);
  g_assert_null (interpreter);
  g_assert_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "operator 0: the output is 112×112×32, but the input and options give 112×224×32"));
  loaded_clear (&l);
}

/* ---- the tiny models of tests/reference/make_tflite_tiny.py ---- */

static void
load_fixture_model (const char *file,
                    Loaded     *l)
{
  g_autofree char *relative = g_build_filename ("tflite", file, NULL);
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize size;

  l->path = vt_test_fixture (relative);
  g_file_get_contents (l->path, &contents, &size, &error);
  g_assert_no_error (error);
  l->bytes = g_bytes_new_take (contents, size);
  l->model = vt_tflite_parse ((const guint8 *) contents, size, l->path, &error);
  g_assert_no_error (error);
}

static JsonObject *
tiny_fixture (void)
{
  static JsonNode *root;

  if (root == NULL)
    {
      g_autofree char *path = vt_test_fixture ("tflite/tiny.json");
      g_autoptr(GError) error = NULL;

      root = vt_json_load_file (path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (root);
}

static guint8 *
from_hex (const char *hex,
          gsize      *size)
{
  gsize n = strlen (hex) / 2;
  guint8 *out = g_malloc (MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    out[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) * 16 + g_ascii_xdigit_value (hex[2 * i + 1]));
  *size = n;
  return out;
}

/* Every tensor of the tiny network (odd SAME padding, depth multiplier 2,
 * ReLU and ReLU6 saturating, a constant ADD operand, pooling windows cut
 * at the edge) as the numpy kernels compute it. */
static void
check_tiny_outputs (const char *file)
{
  JsonObject *expected = json_object_get_object_member (tiny_fixture (), "tensors");
  g_autoptr(GList) keys = json_object_get_members (expected);
  g_autoptr(GError) error = NULL;
  gsize n_input;
  g_autofree guint8 *input = from_hex (json_object_get_string_member (tiny_fixture (), "input"), &n_input);
  Loaded l = { 0 };

  load_fixture_model (file, &l);
  l.interpreter = vt_tflite_interpreter_new (l.model, l.path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_input, ==, 6 * 6 * 3);
  vt_tflite_interpreter_invoke (l.interpreter, input);
  g_assert_cmpuint (g_list_length (keys), ==, 6);
  for (GList *k = keys; k; k = k->next)
    {
      guint index = (guint) g_ascii_strtoull (k->data, NULL, 10);
      const guint8 *values = vt_tflite_interpreter_get_values (l.interpreter, index);
      g_autofree char *hex = to_hex (values, l.model->tensors[index].numel);

      g_test_message ("%s: tensor %u %s", file, index, l.model->tensors[index].name);
      g_assert_cmpstr (hex, ==, json_object_get_string_member (expected, k->data));
    }
  loaded_clear (&l);
}

static void
test_tiny (void)
{
  check_tiny_outputs ("tiny.tflite");
}

/* Operator codes that only have the byte-wide deprecated_builtin_code (as
 * files from before builtin_code) read the same. */
static void
test_deprecated_builtin_code (void)
{
  Loaded l = { 0 };
  static const gint32 builtins[] = { 0, 1, 3, 4, 22, 25 };

  load_fixture_model ("tiny-deprecated.tflite", &l);
  g_assert_cmpuint (l.model->n_opcodes, ==, G_N_ELEMENTS (builtins));
  for (guint i = 0; i < l.model->n_opcodes; i++)
    g_assert_cmpint (l.model->opcodes[i].builtin, ==, builtins[i]);
  loaded_clear (&l);
  check_tiny_outputs ("tiny-deprecated.tflite");
}

/* A buffer named by offset and size, past the flatbuffer. */
static void
test_offset_buffer (void)
{
  Loaded l = { 0 };
  gsize size;
  const guint8 *data;

  load_fixture_model ("tiny-offset.tflite", &l);
  data = g_bytes_get_data (l.bytes, &size);
  /* The weights sit in the file's last bytes. */
  g_assert_true (l.model->tensors[1].data + l.model->tensors[1].nbytes == data + size);
  loaded_clear (&l);
  check_tiny_outputs ("tiny-offset.tflite");

  /* An offset past the end is an error naming the buffer. */
  {
    g_autofree char *path = vt_test_fixture ("tflite/tiny-offset.tflite");
    g_autoptr(GError) error = NULL;
    g_autoptr(VtTfliteModel) model = NULL;
    char *contents;

    g_file_get_contents (path, &contents, &size, &error);
    g_assert_no_error (error);
    /* Cut the weights off: the buffer now points past the end. */
    model = vt_tflite_parse ((const guint8 *) contents, size - 1, path, &error);
    g_assert_null (model);
    g_assert_nonnull (strstr (error->message, "buffer 1 lies at bytes"));
    g_assert_nonnull (strstr (error->message, "past the end of the file"));
    g_free (contents);
  }
}

/* Weights quantized per output channel: the reader keeps every scale and
 * zero point, the Model area dequantizes slice by slice; the interpreter,
 * whose uint8 kernels are per tensor, refuses them by name. */
static void
test_per_axis (void)
{
  JsonArray *expected = json_object_get_array_member (tiny_fixture (), "per_axis_weights");
  g_autofree char *path = vt_test_fixture ("tflite/tiny-per-axis.tflite");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  const VtTfliteTensor *w;
  const VtTensor *t;
  g_autoptr(VtTfliteInterpreter) interpreter = NULL;

  g_assert_no_error (error);
  w = &vt_checkpoint_get_tflite (ckpt)->tensors[1];
  g_assert_cmpuint (w->n_quant, ==, 4);
  g_assert_cmpint (w->quantized_dimension, ==, 0);
  g_assert_cmpint (w->zero_point[2], ==, 255);
  t = vt_checkpoint_lookup (ckpt, "conv/weights");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, VT_DTYPE_F32);
  g_assert_cmpuint (t->numel, ==, json_array_get_length (expected));
  for (guint i = 0; i < t->numel; i++)
    g_assert_cmpfloat (((const float *) t->data)[i], ==, (float) json_array_get_double_element (expected, i));

  interpreter = vt_tflite_interpreter_new (vt_checkpoint_get_tflite (ckpt), path, &error);
  g_assert_null (interpreter);
  g_assert_error (error, VT_TFLITE_RUN_ERROR, VT_TFLITE_RUN_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "operator 0: CONV_2D runs only on per-tensor uint8"));
}

/* ---- the Model area: vt_checkpoint_open ---- */

static void
test_checkpoint (void)
{
  g_autofree char *path = vt_test_asset (V2);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  JsonObject *stats = json_object_get_object_member (fixture (), "stats");
  g_autoptr(GList) names = json_object_get_members (stats);
  GHashTable *metadata;
  const VtTensor *t;
  guint n_constant = 0;

  g_assert_no_error (error);
  g_assert_nonnull (vt_checkpoint_get_tflite (ckpt));
  for (guint i = 0; i < vt_checkpoint_get_tflite (ckpt)->n_tensors; i++)
    n_constant += vt_checkpoint_get_tflite (ckpt)->tensors[i].data != NULL;
  g_assert_cmpuint (n_constant, ==, 1 + 2 * 53);   /* the RESHAPE's shape; 53 convolutions' weights and biases */
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (ckpt), ==, n_constant);
  metadata = vt_checkpoint_get_metadata (ckpt);
  g_assert_cmpstr (g_hash_table_lookup (metadata, "format"), ==, "tflite");
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (metadata, "tflite_operators"),
                                   "0 CONV_2D in [0, 55, 54] out [56] padding=SAME stride=2x2 activation=RELU6\n"));
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (metadata, "tflite_tensors"),
                                   "0 input UINT8 [1, 224, 224, 3] scale=0.0078125 zero_point=128 (activation)\n"));

  /* The shape tensor of the RESHAPE stays int32, as stored. */
  t = vt_checkpoint_lookup (ckpt, "MobilenetV2/Logits/Squeeze");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, VT_DTYPE_I32);

  /* Quantized weights are dequantized: statistics as numpy computes them. */
  g_assert_cmpuint (g_list_length (names), >=, 3);
  for (GList *l = names; l; l = l->next)
    {
      JsonObject *expected = json_object_get_object_member (stats, l->data);
      JsonArray *histogram = json_object_get_array_member (expected, "histogram");
      VtTensorStats s;

      t = vt_checkpoint_lookup (ckpt, l->data);
      g_assert_nonnull (t);
      g_assert_cmpint (t->dtype, ==, VT_DTYPE_F32);
      vt_tensor_stats_compute (t, 16, &s);
      g_assert_cmpuint (s.count, ==, json_object_get_int_member (expected, "count"));
      g_assert_cmpfloat_with_epsilon (s.min, json_object_get_double_member (expected, "min"), 1e-12);
      g_assert_cmpfloat_with_epsilon (s.max, json_object_get_double_member (expected, "max"), 1e-12);
      g_assert_cmpfloat_with_epsilon (s.mean, json_object_get_double_member (expected, "mean"),
                                      1e-9 * (1 + fabs (s.mean)));
      g_assert_cmpfloat_with_epsilon (s.std, json_object_get_double_member (expected, "std"), 1e-9 * (1 + s.std));
      for (guint b = 0; b < 16; b++)
        g_assert_cmpuint (s.histogram.counts[b], ==, json_array_get_int_element (histogram, b));
      vt_tensor_stats_clear (&s);
    }
}

/* What the Model area shows (and an inspect step writes): every constant
 * tensor with its statistics, the graph in the summary's metadata. */
static void
test_inspection (void)
{
  g_autofree char *path = vt_test_asset (V1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtInspection) inspection = vt_inspection_run (path, 64, NULL, NULL, &error);
  g_autoptr(JsonNode) json = NULL;
  JsonObject *summary, *metadata;
  int w;

  g_assert_no_error (error);
  g_assert_cmpuint (inspection->n_tensors, ==, 2 * 27);   /* 27 convolutions' weights and biases */
  w = vt_inspection_find (inspection, "MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Conv2D_Fold;"
                                      "MobilenetV1/MobilenetV1/Conv2d_13_pointwise/weights_quant/FakeQuantWithMinMaxVars");
  g_assert_cmpint (w, >=, 0);
  /* Dequantized: (q - 95) · 0.018 spans both signs. */
  g_assert_cmpfloat (inspection->stats[w].min, <, 0);
  g_assert_cmpfloat (inspection->stats[w].max, >, 0);
  g_assert_cmpuint (inspection->stats[w].count, ==, 1024 * 1024);
  json = vt_inspection_to_json (inspection);
  summary = json_object_get_object_member (json_node_get_object (json), "summary");
  metadata = json_object_get_object_member (summary, "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "format"), ==, "tflite");
  g_assert_nonnull (strstr (json_object_get_string_member (metadata, "tflite_operators"),
                            "27 AVERAGE_POOL_2D in [81] out [82] padding=VALID stride=2x2 filter=7x7"));
  g_assert_cmpint (json_object_get_int_member (summary, "file_size"), ==, 3251736);
}

/* The safetensors reader still names a .tflite for what it is, for the
 * paths that take safetensors only. */
static void
test_safetensors_names_it (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = read_asset (V2, &path);
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_assert_false (vt_safetensors_parse (data, size, path, &tensors, &metadata, &error));
  g_assert_nonnull (strstr (error->message, "is a TensorFlow Lite model, not a safetensors file"));
}



/* The fast convolutions (products through vt_gemm, cut where float sums
 * stop being exact; depthwise a row at a time) against the naive reference
 * kernels, on both Coral models and a CIFAR image: every uint8 tensor
 * identical; every float tensor within 5e-4 (relative, or absolute below
 * 1) of the naive path, which sums in double: float sums through up to
 * fifty layers reach 8.7e-5 here, and the order of a product's sums
 * depends on the CPU's kernel (the outputs' own check against numpy,
 * /engine/tflite/float-path, stays at 1e-4). */
static void
test_fast_equals_naive (void)
{
  static const char * const models[] = { "mobilenet_v2_1.0_224_quant.tflite",
                                         "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite" };
  g_autofree char *parrot = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  const char *images[] = { parrot, cifar };

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    for (guint i = 0; i < G_N_ELEMENTS (images); i++)
      {
        Loaded fast = { 0 }, naive = { 0 };
        g_autofree guint8 *input = NULL;
        g_autofree float *x = NULL;
        g_autoptr(GError) error = NULL;
        double worst = 0;
        guint compared = 0;

        load_model (models[m], &fast);
        load_model (models[m], &naive);
        vt_tflite_interpreter_set_naive (naive.interpreter, TRUE);
        input = classify (&fast, images[i]);
        g_free (classify (&naive, images[i]));
        x = vt_tflite_interpreter_dequantize_input (fast.interpreter, input);
        g_assert_true (vt_tflite_interpreter_invoke_float (fast.interpreter, x, &error));
        g_assert_true (vt_tflite_interpreter_invoke_float (naive.interpreter, x, &error));
        g_assert_no_error (error);
        for (guint t = 0; t < fast.model->n_tensors; t++)
          {
            const guint8 *a = vt_tflite_interpreter_get_values (fast.interpreter, t);
            const guint8 *b = vt_tflite_interpreter_get_values (naive.interpreter, t);
            const float *fa = vt_tflite_interpreter_get_values_float (fast.interpreter, t);
            const float *fb = vt_tflite_interpreter_get_values_float (naive.interpreter, t);
            gsize n = fast.model->tensors[t].numel;

            if (fast.model->tensors[t].data != NULL || a == NULL)
              continue;
            g_assert_nonnull (b);
            g_assert_cmpmem (a, n, b, n);
            for (gsize k = 0; k < n; k++)
              worst = MAX (worst, fabs ((double) fa[k] - fb[k]) / MAX (1.0, fabs (fb[k])));
            compared++;
          }
        g_test_message ("%s on %s: %u tensors, uint8 identical, float within %.3g", models[m], images[i], compared,
                        worst);
        g_assert_cmpuint (compared, >, 20);
        g_assert_cmpfloat (worst, <, 5e-4);
        loaded_clear (&fast);
        loaded_clear (&naive);
      }
}

/* ---- Predict and extract: the graph as a VtModel ---- */

static JsonObject *
predict_fixture (void)
{
  static JsonNode *root;

  if (root == NULL)
    {
      g_autofree char *path = vt_test_fixture ("tflite/predict.json");
      g_autoptr(GError) error = NULL;

      root = vt_json_load_file (path, &error);
      g_assert_no_error (error);
    }
  return json_node_get_object (root);
}

/* Runs @json (one spec) with its relative paths from @dir into @dir/out;
 * returns that step's result from results.json. */
static JsonNode *
run_spec (const char *json,
          const char *dir,
          GError    **error)
{
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *results = g_build_filename (out, "results.json", NULL);
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, dir, error);
  g_autoptr(JsonNode) root = NULL;

  if (spec == NULL || !vt_run_execute (spec, out, NULL, NULL, error))
    return NULL;
  root = vt_json_load_file (results, error);
  g_assert_no_error (*error);
  return json_node_copy (json_array_get_element (json_object_get_array_member (json_node_get_object (root), "steps"),
                                                 0));
}

/* The predict step on the sample photos with Coral's MobileNet V2: the
 * five classes of each are the numpy reference kernels' (ties to the lower
 * index), named as imagenet_labels.txt names them (index 0 is
 * "background"), with the softmax of their dequantized logits; and the
 * same as our interpreter's logits give when it is run by hand, Coral's
 * preprocessing and all. parrot.jpg is a macaw. */
static void
test_predict_photos (void)
{
  JsonObject *expected = predict_fixture ();
  JsonArray *photos = json_object_get_array_member (expected, "photos");
  g_autofree char *model_path = vt_test_asset (V2);
  g_autofree char *labels_path = vt_test_asset ("models/coral-mobilenet/imagenet_labels.txt");
  g_autofree char *labels_text = NULL;
  g_auto(GStrv) labels = NULL;
  g_autofree char *dir = vt_test_tmpdir ();
  g_autoptr(GString) images = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonArray *rows;
  gint32 logits_tensor = (gint32) json_object_get_int_member (expected, "logits_tensor");
  double scale = json_object_get_double_member (expected, "scale");
  gint64 zero_point = json_object_get_int_member (expected, "zero_point");
  Loaded l = { 0 };
  double worst = 0;

  g_assert_true (g_file_get_contents (labels_path, &labels_text, NULL, NULL));
  labels = g_strsplit (labels_text, "\n", -1);
  g_assert_cmpstr (labels[0], ==, "background");
  for (guint i = 0; i < json_array_get_length (photos); i++)
    {
      JsonObject *photo = json_array_get_object_element (photos, i);
      g_autofree char *relative = g_build_filename ("models/coral-mobilenet",
                                                    json_object_get_string_member (photo, "photo"), NULL);
      g_autofree char *path = vt_test_asset (relative);

      g_string_append_printf (images, "%s\"%s\"", i ? ", " : "", path);
    }
  json = g_strdup_printf ("{\"steps\": [{\"kind\": \"predict\", \"id\": \"predict\", \"checkpoint\": \"%s\", "
                          "\"images\": [%s]}]}", model_path, images->str);
  result = run_spec (json, dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (result), "architecture"), ==,
                   "TensorFlow Lite");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (result), "transform"), ==,
                   "resize 224×224 lanczos, mean 0.5019608 0.5019608 0.5019608, std 0.5019608 0.5019608 0.5019608");
  rows = json_object_get_array_member (json_node_get_object (result), "predictions");
  g_assert_cmpuint (json_array_get_length (rows), ==, json_array_get_length (photos));

  load_model ("mobilenet_v2_1.0_224_quant.tflite", &l);
  g_assert_cmpint (l.model->tensors[logits_tensor].numel, ==, 1001);
  for (guint i = 0; i < json_array_get_length (photos); i++)
    {
      JsonObject *photo = json_array_get_object_element (photos, i);
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonArray *classes = json_object_get_array_member (row, "classes");
      JsonArray *probabilities = json_object_get_array_member (row, "probabilities");
      JsonArray *want_top = json_object_get_array_member (photo, "top5");
      JsonArray *want_classes = json_object_get_array_member (photo, "classes");
      JsonArray *want_probabilities = json_object_get_array_member (photo, "probabilities");
      g_autofree char *relative = g_build_filename ("models/coral-mobilenet",
                                                    json_object_get_string_member (photo, "photo"), NULL);
      g_autofree char *path = vt_test_asset (relative);
      g_autofree guint8 *input = classify (&l, path);
      const guint8 *q = vt_tflite_interpreter_get_values (l.interpreter, (guint) logits_tensor);
      g_autofree char *hex = to_hex (q, 1001);
      float logits[1001];
      double ours[1001];
      guint top[5];

      /* Our interpreter's logits are the reference's, bit for bit. */
      g_assert_cmpstr (hex, ==, json_object_get_string_member (photo, "logits"));
      for (guint c = 0; c < 1001; c++)
        logits[c] = (float) (((double) q[c] - (double) zero_point) * scale);
      vt_predict_softmax (logits, 1001, ours);
      vt_predict_top (ours, 1001, 5, top);
      g_assert_cmpuint (json_array_get_length (classes), ==, 5);
      for (guint r = 0; r < 5; r++)
        {
          guint index = (guint) json_array_get_int_element (want_top, r);
          double p = json_array_get_double_element (probabilities, r);

          g_assert_cmpuint (top[r], ==, index);
          g_assert_cmpstr (json_array_get_string_element (classes, r), ==, labels[index]);
          g_assert_cmpstr (json_array_get_string_element (classes, r), ==,
                           json_array_get_string_element (want_classes, r));
          g_assert_cmpfloat (p, ==, ours[index]);
          worst = MAX (worst, fabs (p - json_array_get_double_element (want_probabilities, r)));
        }
      if (i == 0)
        g_assert_cmpstr (json_array_get_string_element (classes, 0), ==, "macaw");
    }
  g_test_message ("predict: 4 photos, top-5 as the reference's, probabilities within %.3g of numpy's", worst);
  /* The logits reach the softmax as floats (every model's taps are), the
   * reference's as float64: that rounding, no more. */
  g_assert_cmpfloat (worst, <, 1e-7);
  loaded_clear (&l);
  vt_test_rm_rf (dir);
}

/* A folder with the model (a link) and a labels file of @n_lines lines. */
static char *
model_with_labels (const char *model,
                   guint       n_lines)
{
  g_autofree char *source = vt_test_asset (model);
  g_autofree char *base = g_path_get_basename (source);
  char *dir = vt_test_tmpdir ();
  g_autofree char *link = g_build_filename (dir, base, NULL);
  g_autofree char *labels = g_build_filename (dir, "imagenet_labels.txt", NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_cmpint (symlink (source, link), ==, 0);
  for (guint i = 0; i < n_lines; i++)
    g_string_append_printf (text, "class number %u\n", i);
  g_assert_true (g_file_set_contents (labels, text->str, -1, NULL));
  return dir;
}

/* Class names come from the file beside the model, and one that does not
 * name all 1001 outputs is refused, naming it; a feature extractor has no
 * classes, so the same file beside it is no error. */
static void
test_predict_labels (void)
{
  g_autofree char *good = model_with_labels (V2, 1001);
  g_autofree char *bad = model_with_labels (V2, 1000);
  g_autofree char *extractor = model_with_labels (V1, 1000);
  g_autofree char *good_model = g_build_filename (good, "mobilenet_v2_1.0_224_quant.tflite", NULL);
  g_autofree char *bad_model = g_build_filename (bad, "mobilenet_v2_1.0_224_quant.tflite", NULL);
  g_autofree char *bad_labels = g_build_filename (bad, "imagenet_labels.txt", NULL);
  g_autofree char *v1_model = g_build_filename (extractor, "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                                                NULL);
  g_autofree char *parrot = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(JsonNode) result = NULL;
  const VtArchitecture *arch;

  ckpt = vt_checkpoint_open (good_model, &error);
  g_assert_no_error (error);
  model = vt_model_new (ckpt, &error);
  g_assert_no_error (error);
  arch = vt_model_get_architecture (model);
  g_assert_cmpint (arch->family, ==, VT_ARCH_TFLITE);
  g_assert_cmpint (arch->num_classes, ==, 1001);
  g_assert_cmpint (arch->num_features, ==, 1280);
  g_assert_cmpint (arch->image_size, ==, 224);
  g_assert_cmpstr (arch->class_names[89], ==, "class number 89");
  g_clear_pointer (&model, vt_model_free);
  g_clear_pointer (&ckpt, vt_checkpoint_unref);

  json = g_strdup_printf ("{\"steps\": [{\"kind\": \"predict\", \"id\": \"predict\", \"checkpoint\": \"%s\", "
                          "\"images\": [\"%s\"], \"top\": 1}]}", good_model, parrot);
  result = run_spec (json, good, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_array_get_object_element (
                       json_object_get_array_member (json_node_get_object (result), "predictions"), 0), "classes"), 0),
                   ==, "class number 89");

  ckpt = vt_checkpoint_open (bad_model, &error);
  g_assert_no_error (error);
  model = vt_model_new (ckpt, &error);
  g_assert_null (model);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, bad_labels));
  g_assert_nonnull (strstr (error->message, "1000 class names (one per line), but"));
  g_assert_nonnull (strstr (error->message, "has 1001 outputs"));
  g_clear_error (&error);
  g_clear_pointer (&ckpt, vt_checkpoint_unref);

  ckpt = vt_checkpoint_open (v1_model, &error);
  g_assert_no_error (error);
  model = vt_model_new (ckpt, &error);
  g_assert_no_error (error);
  arch = vt_model_get_architecture (model);
  g_assert_cmpint (arch->num_classes, ==, 0);
  g_assert_cmpint (arch->num_features, ==, 1024);
  g_assert_null (arch->class_names);

  vt_test_rm_rf (good);
  vt_test_rm_rf (bad);
  vt_test_rm_rf (extractor);
}

/* The extract step on a .tflite: for the embedding extractor (no SOFTMAX)
 * the feature is its output, 1024 values, equal to the numpy reference
 * kernels' uint8 output dequantized; for the classifier it is the 1280
 * values the logits' 1×1 convolution takes, with the logits beside them.
 * The images go through the preset transform of the dataset path (not
 * Coral's own resize by hand) and must still give the reference's bits. */
static void
test_extract (void)
{
  static const char * const photos[] = { "parrot.jpg", "bird.bmp", "cat.bmp", "grace_hopper.bmp" };
  JsonArray *expected = json_object_get_array_member (fixture (), "photos");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *data = g_build_filename (dir, "photos", NULL);
  g_autofree char *v1 = vt_test_asset (V1);
  g_autofree char *v2 = vt_test_asset (V2);
  Loaded l = { 0 };

  /* An ImageFolder: one class per photo, in sorted order. */
  for (guint i = 0; i < G_N_ELEMENTS (photos); i++)
    {
      g_autofree char *name = g_strdup_printf ("class%u", i);
      g_autofree char *folder = g_build_filename (data, name, NULL);
      g_autofree char *relative = g_build_filename ("models/coral-mobilenet", photos[i], NULL);
      g_autofree char *source = vt_test_asset (relative);
      g_autofree char *link = g_build_filename (folder, photos[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
      g_assert_cmpint (symlink (source, link), ==, 0);
    }
  load_model ("mobilenet_v2_1.0_224_quant.tflite", &l);
  for (guint m = 0; m < 2; m++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"steps\": [{\"kind\": \"extract\", \"id\": \"features\", \"checkpoint\": \"%s\", \"dataset\": \"%s\", "
        "\"logits\": true, \"batch\": 3}]}", m == 0 ? v1 : v2, data);
      g_autofree char *out = g_build_filename (dir, "out", NULL);
      g_autofree char *store_path = g_build_filename (out, "features.safetensors", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) result = run_spec (json, dir, &error);
      g_autoptr(VtFeatureStore) store = NULL;

      g_assert_no_error (error);
      store = vt_feature_store_load (store_path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (store->n_samples, ==, G_N_ELEMENTS (photos));
      g_assert_cmpuint (store->dim, ==, m == 0 ? 1024 : 1280);
      g_assert_true (m == 0 ? store->logits == NULL : store->logits != NULL);
      for (guint i = 0; i < store->n_samples; i++)
        {
          guint photo = (guint) store->labels[i];
          const float *row = store->features + (gsize) i * store->dim;

          if (m == 0)
            {
              const VtTfliteTensor *t;
              JsonObject *entry = NULL;
              g_autofree guint8 *want = NULL;
              gsize n;
              g_autoptr(GMappedFile) file = NULL;
              g_autoptr(VtTfliteModel) v1_model = NULL;

              for (guint e = 0; e < json_array_get_length (expected); e++)
                {
                  JsonObject *o = json_array_get_object_element (expected, e);
                  if (g_str_equal (json_object_get_string_member (o, "photo"), photos[photo]) &&
                      g_str_has_prefix (json_object_get_string_member (o, "model"), "mobilenet_v1"))
                    entry = o;
                }
              g_assert_nonnull (entry);
              want = from_hex (json_object_get_string_member (entry, "output"), &n);
              g_assert_cmpuint (n, ==, 1024);
              file = g_mapped_file_new (v1, FALSE, &error);
              g_assert_no_error (error);
              v1_model = vt_tflite_parse ((const guint8 *) g_mapped_file_get_contents (file),
                                          g_mapped_file_get_length (file), v1, &error);
              g_assert_no_error (error);
              t = &v1_model->tensors[v1_model->outputs[0]];
              for (gsize k = 0; k < n; k++)
                g_assert_cmpfloat (row[k], ==, (float) (((double) want[k] - (double) t->zero_point[0]) * t->scale[0]));
            }
          else
            {
              g_autofree char *relative = g_build_filename ("models/coral-mobilenet", photos[photo], NULL);
              g_autofree char *path = vt_test_asset (relative);
              g_autofree guint8 *input = classify (&l, path);
              const VtTfliteTensor *pool = &l.model->tensors[169];
              const guint8 *q = vt_tflite_interpreter_get_values (l.interpreter, 169);

              g_assert_cmpuint (pool->numel, ==, 1280);
              for (gsize k = 0; k < pool->numel; k++)
                g_assert_cmpfloat (row[k], ==, (float) (((double) q[k] - (double) pool->zero_point[0]) * pool->scale[0]));
            }
        }
      vt_test_rm_rf (out);
    }
  loaded_clear (&l);
  vt_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/tflite/mobilenet-v2", test_mobilenet_v2);
  g_test_add_func ("/engine/tflite/mobilenet-v1", test_mobilenet_v1);
  g_test_add_func ("/engine/tflite/truncated", test_truncated);
  g_test_add_func ("/engine/tflite/damaged", test_damaged);
  g_test_add_func ("/engine/tflite/uint8/photos", test_uint8_photos);
  g_test_add_func ("/engine/tflite/uint8/every-tensor", test_uint8_every_tensor);
  g_test_add_func ("/engine/tflite/uint8/cifar", test_uint8_cifar);
  g_test_add_func ("/engine/tflite/uint8/unsupported", test_unsupported);
  g_test_add_func ("/engine/tflite/float-path", test_float_path);
  g_test_add_func ("/engine/tflite/checkpoint", test_checkpoint);
  g_test_add_func ("/engine/tflite/inspection", test_inspection);
  g_test_add_func ("/engine/tflite/tiny", test_tiny);
  g_test_add_func ("/engine/tflite/deprecated-builtin-code", test_deprecated_builtin_code);
  g_test_add_func ("/engine/tflite/offset-buffer", test_offset_buffer);
  g_test_add_func ("/engine/tflite/per-axis", test_per_axis);
  g_test_add_func ("/engine/tflite/safetensors-names-it", test_safetensors_names_it);
  g_test_add_func ("/engine/tflite/fast-equals-naive", test_fast_equals_naive);
  g_test_add_func ("/engine/tflite/predict/photos", test_predict_photos);
  g_test_add_func ("/engine/tflite/predict/labels", test_predict_labels);
  g_test_add_func ("/engine/tflite/extract", test_extract);
  return g_test_run ();
}
