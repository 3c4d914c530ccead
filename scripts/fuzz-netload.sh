#!/bin/sh
# Build the libFuzzer target for the network loaders (clang, ASan + UBSan)
# and run it for a bounded time, seeded with the shipped models.
#   scripts/fuzz-netload.sh [SECONDS] [extra libFuzzer options]
# New corpus entries go to build-fuzz/fuzz/corpus-netload, crashes to
# build-fuzz/fuzz/netload-crash-*; the exit status is non-zero when one
# was found.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
. "$(dirname "$0")/fuzz-build.sh"
ninja -C "$build" fuzz/fuzz_netload >/dev/null
seeds=$build/fuzz/seeds-netload
corpus=$build/fuzz/corpus-netload
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
cp "$root"/models/*.safetensors "$seeds"/
# -max_len: the largest shipped model, so every seed is read whole
max=$(wc -c "$seeds"/* | sort -n | tail -2 | head -1 | awk '{print $1}')
exec nice "$build/fuzz/fuzz_netload" -max_total_time="$secs" \
  -max_len="$max" -dict="$root/fuzz/modelfile.dict" -print_final_stats=1 \
  -artifact_prefix="$build/fuzz/netload-" "$@" "$corpus" "$seeds"
