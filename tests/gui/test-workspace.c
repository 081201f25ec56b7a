/* test-workspace.c: the workspace in the real window, in process, under
 * Xvfb: open a checkpoint, a dataset and a feature store, save the
 * workspace, close the window, and get the same back by Open Workspace and
 * by the start-up restore; a file that has gone comes back marked missing
 * while the rest works; a bad workspace file is refused in a dialog and
 * nothing is lost; runs are saved with the workspace and come back in the
 * Runs panel (a gone one marked missing), and a reopened run of a spec
 * with relative paths re-runs. Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "io/vt-workspace-file.h"
#include "run/vt-spec.h"
#include "vitrine-application.h"
#include "vitrine-figure-view.h"
#include "vitrine-settings.h"
#include "vitrine-store-item.h"
#include "vitrine-window.h"
#include "vitrine-workspace-view.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
dataset_idle (gpointer window)
{
  return !vitrine_dataset_page_is_busy (vitrine_window_get_dataset_page (window));
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

static void
close_window (VitrineWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}

/* Waits for what opening a workspace started: the checkpoint and the dataset. */
static void
wait_opened (VitrineWindow *window)
{
  vt_gui_wait_until (loaded, window, 60, "the workspace's checkpoint to load");
  vt_gui_wait_until (dataset_idle, window, 60, "the workspace's dataset to open");
}

static GtkMessageDialog *
find_error_dialog (GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_MESSAGE_DIALOG (w) && gtk_window_get_transient_for (w) == parent)
        return GTK_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static GListModel *
list (VitrineWindow   *window,
      VtWorkspaceKind  kind)
{
  return G_LIST_MODEL (vitrine_workspace_get_list (vitrine_window_get_workspace (window), kind));
}

/* The paths of @kind's items, one a line. */
static char *
paths (VitrineWindow   *window,
       VtWorkspaceKind  kind)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (list (window, kind)); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (list (window, kind), i);
      g_autofree char *path = NULL;

      g_object_get (item, "path", &path, NULL);
      g_string_append_printf (text, "%s\n", path);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
item_missing (VitrineWindow   *window,
              VtWorkspaceKind  kind,
              guint            i)
{
  g_autoptr(GObject) item = g_list_model_get_item (list (window, kind), i);
  gboolean missing;

  g_assert_nonnull (item);
  g_object_get (item, "missing", &missing, NULL);
  return missing;
}

static VitrineWorkspaceView *
workspace_view (VitrineWindow *window)
{
  GtkWidget *stack = gtk_widget_get_ancestor (GTK_WIDGET (vitrine_window_get_model_page (window)), GTK_TYPE_STACK);
  GtkWidget *view = gtk_stack_get_child_by_name (GTK_STACK (stack), "workspace");

  g_assert_true (VITRINE_IS_WORKSPACE_VIEW (view));
  return VITRINE_WORKSPACE_VIEW (view);
}

/* The texts of the labels in row @i of the Workspace area's @kind list,
 * joined by " | ", and whether the row is marked missing. */
static char *
row_text (VitrineWindow   *window,
          VtWorkspaceKind  kind,
          guint            i,
          gboolean        *missing)
{
  GtkListBox *box = vitrine_workspace_view_get_list (workspace_view (window), kind);
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (box, i);
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_nonnull (row);
  *missing = gtk_widget_has_css_class (GTK_WIDGET (row), "missing") &&
             gtk_widget_has_css_class (gtk_list_box_row_get_child (row), "dim-label");
  for (GtkWidget *child = gtk_widget_get_first_child (gtk_list_box_row_get_child (row)); child;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LABEL (child))
      g_string_append_printf (text, "%s%s", text->len ? " | " : "", gtk_label_get_text (GTK_LABEL (child)));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  char *dir;
  char *checkpoint;   /* inside dir: stored relative */
  char *dataset;      /* the demo sample, outside dir: stored absolute */
  char *store;        /* inside dir */
  char *run;          /* a results folder, inside dir */
  char *workspace;
} Files;

static void
files_clear (Files *f)
{
  vt_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->checkpoint);
  g_free (f->dataset);
  g_free (f->store);
  g_free (f->run);
  g_free (f->workspace);
}

static void
files_init (Files *f)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *store = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *models = NULL;

  f->dir = vt_test_tmpdir ();
  models = g_build_filename (f->dir, "models", NULL);
  g_assert_cmpint (g_mkdir (models, 0700), ==, 0);
  f->checkpoint = vt_test_copy (demo, models, "resnet20-12fca82f.safetensors");
  f->dataset = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample", NULL);
  f->store = vt_test_copy (store, f->dir, "features.safetensors");
  f->run = g_build_filename (f->dir, "runs", "incremental-1", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->run, 0700), ==, 0);
  f->workspace = g_build_filename (f->dir, "study.vitrine", NULL);
}

/* The window shows what the workspace holds: the checkpoint in the Model
 * area, the dataset in the Dataset area, the store for the Embedding and
 * Incremental areas. */
static void
assert_works (VitrineWindow *window,
              const Files   *f)
{
  VitrineDatasetPage *dataset = vitrine_window_get_dataset_page (window);
  g_autoptr(VitrineStoreItem) store = g_list_model_get_item (list (window, VT_WORKSPACE_STORE), 0);

  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Model"), ==, "resnet20");
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (window)), "resnet20-12fca82f.safetensors"));
  g_assert_nonnull (vitrine_dataset_page_get_dataset (dataset));
  g_assert_cmpuint (vitrine_dataset_page_get_dataset (dataset)->n_samples, ==, 200);
  g_assert_nonnull (vitrine_store_item_get_store (store));
  g_assert_cmpstr (vitrine_incremental_page_get_store (vitrine_window_get_incremental_page (window), FALSE), ==, f->store);
}

static void
assert_same_workspace (VitrineWindow *window,
                       const Files   *f)
{
  g_autofree char *checkpoints = paths (window, VT_WORKSPACE_CHECKPOINT);
  g_autofree char *datasets = paths (window, VT_WORKSPACE_DATASET);
  g_autofree char *stores = paths (window, VT_WORKSPACE_STORE);
  g_autofree char *runs = paths (window, VT_WORKSPACE_RUN);
  g_autofree char *c = g_strconcat (f->checkpoint, "\n", NULL);
  g_autofree char *d = g_strconcat (f->dataset, "\n", NULL);
  g_autofree char *s = g_strconcat (f->store, "\n", NULL);
  g_autofree char *r = g_strconcat (f->run, "\n", NULL);

  g_assert_cmpstr (checkpoints, ==, c);
  g_assert_cmpstr (datasets, ==, d);
  g_assert_cmpstr (stores, ==, s);
  g_assert_cmpstr (runs, ==, r);
  g_assert_cmpstr (vitrine_workspace_get_file (vitrine_window_get_workspace (window)), ==, f->workspace);
}

static VitrineWindow *
reopen (const Files *f)
{
  VitrineWindow *window = vitrine_window_new (app);
  g_autoptr(GFile) file = g_file_new_for_path (f->workspace);

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (vitrine_window_open_workspace (window, file));
  wait_opened (window);
  return window;
}

/* What the window starts with when the application is activated (started
 * without files), as at a start. */
static VitrineWindow *
start (void)
{
  VitrineWindow *window;

  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_application_activate (G_APPLICATION (app));
  window = VITRINE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  wait_opened (window);
  return window;
}

static void
test_save_and_reopen (void)
{
  Files f = { NULL };
  g_autoptr(GSettings) settings = vitrine_settings_new ();
  g_autoptr(GError) error = NULL;
  VitrineWindow *window;

  files_init (&f);
  g_assert_nonnull (settings);
  /* GSETTINGS_BACKEND=memory: no developer's last workspace comes in. */
  {
    g_autofree char *last = g_settings_get_string (settings, "last-workspace");
    g_assert_cmpstr (last, ==, "");
  }

  vt_gui_step_begin (120, "open a checkpoint, a dataset and a store, and save");
  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", f.checkpoint);
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
  {
    g_autoptr(GFile) dataset = g_file_new_for_path (f.dataset);
    vitrine_window_open_dataset (window, dataset);
    vt_gui_wait_until (dataset_idle, window, 60, "the dataset to open");
  }
  g_assert_true (vitrine_embedding_page_add_store (vitrine_window_get_embedding_page (window), f.store, &error));
  g_assert_no_error (error);
  /* The Incremental area takes the store the Embedding area read: one item,
   * one store in memory. */
  {
    g_autoptr(VitrineStoreItem) item = g_list_model_get_item (list (window, VT_WORKSPACE_STORE), 0);
    VtFeatureStore *held = vitrine_store_item_get_store (item);

    g_assert_true (vitrine_incremental_page_add_store (vitrine_window_get_incremental_page (window), f.store,
                                                       FALSE, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (list (window, VT_WORKSPACE_STORE)), ==, 1);
    g_clear_object (&item);
    item = g_list_model_get_item (list (window, VT_WORKSPACE_STORE), 0);
    g_assert_true (vitrine_store_item_get_store (item) == held);
  }
  vitrine_workspace_add (vitrine_window_get_workspace (window), VT_WORKSPACE_RUN, f.run);
  assert_works (window, &f);
  {
    g_autoptr(GFile) file = g_file_new_for_path (f.workspace);
    g_assert_true (vitrine_window_save_workspace (window, file));
  }
  assert_same_workspace (window, &f);
  /* Saved: the next start reopens it. */
  {
    g_autofree char *last = g_settings_get_string (settings, "last-workspace");
    g_assert_cmpstr (last, ==, f.workspace);
  }
  /* Inside the workspace's folder, paths are stored relative to it. */
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (f.workspace, &text, NULL, NULL));
    g_test_message ("%s", text);
    g_assert_nonnull (strstr (text, "\"models/resnet20-12fca82f.safetensors\""));
    g_assert_nonnull (strstr (text, "\"features.safetensors\""));
    g_assert_nonnull (strstr (text, f.dataset));
  }
  close_window (window);
  vt_gui_step_end ();

  vt_gui_step_begin (120, "Open Workspace in a new window");
  window = reopen (&f);
  assert_same_workspace (window, &f);
  assert_works (window, &f);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    g_assert_false (item_missing (window, k, 0));
  close_window (window);
  vt_gui_step_end ();

  vt_gui_step_begin (120, "the start-up restore, and the setting that turns it off");
  window = start ();
  assert_same_workspace (window, &f);
  assert_works (window, &f);
  close_window (window);
  g_settings_set_boolean (settings, "restore-workspace", FALSE);
  window = start ();
  g_assert_cmpuint (g_list_model_get_n_items (list (window, VT_WORKSPACE_CHECKPOINT)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (list (window, VT_WORKSPACE_STORE)), ==, 0);
  g_assert_null (vitrine_workspace_get_file (vitrine_window_get_workspace (window)));
  close_window (window);
  g_settings_set_boolean (settings, "restore-workspace", TRUE);
  vt_gui_step_end ();

  vt_gui_step_begin (120, "a store that has gone comes back missing, the rest works");
  g_assert_cmpint (g_unlink (f.store), ==, 0);
  window = reopen (&f);
  assert_same_workspace (window, &f);
  g_assert_false (item_missing (window, VT_WORKSPACE_CHECKPOINT, 0));
  g_assert_false (item_missing (window, VT_WORKSPACE_DATASET, 0));
  g_assert_true (item_missing (window, VT_WORKSPACE_STORE, 0));
  g_assert_false (item_missing (window, VT_WORKSPACE_RUN, 0));
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Model"), ==, "resnet20");
  g_assert_cmpuint (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window))->n_samples, ==, 200);
  /* In the Workspace area the missing row is dimmed and says so, with its
   * path; the others are not. */
  {
    gboolean store_dimmed, checkpoint_dimmed;
    g_autofree char *text = row_text (window, VT_WORKSPACE_STORE, 0, &store_dimmed);
    g_autofree char *present = row_text (window, VT_WORKSPACE_CHECKPOINT, 0, &checkpoint_dimmed);

    g_test_message ("missing row: %s", text);
    g_test_message ("present row: %s", present);
    g_assert_true (store_dimmed);
    g_assert_nonnull (strstr (text, "missing"));
    g_assert_nonnull (strstr (text, f.store));
    g_assert_false (checkpoint_dimmed);
    g_assert_nonnull (strstr (present, f.checkpoint));
    g_assert_null (strstr (present, "missing"));
  }
  /* The Embedding area says the store is missing rather than failing. */
  vitrine_embedding_page_run (vitrine_window_get_embedding_page (window));
  g_assert_nonnull (vitrine_embedding_page_get_error (vitrine_window_get_embedding_page (window)));
  g_assert_nonnull (strstr (vitrine_embedding_page_get_error (vitrine_window_get_embedding_page (window)), f.store));
  /* So does the Incremental area, which counts the classes on the held store. */
  {
    VitrineIncrementalPage *incremental = vitrine_window_get_incremental_page (window);
    g_autofree char *expected = g_strdup_printf ("%s: the feature store is missing", f.store);

    vitrine_incremental_page_run (incremental);
    g_assert_false (vitrine_incremental_page_is_running (incremental));
    g_assert_cmpstr (vitrine_incremental_page_get_error (incremental), ==, expected);
  }
  {
    g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "workspace-missing.png", NULL);
    vitrine_window_show_area (window, "workspace");
    g_assert_true (vt_gui_save_png (GTK_WIDGET (window), shot));
    g_test_message ("screenshot: %s", shot);
  }
  close_window (window);
  vt_gui_step_end ();

  files_clear (&f);
}

static gboolean
autosaved (gpointer data)
{
  const Files *f = data;
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_load (f->workspace, NULL);

  return file != NULL && file->entries[VT_WORKSPACE_RUN]->len == 2;
}

/* A workspace with a file is kept saved there as it changes; a bad file is
 * refused in a dialog that names it and the JSON path, and the workspace
 * open before stays as it was. */
static void
test_autosave_and_bad_file (void)
{
  Files f = { NULL };
  g_autofree char *second_run = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *secondary = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  GtkMessageDialog *dialog;
  VitrineWindow *window;

  files_init (&f);
  vt_workspace_file_add (file, VT_WORKSPACE_CHECKPOINT, f.checkpoint);
  vt_workspace_file_add (file, VT_WORKSPACE_RUN, f.run);
  g_assert_true (vt_workspace_file_save (file, f.workspace, &error));
  g_assert_no_error (error);

  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  {
    g_autoptr(GFile) workspace = g_file_new_for_path (f.workspace);
    g_assert_true (vitrine_window_open_workspace (window, workspace));
  }
  vt_gui_wait_until (loaded, window, 60, "the workspace's checkpoint to load");

  second_run = g_build_filename (f.dir, "runs", "incremental-2", NULL);
  vitrine_workspace_add (vitrine_window_get_workspace (window), VT_WORKSPACE_RUN, second_run);
  vt_gui_wait_until (autosaved, &f, 20, "the workspace to be saved where it was opened from");

  before = paths (window, VT_WORKSPACE_RUN);
  {
    const char *text = "{ \"version\": 1, \"stores\": {} }";
    bad = vt_test_write_file (f.dir, "bad.vitrine", text, strlen (text));
  }
  {
    g_autoptr(GFile) bad_file = g_file_new_for_path (bad);
    g_assert_false (vitrine_window_open_workspace (window, bad_file));
  }
  dialog = find_error_dialog (GTK_WINDOW (window));
  g_assert_nonnull (dialog);
  g_object_get (dialog, "secondary-text", &secondary, NULL);
  g_test_message ("dialog: %s", secondary);
  g_assert_true (g_str_has_prefix (secondary, bad));
  g_assert_nonnull (strstr (secondary, "$.stores: expected a list"));
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CLOSE);
  /* Nothing lost: the same items, and the same file to save to. */
  after = paths (window, VT_WORKSPACE_RUN);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpstr (vitrine_workspace_get_file (vitrine_window_get_workspace (window)), ==, f.workspace);
  close_window (window);
  files_clear (&f);
}

static gboolean
embedding_finished (gpointer page)
{
  return !vitrine_embedding_page_is_running (page);
}

/* A dataset read once serves every area: the Embedding area shows the
 * samples behind a store through the very dataset the Dataset area read,
 * and the Incremental area's list is the Dataset area's. */
static void
test_one_dataset (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                            "resnet20-12fca82f.safetensors", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                              "cifar10-test-sample", NULL);
  g_autoptr(GFile) sample_file = g_file_new_for_path (sample);
  VitrineWindow *window = vitrine_window_new (app);
  VitrineDatasetPage *dataset_page = vitrine_window_get_dataset_page (window);
  VitrineEmbeddingPage *page = vitrine_window_get_embedding_page (window);
  VtDataset *read;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", demo);
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
  vitrine_window_open_dataset (window, sample_file);
  vt_gui_wait_until (dataset_idle, window, 60, "the dataset to open");
  read = vitrine_dataset_page_get_dataset (dataset_page);
  g_assert_nonnull (read);
  vitrine_dataset_page_extract (dataset_page);
  vt_gui_wait_until (dataset_idle, window, 60, "the extraction");
  g_assert_nonnull (vitrine_dataset_page_get_store (dataset_page));
  g_assert_cmpuint (g_list_model_get_n_items (list (window, VT_WORKSPACE_STORE)), ==, 1);
  g_assert_true (G_LIST_MODEL (vitrine_dataset_page_get_stores (dataset_page)) == list (window, VT_WORKSPACE_STORE));
  /* Extracted again into the same file: still one item, holding the store
   * the Dataset area has now, so no area runs on the old one. */
  {
    VtFeatureStore *first = vitrine_dataset_page_get_store (dataset_page);
    g_autoptr(VitrineStoreItem) item = NULL;

    vitrine_dataset_page_extract (dataset_page);
    vt_gui_wait_until (dataset_idle, window, 60, "the second extraction");
    g_assert_true (vitrine_dataset_page_get_store (dataset_page) != first);
    g_assert_cmpuint (g_list_model_get_n_items (list (window, VT_WORKSPACE_STORE)), ==, 1);
    item = g_list_model_get_item (list (window, VT_WORKSPACE_STORE), 0);
    g_assert_true (vitrine_store_item_get_store (item) == vitrine_dataset_page_get_store (dataset_page));
  }

  vitrine_window_show_area (window, "embedding");
  vitrine_embedding_page_configure (page, VITRINE_EMBEDDING_PCA, 30, 50000);
  vitrine_embedding_page_run (page);
  g_assert_true (vitrine_embedding_page_is_running (page));
  /* At once, and no second copy: the workspace's dataset. */
  g_assert_true (vitrine_embedding_page_get_dataset (page) == read);
  vt_gui_wait_until (embedding_finished, page, 30, "PCA");
  g_assert_null (vitrine_embedding_page_get_error (page));
  close_window (window);
}

/* What a start through the command line restored: the checkpoints in the
 * first window's workspace, counted as soon as the main loop runs (opening
 * a workspace fills its lists at once), then the window closes and
 * g_application_run returns. */
typedef struct
{
  GtkApplication *app;
  int             n_checkpoints;
} Start;

static gboolean
count_and_close (gpointer data)
{
  Start *start = data;
  GtkWindow *window = gtk_application_get_active_window (start->app);

  g_assert_nonnull (window);
  start->n_checkpoints = g_list_model_get_n_items (list (VITRINE_WINDOW (window), VT_WORKSPACE_CHECKPOINT));
  gtk_window_destroy (window);
  return G_SOURCE_REMOVE;
}

/* The window comes before the workspace is opened into it; count once the
 * start has run to its end. */
static void
on_window_added (GtkApplication *application,
                 GtkWindow      *window,
                 Start          *start)
{
  g_idle_add (count_and_close, start);
}

/* A command line is parsed once per application: each start is a new one,
 * as a new process would be. */
static int
start_with (const char *option)
{
  char *argv[] = { (char *) "vitrine", (char *) option, NULL };
  g_autoptr(VitrineApplication) other = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  Start start = { GTK_APPLICATION (other), -1 };
  static guint n_starts;
  g_autofree char *id = g_strdup_printf ("io.github.vitrine.Vitrine.Start%u", n_starts++);

  /* The test's own application holds the usual object path on the bus. */
  g_application_set_application_id (G_APPLICATION (other), id);

  g_signal_connect (other, "window-added", G_CALLBACK (on_window_added), &start);
  g_assert_cmpint (g_application_run (G_APPLICATION (other), option ? 2 : 1, argv), ==, 0);
  g_assert_cmpint (start.n_checkpoints, >=, 0);
  return start.n_checkpoints;
}

/* `vitrine --no-restore` starts empty though the setting says to restore;
 * `vitrine` alone restores. */
static void
test_no_restore_option (void)
{
  Files f = { NULL };
  g_autoptr(GSettings) settings = vitrine_settings_new ();
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  g_autoptr(GError) error = NULL;

  files_init (&f);
  vt_workspace_file_add (file, VT_WORKSPACE_CHECKPOINT, f.checkpoint);
  g_assert_true (vt_workspace_file_save (file, f.workspace, &error));
  g_settings_set_string (settings, "last-workspace", f.workspace);
  g_assert_true (g_settings_get_boolean (settings, "restore-workspace"));

  g_assert_cmpint (start_with ("--no-restore"), ==, 0);
  g_assert_cmpint (start_with (NULL), ==, 1);
  g_settings_set_string (settings, "last-workspace", "");
  files_clear (&f);
}

static gboolean
run_done (gpointer run)
{
  return vitrine_run_is_done (run);
}

static VitrineRun *
run_at (VitrineWindow *window,
        guint          i)
{
  g_autoptr(VitrineRun) run = g_list_model_get_item (vitrine_window_get_runs (window), i);

  g_assert_nonnull (run);
  return run;   /* the list holds it */
}

/* The Incremental area's chart holds NMC's seen accuracies as numpy
 * computed them (the cil fixture's config 0: B0-Inc2). */
static void
assert_nmc_chart (VitrineIncrementalPage *page)
{
  g_autofree char *expected_path = vt_test_fixture ("cil/expected.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  VtFigure *chart = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_incremental_page_get_chart (page)));
  JsonArray *seen;

  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  seen = json_object_get_array_member (json_object_get_object_member (json_object_get_object_member (
           json_array_get_object_element (json_object_get_array_member (json_node_get_object (
             json_parser_get_root (parser)), "runs"), 0), "methods"), "nmc"), "seen_accuracy");
  g_assert_nonnull (chart);
  g_assert_cmpuint (chart->rows, ==, 1);
  g_assert_cmpuint (chart->cols, ==, json_array_get_length (seen));
  for (guint t = 0; t < chart->cols; t++)
    g_assert_cmpfloat_with_epsilon (chart->values[t], json_array_get_double_element (seen, t), 1e-12);
}

static void
click (GtkWidget *button)
{
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static const char *
visible_area (VitrineWindow *window)
{
  GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (vitrine_window_get_incremental_page (window)));

  g_assert_true (GTK_IS_STACK (stack));
  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* Runs are part of the workspace: an incremental run finished in the
 * session is saved with it; reopened, it is in the Runs panel as a
 * finished run, and Open Results shows it in the Incremental area from its
 * folder, Re-run runs it again and Save Spec… writes a spec that loads. A
 * run folder that has gone comes back marked missing, with nothing to
 * open, re-run or save. */
static void
test_runs (void)
{
  Files f = { NULL };
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *gone = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *spec_path = NULL;
  static const char * const methods[] = { "nmc", NULL };
  g_autoptr(GError) error = NULL;
  VitrineWindow *window;
  VitrineIncrementalPage *page;
  VitrineRunsPanel *panel;
  VitrineRun *run, *missing, *again;

  files_init (&f);
  gone = g_build_filename (f.dir, "runs", "deleted", NULL);
  spec_path = g_build_filename (f.dir, "saved-spec.json", NULL);

  vt_gui_step_begin (120, "an incremental run, finished, saved with the workspace");
  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  page = vitrine_window_get_incremental_page (window);
  g_assert_true (vitrine_incremental_page_add_store (page, train, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_incremental_page_add_store (page, test, TRUE, &error));
  g_assert_no_error (error);
  vitrine_incremental_page_configure (page, "B0-Inc2", methods, 1000);
  vitrine_incremental_page_run (page);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 1);
  run = run_at (window, 0);
  vt_gui_wait_until (run_done, run, 90, "the incremental run");
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  assert_nmc_chart (page);
  run_dir = g_strdup (vitrine_run_get_results_dir (run));
  /* Recorded by the workspace once finished, without being asked. */
  {
    g_autofree char *runs = paths (window, VT_WORKSPACE_RUN);
    g_autofree char *expected = g_strconcat (run_dir, "\n", NULL);
    g_assert_cmpstr (runs, ==, expected);
  }
  vitrine_workspace_add (vitrine_window_get_workspace (window), VT_WORKSPACE_RUN, gone);
  {
    g_autoptr(GFile) file = g_file_new_for_path (f.workspace);
    g_assert_true (vitrine_window_save_workspace (window, file));
  }
  close_window (window);
  vt_gui_step_end ();

  vt_gui_step_begin (120, "reopened: the run in the Runs panel, and Open Results");
  window = reopen (&f);
  page = vitrine_window_get_incremental_page (window);
  panel = vitrine_window_get_runs_panel (window);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 2);
  run = run_at (window, 0);
  missing = run_at (window, 1);
  g_assert_cmpstr (vitrine_run_get_results_dir (run), ==, run_dir);
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_cmpstr (vitrine_run_get_area (run), ==, "incremental");
  g_assert_false (vitrine_run_is_missing (run));
  /* Reopening changes nothing to save: the workspace lists the same runs. */
  {
    g_autofree char *runs = paths (window, VT_WORKSPACE_RUN);
    g_autofree char *expected = g_strconcat (run_dir, "\n", gone, "\n", NULL);
    g_assert_cmpstr (runs, ==, expected);
  }
  vitrine_window_show_area (window, "dataset");
  click (vitrine_runs_panel_get_button (panel, 0, "open-results"));
  g_assert_true (vitrine_incremental_page_get_run (page) == run);
  g_assert_cmpstr (vitrine_incremental_page_get_run_dir (page), ==, run_dir);
  g_assert_cmpstr (visible_area (window), ==, "incremental");
  /* drawn from the folder's files, which only the reopened run has */
  assert_nmc_chart (page);
  g_assert_true (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 0, "show-folder")));

  /* The folder that has gone: marked missing, nothing to open, re-run or save. */
  g_assert_true (vitrine_run_is_missing (missing));
  g_assert_cmpint (vitrine_run_get_state (missing), ==, VITRINE_RUN_FAILED);
  g_assert_cmpstr (vitrine_run_get_results_dir (missing), ==, gone);
  g_assert_nonnull (strstr (vitrine_run_get_message (missing), gone));
  g_test_message ("missing run: %s", vitrine_run_get_message (missing));
  g_assert_null (vitrine_run_get_spec (missing));
  for (guint b = 0; b < 5; b++)
    {
      const char *action = (const char *[]) { "cancel", "open-results", "show-folder", "rerun", "save-spec" }[b];
      g_assert_false (gtk_widget_get_sensitive (vitrine_runs_panel_get_button (panel, 1, action)));
    }
  vt_gui_step_end ();

  vt_gui_step_begin (120, "Save Spec… and Re-run on the reopened run");
  g_assert_true (vitrine_runs_panel_save_spec (panel, run, spec_path, &error));
  g_assert_no_error (error);
  {
    g_autoptr(VtSpec) spec = vt_spec_load (spec_path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (spec->steps->len, ==, 1);
  }
  click (vitrine_runs_panel_get_button (panel, 0, "rerun"));
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 3);
  again = run_at (window, 2);
  vt_gui_wait_until (run_done, again, 90, "the re-run of the reopened run");
  g_assert_cmpint (vitrine_run_get_state (again), ==, VITRINE_RUN_FINISHED);
  /* and, finished, it joins the workspace */
  {
    g_autofree char *runs = paths (window, VT_WORKSPACE_RUN);
    g_assert_nonnull (strstr (runs, vitrine_run_get_results_dir (again)));
  }
  close_window (window);
  vt_gui_step_end ();
  files_clear (&f);
}

/* results.json's text, but for the times and the run's own folder. */
static char *
results_text (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "results.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GRegex) times = g_regex_new ("\"(started|seconds)\" : [^,\\n]*", 0, 0, NULL);
  g_autofree char *timeless = NULL;
  g_autoptr(GString) placeless = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  timeless = g_regex_replace_literal (times, text, -1, 0, "\"\\1\" : -", 0, NULL);
  placeless = g_string_new (timeless);
  g_string_replace (placeless, dir, "OUT", 0);
  return g_string_free (g_steal_pointer (&placeless), FALSE);
}

/* A results folder of `vitrine --batch` on a spec with relative paths, run
 * from the spec's folder, opened in the window: Re-run in the Runs panel
 * (which runs the echoed spec from "/") finds the stores and gives the
 * same results.json. */
static void
test_rerun_relative_spec (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *train = vt_test_fixture ("cil/train.safetensors");
  g_autofree char *test = vt_test_fixture ("cil/test.safetensors");
  g_autofree char *out = g_build_filename (dir, "results", NULL);
  const char *spec = "{ \"name\": \"relative\", \"steps\": [ { \"kind\": \"incremental\", \"train\": \"train.safetensors\","
                     " \"test\": \"test.safetensors\", \"split\": \"B0-Inc2\", \"methods\": [\"nmc\"],"
                     " \"formats\": [\"svg\"] } ] }";
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", "spec.json", "--output", out, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  VitrineWindow *window;
  VitrineRunsPanel *panel;
  VitrineRun *again;
  int status = -1;

  g_free (vt_test_copy (train, dir, "train.safetensors"));
  g_free (vt_test_copy (test, dir, "test.safetensors"));
  g_free (vt_test_write_file (dir, "spec.json", spec, strlen (spec)));
  vt_gui_step_begin (120, "vitrine --batch spec.json in its folder");
  g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  vt_gui_step_end ();

  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  panel = vitrine_window_get_runs_panel (window);
  vitrine_window_open_results (window, out);
  g_assert_cmpuint (g_list_model_get_n_items (vitrine_window_get_runs (window)), ==, 1);
  g_assert_cmpint (vitrine_run_get_state (run_at (window, 0)), ==, VITRINE_RUN_FINISHED);
  click (vitrine_runs_panel_get_button (panel, 0, "rerun"));
  again = run_at (window, 1);
  vt_gui_wait_until (run_done, again, 90, "the re-run of a spec with relative paths");
  if (vitrine_run_get_state (again) != VITRINE_RUN_FINISHED)
    g_error ("the re-run failed: %s", vitrine_run_get_message (again));
  a = results_text (out);
  b = results_text (vitrine_run_get_results_dir (again));
  if (!g_str_equal (a, b))
    g_error ("the re-run's results.json differs:\n%s\n----\n%s", b, a);
  close_window (window);
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/workspace/save-and-reopen", test_save_and_reopen, 300 },
    { "/gui/workspace/autosave-and-bad-file", test_autosave_and_bad_file, 120 },
    { "/gui/workspace/no-restore-option", test_no_restore_option, 60 },
    { "/gui/workspace/one-dataset", test_one_dataset, 180 },
    { "/gui/workspace/runs", test_runs, 360 },
    { "/gui/workspace/rerun-relative-spec", test_rerun_relative_spec, 240 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
