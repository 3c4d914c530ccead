#!/usr/bin/env bash
# Build gst-gan and run its whole test suite (the README's test command).
# Ends with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
builddir=${BUILDDIR:-build}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! meson compile -C "$builddir" >"$builddir-compile.log" 2>&1; then
  tail -50 "$builddir-compile.log"
  echo "0 passed, 1 failed"
  exit 1
fi
meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$builddir-test.log"
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
