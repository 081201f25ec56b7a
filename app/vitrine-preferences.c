/* vitrine-preferences.c: the Preferences window.
 *
 * The thread count is the GSettings key "threads" (0: the count Vitrine
 * started with); the application applies it to the engine whenever it
 * changes, so this window only edits the key. What the cache holds and
 * clearing it are the engine's (vt-feature-cache), which counts and
 * removes only the files Vitrine wrote there. The Labeling queue's keys
 * are the labeling-key-* keys (vitrine-labeling-keys.h): an entry per
 * action stores what parses as an accelerator, and the queue reads it. */
#include "vitrine-preferences.h"
#include "vitrine-accessible.h"
#include "core/vt-parallel.h"
#include "features/vt-feature-cache.h"

#include <glib/gi18n.h>

/* A temporary file younger than this may be an extraction's, still writing. */
#define PARTIAL_AGE_US (10 * 60 * G_USEC_PER_SEC)

struct _VitrinePreferences
{
  GtkWindow        parent_instance;

  GtkCheckButton  *default_threads_button;
  GtkSpinButton   *threads_button;
  GtkLabel        *cache_location;
  GtkLabel        *cache_size;
  GtkLabel        *cache_error;
  GtkButton       *clear_cache_button;
  GtkEntry        *key_entries[VITRINE_LABELING_N_ACTIONS];

  GSettings       *settings;      /* NULL without the schema */
  char            *cache_dir;
  GFileMonitor    *cache_monitor; /* an extraction may finish while this is open */
  guint            cache_update_id;
  gboolean         updating;      /* showing the setting, not the user's edit */
};

G_DEFINE_FINAL_TYPE (VitrinePreferences, vitrine_preferences, GTK_TYPE_WINDOW)

/* Threads --------------------------------------------------------------------*/

static int
stored_threads (VitrinePreferences *self)
{
  return self->settings ? g_settings_get_int (self->settings, "threads") : 0;
}

static void
show_threads (VitrinePreferences *self)
{
  int threads = self->settings ? stored_threads (self) : vt_parallel_threads ();
  gboolean by_default = self->settings ? threads == 0 : threads == vt_parallel_default_threads ();

  self->updating = TRUE;
  gtk_check_button_set_active (self->default_threads_button, by_default);
  gtk_spin_button_set_value (self->threads_button, by_default ? vt_parallel_default_threads () : threads);
  gtk_widget_set_sensitive (GTK_WIDGET (self->threads_button), !by_default);
  self->updating = FALSE;
}

static void
store_threads (VitrinePreferences *self,
               int                 threads)
{
  if (self->settings)
    g_settings_set_int (self->settings, "threads", threads);
  else
    vt_parallel_set_threads (threads);
  show_threads (self);
}

static void
on_default_threads_toggled (VitrinePreferences *self)
{
  if (self->updating)
    return;
  store_threads (self, gtk_check_button_get_active (self->default_threads_button)
                       ? 0 : gtk_spin_button_get_value_as_int (self->threads_button));
}

static void
on_threads_changed (VitrinePreferences *self)
{
  if (self->updating || gtk_check_button_get_active (self->default_threads_button))
    return;
  store_threads (self, gtk_spin_button_get_value_as_int (self->threads_button));
}

/* Labeling keys --------------------------------------------------------------*/

static void
show_keys (VitrinePreferences *self)
{
  self->updating = TRUE;
  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    {
      g_autofree char *stored = self->settings ? g_settings_get_string (self->settings,
                                                                        vitrine_labeling_action_setting (a))
                                               : g_strdup (vitrine_labeling_action_default (a));

      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->key_entries[a])), stored) != 0)
        gtk_editable_set_text (GTK_EDITABLE (self->key_entries[a]), stored);
      gtk_widget_remove_css_class (GTK_WIDGET (self->key_entries[a]), "error");
    }
  self->updating = FALSE;
}

/* What parses is stored at once; what does not is marked and kept out of
 * the settings, so the queue goes on with the last good key. */
static void
on_key_entry_changed (GtkEditable        *entry,
                      VitrinePreferences *self)
{
  guint action = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (entry), "action"));
  const char *text = gtk_editable_get_text (entry);
  VitrineLabelingKey key;

  if (self->updating)
    return;
  if (!vitrine_labeling_key_parse (text, &key))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  if (self->settings)
    g_settings_set_string (self->settings, vitrine_labeling_action_setting (action), text);
}

static void
on_settings_changed (VitrinePreferences *self,
                     const char         *key)
{
  if (g_str_equal (key, "threads"))
    show_threads (self);
  else if (g_str_has_prefix (key, "labeling-key-"))
    show_keys (self);
}

/* In the template's grid, the window's child, found rather than bound:
 * bound as a template child, disposing the template met a widget already
 * gone (a gtk_widget_unparent critical, GTK 4.8). */
static void
add_key_rows (VitrinePreferences *self)
{
  GtkGrid *grid = GTK_GRID (gtk_window_get_child (GTK_WINDOW (self)));

  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    {
      GtkWidget *label = gtk_label_new (vitrine_labeling_action_title (a));
      GtkWidget *entry = gtk_entry_new ();

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_halign (entry, GTK_ALIGN_START);
      gtk_editable_set_width_chars (GTK_EDITABLE (entry), 16);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
      g_object_set_data (G_OBJECT (entry), "action", GUINT_TO_POINTER (a));
      g_signal_connect (entry, "changed", G_CALLBACK (on_key_entry_changed), self);
      gtk_grid_attach (grid, label, 0, 11 + (int) a, 1, 1);
      gtk_grid_attach (grid, entry, 1, 11 + (int) a, 1, 1);
      self->key_entries[a] = GTK_ENTRY (entry);
    }
}

/* The cache ------------------------------------------------------------------*/

static void
show_cache_error (VitrinePreferences *self,
                  const GError       *error)
{
  gtk_label_set_text (self->cache_error, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->cache_error), error != NULL);
}

void
vitrine_preferences_update_cache (VitrinePreferences *self)
{
  g_autoptr(GError) error = NULL;
  VtFeatureCacheUsage usage;
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (VITRINE_IS_PREFERENCES (self));

  if (!vt_feature_cache_measure (self->cache_dir, &usage, &error))
    {
      show_cache_error (self, error);
      gtk_label_set_text (self->cache_size, "");
      gtk_widget_set_sensitive (GTK_WIDGET (self->clear_cache_button), FALSE);
      return;
    }
  show_cache_error (self, NULL);
  if (usage.n_stores + usage.n_partial == 0)
    /* Translators: the size of the feature cache when it holds nothing */
    text = g_strdup (_("Empty"));
  else
    {
      size = g_format_size (usage.bytes);
      /* Translators: %s is a size on disk, e.g. "1.2 MB"; %'u counts feature stores */
      text = g_strdup_printf (g_dngettext (NULL, "%s in %'u store", "%s in %'u stores", usage.n_stores), size,
                              usage.n_stores);
    }
  gtk_label_set_text (self->cache_size, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->clear_cache_button), usage.n_stores + usage.n_partial > 0);
}

static gboolean
update_cache_idle (gpointer data)
{
  VitrinePreferences *self = data;

  self->cache_update_id = 0;
  vitrine_preferences_update_cache (self);
  return G_SOURCE_REMOVE;
}

/* A write is a burst of events (the temporary file, its growth, the
 * rename): the size is read again once, when they are over. */
static void
on_cache_changed (VitrinePreferences *self)
{
  if (self->cache_update_id == 0)
    self->cache_update_id = g_timeout_add (200, update_cache_idle, self);
}

static void
on_clear_confirmed (GtkDialog          *dialog,
                    int                 response,
                    VitrinePreferences *self)
{
  g_autoptr(GError) error = NULL;

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT)
    return;
  if (!vt_feature_cache_clear (self->cache_dir, g_get_real_time () - PARTIAL_AGE_US, NULL, &error))
    {
      vitrine_preferences_update_cache (self);
      show_cache_error (self, error);
      return;
    }
  vitrine_preferences_update_cache (self);
}

static void
on_clear_cache_clicked (VitrinePreferences *self)
{
  GtkWidget *dialog;
  GtkWidget *clear;

  /* Translators: the question before the feature cache is cleared */
  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, _("Clear the feature cache?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            /* Translators: %s is the size, e.g. "1.2 MB in 3 stores"; then the folder */
                                            _("%s in %s will be removed. The Dataset area extracts such features again when they are asked for."),
                                            gtk_label_get_text (self->cache_size), self->cache_dir);
  /* Translators: button of the question before the feature cache is cleared */
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  /* Translators: button of the question before the feature cache is cleared */
  clear = gtk_dialog_add_button (GTK_DIALOG (dialog), _("C_lear Cache"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (clear, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_clear_confirmed), self, 0);
  vitrine_accessible_fix_mnemonics (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* GObject --------------------------------------------------------------------*/

static void
vitrine_preferences_dispose (GObject *object)
{
  VitrinePreferences *self = VITRINE_PREFERENCES (object);

  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->cache_monitor)
    g_signal_handlers_disconnect_by_data (self->cache_monitor, self);
  g_clear_object (&self->cache_monitor);
  g_clear_handle_id (&self->cache_update_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_PREFERENCES);
  G_OBJECT_CLASS (vitrine_preferences_parent_class)->dispose (object);
  g_clear_object (&self->settings);
}

static void
vitrine_preferences_finalize (GObject *object)
{
  VitrinePreferences *self = VITRINE_PREFERENCES (object);

  g_free (self->cache_dir);
  G_OBJECT_CLASS (vitrine_preferences_parent_class)->finalize (object);
}

static void
vitrine_preferences_class_init (VitrinePreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_preferences_dispose;
  object_class->finalize = vitrine_preferences_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, default_threads_button);
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, threads_button);
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, cache_location);
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, cache_size);
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, cache_error);
  gtk_widget_class_bind_template_child (widget_class, VitrinePreferences, clear_cache_button);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vitrine_preferences_init (VitrinePreferences *self)
{
  g_autofree char *automatic = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Translators: check button in the Preferences; %d is the number of threads Vitrine started with */
  automatic = g_strdup_printf (_("Use the _default count (%d)"), vt_parallel_default_threads ());
  gtk_check_button_set_label (self->default_threads_button, automatic);
  g_signal_connect_swapped (self->default_threads_button, "toggled", G_CALLBACK (on_default_threads_toggled), self);
  g_signal_connect_swapped (self->threads_button, "value-changed", G_CALLBACK (on_threads_changed), self);
  g_signal_connect_swapped (self->clear_cache_button, "clicked", G_CALLBACK (on_clear_cache_clicked), self);
  add_key_rows (self);
}

VitrinePreferences *
vitrine_preferences_new (GtkWindow  *parent,
                         GSettings  *settings,
                         const char *cache_dir)
{
  VitrinePreferences *self = g_object_new (VITRINE_TYPE_PREFERENCES, "transient-for", parent, NULL);

  g_return_val_if_fail (cache_dir != NULL, self);
  self->settings = settings ? g_object_ref (settings) : NULL;
  self->cache_dir = g_strdup (cache_dir);
  if (self->settings)
    g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
  show_threads (self);
  show_keys (self);
  /* Without the schema there is nowhere to keep a key. */
  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->key_entries[a]), self->settings != NULL);
  gtk_label_set_text (self->cache_location, cache_dir);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->cache_location), cache_dir);
  {
    g_autoptr(GFile) dir = g_file_new_for_path (cache_dir);
    /* none where the folder cannot be watched: the size is then read when
     * the window opens and after a clearing */
    self->cache_monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
    if (self->cache_monitor)
      g_signal_connect_swapped (self->cache_monitor, "changed", G_CALLBACK (on_cache_changed), self);
  }
  vitrine_preferences_update_cache (self);
  vitrine_accessible_fix_mnemonics (GTK_WIDGET (self));
  return self;
}

GtkCheckButton *
vitrine_preferences_get_default_threads_button (VitrinePreferences *self)
{
  return self->default_threads_button;
}

GtkSpinButton *
vitrine_preferences_get_threads_button (VitrinePreferences *self)
{
  return self->threads_button;
}

GtkEditable *
vitrine_preferences_get_labeling_key_entry (VitrinePreferences   *self,
                                            VitrineLabelingAction action)
{
  g_return_val_if_fail (action < VITRINE_LABELING_N_ACTIONS, NULL);
  return GTK_EDITABLE (self->key_entries[action]);
}

GtkButton *
vitrine_preferences_get_clear_cache_button (VitrinePreferences *self)
{
  return self->clear_cache_button;
}

const char *
vitrine_preferences_get_cache_location (VitrinePreferences *self)
{
  return gtk_label_get_text (self->cache_location);
}

const char *
vitrine_preferences_get_cache_size (VitrinePreferences *self)
{
  return gtk_label_get_text (self->cache_size);
}
