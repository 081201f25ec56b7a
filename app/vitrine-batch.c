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

/* One JSON line: {"event": @name, "step", "fraction", "message", and for a
 * metric "series", "point", "value"}; @event may be NULL. */
static void
print_event (const char       *name,
             const VtRunEvent *event,
             const char       *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, name);
  if (event && event->step)
    {
      json_builder_set_member_name (b, "step");
      json_builder_add_string_value (b, event->step);
    }
  if (event && event->kind == VT_RUN_EVENT_PROGRESS)
    {
      json_builder_set_member_name (b, "fraction");
      json_builder_add_double_value (b, event->fraction);
    }
  if (event && event->kind == VT_RUN_EVENT_METRIC)
    {
      json_builder_set_member_name (b, "series");
      json_builder_add_string_value (b, event->series);
      json_builder_set_member_name (b, "point");
      json_builder_add_int_value (b, event->point);
      json_builder_set_member_name (b, "value");
      json_builder_add_double_value (b, event->value);
    }
  if (message || (event && event->message))
    {
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message ? message : event->message);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  line = json_generator_to_data (generator, NULL);
  g_printerr ("%s\n", line);
}

static void
on_event (const VtRunEvent *event,
          gpointer          user_data)
{
  BatchState *state = user_data;
  gint64 now = g_get_monotonic_time ();

  switch (event->kind)
    {
    case VT_RUN_EVENT_STEP:
      print_event ("step", event, NULL);
      break;
    case VT_RUN_EVENT_PROGRESS:
      if (event->fraction < 1.0 && now - state->last_progress < PROGRESS_INTERVAL_US)
        return;
      state->last_progress = now;
      print_event ("progress", event, NULL);
      break;
    case VT_RUN_EVENT_FILE:
      print_event ("file", event, NULL);
      break;
    case VT_RUN_EVENT_METRIC:
      print_event ("metric", event, NULL);
      break;
    case VT_RUN_EVENT_DONE:
      print_event ("done", NULL, NULL);
      break;
    default:
      break;
    }
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
    .on_event = on_event,
    .event_data = &run->state,
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
      print_event ("error", NULL, run.error->message);
      g_printerr ("vitrine: %s\n", run.error->message);
      g_clear_error (&run.error);
      return VITRINE_BATCH_RUN_FAILED;
    }
  g_printerr ("vitrine: results in %s\n", output);
  return VITRINE_BATCH_OK;
}
