#!/usr/bin/env bash
# Check that libgancore.so exports exactly the functions of its installed
# headers (docs/architecture.md, core/gc_export.h).
#
#   scripts/check-exports.sh LIBGANCORE.so HEADER...
#
# HEADERs are the installed headers. Fails, naming the symbols, when the
# library exports a function no installed header declares (an internal
# function leaking out) or lacks one that an installed header declares
# (a public header without GC_BEGIN_DECLS / GC_API).
set -u
lib=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' \
    | grep -E '^gcn?_' | sort -u >"$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
  echo "$lib: exports no gc_/gcn_ function"
  exit 1
fi

# Prototypes start at column 0 ("int gc_x (", "const char *gc_y (", or the
# name alone after a return type on the line before); static inline helpers
# and typedefs are not symbols.
awk '
  /^[a-z]/ && prev !~ /^static/ && $0 !~ /^(static|typedef|extern|struct [a-z_]+;)/ {
    line = $0
    if (match (line, /(^|[ *])gcn?_[a-z0-9_]+ \(/)) {
      name = substr (line, RSTART, RLENGTH - 2)
      sub (/^[ *]/, "", name)
      print name
    }
  }
  { prev = $0 }
' "$@" | sort -u >"$tmp/declared"

status=0
leaked=$(comm -23 "$tmp/exported" "$tmp/declared")
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
if [ -n "$leaked" ]; then
  echo "exported but declared in no installed header:" $leaked
  status=1
fi
if [ -n "$missing" ]; then
  echo "declared in an installed header but not exported:" $missing
  status=1
fi
[ $status -eq 0 ] && echo "$(wc -l <"$tmp/exported") functions exported, all declared in the installed headers"
exit $status
