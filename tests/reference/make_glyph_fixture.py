#!/usr/bin/python3
"""The glyph dataset of engine/io/vt-glyph-dataset.h, made independently
with numpy's legacy RandomState and Pillow, for test-glyph-dataset.c.

Follows the header's statement of the draws and pixels, nothing of the C
code: Fashion-MNIST glyphs (Debian's dataset-fashion-mnist) on the CIFAR-10
JPEGs of shared/assets (listed as torchvision's ImageFolder lists them,
decoded by Pillow), resized with Pillow's BILINEAR, blended where the glyph
is above the threshold.

Writes tests/fixtures/glyphs/expected.json: the options, and for every
image its placement (as placements.csv holds it) and the SHA-256 of its
pixels (H × W × 3 bytes) and of its mask (H × W bytes, 0 or 1).

Run: /usr/bin/python3 tests/reference/make_glyph_fixture.py   (a few seconds)
"""
import gzip
import hashlib
import json
import math
import os

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
OUT = os.path.join(ROOT, "tests", "fixtures", "glyphs")
FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

# Awkward on purpose: backgrounds resized (40, not CIFAR's 32), glyphs
# both shrunk and enlarged (10 to 34 around Fashion-MNIST's 28), a spurious
# share that is not a round number of images.
OPTIONS = {
    "size": 40, "glyph_min": 10, "glyph_max": 34, "train_images": 30, "test_images": 20, "seed": 9,
    "spurious": True, "agreement": 0.7, "threshold": 40, "color": "random",
}


def read_idx(path, dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    shape = [int.from_bytes(data[4 + 4 * d:8 + 4 * d], "big") for d in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def glyph_split(split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(FASHION, prefix + "-images-idx3-ubyte.gz"), 3)
    labels = read_idx(os.path.join(FASHION, prefix + "-labels-idx1-ubyte.gz"), 1)
    return images, labels


def image_folder(root):
    classes = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
    paths, labels = [], []
    for c, name in enumerate(classes):
        folder = os.path.join(root, name)
        for f in sorted(os.listdir(folder)):
            if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS):
                paths.append(os.path.join(folder, f))
                labels.append(c)
    return classes, paths, np.array(labels)


def folder_name(name):
    out = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "_" for ch in name)
    return "_" + out if out == "" or out.startswith(".") else out


def generate(o):
    rs = np.random.RandomState(o["seed"])
    folders = [folder_name(n) for n in FASHION_NAMES]
    order = sorted(range(len(folders)), key=lambda c: folders[c].encode())
    k = len(folders)
    rows = []
    for split, n in (("train", o["train_images"]), ("test", o["test_images"])):
        glyphs, glyph_labels = glyph_split(split)
        bg_classes, bg_paths, bg_labels = image_folder(os.path.join(ASSETS, "datasets", "cifar10-jpg", split))
        by_class = [np.flatnonzero(glyph_labels == c) for c in range(k)]
        bg_by_class = [np.flatnonzero(bg_labels == c) for c in range(len(bg_classes))]
        agrees = None
        if o["spurious"] and split == "train":
            permutation = rs.permutation(n)
            agrees = np.zeros(n, dtype=bool)
            agrees[permutation[:int(math.floor(o["agreement"] * n + 0.5))]] = True
        for i in range(n):
            label = i % k
            pool = by_class[order[label]]
            glyph = int(pool[rs.randint(0, len(pool))])
            side = o["glyph_min"] + rs.randint(0, o["glyph_max"] - o["glyph_min"] + 1)
            x = rs.randint(0, o["size"] - side + 1)
            y = rs.randint(0, o["size"] - side + 1)
            color = [rs.randint(0, 256) for _ in range(3)]
            if agrees is not None:
                c = label
                if not agrees[i]:
                    c = rs.randint(0, len(bg_classes) - 1)
                    c += c >= label
                pool = bg_by_class[c]
                background = int(pool[rs.randint(0, len(pool))])
            else:
                background = rs.randint(0, len(bg_paths))

            under = Image.open(bg_paths[background]).convert("RGB")
            if under.size != (o["size"], o["size"]):
                under = under.resize((o["size"], o["size"]), Image.BILINEAR)
            pixels = np.array(under, dtype=np.int64)
            g = Image.fromarray(glyphs[glyph], "L")
            if g.size != (side, side):
                g = g.resize((side, side), Image.BILINEAR)
            v = np.zeros((o["size"], o["size"]), dtype=np.int64)
            v[y:y + side, x:x + side] = np.array(g, dtype=np.int64)
            mask = (v > o["threshold"]).astype(np.uint8)
            blend = (pixels * (255 - v[..., None]) + np.array(color) * v[..., None] + 127) // 255
            pixels = np.where(mask[..., None] == 1, blend, pixels).astype(np.uint8)
            rows.append({
                "split": split,
                "file": "%s/%s/%05d.png" % (split, folders[order[label]], i),
                "label": label, "glyph": glyph, "background": background,
                "background_class": int(bg_labels[background]), "x": int(x), "y": int(y), "side": int(side),
                "color": [int(c) for c in color], "mask_pixels": int(mask.sum()),
                "image_sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
                "mask_sha256": hashlib.sha256(mask.tobytes()).hexdigest(),
            })
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = generate(OPTIONS)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"options": OPTIONS, "images": rows}, f, indent=1)
        f.write("\n")
    agree = sum(r["background_class"] == r["label"] for r in rows if r["split"] == "train")
    print("%d images; %d of %d training backgrounds agree with the label" % (len(rows), agree,
                                                                              OPTIONS["train_images"]))


if __name__ == "__main__":
    main()
