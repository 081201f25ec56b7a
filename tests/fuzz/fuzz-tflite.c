/* fuzz-tflite.c: libFuzzer harness for the TensorFlow Lite reader and the
 * uint8 interpreter.
 *
 * Any bytes go in as a whole .tflite file. A failure must name the input.
 * Whatever parses is read in full: every constant tensor's bytes (so
 * AddressSanitizer catches a view past the input), its dequantized values,
 * the graph and tensor descriptions. A model the interpreter accepts is
 * run on a fixed input when it is small enough to run in milliseconds, so
 * the kernels (uint8 and float) meet shapes, paddings and strides no
 * converter writes.
 * Nothing may crash, leak or trip UBSan. */
#include <stdint.h>
#include <string.h>

#include "io/vt-tflite.h"
#include "models/vt-tflite-interpreter.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The most multiply-accumulates run per input: a fuzzed model with a
 * 1000×1000 filter would take seconds otherwise. */
#define RUN_MAX_COST 2000000

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTfliteModel) model = vt_tflite_parse (data, size, "fuzz-input", &error);
  g_autoptr(VtTfliteInterpreter) interpreter = NULL;
  g_autofree char *graph = NULL;
  g_autofree char *tensors = NULL;
  guint sum = 0;

  if (model == NULL)
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
      return 0;
    }
  for (guint i = 0; i < model->n_tensors; i++)
    {
      const VtTfliteTensor *t = &model->tensors[i];
      g_autoptr(GBytes) values = vt_tflite_dequantize (t);

      if (t->data == NULL)
        continue;
      g_assert (t->data >= data && t->data + t->nbytes <= data + size);
      for (gsize k = 0; k < t->nbytes; k++)
        sum += t->data[k];
      if (values != NULL)
        g_assert (g_bytes_get_size (values) == t->numel * sizeof (float));
    }
  graph = vt_tflite_describe_graph (model);
  tensors = vt_tflite_describe_tensors (model);

  interpreter = vt_tflite_interpreter_new (model, "fuzz-input", &error);
  if (interpreter == NULL)
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
      return sum == G_MAXUINT;
    }
  if (vt_tflite_interpreter_get_cost (interpreter) <= RUN_MAX_COST)
    {
      const VtTfliteTensor *input = vt_tflite_interpreter_get_input (interpreter);
      g_autofree guint8 *pixels = g_malloc (MAX (input->numel, 1));

      for (gsize k = 0; k < input->numel; k++)
        pixels[k] = (guint8) (k * 37);
      vt_tflite_interpreter_invoke (interpreter, pixels);
      for (guint o = 0; o < model->n_outputs; o++)
        {
          const VtTfliteTensor *t;
          const guint8 *out = vt_tflite_interpreter_get_output (interpreter, o, &t);
          for (gsize k = 0; k < t->numel * vt_tflite_type_size (t->type); k++)
            sum += out[k];
        }

      /* The float path over the same graph. */
      {
        g_autofree float *x = vt_tflite_interpreter_dequantize_input (interpreter, pixels);

        if (!vt_tflite_interpreter_invoke_float (interpreter, x, &error))
          g_assert (g_str_has_prefix (error->message, "fuzz-input: "));
        else
          for (guint o = 0; o < model->n_outputs; o++)
            {
              const VtTfliteTensor *t;
              const float *out = vt_tflite_interpreter_get_output_float (interpreter, o);
              vt_tflite_interpreter_get_output (interpreter, o, &t);
              for (gsize k = 0; k < t->numel; k++)
                sum += out[k] > 0;
            }
      }
    }
  return sum == G_MAXUINT;   /* keeps the reads */
}
