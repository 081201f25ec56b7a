#!/bin/sh
# The class-incremental protocol, Vitrine against numpy, on 50,000 × 768
# random training features and 10,000 test features in 100 classes,
# B0-Inc10, each method alone, 2 cores for both (OpenBLAS under numpy too).
# Prints seconds, the ratio, the last accuracy of each (they must agree)
# and peak memory.
#
# RanPAC runs with M = ${RANPAC_DIM:-2000}, not its default 10,000: at
# 10,000 each of the 17 ridge solves per stage is a 10,000² system; measured
# here, 20 minutes for Vitrine and 50 for numpy.
#
#   sh tests/bench/cil.sh [build-dir]        (needs a built tree; ~5 min)
#   METHODS=ranpac RANPAC_DIM=10000 sh tests/bench/cil.sh    (RanPAC at its default M; ~70 min)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
m=${RANPAC_DIM:-2000}

/usr/bin/python3 "$here/cil_numpy.py" data "$work" 50000 10000 768 100
printf '%-10s %10s %10s %7s %10s %10s %9s %9s\n' method "vitrine s" "numpy s" ratio "last (v)" "last (np)" "RSS MB" "numpy MB"
for method in ${METHODS:-nmc simplecil gda ranpac}; do
  ours=$("$build/tests/bench/bench-cil" "$work/train.safetensors" "$work/test.safetensors" $method B0-Inc10 "$m")
  theirs=$(/usr/bin/python3 "$here/cil_numpy.py" run "$work" $method B0-Inc10 "$m")
  /usr/bin/python3 - "$method" "$ours" "$theirs" <<'PY'
import json, sys
name, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{name:10s} {ours['seconds']:10.2f} {theirs['seconds']:10.2f} {theirs['seconds'] / ours['seconds']:7.2f} "
      f"{ours['last']:10.4f} {theirs['last']:10.4f} {ours['peak_rss_mb']:9.0f} {theirs['peak_rss_mb']:9.0f}")
PY
done
