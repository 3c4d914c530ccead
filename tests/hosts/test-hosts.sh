#!/usr/bin/env bash
# The LADSPA and LV2 plugins in real hosts — applyplugin (ladspa-sdk),
# lv2apply (lilv-utils), sox's ladspa effect and GStreamer's ladspa and lv2
# bridge elements — on a noisy recording, mono and stereo, 16 and 48 kHz.
# Each host's output must be gandenoise's (channel-mode=linked) sample for
# sample, late by exactly the latency the plugin reports (which
# test_plugin_blocks checks against the element's LATENCY answer).
# Where a host writes integers, the element's float output is brought to
# them the way that host rounds (gan-wavcmp).
# usage: test-hosts.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
for tool in applyplugin lv2apply sox gst-launch-1.0 gst-inspect-1.0; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed (scripts/deps.sh)"; exit 77; }
done
[ -f "$build/desktop/ladspa/gan-denoise-ladspa.so" ] && \
  [ -f "$build/desktop/lv2/gan-denoise.lv2/gan-denoise.so" ] || {
  echo "SKIP: plugins not built (ladspa/lv2 features off)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LADSPA_PATH=$build/desktop/ladspa LV2_PATH=$build/desktop/lv2
export GST_PLUGIN_PATH_1_0=$build/plugins GST_REGISTRY_1_0=$tmp/registry.bin
unset GST_PLUGIN_SYSTEM_PATH_1_0    # the bridges are system plugins
export GAN_LADSPA_SO=$build/desktop/ladspa/gan-denoise-ladspa.so
cmp=$build/tests/hosts/gan-wavcmp
lat=$build/tests/hosts/test_plugin_blocks
fail=0
check() {   # name, then the gan-wavcmp command
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "ok   $name: $out"; else echo "FAIL $name: $out"; fail=1; fi
}
gst() { gst-launch-1.0 -q "$@" || { echo "FAIL gst-launch-1.0 $*"; fail=1; }; }

for el in ladspa-gan-denoise-ladspa-so-gan-denoise-mono \
          ladspa-gan-denoise-ladspa-so-gan-denoise-stereo \
          urn-gst-gan-denoise-mono urn-gst-gan-denoise-stereo; do
  gst-inspect-1.0 $el >/dev/null 2>&1 || { echo "FAIL: GStreamer bridge has no $el"; fail=1; }
done

for rate in 16000 48000; do
  # mono: 2 s of the noisy sample; stereo: its first and second second
  sox "$src/samples/noisy-speech.wav" -D -r $rate -c 1 -b 16 -e signed \
    $tmp/in-$rate-1.wav trim 0 2
  sox -M "|sox $tmp/in-$rate-1.wav -p trim 0 1" "|sox $tmp/in-$rate-1.wav -p trim 1 1" \
    -D -b 16 $tmp/in-$rate-2.wav
  for ch in 1 2; do
    in=$tmp/in-$rate-$ch.wav tag="$rate Hz, $ch ch"
    if [ $ch = 1 ]; then label=gan_denoise_mono uri=urn:gst-gan:denoise-mono
    else label=gan_denoise_stereo uri=urn:gst-gan:denoise-stereo; fi
    d=$($lat --latency $rate $ch) || { echo "FAIL latency"; fail=1; continue; }
    sox $in -e floating-point -b 32 $tmp/f.wav
    gst filesrc location=$in ! wavparse ! audioconvert ! audio/x-raw,format=F32LE \
      ! gandenoise channel-mode=linked ! wavenc ! filesink location=$tmp/ref.wav
    # controls: attenuation, threshold, hold, gate, guard (the defaults)
    applyplugin $in $tmp/ap.wav gan-denoise-ladspa.so $label 20 0.5 300 0 10 >/dev/null
    check "applyplugin $tag" $cmp $tmp/ref.wav $tmp/ap.wav $d s16floor
    lv2apply -i $tmp/f.wav -o $tmp/lv.wav $uri
    check "lv2apply $tag" $cmp $tmp/ref.wav $tmp/lv.wav $d
    # sox 14.4 wants a value for the latency output port too (ignored)
    sox $in -b 32 -e signed $tmp/sox.wav ladspa gan-denoise-ladspa.so $label 20 0.5 300 0 10 0
    check "sox ladspa $tag" $cmp $tmp/ref.wav $tmp/sox.wav $d s32trunc
    # the README's one-liners: pad by the latency, run, trim it off ->
    # the element's output, lined up and as long as the input
    sec=$(awk -v d=$d -v r=$rate 'BEGIN { printf "%.6f", d / r }')
    sox $in -b 32 -e signed $tmp/sox1.wav pad 0 $sec \
      ladspa gan-denoise-ladspa.so $label 20 0.5 300 0 10 0 trim $sec
    check "sox one-liner $tag" $cmp $tmp/ref.wav $tmp/sox1.wav 0 s32trunc
    if command -v ffmpeg >/dev/null; then
      ffmpeg -nostdin -hide_banner -loglevel error -y -i $tmp/f.wav -c:a pcm_f32le \
        -af "apad=pad_dur=$sec,ladspa=file=gan-denoise-ladspa:plugin=$label,atrim=start=$sec" \
        $tmp/ff.wav
      check "ffmpeg ladspa one-liner $tag" $cmp $tmp/ref.wav $tmp/ff.wav 0
      ffmpeg -nostdin -hide_banner -loglevel error -y -i $tmp/f.wav -c:a pcm_f32le \
        -af "apad=pad_dur=$sec,lv2=p=$(echo $uri | sed 's/:/\\\\:/g'),atrim=start=$sec" \
        $tmp/ff2.wav
      check "ffmpeg lv2 one-liner $tag" $cmp $tmp/ref.wav $tmp/ff2.wav 0
    fi
    for el in ladspa-gan-denoise-ladspa-so-$(echo $label | tr _ -) \
              $(echo $uri | tr : -); do
      gst filesrc location=$in ! wavparse ! audioconvert ! audio/x-raw,format=F32LE \
        ! $el ! wavenc ! filesink location=$tmp/br.wav
      check "GStreamer $el $tag" $cmp $tmp/ref.wav $tmp/br.wav $d
    done
  done
done
exit $fail
