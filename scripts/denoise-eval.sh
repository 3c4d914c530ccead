#!/bin/bash
# Denoising quality of gandenoise against RNNoise and webrtcdsp on the
# held-out set (speakers and noises never used in training; the split is
# written down in tools/train/recipe_denoise.c).
#
#   scripts/denoise-eval.sh [OUT_DIR]          the full table (48 and 16 kHz)
#   scripts/denoise-eval.sh --score CLEAN.wav NOISY.wav
#                                              score your own recording pair
#
# For each rate and SNR in {-5, 0, 5, 10, 15} dB it runs the three
# denoisers, lines every output up with the noisy input (integer lag of the
# best cross-correlation, the same for all methods), and prints SI-SDR
# improvement (dB) and STOI from `gan-eval audio`. Clean speech is also
# passed through gandenoise: SI-SDR against itself should stay >= 25 dB.
#
# Environment: BUILD (build dir, default build), DATA (../shared/data),
# SPEECH_EXTRA (decoded Debian speech, see scripts/denoise-data.sh; the
# held-out speakers include klettres nl, pt_BR and uk from it), MODEL (a
# model file for gandenoise instead of the embedded one), RNNOISE_WASM_DIR
# (the npm package @echogarden/rnnoise-wasm; RNNoise is skipped when it or
# node is missing), GANDENOISE_PROPS (extra element properties), CACHE
# (decoded-media cache for gan-train), METHODS (a subset of "gandenoise
# webrtcdsp rnnoise").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA=${DATA:-../shared/data}
SPEECH_EXTRA=${SPEECH_EXTRA:-}
RNNOISE_WASM_DIR=${RNNOISE_WASM_DIR:-}
export GST_PLUGIN_PATH="$PWD/$BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
EVAL="$BUILD/tools/eval/gan-eval"
TRAIN="$BUILD/tools/train/gan-train"
GD_PROPS=${GANDENOISE_PROPS:-}
if [ -n "${MODEL:-}" ]; then
  GD_PROPS="$GD_PROPS model=$MODEL"
fi

have_rnnoise=0
if command -v node > /dev/null && [ -n "$RNNOISE_WASM_DIR" ] \
    && [ -f "$RNNOISE_WASM_DIR/rnnoise.js" ]; then
  have_rnnoise=1
  export RNNOISE_WASM_DIR
fi

run_gandenoise () {   # IN OUT
  gst-launch-1.0 -q filesrc location="$1" ! wavparse ! audioconvert \
    ! audio/x-raw,format=F32LE,layout=interleaved ! gandenoise $GD_PROPS \
    ! audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink location="$2"
}

run_webrtcdsp () {    # IN OUT  (AGC off: we measure noise suppression)
  gst-launch-1.0 -q filesrc location="$1" ! wavparse ! audioconvert \
    ! audio/x-raw,format=S16LE ! webrtcdsp echo-cancel=false \
      noise-suppression-level=very-high gain-control=false \
    ! audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink location="$2"
}

resample () {         # IN OUT RATE
  gst-launch-1.0 -q filesrc location="$1" ! wavparse ! audioconvert \
    ! audioresample quality=10 ! audio/x-raw,format=S16LE,rate="$3",channels=1 \
    ! wavenc ! filesink location="$2"
}

run_rnnoise () {      # IN OUT RATE  (48 kHz only: others are resampled, as users do)
  if [ "$3" = 48000 ]; then
    node scripts/denoise-rnnoise.mjs "$1" "$2" 2> /dev/null
  else
    resample "$1" "$2.up.wav" 48000
    node scripts/denoise-rnnoise.mjs "$2.up.wav" "$2.dn.wav" 2> /dev/null
    resample "$2.dn.wav" "$2" "$3"
    rm -f "$2.up.wav" "$2.dn.wav"
  fi
}

align () {            # NOISY IN OUT
  node scripts/denoise-align.mjs "$1" "$2" "$3" > /dev/null
}

metrics () {          # CLEAN TEST RATE -> "sisdr stoi"
  local out
  out=$("$EVAL" audio "$1" "$2" --rate "$3" || true)
  [ -n "$out" ] || out=$("$EVAL" audio "$1" "$2" --rate "$3")   # retry once
  echo "$out" | awk '/^si_sdr_db/ {s = $2} /^stoi/ {t = $2} END {print s, t}'
}

rate_of () {
  od -An -tu4 -j24 -N4 "$1" | tr -d ' '
}

if [ "${1:-}" = "--score" ]; then
  clean=$2; noisy=$3
  tmp=$(mktemp -d)
  rate=$(rate_of "$noisy")
  run_gandenoise "$noisy" "$tmp/out.wav"
  read -r s0 t0 <<< "$(metrics "$clean" "$noisy" "$rate")"
  read -r s1 t1 <<< "$(metrics "$clean" "$tmp/out.wav" "$rate")"
  echo "noisy:      SI-SDR $s0 dB  STOI $t0"
  echo "gandenoise: SI-SDR $s1 dB  STOI $t1  (improvement $(awk -v a="$s1" -v b="$s0" 'BEGIN {printf "%.2f", a - b}') dB)"
  rm -rf "$tmp"
  exit 0
fi

OUT=${1:-/tmp/gandenoise-eval}
mkdir -p "$OUT"
if [ ! -f "$OUT/set/16k/snr15/noisy.wav" ]; then
  echo "building the held-out set in $OUT/set ..." >&2
  "$TRAIN" denoise --data "$DATA" --run-dir "$OUT/run" --cache "${CACHE:-$OUT/cache}" \
    --set make_eval="$OUT/set" ${SPEECH_EXTRA:+--set speech_extra=$SPEECH_EXTRA} \
    > "$OUT/make_eval.log" 2>&1
fi

methods="gandenoise webrtcdsp"
[ $have_rnnoise = 1 ] && methods="$methods rnnoise"
[ $have_rnnoise = 1 ] || echo "note: RNNoise skipped (set RNNOISE_WASM_DIR to the npm package)" >&2
methods=${METHODS:-$methods}

res="$OUT/results.tsv"
echo -e "rate\tsnr\tmethod\tsi_sdr\tsi_sdr_noisy\tstoi\tstoi_noisy" > "$res"
for r in 48k 16k; do
  for snr in -5 0 5 10 15; do
    d="$OUT/set/$r/snr$snr"
    rate=$(rate_of "$d/noisy.wav")
    read -r s0 t0 <<< "$(metrics "$d/clean.wav" "$d/noisy.wav" "$rate")"
    for m in $methods; do
      # the baselines do not change between runs: reuse their outputs
      if [ "$m" = gandenoise ] || [ ! -f "$d/$m.wav" ]; then
        "run_$m" "$d/noisy.wav" "$d/$m.raw.wav" "$rate"
        align "$d/noisy.wav" "$d/$m.raw.wav" "$d/$m.wav"
      fi
      read -r s t <<< "$(metrics "$d/clean.wav" "$d/$m.wav" "$rate")"
      echo -e "$r\t$snr\t$m\t$s\t$s0\t$t\t$t0" >> "$res"
    done
  done
  # clean speech through gandenoise must stay clean
  d="$OUT/set/$r/snr15"
  run_gandenoise "$d/clean.wav" "$d/clean_through.wav"
  read -r sc tc <<< "$(metrics "$d/clean.wav" "$d/clean_through.wav" "$(rate_of "$d/clean.wav")")"
  echo -e "$r\tclean\tgandenoise\t$sc\tinf\t$tc\t1" >> "$res"
done

# table: SI-SDR improvement (dB) and STOI per rate and SNR
awk -F'\t' -v methods="$methods" '
  NR == 1 { next }
  $2 == "clean" { clean[$1] = $4; next }
  { k = $1 SUBSEP $2; si[k, $3] = $4 - $5; st[k, $3] = $6;
    if (!(k in st0)) { st0[k] = $7; sum_st0[$1] += $7; n0[$1]++ }
    sum_si[$1, $3] += $4 - $5; sum_st[$1, $3] += $6;
    n[$1, $3]++; rates[$1] = 1 }
  END {
    nm = split(methods, M, " ")
    for (ri = 1; ri <= 2; ri++) {
      r = (ri == 1) ? "48k" : "16k"
      if (!(r in rates)) continue
      printf "\n%s  SI-SDR improvement (dB) | STOI (noisy first)\n", r
      printf "%6s", "SNR"
      for (i = 1; i <= nm; i++) printf " %11s", M[i]
      printf " | %6s", "noisy"
      for (i = 1; i <= nm; i++) printf " %11s", M[i]
      printf "\n"
      for (s = -5; s <= 15; s += 5) {
        k = r SUBSEP s
        printf "%6s", s
        for (i = 1; i <= nm; i++) printf " %11.2f", si[k, M[i]]
        printf " | %6.3f", st0[k]
        for (i = 1; i <= nm; i++) printf " %11.3f", st[k, M[i]]
        printf "\n"
      }
      printf "%6s", "mean"
      for (i = 1; i <= nm; i++) printf " %11.2f", sum_si[r, M[i]] / n[r, M[i]]
      printf " | %6.3f", sum_st0[r] / n0[r]
      for (i = 1; i <= nm; i++) printf " %11.3f", sum_st[r, M[i]] / n[r, M[i]]
      printf "\n"
      if (r in clean)
        printf "clean speech through gandenoise: SI-SDR %.2f dB\n", clean[r]
    }
  }' "$res"
