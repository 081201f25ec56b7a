#!/bin/sh
# A CoOp round, Vitrine against the same loop in PyTorch (coop_torch.py),
# 2 threads for both: STEPS (200) SGD steps of CoOp's shared context on the
# 10 CIFAR-10 class names, each step on 32 image features with their
# labels, through the frozen text tower's backward pass, the prompts cut
# after the longest end token. Two text towers: the OpenCLIP fixture's
# (width 4, 2 layers, context 16; 4 context vectors) and a ViT-B/16-sized
# one with random weights (width 512, 12 layers, 8 heads, context 77; 16
# context vectors; B16_STEPS, default 20, since a step there takes about a
# second). Prints each side's seconds, the ratio (PyTorch / Vitrine, goal
# ≥ 1.5) and both sides' first and last loss, which must agree.
#
#   sh tests/bench/coop.sh [build-dir]     (needs a built tree and python3-regex)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
assets=$here/../../../shared/assets
vocab=$assets/tokenizers/clip/bpe_simple_vocab_16e6.txt.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
steps=${STEPS:-200}
b16_steps=${B16_STEPS:-20}

fixture=$assets/reference/openclip/clip_vit.safetensors
/usr/bin/python3 "$here/coop_torch.py" model "$work/b16.safetensors" 512 12
/usr/bin/python3 "$here/coop_torch.py" data "$work/fixture-data.safetensors" 32 "$fixture"
/usr/bin/python3 "$here/coop_torch.py" data "$work/b16-data.safetensors" 32 "$work/b16.safetensors"

report() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
what, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{what}: vitrine {ours['seconds']:.3f} s, pytorch {theirs['seconds']:.3f} s, ratio {theirs['seconds'] / ours['seconds']:.2f}; "
      f"loss {ours['first_loss']:.6f} -> {ours['last_loss']:.6f} (pytorch {theirs['first_loss']:.6f} -> {theirs['last_loss']:.6f}); "
      f"{ours['length']} tokens (pytorch {theirs['length']})")
PY
}
ours=$("$build/tests/bench/bench-coop" "$fixture" "$vocab" "$work/fixture-data.safetensors" "$steps" 4)
theirs=$(/usr/bin/python3 "$here/coop_torch.py" run "$fixture" "$work/fixture-data.safetensors" "$steps" 4)
report "fixture text tower, $steps steps" "$ours" "$theirs"
ours=$("$build/tests/bench/bench-coop" "$work/b16.safetensors" "$vocab" "$work/b16-data.safetensors" "$b16_steps" 16)
theirs=$(/usr/bin/python3 "$here/coop_torch.py" run "$work/b16.safetensors" "$work/b16-data.safetensors" "$b16_steps" 16)
report "ViT-B/16-sized text tower, $b16_steps steps" "$ours" "$theirs"
