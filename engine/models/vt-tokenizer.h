/* vt-tokenizer.h: CLIP's byte-level BPE tokenizer, as OpenAI and OpenCLIP
 * run it: clean the text (HTML entities unescaped twice, whitespace
 * collapsed, lower-cased), split it with CLIP's pattern, map bytes to
 * printable characters, merge pairs by rank, then wrap in <|startoftext|> …
 * <|endoftext|>, cut to the context length (keeping the end token last) and
 * pad with 0.
 *
 * The vocabulary comes from bpe_simple_vocab_16e6.txt.gz (OpenAI/OpenCLIP),
 * or from a Hugging Face vocab.json + merges.txt pair. ftfy's repairs of
 * broken Unicode are not reproduced; HTML unescaping knows the common named
 * entities and every numeric one. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VT_TOKENIZER_ERROR (vt_tokenizer_error_quark ())
GQuark vt_tokenizer_error_quark (void);

typedef enum
{
  VT_TOKENIZER_ERROR_READ,
  VT_TOKENIZER_ERROR_FORMAT,
} VtTokenizerError;

typedef struct _VtTokenizer VtTokenizer;

VtTokenizer *vt_tokenizer_new_from_bpe_file (const char   *merges_gz,
                                             GError      **error);
VtTokenizer *vt_tokenizer_new_from_hf       (const char   *vocab_json,
                                             const char   *merges_txt,
                                             GError      **error);
void         vt_tokenizer_free              (VtTokenizer  *self);

guint        vt_tokenizer_get_vocab_size    (VtTokenizer  *self);

/* The BPE ids of @text, without start/end tokens. */
GArray      *vt_tokenizer_encode            (VtTokenizer  *self,
                                             const char   *text);
/* [SOT] + ids + [EOT], cut to @context_length with EOT last, padded with 0:
 * exactly @context_length ids written to @out. */
void         vt_tokenizer_tokenize          (VtTokenizer  *self,
                                             const char   *text,
                                             int           context_length,
                                             gint64       *out);

/* How token @id reads on an axis: its bytes as text (a byte sequence that
 * is not UTF-8 gets U+FFFD), "</w>" (the end of a word) dropped and a piece
 * that goes on into the next token marked with a trailing "·"; the start
 * and end tokens as <|startoftext|> and <|endoftext|>. NULL for an id
 * outside the vocabulary. */
char        *vt_tokenizer_token_label       (VtTokenizer  *self,
                                             gint64        id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTokenizer, vt_tokenizer_free)

G_END_DECLS
