#!/usr/bin/python3
"""Render spectrograms of WAV files stacked in one PNG (before/after views
for the README).

usage: scripts/spectrogram.py OUT.png FILE.wav[:TITLE] [FILE.wav[:TITLE] ...]
       [--max-hz HZ] [--range DB]

Reads 16-bit PCM or 32-bit float WAV (mono, or the first channel). All
panels share one dB scale, set by the loudest file, so a quieter panel
really is quieter. Needs numpy and PIL (Debian python3-numpy,
python3-pil)."""
import struct
import sys

import numpy as np
from PIL import Image, ImageDraw


def read_wav(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'RIFF' or data[8:12] != b'WAVE':
        sys.exit(f'{path}: not a WAV file')
    off, fmt = 12, None
    while off + 8 <= len(data):
        cid, size = data[off:off + 4], struct.unpack('<I', data[off + 4:off + 8])[0]
        body = data[off + 8:off + 8 + size]
        if cid == b'fmt ':
            tag, ch, rate = struct.unpack('<HHI', body[:8])
            bits = struct.unpack('<H', body[14:16])[0]
            if tag == 0xFFFE:                       # WAVE_FORMAT_EXTENSIBLE
                tag = struct.unpack('<H', body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b'data' and fmt:
            tag, ch, rate, bits = fmt
            if tag == 1 and bits == 16:
                x = np.frombuffer(body[:len(body) // 2 * 2], '<i2') / 32768.0
            elif tag == 3 and bits == 32:
                x = np.frombuffer(body[:len(body) // 4 * 4], '<f4').astype(np.float64)
            else:
                sys.exit(f'{path}: unsupported WAV format {tag}/{bits} bit')
            return x[::ch], rate
        off += 8 + size + (size & 1)
    sys.exit(f'{path}: no audio data')


def spectrogram(x, rate):
    n = 1 << int(np.round(np.log2(rate * 0.032)))      # ~32 ms
    hop = n // 4
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    w = np.hanning(n)
    frames = 1 + (len(x) - n) // hop
    idx = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * w, axis=1)) ** 2
    return 10 * np.log10(spec + 1e-12), rate / n


# A perceptual dark-to-bright ramp (black, purple, red, orange, pale yellow).
RAMP = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99],
                 [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164]],
                dtype=np.float64)


def colour(v):
    pos = np.clip(v, 0, 1) * (len(RAMP) - 1)
    i = np.minimum(pos.astype(int), len(RAMP) - 2)
    f = (pos - i)[..., None]
    return (RAMP[i] * (1 - f) + RAMP[i + 1] * f).astype(np.uint8)


def main(argv):
    args, max_hz, db_range = [], None, 80.0
    i = 1
    while i < len(argv):
        if argv[i] == '--max-hz':
            max_hz = float(argv[i + 1]); i += 2
        elif argv[i] == '--range':
            db_range = float(argv[i + 1]); i += 2
        else:
            args.append(argv[i]); i += 1
    if len(args) < 2:
        sys.exit(__doc__)
    out, inputs = args[0], args[1:]
    panels = []
    for item in inputs:
        path, _, title = item.partition(':')
        x, rate = read_wav(path)
        s, hz_per_bin = spectrogram(x, rate)
        top = s.shape[1] if max_hz is None else min(s.shape[1], int(max_hz / hz_per_bin) + 1)
        panels.append((title or path, s[:, :top], rate, len(x) / rate, top * hz_per_bin))
    peak = max(p[1].max() for p in panels)
    width, height, label = 900, 260, 22
    img = Image.new('RGB', (width, len(panels) * (height + label)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for k, (title, s, rate, secs, top_hz) in enumerate(panels):
        v = (s - (peak - db_range)) / db_range
        rgb = colour(v.T[::-1])                     # low frequencies at the bottom
        pic = Image.fromarray(rgb).resize((width, height), Image.BILINEAR)
        y0 = k * (height + label)
        draw.text((6, y0 + 4), f'{title}   ({secs:.1f} s, 0-{top_hz / 1000:.1f} kHz, '
                  f'{db_range:.0f} dB range)', fill=(0, 0, 0))
        img.paste(pic, (0, y0 + label))
    img.save(out)
    print(f'{out}: {len(panels)} panel(s)')


if __name__ == '__main__':
    main(sys.argv)
