// Run RNNoise (npm @echogarden/rnnoise-wasm) over a 16-bit mono 48 kHz WAV,
// for the denoise comparison (scripts/denoise-eval.sh) and the benchmark
// (bench/denoise). RNNoise's 10 ms delay is compensated so the output lines
// up with the input sample for sample, as gandenoise's does.
//   node denoise-rnnoise.mjs IN.wav OUT.wav [--repeat N]
//   node denoise-rnnoise.mjs --list FILE      (IN<tab>OUT per line; one
//                                             process for a whole set)
// RNNOISE_WASM_DIR: folder of the npm package (default: next to this
// script's node_modules, else the package name). Prints the CPU seconds
// spent inside RNNoise and the real-time factor on stderr.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [inArg, outArg, ...rest] = process.argv.slice(2);
if (!inArg || !outArg) {
  console.error('usage: node denoise-rnnoise.mjs IN.wav OUT.wav [--repeat N]');
  process.exit(2);
}
const repeat = rest[0] === '--repeat' ? Math.max(1, parseInt(rest[1], 10) || 1) : 1;
const jobs = inArg === '--list'
  ? fs.readFileSync(outArg, 'utf8').split('\n').filter((l) => l).map((l) => l.split('\t'))
  : [[inArg, outArg]];

const dir = process.env.RNNOISE_WASM_DIR;
const mod = dir ? pathToFileURL(path.join(dir, 'rnnoise.js')).href : '@echogarden/rnnoise-wasm';
const RNNoise = (await import(mod)).default;
const m = await RNNoise();

function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a WAV file`);
  let off = 12, rate = 0, ch = 0, bits = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      ch = b.readUInt16LE(off + 10);
      rate = b.readUInt32LE(off + 12);
      bits = b.readUInt16LE(off + 22);
    } else if (id === 'data') {
      if (bits !== 16 || ch !== 1) throw new Error(`${file}: need 16-bit mono`);
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

function denoise(inPath, outPath) {
const { rate, x } = readWav(inPath);
if (rate !== 48000) {
  console.error(`${inPath}: RNNoise runs at 48 kHz only (got ${rate} Hz); resample first`);
  process.exit(1);
}
const N = m._rnnoise_get_frame_size();      // 480
const delay = N;                            // one frame of look-back
const frames = Math.ceil((x.length + delay) / N);
const out = new Float32Array(frames * N);
const pin = m._malloc(N * 4), pout = m._malloc(N * 4);
let cpu = 0;
for (let r = 0; r < repeat; r++) {
  const st = m._rnnoise_create(0);
  const t0 = process.cpuUsage();
  for (let f = 0; f < frames; f++) {
    const heap = new Float32Array(m.wasmMemory ? m.wasmMemory.buffer : m.HEAPF32.buffer);
    for (let i = 0; i < N; i++) {
      const j = f * N + i;
      heap[(pin >> 2) + i] = j < x.length ? x[j] : 0;
    }
    m._rnnoise_process_frame(st, pout, pin);
    out.set(heap.subarray(pout >> 2, (pout >> 2) + N), f * N);
  }
  const t = process.cpuUsage(t0);
  cpu += (t.user + t.system) / 1e6;
  m._rnnoise_destroy(st);
}
m._free(pin); m._free(pout);
writeWav(outPath, out.subarray(delay, delay + x.length), rate);
const audio = repeat * x.length / rate;
console.error(`rnnoise cpu_s ${cpu.toFixed(3)} audio_s ${audio.toFixed(3)} rtf ${(cpu / audio).toFixed(5)}`);
}

for (const [i, o] of jobs) denoise(i, o);
