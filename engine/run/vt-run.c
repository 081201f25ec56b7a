/* vt-run.c: a spec's steps to a results folder: the run around the steps
 * (results.json, run.log, metrics.csv, figures, events) and the helpers the
 * step kinds' executors share (run/vt-run-steps.h; the executors are in
 * run/steps/vt-step-<kind>.c). */
#include "vt-run.h"
#include "vt-run-steps.h"
#include "models/vt-inspection.h"
#include "vt-step-memory.h"
#include "core/vt-blas.h"
#include "core/vt-parallel.h"
#include "core/vt-atomic-file.h"
#include "core/vt-file-writer.h"
#include "features/vt-extractor.h"
#include "methods/cil/vt-cil-run.h"
#include "methods/projection/vt-embedding-quality.h"
#include "io/vt-safetensors.h"
#include "models/vt-model.h"
#include "models/vt-predict.h"
#include "io/vt-file.h"
#include "report/vt-csv.h"
#include "report/vt-report.h"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_QUARK (vt-run-error-quark, vt_run_error)

typedef struct _VtRunContext Run;

#define METRICS_HEADER "step,method,stage,classes_seen,seen_accuracy\n"

/* Hands @event to the caller's sink, if it has one. */
void
vt_run_dispatch (Run     *run,
                 VtEvent *event)
{
  event->step = run->step_id;
  if (run->options)
    vt_event_emit (&run->options->events, event);
}

/* A step, progress, file or done event; all but progress go to run.log. */
void
vt_run_emit (Run         *run,
             VtEventKind  kind,
             double       fraction,
             const char  *message)
{
  VtEvent event = { .kind = kind, .fraction = fraction, .message = message, .seconds_left = -1 };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *table = NULL;

  if (kind == VT_EVENT_FILE)
    {
      event.path = message;
      event.message = NULL;
      /* A CSV is a table: named by its file, less ".csv" ("evaluate-confusion"). */
      if (g_str_has_suffix (message, ".csv"))
        {
          g_autofree char *base = g_path_get_basename (message);

          table = g_strndup (base, strlen (base) - strlen (".csv"));
          event.kind = VT_EVENT_TABLE;
          event.name = table;
        }
    }
  if (kind != VT_EVENT_PROGRESS)
    g_string_append_printf (run->log, "%s %s %s%s%s\n", stamp, run->step_id ? run->step_id : "-",
                            kind == VT_EVENT_STEP ? "start " : kind == VT_EVENT_FILE ? "wrote " : "",
                            message ? message : "", kind == VT_EVENT_DONE ? "done" : "");
  vt_run_dispatch (run, &event);
}

gboolean
vt_run_write_file (const char  *path,
                   const char  *contents,
                   gssize       length,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!vt_atomic_file_write (path, contents, length < 0 ? strlen (contents) : (gsize) length, &local_error))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vt_run_write_output (Run         *run,
                     const char  *name,
                     const char  *contents,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (run->output_dir, name, NULL);

  if (!vt_run_write_file (path, contents, -1, error))
    return FALSE;
  vt_run_emit (run, VT_EVENT_FILE, 1.0, name);
  return TRUE;
}

char *
vt_run_new_folder (const char  *parent,
                   const char  *name,
                   GError     **error)
{
  int saved;

  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      saved = errno;
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s: cannot create the folder for runs: %s",
                   parent, g_strerror (saved));
      return NULL;
    }
  /* mkdir either creates the folder or fails: no other run can take it
   * between a test and the creation. */
  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *leaf = n == 1 ? g_strdup (name) : g_strdup_printf ("%s-%u", name, n);
      g_autofree char *path = g_build_filename (parent, leaf, NULL);

      if (g_mkdir (path, 0755) == 0)
        return g_steal_pointer (&path);
      if (errno != EEXIST)
        {
          saved = errno;
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s: cannot create the run's folder: %s",
                       path, g_strerror (saved));
          return NULL;
        }
    }
  g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT,
               "%s: 999 runs named “%s” already; remove some", parent, name);
  return NULL;
}

char *
vt_run_safe_file_name (const char *name)
{
  return vt_report_safe_file_name (name);
}

/* Writes @figure as figures/<base>.<ext> in @formats through the caller's
 * writer, and lists the files in @listing. Without a writer (a caller that
 * draws nothing), nothing is written or listed. */
static gboolean
write_figure (Run             *run,
              const VtFigure  *figure,
              const char      *base,
              VtFigureFormats  formats,
              JsonArray       *listing,
              GError         **error)
{
  g_autofree char *base_path = g_build_filename (run->output_dir, base, NULL);

  if (run->options == NULL || run->options->write_figure == NULL)
    return TRUE;
  /* One format at a time: a scatter of many points is seconds of drawing
   * per format, and Cancel is looked at between them. */
  for (guint f = VT_FIGURE_FORMAT_PNG; f <= VT_FIGURE_FORMAT_PDF; f <<= 1)
    if (formats & f)
      {
        g_autofree char *file = g_strdup_printf ("%s.%s", base, vt_figure_format_extension (f));

        if (g_cancellable_set_error_if_cancelled (run->cancellable, error) ||
            !run->options->write_figure (figure, base_path, f, run->options->figure_data, error))
          return FALSE;
        json_array_add_string_element (listing, file);
        vt_run_emit (run, VT_EVENT_FILE, 1.0, file);
      }
  return TRUE;
}

JsonArray *
vt_run_int_array (const guint64 *values,
                  guint          n)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++)
    json_array_add_int_element (array, (gint64) values[i]);
  return array;
}

/* The transform a step asks for: the model's preset with the spec's changes;
 * FALSE when its crop_pct gives no usable resize for the crop. */
static gboolean
resolve_transform (VtTransform            *transform,
                   const VtArchitecture   *arch,
                   const VtTransformSpec  *spec,
                   const char             *where,
                   GError                **error)
{
  vt_transform_init_from_architecture (transform, arch);
  if (spec->crop > 0)
    transform->crop_size = spec->crop;
  /* A resize or crop_pct the spec gives is torchvision's, on the shorter side. */
  if (spec->resize >= 0 || spec->crop_pct > 0)
    transform->resize_square = FALSE;
  if (spec->resize >= 0)
    transform->resize_size = spec->resize;
  else if (spec->crop_pct > 0)
    {
      if (!vt_transform_resize_for_crop_pct (transform->crop_size, spec->crop_pct, where,
                                             &transform->resize_size, error))
        return FALSE;
    }
  else if (spec->crop > 0)
    /* A new crop keeps the preset's ratio of resize to crop. */
    transform->resize_size = (int) floor ((double) spec->crop * arch->resize_size / arch->image_size);
  if (spec->interpolation >= 0)
    transform->interpolation = (VtResample) spec->interpolation;
  if (spec->has_mean)
    memcpy (transform->mean, spec->mean, sizeof transform->mean);
  if (spec->has_std)
    memcpy (transform->std, spec->std, sizeof transform->std);
  if (!spec->normalize)
    for (int c = 0; c < 3; c++)
      {
        transform->mean[c] = 0.0f;
        transform->std[c] = 1.0f;
      }
  return TRUE;
}

void
vt_run_opened_clear (VtRunOpened *o)
{
  g_free (o->checkpoint_path);
  g_free (o->dataset_path);
  g_clear_pointer (&o->checkpoint, vt_checkpoint_unref);
  g_clear_pointer (&o->model, vt_model_free);
  g_clear_pointer (&o->dataset, vt_dataset_unref);
}

gboolean
vt_run_open_model_input (Run                 *run,
                         const VtModelInput  *input,
                         VtRunOpened              *o,
                         GError             **error)
{
  VtDatasetOptions options = { input->split, input->coarse_labels, run->cancellable };

  o->checkpoint_path = vt_spec_resolve_path (run->spec, input->checkpoint);
  /* A predict step on image files has no dataset. */
  o->dataset_path = input->dataset ? vt_spec_resolve_path (run->spec, input->dataset) : NULL;
  if (!(o->checkpoint = vt_checkpoint_open (o->checkpoint_path, error)) ||
      !(o->model = vt_model_new (o->checkpoint, error)) ||
      (o->dataset_path && !(o->dataset = vt_dataset_open (o->dataset_path, &options, error))))
    return FALSE;
  {
    g_autofree char *where = g_strdup_printf ("%s: step “%s”: transform", run->spec->path ? run->spec->path : "the spec",
                                              run->step_id);
    g_autoptr(GError) size_error = NULL;

    if (!resolve_transform (&o->transform, vt_model_get_architecture (o->model), &input->transform, where, error))
      return FALSE;
    /* Before any image is decoded: the crop is the spec's to change. */
    if (!vt_model_check_input (o->model, o->transform.crop_size, o->transform.crop_size, &size_error))
      {
        g_set_error (error, size_error->domain, size_error->code, "%s. Change %s.transform.crop (now %d) to a "
                     "size it takes", size_error->message, run->step_path, o->transform.crop_size);
        return FALSE;
      }
  }
  return TRUE;
}

/* The extractor's progress, stamped with the step and passed on. */
static void
extraction_progress (const VtEvent *event,
                     gpointer       user_data)
{
  VtEvent copy = *event;

  vt_run_dispatch (user_data, &copy);
}

VtFeatureStore *
vt_run_extract_features (Run                 *run,
                         VtRunOpened              *o,
                         const VtModelInput  *input,
                         gboolean             keep_logits,
                         GError             **error)
{
  VtEventSink sink = { extraction_progress, run };
  VtExtractOptions options = { input->batch, keep_logits, input->skip_unreadable, &sink };

  return vt_extract_features (o->model, o->dataset, &o->transform, &options, run->cancellable, error);
}

VtFeatureStore *
vt_run_extract_or_reuse (Run                    *run,
                         VtRunOpened                 *o,
                         const VtModelInput     *input,
                         gboolean                keep_logits,
                         const char             *store_path,
                         const VtFeatureSource  *source,
                         gboolean                verify,
                         gboolean               *reused,
                         GError                **error)
{
  VtEventSink sink = { extraction_progress, run };
  VtExtractOptions options = { input->batch, keep_logits, input->skip_unreadable, &sink };

  return vt_extract_or_reuse (store_path, source, o->model, o->dataset, &o->transform, &options, verify, reused,
                              run->cancellable, error);
}

/* The transform and the samples left out, as results.json reports them. */
void
vt_run_describe_input (JsonObject      *result,
                       VtRunOpened          *o,
                       VtFeatureStore  *store)
{
  g_autofree char *transform = vt_transform_describe (&o->transform);
  JsonArray *skipped = json_array_new ();

  json_object_set_string_member (result, "checkpoint", o->checkpoint_path);
  json_object_set_string_member (result, "dataset", o->dataset_path);
  json_object_set_string_member (result, "dataset_format", o->dataset->format);
  if (o->dataset->split)
    json_object_set_string_member (result, "split", o->dataset->split);
  json_object_set_string_member (result, "architecture", vt_model_get_architecture (o->model)->family_name);
  json_object_set_string_member (result, "transform", transform);
  json_object_set_int_member (result, "skipped_samples", store->n_skipped);
  for (guint i = 0; store->skipped && store->skipped[i]; i++)
    json_array_add_string_element (skipped, store->skipped[i]);
  json_object_set_array_member (result, "skipped_first", skipped);
}

/* A double for JSON: NaN (no such value) becomes null. */
void
vt_run_add_number (JsonArray *array,
                   double     value)
{
  if (isnan (value))
    json_array_add_null_element (array);
  else
    json_array_add_double_element (array, value);
}

void
vt_run_set_number (JsonObject *object,
                   const char *name,
                   double      value)
{
  if (isnan (value))
    json_object_set_null_member (object, name);
  else
    json_object_set_double_member (object, name, value);
}

char *
vt_run_csv_number (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (isnan (value) ? "" : g_ascii_formatd (text, sizeof text, "%.6g", value));
}

/* A store a step reads, refused with its path named when it holds nothing
 * a method could use. @role ("train", "test" or NULL) says which one. */
VtFeatureStore *
vt_run_load_store (const char  *path,
                   const char  *role,
                   GError     **error)
{
  g_autoptr(VtFeatureStore) store = vt_feature_store_load (path, error);

  if (store == NULL)
    return NULL;
  if (store->n_samples == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: the %s%sfeature store holds no samples: extract it again from a dataset that has some",
                   path, role ? role : "", role ? " " : "");
      return NULL;
    }
  /* A zero-wide store is refused by vt_feature_store_load. */
  return g_steal_pointer (&store);
}

/* A store named by the id of an earlier extract step, or by its path. */
char *
vt_run_resolve_store (Run        *run,
                      const char *name)
{
  const char *written = g_hash_table_lookup (run->stores, name);

  return written ? g_strdup (written) : vt_spec_resolve_path (run->spec, name);
}

/* The step's figures, built from its results as the window builds them
 * (vt-report.h), each handed on as an event and written in the step's
 * formats, listed in the result's "figures". */
static gboolean
write_step_figures (Run         *run,
                    VtStep      *step,
                    JsonObject  *result,
                    GError     **error)
{
  g_autoptr(GPtrArray) figures = vt_report_step_figures (vt_step_kind_name (step), result, run->output_dir,
                                                         error);
  JsonArray *listing;

  if (figures == NULL)
    return FALSE;
  if (figures->len == 0)
    return TRUE;
  listing = json_object_get_array_member (result, "figures");
  for (guint i = 0; i < figures->len; i++)
    {
      const VtReportFigure *f = g_ptr_array_index (figures, i);
      g_autofree char *base = g_strdup_printf ("figures/%s", f->name);
      VtEvent event = { .kind = VT_EVENT_FIGURE, .name = f->name, .figure = f->figure, .seconds_left = -1 };

      vt_run_dispatch (run, &event);
      if (!write_figure (run, f->figure, base, step->type->formats (step), listing, error))
        return FALSE;
    }
  return TRUE;
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

/* Before a run writes anything: the temporary files a killed run left in
 * the folder (and beside stores it was writing elsewhere) go, and so do the
 * previous run's results.json and metrics.csv, so that a run that fails or
 * is killed never leaves results that look like its own. The rest of an
 * earlier run's files stay: stores are reused, and every other file is
 * overwritten by a run that gets that far. */
static gboolean
start_afresh (Run          *run,
              gint64        started,
              GError      **error)
{
  static const char * const superseded[] = { "results.json", "metrics.csv" };
  g_autofree char *figures = g_build_filename (run->output_dir, "figures", NULL);
  guint swept = vt_atomic_file_sweep (run->output_dir, NULL, started) + vt_atomic_file_sweep (figures, NULL, started);

  for (guint i = 0; i < run->spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (run->spec->steps, i);
      g_autofree char *store = NULL;
      g_autofree char *dir = NULL;
      g_autofree char *name = NULL;

      if (!step->type->writes_store || step->type->store_written (step) == NULL)
        continue;
      store = vt_spec_resolve_path (run->spec, step->type->store_written (step));
      dir = g_path_get_dirname (store);
      name = g_path_get_basename (store);
      swept += vt_atomic_file_sweep (dir, name, started);
    }
  if (swept > 0)
    g_string_append_printf (run->log, "- - removed %u temporary file%s that a killed run left\n",
                            swept, swept == 1 ? "" : "s");

  for (guint i = 0; i < G_N_ELEMENTS (superseded); i++)
    {
      g_autofree char *path = g_build_filename (run->output_dir, superseded[i], NULL);

      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT,
                       "%s: cannot remove the previous run's results before this run: %s",
                       path, g_strerror (saved));
          return FALSE;
        }
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
  Run run = { spec, output_dir, options, cancellable, g_string_new (NULL), NULL, NULL, g_string_new (METRICS_HEADER),
              g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) started = g_date_time_new_now_local ();
  g_autofree char *started_text = g_date_time_format_iso8601 (started);
  g_autofree char *text = NULL;
  g_autofree char *log_path = g_build_filename (output_dir, "run.log", NULL);
  gint64 started_us = g_get_real_time ();
  gboolean ok = FALSE;
  GError *step_error = NULL;

  if (!make_folders (output_dir, error) || !start_afresh (&run, started_us, error))
    {
      g_string_free (run.log, TRUE);
      g_string_free (run.metrics, TRUE);
      g_hash_table_unref (run.stores);
      return FALSE;
    }
  /* A log from the start: a run killed before its end leaves one saying it
   * began and never finished, not the previous run's. */
  g_string_append_printf (run.log, "%s - started; results.json is written when every step is done\n",
                          started_text);
  if (!vt_run_write_file (log_path, run.log->str, (gssize) run.log->len, error))
    {
      g_string_free (run.log, TRUE);
      g_string_free (run.metrics, TRUE);
      g_hash_table_unref (run.stores);
      return FALSE;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "vitrine");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "started");
  json_builder_add_string_value (b, started_text);
  /* Which kernels the matrix products ran on: timings depend on it. */
  json_builder_set_member_name (b, "blas");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "core");
  json_builder_add_string_value (b, vt_blas_core ());
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, vt_parallel_threads ());
  json_builder_end_object (b);
  json_builder_set_member_name (b, "spec");
  /* Runnable as it stands, from anywhere (vt_spec_echo). */
  json_builder_add_value (b, vt_spec_echo (spec));
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);

  for (guint i = 0; i < spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (spec->steps, i);
      JsonNode *result;

      run.step_id = step->id;
      g_free (run.step_path);
      run.step_path = g_strdup_printf ("$.steps[%u]", i);
      /* The step event's message is its kind (the id is in .step). */
      vt_run_emit (&run, VT_EVENT_STEP, 0.0, vt_step_kind_name (step));
      result = step->type->execute (&run, step, &step_error);
      if (result == NULL)
        goto out;
      json_object_set_string_member (json_node_get_object (result), "id", step->id);
      if (!write_step_figures (&run, step, json_node_get_object (result), &step_error))
        {
          json_node_unref (result);
          goto out;
        }
      json_builder_add_value (b, result);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  run.step_id = NULL;
  /* metrics.csv: one row per stage of every method of every incremental step. */
  if (run.metrics->len > strlen (METRICS_HEADER) &&
      !vt_run_write_output (&run, "metrics.csv", run.metrics->str, &step_error))
    goto out;
  if (!vt_run_write_output (&run, "results.json", text, &step_error))
    goto out;
  vt_run_emit (&run, VT_EVENT_DONE, 1.0, NULL);
  ok = TRUE;

out:
  if (!ok && g_error_matches (step_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_string_append_printf (run.log, "cancelled during %s%s; results.json was not written\n",
                            run.step_id ? "step " : "the final writes", run.step_id ? run.step_id : "");
  else if (!ok)
    g_string_append_printf (run.log, "error: %s\n", step_error->message);
  /* The log is written even when the run failed: it is how one finds out why. */
  vt_run_write_file (log_path, run.log->str, (gssize) run.log->len, ok ? &step_error : NULL);
  g_string_free (run.log, TRUE);
  g_string_free (run.metrics, TRUE);
  g_hash_table_unref (run.stores);
  g_free (run.step_path);
  if (step_error)
    g_propagate_error (error, step_error);
  return ok && step_error == NULL;
}
