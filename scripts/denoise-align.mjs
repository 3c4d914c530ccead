// Shift a processed 16-bit mono WAV so it lines up with a reference (the
// noisy input), by the integer lag that maximises their cross-correlation
// within +-MAXLAG samples; the length is kept (zeros fill in). Used by
// scripts/denoise-eval.sh on every method alike, because SI-SDR punishes
// even a one-sample offset and webrtcdsp's band-split filters delay its
// output by a few milliseconds.
//   node denoise-align.mjs REF.wav IN.wav OUT.wav [MAXLAG | --lag L]
//   node denoise-align.mjs --list FILE     (REF<tab>IN<tab>OUT per line, all
//                                          from one method: its lag is
//                                          searched on the first three
//                                          files and the most common one
//                                          applied to all)
// --lag L shifts by a lag found before (a method's delay is fixed, and the
// search costs seconds per file).
import fs from 'node:fs';

function readWav(file) {
  const b = fs.readFileSync(file);
  let off = 12, rate = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = b.readUInt32LE(off + 12);
    if (id === 'data') {
      const n = Math.min(size, b.length - off - 8) >> 1;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = b.readInt16LE(off + 8 + 2 * i);
      return { rate, x };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

function writeWav(file, x, rate) {
  const b = Buffer.alloc(44 + 2 * x.length);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * x.length, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * x.length, 40);
  for (let i = 0; i < x.length; i++)
    b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i]))), 44 + 2 * i);
  fs.writeFileSync(file, b);
}

// the lag of inp against ref (search within +-maxLag samples)
function findLag(ref, inp, maxLag) {
  const a = ref.x, y = inp.x;
  // correlate over (at most) 10 s from the middle of the file
  const span = Math.min(a.length - 2 * maxLag, 10 * ref.rate);
  const start = Math.max(maxLag, ((a.length - span) >> 1));
  let best = 0, bestVal = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = start; i < start + span; i++) {
      const j = i + lag;
      if (j >= 0 && j < y.length) s += a[i] * y[j];
    }
    if (s > bestVal) { bestVal = s; best = lag; }
  }
  return best;
}

function shift(ref, inp, lag, outPath) {
  const out = new Float32Array(ref.x.length);
  for (let i = 0; i < out.length; i++) {
    const j = i + lag;
    out[i] = j >= 0 && j < inp.x.length ? inp.x[j] : 0;
  }
  writeWav(outPath, out, inp.rate);
}

const [refPath, inPath, outPath, maxArg] = process.argv.slice(2);
if (refPath === '--list' && inPath) {
  const jobs = fs.readFileSync(inPath, 'utf8').split('\n').filter((l) => l).map((l) => l.split('\t'));
  const seen = [];
  let lag = null;
  for (const [r, i, o] of jobs) {
    const ref = readWav(r), inp = readWav(i);
    if (lag === null) {
      seen.push(findLag(ref, inp, Math.round(ref.rate * 0.02)));
      if (seen.length === Math.min(3, jobs.length)) {
        const count = new Map();
        for (const v of seen) count.set(v, (count.get(v) || 0) + 1);
        lag = [...count.entries()].sort((p, q) => q[1] - p[1])[0][0];
      }
    }
    shift(ref, inp, lag === null ? seen[seen.length - 1] : lag, o);
  }
  console.log(lag);
  process.exit(0);
}
if (!refPath || !inPath || !outPath) {
  console.error('usage: node denoise-align.mjs REF.wav IN.wav OUT.wav [MAXLAG | --lag L]');
  process.exit(2);
}
const ref = readWav(refPath), inp = readWav(inPath);
const given = maxArg === '--lag' ? parseInt(process.argv[6], 10) : NaN;
const best = Number.isFinite(given) ? given
  : findLag(ref, inp, parseInt(maxArg || '', 10) || Math.round(ref.rate * 0.02));
shift(ref, inp, best, outPath);
console.log(best);
