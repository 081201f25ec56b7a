#!/bin/sh
# UMAP's neighbour search, Vitrine's NN-descent against pynndescent 0.5
# (Debian's python3-pynndescent, with umap-learn's settings), in one run on
# this machine: on ResNet-20 features of the CIFAR-10 training JPEGs (64
# floats) and on Fashion-MNIST's training images (784 pixels). Recall is
# measured against scikit-learn's exact neighbours; Vitrine's exact search
# (blocked sgemm) is timed beside them. 2 threads each.
#
#   sh tests/bench/neighbors.sh [build-dir]     (needs a built tree; ~10 min)
#   STORE=path.safetensors ...                   reuse a CIFAR-10 feature store
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 NUMBA_NUM_THREADS=2

store=${STORE:-}
if [ -z "$store" ]; then
  store=$work/cifar10-train.safetensors
  sh "$here/cifar10-store.sh" "$build" "$store"
fi
fashion=/usr/share/datasets/fashion-mnist

printf '%-14s %7s %4s %10s %10s %10s %8s %8s %10s\n' data points dim "exact s" "vitrine s" "pynnd s" "ratio" "recall v" "recall pynnd"
for case in "cifar10 $store 10000" "cifar10 $store 50000" "fashion $fashion 10000" "fashion $fashion 60000"; do
  set -- $case
  ours=$("$build/tests/bench/bench-neighbors" "$2" "$3" 14 "$work/ours.u32")
  theirs=$(/usr/bin/python3 "$here/neighbors_pynndescent.py" "$2" "$3" "$work/ours.u32")
  /usr/bin/python3 - "$1" "$ours" "$theirs" <<'PY'
import json, sys
name, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{name:<14} {ours['n']:7d} {ours['dim']:4d} {ours['exact_seconds']:10.2f} {ours['approximate_seconds']:10.2f} "
      f"{theirs['seconds']:10.2f} {theirs['seconds'] / ours['approximate_seconds']:8.2f} "
      f"{theirs['ours_recall']:8.4f} {theirs['recall']:10.4f}")
PY
done
