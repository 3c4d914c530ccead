#!/usr/bin/env bash
# Export the latest checkpoint of a running vocoder training without
# disturbing it: copy runs/vocoder-TASK/ckpt.safetensors aside and let
# gan-train export it (--set export_only=1).
# usage: scripts/vocoder-snapshot.sh TASK OUT.safetensors   (TASK: copy|nb2wb)
set -eu
cd "$(dirname "$0")/.."
task=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "runs/vocoder-$task/ckpt.safetensors" "$tmp/"
"${BUILDDIR:-build}/tools/train/gan-train" vocoder --data "${GAN_DATA:-../shared/data}" \
  --run-dir "$tmp" --out "$out" --set task="$task" --set export_only=1 --quiet \
  2>&1 | tail -1
