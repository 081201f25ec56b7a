/* test-preferences.c: habits users bring, in the real window, in process,
 * under Xvfb: the Preferences (the thread count really governs the engine's
 * loops; Clear Cache asks, then removes the stores an extraction made and
 * nothing else, not through a link either), the shortcuts window (it lists
 * every accelerator the application, its windows and its widgets set), and
 * the start page (the demo, and recent files that each open as what they
 * are). Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "core/vt-parallel.h"
#include "features/vt-feature-cache.h"
#include "vitrine-application.h"
#include "vitrine-preferences.h"
#include "vitrine-settings.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-gui-window.h"
#include "vt-test-util.h"

static VitrineApplication *app;

/* Kept as test artifacts, for the README's screenshots. */
static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), name, NULL);

  g_assert_true (vt_gui_save_png (widget, path));
  g_test_message ("screenshot: %s", path);
}

/* The areas' stack, and the stack of the start page and the workbench. */
static GtkStack *
areas_stack (VitrineWindow *window)
{
  return GTK_STACK (gtk_widget_get_ancestor (GTK_WIDGET (vitrine_window_get_model_page (window)), GTK_TYPE_STACK));
}

static GtkStack *
main_stack (VitrineWindow *window)
{
  return GTK_STACK (gtk_widget_get_ancestor (gtk_widget_get_parent (GTK_WIDGET (areas_stack (window))),
                                             GTK_TYPE_STACK));
}

static const char *
shown_area (VitrineWindow *window)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (main_stack (window)), "workbench") != 0)
    return gtk_stack_get_visible_child_name (main_stack (window));
  return gtk_stack_get_visible_child_name (areas_stack (window));
}

/* Preferences ----------------------------------------------------------------*/

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);
      if (found)
        return found;
    }
  return NULL;
}

/* Whether @menu, or a section or submenu of it, has an item for @action. */
static gboolean
menu_has_action (GMenuModel *menu,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (menu, i);
      GMenuModel *link;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_str_equal (name, action))
        return TRUE;
      while (g_menu_link_iter_get_next (links, NULL, &link))
        {
          gboolean found = menu_has_action (link, action);
          g_object_unref (link);
          if (found)
            return TRUE;
        }
    }
  return FALSE;
}

/* The Preferences are in the main menu, and on Ctrl+comma. */
static void
assert_preferences_offered (VitrineWindow *window)
{
  GtkWidget *button = find_type (gtk_window_get_titlebar (GTK_WINDOW (window)), GTK_TYPE_MENU_BUTTON);
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.preferences");

  g_assert_nonnull (button);
  g_assert_true (menu_has_action (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)), "app.preferences"));
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>comma"));
}

static VitrinePreferences *
open_preferences (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    if (VITRINE_IS_PREFERENCES (l->data))
      return l->data;
  g_assert_not_reached ();
}

static GtkDialog *
find_dialog (GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (GTK_IS_DIALOG (w) && gtk_window_get_transient_for (w) == parent)
        return GTK_DIALOG (w);
    }
  return NULL;
}

/* Clicks Clear Cache… and answers the question it asks with @response. */
static void
clear_cache (VitrinePreferences *preferences,
             int                 response)
{
  GtkDialog *question;

  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (vitrine_preferences_get_clear_cache_button (preferences))));
  g_signal_emit_by_name (vitrine_preferences_get_clear_cache_button (preferences), "clicked");
  question = find_dialog (GTK_WINDOW (preferences));
  g_assert_nonnull (question);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (question)));
  /* Its buttons are named as shown, not "C_lear Cache Clear Cache" (issue 23). */
  {
    GtkWidget *clear = gtk_dialog_get_widget_for_response (question, GTK_RESPONSE_ACCEPT);

    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (clear), GTK_ACCESSIBLE_PROPERTY_LABEL, "Clear Cache");
    g_assert_false (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (clear), GTK_ACCESSIBLE_RELATION_LABELLED_BY));
  }
  gtk_dialog_response (question, response);
  g_assert_null (find_dialog (GTK_WINDOW (preferences)));
}

/* Sets the thread count as a user does: the check button off, then the
 * spin button; or the check button on, for the default. */
static void
set_threads (VitrinePreferences *preferences,
             int                 threads)
{
  gtk_check_button_set_active (vitrine_preferences_get_default_threads_button (preferences), threads == 0);
  if (threads > 0)
    gtk_spin_button_set_value (vitrine_preferences_get_threads_button (preferences), threads);
}

static void
extract (VitrineDatasetPage *page)
{
  g_assert_true (vt_gui_dataset_idle (page));
  vitrine_dataset_page_extract (page);
  vt_gui_wait_until (vt_gui_dataset_idle, page, 120, "the extraction");
  g_assert_null (vitrine_dataset_page_get_error (page));
  g_assert_nonnull (vitrine_dataset_page_get_store (page));
}

/* What a cache of one store must say: the store's blocks on disk. */
static char *
one_store_size (const char *store)
{
  GStatBuf st;
  g_autofree char *size = NULL;

  g_assert_cmpint (g_stat (store, &st), ==, 0);
  size = g_format_size ((guint64) st.st_blocks * 512);
  return g_strdup_printf ("%s in 1 store", size);
}

typedef struct
{
  VitrinePreferences *preferences;
  const char         *size;
} CacheSizeWait;

static gboolean
cache_size_is (gpointer data)
{
  CacheSizeWait *wait = data;

  return g_strcmp0 (vitrine_preferences_get_cache_size (wait->preferences), wait->size) == 0;
}

static void
test_threads_and_cache (void)
{
  g_autoptr(GSettings) settings = vitrine_settings_new ();
  g_autofree char *cache_dir = vt_feature_cache_dir ();
  g_autofree char *checkpoint = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *images = vt_gui_demo_file ("cifar10-test-sample");
  g_autofree char *outside = vt_test_tmpdir ();
  g_autofree char *kept = NULL, *link = NULL, *notes = NULL, *store = NULL, *expected = NULL, *contents = NULL;
  VitrinePreferences *preferences;
  VitrineDatasetPage *page;
  VitrineWindow *window;
  gboolean reused = TRUE;

  g_assert_nonnull (settings);
  vt_gui_step_begin (120, "open the demo checkpoint and its images");
  window = vt_gui_open_window (app, checkpoint);
  page = vitrine_window_get_dataset_page (window);
  vt_gui_open_dataset (window, images);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "Preferences: an empty cache, the default thread count");
  assert_preferences_offered (window);
  preferences = open_preferences ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences)) == GTK_WINDOW (window));
  g_assert_true (open_preferences () == preferences);   /* one at a time */
  g_assert_cmpstr (vitrine_preferences_get_cache_location (preferences), ==, cache_dir);
  g_assert_cmpstr (vitrine_preferences_get_cache_size (preferences), ==, "Empty");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (vitrine_preferences_get_clear_cache_button (preferences))));
  g_assert_true (gtk_check_button_get_active (vitrine_preferences_get_default_threads_button (preferences)));
  g_assert_cmpint (g_settings_get_int (settings, "threads"), ==, 0);
  g_assert_cmpint (vt_parallel_threads (), ==, vt_parallel_default_threads ());
  vt_gui_step_end ();

  /* Two threads, then one: the engine's loops are shared among exactly as
   * many as the setting says (peak_threads counts what ran, so a setting
   * that did not reach the engine, or a run that computed nothing, fails). */
  vt_gui_step_begin (180, "two threads: extract into the cache");
  set_threads (preferences, 2);
  g_assert_cmpint (g_settings_get_int (settings, "threads"), ==, 2);
  g_assert_cmpint (vt_parallel_threads (), ==, 2);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 0);
  extract (page);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 2);
  store = g_strdup (vitrine_dataset_page_get_store_path (page, &reused));
  g_assert_false (reused);
  g_assert_true (g_str_has_prefix (store, cache_dir));
  g_assert_true (g_file_test (store, G_FILE_TEST_IS_REGULAR));
  vt_gui_step_end ();

  vt_gui_step_begin (60, "the cache's size, and Clear Cache");
  /* A file of the user's, linked in under a store's name, and one beside. */
  kept = vt_test_write_file (outside, "mine.safetensors", "the user's own file", 19);
  link = g_build_filename (cache_dir, "0123456789abcdef0123456789abcdef.safetensors", NULL);
  g_assert_cmpint (symlink (kept, link), ==, 0);
  notes = vt_test_write_file (cache_dir, "notes.txt", "mine too", 8);
  g_assert_true (open_preferences () == preferences);   /* reads the cache again */
  expected = one_store_size (store);
  g_assert_cmpstr (vitrine_preferences_get_cache_size (preferences), ==, expected);
  save_screenshot (GTK_WIDGET (preferences), "preferences.png");

  clear_cache (preferences, GTK_RESPONSE_CANCEL);
  g_assert_true (g_file_test (store, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (vitrine_preferences_get_cache_size (preferences), ==, expected);

  clear_cache (preferences, GTK_RESPONSE_ACCEPT);
  g_assert_false (g_file_test (store, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (kept, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "the user's own file");
  g_assert_true (g_file_test (notes, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (vitrine_preferences_get_cache_size (preferences), ==, "Empty");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (vitrine_preferences_get_clear_cache_button (preferences))));
  vt_gui_step_end ();

  vt_gui_step_begin (180, "one thread: extract again, the cache being clear");
  set_threads (preferences, 1);
  g_assert_cmpint (g_settings_get_int (settings, "threads"), ==, 1);
  g_assert_cmpint (vt_parallel_threads (), ==, 1);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 0);
  extract (page);
  g_assert_cmpint (vt_parallel_peak_threads (), ==, 1);
  g_assert_false (vitrine_dataset_page_get_store_path (page, &reused) == NULL);
  g_assert_false (reused);
  g_assert_true (g_file_test (store, G_FILE_TEST_IS_REGULAR));
  /* written while the Preferences are open: they say so by themselves */
  vt_gui_wait_until (cache_size_is, (gpointer) (CacheSizeWait[]) { { preferences, expected } }, 20,
                     "the Preferences to show the new store");

  /* the default again: what the process started with */
  set_threads (preferences, 0);
  g_assert_cmpint (g_settings_get_int (settings, "threads"), ==, 0);
  g_assert_cmpint (vt_parallel_threads (), ==, vt_parallel_default_threads ());
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (vitrine_preferences_get_threads_button (preferences))));
  vt_gui_step_end ();

  vt_gui_close_window (GTK_WINDOW (preferences));
  vt_gui_close_window (GTK_WINDOW (window));
  g_unlink (link);
  g_unlink (notes);
  vt_test_rm_rf (outside);
}

/* Shortcuts window -----------------------------------------------------------*/

/* "<Control>o" and the like, the one form both sides are compared in. */
static char *
accel_key (guint           keyval,
           GdkModifierType mods)
{
  return gtk_accelerator_name (gdk_keyval_to_lower (keyval), mods & gtk_accelerator_get_default_mod_mask ());
}

/* Notes that @key is set by @source (a key several set names them all). */
static void
add_key (GHashTable *set,
         char       *key,
         const char *source)
{
  const char *before = g_hash_table_lookup (set, key);

  if (before == NULL)
    g_hash_table_insert (set, key, g_strdup (source));
  else if (strstr (before, source) == NULL)
    g_hash_table_insert (set, key, g_strconcat (before, ", ", source, NULL));
  else
    g_free (key);
}

static void
add_parsed (GHashTable *set,
            const char *accel,
            const char *source)
{
  guint keyval;
  GdkModifierType mods;

  g_assert_true (gtk_accelerator_parse (accel, &keyval, &mods));
  add_key (set, accel_key (keyval, mods), source);
}

/* What the help overlay lists: each GtkShortcutsShortcut's accelerators,
 * or, for one that names an action, the accelerators the application gives
 * that action (which the shortcuts window shows). */
static void
collect_listed (GtkWidget  *widget,
                GHashTable *listed)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_autofree char *accelerator = NULL;
      g_autofree char *action = NULL;
      g_autofree char *title = NULL;

      g_object_get (widget, "accelerator", &accelerator, "action-name", &action, "title", &title, NULL);
      if (action != NULL)
        {
          g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);
          /* an entry that names an action without accelerators shows none */
          g_assert_cmpuint (g_strv_length (accels), >, 0);
          for (guint i = 0; accels[i]; i++)
            add_parsed (listed, accels[i], title);
        }
      if (accelerator != NULL && accelerator[0] != '\0')
        {
          g_auto(GStrv) accels = g_strsplit (accelerator, " ", -1);
          for (guint i = 0; accels[i]; i++)
            if (accels[i][0] != '\0')
              add_parsed (listed, accels[i], title);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_listed (child, listed);
}

static void
add_trigger (GHashTable        *required,
             GtkShortcutTrigger *trigger,
             const char        *source)
{
  if (GTK_IS_KEYVAL_TRIGGER (trigger))
    add_key (required,
             accel_key (gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)),
                        gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger))),
             source);
  else if (GTK_IS_ALTERNATIVE_TRIGGER (trigger))
    {
      add_trigger (required, gtk_alternative_trigger_get_first (GTK_ALTERNATIVE_TRIGGER (trigger)), source);
      add_trigger (required, gtk_alternative_trigger_get_second (GTK_ALTERNATIVE_TRIGGER (trigger)), source);
    }
}

/* Keys a widget's own key handler may take: every printable character,
 * and the keys that move, edit and cancel. */
static GArray *
candidate_keys (void)
{
  static const guint named[] = {
    GDK_KEY_Escape, GDK_KEY_Return, GDK_KEY_KP_Enter, GDK_KEY_Tab, GDK_KEY_BackSpace, GDK_KEY_Delete,
    GDK_KEY_Insert, GDK_KEY_Home, GDK_KEY_End, GDK_KEY_Page_Up, GDK_KEY_Page_Down, GDK_KEY_Left,
    GDK_KEY_Right, GDK_KEY_Up, GDK_KEY_Down, GDK_KEY_KP_Add, GDK_KEY_KP_Subtract, GDK_KEY_KP_Multiply,
    GDK_KEY_KP_Divide, GDK_KEY_KP_Home, GDK_KEY_KP_Left, GDK_KEY_KP_Right, GDK_KEY_KP_Up, GDK_KEY_KP_Down,
    GDK_KEY_F1, GDK_KEY_F2, GDK_KEY_F3, GDK_KEY_F4, GDK_KEY_F5, GDK_KEY_F6, GDK_KEY_F7, GDK_KEY_F8,
    GDK_KEY_F9, GDK_KEY_F10, GDK_KEY_F11, GDK_KEY_F12,
  };
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint c = 0x20; c <= 0x7e; c++)
    g_array_append_val (keys, c);
  g_array_append_vals (keys, named, G_N_ELEMENTS (named));
  return keys;
}

/* The keys a key controller of ours takes: each key is offered with no
 * modifier, then with Shift, Control, Alt and Control+Shift; the first that
 * it takes is the one it needs listed. */
static void
probe_key_controller (GHashTable            *required,
                      GtkEventControllerKey *controller,
                      const char            *source)
{
  static const GdkModifierType modifiers[] = {
    0, GDK_SHIFT_MASK, GDK_CONTROL_MASK, GDK_ALT_MASK, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
  };
  g_autoptr(GArray) keys = candidate_keys ();

  for (guint k = 0; k < keys->len; k++)
    for (guint m = 0; m < G_N_ELEMENTS (modifiers); m++)
      {
        gboolean handled = FALSE;

        g_signal_emit_by_name (controller, "key-pressed", g_array_index (keys, guint, k), 0, modifiers[m], &handled);
        if (handled)
          {
            add_key (required, accel_key (g_array_index (keys, guint, k), modifiers[m]), source);
            break;
          }
      }
}

/* The keys Vitrine's own widgets take: their shortcut controllers' named
 * actions (what gtk_widget_class_add_binding_action makes; GTK's own
 * bindings, such as moving the focus, are signals) and their key
 * handlers. The key controllers of windows are GTK's (mnemonics, the
 * inspector): Vitrine's windows set their keys as bindings. */
static void
collect_required (GtkWidget  *widget,
                  GHashTable *required)
{
  const char *type = G_OBJECT_TYPE_NAME (widget);

  if (g_str_has_prefix (type, "Vitrine"))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

          if (GTK_IS_SHORTCUT_CONTROLLER (controller))
            for (guint s = 0; s < g_list_model_get_n_items (G_LIST_MODEL (controller)); s++)
              {
                g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), s);
                g_autofree char *source = NULL;

                if (!GTK_IS_NAMED_ACTION (gtk_shortcut_get_action (shortcut)))
                  continue;
                source = g_strdup_printf ("%s %s", type,
                                          gtk_named_action_get_action_name (GTK_NAMED_ACTION (gtk_shortcut_get_action (shortcut))));
                add_trigger (required, gtk_shortcut_get_trigger (shortcut), source);
              }
          else if (GTK_IS_EVENT_CONTROLLER_KEY (controller) && !GTK_IS_NATIVE (widget))
            probe_key_controller (required, GTK_EVENT_CONTROLLER_KEY (controller), type);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_required (child, required);
}

/* Each way of setting keys is seen: the walk found what it must. */
static void
assert_required (GHashTable      *required,
                 guint            keyval,
                 GdkModifierType  mods,
                 const char      *source)
{
  g_autofree char *key = accel_key (keyval, mods);
  const char *sources = g_hash_table_lookup (required, key);

  g_assert_nonnull (sources);
  g_assert_nonnull (strstr (sources, source));
}

static void
test_shortcuts_window (void)
{
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) required = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  g_autoptr(GString) missing = g_string_new (NULL);
  VitrineWindow *window;
  VitrinePreferences *preferences;
  GtkShortcutsWindow *overlay;
  GHashTableIter iter;
  gpointer key, source;

  window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  preferences = open_preferences ();
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (overlay);
  collect_listed (GTK_WIDGET (overlay), listed);

  /* The application's accelerators ... */
  for (guint i = 0; actions[i]; i++)
    {
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);
      for (guint a = 0; accels[a]; a++)
        add_parsed (required, accels[a], actions[i]);
    }
  assert_required (required, GDK_KEY_comma, GDK_CONTROL_MASK, "app.preferences");
  assert_required (required, GDK_KEY_question, GDK_CONTROL_MASK, "win.show-help-overlay");  /* GTK sets it */
  /* ... the windows' bindings and the widgets' keys (the Embedding plot
   * is in the window, and the Preferences are open). */
  collect_required (GTK_WIDGET (window), required);
  collect_required (GTK_WIDGET (preferences), required);
  assert_required (required, GDK_KEY_w, GDK_CONTROL_MASK, "VitrineWindow window.close");
  assert_required (required, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "VitrineWindow win.open-dataset");
  assert_required (required, GDK_KEY_Home, 0, "VitrineScatterView");
  assert_required (required, GDK_KEY_KP_Subtract, 0, "VitrineScatterView");

  g_hash_table_iter_init (&iter, required);
  while (g_hash_table_iter_next (&iter, &key, &source))
    {
      g_test_message ("%-22s %s%s", (char *) key, (char *) source,
                      g_hash_table_contains (listed, key) ? "" : "  NOT LISTED");
      if (!g_hash_table_contains (listed, key))
        g_string_append_printf (missing, "%s (%s) ", (char *) key, (char *) source);
    }
  g_test_message ("%u shortcuts set, %u listed", g_hash_table_size (required), g_hash_table_size (listed));
  g_assert_cmpstr (missing->str, ==, "");

  vt_gui_close_window (GTK_WINDOW (preferences));
  vt_gui_close_window (GTK_WINDOW (window));
}

/* Start page -----------------------------------------------------------------*/

static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action);
      if (found)
        return found;
    }
  return NULL;
}

typedef struct
{
  VitrineWindow *window;
  guint          rows;
} RowsWait;

static guint
n_rows (GtkListBox *list)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (list)); row; row = gtk_widget_get_next_sibling (row))
    n++;
  return n;
}

static gboolean
rows_shown (gpointer data)
{
  RowsWait *wait = data;
  GtkListBox *list = vitrine_window_get_start_recent_list (wait->window);

  return n_rows (list) == wait->rows && (wait->rows == 0 || gtk_widget_is_visible (GTK_WIDGET (list)));
}

/* The start page's recent row that opens with @action, and its texts. */
static GtkListBoxRow *
recent_row (VitrineWindow *window,
            const char    *action,
            char         **texts)
{
  GtkListBox *list = vitrine_window_get_start_recent_list (window);
  GtkWidget *row = find_actionable (GTK_WIDGET (list), action);
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_nonnull (row);
  for (GtkWidget *w = gtk_widget_get_first_child (gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row))); w;
       w = gtk_widget_get_next_sibling (w))
    if (GTK_IS_LABEL (w))
      g_string_append_printf (text, "%s%s", text->len ? " | " : "", gtk_label_get_text (GTK_LABEL (w)));
  *texts = g_string_free (g_steal_pointer (&text), FALSE);
  return GTK_LIST_BOX_ROW (row);
}

/* A window showing its start page, with @rows recent files listed. */
static VitrineWindow *
start_page (guint rows)
{
  VitrineWindow *window = vitrine_window_new (app);
  RowsWait wait = { window, rows };

  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (shown_area (window), ==, "welcome");
  vt_gui_wait_until (rows_shown, &wait, 20, "the start page's recent files");
  return window;
}

static void
test_start_page (void)
{
  g_autofree char *checkpoint = vt_gui_demo_file ("resnet20-12fca82f.safetensors");
  g_autofree char *images = vt_gui_demo_file ("cifar10-test-sample");
  g_autofree char *texts = NULL;
  VitrineWindow *window;
  GtkWidget *demo;
  GtkListBoxRow *row;

  /* What the other tests opened goes: two recent files of different kinds
   * come from the demo. */
  gtk_recent_manager_purge_items (gtk_recent_manager_get_default (), NULL);

  vt_gui_step_begin (120, "the start page's demo button");
  window = start_page (0);
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (gtk_widget_get_parent (
    GTK_WIDGET (vitrine_window_get_start_recent_list (window))))));
  demo = find_actionable (GTK_WIDGET (main_stack (window)), "win.open-demo");
  g_assert_nonnull (demo);
  g_assert_true (gtk_widget_is_visible (demo));
  g_signal_emit_by_name (demo, "clicked");
  vt_gui_wait_until (vt_gui_window_loaded, window, 60, "the demo checkpoint to load");
  vt_gui_wait_until (vt_gui_dataset_idle, vitrine_window_get_dataset_page (window), 60, "the demo images to open");
  g_assert_cmpstr (shown_area (window), ==, "model");
  g_assert_cmpstr (vitrine_model_page_get_fact (vitrine_window_get_model_page (window), "Model"), ==, "resnet20");
  g_assert_nonnull (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window)));
  g_assert_cmpuint (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window))->n_samples, ==, 200);
  vt_gui_close_window (GTK_WINDOW (window));
  vt_gui_step_end ();

  vt_gui_step_begin (120, "a recent checkpoint opens in the Model area");
  window = start_page (2);
  save_screenshot (GTK_WIDGET (window), "start-page.png");
  row = recent_row (window, "win.open-file", &texts);
  g_assert_cmpstr (texts, ==, "resnet20-12fca82f.safetensors | Checkpoint");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (row)), ==, checkpoint);
  g_clear_pointer (&texts, g_free);
  gtk_widget_activate (GTK_WIDGET (row));
  vt_gui_wait_until (vt_gui_window_loaded, window, 60, "the recent checkpoint to load");
  g_assert_cmpstr (shown_area (window), ==, "model");
  g_assert_true (g_str_has_prefix (gtk_window_get_title (GTK_WINDOW (window)), "resnet20-12fca82f.safetensors"));
  g_assert_null (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window)));
  vt_gui_close_window (GTK_WINDOW (window));
  vt_gui_step_end ();

  vt_gui_step_begin (120, "a recent dataset opens in the Dataset area");
  window = start_page (2);
  row = recent_row (window, "win.open-dataset-file", &texts);
  g_assert_cmpstr (texts, ==, "cifar10-test-sample | Dataset");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (row)), ==, images);
  gtk_widget_activate (GTK_WIDGET (row));
  vt_gui_wait_until (vt_gui_dataset_idle, vitrine_window_get_dataset_page (window), 60, "the recent dataset to open");
  g_assert_cmpstr (shown_area (window), ==, "dataset");
  g_assert_nonnull (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window)));
  g_assert_cmpuint (vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window))->n_samples, ==, 200);
  g_assert_false (vitrine_window_shows_area (window, "model"));
  vt_gui_close_window (GTK_WINDOW (window));
  vt_gui_step_end ();
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/preferences/threads-and-cache", test_threads_and_cache, 400 },
    { "/gui/preferences/shortcuts-window", test_shortcuts_window, 60 },
    { "/gui/preferences/start-page", test_start_page, 300 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
