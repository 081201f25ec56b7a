#!/bin/sh
# MobileNet V2's speed: Vitrine's TensorFlow Lite float path (Coral's
# mobilenet_v2_1.0_224_quant.tflite, its dequantized weights) against
# torchvision's mobilenet_v2 in Debian's PyTorch 1.13 (the same
# architecture, random weights), at batch 1 and 32 on 1 and 2 cores, with
# the uint8 path's images/s beside them. Prints images/s and the ratio
# float path / PyTorch.
#
# As in forward.sh: PyTorch runs with each of three OMP/OpenBLAS thread
# settings and keeps its fastest; Vitrine runs as many times, alternating
# with it, and keeps its fastest; a 1-core run of either side is pinned to
# the same CPU. The .tflite graph takes one image, so Vitrine's batch of 32
# is 32 invokes in a row; PyTorch's is one batched call.
#
#   sh tests/bench/tflite-vs-torch.sh [build-dir]     (a few minutes)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-tflite
assets=${VITRINE_ASSETS:-$here/../../../shared/assets}
model=$assets/models/coral-mobilenet/mobilenet_v2_1.0_224_quant.tflite
image=$assets/models/coral-mobilenet/parrot.jpg
repeats=${REPEATS:-5}
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# The larger of two numbers (the first may be empty).
larger() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }
ours() { OPENBLAS_NUM_THREADS=$1 $2 "$bench" "$model" "$image" "$3" "$4" "$5" | sed 's/.* \([0-9.]*\) images\/s.*/\1/'; }

printf '%5s %5s %14s %12s %7s %14s\n' batch cores "float img/s" "torch img/s" ratio "uint8 img/s"
for cores in 1 2; do
  for batch in 1 32; do
    n=$repeats; [ "$batch" -eq 32 ] && n=3
    pin=""; [ "$cores" -eq 1 ] && pin="taskset -c $cpu"
    float=""; uint8=""; torch=""
    for setting in "OMP_NUM_THREADS=$cores OPENBLAS_NUM_THREADS=1" \
                   "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=$cores" \
                   "OMP_NUM_THREADS=$cores OPENBLAS_NUM_THREADS=$cores OMP_WAIT_POLICY=PASSIVE"; do
      float=$(larger "$float" "$(ours "$cores" "$pin" "$n" float "$batch")")
      uint8=$(larger "$uint8" "$(ours "$cores" "$pin" "$n" uint8 "$batch")")
      t=$(env $setting $pin /usr/bin/python3 "$here/tflite_torch.py" "$batch" "$n" |
          /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')
      torch=$(larger "$torch" "$t")
    done
    awk -v b="$batch" -v c="$cores" -v f="$float" -v t="$torch" -v u="$uint8" \
      'BEGIN { printf "%5d %5d %14.2f %12.2f %7.2f %14.2f\n", b, c, f, t, f / t, u }'
  done
done
