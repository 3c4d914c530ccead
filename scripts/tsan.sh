#!/bin/sh
# ThreadSanitizer check (optional, not part of CI): builds the elements and
# their tests with clang -fsanitize=thread in build-tsan and runs the tests
# that change models and properties while buffers stream: every mutable
# property from another thread (gst_property_stress), the vocoder's caps and
# model changes, the super-resolution scale change while playing, the style
# switches. GLib's futex locks are swapped for pthread ones (LD_PRELOAD,
# tests/tsan) so TSan sees GST_OBJECT_LOCK.
#   scripts/tsan.sh [meson test options]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TSAN_BUILDDIR:-$root/build-tsan}
if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} meson setup "$build" "$root" -Db_sanitize=thread \
    -Db_lundef=false -Dbuildtype=plain -Doptimization=1 \
    "-Dc_args=-gline-tables-only" >/dev/null
fi
tests="gst_property_stress gst_ganvocoder gst_gansuperres gst_ganstyle"
targets="plugins/libgstgan.so tests/tsan/libglib_locks_pthread.so"
for t in $tests; do
  targets="$targets tests/gst/test_${t#gst_}"
done
ninja -C "$build" $targets >/dev/null
exec meson test -C "$build" --no-rebuild --setup tsan --print-errorlogs \
  "$@" $tests
