/* vt-text-attention.h: a CLIP text tower's token × token attention of one
 * prompt, every layer's and head's, with the tokens' labels.
 *
 * The prompt is tokenized as the model's zero-shot prompts are and run
 * through the text tower cut to its own tokens (the start token, the
 * words' tokens, the end token): under causal attention no token sees a
 * later one, so the cut changes nothing (tests/reference/
 * make_text_attention_fixture.py cuts the full context's attention and
 * test-attention finds ours equal). Row q of a matrix is where token q
 * attends; everything above the diagonal is 0. Heads are fused with
 * vt_attention_fuse_heads (vt-attention-maps.h). */
#pragma once

#include "methods/attribution/vt-attention-maps.h"
#include <json-glib/json-glib.h>

#include "io/vt-checkpoint.h"
#include "models/vt-model.h"
#include "models/vt-tokenizer.h"

G_BEGIN_DECLS

typedef struct
{
  int      layers;
  int      heads;
  int      tokens;    /* T */
  gint64  *ids;       /* (T) */
  char   **labels;    /* T labels (vt_tokenizer_token_label), NULL-terminated */
  float   *probs;     /* (layers, heads, T, T) */
} VtTextAttention;

/* Whether @model has a CLIP text tower to look into. */
gboolean          vt_text_attention_supported (VtModel          *model);

/* NULL with an error when the model has no text tower or the
 * prompt is empty of text. A prompt longer than the context is cut there,
 * its end token last, as the tokenizer cuts it. */
VtTextAttention  *vt_text_attention_compute   (VtModel          *model,
                                               VtTokenizer      *tokenizer,
                                               const char       *prompt,
                                               GError          **error);
/* The attention an `attention` step wrote for its prompt, read back: the
 * labels, ids, layers and heads from @text (its results' "text" object)
 * and every layer's text.blocks.N.heads (1, heads, T, T) from @maps. NULL
 * with an error naming @where or the maps file when a member is missing or
 * a tensor is not of that shape. */
VtTextAttention  *vt_text_attention_new_from_maps (VtCheckpoint     *maps,
                                                   JsonObject       *text,
                                                   const char       *where,
                                                   GError          **error);
void              vt_text_attention_free      (VtTextAttention  *self);

/* Layer @layer's heads (heads, T, T). */
const float      *vt_text_attention_layer     (const VtTextAttention *self,
                                               int                    layer);

/* Attention rollout over the prompt's layers from @start_layer up, into
 * out (T, T): each layer's heads fused by @fusion, the identity added, each
 * row divided by its sum, R = A' · R (vt_attention_rollout, with nothing
 * discarded: its discarding spares token 0, the class token of an image,
 * which here is only the start token). The product of causal matrices is
 * causal, so out stays 0 above the diagonal; its last row, the end
 * token's, is what the prompt's embedding (pooled there) draws on. FALSE
 * with an error naming the layer count when @start_layer does not exist. */
gboolean          vt_text_attention_rollout   (const VtTextAttention *self,
                                               VtHeadFusion           fusion,
                                               int                    start_layer,
                                               float                 *out,
                                               GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtTextAttention, vt_text_attention_free)

G_END_DECLS
