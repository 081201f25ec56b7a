#!/bin/sh
# The issue's attribution benchmark in one script: on IMAGES (1000)
# CIFAR-10 test JPEGs (the first IMAGES / 10 of each class) with the real
# ResNet-20, through `vitrine --batch` (2 threads): Grad-CAM at layer3 and
# Integrated Gradients (50 Gauss–Legendre steps, zeros baseline) as
# `attribute` steps, deletion + insertion (32 steps) and full ROAD (MoRF and
# LeRF, 10 … 90 %) of the Grad-CAM maps as `faithfulness` steps; each spec
# timed whole (process start, checkpoint, JPEG decoding and the maps
# included, as a user runs it); the metrics alone are a faithfulness
# spec's time less the Grad-CAM spec's (the same decoding and maps). Beside it, PyTorch the straightforward way, image after
# image, on 1 thread (TORCH_THREADS; see faithfulness.sh for why):
# Grad-CAM and IG from gradient_attribution_torch.py, deletion, insertion
# and ROAD from faithfulness_torch.py (RISE's single_run, ROAD's spsolve
# imputer), on the first TORCH_IMAGES (100) of the same images. Prints
# seconds per image of each side and torch's over ours (above 1: we are
# faster), the CPU and the load average.
#
#   nice -n 10 sh tests/bench/attribution.sh [build-dir]     (needs a built tree)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
checkpoint=$assets/models/cifar-resnet/resnet20-12fca82f.safetensors
dataset=$assets/datasets/cifar10-jpg
images=${IMAGES:-1000}
torch_images=${TORCH_IMAGES:-100}
torch_threads=${TORCH_THREADS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The test split sorts by class, then file: class c's first images are
# c · 1000 + 0, 1, …
samples=$(/usr/bin/python3 -c "
n = $images // 10
print(','.join(str(c * 1000 + i) for c in range(10) for i in range(n)))")

# spec NAME STEP-JSON: a spec of one step on the images.
spec() {
  cat > "$work/$1.json" <<JSON
{"steps": [{"id": "$1", "checkpoint": "$checkpoint", "dataset": "$dataset", "split": "test",
            "samples": [$samples], "layer": "layer3", "formats": ["svg"], $2}]}
JSON
}
spec gradcam '"kind": "attribute", "methods": ["gradcam"], "batch": 100'
spec ig '"kind": "attribute", "methods": [{"name": "ig", "steps": 50}], "batch": 16'
spec deletion_insertion '"kind": "faithfulness", "methods": ["gradcam"], "metrics": [{"name": "deletion", "steps": 32}, {"name": "insertion", "steps": 32}]'
spec road '"kind": "faithfulness", "methods": ["gradcam"], "metrics": ["road"]'

# ours NAME: the seconds of `vitrine --batch` on spec NAME, start to end
# (its results stay in $work/NAME-out).
ours() {
  start=$(date +%s.%N)
  OPENBLAS_NUM_THREADS=2 "$build/app/vitrine" --batch "$work/$1.json" --output "$work/$1-out" 2>/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
gradcam=$(ours gradcam)
ig=$(ours ig)
deletion_insertion=$(ours deletion_insertion)
road=$(ours road)

/usr/bin/python3 "$here/faithfulness_torch.py" prepare "$torch_images" "$work/inputs.safetensors"
export THREADS=$torch_threads OMP_NUM_THREADS=$torch_threads OPENBLAS_NUM_THREADS=$torch_threads
maps_torch=$(/usr/bin/python3 "$here/gradient_attribution_torch.py" "$dataset" "$torch_images" 1 gradcam,ig_gausslegendre_50)
metrics_torch=$(/usr/bin/python3 "$here/faithfulness_torch.py" run "$work/inputs.safetensors" "$torch_images")

/usr/bin/python3 - "$images" "$torch_images" "$work" "$gradcam" "$ig" "$deletion_insertion" "$road" "$maps_torch" \
  "$metrics_torch" <<'PY'
import json, sys
n, tn, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
gradcam, ig, di, road = ({"wall": float(a), "result": json.load(open(f"{work}/{name}-out/results.json"))["steps"][0]}
                         for a, name in zip(sys.argv[4:8], ("gradcam", "ig", "deletion_insertion", "road")))
maps_t, metrics_t = (json.loads(a) for a in sys.argv[8:10])
rows = [("Grad-CAM", gradcam["wall"], maps_t["gradcam_ms"] / 1000),
        ("IG, 50 steps", ig["wall"], maps_t["ig_gausslegendre_50_ms"] / 1000),
        ("deletion + insertion, 32", di["wall"] - gradcam["wall"], metrics_t["deletion_insertion_s"] / metrics_t["n"]),
        ("ROAD MoRF + LeRF, 9 %", road["wall"] - gradcam["wall"], metrics_t["road_s"] / metrics_t["n"])]
print(f"{'':<26} {'vitrine --batch, ' + str(n) + ' images':>25} {'torch, ' + str(tn) + ' images':>16}")
print(f"{'':<26} {'s':>9} {'s/image':>15} {'s/image':>16} {'ratio':>7}")
for what, seconds, theirs in rows:
    ours = seconds / n
    print(f"{what:<26} {seconds:9.1f} {ours:15.5f} {theirs:16.5f} {theirs / ours:7.1f}")
print(f"whole specs: Grad-CAM {gradcam['wall']:.1f} s, IG {ig['wall']:.1f} s, deletion + insertion {di['wall']:.1f} s, "
      f"ROAD {road['wall']:.1f} s (each process from start to end, decoding the JPEGs included);")
print("the metrics' rows are their spec less the Grad-CAM spec (the same decoding and maps).")
print("ratio: torch's time per image over ours (above 1: we are faster).")
for r, what in ((di, "deletion AUC, insertion AUC"), (road, "ROAD accuracy")):
    for metric in r["result"]["metrics"]:
        m = metric["results"][0]
        print(f"vitrine, {metric['label']}: mean {m['mean']:.4f}; curve " + " ".join(f"{v:.3f}" for v in m["y"]))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
