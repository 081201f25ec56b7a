/* test-datasets.c: every dataset format and image decoder on real files,
 * their error messages on damaged ones, and the eval transforms against
 * torchvision. References: tests/reference/make_dataset_fixtures.py. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "models/vt-transform.h"
#include "vt-test-util.h"

static JsonObject *
expected (const char *section)
{
  static JsonParser *parser;
  g_autoptr(GError) error = NULL;

  if (parser == NULL)
    {
      g_autofree char *path = vt_test_fixture ("datasets/expected.json");
      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }
  return json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), section);
}

static VtDataset *
open_ok (const char *path,
         const char *split,
         gboolean    coarse)
{
  VtDatasetOptions options = { split, coarse };
  g_autoptr(GError) error = NULL;
  VtDataset *dataset = vt_dataset_open (path, &options, &error);

  g_assert_no_error (error);
  return dataset;
}

/* Opens @path expecting @code, and checks the message names @names. */
static void
open_fails (const char *path,
            const char *split,
            GQuark      domain,
            int         code,
            const char *names)
{
  VtDatasetOptions options = { split, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = vt_dataset_open (path, &options, &error);

  g_assert_null (dataset);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, names));
}

static void
assert_labels (VtDataset  *dataset,
               JsonArray  *labels)
{
  g_assert_cmpuint (dataset->n_samples, ==, json_array_get_length (labels));
  for (guint i = 0; i < dataset->n_samples; i++)
    g_assert_cmpuint (dataset->labels[i], ==, json_array_get_int_element (labels, i));
}

/* The pixels a probe in expected.json names, from the decoded sample. */
static void
assert_probe (VtDataset  *dataset,
              JsonObject *probe)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = vt_dataset_load_image (dataset, json_object_get_int_member (probe, "index"), &error);
  JsonArray *a = json_object_get_array_member (probe, "rgb_0_0");
  JsonArray *b = json_object_get_array_member (probe, "rgb_31_17");

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 32);
  for (guint c = 0; c < 3; c++)
    {
      g_assert_cmpint (image->rgb[c], ==, json_array_get_int_element (a, c));
      g_assert_cmpint (image->rgb[(31 * 32 + 17) * 3 + c], ==, json_array_get_int_element (b, c));
    }
}

static void
test_image_folder (void)
{
  g_autofree char *root = vt_test_asset ("datasets/cifar10-jpg");
  g_autoptr(VtDataset) train = NULL;
  g_autoptr(VtDataset) test = NULL;

  open_fails (root, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT, root);
  open_fails (root, "validation", VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT, "validation");
  train = open_ok (root, "train", FALSE);
  test = open_ok (root, "test", FALSE);
  g_assert_cmpstr (train->format, ==, "image folder");
  g_assert_cmpuint (train->n_samples, ==, 50000);
  g_assert_cmpuint (test->n_samples, ==, 10000);
  g_assert_cmpuint (test->n_classes, ==, 10);
  g_assert_cmpstr (test->class_names[0], ==, "airplane");
  g_assert_cmpstr (test->class_names[9], ==, "truck");
  for (guint c = 0; c < 10; c++)
    g_assert_cmpuint (train->class_counts[c], ==, 5000);
  /* Sorted within a class, class by class. */
  g_assert_true (g_str_has_suffix (g_ptr_array_index (test->paths, 1000), "automobile/0000.jpg"));
}

static void
test_idx_fashion (void)
{
  const char *root = "/usr/share/datasets/fashion-mnist";
  g_autoptr(VtDataset) train = NULL;
  g_autoptr(VtDataset) test = NULL;
  g_autoptr(VtDataset) file = NULL;
  g_autoptr(VtImage) image = NULL;
  g_autoptr(GError) error = NULL;

  open_fails (root, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT, root);
  train = open_ok (root, "train", FALSE);
  test = open_ok (root, "test", FALSE);
  g_assert_cmpstr (test->format, ==, "IDX");
  g_assert_cmpuint (train->n_samples, ==, 60000);
  g_assert_cmpuint (test->n_samples, ==, 10000);
  g_assert_cmpuint (test->n_classes, ==, 10);
  g_assert_cmpstr (test->class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (test->class_names[9], ==, "Ankle boot");
  for (guint c = 0; c < 10; c++)
    {
      g_assert_cmpuint (train->class_counts[c], ==, 6000);
      g_assert_cmpuint (test->class_counts[c], ==, 1000);
    }
  /* Opening the images file itself finds its labels beside it. */
  file = open_ok ("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", NULL, FALSE);
  g_assert_cmpuint (file->n_samples, ==, 10000);
  g_assert_cmpmem (file->labels, 10000 * sizeof (guint), test->labels, 10000 * sizeof (guint));
  /* Grey becomes RGB with equal channels. */
  image = vt_dataset_load_image (test, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 28);
  g_assert_cmpint (image->height, ==, 28);
  for (int i = 0; i < 28 * 28; i++)
    {
      g_assert_cmpint (image->rgb[i * 3], ==, image->rgb[i * 3 + 1]);
      g_assert_cmpint (image->rgb[i * 3], ==, image->rgb[i * 3 + 2]);
    }
}

static void
test_idx_errors (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  /* Two 2×2 images and their labels, then the same with one thing wrong. */
  static const guint8 images[] = { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8 };
  static const guint8 labels[] = { 0, 0, 8, 1, 0, 0, 0, 2, 1, 0 };
  static const guint8 bad_magic[] = { 1, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8 };
  static const guint8 three_labels[] = { 0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 1 };
  static const guint8 short_data[] = { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5 };
  static const guint8 long_data[] = { 0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5 };
  g_autofree char *good_images = vt_test_write_file (dir, "good-images-idx3-ubyte", images, sizeof images);
  g_autofree char *good_labels = vt_test_write_file (dir, "good-labels-idx1-ubyte", labels, sizeof labels);
  g_autofree char *magic = vt_test_write_file (dir, "magic-images-idx3-ubyte", bad_magic, sizeof bad_magic);
  g_autofree char *magic_labels = vt_test_write_file (dir, "magic-labels-idx1-ubyte", labels, sizeof labels);
  g_autofree char *count = vt_test_write_file (dir, "count-images-idx3-ubyte", images, sizeof images);
  g_autofree char *count_labels = vt_test_write_file (dir, "count-labels-idx1-ubyte", three_labels, sizeof three_labels);
  g_autofree char *cut = vt_test_write_file (dir, "cut-images-idx3-ubyte", short_data, sizeof short_data);
  g_autofree char *cut_labels = vt_test_write_file (dir, "cut-labels-idx1-ubyte", labels, sizeof labels);
  g_autofree char *extra = vt_test_write_file (dir, "extra-images-idx3-ubyte", long_data, sizeof long_data);
  g_autofree char *lonely = vt_test_write_file (dir, "lonely-images-idx3-ubyte", images, sizeof images);
  g_autofree char *real = g_build_filename ("/usr/share/datasets/fashion-mnist", "t10k-images-idx3-ubyte.gz", NULL);
  g_autofree char *real_cut = vt_test_write_truncated (real, dir, "real-images-idx3-ubyte.gz", 1, 2);
  g_autofree char *real_labels_src = g_build_filename ("/usr/share/datasets/fashion-mnist", "t10k-labels-idx1-ubyte.gz", NULL);
  g_autofree char *real_labels = vt_test_copy (real_labels_src, dir, "real-labels-idx1-ubyte.gz");
  g_autoptr(VtDataset) good = open_ok (good_images, NULL, FALSE);

  g_assert_cmpuint (good->n_samples, ==, 2);
  g_assert_cmpuint (good->n_classes, ==, 2);
  g_assert_cmpstr (good->class_names[1], ==, "1");
  open_fails (magic, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "wrong magic number");
  open_fails (count, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "3 labels for the 2 images");
  open_fails (cut, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "truncated data");
  open_fails (extra, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "more data than the header");
  open_fails (lonely, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "lonely-labels-idx1-ubyte");
  open_fails (real_cut, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, real_cut);
  vt_test_rm_rf (dir);
}

static void
test_cifar10_binary (void)
{
  g_autofree char *root = vt_test_fixture ("datasets/cifar10-bin");
  JsonObject *e = expected ("cifar10");
  g_autoptr(VtDataset) train = open_ok (root, "train", FALSE);
  g_autoptr(VtDataset) test = open_ok (root, "test", FALSE);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *good = g_build_filename (root, "test_batch.bin", NULL);
  /* 5/7 of 30 records ends inside a record. */
  g_autofree char *cut = vt_test_write_truncated (good, dir, "test_batch.bin", 5, 7);

  g_assert_cmpstr (test->format, ==, "CIFAR-10 binary");
  assert_labels (train, json_object_get_array_member (e, "train_labels"));
  assert_labels (test, json_object_get_array_member (e, "test_labels"));
  assert_probe (train, json_object_get_object_member (e, "train_probe"));
  assert_probe (test, json_object_get_object_member (e, "test_probe"));
  g_assert_cmpstr (test->class_names[9], ==, "truck");
  g_assert_cmpuint (test->class_counts[4], ==, 3);
  open_fails (dir, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT, dir);
  open_fails (dir, "test", VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "not a whole number of 3073-byte records");
  vt_test_rm_rf (dir);
}

static void
test_cifar100_binary (void)
{
  g_autofree char *root = vt_test_fixture ("datasets/cifar100-bin");
  JsonObject *e = expected ("cifar100");
  g_autoptr(VtDataset) fine = open_ok (root, "test", FALSE);
  g_autoptr(VtDataset) coarse = open_ok (root, "test", TRUE);
  g_autoptr(VtDataset) train = open_ok (root, "train", FALSE);

  g_assert_cmpstr (fine->format, ==, "CIFAR-100 binary");
  assert_labels (fine, json_object_get_array_member (e, "test_fine"));
  assert_labels (coarse, json_object_get_array_member (e, "test_coarse"));
  assert_labels (train, json_object_get_array_member (e, "train_fine"));
  assert_probe (fine, json_object_get_object_member (e, "test_probe"));
  g_assert_cmpuint (fine->n_classes, ==, 100);
  g_assert_cmpstr (fine->class_names[0], ==, "apple");
  g_assert_cmpstr (fine->class_names[99], ==, "worm");
  g_assert_cmpuint (coarse->n_classes, ==, 20);
  g_assert_cmpstr (coarse->class_names[19], ==, "vehicles_2");
  /* The same files give other labels: the fingerprint tells them apart. */
  {
    g_autofree char *a = vt_dataset_fingerprint (fine, NULL, NULL);
    g_autofree char *b = vt_dataset_fingerprint (coarse, NULL, NULL);
    g_assert_cmpstr (a, !=, b);
  }
}

static void
test_png (void)
{
  static const char *names[] = { "rgb.png", "palette.png", "grey.png", "grey-alpha.png", "rgba.png" };
  JsonObject *e = expected ("png");
  g_autofree char *dir = vt_test_tmpdir ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *rel = g_strdup_printf ("datasets/png/%s", names[i]);
      g_autofree char *path = vt_test_fixture (rel);
      JsonObject *want = json_object_get_object_member (e, names[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(VtImage) image = vt_image_load (path, &error);
      gint64 sum = 0;

      g_assert_no_error (error);
      for (gsize p = 0; p < (gsize) image->width * image->height * 3; p++)
        sum += image->rgb[p];
      g_assert_cmpint (sum, ==, json_object_get_int_member (want, "sum"));
      for (guint c = 0; c < 3; c++)
        g_assert_cmpint (image->rgb[(5 * 32 + 9) * 3 + c], ==,
                         json_array_get_int_element (json_object_get_array_member (want, "rgb_5_9"), c));
    }

  /* A flipped byte in IDAT's CRC: the chunk no longer matches it. */
  {
    g_autofree char *good = vt_test_fixture ("datasets/png/rgb.png");
    g_autofree char *contents = NULL;
    g_autofree char *bad_path = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VtImage) image = NULL;
    gsize size;
    guint32 length;
    char *idat;

    g_file_get_contents (good, &contents, &size, &error);
    g_assert_no_error (error);
    idat = memmem (contents, size, "IDAT", 4);
    g_assert_nonnull (idat);
    length = (guint8) idat[-4] << 24 | (guint8) idat[-3] << 16 | (guint8) idat[-2] << 8 | (guint8) idat[-1];
    idat[4 + length] ^= 0x55;
    bad_path = vt_test_write_file (dir, "bad-crc.png", (const guint8 *) contents, size);
    image = vt_image_load (bad_path, &error);
    g_assert_null (image);
    g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, bad_path));
    g_assert_nonnull (strstr (error->message, "CRC"));
  }
  /* Cut short. */
  {
    g_autofree char *good = vt_test_fixture ("datasets/png/rgba.png");
    g_autofree char *cut = vt_test_write_truncated (good, dir, "cut.png", 2, 3);
    g_autoptr(GError) error = NULL;
    g_autoptr(VtImage) image = vt_image_load (cut, &error);

    g_assert_null (image);
    g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT);
    g_test_message ("%s", error->message);
  }
  vt_test_rm_rf (dir);
}

static void
test_bmp_errors (void)
{
  g_autofree char *good = vt_test_asset ("models/coral-mobilenet/cat.bmp");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cut = vt_test_write_truncated (good, dir, "cut.bmp", 1, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = vt_image_load (cut, &error);
  g_autoptr(VtImage) whole = NULL;

  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "truncated"));
  g_clear_error (&error);
  whole = vt_image_load (good, &error);
  g_assert_no_error (error);
  g_assert_cmpint (whole->width, ==, 512);
  g_assert_cmpint (whole->height, ==, 341);
  vt_test_rm_rf (dir);
}

static void
test_lists (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *dog = vt_test_asset ("datasets/cifar10-jpg/test/dog/0000.jpg");
  g_autofree char *csv_text = g_strdup_printf ("path,label\n%s,10\n%s,2\n%s,10\n", cat, dog, cat);
  g_autofree char *json_text = g_strdup_printf ("[{\"path\": \"%s\", \"label\": \"cat\"}, {\"path\": \"%s\", \"label\": 3}]",
                                                cat, dog);
  g_autofree char *csv = vt_test_write_file (dir, "list.csv", (const guint8 *) csv_text, strlen (csv_text));
  g_autofree char *json = vt_test_write_file (dir, "list.json", (const guint8 *) json_text, strlen (json_text));
  g_autofree char *bad_csv = vt_test_write_file (dir, "bad.csv", (const guint8 *) "path;label\n", 11);
  g_autofree char *bad_json = vt_test_write_file (dir, "bad.json", (const guint8 *) "[{\"path\": 3}]", 13);
  g_autofree char *missing_text = g_strdup_printf ("path,label\n%s,a\nnowhere.jpg,b\n", cat);
  g_autofree char *missing = vt_test_write_file (dir, "missing.csv", (const guint8 *) missing_text, strlen (missing_text));
  g_autoptr(VtDataset) from_csv = open_ok (csv, NULL, FALSE);
  g_autoptr(VtDataset) from_json = open_ok (json, NULL, FALSE);
  g_autoptr(VtDataset) with_missing = open_ok (missing, NULL, FALSE);
  g_autoptr(VtImage) image = NULL;
  g_autoptr(GError) error = NULL;

  /* Numbers sort as numbers: 2 before 10. */
  g_assert_cmpuint (from_csv->n_classes, ==, 2);
  g_assert_cmpstr (from_csv->class_names[0], ==, "2");
  g_assert_cmpuint (from_csv->labels[0], ==, 1);
  g_assert_cmpuint (from_csv->labels[1], ==, 0);
  g_assert_cmpuint (from_csv->class_counts[1], ==, 2);
  g_assert_cmpstr (from_json->class_names[0], ==, "3");
  g_assert_cmpstr (from_json->class_names[1], ==, "cat");
  open_fails (bad_csv, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "path,label");
  open_fails (bad_json, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "$[0]");
  /* A listed file that is missing is found when it is read. */
  image = vt_dataset_load_image (with_missing, 1, &error);
  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "nowhere.jpg"));
  vt_test_rm_rf (dir);
}

/* A JSON list that is empty or comment-only gave a Json-CRITICAL, one
 * nested 100,000 deep a SIGSEGV, and a sample with “path” twice was read
 * with one of the two. */
static void
test_bad_json_lists (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *nested = vt_test_nested_json (100000);
  const struct { const char *name; const char *text; const char *phrase; } cases[] = {
    { "empty.json", "", "empty.json: is empty" },
    { "comment.json", "/* samples to come */", "comment.json: holds no JSON value" },
    { "deep.json", nested, "deep.json: line 1, byte offset 64: JSON nests deeper than 64 levels" },
    { "twice.json", "[{\"path\": \"a.jpg\", \"label\": 1},\n {\"path\": \"b.jpg\", \"path\": \"c.jpg\", \"label\": 2}]",
      "twice.json: $[1]: “path” is given twice (the second time on line 2)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = vt_test_write_file (dir, cases[i].name, cases[i].text, strlen (cases[i].text));

      open_fails (path, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, cases[i].phrase);
    }
  vt_test_rm_rf (dir);
}

static void
test_empty_class_and_fingerprint (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *a = g_build_filename (dir, "a", NULL);
  g_autofree char *b = g_build_filename (dir, "b", NULL);
  g_autofree char *cat = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *dog = vt_test_asset ("datasets/cifar10-jpg/test/dog/0001.jpg");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *again = NULL;

  g_mkdir_with_parents (a, 0755);
  g_mkdir_with_parents (b, 0755);
  g_free (vt_test_copy (cat, a, "x.jpg"));
  open_fails (dir, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_EMPTY, b);

  g_free (vt_test_copy (cat, b, "y.jpg"));
  {
    g_autoptr(VtDataset) dataset = open_ok (dir, NULL, FALSE);
    before = vt_dataset_fingerprint (dataset, NULL, NULL);
    again = vt_dataset_fingerprint (dataset, NULL, NULL);
    g_assert_cmpstr (before, ==, again);
    /* Another image in the same file name changes it. */
    g_free (vt_test_copy (dog, b, "y.jpg"));
    after = vt_dataset_fingerprint (dataset, NULL, NULL);
    g_assert_cmpstr (before, !=, after);
  }
  vt_test_rm_rf (dir);
}

/* torchvision's transforms on real images: the C output, scaled back to
 * 0–255, against theirs. */
static void
test_transform_conformance (void)
{
  g_autofree char *path = vt_test_fixture ("datasets/transform.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (path, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VtDataset) fashion = NULL;
  JsonArray *cases;
  double worst = 0;
  gsize differing = 0, total = 0;

  g_assert_no_error (error);
  json_parser_load_from_data (parser, g_hash_table_lookup (vt_checkpoint_get_metadata (fixture), "cases"), -1, &error);
  g_assert_no_error (error);
  cases = json_node_get_array (json_parser_get_root (parser));
  fashion = open_ok ("/usr/share/datasets/fashion-mnist", "test", FALSE);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *source = json_object_get_string_member (c, "source");
      const VtTensor *want = vt_checkpoint_lookup (fixture, json_object_get_string_member (c, "tensor"));
      VtTransform t = { 0 };
      g_autoptr(VtImage) image = NULL;
      g_autofree float *out = NULL;
      double case_worst = 0;
      gsize case_differing = 0;

      if (g_str_has_prefix (source, "cifar10-jpg/"))
        {
          g_autofree char *rel = g_strconcat ("datasets/", source, NULL);
          g_autofree char *file = vt_test_asset (rel);
          image = vt_image_load (file, &error);
        }
      else if (g_str_has_prefix (source, "coral/"))
        {
          g_autofree char *rel = g_strconcat ("models/coral-mobilenet/", source + strlen ("coral/"), NULL);
          g_autofree char *file = vt_test_asset (rel);
          image = vt_image_load (file, &error);
        }
      else if (g_str_has_prefix (source, "fashion-mnist/"))
        image = vt_dataset_load_image (fashion, (guint) g_ascii_strtoull (strchr (source, '[') + 1, NULL, 10), &error);
      else
        {
          g_autofree char *rel = g_strconcat ("datasets/", source, NULL);
          g_autofree char *file = vt_test_fixture (rel);
          image = vt_image_load (file, &error);
        }
      g_assert_no_error (error);

      t.resize_size = (int) json_object_get_int_member (c, "resize");
      t.crop_size = (int) json_object_get_int_member (c, "crop");
      t.interpolation = g_strcmp0 (json_object_get_string_member_with_default (c, "interpolation", ""), "bicubic") == 0
                      ? VT_RESAMPLE_BICUBIC : VT_RESAMPLE_BILINEAR;
      t.std[0] = t.std[1] = t.std[2] = 1.0f;
      g_assert_cmpuint (want->numel, ==, (gsize) 3 * t.crop_size * t.crop_size);
      out = g_new (float, want->numel);
      vt_transform_apply (&t, image, out);
      for (gsize k = 0; k < want->numel; k++)
        {
          double d = fabs (out[k] - want->data[k] / 255.0);
          case_worst = MAX (case_worst, d);
          case_differing += d > 1e-6;
        }
      g_test_message ("%-32s %-18s max |diff| %.3g (%.2f/255), %.4f%% of values differ", source,
                      json_object_get_string_member (c, "preset"), case_worst, case_worst * 255,
                      100.0 * case_differing / want->numel);
      worst = MAX (worst, case_worst);
      differing += case_differing;
      total += want->numel;
    }
  g_test_message ("all %u cases: max |diff| %.3g (%.2f/255), %.4f%% of %" G_GSIZE_FORMAT " values differ",
                  json_array_get_length (cases), worst, worst * 255, 100.0 * differing / total, total);
  g_assert_cmpfloat (worst, <=, 1.0 / 255 + 1e-6);
}

/* In a subprocess: at most 1 GiB more address space than the process holds
 * now, so that a reader that allocates what a header claims, or reads a
 * device until memory runs out, fails at once instead of taking the
 * machine's memory (ASan's reservations are already counted). */
static void
limit_memory (void)
{
  g_autofree char *statm = NULL;
  struct rlimit limit;
  guint64 pages;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  pages = g_ascii_strtoull (statm, NULL, 10);
  limit.rlim_cur = limit.rlim_max = pages * (guint64) sysconf (_SC_PAGESIZE) + ((guint64) 1 << 30);
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
}

static void
write_idx_header (guint8      *out,
                  guint        n_dims,
                  const guint *dims)
{
  out[0] = out[1] = 0;
  out[2] = 8;
  out[3] = (guint8) n_dims;
  for (guint d = 0; d < n_dims; d++)
    {
      guint32 be = GUINT32_TO_BE (dims[d]);
      memcpy (out + 4 + 4 * d, &be, 4);
    }
}

/* A gzip'd IDX file: the header of @dims, then @data_size zero bytes. */
static char *
write_gzip_idx (const char  *dir,
                const char  *name,
                guint        n_dims,
                const guint *dims,
                gsize        data_size)
{
  char *path = g_build_filename (dir, name, NULL);
  gzFile file = gzopen (path, "wb1");
  g_autofree guint8 *zeros = g_malloc0 (1 << 20);
  guint8 header[16];

  g_assert_nonnull (file);
  write_idx_header (header, n_dims, dims);
  g_assert_cmpint (gzwrite (file, header, 4 + 4 * n_dims), ==, (int) (4 + 4 * n_dims));
  for (gsize done = 0; done < data_size; done += 1 << 20)
    g_assert_cmpint (gzwrite (file, zeros, (unsigned) MIN (data_size - done, (gsize) 1 << 20)), >, 0);
  g_assert_cmpint (gzclose (file), ==, Z_OK);
  return path;
}

/* IDX headers are not trusted for memory. A 16384×16384 image in a small
 * gzip used to be accepted (256 MiB of pixels, past the decoders' pixel
 * limit), and a 4 MB file claiming 16 GiB had them allocated before the
 * data was found missing. */
static void
test_idx_bombs (void)
{
  g_autofree char *dir = NULL;
  static const guint one_label[] = { 1 };
  static const guint huge_image[] = { 1, 16384, 16384 };
  static const guint sixteen_gib[] = { 65536, 512, 512 };
  static const guint many_labels[] = { 65536 };
  g_autofree char *bomb = NULL, *bomb_labels = NULL, *claim = NULL, *claim_labels = NULL;
  g_autofree char *gz_claim = NULL, *gz_claim_labels = NULL;
  g_autofree guint8 *four_mb = NULL;
  struct stat st;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  dir = vt_test_tmpdir ();
  bomb = write_gzip_idx (dir, "bomb-images-idx3-ubyte.gz", 3, huge_image, (gsize) 16384 * 16384);
  bomb_labels = write_gzip_idx (dir, "bomb-labels-idx1-ubyte.gz", 1, one_label, 1);
  g_assert_cmpint (g_stat (bomb, &st), ==, 0);
  g_test_message ("%s: %" G_GINT64_FORMAT " bytes", bomb, (gint64) st.st_size);
  g_assert_cmpint (st.st_size, <, 2 << 20);

  four_mb = g_malloc0 (4 << 20);
  write_idx_header (four_mb, 3, sixteen_gib);
  claim = vt_test_write_file (dir, "claim-images-idx3-ubyte", four_mb, 4 << 20);
  claim_labels = write_gzip_idx (dir, "claim-labels-idx1-ubyte.gz", 1, many_labels, 65536);
  gz_claim = write_gzip_idx (dir, "gzclaim-images-idx3-ubyte.gz", 3, sixteen_gib, 4 << 20);
  gz_claim_labels = write_gzip_idx (dir, "gzclaim-labels-idx1-ubyte.gz", 1, many_labels, 65536);

  limit_memory ();
  open_fails (bomb, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "16384×16384 pixels is empty or beyond");
  open_fails (bomb, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, bomb);
  open_fails (claim, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "the file holds 4194288 after its header");
  open_fails (claim, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, claim);
  open_fails (gz_claim, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT, "truncated data");
  vt_test_rm_rf (dir);
}

/* FIFOs and devices, wherever a dataset names a file: a FIFO used to block
 * open() forever (beyond Cancel, in a decoder thread), /dev/zero to be
 * read until memory ran out. Each is refused at once, naming the file;
 * an image file above the size limit too. In a subprocess with a timeout
 * and a memory limit, so that the old behaviour fails fast. */
static void
test_not_regular (void)
{
  g_autofree char *dir = NULL, *fifo_image = NULL, *list = NULL, *fifo_list = NULL, *fifo_idx = NULL;
  g_autofree char *cifar = NULL, *zero_batch = NULL, *big = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = NULL;
  int fd;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  dir = vt_test_tmpdir ();
  fifo_image = g_build_filename (dir, "fifo.png", NULL);
  fifo_list = g_build_filename (dir, "fifo-list.csv", NULL);
  fifo_idx = g_build_filename (dir, "fifo-images-idx3-ubyte", NULL);
  cifar = g_build_filename (dir, "cifar", NULL);
  zero_batch = g_build_filename (cifar, "test_batch.bin", NULL);
  big = g_build_filename (dir, "big.png", NULL);
  g_assert_cmpint (mkfifo (fifo_image, 0600), ==, 0);
  g_assert_cmpint (mkfifo (fifo_list, 0600), ==, 0);
  g_assert_cmpint (mkfifo (fifo_idx, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (cifar, 0700), ==, 0);
  g_assert_cmpint (symlink ("/dev/zero", zero_batch), ==, 0);
  /* Sparse: a byte over the limit costs no disk. */
  fd = g_open (big, O_WRONLY | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) VT_IMAGE_MAX_FILE_SIZE + 1), ==, 0);
  close (fd);
  list = g_build_filename (dir, "list.csv", NULL);
  g_assert_true (g_file_set_contents (list, "path,label\nfifo.png,cat\n/dev/zero,dog\n", -1, NULL));

  limit_memory ();
  open_fails (fifo_list, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "fifo-list.csv: is a FIFO, not a regular file");
  open_fails (fifo_idx, NULL, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "fifo-images-idx3-ubyte: is a FIFO");
  open_fails (cifar, "test", VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "test_batch.bin: is a character device");

  image = vt_image_load (fifo_image, &error);
  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "fifo.png: is a FIFO, not a regular file"));
  g_clear_error (&error);
  image = vt_image_load ("/dev/zero", &error);
  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "/dev/zero: is a character device, not a regular file"));
  g_clear_error (&error);
  image = vt_image_load (big, &error);
  g_assert_null (image);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "big.png: 1073741825 bytes, more than the 1073741824"));
  g_clear_error (&error);

  /* A list naming them opens (samples are decoded later) and each sample
   * then fails by name. */
  {
    g_autoptr(VtDataset) dataset = open_ok (list, NULL, FALSE);

    for (guint i = 0; i < 2; i++)
      {
        g_autoptr(VtImage) sample = vt_dataset_load_image (dataset, i, &error);
        g_assert_null (sample);
        g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_READ);
        g_assert_nonnull (strstr (error->message, "not a regular file"));
        g_clear_error (&error);
      }
  }
  vt_test_rm_rf (dir);
}

typedef struct
{
  const char  *path;
  const char  *split;
} OpenJob;

static gboolean
fingerprint_task (gpointer data, GCancellable *cancellable, GError **error)
{
  g_autofree char *fingerprint = vt_dataset_fingerprint (data, cancellable, error);

  return fingerprint != NULL;
}

static gboolean
open_task (gpointer data, GCancellable *cancellable, GError **error)
{
  OpenJob *job = data;
  VtDatasetOptions options = { job->split, FALSE, cancellable };
  g_autoptr(VtDataset) dataset = vt_dataset_open (job->path, &options, error);

  return dataset != NULL;
}

/* Opening lists every file: the 50,000 training JPEGs of CIFAR-10 (a few
 * hundred milliseconds on a local disk, more on a network one), and a CSV
 * list of 2,000,000 samples (seconds); the fingerprint of a store's
 * source stats them all again. Cancel stops each. */
static void
test_open_cancel (void)
{
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *list = g_build_filename (dir, "list.csv", NULL);
  GString *text = g_string_new ("path,label\n");
  OpenJob folder = { cifar, "train" }, csv = { list, NULL };

  for (guint i = 0; i < 2000000; i++)
    g_string_append_printf (text, "images/%07u.png,class%u\n", i, i % 100);
  g_assert_true (g_file_set_contents (list, text->str, (gssize) text->len, NULL));
  g_string_free (text, TRUE);

  vt_test_assert_cancels ("listing 50,000 JPEGs", open_task, &folder, 10);
  {
    g_autoptr(VtDataset) train = open_ok (cifar, "train", FALSE);
    vt_test_assert_cancels ("the fingerprint of 50,000 JPEGs", fingerprint_task, train, 10);
  }
  vt_test_assert_cancels ("a list of 2,000,000 samples", open_task, &csv, 300);
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/datasets/image-folder", test_image_folder);
  g_test_add_func ("/datasets/idx/fashion-mnist", test_idx_fashion);
  g_test_add_func ("/datasets/idx/errors", test_idx_errors);
  g_test_add_func ("/datasets/idx/bombs", test_idx_bombs);
  g_test_add_func ("/datasets/not-regular", test_not_regular);
  g_test_add_func ("/datasets/cifar10-binary", test_cifar10_binary);
  g_test_add_func ("/datasets/cifar100-binary", test_cifar100_binary);
  g_test_add_func ("/datasets/png", test_png);
  g_test_add_func ("/datasets/bmp-errors", test_bmp_errors);
  g_test_add_func ("/datasets/lists", test_lists);
  g_test_add_func ("/datasets/bad-json-lists", test_bad_json_lists);
  g_test_add_func ("/datasets/empty-class-and-fingerprint", test_empty_class_and_fingerprint);
  g_test_add_func ("/datasets/transform-conformance", test_transform_conformance);
  g_test_add_func ("/datasets/open-cancel", test_open_cancel);
  return g_test_run ();
}
