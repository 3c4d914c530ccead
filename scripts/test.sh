#!/usr/bin/env bash
# Build gst-gan and run its whole test suite (the README's test command).
# Ends with the line "N passed, N failed".
#
#   scripts/test.sh [--sanitize] [meson test options]
# --sanitize builds in a second directory (build-asan) with AddressSanitizer
# and UndefinedBehaviorSanitizer and runs the same suite under them
# (`meson test --setup sanitize`, see tests/meson.build); -O2 as the normal
# build (the training tests are slow under ASan) with line tables.
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
setup_args=()
test_args=()
if [ "${1:-}" = "--sanitize" ]; then
  shift
  builddir=${BUILDDIR:-build-asan}
  setup_args=(-Db_sanitize=address,undefined -Db_lundef=false
              -Dbuildtype=plain -Doptimization=2
              "-Dc_args=-g1 -fno-omit-frame-pointer")
  test_args=(--setup sanitize)
else
  builddir=${BUILDDIR:-build}
fi
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "${setup_args[@]}" >/dev/null \
    || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! meson compile -C "$builddir" >"$builddir-compile.log" 2>&1; then
  tail -50 "$builddir-compile.log"
  echo "0 passed, 1 failed"
  exit 1
fi
meson test -C "$builddir" --print-errorlogs --num-processes 2 \
  "${test_args[@]}" "$@" 2>&1 | tee "$builddir-test.log"
rc=${PIPESTATUS[0]}
ok=$(awk '/^Ok:/ {print $2}' "$builddir-test.log")
xf=$(awk '/^Expected Fail:/ {print $3}' "$builddir-test.log")
fail=$(awk '/^Fail:/ {print $2}' "$builddir-test.log")
up=$(awk '/^Unexpected Pass:/ {print $3}' "$builddir-test.log")
to=$(awk '/^Timeout:/ {print $2}' "$builddir-test.log")
skip=$(awk '/^Skipped:/ {print $2}' "$builddir-test.log")
passed=$(( ${ok:-0} + ${xf:-0} ))
failed=$(( ${fail:-0} + ${up:-0} + ${to:-0} ))
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "${passed} passed, ${failed} failed, ${skip:-0} skipped"
[ "$failed" -eq 0 ]
