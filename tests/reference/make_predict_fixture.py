#!/usr/bin/python3
"""What the CIFAR ResNet-20 says four demo images are, in PyTorch, for the
"predict" step's test in tests/batch/test-batch.c.

The model and the pixels are make_cifar_fixture.py's (the .th weights,
Pillow's decoding, ImageNet mean/std, no resize); the probabilities are
torch.softmax of the float logits, taken in double as Vitrine does.

Writes tests/fixtures/forward/cifar10-predict-top5.json:
  {"images": [paths relative to data/demo/cifar10-test-sample],
   "classes": [[top-5 names per image]], "probabilities": [[top-5 per image]]}
and tests/fixtures/forward/cifar10-predict-msp.json, for the predict step's
"outside_classes" flag (Hendrycks & Gimpel's maximum softmax probability):
  {"images": [every image of the sample], "max_probability": [per image]}

Run: /usr/bin/python3 tests/reference/make_predict_fixture.py   (seconds)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_cifar_fixture as cifar  # noqa: E402

SAMPLE = os.path.join(cifar.ROOT, "data", "demo", "cifar10-test-sample")
IMAGES = ["airplane/0000.jpg", "cat/0000.jpg", "frog/0001.jpg", "truck/0002.jpg"]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def main():
    torch.set_num_threads(2)
    model = cifar.load(20)
    batch = torch.stack([cifar.pixels(os.path.join(SAMPLE, p)) for p in IMAGES])
    with torch.inference_mode():
        probabilities = torch.softmax(model(batch).double(), dim=1)
    top = torch.topk(probabilities, 5, dim=1)
    result = {
        "images": IMAGES,
        "classes": [[CLASSES[i] for i in row] for row in top.indices.tolist()],
        "probabilities": top.values.tolist(),
    }
    with open(os.path.join(cifar.OUT, "cifar10-predict-top5.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

    everything = sorted(os.path.relpath(os.path.join(root, name), SAMPLE)
                        for root, _, names in os.walk(SAMPLE) for name in names if name.endswith(".jpg"))
    batch = torch.stack([cifar.pixels(os.path.join(SAMPLE, p)) for p in everything])
    with torch.inference_mode():
        msp = torch.softmax(model(batch).double(), dim=1).max(dim=1).values.tolist()
    # The test needs images on both sides of the default threshold 0.5.
    assert min(msp) < 0.5 <= max(msp), (min(msp), max(msp))
    print("max softmax probability: %d of %d images below 0.5 (lowest %.4f)"
          % (sum(p < 0.5 for p in msp), len(msp), min(msp)))
    with open(os.path.join(cifar.OUT, "cifar10-predict-msp.json"), "w") as f:
        json.dump({"images": everything, "max_probability": msp}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
