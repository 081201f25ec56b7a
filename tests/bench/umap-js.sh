#!/bin/sh
# Is UMAP's trustworthiness below t-SNE's ours, or UMAP's? umap-learn, the
# reference, is not packaged by Debian 12, so this runs umap-js 1.4 (PAIR's
# port of umap-learn, from the npm registry, installed into a temporary
# folder) on the same ResNet-20 CIFAR-10 features as projection.sh, with
# umap-learn's defaults, at umap-learn's epoch count for these sizes (500)
# and at umap-js's own, and prints its trustworthiness (k = 10) beside our
# UMAP's and our t-SNE's (bench-projection). umap-js starts from a random
# layout, not a spectral one.
#
#   sh tests/bench/umap-js.sh [build-dir]      (needs a built tree and npm; ~5 min)
#   STORE=path.safetensors ...                  reuse a feature store
#   SIZES="2000 10000" ...                      the sizes (default)
#   SEED=1 ...                                  umap-js's seed (default 1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2

store=${STORE:-}
if [ -z "$store" ]; then
  store=$work/cifar10-train.safetensors
  sh "$here/cifar10-store.sh" "$build" "$store"
fi

mkdir "$work/js"
(cd "$work/js" && npm init -y >/dev/null && npm install --no-audit --no-fund umap-js@1.4.0 >/dev/null)
cp "$here/umap_js.mjs" "$work/js/"

printf '%-7s %14s %14s %14s %12s %12s\n' points "umap-js 500" "umap-js own" "vitrine UMAP" "vitrine t-SNE" "umap-js s"
for n in ${SIZES:-2000 10000}; do
  dim=$(/usr/bin/python3 "$here/umap_js_quality.py" rows "$store" "$n" "$work/rows.f32")
  timing=$(node "$work/js/umap_js.mjs" "$work/rows.f32" "$dim" "$work/layout500.f32" 500 "${SEED:-1}")
  node "$work/js/umap_js.mjs" "$work/rows.f32" "$dim" "$work/layout-own.f32" 0 "${SEED:-1}" >/dev/null
  t500=$(/usr/bin/python3 "$here/umap_js_quality.py" trust "$work/rows.f32" "$dim" "$work/layout500.f32")
  town=$(/usr/bin/python3 "$here/umap_js_quality.py" trust "$work/rows.f32" "$dim" "$work/layout-own.f32")
  ours=$("$build/tests/bench/bench-projection" "$store" "$n" auto 1)
  /usr/bin/python3 - "$n" "$t500" "$town" "$ours" "$timing" <<'PY'
import json, sys
n, t500, town, ours, timing = sys.argv[1:]
ours, timing = json.loads(ours), json.loads(timing)
print(f"{int(n):<7d} {t500:>14s} {town:>14s} {ours['umap_trustworthiness']:14.4f} "
      f"{ours['trustworthiness']:12.4f} {timing['seconds']:12.1f}")
PY
done
