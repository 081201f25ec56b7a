/* vitrine-runs-panel.c: the Runs panel.
 *
 * A GtkListBox bound to the window's list of runs. Each row follows its run
 * through "notify" (connected with the row as the object, so a row that goes
 * leaves no handler behind), and one timer a second refreshes the elapsed
 * times of the runs still going. */
#include "vitrine-runs-panel.h"
#include "vitrine-accessible.h"
#include "vitrine-file-chooser.h"
#include "vitrine-run-comparison.h"

#include <glib/gi18n.h>

#include "run/vt-run.h"

struct _VitrineRunsPanel
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkListBox     *list;
  GListStore     *runs;
  VitrineRun     *saving;
  GStrv           openable;      /* the run whose Save Spec… chooser is open */
  guint           tick;
  VitrineRunComparison *comparison;  /* its window while open (a weak pointer) */
};

G_DEFINE_FINAL_TYPE (VitrineRunsPanel, vitrine_runs_panel, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_OPEN_RESULTS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  VitrineRunsPanel *panel;
  VitrineRun       *run;
  GtkLabel         *area;
  GtkLabel         *name;
  GtkProgressBar   *bar;
  GtkLabel         *elapsed;
  GtkWidget        *cancel;
  GtkWidget        *open;
  GtkWidget        *folder;
  GtkWidget        *rerun;
  GtkWidget        *save;
} Row;

static void
row_free (Row *row)
{
  g_object_unref (row->run);
  g_free (row);
}

static char *
format_elapsed (double seconds)
{
  guint s = (guint) seconds;

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static void
update_elapsed (Row *row)
{
  g_autofree char *text = format_elapsed (vitrine_run_get_elapsed (row->run));

  gtk_label_set_text (row->elapsed, text);
}

static void
update_row (Row *row)
{
  VitrineRun *run = row->run;
  VitrineRunState state = vitrine_run_get_state (run);
  const char *message = vitrine_run_get_message (run);
  gboolean done = vitrine_run_is_done (run);

  gtk_progress_bar_set_fraction (row->bar, vitrine_run_get_fraction (run));
  gtk_progress_bar_set_text (row->bar, message != NULL ? message : _("Queued"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->bar), message);
  if (state == VITRINE_RUN_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (row->bar), "error");
  gtk_widget_set_sensitive (row->cancel, state == VITRINE_RUN_RUNNING);
  gtk_widget_set_sensitive (row->open, state == VITRINE_RUN_FINISHED && row->panel->openable != NULL &&
                            g_strv_contains ((const char * const *) row->panel->openable, vitrine_run_get_area (run)));
  gtk_widget_set_sensitive (row->folder, vitrine_run_get_results_dir (run) != NULL && !vitrine_run_is_missing (run));
  /* A run whose folder has gone has no spec to run or save. */
  gtk_widget_set_sensitive (row->rerun, done && vitrine_run_get_spec (run) != NULL);
  gtk_widget_set_sensitive (row->save, vitrine_run_get_spec (run) != NULL);
  update_elapsed (row);
}

static void
on_run_notify (GtkWidget *box)
{
  update_row (g_object_get_data (G_OBJECT (box), "vitrine-run-row"));
}

/* Buttons ----------------------------------------------------------------------------*/

static void
cancel_clicked (Row *row)
{
  vitrine_run_cancel (row->run);
}

static void
open_clicked (Row *row)
{
  g_signal_emit (row->panel, signals[SIGNAL_OPEN_RESULTS], 0, row->run);
}

static void
folder_clicked (Row *row)
{
  g_autoptr(GFile) folder = g_file_new_for_path (vitrine_run_get_results_dir (row->run));
  g_autofree char *uri = g_file_get_uri (folder);
  g_autoptr(GAppLaunchContext) context = G_APP_LAUNCH_CONTEXT (
    gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (row->panel))));
  g_autoptr(GError) error = NULL;

  /* GTK 4.8 has neither gtk_show_uri's async form with errors nor
   * GtkFileLauncher: GIO's default handler for folders. */
  if (!g_app_info_launch_default_for_uri (uri, context, &error))
    g_warning ("%s: cannot show the folder: %s", vitrine_run_get_results_dir (row->run), error->message);
}

static void
rerun_clicked (Row *row)
{
  g_autoptr(VitrineRun) again = vitrine_run_new_again (row->run);

  vitrine_runs_panel_start (row->panel, again);
}

gboolean
vitrine_runs_panel_save_spec (VitrineRunsPanel  *self,
                              VitrineRun        *run,
                              const char        *path,
                              GError           **error)
{
  return vitrine_run_save_spec (run, path, error);
}

static void
spec_chosen (GFile    *file,
             gpointer  data)
{
  VitrineRunsPanel *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(VitrineRun) run = g_steal_pointer (&self->saving);

  if (run == NULL || path == NULL)
    return;
  if (!vitrine_runs_panel_save_spec (self, run, path, &error))
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      GtkWidget *dialog = gtk_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                  GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                                  GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                                  _("Cannot save the spec"));

      gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", error->message);
      g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
      vitrine_accessible_fix_mnemonics (dialog);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
save_clicked (Row *row)
{
  g_autofree char *safe = vt_run_safe_file_name (vitrine_run_get_name (row->run));
  g_autofree char *suggested = g_strconcat (safe, ".json", NULL);

  g_set_object (&row->panel->saving, row->run);
  vitrine_choose_save_file (GTK_WIDGET (row->panel), _("Save Spec"), suggested, spec_chosen, row->panel);
}

/* Rows -------------------------------------------------------------------------------*/

static GtkWidget *
add_button (GtkWidget  *box,
            const char *label,
            const char *accessible,
            const char *action,
            GCallback   clicked,
            Row        *row)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_name (button, action);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_signal_connect_swapped (button, "clicked", clicked, row);
  gtk_box_append (GTK_BOX (box), button);
  return button;
}

static GtkWidget *
create_row (gpointer item,
            gpointer data)
{
  VitrineRunsPanel *self = data;
  VitrineRun *run = item;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  Row *row = g_new0 (Row, 1);
  const char *name = vitrine_run_get_name (run);
  /* Translators: the accessible names of a run's buttons; %s is the run's name */
  g_autofree char *cancel = g_strdup_printf (_("Cancel %s"), name);
  g_autofree char *open = g_strdup_printf (_("Open the results of %s"), name);
  g_autofree char *folder = g_strdup_printf (_("Show the folder of %s"), name);
  g_autofree char *rerun = g_strdup_printf (_("Re-run %s"), name);
  g_autofree char *save = g_strdup_printf (_("Save the spec of %s"), name);
  g_autofree char *progress = g_strdup_printf (_("Progress of %s"), name);
  g_autofree char *elapsed = g_strdup_printf (_("Time taken by %s"), name);

  row->panel = self;
  row->run = g_object_ref (run);
  g_object_set_data_full (G_OBJECT (box), "vitrine-run-row", row, (GDestroyNotify) row_free);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);

  row->area = GTK_LABEL (gtk_label_new (vitrine_run_area_title (vitrine_run_get_area (run))));
  gtk_widget_add_css_class (GTK_WIDGET (row->area), "dim-label");
  gtk_label_set_width_chars (row->area, 11);
  gtk_label_set_xalign (row->area, 0.0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->area));
  row->name = GTK_LABEL (gtk_label_new (name));
  gtk_label_set_ellipsize (row->name, PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (row->name, 24);
  gtk_label_set_xalign (row->name, 0.0);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->name), vitrine_run_get_results_dir (run));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->name));
  row->bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (row->bar, TRUE);
  gtk_progress_bar_set_ellipsize (row->bar, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (row->bar), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (row->bar), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->bar), GTK_ACCESSIBLE_PROPERTY_LABEL, progress, -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->bar));
  row->elapsed = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (row->elapsed), "numeric");
  gtk_label_set_width_chars (row->elapsed, 7);
  gtk_label_set_xalign (row->elapsed, 1.0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->elapsed), GTK_ACCESSIBLE_PROPERTY_LABEL, elapsed, -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->elapsed));

  /* Translators: buttons of a run in the Runs panel */
  row->cancel = add_button (box, _("_Cancel"), cancel, "cancel", G_CALLBACK (cancel_clicked), row);
  row->open = add_button (box, _("_Open Results"), open, "open-results", G_CALLBACK (open_clicked), row);
  row->folder = add_button (box, _("Show _Folder"), folder, "show-folder", G_CALLBACK (folder_clicked), row);
  row->rerun = add_button (box, _("_Re-run"), rerun, "rerun", G_CALLBACK (rerun_clicked), row);
  row->save = add_button (box, _("_Save Spec…"), save, "save-spec", G_CALLBACK (save_clicked), row);

  /* Tied to the box: a row that goes leaves no handler on its run. */
  g_signal_connect_object (run, "notify", G_CALLBACK (on_run_notify), box, G_CONNECT_SWAPPED);
  update_row (row);
  return box;
}

static Row *
row_at (VitrineRunsPanel *self,
        guint             position)
{
  GtkListBoxRow *list_row = gtk_list_box_get_row_at_index (self->list, (int) position);

  if (list_row == NULL)
    return NULL;
  return g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (list_row)), "vitrine-run-row");
}

static gboolean
tick (gpointer data)
{
  VitrineRunsPanel *self = data;
  Row *row;

  for (guint i = 0; (row = row_at (self, i)) != NULL; i++)
    if (vitrine_run_get_state (row->run) == VITRINE_RUN_RUNNING)
      update_elapsed (row);
  return G_SOURCE_CONTINUE;
}

/* API --------------------------------------------------------------------------------*/

void
vitrine_runs_panel_set_runs (VitrineRunsPanel *self,
                             GListStore       *runs)
{
  g_set_object (&self->runs, runs);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (runs), create_row, self, NULL);
}

void
vitrine_runs_panel_set_openable_areas (VitrineRunsPanel   *self,
                                       const char * const *areas)
{
  Row *row;

  g_strfreev (self->openable);
  self->openable = g_strdupv ((char **) areas);
  for (guint i = 0; (row = row_at (self, i)) != NULL; i++)
    update_row (row);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(GError) error = NULL;

  /* The row shows how it ended; nothing else to do here. */
  vitrine_run_start_finish (VITRINE_RUN (source), result, &error);
}

void
vitrine_runs_panel_start (VitrineRunsPanel *self,
                          VitrineRun       *run)
{
  g_list_store_append (self->runs, run);
  vitrine_run_start_async (run, NULL, NULL, on_started, NULL);
}

GtkWidget *
vitrine_runs_panel_get_button (VitrineRunsPanel *self,
                               guint             position,
                               const char       *action)
{
  Row *row = row_at (self, position);
  GtkWidget *buttons[5];

  if (row == NULL)
    return NULL;
  buttons[0] = row->cancel, buttons[1] = row->open, buttons[2] = row->folder;
  buttons[3] = row->rerun, buttons[4] = row->save;
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    if (g_str_equal (gtk_widget_get_name (buttons[i]), action))
      return buttons[i];
  return NULL;
}

const char *
vitrine_runs_panel_get_elapsed_text (VitrineRunsPanel *self,
                                     guint             position)
{
  Row *row = row_at (self, position);

  return row != NULL ? gtk_label_get_text (row->elapsed) : NULL;
}

VitrineRunComparison *
vitrine_runs_panel_compare (VitrineRunsPanel *self)
{
  guint n = self->runs ? g_list_model_get_n_items (G_LIST_MODEL (self->runs)) : 0;
  const char *area = NULL;

  /* The area of the last run that finished: what was just run is what
   * one compares. */
  for (guint i = n; i-- > 0 && area == NULL;)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);

      if (vitrine_run_is_done (run))
        area = vitrine_run_get_area (run);
    }
  if (self->comparison == NULL)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

      self->comparison = vitrine_run_comparison_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->runs, area);
      g_object_add_weak_pointer (G_OBJECT (self->comparison), (gpointer *) &self->comparison);
    }
  else if (area != NULL)
    vitrine_run_comparison_set_area (self->comparison, area);
  gtk_window_present (GTK_WINDOW (self->comparison));
  return self->comparison;
}

/* GObject ----------------------------------------------------------------------------*/

static void
vitrine_runs_panel_dispose (GObject *object)
{
  VitrineRunsPanel *self = VITRINE_RUNS_PANEL (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  if (self->comparison)
    gtk_window_destroy (GTK_WINDOW (self->comparison));
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->runs);
  g_clear_object (&self->saving);
  g_clear_pointer (&self->openable, g_strfreev);
  G_OBJECT_CLASS (vitrine_runs_panel_parent_class)->dispose (object);
}

static void
vitrine_runs_panel_class_init (VitrineRunsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_runs_panel_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  /* VitrineRunsPanel::open-results: (VitrineRun) Open Results was pressed. */
  signals[SIGNAL_OPEN_RESULTS] = g_signal_new ("open-results", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, VITRINE_TYPE_RUN);
}

static void
vitrine_runs_panel_init (VitrineRunsPanel *self)
{
  GtkWidget *heading, *scrolled, *placeholder;

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  /* Translators: heading of the panel listing the session's runs */
  heading = gtk_label_new (_("Runs"));
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0.0);
  gtk_widget_set_margin_start (heading, 6);
  gtk_box_append (GTK_BOX (self->box), heading);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  /* Translators: the Runs panel's name for screen readers */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Runs"), -1);
  /* Translators: the Runs panel before any run */
  placeholder = gtk_label_new (_("No runs yet. What an area runs is listed here, with its results folder."));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (self->list, placeholder);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 160);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list));
  gtk_box_append (GTK_BOX (self->box), scrolled);

  self->tick = g_timeout_add_seconds (1, tick, self);
}
