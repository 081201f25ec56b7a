#!/usr/bin/python3
"""The CIFAR ResNets in PyTorch, on the CIFAR-10 test JPEGs, for test-cifar.c
and test-forward.c.

The model is He et al.'s CIFAR ResNet with option-A shortcuts, written from
the description in shared/README.md (and the original resnet.py it describes):
conv3x3(3→16) → BN → ReLU, three stages of n BasicBlocks (16, 32, 64 channels,
stride 2 at the start of stages 2 and 3, shortcut = every second pixel with
planes/4 zero channels on each side), global average pool, linear(64→10).
Weights come from the .th files (torch.load), the originals, so the
.safetensors copies that Vitrine reads are checked against them too.

Images: Pillow decodes each JPEG (RGB), ToTensor scales to [0, 1], Normalize
with the ImageNet mean/std; no resize (32×32).

Writes tests/fixtures/forward/
  cifar_resnet20.io.safetensors     input.pixel_values of 4 test images, and
                                    stem.out, layer1..3.out, pre_logits, logits
  cifar10-test-predictions.json     every test file (sorted classes, sorted names),
                                    its label, and each model's top-1 prediction,
                                    with the accuracies

Run: /usr/bin/python3 tests/reference/make_cifar_fixture.py   (about a minute)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "forward")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if (stride != 1 or in_planes != planes) else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.pad is None:
            shortcut = x
        else:
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, n, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes, layers, in_planes = [16, 32, 64], [], 16
        for s, p in enumerate(planes):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(in_planes, p, 2 if (s > 0 and i == 0) else 1))
                in_planes = p
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, classes)

    def forward(self, x, taps=None):
        x = F.relu(self.bn1(self.conv1(x)))
        if taps is not None:
            taps["stem.out"] = x
        for i, layer in enumerate((self.layer1, self.layer2, self.layer3)):
            x = layer(x)
            if taps is not None:
                taps[f"layer{i + 1}.out"] = x
        x = F.avg_pool2d(x, x.size(3)).flatten(1)
        if taps is not None:
            taps["pre_logits"] = x
        return self.linear(x)


def load(depth):
    name = {20: "resnet20-12fca82f", 56: "resnet56-4bfd9763"}[depth]
    model = CifarResNet((depth - 2) // 6)
    state = torch.load(os.path.join(ASSETS, "models", "cifar-resnet", name + ".th"), map_location="cpu")["state_dict"]
    model.load_state_dict({k[len("module."):]: v for k, v in state.items()})
    # The .safetensors copy must hold the same numbers.
    copy, _ = safetensors_io.read(os.path.join(ASSETS, "models", "cifar-resnet", name + ".safetensors"))
    for k, v in state.items():
        assert np.array_equal(copy[k], v.numpy()), k
    return model.eval()


def pixels(path):
    image = Image.open(path).convert("RGB")
    x = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255.0
    return (x - MEAN) / STD


def test_files():
    root = os.path.join(ASSETS, "datasets", "cifar10-jpg", "test")
    classes = sorted(os.listdir(root))
    files = []
    for label, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(root, c))):
            files.append((f"{c}/{f}", label))
    return root, classes, files


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    root, classes, files = test_files()
    models = {depth: load(depth) for depth in (20, 56)}

    # Block by block, on four images.
    picks = [files[i][0] for i in (0, 1234, 5678, 9999)]
    batch = torch.stack([pixels(os.path.join(root, p)) for p in picks])
    with torch.inference_mode():
        taps = {}
        logits = models[20](batch, taps)
    io = {"input.pixel_values": batch}
    io.update({k: v for k, v in taps.items()})
    io["logits"] = logits
    safetensors_io.write(os.path.join(OUT, "cifar_resnet20.io.safetensors"), io,
                         {"fixture": "cifar_resnet20", "images": json.dumps(picks)})

    # Every test image.
    predictions = {20: [], 56: []}
    with torch.inference_mode():
        for start in range(0, len(files), 500):
            chunk = torch.stack([pixels(os.path.join(root, p)) for p, _ in files[start:start + 500]])
            for depth, model in models.items():
                predictions[depth] += model(chunk).argmax(1).tolist()
    labels = [label for _, label in files]
    result = {
        "classes": classes,
        "files": [p for p, _ in files],
        "labels": labels,
        "predictions": {f"resnet{d}": p for d, p in predictions.items()},
        "accuracy": {f"resnet{d}": sum(int(a == b) for a, b in zip(p, labels)) / len(labels)
                     for d, p in predictions.items()},
        "producer": f"torch {torch.__version__}, Pillow {Image.__version__}",
    }
    with open(os.path.join(OUT, "cifar10-test-predictions.json"), "w") as f:
        json.dump(result, f)
    print("accuracy", result["accuracy"])


if __name__ == "__main__":
    main()
