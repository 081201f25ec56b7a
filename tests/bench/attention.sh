#!/bin/sh
# The Attention area's work, Vitrine against Debian's PyTorch 1.13, in one
# run on this machine: ViT-B/16 at 224×224 (random weights, timm's layout,
# written by bench-attention and read by both sides), one image.
#   forward   the forward pass with every layer's attention kept
#   switch    a layer or head switch: that head's class map enlarged to
#             224×224 and the 12 × 12 grid of class maps, 56×56 each (goal:
#             under 16 ms, one frame)
#   rollout   over all 12 layers, mean fusion, no discard and 0.9 discarded
#             (goal: under 5 ms)
# and the memory all maps take (kept_mb: the 12 × 12 × 197² probabilities,
# every class map at the grid and at 224×224) and each process's peak RSS.
# Medians of REPEATS, and the fastest repetition; each side runs on 1 and
# on 2 threads. The machine is
# shared: quote the ratio, with `lscpu`'s model name and the load beside it.
#
#   sh tests/bench/attention.sh [build-dir]      (needs a built tree; ~3 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repeats=${REPEATS:-5}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# Writes the checkpoint once (not timed).
OPENBLAS_NUM_THREADS=1 "$build/tests/bench/bench-attention" "$work" 1 >/dev/null
printf '%-7s %-19s %10s %10s %7s %12s %12s %7s\n' threads measure vitrine torch ratio "vitrine min" "torch min" ratio
for threads in 1 2; do
  ours=$(OPENBLAS_NUM_THREADS=$threads "$build/tests/bench/bench-attention" "$work" "$repeats")
  theirs=$(OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/attention_torch.py" "$work" "$repeats" "$threads")
  /usr/bin/python3 - "$threads" "$ours" "$theirs" <<'PY'
import json, sys
threads, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for key in ("forward", "switch", "rollout", "rollout_discard"):
    a, b = ours[key + "_ms"], theirs[key + "_ms"]
    fa, fb = ours[key + "_fastest_ms"], theirs[key + "_fastest_ms"]
    print(f"{threads:<7} {key + '_ms':<19} {a:10.3f} {b:10.3f} {b / a:7.2f} {fa:12.3f} {fb:12.3f} {fb / fa:7.2f}")
key = "peak_rss_mb"
print(f"{threads:<7} {key:<19} {ours[key]:10.0f} {theirs[key]:10.0f} {theirs[key] / ours[key]:7.2f}")
print(f"{threads:<7} {'kept_mb':<19} {ours['kept_mb']:10.1f}")
PY
done
echo "ratio: PyTorch's time (or memory) over Vitrine's; above 1, Vitrine is faster (smaller)."
