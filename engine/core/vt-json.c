/* vt-json.c: JSON text to a JsonNode, refusing what json-glib would crash
 * on, stay silent about, or return nothing for. */
#include "vt-json.h"
#include "io/vt-file.h"

#include <string.h>

G_DEFINE_QUARK (vt-json-error-quark, vt_json_error)

/* “NAME: ” before a message, or nothing where the caller names the text. */
static const char *
prefix (const char *name)
{
  return name ? name : "";
}

static const char *
separator (const char *name)
{
  return name ? ": " : "";
}

/* Refuses text that nests deeper than VT_JSON_MAX_DEPTH, before json-glib's
 * recursive parser sees it. The scan follows json-glib's lexer (a GScanner)
 * so that it counts exactly the brackets the parser will recurse on:
 * strings in double quotes with backslash escapes, strings in single quotes
 * without escapes, and C comments, all ended by the first NUL byte as
 * json-glib ends them. Closing brackets only need counting down; a text
 * that closes more than it opened is json-glib's to refuse. */
static gboolean
check_depth (const char  *text,
             gsize        length,
             const char  *name,
             GError     **error)
{
  guint depth = 0, line = 1;
  gsize i = 0;

  while (i < length && text[i] != '\0')
    {
      char c = text[i++];

      if (c == '\n')
        line++;
      else if (c == '"' || c == '\'')
        {
          while (i < length && text[i] != '\0' && text[i] != c)
            {
              if (text[i] == '\n')
                line++;
              /* A backslash in double quotes takes the next byte with it,
               * so \" does not end the string. */
              if (c == '"' && text[i] == '\\' && i + 1 < length && text[i + 1] != '\0')
                {
                  i++;
                  if (text[i] == '\n')
                    line++;
                }
              i++;
            }
          if (i >= length || text[i] == '\0')
            break;    /* unterminated: json-glib says so */
          i++;        /* the closing quote */
        }
      else if (c == '/' && i < length && text[i] == '*')
        {
          for (i++; i < length && text[i] != '\0'; i++)
            {
              if (text[i] == '\n')
                line++;
              else if (text[i] == '*' && i + 1 < length && text[i + 1] == '/')
                break;
            }
          if (i >= length || text[i] == '\0')
            break;    /* unterminated: json-glib says so */
          i += 2;     /* the closing star and slash */
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > VT_JSON_MAX_DEPTH)
            {
              g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_DEPTH,
                           "%s%sline %u, byte offset %" G_GSIZE_FORMAT ": JSON nests deeper than %d levels of [ and {; "
                           "Vitrine reads at most %d, more than any file it reads needs, so this file is damaged "
                           "or not what it claims to be",
                           prefix (name), separator (name), line, i - 1, VT_JSON_MAX_DEPTH, VT_JSON_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

/* json-glib keeps the last of two members with one name and drops the other
 * silently, so a header that describes a tensor twice, or a spec that gives
 * a key twice, would be read as if it said one thing. Its object-member
 * signal fires after each member is stored, for repeats too, and always
 * for the innermost object still open (inner objects end first): a member
 * that leaves that object no larger than before replaced one of the same
 * name. A stack of open objects' sizes is all the check needs, which keeps
 * it cheap on a 49,408-token vocab.json. The first repeat is recorded; the
 * parse runs to its end and the repeat is reported after. */
typedef struct
{
  GArray     *sizes;        /* guint: members seen in each open object */
  JsonObject *object;       /* the first object with a repeated name */
  char       *key;
  guint       line;
} Duplicates;

static void
on_object_start (JsonParser *parser,
                 gpointer    user_data)
{
  Duplicates *d = user_data;
  guint zero = 0;

  g_array_append_val (d->sizes, zero);
}

static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *member,
                  gpointer    user_data)
{
  Duplicates *d = user_data;
  guint *seen = &g_array_index (d->sizes, guint, d->sizes->len - 1);
  guint size = json_object_get_size (object);

  if (size == *seen && d->key == NULL)
    {
      d->object = object;
      d->key = g_strdup (member);
      d->line = json_parser_get_current_line (parser);
    }
  *seen = size;
}

static void
on_object_end (JsonParser *parser,
               JsonObject *object,
               gpointer    user_data)
{
  Duplicates *d = user_data;

  g_array_set_size (d->sizes, d->sizes->len - 1);
}

/* Appends to @path the JSON path from @node down to @target. The depth
 * check bounds the recursion. */
static gboolean
find_object (JsonNode   *node,
             JsonObject *target,
             GString    *path)
{
  gsize len = path->len;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *value;

      if (json_node_get_object (node) == target)
        return TRUE;
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &member, &value))
        {
          g_string_append_printf (path, ".%s", member);
          if (find_object (value, target, path))
            return TRUE;
          g_string_truncate (path, len);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_string_append_printf (path, "[%u]", i);
          if (find_object (json_array_get_element (array, i), target, path))
            return TRUE;
          g_string_truncate (path, len);
        }
    }
  return FALSE;
}

static gboolean
only_white_space (const char *text,
                  gsize       length)
{
  for (gsize i = 0; i < length && text[i] != '\0'; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;
  return TRUE;
}

JsonNode *
vt_json_parse (const char  *text,
               gssize       length,
               const char  *name,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) sizes = g_array_sized_new (FALSE, FALSE, sizeof (guint), VT_JSON_MAX_DEPTH);
  Duplicates duplicates = { sizes, NULL, NULL, 0 };
  g_autofree char *key = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize size;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  size = length < 0 ? strlen (text) : (gsize) length;
  if (!check_depth (text, size, name, error))
    return NULL;

  g_signal_connect (parser, "object-start", G_CALLBACK (on_object_start), &duplicates);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &duplicates);
  g_signal_connect (parser, "object-end", G_CALLBACK (on_object_end), &duplicates);
  /* An empty file maps to no buffer at all; json-glib wants one. */
  if (!json_parser_load_from_data (parser, size ? text : "", (gssize) size, &local_error))
    {
      g_free (duplicates.key);
      g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_SYNTAX, "%s%snot valid JSON: %s",
                   prefix (name), separator (name), local_error->message);
      return NULL;
    }
  key = duplicates.key;
  root = json_parser_steal_root (parser);

  if (root == NULL)
    {
      if (only_white_space (text, size))
        g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_EMPTY,
                     "%s%sis empty, where a JSON value was expected", prefix (name), separator (name));
      else
        g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_EMPTY,
                     "%s%sholds no JSON value, only comments and white space", prefix (name), separator (name));
      return NULL;
    }
  if (key != NULL)
    {
      g_autoptr(GString) path = g_string_new ("$");

      /* The object is not in the tree when it was itself the value of a
       * member given twice and dropped; the line still says where. */
      if (!find_object (root, duplicates.object, path))
        g_string_assign (path, "an object");
      g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_DUPLICATE,
                   "%s%s%s: “%s” is given twice (the second time on line %u); a reader keeps only one of the two, "
                   "so remove or rename one",
                   prefix (name), separator (name), path->str, key, duplicates.line);
      return NULL;
    }
  return g_steal_pointer (&root);
}

JsonNode *
vt_json_load_file (const char  *path,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize length;

  /* Through vt-file, as every file a user names: a FIFO or a device is
   * refused, not waited on or read without end. */
  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &text, &length, &local_error))
    {
      g_set_error_literal (error, VT_JSON_ERROR, VT_JSON_ERROR_READ, local_error->message);
      return NULL;
    }
  return vt_json_parse (text, (gssize) length, path, error);
}
