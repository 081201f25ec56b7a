#!/bin/sh
# Deletion + insertion (RISE, 32 steps; deletion to zeros, insertion from
# blur) and ROAD (MoRF and LeRF accuracy over 10 … 90 %, noisy linear
# imputation) on CIFAR-10 test JPEGs with ResNet-20, Vitrine against the
# straightforward PyTorch/numpy/scipy implementation (faithfulness_torch.py:
# RISE's single_run per image, ROAD's NoisyLinearImputer with spsolve per
# image and percentage), in one run on this machine: Vitrine on 2 threads,
# PyTorch on 1 (TORCH_THREADS), because its batch-1 forward passes on 2
# threads ran 50 times slower than on 1 on this shared machine (3 ms against
# 160 ms for ResNet-20 at a load average of 5: OpenMP's threads wait on each
# other), which would flatter us.
# The maps are Grad-CAM at layer3, computed once in PyTorch and scored by
# both sides. Prints seconds per image of each side and torch's over ours
# (above 1: we are faster), then both sides' results on the same images
# (the ROAD noise is the same numpy stream on both sides, so the accuracy
# curves agree unless a class flips on a rounding difference).
#
# The PyTorch side is slower (0.3 s per image here): it runs on the first
# TORCH_IMAGES (100) images, Vitrine on all IMAGES (1000) and, for the
# comparison of results, on those TORCH_IMAGES too.
#
#   nice -n 10 sh tests/bench/faithfulness.sh [build-dir]     (needs a built tree)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
images=${IMAGES:-1000}
torch_images=${TORCH_IMAGES:-100}
checkpoint=$here/../../../shared/assets/models/cifar-resnet/resnet20-12fca82f.safetensors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 "$here/faithfulness_torch.py" prepare "$images" "$work/inputs.safetensors"
ours=$(OPENBLAS_NUM_THREADS=2 "$build/tests/bench/bench-faithfulness" "$checkpoint" "$work/inputs.safetensors" 64)
ours_same=$(OPENBLAS_NUM_THREADS=2 "$build/tests/bench/bench-faithfulness" "$checkpoint" "$work/inputs.safetensors" 64 \
            "$torch_images")
torch_threads=${TORCH_THREADS:-1}
theirs=$(THREADS=$torch_threads OMP_NUM_THREADS=$torch_threads OPENBLAS_NUM_THREADS=$torch_threads /usr/bin/python3 "$here/faithfulness_torch.py" run \
         "$work/inputs.safetensors" "$torch_images")
/usr/bin/python3 - "$ours" "$ours_same" "$theirs" <<'PY'
import json, sys
ours, same, theirs = (json.loads(a) for a in sys.argv[1:4])
print(f"{'metric':<28} {'vitrine s/image':>16} {'torch s/image':>14} {'ratio':>7}")
for key, what in (("deletion_insertion_s", "deletion + insertion"), ("road_s", "ROAD MoRF + LeRF")):
    a, b = ours[key] / ours["n"], theirs[key] / theirs["n"]
    print(f"{what:<28} {a:16.5f} {b:14.5f} {b / a:7.1f}")
print(f"vitrine on {ours['n']} images: deletion+insertion {ours['deletion_insertion_s']:.1f} s, "
      f"ROAD {ours['road_s']:.1f} s")
print(f"vitrine on {ours['n']} images: deletion AUC {ours['deletion_auc']:.4f}, insertion AUC {ours['insertion_auc']:.4f}")
print(f"  ROAD MoRF {ours['road_morf']}\n  ROAD LeRF {ours['road_lerf']}")
for name, r in (("vitrine", same), ("torch", theirs)):
    print(f"{name} on {r['n']} images: deletion AUC {r['deletion_auc']:.6f}, insertion AUC {r['insertion_auc']:.6f}")
    print(f"  ROAD MoRF {r['road_morf']}\n  ROAD LeRF {r['road_lerf']}")
PY
