# Sourced by scripts/fuzz-*.sh: the clang build of the libFuzzer targets
# (FUZZ_BUILDDIR, default build-fuzz; ASan + UBSan, plugins on for
# fuzz_audio), configured once. Sets $root and $build.
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILDDIR:-$root/build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzz=true -Db_lundef=false \
    -Db_sanitize=address,undefined -Dbuildtype=debugoptimized >/dev/null
fi
