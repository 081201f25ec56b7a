/* vt-json-reader.c: path-aware JSON getters. */
#include "vt-json-reader.h"


static gboolean
invalid (GError     **error,
         const char  *path,
         const char  *key,
         const char  *format,
         ...) G_GNUC_PRINTF (4, 5);

static gboolean
invalid (GError     **error,
         const char  *path,
         const char  *key,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VT_JSON_ERROR, VT_JSON_ERROR_SHAPE, "%s%s%s: %s",
               path, key ? "." : "", key ? key : "", message);
  return FALSE;
}

gboolean
vt_json_check_keys (JsonObject          *object,
                    const char          *path,
                    const char * const  *allowed,
                    GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *known = g_strjoinv (", ", (char **) allowed);
        return invalid (error, path, l->data, "unknown key (known here: %s)", known);
      }
  return TRUE;
}

gboolean
vt_json_get_string (JsonObject   *object,
                    const char   *path,
                    const char   *key,
                    gboolean      required,
                    char        **out,
                    GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL)
    return required ? invalid (error, path, key, "missing (a string is required)") : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      *json_node_get_string (node) == '\0')
    return invalid (error, path, key, "expected a non-empty string");
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
vt_json_get_uint (JsonObject   *object,
                  const char   *path,
                  const char   *key,
                  guint         min,
                  guint         max,
                  guint        *out,
                  GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);
  gint64 value;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (value = json_node_get_int (node)) < min || value > max)
    return invalid (error, path, key, "expected an integer from %u to %u", min, max);
  *out = (guint) value;
  return TRUE;
}

gboolean
vt_json_get_strv (JsonObject   *object,
                  const char   *path,
                  const char   *key,
                  char       ***out,
                  GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, path, key, "expected a list of strings");
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        {
          g_autofree char *item_key = g_strdup_printf ("%s[%u]", key, i);
          return invalid (error, path, item_key, "expected a string");
        }
      g_strv_builder_add (builder, json_node_get_string (item));
    }
  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

gboolean
vt_json_get_flags (JsonObject          *object,
                   const char          *path,
                   const char          *key,
                   const char * const  *choices,
                   guint               *out,
                   GError             **error)
{
  g_auto(GStrv) words = NULL;
  guint flags = 0;

  if (!json_object_has_member (object, key))
    return TRUE;
  if (!vt_json_get_strv (object, path, key, &words, error))
    return FALSE;
  for (guint i = 0; words[i]; i++)
    {
      guint j;

      for (j = 0; choices[j] && !g_str_equal (choices[j], words[i]); j++)
        ;
      if (choices[j] == NULL)
        {
          g_autofree char *item_key = g_strdup_printf ("%s[%u]", key, i);
          g_autofree char *known = g_strjoinv (", ", (char **) choices);
          return invalid (error, path, item_key, "“%s” is not one of %s", words[i], known);
        }
      flags |= 1u << j;
    }
  if (flags == 0)
    return invalid (error, path, key, "expected at least one entry");
  *out = flags;
  return TRUE;
}

gboolean
vt_json_get_triple (JsonObject   *object,
                    const char   *path,
                    const char   *key,
                    double        min,
                    double        max,
                    float         out[3],
                    gboolean     *given,
                    GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);
  JsonArray *array;

  *given = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (array = json_node_get_array (node)) != 3)
    return invalid (error, path, key, "expected three numbers, one per RGB channel");
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      double v;

      if (!JSON_NODE_HOLDS_VALUE (item) || (json_node_get_value_type (item) != G_TYPE_DOUBLE &&
                                            json_node_get_value_type (item) != G_TYPE_INT64) ||
          ((v = json_node_get_double (item)), !(v >= min && v <= max)))
        {
          g_autofree char *item_key = g_strdup_printf ("%s[%u]", key, i);
          return invalid (error, path, item_key, "expected a number from %g to %g", min, max);
        }
      out[i] = (float) v;
    }
  *given = TRUE;
  return TRUE;
}

gboolean
vt_json_get_bool (JsonObject   *object,
                  const char   *path,
                  const char   *key,
                  gboolean     *out,
                  GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid (error, path, key, "expected true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
vt_json_get_number (JsonObject   *object,
                    const char   *path,
                    const char   *key,
                    double        above,
                    double        max,
                    double       *out,
                    GError      **error)
{
  JsonNode *node = json_object_get_member (object, key);
  double value;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
                                        json_node_get_value_type (node) != G_TYPE_INT64) ||
      !((value = json_node_get_double (node)) > above && value <= max))
    return invalid (error, path, key, "expected a number above %g and at most %g", above, max);
  *out = value;
  return TRUE;
}

gboolean
vt_json_get_choice (JsonObject          *object,
                    const char          *path,
                    const char          *key,
                    const char * const  *choices,
                    int                 *out,
                    GError             **error)
{
  g_autofree char *word = NULL;

  if (!json_object_has_member (object, key))
    return TRUE;
  if (!vt_json_get_string (object, path, key, TRUE, &word, error))
    return FALSE;
  for (int i = 0; choices[i]; i++)
    if (g_str_equal (choices[i], word))
      {
        *out = i;
        return TRUE;
      }
  {
    g_autofree char *known = g_strjoinv (", ", (char **) choices);
    return invalid (error, path, key, "“%s” is not one of %s", word, known);
  }
}
