#!/usr/bin/env bash
# Check that libgancore.so exports exactly the functions of its installed
# headers (docs/architecture.md, core/include/gc_export.h).
#
#   scripts/check-exports.sh LIBGANCORE.so HEADER...
#
# HEADERs are the installed headers. Fails, naming the symbols, when the
# library exports a function no installed header declares (an internal
# function leaking out) or lacks one that an installed header declares
# (a public declaration without GC_API).
set -u
lib=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# every symbol the library defines for others, whatever its name (the
# linker's own _init, _fini, _edata, ... start with "_")
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ && $3 !~ /^_/ { print $3 }' \
    | sort -u >"$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
  echo "$lib: exports no function"
  exit 1
fi

# Prototypes start at column 0, after GC_API ("GC_API int gc_x (",
# "GC_API const char *gc_y ("); static inline helpers and typedefs are not
# symbols.
awk '
  { line = $0; sub (/^GC_API /, "", line) }
  line ~ /^[a-z]/ && prev !~ /^static/ && line !~ /^(static|typedef|extern|struct [a-z_]+;)/ {
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
