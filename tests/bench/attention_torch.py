#!/usr/bin/python3
"""PyTorch's side of attention.sh: the same work as bench-attention on the
same ViT-B/16 (the file bench-attention wrote), eager attention kept.

  attention_torch.py DIR REPEATS THREADS

Prints one JSON line with the keys bench-attention prints (medians, and
the fastest repetition's as *_fastest_ms): the forward pass
with every layer's attention probabilities kept (timm's Attention with
fused_attn off, re-implemented in plain torch ops since timm is not packaged
for Debian 12), a layer/head switch (the head's class map enlarged to
224×224 by F.interpolate, bilinear, and the 12 × 12 grid of class maps
enlarged to 56×56 each), and rollout (mean fusion, without and with 0.9
discarded, the class token's row and column spared).
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402

DEPTH, HEADS, PATCH, SIZE = 12, 12, 16, 224
GRID = SIZE // PATCH


def forward(w, x):
    patches = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=PATCH)
    h = torch.cat([w["cls_token"], patches.flatten(2).transpose(1, 2)], dim=1) + w["pos_embed"]
    c = h.shape[-1]
    probs = []
    for i in range(DEPTH):
        b = f"blocks.{i}."
        y = F.layer_norm(h, (c,), w[b + "norm1.weight"], w[b + "norm1.bias"], 1e-6)
        q, k, v = F.linear(y, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"]).reshape(
            1, -1, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        p = ((q * (c // HEADS) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        probs.append(p)
        h = h + F.linear((p @ v).transpose(1, 2).reshape(1, -1, c), w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        y = F.layer_norm(h, (c,), w[b + "norm2.weight"], w[b + "norm2.bias"], 1e-6)
        h = h + F.linear(F.gelu(F.linear(y, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])),
                         w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    return probs


def rollout(probs, discard):
    t = probs[0].shape[-1]
    eye = torch.eye(t)
    result = eye
    for p in probs:
        a = p[0].mean(dim=0)
        if discard > 0:
            inner = a[1:, 1:].reshape(-1)
            inner[inner.topk(int(inner.numel() * discard), largest=False)[1]] = 0
            a[1:, 1:] = inner.reshape(t - 1, t - 1)
        a = a + eye
        a = a / a.sum(dim=-1, keepdim=True)
        result = a @ result
    return result


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    folder, repeats, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    weights, _ = safetensors_io.read(os.path.join(folder, "vit_b16.safetensors"))
    w = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    x = torch.empty(1, 3, SIZE, SIZE).uniform_(-2, 2, generator=torch.Generator().manual_seed(5))
    times = {"forward": [], "switch": [], "rollout": [], "discard": []}
    with torch.inference_mode():
        probs = forward(w, x)
        for _ in range(repeats):
            start = time.perf_counter()
            probs = forward(w, x)
            times["forward"].append(1000 * (time.perf_counter() - start))
        for s in range(10 * repeats):
            layer, head = s % DEPTH, (s // DEPTH) % HEADS
            start = time.perf_counter()
            enlarged = F.interpolate(probs[layer][0, head, 0, 1:].reshape(1, 1, GRID, GRID), size=(SIZE, SIZE),
                                     mode="bilinear", align_corners=False)
            maps = torch.stack([p[0, :, 0, 1:] for p in probs]).reshape(DEPTH * HEADS, 1, GRID, GRID)
            cells = F.interpolate(maps, size=(56, 56), mode="bilinear", align_corners=False)
            times["switch"].append(1000 * (time.perf_counter() - start))
        del enlarged, cells
        for _ in range(repeats):
            for key, discard in (("rollout", 0.0), ("discard", 0.9)):
                start = time.perf_counter()
                rollout(probs, discard)
                times[key].append(1000 * (time.perf_counter() - start))
    result = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    for key, name in (("forward", "forward"), ("switch", "switch"), ("rollout", "rollout"),
                      ("discard", "rollout_discard")):
        result[f"{name}_ms"] = median(times[key])
        result[f"{name}_fastest_ms"] = min(times[key])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
