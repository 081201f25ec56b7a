/* vt-gui-runs.c: a window's run against `vitrine --batch` of its spec. */
#include "vt-gui-runs.h"
#include "report/vt-csv.h"
#include "vt-gui-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

gboolean
vt_gui_run_done (gpointer run)
{
  return vitrine_run_is_done (run);
}

guint
vt_gui_run_position (VitrineWindow *window,
                     VitrineRun    *run)
{
  guint position;

  g_assert_true (g_list_store_find (G_LIST_STORE (vitrine_window_get_runs (window)), run, &position));
  return position;
}

JsonObject *
vt_gui_step_result (VitrineRun  *run,
                    const char  *kind,
                    JsonNode   **node)
{
  g_autoptr(GError) error = NULL;

  *node = vitrine_run_load_step_result (run, kind, &error);
  g_assert_no_error (error);
  return json_node_get_object (*node);
}

/* Members that say when or how long, not what (a faithfulness step's
 * "seconds_per_image" of each method). */
static gboolean
is_time (const char *name)
{
  return g_str_equal (name, "started") || g_str_equal (name, "seconds") || g_str_equal (name, "seconds_per_image");
}

static gboolean
is_path (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
         g_path_is_absolute (json_node_get_string (node));
}

/* @a and @b alike, times and paths aside; @where is the JSON path, for the
 * message that says where they differ. */
static void
assert_alike (JsonNode   *a,
              JsonNode   *b,
              const char *where)
{
  if (is_path (a) && is_path (b))
    return;
  if (JSON_NODE_HOLDS_OBJECT (a) && JSON_NODE_HOLDS_OBJECT (b))
    {
      JsonObject *oa = json_node_get_object (a), *ob = json_node_get_object (b);
      g_autoptr(GList) ma = json_object_get_members (oa);
      g_autoptr(GList) mb = json_object_get_members (ob);

      for (GList *l = ma; l; l = l->next)
        {
          g_autofree char *inner = g_strdup_printf ("%s.%s", where, (char *) l->data);

          if (is_time (l->data))
            continue;
          if (!json_object_has_member (ob, l->data))
            g_error ("%s: in one results.json only", inner);
          assert_alike (json_object_get_member (oa, l->data), json_object_get_member (ob, l->data), inner);
        }
      for (GList *l = mb; l; l = l->next)
        if (!is_time (l->data) && !json_object_has_member (oa, l->data))
          g_error ("%s.%s: in one results.json only", where, (char *) l->data);
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (a) && JSON_NODE_HOLDS_ARRAY (b))
    {
      JsonArray *aa = json_node_get_array (a), *ab = json_node_get_array (b);

      if (json_array_get_length (aa) != json_array_get_length (ab))
        g_error ("%s: %u elements against %u", where, json_array_get_length (aa), json_array_get_length (ab));
      for (guint i = 0; i < json_array_get_length (aa); i++)
        {
          g_autofree char *inner = g_strdup_printf ("%s[%u]", where, i);
          assert_alike (json_array_get_element (aa, i), json_array_get_element (ab, i), inner);
        }
      return;
    }
  if (!json_node_equal (a, b))
    {
      g_autofree char *ta = json_to_string (a, FALSE);
      g_autofree char *tb = json_to_string (b, FALSE);
      g_error ("%s: %s against %s", where, ta, tb);
    }
}

static JsonNode *
load_results (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "results.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The files of a results folder and its figures/, sorted; run.log (times)
 * left out. */
static GPtrArray *
result_files (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *sub[] = { "", "figures" };

  for (guint s = 0; s < G_N_ELEMENTS (sub); s++)
    {
      g_autofree char *path = g_build_filename (dir, sub[s], NULL);
      g_autoptr(GDir) listing = g_dir_open (path, 0, NULL);
      const char *name;

      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        {
          g_autofree char *full = g_build_filename (path, name, NULL);

          if (g_file_test (full, G_FILE_TEST_IS_REGULAR) && !g_str_equal (name, "run.log"))
            g_ptr_array_add (names, *sub[s] ? g_build_filename (sub[s], name, NULL) : g_strdup (name));
        }
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* A CSV table's records, each field on a line of its own, with the
 * "seconds" column (a time, as in results.json) left out. */
typedef struct
{
  GString *text;
  gint     seconds;   /* that column, or -1 */
} TableText;

static gboolean
add_record (guint          row,
            guint          n_fields,
            char * const  *fields,
            gpointer       data,
            GError       **error)
{
  TableText *t = data;

  for (guint i = 0; i < n_fields; i++)
    {
      if (row == 0 && g_str_equal (fields[i], "seconds"))
        t->seconds = (gint) i;
      if ((gint) i != t->seconds)
        g_string_append_printf (t->text, "%s\n", fields[i]);
    }
  g_string_append (t->text, "--\n");
  return TRUE;
}

static char *
table_without_times (const char *path)
{
  TableText t = { g_string_new (NULL), -1 };
  g_autoptr(GError) error = NULL;

  g_assert_true (vt_csv_read (path, add_record, &t, &error));
  g_assert_no_error (error);
  return g_string_free (t.text, FALSE);
}

guint
vt_gui_assert_same_results (const char *a,
                            const char *b)
{
  g_autoptr(JsonNode) ra = load_results (a);
  g_autoptr(JsonNode) rb = load_results (b);
  g_autoptr(GPtrArray) fa = result_files (a);
  g_autoptr(GPtrArray) fb = result_files (b);
  guint n_svg = 0, n_csv = 0;

  g_test_message ("comparing %s with %s", a, b);
  assert_alike (ra, rb, "$");
  g_assert_cmpuint (fa->len, ==, fb->len);
  for (guint i = 0; i < fa->len; i++)
    {
      const char *name = g_ptr_array_index (fa, i);
      g_autofree char *pa = g_build_filename (a, name, NULL);
      g_autofree char *pb = g_build_filename (b, name, NULL);
      g_autofree char *ca = NULL, *cb = NULL;
      gsize la, lb;

      g_assert_cmpstr (name, ==, g_ptr_array_index (fb, i));
      if (g_str_has_suffix (name, ".csv"))
        {
          g_autofree char *ta = table_without_times (pa);
          g_autofree char *tb = table_without_times (pb);

          g_assert_cmpstr (ta, ==, tb);
          n_csv++;
        }
      else if (g_str_has_suffix (name, ".svg"))
        {
          g_assert_true (g_file_get_contents (pa, &ca, &la, NULL));
          g_assert_true (g_file_get_contents (pb, &cb, &lb, NULL));
          g_assert_cmpmem (ca, la, cb, lb);
          n_svg++;
        }
    }
  g_test_message ("results.json alike, the same %u files, %u tables (times aside) and %u SVG figures byte for byte", fa->len,
                  n_csv, n_svg);
  return n_svg;
}

char *
vt_gui_assert_batch_reproduces (VitrineRunsPanel *panel,
                                VitrineRun       *run,
                                const char       *tmp,
                                guint            *n_svg)
{
  g_autofree char *base = g_strdup_printf ("batch-%s", vitrine_run_get_area (run));
  g_autofree char *dir = g_build_filename (tmp, base, NULL);
  g_autofree char *spec = g_build_filename (dir, "spec.json", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autofree char *out = g_build_filename (dir, "results", NULL);
  const char *argv[] = { g_getenv ("VITRINE_BINARY"), "--batch", spec, "--output", out, NULL };
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "XDG_CACHE_HOME", cache, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  guint n;

  g_assert_nonnull (argv[0]);
  g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
  g_assert_cmpint (g_mkdir_with_parents (cache, 0755), ==, 0);
  g_assert_true (vitrine_runs_panel_save_spec (panel, run, spec, &error));
  g_assert_no_error (error);
  vt_gui_step_begin (180, "vitrine --batch %s", spec);
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error);
  vt_gui_step_end ();
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      /* Its last lines say why: the events end with the error. */
      const char *tail = err && strlen (err) > 2000 ? err + strlen (err) - 2000 : err;
      g_error ("vitrine --batch %s failed: %s", spec, tail ? tail : "");
    }
  n = vt_gui_assert_same_results (vitrine_run_get_results_dir (run), out);
  if (n_svg)
    *n_svg = n;
  return g_steal_pointer (&out);
}
