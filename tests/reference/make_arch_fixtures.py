#!/usr/bin/python3
"""Small checkpoints with real tensor names and shapes, for recognition tests.

Random weights (torch.Generator seed 7), small sizes. The names follow the
upstream state_dict() layouts:
  timm VisionTransformer   (as in shared/assets/reference, timm 1.0)
  OpenAI CLIP              (clip/model.py: visual.*, transformer.resblocks.*)
  Hugging Face CLIPModel   (modeling_clip.py: vision_model.*, text_model.*)

Writes under tests/fixtures/arch/:
  timm-vit/model.safetensors + config.json   timm hub style config: heads 3 (head
                                             width 32, which shapes cannot tell),
                                             5 class names
  vit-dataparallel.safetensors               "module."-prefixed timm ViT, average
                                             pooling (fc_norm), no config
  openai-clip.safetensors                    ViT image tower + text tower, no config
  hf-clip/model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
          + config.json                      sharded CLIPModel, heads from config
  expected.json                              what each should be recognized as

Run: /usr/bin/python3 tests/reference/make_arch_fixtures.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "arch")
G = torch.Generator().manual_seed(7)


def rand(*shape):
    return torch.randn(*shape, generator=G) * 0.02


def timm_vit(width, depth, patch, image, classes, cls=True, avg=False, prefix=""):
    grid = image // patch
    t = {}
    if cls:
        t["cls_token"] = rand(1, 1, width)
    t["pos_embed"] = rand(1, grid * grid + (1 if cls else 0), width)
    t["patch_embed.proj.weight"] = rand(width, 3, patch, patch)
    t["patch_embed.proj.bias"] = rand(width)
    for i in range(depth):
        b = f"blocks.{i}."
        t[b + "norm1.weight"] = 1 + rand(width)
        t[b + "norm1.bias"] = rand(width)
        t[b + "attn.qkv.weight"] = rand(3 * width, width)
        t[b + "attn.qkv.bias"] = rand(3 * width)
        t[b + "attn.proj.weight"] = rand(width, width)
        t[b + "attn.proj.bias"] = rand(width)
        t[b + "norm2.weight"] = 1 + rand(width)
        t[b + "norm2.bias"] = rand(width)
        t[b + "mlp.fc1.weight"] = rand(4 * width, width)
        t[b + "mlp.fc1.bias"] = rand(4 * width)
        t[b + "mlp.fc2.weight"] = rand(width, 4 * width)
        t[b + "mlp.fc2.bias"] = rand(width)
    norm = "fc_norm." if avg else "norm."
    t[norm + "weight"] = 1 + rand(width)
    t[norm + "bias"] = rand(width)
    t["head.weight"] = rand(classes, width)
    t["head.bias"] = rand(classes)
    return {prefix + k: v for k, v in t.items()}


def openai_clip_blocks(prefix, width, depth):
    t = {}
    for i in range(depth):
        b = f"{prefix}transformer.resblocks.{i}."
        t[b + "attn.in_proj_weight"] = rand(3 * width, width)
        t[b + "attn.in_proj_bias"] = rand(3 * width)
        t[b + "attn.out_proj.weight"] = rand(width, width)
        t[b + "attn.out_proj.bias"] = rand(width)
        t[b + "ln_1.weight"] = 1 + rand(width)
        t[b + "ln_1.bias"] = rand(width)
        t[b + "mlp.c_fc.weight"] = rand(4 * width, width)
        t[b + "mlp.c_fc.bias"] = rand(4 * width)
        t[b + "mlp.c_proj.weight"] = rand(width, 4 * width)
        t[b + "mlp.c_proj.bias"] = rand(width)
        t[b + "ln_2.weight"] = 1 + rand(width)
        t[b + "ln_2.bias"] = rand(width)
    return t


def openai_clip(vw, vdepth, patch, image, tw, tdepth, context, vocab, embed):
    grid = image // patch
    t = {
        "positional_embedding": rand(context, tw),
        "text_projection": rand(tw, embed),
        "logit_scale": torch.tensor(4.6052),
        "visual.class_embedding": rand(vw),
        "visual.positional_embedding": rand(grid * grid + 1, vw),
        "visual.proj": rand(vw, embed),
        "visual.conv1.weight": rand(vw, 3, patch, patch),
        "visual.ln_pre.weight": 1 + rand(vw),
        "visual.ln_pre.bias": rand(vw),
    }
    t.update(openai_clip_blocks("visual.", vw, vdepth))
    t["visual.ln_post.weight"] = 1 + rand(vw)
    t["visual.ln_post.bias"] = rand(vw)
    t["token_embedding.weight"] = rand(vocab, tw)
    t.update(openai_clip_blocks("", tw, tdepth))
    t["ln_final.weight"] = 1 + rand(tw)
    t["ln_final.bias"] = rand(tw)
    return t


def hf_encoder(prefix, width, depth, mlp):
    t = {}
    for i in range(depth):
        b = f"{prefix}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t[b + f"self_attn.{proj}.weight"] = rand(width, width)
            t[b + f"self_attn.{proj}.bias"] = rand(width)
        t[b + "layer_norm1.weight"] = 1 + rand(width)
        t[b + "layer_norm1.bias"] = rand(width)
        t[b + "mlp.fc1.weight"] = rand(mlp, width)
        t[b + "mlp.fc1.bias"] = rand(mlp)
        t[b + "mlp.fc2.weight"] = rand(width, mlp)
        t[b + "mlp.fc2.bias"] = rand(width)
        t[b + "layer_norm2.weight"] = 1 + rand(width)
        t[b + "layer_norm2.bias"] = rand(width)
    return t


def hf_clip(vw, vdepth, patch, image, tw, tdepth, positions, vocab, proj):
    grid = image // patch
    vision = {
        "vision_model.embeddings.class_embedding": rand(vw),
        "vision_model.embeddings.patch_embedding.weight": rand(vw, 3, patch, patch),
        "vision_model.embeddings.position_embedding.weight": rand(grid * grid + 1, vw),
        "vision_model.pre_layrnorm.weight": 1 + rand(vw),
        "vision_model.pre_layrnorm.bias": rand(vw),
    }
    vision.update(hf_encoder("vision_model.", vw, vdepth, 4 * vw))
    vision["vision_model.post_layernorm.weight"] = 1 + rand(vw)
    vision["vision_model.post_layernorm.bias"] = rand(vw)
    vision["visual_projection.weight"] = rand(proj, vw)
    text = {
        "text_model.embeddings.token_embedding.weight": rand(vocab, tw),
        "text_model.embeddings.position_embedding.weight": rand(positions, tw),
    }
    text.update(hf_encoder("text_model.", tw, tdepth, 4 * tw))
    text["text_model.final_layer_norm.weight"] = 1 + rand(tw)
    text["text_model.final_layer_norm.bias"] = rand(tw)
    text["text_projection.weight"] = rand(proj, tw)
    text["logit_scale"] = torch.tensor(2.6592)
    return vision, text


def main():
    os.makedirs(os.path.join(OUT, "timm-vit"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "hf-clip"), exist_ok=True)
    expected = {}

    safetensors_io.write(os.path.join(OUT, "timm-vit", "model.safetensors"),
                         timm_vit(96, 3, 8, 48, 5), {"format": "pt"})
    with open(os.path.join(OUT, "timm-vit", "config.json"), "w") as f:
        json.dump({
            "architecture": "vit_custom_patch8_48",
            "num_classes": 5,
            "num_features": 96,
            "global_pool": "token",
            "model_args": {"img_size": 48, "patch_size": 8, "embed_dim": 96, "depth": 3, "num_heads": 3},
            "pretrained_cfg": {"input_size": [3, 48, 48], "interpolation": "bicubic", "crop_pct": 0.9,
                               "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
            "label_names": ["apple", "banana", "cherry", "date", "elderberry"],
        }, f, indent=1)
    expected["timm-vit"] = {"family": "timm ViT", "depth": 3, "width": 96, "heads": 3,
                            "heads_source": "config.json", "patch_size": 8, "image_size": 48,
                            "num_classes": 5, "mlp_width": 384, "pooling": "class token",
                            "class_names": ["apple", "banana", "cherry", "date", "elderberry"]}

    safetensors_io.write(os.path.join(OUT, "vit-dataparallel.safetensors"),
                         timm_vit(128, 2, 16, 64, 7, cls=False, avg=True, prefix="module."))
    expected["vit-dataparallel"] = {"family": "timm ViT", "depth": 2, "width": 128, "heads": 2,
                                    "heads_source": "assumed: width / 64", "patch_size": 16,
                                    "image_size": 64, "num_classes": 7, "pooling": "average",
                                    "prefix": "module."}

    safetensors_io.write(os.path.join(OUT, "openai-clip.safetensors"),
                         openai_clip(128, 2, 8, 32, 64, 2, 12, 1000, 32))
    expected["openai-clip"] = {"family": "OpenAI / OpenCLIP CLIP (ViT)", "depth": 2, "width": 128,
                               "heads": 2, "heads_source": "assumed: width / 64", "patch_size": 8,
                               "image_size": 32, "embed_dim": 32, "text_depth": 2, "text_width": 64,
                               "text_heads": 1, "context_length": 12, "vocab_size": 1000}

    vision, text = hf_clip(64, 2, 8, 32, 32, 1, 16, 500, 24)
    shards = {"model-00001-of-00002.safetensors": vision, "model-00002-of-00002.safetensors": text}
    weight_map = {}
    for shard, tensors in shards.items():
        safetensors_io.write(os.path.join(OUT, "hf-clip", shard), tensors, {"format": "pt"})
        weight_map.update({name: shard for name in tensors})
    with open(os.path.join(OUT, "hf-clip", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(t.numel() * 4 for s in shards.values() for t in s.values())},
                   "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(OUT, "hf-clip", "config.json"), "w") as f:
        json.dump({
            "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 24,
            "vision_config": {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                              "patch_size": 8, "image_size": 32, "intermediate_size": 256},
            "text_config": {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1,
                            "vocab_size": 500, "max_position_embeddings": 16},
        }, f, indent=1)
    expected["hf-clip"] = {"family": "Hugging Face CLIPModel", "depth": 2, "width": 64, "heads": 4,
                           "heads_source": "config.json", "patch_size": 8, "image_size": 32,
                           "embed_dim": 24, "text_depth": 1, "text_width": 32, "text_heads": 2,
                           "context_length": 16, "vocab_size": 500, "shards": 2}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
