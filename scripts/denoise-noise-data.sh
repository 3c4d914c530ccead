#!/bin/bash
# Fetch more real noise for the denoise recipe (--set noise_extra=DIR/noise)
# from Debian game-data packages: sound effects and ambiences recorded or
# edited under free licences (each package's copyright file is copied next
# to its sounds; OpenSFX names every sound's author and licence in
# DIR/noise/opensfx/CREDITS). Voices are left out, animals' calls and
# horns too: a cry, a moo or a horn's harmonics in the noise teach the model
# to remove voiced speech (a first run with them took clean speech through
# at 13 dB instead of 25-28).
#   scripts/denoise-noise-data.sh DIR
# Needs apt-get (download only, nothing is installed) and dpkg. Writes
# DIR/noise/{opensfx,wesnoth,widelands}/ (about 10 minutes of sound).
set -eu
dir=${1:?usage: denoise-noise-data.sh DIR}
mkdir -p "$dir/deb" "$dir/x" "$dir/noise"
cd "$dir"
for p in openttd-opensfx wesnoth-1.16-data widelands-data; do
  ls deb/${p}_*.deb > /dev/null 2>&1 || (cd deb && apt-get download "$p")
  [ -d "x/$p" ] || dpkg -x deb/${p}_*.deb "x/$p"
done

# OpenSFX: one catalogue of RIFF WAVs. Its table holds (offset | 1 << 31,
# size) pairs; each entry is a name length byte, the name (which credits
# the recording), then the WAV.
out=noise/opensfx
mkdir -p "$out"
cat=$(find x/openttd-opensfx -name opensfx.cat)
cp x/openttd-opensfx/usr/share/doc/openttd-opensfx/copyright "$out/COPYRIGHT"
: > "$out/CREDITS"
first=$(( $(od -An -tu4 -N4 "$cat") & 0x7fffffff ))
for ((i = 0; i < first / 8; i++)); do
  read -r off size <<< "$(od -An -tu4 -j $((i * 8)) -N8 "$cat")"
  off=$((off & 0x7fffffff))
  nl=$(od -An -tu1 -j "$off" -N1 "$cat" | tr -d ' ')
  name=$(dd if="$cat" bs=1 skip=$((off + 1)) count="$nl" 2> /dev/null | tr -d '\0')
  case "$name" in
    *Unused*|*Oooh*|*Year*) continue ;;   # empty, a crowd's voice, jingles
    *Cow*|*Sheep*|*Horse*|*Lion*|*Monkey*|*Bird*|*horn*|*Horn*|*Whistle*|*Beep*|*Morse*|*whistle*)
      continue ;;                          # calls, horns, tones
  esac
  echo "opensfx_$i.wav: $name" >> "$out/CREDITS"
  dd if="$cat" bs=4096 iflag=skip_bytes,count_bytes skip=$((off + 1 + nl)) \
      count=$((size - 1 - nl)) of="$out/opensfx_$i.wav" 2> /dev/null
done

# Wesnoth: ambiences (campfire, night, ship) and weapon and movement
# sounds; no creature cries (-die, -hit, growls, laughs, wails), birdsong,
# horns, drums, tonal magic or music.
out=noise/wesnoth
mkdir -p "$out"
cp x/wesnoth-1.16-data/usr/share/doc/wesnoth-1.16-data/copyright "$out/COPYRIGHT"
src=$(find x/wesnoth-1.16-data -type d -path '*core/sounds' | head -n 1)
find "$src" -type f \( -name '*.ogg' -o -name '*.wav' \) | sort | while read -r f; do
  case "$(basename "$f")" in
    *-die*|*-hit*|*laugh*|*groan*|*growl*|*shriek*|*wail*|ugg*|fanfare*|*zombie*|*hiss*|horn-*|*birds*|*morning*|*wardrums*|*heal*|*magic*)
      continue ;;
  esac
  rel=${f#"$src"/}
  cp "$f" "$out/wesnoth_${rel//\//_}"
done

# Widelands: workshop and machine sounds; no animals, taverns (voices),
# interface clicks or spoken or musical messages.
out=noise/widelands
mkdir -p "$out"
cp x/widelands-data/usr/share/doc/widelands-data/copyright "$out/COPYRIGHT"
src=$(find x/widelands-data -type d -name sound | head -n 1)
find "$src" -type f -name '*.ogg' | sort | while read -r f; do
  case "$f" in
    *tavern*|*military*|*message*|*music*|*scenario*|*/animals/*|*/farm/*|*lobby*|*click*|*bird*|*ping*)
      continue ;;
  esac
  rel=${f#"$src"/}
  cp "$f" "$out/widelands_${rel//\//_}"
done
echo "noise in $dir/noise: $(find noise -type f \( -name '*.wav' -o -name '*.ogg' \) | wc -l) files"
