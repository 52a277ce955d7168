// The benchmark command's driver (run by scripts/bench): quantplay and its peers side by side
// in one run, alternated round by round (≥ 5 timed rounds after warmup), medians and ratios.
//
//   native, 1 thread   quantplay CPU fast path (`quantplay bench-worker`) vs torch (fbgemm for
//                      int8) through bench/torch_worker.py, when .venv has torch: GEMMs, int8
//                      Linear, PTQ quantize(), training steps (fp32, 16-mixed) and each side's
//                      16-mixed / fp32 step-time ratio; then readbacks per WebGPU 16-mixed step
//                      (native wgpu, a count)
//   wasm in node       quantplay's wasm CPU fast path (BenchWorkload) vs tfjs-backend-wasm and
//                      onnxruntime-web (MatMul, MatMulInteger), one thread each
//   WebGPU (Chromium)  quantplay's simple and tiled matmul vs tfjs-backend-webgpu on the same
//                      adapter (bench/webgpu-run.mjs)
//
// Usage: node bench/run.mjs [--rounds 7] [--warmup 2] [--only native,wasm,webgpu]
// Prints tables and writes bench/results/latest.json. speedup = peer median / quantplay median
// (above 1 means quantplay is faster), the form of the targets in docs/performance.md. No
// timing is asserted anywhere: this machine is noisy.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { A_ZERO, B_ZERO, SEED_A, SEED_B, alternate, expectedSum, f32Matrix, i8Matrix, u8Matrix } from './common.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', 7));
const warmup = Number(arg('warmup', 2));
const only = arg('only', 'native,wasm,webgpu').split(',');
if (rounds < 5) throw new Error(`--rounds ${rounds}: use at least 5 for a meaningful median`);

/** A line-protocol worker process (`setup NAME KIND M K N` / `run NAME`). */
function worker(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const ask = (line) => new Promise((ok, fail) => {
    waiting.push((reply) => (reply.startsWith('error') ? fail(new Error(`${cmd}: ${reply}`)) : ok(reply)));
    child.stdin.write(`${line}\n`);
  });
  return { ask, close: () => child.stdin.end() };
}

function table(title, rows) {
  console.log(`\n${title}`);
  console.log(`${'workload'.padEnd(44)} ${'median ms'.padStart(10)}  quantplay speedup`);
  for (const r of rows) {
    if (r.error) {
      console.log(`${r.name.padEnd(44)} ${'n/a'.padStart(10)}  ${r.error}`);
      continue;
    }
    if (r.value != null) {
      console.log(`${r.name.padEnd(44)} ${r.value.toFixed(3).padStart(10)}  (${r.unit}, not ms)`);
      continue;
    }
    const ratio = r.speedup == null ? '' : `${r.speedup.toFixed(2)}x vs this`;
    console.log(`${r.name.padEnd(44)} ${r.median_ms.toFixed(3).padStart(10)}  ${ratio}`);
  }
}

/** Adds `speedup` (this peer's median / quantplay's) to peer rows of the same workload. */
function withRatios(rows, groupOf) {
  for (const r of rows) {
    const q = rows.find((x) => x.quantplay && groupOf(x) === groupOf(r));
    if (!r.quantplay && q) r.speedup = r.median_ms / q.median_ms;
  }
  return rows;
}

async function native() {
  const shapes = [
    ['f32_gemm', 512, 512, 512], ['f32_gemm', 1024, 1024, 1024], ['f32_gemm', 256, 784, 256],
    ['qlinear_per_tensor', 256, 784, 256], ['qlinear_per_channel', 256, 784, 256],
    // Whole eager-mode quantize() of a fused MLP 784-256-256-10, 8 calibration batches of 256.
    ['ptq_minmax', 256, 8, 0], ['ptq_histogram', 256, 8, 0],
    // One training step of an MLP 784-256-256-10 on a batch of 256 (SGD with momentum on both sides).
    ['train_fp32', 256, 0, 0], ['train_16mixed', 256, 0, 0],
  ];
  const q = worker(`${root}target/release/quantplay`, ['bench-worker']);
  const torchPy = `${root}.venv/bin/python`;
  const t = existsSync(torchPy) ? worker(torchPy, ['bench/torch_worker.py']) : null;
  if (!t) console.log('native: no .venv with torch (bash scripts/fixtures makes one): quantplay only');
  const loads = [];
  for (const [kind, m, k, n] of shapes) {
    const id = `${kind}_${m}x${k}x${n}`;
    for (const [who, w] of [['quantplay', q], ['torch', t]]) {
      if (!w) continue;
      await w.ask(`setup ${id} ${kind} ${m} ${k} ${n}`);
      loads.push({ name: `${who} ${id}`, group: id, quantplay: who === 'quantplay', run: () => w.ask(`run ${id}`) });
    }
  }
  const res = await alternate(loads, { rounds, warmup });
  const readbacks = await gpuReadbacks(q);
  const calibration = await calibrationRows(q);
  q.close();
  t?.close();
  const rows = res.map((r, i) => ({ ...r, group: loads[i].group, quantplay: loads[i].quantplay }));
  withRatios(rows, (r) => r.group);
  // 16-mixed step time / fp32 step time, per side (medians of the same run).
  for (const who of ['quantplay', 'torch']) {
    const [mixed, fp32] = ['train_16mixed_256x0x0', 'train_fp32_256x0x0'].map((g) => rows.find((r) => r.name === `${who} ${g}`));
    if (mixed && fp32) rows.push({ name: `${who} train 16-mixed / fp32 step time`, value: mixed.median_ms / fp32.median_ms, unit: 'ratio', derived: true });
  }
  rows.push(readbacks, ...calibration);
  // int8 vs quantplay's own f32 on the same shape (256×784×256).
  const f32 = rows.find((r) => r.quantplay && r.group === 'f32_gemm_256x784x256');
  for (const r of rows.filter((x) => x.quantplay && x.group.startsWith('qlinear'))) {
    rows.push({ name: `quantplay ${r.group} vs own f32`, median_ms: r.median_ms, speedup: f32.median_ms / r.median_ms, derived: true });
  }
  return rows;
}

/** Readbacks per 16-mixed training step on quantplay's native WebGPU backend (a count). */
async function gpuReadbacks(q) {
  const name = 'readbacks per WebGPU 16-mixed step';
  try {
    await q.ask('setup gpu_readbacks gpu_readbacks_16mixed 256 16 0');
    const reply = await q.ask('run gpu_readbacks');
    return { name, value: Number(reply.split(' ')[3]), unit: 'count', derived: true };
  } catch (e) {
    return { name, error: String(e.message ?? e), derived: true };
  }
}

/**
 * "PTQ calibration, CPU vs WebGPU": `calibrate_on` of the fused MLP 784-256-256-10 on 8×256
 * samples and of the page's 2-16-16-2 on 4×32, MinMax and Histogram observers, on quantplay's
 * CPU fast path and its native WebGPU backend, alternated; each row has the median time and
 * the readbacks of one calibration. On a software adapter the WebGPU time says nothing about
 * GPU speed (the note says so).
 */
async function calibrationRows(q) {
  const rows = [];
  const note = 'WebGPU here is the machine\'s adapter (lavapipe or SwiftShader when software): its time says nothing about GPU speed; the readbacks are the point';
  for (const [model, m, k, n] of [['MLP 784-256-256-10 8x256', 256, 8, 784], ['page MLP 2-16-16-2 4x32', 32, 4, 2]]) {
    for (const obs of ['minmax', 'histogram']) {
      const loads = [];
      for (const dev of ['cpu', 'webgpu']) {
        const id = `calib_${obs}_${dev}_${n}`;
        const name = `PTQ calibration, CPU vs WebGPU: ${model} ${obs} on ${dev}`;
        try {
          await q.ask(`setup ${id} calib_${obs}_${dev} ${m} ${k} ${n}`);
          loads.push({ name, group: `calib_${obs}_${n}`, quantplay: dev === 'cpu', run: () => q.ask(`run ${id}`), id });
        } catch (e) {
          rows.push({ name, error: String(e.message ?? e), derived: true });
        }
      }
      if (!loads.length) continue;
      const res = await alternate(loads, { rounds, warmup });
      for (const [i, r] of res.entries()) {
        const reply = await q.ask(`run ${loads[i].id}`);
        const readbacks = Number(reply.split(' ')[3]);
        rows.push({ ...r, name: `${r.name}, ${readbacks} readbacks`, group: loads[i].group, quantplay: loads[i].quantplay, readbacks, note });
      }
    }
  }
  return rows;
}

async function wasm() {
  const peers = await import('./peers-node.mjs');
  const pkg = await import(`${root}www/pkg/quantplay.js`);
  pkg.initSync({ module: readFileSync(`${root}www/pkg/quantplay_bg.wasm`) });
  const n = 512;
  const a = f32Matrix(n * n, SEED_A);
  const b = f32Matrix(n * n, SEED_B);
  const qf = pkg.BenchWorkload.f32_gemm(n, n, n, a, b);
  const au = u8Matrix(n * n, SEED_A);
  const bi = i8Matrix(n * n, SEED_B);
  const qi = pkg.BenchWorkload.int8_gemm(n, n, n, au, bi, A_ZERO, B_ZERO);
  const mine = [
    { name: `quantplay-wasm f32 matmul ${n}^3`, group: 'f32', quantplay: true, run: async () => qf.run(),
      check: () => qf.run(), expected: expectedSum(a, b, n, n, n) },
    { name: `quantplay-wasm u8*i8 int8 gemm ${n}^3`, group: 'int8', quantplay: true, run: async () => qi.run(),
      check: () => qi.run(), expected: expectedSum(au, bi, n, n, n, A_ZERO, B_ZERO) },
  ];
  const theirs = [
    { ...(await peers.setupTfjsWasmMatmul(n)), group: 'f32' },
    { ...(await peers.setupOrtMatMul(n)), group: 'f32' },
    { ...(await peers.setupOrtMatMulInteger(n)), group: 'int8' },
  ];
  for (const w of [...mine, ...theirs]) {
    const got = await w.check();
    const rel = Math.abs(got - w.expected) / Math.max(1, Math.abs(w.expected));
    if (!(rel < 1e-4)) throw new Error(`${w.name}: checksum ${got} vs expected ${w.expected}`);
  }
  const loads = [...mine, ...theirs];
  const res = await alternate(loads, { rounds, warmup });
  const rows = res.map((r, i) => ({ ...r, group: loads[i].group, quantplay: !!loads[i].quantplay }));
  return withRatios(rows, (r) => r.group);
}

async function webgpu() {
  const out = await new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['bench/webgpu-run.mjs', '--rounds', String(rounds), '--warmup', String(warmup)],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => (code === 0 ? ok(text) : fail(new Error(`webgpu-run exited ${code}`))));
  });
  const result = JSON.parse(out.trim().split('\n').pop());
  const rows = result.results.map((r) => ({ name: r.name, median_ms: r.median_ms, runs_ms: r.runs_ms, quantplay: r.key.startsWith('quantplay'), adapter: result.adapter }));
  // Speedup of the faster quantplay kernel.
  const best = rows.filter((r) => r.quantplay).sort((x, y) => x.median_ms - y.median_ms)[0];
  for (const r of rows) if (!r.quantplay && best) r.speedup = r.median_ms / best.median_ms;
  return rows;
}

const results = { date: new Date().toISOString(), rounds, warmup, sections: {} };
for (const [key, title, fn] of [['native', 'native, 1 thread', native], ['wasm', 'wasm in node, 1 thread', wasm], ['webgpu', 'WebGPU in headless Chromium (software adapter: no speed reference)', webgpu]]) {
  if (!only.includes(key)) continue;
  try {
    results.sections[key] = await fn();
    table(title, results.sections[key]);
  } catch (e) {
    results.sections[key] = { error: String(e.message ?? e) };
    console.log(`\n${title}: FAILED: ${e.message ?? e}`);
  }
}
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, JSON.stringify(results, null, 1));
console.log('\nwrote bench/results/latest.json');
process.exit(0);
