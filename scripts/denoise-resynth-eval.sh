#!/bin/bash
# gandenoise mode=mask against mode=resynth on the held-out set: STOI and
# SI-SDR improvement per rate (48 and 16 kHz) and SNR (-5 .. 15 dB).
#
#   scripts/denoise-resynth-eval.sh [OUT_DIR]
#
# Reads the set that scripts/denoise-eval.sh builds (SET, default
# /tmp/gandenoise-eval/set; build it with that script first) and writes
# outputs and results.tsv to OUT_DIR (default /tmp/gandenoise-resynth-eval),
# never into the set. Outputs are scored as they come out: gandenoise keeps
# its output aligned with its input in both modes (the element tests check
# it with a click), and a cross-correlation lag search, as denoise-eval.sh
# does for other denoisers, is unreliable on resynthesised speech, whose
# waveform (phase) differs from the input's.
#
# Environment: BUILD (build dir, default build), SET, MODEL (denoiser model
# file instead of the embedded one), VARIANTS (space-separated NAME=PROPS,
# PROPS with commas for spaces; default "mask=mode=mask
# resynth=mode=resynth"), RATES (default "48k 16k"), SNRS (default
# "-5 0 5 10 15").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SET=${SET:-/tmp/gandenoise-eval/set}
OUT=${1:-/tmp/gandenoise-resynth-eval}
VARIANTS=${VARIANTS:-"mask=mode=mask resynth=mode=resynth"}
RATES=${RATES:-"48k 16k"}
SNRS=${SNRS:-"-5 0 5 10 15"}
export GST_PLUGIN_PATH="$PWD/$BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
EVAL="$BUILD/tools/eval/gan-eval"
MODEL_PROP=${MODEL:+model=$MODEL}

[ -f "$SET/16k/snr15/noisy.wav" ] || {
  echo "no held-out set in $SET: run scripts/denoise-eval.sh first" >&2; exit 1; }

metrics () {          # CLEAN TEST RATE -> "sisdr stoi"
  "$EVAL" audio "$1" "$2" --rate "$3" \
    | awk '/^si_sdr_db/ {s = $2} /^stoi/ {t = $2} END {print s, t}'
}
rate_of () { od -An -tu4 -j24 -N4 "$1" | tr -d ' '; }

res="$OUT/results.tsv"
mkdir -p "$OUT"
echo -e "rate\tsnr\tvariant\tsi_sdr\tsi_sdr_noisy\tstoi\tstoi_noisy\tcpu_s\taudio_s" > "$res"
for r in $RATES; do
  for snr in $SNRS; do
    d="$SET/$r/snr$snr"
    o="$OUT/$r/snr$snr"
    mkdir -p "$o"
    rate=$(rate_of "$d/noisy.wav")
    read -r s0 t0 <<< "$(metrics "$d/clean.wav" "$d/noisy.wav" "$rate")"
    for v in $VARIANTS; do
      name=${v%%=*}
      props=$(echo "${v#*=}" | tr ',' ' ')
      # user CPU seconds of the whole pipeline (decode, convert, encode too)
      cpu=$( { /usr/bin/time -f "%U" gst-launch-1.0 -q filesrc location="$d/noisy.wav" \
        ! wavparse ! audioconvert ! audio/x-raw,format=F32LE,layout=interleaved \
        ! gandenoise $props $MODEL_PROP ! audioconvert ! audio/x-raw,format=S16LE \
        ! wavenc ! filesink location="$o/$name.wav" > /dev/null; } 2>&1 | tail -1)
      read -r s t <<< "$(metrics "$d/clean.wav" "$o/$name.wav" "$rate")"
      secs=$(awk -v b="$(stat -c %s "$d/noisy.wav")" -v r="$rate" 'BEGIN {printf "%.2f", (b - 44) / 2 / r}')
      echo -e "$r\t$snr\t$name\t$s\t$s0\t$t\t$t0\t$cpu\t$secs" >> "$res"
    done
  done
done

awk -F'\t' -v variants="$VARIANTS" '
  NR == 1 { next }
  { k = $1 SUBSEP $2; si[k, $3] = $4 - $5; st[k, $3] = $6; st0[k] = $7
    rates[$1] = 1; snrs[$2] = 1; cpu[$1, $3] += $8; aud[$1, $3] += $9 }
  END {
    nv = split(variants, V, " ")
    for (i = 1; i <= nv; i++) { sub(/=.*/, "", V[i]) }
    for (ri = 1; ri <= 2; ri++) {
      r = (ri == 1) ? "48k" : "16k"
      if (!(r in rates)) continue
      printf "\n%s  STOI (noisy first) | SI-SDR improvement (dB)\n", r
      printf "%6s %6s", "SNR", "noisy"
      for (i = 1; i <= nv; i++) printf " %9s", V[i]
      printf " |"
      for (i = 1; i <= nv; i++) printf " %9s", V[i]
      printf "\n"
      for (s = -5; s <= 15; s += 5) {
        k = r SUBSEP s
        if (!(k in st0)) continue
        printf "%6s %6.3f", s, st0[k]
        for (i = 1; i <= nv; i++) printf " %9.3f", st[k, V[i]]
        printf " |"
        for (i = 1; i <= nv; i++) printf " %9.2f", si[k, V[i]]
        printf "\n"
      }
      printf "pipeline CPU (%% of one core):"
      for (i = 1; i <= nv; i++) printf " %s %.1f", V[i], 100 * cpu[r, V[i]] / aud[r, V[i]]
      printf "\n"
    }
  }' "$res"
