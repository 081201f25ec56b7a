#!/usr/bin/python3
"""The PyTorch side of tests/bench/extract.sh: feature extraction as a
PyTorch user writes it. Pillow decodes, torchvision transforms, a DataLoader
batches (num_workers worker processes), the model runs under
torch.inference_mode; the pre-logits features are kept.

  extract_torch.py resnet20 CIFAR_TEST_ROOT BATCH WORKERS
  extract_torch.py vit_s16 CHECKPOINT LIST_CSV BATCH WORKERS

Prints images/s over the whole dataset (first batch included, as a user
waits for it) and peak RSS of this process, as JSON.
"""
import csv
import json
import os
import resource
import sys
import time

import torch
from PIL import Image
from torchvision import datasets
from torchvision import transforms as T

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import safetensors_io  # noqa: E402
from forward_torch import build  # noqa: E402
from make_cifar_fixture import load as load_cifar_resnet  # noqa: E402


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, list_path, transform):
        with open(list_path) as f:
            rows = list(csv.DictReader(f))
        folder = os.path.dirname(list_path)
        self.samples = [(os.path.join(folder, r["path"]), r["label"]) for r in rows]
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        return self.transform(Image.open(path).convert("RGB")), label


def features_resnet20(model, x):
    taps = {}
    model(x, taps)
    return taps["pre_logits"]


def features_vit(model, x):
    # torchvision's VisionTransformer: the class token before the head.
    x = model._process_input(x)
    x = torch.cat([model.class_token.expand(x.shape[0], -1, -1), x], dim=1)
    return model.encoder(x)[:, 0]


def main():
    kind = sys.argv[1]
    normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    if kind == "resnet20":
        root, batch, workers = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        model, features = load_cifar_resnet(20), features_resnet20
        dataset = datasets.ImageFolder(root, T.Compose([T.ToTensor(), normalize]))
    else:
        checkpoint, list_path, batch, workers = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        model, features = build("vit_s16"), features_vit
        state, _ = safetensors_io.read(checkpoint)
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        model.eval()
        transform = T.Compose([T.Resize(224, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224),
                               T.ToTensor(), normalize])
        dataset = ListDataset(list_path, transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, num_workers=workers)
    start = time.perf_counter()
    n = 0
    with torch.inference_mode():
        for x, _ in loader:
            features(model, x)
            n += x.shape[0]
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images_per_second": n / seconds, "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
