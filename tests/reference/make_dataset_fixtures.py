#!/usr/bin/python3
"""Dataset, transform and feature fixtures for test-datasets.c and
test-extract.c, written with Pillow, torchvision and PyTorch.

Writes tests/fixtures/datasets/
  cifar10-bin/      data_batch_1..5.bin (4 records each) and test_batch.bin
                    (30 records): CIFAR-10 binary records of real CIFAR-10
                    JPEGs from shared/assets, decoded by Pillow, labels = their
                    class folders
  cifar100-bin/     train.bin (10 records) and test.bin (100 records) in the
                    CIFAR-100 layout, from the same JPEGs; the labels are made
                    up (fine = record index mod 100, coarse = fine mod 20) since
                    no CIFAR-100 data is at hand; what is tested is the layout
  png/              the same CIFAR image saved by Pillow as RGB, palette (P),
                    grey (L), grey + alpha (LA) and RGBA PNGs
  expected.json     what each of the above must read as: labels, and a few
                    pixels of chosen samples
  transform.safetensors
                    torchvision's eval transforms (Resize → CenterCrop →
                    ToTensor, before Normalize) on real images: CIFAR JPEGs
                    upscaled to 224, the Coral sample photos (BMP, JPEG) under
                    the torchvision, timm and CLIP presets, Fashion-MNIST
                    samples, the PNGs. Each output is stored as uint8 (ToTensor
                    only divides by 255, so nothing is lost); the metadata lists
                    the cases.
  features.safetensors
                    ResNet-20 (the demo model) on every 50th sample of the
                    Fashion-MNIST test set (IDX, grey → RGB, Resize(32)
                    bilinear) and of the CIFAR-10 JPEG test set (sorted
                    ImageFolder, no resize), ImageNet normalization: the
                    pre-logits features and logits, with the sample indices

Run: /usr/bin/python3 tests/reference/make_dataset_fixtures.py   (about 20 s)
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
from make_cifar_fixture import load as load_cifar_resnet  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ASSETS = os.path.join(ROOT, "..", "shared", "assets")
CIFAR_JPG = os.path.join(ASSETS, "datasets", "cifar10-jpg")
CORAL = os.path.join(ASSETS, "models", "coral-mobilenet")
FASHION = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(ROOT, "tests", "fixtures", "datasets")
EVERY = 50


def image_folder(split):
    root = os.path.join(CIFAR_JPG, split)
    classes = sorted(os.listdir(root))
    files = []
    for label, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(root, c))):
            files.append((os.path.join(root, c, f), label))
    return files


def rgb(path):
    return Image.open(path).convert("RGB")


def cifar_record(path, labels):
    planes = np.asarray(rgb(path), dtype=np.uint8).transpose(2, 0, 1)
    return bytes(labels) + planes.tobytes()


def write_cifar(expected):
    train, test = image_folder("train"), image_folder("test")
    # Three test images per class, and four per training batch file.
    test_picks = [test[c * 1000 + i] for c in range(10) for i in range(3)]
    train_picks = [train[(b * 4 + i) * 1250] for b in range(5) for i in range(4)]
    d10 = os.path.join(OUT, "cifar10-bin")
    os.makedirs(d10, exist_ok=True)
    with open(os.path.join(d10, "test_batch.bin"), "wb") as f:
        for path, label in test_picks:
            f.write(cifar_record(path, [label]))
    for b in range(5):
        with open(os.path.join(d10, f"data_batch_{b + 1}.bin"), "wb") as f:
            for path, label in train_picks[b * 4:(b + 1) * 4]:
                f.write(cifar_record(path, [label]))

    d100 = os.path.join(OUT, "cifar100-bin")
    os.makedirs(d100, exist_ok=True)
    picks100 = [test[i * 100] for i in range(100)]
    with open(os.path.join(d100, "test.bin"), "wb") as f:
        for i, (path, _) in enumerate(picks100):
            f.write(cifar_record(path, [i % 20, i]))
    with open(os.path.join(d100, "train.bin"), "wb") as f:
        for i, (path, _) in enumerate(picks100[:10]):
            f.write(cifar_record(path, [(i * 7) % 20, (i * 7) % 100]))

    def probe(picks, index):
        pixels = np.asarray(rgb(picks[index][0]), dtype=np.uint8)
        return {"index": index, "rgb_0_0": pixels[0, 0].tolist(), "rgb_31_17": pixels[31, 17].tolist()}

    expected["cifar10"] = {
        "test_labels": [label for _, label in test_picks],
        "train_labels": [label for _, label in train_picks],
        "test_probe": probe(test_picks, 7),
        "train_probe": probe(train_picks, 13),
    }
    expected["cifar100"] = {
        "test_fine": list(range(100)),
        "test_coarse": [i % 20 for i in range(100)],
        "train_fine": [(i * 7) % 100 for i in range(10)],
        "test_probe": probe(picks100, 42),
    }


def write_pngs(expected):
    d = os.path.join(OUT, "png")
    os.makedirs(d, exist_ok=True)
    source = rgb(os.path.join(CIFAR_JPG, "test", "bird", "0007.jpg"))
    alpha = Image.fromarray(np.tile(np.arange(32, dtype=np.uint8) * 8, (32, 1)))
    variants = {
        "rgb.png": source,
        "palette.png": source.convert("P", palette=Image.ADAPTIVE, colors=64),
        "grey.png": source.convert("L"),
        "grey-alpha.png": Image.merge("LA", (source.convert("L"), alpha)),
        "rgba.png": Image.merge("RGBA", (*source.split(), alpha)),
    }
    expected["png"] = {}
    for name, image in variants.items():
        image.save(os.path.join(d, name))
        # What Vitrine must decode: Pillow's own reading, converted to RGB.
        back = np.asarray(Image.open(os.path.join(d, name)).convert("RGB"), dtype=np.uint8)
        expected["png"][name] = {"sum": int(back.astype(np.int64).sum()), "rgb_5_9": back[5, 9].tolist()}


def fashion_images():
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return data, labels


PRESETS = {
    # name: (resize, crop, interpolation) as torchvision, timm and CLIP build them
    "torchvision": (256, 224, T.InterpolationMode.BILINEAR),
    "timm": (248, 224, T.InterpolationMode.BICUBIC),   # crop_pct 0.9
    "clip": (224, 224, T.InterpolationMode.BICUBIC),
    "cifar-up-bicubic": (224, 224, T.InterpolationMode.BICUBIC),
    "cifar-up-bilinear": (224, 224, T.InterpolationMode.BILINEAR),
    "mnist32": (32, 32, T.InterpolationMode.BILINEAR),
    "none32": (0, 32, None),
}


def transform(image, preset):
    resize, crop, interpolation = PRESETS[preset]
    steps = [T.Resize(resize, interpolation=interpolation)] if resize else []
    steps += [T.CenterCrop(crop), T.ToTensor()]
    return T.Compose(steps)(image)


def write_transforms():
    fashion, _ = fashion_images()
    cases = [
        ("cifar10-jpg/test/cat/0003.jpg", "cifar-up-bicubic"),
        ("cifar10-jpg/test/ship/0010.jpg", "cifar-up-bilinear"),
        ("coral/bird.bmp", "torchvision"),
        ("coral/cat.bmp", "timm"),
        ("coral/grace_hopper.bmp", "clip"),
        ("coral/parrot.jpg", "torchvision"),
        ("coral/parrot.jpg", "timm"),
        ("fashion-mnist/t10k[0]", "mnist32"),
        ("fashion-mnist/t10k[1]", "mnist32"),
        ("fashion-mnist/t10k[2]", "cifar-up-bicubic"),
    ] + [(f"png/{name}", "none32") for name in ("rgb.png", "palette.png", "grey.png", "grey-alpha.png", "rgba.png")]
    tensors, listing = {}, []
    for i, (source, preset) in enumerate(cases):
        if source.startswith("cifar10-jpg/"):
            image = rgb(os.path.join(ASSETS, "datasets", source))
        elif source.startswith("coral/"):
            image = rgb(os.path.join(CORAL, source[len("coral/"):]))
        elif source.startswith("fashion-mnist/"):
            image = Image.fromarray(fashion[int(source.split("[")[1][:-1])], mode="L").convert("RGB")
        else:
            image = rgb(os.path.join(OUT, source))
        out = transform(image, preset)
        as_bytes = torch.round(out * 255).to(torch.uint8)
        assert torch.equal(as_bytes.float() / 255, out), source
        name = f"case{i}"
        tensors[name] = as_bytes
        resize, crop, interpolation = PRESETS[preset]
        listing.append({"tensor": name, "source": source, "preset": preset, "resize": resize, "crop": crop,
                        "interpolation": interpolation.value if interpolation else None})
    safetensors_io.write(os.path.join(OUT, "transform.safetensors"), tensors, {"cases": json.dumps(listing)})


def write_features():
    torch.set_num_threads(2)
    model = load_cifar_resnet(20)
    normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    fashion, fashion_labels = fashion_images()
    cifar = image_folder("test")
    out = {}
    sets = {
        "fashion": (len(fashion), lambda i: Image.fromarray(fashion[i], mode="L").convert("RGB"), "mnist32",
                    lambda i: int(fashion_labels[i])),
        "cifar": (len(cifar), lambda i: rgb(cifar[i][0]), "none32", lambda i: cifar[i][1]),
    }
    for key, (n, load, preset, label) in sets.items():
        indices = list(range(0, n, EVERY))
        batch = torch.stack([normalize(transform(load(i), preset)) for i in indices])
        taps = {}
        with torch.inference_mode():
            logits = model(batch, taps)
        out[f"{key}.indices"] = torch.tensor(indices, dtype=torch.int64)
        out[f"{key}.labels"] = torch.tensor([label(i) for i in indices], dtype=torch.int64)
        out[f"{key}.features"] = taps["pre_logits"]
        out[f"{key}.logits"] = logits
    safetensors_io.write(os.path.join(OUT, "features.safetensors"), out,
                         {"producer": f"torch {torch.__version__}, Pillow {Image.__version__}"})


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    write_cifar(expected)
    write_pngs(expected)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    write_transforms()
    write_features()


if __name__ == "__main__":
    main()
