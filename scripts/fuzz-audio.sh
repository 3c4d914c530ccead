#!/bin/sh
# Build the libFuzzer target for the audio elements' streaming path
# (fuzz/fuzz_audio.c: gandenoise and ganvocoder with random buffer sizes,
# NaN/Inf, discontinuities, caps and property changes) and run it for a
# bounded time.
#   scripts/fuzz-audio.sh [SECONDS] [extra libFuzzer options]
# The build is scripts/fuzz-build.sh's; crashes go to
# BUILD/fuzz/audio-crash-*, the exit status is non-zero when one was found.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
. "$(dirname "$0")/fuzz-build.sh"
ninja -C "$build" fuzz/fuzz_audio >/dev/null
corpus=$build/fuzz/audio-corpus
mkdir -p "$corpus"
# seeds: each element and caps choice (first byte, octal) with a buffer, a
# DISCONT buffer, a caps change and another buffer
i=0
for head in 000 003 022 100 200 202 207 301; do
  printf "\\$head"'\000\240\000\000\001\000\205\017\000\005\003\000\000\100\037' \
    > "$corpus/seed-$i"
  i=$((i + 1))
done
export GST_REGISTRY_1_0="$build/fuzz/audio-registry.bin"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
exec nice "$build/fuzz/fuzz_audio" -max_total_time="$secs" -max_len=1024 \
  -len_control=0 \
  -timeout=30 -print_final_stats=1 -artifact_prefix="$build/fuzz/audio-" \
  "$@" "$corpus"
