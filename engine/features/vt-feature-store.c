/* vt-feature-store.c: feature stores in memory and as safetensors files. */
#include "vt-feature-store.h"
#include "core/vt-json.h"
#include "io/vt-safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-feature-store-error-quark, vt_feature_store_error)

VtFeatureSource *
vt_feature_source_new (VtCheckpoint      *checkpoint,
                       VtDataset         *dataset,
                       const VtTransform *transform,
                       GCancellable      *cancellable,
                       GError           **error)
{
  g_autofree char *sha256 = vt_checkpoint_sha256 (checkpoint, cancellable, error);
  g_autofree char *fingerprint = sha256 ? vt_dataset_fingerprint (dataset, cancellable, error) : NULL;
  VtFeatureSource *source;

  const char *config = vt_checkpoint_get_config_path (checkpoint);
  g_autofree char *config_text = NULL;
  gsize config_length = 0;

  if (fingerprint == NULL)
    return NULL;
  source = g_new0 (VtFeatureSource, 1);
  source->checkpoint = g_strdup (vt_checkpoint_get_path (checkpoint));
  source->checkpoint_sha256 = g_steal_pointer (&sha256);
  /* config.json can change the architecture (heads, norms, the preset
   * transform) without a byte of the weights changing. It was read and
   * checked at open; one unreadable now hashes as its absence would not,
   * so a store is never taken for current on a config it did not see. */
  if (config == NULL)
    source->config_sha256 = g_strdup ("");
  else if (g_file_get_contents (config, &config_text, &config_length, NULL))
    source->config_sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) config_text,
                                                         config_length);
  else
    source->config_sha256 = g_strdup ("unreadable");
  source->dataset = g_strdup (dataset->path);
  source->split = g_strdup (dataset->split);
  source->dataset_fingerprint = g_steal_pointer (&fingerprint);
  source->dataset_samples = dataset->n_samples;
  source->transform = vt_transform_describe (transform);
  return source;
}

VtFeatureSource *
vt_feature_source_copy (const VtFeatureSource *source)
{
  VtFeatureSource *copy = g_new0 (VtFeatureSource, 1);

  copy->checkpoint = g_strdup (source->checkpoint);
  copy->checkpoint_sha256 = g_strdup (source->checkpoint_sha256);
  copy->config_sha256 = g_strdup (source->config_sha256);
  copy->dataset = g_strdup (source->dataset);
  copy->split = g_strdup (source->split);
  copy->dataset_fingerprint = g_strdup (source->dataset_fingerprint);
  copy->dataset_content = g_strdup (source->dataset_content);
  copy->dataset_samples = source->dataset_samples;
  copy->transform = g_strdup (source->transform);
  return copy;
}

void
vt_feature_source_free (VtFeatureSource *source)
{
  if (source == NULL)
    return;
  g_free (source->checkpoint);
  g_free (source->checkpoint_sha256);
  g_free (source->config_sha256);
  g_free (source->dataset);
  g_free (source->split);
  g_free (source->dataset_fingerprint);
  g_free (source->dataset_content);
  g_free (source->transform);
  g_free (source);
}

/* The fields that decide whether stored features still hold, the dataset's
 * files given by @files (their fingerprint or their content hash); the
 * paths are covered by those and by the checkpoint's bytes. */
static char *
source_key_with (const VtFeatureSource *source,
                 const char            *files)
{
  return g_strdup_printf ("%s\n%s\n%s\n%s\n%u\n%s", source->checkpoint_sha256, source->config_sha256, files,
                          source->split ? source->split : "", source->dataset_samples, source->transform);
}

static char *
source_key (const VtFeatureSource *source)
{
  return source_key_with (source, source->dataset_fingerprint);
}

char *
vt_feature_source_cache_name (const VtFeatureSource *source)
{
  g_autofree char *key = source_key (source);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  return g_strdup_printf ("%.32s.safetensors", digest);
}

VtFeatureStore *
vt_feature_store_new (guint capacity,
                      guint dim,
                      guint n_logits)
{
  VtFeatureStore *self;

  g_return_val_if_fail (dim > 0, NULL);

  self = g_new0 (VtFeatureStore, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->dim = dim;
  self->n_logits = n_logits;
  /* Never NULL, even for no samples: memcpy of zero bytes to NULL is
   * undefined all the same. */
  capacity = MAX (capacity, 1);
  self->features = g_new (float, (gsize) capacity * dim);
  self->logits = n_logits ? g_new (float, (gsize) capacity * n_logits) : NULL;
  self->labels = g_new (gint64, capacity);
  self->indices = g_new (gint64, capacity);
  return self;
}

VtFeatureStore *
vt_feature_store_ref (VtFeatureStore *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
vt_feature_store_unref (VtFeatureStore *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->features);
  g_free (self->logits);
  g_free (self->labels);
  g_free (self->indices);
  g_strfreev (self->class_names);
  g_strfreev (self->skipped);
  vt_feature_source_free (self->source);
  g_free (self);
}

static VtTensor
tensor_view (const char   *name,
             VtDType       dtype,
             gint64        rows,
             gint64        columns,
             const void   *data)
{
  VtTensor t = { (char *) name, dtype, columns ? 2 : 1, { rows, columns }, 0, 0, data };

  t.numel = (gsize) rows * (columns ? (gsize) columns : 1);
  t.nbytes = t.numel * vt_dtype_size (dtype);
  return t;
}

static char *
strv_to_json (char **strv)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; strv && strv[i]; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* The metadata entry @key, JSON text of a list of strings, into @out; an
 * absent entry leaves @out NULL. The text sits inside the header's JSON, so
 * the header's checks did not cover it: it gets its own. */
static gboolean
metadata_strv (GHashTable   *metadata,
               const char   *path,
               const char   *key,
               char       ***out,
               GError      **error)
{
  const char *text = g_hash_table_lookup (metadata, key);
  g_autofree char *name = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;

  *out = NULL;
  if (text == NULL)
    return TRUE;
  name = g_strdup_printf ("%s: not a Vitrine feature store: metadata “%s”", path, key);
  root = vt_json_parse (text, -1, name, &local_error);
  if (root == NULL)
    {
      g_set_error_literal (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID, local_error->message);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (root))
    goto not_strings;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto not_strings;
      g_ptr_array_add (strv, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (strv, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&strv), FALSE);
  return TRUE;

not_strings:
  g_set_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID,
               "%s: not a Vitrine feature store: “%s” in its metadata is not a JSON array of strings", path, key);
  return FALSE;
}

gboolean
vt_feature_store_save (VtFeatureStore  *self,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  VtTensor tensors[4];
  const VtTensor *pointers[4];
  guint n = 0;

  tensors[n++] = tensor_view ("features", VT_DTYPE_F32, self->n_samples, self->dim, self->features);
  tensors[n++] = tensor_view ("labels", VT_DTYPE_I64, self->n_samples, 0, self->labels);
  tensors[n++] = tensor_view ("indices", VT_DTYPE_I64, self->n_samples, 0, self->indices);
  if (self->logits)
    tensors[n++] = tensor_view ("logits", VT_DTYPE_F32, self->n_samples, self->n_logits, self->logits);
  for (guint i = 0; i < n; i++)
    pointers[i] = &tensors[i];

  g_hash_table_insert (metadata, "format", g_strdup ("vitrine feature store 1"));
  g_hash_table_insert (metadata, "class_names", strv_to_json (self->class_names));
  g_hash_table_insert (metadata, "skipped_samples", g_strdup_printf ("%u", self->n_skipped));
  g_hash_table_insert (metadata, "skipped_first", strv_to_json (self->skipped));
  if (self->source)
    {
      const VtFeatureSource *s = self->source;
      g_hash_table_insert (metadata, "checkpoint", g_strdup (s->checkpoint));
      g_hash_table_insert (metadata, "checkpoint_sha256", g_strdup (s->checkpoint_sha256));
      g_hash_table_insert (metadata, "config_sha256", g_strdup (s->config_sha256 ? s->config_sha256 : ""));
      g_hash_table_insert (metadata, "dataset", g_strdup (s->dataset));
      g_hash_table_insert (metadata, "split", g_strdup (s->split ? s->split : ""));
      g_hash_table_insert (metadata, "dataset_fingerprint", g_strdup (s->dataset_fingerprint));
      if (s->dataset_content)
        g_hash_table_insert (metadata, "dataset_content_sha256", g_strdup (s->dataset_content));
      g_hash_table_insert (metadata, "dataset_samples", g_strdup_printf ("%u", s->dataset_samples));
      g_hash_table_insert (metadata, "transform", g_strdup (s->transform));
    }
  return vt_safetensors_write (path, n, pointers, metadata, error);
}

static gpointer
invalid (GError     **error,
         const char  *path,
         const char  *what)
{
  g_set_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID,
               "%s: not a Vitrine feature store: %s", path, what);
  return NULL;
}

/* The tensor @name as (rows[, columns]) of @dtype, or an error; its bytes
 * start at @offset in the file. */
static const VtTensor *
expect_tensor (GPtrArray     *tensors,
               GArray        *offsets,
               const char    *path,
               const char    *name,
               VtDType        dtype,
               guint          ndim,
               guint64       *offset,
               GError       **error)
{
  g_autofree char *what = NULL;

  for (guint i = 0; i < tensors->len; i++)
    {
      const VtTensor *t = g_ptr_array_index (tensors, i);

      if (!g_str_equal (t->name, name))
        continue;
      if (t->dtype == dtype && t->ndim == ndim)
        {
          *offset = g_array_index (offsets, guint64, i);
          return t;
        }
      break;
    }
  what = g_strdup_printf ("“%s” must be a %u-d %s tensor", name, ndim, vt_dtype_name (dtype));
  return invalid (error, path, what);
}

static gboolean
has_tensor (GPtrArray *tensors, const char *name)
{
  for (guint i = 0; i < tensors->len; i++)
    if (g_str_equal (((const VtTensor *) g_ptr_array_index (tensors, i))->name, name))
      return TRUE;
  return FALSE;
}

/* @size bytes at @offset of @fd into @out, or an error naming @path. */
static gboolean
read_at (int          fd,
         const char  *path,
         guint64      offset,
         void        *out,
         gsize        size,
         GError     **error)
{
  guint8 *p = out;

  while (size > 0)
    {
      gssize got = pread (fd, p, MIN (size, (gsize) G_MAXSSIZE), (off_t) offset);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int code = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code), "%s: cannot be read: %s", path,
                       g_strerror (code));
          return FALSE;
        }
      if (got == 0)
        {
          g_set_error (error, VT_FEATURE_STORE_ERROR, VT_FEATURE_STORE_ERROR_INVALID,
                       "%s: the file ended early; it changed while it was read, extract it again", path);
          return FALSE;
        }
      p += got;
      offset += got;
      size -= got;
    }
  return TRUE;
}

/* The store is read once, each tensor straight into its array: a store
 * mapped and then copied would hold its features twice (512 MB for a
 * million 64-d points), and a mapped file that shrinks underneath kills
 * the process with SIGBUS. */
static VtFeatureStore *
load_from (int          fd,
           const char  *path,
           GError     **error)
{
  g_autoptr(VtFeatureStore) self = NULL;
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GArray) offsets = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autofree guint8 *head = NULL;
  const VtTensor *features, *labels, *indices, *logits = NULL;
  guint64 features_at, labels_at, indices_at, logits_at = 0, header_len = 0;
  gsize head_size;
  const char *samples;
  struct stat info;
  guint n;

  if (fstat (fd, &info) != 0 || !S_ISREG (info.st_mode))
    return invalid (error, path, "it is not a regular file");

  /* The 8-byte header length, then the header (as far as the file and the
   * format's limit allow; the parser says what is wrong with the rest). */
  if (info.st_size >= 8)
    {
      if (!read_at (fd, path, 0, &header_len, 8, error))
        return NULL;
      header_len = GUINT64_FROM_LE (header_len);
    }
  head_size = (gsize) MIN ((guint64) info.st_size, 8 + MIN (header_len, VT_SAFETENSORS_MAX_HEADER));
  head = g_malloc (MAX (head_size, 1));
  if (!read_at (fd, path, 0, head, head_size, error) ||
      !vt_safetensors_parse_header (head, head_size, info.st_size, path, &tensors, &offsets, &metadata, error))
    return NULL;
  g_clear_pointer (&head, g_free);

  if (metadata == NULL || g_strcmp0 (g_hash_table_lookup (metadata, "format"), "vitrine feature store 1") != 0)
    return invalid (error, path, "its metadata lacks “format”: “vitrine feature store 1”");
  if (!(features = expect_tensor (tensors, offsets, path, "features", VT_DTYPE_F32, 2, &features_at, error)) ||
      !(labels = expect_tensor (tensors, offsets, path, "labels", VT_DTYPE_I64, 1, &labels_at, error)) ||
      !(indices = expect_tensor (tensors, offsets, path, "indices", VT_DTYPE_I64, 1, &indices_at, error)))
    return NULL;
  if (has_tensor (tensors, "logits") &&
      !(logits = expect_tensor (tensors, offsets, path, "logits", VT_DTYPE_F32, 2, &logits_at, error)))
    return NULL;
  /* Counts are guint here: a larger one used to be cut to its low 32 bits
   * and accepted. A zero-wide store would hand methods empty buffers. */
  if (features->shape[0] > G_MAXUINT)
    {
      g_autofree char *what = g_strdup_printf ("“features” holds %" G_GINT64_FORMAT " samples, more than the %u a "
                                               "store may hold; split the dataset", features->shape[0], G_MAXUINT);
      return invalid (error, path, what);
    }
  if (features->shape[1] == 0 || features->shape[1] > G_MAXUINT ||
      (logits && (logits->shape[1] == 0 || logits->shape[1] > G_MAXUINT)))
    {
      const VtTensor *t = features->shape[1] == 0 || features->shape[1] > G_MAXUINT ? features : logits;
      g_autofree char *what = g_strdup_printf ("“%s” is %" G_GINT64_FORMAT " wide; a store needs from 1 to %u values "
                                               "per sample (was it written by another program?)",
                                               t->name, t->shape[1], G_MAXUINT);
      return invalid (error, path, what);
    }
  n = (guint) features->shape[0];
  if (labels->shape[0] != n || indices->shape[0] != n || (logits && logits->shape[0] != n))
    return invalid (error, path, "features, labels, indices and logits differ in length");

  /* Every size here was checked against the file's own size by the parser. */
  self = vt_feature_store_new (n, (guint) features->shape[1], logits ? (guint) logits->shape[1] : 0);
  self->n_samples = n;
  if (!read_at (fd, path, features_at, self->features, features->nbytes, error) ||
      !read_at (fd, path, labels_at, self->labels, labels->nbytes, error) ||
      !read_at (fd, path, indices_at, self->indices, indices->nbytes, error) ||
      (logits && !read_at (fd, path, logits_at, self->logits, logits->nbytes, error)))
    return NULL;
  if (!metadata_strv (metadata, path, "class_names", &self->class_names, error))
    return NULL;
  if (self->class_names == NULL)
    return invalid (error, path, "its metadata lacks “class_names”");
  self->n_classes = g_strv_length (self->class_names);
  for (guint i = 0; i < n; i++)
    if (self->labels[i] < 0 || self->labels[i] >= self->n_classes)
      return invalid (error, path, "a label outside the class names");
  if (!metadata_strv (metadata, path, "skipped_first", &self->skipped, error))
    return NULL;
  samples = g_hash_table_lookup (metadata, "skipped_samples");
  self->n_skipped = samples ? (guint) g_ascii_strtoull (samples, NULL, 10) : 0;

  if (g_hash_table_lookup (metadata, "checkpoint_sha256"))
    {
      VtFeatureSource *s = self->source = g_new0 (VtFeatureSource, 1);
      const char *split = g_hash_table_lookup (metadata, "split");

      s->checkpoint = g_strdup (g_hash_table_lookup (metadata, "checkpoint"));
      s->checkpoint_sha256 = g_strdup (g_hash_table_lookup (metadata, "checkpoint_sha256"));
      s->config_sha256 = g_strdup (g_hash_table_lookup (metadata, "config_sha256"));
      s->dataset = g_strdup (g_hash_table_lookup (metadata, "dataset"));
      s->split = split && *split ? g_strdup (split) : NULL;
      s->dataset_fingerprint = g_strdup (g_hash_table_lookup (metadata, "dataset_fingerprint"));
      s->dataset_content = g_strdup (g_hash_table_lookup (metadata, "dataset_content_sha256"));
      samples = g_hash_table_lookup (metadata, "dataset_samples");
      s->dataset_samples = samples ? (guint) g_ascii_strtoull (samples, NULL, 10) : 0;
      s->transform = g_strdup (g_hash_table_lookup (metadata, "transform"));
    }
  /* Each row's sample in the dataset, whose image the Embedding area shows:
   * one outside it names no sample. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *what = NULL;

      if (self->indices[i] < 0)
        what = g_strdup_printf ("“indices”[%u] is %" G_GINT64_FORMAT "; a sample index is 0 or more",
                                i, self->indices[i]);
      else if (self->source != NULL && (guint64) self->indices[i] >= self->source->dataset_samples)
        what = g_strdup_printf ("“indices”[%u] is %" G_GINT64_FORMAT ", past the %u samples of the dataset "
                                "it was extracted from; extract the store again",
                                i, self->indices[i], self->source->dataset_samples);
      if (what != NULL)
        return invalid (error, path, what);
    }
  return g_steal_pointer (&self);
}

VtFeatureStore *
vt_feature_store_load (const char  *path,
                       GError     **error)
{
  /* Non-blocking, so that a FIFO given as a store cannot hang the open. */
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  VtFeatureStore *self;

  if (fd < 0)
    {
      int code = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code), "%s: cannot be read: %s", path,
                   g_strerror (code));
      return NULL;
    }
  self = load_from (fd, path, error);
  close (fd);
  return self;
}

/* Whether the store says everything a key needs. Stores from before the
 * content hash and config.json were kept lack them: they count as stale. */
static gboolean
has_source (VtFeatureStore *self)
{
  const VtFeatureSource *s = self->source;

  return s != NULL && s->checkpoint_sha256 != NULL && s->config_sha256 != NULL &&
         s->dataset_fingerprint != NULL && s->dataset_content != NULL && s->transform != NULL;
}

gboolean
vt_feature_store_is_from (VtFeatureStore        *self,
                          const VtFeatureSource *source)
{
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;

  if (!has_source (self))
    return FALSE;
  mine = source_key (self->source);
  theirs = source_key (source);
  return g_str_equal (mine, theirs);
}

gboolean
vt_feature_store_same_recipe (VtFeatureStore        *self,
                              const VtFeatureSource *source)
{
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;

  if (!has_source (self))
    return FALSE;
  mine = source_key_with (self->source, "");
  theirs = source_key_with (source, "");
  return g_str_equal (mine, theirs);
}

gboolean
vt_feature_store_has_content (VtFeatureStore        *self,
                              const VtFeatureSource *source,
                              const char            *content)
{
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;

  if (!has_source (self))
    return FALSE;
  mine = source_key_with (self->source, self->source->dataset_content);
  theirs = source_key_with (source, content);
  return g_str_equal (mine, theirs);
}

gint64
vt_feature_store_predict (const VtFeatureStore *self,
                          guint                 i,
                          double               *confidence)
{
  const float *logits;
  guint best = 0;
  double sum = 0;

  if (self->logits == NULL || self->n_logits == 0)
    {
      if (confidence != NULL)
        *confidence = NAN;
      return -1;
    }
  logits = self->logits + (gsize) i * self->n_logits;
  for (guint c = 1; c < self->n_logits; c++)
    if (logits[c] > logits[best])
      best = c;
  for (guint c = 0; c < self->n_logits; c++)
    sum += exp ((double) logits[c] - logits[best]);
  if (confidence != NULL)
    *confidence = 1 / sum;
  return best;
}

float *
vt_feature_store_gather (const VtFeatureStore *self,
                         const guint          *rows,
                         guint                 n)
{
  float *out = g_new (float, (gsize) MAX (n, 1) * self->dim);

  for (gsize i = 0; i < n; i++)
    memcpy (out + i * self->dim, self->features + (gsize) rows[i] * self->dim, self->dim * sizeof (float));
  return out;
}
