#!/bin/sh
# Render the README's style sheet: three content photos (rows), the input
# and every style of the model (columns), into docs/style-sheet.png.
#   scripts/style-sheet.sh [OUT.png]
# Env: BUILD (build dir, default build), DATA (default ../shared/data),
#      MODEL (default models/style-8.safetensors), CELL (default 160x120).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
data=${DATA:-$root/../shared/data}
model=${MODEL:-$root/models/style-8.safetensors}
out=${1:-$root/docs/style-sheet.png}
tool="$build/bench/style/style-sheet"
[ -x "$tool" ] || { echo "build $tool first (ninja -C $build)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$tool" --model "$model" --out "$out" --cell "${CELL:-160x120}" \
  "$data/images/content/chicago.jpg" \
  "$data/images/content/golden_gate.jpg" \
  "$data/images/content/tubingen.jpg"
