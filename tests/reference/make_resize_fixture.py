#!/usr/bin/python3
"""Resized images as torchvision's transforms make them with Pillow, for
tests/engine/test-resize.c.

Inputs (decoded by Pillow, stored as U8 HWC): the Coral parrot photo and a
CIFAR-10 test JPEG. Cases: torchvision's ImageNet eval (Resize(256) bilinear,
CenterCrop(224)), timm's (Resize(248) bicubic for crop_pct 0.9, CenterCrop(224)),
CIFAR upscaled to 224 (bicubic), a non-uniform bilinear shrink, and a bicubic
shrink of CIFAR. Writes tests/fixtures/resize/resize.safetensors with
"<case>.input" and "<case>.output" tensors and the settings in __metadata__.

Run: /usr/bin/python3 tests/reference/make_resize_fixture.py
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "resize")

CASES = [
    # name, image, [(op, args)]
    ("imagenet_eval", "models/coral-mobilenet/parrot.jpg", [("shorter", 256, "bilinear"), ("crop", 224, 224)]),
    ("timm_eval", "models/coral-mobilenet/parrot.jpg", [("shorter", 248, "bicubic"), ("crop", 224, 224)]),
    ("cifar_up", "datasets/cifar10-jpg/test/cat/0000.jpg", [("resize", 224, 224, "bicubic")]),
    ("shrink_bilinear", "models/coral-mobilenet/parrot.jpg", [("resize", 61, 47, "bilinear")]),
    ("cifar_down", "datasets/cifar10-jpg/test/ship/0003.jpg", [("resize", 20, 13, "bicubic")]),
]
MODES = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, meta = {}, {}
    inputs = {}
    for name, path, ops in CASES:
        image = Image.open(os.path.join(ASSETS, path)).convert("RGB")
        if path not in inputs:
            inputs[path] = name
            tensors[name + ".input"] = torch.from_numpy(np.asarray(image).copy())
        for op in ops:
            if op[0] == "shorter":
                image = transforms.Resize(op[1], MODES[op[2]])(image)
            elif op[0] == "crop":
                image = transforms.CenterCrop((op[2], op[1]))(image)
            else:
                image = transforms.Resize((op[2], op[1]), MODES[op[3]])(image)
        tensors[name + ".output"] = torch.from_numpy(np.asarray(image).copy())
        meta[name] = json.dumps({"input": inputs[path] + ".input", "source": path, "ops": ops})
    safetensors_io.write(os.path.join(OUT, "resize.safetensors"), tensors, meta)
    print("wrote", sorted(tensors))


if __name__ == "__main__":
    main()
