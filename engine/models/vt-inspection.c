/* vt-inspection.c: statistics of every tensor, and their JSON/CSV forms. */
#include "vt-inspection.h"
#include "models/vt-model.h"
#include "report/vt-csv.h"

#include <math.h>

G_DEFINE_QUARK (vt-inspection-error-quark, vt_inspection_error)

/* The layer list, or why there is none: a model without a forward pass is
 * still inspected. */
static void
list_layers (VtInspection *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtModel) model = vt_model_new (self->checkpoint, &error);

  if (model != NULL)
    self->layers = vt_layer_list_new (model, 0, 0, &error);
  if (self->layers == NULL)
    self->layers_unavailable = g_strdup (error->message);
}

VtInspection *
vt_inspection_run (const char      *path,
                   guint            n_bins,
                   const VtEventSink *events,
                   GCancellable    *cancellable,
                   GError         **error)
{
  g_autoptr(VtInspection) self = g_new0 (VtInspection, 1);
  guint64 total_bytes = 0, done_bytes = 0;

  vt_event_emit_progress (events, 0.0, "Opening", 0, -1);
  self->checkpoint = vt_checkpoint_open (path, error);
  if (self->checkpoint == NULL)
    return NULL;
  self->architecture = vt_architecture_recognize (self->checkpoint);
  self->n_parameters = vt_checkpoint_count_parameters (self->checkpoint);
  self->n_tensors = vt_checkpoint_get_n_tensors (self->checkpoint);
  self->stats = g_new0 (VtTensorStats, self->n_tensors);

  for (guint i = 0; i < self->n_tensors; i++)
    total_bytes += vt_checkpoint_get_tensor (self->checkpoint, i)->nbytes;

  for (guint i = 0; i < self->n_tensors; i++)
    {
      const VtTensor *tensor = vt_checkpoint_get_tensor (self->checkpoint, i);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      vt_tensor_stats_compute (tensor, n_bins, &self->stats[i]);
      done_bytes += tensor->nbytes;
      vt_event_emit_progress (events, total_bytes ? (double) done_bytes / total_bytes : 1.0, tensor->name, 0, -1);
    }
  /* Statistics of a file cut short while they were computed are of zeros. */
  if (!vt_checkpoint_check (self->checkpoint, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  vt_event_emit_progress (events, 1.0, "Layers", 0, -1);
  list_layers (self);
  return g_steal_pointer (&self);
}

void
vt_inspection_free (VtInspection *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; self->stats && i < self->n_tensors; i++)
    vt_tensor_stats_clear (&self->stats[i]);
  g_free (self->stats);
  g_clear_pointer (&self->architecture, vt_architecture_free);
  g_clear_pointer (&self->layers, vt_layer_list_free);
  g_free (self->layers_unavailable);
  g_clear_pointer (&self->checkpoint, vt_checkpoint_unref);
  g_free (self);
}

int
vt_inspection_find (VtInspection *self,
                    const char   *name)
{
  g_autofree char *prefixed = g_strconcat (self->architecture->prefix, name, NULL);

  for (guint i = 0; i < self->n_tensors; i++)
    {
      const char *tensor_name = vt_checkpoint_get_tensor (self->checkpoint, i)->name;
      if (g_str_equal (tensor_name, name) || g_str_equal (tensor_name, prefixed))
        return (int) i;
    }
  return -1;
}

/* JSON has no NaN: a statistic of a tensor without finite values is null. */
static void
add_double (JsonBuilder *b,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_shape (JsonBuilder    *b,
           const VtTensor *tensor)
{
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  for (guint d = 0; d < tensor->ndim; d++)
    json_builder_add_int_value (b, tensor->shape[d]);
  json_builder_end_array (b);
}

static void
add_summary (JsonBuilder  *b,
             VtInspection *self)
{
  guint dtype_tensors[VT_N_DTYPES] = { 0 };
  GHashTable *metadata = vt_checkpoint_get_metadata (self->checkpoint);
  GHashTableIter iter;
  gpointer key, value;

  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, vt_checkpoint_get_path (self->checkpoint));
  json_builder_set_member_name (b, "file_size");
  json_builder_add_int_value (b, (gint64) vt_checkpoint_get_file_size (self->checkpoint));
  json_builder_set_member_name (b, "shards");
  json_builder_add_int_value (b, vt_checkpoint_get_n_shards (self->checkpoint));
  json_builder_set_member_name (b, "tensors");
  json_builder_add_int_value (b, self->n_tensors);
  json_builder_set_member_name (b, "parameters");
  json_builder_add_int_value (b, (gint64) self->n_parameters);

  for (guint i = 0; i < self->n_tensors; i++)
    dtype_tensors[vt_checkpoint_get_tensor (self->checkpoint, i)->dtype]++;
  json_builder_set_member_name (b, "dtypes");
  json_builder_begin_object (b);
  for (guint d = 0; d < VT_N_DTYPES; d++)
    if (dtype_tensors[d] > 0)
      {
        json_builder_set_member_name (b, vt_dtype_name (d));
        json_builder_add_int_value (b, dtype_tensors[d]);
      }
  json_builder_end_object (b);

  if (vt_checkpoint_get_config_path (self->checkpoint))
    {
      json_builder_set_member_name (b, "config");
      json_builder_add_string_value (b, vt_checkpoint_get_config_path (self->checkpoint));
    }
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (b, key);
      json_builder_add_string_value (b, value);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_architecture (JsonBuilder          *b,
                  const VtArchitecture *arch)
{
  g_autoptr(GPtrArray) rows = vt_architecture_describe (arch);

  json_builder_set_member_name (b, "architecture");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, arch->family_name);
  for (guint i = 0; i < rows->len; i++)
    {
      const VtArchParam *row = g_ptr_array_index (rows, i);
      guint64 number;

      json_builder_set_member_name (b, row->key);
      /* Counts are numbers in JSON; names and lists stay strings. */
      if (g_ascii_string_to_unsigned (row->value, 10, 0, G_MAXINT64, &number, NULL))
        json_builder_add_int_value (b, (gint64) number);
      else
        json_builder_add_string_value (b, row->value);
    }
  if (arch->class_names)
    {
      json_builder_set_member_name (b, "class_names");
      json_builder_begin_array (b);
      for (guint i = 0; arch->class_names[i]; i++)
        json_builder_add_string_value (b, arch->class_names[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

JsonNode *
vt_inspection_to_json (VtInspection *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_summary (b, self);
  add_architecture (b, self->architecture);
  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (self->checkpoint, i);
      const VtTensorStats *s = &self->stats[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, t->name);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, vt_dtype_name (t->dtype));
      add_shape (b, t);
      json_builder_set_member_name (b, "elements");
      json_builder_add_int_value (b, (gint64) t->numel);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) t->nbytes);
      add_double (b, "min", s->min);
      add_double (b, "max", s->max);
      add_double (b, "mean", s->mean);
      add_double (b, "std", s->std);
      json_builder_set_member_name (b, "nan");
      json_builder_add_int_value (b, (gint64) s->n_nan);
      json_builder_set_member_name (b, "inf");
      json_builder_add_int_value (b, (gint64) s->n_inf);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (self->layers)
    {
      json_builder_set_member_name (b, "layers");
      json_builder_add_value (b, vt_layer_list_to_json (self->layers));
    }
  else if (self->layers_unavailable)
    {
      json_builder_set_member_name (b, "layers_unavailable");
      json_builder_add_string_value (b, self->layers_unavailable);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
vt_inspection_add_histograms (VtInspection *self,
                              JsonNode     *json)
{
  JsonArray *tensors = json_object_get_array_member (json_node_get_object (json), "tensors");

  g_return_if_fail (json_array_get_length (tensors) == self->n_tensors);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      const VtHistogram *h = &self->stats[i].histogram;
      JsonObject *histogram = json_object_new ();
      JsonArray *counts = json_array_new ();

      /* An empty histogram (no finite value) has no range: JSON has no NaN. */
      if (isfinite (h->lo) && isfinite (h->hi))
        {
          json_object_set_double_member (histogram, "lo", h->lo);
          json_object_set_double_member (histogram, "hi", h->hi);
        }
      else
        {
          json_object_set_null_member (histogram, "lo");
          json_object_set_null_member (histogram, "hi");
        }
      for (guint b = 0; b < h->n_bins; b++)
        json_array_add_int_element (counts, (gint64) h->counts[b]);
      json_object_set_array_member (histogram, "counts", counts);
      json_object_set_object_member (json_array_get_object_element (tensors, i), "histogram", histogram);
    }
}

/* Reading back ----------------------------------------------------------------*/

static gboolean
bad_key (GError     **error,
         const char  *where,
         const char  *key,
         const char  *what)
{
  g_set_error (error, VT_INSPECTION_ERROR, VT_INSPECTION_ERROR_JSON, "%s: %s %s", where, key, what);
  return FALSE;
}

/* A number (json-glib reads 0.0 written as "0" back as an integer), or
 * null for a statistic without finite values: NaN. */
static gboolean
get_double (JsonObject  *object,
            const char  *key,
            const char  *where,
            double      *value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    *value = NAN;
  else if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
           (json_node_get_value_type (node) == G_TYPE_DOUBLE || json_node_get_value_type (node) == G_TYPE_INT64))
    *value = json_node_get_double (node);
  else
    return bad_key (error, where, key, "is missing or not a number");
  return TRUE;
}

static gboolean
get_count (JsonObject  *object,
           const char  *key,
           const char  *where,
           guint64      max,
           guint64     *value,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0 || (guint64) json_node_get_int (node) > max)
    {
      g_autofree char *what = g_strdup_printf ("is missing or not a count from 0 to %" G_GUINT64_FORMAT, max);
      return bad_key (error, where, key, what);
    }
  *value = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
read_histogram (JsonObject     *entry,
                const char     *where,
                guint64         elements,
                VtHistogram    *h,
                GError        **error)
{
  JsonNode *node = json_object_get_member (entry, "histogram");
  g_autofree char *inner = g_strdup_printf ("%s.histogram", where);
  JsonObject *histogram;
  JsonArray *counts;
  guint64 total = 0;

  if (node == NULL)
    return TRUE;   /* written without histograms: none shown */
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_key (error, where, "histogram", "is not an object");
  histogram = json_node_get_object (node);
  if (!get_double (histogram, "lo", inner, &h->lo, error) || !get_double (histogram, "hi", inner, &h->hi, error))
    return FALSE;
  node = json_object_get_member (histogram, "counts");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad_key (error, inner, "counts", "is missing or not a list");
  counts = json_node_get_array (node);
  /* The step takes 2 to 4096 bins. */
  if (json_array_get_length (counts) > 4096)
    return bad_key (error, inner, "counts", "has more than 4096 bins");
  h->n_bins = json_array_get_length (counts);
  h->counts = g_new0 (guint64, MAX (h->n_bins, 1));
  for (guint b = 0; b < h->n_bins; b++)
    {
      JsonNode *count = json_array_get_element (counts, b);

      if (!JSON_NODE_HOLDS_VALUE (count) || json_node_get_value_type (count) != G_TYPE_INT64 ||
          json_node_get_int (count) < 0)
        return bad_key (error, inner, "counts", "holds something other than counts");
      h->counts[b] = (guint64) json_node_get_int (count);
      total += h->counts[b];
    }
  if (total > elements)
    return bad_key (error, inner, "counts", "add up to more than the tensor's elements");
  return TRUE;
}

/* "layers" or "layers_unavailable"; an inspection written before either
 * existed has neither, and shows none. */
static gboolean
read_layers (VtInspection  *self,
             JsonObject    *object,
             const char    *where,
             GError       **error)
{
  JsonNode *unavailable = json_object_get_member (object, "layers_unavailable");
  g_autofree char *inner = g_strdup_printf ("%s: layers", where);

  if (json_object_has_member (object, "layers"))
    {
      self->layers = vt_layer_list_new_from_json (json_object_get_member (object, "layers"), inner, error);
      return self->layers != NULL;
    }
  if (unavailable != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (unavailable) || json_node_get_value_type (unavailable) != G_TYPE_STRING)
        return bad_key (error, where, "layers_unavailable", "is not a string");
      self->layers_unavailable = g_strdup (json_node_get_string (unavailable));
    }
  return TRUE;
}

VtInspection *
vt_inspection_new_from_json (VtCheckpoint *checkpoint,
                             JsonNode     *json,
                             const char   *where,
                             GError      **error)
{
  g_autoptr(VtInspection) self = g_new0 (VtInspection, 1);
  JsonNode *tensors_node = JSON_NODE_HOLDS_OBJECT (json) ? json_object_get_member (json_node_get_object (json), "tensors")
                                                         : NULL;
  JsonArray *tensors;

  if (tensors_node == NULL || !JSON_NODE_HOLDS_ARRAY (tensors_node))
    {
      bad_key (error, where, "tensors", "is missing or not a list: not an inspection");
      return NULL;
    }
  tensors = json_node_get_array (tensors_node);
  self->checkpoint = vt_checkpoint_ref (checkpoint);
  self->n_tensors = vt_checkpoint_get_n_tensors (checkpoint);
  if (json_array_get_length (tensors) != self->n_tensors)
    {
      g_set_error (error, VT_INSPECTION_ERROR, VT_INSPECTION_ERROR_MISMATCH,
                   "%s: an inspection of %u tensors, but %s has %u: the checkpoint changed since; inspect it again",
                   where, json_array_get_length (tensors), vt_checkpoint_get_path (checkpoint), self->n_tensors);
      return NULL;
    }
  self->architecture = vt_architecture_recognize (checkpoint);
  self->n_parameters = vt_checkpoint_count_parameters (checkpoint);
  self->stats = g_new0 (VtTensorStats, self->n_tensors);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      const VtTensor *tensor = vt_checkpoint_get_tensor (checkpoint, i);
      JsonNode *node = json_array_get_element (tensors, i);
      g_autofree char *entry_where = g_strdup_printf ("%s: tensors[%u]", where, i);
      VtTensorStats *s = &self->stats[i];
      JsonObject *entry;
      JsonNode *name;
      guint64 elements, n_nan, n_inf;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          bad_key (error, entry_where, "the entry", "is not an object");
          return NULL;
        }
      entry = json_node_get_object (node);
      name = json_object_get_member (entry, "name");
      if (name == NULL || !JSON_NODE_HOLDS_VALUE (name) || json_node_get_value_type (name) != G_TYPE_STRING ||
          !g_str_equal (json_node_get_string (name), tensor->name))
        {
          g_set_error (error, VT_INSPECTION_ERROR, VT_INSPECTION_ERROR_MISMATCH,
                       "%s is not “%s”, the tensor %u of %s: the checkpoint changed since; inspect it again",
                       entry_where, tensor->name, i, vt_checkpoint_get_path (checkpoint));
          return NULL;
        }
      if (!get_count (entry, "elements", entry_where, G_MAXINT64, &elements, error) ||
          !get_count (entry, "nan", entry_where, elements, &n_nan, error) ||
          !get_count (entry, "inf", entry_where, elements - n_nan, &n_inf, error) ||
          !get_double (entry, "min", entry_where, &s->min, error) ||
          !get_double (entry, "max", entry_where, &s->max, error) ||
          !get_double (entry, "mean", entry_where, &s->mean, error) ||
          !get_double (entry, "std", entry_where, &s->std, error) ||
          !read_histogram (entry, entry_where, elements, &s->histogram, error))
        return NULL;
      if (elements != tensor->numel)
        {
          g_set_error (error, VT_INSPECTION_ERROR, VT_INSPECTION_ERROR_MISMATCH,
                       "%s: “%s” has %" G_GUINT64_FORMAT " elements, in %s %" G_GSIZE_FORMAT
                       ": the checkpoint changed since; inspect it again",
                       entry_where, tensor->name, elements, vt_checkpoint_get_path (checkpoint), tensor->numel);
          return NULL;
        }
      s->count = tensor->numel;
      s->n_nan = n_nan;
      s->n_inf = n_inf;
      s->n_finite = elements - n_nan - n_inf;
    }
  return read_layers (self, json_node_get_object (json), where, error) ? g_steal_pointer (&self) : NULL;
}

static void
append_csv_double (GString *s,
                   double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (s, ',');
  if (isfinite (value))
    g_string_append (s, g_ascii_dtostr (buffer, sizeof buffer, value));
}

char *
vt_inspection_to_csv (VtInspection *self)
{
  GString *s = g_string_new ("name,dtype,shape,elements,bytes,min,max,mean,std,nan,inf\n");

  for (guint i = 0; i < self->n_tensors; i++)
    {
      const VtTensor *t = vt_checkpoint_get_tensor (self->checkpoint, i);
      const VtTensorStats *st = &self->stats[i];
      g_autofree char *shape = vt_tensor_format_shape (t);

      vt_csv_append_field (s, t->name);
      g_string_append_printf (s, ",%s,", vt_dtype_name (t->dtype));
      vt_csv_append_field (s, shape);
      g_string_append_printf (s, ",%" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT, t->numel, t->nbytes);
      append_csv_double (s, st->min);
      append_csv_double (s, st->max);
      append_csv_double (s, st->mean);
      append_csv_double (s, st->std);
      g_string_append_printf (s, ",%" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT "\n", st->n_nan, st->n_inf);
    }
  return g_string_free (s, FALSE);
}
