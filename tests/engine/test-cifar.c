/* test-cifar.c: the real CIFAR ResNets on the 10,000 CIFAR-10 test JPEGs,
 * decoded with libjpeg, against PyTorch on the same files: the same top-1
 * prediction for every image, hence the same accuracy.
 * Reference: tests/reference/make_cifar_fixture.py. */
#include <json-glib/json-glib.h>

#include "io/vt-image.h"
#include "models/vt-model.h"
#include "vt-test-util.h"

#define BATCH 100

static const float cifar_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float cifar_std[3] = { 0.229f, 0.224f, 0.225f };

static int
argmax (const float *x,
        int          n)
{
  int best = 0;

  for (int i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

static void
evaluate (gconstpointer data)
{
  /* "resnet20", or "resnet20.th" for the original torch.save file, which
   * must give the same predictions as its safetensors twin. */
  g_auto(GStrv) parts = g_strsplit (data, ".", 2);
  const char *model_name = parts[0];
  g_autofree char *checkpoint_rel = g_strdup_printf ("models/cifar-resnet/%s.%s",
                                                     g_str_equal (model_name, "resnet20") ? "resnet20-12fca82f" : "resnet56-4bfd9763",
                                                     parts[1] ? parts[1] : "safetensors");
  g_autofree char *checkpoint_path = vt_test_asset (checkpoint_rel);
  g_autofree char *root = vt_test_asset ("datasets/cifar10-jpg/test");
  g_autofree char *expected_path = vt_test_fixture ("forward/cifar10-test-predictions.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autofree float *pixels = g_new (float, BATCH * 3 * 32 * 32);
  JsonObject *expected;
  JsonArray *files, *labels, *predictions;
  guint n, correct = 0, mismatches = 0;
  gint64 start = g_get_monotonic_time ();
  double accuracy, reference;

  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  expected = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_array_member (expected, "files");
  labels = json_object_get_array_member (expected, "labels");
  predictions = json_object_get_array_member (json_object_get_object_member (expected, "predictions"), model_name);
  n = json_array_get_length (files);
  g_assert_cmpuint (n, ==, 10000);

  checkpoint = vt_checkpoint_open (checkpoint_path, &error);
  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);

  for (guint start_index = 0; start_index < n; start_index += BATCH)
    {
      guint count = MIN (BATCH, n - start_index);
      g_autoptr(VtTaps) taps = NULL;
      const VtTap *logits;

      for (guint i = 0; i < count; i++)
        {
          g_autofree char *path = g_build_filename (root, json_array_get_string_element (files, start_index + i), NULL);
          g_autoptr(VtImage) image = vt_image_load (path, &error);

          g_assert_no_error (error);
          g_assert_cmpint (image->width, ==, 32);
          g_assert_cmpint (image->height, ==, 32);
          vt_image_to_tensor (image, cifar_mean, cifar_std, pixels + (gsize) i * 3 * 32 * 32);
        }
      taps = vt_model_forward (model, pixels, count, 32, 32, VT_TAP_OUTPUTS, &error);
      g_assert_no_error (error);
      logits = vt_taps_lookup (taps, "logits");
      for (guint i = 0; i < count; i++)
        {
          int ours = argmax (logits->data + (gsize) i * 10, 10);
          int theirs = (int) json_array_get_int_element (predictions, start_index + i);

          if (ours != theirs)
            {
              mismatches++;
              g_test_message ("%s: %s predicted %d, PyTorch %d", model_name,
                              json_array_get_string_element (files, start_index + i), ours, theirs);
            }
          correct += ours == json_array_get_int_element (labels, start_index + i);
        }
    }

  accuracy = (double) correct / n;
  reference = json_object_get_double_member (json_object_get_object_member (expected, "accuracy"), model_name);
  g_test_message ("%s: top-1 %.2f%% (PyTorch %.2f%%), %u of %u predictions differ, %.1f s",
                  model_name, 100 * accuracy, 100 * reference, mismatches, n,
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (mismatches, ==, 0);
  g_assert_cmpfloat (accuracy, ==, reference);
}

static void
test_corrupt_jpeg (void)
{
  g_autofree char *good = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cut = vt_test_write_truncated (good, dir, "cut.jpg", 1, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = vt_image_load (cut, &error);

  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, cut));
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/cifar/corrupt-jpeg", test_corrupt_jpeg);
  g_test_add_data_func ("/engine/cifar/resnet20", "resnet20", evaluate);
  g_test_add_data_func ("/engine/cifar/resnet56", "resnet56", evaluate);
  g_test_add_data_func ("/engine/cifar/resnet20-th", "resnet20.th", evaluate);
  return g_test_run ();
}
