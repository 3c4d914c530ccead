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
# butterfly: sharp wing edges; comic: lines and texture (Set14)
"$tool" --scale 4 --sheet "$outdir/superres-sheet-x4.png" \
  --crop 40,60,160,160 "$data/images/eval/set5/butterfly.png"
"$tool" --scale 2 --sheet "$outdir/superres-sheet-x2.png" \
  --crop 60,100,180,180 "$data/images/eval/set14/comic.png"
