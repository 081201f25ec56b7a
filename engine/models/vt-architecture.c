/* vt-architecture.c: recognizing models by their tensor names and shapes.
 *
 * Each family has one function that looks for its anchor tensors and reads
 * the hyper-parameters off their shapes, the way the families' own loaders
 * do (OpenAI's build_model infers CLIP sizes the same way). */
#include "vt-architecture.h"
#include "core/vt-json.h"
#include "vt-transform.h"
#include "vt-tflite-net.h"
#include "io/vt-class-names.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  VtCheckpoint *checkpoint;
  const char   *prefix;
} Names;

static const VtTensor *
get (const Names *n,
     const char  *format,
     ...) G_GNUC_PRINTF (2, 3);

static const VtTensor *
get (const Names *n,
     const char  *format,
     ...)
{
  va_list args;
  g_autofree char *name = NULL;
  g_autofree char *full = NULL;

  va_start (args, format);
  name = g_strdup_vprintf (format, args);
  va_end (args);
  full = g_strconcat (n->prefix, name, NULL);
  return vt_checkpoint_lookup (n->checkpoint, full);
}

/* Dimension @i of @t, or 0 when the tensor is absent or too flat. */
static int
dim (const VtTensor *t,
     guint           i)
{
  return t != NULL && i < t->ndim ? (int) t->shape[i] : 0;
}

/* How many of format % 0, 1, 2, … exist, stopping at the first gap. */
static int
count_indexed (const Names *n,
               const char  *format)
{
  int i = 0;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  while (get (n, format, i) != NULL)
    i++;
#pragma GCC diagnostic pop
  return i;
}

static int
int_sqrt (int n)
{
  int r = (int) lround (sqrt ((double) n));
  return r * r == n ? r : 0;
}

/* A JSON object reached through dotted member names, or NULL. */
static JsonObject *
object_at (JsonObject *object,
           const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; object != NULL && parts[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (object, parts[i]);
      object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return object;
}

static int
int_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return (int) json_node_get_int (node);
}

/* A string member, or NULL: config files are input, so a member of the
 * wrong type is ignored rather than trusted. */
static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A boolean member: 1 true, 0 false, -1 absent or not a boolean. */
static int
bool_member (JsonObject *object,
             const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return -1;
  return json_node_get_boolean (node);
}

/* The writer's own settings, kept as JSON text in __metadata__ (timm's
 * create_model kwargs, OpenCLIP's model config). They are hints: text that
 * is not a JSON object (empty, nested too deep, a key twice) is ignored, as
 * if absent, and recognition goes on from the tensors. */
static JsonObject *
metadata_object (VtCheckpoint *checkpoint,
                 const char   *key,
                 JsonNode    **keep)
{
  const char *text = g_hash_table_lookup (vt_checkpoint_get_metadata (checkpoint), key);
  g_autoptr(JsonNode) root = text ? vt_json_parse (text, -1, NULL, NULL) : NULL;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  *keep = g_steal_pointer (&root);
  return json_node_get_object (*keep);
}

static void
set_heads (VtArchitecture *arch,
           int             from_config,
           int             from_metadata)
{
  if (from_config > 0)
    {
      arch->heads = from_config;
      arch->heads_source = N_("config.json");
    }
  else if (from_metadata > 0)
    {
      arch->heads = from_metadata;
      arch->heads_source = N_("checkpoint metadata");
    }
  else if (arch->width > 0 && arch->width % 64 == 0)
    {
      arch->heads = arch->width / 64;
      arch->heads_source = N_("assumed: width / 64");
    }
}

/* Class names from a timm ("label_names") or Hugging Face ("id2label")
 * config. */
static char **
read_class_names (JsonObject *config)
{
  JsonNode *node;

  if (config == NULL)
    return NULL;
  node = json_object_get_member (config, "label_names");
  if (node && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            return NULL;
          g_strv_builder_add (names, json_node_get_string (item));
        }
      return g_strv_builder_end (names);
    }

  node = json_object_get_member (config, "id2label");
  if (node && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *map = json_node_get_object (node);
      guint n = json_object_get_size (map);
      char **names = g_new0 (char *, n + 1);

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *key = g_strdup_printf ("%u", i);
          JsonNode *item = json_object_get_member (map, key);

          if (item == NULL || !JSON_NODE_HOLDS_VALUE (item) ||
              json_node_get_value_type (item) != G_TYPE_STRING)
            {
              g_strfreev (names);
              return NULL;
            }
          names[i] = g_strdup (json_node_get_string (item));
        }
      return names;
    }
  return NULL;
}

static const char *
vit_size_letter (int width)
{
  switch (width)
    {
    case 192: return "Ti";
    case 384: return "S";
    case 768: return "B";
    case 1024: return "L";
    case 1280: return "H";
    default: return NULL;
    }
}

static const char *
timm_vit_size_name (int width,
                    int depth)
{
  if (depth == 12 && width == 192) return "tiny";
  if (depth == 12 && width == 384) return "small";
  if (depth == 12 && width == 768) return "base";
  if (depth == 24 && width == 1024) return "large";
  return NULL;
}

/* Counts the blocks of each ResNet stage ("<prefix>layer1.N.conv1.weight", …)
 * into arch->stage_blocks; returns the total. */
static int
count_stages (const Names    *n,
              const char     *prefix,
              int             max_stages,
              VtArchitecture *arch)
{
  int total = 0;

  for (int s = 0; s < max_stages; s++)
    {
      g_autofree char *format = g_strdup_printf ("%slayer%d.%%d.conv1.weight", prefix, s + 1);
      arch->stage_blocks[s] = count_indexed (n, format);
      if (arch->stage_blocks[s] == 0)
        break;
      arch->n_stages++;
      total += arch->stage_blocks[s];
    }
  return total;
}

static gboolean
recognize_cifar_resnet (const Names *n,
                        VtArchitecture *arch)
{
  const VtTensor *conv1 = get (n, "conv1.weight");
  const VtTensor *linear = get (n, "linear.weight");
  int total = 0;

  if (dim (conv1, 2) != 3 || linear == NULL || get (n, "layer1.0.conv1.weight") == NULL ||
      get (n, "layer4.0.conv1.weight") != NULL)
    return FALSE;

  arch->family = VT_ARCH_CIFAR_RESNET;
  arch->family_name = g_strdup (N_("CIFAR ResNet (option A)"));
  arch->block = g_strdup ("BasicBlock");
  total = count_stages (n, "", 3, arch);
  arch->depth = 2 * total + 2;
  arch->width = dim (conv1, 0);
  arch->num_classes = dim (linear, 0);
  arch->num_features = dim (linear, 1);
  arch->image_size = 32;
  arch->pooling = g_strdup (N_("average"));
  arch->model_name = g_strdup_printf ("resnet%d", arch->depth);
  return TRUE;
}

static gboolean
recognize_resnet (const Names *n,
                  VtArchitecture *arch)
{
  const VtTensor *conv1 = get (n, "conv1.weight");
  const VtTensor *fc = get (n, "fc.weight");
  gboolean bottleneck;
  int total = 0;

  if (dim (conv1, 2) != 7 || get (n, "layer1.0.conv1.weight") == NULL)
    return FALSE;

  bottleneck = get (n, "layer1.0.conv3.weight") != NULL;
  arch->family = VT_ARCH_RESNET;
  arch->family_name = g_strdup (N_("torchvision / timm ResNet"));
  arch->block = g_strdup (bottleneck ? "Bottleneck" : "BasicBlock");
  total = count_stages (n, "", 4, arch);
  arch->depth = (bottleneck ? 3 : 2) * total + 2;
  arch->width = dim (conv1, 0);
  arch->num_classes = dim (fc, 0);
  arch->num_features = fc ? dim (fc, 1) : 0;
  arch->pooling = g_strdup (N_("average"));
  arch->model_name = g_strdup_printf ("resnet%d", arch->depth);
  return TRUE;
}

static gboolean
recognize_openclip (const Names    *n,
                    VtCheckpoint   *checkpoint,
                    VtArchitecture *arch)
{
  const VtTensor *pos = get (n, "visual.positional_embedding");
  const VtTensor *token = get (n, "token_embedding.weight");
  const VtTensor *text_pos = get (n, "positional_embedding");
  const VtTensor *text_proj = get (n, "text_projection");
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *config = vt_checkpoint_get_config (checkpoint);
  JsonObject *model_cfg = object_at (config, "model_cfg");
  JsonObject *meta_cfg = metadata_object (checkpoint, "open_clip_model_config", &keep);
  int grid;
  gboolean vit = get (n, "visual.class_embedding") != NULL && pos != NULL;
  gboolean modified_resnet = get (n, "visual.attnpool.positional_embedding") != NULL;

  if (!vit && !modified_resnet)
    return FALSE;

  arch->family = VT_ARCH_OPENCLIP;
  /* OpenCLIP records the activation; a bare OpenAI state dict has no
   * config, and OpenAI trained with QuickGELU. */
  arch->quick_gelu = bool_member (model_cfg, "quick_gelu") >= 0 ? bool_member (model_cfg, "quick_gelu")
                   : bool_member (meta_cfg, "quick_gelu") >= 0 ? bool_member (meta_cfg, "quick_gelu")
                   : TRUE;
  arch->text_quick_gelu = arch->quick_gelu;
  if (vit)
    {
      const VtTensor *conv1 = get (n, "visual.conv1.weight");
      const VtTensor *proj = get (n, "visual.proj");
      int meta_head_width = int_member (object_at (meta_cfg, "vision_cfg"), "head_width");
      int config_head_width = int_member (object_at (model_cfg, "vision_cfg"), "head_width");

      arch->family_name = g_strdup (N_("OpenAI / OpenCLIP CLIP (ViT)"));
      arch->width = dim (conv1, 0);
      arch->patch_size = dim (conv1, 2);
      arch->depth = count_indexed (n, "visual.transformer.resblocks.%d.attn.in_proj_weight");
      arch->mlp_width = dim (get (n, "visual.transformer.resblocks.0.mlp.c_fc.weight"), 0);
      grid = int_sqrt (dim (pos, 0) - 1);
      arch->image_size = grid * arch->patch_size;
      arch->embed_dim = dim (proj, 1);
      arch->num_features = arch->embed_dim ? arch->embed_dim : arch->width;
      arch->pooling = g_strdup (N_("class token"));
      set_heads (arch,
                 config_head_width > 0 ? arch->width / config_head_width : 0,
                 meta_head_width > 0 ? arch->width / meta_head_width : 0);
      if (vit_size_letter (arch->width) != NULL)
        arch->model_name = g_strdup_printf ("ViT-%s/%d", vit_size_letter (arch->width), arch->patch_size);
    }
  else
    {
      /* ModifiedResNet: three-conv stem, Bottleneck stages, attention pooling. */
      const VtTensor *c_proj = get (n, "visual.attnpool.c_proj.weight");
      int total = 0;

      arch->family_name = g_strdup (N_("OpenAI / OpenCLIP CLIP (ModifiedResNet)"));
      arch->block = g_strdup ("Bottleneck");
      total = count_stages (n, "visual.", 4, arch);
      arch->depth = 3 * total + 2;
      arch->width = dim (get (n, "visual.layer1.0.conv1.weight"), 0);
      pos = get (n, "visual.attnpool.positional_embedding");
      grid = int_sqrt (dim (pos, 0) - 1);
      arch->image_size = grid * 32;
      arch->embed_dim = dim (c_proj, 0);
      arch->num_features = arch->embed_dim;
      arch->pooling = g_strdup (N_("attention pool"));
      /* OpenCLIP: heads = width · 32 / head_width for the attention pool,
       * head_width 64 unless the config says otherwise (OpenAI's build_model
       * assumes 64 too). */
      int config_head_width = int_member (object_at (model_cfg, "vision_cfg"), "head_width");
      int meta_head_width = int_member (object_at (meta_cfg, "vision_cfg"), "head_width");
      arch->heads = arch->width * 32 / 64;
      arch->heads_source = N_("assumed: width × 32 / 64");
      if (config_head_width > 0 || meta_head_width > 0)
        set_heads (arch,
                   config_head_width > 0 ? arch->width * 32 / config_head_width : 0,
                   meta_head_width > 0 ? arch->width * 32 / meta_head_width : 0);
      arch->model_name = g_strdup_printf ("RN%d", arch->depth);
    }

  if (token != NULL)
    {
      JsonObject *text_cfg = object_at (model_cfg, "text_cfg");
      JsonObject *meta_text = object_at (meta_cfg, "text_cfg");

      arch->vocab_size = dim (token, 0);
      arch->text_width = dim (token, 1);
      arch->context_length = dim (text_pos, 0);
      arch->text_depth = count_indexed (n, "transformer.resblocks.%d.attn.in_proj_weight");
      if (text_proj)
        arch->embed_dim = dim (text_proj, 1);
      arch->text_heads = int_member (text_cfg, "heads") ? int_member (text_cfg, "heads")
                        : int_member (meta_text, "heads") ? int_member (meta_text, "heads")
                        : arch->text_width / 64;
    }
  return TRUE;
}

static gboolean
recognize_hf_clip (const Names    *n,
                   VtCheckpoint   *checkpoint,
                   VtArchitecture *arch)
{
  const VtTensor *patch = get (n, "vision_model.embeddings.patch_embedding.weight");
  const VtTensor *pos = get (n, "vision_model.embeddings.position_embedding.weight");
  const VtTensor *token = get (n, "text_model.embeddings.token_embedding.weight");
  const VtTensor *vproj = get (n, "visual_projection.weight");
  const VtTensor *tproj = get (n, "text_projection.weight");
  JsonObject *config = vt_checkpoint_get_config (checkpoint);
  JsonObject *vision_cfg = object_at (config, "vision_config");
  JsonObject *text_cfg = object_at (config, "text_config");

  if (patch == NULL || pos == NULL)
    return FALSE;

  /* A CLIPVisionModel config holds the vision settings at top level. */
  if (vision_cfg == NULL && config != NULL &&
      g_strcmp0 (string_member (config, "model_type"), "clip_vision_model") == 0)
    vision_cfg = config;

  arch->family = VT_ARCH_HF_CLIP;
  arch->family_name = g_strdup (token ? N_("Hugging Face CLIPModel")
                                : vproj ? N_("Hugging Face CLIPVisionModelWithProjection")
                                : N_("Hugging Face CLIPVisionModel"));
  arch->width = dim (patch, 0);
  arch->patch_size = dim (patch, 2);
  arch->depth = count_indexed (n, "vision_model.encoder.layers.%d.self_attn.q_proj.weight");
  arch->mlp_width = dim (get (n, "vision_model.encoder.layers.0.mlp.fc1.weight"), 0);
  arch->image_size = int_sqrt (dim (pos, 0) - 1) * arch->patch_size;
  arch->embed_dim = dim (vproj, 0);
  arch->num_features = arch->embed_dim ? arch->embed_dim : arch->width;
  arch->pooling = g_strdup (N_("class token"));
  set_heads (arch, int_member (vision_cfg, "num_attention_heads"), 0);
  /* Converted OpenAI weights say "quick_gelu"; transformers' default is too. */
  arch->quick_gelu = g_strcmp0 (string_member (vision_cfg, "hidden_act"), "gelu") != 0;
  if (vit_size_letter (arch->width) != NULL)
    arch->model_name = g_strdup_printf ("ViT-%s/%d", vit_size_letter (arch->width), arch->patch_size);

  if (token != NULL)
    {
      arch->vocab_size = dim (token, 0);
      arch->text_width = dim (token, 1);
      arch->context_length = dim (get (n, "text_model.embeddings.position_embedding.weight"), 0);
      arch->text_depth = count_indexed (n, "text_model.encoder.layers.%d.self_attn.q_proj.weight");
      /* Each tower's own config names its activation. */
      arch->text_quick_gelu = g_strcmp0 (string_member (text_cfg, "hidden_act"), "gelu") != 0;
      arch->text_heads = int_member (text_cfg, "num_attention_heads") ? int_member (text_cfg, "num_attention_heads")
                        : arch->text_width / 64;
      if (tproj)
        arch->embed_dim = dim (tproj, 0);
    }
  return TRUE;
}

/* timm's standard head counts, for configs that only name the model. */
static int
heads_from_timm_name (const char *name)
{
  if (name == NULL)
    return 0;
  if (strstr (name, "_tiny_")) return 3;
  if (strstr (name, "_small_")) return 6;
  if (strstr (name, "_base_")) return 12;
  if (strstr (name, "_large_") || strstr (name, "_huge_")) return 16;
  return 0;
}

static gboolean
recognize_timm_vit (const Names    *n,
                    VtCheckpoint   *checkpoint,
                    VtArchitecture *arch)
{
  const VtTensor *patch = get (n, "patch_embed.proj.weight");
  const VtTensor *pos = get (n, "pos_embed");
  const VtTensor *head = get (n, "head.weight");
  const VtTensor *reg = get (n, "reg_token");
  gboolean cls = get (n, "cls_token") != NULL;
  gboolean dist = get (n, "dist_token") != NULL;
  /* OpenAI CLIP weights in timm layout carry a LayerNorm before the blocks. */
  gboolean clip_style = get (n, "norm_pre.weight") != NULL;
  int prefix_tokens = cls + dist + dim (reg, 1);
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *config = vt_checkpoint_get_config (checkpoint);
  JsonObject *kwargs = metadata_object (checkpoint, "create_model_kwargs", &keep);
  const char *config_name = string_member (config, "architecture");
  int grid;

  if (patch == NULL || pos == NULL || get (n, "blocks.0.attn.qkv.weight") == NULL)
    return FALSE;

  arch->family = VT_ARCH_TIMM_VIT;
  arch->family_name = g_strdup (dist ? N_("timm DeiT (distilled)")
                                : clip_style ? N_("timm ViT (CLIP image tower)")
                                : N_("timm ViT"));
  arch->width = dim (patch, 0);
  arch->patch_size = dim (patch, 2);
  arch->depth = count_indexed (n, "blocks.%d.attn.qkv.weight");
  arch->mlp_width = dim (get (n, "blocks.0.mlp.fc1.weight"), 0);
  /* pos_embed covers the prefix tokens unless the model says no_embed_class. */
  grid = int_sqrt (dim (pos, 1) - prefix_tokens);
  if (grid == 0)
    grid = int_sqrt (dim (pos, 1));
  arch->image_size = grid * arch->patch_size;
  arch->num_classes = dim (head, 0);
  arch->num_features = arch->width;
  arch->pooling = g_strdup (dist ? N_("class + distillation tokens")
                            : get (n, "fc_norm.weight") || !cls ? N_("average")
                            : N_("class token"));
  set_heads (arch,
             int_member (object_at (config, "model_args"), "num_heads")
               ? int_member (object_at (config, "model_args"), "num_heads")
               : heads_from_timm_name (config_name),
             int_member (kwargs, "num_heads"));

  /* timm's own names: deit_base_distilled_patch16_224, vit_base_patch16_clip_224 */
  if (timm_vit_size_name (arch->width, arch->depth) != NULL)
    arch->model_name = g_strdup_printf ("%s_%s%s_patch%d%s_%d", dist ? "deit" : "vit",
                                        timm_vit_size_name (arch->width, arch->depth),
                                        dist ? "_distilled" : "",
                                        arch->patch_size,
                                        clip_style ? "_clip" : "",
                                        arch->image_size);
  return TRUE;
}

static gboolean
recognize_torchvision_vit (const Names    *n,
                           VtArchitecture *arch)
{
  const VtTensor *patch = get (n, "conv_proj.weight");
  const VtTensor *pos = get (n, "encoder.pos_embedding");
  const VtTensor *head = get (n, "heads.head.weight");

  if (patch == NULL || pos == NULL || get (n, "class_token") == NULL)
    return FALSE;

  arch->family = VT_ARCH_TORCHVISION_VIT;
  arch->family_name = g_strdup (N_("torchvision ViT"));
  arch->width = dim (patch, 0);
  arch->patch_size = dim (patch, 2);
  arch->depth = count_indexed (n, "encoder.layers.encoder_layer_%d.self_attention.in_proj_weight");
  arch->mlp_width = dim (get (n, "encoder.layers.encoder_layer_0.mlp.0.weight"), 0);
  arch->image_size = int_sqrt (dim (pos, 1) - 1) * arch->patch_size;
  arch->num_classes = dim (head, 0);
  arch->num_features = arch->width;
  arch->pooling = g_strdup (N_("class token"));
  /* torchvision keeps no config; its ViTs all use 64-wide heads. */
  set_heads (arch, 0, 0);
  {
    /* torchvision's names: vit_b_16, vit_l_32, vit_h_14 */
    const char *size = arch->width == 768 ? "b" : arch->width == 1024 ? "l" : arch->width == 1280 ? "h" : NULL;
    if (size != NULL)
      arch->model_name = g_strdup_printf ("vit_%s_%d", size, arch->patch_size);
  }
  return TRUE;
}

/* DataParallel saves every name under "module."; a prefix is only taken
 * when every tensor carries it. */
static const char *
common_prefix (VtCheckpoint *checkpoint)
{
  guint n = vt_checkpoint_get_n_tensors (checkpoint);

  if (n == 0)
    return "";
  for (guint i = 0; i < n; i++)
    if (!g_str_has_prefix (vt_checkpoint_get_tensor (checkpoint, i)->name, "module."))
      return "";
  return "module.";
}

/* Keeps the first value of config.json the model cannot use. */
static void set_problem (VtArchitecture *arch, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
set_problem (VtArchitecture *arch,
             const char     *format,
             ...)
{
  va_list args;

  if (arch->problem != NULL)
    return;
  va_start (args, format);
  arch->problem = g_strdup_vprintf (format, args);
  va_end (args);
}

/* [r, g, b] at @object.@name, each within [min, max] (checked as a double,
 * before the conversion to float, which is undefined out of float's
 * range). An absent or non-numeric triple is FALSE silently; one out of
 * range is FALSE with the problem kept. */
static gboolean
read_triple (VtArchitecture *arch,
             const char     *config_path,
             const char     *json_path,
             JsonObject     *object,
             const char     *name,
             double          min,
             double          max,
             float           out[3])
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  JsonArray *array;
  double values[3];

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (array = json_node_get_array (node)) != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || (json_node_get_value_type (item) != G_TYPE_DOUBLE &&
                                            json_node_get_value_type (item) != G_TYPE_INT64))
        return FALSE;
      values[i] = json_node_get_double (item);
      if (!(values[i] >= min && values[i] <= max))
        {
          set_problem (arch, "%s: %s%s[%u] is %g; it must be from %g to %g", config_path, json_path, name, i,
                       values[i], min, max);
          return FALSE;
        }
    }
  for (guint i = 0; i < 3; i++)
    out[i] = (float) values[i];
  return TRUE;
}

static void
set_preset (VtArchitecture *arch,
            const char     *name,
            const float     mean[3],
            const float     std[3])
{
  memcpy (arch->mean, mean, sizeof arch->mean);
  memcpy (arch->std, std, sizeof arch->std);
  arch->normalization = name;
}

static void
set_normalization (VtArchitecture *arch,
                   VtCheckpoint   *checkpoint,
                   JsonObject     *config)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };
  static const float clip_mean[3] = { 0.48145466f, 0.4578275f, 0.40821073f };
  static const float clip_std[3] = { 0.26862954f, 0.26130258f, 0.27577711f };
  static const float half[3] = { 0.5f, 0.5f, 0.5f };
  JsonObject *pretrained = object_at (config, "pretrained_cfg");
  const char *path = vt_checkpoint_get_config_path (checkpoint);
  float mean[3], std[3];

  /* timm's config.json keeps them in pretrained_cfg; some writers at top level. */
  if ((read_triple (arch, path, "$.pretrained_cfg.", pretrained, "mean", VT_TRANSFORM_MEAN_MIN, VT_TRANSFORM_MEAN_MAX, mean) &&
       read_triple (arch, path, "$.pretrained_cfg.", pretrained, "std", VT_TRANSFORM_STD_MIN, VT_TRANSFORM_STD_MAX, std)) ||
      (read_triple (arch, path, "$.", config, "mean", VT_TRANSFORM_MEAN_MIN, VT_TRANSFORM_MEAN_MAX, mean) &&
       read_triple (arch, path, "$.", config, "std", VT_TRANSFORM_STD_MIN, VT_TRANSFORM_STD_MAX, std)))
    {
      set_preset (arch, "config.json", mean, std);
      return;
    }
  if (arch->family == VT_ARCH_OPENCLIP || arch->family == VT_ARCH_HF_CLIP ||
      (arch->family == VT_ARCH_TIMM_VIT && vt_checkpoint_lookup (checkpoint, "norm_pre.weight") != NULL))
    set_preset (arch, N_("OpenAI CLIP"), clip_mean, clip_std);
  else if (arch->family == VT_ARCH_TIMM_VIT && vt_checkpoint_lookup (checkpoint, "dist_token") == NULL)
    /* timm's ViT weights (augreg) were trained on inputs scaled to [-1, 1]. */
    set_preset (arch, N_("0.5 (Inception)"), half, half);
  else
    set_preset (arch, N_("ImageNet"), imagenet_mean, imagenet_std);
}

/* The eval transform each family's own code uses: timm 0.9 crop bicubic,
 * torchvision 256 → 224 bilinear, CLIP a bicubic resize to the input size,
 * CIFAR none at 32×32. A timm config.json's crop_pct and interpolation win. */
static void
set_transform (VtArchitecture *arch,
               JsonObject     *config,
               const char     *config_path)
{
  JsonObject *pretrained = object_at (config, "pretrained_cfg");
  const char *interpolation = string_member (pretrained, "interpolation");
  JsonNode *crop_pct = pretrained ? json_object_get_member (pretrained, "crop_pct") : NULL;
  gboolean clip = arch->family == VT_ARCH_OPENCLIP || arch->family == VT_ARCH_HF_CLIP ||
                  g_strcmp0 (arch->normalization, "OpenAI CLIP") == 0;
  double preset = clip || arch->family == VT_ARCH_CIFAR_RESNET ? 1.0
                : arch->family == VT_ARCH_TIMM_VIT ? 0.9
                : 0.875;   /* torchvision: 224 / 256 */
  g_autoptr(GError) error = NULL;

  if (arch->image_size <= 0)
    arch->image_size = 224;
  arch->resize_size = (int) floor (arch->image_size / preset);
  /* A crop_pct of the wrong type is ignored, as every config member is;
   * one out of range is a problem the model reports (the preset stands). */
  if (crop_pct != NULL && JSON_NODE_HOLDS_VALUE (crop_pct) &&
      (json_node_get_value_type (crop_pct) == G_TYPE_DOUBLE || json_node_get_value_type (crop_pct) == G_TYPE_INT64) &&
      !vt_transform_resize_for_crop_pct (arch->image_size, json_node_get_double (crop_pct), "$.pretrained_cfg",
                                         &arch->resize_size, &error))
    set_problem (arch, "%s: %s", config_path, error->message);
  arch->interpolation = interpolation ? (g_str_equal (interpolation, "bicubic") ? VT_RESAMPLE_BICUBIC : VT_RESAMPLE_BILINEAR)
                      : clip || arch->family == VT_ARCH_TIMM_VIT ? VT_RESAMPLE_BICUBIC
                      : VT_RESAMPLE_BILINEAR;
}

/* A labels.txt beside the checkpoint (one name per line, as TensorFlow and
 * Coral models ship them), when it names exactly the model's classes. */
static char **
read_labels_file (VtCheckpoint *checkpoint,
                  int           n_classes)
{
  const char *checkpoint_path = vt_checkpoint_get_path (checkpoint);
  g_autofree char *dir = g_file_test (checkpoint_path, G_FILE_TEST_IS_DIR) ? g_strdup (checkpoint_path)
                                                                            : g_path_get_dirname (checkpoint_path);
  g_autofree char *path = g_build_filename (dir, "labels.txt", NULL);

  return vt_class_names_read_file (path, (guint) n_classes);
}

VtArchitecture *
vt_architecture_recognize (VtCheckpoint *checkpoint)
{
  g_autoptr(VtArchitecture) arch = g_new0 (VtArchitecture, 1);
  Names n = { checkpoint, common_prefix (checkpoint) };
  JsonObject *config = vt_checkpoint_get_config (checkpoint);

  arch->prefix = g_strdup (n.prefix);
  /* A graph says what names and shapes would guess, preset included. */
  if (vt_checkpoint_get_tflite (checkpoint) != NULL)
    {
      vt_tflite_net_recognize (checkpoint, arch);
      return g_steal_pointer (&arch);
    }
  if (!recognize_cifar_resnet (&n, arch) &&
      !recognize_resnet (&n, arch) &&
      !recognize_openclip (&n, checkpoint, arch) &&
      !recognize_hf_clip (&n, checkpoint, arch) &&
      !recognize_timm_vit (&n, checkpoint, arch) &&
      !recognize_torchvision_vit (&n, arch))
    {
      arch->family = VT_ARCH_UNKNOWN;
      arch->family_name = g_strdup (N_("Unrecognized"));
    }

  arch->class_names = read_class_names (config);
  if (arch->class_names == NULL && arch->num_classes > 0)
    arch->class_names = read_labels_file (checkpoint, arch->num_classes);
  /* He et al.'s CIFAR ResNets with ten outputs are CIFAR-10 classifiers. */
  if (arch->class_names == NULL && arch->family == VT_ARCH_CIFAR_RESNET && arch->num_classes == 10)
    arch->class_names = vt_class_names_published (VT_CLASS_NAMES_CIFAR10);
  set_normalization (arch, checkpoint, config);
  set_transform (arch, config, vt_checkpoint_get_config_path (checkpoint));
  return g_steal_pointer (&arch);
}

void
vt_architecture_free (VtArchitecture *arch)
{
  if (arch == NULL)
    return;
  g_free (arch->family_name);
  g_free (arch->model_name);
  g_free (arch->prefix);
  g_free (arch->block);
  g_free (arch->pooling);
  g_strfreev (arch->class_names);
  g_free (arch->problem);
  g_free (arch);
}

static void
vt_arch_param_free (VtArchParam *param)
{
  g_free (param->value);
  g_free (param);
}

static VtArchParam *
add_param (GPtrArray  *rows,
           const char *key,
           const char *label,
           char       *value)
{
  VtArchParam *param = g_new0 (VtArchParam, 1);

  param->key = key;
  param->label = label;
  param->value = value;
  g_ptr_array_add (rows, param);
  return param;
}

static void
add_int (GPtrArray  *rows,
         const char *key,
         const char *label,
         int         value)
{
  if (value > 0)
    add_param (rows, key, label, g_strdup_printf ("%d", value));
}

GPtrArray *
vt_architecture_describe (const VtArchitecture *arch)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) vt_arch_param_free);

  if (arch->model_name)
    add_param (rows, "model", N_("Model"), g_strdup (arch->model_name));
  add_int (rows, "depth", N_("Depth"), arch->depth);
  if (arch->n_stages > 0)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      for (int i = 0; i < arch->n_stages; i++)
        g_string_append_printf (s, "%s%d", i ? ", " : "", arch->stage_blocks[i]);
      add_param (rows, "stage_blocks", N_("Blocks per stage"), g_string_free (g_steal_pointer (&s), FALSE));
    }
  if (arch->block)
    add_param (rows, "block", N_("Block"), g_strdup (arch->block));
  add_int (rows, "width", N_("Width"), arch->width);
  if (arch->heads > 0)
    add_param (rows, "heads", N_("Heads"), g_strdup_printf ("%d", arch->heads));
  if (arch->heads_source)
    add_param (rows, "heads_source", N_("Heads from"), g_strdup (arch->heads_source))->translatable = TRUE;
  add_int (rows, "mlp_width", N_("MLP width"), arch->mlp_width);
  add_int (rows, "patch_size", N_("Patch size"), arch->patch_size);
  add_int (rows, "image_size", N_("Image size"), arch->image_size);
  add_int (rows, "num_classes", N_("Classes"), arch->num_classes);
  add_int (rows, "num_features", N_("Feature width"), arch->num_features);
  if (arch->pooling)
    add_param (rows, "pooling", N_("Pooling"), g_strdup (arch->pooling))->translatable = TRUE;
  if (arch->family == VT_ARCH_TIMM_VIT || arch->family == VT_ARCH_TORCHVISION_VIT ||
      arch->family == VT_ARCH_OPENCLIP || arch->family == VT_ARCH_HF_CLIP)
    add_param (rows, "activation", N_("Activation"), g_strdup (arch->quick_gelu ? "QuickGELU" : "GELU"));
  add_int (rows, "embed_dim", N_("Joint embedding width"), arch->embed_dim);
  add_int (rows, "text_depth", N_("Text depth"), arch->text_depth);
  add_int (rows, "text_width", N_("Text width"), arch->text_width);
  add_int (rows, "text_heads", N_("Text heads"), arch->text_heads);
  add_int (rows, "context_length", N_("Context length"), arch->context_length);
  add_int (rows, "vocab_size", N_("Vocabulary"), arch->vocab_size);
  if (arch->family != VT_ARCH_UNKNOWN)
    add_param (rows, "normalization", N_("Input normalization"), g_strdup (arch->normalization))->translatable = TRUE;
  if (arch->prefix && arch->prefix[0])
    add_param (rows, "prefix", N_("Name prefix"), g_strdup (arch->prefix));
  return rows;
}
