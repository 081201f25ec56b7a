#!/bin/sh
# Forward + backward of the real CIFAR ResNet-20 at 32×32, batch 128,
# Vitrine against Debian's PyTorch 1.13, in one run on this machine, on 1
# and 2 threads: milliseconds per step, images per second, and torch's
# time over ours (above 1: we are faster). Every parameter gets its
# gradient; BatchNorm in eval mode on both sides (row "bn eval"), then in
# training mode on both sides (row "bn train": batch statistics and the
# running-statistics update, PyTorch's model.train()); no optimizer step yet.
#
# Each side runs three times, alternating, and keeps its fastest median:
# the machine is shared and its speed moves from minute to minute. On one
# thread both sides are pinned to one CPU.
#
#   nice -n 10 sh tests/bench/train.sh [build-dir]     (needs a built tree; ~1 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-train
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
ckpt=$assets/models/cifar-resnet/resnet20-12fca82f.safetensors
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
batch=128
size=32

faster() {
  /usr/bin/python3 -c "import json,sys; a=sys.argv[1]; b=json.loads(sys.argv[2]); print(json.dumps(b) if not a or b['ms'] < json.loads(a)['ms'] else a)" "$1" "$2"
}

lscpu | sed -n 's/^Model name: *//p'
printf '%-22s %-9s %7s %11s %11s %10s %10s %7s\n' model batchnorm threads "vitrine ms" "torch ms" "vitrine/s" \
  "torch/s" ratio
for mode in eval train; do
  for threads in 1 2; do
    pin=""; [ "$threads" -eq 1 ] && pin="taskset -c $cpu"
    ours=""; theirs=""
    for _ in 1 2 3; do
      ours=$(faster "$ours" "$(OPENBLAS_NUM_THREADS=$threads $pin "$bench" "$ckpt" $batch $size $mode)")
      theirs=$(faster "$theirs" "$(THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1 $pin /usr/bin/python3 "$here/train_torch.py" $batch $size $mode)")
    done
    /usr/bin/python3 - "resnet20-b$batch-${size}px" "bn $mode" "$threads" "$ours" "$theirs" <<'PY'
import json, sys
what, mode, threads, ours, theirs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
print(f"{what:<22} {mode:<9} {threads:>7} {ours['ms']:11.1f} {theirs['ms']:11.1f} {ours['images_per_s']:10.1f} "
      f"{theirs['images_per_s']:10.1f} {theirs['ms'] / ours['ms']:7.2f}")
PY
  done
done
