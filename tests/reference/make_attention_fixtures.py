#!/usr/bin/python3
"""Attention-map fixtures: every intermediate of vt-attention-maps.c, from PyTorch.

  vit_cls, deit_distilled
      the shared timm fixtures (shared/assets/reference/timm: class token;
      class + distillation token), on their own input.pixel_values. The
      forward pass is timm's VisionTransformer with eager attention
      (q·kᵀ·scale, softmax), re-implemented here in plain torch ops because
      timm is not packaged for Debian 12, and checked against the attention
      probabilities timm itself stored in the fixture's .io.safetensors.
  synthetic
      one image's worth of random attention (softmax of Gaussian logits):
      6 layers, 3 heads, 1 + 7×7 tokens, so that discarding and the product
      over many layers are exercised beyond the two-layer fixtures.

For each, per image (batch first in every tensor):
  blocks.{i}.attn_probs          (B, H, T, T)  the probabilities
  fused.{mean,max,min}.blocks.{i} (B, T, T)    heads fused
  rollout.{case}                 (B, T, T)     the rollout product, CASES below
  class_map.rollout.{case}       (B, P)        its class-token row over the patches
  compat.{case}                  (B, P)        vit-explain's returned mask, flattened,
                                               by a literal copy of its rollout()
  class_map.blocks.{i}           (B, H, P)     each head's class-token row
  token_map.blocks.{i}           (B, H, P)     each head's row of token QUERY
  mass_mask.blocks.{i}           (B, H, P)     DINO's mask of each head's class map, share 0.6
  mass_mask.rollout              (B, P)        of the first case's class map
  upsample.rollout               (B, 8·gh, 8·gw) that class map, bilinear, half-pixel centres

Writes tests/fixtures/attention/<name>.safetensors. Run:
  /usr/bin/python3 tests/reference/make_attention_fixtures.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "attention")

# (fusion, discard_ratio, start_layer, compat); test-attention.c has the same table.
CASES = [
    ("mean", 0.0, 0, False),
    ("max", 0.9, 0, False),
    ("min", 0.5, 1, False),
    ("mean", 0.5, 0, False),
    ("mean", 0.0, 0, True),
    ("max", 0.9, 0, True),
    ("min", 0.5, 1, True),
]
QUERY_AFTER_PREFIX = 5   # token_map's query: the sixth patch
SHARE = 0.6


def case_name(fusion, discard, start, compat):
    return f"{fusion}.discard{discard:g}.start{start}" + (".compat" if compat else "")


def timm_attention(w, x, depth, heads, prefix, patch, eps=1e-6):
    """timm's VisionTransformer blocks on x, eager attention; the probabilities per block."""
    patches = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch)
    patches = patches.flatten(2).transpose(1, 2)
    tokens = [w["cls_token"].expand(x.shape[0], -1, -1)]
    if prefix == 2:
        tokens.append(w["dist_token"].expand(x.shape[0], -1, -1))
    h = torch.cat(tokens + [patches], dim=1) + w["pos_embed"]
    c = h.shape[-1]
    probs = []
    for i in range(depth):
        b = f"blocks.{i}."
        y = F.layer_norm(h, (c,), w[b + "norm1.weight"], w[b + "norm1.bias"], eps)
        qkv = F.linear(y, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])
        q, k, v = qkv.reshape(x.shape[0], -1, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        p = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        probs.append(p)
        a = (p @ v).transpose(1, 2).reshape(x.shape[0], -1, c)
        h = h + F.linear(a, w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        y = F.layer_norm(h, (c,), w[b + "norm2.weight"], w[b + "norm2.bias"], eps)
        h = h + F.linear(F.gelu(F.linear(y, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])),
                         w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    return probs


def fuse(p, fusion):
    """p (H, T, T) -> (T, T)."""
    if fusion == "mean":
        return p.mean(dim=0)
    if fusion == "max":
        return p.max(dim=0)[0]
    return p.min(dim=0)[0]


def lowest(values, k):
    """Indices of the k lowest values, ties lowest index first."""
    order = torch.sort(values, stable=True)[1]
    return order[:k]


def rollout(layers, fusion, discard, start):
    """Abnar & Zuidema with the class token's row and column never dropped,
    as vt-attention-maps.h states it; layers: list of (H, T, T) float64."""
    t = layers[0].shape[-1]
    result = torch.eye(t, dtype=torch.float64)
    for p in layers[start:]:
        a = fuse(p, fusion).clone()
        if discard > 0:
            inner = a[1:, 1:].reshape(-1).clone()
            inner[lowest(inner, int(inner.numel() * discard))] = 0
            a[1:, 1:] = inner.reshape(t - 1, t - 1)
        a = a + torch.eye(t, dtype=torch.float64)
        a = a / a.sum(dim=-1, keepdim=True)
        result = a @ result
    return result


def vit_explain_rollout(attentions, discard_ratio, head_fusion):
    """jacobgil/vit-explain's vit_rollout.rollout(), line for line (commit
    1d68f22), for a batch of one image; returns (the product, the mask it
    returns, flattened). Its topk's order among equal values is PyTorch's
    choice; here, as in the C code, the lowest index goes first."""
    result = torch.eye(attentions[0].size(-1), dtype=attentions[0].dtype)
    with torch.no_grad():
        for attention in attentions:
            if head_fusion == "mean":
                attention_heads_fused = attention.mean(axis=1)
            elif head_fusion == "max":
                attention_heads_fused = attention.max(axis=1)[0]
            elif head_fusion == "min":
                attention_heads_fused = attention.min(axis=1)[0]

            # Drop the lowest attentions, but
            # don't drop the class token
            flat = attention_heads_fused.view(attention_heads_fused.size(0), -1)
            indices = lowest(flat[0], int(flat.size(-1) * discard_ratio)).unsqueeze(0)
            indices = indices[indices != 0]
            flat[0, indices] = 0

            I = torch.eye(attention_heads_fused.size(-1), dtype=attention.dtype)
            a = (attention_heads_fused + 1.0 * I) / 2
            a = a / a.sum(dim=-1)

            result = torch.matmul(a, result)
    mask = result[0, 0, 1:]
    mask = mask / mask.max()
    return result[0], mask


def mass_mask(m, share):
    """DINO's visualize_attention.py threshold on one map (P,), stable sort."""
    val, idx = torch.sort(m, stable=True)
    val = val / val.sum()
    cumval = torch.cumsum(val, dim=0)
    th = (cumval > (1 - share)).to(torch.float64)
    out = torch.empty_like(th)
    out[idx] = th
    return out


def maps(probs, prefix, grid, name, extra=None):
    """probs: list over layers of (B, H, T, T) float32 tensors."""
    depth = len(probs)
    batch, heads, t, _ = probs[0].shape
    gh, gw = grid
    io = dict(extra or {})
    for i, p in enumerate(probs):
        io[f"blocks.{i}.attn_probs"] = p.float()
    p64 = [p.double() for p in probs]
    for fusion in ("mean", "max", "min"):
        for i in range(depth):
            io[f"fused.{fusion}.blocks.{i}"] = torch.stack([fuse(p[b], fusion) for b in range(batch) for p in [p64[i]]]).float()
    first_class = None
    for fusion, discard, start, compat in CASES:
        key = case_name(fusion, discard, start, compat)
        if start >= depth:
            continue
        products, class_maps, compat_masks = [], [], []
        for b in range(batch):
            layers = [p[b] for p in p64]
            if compat:
                r, m = vit_explain_rollout([p[b:b + 1].clone() for p in p64[start:]], discard, fusion)
                # The same row over the model's patches, max-scaled as vit-explain does.
                row = r[0, prefix:]
                compat_masks.append(row / row.max())
                if prefix == 1:
                    assert torch.allclose(compat_masks[-1], m), "compat mask is not vit-explain's"
            else:
                r = rollout(layers, fusion, discard, start)
            products.append(r)
            class_maps.append(r[0, prefix:])
        io[f"rollout.{key}"] = torch.stack(products).float()
        io[f"class_map.rollout.{key}"] = torch.stack(class_maps).float()
        if compat:
            io[f"compat.{key}"] = torch.stack(compat_masks).float()
        if first_class is None:
            first_class = torch.stack(class_maps)
    q = prefix + QUERY_AFTER_PREFIX
    for i, p in enumerate(p64):
        io[f"class_map.blocks.{i}"] = p[:, :, 0, prefix:].float()
        io[f"token_map.blocks.{i}"] = p[:, :, q, prefix:].float()
        io[f"mass_mask.blocks.{i}"] = torch.stack([torch.stack([mass_mask(p[b, h, 0, prefix:], SHARE)
                                                                for h in range(heads)])
                                                   for b in range(batch)]).float()
    io["mass_mask.rollout"] = torch.stack([mass_mask(first_class[b], SHARE) for b in range(batch)]).float()
    io["upsample.rollout"] = F.interpolate(first_class.float().reshape(batch, 1, gh, gw), size=(8 * gh, 8 * gw),
                                           mode="bilinear", align_corners=False).reshape(batch, 8 * gh, 8 * gw)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".safetensors")
    safetensors_io.write(path, io, {"producer": f"make_attention_fixtures.py, torch {torch.__version__}",
                                    "prefix_tokens": str(prefix), "grid": f"{gh}x{gw}"})
    print(f"{path}: {len(io)} tensors, {os.path.getsize(path)} bytes")


def timm_fixture(name, prefix):
    reference = os.path.join(ASSETS, "reference", "timm")
    weights, _ = safetensors_io.read(os.path.join(reference, name + ".safetensors"))
    w = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    io, _ = safetensors_io.read(os.path.join(reference, name + ".io.safetensors"))
    x = torch.from_numpy(io["input.pixel_values"].copy())
    with torch.inference_mode():
        probs = timm_attention(w, x, depth=2, heads=4, prefix=prefix, patch=8)
    for i, p in enumerate(probs):
        timm_probs = torch.from_numpy(io[f"blocks.{i}.attn_probs"].copy())
        diff = (p - timm_probs).abs().max().item()
        assert diff < 1e-5, f"{name}: block {i}'s attention is {diff} from timm's"
    maps(probs, prefix, (4, 4), name, {"input.pixel_values": x})


def synthetic():
    g = torch.Generator().manual_seed(19)
    probs = [(2.0 * torch.randn((1, 3, 50, 50), generator=g)).softmax(-1) for _ in range(6)]
    maps(probs, 1, (7, 7), "synthetic")


if __name__ == "__main__":
    torch.set_num_threads(1)
    timm_fixture("vit_cls", 1)
    timm_fixture("deit_distilled", 2)
    synthetic()
