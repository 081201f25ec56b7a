/* test-resize.c: resizing and cropping against torchvision's transforms on
 * Pillow (tests/reference/make_resize_fixture.py), and JPEG decoding against
 * Pillow's. Prints the largest difference and the share of values that
 * differ; the engine matches to the value. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "io/vt-checkpoint.h"
#include "io/vt-resize.h"
#include "vt-test-util.h"

static VtImage *
image_from_tensor (const VtTensor *t)
{
  VtImage *image;

  g_assert_cmpint (t->dtype, ==, VT_DTYPE_U8);
  g_assert_cmpuint (t->ndim, ==, 3);
  image = vt_image_new ((int) t->shape[1], (int) t->shape[0]);
  memcpy (image->rgb, t->data, t->nbytes);
  return image;
}

static void
compare (const char    *name,
         const VtImage *ours,
         const VtTensor *expected)
{
  gsize differing = 0;
  int worst = 0;

  g_assert_cmpint (ours->height, ==, expected->shape[0]);
  g_assert_cmpint (ours->width, ==, expected->shape[1]);
  for (gsize i = 0; i < expected->nbytes; i++)
    {
      int d = abs ((int) ours->rgb[i] - (int) expected->data[i]);
      worst = MAX (worst, d);
      differing += d != 0;
    }
  g_test_message ("%s: largest difference %d/255, %.4f%% of values differ", name, worst,
                  100.0 * differing / expected->nbytes);
  g_assert_cmpint (worst, ==, 0);
}

static void
test_cases (void)
{
  g_autofree char *path = vt_test_fixture ("resize/resize.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (path, &error);
  GHashTable *metadata;
  GHashTableIter iter;
  gpointer key, value;
  guint cases = 0;

  g_assert_no_error (error);
  metadata = vt_checkpoint_get_metadata (fixture);
  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(JsonNode) node = json_from_string (value, NULL);
      JsonObject *spec;
      JsonArray *ops;
      g_autofree char *output_name = g_strdup_printf ("%s.output", (const char *) key);
      g_autoptr(VtImage) image = NULL;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      spec = json_node_get_object (node);
      image = image_from_tensor (vt_checkpoint_lookup (fixture, json_object_get_string_member (spec, "input")));
      ops = json_object_get_array_member (spec, "ops");
      for (guint i = 0; i < json_array_get_length (ops); i++)
        {
          JsonArray *op = json_array_get_array_element (ops, i);
          const char *kind = json_array_get_string_element (op, 0);
          VtImage *next;

          if (g_str_equal (kind, "shorter"))
            next = vt_image_resize_shorter (image, json_array_get_int_element (op, 1),
                                            g_str_equal (json_array_get_string_element (op, 2), "bicubic")
                                              ? VT_RESAMPLE_BICUBIC : VT_RESAMPLE_BILINEAR);
          else if (g_str_equal (kind, "crop"))
            next = vt_image_center_crop (image, json_array_get_int_element (op, 1), json_array_get_int_element (op, 2));
          else
            next = vt_image_resize (image, json_array_get_int_element (op, 1), json_array_get_int_element (op, 2),
                                    g_str_equal (json_array_get_string_element (op, 3), "bicubic")
                                      ? VT_RESAMPLE_BICUBIC : VT_RESAMPLE_BILINEAR);
          vt_image_free (image);
          image = next;
        }
      compare (key, image, vt_checkpoint_lookup (fixture, output_name));
      cases++;
    }
  g_assert_cmpuint (cases, ==, 5);
}

/* libjpeg here decodes as Pillow's libjpeg-turbo does. */
static void
test_decode_matches_pillow (void)
{
  g_autofree char *fixture_path = vt_test_fixture ("resize/resize.safetensors");
  g_autofree char *parrot = vt_test_asset ("models/coral-mobilenet/parrot.jpg");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
  g_autoptr(VtImage) ours = NULL;

  g_assert_no_error (error);
  ours = vt_image_load (parrot, &error);
  g_assert_no_error (error);
  compare ("parrot.jpg decoded", ours, vt_checkpoint_lookup (fixture, "imagenet_eval.input"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/resize/torchvision-cases", test_cases);
  g_test_add_func ("/engine/resize/decode-matches-pillow", test_decode_matches_pillow);
  return g_test_run ();
}
