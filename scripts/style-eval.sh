#!/bin/sh
# Score style models on held-out photos (docs/style.md, Evaluation): twelve
# photos of Set14 (shared/data/images/eval/set14, no slide or comic), which
# no style training set holds (training uses images/train and
# images/content), at 640x360, next to the LAB colour-transfer baseline.
#   scripts/style-eval.sh [MODEL...]     (default: the shipped model)
# Env: BUILD, DATA, SIZE (default 640x360).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
data=${DATA:-$root/../shared/data}
tool="$build/bench/style/style-eval"
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build)" >&2; exit 1; }
[ $# -eq 0 ] && set -- "$root/models/style-8.safetensors"
s="$data/images/eval/set14"
for model in "$@"; do
  echo "model $model"
  "$tool" --model "$model" --styles "$data/images/styles" --size "${SIZE:-640x360}" \
    "$s/baboon.png" "$s/barbara.png" "$s/bridge.png" "$s/coastguard.png" \
    "$s/face.png" "$s/flowers.png" "$s/foreman.png" "$s/lenna.png" \
    "$s/man.png" "$s/monarch.png" "$s/pepper.png" "$s/zebra.png"
done
