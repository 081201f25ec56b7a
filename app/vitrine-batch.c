/* vitrine-batch.c: the headless run.
 *
 * It shares everything with the GUI but the event sink: instead of charts,
 * one JSON object per line on stderr, so scripts can follow a run.
 *
 * The run goes in a worker thread while the main thread waits in a main
 * loop for SIGINT and SIGTERM: the first cancels the run as the window's
 * Cancel does (so run.log says where it stopped, and the exit status is 1),
 * a second one exits at once. */
#include "vitrine-batch.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "figures/vt-figure-render.h"
#include "run/vt-run.h"

typedef struct
{
  gint64 last_progress;   /* monotonic µs of the last progress line */
} BatchState;

/* Progress lines at most every 100 ms; every other event always. */
#define PROGRESS_INTERVAL_US (100 * 1000)

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_double (JsonBuilder *b,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

/* One JSON line: {"event": its kind, "step", and the fields of that kind
 * (see vt-events.h); a tensor's shape but not its data. */
static void
print_event (const VtEvent *event)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;

  json_builder_begin_object (b);
  add_string (b, "event", vt_event_kind_name (event->kind));
  add_string (b, "step", event->step);
  switch (event->kind)
    {
    case VT_EVENT_PROGRESS:
      add_double (b, "fraction", event->fraction);
      if (event->rate > 0)
        add_double (b, "rate", event->rate);
      if (event->seconds_left >= 0)
        add_double (b, "seconds_left", event->seconds_left);
      break;
    case VT_EVENT_METRIC:
      add_string (b, "series", event->series);
      add_string (b, "x_name", event->x_name);
      add_double (b, "x", event->x);
      add_double (b, "y", event->y);
      break;
    case VT_EVENT_TENSOR:
      add_string (b, "name", event->name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint i = 0; i < event->n_dims; i++)
        json_builder_add_int_value (b, (gint64) event->shape[i]);
      json_builder_end_array (b);
      break;
    case VT_EVENT_TABLE:
    case VT_EVENT_FIGURE:
      add_string (b, "name", event->name);
      break;
    default:
      break;
    }
  add_string (b, "path", event->path);
  add_string (b, "message", event->message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  line = json_generator_to_data (generator, NULL);
  g_printerr ("%s\n", line);
}

static void
on_event (const VtEvent *event,
          gpointer       user_data)
{
  BatchState *state = user_data;
  gint64 now = g_get_monotonic_time ();

  if (event->kind == VT_EVENT_PROGRESS)
    {
      if (event->fraction < 1.0 && now - state->last_progress < PROGRESS_INTERVAL_US)
        return;
      state->last_progress = now;
    }
  print_event (event);
}

char *
vitrine_batch_default_output (const char *spec_path)
{
  g_autofree char *dir = g_path_get_dirname (spec_path);
  g_autofree char *base = g_path_get_basename (spec_path);
  char *dot = strrchr (base, '.');

  if (dot && dot != base)
    *dot = '\0';
  else
    {
      /* "spec" without an extension: the folder cannot take its name. */
      char *named = g_strconcat (base, ".results", NULL);
      g_free (base);
      base = named;
    }
  return g_build_filename (dir, base, NULL);
}

typedef struct
{
  VtSpec        *spec;
  const char    *output;
  GCancellable  *cancellable;
  GMainLoop     *loop;
  BatchState     state;
  gboolean       ok;
  GError        *error;
} BatchRun;

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gpointer
run_thread (gpointer data)
{
  BatchRun *run = data;
  VtRunOptions options = {
    .events = { on_event, &run->state },
    .write_figure = vt_figure_export_writer,
  };

  run->ok = vt_run_execute (run->spec, run->output, &options, run->cancellable, &run->error);
  g_main_context_invoke (NULL, quit_loop, run->loop);
  return NULL;
}

static gboolean
on_signal (gpointer data)
{
  BatchRun *run = data;

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      /* The user asked twice: do not wait for the run to wind down. */
      g_printerr ("vitrine: stopped at once\n");
      _exit (VITRINE_BATCH_RUN_FAILED);
    }
  g_printerr ("vitrine: cancelling the run (a second signal stops it at once)\n");
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

int
vitrine_batch_run (const char *spec_path,
                   const char *output_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_load (spec_path, &error);
  g_autofree char *output = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  BatchRun run = { 0 };
  GThread *thread;
  guint sigint, sigterm;

  if (spec == NULL)
    {
      g_printerr ("vitrine: %s\n", error->message);
      return VITRINE_BATCH_BAD_SPEC;
    }

  output = output_dir ? g_strdup (output_dir) : vitrine_batch_default_output (spec_path);
  run = (BatchRun) { spec, output, cancellable, loop, { 0 }, FALSE, NULL };
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  thread = g_thread_new ("vitrine-batch", run_thread, &run);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (!run.ok)
    {
      VtEvent failure = { .kind = VT_EVENT_ERROR, .message = run.error->message };

      print_event (&failure);
      g_printerr ("vitrine: %s\n", run.error->message);
      g_clear_error (&run.error);
      return VITRINE_BATCH_RUN_FAILED;
    }
  g_printerr ("vitrine: results in %s\n", output);
  return VITRINE_BATCH_OK;
}
