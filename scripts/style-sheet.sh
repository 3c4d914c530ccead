#!/bin/sh
# Render the style sheet: the paintings (first row), then three content
# frames (rows) with the input and every style of the model (columns), into
# docs/style-sheet.png. The frames are held out: no training set holds them.
#   scripts/style-sheet.sh [OUT.png]
# Env: BUILD (build dir, default build), DATA (default ../shared/data),
#      MODEL (default models/style-8.safetensors), CELL (default 320x180).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
data=${DATA:-$root/../shared/data}
model=${MODEL:-$root/models/style-8.safetensors}
out=${1:-$root/docs/style-sheet.png}
[ $# -gt 0 ] && shift
# Content: frames of Big Buck Bunny (CC BY 3.0, Blender Foundation), which may
# be shown in the README; the photos in shared/data/images/content state no
# licence. Pass other images after OUT.png to render those instead.
if [ $# -eq 0 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  gst-launch-1.0 -q filesrc location="$data/video/cutBunny.mp4" ! qtdemux ! \
    h264parse ! avdec_h264 ! videorate ! video/x-raw,framerate=1/2 ! \
    videoconvert ! pngenc ! multifilesink location="$tmp/frame%02d.png"
  set -- "$tmp/frame01.png" "$tmp/frame02.png" "$tmp/frame04.png"
fi
tool="$build/bench/style/style-sheet"
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$tool" --model "$model" --out "$out" --cell "${CELL:-320x180}" \
  --paintings "$data/images/styles" "$@"
