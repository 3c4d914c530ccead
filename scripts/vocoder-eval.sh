#!/usr/bin/env bash
# The GAN vocoder's bars (issue 6), printed on held-out speech
# (speech/arctic, speech/librispeech: speakers no recipe reads):
#   copy synthesis: STOI >= 0.95, log-mel distance <= half of Griffin-Lim-32
#   narrowband -> wideband: LSD 4-8 kHz <= half of plain resampling,
#                           STOI of the 0-4 kHz band >= 0.95
#   speed: <= 5 % of one core at 16 kHz output (bench-vocoder)
# and the spectrogram PNGs for the README under docs/.
# usage: scripts/vocoder-eval.sh [COPY_MODEL] [NB2WB_MODEL]
set -eu
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}
data=${GAN_DATA:-../shared/data}
copy=${1:-models/vocoder-16k.safetensors}
nb=${2:-models/vocoder-nb2wb.safetensors}
ninja -C "$builddir" bench/vocoder/vocoder-eval bench/vocoder/bench-vocoder >/dev/null
mkdir -p docs
echo "== quality (held-out speech, first 8 s of each file)"
rc=0
"$builddir/bench/vocoder/vocoder-eval" --data "$data" --copy "$copy" \
  --nb2wb "$nb" --png docs || rc=$?
echo "== speed"
"$builddir/bench/vocoder/bench-vocoder" "$copy" "$nb" || rc=$?
exit $rc
