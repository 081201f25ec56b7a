#!/bin/sh
# COMET against the real CIFAR ResNet-20 on the CIFAR-10 JPEGs (the
# COMET issue's measurement 1): the detector is the checkpoint as
# published (trained on CIFAR-10), frozen; COMET trains its selector and
# predictor against it for EPOCHS epochs, and the faithfulness step ranks
# COMET's test masks beside Grad-CAM's and HiResCAM's of the same detector
# by deletion and ROAD most relevant first.
#
# The full training set takes about 15 minutes an epoch here (880 s on one
# thread, tests/bench/comet.sh), so by default the run takes a class-balanced
# subset: every TRAIN_EVERY-th (5th) training image of each class (10,000)
# and every TEST_EVERY-th (10th) test image (1,000), copied into WORK as an
# image folder with train/ and test/. TRAIN_EVERY=1 TEST_EVERY=1 runs all
# of it. Prints the run's own tables and /usr/bin/time's wall time and peak
# memory.
#
#   nice -n 10 sh tests/bench/comet-cifar10.sh [build-dir]
#   EPOCHS=10 (default) TRAIN_EVERY=5 TEST_EVERY=10 WORK=dir (default: a temporary folder)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
assets=$(cd "$assets" && pwd)
epochs=${EPOCHS:-10}
train_every=${TRAIN_EVERY:-5}
test_every=${TEST_EVERY:-10}
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
subset=$work/cifar10-subset
if [ ! -d "$subset" ]; then
  for split in train test; do
    every=$train_every
    [ "$split" = test ] && every=$test_every
    for class_dir in "$assets/datasets/cifar10-jpg/$split"/*/; do
      class=$(basename "$class_dir")
      mkdir -p "$subset.partial/$split/$class"
      ls "$class_dir" | sort | awk -v k="$every" 'NR % k == 1 || k == 1' |
        while read -r f; do cp "$class_dir/$f" "$subset.partial/$split/$class/"; done
    done
  done
  mv "$subset.partial" "$subset"
fi
echo "subset: $(find "$subset/train" -type f | wc -l) training and $(find "$subset/test" -type f | wc -l) test images"

spec=$work/comet-cifar10.json
cat > "$spec" <<JSON
{
  "name": "COMET against the real ResNet-20 on CIFAR-10 JPEGs, ranked beside Grad-CAM and HiResCAM",
  "steps": [
    { "kind": "comet", "id": "comet", "detector": "$assets/models/cifar-resnet/resnet20-12fca82f.safetensors",
      "dataset": "$subset", "epochs": $epochs, "batch": 128, "seed": 0, "formats": ["svg"] },
    { "kind": "faithfulness", "id": "faith", "checkpoint": "$assets/models/cifar-resnet/resnet20-12fca82f.safetensors",
      "dataset": "$subset", "split": "test", "methods": ["gradcam", "hirescam"], "layer": "layer3",
      "extra_maps": ["comet"], "metrics": ["deletion", { "name": "road", "order": "morf" }], "formats": ["svg"] }
  ]
}
JSON
rm -rf "$work/out"
/usr/bin/time -v "$build/app/vitrine" --batch "$spec" --output "$work/out" > "$work/events.jsonl" 2> "$work/time.txt" || {
  tail -20 "$work/time.txt"; exit 1; }
grep -E 'Elapsed|Maximum resident' "$work/time.txt"
echo "epochs (comet-epochs.csv):"
cat "$work/out/comet-epochs.csv"
/usr/bin/python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['steps'][0]; print('detector clean test accuracy', c['detector_clean_accuracy'], '| predictor on x*m', c['test_predictor_accuracy'], '| detector on x*(1-m)', c['test_detector_accuracy'], '| mean mask area', round(c['test_area'], 4))" "$work/out/results.json"
echo "faithfulness (faith-metrics.csv):"
cat "$work/out/faith-metrics.csv"
echo "load at the end: $(cut -d' ' -f1 /proc/loadavg)"
