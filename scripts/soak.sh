#!/bin/sh
# Soak test (not part of CI): gandenoise and gansuperres live, with property
# changes, for SECONDS (default 600); prints RSS growth, late buffers and
# lost samples and exits non-zero when any of them is off.
#   scripts/soak.sh [SECONDS] [--change-every S]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$root/build}
secs=${1:-600}
[ $# -gt 0 ] && shift
ninja -C "$build" bench/soak/gan-soak plugins/libgstgan.so >/dev/null
export GST_PLUGIN_PATH_1_0="$build/plugins"
export GST_REGISTRY_1_0="$build/soak-registry.bin"
exec "$build/bench/soak/gan-soak" --seconds "$secs" "$@"
