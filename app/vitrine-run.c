/* vitrine-run.c: one run of the engine from the window.
 *
 * The worker copies each event into a queue under a lock and schedules one
 * low-priority idle if none is pending (as vitrine-window.c does for
 * opening a checkpoint), so a fast stream of events costs the main loop one
 * wake-up per frame, not one per event. Progress and tensors (a layout as it
 * moves) are coalesced: only the newest of each name waits; metrics,
 * tables, figures and files are kept in order. When the worker is done the
 * queue is drained before the state changes, so a listener sees every
 * event before "finished". */
#include "vitrine-run.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/vt-atomic-file.h"
#include "core/vt-json.h"
#include "figures/vt-figure-render.h"
#include "run/vt-run.h"

G_DEFINE_QUARK (vitrine-run-error-quark, vitrine_run_error)

G_DEFINE_ENUM_TYPE (VitrineRunState, vitrine_run_state,
                    G_DEFINE_ENUM_VALUE (VITRINE_RUN_QUEUED, "queued"),
                    G_DEFINE_ENUM_VALUE (VITRINE_RUN_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (VITRINE_RUN_FINISHED, "finished"),
                    G_DEFINE_ENUM_VALUE (VITRINE_RUN_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (VITRINE_RUN_CANCELLED, "cancelled"))

/* An event copied out of the worker: @event points into the copies. */
typedef struct
{
  VtEvent  event;
  char    *step;
  char    *message;
  char    *series;
  char    *x_name;
  double  *values;
  char    *name;
  gsize   *shape;
  float   *data;
  char    *path;
} QueuedEvent;

struct _VitrineRun
{
  GObject          parent_instance;

  char            *area;
  char            *name;
  char            *spec;
  char            *results_dir;
  VitrineRunState  state;
  double           fraction;
  char            *message;
  gint64           start_time;
  gint64           end_time;
  GCancellable    *cancellable;

  GMutex           lock;          /* guards queue and idle_pending */
  GQueue           queue;         /* QueuedEvent *, oldest first */
  gboolean         idle_pending;
  gboolean         missing;       /* a workspace's folder that could not be read */
};

G_DEFINE_FINAL_TYPE (VitrineRun, vitrine_run, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_AREA,
  PROP_NAME,
  PROP_SPEC,
  PROP_STATE,
  PROP_FRACTION,
  PROP_MESSAGE,
  PROP_RESULTS_DIR,
  PROP_START_TIME,
  PROP_END_TIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
queued_event_free (QueuedEvent *q)
{
  g_free (q->step);
  g_free (q->message);
  g_free (q->series);
  g_free (q->x_name);
  g_free (q->values);
  g_free (q->name);
  g_free (q->shape);
  g_free (q->data);
  g_free (q->path);
  g_free (q);
}

static QueuedEvent *
queued_event_new (const VtEvent *event)
{
  QueuedEvent *q = g_new0 (QueuedEvent, 1);
  gsize n = 1;

  q->event = *event;
  q->event.step = q->step = g_strdup (event->step);
  q->event.message = q->message = g_strdup (event->message);
  q->event.series = q->series = g_strdup (event->series);
  q->event.x_name = q->x_name = g_strdup (event->x_name);
  q->event.name = q->name = g_strdup (event->name);
  q->event.path = q->path = g_strdup (event->path);
  if (event->values != NULL)
    q->event.values = q->values = g_memdup2 (event->values, sizeof (double) * event->n_values);
  if (event->shape != NULL)
    {
      q->event.shape = q->shape = g_memdup2 (event->shape, sizeof (gsize) * event->n_dims);
      for (guint d = 0; d < event->n_dims; d++)
        n *= event->shape[d];
    }
  if (event->data != NULL)
    q->event.data = q->data = g_memdup2 (event->data, sizeof (float) * n);
  /* A figure lives only during the call and has no copy; listeners read
   * the figure's file, named by the FILE event that follows. */
  q->event.figure = NULL;
  return q;
}

/* The events queued so far, in order, on the main thread. */
static void
drain (VitrineRun *self)
{
  GQueue queue = G_QUEUE_INIT;

  g_mutex_lock (&self->lock);
  queue = self->queue;
  g_queue_init (&self->queue);
  self->idle_pending = FALSE;
  g_mutex_unlock (&self->lock);

  for (GList *l = queue.head; l != NULL; l = l->next)
    {
      QueuedEvent *q = l->data;

      if (q->event.kind == VT_EVENT_PROGRESS)
        {
          self->fraction = CLAMP (q->event.fraction, 0.0, 1.0);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
          if (q->event.message != NULL && g_strcmp0 (q->event.message, self->message) != 0)
            {
              g_free (self->message);
              self->message = g_strdup (q->event.message);
              g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
            }
        }
      g_signal_emit (self, signals[SIGNAL_EVENT], 0, &q->event);
    }
  g_queue_clear_full (&queue, (GDestroyNotify) queued_event_free);
}

static gboolean
drain_idle (gpointer data)
{
  drain (data);
  return G_SOURCE_REMOVE;
}

/* Whether @q stands for the same moving thing as @event, so the newer
 * replaces it. */
static gboolean
coalesces (const QueuedEvent *q,
           const VtEvent     *event)
{
  if (q->event.kind != event->kind || g_strcmp0 (q->step, event->step) != 0)
    return FALSE;
  return event->kind == VT_EVENT_PROGRESS ||
         (event->kind == VT_EVENT_TENSOR && g_strcmp0 (q->name, event->name) == 0);
}

/* Worker thread. */
static void
on_event (const VtEvent *event,
          gpointer       data)
{
  VitrineRun *self = data;
  QueuedEvent *q = queued_event_new (event);
  gboolean schedule;

  g_mutex_lock (&self->lock);
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (coalesces (l->data, event))
      {
        queued_event_free (l->data);
        g_queue_delete_link (&self->queue, l);
        break;
      }
  g_queue_push_tail (&self->queue, q);
  schedule = !self->idle_pending;
  self->idle_pending = TRUE;
  g_mutex_unlock (&self->lock);

  if (schedule)
    g_idle_add_full (G_PRIORITY_LOW, drain_idle, g_object_ref (self), g_object_unref);
}

/* Running ---------------------------------------------------------------------------*/

typedef struct
{
  VtSpec  *spec;
  char    *dir;
} Job;

static void
job_free (Job *job)
{
  vt_spec_free (job->spec);
  g_free (job->dir);
  g_free (job);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      data,
            GCancellable *cancellable)
{
  Job *job = data;
  VtRunOptions options = { { on_event, source }, vt_figure_export_writer, NULL };
  GError *error = NULL;

  if (vt_run_execute (job->spec, job->dir, &options, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
set_state (VitrineRun      *self,
           VitrineRunState  state,
           const char      *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (state >= VITRINE_RUN_FINISHED)
    {
      self->end_time = g_get_real_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_TIME]);
    }
  if (state == VITRINE_RUN_FINISHED)
    {
      self->fraction = 1.0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  if (message != NULL)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* Main thread, once the worker is done: every event first, then the state. */
static void
on_thread_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  VitrineRun *self = VITRINE_RUN (source);
  g_autoptr(GTask) outer = data;
  GError *error = NULL;

  drain (self);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      set_state (self, VITRINE_RUN_FINISHED, _("Done"));
      g_task_return_boolean (outer, TRUE);
    }
  else
    {
      gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

      set_state (self, cancelled ? VITRINE_RUN_CANCELLED : VITRINE_RUN_FAILED,
                 cancelled ? _("Cancelled") : error->message);
      g_task_return_error (outer, error);
    }
}

void
vitrine_run_start_async (VitrineRun          *self,
                         const char          *parent_dir,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) inner = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *runs = NULL;
  GError *error = NULL;
  Job *job;

  g_return_if_fail (VITRINE_IS_RUN (self));
  g_task_set_source_tag (outer, vitrine_run_start_async);
  if (self->state != VITRINE_RUN_QUEUED)
    {
      g_task_return_new_error (outer, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_STATE,
                               "a run starts once; Re-run makes a new one");
      return;
    }
  g_set_object (&self->cancellable, cancellable);
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  self->start_time = g_get_real_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START_TIME]);

  job = g_new0 (Job, 1);
  /* The window's specs name absolute paths: "/" is where none start. A
   * run reopened from its results folder has the spec its results.json
   * echoes, whose "base_dir" says where its relative paths start, and
   * wins over this (vt_spec_echo): Re-run runs it from anywhere. */
  job->spec = vt_spec_new_from_data (self->spec, "/", &error);
  if (job->spec != NULL)
    {
      /* A folder of its own: a second run started in the same second must
       * not write over, or supersede, the first one's results. */
      runs = parent_dir != NULL ? g_strdup (parent_dir)
                                : g_build_filename (g_get_user_data_dir (), "vitrine", "runs", NULL);
      job->dir = vt_run_new_folder (runs, stamp, &error);
    }
  if (job->dir == NULL)
    {
      job_free (job);
      set_state (self, VITRINE_RUN_FAILED, error->message);
      g_task_return_error (outer, error);
      return;
    }
  self->results_dir = g_strdup (job->dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULTS_DIR]);
  set_state (self, VITRINE_RUN_RUNNING, _("Running…"));

  inner = g_task_new (self, self->cancellable, on_thread_done, g_steal_pointer (&outer));
  g_task_set_task_data (inner, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (inner, run_thread);
}

gboolean
vitrine_run_start_finish (VitrineRun    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

VitrineRunEnd
vitrine_run_finish_for_page (VitrineRun    *self,
                             VitrineRun    *shown,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  /* The page no longer shows this run: what it ended with is not the page's to say. */
  if (self != shown)
    {
      vitrine_run_start_finish (self, result, NULL);
      return VITRINE_RUN_ENDED_ELSEWHERE;
    }
  if (vitrine_run_start_finish (self, result, &local_error))
    return VITRINE_RUN_ENDED_DONE;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return VITRINE_RUN_ENDED_CANCELLED;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return VITRINE_RUN_ENDED_FAILED;
}

void
vitrine_run_cancel (VitrineRun *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/* Construction ----------------------------------------------------------------------*/

VitrineRun *
vitrine_run_new (const char *area,
                 const char *name,
                 const char *spec_json)
{
  return g_object_new (VITRINE_TYPE_RUN, "area", area, "name", name, "spec", spec_json, NULL);
}

VitrineRun *
vitrine_run_new_again (VitrineRun *run)
{
  return vitrine_run_new (run->area, run->name, run->spec);
}

const char *
vitrine_run_area_title (const char *area)
{
  if (g_strcmp0 (area, "model") == 0)
    return _("Model");
  if (g_strcmp0 (area, "predict") == 0)
    return _("Predict");
  if (g_strcmp0 (area, "dataset") == 0)
    return _("Dataset");
  if (g_strcmp0 (area, "embedding") == 0)
    return _("Embedding");
  if (g_strcmp0 (area, "incremental") == 0)
    return _("Incremental");
  if (g_strcmp0 (area, "train") == 0)
    return _("Train");
  if (g_strcmp0 (area, "attribution") == 0)
    return _("Attribution");
  if (g_strcmp0 (area, "attention") == 0)
    return _("Attention");
  return area;
}

const char *
vitrine_run_area_for_kind (const char *kind)
{
  static const struct { const char *kind, *area; } areas[] = {
    { "inspect", "model" },
    { "forward", "model" },
    { "predict", "predict" },
    { "evaluate", "predict" },
    { "extract", "dataset" },
    { "project", "embedding" },
    { "incremental", "incremental" },
    { "train", "train" },
    { "comet", "attribution" },
    { "attention", "attention" },
    { "faithfulness", "attribution" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
    if (g_strcmp0 (kind, areas[i].kind) == 0)
      return areas[i].area;
  return NULL;
}

/* The area of a spec's last step: a project or incremental step after the
 * extractions it needs is that area's work. */
static const char *
area_of_spec (JsonObject *spec)
{
  JsonNode *steps = json_object_get_member (spec, "steps");
  const char *area = NULL;

  if (steps == NULL || !JSON_NODE_HOLDS_ARRAY (steps))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (steps)); i++)
    {
      JsonNode *step = json_array_get_element (json_node_get_array (steps), i);
      JsonNode *kind = JSON_NODE_HOLDS_OBJECT (step) ? json_object_get_member (json_node_get_object (step), "kind")
                                                      : NULL;

      if (kind != NULL && JSON_NODE_HOLDS_VALUE (kind) && json_node_get_value_type (kind) == G_TYPE_STRING)
        area = vitrine_run_area_for_kind (json_node_get_string (kind));
    }
  return area;
}

VitrineRun *
vitrine_run_new_from_results (const char  *dir,
                              GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "results.json", NULL);
  g_autoptr(JsonNode) root = vt_json_load_file (path, error);
  g_autofree char *spec_json = NULL;
  g_autofree char *base = NULL;
  JsonObject *object;
  JsonNode *spec, *started, *name;
  const char *area;
  VitrineRun *run;
  GStatBuf st;

  if (root == NULL)
    return NULL;
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  spec = object != NULL ? json_object_get_member (object, "spec") : NULL;
  if (spec == NULL || !JSON_NODE_HOLDS_OBJECT (spec) || (area = area_of_spec (json_node_get_object (spec))) == NULL)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s: not a Vitrine results file: $.spec is not a spec with steps Vitrine knows", path);
      return NULL;
    }
  spec_json = json_to_string (spec, TRUE);
  name = json_object_get_member (json_node_get_object (spec), "name");
  base = g_path_get_basename (dir);
  run = vitrine_run_new (area,
                         name != NULL && JSON_NODE_HOLDS_VALUE (name) &&
                         json_node_get_value_type (name) == G_TYPE_STRING ? json_node_get_string (name) : base,
                         spec_json);
  run->results_dir = g_canonicalize_filename (dir, NULL);
  run->state = VITRINE_RUN_FINISHED;
  run->fraction = 1.0;
  /* Translators: the state of a run read back from its results folder */
  run->message = g_strdup (_("Done (reopened)"));
  started = json_object_get_member (object, "started");
  if (started != NULL && JSON_NODE_HOLDS_VALUE (started) && json_node_get_value_type (started) == G_TYPE_STRING)
    {
      g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (json_node_get_string (started), NULL);

      if (t != NULL)
        run->start_time = g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
    }
  /* results.json is the run's last write: its time is the end. */
  if (g_stat (path, &st) == 0)
    run->end_time = (gint64) st.st_mtime * G_USEC_PER_SEC;
  if (run->start_time == 0 || run->start_time > run->end_time)
    run->start_time = run->end_time;
  return run;
}

VitrineRun *
vitrine_run_new_for_folder (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  VitrineRun *run = vitrine_run_new_from_results (dir, &error);

  if (run != NULL)
    return run;
  name = g_path_get_basename (dir);
  run = g_object_new (VITRINE_TYPE_RUN, "name", name, NULL);
  run->results_dir = g_canonicalize_filename (dir, NULL);
  run->missing = TRUE;
  run->state = VITRINE_RUN_FAILED;
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    /* Translators: a run of the workspace whose results folder was deleted or moved; %s: the folder */
    run->message = g_strdup_printf (_("Missing: the folder %s has gone"), dir);
  else
    /* Translators: a run of the workspace whose results cannot be read; %s: why */
    run->message = g_strdup_printf (_("Missing: %s"), error->message);
  return run;
}

gboolean
vitrine_run_is_missing (VitrineRun *self)
{
  return self->missing;
}

/* Results ---------------------------------------------------------------------------*/

JsonNode *
vitrine_run_load_results (VitrineRun  *self,
                          GError     **error)
{
  g_autofree char *path = NULL;

  if (self->results_dir == NULL || self->state != VITRINE_RUN_FINISHED)
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, "the run “%s” has no results", self->name);
      return NULL;
    }
  path = g_build_filename (self->results_dir, "results.json", NULL);
  return vt_json_load_file (path, error);
}

JsonNode *
vitrine_run_load_step_result (VitrineRun  *self,
                              const char  *kind,
                              GError     **error)
{
  g_autoptr(JsonNode) root = vitrine_run_load_results (self, error);
  JsonObject *object, *spec;
  JsonArray *spec_steps, *steps;

  if (root == NULL)
    return NULL;
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  spec = object != NULL && json_object_has_member (object, "spec") &&
         JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "spec"))
         ? json_object_get_object_member (object, "spec") : NULL;
  spec_steps = spec != NULL && json_object_has_member (spec, "steps") &&
               JSON_NODE_HOLDS_ARRAY (json_object_get_member (spec, "steps"))
               ? json_object_get_array_member (spec, "steps") : NULL;
  steps = object != NULL && json_object_has_member (object, "steps") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "steps"))
          ? json_object_get_array_member (object, "steps") : NULL;
  for (guint i = 0; spec_steps != NULL && steps != NULL && i < json_array_get_length (spec_steps) &&
                    i < json_array_get_length (steps); i++)
    {
      JsonNode *step = json_array_get_element (spec_steps, i);
      JsonNode *result = json_array_get_element (steps, i);
      JsonNode *step_kind = JSON_NODE_HOLDS_OBJECT (step) ? json_object_get_member (json_node_get_object (step), "kind")
                                                           : NULL;

      if (step_kind != NULL && JSON_NODE_HOLDS_VALUE (step_kind) &&
          json_node_get_value_type (step_kind) == G_TYPE_STRING &&
          g_str_equal (json_node_get_string (step_kind), kind) && JSON_NODE_HOLDS_OBJECT (result))
        return json_node_copy (result);
    }
  g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS, "%s/results.json: no result of a step of kind “%s”",
               self->results_dir, kind);
  return NULL;
}

gboolean
vitrine_run_save_spec (VitrineRun  *self,
                       const char  *path,
                       GError     **error)
{
  /* Parsed as the run parses it, and written as results.json echoes it
   * (with "base_dir"): --batch runs the file to the same results.json,
   * spec echo included, wherever the file is saved. */
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (self->spec, "/", error);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_newline = NULL;

  if (spec == NULL)
    return FALSE;
  root = vt_spec_echo (spec);
  text = json_to_string (root, TRUE);
  with_newline = g_strconcat (text, "\n", NULL);
  return vt_atomic_file_write (path, with_newline, strlen (with_newline), error);
}

/* Properties ------------------------------------------------------------------------*/

VitrineRunState
vitrine_run_get_state (VitrineRun *self)
{
  return self->state;
}

double
vitrine_run_get_fraction (VitrineRun *self)
{
  return self->fraction;
}

const char *
vitrine_run_get_message (VitrineRun *self)
{
  return self->message;
}

const char *
vitrine_run_get_area (VitrineRun *self)
{
  return self->area;
}

const char *
vitrine_run_get_name (VitrineRun *self)
{
  return self->name;
}

const char *
vitrine_run_get_spec (VitrineRun *self)
{
  return self->spec;
}

const char *
vitrine_run_get_results_dir (VitrineRun *self)
{
  return self->results_dir;
}

gint64
vitrine_run_get_start_time (VitrineRun *self)
{
  return self->start_time;
}

gint64
vitrine_run_get_end_time (VitrineRun *self)
{
  return self->end_time;
}

double
vitrine_run_get_elapsed (VitrineRun *self)
{
  gint64 end = self->end_time != 0 ? self->end_time : g_get_real_time ();

  if (self->start_time == 0)
    return 0.0;
  return MAX (0, end - self->start_time) / (double) G_USEC_PER_SEC;
}

gboolean
vitrine_run_is_done (VitrineRun *self)
{
  return self->state >= VITRINE_RUN_FINISHED;
}

static void
vitrine_run_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  VitrineRun *self = VITRINE_RUN (object);

  switch (prop_id)
    {
    case PROP_AREA: g_value_set_string (value, self->area); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_SPEC: g_value_set_string (value, self->spec); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_FRACTION: g_value_set_double (value, self->fraction); break;
    case PROP_MESSAGE: g_value_set_string (value, self->message); break;
    case PROP_RESULTS_DIR: g_value_set_string (value, self->results_dir); break;
    case PROP_START_TIME: g_value_set_int64 (value, self->start_time); break;
    case PROP_END_TIME: g_value_set_int64 (value, self->end_time); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_run_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  VitrineRun *self = VITRINE_RUN (object);

  switch (prop_id)
    {
    case PROP_AREA: g_free (self->area); self->area = g_value_dup_string (value); break;
    case PROP_NAME: g_free (self->name); self->name = g_value_dup_string (value); break;
    case PROP_SPEC: g_free (self->spec); self->spec = g_value_dup_string (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_run_finalize (GObject *object)
{
  VitrineRun *self = VITRINE_RUN (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) queued_event_free);
  g_mutex_clear (&self->lock);
  g_free (self->area);
  g_free (self->name);
  g_free (self->spec);
  g_free (self->results_dir);
  g_free (self->message);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vitrine_run_parent_class)->finalize (object);
}

static void
vitrine_run_class_init (VitrineRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = vitrine_run_get_property;
  object_class->set_property = vitrine_run_set_property;
  object_class->finalize = vitrine_run_finalize;

  properties[PROP_AREA] = g_param_spec_string ("area", NULL, NULL, NULL, co);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, co);
  properties[PROP_SPEC] = g_param_spec_string ("spec", NULL, NULL, NULL, co);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, VITRINE_TYPE_RUN_STATE, VITRINE_RUN_QUEUED, ro);
  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0, ro);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, ro);
  properties[PROP_RESULTS_DIR] = g_param_spec_string ("results-dir", NULL, NULL, NULL, ro);
  properties[PROP_START_TIME] = g_param_spec_int64 ("start-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_END_TIME] = g_param_spec_int64 ("end-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* VitrineRun::event: (const VtEvent *) an engine event, on the main
   * thread; valid during the emission. */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
vitrine_run_init (VitrineRun *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->queue);
}
