#!/bin/sh
# One COMET training step (selector width 16, a fresh CIFAR ResNet-20
# predictor with BatchNorm in training mode, the real ResNet-20 detector in
# eval mode, AdamW) at 32×32, batch 128, Vitrine (bench-comet) against
# Debian's PyTorch 1.13 (comet_torch.py, the same networks and loss), in
# one run on this machine, on 1 and 2 threads: milliseconds per step, the
# seconds an epoch of CIFAR-10's 50,000 training images takes at that rate
# (391 steps; decoding not counted), and torch's time over ours (above 1:
# we are faster).
#
# Each side runs REPEATS times (3), alternating, and keeps its fastest
# median: the machine is shared and its speed moves from minute to minute.
# On one thread both sides are pinned to one CPU.
#
#   nice -n 10 sh tests/bench/comet.sh [build-dir]     (needs a built tree; ~8 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-comet
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
ckpt=$assets/models/cifar-resnet/resnet20-12fca82f.safetensors
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
batch=128
repeats=${REPEATS:-3}

faster() {
  /usr/bin/python3 -c "import json,sys; a=sys.argv[1]; b=json.loads(sys.argv[2]); print(json.dumps(b) if not a or b['ms'] < json.loads(a)['ms'] else a)" "$1" "$2"
}

lscpu | sed -n 's/^Model name: *//p'
printf '%-7s %12s %12s %16s %16s %7s\n' threads "vitrine ms" "torch ms" "vitrine s/epoch" "torch s/epoch" ratio
for threads in 1 2; do
  pin=""; [ "$threads" -eq 1 ] && pin="taskset -c $cpu"
  ours=""; theirs=""
  i=0
  while [ "$i" -lt "$repeats" ]; do
    ours=$(faster "$ours" "$(OPENBLAS_NUM_THREADS=$threads $pin "$bench" "$ckpt" $batch)")
    theirs=$(faster "$theirs" "$(THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1 $pin /usr/bin/python3 "$here/comet_torch.py" "$ckpt" $batch)")
    i=$((i + 1))
  done
  /usr/bin/python3 - "$threads" "$ours" "$theirs" <<'PY'
import json, sys
threads, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{threads:<7} {ours['ms']:12.1f} {theirs['ms']:12.1f} {ours['epoch_s']:16.1f} {theirs['epoch_s']:16.1f} "
      f"{theirs['ms'] / ours['ms']:7.2f}")
PY
done
