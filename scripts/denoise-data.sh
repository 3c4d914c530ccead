#!/bin/bash
# Fetch and decode the Debian speech packages named in shared/data/README.md
# into one FLAC per speaker, for the denoise recipe (--set speech_extra=DIR).
# Needs apt-get (download only, nothing is installed), dpkg and ffmpeg (the
# prompts are bare G.722 streams, which GStreamer cannot parse on its own).
#   scripts/denoise-data.sh DIR
# Writes DIR/speech/asterisk_<voice>.flac (16 kHz) and
# DIR/speech/klettres_<lang>.flac (44.1 kHz). Takes a while; run it once, in
# the background.
set -eu
dir=${1:?usage: denoise-data.sh DIR}
mkdir -p "$dir/deb" "$dir/x" "$dir/speech" "$dir/tmp"
cd "$dir"
for p in asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 \
    asterisk-core-sounds-fr-g722 asterisk-core-sounds-it-g722 \
    asterisk-core-sounds-ru-g722 klettres-data; do
  ls deb/${p}_*.deb > /dev/null 2>&1 || (cd deb && apt-get download "$p")
done
for f in deb/*.deb; do dpkg -x "$f" x; done

# Each voice's prompts, in name order, concatenated.
for d in x/usr/share/asterisk/sounds/*/; do
  out=speech/asterisk_$(basename "$d").flac
  [ -f "$out" ] && continue
  : > tmp/a.raw
  find "$d" -name '*.g722' | sort | while read -r f; do
    ffmpeg -nostdin -loglevel error -f g722 -i "$f" -f s16le -ac 1 -ar 16000 - >> tmp/a.raw
  done
  ffmpeg -nostdin -loglevel error -f s16le -ar 16000 -ac 1 -i tmp/a.raw "$out"
done
# KLettres: letters and syllables per language folder.
for d in x/usr/share/klettres/*/; do
  [ "$(find "$d" -name '*.ogg' | wc -l)" -gt 0 ] || continue
  out=speech/klettres_$(basename "$d").flac
  [ -f "$out" ] && continue
  : > tmp/k.raw
  find "$d" -name '*.ogg' | sort | while read -r f; do
    ffmpeg -nostdin -loglevel error -i "$f" -f s16le -ac 1 -ar 44100 - >> tmp/k.raw
  done
  ffmpeg -nostdin -loglevel error -f s16le -ar 44100 -ac 1 -i tmp/k.raw "$out"
done
rm -rf tmp
echo "decoded speech in $dir/speech"
