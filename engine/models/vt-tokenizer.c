/* vt-tokenizer.c: CLIP's BPE. */
#include "vt-tokenizer.h"
#include "core/vt-json.h"
#include "io/vt-file.h"

#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (vt-tokenizer-error-quark, vt_tokenizer_error)

#define START_OF_TEXT "<|startoftext|>"
#define END_OF_TEXT "<|endoftext|>"
/* OpenAI's file holds more merges than the model uses: 49152 - 256 - 2. */
#define CLIP_MERGES 48894

struct _VtTokenizer
{
  char        *byte_char[256];   /* byte -> the printable character standing for it */
  GHashTable  *encoder;          /* token string -> id */
  GHashTable  *ranks;            /* "first second" -> merge rank */
  GHashTable  *cache;            /* word -> GArray of ids */
  GHashTable  *decoder;          /* id -> token string, made on the first label asked for */
  GMutex       cache_lock;       /* workers may tokenize at once */
  gint64       sot;
  gint64       eot;
};

void
vt_tokenizer_free (VtTokenizer *self)
{
  if (self == NULL)
    return;
  for (int i = 0; i < 256; i++)
    g_free (self->byte_char[i]);
  g_clear_pointer (&self->encoder, g_hash_table_unref);
  g_clear_pointer (&self->ranks, g_hash_table_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->decoder, g_hash_table_unref);
  g_mutex_clear (&self->cache_lock);
  g_free (self);
}

/* GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest
 * map to code points from 256 up. Returns the byte order of the vocabulary. */
static void
init_byte_chars (VtTokenizer *self,
                 int          order[256])
{
  gboolean printable[256] = { FALSE };
  int n = 0, extra = 0;

  for (int b = '!'; b <= '~'; b++) printable[b] = TRUE;
  for (int b = 0xA1; b <= 0xAC; b++) printable[b] = TRUE;
  for (int b = 0xAE; b <= 0xFF; b++) printable[b] = TRUE;
  for (int b = 0; b < 256; b++)
    if (printable[b])
      order[n++] = b;
  for (int b = 0; b < 256; b++)
    if (!printable[b])
      order[n++] = b;
  for (int i = 0; i < 256; i++)
    {
      int b = order[i];
      gunichar c = printable[b] ? (gunichar) b : (gunichar) (256 + extra++);
      char buffer[8] = { 0 };

      g_unichar_to_utf8 (c, buffer);
      self->byte_char[b] = g_strdup (buffer);
    }
}

static VtTokenizer *
tokenizer_alloc (void)
{
  VtTokenizer *self = g_new0 (VtTokenizer, 1);

  self->encoder = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_mutex_init (&self->cache_lock);
  return self;
}

/* OpenAI's merges file inflates to 3 MiB; anything far larger is not one,
 * and inflating it whole could take all memory (a gzip bomb). */
#define MAX_MERGES_BYTES ((gsize) 32 << 20)

/* The inflated file, NUL-terminated. */
static char *
read_gzip (const char  *path,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *compressed = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GZlibDecompressor) gunzip = NULL;
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GByteArray) text = g_byte_array_new ();
  gsize length;
  guint8 chunk[65536];
  gssize got;

  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &compressed, &length, &local_error))
    {
      g_set_error_literal (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_READ, local_error->message);
      return NULL;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&compressed), length);
  raw = g_memory_input_stream_new_from_bytes (bytes);
  gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  stream = g_converter_input_stream_new (raw, G_CONVERTER (gunzip));
  /* Read by hand rather than splice: splice would inflate without a limit. */
  while ((got = g_input_stream_read (stream, chunk, sizeof chunk, NULL, &local_error)) > 0)
    {
      if (text->len + (gsize) got > MAX_MERGES_BYTES)
        {
          g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT,
                       "%s: inflates to more than %" G_GSIZE_FORMAT " MiB; not a BPE merges file",
                       path, MAX_MERGES_BYTES >> 20);
          return NULL;
        }
      g_byte_array_append (text, chunk, (guint) got);
    }
  if (got < 0)
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT,
                   "%s: not a gzip'd BPE merges file (bpe_simple_vocab_16e6.txt.gz): %s", path, local_error->message);
      return NULL;
    }
  g_byte_array_append (text, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&text), FALSE);
}

/* Merge lines "a b"; returns how many were taken, or -1 on a bad line. */
static int
add_merges (VtTokenizer  *self,
            char        **lines,
            guint         first,
            guint         count)
{
  guint n = 0;

  for (guint i = first; lines[i] && n < count; i++)
    {
      char *space;

      if (lines[i][0] == '\0')
        continue;
      space = strchr (lines[i], ' ');
      if (space == NULL || strchr (space + 1, ' ') != NULL)
        return -1;
      g_hash_table_insert (self->ranks, g_strdup (lines[i]), GINT_TO_POINTER (n + 1));
      n++;
    }
  return (int) n;
}

VtTokenizer *
vt_tokenizer_new_from_bpe_file (const char  *merges_gz,
                                GError     **error)
{
  g_autoptr(VtTokenizer) self = tokenizer_alloc ();
  g_autofree char *text = read_gzip (merges_gz, error);
  g_auto(GStrv) lines = NULL;
  int order[256];
  gint64 id = 0;

  if (text == NULL)
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  init_byte_chars (self, order);

  /* The vocabulary: the 256 byte characters, the same with "</w>", every
   * merge's result, then the two special tokens. */
  for (int i = 0; i < 256; i++)
    g_hash_table_insert (self->encoder, g_strdup (self->byte_char[order[i]]), GINT_TO_POINTER (id++));
  for (int i = 0; i < 256; i++)
    g_hash_table_insert (self->encoder, g_strconcat (self->byte_char[order[i]], "</w>", NULL), GINT_TO_POINTER (id++));
  if (g_strv_length (lines) < 2 || add_merges (self, lines, 1, CLIP_MERGES) != CLIP_MERGES)
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT,
                   "%s: expected %d BPE merges of two symbols each", merges_gz, CLIP_MERGES);
      return NULL;
    }
  for (guint i = 1; i <= CLIP_MERGES; i++)
    {
      g_auto(GStrv) pair = g_strsplit (lines[i], " ", 2);
      g_hash_table_insert (self->encoder, g_strconcat (pair[0], pair[1], NULL), GINT_TO_POINTER (id++));
    }
  self->sot = id;
  g_hash_table_insert (self->encoder, g_strdup (START_OF_TEXT), GINT_TO_POINTER (id++));
  self->eot = id;
  g_hash_table_insert (self->encoder, g_strdup (END_OF_TEXT), GINT_TO_POINTER (id++));
  return g_steal_pointer (&self);
}

VtTokenizer *
vt_tokenizer_new_from_hf (const char  *vocab_json,
                          const char  *merges_txt,
                          GError     **error)
{
  g_autoptr(VtTokenizer) self = tokenizer_alloc ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *merges = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(JsonNode) root = NULL;
  int order[256];
  gpointer sot, eot;

  init_byte_chars (self, order);
  root = vt_json_load_file (vocab_json, &local_error);
  if (root == NULL)
    {
      g_set_error_literal (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT, local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT, "%s: not a JSON object of token ids",
                   vocab_json);
      return NULL;
    }
  members = json_object_get_members (json_node_get_object (root));
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (json_node_get_object (root), l->data);
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64)
        {
          g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT, "%s: the id of “%s” is not an integer",
                       vocab_json, (const char *) l->data);
          return NULL;
        }
      g_hash_table_insert (self->encoder, g_strdup (l->data), GINT_TO_POINTER ((int) json_node_get_int (value)));
    }
  if (!g_hash_table_lookup_extended (self->encoder, START_OF_TEXT, NULL, &sot) ||
      !g_hash_table_lookup_extended (self->encoder, END_OF_TEXT, NULL, &eot))
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT, "%s: no %s or %s token",
                   vocab_json, START_OF_TEXT, END_OF_TEXT);
      return NULL;
    }
  self->sot = GPOINTER_TO_INT (sot);
  self->eot = GPOINTER_TO_INT (eot);

  if (!vt_file_get_contents (merges_txt, VT_FILE_MAX_TEXT_SIZE, &merges, NULL, &local_error))
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_READ, "%s", local_error->message);
      return NULL;
    }
  lines = g_strsplit (merges, "\n", -1);
  /* The first line is a "#version" header. */
  if (add_merges (self, lines, g_str_has_prefix (lines[0], "#") ? 1 : 0, G_MAXUINT) < 0)
    {
      g_set_error (error, VT_TOKENIZER_ERROR, VT_TOKENIZER_ERROR_FORMAT, "%s: a merge line is not two symbols", merges_txt);
      return NULL;
    }
  return g_steal_pointer (&self);
}

guint
vt_tokenizer_get_vocab_size (VtTokenizer *self)
{
  return g_hash_table_size (self->encoder);
}

/* html.unescape for the entities text from the web carries: numeric ones
 * and the common named ones. */
static char *
html_unescape (const char *text)
{
  static const struct { const char *name; const char *text; } named[] = {
    { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" }, { "apos;", "'" },
    { "nbsp;", "\xc2\xa0" }, { "ndash;", "\xe2\x80\x93" }, { "mdash;", "\xe2\x80\x94" },
    { "hellip;", "\xe2\x80\xa6" }, { "rsquo;", "\xe2\x80\x99" }, { "lsquo;", "\xe2\x80\x98" },
    { "rdquo;", "\xe2\x80\x9d" }, { "ldquo;", "\xe2\x80\x9c" }, { "copy;", "\xc2\xa9" },
  };
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; )
    {
      gboolean done = FALSE;

      if (*p == '&' && p[1] == '#')
        {
          gboolean hex = p[2] == 'x' || p[2] == 'X';
          char *end = NULL;
          guint64 code = g_ascii_strtoull (p + (hex ? 3 : 2), &end, hex ? 16 : 10);

          if (end != p + (hex ? 3 : 2) && g_unichar_validate ((gunichar) code) && code > 0)
            {
              g_string_append_unichar (out, (gunichar) code);
              p = *end == ';' ? end + 1 : end;
              done = TRUE;
            }
        }
      else if (*p == '&')
        for (guint i = 0; i < G_N_ELEMENTS (named) && !done; i++)
          if (g_str_has_prefix (p + 1, named[i].name))
            {
              g_string_append (out, named[i].text);
              p += 1 + strlen (named[i].name);
              done = TRUE;
            }
      if (!done)
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

/* basic_clean + whitespace_clean + lower(), as OpenCLIP's tokenizer does. */
static char *
clean (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *once = html_unescape (valid);
  g_autofree char *twice = html_unescape (once);
  g_autofree char *lower = g_utf8_strdown (twice, -1);
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = lower; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isspace (c))
        space = TRUE;
      else
        {
          if (space && out->len > 0)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_unichar (out, c);
        }
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_letter (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_UPPERCASE_LETTER: case G_UNICODE_LOWERCASE_LETTER: case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER: case G_UNICODE_OTHER_LETTER:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_number (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);
  return t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_LETTER_NUMBER || t == G_UNICODE_OTHER_NUMBER;
}

/* CLIP's pattern: <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d
 * | letters+ | one number | [^space letter number]+; spaces separate.
 * Returns the length in bytes of the piece at @p, 0 for a space. */
static gsize
next_piece (const char *p)
{
  static const char *fixed[] = { START_OF_TEXT, END_OF_TEXT, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };
  gunichar c = g_utf8_get_char (p);
  const char *q = p;

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    if (g_str_has_prefix (p, fixed[i]))
      return strlen (fixed[i]);
  if (g_unichar_isspace (c))
    return 0;
  if (is_number (c))
    return g_utf8_next_char (p) - p;
  if (is_letter (c))
    {
      while (*q && is_letter (g_utf8_get_char (q)))
        q = g_utf8_next_char (q);
      return q - p;
    }
  while (*q)
    {
      gunichar d = g_utf8_get_char (q);
      if (g_unichar_isspace (d) || is_letter (d) || is_number (d))
        break;
      q = g_utf8_next_char (q);
    }
  return q - p;
}

static int
rank_of (VtTokenizer *self,
         const char  *a,
         const char  *b)
{
  g_autofree char *key = g_strconcat (a, " ", b, NULL);
  return GPOINTER_TO_INT (g_hash_table_lookup (self->ranks, key));   /* 0: no such merge */
}

/* Byte-pair merges of one piece, lowest rank first, as CLIP's bpe(). */
static GArray *
bpe (VtTokenizer *self,
     const char  *piece,
     gsize        length)
{
  g_autoptr(GPtrArray) word = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *key = g_strndup (piece, length);
  GArray *ids;

  g_mutex_lock (&self->cache_lock);
  ids = g_hash_table_lookup (self->cache, key);
  if (ids != NULL)
    g_array_ref (ids);
  g_mutex_unlock (&self->cache_lock);
  if (ids != NULL)
    return ids;

  for (gsize i = 0; i < length; i++)
    g_ptr_array_add (word, g_strdup (self->byte_char[(guint8) piece[i]]));
  {
    char *last = g_ptr_array_index (word, word->len - 1);
    word->pdata[word->len - 1] = g_strconcat (last, "</w>", NULL);
    g_free (last);
  }

  while (word->len > 1)
    {
      int best = 0;
      guint at = 0;

      for (guint i = 0; i + 1 < word->len; i++)
        {
          int r = rank_of (self, g_ptr_array_index (word, i), g_ptr_array_index (word, i + 1));
          if (r > 0 && (best == 0 || r < best))
            {
              best = r;
              at = i;
            }
        }
      if (best == 0)
        break;
      /* Merge every occurrence of the winning pair, left to right. */
      {
        g_autofree char *first = g_strdup (g_ptr_array_index (word, at));
        g_autofree char *second = g_strdup (g_ptr_array_index (word, at + 1));
        GPtrArray *merged = g_ptr_array_new_with_free_func (g_free);

        for (guint i = 0; i < word->len; )
          {
            if (i + 1 < word->len && g_str_equal (g_ptr_array_index (word, i), first) &&
                g_str_equal (g_ptr_array_index (word, i + 1), second))
              {
                g_ptr_array_add (merged, g_strconcat (first, second, NULL));
                i += 2;
              }
            else
              {
                g_ptr_array_add (merged, g_strdup (g_ptr_array_index (word, i)));
                i++;
              }
          }
        g_ptr_array_unref (word);
        word = merged;
      }
    }

  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < word->len; i++)
    {
      gpointer id;
      if (g_hash_table_lookup_extended (self->encoder, g_ptr_array_index (word, i), NULL, &id))
        {
          gint64 v = GPOINTER_TO_INT (id);
          g_array_append_val (ids, v);
        }
    }
  g_mutex_lock (&self->cache_lock);
  g_hash_table_replace (self->cache, g_steal_pointer (&key), g_array_ref (ids));
  g_mutex_unlock (&self->cache_lock);
  return ids;
}

GArray *
vt_tokenizer_encode (VtTokenizer *self,
                     const char  *text)
{
  g_autofree char *cleaned = clean (text);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (const char *p = cleaned; *p; )
    {
      gsize n = next_piece (p);

      if (n == 0)
        {
          p = g_utf8_next_char (p);
          continue;
        }
      if (n == strlen (START_OF_TEXT) && g_str_has_prefix (p, START_OF_TEXT))
        g_array_append_val (ids, self->sot);
      else if (n == strlen (END_OF_TEXT) && g_str_has_prefix (p, END_OF_TEXT))
        g_array_append_val (ids, self->eot);
      else
        {
          g_autoptr(GArray) piece = bpe (self, p, n);
          g_array_append_vals (ids, piece->data, piece->len);
        }
      p += n;
    }
  return ids;
}

void
vt_tokenizer_tokenize (VtTokenizer *self,
                       const char  *text,
                       int          context_length,
                       gint64      *out)
{
  g_autoptr(GArray) ids = vt_tokenizer_encode (self, text);
  int n = 0;

  memset (out, 0, sizeof (gint64) * context_length);
  out[n++] = self->sot;
  for (guint i = 0; i < ids->len && n < context_length; i++)
    out[n++] = g_array_index (ids, gint64, i);
  if (n < context_length)
    out[n++] = self->eot;
  else
    out[context_length - 1] = self->eot;
}

/* The byte a printable vocabulary character stands for, or -1. */
static int
byte_of_char (VtTokenizer *self,
              const char  *utf8,
              int          length)
{
  for (int b = 0; b < 256; b++)
    if ((int) strlen (self->byte_char[b]) == length && memcmp (self->byte_char[b], utf8, length) == 0)
      return b;
  return -1;
}

char *
vt_tokenizer_token_label (VtTokenizer *self,
                          gint64       id)
{
  const char *token;
  gsize length;
  gboolean word_end;
  g_autoptr(GString) bytes = NULL;

  if (id < 0 || id > G_MAXINT)
    return NULL;
  g_mutex_lock (&self->cache_lock);
  if (self->decoder == NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      self->decoder = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_iter_init (&iter, self->encoder);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->decoder, value, key);
    }
  token = g_hash_table_lookup (self->decoder, GINT_TO_POINTER ((int) id));
  g_mutex_unlock (&self->cache_lock);

  if (token == NULL)
    return NULL;
  if (id == self->sot || id == self->eot)
    return g_strdup (token);
  bytes = g_string_new (NULL);
  length = strlen (token);
  word_end = g_str_has_suffix (token, "</w>");
  if (word_end)
    length -= strlen ("</w>");
  /* Each character of the token stands for one byte (GPT-2's mapping). */
  for (const char *p = token; p < token + length; p = g_utf8_next_char (p))
    {
      int b = byte_of_char (self, p, (int) (g_utf8_next_char (p) - p));

      if (b >= 0)
        g_string_append_c (bytes, (char) b);
    }
  if (!word_end)
    g_string_append (bytes, "\302\267");   /* U+00B7 MIDDLE DOT */
  return g_utf8_make_valid (bytes->str, -1);
}
