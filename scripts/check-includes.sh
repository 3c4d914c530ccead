#!/usr/bin/env bash
# Enforce which folder may include which (docs/architecture.md).
#
#   scripts/check-includes.sh [SOURCE_ROOT]
#
# Reads every #include line of the .c and .h files under the project's
# folders, finds the header each quoted include names (by path, or by file
# name among the project's headers) and checks the folder it lives in
# against the rules below. Angle-bracket includes are checked for GStreamer
# and GLib. Prints one line per violation, "file:line: message", and exits
# non-zero when there is any.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2

folders="core models plugins desktop tools tests bench fuzz"

# May include the project headers of these folders (own folder included).
allowed () {
  case $1 in
    core) echo "core" ;;
    models) echo "models" ;;
    plugins) echo "plugins core models" ;;
    desktop) echo "desktop models core:gancore.h" ;;
    tools) echo "tools core models" ;;
    tests|bench|fuzz) echo "tests bench fuzz tools plugins desktop core models" ;;
  esac
}

# May not include GStreamer or GLib (<gst/...>, <glib...>, <gio/...>, ...).
no_gstreamer () {
  case $1 in core|models|desktop) return 0 ;; *) return 1 ;; esac
}

# Every project header: "name folder/path" lines.
index=$(find $folders -name '*.h' -type f | sort | awk -F/ '{ print $NF, $0 }')

violations=0
report () {
  echo "$1: $2"
  violations=$((violations + 1))
}

while IFS= read -r file; do
  top=${file%%/*}
  rules=$(allowed "$top")
  while IFS=: read -r line text; do
    [ -n "$line" ] || continue
    if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^>]+)\> ]]; then
      sys=${BASH_REMATCH[1]}
      if no_gstreamer "$top" && [[ $sys =~ ^(gst/|glib|gio/|gobject/) ]]; then
        report "$file:$line" "$top/ may not include GStreamer or GLib (<$sys>)"
      fi
      continue
    fi
    [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] \
        || continue
    name=${BASH_REMATCH[1]}
    dir=$(dirname "$file")
    if [ -f "$dir/$name" ]; then
      target=$(realpath -m --relative-to=. "$dir/$name")
    else
      target=$(awk -v n="${name##*/}" '$1 == n { print $2 }' <<<"$index")
      if [ "$(wc -l <<<"$target")" -gt 1 ]; then
        tops=$(sed 's,/.*,,' <<<"$target" | sort -u | wc -l)
        if [ "$tops" -gt 1 ]; then
          report "$file:$line" "\"$name\" names headers in several folders: $(echo $target)"
          continue
        fi
        target=$(head -1 <<<"$target")
      fi
    fi
    [ -n "$target" ] || continue        # not a project header (generated)
    ttop=${target%%/*}
    ok=0
    for r in $rules; do
      case $r in
        *:*) [ "$ttop" = "${r%%:*}" ] && [ "${target##*/}" = "${r#*:}" ] && ok=1 ;;
        *) [ "$ttop" = "$r" ] && ok=1 ;;
      esac
    done
    [ $ok -eq 1 ] || report "$file:$line" "$top/ may not include $target"
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file")
done < <(find $folders -type f \( -name '*.c' -o -name '*.h' \) | sort)

if [ $violations -ne 0 ]; then
  echo "$violations include rule violation(s); see docs/architecture.md"
  exit 1
fi
echo "include rules hold ($(find $folders -type f \( -name '*.c' -o -name '*.h' \) | wc -l) files)"
