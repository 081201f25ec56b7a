#!/bin/sh
# Extracts the ResNet-20 features of the 50,000 CIFAR-10 training JPEGs into
# a feature store, for the benchmarks that lay them out or search them.
#
#   sh tests/bench/cifar10-store.sh BUILD-DIR STORE
set -eu
build=$1
store=$2
here=$(cd "$(dirname "$0")" && pwd)
assets=${VITRINE_SHARED_ASSETS:-$here/../../../shared/assets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/extract.json" <<JSON
{"steps": [{"kind": "extract", "checkpoint": "$assets/models/cifar-resnet/resnet20-12fca82f.safetensors",
  "dataset": "$assets/datasets/cifar10-jpg", "split": "train", "store": "$store"}]}
JSON
"$build/app/vitrine" --batch "$work/extract.json" --output "$work/extract" 2>/dev/null
