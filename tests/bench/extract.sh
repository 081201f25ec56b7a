#!/bin/sh
# Feature extraction end to end, Vitrine against a PyTorch script doing the
# same (Pillow decode, torchvision transforms, a DataLoader), on 2 cores:
#   - ResNet-20 (the demo weights) on the 10,000 CIFAR-10 test JPEGs, 32×32;
#   - ViT-S/16 (torchvision layout, random weights) on 2,000 of them (200 per
#     class) upscaled to 224 (bicubic).
# Prints images/s of both, the ratio, and Vitrine's pipeline rate against
# its own forward pass alone (how much decoding the pipeline hides). Then
# peak memory of Vitrine's pipeline on 10,000 and on 50,000 images.
#
# The machine is shared and noisy, so for ResNet-20 Vitrine's figure is the
# median of 3 runs, and PyTorch's the best of 2 runs of each DataLoader
# setting tried (0, 1 or 2 worker processes, 2 threads): the comparison
# leans towards PyTorch. ViT-S runs once each (about 4 and 8 minutes), with
# 2 DataLoader workers, since decoding is a small part of its time.
#
#   sh tests/bench/extract.sh [build-dir]      (needs a built tree; ~20 min)
#   PARTS="resnet20" sh tests/bench/extract.sh  only some of: resnet20 vit_s16 memory
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/tests/bench/bench-extract
assets=$here/../../../shared/assets
cifar=$assets/datasets/cifar10-jpg
resnet20=$assets/models/cifar-resnet/resnet20-12fca82f.safetensors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
parts=${PARTS:-resnet20 vit_s16 memory}
wants() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

/usr/bin/python3 "$here/forward_torch.py" export "$work"
/usr/bin/python3 - "$cifar/test" "$work/list2000.csv" <<'PY'
import os, sys
root, out = sys.argv[1:]
with open(out, "w") as f:
    f.write("path,label\n")
    for c in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, c)))[:200]:
            f.write(f"{root}/{c}/{name},{c}\n")
PY

best_torch() {
  best=""
  settings="$1 $1"; [ -n "${ONCE:-}" ] && settings=$1
  for workers in $settings; do
    run_args=$(echo "$2" | sed "s/WORKERS/$workers/")
    # shellcheck disable=SC2086
    theirs=$(/usr/bin/python3 "$here/extract_torch.py" $run_args)
    best=$(/usr/bin/python3 -c "import json,sys; a=sys.argv[1]; b=json.loads(sys.argv[2]); b['workers']=int(sys.argv[3]); print(json.dumps(b) if not a or b['images_per_second'] > json.loads(a)['images_per_second'] else a)" "$best" "$theirs" "$workers")
  done
  echo "$best"
}

report() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
name, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
p, f, t = ours["pipeline_images_per_second"], ours["forward_images_per_second"], theirs["images_per_second"]
print(f"{name:9s} {ours['samples']:7d} {p:11.1f} {f:11.1f} {p / f:9.2f} {t:9.1f} {theirs['workers']:7d} {p / t:7.2f} "
      f"{ours['peak_rss_mb']:8.0f} {theirs['peak_rss_mb']:8.0f}")
PY
}

printf '%-9s %7s %11s %11s %9s %9s %7s %7s %8s %8s\n' model images "pipeline/s" "forward/s" "pipe/fwd" "torch/s" workers ratio "RSS MB" "torch MB"
if wants resnet20; then
runs=""
for run in 1 2 3; do
  runs="$runs$("$bench" "$resnet20" "$cifar" test - - 64)
"
done
ours=$(printf '%s' "$runs" | /usr/bin/python3 -c "import json,sys; r=sorted((json.loads(l) for l in sys.stdin), key=lambda x: x['pipeline_images_per_second']); print(json.dumps(r[len(r) // 2]))")
theirs=$(best_torch "0 1 2" "resnet20 $cifar/test 64 WORKERS")
report resnet20 "$ours" "$theirs"
fi
if wants vit_s16; then
ours=$("$bench" "$work/vit_s16.safetensors" "$work/list2000.csv" - 224 bicubic 64)
theirs=$(ONCE=1 best_torch "2" "vit_s16 $work/vit_s16.safetensors $work/list2000.csv 64 WORKERS")
report vit_s16 "$ours" "$theirs"
fi

if wants memory; then
echo
echo "Vitrine's peak memory, ResNet-20 on CIFAR-10 JPEGs:"
for split in test train; do
  "$bench" "$resnet20" "$cifar" "$split" - - 64 | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"  {r['samples']:6d} images: {r['peak_rss_mb']:.0f} MB\")"
done
fi
