#!/bin/sh
# Side-by-side PNG for the README: bicubic | fidelity | GAN | original,
# the same crop of each, at x4 (where the difference shows most) and x2.
#
#   scripts/superres-sheet.sh [BUILD_DIR] [DATA_DIR] [OUT_DIR]
set -eu
build=${1:-build}
data=${2:-../shared/data}
outdir=${3:-docs}
tool="$build/bench/superres/superres-eval"
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build)" >&2; exit 1; }
mkdir -p "$outdir"
# A frame of Big Buck Bunny (CC BY 3.0, Blender Foundation), which may be
# shown in the README (Set5/Set14 are research sets with no such licence):
# fur, grass and the tree line show the difference between the methods.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gst-launch-1.0 -q filesrc location="$data/video/cutBunny.mp4" ! qtdemux ! \
  h264parse ! avdec_h264 ! videorate ! video/x-raw,framerate=1/1 ! \
  videoconvert ! pngenc ! multifilesink location="$tmp/frame%02d.png"
"$tool" --scale 4 --sheet "$outdir/superres-sheet-x4.png" \
  --crop 200,40,200,200 "$tmp/frame05.png"
"$tool" --scale 2 --sheet "$outdir/superres-sheet-x2.png" \
  --crop 180,60,180,180 "$tmp/frame05.png"
