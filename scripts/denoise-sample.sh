#!/bin/bash
# Make samples/noisy-speech.wav, the gandenoise demo input: LJSpeech
# LJ001-0004 (public domain) over Blanket's coffee-shop ambience (public
# domain, soundbible.com, by stephan) at 5 dB SNR, 48 kHz mono 16-bit.
# The coffee-shop noise is one of the held-out noises, so the demo shows
# the model on a noise it was not trained on.
#   scripts/denoise-sample.sh [DATA_DIR]
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
tmp=$(mktemp -d)
dec () {
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! audioconvert ! audioresample \
    ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! wavenc ! filesink location="$2"
}
dec "$DATA/speech/ljspeech/LJ001-0004.flac" "$tmp/speech.wav"
dec "$DATA/noise/blanket/coffee-shop.ogg" "$tmp/noise.wav"
/usr/bin/python3 - "$tmp/speech.wav" "$tmp/noise.wav" samples/noisy-speech.wav <<'PY'
import sys, wave
import numpy as np
def rd(p):
    w = wave.open(p)
    return np.frombuffer(w.readframes(w.getnframes()), '<i2').astype(np.float64) / 32768
s, n = rd(sys.argv[1]), rd(sys.argv[2])
n = n[48000:48000 + len(s)]                  # skip the fade-in
snr_db = 5.0
gain = np.sqrt(np.mean(s ** 2) / np.mean(n ** 2) / 10 ** (snr_db / 10))
x = s + gain * n
x *= 0.5 / np.max(np.abs(x))
w = wave.open(sys.argv[3], 'wb')
w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
w.writeframes((np.clip(x, -1, 1) * 32767).round().astype('<i2').tobytes())
w.close()
print(f"{sys.argv[3]}: {len(x) / 48000:.1f} s at {snr_db} dB SNR")
PY
rm -rf "$tmp"
