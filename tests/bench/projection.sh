#!/bin/sh
# PCA and t-SNE, Vitrine against scikit-learn 1.2 (Debian), on the ResNet-20
# features of the CIFAR-10 training JPEGs, at 2,000, 10,000 and 50,000
# points (every N_store/N-th sample, the same rows on both sides), 2 cores
# for both. Prints seconds and the ratio, and the layouts' quality:
# trustworthiness (k = 10) up to 10,000 points (sklearn's own function
# needs an N x N matrix: 20 GB at 50,000) and 10-NN accuracy at all sizes.
# Then our UMAP, whose reference (umap-learn) Debian does not package: its
# seconds and quality beside our t-SNE's.
#
#   sh tests/bench/projection.sh [build-dir]     (needs a built tree; ~15 min)
#   STORE=path.safetensors ...                    reuse a feature store
#   SIZES="2000 10000" ...                        fewer sizes
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

printf '%-7s %-6s %10s %10s %7s %10s %10s %8s %8s\n' points step "vitrine s" "sklearn s" ratio "trust (v)" "trust (sk)" "kNN (v)" "kNN (sk)"
for n in ${SIZES:-2000 10000 50000}; do
  quality=0
  [ "$n" -le 10000 ] && quality=1
  ours=$("$build/tests/bench/bench-projection" "$store" "$n" auto "$quality")
  theirs=$(/usr/bin/python3 "$here/projection_sklearn.py" "$store" "$n" "$quality")
  /usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def f(d, k):
    return f"{d[k]:.4f}" if k in d else "-"
n = ours["n"]
print(f"{n:<7d} {'PCA':6s} {ours['pca_seconds']:10.3f} {theirs['pca_seconds']:10.3f} "
      f"{theirs['pca_seconds'] / ours['pca_seconds']:7.2f}")
print(f"{n:<7d} {'t-SNE':6s} {ours['tsne_seconds']:10.2f} {theirs['tsne_seconds']:10.2f} "
      f"{theirs['tsne_seconds'] / ours['tsne_seconds']:7.2f} {f(ours, 'trustworthiness'):>10s} "
      f"{f(theirs, 'trustworthiness'):>10s} {ours['knn_accuracy']:8.4f} {theirs['knn_accuracy']:8.4f}")
print(f"{n:<7d} {'UMAP':6s} {ours['umap_seconds']:10.2f} {'-':>10s} {'-':>7s} {f(ours, 'umap_trustworthiness'):>10s} "
      f"{'-':>10s} {ours['umap_knn_accuracy']:8.4f} {'-':>8s}")
PY
done
