/* vt-predict.h: what a model says an image is.
 *
 * A classifier's probabilities are the softmax of its logits (in double,
 * as PyTorch's softmax of the float logits rounds them); a CLIP model's
 * are its zero-shot probabilities over class names the caller gives
 * (vt-zero-shot.h). The Predict area and the "predict" step share this. */
#pragma once

#include "models/vt-model.h"
#include "models/vt-tokenizer.h"
#include "models/vt-zero-shot.h"

G_BEGIN_DECLS

/* @probabilities (n) = softmax (@logits (n)), computed in double. */
void          vt_predict_softmax        (const float         *logits,
                                         guint                n,
                                         double              *probabilities);

/* The indices of the @k largest of @values (n), largest first; a tie goes
 * to the lower index. @k ≤ n. */
void          vt_predict_top            (const double        *values,
                                         guint                n,
                                         guint                k,
                                         guint               *top);

/* @pixels: one preprocessed image (3, @size, @size).
 * Without @classes: the model's own classes (num_classes probabilities).
 * With @classes (NULL-terminated, CLIP only): a probability per class,
 * each name put into @prompt where "{}" is, scored by @tokenizer's
 * tokens through the text tower. */
gboolean      vt_predict_image          (VtModel             *model,
                                         VtTokenizer         *tokenizer,
                                         const char * const  *classes,
                                         const char          *prompt,
                                         const float         *pixels,
                                         int                  size,
                                         double              *probabilities,
                                         GError             **error);

/* The tokenizer a CLIP checkpoint's text tower takes: the Hugging Face
 * vocab.json + merges.txt in its folder where it ships them, else the
 * OpenAI vocabulary Vitrine installs (data/clip), which OpenAI and
 * OpenCLIP checkpoints share. @source (may be NULL) gets the file used. */
VtTokenizer  *vt_predict_load_tokenizer (VtModel             *model,
                                         char               **source,
                                         GError             **error);

G_END_DECLS
