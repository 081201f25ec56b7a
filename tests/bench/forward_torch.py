#!/usr/bin/python3
"""The PyTorch side of tests/bench/forward.sh, and the checkpoints both use.

  forward_torch.py export DIR          write vit_s16, vit_b16, resnet50 (torchvision
                                       classes, random weights) as DIR/<name>.safetensors
  forward_torch.py run NAME BATCH REPEATS
                                       median images/s of torch.inference_mode on
                                       random 224×224 input, and peak RSS, as JSON
"""
import json
import os
import resource
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402


def build(name):
    from torchvision.models.vision_transformer import VisionTransformer
    torch.manual_seed(0)
    if name == "vit_s16":
        return VisionTransformer(224, 16, 12, 6, 384, 1536, num_classes=1000)
    if name == "vit_b16":
        return VisionTransformer(224, 16, 12, 12, 768, 3072, num_classes=1000)
    if name == "resnet50":
        return torchvision.models.resnet50()
    raise SystemExit(f"unknown model {name}")


def main():
    if sys.argv[1] == "export":
        for name in ("vit_s16", "vit_b16", "resnet50"):
            model = build(name).eval()
            safetensors_io.write(os.path.join(sys.argv[2], name + ".safetensors"), model.state_dict())
        return
    name, batch, repeats = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    model = build(name).eval()
    x = torch.randn(batch, 3, 224, 224)
    times = []
    with torch.inference_mode():
        for r in range(repeats + 1):
            start = time.perf_counter()
            model(x)
            if r > 0:
                times.append(time.perf_counter() - start)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"images_per_second": batch / times[len(times) // 2], "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
