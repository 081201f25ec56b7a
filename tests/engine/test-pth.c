/* test-pth.c: PyTorch checkpoints (torch.save's zip and legacy formats)
 * through vt_checkpoint_open, against what Debian's PyTorch loads from the
 * same files, and malformed ones refused by name.
 * Reference: tests/reference/make_pth_fixtures.py. */
#include <string.h>

#include "io/vt-checkpoint.h"
#include "io/vt-checkpoint-export.h"
#include "io/vt-pickle.h"
#include "io/vt-pth.h"
#include "io/vt-zip.h"
#include "vt-test-util.h"

/* Every tensor of @expected is in @actual under the same name, in the same
 * order, with the same dtype, shape and bytes; nothing else is. */
static void
assert_same_tensors (VtCheckpoint *actual,
                     VtCheckpoint *expected)
{
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (actual), ==, vt_checkpoint_get_n_tensors (expected));
  for (guint i = 0; i < vt_checkpoint_get_n_tensors (expected); i++)
    {
      const VtTensor *want = vt_checkpoint_get_tensor (expected, i);
      const VtTensor *got = vt_checkpoint_get_tensor (actual, i);

      g_assert_cmpstr (got->name, ==, want->name);
      g_assert_cmpint (got->dtype, ==, want->dtype);
      g_assert_cmpuint (got->ndim, ==, want->ndim);
      for (guint d = 0; d < want->ndim; d++)
        g_assert_cmpint (got->shape[d], ==, want->shape[d]);
      g_assert_cmpuint (got->nbytes, ==, want->nbytes);
      g_assert_true (want->nbytes == 0 || memcmp (got->data, want->data, want->nbytes) == 0);
    }
}

/* The shipped CIFAR ResNets in their original legacy .th form hold the
 * tensors of their .safetensors twins, bit for bit, and best_prec1. */
static void
test_cifar_twins (gconstpointer data)
{
  const char *stem = data;
  g_autofree char *th_rel = g_strdup_printf ("models/cifar-resnet/%s.th", stem);
  g_autofree char *st_rel = g_strdup_printf ("models/cifar-resnet/%s.safetensors", stem);
  g_autofree char *th_path = vt_test_asset (th_rel);
  g_autofree char *st_path = vt_test_asset (st_rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) th = vt_checkpoint_open (th_path, &error);
  g_autoptr(VtCheckpoint) st = NULL;
  const char *best;

  g_assert_no_error (error);
  st = vt_checkpoint_open (st_path, &error);
  g_assert_no_error (error);
  assert_same_tensors (th, st);
  g_assert_nonnull (vt_checkpoint_lookup (th, "module.conv1.weight"));
  g_assert_cmpuint (vt_checkpoint_count_parameters (th), ==, vt_checkpoint_count_parameters (st));
  /* The entry beside the state dict, as Python prints it (torch.load of
   * the file gives {'best_prec1': 91.78000183105469, …} for ResNet-20). */
  best = g_hash_table_lookup (vt_checkpoint_get_metadata (th), "best_prec1");
  g_assert_nonnull (best);
  g_test_message ("%s: best_prec1 %s", stem, best);
  if (g_str_equal (stem, "resnet20-12fca82f"))
    g_assert_cmpstr (best, ==, "91.78000183105469");
  g_assert_null (g_hash_table_lookup (vt_checkpoint_get_metadata (th), "state_dict"));
  /* The weights are the mapped file's own bytes, not copies. */
  g_assert_cmpuint (vt_checkpoint_get_n_shards (th), ==, 1);
  g_assert_cmpuint (vt_checkpoint_get_file_size (th), ==, 1099231 * g_str_equal (stem, "resnet20-12fca82f") +
                    3471733 * g_str_equal (stem, "resnet56-4bfd9763"));
}

/* Files torch.save wrote load as torch.load does: every tensor (views of
 * shared storages with offsets and strides included) and every other entry. */
static void
test_torch_save (gconstpointer data)
{
  const char *name = data;
  g_autofree char *pth_rel = g_strdup_printf ("pth/%s.pth", name);
  g_autofree char *expected_rel = g_strdup_printf ("pth/%s.expected.safetensors", name);
  g_autofree char *pth_path = vt_test_fixture (pth_rel);
  g_autofree char *expected_path = vt_test_fixture (expected_rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) pth = vt_checkpoint_open (pth_path, &error);
  g_autoptr(VtCheckpoint) expected = NULL;
  GHashTable *want, *got;
  GHashTableIter iter;
  gpointer key, value;

  g_assert_no_error (error);
  expected = vt_checkpoint_open (expected_path, &error);
  g_assert_no_error (error);
  assert_same_tensors (pth, expected);

  want = vt_checkpoint_get_metadata (expected);
  got = vt_checkpoint_get_metadata (pth);
  g_assert_cmpuint (g_hash_table_size (got), ==, g_hash_table_size (want));
  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_cmpstr (g_hash_table_lookup (got, key), ==, value);
}

/* A strided view is gathered into a copy; a contiguous one stays a view
 * into the file (here the shared storage: "rows" starts 10 elements into
 * "whole"). */
static void
test_shared_storage (void)
{
  g_autofree char *path = vt_test_fixture ("pth/shared.pth");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);
  const VtTensor *whole, *rows;

  g_assert_no_error (error);
  whole = vt_checkpoint_lookup (ckpt, "whole");
  rows = vt_checkpoint_lookup (ckpt, "rows");
  g_assert_true (rows->data == whole->data + 10 * sizeof (float));
}

/* A Hugging Face folder with only pytorch_model.bin (a torch.save zip) opens. */
static void
test_folder (void)
{
  g_autofree char *fixture = vt_test_fixture ("pth/dataparallel.pth");
  g_autofree char *expected_path = vt_test_fixture ("pth/dataparallel.expected.safetensors");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *copy = vt_test_copy (fixture, dir, "pytorch_model.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (dir, &error);
  g_autoptr(VtCheckpoint) expected = NULL;

  g_assert_no_error (error);
  expected = vt_checkpoint_open (expected_path, &error);
  g_assert_no_error (error);
  assert_same_tensors (ckpt, expected);
  vt_test_rm_rf (dir);
}

static void
expect_open_error (const char *path,
                   GQuark      domain,
                   int         code,
                   const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (path, &error);

  g_assert_null (ckpt);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, domain, code);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_cmpstr (error->message + strlen (path), !=, "");
  g_assert_nonnull (strstr (error->message, phrase));
}

static void
test_os_system (void)
{
  const char *names[] = { "pth/bad-os-system.pth", "pth/bad-os-system-legacy.pth" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = vt_test_fixture (names[i]);
      g_autofree char *phrase = g_strdup_printf ("%s: pickle global posix.system is not allowed", path);

      /* os.system pickles as posix.system, its real module on Linux. */
      expect_open_error (path, VT_PICKLE_ERROR, VT_PICKLE_ERROR_GLOBAL, phrase);
    }
}

/* torch.FloatStorage is an allowed global (persistent ids name it) but
 * not a thing REDUCE may call. */
static void
test_reduce (void)
{
  g_autofree char *path = vt_test_fixture ("pth/bad-reduce.pth");

  expect_open_error (path, VT_PICKLE_ERROR, VT_PICKLE_ERROR_REDUCE, "pickle REDUCE of torch.FloatStorage");
}

/* A zip cut short loses its central directory, found at the end. */
static void
test_truncated_zip (void)
{
  g_autofree char *good = vt_test_fixture ("pth/nested.pth");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cut = vt_test_write_truncated (good, dir, "cut.pth", 9, 10);

  expect_open_error (cut, VT_ZIP_ERROR, VT_ZIP_ERROR_TRUNCATED, "no end-of-central-directory record");
  vt_test_rm_rf (dir);
}

/* A legacy file cut short: its last storage runs past the end. */
static void
test_truncated_legacy (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.th");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cut = vt_test_write_truncated (asset, dir, "cut.th", 1, 2);

  expect_open_error (cut, VT_PTH_ERROR, VT_PTH_ERROR_STORAGE, "runs past the end of the file");
  vt_test_rm_rf (dir);
}

/* A tensor at storage offset 100 of a 4-element storage; the same file
 * with offset 2 loads, and holds the storage's last two values. */
static void
test_storage_offset (void)
{
  g_autofree char *bad = vt_test_fixture ("pth/bad-offset.pth");
  g_autofree char *good = vt_test_fixture ("pth/good-offset.pth");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = NULL;
  const VtTensor *w;
  float values[2];

  expect_open_error (bad, VT_PTH_ERROR, VT_PTH_ERROR_TENSOR, "tensor “w” (offset 100, shape [2]) reaches past the end of its storage");
  ckpt = vt_checkpoint_open (good, &error);
  g_assert_no_error (error);
  w = vt_checkpoint_lookup (ckpt, "w");
  g_assert_cmpuint (w->numel, ==, 2);
  memcpy (values, w->data, sizeof values);
  g_assert_cmpfloat (values[0], ==, 3.0f);
  g_assert_cmpfloat (values[1], ==, 4.0f);
}

static void
test_recursion_bomb (void)
{
  g_autofree char *path = vt_test_fixture ("pth/bad-bomb.pth");

  expect_open_error (path, VT_PICKLE_ERROR, VT_PICKLE_ERROR_LIMIT, "values nest more than 64 levels deep");
}

/* A string literal and its length without the NUL (they hold NULs). */
#define P(literal) literal, sizeof (literal) - 1

/* Opcodes and limits of the unpickler itself, on pickles in memory. */
static void
test_pickle_refusals (void)
{
  static const struct { const char *bytes; gsize size; int code; const char *phrase; } cases[] = {
    /* INST calls a class with arguments from the stack. */
    { P ("\x80\x02(iposix\nsystem\n."), VT_PICKLE_ERROR_OPCODE, "pickle opcode INST is not allowed" },
    { P ("\x80\x02\x81."), VT_PICKLE_ERROR_OPCODE, "pickle opcode NEWOBJ is not allowed" },
    { P ("\x80\x02\xff."), VT_PICKLE_ERROR_OPCODE, "byte 0xff is not a pickle opcode" },
    { P ("\x80\x02\x8c\x05posix\x8c\x06system\x93."), VT_PICKLE_ERROR_GLOBAL, "pickle global posix.system is not allowed" },
    { P ("\x80\x02" "cbuiltins\neval\n."), VT_PICKLE_ERROR_GLOBAL, "pickle global builtins.eval is not allowed" },
    /* REDUCE of a string, and of OrderedDict with arguments. */
    { P ("\x80\x02X\x01\x00\x00\x00" "a)R."), VT_PICKLE_ERROR_REDUCE, "pickle REDUCE of a string is not allowed" },
    { P ("\x80\x02" "ccollections\nOrderedDict\nK\x01\x85R."), VT_PICKLE_ERROR_REDUCE, "REDUCE of collections.OrderedDict with 1 arguments" },
    { P ("\x80\x02]q\x00h\x00" "a."), VT_PICKLE_ERROR_MALFORMED, "a container would hold itself" },
    { P ("\x80\x02X\xff\xff\x00\x00" "ab."), VT_PICKLE_ERROR_TRUNCATED, "runs past the end" },
    { P ("\x80\x02K\x01"), VT_PICKLE_ERROR_TRUNCATED, "ends before its STOP" },
    { P ("\x80\x02h\x05."), VT_PICKLE_ERROR_MALFORMED, "memo entry 5 was never stored" },
    { P ("\x80\x02" "a."), VT_PICKLE_ERROR_MALFORMED, "the stack is empty" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VtPickle) pickle = vt_pickle_load ((const guint8 *) cases[i].bytes, cases[i].size, 0, "mem.pkl", NULL, &error);

      g_assert_null (pickle);
      g_test_message ("%s", error->message);
      g_assert_error (error, VT_PICKLE_ERROR, cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, "mem.pkl: "));
      g_assert_nonnull (strstr (error->message, cases[i].phrase));
    }

  /* Marks nested without end: bounded too. */
  {
    g_autoptr(GString) bomb = g_string_new ("\x80\x02");
    g_autoptr(GError) error = NULL;
    g_autoptr(VtPickle) pickle = NULL;

    for (int i = 0; i < 10000; i++)
      g_string_append_c (bomb, '(');
    pickle = vt_pickle_load ((const guint8 *) bomb->str, bomb->len, 0, "mem.pkl", NULL, &error);
    g_assert_null (pickle);
    g_assert_error (error, VT_PICKLE_ERROR, VT_PICKLE_ERROR_LIMIT);
  }
}

/* What the unpickler builds from what it accepts. */
static void
test_pickle_values (void)
{
  /* {"a": [1, -2, 3.5, True, None, ("x", b"yz")], "big": 2**70} */
  static const char bytes[] =
    "\x80\x02}q\x00(X\x01\x00\x00\x00" "a]q\x01(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x88N"
    "X\x01\x00\x00\x00xC\x02yz\x86" "eX\x03\x00\x00\x00" "big\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40u.";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtPickle) pickle = vt_pickle_load ((const guint8 *) bytes, sizeof bytes - 1, 0, "mem.pkl", NULL, &error);
  const VtPickleValue *root, *list, *big;

  g_assert_no_error (error);
  root = vt_pickle_get_root (pickle);
  g_assert_cmpint (root->kind, ==, VT_PICKLE_DICT);
  list = vt_pickle_dict_lookup (root, "a");
  g_assert_cmpint (list->kind, ==, VT_PICKLE_LIST);
  g_assert_cmpuint (list->items->len, ==, 6);
  g_assert_cmpint (((VtPickleValue *) g_ptr_array_index (list->items, 0))->integer, ==, 1);
  g_assert_cmpint (((VtPickleValue *) g_ptr_array_index (list->items, 1))->integer, ==, -2);
  g_assert_cmpfloat (((VtPickleValue *) g_ptr_array_index (list->items, 2))->number, ==, 3.5);
  g_assert_true (((VtPickleValue *) g_ptr_array_index (list->items, 3))->boolean);
  g_assert_cmpint (((VtPickleValue *) g_ptr_array_index (list->items, 4))->kind, ==, VT_PICKLE_NONE);
  g_assert_cmpint (((VtPickleValue *) g_ptr_array_index (list->items, 5))->kind, ==, VT_PICKLE_TUPLE);
  big = vt_pickle_dict_lookup (root, "big");
  g_assert_cmpint (big->kind, ==, VT_PICKLE_BIGINT);
  g_assert_cmpuint (big->length, ==, 9);
}

/* Export as safetensors: the copy holds the same tensors, the entries
 * beside the state dict, and the config.json beside the original. */
static void
test_export (void)
{
  g_autofree char *fixture = vt_test_fixture ("pth/nested-legacy.pth");
  g_autofree char *source_dir = vt_test_tmpdir ();
  g_autofree char *target_dir = vt_test_tmpdir ();
  g_autofree char *source = vt_test_copy (fixture, source_dir, "tiny.pth");
  g_autofree char *source_config = g_build_filename (source_dir, "config.json", NULL);
  g_autofree char *target = g_build_filename (target_dir, "tiny.safetensors", NULL);
  g_autofree char *target_config = g_build_filename (target_dir, "config.json", NULL);
  const char *config = "{\"architecture\": \"tinynet\", \"num_classes\": 3}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) original = NULL;
  g_autoptr(VtCheckpoint) exported = NULL;
  GHashTable *metadata;

  g_assert_true (g_file_set_contents (source_config, config, -1, NULL));
  original = vt_checkpoint_open (source, &error);
  g_assert_no_error (error);
  g_assert_true (vt_checkpoint_export_safetensors (original, target, &error));
  g_assert_no_error (error);

  exported = vt_checkpoint_open (target, &error);
  g_assert_no_error (error);
  assert_same_tensors (exported, original);
  metadata = vt_checkpoint_get_metadata (exported);
  g_assert_cmpstr (g_hash_table_lookup (metadata, "epoch"), ==, "12");
  g_assert_cmpstr (g_hash_table_lookup (metadata, "arch"), ==, "tinynet");
  g_assert_cmpstr (g_hash_table_lookup (metadata, "format"), ==, "pt");
  g_assert_cmpstr (vt_checkpoint_get_config_path (exported), ==, target_config);
  g_assert_cmpint (json_object_get_int_member (vt_checkpoint_get_config (exported), "num_classes"), ==, 3);

  /* Exported beside the original, its config.json is left as it is. */
  {
    g_autofree char *beside = g_build_filename (source_dir, "tiny.safetensors", NULL);
    g_autofree char *after = NULL;

    g_assert_true (vt_checkpoint_export_safetensors (original, beside, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (source_config, &after, NULL, NULL));
    g_assert_cmpstr (after, ==, config);
  }
  vt_test_rm_rf (source_dir);
  vt_test_rm_rf (target_dir);
}

int
main (int   argc,
      char *argv[])
{
  static const char *saved[] = {
    "nested", "nested-legacy", "shared", "shared-legacy", "parameters", "parameters-legacy",
    "dataparallel", "dataparallel-legacy", "protocol4",
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/engine/pth/cifar-twin/resnet20", "resnet20-12fca82f", test_cifar_twins);
  g_test_add_data_func ("/engine/pth/cifar-twin/resnet56", "resnet56-4bfd9763", test_cifar_twins);
  for (guint i = 0; i < G_N_ELEMENTS (saved); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/engine/pth/torch-save/%s", saved[i]);
      g_test_add_data_func (test_path, saved[i], test_torch_save);
    }
  g_test_add_func ("/engine/pth/shared-storage", test_shared_storage);
  g_test_add_func ("/engine/pth/folder", test_folder);
  g_test_add_func ("/engine/pth/os-system", test_os_system);
  g_test_add_func ("/engine/pth/reduce", test_reduce);
  g_test_add_func ("/engine/pth/truncated-zip", test_truncated_zip);
  g_test_add_func ("/engine/pth/truncated-legacy", test_truncated_legacy);
  g_test_add_func ("/engine/pth/storage-offset", test_storage_offset);
  g_test_add_func ("/engine/pth/recursion-bomb", test_recursion_bomb);
  g_test_add_func ("/engine/pth/pickle-refusals", test_pickle_refusals);
  g_test_add_func ("/engine/pth/pickle-values", test_pickle_values);
  g_test_add_func ("/engine/pth/export", test_export);
  return g_test_run ();
}
