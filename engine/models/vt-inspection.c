/* vt-inspection.c: statistics of every tensor, and their JSON/CSV forms. */
#include "vt-inspection.h"
#include "report/vt-csv.h"

#include <math.h>

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
  if (!vt_checkpoint_check (self->checkpoint, error))
    return NULL;
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
  json_builder_end_object (b);
  return json_builder_get_root (b);
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
