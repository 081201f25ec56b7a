/* vt-label-export.c: labels as a list dataset, CSV or JSON. */
#include "vt-label-export.h"
#include "vt-active-learner.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Sample @d's file as an absolute path and its class name, or FALSE. */
static gboolean
entry (const VtLabelDecision  *d,
       VtDataset              *dataset,
       const char * const     *class_names,
       guint                   n_classes,
       char                  **path,
       const char            **label,
       GError                **error)
{
  const char *file;

  if (d->sample < 0 || d->sample >= dataset->n_samples || d->label >= n_classes)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s: sample %" G_GINT64_FORMAT " (label %" G_GINT64_FORMAT ") is not in the dataset's %u samples "
                   "and %u classes", dataset->path, d->sample, d->label, dataset->n_samples, n_classes);
      return FALSE;
    }
  if ((file = vt_dataset_sample_file (dataset, (guint) d->sample)) == NULL)
    {
      g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                   "%s: its samples have no files of their own (%s), so a list of paths cannot name them",
                   dataset->path, dataset->format);
      return FALSE;
    }
  *path = g_canonicalize_filename (file, NULL);
  *label = class_names[d->label];
  return TRUE;
}

char *
vt_label_export_csv (const VtLabelDecision  *decisions,
                     guint                   n,
                     VtDataset              *dataset,
                     const char * const     *class_names,
                     guint                   n_classes,
                     GError                **error)
{
  g_autoptr(GString) csv = g_string_new ("path,label\n");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = NULL;
      const char *label;

      if (decisions[i].label == VT_LABEL_SKIP)
        continue;
      if (!entry (&decisions[i], dataset, class_names, n_classes, &path, &label, error))
        return NULL;
      if (strpbrk (path, ",\r\n") || strpbrk (label, ",\r\n"))
        {
          g_set_error (error, VT_ACTIVE_ERROR, VT_ACTIVE_ERROR_INVALID,
                       "%s (label “%s”) holds a comma or a line break, which a path,label list cannot: export JSON",
                       path, label);
          return NULL;
        }
      g_string_append_printf (csv, "%s,%s\n", path, label);
    }
  return g_string_free (g_steal_pointer (&csv), FALSE);
}

char *
vt_label_export_json (const VtLabelDecision  *decisions,
                      guint                   n,
                      VtDataset              *dataset,
                      const char * const     *class_names,
                      guint                   n_classes,
                      GError                **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = NULL;
      const char *label;

      if (decisions[i].label == VT_LABEL_SKIP)
        continue;
      if (!entry (&decisions[i], dataset, class_names, n_classes, &path, &label, error))
        return NULL;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, path);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, label);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}
