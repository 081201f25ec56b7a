/* vitrine-run-comparison.c: a window with the finished runs of one area as
 * columns. The table is rebuilt whenever the run list, the area or the
 * differences switch changes; a run that is still going joins when it is
 * done (its "notify::state"). */
#include "vitrine-run-comparison.h"
#include "vitrine-file-chooser.h"
#include "vitrine-run.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/vt-atomic-file.h"

struct _VitrineRunComparison
{
  GtkWindow       parent_instance;

  GListStore     *runs;           /* the window's */
  char           *area;
  gboolean        only_differences;
  GtkDropDown    *area_dropdown;
  GtkStringList  *areas;          /* the titles of the areas with finished runs */
  GStrv           area_ids;       /* the same areas' names: "train", … */
  GtkWidget      *grid;
  GtkLabel       *summary;
  GPtrArray      *compared;       /* VitrineRun, the table's columns */
  GPtrArray      *rows;           /* VtRunComparisonRow */
};

G_DEFINE_FINAL_TYPE (VitrineRunComparison, vitrine_run_comparison, GTK_TYPE_WINDOW)

static void
clear_grid (VitrineRunComparison *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->grid), child);
}

static GtkWidget *
cell (const char *text,
      gboolean    bold,
      gboolean    dim)
{
  GtkWidget *label = gtk_label_new (text ? text : "–");

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 36);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (text)
    gtk_widget_set_tooltip_text (label, text);
  if (bold)
    gtk_widget_add_css_class (label, "heading");
  if (dim || text == NULL)
    gtk_widget_add_css_class (label, "dim-label");
  return label;
}

/* The table's rows, from the area's finished runs. */
static void
compute (VitrineRunComparison *self)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  guint n = self->runs ? g_list_model_get_n_items (G_LIST_MODEL (self->runs)) : 0;

  g_ptr_array_set_size (self->compared, 0);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      JsonNode *result;

      if (!vitrine_run_is_done (run) || g_strcmp0 (vitrine_run_get_area (run), self->area) != 0 ||
          (result = vitrine_run_load_results (run, NULL)) == NULL)
        continue;
      g_ptr_array_add (results, result);
      g_ptr_array_add (self->compared, g_object_ref (run));
    }
  self->rows = vt_run_comparison_new ((JsonNode * const *) results->pdata, results->len);
}

static void
render (VitrineRunComparison *self)
{
  guint differing = 0, line = 1;
  g_autofree char *summary = NULL;

  clear_grid (self);
  for (guint r = 0; r < self->compared->len; r++)
    {
      VitrineRun *run = g_ptr_array_index (self->compared, r);
      g_autoptr(GDateTime) started = g_date_time_new_from_unix_local (vitrine_run_get_start_time (run) / G_USEC_PER_SEC);
      g_autofree char *time = started ? g_date_time_format (started, "%H:%M:%S") : g_strdup ("");
      g_autofree char *text = g_strdup_printf ("%s\n%s", vitrine_run_get_name (run), time);
      GtkWidget *header = cell (text, TRUE, FALSE);

      gtk_widget_set_tooltip_text (header, vitrine_run_get_results_dir (run));
      gtk_grid_attach (GTK_GRID (self->grid), header, 1 + (int) r, 0, 1, 1);
    }
  for (guint i = 0, group = 2; i < self->rows->len; i++)
    {
      VtRunComparisonRow *row = g_ptr_array_index (self->rows, i);
      GtkWidget *key;

      differing += row->differs;
      if (self->only_differences && !row->differs)
        continue;
      /* A heading where the settings start, and where the results do. */
      if (group != (guint) row->setting)
        {
          /* Translators: headings of the two parts of the runs table: the spec's settings and the results */
          GtkWidget *heading = gtk_label_new (row->setting ? _("Settings") : _("Results"));

          gtk_label_set_xalign (GTK_LABEL (heading), 0.0);
          gtk_widget_add_css_class (heading, "title-4");
          gtk_widget_set_margin_top (heading, 6);
          gtk_grid_attach (GTK_GRID (self->grid), heading, 0, (int) line++, 1, 1);
          group = row->setting;
        }
      key = cell (row->key, row->differs, !row->differs);
      gtk_label_set_max_width_chars (GTK_LABEL (key), 48);
      gtk_grid_attach (GTK_GRID (self->grid), key, 0, (int) line, 1, 1);
      for (guint r = 0; r < self->compared->len; r++)
        gtk_grid_attach (GTK_GRID (self->grid), cell (row->values[r], row->differs, FALSE), 1 + (int) r, (int) line, 1, 1);
      line++;
    }
  if (self->compared->len == 0)
    summary = g_strdup (_("No finished runs of this area yet."));
  else
    /* Translators: %u runs, %u rows (settings and results), %u of them differ */
    summary = g_strdup_printf (g_dngettext (NULL, "%u run: %u settings and results, %u differ",
                                            "%u runs: %u settings and results, %u differ", self->compared->len),
                               self->compared->len, self->rows->len, differing);
  gtk_label_set_text (self->summary, summary);
}

/* The areas that have finished runs, in the order of their first run. */
static void
update_areas (VitrineRunComparison *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->runs));
  g_autoptr(GPtrArray) areas = g_ptr_array_new ();
  guint selected = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      const char *area = vitrine_run_get_area (run);

      if (vitrine_run_is_done (run) && !g_ptr_array_find_with_equal_func (areas, area, g_str_equal, NULL))
        g_ptr_array_add (areas, (gpointer) area);
    }
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();

  for (guint i = 0; i < areas->len; i++)
    {
      if (g_strcmp0 (g_ptr_array_index (areas, i), self->area) == 0)
        selected = i;
      g_ptr_array_add (titles, (gpointer) vitrine_run_area_title (g_ptr_array_index (areas, i)));
    }
  g_ptr_array_add (areas, NULL);
  g_ptr_array_add (titles, NULL);
  g_strfreev (self->area_ids);
  self->area_ids = g_strdupv ((char **) areas->pdata);
  g_object_freeze_notify (G_OBJECT (self->area_dropdown));
  gtk_string_list_splice (self->areas, 0, g_list_model_get_n_items (G_LIST_MODEL (self->areas)),
                          (const char * const *) titles->pdata);
  gtk_drop_down_set_selected (self->area_dropdown, selected);
  g_object_thaw_notify (G_OBJECT (self->area_dropdown));
}

static void
on_run_notify (VitrineRunComparison *self)
{
  update_areas (self);
  compute (self);
  render (self);
}

static void
watch_runs (VitrineRunComparison *self,
            guint                 position,
            guint                 added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(VitrineRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);

      g_signal_connect_object (run, "notify::state", G_CALLBACK (on_run_notify), self, G_CONNECT_SWAPPED);
    }
}

static void
on_runs_changed (GListModel           *runs,
                 guint                 position,
                 guint                 removed,
                 guint                 added,
                 VitrineRunComparison *self)
{
  watch_runs (self, position, added);
  on_run_notify (self);
}

static void
on_area_chosen (GtkDropDown          *dropdown,
                GParamSpec           *pspec,
                VitrineRunComparison *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);
  const char *area = self->area_ids && i < g_strv_length (self->area_ids) ? self->area_ids[i] : NULL;

  if (area != NULL && g_strcmp0 (area, self->area) != 0)
    vitrine_run_comparison_set_area (self, area);
}

static void
on_differences_toggled (GtkCheckButton       *check,
                        VitrineRunComparison *self)
{
  vitrine_run_comparison_set_only_differences (self, gtk_check_button_get_active (check));
}

static void
export_chosen (GFile    *file,
               gpointer  data)
{
  VitrineRunComparison *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;

  if (path == NULL || !vitrine_run_comparison_export (self, path, &error))
    gtk_label_set_text (self->summary, error ? error->message : _("Only local files can be written"));
  else
    {
      /* Translators: %s is the CSV file the runs table was written to */
      g_autofree char *text = g_strdup_printf (_("Written to %s"), path);

      gtk_label_set_text (self->summary, text);
    }
}

static void
on_export_clicked (VitrineRunComparison *self)
{
  g_autofree char *name = g_strdup_printf ("%s-runs.csv", self->area ? self->area : "runs");

  vitrine_choose_save_file (GTK_WIDGET (self), _("Export Runs Table"), name, export_chosen, self);
}

/* API --------------------------------------------------------------------------------*/

VitrineRunComparison *
vitrine_run_comparison_new (GtkWindow  *parent,
                            GListStore *runs,
                            const char *area)
{
  VitrineRunComparison *self = g_object_new (VITRINE_TYPE_RUN_COMPARISON, "transient-for", parent, NULL);

  self->runs = g_object_ref (runs);
  self->area = g_strdup (area);
  watch_runs (self, 0, g_list_model_get_n_items (G_LIST_MODEL (runs)));
  g_signal_connect_object (runs, "items-changed", G_CALLBACK (on_runs_changed), self, 0);
  on_run_notify (self);
  return self;
}

void
vitrine_run_comparison_set_area (VitrineRunComparison *self,
                                 const char           *area)
{
  g_free (self->area);
  self->area = g_strdup (area);
  on_run_notify (self);
}

void
vitrine_run_comparison_set_only_differences (VitrineRunComparison *self,
                                             gboolean              only)
{
  self->only_differences = only;
  render (self);
}

guint
vitrine_run_comparison_get_n_runs (VitrineRunComparison *self)
{
  return self->compared->len;
}

GPtrArray *
vitrine_run_comparison_get_rows (VitrineRunComparison *self)
{
  return self->rows;
}

gboolean
vitrine_run_comparison_export (VitrineRunComparison  *self,
                               const char            *path,
                               GError               **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *csv = NULL;

  for (guint r = 0; r < self->compared->len; r++)
    g_ptr_array_add (names, g_path_get_basename (vitrine_run_get_results_dir (g_ptr_array_index (self->compared, r))));
  csv = vt_run_comparison_to_csv (self->rows, (const char * const *) names->pdata, names->len, self->only_differences);
  return vt_atomic_file_write (path, csv, strlen (csv), error);
}

/* GObject ----------------------------------------------------------------------------*/

static void
vitrine_run_comparison_dispose (GObject *object)
{
  VitrineRunComparison *self = VITRINE_RUN_COMPARISON (object);

  if (self->runs)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_clear_object (&self->runs);
  g_clear_pointer (&self->compared, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (vitrine_run_comparison_parent_class)->dispose (object);
}

static void
vitrine_run_comparison_finalize (GObject *object)
{
  VitrineRunComparison *self = VITRINE_RUN_COMPARISON (object);

  g_free (self->area);
  g_strfreev (self->area_ids);
  G_OBJECT_CLASS (vitrine_run_comparison_parent_class)->finalize (object);
}

static void
vitrine_run_comparison_class_init (VitrineRunComparisonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vitrine_run_comparison_dispose;
  object_class->finalize = vitrine_run_comparison_finalize;
}

static void
vitrine_run_comparison_init (VitrineRunComparison *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *differences, *export, *scrolled;

  self->compared = g_ptr_array_new_with_free_func (g_object_unref);
  /* Translators: title of the window with runs side by side */
  gtk_window_set_title (GTK_WINDOW (self), _("Compare Runs"));
  gtk_window_set_default_size (GTK_WINDOW (self), 900, 560);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  self->areas = gtk_string_list_new (NULL);
  self->area_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (self->areas), NULL));
  /* Translators: accessible name of the list of areas whose runs are compared */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->area_dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Area whose runs are compared"), -1);
  g_signal_connect (self->area_dropdown, "notify::selected", G_CALLBACK (on_area_chosen), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->area_dropdown));
  /* Translators: switch of the runs table */
  differences = gtk_check_button_new_with_mnemonic (_("Only _differences"));
  g_signal_connect (differences, "toggled", G_CALLBACK (on_differences_toggled), self);
  gtk_box_append (GTK_BOX (bar), differences);
  self->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->summary, 0.0);
  gtk_label_set_ellipsize (self->summary, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->summary), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->summary), "dim-label");
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->summary));
  export = gtk_button_new_with_mnemonic (_("_Export CSV…"));
  g_signal_connect_swapped (export, "clicked", G_CALLBACK (on_export_clicked), self);
  gtk_box_append (GTK_BOX (bar), export);
  gtk_box_append (GTK_BOX (box), bar);

  self->grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 18);
  scrolled = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->grid);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_window_set_child (GTK_WINDOW (self), box);
}
