/* vt-embedding.c: choosing the samples, projecting, colouring, writing. */
#include "vt-embedding.h"
#include "report/vt-csv.h"
#include "vt-pca.h"
#include "core/vt-file-writer.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

void
vt_embedding_options_init (VtEmbeddingOptions *options)
{
  *options = (VtEmbeddingOptions) { .method = VT_EMBEDDING_TSNE, .dims = 2, .max_samples = 0 };
  vt_tsne_options_init (&options->tsne);
  vt_umap_options_init (&options->umap);
}

const char *
vt_embedding_method_name (VtEmbeddingMethod method)
{
  switch (method)
    {
    case VT_EMBEDDING_PCA: return "pca";
    case VT_EMBEDDING_TSNE: return "tsne";
    case VT_EMBEDDING_UMAP: return "umap";
    default: g_return_val_if_reached (NULL);
    }
}

guint *
vt_embedding_sample_rows (guint  n_samples,
                          guint  max_samples,
                          guint *n)
{
  guint count = max_samples > 0 ? MIN (max_samples, n_samples) : n_samples;
  guint stride = count > 0 ? n_samples / count : 1;
  guint *rows = g_new (guint, MAX (count, 1));

  for (guint i = 0; i < count; i++)
    rows[i] = i * stride;
  *n = count;
  return rows;
}

VtEmbedding *
vt_embedding_compute (VtFeatureStore            *store,
                      const VtEmbeddingOptions  *options,
                      const VtEventSink         *events,
                      GCancellable              *cancellable,
                      GError                   **error)
{
  guint n = 0, dim = store->dim;
  g_autofree guint *rows = vt_embedding_sample_rows (store->n_samples, options->max_samples, &n);

  if (options->method != VT_EMBEDDING_PCA && options->dims != 2)
    {
      g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_OPTIONS,
                   _("t-SNE and UMAP lay points out in 2 dimensions; asked for %u"), options->dims);
      return NULL;
    }

  g_autoptr(VtEmbedding) embedding = g_new0 (VtEmbedding, 1);
  embedding->store = vt_feature_store_ref (store);
  embedding->n = n;
  embedding->dims = options->dims;
  embedding->method = options->method;
  embedding->rows = g_steal_pointer (&rows);
  embedding->layout = g_new0 (float, (gsize) n * options->dims);

  g_autofree float *x = NULL;
  const float *features = store->features;
  if (n != store->n_samples)
    features = x = vt_feature_store_gather (store, embedding->rows, n);

  gint64 start = g_get_monotonic_time ();
  if (options->method == VT_EMBEDDING_PCA)
    {
      g_autoptr(VtPca) pca = vt_pca_fit (features, n, dim, options->dims, cancellable, error);

      if (pca == NULL)
        return NULL;
      vt_pca_transform (pca, features, n, embedding->layout);
      for (guint c = 0; c < options->dims; c++)
        embedding->explained_variance_ratio[c] = pca->explained_variance_ratio[c];
    }
  else if (options->method == VT_EMBEDDING_UMAP)
    {
      g_autoptr(VtUmapResult) umap = vt_umap_run (features, n, dim, &options->umap, events, cancellable,
                                                  error);

      if (umap == NULL)
        return NULL;
      memcpy (embedding->layout, umap->layout, sizeof (float) * 2 * n);
      embedding->iterations = umap->n_epochs;
      embedding->approximate_neighbors = umap->approximate_neighbors;
    }
  else
    {
      g_autoptr(VtTsneResult) tsne = vt_tsne_run (features, n, dim, &options->tsne, events, cancellable,
                                                  error);

      if (tsne == NULL)
        return NULL;
      memcpy (embedding->layout, tsne->layout, sizeof (float) * 2 * n);
      embedding->kl_divergence = tsne->kl_divergence;
      embedding->iterations = tsne->n_iterations;
      embedding->approximate_neighbors = tsne->approximate_neighbors;
    }
  embedding->seconds = (g_get_monotonic_time () - start) / 1e6;
  return g_steal_pointer (&embedding);
}

void
vt_embedding_free (VtEmbedding *embedding)
{
  if (embedding == NULL)
    return;
  g_clear_pointer (&embedding->store, vt_feature_store_unref);
  g_free (embedding->rows);
  g_free (embedding->layout);
  g_free (embedding);
}

gboolean
vt_embedding_color_available (VtFeatureStore   *store,
                              VtEmbeddingColor  color)
{
  return color == VT_EMBEDDING_COLOR_CLASS || store->logits != NULL;
}

gboolean
vt_embedding_color_is_ordered (VtEmbeddingColor color)
{
  return color == VT_EMBEDDING_COLOR_CONFIDENCE;
}

static const char *
class_name (VtFeatureStore *store, gint64 label)
{
  return label >= 0 && (guint64) label < store->n_classes && store->class_names ? store->class_names[label] : NULL;
}

guint
vt_embedding_default_task_classes (guint n_classes)
{
  return n_classes <= 20 ? 2 : 10;
}

char **
vt_embedding_categories (VtFeatureStore   *store,
                         const guint      *rows,
                         guint             n,
                         VtEmbeddingColor  color,
                         guint             classes_per_task,
                         guint            *categories,
                         guint            *n_names)
{
  GPtrArray *names = g_ptr_array_new ();

  switch (color)
    {
    case VT_EMBEDDING_COLOR_CLASS:
    case VT_EMBEDDING_COLOR_PREDICTION:
      for (guint c = 0; c < MAX (store->n_classes, store->n_logits); c++)
        {
          const char *name = class_name (store, c);
          g_ptr_array_add (names, name ? g_strdup (name) : g_strdup_printf ("%u", c));
        }
      for (guint i = 0; i < n; i++)
        {
          gint64 c = color == VT_EMBEDDING_COLOR_CLASS ? store->labels[rows[i]]
                                                       : vt_feature_store_predict (store, rows[i], NULL);
          categories[i] = CLAMP (c, 0, (gint64) names->len - 1);
        }
      break;
    case VT_EMBEDDING_COLOR_CORRECT:
      g_ptr_array_add (names, g_strdup (_("correct")));
      g_ptr_array_add (names, g_strdup (_("wrong")));
      for (guint i = 0; i < n; i++)
        categories[i] = vt_feature_store_predict (store, rows[i], NULL) != store->labels[rows[i]];
      break;
    case VT_EMBEDDING_COLOR_TASK:
      {
        guint step = classes_per_task > 0 ? classes_per_task : vt_embedding_default_task_classes (store->n_classes);
        guint n_tasks = MAX ((store->n_classes + step - 1) / step, 1);

        for (guint t = 0; t < n_tasks; t++)
          {
            /* Translators: a class-incremental task and the classes it holds */
            g_ptr_array_add (names, g_strdup_printf (_("task %u (classes %u–%u)"), t + 1, t * step,
                                                     MIN ((t + 1) * step, store->n_classes) - 1));
          }
        for (guint i = 0; i < n; i++)
          categories[i] = MIN ((guint) MAX (store->labels[rows[i]], 0) / step, n_tasks - 1);
      }
      break;
    case VT_EMBEDDING_COLOR_CONFIDENCE:
      for (guint b = 0; b < 10; b++)
        g_ptr_array_add (names, g_strdup_printf ("%.1f–%.1f", b / 10.0, (b + 1) / 10.0));
      for (guint i = 0; i < n; i++)
        {
          double confidence = 0;

          vt_feature_store_predict (store, rows[i], &confidence);
          categories[i] = isfinite (confidence) ? MIN ((guint) (confidence * 10), 9) : 0;
        }
      break;
    }
  *n_names = names->len;
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* Each export below is written row by row through a VtFileWriter: a
 * million points' tensors.tsv is over 600 MB of text, which must never be
 * one string in memory. */

/* Rows written between two looks at the cancellable: at 768 features a
 * row of the projector's tensors is a few microseconds of printf. */
#define CHECK_ROWS 64

static gboolean
export_cancelled (guint          row,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return row % CHECK_ROWS == 0 && g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* A class name for CSV: quoted when it holds a comma or a quote. */
gboolean
vt_embedding_write_csv (const VtEmbedding *embedding,
                        const char        *path,
                        GCancellable      *cancellable,
                        GError           **error)
{
  VtFeatureStore *store = embedding->store;
  gboolean with_logits = store->logits != NULL;
  g_autoptr(VtFileWriter) out = vt_file_writer_new (path, error);

  if (out == NULL)
    return FALSE;
  vt_file_writer_append (out, "sample,label,class");
  if (with_logits)
    vt_file_writer_append (out, ",prediction,predicted_class,confidence");
  vt_file_writer_append (out, embedding->dims == 3 ? ",x,y,z\n" : ",x,y\n");
  for (guint i = 0; i < embedding->n; i++)
    {
      guint row = embedding->rows[i];
      gint64 label = store->labels[row];
      const char *name = class_name (store, label);

      /* The writer, freed uncommitted, removes its temporary file. */
      if (export_cancelled (i, cancellable, error))
        return FALSE;
      vt_file_writer_printf (out, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",", store->indices[row], label);
      vt_csv_write_field (out, name ? name : "");
      if (with_logits)
        {
          double confidence = 0;
          gint64 predicted = vt_feature_store_predict (store, row, &confidence);
          const char *predicted_name = class_name (store, predicted);

          vt_file_writer_printf (out, ",%" G_GINT64_FORMAT ",", predicted);
          vt_csv_write_field (out, predicted_name ? predicted_name : "");
          vt_file_writer_printf (out, ",%.6f", confidence);
        }
      for (guint c = 0; c < embedding->dims; c++)
        vt_file_writer_printf (out, ",%.9g", embedding->layout[(gsize) i * embedding->dims + c]);
      vt_file_writer_putc (out, '\n');
    }
  return vt_file_writer_commit (out, error);
}

/* Reading a layout back: the columns x, y[, z] found by the header. */
typedef struct
{
  const char *path;
  guint       dims;
  int         columns[3];
  GArray     *layout;     /* float */
} LayoutReader;

static gboolean
read_layout_row (guint          row,
                 guint          n_fields,
                 char * const  *fields,
                 gpointer       data,
                 GError       **error)
{
  static const char * const names[] = { "x", "y", "z" };
  LayoutReader *reader = data;

  if (row == 0)
    {
      for (guint c = 0; c < reader->dims; c++)
        {
          reader->columns[c] = -1;
          for (guint i = 0; i < n_fields; i++)
            if (g_str_equal (fields[i], names[c]))
              reader->columns[c] = (int) i;
          if (reader->columns[c] < 0)
            {
              g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                           "%s: no column “%s” for a layout in %u dimensions", reader->path, names[c], reader->dims);
              return FALSE;
            }
        }
      return TRUE;
    }
  for (guint c = 0; c < reader->dims; c++)
    {
      const char *text;
      char *end = NULL;
      float value;

      if ((guint) reader->columns[c] >= n_fields)
        {
          g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT, "%s: row %u is short", reader->path, row);
          return FALSE;
        }
      text = fields[reader->columns[c]];
      value = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (value))
        {
          g_set_error (error, VT_PROJECTION_ERROR, VT_PROJECTION_ERROR_INPUT,
                       "%s: row %u, column %s: “%s” is not a finite number", reader->path, row, names[c], text);
          return FALSE;
        }
      g_array_append_val (reader->layout, value);
    }
  return TRUE;
}

float *
vt_embedding_read_layout (const char  *path,
                          guint        dims,
                          guint       *n,
                          GError     **error)
{
  g_autoptr(GArray) layout = g_array_new (FALSE, FALSE, sizeof (float));
  LayoutReader reader = { path, dims, { -1, -1, -1 }, layout };

  g_return_val_if_fail (dims == 2 || dims == 3, NULL);
  *n = 0;
  if (!vt_csv_read (path, read_layout_row, &reader, error))
    return NULL;
  *n = layout->len / dims;
  return (float *) g_array_free (g_steal_pointer (&layout), FALSE);
}

/* Tabs and newlines would break the TSV; they become spaces. */
static void
append_tsv_field (VtFileWriter *out, const char *text)
{
  for (const char *p = text; *p; p++)
    vt_file_writer_putc (out, *p == '\t' || *p == '\n' ? ' ' : *p);
}

gboolean
vt_embedding_write_projector (const VtEmbedding *embedding,
                              const char        *tensors_path,
                              const char        *metadata_path,
                              GCancellable      *cancellable,
                              GError           **error)
{
  VtFeatureStore *store = embedding->store;
  gboolean with_logits = store->logits != NULL;
  g_autoptr(VtFileWriter) tensors = vt_file_writer_new (tensors_path, error);
  g_autoptr(VtFileWriter) metadata = NULL;

  if (tensors == NULL || !(metadata = vt_file_writer_new (metadata_path, error)))
    return FALSE;
  vt_file_writer_append (metadata, with_logits ? "class\tlabel\tpredicted_class\n" : "class\tlabel\n");
  for (guint i = 0; i < embedding->n; i++)
    {
      guint row = embedding->rows[i];
      const float *features = store->features + (gsize) row * store->dim;
      const char *name = class_name (store, store->labels[row]);

      if (export_cancelled (i, cancellable, error))
        return FALSE;
      for (guint j = 0; j < store->dim; j++)
        vt_file_writer_printf (tensors, j ? "\t%.7g" : "%.7g", features[j]);
      vt_file_writer_putc (tensors, '\n');
      append_tsv_field (metadata, name ? name : "");
      vt_file_writer_printf (metadata, "\t%" G_GINT64_FORMAT, store->labels[row]);
      if (with_logits)
        {
          const char *predicted = class_name (store, vt_feature_store_predict (store, row, NULL));
          vt_file_writer_putc (metadata, '\t');
          append_tsv_field (metadata, predicted ? predicted : "");
        }
      vt_file_writer_putc (metadata, '\n');
    }
  return vt_file_writer_commit (tensors, error) && vt_file_writer_commit (metadata, error);
}

gboolean
vt_embedding_write_selection (const VtEmbedding *embedding,
                              VtDataset         *dataset,
                              const guint       *points,
                              guint              n_points,
                              const char        *path,
                              GError           **error)
{
  VtFeatureStore *store = embedding->store;
  g_autoptr(VtFileWriter) out = vt_file_writer_new (path, error);

  if (out == NULL)
    return FALSE;
  vt_file_writer_append (out, store->logits ? "sample,path,label,class,predicted_class,confidence\n"
                                            : "sample,path,label,class\n");

  for (guint a = 0; a < n_points; a++)
    {
      guint row = embedding->rows[points[a]];
      gint64 index = store->indices[row];
      const char *name = class_name (store, store->labels[row]);
      g_autofree char *file = dataset && index >= 0 && (guint64) index < dataset->n_samples
                              ? vt_dataset_sample_name (dataset, index) : g_strdup ("");

      vt_file_writer_printf (out, "%" G_GINT64_FORMAT ",", index);
      vt_csv_write_field (out, file);
      vt_file_writer_printf (out, ",%" G_GINT64_FORMAT ",", store->labels[row]);
      vt_csv_write_field (out, name ? name : "");
      if (store->logits)
        {
          double confidence = 0;
          const char *predicted = class_name (store, vt_feature_store_predict (store, row, &confidence));

          vt_file_writer_putc (out, ',');
          vt_csv_write_field (out, predicted ? predicted : "");
          vt_file_writer_printf (out, ",%.6f", confidence);
        }
      vt_file_writer_putc (out, '\n');
    }
  return vt_file_writer_commit (out, error);
}
