/* vt-attention-maps.h: attention maps of one image, from the per-layer,
 * per-head attention probabilities a ViT's forward pass taps
 * ("blocks.i.attn_probs", each heads × T × T, rows summing to 1).
 *
 * T tokens are the prefix tokens (the class token first, then DeiT's
 * distillation token) followed by the patches, row-major over the grid.
 * Row q of a matrix is where token q attends (q is the query, the column
 * the key). Everything here works on one image at a time; the `attention`
 * step loops over a batch. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_ATTENTION_ERROR (vt_attention_error_quark ())
GQuark vt_attention_error_quark (void);

typedef enum
{
  VT_ATTENTION_ERROR_INVALID,   /* options out of range: a start layer, a discard ratio */
} VtAttentionError;

/* How the heads of one layer become one T × T matrix: their elementwise
 * mean, maximum or minimum (vit-explain's three choices). */
typedef enum
{
  VT_HEAD_FUSION_MEAN,
  VT_HEAD_FUSION_MAX,
  VT_HEAD_FUSION_MIN,
} VtHeadFusion;

/* "mean", "max", "min": the names in a spec and in results.json. */
const char *vt_head_fusion_name       (VtHeadFusion  fusion);

typedef struct
{
  VtHeadFusion  fusion;
  /* In [0, 1): the share of each fused matrix's entries set to 0 before
   * the identity is added, lowest first (see vt_attention_rollout). */
  double        discard_ratio;
  /* The first layer in the product; 0 is the first block. */
  int           start_layer;
  /* Reproduce jacobgil/vit-explain's vit_rollout.py instead of the correct
   * rollout: see vt_attention_rollout. */
  gboolean      compat;
} VtRolloutOptions;

/* Mean fusion, no discard, from layer 0, not compat. */
void        vt_rollout_options_init   (VtRolloutOptions *options);

/* probs (heads, T, T) -> out (T, T). */
void        vt_attention_fuse_heads   (const float      *probs,
                                       int               heads,
                                       int               tokens,
                                       VtHeadFusion      fusion,
                                       float            *out);

/* Attention rollout (Abnar & Zuidema 2020) over @n_layers layers, each
 * (heads, T, T), into out (T, T):
 *
 *   for l = start_layer … n_layers − 1:
 *     F  = the heads of layer l fused;
 *     drop: the ⌊discard_ratio · (T − 1)²⌋ lowest entries F[q, k] with
 *           q ≥ 1 and k ≥ 1 become 0, so the class token's row (where it
 *           attends) and column (what attends to it) are never dropped;
 *           ties go lowest row-major index first;
 *     A' = F + I, each row divided by its own sum (rows sum to 1);
 *     R  = A' · R   (R starts as I; later layers multiply on the left).
 *
 * Row 0 of R is then how much the class token's output draws on each
 * input token, through the residual paths as well as attention.
 *
 * With options->compat, each layer is what vit-explain's rollout() does
 * for a batch of one image instead (its issue #16):
 *     drop: the ⌊discard_ratio · T²⌋ lowest of all T² entries (ties lowest
 *           index first), except entry [0, 0] when it is among them, so
 *           the rest of the class token's row and column may go;
 *     A' = (F + I) / 2, then A'[q, k] divided by the sum of row k (not of
 *           row q: PyTorch broadcasts its (1, T) row sums along the last
 *           axis), so rows do not sum to 1;
 *     R  = A' · R.
 * vit-explain then divides the class row's patches by their maximum; the
 * caller does that (the matrix here is the product itself).
 *
 * FALSE with an error when start_layer is not in [0, n_layers) or the
 * ratio not in [0, 1). */
gboolean    vt_attention_rollout      (const float * const     *layers,
                                       int                      n_layers,
                                       int                      heads,
                                       int                      tokens,
                                       const VtRolloutOptions  *options,
                                       float                   *out,
                                       GError                 **error);

/* Row @query of matrix (T, T) over the patches, the columns after the
 * @prefix_tokens prefix tokens: out (T − prefix_tokens). */
void        vt_attention_token_map    (const float      *matrix,
                                       int               tokens,
                                       int               prefix_tokens,
                                       int               query,
                                       float            *out);
/* The class token's row (query 0) over the patches; @prefix_tokens is 1
 * for a class token, 2 with DeiT's distillation token. */
void        vt_attention_class_map    (const float      *matrix,
                                       int               tokens,
                                       int               prefix_tokens,
                                       float            *out);

/* DINO's mask (its visualize_attention.py): map (n) non-negative; mask (n)
 * is 1 for the patches that hold @share of the map's mass, 0 elsewhere.
 * The values are sorted ascending, divided by their sum, and a patch is
 * kept when the running sum up to and including it exceeds 1 − share,
 * so the smallest ones, holding at most 1 − share together, go. Equal
 * values are ordered by index, lowest first. A map that sums to 0 keeps
 * nothing. */
void        vt_attention_mass_mask    (const float      *map,
                                       int               n,
                                       double            share,
                                       float            *mask);

/* grid (gh, gw) -> out (out_h, out_w), bilinear with half-pixel centres
 * (F.interpolate(mode="bilinear", align_corners=False)). */
void        vt_attention_upsample     (const float      *grid,
                                       int               gh,
                                       int               gw,
                                       int               out_h,
                                       int               out_w,
                                       float            *out);

G_END_DECLS
