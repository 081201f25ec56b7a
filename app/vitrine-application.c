/* vitrine-application.c: the application.
 *
 * --batch, --version and --help are handled in handle-local-options, before
 * startup, so they need no display and no session bus. */
#include "vitrine-application.h"
#include "core/vt-blas.h"
#include "core/vt-parallel.h"
#include "features/vt-feature-cache.h"
#include "vitrine-batch.h"
#include "vitrine-preferences.h"
#include "vitrine-settings.h"
#include "vitrine-style.h"
#include "vitrine-window.h"

#include <glib/gi18n.h>

#include "config.h"

struct _VitrineApplication
{
  GtkApplication  parent_instance;
  GSettings      *settings;
  VitrineStyle   *style;
  gboolean        no_restore;   /* --no-restore: this start opens no workspace */
};

G_DEFINE_FINAL_TYPE (VitrineApplication, vitrine_application, GTK_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { "batch", 'b', 0, G_OPTION_ARG_FILENAME, NULL, N_("Run an experiment spec without a window"), N_("SPEC.json") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, NULL, N_("Folder for the results of --batch (default: beside the spec, named after it)"), N_("DIR") },
  { "no-restore", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Do not reopen the last workspace"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, N_("[CHECKPOINT…]") },
  { NULL }
};

static int
vitrine_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  g_autofree char *spec = NULL;
  g_autofree char *output = NULL;
  g_autofree char **remaining = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("vitrine %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "batch", "^ay", &spec);
  g_variant_dict_lookup (options, "output", "^ay", &output);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &remaining);

  if (spec == NULL)
    {
      if (output)
        {
          g_printerr ("vitrine: --output needs --batch\n");
          return VITRINE_BATCH_BAD_SPEC;
        }
      /* Files to open: let GApplication deliver them to open(). */
      return -1;
    }
  if (remaining && remaining[0])
    {
      g_printerr ("vitrine: --batch takes one spec; unexpected “%s”\n", remaining[0]);
      return VITRINE_BATCH_BAD_SPEC;
    }
  return vitrine_batch_run (spec, output);
}

/* G_OPTION_REMAINING swallows the file arguments, so open them here. */
static int
vitrine_application_command_line (GApplication            *app,
                                  GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **remaining = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  VITRINE_APPLICATION (app)->no_restore = g_variant_dict_contains (options, "no-restore");
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &remaining);
  for (guint i = 0; remaining && remaining[i]; i++)
    g_ptr_array_add (files, g_application_command_line_create_file_for_arg (command_line, remaining[i]));

  if (files->len == 0)
    g_application_activate (app);
  else
    g_application_open (app, (GFile **) files->pdata, (int) files->len, "");
  return 0;
}

static VitrineWindow *
new_window (VitrineApplication *self)
{
  VitrineWindow *window = vitrine_window_new (self);

  if (self->settings)
    {
      g_settings_bind (self->settings, "window-width", window, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-height", window, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-maximized", window, "maximized", G_SETTINGS_BIND_DEFAULT);
    }
  return window;
}

/* The workspace last saved or opened, unless the setting or --no-restore
 * says not to; NULL also where that file has gone (nothing to say then: the
 * user asked for nothing). */
static GFile *
workspace_to_restore (VitrineApplication *self)
{
  g_autofree char *path = NULL;

  if (self->settings == NULL || self->no_restore || !g_settings_get_boolean (self->settings, "restore-workspace"))
    return NULL;
  path = g_settings_get_string (self->settings, "last-workspace");
  if (path[0] == '\0' || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_file_new_for_path (path);
}

static void
vitrine_application_activate (GApplication *app)
{
  VitrineApplication *self = VITRINE_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_autoptr(GFile) workspace = NULL;

  if (window == NULL)
    {
      window = GTK_WINDOW (new_window (self));
      if ((workspace = workspace_to_restore (self)))
        vitrine_window_open_workspace (VITRINE_WINDOW (window), workspace);
    }
  gtk_window_present (window);
}

static gboolean
is_workspace_file (GFile *file)
{
  g_autofree char *name = g_file_get_basename (file);
  return name != NULL && g_str_has_suffix (name, ".vitrine");
}

static void
vitrine_application_open (GApplication  *app,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      VitrineWindow *window = new_window (VITRINE_APPLICATION (app));

      if (is_workspace_file (files[i]))
        vitrine_window_open_workspace (window, files[i]);
      else
        vitrine_window_open (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  static const char *developers[] = { "The Vitrine developers", NULL };
  /* Translators: %s names OpenBLAS's kernels, e.g. "Haswell"; %d is a number of threads. */
  g_autofree char *system = g_strdup_printf (_("Matrix products: OpenBLAS, %s kernels, %d threads"),
                                             vt_blas_core (), vt_parallel_threads ());

  gtk_show_about_dialog (gtk_application_get_active_window (user_data),
                         "program-name", "Vitrine",
                         "logo-icon-name", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("A workbench for looking inside pretrained vision and vision-language models"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "system-information", system,
                         "authors", developers,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

/* One Preferences window at a time, over the window it was asked from. */
static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  VitrineApplication *self = user_data;
  g_autofree char *cache_dir = vt_feature_cache_dir ();
  VitrinePreferences *preferences;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (VITRINE_IS_PREFERENCES (l->data))
      {
        vitrine_preferences_update_cache (l->data);
        gtk_window_present (l->data);
        return;
      }
  preferences = vitrine_preferences_new (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                         self->settings, cache_dir);
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

/* The engine computes with the count the setting names, from the next
 * piece of work on. */
static void
apply_threads (VitrineApplication *self)
{
  vt_parallel_set_threads (g_settings_get_int (self->settings, "threads"));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GList *windows = gtk_application_get_windows (user_data);

  /* Closing each window lets it cancel its work first. */
  while (windows)
    {
      GList *next = windows->next;
      gtk_window_destroy (windows->data);
      windows = next;
    }
}

static void
color_scheme_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  VitrineApplication *self = user_data;
  const char *scheme = g_variant_get_string (parameter, NULL);

  if (!g_str_equal (scheme, "system") && !g_str_equal (scheme, "light") && !g_str_equal (scheme, "dark"))
    return;
  g_simple_action_set_state (action, parameter);
  vitrine_style_set_scheme (self->style, scheme);
  if (self->settings)
    g_settings_set_string (self->settings, "color-scheme", scheme);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "preferences", preferences_action },
  { "quit", quit_action },
  { "color-scheme", color_scheme_action, "s", "'system'" },
};

static void
vitrine_application_startup (GApplication *app)
{
  VitrineApplication *self = VITRINE_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  g_autofree char *scheme = NULL;

  G_APPLICATION_CLASS (vitrine_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.open", open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", preferences_accels);
  gtk_window_set_default_icon_name (APPLICATION_ID);

  /* GtkApplication, unlike libadwaita's, does not load style.css itself. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
    gtk_css_provider_load_from_resource (css, "/io/github/vitrine/Vitrine/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  self->settings = vitrine_settings_new ();
  self->style = vitrine_style_new ();
  scheme = self->settings ? g_settings_get_string (self->settings, "color-scheme") : g_strdup ("system");
  /* The main menu's check item, kept in the setting itself. */
  if (self->settings)
    {
      g_autoptr(GAction) restore = g_settings_create_action (self->settings, "restore-workspace");
      g_action_map_add_action (G_ACTION_MAP (app), restore);
      g_signal_connect_swapped (self->settings, "changed::threads", G_CALLBACK (apply_threads), self);
      apply_threads (self);
    }
  g_action_group_activate_action (G_ACTION_GROUP (app), "color-scheme", g_variant_new_string (scheme));
}

static void
vitrine_application_shutdown (GApplication *app)
{
  VitrineApplication *self = VITRINE_APPLICATION (app);

  g_clear_object (&self->style);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_APPLICATION_CLASS (vitrine_application_parent_class)->shutdown (app);
}

static void
vitrine_application_class_init (VitrineApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->handle_local_options = vitrine_application_handle_local_options;
  app_class->command_line = vitrine_application_command_line;
  app_class->activate = vitrine_application_activate;
  app_class->open = vitrine_application_open;
  app_class->startup = vitrine_application_startup;
  app_class->shutdown = vitrine_application_shutdown;
}

static void
vitrine_application_init (VitrineApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[CHECKPOINT…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Look inside pretrained vision models. With --batch, run an experiment spec headless."));
}

VitrineApplication *
vitrine_application_new (GApplicationFlags flags)
{
  return g_object_new (VITRINE_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", flags | G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/vitrine/Vitrine",
                       NULL);
}
