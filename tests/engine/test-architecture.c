/* test-architecture.c: recognizing real checkpoints and real layouts.
 *
 * Inputs: the CIFAR ResNets in shared/assets; the timm/OpenCLIP fixtures
 * in shared/assets/reference (written by the upstream code); checkpoints with
 * real names written by tests/reference/make_arch_fixtures.py; and the
 * tensor manifests of the full-size models, laid out as sparse files. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "models/vt-architecture.h"
#include "vt-test-util.h"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

/* Every member of @expected must match the recognized architecture. */
static void
check_arch (const char *what,
            VtCheckpoint *ckpt,
            JsonObject *expected)
{
  g_autoptr(VtArchitecture) arch = vt_architecture_recognize (ckpt);
  g_autoptr(GPtrArray) rows = vt_architecture_describe (arch);
  g_autoptr(GList) keys = json_object_get_members (expected);

  for (GList *l = keys; l; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (expected, key);
      g_autofree char *want = NULL;
      const char *got = NULL;

      if (g_str_equal (key, "shards"))
        {
          g_assert_cmpint (vt_checkpoint_get_n_shards (ckpt), ==, json_node_get_int (value));
          continue;
        }
      if (g_str_equal (key, "class_names"))
        {
          JsonArray *names = json_node_get_array (value);
          g_assert_nonnull (arch->class_names);
          g_assert_cmpuint (g_strv_length (arch->class_names), ==, json_array_get_length (names));
          for (guint i = 0; i < json_array_get_length (names); i++)
            g_assert_cmpstr (arch->class_names[i], ==, json_array_get_string_element (names, i));
          continue;
        }

      want = json_node_get_value_type (value) == G_TYPE_INT64
             ? g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value))
             : g_strdup (json_node_get_string (value));
      if (g_str_equal (key, "family"))
        got = arch->family_name;
      for (guint i = 0; got == NULL && i < rows->len; i++)
        {
          VtArchParam *p = g_ptr_array_index (rows, i);
          if (g_str_equal (p->key, key))
            got = p->value;
        }
      if (g_strcmp0 (got, want) != 0)
        g_error ("%s: %s is %s, expected %s", what, key, got ? got : "(unknown)", want);
    }
}

static void
check_file (const char *path,
            const char *expected_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  g_autoptr(JsonNode) expected = parse_json (expected_json);

  g_assert_no_error (error);
  check_arch (path, ckpt, json_node_get_object (expected));
}

static void
test_cifar_resnets (void)
{
  g_autofree char *r20 = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *r56 = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");

  check_file (r20, "{\"family\": \"CIFAR ResNet (option A)\", \"model\": \"resnet20\", \"depth\": 20,"
                   " \"stage_blocks\": \"3, 3, 3\", \"width\": 16, \"num_classes\": 10,"
                   " \"num_features\": 64, \"image_size\": 32, \"prefix\": \"module.\"}");
  check_file (r56, "{\"family\": \"CIFAR ResNet (option A)\", \"model\": \"resnet56\", \"depth\": 56,"
                   " \"stage_blocks\": \"9, 9, 9\", \"num_classes\": 10}");
}

/* Heads come from what the upstream writer stored in __metadata__. */
static void
test_upstream_fixtures (void)
{
  static const struct { const char *file; const char *expected; } cases[] = {
    { "reference/timm/vit_cls.safetensors",
      "{\"family\": \"timm ViT\", \"depth\": 2, \"width\": 64, \"heads\": 4, \"heads_source\": \"checkpoint metadata\","
      " \"patch_size\": 8, \"image_size\": 32, \"num_classes\": 10, \"mlp_width\": 256, \"pooling\": \"class token\"}" },
    { "reference/timm/vit_avg.safetensors",
      "{\"family\": \"timm ViT\", \"depth\": 2, \"heads\": 4, \"image_size\": 32, \"pooling\": \"average\"}" },
    { "reference/timm/deit_distilled.safetensors",
      "{\"family\": \"timm DeiT (distilled)\", \"depth\": 2, \"heads\": 4, \"image_size\": 32,"
      " \"num_classes\": 10, \"pooling\": \"class + distillation tokens\"}" },
    { "reference/timm/resnet_basic.safetensors",
      "{\"family\": \"torchvision / timm ResNet\", \"block\": \"BasicBlock\", \"depth\": 10,"
      " \"stage_blocks\": \"1, 1, 1, 1\", \"width\": 64, \"num_classes\": 10, \"num_features\": 64}" },
    { "reference/timm/resnet_bottleneck.safetensors",
      "{\"family\": \"torchvision / timm ResNet\", \"block\": \"Bottleneck\", \"depth\": 14,"
      " \"num_classes\": 10, \"num_features\": 256}" },
    { "reference/openclip/clip_vit.safetensors",
      "{\"family\": \"OpenAI / OpenCLIP CLIP (ViT)\", \"depth\": 2, \"width\": 64, \"heads\": 4,"
      " \"heads_source\": \"checkpoint metadata\", \"patch_size\": 8, \"image_size\": 32, \"embed_dim\": 32,"
      " \"text_depth\": 2, \"text_width\": 4, \"text_heads\": 2, \"context_length\": 16, \"vocab_size\": 49408}" },
    { "reference/openclip/clip_vit_quickgelu.safetensors",
      "{\"family\": \"OpenAI / OpenCLIP CLIP (ViT)\", \"heads\": 4, \"text_heads\": 2}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = vt_test_asset (cases[i].file);
      check_file (path, cases[i].expected);
    }
}

/* Our own fixtures: heads from config.json, a DataParallel prefix, OpenAI
 * CLIP names, and a sharded Hugging Face CLIPModel. */
static void
test_reference_script_fixtures (void)
{
  static const struct { const char *key; const char *file; } cases[] = {
    { "timm-vit", "arch/timm-vit/model.safetensors" },
    { "vit-dataparallel", "arch/vit-dataparallel.safetensors" },
    { "openai-clip", "arch/openai-clip.safetensors" },
    { "hf-clip", "arch/hf-clip/model.safetensors.index.json" },
  };
  g_autofree char *expected_path = vt_test_fixture ("arch/expected.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *expected;

  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  expected = json_node_get_object (json_parser_get_root (parser));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = vt_test_fixture (cases[i].file);
      g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);

      g_assert_no_error (error);
      check_arch (path, ckpt, json_object_get_object_member (expected, cases[i].key));
    }
}

/* A safetensors file with the manifest's names and shapes. The data region
 * is a hole (ftruncate), so a 600 MB model costs no disk and no memory:
 * recognition reads only the header. */
static char *
write_sparse_checkpoint (const char *dir,
                         JsonArray  *tensors)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *header = NULL;
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  guint64 offset = 0, len;
  int fd;

  json_builder_begin_object (b);
  for (guint i = 0; i < json_array_get_length (tensors); i++)
    {
      JsonArray *t = json_array_get_array_element (tensors, i);
      const char *dtype = json_array_get_string_element (t, 1);
      JsonArray *shape = json_array_get_array_element (t, 2);
      guint64 bytes = g_str_equal (dtype, "I64") ? 8 : 4;

      json_builder_set_member_name (b, json_array_get_string_element (t, 0));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, dtype);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < json_array_get_length (shape); d++)
        {
          json_builder_add_int_value (b, json_array_get_int_element (shape, d));
          bytes *= json_array_get_int_element (shape, d);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, offset);
      json_builder_add_int_value (b, offset + bytes);
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += bytes;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  header = json_to_string (root, FALSE);
  len = GUINT64_TO_LE (strlen (header));

  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, &len, 8), ==, 8);
  g_assert_cmpint (write (fd, header, strlen (header)), ==, (gssize) strlen (header));
  g_assert_cmpint (ftruncate (fd, 8 + strlen (header) + offset), ==, 0);
  close (fd);
  return g_steal_pointer (&path);
}

static void
test_manifests (void)
{
  static const struct { const char *file; const char *expected; } cases[] = {
    { "timm_vit_tiny_patch16_224.json",
      "{\"family\": \"timm ViT\", \"model\": \"vit_tiny_patch16_224\", \"depth\": 12, \"width\": 192, \"heads\": 3,"
      " \"patch_size\": 16, \"image_size\": 224, \"num_classes\": 1000, \"mlp_width\": 768}" },
    { "timm_vit_small_patch16_224.json",
      "{\"family\": \"timm ViT\", \"model\": \"vit_small_patch16_224\", \"heads\": 6, \"image_size\": 224}" },
    { "timm_vit_base_patch16_224.json",
      "{\"family\": \"timm ViT\", \"model\": \"vit_base_patch16_224\", \"depth\": 12, \"width\": 768, \"heads\": 12,"
      " \"num_classes\": 1000, \"pooling\": \"class token\"}" },
    { "timm_deit_base_distilled_patch16_224.json",
      "{\"family\": \"timm DeiT (distilled)\", \"model\": \"deit_base_distilled_patch16_224\", \"heads\": 12,"
      " \"image_size\": 224, \"num_classes\": 1000}" },
    { "timm_vit_base_patch16_clip_224.openai.json",
      "{\"family\": \"timm ViT (CLIP image tower)\", \"model\": \"vit_base_patch16_clip_224\", \"heads\": 12,"
      " \"image_size\": 224, \"num_classes\": 512}" },
    { "timm_resnet18.json",
      "{\"family\": \"torchvision / timm ResNet\", \"model\": \"resnet18\", \"block\": \"BasicBlock\","
      " \"stage_blocks\": \"2, 2, 2, 2\", \"num_classes\": 1000, \"num_features\": 512}" },
    { "timm_resnet50.json",
      "{\"family\": \"torchvision / timm ResNet\", \"model\": \"resnet50\", \"block\": \"Bottleneck\","
      " \"stage_blocks\": \"3, 4, 6, 3\", \"num_classes\": 1000, \"num_features\": 2048}" },
    { "openclip_ViT-B-32.json",
      "{\"family\": \"OpenAI / OpenCLIP CLIP (ViT)\", \"model\": \"ViT-B/32\", \"depth\": 12, \"width\": 768,"
      " \"heads\": 12, \"patch_size\": 32, \"image_size\": 224, \"embed_dim\": 512, \"text_depth\": 12,"
      " \"text_width\": 512, \"text_heads\": 8, \"context_length\": 77, \"vocab_size\": 49408}" },
    { "openclip_ViT-B-16.json",
      "{\"family\": \"OpenAI / OpenCLIP CLIP (ViT)\", \"model\": \"ViT-B/16\", \"patch_size\": 16, \"image_size\": 224}" },
    { "openclip_RN50.json",
      "{\"family\": \"OpenAI / OpenCLIP CLIP (ModifiedResNet)\", \"model\": \"RN50\", \"stage_blocks\": \"3, 4, 6, 3\","
      " \"image_size\": 224, \"embed_dim\": 1024, \"text_width\": 512, \"pooling\": \"attention pool\","
      " \"heads\": 32, \"heads_source\": \"assumed: width × 32 / 64\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *relative = g_build_filename ("reference", "manifests", cases[i].file, NULL);
      g_autofree char *manifest = vt_test_asset (relative);
      g_autofree char *dir = vt_test_tmpdir ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      g_autoptr(VtCheckpoint) ckpt = NULL;
      g_autoptr(JsonNode) expected = parse_json (cases[i].expected);

      json_parser_load_from_file (parser, manifest, &error);
      g_assert_no_error (error);
      path = write_sparse_checkpoint (dir, json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "tensors"));
      ckpt = vt_checkpoint_open (path, &error);
      g_assert_no_error (error);
      check_arch (cases[i].file, ckpt, json_node_get_object (expected));
      g_clear_pointer (&ckpt, vt_checkpoint_unref);
      vt_test_rm_rf (dir);
    }
}

static void
test_unrecognized (void)
{
  g_autofree char *path = vt_test_fixture ("stats/edge.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  g_autoptr(VtArchitecture) arch = NULL;

  g_assert_no_error (error);
  arch = vt_architecture_recognize (ckpt);
  g_assert_cmpint (arch->family, ==, VT_ARCH_UNKNOWN);
  g_assert_cmpstr (arch->family_name, ==, "Unrecognized");
}

/* A config.json whose mean or std a float cannot use (found while writing
 * fuzz-config's checks): a std of 0 would divide every pixel by zero and 1e39 is
 * infinity as a float. Such a config's normalization is not taken; the
 * family's preset stays, as for a member of the wrong type. */
static void
test_config_bad_normalization (void)
{
  static const char *configs[] = {
    "{\"mean\": [0.5, 0.5, 0.5], \"std\": [0, 0, 0]}",
    "{\"mean\": [0.5, 0.5, 0.5], \"std\": [-1, 0.5, 0.5]}",
    "{\"mean\": [1e39, 0.5, 0.5], \"std\": [0.5, 0.5, 0.5]}",
    "{\"pretrained_cfg\": {\"mean\": [0.5, 0.5, 0.5], \"std\": [0.5, 1e-50, 0.5]}}",
  };
  g_autofree char *source = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autofree char *dir = vt_test_tmpdir ();
      g_autofree char *path = vt_test_copy (source, dir, "model.safetensors");
      g_autofree char *config = vt_test_write_file (dir, "config.json", configs[i], strlen (configs[i]));
      g_autoptr(GError) error = NULL;
      g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
      g_autoptr(VtArchitecture) arch = NULL;

      g_assert_no_error (error);
      arch = vt_architecture_recognize (ckpt);
      g_test_message ("%s: %s", configs[i], arch->normalization);
      g_assert_cmpstr (arch->normalization, ==, "ImageNet");
      for (int c = 0; c < 3; c++)
        g_assert_true (arch->std[c] > 0 && arch->std[c] < 1 && arch->mean[c] < 1);
      g_clear_pointer (&ckpt, vt_checkpoint_unref);
      vt_test_rm_rf (dir);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/architecture/cifar-resnets", test_cifar_resnets);
  g_test_add_func ("/engine/architecture/upstream-fixtures", test_upstream_fixtures);
  g_test_add_func ("/engine/architecture/reference-script-fixtures", test_reference_script_fixtures);
  g_test_add_func ("/engine/architecture/manifests", test_manifests);
  g_test_add_func ("/engine/architecture/unrecognized", test_unrecognized);
  g_test_add_func ("/engine/architecture/config-bad-normalization", test_config_bad_normalization);
  return g_test_run ();
}
