/* bench-json.c: what vt_json_parse's checks (the depth scan and the
 * repeated-key signals) cost over json-glib's parser alone.
 *
 *   bench-json FILE             a JSON file, or a .safetensors file's header
 *   bench-json --members N      one object of N "tokenI": I members, the
 *                               shape of a vocab.json (CLIP's has 49,408)
 *
 * Prints the best of 15 alternating runs of each, in milliseconds, as JSON.
 * A benchmark, not a test. */
#include <stdlib.h>
#include <string.h>

#include "core/vt-json.h"

static char *
synthetic_vocab (guint n)
{
  GString *text = g_string_new ("{");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s\"token%u\": %u", i ? ", " : "", i, i);
  g_string_append (text, "}");
  return g_string_free (text, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;
  gsize length;
  double best_glib = G_MAXDOUBLE, best_vt = G_MAXDOUBLE;

  if (argc == 3 && g_str_equal (argv[1], "--members"))
    {
      contents = synthetic_vocab ((guint) atoi (argv[2]));
      text = contents;
      length = strlen (contents);
    }
  else if (argc == 2 && g_file_get_contents (argv[1], &contents, &length, &error))
    {
      text = contents;
      if (g_str_has_suffix (argv[1], ".safetensors") && length >= 8)
        {
          guint64 header;

          memcpy (&header, contents, 8);
          header = GUINT64_FROM_LE (header);
          g_assert (header <= length - 8);
          text = contents + 8;
          length = header;
        }
    }
  else
    {
      g_printerr ("usage: bench-json FILE | bench-json --members N%s%s\n",
                  error ? ": " : "", error ? error->message : "");
      return 2;
    }

  for (guint i = 0; i < 15; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonNode) node = NULL;
      gint64 t0, t1, t2;

      t0 = g_get_monotonic_time ();
      g_assert (json_parser_load_from_data (parser, text, (gssize) length, NULL));
      g_clear_object (&parser);
      t1 = g_get_monotonic_time ();
      node = vt_json_parse (text, (gssize) length, "bench", &error);
      g_assert_no_error (error);
      g_clear_pointer (&node, json_node_unref);
      t2 = g_get_monotonic_time ();
      best_glib = MIN (best_glib, (t1 - t0) / 1e3);
      best_vt = MIN (best_vt, (t2 - t1) / 1e3);
    }
  g_print ("{\"bytes\": %" G_GSIZE_FORMAT ", \"json_glib_ms\": %.2f, \"vt_json_ms\": %.2f}\n",
           length, best_glib, best_vt);
  return 0;
}
