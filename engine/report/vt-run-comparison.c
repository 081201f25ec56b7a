/* vt-run-comparison.c: flattening results.json documents into rows. */
#include "vt-run-comparison.h"
#include "vt-csv.h"

typedef struct
{
  GPtrArray   *rows;      /* VtRunComparisonRow */
  GHashTable  *by_key;    /* key → row, owned by rows */
  guint        n_runs;
} Table;

static void
row_free (gpointer data)
{
  VtRunComparisonRow *row = data;

  g_free (row->key);
  /* Not g_strfreev: a run without the key leaves a NULL before the end. */
  for (guint r = 0; r < row->n_runs; r++)
    g_free (row->values[r]);
  g_free (row->values);
  g_free (row);
}

/* A plain value's text: strings as they are, numbers the shortest way that
 * reads back the same, booleans as JSON writes them; NULL for anything else. */
static char *
value_text (JsonNode *node)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  if (!JSON_NODE_HOLDS_VALUE (node))
    return JSON_NODE_HOLDS_NULL (node) ? g_strdup ("null") : NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup (g_ascii_dtostr (number, sizeof number, json_node_get_double (node)));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

/* A list of plain values as one text, or NULL when it holds anything else. */
static char *
list_text (JsonArray *array)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *item = value_text (json_array_get_element (array, i));

      if (item == NULL)
        return NULL;
      g_string_append_printf (text, "%s%s", i ? ", " : "", item);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
set_value (Table      *table,
           const char *key,
           gboolean    setting,
           guint       run,
           char       *text)
{
  g_autofree char *full = g_strdup_printf ("%s\t%s", setting ? "s" : "r", key);
  VtRunComparisonRow *row = g_hash_table_lookup (table->by_key, full);

  if (row == NULL)
    {
      row = g_new0 (VtRunComparisonRow, 1);
      row->key = g_strdup (key);
      row->setting = setting;
      row->values = g_new0 (char *, table->n_runs);
      row->n_runs = table->n_runs;
      g_ptr_array_add (table->rows, row);
      g_hash_table_insert (table->by_key, g_steal_pointer (&full), row);
    }
  g_free (row->values[run]);
  row->values[run] = text;
}

static void
add_node (Table      *table,
          const char *key,
          gboolean    setting,
          guint       run,
          JsonNode   *node)
{
  char *text = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *m = members; m != NULL; m = m->next)
        {
          g_autofree char *child = g_strdup_printf ("%s.%s", key, (const char *) m->data);

          add_node (table, child, setting, run, json_object_get_member (object, m->data));
        }
      return;
    }
  text = JSON_NODE_HOLDS_ARRAY (node) ? list_text (json_node_get_array (node)) : value_text (node);
  if (text != NULL)
    set_value (table, key, setting, run, text);
  else if (JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) > 0)
    {
      /* Epochs, stages, rounds: the last one is where the run ended. */
      JsonArray *array = json_node_get_array (node);
      JsonNode *last = json_array_get_element (array, json_array_get_length (array) - 1);
      g_autofree char *child = g_strdup_printf ("%s[-1]", key);

      if (JSON_NODE_HOLDS_OBJECT (last))
        add_node (table, child, setting, run, last);
    }
}

/* The steps of @object's @member, each under its id (or kind, or index). */
static void
add_steps (Table      *table,
           JsonObject *object,
           const char *member,
           gboolean    setting,
           guint       run)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;
  JsonArray *steps = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  for (guint i = 0; steps && i < json_array_get_length (steps); i++)
    {
      JsonNode *step_node = json_array_get_element (steps, i);
      JsonObject *step = JSON_NODE_HOLDS_OBJECT (step_node) ? json_node_get_object (step_node) : NULL;
      g_autoptr(GList) members = step ? json_object_get_members (step) : NULL;
      g_autofree char *name = NULL;

      if (step == NULL)
        continue;
      if (json_object_has_member (step, "id"))
        name = value_text (json_object_get_member (step, "id"));
      else if (json_object_has_member (step, "kind"))
        name = value_text (json_object_get_member (step, "kind"));
      if (name == NULL)
        name = g_strdup_printf ("%u", i);
      for (GList *m = members; m != NULL; m = m->next)
        {
          g_autofree char *key = NULL;

          if (g_str_equal (m->data, "id"))
            continue;
          key = g_strdup_printf ("%s.%s", name, (const char *) m->data);
          add_node (table, key, setting, run, json_object_get_member (step, m->data));
        }
    }
}

GPtrArray *
vt_run_comparison_new (JsonNode * const *results,
                       guint             n_runs)
{
  Table table = { g_ptr_array_new_with_free_func (row_free), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
                  n_runs };
  GPtrArray *ordered = g_ptr_array_new_with_free_func (row_free);

  for (guint r = 0; r < n_runs; r++)
    {
      JsonObject *root = results[r] && JSON_NODE_HOLDS_OBJECT (results[r]) ? json_node_get_object (results[r]) : NULL;
      JsonNode *spec = root ? json_object_get_member (root, "spec") : NULL;

      add_steps (&table, spec && JSON_NODE_HOLDS_OBJECT (spec) ? json_node_get_object (spec) : NULL, "steps", TRUE, r);
      add_steps (&table, root, "steps", FALSE, r);
    }
  /* Settings first, then results; each group in first-seen order. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < table.rows->len; i++)
      {
        VtRunComparisonRow *row = g_ptr_array_index (table.rows, i);

        if (row->setting != (pass == 0))
          continue;
        for (guint r = 1; r < n_runs; r++)
          if (g_strcmp0 (row->values[r], row->values[0]) != 0)
            row->differs = TRUE;
        g_ptr_array_add (ordered, row);
      }
  /* The rows are ordered's now. */
  g_ptr_array_set_free_func (table.rows, NULL);
  g_hash_table_unref (table.by_key);
  g_ptr_array_unref (table.rows);
  return ordered;
}

char *
vt_run_comparison_to_csv (GPtrArray          *rows,
                          const char * const *run_names,
                          guint               n_runs,
                          gboolean            only_differences)
{
  GString *csv = g_string_new ("key,kind");

  for (guint r = 0; r < n_runs; r++)
    {
      g_string_append_c (csv, ',');
      vt_csv_append_field (csv, run_names[r]);
    }
  g_string_append_c (csv, '\n');
  for (guint i = 0; i < rows->len; i++)
    {
      VtRunComparisonRow *row = g_ptr_array_index (rows, i);

      if (only_differences && !row->differs)
        continue;
      vt_csv_append_field (csv, row->key);
      g_string_append (csv, row->setting ? ",setting" : ",result");
      for (guint r = 0; r < n_runs; r++)
        {
          g_string_append_c (csv, ',');
          vt_csv_append_field (csv, row->values[r]);
        }
      g_string_append_c (csv, '\n');
    }
  return g_string_free (csv, FALSE);
}
