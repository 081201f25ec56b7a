/* test-workspace-file.c: the `.vitrine` workspace file: a round trip, paths
 * stored relative to the file where they lie inside its folder, missing
 * files marked, and bad files refused with the file and JSON path named. */
#include <glib/gstdio.h>
#include <string.h>

#include "core/vt-json.h"
#include "io/vt-workspace-file.h"
#include "vt-test-util.h"

static const char *
entry_path (const VtWorkspaceFile *file,
            VtWorkspaceKind        kind,
            guint                  i)
{
  g_assert_cmpuint (i, <, file->entries[kind]->len);
  return ((VtWorkspaceEntry *) g_ptr_array_index (file->entries[kind], i))->path;
}

static gboolean
entry_missing (const VtWorkspaceFile *file,
               VtWorkspaceKind        kind,
               guint                  i)
{
  return ((VtWorkspaceEntry *) g_ptr_array_index (file->entries[kind], i))->missing;
}

/* The stored text of @kind's @i-th path, as the file has it. */
static char *
stored (const char      *workspace,
        VtWorkspaceKind  kind,
        guint            i)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = vt_json_load_file (workspace, &error);
  JsonArray *list;

  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (root), vt_workspace_kind_key (kind));
  return g_strdup (json_object_get_string_member (json_array_get_object_element (list, i), "path"));
}

/* Every kind saved and read back, in order; relative paths inside the
 * folder, absolute ones outside it; moving the folder keeps the inside ones. */
static void
test_round_trip (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *outside = vt_test_tmpdir ();
  g_autofree char *sub = g_build_filename (dir, "models", NULL);
  g_autofree char *checkpoint = NULL, *dataset = NULL, *store = NULL, *run = NULL, *other = NULL;
  g_autofree char *workspace = g_build_filename (dir, "study.vitrine", NULL);
  g_autofree char *moved = g_strconcat (dir, "-moved", NULL);
  g_autofree char *moved_workspace = g_build_filename (moved, "study.vitrine", NULL);
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  g_autoptr(VtWorkspaceFile) back = NULL;
  g_autoptr(VtWorkspaceFile) after_move = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  checkpoint = vt_test_write_file (sub, "a.safetensors", "x", 1);
  dataset = g_build_filename (dir, "cifar", NULL);
  g_assert_cmpint (g_mkdir (dataset, 0700), ==, 0);
  store = vt_test_write_file (outside, "store.safetensors", "x", 1);
  run = g_build_filename (dir, "runs", "r1", NULL);
  g_assert_cmpint (g_mkdir_with_parents (run, 0700), ==, 0);
  other = vt_test_write_file (sub, "b.safetensors", "x", 1);

  vt_workspace_file_add (file, VT_WORKSPACE_CHECKPOINT, checkpoint);
  vt_workspace_file_add (file, VT_WORKSPACE_CHECKPOINT, other);
  vt_workspace_file_add (file, VT_WORKSPACE_DATASET, dataset);
  vt_workspace_file_add (file, VT_WORKSPACE_STORE, store);
  vt_workspace_file_add (file, VT_WORKSPACE_RUN, run);
  g_assert_true (vt_workspace_file_save (file, workspace, &error));
  g_assert_no_error (error);

  /* As stored: inside the folder relative, outside absolute. */
  {
    g_autofree char *c = stored (workspace, VT_WORKSPACE_CHECKPOINT, 0);
    g_autofree char *d = stored (workspace, VT_WORKSPACE_DATASET, 0);
    g_autofree char *s = stored (workspace, VT_WORKSPACE_STORE, 0);
    g_autofree char *r = stored (workspace, VT_WORKSPACE_RUN, 0);

    g_assert_cmpstr (c, ==, "models/a.safetensors");
    g_assert_cmpstr (d, ==, "cifar");
    g_assert_cmpstr (s, ==, store);
    g_assert_cmpstr (r, ==, "runs/r1");
  }

  back = vt_workspace_file_load (workspace, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      g_assert_cmpuint (back->entries[k]->len, ==, file->entries[k]->len);
      for (guint i = 0; i < file->entries[k]->len; i++)
        {
          g_assert_cmpstr (entry_path (back, k, i), ==, entry_path (file, k, i));
          g_assert_false (entry_missing (back, k, i));
        }
    }

  /* The folder moves with what is inside it: those paths follow, the
   * outside one stays. */
  g_assert_cmpint (g_rename (dir, moved), ==, 0);
  after_move = vt_workspace_file_load (moved_workspace, &error);
  g_assert_no_error (error);
  {
    g_autofree char *expected = g_build_filename (moved, "models", "a.safetensors", NULL);
    g_assert_cmpstr (entry_path (after_move, VT_WORKSPACE_CHECKPOINT, 0), ==, expected);
    g_assert_false (entry_missing (after_move, VT_WORKSPACE_CHECKPOINT, 0));
  }
  g_assert_cmpstr (entry_path (after_move, VT_WORKSPACE_STORE, 0), ==, store);
  g_assert_false (entry_missing (after_move, VT_WORKSPACE_STORE, 0));

  vt_test_rm_rf (moved);
  vt_test_rm_rf (outside);
}

/* A file that has gone is read, marked missing; the others are not. */
static void
test_missing (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *kept = vt_test_write_file (dir, "kept.safetensors", "x", 1);
  g_autofree char *gone = vt_test_write_file (dir, "gone.safetensors", "x", 1);
  g_autofree char *workspace = g_build_filename (dir, "w.vitrine", NULL);
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  g_autoptr(VtWorkspaceFile) back = NULL;
  g_autoptr(GError) error = NULL;

  vt_workspace_file_add (file, VT_WORKSPACE_STORE, kept);
  vt_workspace_file_add (file, VT_WORKSPACE_STORE, gone);
  g_assert_true (vt_workspace_file_save (file, workspace, &error));
  g_assert_cmpint (g_unlink (gone), ==, 0);

  back = vt_workspace_file_load (workspace, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->entries[VT_WORKSPACE_STORE]->len, ==, 2);
  g_assert_cmpstr (entry_path (back, VT_WORKSPACE_STORE, 1), ==, gone);
  g_assert_false (entry_missing (back, VT_WORKSPACE_STORE, 0));
  g_assert_true (entry_missing (back, VT_WORKSPACE_STORE, 1));
  vt_test_rm_rf (dir);
}

/* A workspace is replaced whole or not at all, and leaves no temporary
 * file beside it. */
static void
test_atomic (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *workspace = g_build_filename (dir, "w.vitrine", NULL);
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name;
  guint n = 0;

  vt_workspace_file_add (file, VT_WORKSPACE_DATASET, "/data/one");
  g_assert_true (vt_workspace_file_save (file, workspace, &error));
  vt_workspace_file_add (file, VT_WORKSPACE_DATASET, "/data/two");
  g_assert_true (vt_workspace_file_save (file, workspace, &error));
  g_assert_no_error (error);
  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)))
    {
      g_assert_cmpstr (name, ==, "w.vitrine");
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
  {
    g_autoptr(VtWorkspaceFile) back = vt_workspace_file_load (workspace, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (back->entries[VT_WORKSPACE_DATASET]->len, ==, 2);
    g_assert_cmpstr (entry_path (back, VT_WORKSPACE_DATASET, 1), ==, "/data/two");
    g_assert_true (entry_missing (back, VT_WORKSPACE_DATASET, 1));
  }
  vt_test_rm_rf (dir);
}

typedef struct
{
  const char *text;
  GQuark      domain;
  int         code;
  const char *phrase;  /* in the message, after "FILE: " */
} BadCase;

static void
test_bad (void)
{
  g_autofree char *deep = vt_test_nested_json (100000);
  g_autofree char *deep_in_list = NULL;
  const BadCase cases[] = {
    { "{ \"version\": 1, ", VT_JSON_ERROR, VT_JSON_ERROR_SYNTAX, "" },
    { "", VT_JSON_ERROR, VT_JSON_ERROR_EMPTY, "" },
    { deep, VT_JSON_ERROR, VT_JSON_ERROR_DEPTH, "" },
    { "[]", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, "$: expected an object" },
    { "{}", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, "$.version: missing" },
    { "{ \"version\": \"1\" }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, "$.version: expected a whole number" },
    { "{ \"version\": 2 }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_VERSION, "$.version: 2 is from a newer Vitrine" },
    { "{ \"version\": 0 }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, "$.version: 0 is not" },
    { "{ \"version\": 1, \"stores\": {} }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID, "$.stores: expected a list" },
    { "{ \"version\": 1, \"datasets\": [ \"/data\" ] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.datasets[0]: expected an object" },
    { "{ \"version\": 1, \"runs\": [ { \"path\": \"/r\" }, { \"path\": 3 } ] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.runs[1].path: expected a non-empty string" },
    { "{ \"version\": 1, \"runs\": [ { \"path\": \"\" } ] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.runs[0].path: expected a non-empty string" },
    { "{ \"version\": 1, \"checkpoints\": [ { } ] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.checkpoints[0].path: missing" },
    { "{ \"version\": 1, \"checkpoints\": [ { \"path\": \"a\", \"name\": \"b\" } ] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.checkpoints[0].name: unknown key" },
    { "{ \"version\": 1, \"models\": [] }", VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_INVALID,
      "$.models: unknown key" },
    { "{ \"version\": 1, \"version\": 1 }", VT_JSON_ERROR, VT_JSON_ERROR_DUPLICATE, "" },
    { NULL, 0, 0, "$.stores[0]: expected an object" },
  };
  g_autofree char *dir = vt_test_tmpdir ();

  /* Nesting (within the reader's limit) where a list item should be. */
  {
    g_autofree char *inner = vt_test_nested_json (10);
    deep_in_list = g_strdup_printf ("{ \"version\": 1, \"stores\": [ %s ] }", inner);
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *text = cases[i].text ? cases[i].text : deep_in_list;
      g_autofree char *path = vt_test_write_file (dir, "bad.vitrine", text, strlen (text));
      g_autoptr(GError) error = NULL;
      g_autoptr(VtWorkspaceFile) file = vt_workspace_file_load (path, &error);
      g_autofree char *prefix = g_strconcat (path, ": ", NULL);

      g_assert_null (file);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      if (cases[i].domain != 0)
        g_assert_error (error, cases[i].domain, cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, prefix));
      if (strstr (error->message + strlen (prefix), cases[i].phrase) == NULL)
        g_error ("message “%s” lacks “%s”", error->message, cases[i].phrase);
    }
  vt_test_rm_rf (dir);
}

/* A name that is not UTF-8 cannot be written as JSON text: an error naming
 * the workspace, and no file. */
static void
test_not_utf8 (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *workspace = g_build_filename (dir, "w.vitrine", NULL);
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_new ();
  g_autoptr(GError) error = NULL;

  vt_workspace_file_add (file, VT_WORKSPACE_CHECKPOINT, "/data/caf\xe9.safetensors");
  g_assert_false (vt_workspace_file_save (file, workspace, &error));
  g_assert_error (error, VT_WORKSPACE_FILE_ERROR, VT_WORKSPACE_FILE_ERROR_PATH);
  g_assert_true (g_str_has_prefix (error->message, workspace));
  g_assert_false (g_file_test (workspace, G_FILE_TEST_EXISTS));
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/workspace-file/round-trip", test_round_trip);
  g_test_add_func ("/engine/workspace-file/missing", test_missing);
  g_test_add_func ("/engine/workspace-file/atomic", test_atomic);
  g_test_add_func ("/engine/workspace-file/bad", test_bad);
  g_test_add_func ("/engine/workspace-file/not-utf8", test_not_utf8);
  return g_test_run ();
}
