/* vt-feature-store.c: feature stores in memory and as safetensors files. */
#include "vt-feature-store.h"
#include "io/vt-safetensors.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-feature-store-error-quark, vt_feature_store_error)

VtFeatureSource *
vt_feature_source_new (VtCheckpoint      *checkpoint,
                       VtDataset         *dataset,
                       const VtTransform *transform)
{
  VtFeatureSource *source = g_new0 (VtFeatureSource, 1);

  const char *config = vt_checkpoint_get_config_path (checkpoint);
  g_autofree char *config_text = NULL;
  gsize config_length = 0;

  source->checkpoint = g_strdup (vt_checkpoint_get_path (checkpoint));
  source->checkpoint_sha256 = vt_checkpoint_sha256 (checkpoint);
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
  source->dataset_fingerprint = vt_dataset_fingerprint (dataset);
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
  VtFeatureStore *self = g_new0 (VtFeatureStore, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->dim = dim;
  self->n_logits = n_logits;
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

static char **
strv_from_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) strv = g_ptr_array_new ();
  JsonArray *array;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *s = json_node_get_string (json_array_get_element (array, i));
      if (s == NULL)
        {
          g_ptr_array_set_free_func (strv, g_free);
          return NULL;
        }
      g_ptr_array_add (strv, g_strdup (s));
    }
  g_ptr_array_add (strv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&strv), FALSE);
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

/* The tensor @name as (rows[, columns]) of @dtype, or an error. */
static const VtTensor *
expect_tensor (VtCheckpoint  *file,
               const char    *path,
               const char    *name,
               VtDType        dtype,
               guint          ndim,
               GError       **error)
{
  const VtTensor *t = vt_checkpoint_lookup (file, name);
  g_autofree char *what = NULL;

  if (t != NULL && t->dtype == dtype && t->ndim == ndim)
    return t;
  what = g_strdup_printf ("“%s” must be a %u-d %s tensor", name, ndim, vt_dtype_name (dtype));
  return invalid (error, path, what);
}

VtFeatureStore *
vt_feature_store_load (const char  *path,
                       GError     **error)
{
  g_autoptr(VtCheckpoint) file = vt_checkpoint_open (path, error);
  g_autoptr(VtFeatureStore) self = NULL;
  const VtTensor *features, *labels, *indices, *logits = NULL;
  GHashTable *metadata;
  const char *samples;
  guint n;

  if (file == NULL)
    return NULL;
  metadata = vt_checkpoint_get_metadata (file);
  if (metadata == NULL || g_strcmp0 (g_hash_table_lookup (metadata, "format"), "vitrine feature store 1") != 0)
    return invalid (error, path, "its metadata lacks “format”: “vitrine feature store 1”");
  if (!(features = expect_tensor (file, path, "features", VT_DTYPE_F32, 2, error)) ||
      !(labels = expect_tensor (file, path, "labels", VT_DTYPE_I64, 1, error)) ||
      !(indices = expect_tensor (file, path, "indices", VT_DTYPE_I64, 1, error)))
    return NULL;
  if (vt_checkpoint_lookup (file, "logits") &&
      !(logits = expect_tensor (file, path, "logits", VT_DTYPE_F32, 2, error)))
    return NULL;
  n = (guint) features->shape[0];
  if (labels->shape[0] != n || indices->shape[0] != n || (logits && logits->shape[0] != n))
    return invalid (error, path, "features, labels, indices and logits differ in length");

  self = vt_feature_store_new (n, (guint) features->shape[1], logits ? (guint) logits->shape[1] : 0);
  self->n_samples = n;
  memcpy (self->features, features->data, features->nbytes);
  memcpy (self->labels, labels->data, labels->nbytes);
  memcpy (self->indices, indices->data, indices->nbytes);
  if (logits)
    memcpy (self->logits, logits->data, logits->nbytes);
  self->class_names = strv_from_json (g_hash_table_lookup (metadata, "class_names"));
  if (self->class_names == NULL)
    return invalid (error, path, "“class_names” in its metadata is not a JSON array of strings");
  self->n_classes = g_strv_length (self->class_names);
  for (guint i = 0; i < n; i++)
    if (self->labels[i] < 0 || self->labels[i] >= self->n_classes)
      return invalid (error, path, "a label outside the class names");
  self->skipped = strv_from_json (g_hash_table_lookup (metadata, "skipped_first"));
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
  return g_steal_pointer (&self);
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
