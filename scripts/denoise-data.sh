#!/bin/bash
# Fetch and decode the Debian speech packages named in shared/data/README.md
# into one FLAC per speaker, for the denoise recipe (--set speech_extra=DIR).
# Needs apt-get (download only, nothing is installed), dpkg and ffmpeg (the
# prompts are bare G.722 streams, which GStreamer cannot parse on its own).
#   scripts/denoise-data.sh DIR
# Writes DIR/speech/asterisk_<voice>.flac (16 kHz),
# DIR/speech/klettres_<lang>.flac (44.1 kHz) and DIR/speech/lowvoice_<name>.flac
# (1.8 minutes of speech with much power under 150 Hz, from the sample
# recordings of codec2-examples (LGPL-2.1, 8 kHz) and pocketsphinx-testdata
# (BSD-2, 16 kHz); the recipe draws them more often, --set lowvoice).
# Takes a while; run it once, in the background.
set -eu
dir=${1:?usage: denoise-data.sh DIR}
mkdir -p "$dir/deb" "$dir/x" "$dir/speech" "$dir/tmp"
cd "$dir"
for p in asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 \
    asterisk-core-sounds-fr-g722 asterisk-core-sounds-it-g722 \
    asterisk-core-sounds-ru-g722 klettres-data codec2-examples \
    pocketsphinx-testdata; do
  ls deb/${p}_*.deb > /dev/null 2>&1 || (cd deb && apt-get download "$p")
done
for f in deb/*.deb; do dpkg -x "$f" x; done

# Each voice's prompts, in name order, concatenated: G.722 is a sample
# stream without headers, so the files join into one stream and decode in
# one go (a decoder per prompt took minutes per voice).
for d in x/usr/share/asterisk/sounds/*/; do
  out=speech/asterisk_$(basename "$d").flac
  [ -f "$out" ] && continue
  find "$d" -name '*.g722' | sort | xargs cat > tmp/a.g722
  ffmpeg -nostdin -loglevel error -f g722 -i tmp/a.g722 -ac 1 -ar 16000 "$out"
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
# Low-voiced speech: the sample recordings whose share of power between 30
# and 150 Hz is large (docs/denoise.md); bare .raw files are 16-bit mono.
low() {  # low OUTNAME FILE [RATE for a bare raw file]
  out=speech/lowvoice_$1.flac
  [ -f "$out" ] && return 0
  if [ $# -gt 2 ]; then
    ffmpeg -nostdin -loglevel error -f s16le -ar "$3" -ac 1 -i "$2" "$out"
  else
    ffmpeg -nostdin -loglevel error -i "$2" -ac 1 -c:a flac -sample_fmt s16 "$out"
  fi
}
c2=x/usr/share/codec2; ps=x/usr/share/pocketsphinx/test/data
low all $c2/wav/all.wav
low vk5qi $c2/wav/vk5qi.wav
low g3plx $c2/raw/g3plx.raw 8000
low cq_ref $c2/raw/cq_ref.raw 8000
low kristoff $c2/raw/kristoff.raw 8000
low goforward $ps/goforward.raw 16000
low numbers $ps/numbers.raw 16000
for i in 1 2 3 4 5; do low 00$i $ps/cards/00$i.wav; done
rm -rf tmp
echo "decoded speech in $dir/speech"
