#!/bin/sh
# Flicker of style models on the static parts of a real clip: mean absolute
# frame-to-frame change of the output where the input barely changes
# (bench/style/style_flicker.c), every style, first 120 frames.
#   scripts/style-flicker.sh [MODEL...]
# With no models: the shipped model and, when present, the variant trained
# without the stability term (runs/style-nostab/model.safetensors). For an
# equal-step comparison pass the shipped run's snapshot at the variant's
# step as well (runs/style-main/model-<step>.safetensors; docs/style.md).
# Env: BUILD, DATA, VIDEO, FRAMES, THREADS.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
data=${DATA:-$root/../shared/data}
video=${VIDEO:-$data/video/cutBunny.mp4}
tool="$build/bench/style/style-flicker"
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build)" >&2; exit 1; }
if [ $# -eq 0 ]; then
  set -- "$root/models/style-8.safetensors"
  nostab="$root/runs/style-nostab/model.safetensors"
  [ -f "$nostab" ] && set -- "$@" "$nostab"
fi
exec "$tool" --video "$video" --frames "${FRAMES:-120}" \
  --threads "${THREADS:-2}" "$@"
