#!/bin/sh
# Active learning's inner loops, Vitrine against numpy (strategies) and
# PyTorch (the head), in one go on the same data, 2 threads for both:
# entropy and margin over a 50,000-sample pool of 10 classes picking 100
# (goal < 100 ms), coreset and BADGE picking 100 of 50,000 with 64 features
# and 100 labeled (goal < 10 s), and retraining a linear head, 100
# full-batch epochs, on 1,000 labels of 64 features (goal < 1 s). Medians of
# ${REPEATS:-5}. Prints each time, the ratio (reference / Vitrine) and the
# first pick of each strategy (entropy, margin and coreset must agree;
# BADGE draws from different random streams on the two sides).
#
#   sh tests/bench/active.sh [build-dir]     (needs a built tree; ~1 min)
#   D=512 sh tests/bench/active.sh           (ViT-sized features)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
repeats=${REPEATS:-5}

/usr/bin/python3 "$here/active_numpy.py" data "$work" 50000 10 "${D:-64}" 100 1000
ours=$("$build/tests/bench/bench-active" "$work/active.safetensors" "$repeats")
theirs=$(/usr/bin/python3 "$here/active_numpy.py" run "$work" "$repeats")
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'':12s} {'vitrine':>10s} {'reference':>10s} {'ratio':>7s}")
for key, what in [("entropy_ms", "entropy ms"), ("margin_ms", "margin ms"), ("coreset_s", "coreset s"),
                  ("badge_s", "badge s"), ("train_s", "head s")]:
    print(f"{what:12s} {ours[key]:10.3f} {theirs[key]:10.3f} {theirs[key] / ours[key]:7.2f}")
print("first picks (entropy, margin, coreset, badge):", ours["first"], theirs["first"])
PY
