/* vitrine-window.c: the main window.
 *
 * Every way to open a checkpoint (the Open button, Ctrl+O, the recent menu,
 * a drop, the command line) ends in the "win.open-file" action, so there is
 * one path to test. The statistics are the Model area's inspect run
 * (vitrine-model-page.c), whose progress events reach the bar at the top. */
#include "vitrine-window.h"
#include "vitrine-data.h"
#include "vitrine-dataset-page.h"
#include "vitrine-file-chooser.h"
#include "io/vt-checkpoint-export.h"
#include "vitrine-embedding-page.h"
#include "vitrine-incremental-page.h"
#include "vitrine-accessible.h"
#include "vitrine-labeling-keys.h"
#include "vitrine-labeling-page.h"
#include "vitrine-predict-page.h"
#include "vitrine-attention-page.h"
#include "vitrine-attribution-page.h"
#include "vitrine-settings.h"
#include "vitrine-workspace-view.h"

#include <glib/gi18n.h>
#include <string.h>

#include "config.h"

struct _VitrineWindow
{
  GtkApplicationWindow  parent_instance;

  GtkStack             *main_stack;
  GtkStack             *areas_stack;
  VitrineModelPage     *model_page;
  GtkStackPage         *model_stack_page;
  VitrinePredictPage   *predict_page;
  GtkStackPage         *predict_stack_page;
  VitrineAttentionPage *attention_page;
  GtkStackPage         *attention_stack_page;
  VitrineAttributionPage *attribution_page;
  GtkStackPage         *attribution_stack_page;
  VitrineDatasetPage   *dataset_page;
  VitrineIncrementalPage *incremental_page;
  VitrineLabelingPage    *labeling_page;
  VitrineTrainPage     *train_page;
  GtkStackPage         *train_stack_page;
  VitrineEmbeddingPage   *embedding_page;
  GtkRevealer          *progress_revealer;
  GtkProgressBar       *progress_bar;
  GtkLabel             *progress_label;
  GMenuModel           *primary_menu;
  GMenu                *recent_menu;
  GtkWidget            *demo_button;
  GtkWidget            *start_recent;      /* the start page's recent files */
  GtkListBox           *start_recent_list;

  GCancellable         *load_cancellable;   /* the inspection of the checkpoint being opened */
  GtkRecentManager     *recent_manager;
  GPtrArray            *recent_pending;    /* PendingRecent: added, not yet seen in the list */
  VitrineRunsPanel     *runs_panel;
  GListStore           *runs;

  VitrineWorkspace     *workspace;
  GSettings            *settings;        /* NULL without the schema */
  guint                 autosave_id;
};

G_DEFINE_FINAL_TYPE (VitrineWindow, vitrine_window, GTK_TYPE_APPLICATION_WINDOW)

#define MAX_RECENT 8

/* Recent files are marked with what they are, so that each reopens as such;
 * files the file chooser adds on its own (images, stores) carry neither. */
#define RECENT_CHECKPOINT "vitrine-checkpoint"
#define RECENT_DATASET "vitrine-dataset"

static void
show_error_titled (VitrineWindow *self,
                   const char    *title,
                   const GError  *error)
{
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", title);

  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", error->message);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  vitrine_accessible_fix_mnemonics (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_error (VitrineWindow *self,
            const char    *path,
            const GError  *error)
{
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Cannot open “%s”"), name);

  show_error_titled (self, title, error);
}

static void
set_loading (VitrineWindow *self,
             const char    *path)
{
  gboolean loading = path != NULL;

  gtk_revealer_set_reveal_child (self->progress_revealer, loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-load", loading);
  if (loading)
    {
      g_autofree char *name = g_path_get_basename (path);
      g_autofree char *text = g_strdup_printf (_("Reading %s"), name);

      gtk_label_set_text (self->progress_label, text);
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
    }
}

/* Recent files ---------------------------------------------------------------*/

/* GtkRecentManager saves its list in an idle and reloads it when the file
 * changes: an item added between its own save and that reload is dropped
 * (seen with two files opened in quick succession). So each item added is
 * kept here for a while, and added again whenever a change of the list
 * (a reload among them) shows it lost. */
typedef struct
{
  char       *path;
  const char *group;
  guint       tries;
  gint64      added;   /* g_get_monotonic_time */
} PendingRecent;

#define RECENT_TRIES 5
/* Longer than GtkRecentManager's save and the file monitor's report. */
#define RECENT_SETTLE_US (5 * G_USEC_PER_SEC)

static void
pending_recent_free (PendingRecent *pending)
{
  g_free (pending->path);
  g_free (pending);
}

static void add_recent_item (VitrineWindow *self, const char *path, const char *group);

static void
add_recent (VitrineWindow *self,
            const char    *path,
            const char    *group)
{
  PendingRecent *pending = g_new0 (PendingRecent, 1);

  pending->path = g_strdup (path);
  pending->group = group;
  pending->added = g_get_monotonic_time ();
  g_ptr_array_add (self->recent_pending, pending);
  add_recent_item (self, path, group);
}

/* On every change of the list: what it holds now is no longer pending;
 * what it lost is added again (a few times at most). */
static void
readd_lost_recent (VitrineWindow *self)
{
  for (guint i = 0; i < self->recent_pending->len;)
    {
      PendingRecent *pending = g_ptr_array_index (self->recent_pending, i);
      g_autoptr(GFile) file = g_file_new_for_path (pending->path);
      g_autofree char *uri = g_file_get_uri (file);

      gboolean held = gtk_recent_manager_has_item (self->recent_manager, uri);

      if ((held && g_get_monotonic_time () - pending->added > RECENT_SETTLE_US) || pending->tries >= RECENT_TRIES)
        {
          g_ptr_array_remove_index (self->recent_pending, i);
          continue;
        }
      if (!held)
        {
          pending->tries++;
          add_recent_item (self, pending->path, pending->group);
        }
      i++;
    }
}

static void
add_recent_item (VitrineWindow *self,
                 const char    *path,
                 const char    *group)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  const char *groups[] = { group, NULL };
  GtkRecentData data = {
    .mime_type = (char *) (g_file_test (path, G_FILE_TEST_IS_DIR) ? "inode/directory" : "application/octet-stream"),
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "vitrine %u",
    .groups = (char **) groups,
  };

  gtk_recent_manager_add_full (self->recent_manager, uri, &data);
}

/* "Open in Predict" in the Dataset area's sample view. */
static void
on_open_in_predict (VitrineWindow *self,
                    const char    *file)
{
  g_autoptr(GFile) image = g_file_new_for_path (file);

  vitrine_window_show_area (self, "predict");
  vitrine_predict_page_open (self->predict_page, image);
}

static void
on_dataset_opened (VitrineWindow *self,
                   const char    *path)
{
  add_recent (self, path, RECENT_DATASET);
  /* The Attention area shows the dataset's samples too. */
  vitrine_attention_page_set_dataset (self->attention_page, vitrine_dataset_page_get_dataset (self->dataset_page));
  vitrine_attribution_page_set_dataset (self->attribution_page, vitrine_dataset_page_get_dataset (self->dataset_page));
  vitrine_workspace_item_set_dataset (vitrine_workspace_add (self->workspace, VT_WORKSPACE_DATASET, path),
                                      vitrine_dataset_page_get_dataset (self->dataset_page));
  vitrine_train_page_set_dataset (self->train_page, vitrine_dataset_page_get_dataset (self->dataset_page));
}

/* The checkpoint the Model area now shows is the window's: its title, the
 * recent files, the workspace, and the areas that run it. */
static void
show_checkpoint (VitrineWindow *self)
{
  VtInspection *inspection = vitrine_model_page_get_inspection (self->model_page);
  const char *path = vt_checkpoint_get_path (inspection->checkpoint);

  {
    g_autofree char *name = g_path_get_basename (path);
    g_autofree char *title = g_strdup_printf ("%s — Vitrine", name);

    gtk_window_set_title (GTK_WINDOW (self), title);
    add_recent (self, path, RECENT_CHECKPOINT);
    vitrine_workspace_add (self->workspace, VT_WORKSPACE_CHECKPOINT, path);
  }
  /* The Predict area shows only for models Vitrine can run as classifiers. */
  {
    g_autoptr(VtModel) model = vt_model_new (inspection->checkpoint, NULL);
    gboolean predicts = vitrine_predict_page_supports (model);

    vitrine_predict_page_set_model (self->predict_page, predicts ? model : NULL);
    gtk_stack_page_set_visible (self->predict_stack_page, predicts);
    /* The Attention area shows only for ViTs with a class token. */
    {
      gboolean attends = vitrine_attention_page_supports (model);

      vitrine_attention_page_set_model (self->attention_page, attends ? model : NULL);
      gtk_stack_page_set_visible (self->attention_stack_page, attends);
    }
    /* The Attribution area shows for classifiers with a backward pass. */
    {
      gboolean attributes = vitrine_attribution_page_supports (model);

      vitrine_attribution_page_set_model (self->attribution_page, attributes ? model : NULL);
      gtk_stack_page_set_visible (self->attribution_stack_page, attributes);
    }
    /* Any model with a forward pass extracts features. */
    vitrine_dataset_page_set_model (self->dataset_page, model);
    /* The Train area shows for any model; it says why one cannot train. */
    vitrine_train_page_set_model (self->train_page, model);
    gtk_stack_page_set_visible (self->train_stack_page, model != NULL);
  }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-weights", TRUE);
  gtk_stack_page_set_visible (self->model_stack_page, TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "workbench");
  gtk_stack_set_visible_child_name (self->areas_stack, "model");
  /* Keyboard users land in the tensor table, not in the first label. */
  gtk_widget_grab_focus (GTK_WIDGET (vitrine_model_page_get_column_view (self->model_page)));
}

/* Opening a checkpoint is the Model area's inspect run: the bar at the top
 * follows its progress events. */
static void
on_load_event (VitrineRun    *run,
               const VtEvent *event,
               VitrineWindow *self)
{
  if (event->kind != VT_EVENT_PROGRESS || run != vitrine_model_page_get_run (self->model_page) ||
      self->load_cancellable == NULL)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, event->fraction);
  gtk_progress_bar_set_text (self->progress_bar, event->message);
}

typedef struct
{
  VitrineWindow *window;
  GCancellable  *cancellable;
  char          *path;
} LoadJob;

static void
on_inspected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  LoadJob *job = data;
  VitrineWindow *self = job->window;
  g_autoptr(GError) error = NULL;
  gboolean shown = vitrine_model_page_inspect_finish (VITRINE_MODEL_PAGE (source), result, &error);

  /* A newer load replaced this one: its result is stale. */
  if (job->cancellable == self->load_cancellable)
    {
      g_clear_object (&self->load_cancellable);
      set_loading (self, NULL);
      if (shown)
        show_checkpoint (self);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, job->path, error);
    }
  g_object_unref (job->window);
  g_object_unref (job->cancellable);
  g_free (job->path);
  g_free (job);
}

void
vitrine_window_open (VitrineWindow *self,
                     GFile         *file)
{
  g_autofree char *path = g_file_get_path (file);
  LoadJob *job;

  g_return_if_fail (VITRINE_IS_WINDOW (self));

  /* A results folder, or its results.json: the run, not a checkpoint. */
  if (path != NULL)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *inside = g_build_filename (path, "results.json", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && g_file_test (inside, G_FILE_TEST_IS_REGULAR))
        {
          vitrine_window_open_results (self, path);
          return;
        }
      if (g_str_equal (base, "results.json"))
        {
          g_autofree char *dir = g_path_get_dirname (path);

          vitrine_window_open_results (self, dir);
          return;
        }
    }

  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                             _("Only local files can be opened"));
      g_autofree char *uri = g_file_get_uri (file);
      show_error (self, uri, error);
      return;
    }

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);

  self->load_cancellable = g_cancellable_new ();
  job = g_new0 (LoadJob, 1);
  job->window = g_object_ref (self);
  job->cancellable = g_object_ref (self->load_cancellable);
  job->path = g_strdup (path);
  set_loading (self, path);
  vitrine_model_page_inspect_async (self->model_page, path, self->load_cancellable, on_inspected, job);
  g_signal_connect_object (vitrine_model_page_get_run (self->model_page), "event", G_CALLBACK (on_load_event), self,
                           0);
}

gboolean
vitrine_window_is_loading (VitrineWindow *self)
{
  return self->load_cancellable != NULL;
}

VitrineModelPage *
vitrine_window_get_model_page (VitrineWindow *self)
{
  return self->model_page;
}

VitrinePredictPage *
vitrine_window_get_predict_page (VitrineWindow *self)
{
  return self->predict_page;
}

VitrineAttentionPage *
vitrine_window_get_attention_page (VitrineWindow *self)
{
  return self->attention_page;
}

VitrineAttributionPage *
vitrine_window_get_attribution_page (VitrineWindow *self)
{
  return self->attribution_page;
}

VitrineDatasetPage *
vitrine_window_get_dataset_page (VitrineWindow *self)
{
  return self->dataset_page;
}

VitrineIncrementalPage *
vitrine_window_get_incremental_page (VitrineWindow *self)
{
  return self->incremental_page;
}

VitrineLabelingPage *
vitrine_window_get_labeling_page (VitrineWindow *self)
{
  return self->labeling_page;
}

VitrineTrainPage *
vitrine_window_get_train_page (VitrineWindow *self)
{
  return self->train_page;
}

VitrineEmbeddingPage *
vitrine_window_get_embedding_page (VitrineWindow *self)
{
  return self->embedding_page;
}

/* Runs ---------------------------------------------------------------------*/

VitrineRunsPanel *
vitrine_window_get_runs_panel (VitrineWindow *self)
{
  return self->runs_panel;
}

GListModel *
vitrine_window_get_runs (VitrineWindow *self)
{
  return G_LIST_MODEL (self->runs);
}

/* The areas whose pages draw a run from its results folder. */
static const char * const result_areas[] = { "model", "predict", "dataset", "embedding", "incremental", "train",
                                               "attribution", "attention", NULL };

gboolean
vitrine_window_shows_results_of (VitrineWindow *self,
                                 const char    *area)
{
  return area != NULL && g_strv_contains (result_areas, area);
}

gboolean
vitrine_window_show_run (VitrineWindow  *self,
                         VitrineRun     *run,
                         GError        **error)
{
  const char *area = vitrine_run_get_area (run);
  gboolean shown;

  if (!vitrine_window_shows_results_of (self, area))
    {
      g_set_error (error, VITRINE_RUN_ERROR, VITRINE_RUN_ERROR_RESULTS,
                   "%s: the %s area cannot show a run's results yet", vitrine_run_get_results_dir (run), area);
      return FALSE;
    }
  if (g_str_equal (area, "model"))
    {
      /* That checkpoint's inspection, and the checkpoint open as if opened. */
      if (!vitrine_model_page_show_run (self->model_page, run, error))
        return FALSE;
      show_checkpoint (self);
      return TRUE;
    }
  if (g_str_equal (area, "predict"))
    {
      shown = vitrine_predict_page_show_run (self->predict_page, run, error);
      /* Its predictions show also when no open model predicts. */
      if (shown)
        gtk_stack_page_set_visible (self->predict_stack_page, TRUE);
    }
  else if (g_str_equal (area, "dataset"))
    shown = vitrine_dataset_page_show_run (self->dataset_page, run, error);
  else if (g_str_equal (area, "embedding"))
    shown = vitrine_embedding_page_show_run (self->embedding_page, run, error);
  else if (g_str_equal (area, "attribution"))
    {
      /* A comet run: its curves and masks on the area's COMET page, shown
       * also when no checkpoint is open. */
      shown = vitrine_attribution_page_show_run (self->attribution_page, run, error);
      if (shown)
        gtk_stack_page_set_visible (self->attribution_stack_page, TRUE);
    }
  else if (g_str_equal (area, "attention"))
    {
      /* A prompt's text attention, shown also when no CLIP checkpoint is open. */
      shown = vitrine_attention_page_show_run (self->attention_page, run, error);
      if (shown)
        gtk_stack_page_set_visible (self->attention_stack_page, TRUE);
    }
  else if (g_str_equal (area, "train"))
    {
      shown = vitrine_train_page_show_run (self->train_page, run, error);
      /* Its curves show also when no checkpoint is open. */
      if (shown)
        gtk_stack_page_set_visible (self->train_stack_page, TRUE);
    }
  else
    shown = vitrine_incremental_page_show_run (self->incremental_page, run, error);
  if (!shown)
    return FALSE;
  vitrine_window_show_area (self, area);
  return TRUE;
}

void
vitrine_window_open_results (VitrineWindow *self,
                             const char    *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VitrineRun) run = vitrine_run_new_from_results (dir, &error);

  if (run == NULL)
    {
      show_error (self, dir, error);
      return;
    }
  g_list_store_append (self->runs, run);
  if (!vitrine_window_show_run (self, run, &error))
    show_error (self, dir, error);
}

static void
on_open_results (VitrineWindow *self,
                 VitrineRun    *run)
{
  g_autoptr(GError) error = NULL;

  if (!vitrine_window_show_run (self, run, &error))
    show_error (self, vitrine_run_get_results_dir (run), error);
}

GMenuModel *
vitrine_window_get_recent_menu (VitrineWindow *self)
{
  return G_MENU_MODEL (self->recent_menu);
}

GtkListBox *
vitrine_window_get_start_recent_list (VitrineWindow *self)
{
  return self->start_recent_list;
}

void
vitrine_window_open_dataset (VitrineWindow *self,
                             GFile         *file)
{
  g_return_if_fail (VITRINE_IS_WINDOW (self));
  gtk_stack_set_visible_child_name (self->main_stack, "workbench");
  gtk_stack_set_visible_child_name (self->areas_stack, "dataset");
  vitrine_dataset_page_open (self->dataset_page, file);
}

void
vitrine_window_show_area (VitrineWindow *self,
                          const char    *name)
{
  if (vitrine_window_shows_area (self, name))
    {
      gtk_stack_set_visible_child_name (self->main_stack, "workbench");
      gtk_stack_set_visible_child_name (self->areas_stack, name);
    }
}

gboolean
vitrine_window_shows_area (VitrineWindow *self,
                           const char    *name)
{
  GtkWidget *child = gtk_stack_get_child_by_name (self->areas_stack, name);
  return child != NULL && gtk_stack_page_get_visible (gtk_stack_get_page (self->areas_stack, child));
}

/* Workspace ----------------------------------------------------------------*/

VitrineWorkspace *
vitrine_window_get_workspace (VitrineWindow *self)
{
  return self->workspace;
}

/* The next start reopens the workspace last saved or opened. */
static void
remember_workspace (VitrineWindow *self)
{
  if (self->settings)
    g_settings_set_string (self->settings, "last-workspace", vitrine_workspace_get_file (self->workspace));
}

gboolean
vitrine_window_save_workspace (VitrineWindow *self,
                               GFile         *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (VITRINE_IS_WINDOW (self), FALSE);
  if (path == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Only local files can be saved"));
  if (error != NULL || !vitrine_workspace_save (self->workspace, path, &error))
    {
      show_error_titled (self, _("Cannot save the workspace"), error);
      return FALSE;
    }
  remember_workspace (self);
  return TRUE;
}

gboolean
vitrine_window_open_workspace (VitrineWindow *self,
                               GFile         *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  VitrineWorkspaceItem *checkpoint, *dataset;

  g_return_val_if_fail (VITRINE_IS_WINDOW (self), FALSE);
  if (path == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Only local files can be opened"));
  if (error != NULL || !vitrine_workspace_open (self->workspace, path, &error))
    {
      g_autofree char *uri = g_file_get_uri (file);
      show_error (self, path ? path : uri, error);
      return FALSE;
    }
  g_clear_handle_id (&self->autosave_id, g_source_remove);
  remember_workspace (self);

  gtk_stack_set_visible_child_name (self->main_stack, "workbench");
  gtk_stack_set_visible_child_name (self->areas_stack, "workspace");
  /* What was shown last comes back; the rest waits in the Workspace area. */
  checkpoint = vitrine_workspace_get_current (self->workspace, VT_WORKSPACE_CHECKPOINT);
  dataset = vitrine_workspace_get_current (self->workspace, VT_WORKSPACE_DATASET);
  if (dataset != NULL)
    {
      g_autoptr(GFile) dataset_file = g_file_new_for_path (vitrine_workspace_item_get_path (dataset));
      vitrine_window_open_dataset (self, dataset_file);
    }
  if (checkpoint != NULL)
    {
      g_autoptr(GFile) checkpoint_file = g_file_new_for_path (vitrine_workspace_item_get_path (checkpoint));
      vitrine_window_open (self, checkpoint_file);
    }
  return TRUE;
}

/* Saves the workspace where it was saved; @closing: the window is going,
 * so an error goes to stderr instead of a dialog. */
static void
autosave_now (VitrineWindow *self,
              gboolean       closing)
{
  const char *path = vitrine_workspace_get_file (self->workspace);
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->autosave_id, g_source_remove);
  if (path == NULL || vitrine_workspace_save (self->workspace, path, &error))
    return;
  if (closing)
    g_printerr ("vitrine: %s\n", error->message);
  else
    show_error_titled (self, _("Cannot save the workspace"), error);
}

static gboolean
autosave (gpointer data)
{
  VitrineWindow *self = data;

  self->autosave_id = 0;
  autosave_now (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* A workspace that has a file is kept saved there: once per burst of
 * changes, when the window is idle. */
static void
on_workspace_changed (VitrineWindow *self)
{
  if (vitrine_workspace_get_file (self->workspace) != NULL && self->autosave_id == 0)
    self->autosave_id = g_idle_add_full (G_PRIORITY_LOW, autosave, self, NULL);
}

/* Actions ------------------------------------------------------------------*/

static void
open_file_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  const char *location = g_variant_get_string (parameter, NULL);
  g_autoptr(GFile) file = g_uri_is_valid (location, G_URI_FLAGS_NONE, NULL)
                          ? g_file_new_for_uri (location)
                          : g_file_new_for_path (location);

  vitrine_window_open (VITRINE_WINDOW (widget), file);
}

static void
open_chosen (GFile    *file,
             gpointer  window)
{
  g_autofree char *uri = g_file_get_uri (file);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", uri);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) checkpoints = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileFilter *filters[] = { checkpoints, all, NULL };

  gtk_file_filter_set_name (checkpoints, _("Checkpoints (safetensors, PyTorch, TensorFlow Lite)"));
  gtk_file_filter_add_pattern (checkpoints, "*.safetensors");
  gtk_file_filter_add_pattern (checkpoints, "*.safetensors.index.json");
  /* What torch.save writes, under the suffixes people give it. */
  gtk_file_filter_add_pattern (checkpoints, "*.pth");
  gtk_file_filter_add_pattern (checkpoints, "*.pt");
  gtk_file_filter_add_pattern (checkpoints, "*.th");
  gtk_file_filter_add_pattern (checkpoints, "*.bin");
  gtk_file_filter_add_pattern (checkpoints, "*.tflite");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  vitrine_choose_file (widget, _("Open Checkpoint"), filters, open_chosen, widget);
}

/* Export Weights: the open checkpoint, whatever its format, as one
 * safetensors file with its config beside it; written in a worker thread,
 * since a large checkpoint takes seconds to copy. */
static void
export_weights_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  VtCheckpoint *checkpoint = g_object_get_data (G_OBJECT (task), "checkpoint");
  GError *error = NULL;

  if (vt_checkpoint_export_safetensors (checkpoint, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
vitrine_window_export_weights_async (VitrineWindow       *self,
                                     const char          *path,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  VtInspection *inspection = vitrine_model_page_get_inspection (self->model_page);

  g_return_if_fail (inspection != NULL);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_object_set_data_full (G_OBJECT (task), "checkpoint", vt_checkpoint_ref (inspection->checkpoint),
                          (GDestroyNotify) vt_checkpoint_unref);
  g_task_run_in_thread (task, export_weights_thread);
}

gboolean
vitrine_window_export_weights_finish (VitrineWindow  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
export_weights_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = user_data;

  if (!vitrine_window_export_weights_finish (VITRINE_WINDOW (source), result, &error))
    show_error (VITRINE_WINDOW (source), path, error);
}

static void
export_weights_chosen (GFile    *file,
                       gpointer  window)
{
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    vitrine_window_export_weights_async (window, path, export_weights_done, g_strdup (path));
}

static void
compare_runs_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  vitrine_runs_panel_compare (VITRINE_WINDOW (widget)->runs_panel);
}

static void
export_weights_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  VitrineWindow *self = VITRINE_WINDOW (widget);
  VtInspection *inspection = vitrine_model_page_get_inspection (self->model_page);
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;
  char *dot;

  /* The action is enabled only once a checkpoint is open. */
  g_return_if_fail (inspection != NULL);
  base = g_path_get_basename (vt_checkpoint_get_path (inspection->checkpoint));
  /* "resnet20.th" proposes "resnet20.safetensors". */
  if ((dot = strchr (base, '.')) != NULL && dot != base)
    *dot = '\0';
  name = g_strconcat (base, ".safetensors", NULL);
  vitrine_choose_save_file (widget, _("Export Weights"), name, export_weights_chosen, widget);
}

static void
dataset_chosen (GFile    *file,
                gpointer  window)
{
  vitrine_window_open_dataset (window, file);
}

/* A folder: the dataset formats that are files (IDX, lists) open from the
 * Dataset area's own "Open File…". */
static void
open_dataset_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  vitrine_choose_folder (widget, _("Open Dataset Folder"), dataset_chosen, widget);
}

static void
open_dataset_file_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (parameter, NULL));

  vitrine_window_open_dataset (VITRINE_WINDOW (widget), file);
}

static void
workspace_save_chosen (GFile    *file,
                       gpointer  window)
{
  vitrine_window_save_workspace (window, file);
}

static void
save_workspace_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  VitrineWindow *self = VITRINE_WINDOW (widget);
  const char *current = vitrine_workspace_get_file (self->workspace);
  g_autofree char *name = current ? g_path_get_basename (current) : g_strdup (_("Untitled.vitrine"));

  vitrine_choose_save_file (widget, _("Save Workspace"), name, workspace_save_chosen, widget);
}

static void
workspace_chosen (GFile    *file,
                  gpointer  window)
{
  vitrine_window_open_workspace (window, file);
}

static void
open_workspace_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) workspaces = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileFilter *filters[] = { workspaces, all, NULL };

  gtk_file_filter_set_name (workspaces, _("Vitrine workspaces"));
  gtk_file_filter_add_pattern (workspaces, "*.vitrine");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  vitrine_choose_file (widget, _("Open Workspace"), filters, workspace_chosen, widget);
}

/* The bundled demo: ResNet-20 in the Model area, and the 200 CIFAR-10
 * test images beside it in the Dataset area. */
static char *
find_demo (void)
{
  return vitrine_find_data_file ("demo/resnet20-12fca82f.safetensors");
}

static void
open_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VitrineWindow *self = VITRINE_WINDOW (widget);
  g_autofree char *checkpoint = find_demo ();
  g_autofree char *folder = NULL;
  g_autofree char *images = NULL;

  g_return_if_fail (checkpoint != NULL);
  folder = g_path_get_dirname (checkpoint);
  images = g_build_filename (folder, "cifar10-test-sample", NULL);
  if (g_file_test (images, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) file = g_file_new_for_path (images);
      vitrine_window_open_dataset (self, file);
    }
  {
    g_autoptr(GFile) file = g_file_new_for_path (checkpoint);
    vitrine_window_open (self, file);
  }
}

static void
cancel_load_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VitrineWindow *self = VITRINE_WINDOW (widget);

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
}

/* The start page lists the same recent files as the menu, each row
 * opening its file through the same action as the menu item. */
static void
clear_start_recent (VitrineWindow *self)
{
  GtkWidget *row;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->start_recent_list))) != NULL)
    gtk_list_box_remove (self->start_recent_list, row);
}

static void
add_start_recent (VitrineWindow *self,
                  GtkRecentInfo *info,
                  gboolean       checkpoint)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (gtk_recent_info_get_display_name (info));
  /* Translators: what a recent file on the start page is */
  GtkWidget *kind = gtk_label_new (checkpoint ? _("Checkpoint") : _("Dataset"));
  g_autofree char *path = g_filename_from_uri (gtk_recent_info_get_uri (info), NULL, NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (kind, "dim-label");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), kind);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_tooltip_text (row, path ? path : gtk_recent_info_get_uri (info));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), checkpoint ? "win.open-file" : "win.open-dataset-file");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", gtk_recent_info_get_uri (info));
  gtk_list_box_append (self->start_recent_list, row);
}

/* The recent menu: checkpoints and datasets, newest first. */
static int
compare_recent (gconstpointer a,
                gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *tb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);

  return g_date_time_compare (tb, ta);
}

static void
update_recent_menu (VitrineWindow *self)
{
  GList *items;

  readd_lost_recent (self);
  items = gtk_recent_manager_get_items (self->recent_manager);
  const char *app_name = g_get_application_name ();
  guint shown = 0;

  g_menu_remove_all (self->recent_menu);
  clear_start_recent (self);
  items = g_list_sort (items, compare_recent);
  for (GList *l = items; l && shown < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      g_autoptr(GMenuItem) item = NULL;

      gboolean checkpoint = gtk_recent_info_has_group (info, RECENT_CHECKPOINT);
      g_autoptr(GString) label = NULL;

      if (!gtk_recent_info_has_application (info, app_name) || !gtk_recent_info_exists (info) ||
          !(checkpoint || gtk_recent_info_has_group (info, RECENT_DATASET)))
        continue;
      /* Menu labels take "_" as a mnemonic: "grace_hopper" would lose it. */
      label = g_string_new (gtk_recent_info_get_display_name (info));
      g_string_replace (label, "_", "__", 0);
      item = g_menu_item_new (label->str, NULL);
      g_menu_item_set_action_and_target (item, checkpoint ? "win.open-file" : "win.open-dataset-file", "s", uri);
      g_menu_append_item (self->recent_menu, item);
      add_start_recent (self, info, checkpoint);
      shown++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  gtk_widget_set_visible (self->start_recent, shown > 0);
}

/* Drag and drop --------------------------------------------------------------*/

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         VitrineWindow *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));
  g_autofree char *uri = NULL;

  if (files == NULL)
    return FALSE;
  uri = g_file_get_uri (files->data);
  g_slist_free (files);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-file", "s", uri);
  return TRUE;
}

/* GObject --------------------------------------------------------------------*/

static void
vitrine_window_dispose (GObject *object)
{
  VitrineWindow *self = VITRINE_WINDOW (object);

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  /* A change not yet saved is saved now, as the window goes. */
  if (self->autosave_id != 0)
    autosave_now (self, TRUE);
  if (self->workspace)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  if (self->recent_manager)
    g_signal_handlers_disconnect_by_data (self->recent_manager, self);
  self->recent_manager = NULL;
  g_clear_pointer (&self->recent_pending, g_ptr_array_unref);
  g_clear_object (&self->recent_menu);
  /* Runs of a window that closes have nobody to show them to. */
  for (guint i = 0; self->runs && i < g_list_model_get_n_items (G_LIST_MODEL (self->runs)); i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      vitrine_run_cancel (run);
    }
  g_clear_object (&self->runs);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_WINDOW);
  G_OBJECT_CLASS (vitrine_window_parent_class)->dispose (object);
  g_clear_object (&self->workspace);
  g_clear_object (&self->settings);
}

static void
vitrine_window_class_init (VitrineWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_window_dispose;

  g_type_ensure (VITRINE_TYPE_MODEL_PAGE);
  g_type_ensure (VITRINE_TYPE_PREDICT_PAGE);
  g_type_ensure (VITRINE_TYPE_ATTENTION_PAGE);
  g_type_ensure (VITRINE_TYPE_ATTRIBUTION_PAGE);
  g_type_ensure (VITRINE_TYPE_DATASET_PAGE);
  g_type_ensure (VITRINE_TYPE_INCREMENTAL_PAGE);
  g_type_ensure (VITRINE_TYPE_LABELING_PAGE);
  g_type_ensure (VITRINE_TYPE_TRAIN_PAGE);
  g_type_ensure (VITRINE_TYPE_EMBEDDING_PAGE);
  g_type_ensure (VITRINE_TYPE_RUNS_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, areas_stack);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, predict_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, predict_stack_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, attention_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, attention_stack_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, attribution_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, attribution_stack_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, model_stack_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, dataset_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, incremental_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, labeling_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, train_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, train_stack_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, embedding_page);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, runs_panel);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, start_recent);
  gtk_widget_class_bind_template_child (widget_class, VitrineWindow, start_recent_list);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", open_file_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-load", NULL, cancel_load_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.export-weights", NULL, export_weights_action);
  gtk_widget_class_install_action (widget_class, "win.compare-runs", NULL, compare_runs_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset-file", "s", open_dataset_file_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-dataset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_install_action (widget_class, "win.save-workspace", NULL, save_workspace_action);
  gtk_widget_class_install_action (widget_class, "win.open-workspace", NULL, open_workspace_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-workspace", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_ALT_MASK,
                                       "win.open-workspace", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel-load", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
vitrine_window_init (VitrineWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-load", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-weights", FALSE);
  /* An installation without the demo offers none. */
  {
    g_autofree char *demo = find_demo ();
    gtk_widget_set_visible (self->demo_button, demo != NULL);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-demo", demo != NULL);
  }
  /* The workspace's stores: what the Dataset area extracts, the
   * Incremental and Embedding areas run on, each store read once. */
  self->workspace = vitrine_workspace_new ();
  self->settings = vitrine_settings_new ();
  {
    GListStore *stores = vitrine_workspace_get_list (self->workspace, VT_WORKSPACE_STORE);

    vitrine_dataset_page_set_stores (self->dataset_page, stores);
    vitrine_incremental_page_set_stores (self->incremental_page, stores);
    vitrine_labeling_page_set_stores (self->labeling_page, stores);
    vitrine_labeling_page_set_settings (self->labeling_page, self->settings);
    vitrine_labeling_page_set_datasets (self->labeling_page,
                                        G_LIST_MODEL (vitrine_workspace_get_list (self->workspace, VT_WORKSPACE_DATASET)));
    vitrine_embedding_page_set_stores (self->embedding_page, stores);
    vitrine_embedding_page_set_datasets (self->embedding_page,
                                         G_LIST_MODEL (vitrine_workspace_get_list (self->workspace, VT_WORKSPACE_DATASET)));
  }
  g_signal_connect_swapped (self->workspace, "changed", G_CALLBACK (on_workspace_changed), self);
  /* Translators: the area listing what the workspace holds */
  gtk_stack_add_titled (self->areas_stack, vitrine_workspace_view_new (self->workspace), "workspace", _("Workspace"));
  /* Every run of the session, in the Runs panel. */
  self->runs = g_list_store_new (VITRINE_TYPE_RUN);
  vitrine_workspace_set_runs (self->workspace, self->runs);
  vitrine_runs_panel_set_runs (self->runs_panel, self->runs);
  vitrine_runs_panel_set_openable_areas (self->runs_panel, result_areas);
  vitrine_incremental_page_set_runs (self->incremental_page, self->runs);
  vitrine_train_page_set_runs (self->train_page, self->runs);
  vitrine_attribution_page_set_runs (self->attribution_page, self->runs);
  vitrine_attention_page_set_runs (self->attention_page, self->runs);
  vitrine_dataset_page_set_runs (self->dataset_page, self->runs);
  vitrine_embedding_page_set_runs (self->embedding_page, self->runs);
  vitrine_model_page_set_runs (self->model_page, self->runs);
  vitrine_predict_page_set_runs (self->predict_page, self->runs);
  g_signal_connect_object (self->runs_panel, "open-results", G_CALLBACK (on_open_results), self, G_CONNECT_SWAPPED);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  /* The first section of the main menu gets "Open Recent" under "Open…". */
  {
    g_autoptr(GMenuModel) first = g_menu_model_get_item_link (self->primary_menu, 0, G_MENU_LINK_SECTION);
    self->recent_menu = g_menu_new ();
    g_menu_append_submenu (G_MENU (first), _("Open _Recent"), G_MENU_MODEL (self->recent_menu));
  }
  self->recent_manager = gtk_recent_manager_get_default ();
  self->recent_pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_recent_free);
  g_signal_connect_swapped (self->recent_manager, "changed", G_CALLBACK (update_recent_menu), self);
  g_signal_connect_object (self->dataset_page, "opened", G_CALLBACK (on_dataset_opened), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->dataset_page, "open-in-predict", G_CALLBACK (on_open_in_predict), self,
                           G_CONNECT_SWAPPED);
  update_recent_menu (self);
}

VitrineWindow *
vitrine_window_new (VitrineApplication *application)
{
  VitrineWindow *self = g_object_new (VITRINE_TYPE_WINDOW, "application", application, NULL);
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (self));

  /* The application gives the window its shortcuts window as it joins
   * it, after init: the queue's remappable keys are shown from here. */
  if (overlay)
    vitrine_labeling_keys_bind_overlay (overlay, self->settings);
  /* Every area is built by now: their buttons' names lose the mnemonics. */
  vitrine_accessible_fix_mnemonics (GTK_WIDGET (self));
  return self;
}
