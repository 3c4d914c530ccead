// DNSMOS P.835 (SIG, BAK, OVRL) and P.808 MOS of 16 kHz WAV files: the
// non-intrusive speech-quality estimates of the Deep Noise Suppression
// Challenge, computed the way its reference scorer (dnsmos_local.py) does
// (see ../shared/dnsmos/README.md), for the denoise evaluation.
//   node dnsmos.mjs [--mean] FILE.wav [FILE2.wav ...]
//     prints "path<TAB>sig<TAB>bak<TAB>ovrl<TAB>p808" per file; --mean adds
//     a row "mean" averaged over the files (a test set's score)
//   node dnsmos.mjs --self-test
//     checks the mel spectrogram against a direct textbook implementation
// Input: PCM 16/24/32-bit or float WAV, any channel count (averaged to
// mono), 16 kHz only: resample first (gst-launch-1.0 ... ! audioresample !
// audio/x-raw,rate=16000 ! wavenc).
// DNSMOS_NODE_DIR: folder of the npm package onnxruntime-node (default: the
// package name), installed outside the repository with
//   npm install --ignore-scripts onnxruntime-node
// (the CPU runtime ships inside the package; the install script only
// fetches CUDA binaries). DNSMOS_DIR: the models (default ../shared/dnsmos
// from the repository root). DNSMOS_THREADS: onnxruntime intra-op threads
// (default: its own choice).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const RATE = 16000;
const WIN = 144160;          // 9.01 s: the models' input length
const HOP = 16000;           // 1 s between windows
const N_FFT = 321, FRAME_HOP = 160, N_MELS = 120;
const MEL_LEN = WIN - FRAME_HOP;                           // P.808 drops the last 160 samples
const N_FRAMES = 1 + Math.floor((MEL_LEN + 2 * Math.floor(N_FFT / 2) - N_FFT) / FRAME_HOP); // 900
const N_BINS = Math.floor(N_FFT / 2) + 1;                  // 161
const BATCH = 8;             // windows per onnx run

// Maps of the raw P.835 outputs to MOS (non-personalised model), x^2, x, 1.
const POLY = {
  sig: [-0.08397278, 1.22083953, 0.0052439],
  bak: [-0.13166888, 1.60915514, -0.39604546],
  ovrl: [-0.06766283, 1.11546468, 0.04602535],
};
const poly = (c, x) => (c[0] * x + c[1]) * x + c[2];

// ---- WAV input ----------------------------------------------------------

function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a WAV file`);
  let off = 12, fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ' && size >= 16 && off + 24 <= b.length) {
      let tag = b.readUInt16LE(off + 8);
      if (tag === 0xfffe && size >= 40) tag = b.readUInt16LE(off + 32);   // EXTENSIBLE: subformat
      fmt = { tag, ch: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12),
              bits: b.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${file}: data before fmt chunk`);
      const { tag, ch, rate, bits } = fmt;
      const pcm = tag === 1 && (bits === 16 || bits === 24 || bits === 32);
      const flt = tag === 3 && (bits === 32 || bits === 64);
      if ((!pcm && !flt) || ch < 1)
        throw new Error(`${file}: unsupported WAV format (tag ${tag}, ${bits} bit, ${ch} ch); ` +
                        'need PCM 16/24/32-bit or float');
      const bps = bits / 8, n = Math.floor(Math.min(size, b.length - off - 8) / (bps * ch));
      const x = new Float64Array(n);
      const rd = flt ? (bits === 32 ? (p) => b.readFloatLE(p) : (p) => b.readDoubleLE(p))
        : bits === 16 ? (p) => b.readInt16LE(p) / 32768
        : bits === 24 ? (p) => b.readIntLE(p, 3) / 8388608
        : (p) => b.readInt32LE(p) / 2147483648;
      let p = off + 8;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < ch; c++, p += bps) s += rd(p);
        x[i] = s / ch;
      }
      return { rate, x };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

// ---- P.808 features: librosa.feature.melspectrogram + power_to_db -------

// Slaney mel scale (librosa htk=False): linear below 1 kHz, log above.
const F_SP = 200 / 3, MIN_LOG_HZ = 1000, MIN_LOG_MEL = MIN_LOG_HZ / F_SP, LOGSTEP = Math.log(6.4) / 27;
const hzToMel = (f) => (f < MIN_LOG_HZ ? f / F_SP : MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP);
const melToHz = (m) => (m < MIN_LOG_MEL ? m * F_SP : MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)));

// Triangular filters with area ("slaney") norm, as librosa.filters.mel;
// bin k is at k * sr / n_fft (numpy rfftfreq, librosa >= 0.9; librosa 0.8
// spaced the bins of this odd n_fft up to 8000 Hz instead, which scores
// P.808 about 0.1 higher on clean speech and 0.02 on noisy; P.835 does not
// depend on it).
function melFilters() {
  const mels = [], lo = hzToMel(0), hi = hzToMel(RATE / 2);
  for (let i = 0; i < N_MELS + 2; i++) mels.push(melToHz(lo + ((hi - lo) * i) / (N_MELS + 1)));
  const w = [];
  for (let m = 0; m < N_MELS; m++) {
    const row = new Float64Array(N_BINS), enorm = 2 / (mels[m + 2] - mels[m]);
    for (let k = 0; k < N_BINS; k++) {
      const f = (k * RATE) / N_FFT;
      const lower = (f - mels[m]) / (mels[m + 1] - mels[m]);
      const upper = (mels[m + 2] - f) / (mels[m + 2] - mels[m + 1]);
      row[k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
    let k0 = 0, k1 = N_BINS;                     // keep only the non-zero span
    while (k0 < N_BINS && row[k0] === 0) k0++;
    while (k1 > k0 && row[k1 - 1] === 0) k1--;
    w.push({ k0, k1, row });
  }
  return w;
}

// Periodic Hann window (scipy get_window('hann', n, fftbins=True)) folded
// into a real DFT table: n_fft 321 is odd, so a direct DFT of the 161 bins.
function dftTables() {
  const cos = new Float64Array(N_BINS * N_FFT), sin = new Float64Array(N_BINS * N_FFT);
  for (let n = 0; n < N_FFT; n++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT);
    for (let k = 0; k < N_BINS; k++) {
      const a = (2 * Math.PI * ((k * n) % N_FFT)) / N_FFT;
      cos[k * N_FFT + n] = win * Math.cos(a);
      sin[k * N_FFT + n] = win * Math.sin(a);
    }
  }
  return { cos, sin };
}

const MEL = melFilters();
const DFT = dftTables();

// Mel power of one 321-sample frame x[off .. off+321) into out[0..120).
function melFrame(x, off, out, o) {
  const { cos, sin } = DFT;
  const pw = new Float64Array(N_BINS);
  for (let k = 0; k < N_BINS; k++) {
    let re = 0, im = 0;
    const t = k * N_FFT;
    for (let n = 0; n < N_FFT; n++) {
      const v = x[off + n];
      re += v * cos[t + n];
      im += v * sin[t + n];
    }
    pw[k] = re * re + im * im;
  }
  for (let m = 0; m < N_MELS; m++) {
    const { k0, k1, row } = MEL[m];
    let s = 0;
    for (let k = k0; k < k1; k++) s += row[k] * pw[k];
    out[o + m] = s;
  }
}

// Frame j of a centred STFT covers seg[160 j - 160, 160 j + 161), the
// segment padded with 160 zeros at each end (librosa pad_mode="constant",
// the default since 0.9; 0.8 reflected, which moves P.808 by < 0.002).
// Only the first and last frame reach into the padding; the others are
// plain frames of the clip, shared by the overlapping windows (they are 100
// frames apart), so they are computed once per clip in `cache`.
function melWindow(x, start, cache, out) {
  const half = Math.floor(N_FFT / 2);
  const edge = new Float64Array(N_FFT);
  for (let j = 0; j < N_FRAMES; j++) {
    const a = start + j * FRAME_HOP - half;             // first sample in the clip
    if (a >= start && a + N_FFT <= start + MEL_LEN) {
      const key = a / FRAME_HOP;
      let v = cache.get(key);
      if (!v) {
        v = new Float64Array(N_MELS);
        melFrame(x, a, v, 0);
        cache.set(key, v);
      }
      out.set(v, j * N_MELS);
    } else {
      for (let n = 0; n < N_FFT; n++) {
        const i = a + n;
        edge[n] = i >= start && i < start + MEL_LEN ? x[i] : 0;
      }
      melFrame(edge, 0, out, j * N_MELS);
    }
  }
  return out;
}

// librosa.power_to_db(S, ref=np.max) (amin 1e-10, top_db 80), then
// (dB + 40) / 40, as float32 for the model.
function melToInput(mel, dst, o) {
  let max = 0;
  for (let i = 0; i < mel.length; i++) if (mel[i] > max) max = mel[i];
  const ref = 10 * Math.log10(Math.max(1e-10, max));
  const db = new Float64Array(mel.length);
  let top = -Infinity;
  for (let i = 0; i < mel.length; i++) {
    db[i] = 10 * Math.log10(Math.max(1e-10, mel[i])) - ref;
    if (db[i] > top) top = db[i];
  }
  for (let i = 0; i < mel.length; i++) dst[o + i] = (Math.max(db[i], top - 80) + 40) / 40;
}

// ---- windows and scores -------------------------------------------------

// As the reference scorer: a short clip is appended to itself until it is
// at least 9.01 s long; windows start every second, and their count is
// floor(seconds) - 9.01 truncated, plus one (this drops the last window
// that would still fit when the length has more than 0.01 s past a whole
// second).
function windowsOf(x, file) {
  if (x.length === 0) throw new Error(`${file}: no samples`);
  while (x.length < WIN) {
    const y = new Float64Array(2 * x.length);
    y.set(x); y.set(x, x.length);
    x = y;
  }
  const count = Math.trunc(Math.floor(x.length / RATE) - WIN / RATE) + 1;
  const starts = [];
  for (let i = 0; i < count; i++) if (i * HOP + WIN <= x.length) starts.push(i * HOP);
  return { x, starts };
}

async function loadOrt() {
  const dir = process.env.DNSMOS_NODE_DIR;
  const require = createRequire(import.meta.url);
  try {
    return require(dir ? path.resolve(dir) : 'onnxruntime-node');
  } catch (e) {
    throw new Error(`cannot load onnxruntime-node (${dir ? `DNSMOS_NODE_DIR=${dir}` : 'set DNSMOS_NODE_DIR'}): ${e.message}`);
  }
}

async function score(files) {
  const ort = await loadOrt();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const modelDir = process.env.DNSMOS_DIR || path.resolve(here, '..', '..', 'shared', 'dnsmos');
  const opts = { intraOpNumThreads: Number(process.env.DNSMOS_THREADS) || 0 };
  const load = (name) => ort.InferenceSession.create(path.join(modelDir, name), opts).catch((e) => {
    throw new Error(`${path.join(modelDir, name)} (set DNSMOS_DIR to the models): ${e.message}`);
  });
  const p835 = await load('sig_bak_ovr.onnx');
  const p808 = await load('model_v8.onnx');

  // The windows of all files, read one file at a time, in batched runs of
  // both models.
  function* windows() {
    for (let f = 0; f < files.length; f++) {
      const { rate, x: raw } = readWav(files[f]);
      if (rate !== RATE)
        throw new Error(`${files[f]}: ${rate} Hz; DNSMOS needs ${RATE} Hz (resample with audioresample first)`);
      for (let i = 0; i < raw.length; i++)
        if (!Number.isFinite(raw[i])) throw new Error(`${files[f]}: NaN or Inf in the samples`);
      const { x, starts } = windowsOf(raw, files[f]);
      const cache = new Map();
      for (let w = 0; w < starts.length; w++)
        yield { f, x, s: starts[w], cache, last: w === starts.length - 1 };
    }
  }
  const sums = files.map(() => ({ sig: 0, bak: 0, ovrl: 0, p808: 0, n: 0 }));
  const mel = new Float64Array(N_FRAMES * N_MELS);
  const it = windows();
  for (let done = false; !done;) {
    const batch = [];
    while (batch.length < BATCH) {
      const r = it.next();
      if (r.done) { done = true; break; }
      batch.push(r.value);
    }
    const n = batch.length;
    if (n === 0) break;
    const wav = new Float32Array(n * WIN), feat = new Float32Array(n * N_FRAMES * N_MELS);
    batch.forEach((j, i) => {
      wav.set(j.x.subarray(j.s, j.s + WIN), i * WIN);
      melToInput(melWindow(j.x, j.s, j.cache, mel), feat, i * N_FRAMES * N_MELS);
      if (j.last) j.cache.clear();      // the clip's shared frames are done with
    });
    const r1 = await p835.run({ [p835.inputNames[0]]: new ort.Tensor('float32', wav, [n, WIN]) });
    const r2 = await p808.run({ [p808.inputNames[0]]: new ort.Tensor('float32', feat, [n, N_FRAMES, N_MELS]) });
    const o1 = r1[p835.outputNames[0]].data, o2 = r2[p808.outputNames[0]].data;
    batch.forEach((j, i) => {
      const s = sums[j.f];
      s.sig += poly(POLY.sig, o1[3 * i]);
      s.bak += poly(POLY.bak, o1[3 * i + 1]);
      s.ovrl += poly(POLY.ovrl, o1[3 * i + 2]);
      s.p808 += o2[i];
      s.n++;
    });
  }
  return sums.map((s) => ({ sig: s.sig / s.n, bak: s.bak / s.n, ovrl: s.ovrl / s.n, p808: s.p808 / s.n }));
}

// ---- self-test: fast mel path against the textbook definition ----------

function selfTest() {
  // Reference: pad, window, full complex DFT by its definition, triangular
  // filters evaluated in Hz, all without shared tables or caching.
  const ref = (seg) => {
    const half = Math.floor(N_FFT / 2);
    const p = new Float64Array(seg.length + 2 * half);
    p.set(seg, half);
    const lo = hzToMel(0), hi = hzToMel(RATE / 2);
    const fm = (i) => melToHz(lo + ((hi - lo) * i) / (N_MELS + 1));
    const out = new Float64Array(N_FRAMES * N_MELS);
    for (let j = 0; j < N_FRAMES; j++) {
      const pw = [];
      for (let k = 0; k < N_BINS; k++) {
        let re = 0, im = 0;
        for (let n = 0; n < N_FFT; n++) {
          const v = p[j * FRAME_HOP + n] * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
          re += v * Math.cos((2 * Math.PI * k * n) / N_FFT);
          im -= v * Math.sin((2 * Math.PI * k * n) / N_FFT);
        }
        pw.push(re * re + im * im);
      }
      for (let m = 0; m < N_MELS; m++) {
        let s = 0;
        for (let k = 0; k < N_BINS; k++) {
          const f = (k * RATE) / N_FFT, a = fm(m), c = fm(m + 1), d = fm(m + 2);
          const tri = f <= a || f >= d ? 0 : f <= c ? (f - a) / (c - a) : (d - f) / (d - c);
          s += (2 / (d - a)) * tri * pw[k];
        }
        out[j * N_MELS + m] = s;
      }
    }
    return out;
  };
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const x = new Float64Array(WIN + HOP);
  for (let i = 0; i < x.length; i++) x[i] = rnd() + 0.3 * Math.sin(i * 0.07);
  let worst = 0;
  const cache = new Map();
  for (const s of [0, HOP]) {                 // the later windows reuse cached frames
    const fast = melWindow(x, s, cache, new Float64Array(N_FRAMES * N_MELS));
    const want = ref(x.subarray(s, s + MEL_LEN));
    for (let i = 0; i < want.length; i++)
      worst = Math.max(worst, Math.abs(fast[i] - want[i]) / (Math.abs(want[i]) + 1e-9));
  }
  // A 1 kHz tone must peak in the mel band centred nearest to 1 kHz.
  const tone = new Float64Array(WIN);
  for (let i = 0; i < WIN; i++) tone[i] = Math.sin((2 * Math.PI * 1000 * i) / RATE);
  const tm = melWindow(tone, 0, new Map(), new Float64Array(N_FRAMES * N_MELS));
  let peak = 0;
  for (let m = 1; m < N_MELS; m++) if (tm[450 * N_MELS + m] > tm[450 * N_MELS + peak]) peak = m;
  const lo = hzToMel(0), hi = hzToMel(RATE / 2);
  let near = 0;
  for (let m = 0; m < N_MELS; m++) {
    const c = (i) => Math.abs(melToHz(lo + ((hi - lo) * (i + 1)) / (N_MELS + 1)) - 1000);
    if (c(m) < c(near)) near = m;
  }
  const ok = worst < 1e-9 && N_FRAMES === 900 && peak === near;
  console.log(`mel vs reference: max relative error ${worst.toExponential(2)}; ` +
              `frames ${N_FRAMES}; 1 kHz tone peaks in band ${peak} (expected ${near}): ${ok ? 'ok' : 'FAIL'}`);
  return ok;
}

// ---- command line -------------------------------------------------------

const args = process.argv.slice(2);
if (args[0] === '--self-test') process.exit(selfTest() ? 0 : 1);
const mean = args.includes('--mean');
const files = args.filter((a) => a !== '--mean');
if (files.length === 0 || files.some((f) => f.startsWith('--'))) {
  console.error('usage: node dnsmos.mjs [--mean] FILE.wav [FILE2.wav ...] | --self-test');
  process.exit(2);
}
try {
  const res = await score(files);
  const f3 = (v) => v.toFixed(3);
  res.forEach((r, i) => console.log([files[i], f3(r.sig), f3(r.bak), f3(r.ovrl), f3(r.p808)].join('\t')));
  if (mean) {
    const avg = (k) => res.reduce((a, r) => a + r[k], 0) / res.length;
    console.log(['mean', f3(avg('sig')), f3(avg('bak')), f3(avg('ovrl')), f3(avg('p808'))].join('\t'));
  }
} catch (e) {
  console.error(`dnsmos: ${e.message}`);
  process.exit(1);
}
