#!/bin/sh
# Gradient attributions (vt-gradient-attribution.h) on the real CIFAR
# ResNet-20, Vitrine against Debian's PyTorch 1.13 done the straightforward
# way (image after image, one batch per image, as Captum runs them), in one
# run on this machine, on 1 and 2 threads: milliseconds per image of
# gradient, gradient × input, SmoothGrad (25 copies) and Integrated
# Gradients (Gauss–Legendre, 50 steps, zeros baseline) over N CIFAR-10
# test JPEGs (default 40), and torch's time over ours (above 1: we are
# faster). Medians of REPEATS (default 3) after a warm-up; each side runs
# twice, alternating, and keeps its faster result: the machine is shared.
# On one thread both sides are pinned to one CPU.
#
#   nice -n 10 sh tests/bench/gradient-attribution.sh [build-dir]   (needs a built tree; ~2 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-gradient-attribution
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
ckpt=$assets/models/cifar-resnet/resnet20-12fca82f.safetensors
images=$assets/datasets/cifar10-jpg
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
n=${N:-40}
repeats=${REPEATS:-3}

# The faster of two JSON results, key by key.
faster() {
  /usr/bin/python3 -c "
import json, sys
a, b = sys.argv[1], json.loads(sys.argv[2])
print(json.dumps(b if not a else {k: min(v, json.loads(a)[k]) for k, v in b.items()}))" "$1" "$2"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); load average: $(cut -d' ' -f1-3 /proc/loadavg); $n images"
printf '%-22s %7s %13s %13s %7s\n' method threads "vitrine ms/im" "torch ms/im" ratio
for threads in 1 2; do
  pin=""; [ "$threads" -eq 1 ] && pin="taskset -c $cpu"
  ours=""; theirs=""
  for _ in 1 2; do
    ours=$(faster "$ours" "$(OPENBLAS_NUM_THREADS=$threads $pin "$bench" "$ckpt" "$images" "$n" "$repeats")")
    theirs=$(faster "$theirs" "$(THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1 $pin /usr/bin/python3 "$here/gradient_attribution_torch.py" "$images" "$n" "$repeats")")
  done
  /usr/bin/python3 - "$threads" "$ours" "$theirs" <<'PY'
import json, sys
threads, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for key in ours:
    print(f"{key[:-3]:<22} {threads:>7} {ours[key]:13.2f} {theirs[key]:13.2f} {theirs[key] / ours[key]:7.2f}")
PY
done
echo "ratio: PyTorch's time over Vitrine's; above 1, Vitrine is faster."
