/* vitrine-model-page.c: the Model area.
 *
 * The tree: GListStore of VitrineTensorNode roots → GtkTreeListModel (each
 * level wrapped in one shared search filter) → GtkSortListModel under the
 * column view's sorter, kept per level by GtkTreeListRowSorter. */
#include "vitrine-model-page.h"
#include "vitrine-tensor-node.h"
#include "vitrine-figure-view.h"
#include "vitrine-file-chooser.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "io/vt-tflite.h"
#include "figures/vt-figure-render.h"
#include "run/vt-spec.h"

struct _VitrineModelPage
{
  GtkWidget          parent_instance;

  GtkWidget         *summary_grid;
  GtkWidget         *architecture_grid;
  GtkSearchEntry    *search_entry;
  GtkColumnView     *column_view;
  GtkLabel          *tensor_title;
  GtkWidget         *stats_grid;
  VitrineFigureView *histogram;
  GtkLabel          *values_title;
  GtkWidget         *slice_box;
  GtkWidget         *values_grid;
  GtkWidget         *histogram_bar;
  GtkCheckButton    *log_scale;
  const VtTensor    *values_tensor;   /* the tensor whose values show, or NULL */
  gint64             leading[VT_TENSOR_MAX_DIMS];  /* its slice */
  GtkLabel          *export_status;   /* what the last histogram export said */
  GtkStack          *details_stack;
  GtkStack          *model_stack;     /* Tensors | Layers */
  GtkLabel          *layers_note;
  GtkWidget         *layers_grid;

  VtInspection      *inspection;
  GtkCustomFilter   *filter;
  char              *needle;         /* case-folded search text, or NULL */
  char              *before_search;  /* the tensor selected when the search began, or NULL */
  GtkTreeListModel  *tree;
  GtkSortListModel  *sorted;
  GtkSingleSelection *selection;
  GHashTable        *facts;          /* label -> GtkLabel showing its value */
  GListStore        *runs;           /* the window's, where each run is listed */
  VitrineRun        *run;            /* the inspection under way, else the one shown */
  VitrineRun        *shown_run;      /* the inspection shown */
};

G_DEFINE_FINAL_TYPE (VitrineModelPage, vitrine_model_page, GTK_TYPE_WIDGET)

/* Facts grids --------------------------------------------------------------*/

static gboolean
fact_in_grid (gpointer key,
              gpointer value,
              gpointer grid)
{
  return gtk_widget_get_parent (value) == grid;
}

static void
clear_grid (VitrineModelPage *self,
            GtkWidget        *grid)
{
  GtkWidget *child;

  g_hash_table_foreach_remove (self->facts, fact_in_grid, grid);
  while ((child = gtk_widget_get_first_child (grid)) != NULL)
    gtk_grid_remove (GTK_GRID (grid), child);
}

static void
add_fact (VitrineModelPage *self,
          GtkWidget        *grid,
          int               row,
          const char       *label,
          const char       *value)
{
  GtkWidget *key = gtk_label_new (label);
  GtkWidget *val = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (key), 1.0);
  gtk_widget_add_css_class (key, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (val), 0.0);
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (val), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (val, TRUE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (val), GTK_ACCESSIBLE_RELATION_LABELLED_BY, key, NULL, -1);
  gtk_grid_attach (GTK_GRID (grid), key, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), val, 1, row, 1, 1);
  g_hash_table_replace (self->facts, g_strdup (label), val);
}

static char *
format_count (guint64 n)
{
  /* "269,722 (0.27 M)": exact, then at a glance. */
  g_autofree char *exact = g_strdup_printf ("%'" G_GUINT64_FORMAT, n);

  if (n >= 1000000000)
    return g_strdup_printf ("%s (%.2f G)", exact, n / 1e9);
  if (n >= 10000)
    return g_strdup_printf ("%s (%.2f M)", exact, n / 1e6);
  return g_steal_pointer (&exact);
}

static char *
format_double (double value)
{
  return isfinite (value) ? g_strdup_printf ("%.6g", value) : g_strdup ("—");
}

static void
fill_summary (VitrineModelPage *self)
{
  VtInspection *in = self->inspection;
  VtCheckpoint *ckpt = in->checkpoint;
  g_autoptr(GString) dtypes = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = vt_architecture_describe (in->architecture);
  g_autofree char *size = g_format_size_full (vt_checkpoint_get_file_size (ckpt), G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *tensors = g_strdup_printf ("%u", in->n_tensors);
  g_autofree char *params = format_count (in->n_parameters);
  guint per_dtype[VT_N_DTYPES] = { 0 };
  int row = 0;

  for (guint i = 0; i < in->n_tensors; i++)
    per_dtype[vt_checkpoint_get_tensor (ckpt, i)->dtype]++;
  for (guint d = 0; d < VT_N_DTYPES; d++)
    if (per_dtype[d])
      g_string_append_printf (dtypes, "%s%s × %u", dtypes->len ? ", " : "", vt_dtype_name (d), per_dtype[d]);

  clear_grid (self, self->summary_grid);
  add_fact (self, self->summary_grid, row++, _("File"), vt_checkpoint_get_path (ckpt));
  add_fact (self, self->summary_grid, row++, _("Size"), size);
  if (vt_checkpoint_get_n_shards (ckpt) > 1)
    {
      g_autofree char *shards = g_strdup_printf ("%u", vt_checkpoint_get_n_shards (ckpt));
      add_fact (self, self->summary_grid, row++, _("Shards"), shards);
    }
  add_fact (self, self->summary_grid, row++, _("Tensors"), tensors);
  add_fact (self, self->summary_grid, row++, _("Parameters"), params);
  add_fact (self, self->summary_grid, row++, _("Data types"), dtypes->str);
  if (vt_checkpoint_get_config_path (ckpt))
    add_fact (self, self->summary_grid, row++, _("Config"), vt_checkpoint_get_config_path (ckpt));

  row = 0;
  clear_grid (self, self->architecture_grid);
  add_fact (self, self->architecture_grid, row++, _("Architecture"), _(in->architecture->family_name));
  for (guint i = 0; i < rows->len; i++)
    {
      const VtArchParam *p = g_ptr_array_index (rows, i);
      add_fact (self, self->architecture_grid, row++, _(p->label), p->translatable ? _(p->value) : p->value);
    }
}

/* Layers (Netron's layer list) ----------------------------------------------*/

static GtkWidget *
layer_cell (const char *text,
            gboolean    heading,
            gboolean    numeric)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  return label;
}

/* What the model computes, in order, with each output's shape for one
 * image: the inspection's layer list, or why there is none. */
static void
fill_layers (VitrineModelPage *self)
{
  const VtLayerList *list = self->inspection->layers;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->layers_grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->layers_grid), child);
  if (list == NULL)
    {
      /* Translators: %s: why the model has no layer list, e.g. that it has no forward pass */
      g_autofree char *text = g_strdup_printf (_("No layer list: %s"),
                                               self->inspection->layers_unavailable
                                               ? self->inspection->layers_unavailable
                                               : _("this inspection was made before layers were listed; inspect the "
                                                   "checkpoint again"));
      gtk_label_set_text (self->layers_note, text);
      return;
    }
  gtk_label_set_text (self->layers_note, _("What the model computes, in order, from one forward pass of one image; "
                                           "the shapes are one image's output (a forward step's taps)."));
  gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (_("Layer"), TRUE, FALSE), 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (_("Output shape"), TRUE, FALSE), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (_("Values"), TRUE, TRUE), 2, 0, 1, 1);
  for (guint i = 0; i < list->n_layers; i++)
    {
      const VtLayer *layer = &list->layers[i];
      g_autofree char *shape = vt_format_shape (layer->ndim, layer->shape);
      gint64 values = 1;
      g_autofree char *count = NULL;

      for (guint d = 0; d < layer->ndim; d++)
        values *= layer->shape[d];
      count = g_strdup_printf ("%'" G_GINT64_FORMAT, values);
      gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (layer->name, FALSE, FALSE), 0, 1 + (int) i, 1, 1);
      gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (shape, FALSE, FALSE), 1, 1 + (int) i, 1, 1);
      gtk_grid_attach (GTK_GRID (self->layers_grid), layer_cell (count, FALSE, TRUE), 2, 1 + (int) i, 1, 1);
    }
}

/* A TensorFlow Lite tensor's affine quantization, as facts from @row: its
 * scale and zero point (with nine digits, a float32's exact value), or for
 * one per channel their count and ranges. The tree's values are the
 * dequantized ones; these say what the file stores. Returns the next row. */
static int
add_quantization (VitrineModelPage *self,
                  int               row,
                  const char       *name)
{
  const VtTfliteModel *model = vt_checkpoint_get_tflite (self->inspection->checkpoint);
  const VtTfliteTensor *t = NULL;

  for (guint i = 0; model && i < model->n_tensors && !t; i++)
    if (model->tensors[i].data != NULL && g_str_equal (model->tensors[i].name, name))
      t = &model->tensors[i];
  if (t == NULL || t->n_quant == 0)
    return row;
  if (t->n_quant == 1)
    {
      g_autofree char *scale = g_strdup_printf ("%.9g", t->scale[0]);
      g_autofree char *zero = g_strdup_printf ("%" G_GINT64_FORMAT, t->zero_point[0]);

      add_fact (self, self->stats_grid, row++, _("Scale"), scale);
      add_fact (self, self->stats_grid, row++, _("Zero point"), zero);
      return row;
    }
  {
    float lo = t->scale[0], hi = t->scale[0];
    gint64 zlo = t->zero_point[0], zhi = t->zero_point[0];
    g_autofree char *channels = NULL;
    g_autofree char *scale = NULL;
    g_autofree char *zero = NULL;

    for (guint c = 1; c < t->n_quant; c++)
      {
        lo = MIN (lo, t->scale[c]);
        hi = MAX (hi, t->scale[c]);
        zlo = MIN (zlo, t->zero_point[c]);
        zhi = MAX (zhi, t->zero_point[c]);
      }
    /* TRANSLATORS: a tensor quantized per channel: how many, along which dimension */
    channels = g_strdup_printf (_("%u along dimension %d"), t->n_quant, t->quantized_dimension);
    scale = g_strdup_printf ("%.9g … %.9g", lo, hi);
    zero = zlo == zhi ? g_strdup_printf ("%" G_GINT64_FORMAT, zlo)
                      : g_strdup_printf ("%" G_GINT64_FORMAT " … %" G_GINT64_FORMAT, zlo, zhi);
    add_fact (self, self->stats_grid, row++, _("Quantization channels"), channels);
    add_fact (self, self->stats_grid, row++, _("Scale"), scale);
    add_fact (self, self->stats_grid, row++, _("Zero point"), zero);
  }
  return row;
}

/* Values (Netron's habit) ------------------------------------------------*/

#define VALUES_MAX_ROWS 12
#define VALUES_MAX_COLS 8

static char *
slice_text (const VtTensor *t,
            const gint64   *leading)
{
  g_autoptr(GString) text = g_string_new ("[");

  for (guint d = 0; d < t->ndim; d++)
    {
      if (d + 2 < t->ndim)
        g_string_append_printf (text, "%s%" G_GINT64_FORMAT, d ? ", " : "", leading[d]);
      else
        g_string_append_printf (text, "%s:", d ? ", " : "");
    }
  g_string_append_c (text, ']');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The values table of the slice chosen, first rows and columns, with their
 * indices; the title says which slice and how much of it shows. */
static void
fill_values (VitrineModelPage *self)
{
  const VtTensor *t = self->values_tensor;
  double values[VALUES_MAX_ROWS * VALUES_MAX_COLS];
  gint64 rows, cols, shown_rows, shown_cols;
  g_autofree char *slice = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->values_grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->values_grid), child);
  if (t == NULL)
    return;
  vt_tensor_read_slice (t, self->leading, VALUES_MAX_ROWS, VALUES_MAX_COLS, values, &rows, &cols);
  /* The weights are read from the file's map: a file cut short meanwhile
   * reads as zeros, which must not show as its values. */
  if (!vt_checkpoint_check (self->inspection->checkpoint, &error))
    {
      gtk_label_set_text (self->values_title, error->message);
      return;
    }
  shown_rows = MIN (rows, VALUES_MAX_ROWS);
  shown_cols = MIN (cols, VALUES_MAX_COLS);
  slice = t->ndim >= 2 ? slice_text (t, self->leading) : NULL;
  if (slice && (shown_rows < rows || shown_cols < cols))
    {
      g_autofree char *shown = g_strdup_printf ("%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT, shown_rows, shown_cols);
      g_autofree char *whole = g_strdup_printf ("%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT, rows, cols);

      /* Translators: the heading of a tensor's values table: its slice, e.g. "[5, 2, :, :]", then "12 × 8" of "64 × 64" */
      title = g_strdup_printf (_("Values %s, the first %s of %s"), slice, shown, whole);
    }
  else if (slice)
    title = g_strdup_printf (_("Values %s"), slice);
  else if (shown_rows < rows)
    {
      g_autofree char *shown = g_strdup_printf ("%" G_GINT64_FORMAT, shown_rows * shown_cols);
      g_autofree char *whole = g_strdup_printf ("%" G_GSIZE_FORMAT, t->numel);

      /* Translators: the heading of a 1-D tensor's values table: "the first 96 of 256" */
      title = g_strdup_printf (_("Values, the first %s of %s"), shown, whole);
    }
  else
    title = g_strdup (_("Values"));
  gtk_label_set_text (self->values_title, title);

  for (gint64 c = 0; c < shown_cols && t->ndim >= 2; c++)
    {
      g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, c);
      GtkWidget *label = gtk_label_new (index);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (label), 1.0);
      gtk_grid_attach (GTK_GRID (self->values_grid), label, 1 + (int) c, 0, 1, 1);
    }
  for (gint64 r = 0; r < shown_rows; r++)
    {
      /* A 1-D tensor's rows start at multiples of the row length. */
      g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, t->ndim >= 2 ? r : r * cols);
      GtkWidget *label = gtk_label_new (index);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (label), 1.0);
      gtk_grid_attach (GTK_GRID (self->values_grid), label, 0, 1 + (int) r, 1, 1);
      for (gint64 c = 0; c < shown_cols; c++)
        {
          double v = values[r * shown_cols + c];
          g_autofree char *text = isnan (v) && (gsize) (r * cols + c) >= t->numel ? g_strdup ("")
                                                                                  : g_strdup_printf ("%.6g", v);
          GtkWidget *cell = gtk_label_new (text);

          gtk_widget_add_css_class (cell, "numeric");
          gtk_label_set_xalign (GTK_LABEL (cell), 1.0);
          gtk_label_set_selectable (GTK_LABEL (cell), TRUE);
          gtk_grid_attach (GTK_GRID (self->values_grid), cell, 1 + (int) c, 1 + (int) r, 1, 1);
        }
    }
}

static void
on_slice_changed (GtkSpinButton    *spin,
                  VitrineModelPage *self)
{
  guint d = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (spin), "vitrine-dimension"));

  self->leading[d] = gtk_spin_button_get_value_as_int (spin);
  fill_values (self);
}

/* The values of tensor @index of the checkpoint, from its first slice: a
 * spin button per leading dimension chooses another. */
static void
show_values (VitrineModelPage *self,
             int               index)
{
  const VtTensor *t = index >= 0 && self->inspection
                      ? vt_checkpoint_get_tensor (self->inspection->checkpoint, (guint) index) : NULL;
  GtkWidget *child;

  self->values_tensor = NULL;
  while ((child = gtk_widget_get_first_child (self->slice_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->slice_box), child);
  memset (self->leading, 0, sizeof self->leading);
  /* What is not stored in the file (a TFLite model's constants are) has no values to read here. */
  if (t == NULL || t->data == NULL || t->numel == 0)
    {
      gtk_widget_set_visible (gtk_stack_get_child_by_name (self->details_stack, "values"), FALSE);
      fill_values (self);
      return;
    }
  self->values_tensor = t;
  for (guint d = 0; d + 2 < t->ndim; d++)
    {
      GtkWidget *spin = gtk_spin_button_new_with_range (0, (double) (t->shape[d] - 1), 1);
      /* Translators: accessible name of the spin button choosing the index of a tensor's dimension %u */
      g_autofree char *name = g_strdup_printf (_("Index in dimension %u"), d);

      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      g_object_set_data (G_OBJECT (spin), "vitrine-dimension", GUINT_TO_POINTER (d));
      g_signal_connect (spin, "value-changed", G_CALLBACK (on_slice_changed), self);
      gtk_box_append (GTK_BOX (self->slice_box), spin);
    }
  gtk_widget_set_visible (gtk_stack_get_child_by_name (self->details_stack, "values"), TRUE);
  fill_values (self);
}

static void
on_log_scale_toggled (GtkCheckButton   *check,
                      VitrineModelPage *self)
{
  VtFigure *figure = vitrine_figure_view_get_figure (self->histogram);

  if (figure == NULL)
    return;
  figure->log_y = gtk_check_button_get_active (check);
  g_free (figure->y_label);
  figure->y_label = g_strdup (figure->log_y ? "count (log scale)" : "count");
  vitrine_figure_view_changed (self->histogram);
}

static void
histogram_file_chosen (GFile    *file,
                       gpointer  data)
{
  VitrineModelPage *self = data;
  g_autofree char *base = vitrine_figure_base_path (file);
  g_autoptr(GError) error = NULL;

  g_autofree char *text = NULL;

  if (base != NULL && vitrine_model_page_export_histogram (self, base, &error))
    /* Translators: %s is the files' name without extension: PNG, SVG and PDF were written */
    text = g_strdup_printf (_("Exported %s"), base);
  else
    text = g_strdup (error ? error->message : _("Only local files can be written"));
  gtk_label_set_text (self->export_status, text);
}

static void
export_histogram_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  /* Translators: title of the save dialog; PNG, SVG and PDF are all written */
  vitrine_choose_save_file (widget, _("Export Histogram as PNG, SVG and PDF"), "histogram", histogram_file_chosen,
                            widget);
}

gboolean
vitrine_model_page_export_histogram (VitrineModelPage  *self,
                                     const char        *base_path,
                                     GError           **error)
{
  VtFigure *figure = vitrine_figure_view_get_figure (self->histogram);

  g_return_val_if_fail (figure != NULL, FALSE);
  return vt_figure_export (figure, base_path, VT_FIGURE_FORMAT_PNG | VT_FIGURE_FORMAT_SVG | VT_FIGURE_FORMAT_PDF,
                           error);
}

void
vitrine_model_page_show_details (VitrineModelPage *self,
                                 const char       *tab)
{
  gtk_stack_set_visible_child_name (self->details_stack, tab);
}

void
vitrine_model_page_set_log_scale (VitrineModelPage *self,
                                  gboolean          log_scale)
{
  gtk_check_button_set_active (self->log_scale, log_scale);
}

void
vitrine_model_page_set_slice (VitrineModelPage *self,
                              guint             dimension,
                              gint64            index)
{
  GtkWidget *spin = gtk_widget_get_first_child (self->slice_box);

  for (guint d = 0; spin != NULL && d < dimension; d++)
    spin = gtk_widget_get_next_sibling (spin);
  g_return_if_fail (spin != NULL);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), (double) index);
}

const char *
vitrine_model_page_get_value_text (VitrineModelPage *self,
                                   guint             row,
                                   guint             col)
{
  GtkWidget *cell = gtk_grid_get_child_at (GTK_GRID (self->values_grid), 1 + (int) col, 1 + (int) row);

  return cell != NULL ? gtk_label_get_text (GTK_LABEL (cell)) : NULL;
}

void
vitrine_model_page_show_tab (VitrineModelPage *self,
                             const char       *tab)
{
  gtk_stack_set_visible_child_name (self->model_stack, tab);
}

const char *
vitrine_model_page_get_layer_text (VitrineModelPage *self,
                                   guint             row,
                                   guint             col)
{
  GtkWidget *cell = gtk_grid_get_child_at (GTK_GRID (self->layers_grid), (int) col, 1 + (int) row);

  return cell != NULL ? gtk_label_get_text (GTK_LABEL (cell)) : NULL;
}

const char *
vitrine_model_page_get_layers_note (VitrineModelPage *self)
{
  return gtk_label_get_text (self->layers_note);
}

const char *
vitrine_model_page_get_values_title (VitrineModelPage *self)
{
  return gtk_widget_get_visible (gtk_stack_get_child_by_name (self->details_stack, "values"))
         ? gtk_label_get_text (self->values_title) : NULL;
}

static void
show_tensor (VitrineModelPage  *self,
             VitrineTensorNode *node)
{
  int index = node ? vitrine_tensor_node_get_index (node) : -1;
  int row = 0;

  clear_grid (self, self->stats_grid);
  show_values (self, index);
  if (node == NULL)
    {
      gtk_label_set_text (self->tensor_title, "");
      vitrine_figure_view_set_figure (self->histogram, NULL);
      gtk_widget_set_visible (self->histogram_bar, FALSE);
      return;
    }

  gtk_label_set_text (self->tensor_title, vitrine_tensor_node_get_path (node));
  if (index < 0)
    {
      g_autofree char *elements = format_count (vitrine_tensor_node_get_elements (node));
      g_autofree char *bytes = g_format_size (vitrine_tensor_node_get_bytes (node));

      add_fact (self, self->stats_grid, row++, _("Elements"), elements);
      add_fact (self, self->stats_grid, row++, _("Bytes"), bytes);
      vitrine_figure_view_set_figure (self->histogram, NULL);
      gtk_widget_set_visible (self->histogram_bar, FALSE);
      return;
    }

  {
    const VtTensorStats *s = &self->inspection->stats[index];
    g_autofree char *elements = format_count (s->count);
    g_autofree char *min = format_double (s->min);
    g_autofree char *max = format_double (s->max);
    g_autofree char *mean = format_double (s->mean);
    g_autofree char *std = format_double (s->std);
    g_autofree char *nan = g_strdup_printf ("%" G_GSIZE_FORMAT, s->n_nan);
    g_autofree char *inf = g_strdup_printf ("%" G_GSIZE_FORMAT, s->n_inf);

    add_fact (self, self->stats_grid, row++, _("Shape"), vitrine_tensor_node_get_shape (node));
    add_fact (self, self->stats_grid, row++, _("Data type"), vitrine_tensor_node_get_dtype (node));
    add_fact (self, self->stats_grid, row++, _("Elements"), elements);
    add_fact (self, self->stats_grid, row++, _("Minimum"), min);
    add_fact (self, self->stats_grid, row++, _("Maximum"), max);
    add_fact (self, self->stats_grid, row++, _("Mean"), mean);
    add_fact (self, self->stats_grid, row++, _("Standard deviation"), std);
    add_fact (self, self->stats_grid, row++, _("NaN"), nan);
    add_fact (self, self->stats_grid, row++, _("Inf"), inf);
    row = add_quantization (self, row, vitrine_tensor_node_get_path (node));
    /* An inspection reopened from a run that kept no histograms shows none. */
    vitrine_figure_view_set_figure (self->histogram, s->histogram.n_bins == 0 ? NULL :
                                    vt_figure_new_histogram (vitrine_tensor_node_get_path (node), &s->histogram));
    gtk_widget_set_visible (self->histogram_bar, s->histogram.n_bins > 0);
    /* The scale chosen stays as the user moves through the tensors. */
    on_log_scale_toggled (self->log_scale, self);
  }
}

static void
on_selection_changed (GtkSingleSelection *selection,
                      GParamSpec         *pspec,
                      VitrineModelPage   *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (selection);
  /* gtk_tree_list_row_get_item gives a new reference each time: take one. */
  g_autoptr(VitrineTensorNode) node = row ? gtk_tree_list_row_get_item (row) : NULL;

  show_tensor (self, node);
}

/* The tree model ------------------------------------------------------------*/

static gboolean
filter_node (gpointer item,
             gpointer user_data)
{
  VitrineModelPage *self = user_data;

  return self->needle == NULL || vitrine_tensor_node_matches (item, self->needle);
}

static GListModel *
create_children (gpointer item,
                 gpointer user_data)
{
  VitrineModelPage *self = user_data;
  GListModel *children = vitrine_tensor_node_get_children (item);

  if (children == NULL)
    return NULL;
  return G_LIST_MODEL (gtk_filter_list_model_new (g_object_ref (children),
                                                  GTK_FILTER (g_object_ref (self->filter))));
}

/* Expands every row (rows appear below as they open, and are visited in
 * turn), or collapses the top level, which closes everything under it. */
static void
set_all_expanded (VitrineModelPage *self,
                  gboolean          expanded)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->tree)); i++)
    {
      g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree, i);

      if (gtk_tree_list_row_is_expandable (row) && (expanded || gtk_tree_list_row_get_depth (row) == 0))
        gtk_tree_list_row_set_expanded (row, expanded);
    }
}

/* The selected tensor's path, or NULL (none, or a module). */
static char *
selected_tensor (VitrineModelPage *self)
{
  GtkTreeListRow *row = self->selection ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autoptr(VitrineTensorNode) node = row ? gtk_tree_list_row_get_item (row) : NULL;

  return node && vitrine_tensor_node_get_index (node) >= 0 ? g_strdup (vitrine_tensor_node_get_path (node)) : NULL;
}

/* Clearing the search folds the tree back but keeps a tensor in view and
 * its statistics shown: the one picked among the matches, else the one
 * selected when the search began. */
static void
on_search_changed (GtkSearchEntry   *entry,
                   VitrineModelPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  gboolean was_searching = self->needle != NULL;
  g_autofree char *shown = selected_tensor (self);

  g_clear_pointer (&self->needle, g_free);
  if (text && *text)
    self->needle = g_utf8_casefold (text, -1);
  if (!was_searching && self->needle != NULL)
    {
      g_free (self->before_search);
      self->before_search = g_strdup (shown);
    }
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  if (self->tree == NULL)
    return;
  /* While searching, every match must be in view, also under a module that
   * was already on screen (the filter keeps those rows as they were). */
  gtk_tree_list_model_set_autoexpand (self->tree, self->needle != NULL);
  if (self->needle != NULL)
    set_all_expanded (self, TRUE);
  else if (was_searching)
    {
      g_autofree char *keep = shown ? g_steal_pointer (&shown) : g_steal_pointer (&self->before_search);

      set_all_expanded (self, FALSE);
      if (keep)
        vitrine_model_page_select_tensor (self, keep);
      g_clear_pointer (&self->before_search, g_free);
    }
}

/* Columns --------------------------------------------------------------------*/

typedef char *(*CellText) (VitrineTensorNode *node);

static char *cell_dtype (VitrineTensorNode *n) { return g_strdup (vitrine_tensor_node_get_dtype (n)); }
static char *cell_shape (VitrineTensorNode *n) { return g_strdup (vitrine_tensor_node_get_shape (n)); }
static char *cell_elements (VitrineTensorNode *n) { return g_strdup_printf ("%'" G_GUINT64_FORMAT, vitrine_tensor_node_get_elements (n)); }
static char *cell_bytes (VitrineTensorNode *n) { return g_format_size (vitrine_tensor_node_get_bytes (n)); }

static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  numeric)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_label (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  CellText text = (CellText) g_object_get_data (G_OBJECT (factory), "cell-text");
  GtkTreeListRow *row = gtk_list_item_get_item (item);
  g_autoptr(VitrineTensorNode) node = gtk_tree_list_row_get_item (row);
  g_autofree char *value = text (node);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), value ? value : "");
}

static void
setup_name (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
  gtk_list_item_set_child (item, expander);
}

static void
bind_name (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  GtkTreeExpander *expander = GTK_TREE_EXPANDER (gtk_list_item_get_child (item));
  GtkTreeListRow *row = gtk_list_item_get_item (item);
  g_autoptr(VitrineTensorNode) node = gtk_tree_list_row_get_item (row);

  gtk_tree_expander_set_list_row (expander, row);
  gtk_label_set_text (GTK_LABEL (gtk_tree_expander_get_child (expander)), vitrine_tensor_node_get_name (node));
}

/* Module names hold layer numbers: "layer10" sorts after "layer9". */
static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  g_autofree char *ka = g_utf8_collate_key_for_filename (vitrine_tensor_node_get_name ((gpointer) a), -1);
  g_autofree char *kb = g_utf8_collate_key_for_filename (vitrine_tensor_node_get_name ((gpointer) b), -1);

  return strcmp (ka, kb);
}

static void
add_column (VitrineModelPage *self,
            const char       *title,
            GtkListItemFactory *factory,
            GtkSorter        *sorter,
            gboolean          expand)
{
  GtkColumnViewColumn *column = gtk_column_view_column_new (title, factory);

  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
  g_clear_object (&sorter);
}

static GtkListItemFactory *
label_factory (CellText text,
               gboolean numeric)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_object_set_data (G_OBJECT (factory), "cell-text", (gpointer) text);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_label), GINT_TO_POINTER (numeric));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label), NULL);
  return factory;
}

static GtkSorter *
numeric_sorter (const char *property)
{
  return GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (VITRINE_TYPE_TENSOR_NODE, NULL, property)));
}

static void
setup_columns (VitrineModelPage *self)
{
  GtkListItemFactory *name = gtk_signal_list_item_factory_new ();

  g_signal_connect (name, "setup", G_CALLBACK (setup_name), NULL);
  g_signal_connect (name, "bind", G_CALLBACK (bind_name), NULL);
  add_column (self, _("Name"), name, GTK_SORTER (gtk_custom_sorter_new (compare_names, NULL, NULL)), TRUE);
  add_column (self, _("Type"), label_factory (cell_dtype, FALSE),
              GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (VITRINE_TYPE_TENSOR_NODE, NULL, "dtype"))), FALSE);
  add_column (self, _("Shape"), label_factory (cell_shape, FALSE), numeric_sorter ("elements"), FALSE);
  add_column (self, _("Elements"), label_factory (cell_elements, TRUE), numeric_sorter ("elements"), FALSE);
  add_column (self, _("Bytes"), label_factory (cell_bytes, TRUE), numeric_sorter ("bytes"), FALSE);
}

/* Public API ---------------------------------------------------------------*/

/* Shows @inspection, which the page then owns: only an inspect run's
 * (vitrine_model_page_show_run), so that what it shows can be re-run and
 * its spec saved. */
static void
take_inspection (VitrineModelPage *self,
                 VtInspection     *inspection)
{
  g_autoptr(GListStore) roots = NULL;
  GtkTreeListRowSorter *row_sorter;

  g_return_if_fail (VITRINE_IS_MODEL_PAGE (self));

  gtk_column_view_set_model (self->column_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->tree);
  /* The values table reads the old checkpoint's tensors. */
  show_values (self, -1);
  g_clear_pointer (&self->inspection, vt_inspection_free);
  self->inspection = inspection;
  if (inspection == NULL)
    return;

  roots = vitrine_tensor_node_build_tree (inspection);
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (roots)),
                                                                                  GTK_FILTER (g_object_ref (self->filter)))),
                                        FALSE, self->needle != NULL, create_children, self, NULL);
  row_sorter = gtk_tree_list_row_sorter_new (g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->tree)), GTK_SORTER (row_sorter));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selection_changed), self);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  fill_summary (self);
  fill_layers (self);
  show_tensor (self, NULL);

  /* Open on the first tensor, so the statistics and histogram show at once. */
  {
    g_autoptr(VitrineTensorNode) node = g_list_model_get_item (G_LIST_MODEL (roots), 0);

    while (node && vitrine_tensor_node_get_children (node))
      {
        VitrineTensorNode *child = g_list_model_get_item (vitrine_tensor_node_get_children (node), 0);
        g_object_unref (node);
        node = child;
      }
    if (node)
      vitrine_model_page_select_tensor (self, vitrine_tensor_node_get_path (node));
  }
}

/* Runs ----------------------------------------------------------------------*/

void
vitrine_model_page_set_runs (VitrineModelPage *self,
                             GListStore       *runs)
{
  g_set_object (&self->runs, runs);
}

/* The spec a user would give --batch: one inspect step that keeps every
 * tensor's histogram, so the page draws any tensor from the results. */
static char *
build_spec (const char *name,
            const char *path)
{
  g_autoptr(VtSpec) spec = vt_spec_new (name, NULL);
  VtInspectStep *step = vt_inspect_step_new (NULL, path);

  step->tensor_histograms = TRUE;
  /* A new spec and the kind's own id: nothing to refuse. */
  if (!vt_spec_add_step (spec, (VtStep *) step, NULL))
    g_return_val_if_reached (NULL);
  return vt_spec_to_data (spec);
}

static void
on_inspected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  VitrineRun *run = VITRINE_RUN (source);
  g_autoptr(GTask) task = data;
  VitrineModelPage *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!vitrine_run_start_finish (run, result, &error) ||
      (run == self->run && !vitrine_model_page_show_run (self, run, &error)))
    {
      /* The page still shows the inspection it showed: that is its run. */
      if (run == self->run)
        g_set_object (&self->run, self->shown_run);
      g_task_return_error (task, error);
    }
  else if (run != self->run)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "another inspection took the page over");
  else
    g_task_return_boolean (task, TRUE);
}

void
vitrine_model_page_inspect_async (VitrineModelPage    *self,
                                  const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *spec = NULL;
  GTask *task;

  g_return_if_fail (VITRINE_IS_MODEL_PAGE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  name = g_path_get_basename (path);
  spec = build_spec (name, path);
  g_task_set_source_tag (task, vitrine_model_page_inspect_async);
  g_clear_object (&self->run);
  self->run = vitrine_run_new ("model", name, spec);
  if (self->runs != NULL)
    g_list_store_append (self->runs, self->run);
  vitrine_run_start_async (self->run, NULL, cancellable, on_inspected, task);
}

gboolean
vitrine_model_page_inspect_finish (VitrineModelPage  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
vitrine_model_page_show_run (VitrineModelPage  *self,
                             VitrineRun        *run,
                             GError           **error)
{
  g_autoptr(JsonNode) result = vitrine_run_load_step_result (run, "inspect", error);
  g_autofree char *where = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  VtInspection *inspection;
  JsonObject *summary;
  const char *path;

  if (result == NULL)
    return FALSE;
  where = g_build_filename (vitrine_run_get_results_dir (run), "results.json", NULL);
  summary = json_object_has_member (json_node_get_object (result), "summary") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (result), "summary"))
            ? json_object_get_object_member (json_node_get_object (result), "summary") : NULL;
  path = summary != NULL && json_object_has_member (summary, "path") &&
         json_node_get_value_type (json_object_get_member (summary, "path")) == G_TYPE_STRING
         ? json_object_get_string_member (summary, "path") : NULL;
  if (path == NULL)
    {
      g_set_error (error, VT_INSPECTION_ERROR, VT_INSPECTION_ERROR_JSON,
                   "%s: the inspect step's summary.path is missing or not a string", where);
      return FALSE;
    }
  /* The tensor table only (names, shapes, where the bytes are): the
   * statistics are the run's. */
  checkpoint = vt_checkpoint_open (path, error);
  if (checkpoint == NULL)
    return FALSE;
  inspection = vt_inspection_new_from_json (checkpoint, result, where, error);
  if (inspection == NULL)
    return FALSE;
  g_set_object (&self->run, run);
  g_set_object (&self->shown_run, run);
  take_inspection (self, inspection);
  return TRUE;
}

VitrineRun *
vitrine_model_page_get_run (VitrineModelPage *self)
{
  return self->run;
}

VtInspection *
vitrine_model_page_get_inspection (VitrineModelPage *self)
{
  return self->inspection;
}

gboolean
vitrine_model_page_select_tensor (VitrineModelPage *self,
                                  const char       *name)
{
  GListModel *rows;

  g_return_val_if_fail (VITRINE_IS_MODEL_PAGE (self), FALSE);
  if (self->sorted == NULL)
    return FALSE;

  /* Expand each ancestor on the way down; rows appear as we expand. */
  rows = G_LIST_MODEL (self->sorted);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr(VitrineTensorNode) node = gtk_tree_list_row_get_item (row);
      const char *path = vitrine_tensor_node_get_path (node);
      gsize len = strlen (path);

      if (vitrine_tensor_node_get_index (node) >= 0 && g_str_equal (path, name))
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->column_view), "list.scroll-to-item", "u", i);
          return TRUE;
        }
      /* A group whose path is a dotted prefix of the name (ignoring the
       * architecture's "module." prefix) leads there. */
      if (vitrine_tensor_node_get_index (node) < 0)
        {
          const char *bare = g_str_has_prefix (name, self->inspection->architecture->prefix)
                             ? name + strlen (self->inspection->architecture->prefix) : name;
          if (strncmp (bare, path, len) == 0 && bare[len] == '.')
            gtk_tree_list_row_set_expanded (row, TRUE);
        }
    }
  return FALSE;
}

GListModel *
vitrine_model_page_get_rows (VitrineModelPage *self)
{
  return self->sorted ? G_LIST_MODEL (self->sorted) : NULL;
}

void
vitrine_model_page_set_search (VitrineModelPage *self,
                               const char       *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  /* GtkSearchEntry delays "search-changed"; apply now so callers see it. */
  on_search_changed (self->search_entry, self);
}

GtkWidget *
vitrine_model_page_get_histogram (VitrineModelPage *self)
{
  return GTK_WIDGET (self->histogram);
}

GtkColumnView *
vitrine_model_page_get_column_view (VitrineModelPage *self)
{
  return self->column_view;
}

const char *
vitrine_model_page_get_fact (VitrineModelPage *self,
                             const char       *label)
{
  GtkLabel *value = g_hash_table_lookup (self->facts, label);

  return value ? gtk_label_get_text (value) : NULL;
}

/* GObject --------------------------------------------------------------------*/

static void
vitrine_model_page_dispose (GObject *object)
{
  VitrineModelPage *self = VITRINE_MODEL_PAGE (object);

  if (self->column_view)
    gtk_column_view_set_model (self->column_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->tree);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_MODEL_PAGE);
  /* The template's outer box has no id, so dispose_template leaves it. */
  {
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (vitrine_model_page_parent_class)->dispose (object);
}

static void
vitrine_model_page_finalize (GObject *object)
{
  VitrineModelPage *self = VITRINE_MODEL_PAGE (object);

  g_clear_pointer (&self->inspection, vt_inspection_free);
  g_clear_object (&self->run);
  g_clear_object (&self->shown_run);
  g_clear_object (&self->runs);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->facts, g_hash_table_unref);
  g_free (self->needle);
  g_free (self->before_search);
  G_OBJECT_CLASS (vitrine_model_page_parent_class)->finalize (object);
}

static void
vitrine_model_page_class_init (VitrineModelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_model_page_dispose;
  object_class->finalize = vitrine_model_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-model-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, summary_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, architecture_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, model_stack);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, layers_note);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, layers_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, tensor_title);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, stats_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, histogram);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, values_title);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, slice_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, values_grid);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, histogram_bar);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, log_scale);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, export_status);
  gtk_widget_class_bind_template_child (widget_class, VitrineModelPage, details_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_log_scale_toggled);
  gtk_widget_class_install_action (widget_class, "model.export-histogram", NULL, export_histogram_action);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "modelpage");
}

static void
vitrine_model_page_init (VitrineModelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->facts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->filter = gtk_custom_filter_new (filter_node, self, NULL);
  setup_columns (self);
}
