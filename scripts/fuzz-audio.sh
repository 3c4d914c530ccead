#!/bin/sh
# Build the libFuzzer target for the audio elements' streaming path
# (fuzz/fuzz_audio.c: gandenoise and ganvocoder with random buffer sizes,
# NaN/Inf, discontinuities, caps and property changes) and run it for a
# bounded time.
#   scripts/fuzz-audio.sh [SECONDS] [extra libFuzzer options]
# The build directory (FUZZ_BUILDDIR, default build-fuzz) is a clang build
# with -Dfuzz=true; crashes go to BUILD/fuzz/audio-crash-*, the exit status is
# non-zero when one was found.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILDDIR:-$root/build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzz=true -Db_lundef=false \
    -Db_sanitize=address,undefined -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" fuzz/fuzz_audio >/dev/null
corpus=$build/fuzz/audio-corpus
mkdir -p "$corpus"
# seeds: each element and caps choice with a few buffers
i=0
for head in 00 03 12 40 80 82 87 c1; do
  printf "\\x$head\\x00\\xa0\\x00\\x00\\x01\\x00\\x85\\x0f\\x00\\x05\\x03\\x00\\x00\\x40\\x1f" \
    > "$corpus/seed-$i"
  i=$((i + 1))
done
export GST_REGISTRY_1_0="$build/fuzz/audio-registry.bin"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
exec nice "$build/fuzz/fuzz_audio" -max_total_time="$secs" -max_len=2048 \
  -timeout=30 -print_final_stats=1 -artifact_prefix="$build/fuzz/audio-" \
  "$@" "$corpus"
