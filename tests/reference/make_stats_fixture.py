#!/usr/bin/python3
"""Tensor statistics as numpy computes them, for tests/engine/test-stats.c.

Writes
  tests/fixtures/stats/resnet20-stats.json  every tensor of the demo ResNet-20
  tests/fixtures/stats/edge.safetensors     F16/BF16/F64/int/bool tensors, NaN, Inf,
                                            constant and empty tensors
  tests/fixtures/stats/edge-stats.json      their statistics
Statistics are over the finite values, in float64: min, max, mean, std (ddof=0),
NaN and Inf counts, and numpy.histogram(values, bins=64, range=(min, max)).

Run: /usr/bin/python3 tests/reference/make_stats_fixture.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "stats")
ASSET = os.path.join(ROOT, "..", "shared", "assets", "models", "cifar-resnet", "resnet20-12fca82f.safetensors")
BINS = 64


def stats(array):
    x = np.asarray(array, dtype=np.float64).ravel()
    finite = x[np.isfinite(x)]
    out = {
        "count": int(x.size),
        "nan": int(np.isnan(x).sum()),
        "inf": int(np.isinf(x).sum()),
    }
    if finite.size == 0:
        out.update(min=None, max=None, mean=None, std=None, histogram=[0] * BINS)
        return out
    lo, hi = float(finite.min()), float(finite.max())
    counts, _ = np.histogram(finite, bins=BINS, range=(lo, hi))
    out.update(min=lo, max=hi, mean=float(finite.mean()), std=float(finite.std()),
               histogram=[int(c) for c in counts])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, _ = safetensors_io.read(ASSET)
    with open(os.path.join(OUT, "resnet20-stats.json"), "w") as f:
        json.dump({name: stats(t) for name, t in tensors.items()}, f, indent=1)

    g = torch.Generator().manual_seed(2026)
    normal = torch.randn(1000, generator=g, dtype=torch.float64)
    special = torch.tensor([1.0, float("nan"), -2.5, float("inf"), 0.0, float("-inf"), 7.0, float("nan")])
    edge = {
        "f32_special": special.float(),
        "f16_normal": (normal * 3).half(),
        "f16_special": special.half(),
        "bf16_normal": (normal * 100).bfloat16(),
        "f64_normal": normal,
        "f32_constant": torch.full((5, 3), 0.25),
        "f32_empty": torch.zeros(0, 4),
        "f32_all_nan": torch.full((3,), float("nan")),
        "f32_scalar": torch.tensor(3.5),
        "f32_edges": torch.linspace(-1, 1, 129).float(),  # values on bin edges
        "i64_counter": torch.tensor(12345, dtype=torch.int64),
        "i32_values": torch.arange(-50, 50, 3, dtype=torch.int32),
        "u8_values": torch.randint(0, 256, (200,), generator=g).to(torch.uint8),
        "bool_mask": torch.rand(77, generator=g) > 0.3,
    }
    safetensors_io.write(os.path.join(OUT, "edge.safetensors"), edge, {"fixture": "stats-edge"})
    # Re-read what was written, so the expected values are those of the stored
    # (rounded) F16/BF16 values.
    written, _ = safetensors_io.read(os.path.join(OUT, "edge.safetensors"))
    with open(os.path.join(OUT, "edge-stats.json"), "w") as f:
        json.dump({name: stats(t) for name, t in written.items()}, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
