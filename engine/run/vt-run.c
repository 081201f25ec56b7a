/* vt-run.c: steps to files. */
#include "vt-run.h"
#include "vt-inspection.h"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (vt-run-error-quark, vt_run_error)

typedef struct
{
  VtSpec              *spec;
  const char          *output_dir;
  const VtRunOptions  *options;
  GCancellable        *cancellable;
  GString             *log;
  const char          *step_id;
} Run;

static void
emit (Run            *run,
      VtRunEventKind  kind,
      double          fraction,
      const char     *message)
{
  VtRunEvent event = { kind, run->step_id, fraction, message };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  if (kind != VT_RUN_EVENT_PROGRESS)
    g_string_append_printf (run->log, "%s %s %s%s%s\n", stamp, run->step_id ? run->step_id : "-",
                            kind == VT_RUN_EVENT_STEP ? "start " : kind == VT_RUN_EVENT_FILE ? "wrote " : "",
                            message ? message : "", kind == VT_RUN_EVENT_DONE ? "done" : "");
  if (run->options && run->options->on_event)
    run->options->on_event (&event, run->options->event_data);
}

gboolean
vt_run_write_file (const char  *path,
                   const char  *contents,
                   gssize       length,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0644, &local_error))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_output (Run         *run,
              const char  *name,
              const char  *contents,
              GError     **error)
{
  g_autofree char *path = g_build_filename (run->output_dir, name, NULL);

  if (!vt_run_write_file (path, contents, -1, error))
    return FALSE;
  emit (run, VT_RUN_EVENT_FILE, 1.0, name);
  return TRUE;
}

char *
vt_run_safe_file_name (const char *name)
{
  char *safe = g_strdup (name);

  for (char *p = safe; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  return safe;
}

static void
inspection_progress (double      fraction,
                     const char *message,
                     gpointer    user_data)
{
  emit (user_data, VT_RUN_EVENT_PROGRESS, fraction, message);
}

static JsonNode *
run_inspect (Run            *run,
             VtInspectStep  *step,
             GError        **error)
{
  g_autofree char *checkpoint = vt_spec_resolve_path (run->spec, step->checkpoint);
  g_autoptr(VtInspection) inspection = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_name = g_strdup_printf ("%s-tensors.csv", step->base.id);
  JsonArray *figures = json_array_new ();

  inspection = vt_inspection_run (checkpoint, step->bins, inspection_progress, run,
                                  run->cancellable, error);
  if (inspection == NULL)
    {
      json_array_unref (figures);
      return NULL;
    }

  node = vt_inspection_to_json (inspection);
  json_object_set_array_member (json_node_get_object (node), "figures", figures);

  for (guint i = 0; step->histograms[i]; i++)
    {
      int index = vt_inspection_find (inspection, step->histograms[i]);
      g_autofree char *safe = NULL;
      g_autofree char *base = NULL;
      g_autoptr(VtFigure) figure = NULL;

      if (index < 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_MISSING_TENSOR,
                       "%s: no tensor named “%s” for a histogram", checkpoint, step->histograms[i]);
          return NULL;
        }
      if (run->options == NULL || run->options->write_figure == NULL)
        continue;

      safe = vt_run_safe_file_name (vt_checkpoint_get_tensor (inspection->checkpoint, index)->name);
      base = g_strdup_printf ("figures/%s-histogram-%s", step->base.id, safe);
      figure = vt_figure_new_histogram (vt_checkpoint_get_tensor (inspection->checkpoint, index)->name,
                                        &inspection->stats[index].histogram);
      {
        g_autofree char *base_path = g_build_filename (run->output_dir, base, NULL);
        if (!run->options->write_figure (figure, base_path, step->formats,
                                         run->options->figure_data, error))
          return NULL;
      }
      for (guint f = VT_FIGURE_FORMAT_PNG; f <= VT_FIGURE_FORMAT_PDF; f <<= 1)
        if (step->formats & f)
          {
            g_autofree char *file = g_strdup_printf ("%s.%s", base, vt_figure_format_extension (f));
            json_array_add_string_element (figures, file);
            emit (run, VT_RUN_EVENT_FILE, 1.0, file);
          }
    }

  csv = vt_inspection_to_csv (inspection);
  if (!write_output (run, csv_name, csv, error))
    return NULL;
  json_object_set_string_member (json_node_get_object (node), "table", csv_name);
  return g_steal_pointer (&node);
}

static JsonNode *
run_step (Run      *run,
          VtStep   *step,
          GError  **error)
{
  switch (step->kind)
    {
    case VT_STEP_INSPECT:
      return run_inspect (run, (VtInspectStep *) step, error);
    default:
      g_return_val_if_reached (NULL);
    }
}

static gboolean
make_folders (const char  *output_dir,
              GError     **error)
{
  g_autofree char *figures = g_build_filename (output_dir, "figures", NULL);

  if (g_mkdir_with_parents (figures, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s: cannot create the results folder: %s",
                   output_dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
vt_run_execute (VtSpec              *spec,
                const char          *output_dir,
                const VtRunOptions  *options,
                GCancellable        *cancellable,
                GError             **error)
{
  Run run = { spec, output_dir, options, cancellable, g_string_new (NULL), NULL };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) started = g_date_time_new_now_local ();
  g_autofree char *started_text = g_date_time_format_iso8601 (started);
  g_autofree char *text = NULL;
  g_autofree char *log_path = g_build_filename (output_dir, "run.log", NULL);
  gboolean ok = FALSE;
  GError *step_error = NULL;

  if (!make_folders (output_dir, error))
    {
      g_string_free (run.log, TRUE);
      return FALSE;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "vitrine");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "started");
  json_builder_add_string_value (b, started_text);
  json_builder_set_member_name (b, "spec");
  json_builder_add_value (b, json_node_copy (spec->source));
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);

  for (guint i = 0; i < spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (spec->steps, i);
      JsonNode *result;

      run.step_id = step->id;
      emit (&run, VT_RUN_EVENT_STEP, 0.0, step->id);
      result = run_step (&run, step, &step_error);
      if (result == NULL)
        goto out;
      json_object_set_string_member (json_node_get_object (result), "id", step->id);
      json_builder_add_value (b, result);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  run.step_id = NULL;
  if (!write_output (&run, "results.json", text, &step_error))
    goto out;
  emit (&run, VT_RUN_EVENT_DONE, 1.0, NULL);
  ok = TRUE;

out:
  if (!ok)
    g_string_append_printf (run.log, "error: %s\n", step_error->message);
  /* The log is written even when the run failed: it is how one finds out why. */
  vt_run_write_file (log_path, run.log->str, (gssize) run.log->len, ok ? &step_error : NULL);
  g_string_free (run.log, TRUE);
  if (step_error)
    g_propagate_error (error, step_error);
  return ok && step_error == NULL;
}
