/* vt-dataset.c: telling the formats apart, class names and counts, and
 * decoding samples. The readers themselves live one per file. */
#include "vt-dataset-readers.h"
#include "vt-class-names.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (vt-dataset-error-quark, vt_dataset_error)

static gboolean
is_number (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (; *text; text++)
    if (!g_ascii_isdigit (*text))
      return FALSE;
  return TRUE;
}

static int
compare_labels (gconstpointer a,
                gconstpointer b,
                gpointer      numeric)
{
  const char *x = *(const char * const *) a, *y = *(const char * const *) b;

  if (GPOINTER_TO_INT (numeric))
    {
      guint64 u = g_ascii_strtoull (x, NULL, 10), v = g_ascii_strtoull (y, NULL, 10);
      return u < v ? -1 : u > v;
    }
  return strcmp (x, y);
}

void
vt_dataset_set_string_labels (VtDataset *self,
                              GPtrArray *label_names)
{
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) classes = g_ptr_array_new ();
  gboolean numeric = TRUE;

  for (guint i = 0; i < label_names->len; i++)
    {
      char *name = g_ptr_array_index (label_names, i);
      if (!g_hash_table_contains (index, name))
        {
          g_hash_table_insert (index, name, NULL);
          g_ptr_array_add (classes, name);
          numeric = numeric && is_number (name);
        }
    }
  g_ptr_array_sort_with_data (classes, compare_labels, GINT_TO_POINTER (numeric));
  self->n_classes = classes->len;
  self->class_names = g_new0 (char *, classes->len + 1);
  for (guint c = 0; c < classes->len; c++)
    {
      self->class_names[c] = g_strdup (g_ptr_array_index (classes, c));
      g_hash_table_insert (index, g_ptr_array_index (classes, c), GUINT_TO_POINTER (c));
    }
  self->n_samples = label_names->len;
  self->labels = g_new (guint, label_names->len);
  for (guint i = 0; i < label_names->len; i++)
    self->labels[i] = GPOINTER_TO_UINT (g_hash_table_lookup (index, g_ptr_array_index (label_names, i)));
}

static char *
child (const char *dir,
       const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static gboolean
has_child (const char *dir,
           const char *name)
{
  g_autofree char *path = child (dir, name);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
need_split (const char  *path,
            const char  *split,
            GError     **error)
{
  if (g_strcmp0 (split, "train") == 0 || g_strcmp0 (split, "test") == 0)
    return TRUE;
  if (split == NULL)
    g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT,
                 "%s: the dataset has a train and a test split; name one", path);
  else
    g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT,
                 "%s: unknown split “%s” (expected “train” or “test”)", path, split);
  return FALSE;
}

/* The labels file of an IDX images file: "…-images-idx3-ubyte…" names its
 * twin "…-labels-idx1-ubyte…". */
static char *
idx_labels_path (const char *images_path)
{
  g_autofree char *base = g_path_get_basename (images_path);
  g_autofree char *dir = g_path_get_dirname (images_path);
  const char *at = strstr (base, "images-idx3-ubyte");
  g_autofree char *prefix = g_strndup (base, at - base);

  return g_strdup_printf ("%s/%slabels-idx1-ubyte%s", dir, prefix, at + strlen ("images-idx3-ubyte"));
}

/* In a folder of IDX files, the one images file of @split: names with
 * "train" for the training split, "t10k" or "test" for the test split. */
static char *
find_idx_images (const char  *dir,
                 const char  *split,
                 GError     **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (strstr (name, "images-idx3-ubyte") &&
        (g_str_equal (split, "train") ? strstr (name, "train") != NULL
                                      : strstr (name, "t10k") != NULL || strstr (name, "test") != NULL))
      g_ptr_array_add (found, g_strdup (name));
  if (found->len != 1)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_SPLIT,
                   found->len == 0 ? "%s: no IDX images file for the %s split"
                                   : "%s: several IDX images files for the %s split; open one of them directly",
                   dir, split);
      return NULL;
    }
  return child (dir, g_ptr_array_index (found, 0));
}

static gboolean
read_idx_file (VtDataset   *self,
               const char  *images_path,
               GError     **error)
{
  g_autofree char *labels_path = idx_labels_path (images_path);

  return vt_dataset_read_idx (self, images_path, labels_path, error);
}

static gboolean
read_cifar_folder (VtDataset               *self,
                   const char              *dir,
                   const VtDatasetOptions  *options,
                   GError                 **error)
{
  gboolean cifar100 = has_child (dir, "train.bin") || has_child (dir, "test.bin");
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *names_path = NULL;
  VtClassNames published;

  if (!need_split (dir, options->split, error))
    return FALSE;
  if (cifar100)
    g_ptr_array_add (files, child (dir, g_str_equal (options->split, "train") ? "train.bin" : "test.bin"));
  else if (g_str_equal (options->split, "test"))
    g_ptr_array_add (files, child (dir, "test_batch.bin"));
  else
    for (int b = 1; b <= 5; b++)
      {
        g_autofree char *name = g_strdup_printf ("data_batch_%d.bin", b);
        g_ptr_array_add (files, child (dir, name));
      }
  g_ptr_array_add (files, NULL);
  if (!vt_dataset_read_cifar (self, (char **) files->pdata, cifar100, options->coarse_labels, error))
    return FALSE;

  self->format = cifar100 ? "CIFAR-100 binary" : "CIFAR-10 binary";
  names_path = child (dir, !cifar100 ? "batches.meta.txt"
                           : options->coarse_labels ? "coarse_label_names.txt" : "fine_label_names.txt");
  published = !cifar100 ? VT_CLASS_NAMES_CIFAR10
            : options->coarse_labels ? VT_CLASS_NAMES_CIFAR100_COARSE : VT_CLASS_NAMES_CIFAR100;
  self->class_names = vt_class_names_read_file (names_path, self->n_classes);
  /* Present or not, the names file shapes the names: a store made before it
   * was renamed, edited or added is not current. */
  g_ptr_array_add (self->sources, g_steal_pointer (&names_path));
  if (self->class_names == NULL)
    {
      g_auto(GStrv) names = vt_class_names_published (published);
      /* The published names only if the labels cover exactly them. */
      if (g_strv_length (names) == self->n_classes)
        self->class_names = g_steal_pointer (&names);
    }
  return TRUE;
}

static gboolean
read_folder (VtDataset               *self,
             const char              *dir,
             const VtDatasetOptions  *options,
             GError                 **error)
{
  g_autofree char *train = child (dir, "train");
  g_autofree char *test = child (dir, "test");
  g_autofree char *idx_images = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (has_child (dir, "data_batch_1.bin") || has_child (dir, "test_batch.bin") ||
      has_child (dir, "train.bin") || has_child (dir, "test.bin"))
    return read_cifar_folder (self, dir, options, error);

  d = g_dir_open (dir, 0, NULL);
  while (d && (name = g_dir_read_name (d)) != NULL)
    if (strstr (name, "images-idx3-ubyte"))
      {
        if (!need_split (dir, options->split, error) ||
            !(idx_images = find_idx_images (dir, options->split, error)))
          return FALSE;
        self->format = "IDX";
        return read_idx_file (self, idx_images, error);
      }

  self->format = "image folder";
  if (g_file_test (train, G_FILE_TEST_IS_DIR) && g_file_test (test, G_FILE_TEST_IS_DIR))
    {
      if (!need_split (dir, options->split, error))
        return FALSE;
      return vt_dataset_read_image_folder (self, g_str_equal (options->split, "train") ? train : test,
                                           options->cancellable, error);
    }
  return vt_dataset_read_image_folder (self, dir, options->cancellable, error);
}

/* Names for formats whose files carry none: a labels.txt beside the data,
 * else Fashion-MNIST's where the path says so, else the numbers. */
static void
name_classes (VtDataset *self)
{
  g_autofree char *dir = g_file_test (self->path, G_FILE_TEST_IS_DIR) ? g_strdup (self->path)
                                                                     : g_path_get_dirname (self->path);
  g_autofree char *labels = child (dir, "labels.txt");
  g_autofree char *lower = g_ascii_strdown (self->path, -1);

  self->class_names = vt_class_names_read_file (labels, self->n_classes);
  g_ptr_array_add (self->sources, g_steal_pointer (&labels));
  if (self->class_names == NULL && self->n_classes == 10 && strstr (lower, "fashion") != NULL)
    self->class_names = vt_class_names_published (VT_CLASS_NAMES_FASHION_MNIST);
  if (self->class_names == NULL)
    {
      self->class_names = g_new0 (char *, self->n_classes + 1);
      for (guint c = 0; c < self->n_classes; c++)
        self->class_names[c] = g_strdup_printf ("%u", c);
    }
}

VtDataset *
vt_dataset_open (const char              *path,
                 const VtDatasetOptions  *options,
                 GError                 **error)
{
  static const VtDatasetOptions defaults = { NULL, FALSE, NULL };
  g_autoptr(VtDataset) self = g_new0 (VtDataset, 1);
  gboolean ok;

  if (options == NULL)
    options = &defaults;
  g_atomic_ref_count_init (&self->ref_count);
  self->path = g_strdup (path);
  self->split = g_strdup (options->split);
  self->sources = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    ok = read_folder (self, path, options, error);
  else if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s: no such file or folder", path);
      return NULL;
    }
  else if (g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".json"))
    {
      self->format = "list";
      ok = vt_dataset_read_list (self, path, options->cancellable, error);
    }
  else if (strstr (path, "images-idx3-ubyte") != NULL)
    {
      self->format = "IDX";
      ok = read_idx_file (self, path, error);
    }
  else
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                   "%s: not a dataset Vitrine reads (an image folder, IDX, CIFAR binary, or a .csv/.json list)", path);
      return NULL;
    }
  if (!ok)
    return NULL;

  if (self->class_names == NULL)
    name_classes (self);
  self->class_counts = g_new0 (guint, self->n_classes);
  for (guint i = 0; i < self->n_samples; i++)
    self->class_counts[self->labels[i]]++;
  return g_steal_pointer (&self);
}

VtDataset *
vt_dataset_ref (VtDataset *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
vt_dataset_unref (VtDataset *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->path);
  g_free (self->split);
  g_strfreev (self->class_names);
  g_free (self->labels);
  g_free (self->class_counts);
  g_clear_pointer (&self->paths, g_ptr_array_unref);
  g_free (self->pixels);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
  g_free (self->image_root);
  g_free (self->mask_root);
  g_free (self);
}

VtImage *
vt_dataset_load_image (VtDataset  *self,
                       guint       index,
                       GError    **error)
{
  return vt_dataset_load_image_hashed (self, index, NULL, error);
}

VtImage *
vt_dataset_load_image_hashed (VtDataset  *self,
                              guint       index,
                              guint8     *sha256,
                              GError    **error)
{
  gsize plane = (gsize) self->width * self->height;
  const guint8 *sample;
  VtImage *image;

  g_return_val_if_fail (index < self->n_samples, NULL);
  if (self->paths != NULL)
    return vt_image_load_hashed (g_ptr_array_index (self->paths, index), sha256, error);
  sample = self->pixels + plane * self->channels * index;
  if (self->channels == 1)
    return vt_image_new_from_grey (sample, self->width, self->height);
  image = vt_image_new (self->width, self->height);
  for (gsize i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      image->rgb[i * 3 + c] = sample[c * plane + i];
  return image;
}

char *
vt_dataset_sample_name (VtDataset *self,
                        guint      index)
{
  if (self->paths != NULL)
    return g_strdup (g_ptr_array_index (self->paths, index));
  return g_strdup_printf ("%s[%u]", self->path, index);
}

const char *
vt_dataset_sample_file (VtDataset *self,
                        guint      index)
{
  g_return_val_if_fail (index < self->n_samples, NULL);
  return self->paths != NULL ? g_ptr_array_index (self->paths, index) : NULL;
}

/* What stat says of @path. Nanosecond times, since a copy made in the same
 * second keeps the whole seconds; the inode, since `rsync -a` and most
 * editors write a new file and rename it; the change time, since
 * `cp -p` or `touch -r` can restore the modification time of a file
 * rewritten in place, but no one can set the change time back. */
static void
hash_file_stat (GChecksum  *checksum,
                const char *path)
{
  GStatBuf st;
  char line[160];

  g_checksum_update (checksum, (const guchar *) path, -1);
  if (g_stat (path, &st) == 0)
    g_snprintf (line, sizeof line, "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT ".%09ld\t%"
                G_GINT64_FORMAT ".%09ld\t%" G_GUINT64_FORMAT "\n",
                (gint64) st.st_size, (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec,
                (gint64) st.st_ctim.tv_sec, (long) st.st_ctim.tv_nsec, (guint64) st.st_ino);
  else
    g_strlcpy (line, "\tmissing\n", sizeof line);
  g_checksum_update (checksum, (const guchar *) line, -1);
}

/* What the files say each sample is and what the classes are called: which
 * labels the same files give (CIFAR-100 fine or coarse) and the names. */
static void
hash_labels (GChecksum *checksum,
             VtDataset *self)
{
  g_checksum_update (checksum, (const guchar *) self->labels, (gssize) (self->n_samples * sizeof (guint)));
  for (guint c = 0; c < self->n_classes; c++)
    g_checksum_update (checksum, (const guchar *) self->class_names[c], (gssize) strlen (self->class_names[c]) + 1);
}

char *
vt_dataset_fingerprint (VtDataset     *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; self->paths && i < self->paths->len; i++)
    {
      /* A stat each: a fraction of a second per 50,000 files, more on a
       * network disk. */
      if (i % 256 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      hash_file_stat (checksum, g_ptr_array_index (self->paths, i));
    }
  for (guint i = 0; i < self->sources->len; i++)
    hash_file_stat (checksum, g_ptr_array_index (self->sources, i));
  hash_labels (checksum, self);
  return g_strdup (g_checksum_get_string (checksum));
}

/* The SHA-256 of the bytes of @path into @sha256; all zero (what no file
 * hashes to) when it is missing, unreadable or not a regular file. Opened
 * without blocking, so that a FIFO cannot hang the check. */
static gboolean
hash_file_bytes (const char    *path,
                 guint8        *sha256,
                 GCancellable  *cancellable)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = NULL;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  gsize length = VT_DATASET_SHA256_SIZE;
  struct stat st;
  gboolean ok = TRUE;

  memset (sha256, 0, VT_DATASET_SHA256_SIZE);
  if (fd < 0)
    return TRUE;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return TRUE;
    }
  buffer = g_malloc (1 << 20);
  for (;;)
    {
      gssize n = read (fd, buffer, 1 << 20);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ok = n == 0;
          break;
        }
      g_checksum_update (checksum, buffer, n);
      if (g_cancellable_is_cancelled (cancellable))
        {
          close (fd);
          return FALSE;
        }
    }
  close (fd);
  if (ok)
    g_checksum_get_digest (checksum, sha256, &length);
  return TRUE;
}

char *
vt_dataset_content_hash (VtDataset     *self,
                         const guint8  *sample_sha256,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint n_files = self->paths ? self->paths->len : 0;
  guint8 sha256[VT_DATASET_SHA256_SIZE];

  for (guint i = 0; i < n_files + self->sources->len; i++)
    {
      const char *path = i < n_files ? g_ptr_array_index (self->paths, i)
                                     : g_ptr_array_index (self->sources, i - n_files);

      if (i < n_files && sample_sha256 != NULL)
        memcpy (sha256, sample_sha256 + (gsize) i * VT_DATASET_SHA256_SIZE, VT_DATASET_SHA256_SIZE);
      else if (!hash_file_bytes (path, sha256, cancellable))
        break;
      g_checksum_update (checksum, (const guchar *) path, (gssize) strlen (path) + 1);
      g_checksum_update (checksum, sha256, VT_DATASET_SHA256_SIZE);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  hash_labels (checksum, self);
  return g_strdup (g_checksum_get_string (checksum));
}
