#!/bin/sh
# Runs data/demo/upstream-mobilenet-v1.json: MobileNet V1's ImageNet
# embeddings (Coral's uint8 .tflite, through the extract step) of the
# CIFAR-10 JPEGs and of Fashion-MNIST (grey → RGB, resized to 224), NMC,
# SimpleCIL, GDA and RanPAC on B0-Inc2 of each, and t-SNE of the CIFAR-10
# test set.
#
#   sh data/demo/upstream-mobilenet-v1.sh OUTPUT_DIR
#       the whole datasets: 60,000 + 70,000 images
#   TRAIN_PER_CLASS=500 TEST_PER_CLASS=100 sh data/demo/upstream-mobilenet-v1.sh OUTPUT_DIR
#       the first so many images of each class of each split (sorted
#       names for the JPEGs, file order for Fashion-MNIST), written to
#       OUTPUT_DIR/subset/ as a CSV list and IDX files, and the spec
#       rewritten to read them (OUTPUT_DIR/spec.json)
#
# VITRINE (default build/app/vitrine) is the binary; the thread count is
# OPENBLAS_NUM_THREADS, as always.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: sh data/demo/upstream-mobilenet-v1.sh OUTPUT_DIR}
vitrine=${VITRINE:-$here/../../build/app/vitrine}
spec=$here/upstream-mobilenet-v1.json
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -n "${TRAIN_PER_CLASS:-}" ] || [ -n "${TEST_PER_CLASS:-}" ]; then
  /usr/bin/python3 - "$spec" "$out" "${TRAIN_PER_CLASS:-0}" "${TEST_PER_CLASS:-0}" <<'PY'
import gzip, json, os, sys
import numpy as np

spec_path, out, per = sys.argv[1], sys.argv[2], {"train": int(sys.argv[3]), "test": int(sys.argv[4])}
here = os.path.dirname(spec_path)
spec = json.load(open(spec_path))
subset = os.path.join(out, "subset")
os.makedirs(subset, exist_ok=True)
idx_names = {"train": "train", "test": "t10k"}

def cifar_list(root, split):
    path = os.path.join(subset, "cifar10-%s.csv" % split)
    with open(path, "w") as f:
        f.write("path,label\n")
        folder = os.path.join(root, split)
        for label in sorted(os.listdir(folder)):
            names = sorted(os.listdir(os.path.join(folder, label)))
            for name in names[:per[split]] if per[split] > 0 else names:
                f.write("%s,%s\n" % (os.path.join(folder, label, name), label))
    return path

def fashion_subset(root):
    folder = os.path.join(subset, "fashion-mnist")
    os.makedirs(folder, exist_ok=True)
    for split, prefix in idx_names.items():
        images = np.frombuffer(gzip.open(os.path.join(root, prefix + "-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
        labels = np.frombuffer(gzip.open(os.path.join(root, prefix + "-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
        images = images.reshape(len(labels), 28, 28)
        keep = np.concatenate([np.flatnonzero(labels == c)[:per[split]] if per[split] > 0 else np.flatnonzero(labels == c)
                               for c in range(10)])
        keep.sort()
        with open(os.path.join(folder, prefix + "-images-idx3-ubyte"), "wb") as f:
            f.write(np.array([0x803, len(keep), 28, 28], ">u4").tobytes() + images[keep].tobytes())
        with open(os.path.join(folder, prefix + "-labels-idx1-ubyte"), "wb") as f:
            f.write(np.array([0x801, len(keep)], ">u4").tobytes() + labels[keep].tobytes())
    return folder

for step in spec["steps"]:
    if step["kind"] != "extract":
        continue
    step["checkpoint"] = os.path.normpath(os.path.join(here, step["checkpoint"]))
    root = os.path.normpath(os.path.join(here, step["dataset"]))
    if "cifar10" in step["id"]:
        step["dataset"] = cifar_list(root, step.pop("split"))
    else:
        step["dataset"] = fashion_subset(root)
spec["name"] += " (subset: %d training, %d test images per class)" % (per["train"], per["test"])
json.dump(spec, open(os.path.join(out, "spec.json"), "w"), indent=2)
PY
  spec=$out/spec.json
fi
exec "$vitrine" --batch "$spec" --output "$out/results"
