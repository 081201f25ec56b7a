/* test-labeling-page.c: the Labeling area in the real window, in process,
 * under Xvfb, on the active-learning fixtures (tests/fixtures/active: a
 * 300-sample pool and a 100-sample test store, 4 classes) paired with a
 * small image folder written here, so that the samples have pictures and
 * files to export.
 *
 * Digit keys label the sample shown and the journal on disk has each line
 * before the queue moves; the bar chart's counts follow; BackSpace brings
 * the previous sample back and its label is gone from the journal's
 * replay; space skips; the second round's guesses come from a trained head
 * and `a` accepts them; the accuracy per round is measured on the test
 * store; Left/Right look back and forth; the labels export as a CSV list
 * the dataset reader opens, and as JSON. Reopening the store in a new
 * window resumes its labels and rounds, and a damaged last journal line is
 * a message, not an error. A key remapped in the Preferences answers at
 * once in its action's place, the old one no longer does, and the
 * shortcuts window shows the new one. The kill test runs this program as a labeling
 * child that answers the queue nonstop and reports every decision once the
 * page has returned from it; SIGKILLed at random moments, each reopened
 * journal holds every reported decision exactly once. */
#include <cairo.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "models/vt-zero-shot.h"
#include "methods/active/vt-active-learner.h"
#include "methods/active/vt-label-journal.h"
#include "vitrine-application.h"
#include "vitrine-labeling-page.h"
#include "vitrine-preferences.h"
#include "vitrine-settings.h"
#include "vitrine-store-item.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

#define N_CLASSES 4
static const char * const class_names[] = { "ant", "bee", "cicada", "dragonfly", NULL };

static VitrineApplication *app;

static gboolean
page_idle (gpointer page)
{
  return !vitrine_labeling_page_is_busy (page);
}

static gboolean
has_pictures (gpointer page)
{
  return vitrine_labeling_page_has_pictures (page);
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

/* root/{train,test}/<class>/NNN.png: @n_train and @n_test tiny pictures,
 * the classes in turn, as an image folder lists them (sorted). */
static void
write_split (const char *root,
             const char *split,
             guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      guint c = i % N_CLASSES;
      g_autofree char *dir = g_build_filename (root, split, class_names[c], NULL);
      g_autofree char *name = g_strdup_printf ("%03u.png", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 8, 8);
      cairo_t *cr = cairo_create (surface);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      cairo_set_source_rgb (cr, (i % 7) / 7.0, c / 4.0, (i % 3) / 3.0);
      cairo_paint (cr);
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
    }
}

/* A store item for the fixture @name, as if extracted from @root's @split. */
static VitrineStoreItem *
store_item (const char *name,
            const char *item_path,
            const char *root,
            const char *split)
{
  g_autofree char *rel = g_strdup_printf ("active/%s.safetensors", name);
  g_autofree char *path = vt_test_fixture (rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtFeatureStore) store = vt_feature_store_load (path, &error);

  g_assert_no_error (error);
  /* The fixture's samples are 1000–1299 of a dataset that does not exist;
   * here they are the image folder's. */
  for (guint i = 0; i < store->n_samples; i++)
    store->indices[i] = i;
  store->source = g_new0 (VtFeatureSource, 1);
  store->source->checkpoint = g_strdup ("model.safetensors");
  store->source->checkpoint_sha256 = g_strdup ("aa");
  store->source->config_sha256 = g_strdup ("");
  store->source->dataset = g_strdup (root);
  store->source->split = g_strdup (split);
  store->source->dataset_samples = store->n_samples;
  store->source->transform = g_strdup ("none");
  return vitrine_store_item_new (item_path, store);
}

typedef struct
{
  char                 *tmp;
  char                 *root;
  char                 *pool_path;   /* the item's path: the journal's key */
  VitrineWindow        *window;
  VitrineLabelingPage  *page;
} Fixture;

static void
open_area (Fixture *f)
{
  GListStore *stores;
  g_autoptr(VitrineStoreItem) pool = NULL;
  g_autoptr(VitrineStoreItem) test = NULL;
  g_autofree char *test_path = g_build_filename (f->tmp, "test-store.safetensors", NULL);

  f->window = vitrine_window_new (app);
  gtk_window_present (GTK_WINDOW (f->window));
  f->page = vitrine_window_get_labeling_page (f->window);
  vitrine_window_show_area (f->window, "labeling");
  g_assert_true (vitrine_window_shows_area (f->window, "labeling"));
  stores = vitrine_dataset_page_get_stores (vitrine_window_get_dataset_page (f->window));
  pool = store_item ("pool", f->pool_path, f->root, "train");
  test = store_item ("test", test_path, f->root, "test");
  g_list_store_append (stores, pool);
  g_list_store_append (stores, test);
  g_assert_cmpstr (vitrine_labeling_page_get_journal_path (f->page), !=, NULL);
}

static void
close_area (Fixture *f)
{
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  vt_gui_wait_until (is_null, &f->window, 30, "the closed window to be finalized");
  f->page = NULL;
}

static void
fixture_init (Fixture *f)
{
  f->tmp = vt_test_tmpdir ();
  f->root = g_build_filename (f->tmp, "insects", NULL);
  write_split (f->root, "train", 300);
  write_split (f->root, "test", 100);
  f->pool_path = g_build_filename (f->tmp, "pool-store.safetensors", NULL);
}

static void
fixture_clear (Fixture *f)
{
  vt_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->root);
  g_free (f->pool_path);
}

/* The first widget of @type under @root. */
static GtkWidget *
find_child (GtkWidget *root,
            GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_child (child, type);

      if (found)
        return found;
    }
  return NULL;
}

static GtkEventController *
key_controller (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        return controller;   /* the widget keeps it */
    }
  g_assert_not_reached ();
}

static void
press (VitrineLabelingPage *page,
       guint                keyval,
       GdkModifierType      state)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (key_controller (GTK_WIDGET (page)), "key-pressed", keyval, 0, state, &handled);
  g_assert_true (handled);
}

/* Whether the queue took the key. */
static gboolean
handles (VitrineLabelingPage *page,
         guint                keyval,
         GdkModifierType      state)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (key_controller (GTK_WIDGET (page)), "key-pressed", keyval, 0, state, &handled);
  return handled;
}

static void
start_round (VitrineLabelingPage *page)
{
  gtk_widget_activate_action (GTK_WIDGET (page), "labeling.start-round", NULL);
  g_assert_true (vitrine_labeling_page_is_busy (page));
  vt_gui_wait_until (page_idle, page, 60, "the round to be ranked");
}

/* The journal's event lines (its header left out). */
static char **
journal_lines (VitrineLabelingPage *page)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  char **lines;
  guint n;

  g_file_get_contents (vitrine_labeling_page_get_journal_path (page), &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, "vitrine-label-journal 1\n"));
  lines = g_strsplit (text + strlen ("vitrine-label-journal 1\n"), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpstr (lines[n - 1], ==, "");
  g_clear_pointer (&lines[n - 1], g_free);
  return lines;
}

/* What a fresh reader of the journal replays for @sample: a label, skip, or none (-2). */
static gint64
replayed (VitrineLabelingPage *page,
          gint64               sample)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtLabelJournal) journal = vt_label_journal_open (vitrine_labeling_page_get_journal_path (page), &error);
  const VtLabelDecision *d;
  guint n;

  g_assert_no_error (error);
  d = vt_label_journal_get_decisions (journal, &n);
  for (guint i = 0; i < n; i++)
    if (d[i].sample == sample)
      return d[i].label;
  return -2;
}

static void
test_keys (void)
{
  Fixture f = { 0 };
  gint64 samples[6];
  g_auto(GStrv) lines = NULL;
  const double *accuracies;
  guint n_accuracies;

  fixture_init (&f);
  open_area (&f);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_LINEAR, VT_ACTIVE_ENTROPY, TRUE, 6);
  start_round (f.page);
  g_assert_cmpuint (vitrine_labeling_page_get_queue_length (f.page), ==, 6);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 0);
  /* Nothing labeled yet: a random first round, no guess. */
  g_assert_cmpint (vitrine_labeling_page_get_guess (f.page), ==, -1);
  g_assert_true (vt_gui_wait_painted (vitrine_labeling_page_get_bar_chart (f.page), 10000));

  /* 1, 2, 3, 4: the first four classes; each is a journal line before the queue moves. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *want = NULL;

      samples[i] = vitrine_labeling_page_get_sample (f.page);
      g_assert_cmpint (samples[i], >=, 0);
      g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, i), ==, 0);
      press (f.page, GDK_KEY_1 + i, 0);
      g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, i + 1);
      g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, i), ==, 1);
      lines = journal_lines (f.page);
      g_assert_cmpuint (g_strv_length (lines), ==, i + 1);
      want = g_strdup_printf ("0\t%" G_GINT64_FORMAT "\t%u", samples[i], i);
      g_assert_cmpstr (lines[i], ==, want);
      g_clear_pointer (&lines, g_strfreev);
    }
  /* Shift+1 names class 11, which this store does not have: nothing happens. */
  press (f.page, GDK_KEY_1, GDK_SHIFT_MASK);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 4);

  /* BackSpace: the fourth sample is back and its label gone from the replay. */
  press (f.page, GDK_KEY_BackSpace, 0);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 3);
  g_assert_cmpint (vitrine_labeling_page_get_sample (f.page), ==, samples[3]);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 3), ==, 0);
  g_assert_cmpint (replayed (f.page, samples[3]), ==, -2);
  g_assert_cmpint (replayed (f.page, samples[2]), ==, 2);
  /* Undo goes as deep as the session: the third one too. */
  press (f.page, GDK_KEY_BackSpace, 0);
  g_assert_cmpint (vitrine_labeling_page_get_sample (f.page), ==, samples[2]);
  g_assert_cmpint (replayed (f.page, samples[2]), ==, -2);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 2), ==, 0);
  press (f.page, GDK_KEY_3, 0);
  g_assert_cmpint (replayed (f.page, samples[2]), ==, 2);

  /* Space skips; Left looks back, Right forth. */
  press (f.page, GDK_KEY_space, 0);
  g_assert_cmpint (replayed (f.page, samples[3]), ==, VT_LABEL_SKIP);
  press (f.page, GDK_KEY_Left, 0);
  g_assert_cmpint (vitrine_labeling_page_get_sample (f.page), ==, samples[3]);
  press (f.page, GDK_KEY_Right, 0);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 4);
  samples[4] = vitrine_labeling_page_get_sample (f.page);
  press (f.page, GDK_KEY_2, 0);
  samples[5] = vitrine_labeling_page_get_sample (f.page);
  press (f.page, GDK_KEY_0, 0);   /* the tenth class: not in this store */
  g_assert_cmpint (vitrine_labeling_page_get_sample (f.page), ==, samples[5]);
  press (f.page, GDK_KEY_4, 0);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 6);
  g_assert_cmpint (vitrine_labeling_page_get_sample (f.page), ==, -1);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 0), ==, 1);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 1), ==, 2);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 2), ==, 1);
  g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, 3), ==, 1);
  g_assert_cmpstr (vitrine_labeling_page_get_position_text (f.page), ==, "Queue done (6 samples): start the next round.");

  /* Round 2: a head trained on five labels guesses; `a` accepts. */
  start_round (f.page);
  g_assert_cmpuint (vitrine_labeling_page_get_rounds (f.page), ==, 2);
  g_assert_cmpuint (vitrine_labeling_page_get_queue_length (f.page), ==, 12);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 6);
  /* None of the new queue was decided before. */
  for (guint i = 0; i < 6; i++)
    {
      g_assert_cmpint (replayed (f.page, vitrine_labeling_page_get_sample (f.page)), ==, -2);
      press (f.page, GDK_KEY_Right, 0);
    }
  for (guint i = 0; i < 6; i++)
    press (f.page, GDK_KEY_Left, 0);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 6);
  {
    gint64 sample = vitrine_labeling_page_get_sample (f.page);
    gint guess = vitrine_labeling_page_get_guess (f.page);
    guint before;

    g_assert_cmpint (guess, >=, 0);
    g_assert_cmpint (guess, <, N_CLASSES);
    before = vitrine_labeling_page_get_class_count (f.page, guess);
    press (f.page, GDK_KEY_a, 0);
    g_assert_cmpint (replayed (f.page, sample), ==, guess);
    g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, guess), ==, before + 1);
    lines = journal_lines (f.page);
    {
      g_autofree char *want = g_strdup_printf ("1\t%" G_GINT64_FORMAT "\t%d", sample, guess);
      g_assert_cmpstr (lines[g_strv_length (lines) - 1], ==, want);
    }
  }
  /* The class search: Enter labels the sample as the first class that matches. */
  {
    GtkWidget *search = vitrine_labeling_page_get_class_search (f.page);
    gint64 sample = vitrine_labeling_page_get_sample (f.page);
    guint position = vitrine_labeling_page_get_position (f.page);

    gtk_editable_set_text (GTK_EDITABLE (search), "CIC");
    g_signal_emit_by_name (search, "activate");
    g_assert_cmpint (replayed (f.page, sample), ==, 2);
    g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, position + 1);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, "");
  }
  /* h shows the keys. */
  {
    GtkWidget *keys = find_child (GTK_WIDGET (f.page), GTK_TYPE_MENU_BUTTON);
    GtkWidget *help = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (keys)));

    g_assert_false (gtk_widget_get_visible (help));
    press (f.page, GDK_KEY_h, 0);
    g_assert_true (gtk_widget_get_visible (help));
    /* One key a line. */
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (gtk_popover_get_child (GTK_POPOVER (help)))),
                              "classes\nShift+1"));
    gtk_popover_popdown (GTK_POPOVER (help));
  }
  /* The area mid-session, as a test artifact. */
  {
    g_autofree char *shot = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "labeling-area.png", NULL);

    vt_gui_wait_until (has_pictures, f.page, 30, "the store's dataset to be read");
    vt_gui_spin (300);
    g_assert_true (vt_gui_save_png (GTK_WIDGET (f.window), shot));
  }
  /* The first round had no head; the second's was measured on the test store. */
  accuracies = vitrine_labeling_page_get_accuracies (f.page, &n_accuracies);
  g_assert_cmpuint (n_accuracies, ==, 2);
  g_assert_true (isnan (accuracies[0]));
  g_assert_true (accuracies[1] >= 0.0 && accuracies[1] <= 1.0);
  g_test_message ("accuracy after round 1 (5 labels): %.3f", accuracies[1]);

  /* Export: a CSV list the dataset reader opens, and JSON. */
  {
    g_autofree char *csv = g_build_filename (f.tmp, "labels.csv", NULL);
    g_autofree char *json = g_build_filename (f.tmp, "labels.json", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VtDataset) list = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    VtDatasetOptions options = { 0 };

    vt_gui_wait_until (has_pictures, f.page, 30, "the store's dataset to be read");
    g_assert_true (vitrine_labeling_page_export (f.page, csv, &error));
    g_assert_no_error (error);
    list = vt_dataset_open (csv, &options, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (list->n_samples, ==, 7);   /* 5 + 2 labeled, the skipped one left out */
    for (guint c = 0; c < list->n_classes; c++)
      g_assert_true (g_strv_contains (class_names, list->class_names[c]));
    /* Row by row: the sample's own file and the label the journal holds. */
    {
      VtDatasetOptions train = { "train", FALSE, NULL };
      g_autoptr(VtDataset) folder = vt_dataset_open (f.root, &train, &error);
      g_autoptr(VtLabelJournal) journal = vt_label_journal_open (vitrine_labeling_page_get_journal_path (f.page), &error);
      g_autofree char *text = NULL;
      g_auto(GStrv) rows = NULL;
      const VtLabelDecision *d;
      guint n, row = 1;

      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
      rows = g_strsplit (text, "\n", -1);
      g_assert_cmpstr (rows[0], ==, "path,label");
      d = vt_label_journal_get_decisions (journal, &n);
      for (guint i = 0; i < n; i++)
        if (d[i].label != VT_LABEL_SKIP)
          {
            g_autofree char *file = g_canonicalize_filename (vt_dataset_sample_file (folder, d[i].sample), NULL);
            g_autofree char *want = g_strdup_printf ("%s,%s", file, class_names[d[i].label]);

            g_assert_cmpstr (rows[row++], ==, want);
          }
      g_assert_cmpstr (rows[row], ==, "");
    }
    g_assert_true (vitrine_labeling_page_export (f.page, json, &error));
    g_assert_no_error (error);
    json_parser_load_from_file (parser, json, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))), ==, 7);
  }
  close_area (&f);
  fixture_clear (&f);
}

/* Reopening resumes; a damaged last line is a message. */
/* The shortcuts window's row of @id (resources/gtk/help-overlay.ui). */
static GtkWidget *
find_shortcut (GtkWidget  *root,
               const char *id)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (root) && g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)), id) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_shortcut (child, id);

      if (found)
        return found;
    }
  return NULL;
}

/* Skip remapped from space to k in the Preferences: k skips, space no
 * longer does, and the shortcuts window says k. What is not a key is
 * marked in the entry and not stored. */
static void
test_remap_keys (void)
{
  Fixture f = { 0 };
  g_autoptr(GSettings) settings = vitrine_settings_new ();
  g_autofree char *stored = NULL;
  g_autofree char *accelerator = NULL;
  VitrinePreferences *preferences;
  GtkEditable *entry;
  GtkWidget *row;
  gint64 sample;

  g_assert_nonnull (settings);
  /* The table's fallbacks (for a run without the schema) are the schema's defaults. */
  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    {
      g_autoptr(GVariant) fallback = g_settings_get_default_value (settings, vitrine_labeling_action_setting (a));

      g_assert_cmpstr (g_variant_get_string (fallback, NULL), ==, vitrine_labeling_action_default (a));
    }
  fixture_init (&f);
  open_area (&f);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_LINEAR, VT_ACTIVE_ENTROPY, TRUE, 1);
  start_round (f.page);
  row = find_shortcut (GTK_WIDGET (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f.window))),
                       "labeling-skip");
  g_assert_nonnull (row);
  g_object_get (row, "accelerator", &accelerator, NULL);
  g_assert_cmpstr (accelerator, ==, "space");
  g_clear_pointer (&accelerator, g_free);

  preferences = vitrine_preferences_new (GTK_WINDOW (f.window), settings, f.tmp);
  gtk_window_present (GTK_WINDOW (preferences));
  entry = vitrine_preferences_get_labeling_key_entry (preferences, VITRINE_LABELING_SKIP);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "space");
  gtk_editable_set_text (entry, "<Nonsense>k");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"));
  stored = g_settings_get_string (settings, "labeling-key-skip");
  g_assert_cmpstr (stored, ==, "space");
  g_clear_pointer (&stored, g_free);
  gtk_editable_set_text (entry, "k");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"));
  stored = g_settings_get_string (settings, "labeling-key-skip");
  g_assert_cmpstr (stored, ==, "k");

  sample = vitrine_labeling_page_get_sample (f.page);
  g_assert_cmpint (sample, >=, 0);
  g_assert_false (handles (f.page, GDK_KEY_space, 0));
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 0);
  g_assert_cmpint (replayed (f.page, sample), ==, -2);
  press (f.page, GDK_KEY_k, 0);
  g_assert_cmpuint (vitrine_labeling_page_get_position (f.page), ==, 1);
  g_assert_cmpint (replayed (f.page, sample), ==, VT_LABEL_SKIP);
  /* A queue of one sample says so in the singular (issue 23, item 15). */
  g_assert_cmpstr (vitrine_labeling_page_get_position_text (f.page), ==, "Queue done (1 sample): start the next round.");
  /* the other keys stay as they were: BackSpace undoes the skip */
  press (f.page, GDK_KEY_BackSpace, 0);
  g_assert_cmpint (replayed (f.page, sample), ==, -2);
  g_object_get (row, "accelerator", &accelerator, NULL);
  g_assert_cmpstr (accelerator, ==, "k");

  g_settings_reset (settings, "labeling-key-skip");
  g_assert_true (handles (f.page, GDK_KEY_space, 0));
  g_assert_cmpint (replayed (f.page, sample), ==, VT_LABEL_SKIP);
  g_object_add_weak_pointer (G_OBJECT (preferences), (gpointer *) &preferences);
  gtk_window_destroy (GTK_WINDOW (preferences));
  vt_gui_wait_until (is_null, &preferences, 30, "the Preferences to be finalized");
  close_area (&f);
  fixture_clear (&f);
}

static void
test_resume (void)
{
  Fixture f = { 0 };
  guint counts[N_CLASSES];
  g_autofree char *journal = NULL;

  fixture_init (&f);
  open_area (&f);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_COSINE, VT_ACTIVE_MARGIN, FALSE, 5);
  start_round (f.page);
  press (f.page, GDK_KEY_1, 0);
  press (f.page, GDK_KEY_2, 0);
  press (f.page, GDK_KEY_space, 0);
  press (f.page, GDK_KEY_2, 0);
  for (guint c = 0; c < N_CLASSES; c++)
    counts[c] = vitrine_labeling_page_get_class_count (f.page, c);
  journal = g_strdup (vitrine_labeling_page_get_journal_path (f.page));
  close_area (&f);

  open_area (&f);
  g_assert_cmpstr (vitrine_labeling_page_get_journal_path (f.page), ==, journal);
  g_test_message ("%s", vitrine_labeling_page_get_status (f.page));
  g_assert_nonnull (strstr (vitrine_labeling_page_get_status (f.page), "Resumed: 3 labeled, 1 skipped, 1 round."));
  g_assert_cmpuint (vitrine_labeling_page_get_rounds (f.page), ==, 1);
  for (guint c = 0; c < N_CLASSES; c++)
    g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, c), ==, counts[c]);
  /* The next round asks about none of the decided samples. */
  start_round (f.page);
  for (guint i = 0; i < vitrine_labeling_page_get_queue_length (f.page); i++)
    {
      g_assert_cmpint (replayed (f.page, vitrine_labeling_page_get_sample (f.page)), ==, -2);
      press (f.page, GDK_KEY_Right, 0);
    }
  close_area (&f);

  /* A process killed mid-write leaves a short last line. */
  {
    FILE *file = fopen (journal, "a");

    g_assert_nonnull (file);
    fputs ("1\t17", file);
    fclose (file);
  }
  open_area (&f);
  g_test_message ("%s", vitrine_labeling_page_get_status (f.page));
  g_assert_nonnull (strstr (vitrine_labeling_page_get_status (f.page), "damaged"));
  /* The journal still works: a round on what stands. */
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_LINEAR, VT_ACTIVE_BADGE, TRUE, 5);
  start_round (f.page);
  g_assert_cmpuint (vitrine_labeling_page_get_queue_length (f.page), ==, 5);
  for (guint c = 0; c < N_CLASSES; c++)
    g_assert_cmpuint (vitrine_labeling_page_get_class_count (f.page, c), ==, counts[c]);
  close_area (&f);
  fixture_clear (&f);
}

/* The kill test ------------------------------------------------------------------*/

#define CHILD_BUDGET 20
#define KILLS        6

/* This program run with --labeling-child TMP: the area on the fixture in
 * TMP (written by the parent), answering the queue as fast as a person
 * with a fast hand, and printing each decision once the page has returned
 * from it ("label S L", "skip S", "undo S"); rounds follow one another. It
 * stops on its own after a minute, in case no one kills it. */
static int
labeling_child (int    argc,
                char **argv)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new ();
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint undoable = 0;
  gboolean ready = FALSE;

  g_assert_cmpint (argc, ==, 3);
  gtk_init ();
  app = vitrine_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  f.tmp = g_strdup (argv[2]);
  f.root = g_build_filename (f.tmp, "insects", NULL);
  f.pool_path = g_build_filename (f.tmp, "pool-store.safetensors", NULL);
  open_area (&f);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_LINEAR, VT_ACTIVE_MARGIN, TRUE, CHILD_BUDGET);
  printf ("journal %s\n", vitrine_labeling_page_get_journal_path (f.page));
  fflush (stdout);
  while (g_get_monotonic_time () < deadline)
    {
      gint64 sample;
      guint r;

      if (vitrine_labeling_page_get_sample (f.page) < 0)
        {
          gtk_widget_activate_action (GTK_WIDGET (f.page), "labeling.start-round", NULL);
          while (vitrine_labeling_page_is_busy (f.page))
            g_main_context_iteration (NULL, TRUE);
          if (vitrine_labeling_page_get_sample (f.page) < 0)
            {
              printf ("exhausted\n");
              fflush (stdout);
              g_usleep (G_USEC_PER_SEC);
              continue;
            }
        }
      if (!ready)
        {
          printf ("ready\n");
          fflush (stdout);
          ready = TRUE;
        }
      sample = vitrine_labeling_page_get_sample (f.page);
      r = g_rand_int_range (rand, 0, 10);
      if (r == 0 && undoable > 0)
        {
          press (f.page, GDK_KEY_BackSpace, 0);
          printf ("undo %" G_GINT64_FORMAT "\n", vitrine_labeling_page_get_sample (f.page));
          undoable--;
        }
      else if (r == 1)
        {
          press (f.page, GDK_KEY_space, 0);
          printf ("skip %" G_GINT64_FORMAT "\n", sample);
          undoable++;
        }
      else
        {
          guint label = g_rand_int_range (rand, 0, N_CLASSES);

          press (f.page, GDK_KEY_1 + label, 0);
          printf ("label %" G_GINT64_FORMAT " %u\n", sample, label);
          undoable++;
        }
      fflush (stdout);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
  return 0;
}

/* The child, killed at random moments again and again: after each kill
 * the journal holds every decision the child reported (its last one in
 * flight may be there or not), no sample twice; the next child resumes
 * from it. */
static void
test_kill (void)
{
  Fixture f = { 0 };
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  guint reported = 0;

  g_assert_nonnull (self_exe);
  fixture_init (&f);
  for (guint kill_no = 0; kill_no < KILLS; kill_no++)
    {
      g_autoptr(GError) error = NULL;
      const char *argv[] = { self_exe, "--labeling-child", f.tmp, NULL };
      g_autoptr(GSubprocess) child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *journal_path = NULL;
      g_autoptr(VtLabelJournal) journal = NULL;
      g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
      const VtLabelDecision *d;
      guint n, delay_ms = g_test_rand_int_range (100, 1500), events = 0, mismatches = 0;
      char *line;

      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      vt_gui_step_begin (60, "labeling child %u: start and first round", kill_no + 1);
      while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
        {
          gboolean is_ready = g_str_equal (line, "ready") || g_str_equal (line, "exhausted");

          if (g_str_has_prefix (line, "journal "))
            journal_path = g_strdup (line + strlen ("journal "));
          g_free (line);
          if (is_ready)
            break;
        }
      g_assert_no_error (error);
      g_assert_nonnull (journal_path);
      vt_gui_step_end ();
      g_usleep (delay_ms * 1000);
      g_subprocess_send_signal (child, SIGKILL);
      g_subprocess_wait (child, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_signaled (child));
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

      /* What it reported, whole lines only. */
      while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
        {
          g_auto(GStrv) w = g_strsplit (line, " ", -1);
          gint64 sample = w[0] && w[1] ? g_ascii_strtoll (w[1], NULL, 10) : -1;

          g_free (line);
          if (g_str_equal (w[0], "label") || g_str_equal (w[0], "skip"))
            g_hash_table_insert (expected, g_memdup2 (&sample, sizeof sample),
                                 g_memdup2 (&(gint64) { g_str_equal (w[0], "skip") ? VT_LABEL_SKIP
                                                        : g_ascii_strtoll (w[2], NULL, 10) }, sizeof (gint64)));
          else if (g_str_equal (w[0], "undo"))
            g_hash_table_remove (expected, &sample);
          else
            continue;
          events++;
        }
      /* A line cut short by the kill is not a whole line: it counts as in flight. */
      reported += events;

      journal = vt_label_journal_open (journal_path, &error);
      g_assert_no_error (error);
      d = vt_label_journal_get_decisions (journal, &n);
      for (guint i = 0; i < n; i++)
        {
          gint64 *want = g_hash_table_lookup (expected, &d[i].sample);

          g_assert_false (g_hash_table_contains (seen, &d[i].sample));   /* none twice */
          g_hash_table_add (seen, (gpointer) &d[i].sample);
          mismatches += want == NULL || *want != d[i].label;
        }
      {
        GHashTableIter iter;
        gpointer key;

        g_hash_table_iter_init (&iter, expected);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          mismatches += !g_hash_table_contains (seen, key);
      }
      g_test_message ("kill %u after %u ms: reported %u, standing in the journal %u%s%s", kill_no + 1,
                      delay_ms, events, n, mismatches ? ", 1 in flight" : "",
                      vt_label_journal_get_damage (journal) ? ", a damaged last line cut off" : "");
      /* Only the decision in flight when the kill came may differ. */
      g_assert_cmpuint (mismatches, <=, 1);
      /* The journal is what the next child resumes from. */
      g_hash_table_remove_all (expected);
      for (guint i = 0; i < n; i++)
        g_hash_table_insert (expected, g_memdup2 (&d[i].sample, sizeof (gint64)), g_memdup2 (&d[i].label, sizeof (gint64)));
    }
  g_assert_cmpuint (reported, >, 0);
  fixture_clear (&f);
}

/* A store of @n samples of 32 features (seeded noise; the OpenCLIP
 * fixture's embedding size) that says the OpenCLIP fixture made it from
 * @root's train split: what the CLIP learners need. Saved to @path. */
static void
write_clip_store (const char *path,
                  const char *root,
                  guint       n)
{
  g_autofree char *clip = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtFeatureStore) store = vt_feature_store_new (n, 32, 0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(GError) error = NULL;

  checkpoint = vt_checkpoint_open (clip, &error);
  g_assert_no_error (error);
  store->n_samples = n;
  for (gsize i = 0; i < (gsize) n * 32; i++)
    store->features[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  for (guint i = 0; i < n; i++)
    {
      store->labels[i] = i % N_CLASSES;
      store->indices[i] = i;
    }
  store->n_classes = N_CLASSES;
  store->class_names = g_new0 (char *, N_CLASSES + 1);
  for (guint c = 0; c < N_CLASSES; c++)
    store->class_names[c] = g_strdup (class_names[c]);
  store->source = g_new0 (VtFeatureSource, 1);
  store->source->checkpoint = g_strdup (clip);
  store->source->checkpoint_sha256 = vt_checkpoint_sha256 (checkpoint, NULL, &error);
  g_assert_no_error (error);
  store->source->config_sha256 = g_strdup ("");
  store->source->dataset = g_strdup (root);
  store->source->split = g_strdup ("train");
  store->source->dataset_fingerprint = g_strdup ("test");
  store->source->dataset_content = g_strdup ("test");
  store->source->dataset_samples = 300;
  store->source->transform = g_strdup ("none");
  g_assert_true (vt_feature_store_save (store, path, &error));
  g_assert_no_error (error);
}

/* The CLIP learners are listed for a store a CLIP image tower made, and
 * only there: two learners for the fixture's stores, four for the CLIP
 * store. On it, zero-shot's guesses in the second round are the classes
 * of the engine's zero-shot head ("a photo of a {class}." through the
 * fixture's text tower) for each sample, and CoOp's (4 context vectors,
 * set in the area) in the third round those of the engine's coop learner
 * trained on the same labels; back on a plain store the choice falls back
 * to the linear head. */
static void
test_clip_learners (void)
{
  Fixture f = { 0 };
  g_autofree char *clip_path = NULL;
  g_autofree char *clip = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(VtFeatureStore) store = NULL;
  g_autoptr(GError) error = NULL;
  float head[N_CLASSES * 32];
  guint checked = 0;

  fixture_init (&f);
  open_area (&f);
  g_assert_cmpuint (vitrine_labeling_page_get_n_learners (f.page), ==, 2);

  clip_path = g_build_filename (f.tmp, "clip-store.safetensors", NULL);
  write_clip_store (clip_path, f.root, 40);
  vitrine_labeling_page_add_store (f.page, clip_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vitrine_labeling_page_get_n_learners (f.page), ==, 4);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_ZERO_SHOT, VT_ACTIVE_RANDOM, FALSE, 4);
  g_assert_cmpint (vitrine_labeling_page_get_learner (f.page), ==, VT_ACTIVE_LEARNER_ZERO_SHOT);
  start_round (f.page);
  g_assert_cmpint (vitrine_labeling_page_get_guess (f.page), ==, -1);
  for (guint i = 0; i < 4; i++)
    press (f.page, GDK_KEY_1 + i, 0);
  start_round (f.page);
  g_assert_cmpuint (vitrine_labeling_page_get_queue_length (f.page), ==, 8);

  checkpoint = vt_checkpoint_open (clip, &error);
  g_assert_no_error (error);
  model = vt_model_new (checkpoint, &error);
  g_assert_no_error (error);
  tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
  g_assert_no_error (error);
  g_assert_true (vt_zero_shot_class_embeddings (model, tokenizer, class_names, VT_DEFAULT_PROMPT, head, &error));
  g_assert_no_error (error);
  store = vt_feature_store_load (clip_path, &error);
  g_assert_no_error (error);
  while (vitrine_labeling_page_get_position (f.page) < 8)
    {
      gint64 sample = vitrine_labeling_page_get_sample (f.page);
      const float *x = store->features + (gsize) sample * 32;
      double best = -INFINITY;
      gint guess = -1;

      for (guint c = 0; c < N_CLASSES; c++)
        {
          double dot = 0.0;

          for (guint d = 0; d < 32; d++)
            dot += (double) x[d] * head[c * 32 + d];
          if (dot > best)
            best = dot, guess = (gint) c;
        }
      g_assert_cmpint (vitrine_labeling_page_get_guess (f.page), ==, guess);
      checked++;
      press (f.page, GDK_KEY_space, 0);
    }
  g_assert_cmpuint (checked, ==, 4);
  g_assert_false (vitrine_labeling_page_context_vectors_apply (f.page));

  /* coop, 4 context vectors (the fixture's context is 16 tokens): the third
   * round's guesses are those of the engine's coop learner trained on the
   * four labels */
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_COOP, VT_ACTIVE_RANDOM, FALSE, 4);
  g_assert_true (vitrine_labeling_page_context_vectors_apply (f.page));
  vitrine_labeling_page_set_context_vectors (f.page, 4);
  start_round (f.page);
  g_assert_cmpuint (vitrine_labeling_page_get_queue_length (f.page), ==, 12);
  {
    g_autoptr(VtActiveClip) clip_model = vt_active_clip_open (store, clip_path, NULL, &error);
    g_autoptr(VtLabelJournal) journal = NULL;
    g_autoptr(VtActiveLearner) coop = NULL;
    const VtLabelDecision *d;
    VtActiveLearnerOptions options;
    guint n_decisions, n_labeled = 0, rows[8];
    gint32 labels[8];

    g_assert_no_error (error);
    journal = vt_label_journal_open (vitrine_labeling_page_get_journal_path (f.page), &error);
    g_assert_no_error (error);
    d = vt_label_journal_get_decisions (journal, &n_decisions);
    for (guint i = 0; i < n_decisions; i++)
      if (d[i].label != VT_LABEL_SKIP)
        {
          rows[n_labeled] = (guint) d[i].sample;   /* the store's rows are its samples */
          labels[n_labeled++] = (gint32) d[i].label;
        }
    g_assert_cmpuint (n_labeled, ==, 4);
    vt_active_learner_options_init (&options);
    vt_active_learner_options_defaults (&options, VT_ACTIVE_LEARNER_COOP);
    options.n_ctx = 4;
    coop = vt_active_learner_new_clip (&options, clip_model, &error);
    g_assert_no_error (error);
    g_assert_true (vt_active_learner_train (coop, store->features, rows, labels, n_labeled, &error));
    g_assert_no_error (error);
    for (checked = 0; vitrine_labeling_page_get_position (f.page) < 12; checked++)
      {
        gint64 sample = vitrine_labeling_page_get_sample (f.page);
        float probs[N_CLASSES];
        gint guess = 0;

        vt_active_learner_probs (coop, store->features + (gsize) sample * 32, 1, probs);
        for (guint c = 1; c < N_CLASSES; c++)
          if (probs[c] > probs[guess])
            guess = (gint) c;
        g_assert_cmpint (vitrine_labeling_page_get_guess (f.page), ==, guess);
        press (f.page, GDK_KEY_space, 0);
      }
    g_assert_cmpuint (checked, ==, 4);
  }

  /* the fixture's pool (no checkpoint recorded): no CLIP learners, the linear head */
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_COOP, VT_ACTIVE_RANDOM, FALSE, 4);
  g_assert_cmpint (vitrine_labeling_page_get_learner (f.page), ==, VT_ACTIVE_LEARNER_COOP);
  {
    g_autofree char *plain = vt_test_fixture ("active/pool.safetensors");

    vitrine_labeling_page_add_store (f.page, plain, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (vitrine_labeling_page_get_n_learners (f.page), ==, 2);
  g_assert_cmpint (vitrine_labeling_page_get_learner (f.page), ==, VT_ACTIVE_LEARNER_LINEAR);
  close_area (&f);
  fixture_clear (&f);
}

/* The warm-start switch: on, the page keeps each round's head and the next
 * round trains it on from its weights: round 2's head is a linear head
 * trained on the first four labels, round 3's that same head trained again
 * on all eight (the engine's own learner with warm_start, replayed here on
 * the journal's decisions, gives the same weights to the bit), which is
 * not the head trained on the eight from scratch. Off, the page keeps
 * none. */
static void
test_warm_start (void)
{
  Fixture f = { 0 };
  g_autofree char *pool_path = vt_test_fixture ("active/pool.safetensors");
  g_autoptr(VtFeatureStore) pool = NULL;
  g_autoptr(VtActiveLearner) warm = NULL;
  g_autoptr(VtActiveLearner) cold = NULL;
  g_autoptr(VtLabelJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *round2 = NULL;
  g_autofree float *round3 = NULL;
  const VtLabelDecision *d;
  const float *head;
  VtActiveLearnerOptions options;
  guint n, n_decisions, rows[8];
  gint32 labels[8];
  double cold_difference = 0.0;

  fixture_init (&f);
  open_area (&f);
  vitrine_labeling_page_configure (f.page, VT_ACTIVE_LEARNER_LINEAR, VT_ACTIVE_RANDOM, FALSE, 4);
  vitrine_labeling_page_set_warm_start (f.page, TRUE);
  g_assert_null (vitrine_labeling_page_get_head (f.page, &n));
  start_round (f.page);
  g_assert_null (vitrine_labeling_page_get_head (f.page, &n));
  for (guint i = 0; i < 4; i++)
    press (f.page, GDK_KEY_1 + i, 0);
  start_round (f.page);
  head = vitrine_labeling_page_get_head (f.page, &n);
  g_assert_nonnull (head);
  round2 = g_memdup2 (head, n * sizeof (float));
  for (guint i = 0; i < 4; i++)
    press (f.page, GDK_KEY_4 - i, 0);
  start_round (f.page);
  head = vitrine_labeling_page_get_head (f.page, &n);
  g_assert_nonnull (head);
  round3 = g_memdup2 (head, n * sizeof (float));

  pool = vt_feature_store_load (pool_path, &error);
  g_assert_no_error (error);
  journal = vt_label_journal_open (vitrine_labeling_page_get_journal_path (f.page), &error);
  g_assert_no_error (error);
  d = vt_label_journal_get_decisions (journal, &n_decisions);
  g_assert_cmpuint (n_decisions, ==, 8);
  for (guint i = 0; i < 8; i++)
    {
      rows[i] = (guint) d[i].sample;   /* the test's store rows are the samples */
      labels[i] = (gint32) d[i].label;
    }
  vt_active_learner_options_init (&options);
  vt_active_learner_options_defaults (&options, VT_ACTIVE_LEARNER_LINEAR);
  options.warm_start = TRUE;
  warm = vt_active_learner_new (&options, pool->dim, pool->n_classes);
  g_assert_cmpuint (n, ==, pool->dim * pool->n_classes);
  g_assert_true (vt_active_learner_train (warm, pool->features, rows, labels, 4, &error));
  g_assert_cmpmem (vt_active_learner_weight (warm), n * sizeof (float), round2, n * sizeof (float));
  g_assert_true (vt_active_learner_train (warm, pool->features, rows, labels, 8, &error));
  g_assert_cmpmem (vt_active_learner_weight (warm), n * sizeof (float), round3, n * sizeof (float));
  options.warm_start = FALSE;
  cold = vt_active_learner_new (&options, pool->dim, pool->n_classes);
  g_assert_true (vt_active_learner_train (cold, pool->features, rows, labels, 8, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    cold_difference = MAX (cold_difference, fabs (vt_active_learner_weight (cold)[i] - round3[i]));
  g_test_message ("warm start: round 3's head differs from one trained from scratch by up to %.3g", cold_difference);
  g_assert_cmpfloat (cold_difference, >, 1e-3);

  /* off: no head kept */
  vitrine_labeling_page_set_warm_start (f.page, FALSE);
  while (vitrine_labeling_page_get_position (f.page) < vitrine_labeling_page_get_queue_length (f.page))
    press (f.page, GDK_KEY_space, 0);
  start_round (f.page);
  g_assert_null (vitrine_labeling_page_get_head (f.page, &n));
  close_area (&f);
  fixture_clear (&f);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/labeling/keys", test_keys, 180 },
    { "/gui/labeling/remap-keys", test_remap_keys, 180 },
    { "/gui/labeling/resume", test_resume, 180 },
    { "/gui/labeling/clip-learners", test_clip_learners, 180 },
    { "/gui/labeling/warm-start", test_warm_start, 180 },
    { "/gui/labeling/kill", test_kill, 300 },
  };

  if (argc > 1 && g_str_equal (argv[1], "--labeling-child"))
    return labeling_child (argc, argv);

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
