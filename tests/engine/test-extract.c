/* test-extract.c: the extraction pipeline on real data with the demo
 * ResNet-20: Fashion-MNIST (IDX) and the CIFAR-10 test JPEGs, every sample,
 * against PyTorch's features on every 50th; the feature store's round trip
 * and staleness; unreadable samples; cancellation.
 * Reference: tests/reference/make_dataset_fixtures.py. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "features/vt-extractor.h"
#include "io/vt-safetensors.h"
#include "vt-test-util.h"

static VtModel *
demo_model (VtCheckpoint **checkpoint_out)
{
  g_autofree char *path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (path, &error);
  VtModel *model;

  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  if (checkpoint_out)
    *checkpoint_out = g_steal_pointer (&checkpoint);
  return model;
}

static VtDataset *
open_dataset (const char *path,
              const char *split)
{
  VtDatasetOptions options = { split, FALSE };
  g_autoptr(GError) error = NULL;
  VtDataset *dataset = vt_dataset_open (path, &options, &error);

  g_assert_no_error (error);
  return dataset;
}

static void
compare_with_pytorch (gconstpointer data)
{
  const char *key = data;   /* "fashion" or "cifar" */
  g_autofree char *fixture_path = vt_test_fixture ("datasets/features.safetensors");
  g_autofree char *cifar = vt_test_asset ("datasets/cifar10-jpg");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
  g_autoptr(VtModel) model = demo_model (NULL);
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree char *name_indices = g_strdup_printf ("%s.indices", key);
  g_autofree char *name_labels = g_strdup_printf ("%s.labels", key);
  g_autofree char *name_features = g_strdup_printf ("%s.features", key);
  g_autofree char *name_logits = g_strdup_printf ("%s.logits", key);
  const VtTensor *indices, *labels, *features, *logits;
  VtExtractOptions options = { 100, TRUE, FALSE, NULL };
  VtTransform transform;
  gint64 start = g_get_monotonic_time ();
  double worst = 0;

  g_assert_no_error (error);
  dataset = open_dataset (g_str_equal (key, "fashion") ? "/usr/share/datasets/fashion-mnist" : cifar, "test");
  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  store = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (store->n_samples, ==, 10000);
  g_assert_cmpuint (store->dim, ==, 64);
  g_assert_cmpuint (store->n_logits, ==, 10);
  g_assert_cmpuint (store->n_skipped, ==, 0);

  indices = vt_checkpoint_lookup (fixture, name_indices);
  labels = vt_checkpoint_lookup (fixture, name_labels);
  features = vt_checkpoint_lookup (fixture, name_features);
  logits = vt_checkpoint_lookup (fixture, name_logits);
  for (gsize r = 0; r < indices->numel; r++)
    {
      gint64 i = ((const gint64 *) indices->data)[r];

      g_assert_cmpint (store->indices[i], ==, i);
      g_assert_cmpint (store->labels[i], ==, ((const gint64 *) labels->data)[r]);
      for (guint d = 0; d < 64; d++)
        worst = MAX (worst, fabs (store->features[i * 64 + d] - ((const float *) features->data)[r * 64 + d]));
      for (guint d = 0; d < 10; d++)
        worst = MAX (worst, fabs (store->logits[i * 10 + d] - ((const float *) logits->data)[r * 10 + d]));
    }
  g_test_message ("%s: 10,000 samples in %.1f s; features and logits of %" G_GSIZE_FORMAT
                  " against PyTorch: max |diff| %.3g", key, (g_get_monotonic_time () - start) / 1e6,
                  indices->numel, worst);
  g_assert_cmpfloat (worst, <=, 1e-4);
}

/* A folder of four CIFAR JPEGs in two classes, one of them cut short. */
static char *
folder_with_damaged_image (char **damaged_out)
{
  char *dir = vt_test_tmpdir ();
  const char *files[] = { "cat/0000.jpg", "cat/0001.jpg", "dog/0000.jpg", "dog/0001.jpg" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *rel = g_strconcat ("datasets/cifar10-jpg/test/", files[i], NULL);
      g_autofree char *source = vt_test_asset (rel);
      g_autofree char *class_dir = g_build_filename (dir, i < 2 ? "cat" : "dog", NULL);
      g_autofree char *name = g_path_get_basename (files[i]);
      g_autofree char *copy = NULL;

      g_mkdir_with_parents (class_dir, 0755);
      copy = vt_test_write_truncated (source, class_dir, name, 1, i == 2 ? 2 : 1);
      if (i == 2)
        *damaged_out = g_steal_pointer (&copy);
    }
  return dir;
}

static void
test_unreadable (void)
{
  g_autofree char *damaged = NULL;
  g_autofree char *dir = folder_with_damaged_image (&damaged);
  g_autoptr(VtModel) model = demo_model (NULL);
  g_autoptr(VtDataset) dataset = open_dataset (dir, NULL);
  g_autoptr(VtFeatureStore) stopped = NULL;
  g_autoptr(VtFeatureStore) skipped = NULL;
  g_autoptr(GError) error = NULL;
  VtExtractOptions options = { 2, FALSE, FALSE, NULL };
  VtTransform transform;

  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  stopped = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  g_assert_null (stopped);
  g_assert_error (error, VT_IMAGE_ERROR, VT_IMAGE_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, damaged));
  g_clear_error (&error);

  options.skip_unreadable = TRUE;
  skipped = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (skipped->n_samples, ==, 3);
  g_assert_cmpuint (skipped->n_skipped, ==, 1);
  g_assert_nonnull (strstr (skipped->skipped[0], damaged));
  /* The sample after the gap keeps its own index and label. */
  g_assert_cmpint (skipped->indices[2], ==, 3);
  g_assert_cmpint (skipped->labels[2], ==, 1);
  vt_test_rm_rf (dir);
}

/* “class_names” holds JSON text inside the header's JSON: empty, it gave a
 * Json-CRITICAL; nested 100,000 deep, a SIGSEGV. */
static void
test_store_bad_class_names (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *nested = vt_test_nested_json (100000);
  const struct { const char *value; const char *phrase; } cases[] = {
    { "", "metadata “class_names”: is empty" },
    { "/* none */", "metadata “class_names”: holds no JSON value" },
    { nested, "metadata “class_names”: line 1, byte offset 64: JSON nests deeper than 64 levels" },
    { "{\\\"a\\\": 1}", "“class_names” in its metadata is not a JSON array of strings" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *header = g_strdup_printf (
        "{\"__metadata__\":{\"format\":\"vitrine feature store 1\",\"class_names\":\"%s\"},"
        "\"features\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
        "\"labels\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
        "\"indices\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]}}", cases[i].value);
      g_autofree char *path = vt_test_write_safetensors (dir, "store.safetensors", header, 24);
      g_autoptr(GError) error = NULL;
      g_autoptr(VtFeatureStore) store = vt_feature_store_load (path, &error);

      g_assert_null (store);
      g_assert_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[i].phrase));
    }
  vt_test_rm_rf (dir);
}

static void
test_store_round_trip (void)
{
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = demo_model (&checkpoint);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  g_autofree char *cat_dir = g_build_filename (data_dir, "cat", NULL);
  g_autofree char *dog_dir = g_build_filename (data_dir, "dog", NULL);
  g_autofree char *store_path = g_build_filename (dir, "store.safetensors", NULL);
  g_autofree char *damaged_path = g_build_filename (dir, "damaged.safetensors", NULL);
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(VtFeatureStore) loaded = NULL;
  g_autoptr(VtFeatureSource) source = NULL;
  g_autoptr(GError) error = NULL;
  VtExtractOptions options = { 0 };
  VtTransform transform;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *rel = g_strdup_printf ("datasets/cifar10-jpg/test/%s/000%u.jpg", i < 2 ? "cat" : "dog", i);
      g_autofree char *source_path = vt_test_asset (rel);
      g_autofree char *name = g_strdup_printf ("%u.jpg", i);
      g_autofree char *copy = NULL;
      g_mkdir_with_parents (i < 2 ? cat_dir : dog_dir, 0755);
      copy = vt_test_copy (source_path, i < 2 ? cat_dir : dog_dir, name);
    }
  dataset = open_dataset (data_dir, NULL);
  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  store = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  g_assert_no_error (error);
  store->source = vt_feature_source_new (checkpoint, dataset, &transform, NULL, NULL);
  store->source->dataset_content = vt_dataset_content_hash (dataset, NULL, NULL, &error);
  g_assert_no_error (error);
  vt_feature_store_save (store, store_path, &error);
  g_assert_no_error (error);

  loaded = vt_feature_store_load (store_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->n_samples, ==, 4);
  g_assert_cmpuint (loaded->dim, ==, 64);
  g_assert_null (loaded->logits);
  g_assert_cmpmem (loaded->features, 4 * 64 * sizeof (float), store->features, 4 * 64 * sizeof (float));
  g_assert_cmpmem (loaded->labels, 4 * sizeof (gint64), store->labels, 4 * sizeof (gint64));
  g_assert_cmpstr (loaded->class_names[1], ==, "dog");
  g_assert_cmpstr (loaded->source->checkpoint_sha256, ==, store->source->checkpoint_sha256);
  g_assert_cmpstr (loaded->source->dataset_content, ==, store->source->dataset_content);

  /* The same triple is current; another transform or a changed file is not. */
  source = vt_feature_source_new (checkpoint, dataset, &transform, NULL, NULL);
  g_assert_true (vt_feature_store_is_from (loaded, source));
  transform.resize_size = 40;
  g_clear_pointer (&source, vt_feature_source_free);
  source = vt_feature_source_new (checkpoint, dataset, &transform, NULL, NULL);
  g_assert_false (vt_feature_store_is_from (loaded, source));
  transform.resize_size = 32;
  {
    g_autofree char *other = vt_test_asset ("datasets/cifar10-jpg/test/dog/0009.jpg");
    g_autofree char *copy = vt_test_copy (other, dog_dir, "3.jpg");
    g_clear_pointer (&source, vt_feature_source_free);
    source = vt_feature_source_new (checkpoint, dataset, &transform, NULL, NULL);
    g_assert_false (vt_feature_store_is_from (loaded, source));
  }

  /* A safetensors file that is not a store, and a damaged one. */
  {
    g_autoptr(VtFeatureStore) not_store = NULL;
    g_autoptr(VtFeatureStore) damaged = NULL;
    g_autofree char *demo = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
    g_autofree char *cut = vt_test_write_truncated (store_path, dir, "damaged.safetensors", 1, 2);

    not_store = vt_feature_store_load (demo, &error);
    g_assert_null (not_store);
    g_assert_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID);
    g_test_message ("%s", error->message);
    g_clear_error (&error);
    damaged = vt_feature_store_load (cut, &error);
    g_assert_null (damaged);
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, damaged_path));
  }
  vt_test_rm_rf (dir);
}

/* Staleness: what the extract step and the window do, through the one
 * function both call. The dataset is opened afresh each time, as a new run
 * or a new window session would. */
static VtFeatureStore *
obtain (VtCheckpoint  *checkpoint,
        VtModel       *model,
        const char    *dataset_path,
        const char    *split,
        const char    *store_path,
        gboolean       verify,
        gboolean      *reused)
{
  g_autoptr(VtDataset) dataset = open_dataset (dataset_path, split);
  g_autoptr(VtFeatureSource) source = NULL;
  g_autoptr(GError) error = NULL;
  VtExtractOptions options = { 8, TRUE, FALSE, NULL };
  VtFeatureStore *store;
  VtTransform transform;

  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  source = vt_feature_source_new (checkpoint, dataset, &transform, NULL, NULL);
  store = vt_extract_or_reuse (store_path, source, model, dataset, &transform, &options, verify, reused, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store->source->dataset_content);
  if (!*reused)
    {
      vt_feature_store_save (store, store_path, &error);
      g_assert_no_error (error);
    }
  return store;
}

/* A copy of the fixture folder @name (files only) in @dir. */
static char *
copy_fixture_folder (const char *dir,
                     const char *name)
{
  g_autofree char *from = vt_test_fixture (name);
  char *to = g_build_filename (dir, name, NULL);
  g_autoptr(GDir) d = g_dir_open (from, 0, NULL);
  const char *entry;

  g_assert_nonnull (d);
  g_mkdir_with_parents (to, 0755);
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *source = g_build_filename (from, entry, NULL);
      g_autofree char *copy = vt_test_copy (source, to, entry);
    }
  return to;
}

static void
write_names (const char          *dir,
             const char          *file,
             const char * const  *names,
             guint                n)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s\n", names[i]);
  path = vt_test_write_file (dir, file, text->str, text->len);
}

/* Renaming a class in a names file (CIFAR-10's batches.meta.txt, an IDX
 * dataset's labels.txt), or removing the file, makes the store stale, and
 * the new store has the new names. */
static void
test_stale_class_names (void)
{
  static const char *cifar10[] = { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = demo_model (&checkpoint);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cifar = copy_fixture_folder (dir, "datasets/cifar10-bin");
  g_autofree char *store_path = g_build_filename (dir, "cifar.safetensors", NULL);
  g_autofree char *idx_dir = g_build_filename (dir, "idx", NULL);
  g_autofree char *idx_store = g_build_filename (dir, "idx.safetensors", NULL);
  g_autofree char *idx_images = NULL;
  g_autofree char *idx_labels = NULL;
  g_autofree char *labels_txt = NULL;
  gboolean reused;

  write_names (cifar, "batches.meta.txt", cifar10, 10);
  {
    g_autoptr(VtFeatureStore) first = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (first->class_names[3], ==, "cat");
  }
  {
    g_autoptr(VtFeatureStore) again = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_assert_true (reused);
  }
  cifar10[3] = "kitten";
  write_names (cifar, "batches.meta.txt", cifar10, 10);
  cifar10[3] = "cat";
  {
    g_autoptr(VtFeatureStore) renamed = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_autoptr(VtFeatureStore) saved = vt_feature_store_load (store_path, NULL);
    g_assert_false (reused);
    g_assert_cmpstr (renamed->class_names[3], ==, "kitten");
    g_assert_cmpstr (saved->class_names[3], ==, "kitten");
  }

  /* Four 28×28 IDX samples of two classes, named by a labels.txt. */
  {
    guint8 images[16 + 4 * 784], labels[8 + 4] = { 0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 0, 1 };
    const guint8 header[16] = { 0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28 };
    static const char *names[] = { "zero", "one" };

    memcpy (images, header, 16);
    for (guint i = 16; i < sizeof images; i++)
      images[i] = (guint8) (i * 7 % 251);
    g_mkdir_with_parents (idx_dir, 0755);
    idx_images = vt_test_write_file (idx_dir, "t-images-idx3-ubyte", images, sizeof images);
    idx_labels = vt_test_write_file (idx_dir, "t-labels-idx1-ubyte", labels, sizeof labels);
    write_names (idx_dir, "labels.txt", names, 2);
    labels_txt = g_build_filename (idx_dir, "labels.txt", NULL);
  }
  {
    g_autoptr(VtFeatureStore) first = obtain (checkpoint, model, idx_images, NULL, idx_store, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (first->class_names[0], ==, "zero");
  }
  {
    static const char *names[] = { "nought", "one" };
    g_autoptr(VtFeatureStore) renamed = NULL;

    write_names (idx_dir, "labels.txt", names, 2);
    renamed = obtain (checkpoint, model, idx_images, NULL, idx_store, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (renamed->class_names[0], ==, "nought");
  }
  {
    g_autoptr(VtFeatureStore) numbered = NULL;

    g_assert_cmpint (g_unlink (labels_txt), ==, 0);
    numbered = obtain (checkpoint, model, idx_images, NULL, idx_store, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (numbered->class_names[0], ==, "0");
  }
  vt_test_rm_rf (dir);
}

/* The same for CIFAR-100's fine_label_names.txt. */
static void
test_stale_cifar100_names (void)
{
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = demo_model (&checkpoint);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cifar = copy_fixture_folder (dir, "datasets/cifar100-bin");
  g_autofree char *store_path = g_build_filename (dir, "cifar100.safetensors", NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean reused;
  guint n;

  {
    g_autoptr(VtDataset) dataset = open_dataset (cifar, "train");
    n = dataset->n_classes;
  }
  for (guint c = 0; c < n; c++)
    g_ptr_array_add (names, g_strdup_printf ("class_%u", c));
  write_names (cifar, "fine_label_names.txt", (const char * const *) names->pdata, n);
  {
    g_autoptr(VtFeatureStore) first = obtain (checkpoint, model, cifar, "train", store_path, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (first->class_names[n - 1], ==, g_ptr_array_index (names, n - 1));
  }
  g_free (g_ptr_array_index (names, n - 1));
  g_ptr_array_index (names, n - 1) = g_strdup ("renamed");
  write_names (cifar, "fine_label_names.txt", (const char * const *) names->pdata, n);
  {
    g_autoptr(VtFeatureStore) renamed = obtain (checkpoint, model, cifar, "train", store_path, FALSE, &reused);
    g_assert_false (reused);
    g_assert_cmpstr (renamed->class_names[n - 1], ==, "renamed");
  }
  vt_test_rm_rf (dir);
}

/* Overwrites one byte of @path in place (same size, same inode) and puts
 * its access and modification times back to the nanosecond, as `cp -p`
 * over a file or `touch -r` would leave it. */
static void
change_byte_keep_times (const char *path,
                        goffset     offset)
{
  struct stat before, after;
  struct timespec times[2];
  guint8 byte;
  int fd;

  g_assert_cmpint (stat (path, &before), ==, 0);
  fd = open (path, O_RDWR);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &byte, 1, offset), ==, 1);
  byte ^= 0xff;
  g_assert_cmpint (pwrite (fd, &byte, 1, offset), ==, 1);
  close (fd);
  times[0] = before.st_atim;
  times[1] = before.st_mtim;
  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
  g_assert_cmpint (stat (path, &after), ==, 0);
  /* What the old check compared is all unchanged. */
  g_assert_cmpint (after.st_size, ==, before.st_size);
  g_assert_cmpint (after.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
  g_assert_cmpint (after.st_mtim.tv_nsec, ==, before.st_mtim.tv_nsec);
  g_assert_cmpuint (after.st_ino, ==, before.st_ino);
}

/* A sample's bytes changed with size and modification time restored: not
 * reused, and the sample's features are new. A file touched with its bytes
 * unchanged: its stat differs, its bytes decide, reused. */
static void
test_stale_same_size (void)
{
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = demo_model (&checkpoint);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cifar = copy_fixture_folder (dir, "datasets/cifar10-bin");
  g_autofree char *batch = g_build_filename (cifar, "test_batch.bin", NULL);
  g_autofree char *store_path = g_build_filename (dir, "cifar.safetensors", NULL);
  g_autoptr(VtFeatureStore) first = NULL;
  g_autoptr(VtFeatureStore) changed = NULL;
  gboolean reused;
  double moved = 0;

  first = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
  g_assert_false (reused);
  /* Every red byte of sample 0 (record: 1 label byte, then 1024 red). */
  for (goffset i = 1; i <= 1024; i++)
    change_byte_keep_times (batch, i);
  changed = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
  g_assert_false (reused);
  g_assert_cmpint (changed->indices[0], ==, 0);
  for (guint d = 0; d < first->dim; d++)
    moved = MAX (moved, fabs (changed->features[d] - first->features[d]));
  g_test_message ("sample 0's features moved by up to %.3g", moved);
  g_assert_cmpfloat (moved, >, 0);
  /* The other samples' bytes did not change, nor their features. */
  g_assert_cmpmem (changed->features + first->dim, (gsize) (first->n_samples - 1) * first->dim * sizeof (float),
                   first->features + first->dim, (gsize) (first->n_samples - 1) * first->dim * sizeof (float));

  g_assert_cmpint (utimensat (AT_FDCWD, batch, NULL, 0), ==, 0);
  {
    g_autoptr(VtFeatureStore) touched = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_assert_true (reused);
  }
  vt_test_rm_rf (dir);
}

/* "verify": the bytes are hashed again even where the stat agrees. Here
 * the store is made to carry the changed file's stat, as a file system
 * without change times or a copy that keeps them all would leave it: the
 * cheap check is fooled, verify is not, and verify accepts a current store. */
static void
test_stale_verify (void)
{
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = demo_model (&checkpoint);
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *cifar = copy_fixture_folder (dir, "datasets/cifar10-bin");
  g_autofree char *batch = g_build_filename (cifar, "test_batch.bin", NULL);
  g_autofree char *store_path = g_build_filename (dir, "cifar.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  gboolean reused;

  {
    g_autoptr(VtFeatureStore) first = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_assert_false (reused);
  }
  change_byte_keep_times (batch, 1);
  {
    g_autoptr(VtFeatureStore) store = vt_feature_store_load (store_path, &error);
    g_autoptr(VtDataset) dataset = open_dataset (cifar, "test");

    g_assert_no_error (error);
    g_free (store->source->dataset_fingerprint);
    store->source->dataset_fingerprint = vt_dataset_fingerprint (dataset, NULL, NULL);
    vt_feature_store_save (store, store_path, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr(VtFeatureStore) fooled = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
    g_assert_true (reused);
  }
  {
    g_autoptr(VtFeatureStore) verified = obtain (checkpoint, model, cifar, "test", store_path, TRUE, &reused);
    g_assert_false (reused);
  }
  {
    g_autoptr(VtFeatureStore) current = obtain (checkpoint, model, cifar, "test", store_path, TRUE, &reused);
    g_assert_true (reused);
  }
  vt_test_rm_rf (dir);
}

/* The checkpoint's config.json can shape the model without a byte of the
 * weights changing: a store made with another one is stale. */
static void
test_stale_config (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *weights = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *copy = vt_test_copy (weights, dir, "model.safetensors");
  g_autofree char *cifar = copy_fixture_folder (dir, "datasets/cifar10-bin");
  g_autofree char *store_path = g_build_filename (dir, "cifar.safetensors", NULL);
  static const char * const configs[] = { "{\"comment\": \"first\"}", "{\"comment\": \"other\"}" };
  gboolean reused;

  for (guint i = 0; i < 3; i++)
    {
      const char *config = configs[i == 0 ? 0 : 1];
      g_autofree char *config_path = vt_test_write_file (dir, "config.json", config, strlen (config));
      g_autoptr(GError) error = NULL;
      g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (copy, &error);
      g_autoptr(VtModel) model = NULL;
      g_autoptr(VtFeatureStore) store = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (vt_checkpoint_get_config_path (checkpoint), ==, config_path);
      model = vt_model_new (checkpoint, &error);
      g_assert_no_error (error);
      store = obtain (checkpoint, model, cifar, "test", store_path, FALSE, &reused);
      /* Extracted with the first config, again with the second, then reused. */
      g_assert_cmpint (reused, ==, i == 2);
    }
  vt_test_rm_rf (dir);
}

typedef struct
{
  GCancellable *cancellable;
  gint64        cancelled_at;
  guint         calls;
} CancelState;

static void
cancel_after_first_batch (const VtEvent *event,
                          gpointer       data)
{
  CancelState *state = data;

  if (state->calls++ == 0)
    {
      state->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (state->cancellable);
    }
}

static void
test_cancel (void)
{
  g_autofree char *root = vt_test_asset ("datasets/cifar10-jpg");
  g_autoptr(VtModel) model = demo_model (NULL);
  g_autoptr(VtDataset) dataset = open_dataset (root, "train");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(GError) error = NULL;
  CancelState state = { cancellable, 0, 0 };
  VtEventSink sink = { cancel_after_first_batch, &state };
  VtExtractOptions options = { 256, FALSE, FALSE, &sink };
  VtTransform transform;
  double stop_ms;

  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  store = vt_extract_features (model, dataset, &transform, &options, cancellable, &error);
  stop_ms = (g_get_monotonic_time () - state.cancelled_at) / 1e3;
  g_assert_null (store);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("stopped %.0f ms after Cancel, %u progress reports", stop_ms, state.calls);
  g_assert_cmpuint (state.calls, ==, 1);
}

/* A store's indices say which dataset sample each row is; the Embedding
 * area shows that sample's thumbnail. One below 0, or past the dataset's
 * size the store records, names no sample and must be refused on load. */
static void
test_store_bad_indices (void)
{
  static const struct { gint64 index; gboolean sourced; } cases[] = {
    { -1, FALSE }, { -1, TRUE }, { 4, TRUE },
  };
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "store.safetensors", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VtFeatureStore) store = vt_feature_store_new (2, 3, 0);
      g_autoptr(VtFeatureStore) loaded = NULL;
      g_autoptr(GError) error = NULL;

      store->n_samples = 2;
      memset (store->features, 0, 2 * 3 * sizeof (float));
      store->labels[0] = 0;
      store->labels[1] = 1;
      store->indices[0] = 0;
      store->indices[1] = cases[i].index;
      store->class_names = g_strsplit ("cat,dog", ",", -1);
      store->n_classes = 2;
      if (cases[i].sourced)
        {
          store->source = g_new0 (VtFeatureSource, 1);
          store->source->checkpoint = g_strdup ("m.safetensors");
          store->source->checkpoint_sha256 = g_strdup ("00");
          store->source->dataset = g_strdup ("data");
          store->source->dataset_fingerprint = g_strdup ("11");
          store->source->dataset_samples = 4;
          store->source->transform = g_strdup ("none");
        }
      vt_feature_store_save (store, path, &error);
      g_assert_no_error (error);
      loaded = vt_feature_store_load (path, &error);
      g_assert_null (loaded);
      g_assert_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, "“indices”"));
    }
  vt_test_rm_rf (dir);
}

typedef struct
{
  const char *path;
  guint       calls;
} TruncateState;

/* Between two forward passes, as `cp` over the checkpoint would. */
static void
truncate_after_first_batch (const VtEvent *event,
                            gpointer       data)
{
  TruncateState *state = data;

  if (state->calls++ == 0)
    g_assert_cmpint (truncate (state->path, 0), ==, 0);
}

/* The checkpoint cut short during an extraction: the next pass used to
 * die of SIGBUS on the weights; now the extraction stops with an error
 * naming the file. */
static void
test_checkpoint_truncated (void)
{
  g_autofree char *asset = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *root = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = vt_test_copy (asset, dir, "resnet20.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (path, &error);
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtDataset) dataset = open_dataset (root, "test");
  g_autoptr(VtFeatureStore) store = NULL;
  TruncateState state = { path, 0 };
  VtEventSink sink = { truncate_after_first_batch, &state };
  VtExtractOptions options = { 8, FALSE, FALSE, &sink };
  VtTransform transform;

  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  store = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  g_assert_null (store);
  g_assert_error (error, VT_CHECKPOINT_ERROR, VT_CHECKPOINT_ERROR_CHANGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_cmpuint (state.calls, ==, 1);
  vt_test_rm_rf (dir);
}

/* A list entry naming a FIFO used to block a decoder thread in open(),
 * and the extraction with it, beyond Cancel. Now the sample fails at once
 * by name; the alarm turns the old hang into a fast failure. */
static void
test_fifo_sample (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *jpeg = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  g_autofree char *copy = vt_test_copy (jpeg, dir, "cat.jpg");
  g_autofree char *fifo = g_build_filename (dir, "dog.jpg", NULL);
  g_autofree char *list = g_build_filename (dir, "list.csv", NULL);
  g_autoptr(VtModel) model = demo_model (NULL);
  g_autoptr(VtDataset) dataset = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(GError) error = NULL;
  VtExtractOptions options = { 2, FALSE, TRUE, NULL };
  VtTransform transform;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_true (g_file_set_contents (list, "path,label\ncat.jpg,cat\ndog.jpg,dog\ncat.jpg,cat\n", -1, NULL));
  dataset = open_dataset (list, NULL);
  vt_transform_init_from_architecture (&transform, vt_model_get_architecture (model));
  alarm (20);
  store = vt_extract_features (model, dataset, &transform, &options, NULL, &error);
  alarm (0);
  g_assert_no_error (error);
  g_assert_cmpuint (store->n_samples, ==, 2);
  g_assert_cmpuint (store->n_skipped, ==, 1);
  g_test_message ("%s", store->skipped[0]);
  g_assert_nonnull (strstr (store->skipped[0], "dog.jpg: is a FIFO, not a regular file"));
  vt_test_rm_rf (dir);
}

static void
expect_store_invalid (const char *path,
                      const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = vt_feature_store_load (path, &error);

  g_assert_null (store);
  g_assert_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, phrase));
}

/* A zero-wide store used to be accepted (and handed memcpy a NULL
 * buffer), and one of 2³² + 1 samples was cut to 1 sample and accepted,
 * then its 16 GiB of features copied into room for one. */
static void
test_store_bad_shapes (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *narrow = g_build_filename (dir, "narrow.safetensors", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.safetensors", NULL);
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  static const guint8 zeros[16] = { 0 };
  VtTensor features = { "features", VT_DTYPE_F32, 2, { 2, 0 }, 0, 0, zeros };
  VtTensor labels = { "labels", VT_DTYPE_I64, 1, { 2 }, 2, sizeof zeros, zeros };
  VtTensor indices = { "indices", VT_DTYPE_I64, 1, { 2 }, 2, sizeof zeros, zeros };
  const VtTensor *tensors[] = { &features, &labels, &indices };
  g_autoptr(GError) error = NULL;
  guint64 n = ((guint64) 1 << 32) + 1, feature_bytes = n * 4, header_len;
  g_autofree char *header = NULL;
  guint64 length_le;
  int fd;

  g_hash_table_insert (metadata, "format", "vitrine feature store 1");
  g_hash_table_insert (metadata, "class_names", "[\"a\"]");
  g_assert_true (vt_safetensors_write (narrow, 3, tensors, metadata, &error));
  g_assert_no_error (error);
  expect_store_invalid (narrow, "“features” is 0 wide");

  /* Sparse: 16 GiB of zeros that take no disk. */
  header = g_strdup_printf ("{\"__metadata__\":{\"format\":\"vitrine feature store 1\",\"class_names\":\"[\\\"a\\\"]\"},"
                            "\"features\":{\"dtype\":\"F32\",\"shape\":[%" G_GUINT64_FORMAT ",1],\"data_offsets\":[0,%" G_GUINT64_FORMAT "]},"
                            "\"labels\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]},"
                            "\"indices\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}}",
                            n, feature_bytes, feature_bytes, feature_bytes + 8, feature_bytes + 8, feature_bytes + 16);
  header_len = strlen (header);
  length_le = GUINT64_TO_LE (header_len);
  fd = g_open (huge, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, &length_le, 8), ==, 8);
  g_assert_cmpint (write (fd, header, header_len), ==, (gssize) header_len);
  g_assert_cmpint (ftruncate (fd, (off_t) (8 + header_len + feature_bytes + 16)), ==, 0);
  close (fd);
  expect_store_invalid (huge, "holds 4294967297 samples, more than the 4294967295");
  vt_test_rm_rf (dir);
}

typedef struct
{
  VtCheckpoint  *checkpoint;
  VtDataset     *dataset;
  VtTransform    transform;
} SourceJob;

static gboolean
source_task (gpointer data, GCancellable *cancellable, GError **error)
{
  SourceJob *job = data;
  VtFeatureSource *source = vt_feature_source_new (job->checkpoint, job->dataset, &job->transform, cancellable,
                                                   error);

  vt_feature_source_free (source);
  return source != NULL;
}

/* The cache key hashes the checkpoint's bytes: a 1 GB one (sparse on
 * disk) takes seconds, and Cancel stops it. */
static void
test_hash_cancel (void)
{
  const guint64 bytes = (guint64) 1 << 30;
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "large.safetensors", NULL);
  g_autofree char *data = vt_test_fixture ("datasets/cifar10-bin");
  g_autofree char *header = g_strdup_printf ("{\"w\":{\"dtype\":\"F32\",\"shape\":[%" G_GUINT64_FORMAT "],"
                                             "\"data_offsets\":[0,%" G_GUINT64_FORMAT "]}}",
                                             bytes / 4, bytes);
  guint64 length = GUINT64_TO_LE (strlen (header));
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtDataset) dataset = open_dataset (data, "test");
  SourceJob job;
  FILE *file = g_fopen (path, "wb");

  g_assert_nonnull (file);
  g_assert_cmpint (fwrite (&length, 8, 1, file), ==, 1);
  g_assert_cmpint (fwrite (header, strlen (header), 1, file), ==, 1);
  g_assert_cmpint (ftruncate (fileno (file), (off_t) (8 + strlen (header) + bytes)), ==, 0);
  fclose (file);
  checkpoint = vt_checkpoint_open (path, &error);
  g_assert_no_error (error);

  job = (SourceJob) { checkpoint, dataset, { 0, 32, VT_RESAMPLE_BILINEAR, { 0, 0, 0 }, { 1, 1, 1 } } };
  vt_test_assert_cancels ("hashing a 1 GB checkpoint", source_task, &job, 150);
  g_clear_pointer (&checkpoint, vt_checkpoint_unref);
  vt_test_rm_rf (dir);
}

/* A store is read once: 100,000 x 64 features (26 MB) load under a cap of
 * the file's size plus 16 MB of new memory (in a child process, where an
 * allocation beyond it aborts; mapping the file and then copying it needs
 * twice the size), and come back exactly. A FIFO named as a store is
 * refused at once instead of blocking in open() (an alarm fails the test
 * should it block). */
static void
test_store_read_once (void)
{
  const guint n = 100000, dim = 64;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      const char *path = g_getenv ("VT_TEST_STORE");
      g_autoptr(VtFeatureStore) loaded = NULL;
      GStatBuf info;

      g_assert_cmpint (g_stat (path, &info), ==, 0);
      vt_test_limit_memory ((gsize) info.st_size + (16 << 20));
      loaded = vt_feature_store_load (path, &error);
      vt_test_unlimit_memory ();
      g_assert_no_error (error);
      g_assert_cmpuint (loaded->n_samples, ==, n);
      return;
    }

  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "big.safetensors", NULL);
  g_autoptr(VtFeatureStore) store = vt_feature_store_new (n, dim, 0);
  store->n_samples = n;
  store->n_classes = 3;
  store->class_names = g_strsplit ("a b c", " ", -1);
  for (guint i = 0; i < n; i++)
    {
      store->labels[i] = i % 3;
      store->indices[i] = n - i;
      for (guint j = 0; j < dim; j++)
        store->features[(gsize) i * dim + j] = (float) i - j * 0.25f;
    }
  g_assert_true (vt_feature_store_save (store, path, &error));
  g_assert_no_error (error);

  g_setenv ("VT_TEST_STORE", path, TRUE);
  /* A minute at most: a child that hangs fails the test. */
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();

  g_autoptr(VtFeatureStore) loaded = vt_feature_store_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->dim, ==, dim);
  g_assert_cmpmem (loaded->features, (gsize) n * dim * sizeof (float), store->features,
                   (gsize) n * dim * sizeof (float));
  g_assert_cmpmem (loaded->labels, n * sizeof (gint64), store->labels, n * sizeof (gint64));
  g_assert_cmpmem (loaded->indices, n * sizeof (gint64), store->indices, n * sizeof (gint64));
  g_assert_cmpstr (loaded->class_names[2], ==, "c");

  g_autofree char *fifo = g_build_filename (dir, "fifo.safetensors", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  alarm (20);
  g_autoptr(VtFeatureStore) none = vt_feature_store_load (fifo, &error);
  alarm (0);
  g_assert_null (none);
  g_assert_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, fifo));
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/extract/unreadable", test_unreadable);
  g_test_add_func ("/extract/store-round-trip", test_store_round_trip);
  g_test_add_func ("/extract/store-bad-class-names", test_store_bad_class_names);
  g_test_add_func ("/extract/store-read-once", test_store_read_once);
  g_test_add_func ("/extract/stale/class-names", test_stale_class_names);
  g_test_add_func ("/extract/stale/cifar100-names", test_stale_cifar100_names);
  g_test_add_func ("/extract/stale/same-size-content", test_stale_same_size);
  g_test_add_func ("/extract/stale/verify", test_stale_verify);
  g_test_add_func ("/extract/stale/config", test_stale_config);
  g_test_add_func ("/extract/cancel", test_cancel);
  g_test_add_func ("/extract/store-bad-indices", test_store_bad_indices);
  g_test_add_func ("/extract/checkpoint-truncated", test_checkpoint_truncated);
  g_test_add_func ("/extract/fifo-sample", test_fifo_sample);
  g_test_add_func ("/extract/store-bad-shapes", test_store_bad_shapes);
  g_test_add_func ("/extract/hash-cancel", test_hash_cancel);
  g_test_add_data_func ("/extract/pytorch/fashion-mnist", "fashion", compare_with_pytorch);
  g_test_add_data_func ("/extract/pytorch/cifar10-jpg", "cifar", compare_with_pytorch);
  return g_test_run ();
}
