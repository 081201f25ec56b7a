#!/bin/sh
# Backward passes of convolutions and linear layers, Vitrine against
# Debian's PyTorch 1.13, in one run on this machine, on 1 and 2 threads:
# the milliseconds of the input, weight and bias gradients of one layer,
# and torch's time over ours (above 1: we are faster). The layers are
# ResNet-20's at batch 128 (32×32 CIFAR), some of ResNet-50's at batch 8,
# a depthwise convolution, and ViT-S/16's MLP and head at batch 8.
#
# Each side runs each layer three times, alternating, and keeps its fastest
# median: the machine is shared, and its speed moves from minute to minute
# (see forward.sh). Both sides are pinned to one CPU on one thread.
#
#   nice -n 10 sh tests/bench/grad.sh [build-dir]     (needs a built tree; ~4 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-grad
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')

# what, then the arguments both sides take
layers="
r20-3x3-16-b128|conv 128 16 32 16 3 1 1 1
r20-3x3/2-32-b128|conv 128 16 32 32 3 2 1 1
r20-3x3-64-b128|conv 128 64 8 64 3 1 1 1
r50-1x1-64>256-b8|conv 8 64 56 256 1 1 0 1
r50-3x3-256-b8|conv 8 256 14 256 3 1 1 1
r50-stem-b8|conv 8 3 224 64 7 2 3 1
dw-3x3-128-b8|conv 8 128 28 128 3 1 1 128
vits-fc1-b8|linear 1576 384 1536
vits-fc2-b8|linear 1576 1536 384
vits-head-b8|linear 8 384 1000
"

faster() {
  /usr/bin/python3 -c "import json,sys; a=sys.argv[1]; b=json.loads(sys.argv[2]); print(json.dumps(b) if not a or b['ms'] < json.loads(a)['ms'] else a)" "$1" "$2"
}

printf '%-20s %7s %11s %11s %7s\n' layer threads "vitrine ms" "torch ms" ratio
echo "$layers" | while IFS='|' read -r what args; do
  [ -n "$what" ] || continue
  for threads in 1 2; do
    pin=""; [ "$threads" -eq 1 ] && pin="taskset -c $cpu"
    ours=""; theirs=""
    for _ in 1 2 3; do
      # shellcheck disable=SC2086
      ours=$(faster "$ours" "$(OPENBLAS_NUM_THREADS=$threads $pin "$bench" $args)")
      # shellcheck disable=SC2086
      theirs=$(faster "$theirs" "$(THREADS=$threads OMP_NUM_THREADS=$threads $pin /usr/bin/python3 "$here/grad_torch.py" $args)")
    done
    /usr/bin/python3 - "$what" "$threads" "$ours" "$theirs" <<'PY'
import json, sys
what, threads, ours, theirs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"{what:<20} {threads:>7} {ours['ms']:11.3f} {theirs['ms']:11.3f} {theirs['ms'] / ours['ms']:7.2f}")
PY
  done
done
