#!/usr/bin/python3
"""Writes the fuzzers' seed corpora from real files, cut small.

Run from anywhere: /usr/bin/python3 tests/fuzz/make-seeds.py [SHARED_ASSETS]
(default ../shared/assets beside the checkout). The seeds are committed;
rerun this only to remake them. Inputs that stand for several files join
them with @@SPLIT@@, as fuzz-util.h says. Each seed stays a few KB."""
import gzip
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "assets")
SPLIT = b"@@SPLIT@@"


def folder(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(dir_, name, data):
    with open(os.path.join(dir_, name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


def safetensors(tensors, metadata):
    """tensors: (name, dtype, shape, bytes) in order."""
    header, offset, body = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        body += data
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def read_safetensors(path):
    data = read(path)
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


# The spec: the demo specs as shipped, and one forward step.
spec = folder("spec-corpus")
for name in ("inspect-demo.json", "evaluate-demo.json", "extract-demo.json",
             "incremental-demo.json", "embedding-demo.json"):
    write(spec, name, read(ROOT, "data", "demo", name))
write(spec, "forward.json", json.dumps({"steps": [{
    "kind": "forward", "checkpoint": "m.safetensors", "input": "in.safetensors",
    "images": "images", "taps": ["blocks", "attention"]}, {
    "kind": "evaluate", "id": "e", "checkpoint": "m.safetensors", "dataset": "d", "split": "test",
    "transform": {"resize": 256, "crop": 224, "crop_pct": 0.875, "interpolation": "bicubic",
                  "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}]}, indent=1).encode())
write(spec, "attribute.json", json.dumps({"steps": [{
    "kind": "attribute", "checkpoint": "m.safetensors", "dataset": "d", "split": "test", "samples": [0, 3],
    "methods": ["gradcam", {"name": "scorecam", "score_batch": 8}], "layer": "layer3", "target": [1, 2]}, {
    "kind": "attribute", "id": "a", "checkpoint": "m.safetensors", "input": "in.safetensors",
    "images": "images", "methods": ["hirescam"], "target": "predicted"}]}, indent=1).encode())
write(spec, "faithfulness.json", json.dumps({"steps": [{
    "kind": "faithfulness", "checkpoint": "m.safetensors", "dataset": "d", "split": "test", "samples": [0, 3],
    "methods": ["gradcam", "gradient"], "layer": "layer3", "target": "predicted",
    "metrics": ["deletion", {"name": "insertion", "steps": 16, "substrate": "zeros"},
                {"name": "road", "percentages": [10, 50], "order": "morf"}, "road_confidence_change",
                "pixel_ap", "comet_ap", {"name": "pointing_game", "tolerance": 4}, "iou_curve",
                {"name": "randomization", "order": "cascading", "seed": 2, "layers": ["head", "stem"]}]}]},
                                          indent=1).encode())
write(spec, "comet.json", json.dumps({"steps": [{
    "kind": "comet", "detector": "m.safetensors", "dataset": "d", "epochs": 3, "batch": 16, "a": 4, "g": 2,
    "b": 100, "tau": 0.6, "milestones": [2], "warmup_epochs": 1, "predictor_depth": 8, "selector_width": 8,
    "detector_batchnorm": "train", "train_limit": 40, "test_limit": 10}]}, indent=1).encode())

# config.json recognition: "model@@SPLIT@@config.json[@@SPLIT@@labels.txt]",
# the fixtures' configs beside the model they came with.
config = folder("config-corpus")
def config_seed(name, model, config_json, labels=None):
    write(config, name, model + SPLIT + config_json + (SPLIT + labels if labels is not None else b""))
config_seed("timm-vit", b"timm-vit", read(FIXTURES, "arch", "timm-vit", "config.json"))
config_seed("hf-clip", b"hf-clip", read(FIXTURES, "arch", "hf-clip", "config.json"))
config_seed("hf-clip-vision", b"hf-clip", read(FIXTURES, "forward", "hf_clip_vision", "config.json"))
config_seed("open-clip", b"openai-clip", read(FIXTURES, "forward", "openclip_rn", "open_clip_config.json"))
config_seed("resnet", b"resnet", json.dumps({"architecture": "resnet18", "num_classes": 10, "pretrained_cfg": {
    "crop_pct": 0.875, "interpolation": "bilinear", "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225]}}).encode())
config_seed("cifar-labels", b"cifar-resnet", b'{"num_classes": 10}',
            b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n")

# The shard index: the fixture's, and one cut to a tensor per shard.
index = folder("index-corpus")
full = read(FIXTURES, "arch", "hf-clip", "model.safetensors.index.json")
write(index, "hf-clip.index.json", full)
weight_map = json.loads(full)["weight_map"]
first = {}
for name, shard in weight_map.items():
    first.setdefault(shard, name)
write(index, "two-tensors.index.json", json.dumps(
    {"metadata": {"total_size": 1}, "weight_map": {n: s for s, n in first.items()}}).encode())

# IDX: three Fashion-MNIST test images and their labels, plain and gzip'd.
idx = folder("idx-corpus")
fashion = "/usr/share/datasets/fashion-mnist"
images = gzip.decompress(read(fashion, "t10k-images-idx3-ubyte.gz"))
labels = gzip.decompress(read(fashion, "t10k-labels-idx1-ubyte.gz"))
images3 = images[:4] + struct.pack(">III", 3, 28, 28) + images[16:16 + 3 * 784]
labels3 = labels[:4] + struct.pack(">I", 3) + labels[8:11]
write(idx, "three", images3 + SPLIT + labels3)
write(idx, "three-gz", gzip.compress(images3, mtime=0) + SPLIT + gzip.compress(labels3, mtime=0))
write(idx, "three-names", images3 + SPLIT + labels3 + SPLIT +
      b"T-shirt\nTrouser\nPullover\nDress\nCoat\nSandal\nShirt\nSneaker\nBag\nAnkle boot\n")
write(idx, "one-by-one", images[:4] + struct.pack(">III", 1, 1, 1) + b"\x80" + SPLIT +
      labels[:4] + struct.pack(">I", 1) + b"\x00")

# CIFAR binary: two records of each, one with its names file.
cifar = folder("cifar-corpus")
c10 = read(FIXTURES, "datasets", "cifar10-bin", "test_batch.bin")
c100 = read(FIXTURES, "datasets", "cifar100-bin", "test.bin")
write(cifar, "cifar10-one", c10[:3073])
write(cifar, "cifar10-two-names", c10[:2 * 3073] + SPLIT +
      b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
write(cifar, "cifar100-two", c100[:2 * 3074])

# Sample lists: CSV and JSON naming CIFAR-10 images, one with a labels.txt.
lists = folder("sample-list-corpus")
write(lists, "list.csv", b"path,label\ntrain/cat/0001.jpg,cat\ntrain/dog/0002.jpg,dog\n/abs/x.png,cat\n")
write(lists, "numbers.csv", b"path,label\na.jpg,10\nb.jpg,2\nc.jpg,0\n" + SPLIT + b"zero\ntwo\nten\n")
write(lists, "list.json", json.dumps([{"path": "test/ship/0003.jpg", "label": "ship"},
                                      {"path": "test/frog/0004.jpg", "label": 6}]).encode())

# The tokenizer: a Hugging Face vocab.json + merges.txt built from the first
# merges of CLIP's own file (GPT-2's byte characters), and a text.
tokenizer = folder("tokenizer-corpus")
printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
chars, extra = {}, 0
for b in range(256):
    if b in printable:
        chars[b] = chr(b)
    else:
        chars[b] = chr(256 + extra)
        extra += 1
order = printable + [b for b in range(256) if b not in printable]
merges = gzip.decompress(read(SHARED, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz")).decode().split("\n")[1:41]
vocab = [chars[b] for b in order] + [chars[b] + "</w>" for b in order] + ["".join(m.split(" ")) for m in merges]
vocab += ["<|startoftext|>", "<|endoftext|>"]
vocab_json = json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False).encode()
merges_txt = ("#version: 0.2\n" + "\n".join(merges) + "\n").encode()
write(tokenizer, "clip-40", vocab_json + SPLIT + merges_txt + SPLIT + b"a photo of a cat &amp; the dog's toy, 2024!")
write(tokenizer, "tiny", json.dumps({"<|startoftext|>": 0, "<|endoftext|>": 1, "a": 2, "b</w>": 3, "ab</w>": 4}).encode()
      + SPLIT + b"a b</w>\n" + SPLIT + b"ab ab&#x41;")

# Feature stores: the CIL fixture's store cut to six samples, with and
# without logits and a source.
stores = folder("feature-store-corpus")
header, body = read_safetensors(os.path.join(FIXTURES, "cil", "test.safetensors"))
meta = header["__metadata__"]
def rows(name, n):
    t = header[name]
    begin, end = t["data_offsets"]
    width = (end - begin) // t["shape"][0]
    return t["shape"][1:], body[begin:begin + n * width]
shape, feats = rows("features", 6)
_, labs = rows("labels", 6)
_, idxs = rows("indices", 6)
base = [("features", "F32", [6] + shape, feats), ("labels", "I64", [6], labs), ("indices", "I64", [6], idxs)]
write(stores, "six.safetensors", safetensors(base, meta))
logits = struct.pack("<60f", *[(i % 10) * 0.25 for i in range(60)])
sourced = dict(meta, checkpoint="resnet20.safetensors", checkpoint_sha256="0" * 64, dataset="cifar10",
               split="test", dataset_fingerprint="1" * 64, dataset_samples="6", transform="32x32",
               skipped_samples="1", skipped_first='["x.jpg"]')
write(stores, "six-logits.safetensors", safetensors(base + [("logits", "F32", [6, 10], logits)], sourced))

# Workspaces (vt-workspace-file.c): every kind, relative and absolute
# paths, one naming a file that is not there.
workspace = folder("workspace-corpus")
write(workspace, "all-kinds.vitrine", json.dumps({
    "version": 1,
    "checkpoints": [{"path": "models/resnet20.safetensors"}, {"path": "/nonexistent/b.safetensors"}],
    "datasets": [{"path": "cifar10-jpg"}],
    "stores": [{"path": "/tmp/features/store.safetensors"}],
    "runs": [{"path": "runs/r1"}]}, indent=2).encode())
write(workspace, "empty.vitrine", json.dumps({"version": 1, "checkpoints": [], "datasets": [],
                                              "stores": [], "runs": []}).encode())
