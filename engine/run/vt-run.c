/* vt-run.c: steps to files. */
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

struct _VtRunContext
{
  VtSpec              *spec;
  const char          *output_dir;
  const VtRunOptions  *options;
  GCancellable        *cancellable;
  GString             *log;
  const char          *step_id;
  char                *step_path;   /* "$.steps[i]", for messages that name a key */
  GString             *metrics;     /* metrics.csv: per-stage rows of every step that has them */
  GHashTable          *stores;      /* extract step id → the store it wrote or reused */
};
typedef struct _VtRunContext Run;

#define METRICS_HEADER "step,method,stage,classes_seen,seen_accuracy\n"

/* Hands @event to the caller's sink, if it has one. */
static void
dispatch (Run     *run,
          VtEvent *event)
{
  event->step = run->step_id;
  if (run->options)
    vt_event_emit (&run->options->events, event);
}

/* A step, progress, file or done event; all but progress go to run.log. */
static void
emit (Run         *run,
      VtEventKind  kind,
      double       fraction,
      const char  *message)
{
  VtEvent event = { .kind = kind, .fraction = fraction, .message = message, .seconds_left = -1 };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  if (kind == VT_EVENT_FILE)
    {
      event.path = message;
      event.message = NULL;
    }
  if (kind != VT_EVENT_PROGRESS)
    g_string_append_printf (run->log, "%s %s %s%s%s\n", stamp, run->step_id ? run->step_id : "-",
                            kind == VT_EVENT_STEP ? "start " : kind == VT_EVENT_FILE ? "wrote " : "",
                            message ? message : "", kind == VT_EVENT_DONE ? "done" : "");
  dispatch (run, &event);
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

static gboolean
write_output (Run         *run,
              const char  *name,
              const char  *contents,
              GError     **error)
{
  g_autofree char *path = g_build_filename (run->output_dir, name, NULL);

  if (!vt_run_write_file (path, contents, -1, error))
    return FALSE;
  emit (run, VT_EVENT_FILE, 1.0, name);
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
        emit (run, VT_EVENT_FILE, 1.0, file);
      }
  return TRUE;
}

static JsonArray *
int_array (const guint64 *values,
           guint          n)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n; i++)
    json_array_add_int_element (array, (gint64) values[i]);
  return array;
}

static void
inspection_progress (double      fraction,
                     const char *message,
                     gpointer    user_data)
{
  emit (user_data, VT_EVENT_PROGRESS, fraction, message);
}

JsonNode *
vt_run_inspect (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtInspectStep *step = (VtInspectStep *) base;
  g_autofree char *checkpoint = vt_spec_resolve_path (run->spec, step->checkpoint);
  g_autoptr(VtInspection) inspection = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_name = g_strdup_printf ("%s-tensors.csv", step->base.id);
  JsonArray *figures = json_array_new ();
  JsonArray *histograms = json_array_new ();

  inspection = vt_inspection_run (checkpoint, step->bins, inspection_progress, run,
                                  run->cancellable, error);
  if (inspection == NULL)
    {
      json_array_unref (figures);
      json_array_unref (histograms);
      return NULL;
    }

  node = vt_inspection_to_json (inspection);
  json_object_set_array_member (json_node_get_object (node), "figures", figures);

  /* The histograms asked for, as the report draws them (vt-report.h). */
  json_object_set_array_member (json_node_get_object (node), "histograms", histograms);
  for (guint i = 0; step->histograms[i]; i++)
    {
      int index = vt_inspection_find (inspection, step->histograms[i]);
      const VtHistogram *h;
      JsonObject *entry;

      if (index < 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_MISSING_TENSOR,
                       "%s: no tensor named “%s” for a histogram", checkpoint, step->histograms[i]);
          return NULL;
        }
      h = &inspection->stats[index].histogram;
      entry = json_object_new ();
      json_object_set_string_member (entry, "tensor", vt_checkpoint_get_tensor (inspection->checkpoint, index)->name);
      json_object_set_double_member (entry, "lo", h->lo);
      json_object_set_double_member (entry, "hi", h->hi);
      json_object_set_array_member (entry, "counts", int_array (h->counts, h->n_bins));
      json_array_add_object_element (histograms, entry);
    }

  csv = vt_inspection_to_csv (inspection);
  if (!write_output (run, csv_name, csv, error))
    return NULL;
  json_object_set_string_member (json_node_get_object (node), "table", csv_name);
  return g_steal_pointer (&node);
}

/* The input tensor @name of @input, or NULL with an error that lists what
 * the file does hold. */
static const VtTensor *
input_tensor (VtCheckpoint  *input,
              const char    *name,
              guint          ndim,
              GError       **error)
{
  const VtTensor *t = vt_checkpoint_lookup (input, name);

  if (t == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      guint n = vt_checkpoint_get_n_tensors (input);

      /* Enough names to spot the intended one, not a whole checkpoint's. */
      for (guint i = 0; i < n && i < 40; i++)
        g_string_append_printf (names, "%s“%s”", i ? ", " : "", vt_checkpoint_get_tensor (input, i)->name);
      if (n > 40)
        g_string_append_printf (names, " and %u more", n - 40);
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no tensor “%s” (it holds %s)",
                   vt_checkpoint_get_path (input), name, names->len ? names->str : "no tensors");
      return NULL;
    }
  if (t->ndim != ndim || (ndim == 4 && t->shape[1] != 3) || t->numel == 0)
    {
      g_autofree char *shape = vt_tensor_format_shape (t);
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: tensor “%s” has shape %s; expected %s",
                   vt_checkpoint_get_path (input), name, shape,
                   ndim == 4 ? "(N, 3, H, W) images" : "(N, L) token ids");
      return NULL;
    }
  return t;
}

static void
collect_taps (VtTaps      *taps,
              GPtrArray   *all,
              JsonArray   *listing)
{
  for (guint i = 0; taps && i < vt_taps_get_n (taps); i++)
    {
      const VtTap *tap = vt_taps_get (taps, i);
      JsonObject *entry = json_object_new ();
      JsonArray *shape = json_array_new ();

      for (guint d = 0; d < tap->ndim; d++)
        json_array_add_int_element (shape, tap->shape[d]);
      json_object_set_string_member (entry, "name", tap->name);
      json_object_set_array_member (entry, "shape", shape);
      json_array_add_object_element (listing, entry);
      g_ptr_array_add (all, (gpointer) tap);
    }
}

JsonNode *
vt_run_forward (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtForwardStep *step = (VtForwardStep *) base;
  g_autofree char *checkpoint_path = vt_spec_resolve_path (run->spec, step->checkpoint);
  g_autofree char *input_path = vt_spec_resolve_path (run->spec, step->input);
  g_autofree char *output_name = g_strdup_printf ("%s-taps.safetensors", step->base.id);
  g_autofree char *output_path = g_build_filename (run->output_dir, output_name, NULL);
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtCheckpoint) input = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTaps) image_taps = NULL;
  g_autoptr(VtTaps) text_taps = NULL;
  const VtTensor *images = NULL;
  const VtTensor *tokens = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *listing = json_array_new ();
  JsonObject *result = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, result);
  json_object_set_array_member (result, "taps", listing);

  if (!(checkpoint = vt_checkpoint_open (checkpoint_path, error)) ||
      !(model = vt_model_new (checkpoint, error)) ||
      !(input = vt_checkpoint_open (input_path, error)))
    goto fail;
  emit (run, VT_EVENT_PROGRESS, 0.1, "loaded");

  if ((step->images && !(images = input_tensor (input, step->images, 4, error))) ||
      (step->tokens && !(tokens = input_tensor (input, step->tokens, 2, error))) ||
      !vt_step_memory_check_forward (model, images, tokens, step->taps, input_path, run->step_path, error))
    goto fail;
  if (step->images)
    {
      const VtTensor *t = images;
      g_autofree float *pixels = NULL;

      pixels = vt_tensor_dup_float (t);
      image_taps = vt_model_forward (model, pixels, t->shape[0], t->shape[2], t->shape[3], step->taps, error);
      if (image_taps == NULL)
        goto fail;
      emit (run, VT_EVENT_PROGRESS, 0.6, "images");
    }
  if (step->tokens)
    {
      const VtTensor *t = tokens;
      g_autofree gint64 *ids = NULL;

      if (vt_dtype_is_float (t->dtype))
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: token ids “%s” must be integers, not %s",
                       input_path, step->tokens, vt_dtype_name (t->dtype));
          goto fail;
        }
      ids = g_new (gint64, t->numel);
      for (gsize i = 0; i < t->numel; i++)
        ids[i] = (gint64) vt_dtype_read_double (t->dtype, t->data, i);
      text_taps = vt_model_forward_text (model, ids, t->shape[0], t->shape[1], step->taps, error);
      if (text_taps == NULL)
        goto fail;
    }

  collect_taps (image_taps, all, listing);
  collect_taps (text_taps, all, listing);
  {
    g_autofree const char **names = g_new (const char *, all->len);
    g_autofree guint *ndims = g_new (guint, all->len);
    g_autofree const gint64 **shapes = g_new (const gint64 *, all->len);
    g_autofree const float **data = g_new (const float *, all->len);

    for (guint i = 0; i < all->len; i++)
      {
        const VtTap *tap = g_ptr_array_index (all, i);
        names[i] = tap->name;
        ndims[i] = tap->ndim;
        shapes[i] = tap->shape;
        data[i] = tap->data;
      }
    g_hash_table_insert (metadata, "producer", "vitrine " PACKAGE_VERSION);
    g_hash_table_insert (metadata, "checkpoint", checkpoint_path);
    g_hash_table_insert (metadata, "input", input_path);
    if (!vt_safetensors_write_f32 (output_path, all->len, names, ndims, shapes, data, metadata, error))
      goto fail;
  }
  emit (run, VT_EVENT_FILE, 1.0, output_name);

  json_object_set_string_member (result, "checkpoint", checkpoint_path);
  json_object_set_string_member (result, "architecture", vt_model_get_architecture (model)->family_name);
  json_object_set_string_member (result, "input", input_path);
  json_object_set_string_member (result, "output", output_name);
  return node;

fail:
  json_node_unref (node);
  return NULL;
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

/* What an evaluate or extract step opens. */
typedef struct
{
  char            *checkpoint_path;
  char            *dataset_path;
  VtCheckpoint    *checkpoint;
  VtModel         *model;
  VtDataset       *dataset;
  VtTransform      transform;
} Opened;

static void
opened_clear (Opened *o)
{
  g_free (o->checkpoint_path);
  g_free (o->dataset_path);
  g_clear_pointer (&o->checkpoint, vt_checkpoint_unref);
  g_clear_pointer (&o->model, vt_model_free);
  g_clear_pointer (&o->dataset, vt_dataset_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Opened, opened_clear)

static gboolean
open_model_input (Run                 *run,
                  const VtModelInput  *input,
                  Opened              *o,
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

static void
extraction_progress (const VtExtractProgress *progress,
                     gpointer                 user_data)
{
  g_autofree char *message = g_strdup_printf ("%u/%u images, %.0f images/s, %.0f s left",
                                              progress->done, progress->total, progress->rate,
                                              progress->eta_seconds);

  emit (user_data, VT_EVENT_PROGRESS, (double) progress->done / progress->total, message);
}

static VtFeatureStore *
extract (Run                 *run,
         Opened              *o,
         const VtModelInput  *input,
         gboolean             keep_logits,
         GError             **error)
{
  VtExtractOptions options = { input->batch, keep_logits, input->skip_unreadable, extraction_progress, run };

  return vt_extract_features (o->model, o->dataset, &o->transform, &options, run->cancellable, error);
}

static VtFeatureStore *
extract_or_reuse (Run                    *run,
                  Opened                 *o,
                  const VtModelInput     *input,
                  gboolean                keep_logits,
                  const char             *store_path,
                  const VtFeatureSource  *source,
                  gboolean                verify,
                  gboolean               *reused,
                  GError                **error)
{
  VtExtractOptions options = { input->batch, keep_logits, input->skip_unreadable, extraction_progress, run };

  return vt_extract_or_reuse (store_path, source, o->model, o->dataset, &o->transform, &options, verify, reused,
                              run->cancellable, error);
}

/* The transform and the samples left out, as results.json reports them. */
static void
describe_input (JsonObject      *result,
                Opened          *o,
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

/* "T-shirt/top" and "t_shirt top" are one name; "cat" and "dog" are not. */
static char *
class_name_key (const char *name)
{
  g_autofree char *lower = g_utf8_strdown (name, -1);
  GString *key = g_string_new (NULL);

  for (const char *c = lower; *c; c++)
    if (g_ascii_isalnum (*c) || (guchar) *c >= 0x80)
      g_string_append_c (key, *c);
  return g_string_free (key, FALSE);
}

/* Evaluation scores output c against label c: a model of other classes
 * (a CIFAR-10 model on Fashion-MNIST, ten classes each) would score as
 * chance without a word. A model that names no classes cannot be checked. */
static gboolean
same_classes (const VtArchitecture  *arch,
              const VtDataset       *dataset,
              const VtEvaluateStep  *step,
              const char            *checkpoint_path,
              const char            *dataset_path,
              GError               **error)
{
  if (arch->class_names == NULL)
    return TRUE;
  for (guint c = 0; c < dataset->n_classes; c++)
    {
      g_autofree char *model = class_name_key (arch->class_names[c]);
      g_autofree char *data = class_name_key (dataset->class_names[c]);

      if (!g_str_equal (model, data))
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                       "%s: class %u is “%s” in the dataset but “%s” for the model (%s); evaluate scores each "
                       "output against the label at the same position, so the classes must be the model's. "
                       "If they are the same classes under other names, add \"class_match\": \"index\" to step “%s”",
                       dataset_path, c, dataset->class_names[c], arch->class_names[c], checkpoint_path,
                       step->base.id);
          return FALSE;
        }
    }
  return TRUE;
}

JsonNode *
vt_run_evaluate (VtRunContext  *run,
                VtStep        *base,
                GError       **error)
{
  VtEvaluateStep *step = (VtEvaluateStep *) base;
  g_auto(Opened) o = { 0 };
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree guint64 *confusion = NULL;
  g_autofree guint64 *per_class = NULL;
  const VtArchitecture *arch;
  char **class_names;
  guint n, k, top1 = 0, top5 = 0;
  JsonObject *result;
  JsonNode *node;

  if (!open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  k = o.dataset->n_classes;
  class_names = o.dataset->class_names;
  if ((guint) arch->num_classes != k)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: the dataset has %u classes but the model has %d outputs; evaluate needs the "
                   "model's classes as the dataset's, in the same order",
                   o.dataset_path, k, arch->num_classes);
      return NULL;
    }
  if (!step->by_index && !same_classes (arch, o.dataset, step, o.checkpoint_path, o.dataset_path, error))
    return NULL;
  if (!vt_step_memory_check_extract (o.model, o.dataset, &o.transform, step->input.batch, TRUE, k,
                                     run->step_path, error) ||
      !(store = extract (run, &o, &step->input, TRUE, error)))
    return NULL;

  n = store->n_samples;
  confusion = g_new0 (guint64, (gsize) k * k);
  per_class = g_new0 (guint64, k);
  for (guint i = 0; i < n; i++)
    {
      const float *row = store->logits + (gsize) i * k;
      guint label = (guint) store->labels[i], better = 0, best = 0;

      /* Rank of the true class: how many outputs beat it. */
      for (guint c = 0; c < k; c++)
        {
          if (row[c] > row[label])
            better++;
          if (row[c] > row[best])
            best = c;
        }
      top1 += better == 0;
      top5 += better < 5;
      confusion[(gsize) label * k + best]++;
      per_class[label]++;
    }

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  describe_input (result, &o, store);
  json_object_set_int_member (result, "images", n);
  json_object_set_double_member (result, "top1", (double) top1 / n);
  if (k >= 5)
    json_object_set_double_member (result, "top5", (double) top5 / n);

  {
    JsonArray *classes = json_array_new (), *matrix = json_array_new (), *figures = json_array_new ();
    GString *per_class_csv = g_string_new ("class,images,correct,accuracy\n");
    GString *confusion_csv = g_string_new ("true\\predicted");
    g_autofree char *per_class_name = g_strdup_printf ("%s-per-class.csv", step->base.id);
    g_autofree char *confusion_name = g_strdup_printf ("%s-confusion.csv", step->base.id);
    gboolean ok;

    for (guint c = 0; c < k; c++)
      {
        g_string_append_c (confusion_csv, ',');
        vt_csv_append_field (confusion_csv, class_names[c]);
      }
    g_string_append_c (confusion_csv, '\n');
    for (guint c = 0; c < k; c++)
      {
        JsonObject *entry = json_object_new ();
        guint64 correct = confusion[(gsize) c * k + c];
        char accuracy[G_ASCII_DTOSTR_BUF_SIZE];

        json_object_set_string_member (entry, "class", class_names[c]);
        json_object_set_int_member (entry, "images", (gint64) per_class[c]);
        /* A class without samples (IDX or CIFAR labels need not cover
         * every output) has no accuracy: null, and an empty CSV field. */
        if (per_class[c] > 0)
          json_object_set_double_member (entry, "accuracy", (double) correct / per_class[c]);
        else
          json_object_set_null_member (entry, "accuracy");
        json_array_add_object_element (classes, entry);
        json_array_add_array_element (matrix, int_array (confusion + (gsize) c * k, k));
        accuracy[0] = '\0';
        if (per_class[c] > 0)
          g_ascii_dtostr (accuracy, sizeof accuracy, (double) correct / per_class[c]);
        vt_csv_append_field (per_class_csv, class_names[c]);
        g_string_append_printf (per_class_csv, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%s\n",
                                per_class[c], correct, accuracy);
        vt_csv_append_field (confusion_csv, class_names[c]);
        for (guint p = 0; p < k; p++)
          g_string_append_printf (confusion_csv, ",%" G_GUINT64_FORMAT, confusion[(gsize) c * k + p]);
        g_string_append_c (confusion_csv, '\n');
      }
    json_object_set_array_member (result, "per_class", classes);
    json_object_set_array_member (result, "confusion", matrix);
    json_object_set_array_member (result, "figures", figures);

    ok = write_output (run, per_class_name, per_class_csv->str, error) &&
         write_output (run, confusion_name, confusion_csv->str, error);
    g_string_free (per_class_csv, TRUE);
    g_string_free (confusion_csv, TRUE);
    if (!ok)
      {
        json_node_unref (node);
        return NULL;
      }
    json_object_set_string_member (result, "per_class_table", per_class_name);
    json_object_set_string_member (result, "confusion_table", confusion_name);
  }
  return node;
}

JsonNode *
vt_run_extract (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtExtractStep *step = (VtExtractStep *) base;
  g_auto(Opened) o = { 0 };
  g_autoptr(VtFeatureSource) source = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autofree char *default_name = g_strdup_printf ("%s.safetensors", step->base.id);
  g_autofree char *store_path = step->store ? vt_spec_resolve_path (run->spec, step->store)
                                            : g_build_filename (run->output_dir, default_name, NULL);
  gboolean reused = FALSE;
  JsonObject *result;
  JsonNode *node;

  if (!open_model_input (run, &step->input, &o, error))
    return NULL;
  emit (run, VT_EVENT_PROGRESS, 0.0, "hashing the checkpoint and the dataset's files");
  if (!(source = vt_feature_source_new (o.checkpoint, o.dataset, &o.transform, run->cancellable, error)))
    return NULL;

  /* An up-to-date store at the path is the answer already; a stale or
   * damaged one is replaced. What an extraction would need is checked
   * first, the same either way. */
  if (!vt_step_memory_check_extract (o.model, o.dataset, &o.transform, step->input.batch, step->logits, 0,
                                     run->step_path, error) ||
      !(store = extract_or_reuse (run, &o, &step->input, step->logits, store_path, source, step->verify,
                                  &reused, error)))
    return NULL;
  if (!reused)
    {
      if (!vt_feature_store_save (store, store_path, error))
        return NULL;
      emit (run, VT_EVENT_FILE, 1.0, store_path);
    }

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  describe_input (result, &o, store);
  json_object_set_string_member (result, "store", store_path);
  json_object_set_boolean_member (result, "reused", reused);
  g_hash_table_insert (run->stores, g_strdup (step->base.id), g_strdup (store_path));
  json_object_set_int_member (result, "samples", store->n_samples);
  json_object_set_int_member (result, "dim", store->dim);
  json_object_set_int_member (result, "classes", store->n_classes);
  return node;
}

/* A double for JSON: NaN (no such value) becomes null. */
static void
add_number (JsonArray *array,
            double     value)
{
  if (isnan (value))
    json_array_add_null_element (array);
  else
    json_array_add_double_element (array, value);
}

static void
set_number (JsonObject *object,
            const char *name,
            double      value)
{
  if (isnan (value))
    json_object_set_null_member (object, name);
  else
    json_object_set_double_member (object, name, value);
}

static char *
csv_number (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (isnan (value) ? "" : g_ascii_formatd (text, sizeof text, "%.6g", value));
}

typedef struct
{
  Run    *run;
  guint   n_methods;
} StageReport;

/* After each method's stage: the new point for live charts, and progress. */
static void
incremental_progress (const VtCilResult *result,
                      guint              method,
                      guint              stage,
                      gpointer           data)
{
  StageReport *report = data;
  const VtCilMethodResult *r = g_ptr_array_index (result->methods, method);
  g_autofree char *message = g_strdup_printf ("%s, stage %u of %u (%u classes): %.2f%% on the seen classes",
                                              r->klass->title, stage + 1, result->n_stages,
                                              result->stage_ends[stage], 100 * r->seen_accuracy[stage]);
  VtEvent metric = {
    .kind = VT_EVENT_METRIC,
    .series = r->klass->title,
    .x_name = "stage",
    .x = stage,
    .y = r->seen_accuracy[stage],
    .values = r->accuracy + (gsize) stage * result->n_stages,
    .n_values = result->n_stages,
  };

  dispatch (report->run, &metric);
  emit (report->run, VT_EVENT_PROGRESS,
        (double) (stage * report->n_methods + method + 1) / (result->n_stages * report->n_methods), message);
}

/* While a method learns a stage: how far, and which method and stage. */
static void
incremental_stage_progress (double      fraction,
                            const char *message,
                            gpointer    data)
{
  StageReport *report = data;

  emit (report->run, VT_EVENT_PROGRESS, fraction, message);
}

/* One method's results as JSON, its CSV tables and its figures. */
static gboolean
report_method (Run                      *run,
               VtIncrementalStep        *step,
               const VtCilResult        *result,
               const VtCilMethodResult  *r,
               JsonObject               *out,
               GError                  **error)
{
  guint s = result->n_stages, k = result->n_classes;
  JsonArray *seen = json_array_new (), *matrix = json_array_new (), *per_class = json_array_new ();
  GString *per_class_csv = g_string_new ("class,accuracy\n");
  GString *confusion_csv = g_string_new ("true\\predicted");
  g_autofree char *base = g_strdup_printf ("%s-%s", step->base.id, r->klass->name);
  g_autofree char *per_class_name = g_strdup_printf ("%s-per-class.csv", base);
  g_autofree char *confusion_name = g_strdup_printf ("%s-confusion.csv", base);
  gboolean ok;

  json_object_set_string_member (out, "method", r->klass->name);
  json_object_set_string_member (out, "title", r->klass->title);
  set_number (out, "average_incremental_accuracy", r->average_incremental);
  set_number (out, "last_accuracy", r->last);
  set_number (out, "forgetting", r->forgetting);
  json_object_set_double_member (out, "seconds", r->seconds);
  for (guint t = 0; t < s; t++)
    {
      JsonArray *row = json_array_new ();
      g_autofree char *accuracy = csv_number (r->seen_accuracy[t]);

      add_number (seen, r->seen_accuracy[t]);
      for (guint j = 0; j < s; j++)
        add_number (row, r->accuracy[(gsize) t * s + j]);
      json_array_add_array_element (matrix, row);
      /* Step ids and method names are letters, digits, "-" and "_": nothing to quote. */
      g_string_append_printf (run->metrics, "%s,%s,%u,%u,%s\n", step->base.id, r->klass->name, t + 1,
                              result->stage_ends[t], accuracy);
    }
  json_object_set_array_member (out, "seen_accuracy", seen);
  json_object_set_array_member (out, "accuracy_matrix", matrix);

  for (guint c = 0; c < k; c++)
    {
      g_string_append_c (confusion_csv, ',');
      vt_csv_append_field (confusion_csv, result->class_names[c]);
    }
  g_string_append_c (confusion_csv, '\n');
  for (guint c = 0; c < k; c++)
    {
      JsonObject *entry = json_object_new ();
      g_autofree char *accuracy = csv_number (r->per_class[c]);

      json_object_set_string_member (entry, "class", result->class_names[c]);
      set_number (entry, "accuracy", r->per_class[c]);
      json_array_add_object_element (per_class, entry);
      vt_csv_append_field (per_class_csv, result->class_names[c]);
      g_string_append_printf (per_class_csv, ",%s\n", accuracy);
      vt_csv_append_field (confusion_csv, result->class_names[c]);
      for (guint p = 0; p < k; p++)
        g_string_append_printf (confusion_csv, ",%" G_GUINT64_FORMAT, r->confusion[(gsize) c * k + p]);
      g_string_append_c (confusion_csv, '\n');
    }
  json_object_set_array_member (out, "per_class", per_class);
  {
    JsonArray *confusion = json_array_new ();
    for (guint c = 0; c < k; c++)
      json_array_add_array_element (confusion, int_array (r->confusion + (gsize) c * k, k));
    json_object_set_array_member (out, "confusion", confusion);
  }
  json_object_set_string_member (out, "per_class_table", per_class_name);
  json_object_set_string_member (out, "confusion_table", confusion_name);

  ok = write_output (run, per_class_name, per_class_csv->str, error) &&
       write_output (run, confusion_name, confusion_csv->str, error);
  g_string_free (per_class_csv, TRUE);
  g_string_free (confusion_csv, TRUE);
  return ok;
}

/* A store a step reads, refused with its path named when it holds nothing
 * a method could use. @role ("train", "test" or NULL) says which one. */
static VtFeatureStore *
load_store (const char  *path,
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
static char *
resolve_store (Run        *run,
               const char *name)
{
  const char *written = g_hash_table_lookup (run->stores, name);

  return written ? g_strdup (written) : vt_spec_resolve_path (run->spec, name);
}

JsonNode *
vt_run_incremental (VtRunContext  *run,
                   VtStep        *base,
                   GError       **error)
{
  VtIncrementalStep *step = (VtIncrementalStep *) base;
  g_autofree char *train_path = resolve_store (run, step->train);
  g_autofree char *test_path = resolve_store (run, step->test);
  g_autoptr(VtFeatureStore) train = NULL;
  g_autoptr(VtFeatureStore) test = NULL;
  g_autoptr(VtCilResult) result = NULL;
  g_autofree guint *order = NULL;
  const VtCilMethodClass * const *all = vt_cil_methods ();
  g_autofree const VtCilMethodClass **chosen = g_new0 (const VtCilMethodClass *, vt_cil_n_methods ());
  g_autofree char *summary_name = g_strdup_printf ("%s-summary.csv", step->base.id);
  GString *summary = g_string_new ("method,average_incremental_accuracy,last_accuracy,forgetting,seconds\n");
  StageReport report = { run, 0 };
  JsonArray *methods, *figures, *classes, *stages;
  JsonObject *out;
  JsonNode *node;
  const VtCilSplit *split = &step->stages;
  gboolean ok = TRUE;

  for (guint i = 0; all[i]; i++)
    if (step->methods & (1u << i))
      chosen[report.n_methods++] = all[i];
  if (!(train = load_store (train_path, "train", error)) ||
      !(test = load_store (test_path, "test", error)))
    {
      g_string_free (summary, TRUE);
      return NULL;
    }
  order = vt_cil_class_order (train->n_classes, step->shuffle, step->seed);
  if (!vt_step_memory_check_incremental (train, test, order, split, chosen, report.n_methods, &step->options,
                                         run->step_path, error))
    {
      g_string_free (summary, TRUE);
      return NULL;
    }
  result = vt_cil_run (train, test, order, split, chosen, report.n_methods, &step->options,
                       incremental_progress, incremental_stage_progress, &report, run->cancellable, error);
  if (result == NULL)
    {
      g_prefix_error (error, "%s (train) and %s (test): ", train_path, test_path);
      g_string_free (summary, TRUE);
      return NULL;
    }

  node = json_node_new (JSON_NODE_OBJECT);
  out = json_object_new ();
  json_node_take_object (node, out);
  json_object_set_string_member (out, "train", train_path);
  json_object_set_string_member (out, "test", test_path);
  json_object_set_string_member (out, "split", step->split);
  classes = json_array_new ();
  stages = json_array_new ();
  for (guint c = 0; c < result->n_classes; c++)
    json_array_add_string_element (classes, result->class_names[c]);
  for (guint t = 0; t < result->n_stages; t++)
    json_array_add_int_element (stages, result->stage_ends[t]);
  json_object_set_array_member (out, "class_order", classes);
  json_object_set_array_member (out, "classes_seen", stages);
  methods = json_array_new ();
  figures = json_array_new ();
  json_object_set_array_member (out, "methods", methods);
  json_object_set_array_member (out, "figures", figures);

  for (guint m = 0; m < report.n_methods && ok; m++)
    {
      const VtCilMethodResult *r = g_ptr_array_index (result->methods, m);
      JsonObject *entry = json_object_new ();
      g_autofree char *average = csv_number (r->average_incremental);
      g_autofree char *last = csv_number (r->last);
      g_autofree char *forgetting = csv_number (r->forgetting);
      g_autofree char *seconds = csv_number (r->seconds);

      json_array_add_object_element (methods, entry);
      ok = report_method (run, step, result, r, entry, error);
      g_string_append_printf (summary, "%s,%s,%s,%s,%s\n", r->klass->name, average, last, forgetting, seconds);
    }
  ok = ok && write_output (run, summary_name, summary->str, error);
  g_string_free (summary, TRUE);
  if (!ok)
    {
      json_node_unref (node);
      return NULL;
    }
  json_object_set_string_member (out, "summary_table", summary_name);
  return node;
}

static void
projection_progress (double      fraction,
                     const char *message,
                     gpointer    data)
{
  emit (data, VT_EVENT_PROGRESS, fraction, message);
}

/* Trustworthiness is O(N²): by default only up to this many points. */
#define PROJECT_QUALITY_AUTO_MAX 20000

static gboolean
add_layout_quality (Run *run, const VtEmbedding *embedding, JsonObject *out, GError **error)
{
  VtFeatureStore *store = embedding->store;
  g_autofree float *x = vt_feature_store_gather (store, embedding->rows, embedding->n);
  g_autofree gint64 *labels = g_new (gint64, embedding->n);
  gboolean one_class = TRUE;

  for (gsize i = 0; i < embedding->n; i++)
    {
      labels[i] = store->labels[embedding->rows[i]];
      one_class = one_class && labels[i] == labels[0];
    }
  if (embedding->n <= 20)
    {
      json_object_set_string_member (out, "quality_note", "too few points for trustworthiness at k = 10");
      return TRUE;
    }
  emit (run, VT_EVENT_PROGRESS, 1.0, "measuring trustworthiness (k = 10)");
  g_autoptr(GError) trust_error = NULL;
  double trust = vt_trustworthiness (x, embedding->n, store->dim, embedding->layout, embedding->dims, 10,
                                     run->cancellable, &trust_error);
  if (trust_error)
    {
      g_propagate_error (error, g_steal_pointer (&trust_error));
      return FALSE;
    }
  set_number (out, "trustworthiness", trust);
  if (one_class)
    json_object_set_string_member (out, "quality_note",
                                   "all points are of one class: kNN accuracy says nothing and is left out");
  else
    set_number (out, "knn_accuracy", vt_knn_accuracy (embedding->layout, embedding->n, embedding->dims, labels, 10));
  return TRUE;
}

JsonNode *
vt_run_project (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtProjectStep *step = (VtProjectStep *) base;
  g_autofree char *store_path = resolve_store (run, step->store);
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(VtEmbedding) embedding = NULL;
  g_autofree char *layout_name = g_strdup_printf ("%s-layout.csv", step->base.id);
  g_autofree char *tensors_name = g_strdup_printf ("%s-tensors.tsv", step->base.id);
  g_autofree char *metadata_name = g_strdup_printf ("%s-metadata.tsv", step->base.id);
  g_autofree char *layout_path = g_build_filename (run->output_dir, layout_name, NULL);
  g_autofree char *tensors_path = g_build_filename (run->output_dir, tensors_name, NULL);
  g_autofree char *metadata_path = g_build_filename (run->output_dir, metadata_name, NULL);
  g_autofree char *colors_name = g_strdup_printf ("%s-colors.csv", step->base.id);
  g_autofree char *colors_path = g_build_filename (run->output_dir, colors_name, NULL);
  const char *title = step->options.method == VT_EMBEDDING_PCA ? "PCA"
                      : step->options.method == VT_EMBEDDING_UMAP ? "UMAP" : "t-SNE";

  if (!(store = load_store (store_path, NULL, error)))
    return NULL;
  if (!vt_embedding_color_available (store, step->color))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: colouring by prediction needs logits; extract with \"logits\": true", store_path);
      return NULL;
    }
  {
    guint n = step->options.max_samples > 0 ? MIN (step->options.max_samples, store->n_samples) : store->n_samples;
    gboolean quality = step->quality == 1 || (step->quality == -1 && n <= PROJECT_QUALITY_AUTO_MAX);

    if (!vt_step_memory_check_project (store, &step->options, quality, run->step_path, error))
      return NULL;
  }
  embedding = vt_embedding_compute (store, &step->options, projection_progress, NULL, run, run->cancellable,
                                    error);
  if (embedding == NULL)
    {
      g_prefix_error (error, "%s: ", store_path);
      return NULL;
    }

  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *out = json_object_new ();
  JsonArray *figures = json_array_new ();
  json_node_take_object (node, out);
  json_object_set_string_member (out, "store", store_path);
  json_object_set_string_member (out, "method", vt_embedding_method_name (embedding->method));
  json_object_set_int_member (out, "points", embedding->n);
  json_object_set_int_member (out, "dimensions", embedding->dims);
  json_object_set_double_member (out, "seconds", embedding->seconds);
  if (embedding->method == VT_EMBEDDING_PCA)
    {
      JsonArray *ratio = json_array_new ();
      for (guint c = 0; c < embedding->dims; c++)
        add_number (ratio, embedding->explained_variance_ratio[c]);
      json_object_set_array_member (out, "explained_variance_ratio", ratio);
    }
  else if (embedding->method == VT_EMBEDDING_UMAP)
    {
      json_object_set_int_member (out, "epochs", embedding->iterations);
      json_object_set_int_member (out, "n_neighbors", step->options.umap.n_neighbors);
      json_object_set_boolean_member (out, "approximate_neighbors", embedding->approximate_neighbors);
      json_object_set_double_member (out, "min_dist", step->options.umap.min_dist);
    }
  else
    {
      set_number (out, "kl_divergence", embedding->kl_divergence);
      json_object_set_int_member (out, "iterations", embedding->iterations);
      json_object_set_double_member (out, "perplexity", step->options.tsne.perplexity);
      json_object_set_boolean_member (out, "approximate_neighbors", embedding->approximate_neighbors);
    }
  if ((step->quality == 1 || (step->quality == -1 && embedding->n <= PROJECT_QUALITY_AUTO_MAX)) &&
      !add_layout_quality (run, embedding, out, error))
    {
      json_array_unref (figures);
      json_node_unref (node);
      return NULL;
    }

  g_autofree guint *categories = g_new (guint, embedding->n);
  guint n_names = 0;
  g_auto(GStrv) names = vt_embedding_categories (store, embedding->rows, embedding->n, step->color,
                                                 step->task_classes, categories, &n_names);
  /* What the scatter figure needs beyond the layout table (vt-report.h):
   * each point's colour, the legend, the palette and the title. */
  {
    g_autofree char *figure_title = g_strdup_printf ("%s of %u samples", title, embedding->n);
    JsonArray *legend = json_array_new ();
    g_autoptr(VtFileWriter) colors = NULL;
    g_autoptr(GError) colors_error = NULL;

    for (guint c = 0; c < n_names; c++)
      json_array_add_string_element (legend, names[c]);
    json_object_set_string_member (out, "figure_title", figure_title);
    json_object_set_array_member (out, "legend", legend);
    json_object_set_string_member (out, "palette", vt_embedding_color_is_ordered (step->color) ? "sequential"
                                                                                               : "categorical");
    if (!(colors = vt_file_writer_new (colors_path, &colors_error)))
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", colors_error->message);
        json_node_unref (node);
        return NULL;
      }
    vt_file_writer_append (colors, "color\n");
    for (gsize i = 0; i < embedding->n; i++)
      vt_file_writer_printf (colors, "%u\n", categories[i]);
    if (!vt_file_writer_commit (colors, &colors_error))
      {
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", colors_error->message);
        json_node_unref (node);
        return NULL;
      }
  }
  json_object_set_array_member (out, "figures", figures);

  g_autoptr(GError) write_error = NULL;
  if (!vt_embedding_write_csv (embedding, layout_path, run->cancellable, &write_error) ||
      !vt_embedding_write_projector (embedding, tensors_path, metadata_path, run->cancellable, &write_error))
    {
      if (g_error_matches (write_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&write_error));
      else
        g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s", write_error->message);
      json_node_unref (node);
      return NULL;
    }
  emit (run, VT_EVENT_FILE, 1.0, layout_name);
  emit (run, VT_EVENT_FILE, 1.0, tensors_name);
  emit (run, VT_EVENT_FILE, 1.0, metadata_name);
  emit (run, VT_EVENT_FILE, 1.0, colors_name);
  json_object_set_string_member (out, "layout_table", layout_name);
  json_object_set_string_member (out, "colors_table", colors_name);
  json_object_set_string_member (out, "projector_tensors", tensors_name);
  json_object_set_string_member (out, "projector_metadata", metadata_name);
  return node;
}

/* The class names a predict step chooses from: the step's own (CLIP), read
 * from its file where it names one, or the model's. */
static char **
predict_class_names (Run                   *run,
                     VtPredictStep         *step,
                     const VtArchitecture  *arch,
                     GError               **error)
{
  if (step->classes)
    return g_strdupv (step->classes);
  if (step->classes_file)
    {
      g_autofree char *path = vt_spec_resolve_path (run->spec, step->classes_file);
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
      guint n = 0;

      if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, error))
        return NULL;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          g_strstrip (lines[i]);
          if (*lines[i] == '\0')
            continue;
          if (!g_utf8_validate (lines[i], -1, NULL))
            {
              g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: line %u is not UTF-8 text", path, i + 1);
              return NULL;
            }
          g_strv_builder_add (names, lines[i]);
          n++;
        }
      if (n == 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no class names (one per line) in the file",
                       path);
          return NULL;
        }
      return g_strv_builder_end (names);
    }
  {
    char **names = g_new0 (char *, arch->num_classes + 1);

    for (int c = 0; c < arch->num_classes; c++)
      names[c] = arch->class_names ? g_strdup (arch->class_names[c]) : g_strdup_printf ("class %d", c);
    return names;
  }
}

JsonNode *
vt_run_predict (VtRunContext  *run,
               VtStep        *base,
               GError       **error)
{
  VtPredictStep *step = (VtPredictStep *) base;
  g_auto(Opened) o = { 0 };
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_auto(GStrv) classes = NULL;
  g_autofree char *table_name = g_strdup_printf ("%s-predictions.csv", step->base.id);
  g_autofree float *pixels = NULL;
  g_autofree double *probabilities = NULL;
  g_autofree guint *top = NULL;
  g_autoptr(GString) csv = g_string_new ("file");
  const VtArchitecture *arch;
  gboolean zero_shot = step->classes != NULL || step->classes_file != NULL;
  guint n_classes, n_images, skipped = 0, k = step->top;
  JsonArray *predictions, *skipped_first;
  JsonObject *result;
  g_autoptr(JsonNode) node = NULL;
  int size;

  if (!open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  if (zero_shot && !vt_zero_shot_supported (o.model))
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: “classes” is for CLIP models (an image and a text tower); this %s classifies into its "
                   "own %d classes: leave %s.classes out", o.checkpoint_path, arch->family_name, arch->num_classes,
                   run->step_path);
      return NULL;
    }
  if (!zero_shot && arch->num_classes <= 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                   "%s: the model has no classifier head%s", o.checkpoint_path,
                   vt_zero_shot_supported (o.model) ? "; name the classes to choose from in “classes”" : "");
      return NULL;
    }
  if (!(classes = predict_class_names (run, step, arch, error)) ||
      (zero_shot && !(tokenizer = vt_predict_load_tokenizer (o.model, NULL, error))))
    return NULL;
  n_classes = g_strv_length (classes);
  if (k > n_classes)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s.top: %u is more than the %u classes; give 1 to %u",
                   run->step_path, k, n_classes, n_classes);
      return NULL;
    }

  size = o.transform.crop_size;
  pixels = g_new (float, (gsize) 3 * size * size);
  probabilities = g_new (double, n_classes);
  top = g_new (guint, k);
  for (guint r = 1; r <= k; r++)
    g_string_append_printf (csv, ",class_%u,probability_%u", r, r);
  g_string_append_c (csv, '\n');
  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  predictions = json_array_new ();
  skipped_first = json_array_new ();
  n_images = o.dataset ? o.dataset->n_samples : g_strv_length (step->images);

  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *file = o.dataset ? vt_dataset_sample_name (o.dataset, i)
                                        : vt_spec_resolve_path (run->spec, step->images[i]);
      g_autoptr(VtImage) image = NULL;
      g_autoptr(GError) image_error = NULL;
      JsonObject *row;
      JsonArray *row_classes, *row_probabilities;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        {
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      image = o.dataset ? vt_dataset_load_image (o.dataset, i, &image_error) : vt_image_load (file, &image_error);
      if (image == NULL && step->input.skip_unreadable)
        {
          if (skipped++ < 10)
            json_array_add_string_element (skipped_first, image_error->message);
          continue;
        }
      if (image == NULL ||
          !vt_transform_check_image (&o.transform, image, file, &image_error))
        {
          g_propagate_error (error, g_steal_pointer (&image_error));
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      vt_transform_apply (&o.transform, image, pixels);
      if (!vt_predict_image (o.model, tokenizer, zero_shot ? (const char * const *) classes : NULL, step->prompt,
                             pixels, size, probabilities, error))
        {
          g_prefix_error (error, "%s: ", file);
          json_array_unref (predictions);
          json_array_unref (skipped_first);
          return NULL;
        }
      vt_predict_top (probabilities, n_classes, k, top);

      row = json_object_new ();
      row_classes = json_array_new ();
      row_probabilities = json_array_new ();
      json_object_set_string_member (row, "file", file);
      vt_csv_append_field (csv, file);
      for (guint r = 0; r < k; r++)
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];

          json_array_add_string_element (row_classes, classes[top[r]]);
          json_array_add_double_element (row_probabilities, probabilities[top[r]]);
          g_string_append_c (csv, ',');
          vt_csv_append_field (csv, classes[top[r]]);
          /* Shortest text that reads back to the same double. */
          g_string_append_printf (csv, ",%s", g_ascii_dtostr (number, sizeof number, probabilities[top[r]]));
        }
      g_string_append_c (csv, '\n');
      json_object_set_array_member (row, "classes", row_classes);
      json_object_set_array_member (row, "probabilities", row_probabilities);
      json_array_add_object_element (predictions, row);
      emit (run, VT_EVENT_PROGRESS, (double) (i + 1) / n_images, file);
    }

  json_object_set_string_member (result, "checkpoint", o.checkpoint_path);
  json_object_set_string_member (result, "architecture", arch->family_name);
  if (o.dataset)
    {
      json_object_set_string_member (result, "dataset", o.dataset_path);
      json_object_set_string_member (result, "dataset_format", o.dataset->format);
      if (o.dataset->split)
        json_object_set_string_member (result, "split", o.dataset->split);
    }
  {
    g_autofree char *transform = vt_transform_describe (&o.transform);
    json_object_set_string_member (result, "transform", transform);
  }
  if (zero_shot)
    json_object_set_string_member (result, "prompt", step->prompt);
  json_object_set_int_member (result, "top", k);
  json_object_set_int_member (result, "images", json_array_get_length (predictions));
  json_object_set_int_member (result, "skipped_samples", skipped);
  json_object_set_array_member (result, "skipped_first", skipped_first);
  json_object_set_array_member (result, "predictions", predictions);
  if (!write_output (run, table_name, csv->str, error))
    return NULL;
  json_object_set_string_member (result, "table", table_name);
  return g_steal_pointer (&node);
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

      dispatch (run, &event);
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
  /* A spec built in code has no source: its JSON is what it runs. */
  json_builder_add_value (b, spec->source ? json_node_copy (spec->source) : vt_spec_to_json (spec));
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);

  for (guint i = 0; i < spec->steps->len; i++)
    {
      VtStep *step = g_ptr_array_index (spec->steps, i);
      JsonNode *result;

      run.step_id = step->id;
      g_free (run.step_path);
      run.step_path = g_strdup_printf ("$.steps[%u]", i);
      emit (&run, VT_EVENT_STEP, 0.0, step->id);
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
      !write_output (&run, "metrics.csv", run.metrics->str, &step_error))
    goto out;
  if (!write_output (&run, "results.json", text, &step_error))
    goto out;
  emit (&run, VT_EVENT_DONE, 1.0, NULL);
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
