#!/usr/bin/env bash
# Build gst-gan and run its elements on the bundled sample media with the
# shipped default models (the README's first command). Results go to out/.
set -eu
cd "$(dirname "$0")/.."
bash scripts/deps.sh
builddir=${BUILDDIR:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir" >/dev/null
meson compile -C "$builddir" >/dev/null
export GST_PLUGIN_PATH="$PWD/$builddir/plugins"
mkdir -p out
have () { gst-inspect-1.0 "$1" >/dev/null 2>&1; }
run () { echo "+ gst-launch-1.0 $*"; gst-launch-1.0 -q "$@"; }

if have gandenoise && [ -f samples/noisy-speech.wav ]; then
  run filesrc location=samples/noisy-speech.wav ! wavparse ! audioconvert ! \
    gandenoise ! audioconvert ! wavenc ! filesink location=out/denoised-speech.wav
  echo "  -> out/denoised-speech.wav"
fi
# the README's desktop one-liners, on the plugins in the build tree
export LADSPA_PATH="$PWD/$builddir/desktop/ladspa" LV2_PATH="$PWD/$builddir/desktop/lv2"
if [ -f "$LADSPA_PATH/gan-denoise-ladspa.so" ] && command -v sox >/dev/null; then
  echo "+ sox ... ladspa gan-denoise-ladspa.so gan_denoise_mono"
  sox samples/noisy-speech.wav out/denoised-sox.wav pad 0 0.03 \
    ladspa gan-denoise-ladspa.so gan_denoise_mono 20 0.5 300 0 10 0 trim 0.03
  echo "  -> out/denoised-sox.wav"
fi
if [ -f "$LADSPA_PATH/gan-denoise-ladspa.so" ] && command -v ffmpeg >/dev/null; then
  echo "+ ffmpeg ... ladspa=file=gan-denoise-ladspa:plugin=gan_denoise_mono"
  ffmpeg -nostdin -hide_banner -loglevel error -y -i samples/noisy-speech.wav \
    -af "apad=pad_dur=0.03,ladspa=file=gan-denoise-ladspa:plugin=gan_denoise_mono,atrim=start=0.03" \
    out/denoised-ffmpeg.wav
  echo "  -> out/denoised-ffmpeg.wav"
fi
if [ -f "$LV2_PATH/gan-denoise.lv2/manifest.ttl" ] && command -v ffmpeg >/dev/null; then
  echo '+ ffmpeg ... lv2=p=urn\\:gst-gan\\:denoise-mono'
  ffmpeg -nostdin -hide_banner -loglevel error -y -i samples/noisy-speech.wav \
    -af 'apad=pad_dur=0.03,lv2=p=urn\\:gst-gan\\:denoise-mono,atrim=start=0.03' \
    out/denoised-ffmpeg-lv2.wav
  echo "  -> out/denoised-ffmpeg-lv2.wav"
fi
if have ganvocoder && [ -f samples/narrowband-speech.wav ]; then
  run filesrc location=samples/narrowband-speech.wav ! wavparse ! audioconvert ! \
    audioresample ! audio/x-raw,rate=8000 ! ganvocoder ! audioconvert ! wavenc ! \
    filesink location=out/wideband-speech.wav
  echo "  -> out/wideband-speech.wav"
fi
if have gansuperres && [ -f samples/lowres.png ]; then
  run filesrc location=samples/lowres.png ! pngdec ! videoconvert ! gansuperres ! \
    videoconvert ! pngenc ! filesink location=out/upscaled-x2.png
  echo "  -> out/upscaled-x2.png"
fi
if have ganstyle && [ -f samples/content.png ]; then
  run filesrc location=samples/content.png ! pngdec ! videoconvert ! ganstyle ! \
    videoconvert ! pngenc ! filesink location=out/styled.png
  echo "  -> out/styled.png"
fi
echo "demo done: see out/"
