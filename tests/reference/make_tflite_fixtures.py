#!/usr/bin/python3
"""uint8 outputs of the Coral MobileNets, by TensorFlow Lite's reference
kernels re-implemented in numpy (tflite_reference.py), for
tests/engine/test-tflite.c.

Writes tests/fixtures/tflite/outputs.json:
  photos: for each sample photo beside the models and each of the two
          models, the SHA-256 of the 224x224 RGB input (Pillow LANCZOS, as
          Coral's examples resize) and the uint8 output in hex; for the
          classifier on parrot.jpg also the SHA-256 of every tensor it
          computes, by index.
  cifar:  the first 10 CIFAR-10 test JPEGs of each class (sorted names),
          upscaled to 224 the same way: the classifier's output's SHA-256
          and its top class.
  stats:  numpy statistics of a few dequantized weight tensors
          ((q - zero_point) * scale, in float32).

Run: /usr/bin/python3 tests/reference/make_tflite_fixtures.py  (about 3 min)
"""
import hashlib
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import tflite_reference as R  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
MODELS = os.path.join(ASSETS, "models", "coral-mobilenet")
OUT = os.path.join(ROOT, "tests", "fixtures", "tflite")
V2 = "mobilenet_v2_1.0_224_quant.tflite"
V1 = "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"
PHOTOS = ["parrot.jpg", "bird.bmp", "cat.bmp", "grace_hopper.bmp"]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a, np.uint8).tobytes()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    labels = open(os.path.join(MODELS, "imagenet_labels.txt")).read().splitlines()
    photos = []
    for photo in PHOTOS:
        image = R.preprocess(os.path.join(MODELS, photo))
        for model in (V2, V1):
            (out,), values = R.run(os.path.join(MODELS, model), image)
            entry = {"photo": photo, "model": model, "input_sha256": sha(image),
                     "output": out.tobytes().hex()}
            if model == V2:
                entry["top1"] = labels[int(np.argmax(out.ravel()))]
                if photo == "parrot.jpg":
                    entry["tensor_sha256"] = {str(k): sha(v) for k, v in values.items()}
            photos.append(entry)
            print(photo, model, entry.get("top1", ""), flush=True)
    cifar = []
    for label in CLASSES:
        folder = os.path.join(ASSETS, "datasets", "cifar10-jpg", "test", label)
        for name in sorted(os.listdir(folder))[:10]:
            image = R.preprocess(os.path.join(folder, name))
            (out,), _ = R.run(os.path.join(MODELS, V2), image)
            cifar.append({"file": "%s/%s" % (label, name), "output_sha256": sha(out),
                          "top1": int(np.argmax(out.ravel()))})
        print(label, flush=True)
    stats = {}
    tensors, _, _, _ = R.load(os.path.join(MODELS, V2))
    for t in tensors:
        if t.data is None or not t.scale or not (t.name.startswith("MobilenetV2/Conv/") or "Logits" in t.name):
            continue
        x = ((t.data.astype(np.float64) - t.zero_point[0]) * np.float32(t.scale[0])).astype(np.float32).astype(np.float64)
        stats[t.name] = {"min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
                         "std": float(x.std()), "count": int(x.size),
                         "histogram": np.histogram(x, bins=16, range=(x.min(), x.max()))[0].tolist()}
    with open(os.path.join(OUT, "outputs.json"), "w") as f:
        json.dump({"photos": photos, "cifar": cifar, "stats": stats}, f, indent=1)


if __name__ == "__main__":
    main()
