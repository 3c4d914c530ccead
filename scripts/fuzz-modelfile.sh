#!/bin/sh
# Build the libFuzzer target for the model loader (clang, ASan + UBSan) and
# run it for a bounded time on a generated seed corpus.
#   scripts/fuzz-modelfile.sh [SECONDS] [extra libFuzzer options]
# New corpus entries go to build-fuzz/fuzz/corpus, crashes to
# build-fuzz/fuzz/crash-*; the exit status is non-zero when one was found.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
. "$(dirname "$0")/fuzz-build.sh"
ninja -C "$build" fuzz/fuzz_modelfile fuzz/make_corpus >/dev/null
seeds=$build/fuzz/seeds
corpus=$build/fuzz/corpus
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
"$build/fuzz/make_corpus" "$seeds"
exec nice "$build/fuzz/fuzz_modelfile" -max_total_time="$secs" \
  -max_len=4096 -dict="$root/fuzz/modelfile.dict" -print_final_stats=1 \
  -artifact_prefix="$build/fuzz/" "$@" "$corpus" "$seeds"
