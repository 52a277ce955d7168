// CLI for bench/peers-node.mjs: sets up the node peer workloads, checks each once against the
// expected sum of outputs, times them alternately and prints a table plus one JSON line.
//
//   node bench/peers-node-demo.mjs [--n 512] [--rounds 7] [--warmup 2] [--const-b]
//
// --const-b also times the ORT models with B as an initializer (constant weights).
import os from 'node:os';
import {
  alternate, setupOrtMatMul, setupOrtMatMulInteger, setupTfjsWasmMatmul,
} from './peers-node.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const n = arg('n', 512);
const rounds = arg('rounds', 7);
const warmup = arg('warmup', 2);
const constB = process.argv.includes('--const-b');

const setups = [
  () => setupTfjsWasmMatmul(n),
  () => setupOrtMatMul(n),
  () => setupOrtMatMulInteger(n),
];
if (constB) {
  setups.push(() => setupOrtMatMul(n, { constB: true }));
  setups.push(() => setupOrtMatMulInteger(n, { constB: true }));
}

const workloads = [];
for (const setup of setups) workloads.push(await setup());

// Correctness first: one run each on the deterministic inputs.
const checks = [];
for (const w of workloads) {
  const got = await w.check();
  const relErr = Math.abs(got - w.expected) / Math.max(1, Math.abs(w.expected));
  checks.push({ name: w.name, checksum: got, expected: w.expected, rel_err: relErr });
}

const results = await alternate(workloads, { rounds, warmup });
const flops = 2 * n * n * n;

const pad = (s, w) => String(s).padEnd(w);
const lpad = (s, w) => String(s).padStart(w);
const nameW = Math.max(...workloads.map((w) => w.name.length)) + 2;
console.log(`node ${process.version}, ${os.cpus().length} cpu(s): ${os.cpus()[0]?.model ?? '?'}`);
console.log(`n=${n}, warmup=${warmup}, rounds=${rounds} (alternating)\n`);
console.log(`${pad('workload', nameW)}${lpad('median ms', 11)}${lpad('GOP/s', 9)}` +
  `${lpad('checksum', 18)}${lpad('expected', 18)}${lpad('rel err', 10)}`);
for (let i = 0; i < results.length; i++) {
  const r = results[i];
  const c = checks[i];
  console.log(`${pad(r.name, nameW)}${lpad(r.median_ms.toFixed(2), 11)}` +
    `${lpad((flops / r.median_ms / 1e6).toFixed(2), 9)}` +
    `${lpad(c.checksum.toPrecision(10), 18)}${lpad(c.expected.toPrecision(10), 18)}` +
    `${lpad(c.rel_err.toExponential(1), 10)}`);
}
console.log(JSON.stringify({
  bench: 'peers-node', node: process.version, n, rounds, warmup,
  results: results.map((r, i) => ({ ...r, checksum: checks[i].checksum,
    expected: checks[i].expected, info: workloads[i].info })),
}));

for (const w of workloads) w.dispose?.();
