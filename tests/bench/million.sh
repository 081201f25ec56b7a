#!/bin/sh
# PCA, t-SNE and UMAP of a million points through the real batch `project`
# step, each in its own `vitrine --batch` run under /usr/bin/time -v: wall
# seconds and peak resident memory (the maximum resident set size), plus
# the step's own seconds and whether its neighbours were approximate.
#
# The store is synthetic but structured (bench-mixture-store): N points
# (1,000,000) of 64 features from a seeded mixture of 50 Gaussian clusters,
# 256 MB of features. Every step writes its layout CSV, the projector's
# tensors.tsv (about 600 MB at 1M) and metadata.tsv, and a PNG figure;
# trustworthiness is off (O(N^2)). Besides the wall seconds, the CPU
# seconds (user + system) the run took, and at the end of each row the
# load average (1 minute) when it finished: on a shared machine the wall
# times mean little without them; the peak memory does not depend on them.
#
#   nice -n 10 sh tests/bench/million.sh [build-dir]    (needs a built tree)
#   N=200000 ...                    fewer points (develop here first)
#   METHODS="pca umap" ...          some of the methods (default: pca umap tsne)
#   TSNE_ITERATIONS=250 ...         t-SNE's iterations (default 1000; 250 is its minimum)
#   WORK=dir ...                    keep the store and outputs there (default: a temporary folder)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
n=${N:-1000000}
iterations=${TSNE_ITERATIONS:-1000}
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

store=$work/mixture-$n.safetensors
[ -f "$store" ] || "$build/tests/bench/bench-mixture-store" "$store" "$n" 64 50 0

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "store: $n x 64, $(du -m "$store" | cut -f1) MB"
printf '%-6s %10s %10s %10s %12s %10s %s %s\n' method "wall s" "step s" "cpu s" "peak RSS MB" iterations approximate_neighbors load
for method in ${METHODS:-pca umap tsne}; do
  out=$work/out-$method
  spec=$work/$method.json
  cat > "$spec" <<JSON
{"steps": [{"kind": "project", "id": "$method", "store": "$store", "method": "$method",
            "iterations": $iterations, "quality": false, "formats": ["png"]}]}
JSON
  /usr/bin/time -v -o "$work/$method.time" "$build/app/vitrine" --batch "$spec" --output "$out" \
    > "$work/$method.log" 2>&1 || { echo "$method failed:"; tail -5 "$work/$method.log"; continue; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$method.time" |
         awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$method.time")
  cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$work/$method.time" | awk '{ s += $1 } END { print s }')
  /usr/bin/python3 - "$out/results.json" "$method" "$wall" "$peak" "$(cut -d' ' -f1 /proc/loadavg)" "$cpu" <<'PY'
import json, sys
results, method, wall, peak, load, cpu = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
step = json.load(open(results))["steps"][0]
print(f"{method:<6s} {wall:10.1f} {step['seconds']:10.1f} {cpu:10.1f} {peak / 1024:12.0f} "
      f"{step.get('iterations', step.get('epochs', '-'))!s:>10s} {step.get('approximate_neighbors', '-')!s:>21s} {load}")
PY
done
