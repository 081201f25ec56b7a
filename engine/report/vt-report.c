/* vt-report.c: figures from results.json and its tables. */
#include "vt-report.h"
#include "report/vt-csv.h"
#include "core/vt-dtype.h"
#include "io/vt-checkpoint.h"
/* The kinds (and which of these builders each uses) are the registry's. */
#include "run/vt-step.h"

#include <math.h>

G_DEFINE_QUARK (vt-report-error-quark, vt_report_error)

void
vt_report_figure_free (VtReportFigure *figure)
{
  if (figure == NULL)
    return;
  g_free (figure->name);
  vt_figure_free (figure->figure);
  g_free (figure);
}

static void
add (GPtrArray *figures,
     char      *name,
     VtFigure  *figure)
{
  VtReportFigure *entry = g_new0 (VtReportFigure, 1);

  entry->name = name;
  entry->figure = figure;
  g_ptr_array_add (figures, entry);
}

/* Member access that says what is missing instead of a critical. @where
 * names the object: "step “evaluate”", "step “b0”: methods[2]". */
static gboolean
missing (GError     **error,
         const char  *where,
         const char  *member,
         const char  *what)
{
  g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "results.json: %s: “%s” %s", where, member, what);
  return FALSE;
}

static JsonArray *
get_array (JsonObject  *object,
           const char  *where,
           const char  *member,
           GError     **error)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      missing (error, where, member, "is not a list");
      return NULL;
    }
  return json_node_get_array (node);
}

static const char *
get_string (JsonObject  *object,
            const char  *where,
            const char  *member,
            GError     **error)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      missing (error, where, member, "is not a string");
      return NULL;
    }
  return json_node_get_string (node);
}

static JsonObject *
element_object (JsonArray *array,
                guint      i)
{
  JsonNode *node = i < json_array_get_length (array) ? json_array_get_element (array, i) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A number, or NaN for null (a value results.json could not hold). */
static gboolean
node_number (JsonNode *node,
             double   *value)
{
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    case G_TYPE_INT64:
      *value = (double) json_node_get_int (node);
      return TRUE;
    default:
      return FALSE;
    }
}

/* @rows lists of @cols numbers each into @values (rows × cols). */
static gboolean
get_matrix (JsonObject  *object,
            const char  *where,
            const char  *member,
            guint        rows,
            guint        cols,
            double      *values,
            GError     **error)
{
  JsonArray *matrix = get_array (object, where, member, error);

  if (matrix == NULL)
    return FALSE;
  if (json_array_get_length (matrix) != rows)
    return missing (error, where, member, "has the wrong number of rows");
  for (guint r = 0; r < rows; r++)
    {
      JsonNode *row = json_array_get_element (matrix, r);
      JsonArray *cells = JSON_NODE_HOLDS_ARRAY (row) ? json_node_get_array (row) : NULL;

      if (cells == NULL || json_array_get_length (cells) != cols)
        return missing (error, where, member, "has a row of the wrong length");
      for (guint c = 0; c < cols; c++)
        if (!node_number (json_array_get_element (cells, c), values + (gsize) r * cols + c))
          return missing (error, where, member, "holds something other than numbers");
    }
  return TRUE;
}

/* A list of strings as a NULL-terminated vector. */
static char **
get_strv (JsonObject  *object,
          const char  *where,
          const char  *member,
          GError     **error)
{
  JsonArray *array = get_array (object, where, member, error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (array == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          missing (error, where, member, "holds something other than strings");
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (node));
    }
  return g_strv_builder_end (builder);
}

char *
vt_report_safe_file_name (const char *name)
{
  char *safe = g_strdup (name);

  for (char *p = safe; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  return safe;
}

/* inspect: a histogram per tensor the step named. */
gboolean
vt_report_inspect_figures (JsonObject   *result,
                          const char   *id,
                          const char   *where,
                          const char   *results_dir,
                          GPtrArray    *figures,
                          GError      **error)
{
  JsonArray *histograms = get_array (result, where, "histograms", error);

  if (histograms == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (histograms); i++)
    {
      JsonObject *entry = element_object (histograms, i);
      g_autofree char *entry_where = g_strdup_printf ("%s: histograms[%u]", where, i);
      const char *tensor = get_string (entry, entry_where, "tensor", error);
      JsonArray *counts = tensor ? get_array (entry, entry_where, "counts", error) : NULL;
      g_autofree guint64 *bins = NULL;
      g_autofree char *safe = NULL;
      VtHistogram histogram = { 0 };

      if (counts == NULL)
        return FALSE;
      if (!node_number (json_object_get_member (entry, "lo"), &histogram.lo) ||
          !node_number (json_object_get_member (entry, "hi"), &histogram.hi))
        return missing (error, entry_where, "lo", "and “hi” are not numbers");
      histogram.n_bins = json_array_get_length (counts);
      bins = g_new0 (guint64, MAX (histogram.n_bins, 1));
      for (guint b = 0; b < histogram.n_bins; b++)
        {
          JsonNode *node = json_array_get_element (counts, b);

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
              json_node_get_int (node) < 0)
            return missing (error, entry_where, "counts", "holds something other than counts");
          bins[b] = (guint64) json_node_get_int (node);
        }
      histogram.counts = bins;
      safe = vt_report_safe_file_name (tensor);
      add (figures, g_strdup_printf ("%s-histogram-%s", id, safe), vt_figure_new_histogram (tensor, &histogram));
    }
  return TRUE;
}

/* The class names of a "per_class" list. */
static char **
per_class_names (JsonObject  *object,
                 const char  *where,
                 GError     **error)
{
  JsonArray *per_class = get_array (object, where, "per_class", error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (per_class == NULL)
    return NULL;
  for (guint c = 0; c < json_array_get_length (per_class); c++)
    {
      g_autofree char *entry_where = g_strdup_printf ("%s: per_class[%u]", where, c);
      const char *name = get_string (element_object (per_class, c), entry_where, "class", error);

      if (name == NULL)
        return NULL;
      g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

gboolean
vt_report_evaluate_figures (JsonObject   *result,
                           const char   *id,
                           const char   *where,
                           const char   *results_dir,
                           GPtrArray    *figures,
                           GError      **error)
{
  g_auto(GStrv) names = per_class_names (result, where, error);
  guint k = names ? g_strv_length (names) : 0;
  g_autofree double *values = g_new (double, MAX ((gsize) k * k, 1));

  if (names == NULL || !get_matrix (result, where, "confusion", k, k, values, error))
    return FALSE;
  add (figures, g_strdup_printf ("%s-confusion", id),
       vt_figure_new_heatmap ("Confusion matrix", "predicted", "true", k, k, values,
                              (const char * const *) names, (const char * const *) names));
  return TRUE;
}

/* incremental: per method its accuracy matrix and confusion matrix, then
 * the accuracy on the classes seen (every method), then every method's
 * accuracy per class. Titles are the Incremental area's. */
gboolean
vt_report_incremental_figures (JsonObject   *result,
                              const char   *id,
                              const char   *where,
                              const char   *results_dir,
                              GPtrArray    *figures,
                              GError      **error)
{
  JsonArray *methods = get_array (result, where, "methods", error);
  JsonArray *seen = methods ? get_array (result, where, "classes_seen", error) : NULL;
  g_auto(GStrv) classes = seen ? get_strv (result, where, "class_order", error) : NULL;
  guint n, s, k;
  g_autofree double *curves = NULL;
  g_autofree double *per_class = NULL;
  g_auto(GStrv) titles = NULL;
  g_auto(GStrv) stage_numbers = NULL;
  g_auto(GStrv) seen_labels = NULL;

  if (classes == NULL)
    return FALSE;
  n = json_array_get_length (methods);
  s = json_array_get_length (seen);
  k = g_strv_length (classes);
  curves = g_new (double, MAX ((gsize) n * s, 1));
  per_class = g_new (double, MAX ((gsize) n * k, 1));
  titles = g_new0 (char *, n + 1);
  stage_numbers = g_new0 (char *, s + 1);
  seen_labels = g_new0 (char *, s + 1);
  for (guint t = 0; t < s; t++)
    {
      double classes_seen;

      if (!node_number (json_array_get_element (seen, t), &classes_seen))
        return missing (error, where, "classes_seen", "holds something other than numbers");
      stage_numbers[t] = g_strdup_printf ("%u", t + 1);
      seen_labels[t] = g_strdup_printf ("%.0f", classes_seen);
    }

  for (guint m = 0; m < n; m++)
    {
      JsonObject *method = element_object (methods, m);
      g_autofree char *method_where = g_strdup_printf ("%s: methods[%u]", where, m);
      const char *name = get_string (method, method_where, "method", error);
      const char *title = name ? get_string (method, method_where, "title", error) : NULL;
      JsonArray *seen_accuracy = title ? get_array (method, method_where, "seen_accuracy", error) : NULL;
      JsonArray *accuracy = seen_accuracy ? get_array (method, method_where, "per_class", error) : NULL;
      g_autofree double *matrix = g_new (double, MAX ((gsize) s * s, 1));
      g_autofree double *counts = g_new (double, MAX ((gsize) k * k, 1));
      g_autofree char *matrix_title = NULL;
      g_autofree char *confusion_title = NULL;

      if (accuracy == NULL ||
          !get_matrix (method, method_where, "accuracy_matrix", s, s, matrix, error) ||
          !get_matrix (method, method_where, "confusion", k, k, counts, error))
        return FALSE;
      if (json_array_get_length (seen_accuracy) != s || json_array_get_length (accuracy) != k)
        return missing (error, method_where, "seen_accuracy", "or “per_class” has the wrong length");
      for (guint t = 0; t < s; t++)
        if (!node_number (json_array_get_element (seen_accuracy, t), curves + (gsize) m * s + t))
          return missing (error, method_where, "seen_accuracy", "holds something other than numbers");
      for (guint c = 0; c < k; c++)
        {
          JsonObject *entry = element_object (accuracy, c);

          if (entry == NULL || !node_number (json_object_get_member (entry, "accuracy"), per_class + (gsize) m * k + c))
            return missing (error, method_where, "per_class", "holds an accuracy that is not a number");
        }
      titles[m] = g_strdup (title);
      matrix_title = g_strdup_printf ("%s: accuracy on each stage's classes", title);
      confusion_title = g_strdup_printf ("%s: confusion matrix after the last stage", title);
      add (figures, g_strdup_printf ("%s-%s-accuracy-matrix", id, name),
           vt_figure_new_heatmap (matrix_title, "classes of stage", "after stage", s, s, matrix,
                                  (const char * const *) stage_numbers, (const char * const *) stage_numbers));
      add (figures, g_strdup_printf ("%s-%s-confusion", id, name),
           vt_figure_new_heatmap (confusion_title, "predicted", "true", k, k, counts,
                                  (const char * const *) classes, (const char * const *) classes));
    }
  add (figures, g_strdup_printf ("%s-accuracy", id),
       vt_figure_new_lines ("Accuracy on the classes seen so far", "classes seen", "accuracy", n, s, curves,
                            (const char * const *) titles, (const char * const *) seen_labels, 0.0, 1.0));
  add (figures, g_strdup_printf ("%s-per-class-accuracy", id),
       vt_figure_new_heatmap ("Accuracy per class after the last stage", "class", "method", n, k, per_class,
                              (const char * const *) titles, (const char * const *) classes));
  return TRUE;
}

/* active: the learning curves (each strategy with and without PCB, the
 * mean over seeds), the labeled set's smallest class per round, and the
 * labels per class after the last round. Titles are the Labeling area's. */
gboolean
vt_report_active_figures (JsonObject   *result,
                          const char   *id,
                          const char   *where,
                          const char   *results_dir,
                          GPtrArray    *figures,
                          GError      **error)
{
  JsonArray *curves = get_array (result, where, "curves", error);
  g_auto(GStrv) classes = curves ? get_strv (result, where, "classes", error) : NULL;
  g_autofree double *accuracy = NULL;
  g_autofree double *low = NULL;
  g_autofree double *counts = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) rounds = NULL;
  guint n, r = 0, k;
  double top = 1.0;

  if (classes == NULL)
    return FALSE;
  n = json_array_get_length (curves);
  k = g_strv_length (classes);
  if (n > 0)
    {
      JsonArray *first = get_array (element_object (curves, 0), where, "mean_accuracy", error);

      if (first == NULL)
        return FALSE;
      r = json_array_get_length (first);
    }
  accuracy = g_new (double, MAX ((gsize) n * r, 1));
  low = g_new (double, MAX ((gsize) n * r, 1));
  counts = g_new (double, MAX ((gsize) n * k, 1));
  names = g_new0 (char *, n + 1);
  rounds = g_new0 (char *, r + 1);
  for (guint t = 0; t < r; t++)
    rounds[t] = g_strdup_printf ("%u", t);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *curve = element_object (curves, i);
      g_autofree char *curve_where = g_strdup_printf ("%s: curves[%u]", where, i);
      const char *name = get_string (curve, curve_where, "name", error);
      const char * const members[] = { "mean_accuracy", "mean_smallest_class", "mean_final_histogram" };
      double *into[] = { accuracy + (gsize) i * r, low + (gsize) i * r, counts + (gsize) i * k };
      guint lengths[] = { r, r, k };

      if (name == NULL)
        return FALSE;
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        {
          JsonArray *values = get_array (curve, curve_where, members[m], error);

          if (values == NULL)
            return FALSE;
          if (json_array_get_length (values) != lengths[m])
            return missing (error, curve_where, members[m], "has the wrong length");
          for (guint j = 0; j < lengths[m]; j++)
            if (!node_number (json_array_get_element (values, j), into[m] + j))
              return missing (error, curve_where, members[m], "holds something other than numbers");
        }
      names[i] = g_strdup (name);
    }
  (void) results_dir;
  for (gsize i = 0; i < (gsize) n * r; i++)
    top = MAX (top, low[i]);
  add (figures, g_strdup_printf ("%s-learning-curves", id),
       vt_figure_new_lines ("Test accuracy per round (mean over seeds)", "round", "accuracy", n, r, accuracy,
                            (const char * const *) names, (const char * const *) rounds, 0.0, 1.0));
  add (figures, g_strdup_printf ("%s-smallest-class", id),
       vt_figure_new_lines ("Labels of the rarest class in the labeled set", "round", "labels", n, r, low,
                            (const char * const *) names, (const char * const *) rounds, 0.0, top));
  add (figures, g_strdup_printf ("%s-class-balance", id),
       vt_figure_new_heatmap ("Labels per class after the last round (mean over seeds)", "class", "strategy", n, k,
                              counts, (const char * const *) names, (const char * const *) classes));
  return TRUE;
}

/* A train step's steps table: its "loss" column, row by row. */
typedef struct
{
  const char  *path;
  int          loss;         /* the column; -1 until the header is read */
  GArray      *values;       /* double */
} StepLosses;

static gboolean
read_step_loss_row (guint          row,
                    guint          n_fields,
                    char * const  *fields,
                    gpointer       data,
                    GError       **error)
{
  StepLosses *table = data;
  const char *text;
  char *end = NULL;
  double value;

  if (row == 0)
    {
      for (guint i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i], "loss"))
          table->loss = (int) i;
      if (table->loss < 0)
        {
          g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: no column “loss”", table->path);
          return FALSE;
        }
      return TRUE;
    }
  if ((guint) table->loss >= n_fields)
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: row %u is short", table->path, row);
      return FALSE;
    }
  text = fields[table->loss];
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: row %u: “%s” is not a number",
                   table->path, row, text);
      return FALSE;
    }
  g_array_append_val (table->values, value);
  return TRUE;
}

/* The loss of every step, from the result's "steps_table" (runs written
 * before it have none, and get no such figure). */
static gboolean
add_step_loss_figure (JsonObject   *result,
                      const char   *id,
                      const char   *where,
                      const char   *results_dir,
                      GPtrArray    *figures,
                      GError      **error)
{
  static const char * const names[] = { "loss" };
  const char *table = json_object_has_member (result, "steps_table")
                      ? get_string (result, where, "steps_table", error) : NULL;
  g_autofree char *path = NULL;
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  StepLosses losses = { NULL, -1, values };
  g_auto(GStrv) labels = NULL;
  double top = 0.0;

  if (table == NULL)
    return !json_object_has_member (result, "steps_table");
  path = g_build_filename (results_dir, table, NULL);
  losses.path = path;
  if (!vt_csv_read (path, read_step_loss_row, &losses, error))
    return FALSE;
  labels = g_new0 (char *, values->len + 1);
  for (guint i = 0; i < values->len; i++)
    {
      double loss = g_array_index (values, double, i);

      if (isfinite (loss))
        top = MAX (top, loss);
      labels[i] = g_strdup_printf ("%u", i + 1);
    }
  add (figures, g_strdup_printf ("%s-loss-per-step", id),
       vt_figure_new_lines ("Training loss per step", "step", "loss", 1, values->len, (const double *) values->data,
                            names, (const char * const *) labels, 0.0, top > 0 ? top : 1.0));
  return TRUE;
}

/* train: the mean loss and the train and test accuracy per epoch, from
 * the result's "epochs" (one object per finished epoch), and the loss of
 * every step from its steps table. */
gboolean
vt_report_train_figures (JsonObject   *result,
                         const char   *id,
                         const char   *where,
                         const char   *results_dir,
                         GPtrArray    *figures,
                         GError      **error)
{
  static const char * const members[] = { "loss", "train_accuracy", "test_accuracy" };
  static const char * const accuracy_names[] = { "train split", "test split" };
  static const char * const loss_names[] = { "loss" };
  JsonArray *epochs = get_array (result, where, "epochs", error);
  g_autofree double *loss = NULL;
  g_autofree double *accuracy = NULL;
  g_auto(GStrv) labels = NULL;
  double top = 0.0;
  guint n;

  if (epochs == NULL)
    return FALSE;
  n = json_array_get_length (epochs);
  loss = g_new (double, MAX (n, 1));
  accuracy = g_new (double, MAX (2 * (gsize) n, 1));
  labels = g_new0 (char *, n + 1);
  for (guint e = 0; e < n; e++)
    {
      JsonObject *epoch = element_object (epochs, e);
      g_autofree char *epoch_where = g_strdup_printf ("%s: epochs[%u]", where, e);
      double *into[] = { loss + e, accuracy + e, accuracy + n + e };

      if (epoch == NULL)
        return missing (error, where, "epochs", "holds something other than objects");
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        if (!node_number (json_object_get_member (epoch, members[m]), into[m]))
          return missing (error, epoch_where, members[m], "is not a number");
      if (isfinite (loss[e]))
        top = MAX (top, loss[e]);
      labels[e] = g_strdup_printf ("%u", e + 1);
    }
  add (figures, g_strdup_printf ("%s-loss", id),
       vt_figure_new_lines ("Mean training loss per epoch", "epoch", "loss", 1, n, loss, loss_names,
                            (const char * const *) labels, 0.0, top > 0 ? top : 1.0));
  add (figures, g_strdup_printf ("%s-accuracy", id),
       vt_figure_new_lines ("Accuracy per epoch", "epoch", "accuracy", 2, n, accuracy, accuracy_names,
                            (const char * const *) labels, 0.0, 1.0));
  return add_step_loss_figure (result, id, where, results_dir, figures, error);
}

/* COMET's curves per epoch: the losses (L1, L2, the hinge), and the test
 * split's accuracies with the mean mask area. */
gboolean
vt_report_comet_figures (JsonObject   *result,
                         const char   *id,
                         const char   *where,
                         const char   *results_dir,
                         GPtrArray    *figures,
                         GError      **error)
{
  static const char * const members[] = { "l1", "l2", "hinge", "test_predictor_accuracy",
                                          "test_detector_accuracy", "test_area" };
  static const char * const loss_names[] = { "L1 (predictor)", "L2 (detector)", "hinge" };
  static const char * const test_names[] = { "predictor, kept", "detector, left out", "mask area" };
  JsonArray *epochs = get_array (result, where, "epochs", error);
  g_autofree double *losses = NULL;
  g_autofree double *test = NULL;
  g_auto(GStrv) labels = NULL;
  double top = 0.0;
  guint n;

  if (epochs == NULL)
    return FALSE;
  n = json_array_get_length (epochs);
  losses = g_new (double, MAX (3 * (gsize) n, 1));
  test = g_new (double, MAX (3 * (gsize) n, 1));
  labels = g_new0 (char *, n + 1);
  for (guint e = 0; e < n; e++)
    {
      JsonObject *epoch = element_object (epochs, e);
      g_autofree char *epoch_where = g_strdup_printf ("%s: epochs[%u]", where, e);

      if (epoch == NULL)
        return missing (error, where, "epochs", "holds something other than objects");
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        {
          double *into = m < 3 ? losses + (gsize) m * n + e : test + (gsize) (m - 3) * n + e;

          if (!node_number (json_object_get_member (epoch, members[m]), into))
            return missing (error, epoch_where, members[m], "is not a number");
          if (m < 3 && isfinite (*into))
            top = MAX (top, *into);
        }
      labels[e] = g_strdup_printf ("%u", e + 1);
    }
  (void) results_dir;
  add (figures, g_strdup_printf ("%s-losses", id),
       vt_figure_new_lines ("COMET's losses per epoch (training split means)", "epoch", "loss", 3, n, losses,
                            loss_names, (const char * const *) labels, 0.0, top > 0 ? top : 1.0));
  add (figures, g_strdup_printf ("%s-test", id),
       vt_figure_new_lines ("COMET on the test split per epoch", "epoch", "accuracy, area", 3, n, test, test_names,
                            (const char * const *) labels, 0.0, 1.0));
  return TRUE;
}

/* The layout table's x and y, the colours table's categories. */
typedef struct
{
  const char  *path;
  int          x, y;         /* columns; -1 until the header is read */
  GArray      *points;       /* float pairs */
  GArray      *categories;   /* guint */
  guint        n_categories;
} Layout;

static gboolean
read_layout_row (guint          row,
                 guint          n_fields,
                 char * const  *fields,
                 gpointer       data,
                 GError       **error)
{
  Layout *layout = data;
  float xy[2];

  if (row == 0)
    {
      for (guint i = 0; i < n_fields; i++)
        {
          if (g_str_equal (fields[i], "x"))
            layout->x = (int) i;
          else if (g_str_equal (fields[i], "y"))
            layout->y = (int) i;
        }
      if (layout->x < 0 || layout->y < 0)
        {
          g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: no columns “x” and “y”", layout->path);
          return FALSE;
        }
      return TRUE;
    }
  for (guint c = 0; c < 2; c++)
    {
      const char *text = fields[c == 0 ? layout->x : layout->y];
      char *end = NULL;

      if ((guint) MAX (layout->x, layout->y) >= n_fields)
        {
          g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: row %u is short", layout->path, row);
          return FALSE;
        }
      xy[c] = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0')
        {
          g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: row %u: “%s” is not a number",
                       layout->path, row, text);
          return FALSE;
        }
    }
  g_array_append_vals (layout->points, xy, 2);
  return TRUE;
}

static gboolean
read_colors_row (guint          row,
                 guint          n_fields,
                 char * const  *fields,
                 gpointer       data,
                 GError       **error)
{
  Layout *layout = data;
  guint64 category;

  if (row == 0)
    return TRUE;
  if (n_fields != 1 || !g_ascii_string_to_unsigned (fields[0], 10, 0, layout->n_categories - 1, &category, NULL))
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID,
                   "%s: row %u: expected a colour from 0 to %u", layout->path, row, layout->n_categories - 1);
      return FALSE;
    }
  g_array_append_val (layout->categories, (guint) { (guint) category });
  return TRUE;
}

gboolean
vt_report_project_figures (JsonObject   *result,
                           const char   *id,
                           const char   *where,
                           const char   *results_dir,
                           GPtrArray    *figures,
                           GError      **error)
{
  const char *table = get_string (result, where, "layout_table", error);
  const char *colors = table ? get_string (result, where, "colors_table", error) : NULL;
  const char *title = colors ? get_string (result, where, "figure_title", error) : NULL;
  const char *palette = title ? get_string (result, where, "palette", error) : NULL;
  g_auto(GStrv) legend = palette ? get_strv (result, where, "legend", error) : NULL;
  g_autofree char *table_path = NULL;
  g_autofree char *colors_path = NULL;
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GArray) categories = g_array_new (FALSE, FALSE, sizeof (guint));
  Layout layout = { NULL, -1, -1, points, categories, 0 };
  VtFigure *figure;

  if (legend == NULL)
    return FALSE;
  if (legend[0] == NULL)
    return missing (error, where, "legend", "is empty");
  table_path = g_build_filename (results_dir, table, NULL);
  colors_path = g_build_filename (results_dir, colors, NULL);
  layout.path = table_path;
  if (!vt_csv_read (table_path, read_layout_row, &layout, error))
    return FALSE;
  layout.path = colors_path;
  layout.n_categories = g_strv_length (legend);
  if (!vt_csv_read (colors_path, read_colors_row, &layout, error))
    return FALSE;
  if (categories->len * 2 != points->len)
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: %u colours for the %u points of %s",
                   colors_path, categories->len, points->len / 2, table_path);
      return FALSE;
    }
  figure = vt_figure_new_scatter (title, NULL, NULL, categories->len, (const float *) points->data,
                                  (const guint *) categories->data, layout.n_categories,
                                  (const char * const *) legend);
  if (g_str_equal (palette, "sequential"))
    figure->palette = VT_FIGURE_PALETTE_SEQUENTIAL;
  add (figures, g_strdup_printf ("%s-layout", id), figure);
  return TRUE;
}

/* Three numbers at @member: a mean or std per RGB channel. */
static gboolean
get_triple (JsonObject  *object,
            const char  *where,
            const char  *member,
            double       out[3],
            GError     **error)
{
  JsonArray *array = get_array (object, where, member, error);

  if (array == NULL)
    return FALSE;
  if (json_array_get_length (array) != 3)
    return missing (error, where, member, "does not hold three numbers");
  for (guint c = 0; c < 3; c++)
    if (!node_number (json_array_get_element (array, c), &out[c]))
      return missing (error, where, member, "does not hold three numbers");
  return TRUE;
}

/* The tensor @name of the maps file @maps with @ndim dimensions, batch first. */
static const VtTensor *
attention_map (VtCheckpoint  *maps,
               const char    *name,
               guint          ndim,
               GError       **error)
{
  const VtTensor *t = vt_checkpoint_lookup (maps, name);

  if (t == NULL || t->ndim != ndim || t->numel == 0 || !vt_dtype_is_float (t->dtype))
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "%s: no %u-dimensional map “%s”",
                   vt_checkpoint_get_path (maps), ndim, name);
      return NULL;
    }
  return t;
}

/* A token × token map @name (1, T, T) of @maps as a heatmap with @tokens on
 * both axes (queries down, keys across), the causal upper triangle left
 * blank; NULL with an error when it is missing or of another size. */
static VtFigure *
token_matrix_figure (VtCheckpoint  *maps,
                     const char    *name,
                     char         **tokens,
                     const char    *where,
                     const char    *title,
                     GError       **error)
{
  const VtTensor *m = attention_map (maps, name, 3, error);
  guint t = g_strv_length (tokens);
  g_autofree double *values = NULL;

  if (m == NULL)
    return NULL;
  if (m->shape[1] != t || m->shape[2] != t)
    {
      missing (error, where, "tokens", "does not match the maps' size");
      return NULL;
    }
  values = g_new (double, (gsize) t * t);
  for (guint q = 0; q < t; q++)
    for (guint k = 0; k < t; k++)
      values[(gsize) q * t + k] = k > q ? NAN : vt_dtype_read_double (m->dtype, m->data, (gsize) q * t + k);
  return vt_figure_new_heatmap (title, "key token", "query token", t, t, values,
                                (const char * const *) tokens, (const char * const *) tokens);
}

/* A prompt's attention in a CLIP text tower: per layer, the heads' mean as
 * a token × token heatmap, and the rollout over the layers where the step
 * made one (its last row, the end token's, is what the prompt's embedding
 * draws on). */
static gboolean
text_attention_figures (JsonObject    *result,
                        const char    *id,
                        const char    *where,
                        VtCheckpoint  *maps,
                        GPtrArray     *figures,
                        GError       **error)
{
  JsonNode *node = json_object_get_member (result, "text");
  JsonObject *text = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  g_autofree char *text_where = g_strdup_printf ("%s: text", where);
  const char *prompt = get_string (text, text_where, "prompt", error);
  g_auto(GStrv) tokens = prompt ? get_strv (text, text_where, "tokens", error) : NULL;
  JsonNode *rollout_node;
  gint64 layers;

  if (tokens == NULL)
    return FALSE;
  layers = json_object_get_int_member_with_default (text, "layers", 0);
  if (layers <= 0)
    return missing (error, text_where, "layers", "is not a number of layers");
  for (gint64 l = 0; l < layers; l++)
    {
      g_autofree char *name = g_strdup_printf ("text.blocks.%" G_GINT64_FORMAT ".mean", l);
      g_autofree char *title = g_strdup_printf ("Text attention, layer %" G_GINT64_FORMAT " (heads' mean): %s", l,
                                                prompt);
      VtFigure *figure = token_matrix_figure (maps, name, tokens, text_where, title, error);

      if (figure == NULL)
        return FALSE;
      add (figures, g_strdup_printf ("%s-text-layer-%" G_GINT64_FORMAT, id, l), figure);
    }
  rollout_node = json_object_get_member (text, "rollout");
  if (rollout_node != NULL && JSON_NODE_HOLDS_OBJECT (rollout_node))
    {
      JsonObject *rollout = json_node_get_object (rollout_node);
      g_autofree char *title = g_strdup_printf ("Text attention rollout (%s from layer %" G_GINT64_FORMAT
                                                "; the last row feeds the embedding): %s",
                                                json_object_get_string_member_with_default (rollout, "fusion", "mean"),
                                                json_object_get_int_member_with_default (rollout, "start_layer", 0),
                                                prompt);
      VtFigure *figure = token_matrix_figure (maps, "text.rollout", tokens, text_where, title, error);

      if (figure == NULL)
        return FALSE;
      add (figures, g_strdup_printf ("%s-text-rollout", id), figure);
    }
  return TRUE;
}

/* attention: for each of the first VT_REPORT_ATTENTION_IMAGES images, the
 * grid of every listed layer's heads (the class token's map of each, one
 * tile per layer and head, a blank row and column between tiles), the
 * rollout at the image's size over the image (its normalization undone by
 * the results' mean and std) and the rollout over the patch grid, read
 * from the step's maps file. */
gboolean
vt_report_attention_figures (JsonObject   *result,
                             const char   *id,
                             const char   *where,
                             const char   *results_dir,
                             GPtrArray    *figures,
                             GError      **error)
{
  const char *output = get_string (result, where, "output", error);
  JsonArray *layers = NULL;
  JsonArray *images = NULL;
  g_autofree char *path = NULL;
  g_autoptr(VtCheckpoint) maps = NULL;
  const VtTensor *rollout = NULL, *overlay = NULL, *pixels = NULL;
  double mean[3], std[3];
  guint n_layers, n_images;

  if (output == NULL)
    return FALSE;
  path = g_build_filename (results_dir, output, NULL);
  if (!(maps = vt_checkpoint_open (path, error)))
    return FALSE;
  if (json_object_has_member (result, "text") &&
      !text_attention_figures (result, id, where, maps, figures, error))
    return FALSE;
  /* A prompt alone has no images. */
  if (json_object_has_member (result, "text") && !json_object_has_member (result, "images"))
    return TRUE;
  if (!(layers = get_array (result, where, "head_layers", error)) ||
      !(images = get_array (result, where, "images", error)))
    return FALSE;
  n_layers = json_array_get_length (layers);
  n_images = MIN (json_array_get_length (images), VT_REPORT_ATTENTION_IMAGES);
  if (json_object_has_member (result, "rollout"))
    {
      if (!(rollout = attention_map (maps, "rollout", 3, error)) ||
          !(overlay = attention_map (maps, "rollout.image", 3, error)) ||
          !(pixels = attention_map (maps, "input.pixel_values", 4, error)) ||
          !get_triple (result, where, "mean", mean, error) ||
          !get_triple (result, where, "std", std, error))
        return FALSE;
      if (pixels->shape[1] != 3 || pixels->shape[2] != overlay->shape[1] || pixels->shape[3] != overlay->shape[2])
        return missing (error, where, "output", "holds an input whose size is not the maps'");
    }

  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *image = g_path_get_basename (json_array_get_string_element (images, i));

      if (n_layers > 0)
        {
          g_autofree char *first = g_strdup_printf ("blocks.%" G_GINT64_FORMAT ".heads",
                                                    json_array_get_int_element (layers, 0));
          const VtTensor *t = attention_map (maps, first, 4, error);
          guint heads, gh, gw, rows, cols;
          g_autofree double *values = NULL;
          g_autofree char **row_labels = NULL;
          g_autofree char **col_labels = NULL;
          g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
          g_autofree char *title = NULL;

          if (t == NULL || (guint64) t->shape[0] <= i)
            return t ? missing (error, where, "images", "lists more images than the maps file holds") : FALSE;
          heads = t->shape[1];
          gh = t->shape[2];
          gw = t->shape[3];
          rows = n_layers * (gh + 1) - 1;
          cols = heads * (gw + 1) - 1;
          values = g_new (double, (gsize) rows * cols);
          for (gsize c = 0; c < (gsize) rows * cols; c++)
            values[c] = NAN;
          row_labels = g_new0 (char *, rows + 1);
          col_labels = g_new0 (char *, cols + 1);
          for (guint r = 0; r < rows; r++)
            row_labels[r] = "";
          for (guint c = 0; c < cols; c++)
            col_labels[c] = "";
          for (guint l = 0; l < n_layers; l++)
            {
              gint64 layer = json_array_get_int_element (layers, l);
              g_autofree char *name = g_strdup_printf ("blocks.%" G_GINT64_FORMAT ".heads", layer);
              const VtTensor *m = attention_map (maps, name, 4, error);

              if (m == NULL)
                return FALSE;
              if (m->numel != t->numel)
                return missing (error, where, "head_layers", "names maps of different shapes");
              for (guint h = 0; h < heads; h++)
                for (guint y = 0; y < gh; y++)
                  for (guint x = 0; x < gw; x++)
                    values[(gsize) (l * (gh + 1) + y) * cols + h * (gw + 1) + x] =
                      vt_dtype_read_double (m->dtype, m->data, (((gsize) i * heads + h) * gh + y) * gw + x);
              g_ptr_array_add (labels, g_strdup_printf ("layer %" G_GINT64_FORMAT, layer));
              row_labels[l * (gh + 1) + gh / 2] = g_ptr_array_index (labels, labels->len - 1);
            }
          for (guint h = 0; h < heads; h++)
            {
              g_ptr_array_add (labels, g_strdup_printf ("head %u", h));
              col_labels[h * (gw + 1) + gw / 2] = g_ptr_array_index (labels, labels->len - 1);
            }
          title = g_strdup_printf ("Class-token attention of every head: %s", image);
          add (figures, g_strdup_printf ("%s-grid-%u", id, i),
               vt_figure_new_heatmap (title, "head", "layer", rows, cols, values,
                                      (const char * const *) row_labels, (const char * const *) col_labels));
        }
      if (overlay != NULL && (guint64) overlay->shape[0] > i && (guint64) pixels->shape[0] > i)
        {
          guint h = overlay->shape[1], w = overlay->shape[2];
          gsize plane = (gsize) h * w;
          g_autofree float *rgb = g_new (float, 3 * plane);
          g_autofree double *values = g_new (double, plane);
          g_autofree char *title = g_strdup_printf ("Attention rollout over the image: %s", image);

          for (gsize p = 0; p < 3 * plane; p++)
            rgb[p] = (float) (vt_dtype_read_double (pixels->dtype, pixels->data, (gsize) i * 3 * plane + p) *
                              std[p / plane] + mean[p / plane]);
          for (gsize p = 0; p < plane; p++)
            values[p] = vt_dtype_read_double (overlay->dtype, overlay->data, (gsize) i * plane + p);
          add (figures, g_strdup_printf ("%s-overlay-%u", id, i), vt_figure_new_overlay (title, h, w, rgb, values, 0.6));
        }
      if (rollout != NULL && (guint64) rollout->shape[0] > i)
        {
          guint gh = rollout->shape[1], gw = rollout->shape[2];
          g_autofree double *values = g_new (double, (gsize) gh * gw);
          g_autofree char *title = g_strdup_printf ("Attention rollout: %s", image);

          for (gsize p = 0; p < (gsize) gh * gw; p++)
            values[p] = vt_dtype_read_double (rollout->dtype, rollout->data, (gsize) i * gh * gw + p);
          add (figures, g_strdup_printf ("%s-rollout-%u", id, i),
               vt_figure_new_heatmap (title, "patch column", "patch row", gh, gw, values, NULL, NULL));
        }
    }
  return TRUE;
}

/* attribute: one figure of the first VT_REPORT_ATTRIBUTE_IMAGES images, a
 * row each: the image (its normalization undone by the results' mean and
 * std), then every method's map over it, in the order of "methods", all
 * on one colour scale (the maps are in [0, 1]); one blank pixel between
 * tiles. Read from the step's maps file. */
gboolean
vt_report_attribute_figures (JsonObject   *result,
                             const char   *id,
                             const char   *where,
                             const char   *results_dir,
                             GPtrArray    *figures,
                             GError      **error)
{
  const char *output = get_string (result, where, "output", error);
  JsonArray *methods = output ? get_array (result, where, "methods", error) : NULL;
  JsonArray *images = methods ? get_array (result, where, "images", error) : NULL;
  g_autofree char *path = NULL;
  g_autofree const VtTensor **maps = NULL;
  g_autoptr(VtCheckpoint) file = NULL;
  g_autoptr(GString) title = g_string_new (NULL);
  g_autoptr(GString) short_title = g_string_new (NULL);
  g_autofree float *rgb = NULL;
  g_autofree double *values = NULL;
  const VtTensor *pixels;
  double mean[3], std[3];
  guint n_methods, n_images, h, w, rows, cols;
  gsize plane;

  if (images == NULL || !get_triple (result, where, "mean", mean, error) ||
      !get_triple (result, where, "std", std, error))
    return FALSE;
  path = g_build_filename (results_dir, output, NULL);
  if (!(file = vt_checkpoint_open (path, error)) ||
      !(pixels = attention_map (file, "input.pixel_values", 4, error)))
    return FALSE;
  n_methods = json_array_get_length (methods);
  n_images = MIN (json_array_get_length (images), VT_REPORT_ATTRIBUTE_IMAGES);
  h = pixels->shape[2];
  w = pixels->shape[3];
  plane = (gsize) h * w;
  if (pixels->shape[1] != 3 || (guint64) pixels->shape[0] < n_images)
    return missing (error, where, "output", "holds fewer images than results.json lists");
  maps = g_new0 (const VtTensor *, MAX (n_methods, 1));
  for (guint m = 0; m < n_methods; m++)
    {
      JsonNode *entry = json_array_get_element (methods, m);
      const char *name = JSON_NODE_HOLDS_OBJECT (entry) ? get_string (json_node_get_object (entry), where, "name",
                                                                      error) : NULL;

      if (name == NULL)
        return JSON_NODE_HOLDS_OBJECT (entry) ? FALSE
                                              : missing (error, where, "methods", "holds a method that is not an object");
      if (!(maps[m] = attention_map (file, name, 3, error)))
        return FALSE;
      if ((guint64) maps[m]->shape[0] < n_images || maps[m]->shape[1] != h || maps[m]->shape[2] != w)
        return missing (error, where, "output", "holds a map whose size is not the input's");
      g_string_append_printf (title, "%s%s", m ? ", " : "",
                              json_object_has_member (json_node_get_object (entry), "title")
                              ? json_object_get_string_member (json_node_get_object (entry), "title") : name);
      g_string_append_printf (short_title, "%s%s", m ? ", " : "", name);
    }
  /* A title that fits the figure's width: the methods' names where their
   * titles are too long. */
  if (title->len > 64)
    g_string_assign (title, short_title->str);
  if (n_images == 0)
    return TRUE;
  /* The columns, left to right, after the layer the maps were made at. */
  g_string_prepend (title, "image, ");
  if (json_object_has_member (result, "layer"))
    {
      g_string_prepend (title, ": ");
      g_string_prepend (title, json_object_get_string_member (result, "layer"));
    }

  rows = n_images * (h + 1) - 1;
  cols = (n_methods + 1) * (w + 1) - 1;
  rgb = g_new (float, (gsize) 3 * rows * cols);
  values = g_new (double, (gsize) rows * cols);
  /* Between tiles: white, and no map over it. */
  for (gsize p = 0; p < (gsize) 3 * rows * cols; p++)
    rgb[p] = 1.0f;
  for (gsize p = 0; p < (gsize) rows * cols; p++)
    values[p] = NAN;
  for (guint i = 0; i < n_images; i++)
    for (guint t = 0; t <= n_methods; t++)
      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++)
          {
            gsize at = (gsize) (i * (h + 1) + y) * cols + t * (w + 1) + x, p = (gsize) y * w + x;

            for (int c = 0; c < 3; c++)
              rgb[(gsize) c * rows * cols + at] =
                (float) (vt_dtype_read_double (pixels->dtype, pixels->data, ((gsize) i * 3 + c) * plane + p) *
                         std[c] + mean[c]);
            if (t > 0)
              values[at] = vt_dtype_read_double (maps[t - 1]->dtype, maps[t - 1]->data, (gsize) i * plane + p);
          }
  {
    VtFigure *figure = vt_figure_new_overlay (title->str, rows, cols, rgb, values, 0.5);

    /* As pytorch-grad-cam's show_cam_on_image draws its maps. */
    figure->colormap = VT_FIGURE_COLORMAP_JET;
    add (figures, g_strdup_printf ("%s-maps", id), figure);
  }
  return TRUE;
}

/* faithfulness: for each metric that has a curve (deletion, insertion,
 * ROAD per order, the IoU curve, the randomization check's ρ and SSIM
 * over the layers randomized), one series per method of its mean curve,
 * titled with what the metric measured (its full definition is beside it
 * in results.json). */
gboolean
vt_report_faithfulness_figures (JsonObject   *result,
                                const char   *id,
                                const char   *where,
                                const char   *results_dir,
                                GPtrArray    *figures,
                                GError      **error)
{
  JsonArray *metrics = get_array (result, where, "metrics", error);

  if (metrics == NULL)
    return FALSE;
  for (guint k = 0; k < json_array_get_length (metrics); k++)
    {
      JsonObject *metric = element_object (metrics, k);
      g_autofree char *metric_where = g_strdup_printf ("%s: metrics[%u]", where, k);
      const char *label = metric ? get_string (metric, metric_where, "label", error) : NULL;
      const char *title = label ? get_string (metric, metric_where, "title", error) : NULL;
      JsonArray *results = title ? get_array (metric, metric_where, "results", error) : NULL;
      g_autofree double *values = NULL;
      g_auto(GStrv) methods = NULL;
      g_auto(GStrv) x_labels = NULL;
      g_autofree char *name = NULL;
      JsonArray *first_x;
      gboolean randomization;
      guint n, points;

      if (results == NULL)
        return metric ? FALSE : missing (error, where, "metrics", "holds a metric that is not an object");
      n = json_array_get_length (results);
      first_x = n > 0 && element_object (results, 0) && json_object_has_member (element_object (results, 0), "x")
                ? json_object_get_array_member (element_object (results, 0), "x") : NULL;
      /* Scores without a curve (pixel AP, the pointing game): no figure. */
      if (first_x == NULL)
        continue;
      points = json_array_get_length (first_x);
      values = g_new (double, MAX ((gsize) n * points, 1));
      methods = g_new0 (char *, n + 1);
      x_labels = g_new0 (char *, points + 1);
      for (guint p = 0; p < points; p++)
        {
          double x;

          if (!node_number (json_array_get_element (first_x, p), &x))
            return missing (error, metric_where, "x", "holds something other than numbers");
          /* About nine labels, so that they do not overlap. */
          x_labels[p] = p % ((points + 8) / 9) == 0 ? g_strdup_printf ("%.3g", x) : g_strdup ("");
        }
      for (guint m = 0; m < n; m++)
        {
          JsonObject *entry = element_object (results, m);
          g_autofree char *result_where = g_strdup_printf ("%s: results[%u]", metric_where, m);
          const char *method = entry ? get_string (entry, result_where, "method", error) : NULL;
          JsonArray *y = method ? get_array (entry, result_where, "y", error) : NULL;

          if (y == NULL)
            return entry ? FALSE : missing (error, metric_where, "results", "holds a result that is not an object");
          if (json_array_get_length (y) != points)
            return missing (error, result_where, "y", "has not one value per point of x");
          for (guint p = 0; p < points; p++)
            if (!node_number (json_array_get_element (y, p), values + (gsize) m * points + p))
              return missing (error, result_where, "y", "holds something other than numbers");
          methods[m] = g_strdup (method);
        }
      name = g_strdup_printf ("%s-%s", id, label);
      g_strdelimit (name, "_", '-');
      /* The confidence change is a difference of probabilities. */
      randomization = g_str_has_prefix (label, "randomization");
      add (figures, g_steal_pointer (&name),
           vt_figure_new_lines (title, g_str_has_prefix (label, "iou") ? "top pixels (%)"
                                : g_str_has_prefix (label, "road") ? "pixels removed (%)"
                                : randomization ? "layers randomized, from the top" : "fraction of pixels",
                                g_str_has_prefix (label, "road_confidence") ? "confidence change"
                                : g_str_has_prefix (label, "road") ? "accuracy"
                                : g_str_has_prefix (label, "iou") ? "IoU"
                                : g_str_has_suffix (label, "ssim") ? "SSIM"
                                : randomization ? "Spearman's rank correlation" : "probability",
                                n, points, values, (const char * const *) methods, (const char * const *) x_labels,
                                g_str_has_prefix (label, "road_confidence") || randomization ? -1.0 : 0.0, 1.0));
    }
  return TRUE;
}

GPtrArray *
vt_report_step_figures (const char   *kind,
                        JsonObject   *step_result,
                        const char   *results_dir,
                        GError      **error)
{
  g_autoptr(GPtrArray) figures = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_report_figure_free);
  const VtStepType *type = vt_step_type_lookup (kind);
  const char *id = get_string (step_result, "a step", "id", error);
  g_autofree char *where = NULL;

  if (id == NULL)
    return NULL;
  where = g_strdup_printf ("step “%s”", id);
  if (type == NULL)
    {
      g_set_error (error, VT_REPORT_ERROR, VT_REPORT_ERROR_INVALID, "results.json: %s: unknown kind “%s”", where, kind);
      return NULL;
    }
  if (type->figures && !type->figures (step_result, id, where, results_dir, figures, error))
    return NULL;
  return g_steal_pointer (&figures);
}
