/* fuzz-tokenizer.c: libFuzzer harness for the tokenizer's vocabulary files
 * (vt-tokenizer.c) and for the text it tokenizes.
 *
 * The input, cut at FUZZ_SPLIT, is a Hugging Face vocab.json, its
 * merges.txt, and a text. A vocabulary that loads then tokenizes the text
 * (encode and tokenize, context 77). The whole input also goes in as an
 * OpenAI bpe .txt.gz twice: as it is (mostly not gzip, so the decompressor's
 * errors) and gzip'd by the harness (the merges reader itself). */
#include "fuzz-util.h"

#include <zlib.h>

#include "models/vt-tokenizer.h"

static void
tokenize (VtTokenizer   *tokenizer,
          const uint8_t *text,
          size_t         size)
{
  g_autofree char *string = g_strndup ((const char *) text, size);
  g_autoptr(GArray) ids = NULL;
  gint64 out[77];

  /* Text reaches the tokenizer as UTF-8 (GTK entries, JSON strings). */
  if (!g_utf8_validate (string, -1, NULL))
    return;
  ids = vt_tokenizer_encode (tokenizer, string);
  g_assert (ids != NULL);
  vt_tokenizer_tokenize (tokenizer, string, 77, out);
}

static void
load_bpe (const char    *name,
          const uint8_t *data,
          size_t         size)
{
  g_autofree char *path = fuzz_write_file (name, data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTokenizer) tokenizer = vt_tokenizer_new_from_bpe_file (path, &error);

  if (tokenizer == NULL && !fuzz_error_names (error, path))
    g_error ("the message does not name %s: %s", path, error->message);
}

/* @data as a gzip member. */
static GBytes *
gzip (const uint8_t *data,
      size_t         size)
{
  z_stream z = { 0 };
  gsize bound;
  guint8 *out;

  if (deflateInit2 (&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    g_error ("deflateInit2 failed");
  bound = deflateBound (&z, size);
  out = g_malloc (bound);
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) size;
  z.next_out = out;
  z.avail_out = (uInt) bound;
  if (deflate (&z, Z_FINISH) != Z_STREAM_END)
    g_error ("deflate failed");
  deflateEnd (&z);
  return g_bytes_new_take (out, z.total_out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *parts[3];
  size_t sizes[3];
  g_autofree char *vocab = NULL;
  g_autofree char *merges = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(GBytes) zipped = gzip (data, size);

  fuzz_split (data, size, 3, parts, sizes);
  vocab = fuzz_write_file ("vocab.json", parts[0], sizes[0]);
  merges = fuzz_write_file ("merges.txt", parts[1], sizes[1]);
  tokenizer = vt_tokenizer_new_from_hf (vocab, merges, &error);
  if (tokenizer == NULL)
    g_assert (fuzz_error_names (error, vocab) || fuzz_error_names (error, merges));
  else
    {
      g_assert (vt_tokenizer_get_vocab_size (tokenizer) > 0);
      tokenize (tokenizer, parts[2] ? parts[2] : (const uint8_t *) "a photo of a cat", parts[2] ? sizes[2] : 16);
    }

  load_bpe ("raw.txt.gz", data, size);
  load_bpe ("zipped.txt.gz", g_bytes_get_data (zipped, NULL), g_bytes_get_size (zipped));
  return 0;
}
