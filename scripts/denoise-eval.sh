#!/bin/bash
# Denoising quality of gandenoise against RNNoise and webrtcdsp on speech and
# noise from sources that no model was trained or tuned on (the split by
# source is in docs/denoise.md, "Data"; scripts/denoise-corpus.sh lays it out).
#
#   scripts/denoise-eval.sh [OUT_DIR]      the leave-source-out test set
#   SPLIT=dev scripts/denoise-eval.sh OUT  the development set (choose here)
#   scripts/denoise-eval.sh --score CLEAN.wav NOISY.wav
#                                          score your own recording pair
#   scripts/denoise-eval.sh --score-dir DIR [OUT_DIR]
#                                          real noisy recordings, no reference:
#                                          DNSMOS of each method's output
#
# The set: for every noise category of CORPUS/SPLIT/noise (and babble of the
# set's own talkers), every SNR in {-5, 0, 5, 10, 15} dB and both rates (48
# and 16 kHz), ITEMS items of 6 s (gan-train denoise --set make_eval=...
# --set eval_speech=... --set eval_noise=...). Every method runs on every item
# with default settings; outputs are lined up with the input (integer lag of
# the best cross-correlation, the same rule for all), then scored with
# SI-SDR and STOI (`gan-eval audio`) and DNSMOS P.835 SIG/BAK/OVRL
# (scripts/dnsmos.mjs, on 16 kHz copies). Clean items also pass through
# gandenoise alone: SI-SDR against themselves should stay >= 25 dB.
#
# Environment: BUILD (build dir, default build), CORPUS (the folder of
# scripts/denoise-corpus.sh, required for the sets), SPLIT (test or dev),
# ITEMS (items per category and SNR: 4), SEED (draws: 1000 for test, 2000
# for dev), MODEL (a model file for gandenoise instead of the embedded one),
# GANDENOISE_PROPS (extra element properties), RNNOISE_WASM_DIR (the npm
# package @echogarden/rnnoise-wasm), DNSMOS_NODE_DIR (the npm package
# onnxruntime-node), DNSMOS_DIR (the DNSMOS models, ../shared/dnsmos);
# RNNoise or DNSMOS is skipped when its package is missing. METHODS (a
# subset of "gandenoise webrtcdsp rnnoise").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RNNOISE_WASM_DIR=${RNNOISE_WASM_DIR:-}
DNSMOS_NODE_DIR=${DNSMOS_NODE_DIR:-}
export DNSMOS_DIR=${DNSMOS_DIR:-$PWD/../shared/dnsmos}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
export GST_PLUGIN_PATH="$BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
EVAL="$BUILD/tools/eval/gan-eval"
TRAIN="$BUILD/tools/train/gan-train"
GD_PROPS=${GANDENOISE_PROPS:-}
[ -n "${MODEL:-}" ] && GD_PROPS="$GD_PROPS model=$MODEL"

have_rnnoise=0
if command -v node > /dev/null && [ -n "$RNNOISE_WASM_DIR" ] \
    && [ -f "$RNNOISE_WASM_DIR/rnnoise.js" ]; then
  have_rnnoise=1
  export RNNOISE_WASM_DIR
fi
have_dnsmos=0
if command -v node > /dev/null && [ -n "$DNSMOS_NODE_DIR" ] \
    && [ -f "$DNSMOS_DIR/sig_bak_ovr.onnx" ]; then
  have_dnsmos=1
  export DNSMOS_NODE_DIR
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

resample () {         # IN OUT RATE (mono)
  gst-launch-1.0 -q filesrc location="$1" ! wavparse ! audioconvert \
    ! audioresample quality=10 ! audio/x-raw,format=S16LE,rate="$3",channels=1 \
    ! wavenc ! filesink location="$2"
}

run_rnnoise () {      # IN OUT RATE  (48 kHz only: others are resampled, as users do)
                      # (--score-dir; sets run it in one process)
  if [ "$3" = 48000 ]; then
    node scripts/denoise-rnnoise.mjs "$1" "$2" 2> /dev/null
  else
    resample "$1" "$2.up.wav" 48000
    node scripts/denoise-rnnoise.mjs "$2.up.wav" "$2.dn.wav" 2> /dev/null
    resample "$2.dn.wav" "$2" "$3"
    rm -f "$2.up.wav" "$2.dn.wav"
  fi
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

# dnsmos LIST OUT.tsv: DNSMOS of the files in LIST (a path per line), from
# 16 kHz copies where needed; OUT gets "path sig bak ovrl p808" per file.
# Scores already in OUT are kept for files that do not change between runs
# (the set and the baselines' outputs; gandenoise's are always scored anew).
dnsmos () {
  local tmp i=0
  tmp=$(mktemp -d)
  touch "$2"
  grep -v -e '\.gandenoise\.wav' -e '\.clean_through\.wav' "$2" > "$tmp/old" || true
  : > "$tmp/files"
  : > "$tmp/todo"
  while read -r f; do
    grep -q -F "$f	" "$tmp/old" && continue
    echo "$f" >> "$tmp/todo"
    if [ "$(rate_of "$f")" = 16000 ]; then
      echo "$f" >> "$tmp/files"
    else
      i=$((i + 1))
      resample "$f" "$tmp/$i.wav" 16000
      echo "$tmp/$i.wav" >> "$tmp/files"
    fi
  done < "$1"
  if [ -s "$tmp/files" ]; then
    xargs -a "$tmp/files" -d '\n' node scripts/dnsmos.mjs > "$tmp/scores"
    [ "$(wc -l < "$tmp/scores")" = "$(wc -l < "$tmp/todo")" ] \
      || { echo "dnsmos: scored $(wc -l < "$tmp/scores") of $(wc -l < "$tmp/todo") files" >&2; exit 1; }
    paste "$tmp/todo" <(cut -f2- "$tmp/scores") >> "$tmp/old"
  fi
  # in LIST's order, one row per listed file
  awk -F'\t' 'NR == FNR { row[$1] = $0; next } ($1 in row) { print row[$1] }' \
    "$tmp/old" "$1" > "$2"
  rm -rf "$tmp"
}

methods="gandenoise webrtcdsp"
[ $have_rnnoise = 1 ] && methods="$methods rnnoise"
[ $have_rnnoise = 1 ] || echo "note: RNNoise skipped (set RNNOISE_WASM_DIR to the npm package)" >&2
[ $have_dnsmos = 1 ] || echo "note: DNSMOS skipped (set DNSMOS_NODE_DIR to the npm package onnxruntime-node)" >&2
methods=${METHODS:-$methods}

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

if [ "${1:-}" = "--score-dir" ]; then
  src=${2:?usage: denoise-eval.sh --score-dir DIR [OUT_DIR]}
  [ $have_dnsmos = 1 ] || { echo "--score-dir needs DNSMOS (DNSMOS_NODE_DIR)" >&2; exit 1; }
  OUT=${3:-/tmp/gandenoise-score}
  mkdir -p "$OUT"
  : > "$OUT/list"
  find "$src" -maxdepth 1 -name '*.wav' | sort | while read -r f; do
    b=$(basename "$f" .wav)
    # mono 16-bit at the recording's own rate (stereo is mixed down)
    rate=$(rate_of "$f")
    gst-launch-1.0 -q filesrc location="$f" ! wavparse ! audioconvert \
      ! audio/x-raw,format=S16LE,channels=1 ! wavenc \
      ! filesink location="$OUT/$b.noisy.wav"
    echo "$OUT/$b.noisy.wav" >> "$OUT/list"
    for m in $methods; do
      "run_$m" "$OUT/$b.noisy.wav" "$OUT/$b.$m.wav" "$rate"
      echo "$OUT/$b.$m.wav" >> "$OUT/list"
    done
  done
  dnsmos "$OUT/list" "$OUT/dnsmos.tsv"
  awk -F'\t' '{ n = split($1, p, "/"); f = p[n]; sub(/\.wav$/, "", f);
       m = f; sub(/^.*\./, "", m); sig[m] += $2; bak[m] += $3; ovr[m] += $4; c[m]++ }
     END { printf "%-11s %5s %5s %5s  (%d recordings)\n", "DNSMOS", "SIG", "BAK", "OVRL", c["noisy"]
           for (m in c) printf "%-11s %5.2f %5.2f %5.2f\n", m, sig[m] / c[m], bak[m] / c[m], ovr[m] / c[m] }' \
    "$OUT/dnsmos.tsv"
  exit 0
fi

: "${CORPUS:?set CORPUS to the folder of scripts/denoise-corpus.sh}"
SPLIT=${SPLIT:-test}
case "$SPLIT" in
  test) seed=${SEED:-1000} ;;
  dev) seed=${SEED:-2000} ;;
  *) echo "SPLIT is test or dev" >&2; exit 2 ;;
esac
OUT=${1:-/tmp/gandenoise-eval-$SPLIT}
mkdir -p "$OUT"
if [ ! -f "$OUT/set/16k/items.tsv" ]; then
  echo "building the $SPLIT set in $OUT/set ..." >&2
  "$TRAIN" denoise --data "$CORPUS" --run-dir "$OUT/run" --cache "${CACHE:-$OUT/cache}" \
    --set make_eval="$OUT/set" --set eval_speech="$CORPUS/$SPLIT/speech" \
    --set eval_noise="$CORPUS/$SPLIT/noise" --set eval_seed="$seed" \
    --set eval_items="${ITEMS:-4}" > "$OUT/make_eval.log" 2>&1 \
    || { cat "$OUT/make_eval.log" >&2; exit 1; }
fi

# Each method runs over every item of a rate, then one process aligns its
# outputs and one process scores them all (thousands of small files: a
# process per file would cost more than the denoising).
res="$OUT/results.tsv"
echo -e "rate\tid\tsnr\tcategory\tmethod\tsi_sdr\tsi_sdr_noisy\tstoi\tstoi_noisy" > "$res"
: > "$OUT/dnsmos.list"
for r in 48k 16k; do
  d="$OUT/set/$r" o="$OUT/out/$r"
  mkdir -p "$o"
  tail -n +2 "$d/items.tsv" > "$o/items"
  rate=$(rate_of "$d/$(head -n 1 "$o/items" | cut -f1).noisy.wav")
  for m in $methods; do
    : > "$o/$m.align"
    : > "$o/$m.rnnoise"
    while IFS=$'\t' read -r id snr cat; do
      out="$o/$id.$m.wav"
      # the baselines do not change between runs: reuse their outputs
      [ "$m" != gandenoise ] && [ -f "$out" ] && continue
      if [ "$m" = rnnoise ]; then   # 48 kHz only: others are resampled, as users do
        if [ "$rate" = 48000 ]; then
          echo -e "$d/$id.noisy.wav\t$out.raw.wav" >> "$o/$m.rnnoise"
        else
          resample "$d/$id.noisy.wav" "$out.up.wav" 48000
          echo -e "$out.up.wav\t$out.dn.wav" >> "$o/$m.rnnoise"
        fi
      else
        "run_$m" "$d/$id.noisy.wav" "$out.raw.wav"
      fi
      echo -e "$d/$id.noisy.wav\t$out.raw.wav\t$out" >> "$o/$m.align"
    done < "$o/items"
    if [ -s "$o/$m.rnnoise" ]; then
      node scripts/denoise-rnnoise.mjs --list "$o/$m.rnnoise" 2> /dev/null
      if [ "$rate" != 48000 ]; then
        cut -f2 "$o/$m.rnnoise" | while read -r f; do
          resample "$f" "${f%.dn.wav}.raw.wav" "$rate"
          rm -f "$f" "${f%.dn.wav}.up.wav"
        done
      fi
    fi
    if [ -s "$o/$m.align" ]; then
      echo "$r $m: lag $(node scripts/denoise-align.mjs --list "$o/$m.align") samples" >&2
      cut -f2 "$o/$m.align" | xargs -r rm -f
    fi
  done
  # clean speech through gandenoise must stay clean (the 15 dB items' speech)
  awk -F'\t' '$2 == 15 {print $1}' "$o/items" | while read -r id; do
    run_gandenoise "$d/$id.clean.wav" "$o/$id.clean_through.wav"
  done
  # score: noisy, every method, clean through
  while IFS=$'\t' read -r id snr cat; do
    echo -e "$d/$id.clean.wav\t$d/$id.noisy.wav"
    for m in $methods; do echo -e "$d/$id.clean.wav\t$o/$id.$m.wav"; done
    [ "$snr" = 15 ] && echo -e "$d/$id.clean.wav\t$o/$id.clean_through.wav"
  done < "$o/items" > "$o/pairs"
  "$EVAL" audio --list "$o/pairs" --rate "$rate" > "$o/scores"
  awk -F'\t' -v r="$r" -v methods="$methods" '
    NR == FNR { snr[$1] = $2; cat[$1] = $3; next }
    { n = split($2, p, "/"); f = p[n]; id = f; sub(/\..*$/, "", id)
      m = f; sub(/^[^.]*\./, "", m); sub(/\.wav$/, "", m)
      if (m == "noisy") { s0[id] = $3; t0[id] = $4; next }
      if (m == "clean_through")
        printf "%s\t%s\tclean\t%s\tgandenoise\t%s\tinf\t%s\t1\n", r, id, cat[id], $3, $4
      else
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, id, snr[id], cat[id], m, $3, s0[id], $4, t0[id] }
  ' "$o/items" "$o/scores" >> "$res"
  while IFS=$'\t' read -r id snr cat; do
    echo "$d/$id.noisy.wav"
    [ "$snr" = 15 ] && echo "$d/$id.clean.wav"
    for m in $methods; do echo "$o/$id.$m.wav"; done
  done < "$o/items" >> "$OUT/dnsmos.list"
done
if [ $have_dnsmos = 1 ]; then
  dnsmos "$OUT/dnsmos.list" "$OUT/dnsmos.tsv"
fi
scripts/denoise-eval-table.sh "$OUT" "$methods"
