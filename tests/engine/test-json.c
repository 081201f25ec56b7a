/* test-json.c: the one JSON reader every file goes through: nesting depth,
 * empty text and repeated keys, with messages that say where. */
#include <string.h>

#include "core/vt-json.h"
#include "vt-test-util.h"

static void
expect_error (const char *text,
              gssize      length,
              int         code,
              const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = vt_json_parse (text, length, "t.json", &error);

  g_assert_null (node);
  g_assert_error (error, VT_JSON_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "t.json: "));
  if (strstr (error->message, phrase) == NULL)
    g_error ("message “%s” lacks “%s”", error->message, phrase);
}

static JsonNode *
expect_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = vt_json_parse (text, -1, "t.json", &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* 64 levels read; the 65th is refused where it opens, before json-glib
 * recurses; 100,000 levels (which overflowed the stack) likewise. */
static void
test_depth_limit (void)
{
  g_autofree char *limit = vt_test_nested_json (VT_JSON_MAX_DEPTH);
  g_autofree char *over = vt_test_nested_json (VT_JSON_MAX_DEPTH + 1);
  g_autofree char *huge = vt_test_nested_json (100000);
  g_autoptr(GString) objects = g_string_new ("");
  g_autoptr(JsonNode) node = expect_ok (limit);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  expect_error (over, -1, VT_JSON_ERROR_DEPTH, "line 1, byte offset 64: JSON nests deeper than 64 levels");
  expect_error (huge, -1, VT_JSON_ERROR_DEPTH, "line 1, byte offset 64");

  /* Objects count as arrays do, and lines are counted: each “{"a":⏎[” is
   * 7 bytes and 2 levels, so the 33rd “{” (level 65) opens line 33, at
   * byte offset 32 × 7. */
  for (guint i = 0; i < 40; i++)
    g_string_append (objects, "{\"a\":\n[");
  expect_error (objects->str, -1, VT_JSON_ERROR_DEPTH, "line 33, byte offset 224:");
}

/* Brackets inside strings and comments do not nest, whichever quote json-glib
 * accepts; a string must end where json-glib ends it, or nesting after it
 * would be missed. */
static void
test_strings_and_comments (void)
{
  g_autofree char *brackets = g_strnfill (200, '[');
  g_autofree char *nested = vt_test_nested_json (100);
  g_autofree char *in_strings = g_strdup_printf ("{\"a\": \"\\\"%s\", \"b\": '%s', \"c\": 1 /* %s */}",
                                                 brackets, brackets, brackets);
  g_autoptr(JsonNode) node = expect_ok (in_strings);
  g_autofree char *after_backslash = g_strdup_printf ("[\"\\\\\", %s]", nested);
  g_autofree char *after_single = g_strdup_printf ("['\"', %s]", nested);
  g_autofree char *after_single_backslash = g_strdup_printf ("['\\', %s]", nested);
  g_autofree char *after_comment = g_strdup_printf ("[/* \" */ %s]", nested);

  g_assert_cmpuint (strlen (json_object_get_string_member (json_node_get_object (node), "a")), ==, 201);
  g_assert_cmpuint (strlen (json_object_get_string_member (json_node_get_object (node), "b")), ==, 200);
  /* "\\" ends after its escaped backslash. */
  expect_error (after_backslash, -1, VT_JSON_ERROR_DEPTH, "nests deeper");
  /* A double quote inside single quotes starts no string. */
  expect_error (after_single, -1, VT_JSON_ERROR_DEPTH, "nests deeper");
  /* Single quotes take no escapes: '\' is a whole string. */
  expect_error (after_single_backslash, -1, VT_JSON_ERROR_DEPTH, "nests deeper");
  /* A quote inside a comment starts no string. */
  expect_error (after_comment, -1, VT_JSON_ERROR_DEPTH, "nests deeper");
}

/* A length bounds the text: no byte past it is read. A NUL inside it is
 * refused by json-glib (not UTF-8 text), after the scan, which stops at a
 * NUL as json-glib's lexer does. */
static void
test_length (void)
{
  g_autofree char *nested = vt_test_nested_json (100);
  g_autofree char *padded = g_strdup_printf ("[1]%s", nested);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = vt_json_parse (padded, 3, "t.json", &error);
  const char with_nul[] = "[1]\0[[[[";

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  expect_error (with_nul, sizeof with_nul - 1, VT_JSON_ERROR_SYNTAX, "t.json: not valid JSON: JSON data must be UTF-8");
}

/* json-glib “succeeds” on these with no root at all. */
static void
test_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  expect_error ("", -1, VT_JSON_ERROR_EMPTY, "t.json: is empty");
  expect_error (NULL, 0, VT_JSON_ERROR_EMPTY, "t.json: is empty");
  expect_error (" \n\t\r\n", -1, VT_JSON_ERROR_EMPTY, "t.json: is empty");
  expect_error ("/* nothing yet */\n", -1, VT_JSON_ERROR_EMPTY, "t.json: holds no JSON value, only comments and white space");
  expect_error ("{\"a\":", -1, VT_JSON_ERROR_SYNTAX, "t.json: not valid JSON");

  /* Without a name the message starts with what is wrong. */
  node = vt_json_parse ("", -1, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, VT_JSON_ERROR, VT_JSON_ERROR_EMPTY);
  g_assert_true (g_str_has_prefix (error->message, "is empty"));
}

/* json-glib keeps the last of two members with one name; these are refused
 * with the object's JSON path, the name, and the line of the repeat. */
static void
test_duplicates (void)
{
  g_autoptr(JsonNode) distinct = expect_ok ("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"c\": [{\"x\": 3}, {\"x\": 4}]}");

  expect_error ("{\"a\": 1, \"a\": 2}", -1, VT_JSON_ERROR_DUPLICATE, "t.json: $: “a” is given twice (the second time on line 1)");
  expect_error ("{\"steps\": [{\"kind\": \"x\"},\n {\"kind\": \"y\",\n  \"kind\": \"z\"}]}", -1, VT_JSON_ERROR_DUPLICATE,
                "t.json: $.steps[1]: “kind” is given twice (the second time on line 3)");
  /* The same name written two ways is the same name. */
  expect_error ("{\"\\u0061\": 1, \"a\": 2}", -1, VT_JSON_ERROR_DUPLICATE, "“a” is given twice");
  /* The repeat inside a value json-glib then dropped: no path, the line. */
  expect_error ("{\"a\": {\"x\": 1, \"x\": 2},\n \"a\": 3}", -1, VT_JSON_ERROR_DUPLICATE,
                "t.json: an object: “x” is given twice (the second time on line 1)");
}

static void
test_file (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *good = vt_test_write_file (dir, "good.json", "{\"a\": [1, 2]}", 13);
  g_autofree char *empty = vt_test_write_file (dir, "empty.json", "", 0);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = vt_json_load_file (good, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node), "a")), ==, 2);
  g_clear_pointer (&node, json_node_unref);

  node = vt_json_load_file (empty, &error);
  g_assert_null (node);
  g_assert_error (error, VT_JSON_ERROR, VT_JSON_ERROR_EMPTY);
  g_assert_true (g_str_has_prefix (error->message, empty));
  g_clear_error (&error);

  node = vt_json_load_file (missing, &error);
  g_assert_null (node);
  g_assert_error (error, VT_JSON_ERROR, VT_JSON_ERROR_READ);
  g_assert_true (g_str_has_prefix (error->message, missing));
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/json/depth-limit", test_depth_limit);
  g_test_add_func ("/engine/json/strings-and-comments", test_strings_and_comments);
  g_test_add_func ("/engine/json/length", test_length);
  g_test_add_func ("/engine/json/empty", test_empty);
  g_test_add_func ("/engine/json/duplicates", test_duplicates);
  g_test_add_func ("/engine/json/file", test_file);
  return g_test_run ();
}
