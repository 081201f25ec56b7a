/* vt-zero-shot.h: classifying an image with CLIP over class names the user
 * gives: each name goes into a prompt ("a photo of a {}."), the text tower
 * embeds the prompts, and the probabilities are the softmax of
 * exp(logit_scale) · cos(image, prompt), as CLIP's own zero-shot does. */
#pragma once

#include "models/vt-model.h"
#include "models/vt-tokenizer.h"

G_BEGIN_DECLS

#define VT_DEFAULT_PROMPT "a photo of a {}."

/* Whether @model has both CLIP towers and a logit scale. */
gboolean  vt_zero_shot_supported   (VtModel             *model);

/* The text embeddings (n, embed_dim), normalized, of the prompts of the n
 * @classes (NULL-terminated; "{}" in @prompt is where a name goes): the
 * head of a zero-shot classifier over image embeddings. */
gboolean  vt_zero_shot_class_embeddings (VtModel             *model,
                                         VtTokenizer         *tokenizer,
                                         const char * const  *classes,
                                         const char          *prompt,
                                         float               *embeddings,
                                         GError             **error);

/* pixels (3, S, S), preprocessed; @classes NULL-terminated; @prompt holds
 * "{}" where a class name goes. Writes one probability per class. */
gboolean  vt_zero_shot_classify    (VtModel             *model,
                                    VtTokenizer         *tokenizer,
                                    const float         *pixels,
                                    const char * const  *classes,
                                    const char          *prompt,
                                    double              *probabilities,
                                    GError             **error);

G_END_DECLS
