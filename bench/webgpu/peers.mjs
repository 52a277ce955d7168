// Browser peer workloads for the quantplay benchmark, and the driver of bench/webgpu/peers.html.
// The page sets each workload of the `workloads` registry up once, checks it once against the
// expected sum of outputs, times them all alternately (common.mjs alternate(): warmup rounds,
// then each workload once per round) and publishes
//   window.__bench = { status: 'running' | 'done' | 'error', adapter, n, rounds, warmup,
//                      results: [{ key, name, median_ms, runs_ms, gflops, checksum, expected,
//                                  rel_err, info }], error? }
//
// Adding a workload (e.g. quantplay's own WebGPU matmul): add one entry to `workloads` below,
//   'quantplay-webgpu-matmul-f32': {
//     flops: (n) => 2 * n ** 3,
//     async setup(n) {
//       const { default: init, Playground } = await import('/www/pkg/quantplay.js');
//       await init();                                   // served from the repo root
//       const a = f32Matrix(n * n, SEED_A), b = f32Matrix(n * n, SEED_B);  // same inputs
//       const pg = await Playground.new(...);           // whatever the wasm surface offers
//       const once = async () => pg.matmul(a, b, n, n, n);  // must resolve after read-back
//       return { name: `quantplay-webgpu f32 matmul ${n}^3`, info: {},
//                run: async () => void (await once()), check: async () => sum(await once()),
//                expected: expectedSum(a, b, n, n, n), dispose: () => pg.free() };
//     },
//   },
// run() must include reading the result back to the CPU, as the tfjs workload does, or the
// time measures only command submission. The page runs every entry unless ?only=key1,key2.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import {
  SEED_A, SEED_B, alternate, expectedSum, f32Matrix, sum,
} from '../common.mjs';

/** quantplay's WebGPU matmul (`GpuBenchWorkload` of crate/src/web.rs) on the same inputs. */
function quantplayMatmul(kernel) {
  return {
    flops: (n) => 2 * n ** 3,
    async setup(n) {
      const { default: init, GpuBenchWorkload } = await import('/www/pkg/quantplay.js');
      await init();
      const aData = f32Matrix(n * n, SEED_A);
      const bData = f32Matrix(n * n, SEED_B);
      const w = await GpuBenchWorkload.create(n, aData, bData, kernel);
      return {
        name: `quantplay-webgpu f32 matmul ${n}^3 (${kernel})`,
        info: { kernel },
        run: async () => void (await w.run()), // one dispatch and the read-back of C
        check: async () => w.run(),
        expected: expectedSum(aData, bData, n, n, n),
        dispose: () => w.free(),
      };
    },
  };
}

/** The registry the page iterates: key → { flops(n), setup(n) → workload }. */
export const workloads = {
  'quantplay-webgpu-matmul-f32-blocked': quantplayMatmul('blocked'),
  'quantplay-webgpu-matmul-f32-tiled': quantplayMatmul('tiled'),
  'quantplay-webgpu-matmul-f32-simple': quantplayMatmul('simple'),
  'tfjs-webgpu-matmul-f32': {
    flops: (n) => 2 * n ** 3,
    async setup(n) {
      // Ops on small tensors are forwarded to the CPU by default; keep everything on the GPU.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: webgpu backend failed');
      await tf.ready();
      const aData = f32Matrix(n * n, SEED_A);
      const bData = f32Matrix(n * n, SEED_B);
      const a = tf.tensor2d(aData, [n, n], 'float32');
      const b = tf.tensor2d(bData, [n, n], 'float32');
      const once = async () => {
        const c = tf.matMul(a, b);
        try {
          return await c.data(); // waits for the GPU and copies the result back
        } finally {
          c.dispose();
        }
      };
      const info = tf.backend().adapterInfo ?? {};
      return {
        name: `tfjs-webgpu f32 matmul ${n}^3`,
        info: { backend: tf.getBackend(), vendor: info.vendor, architecture: info.architecture },
        run: async () => void (await once()),
        check: async () => sum(await once()),
        expected: expectedSum(aData, bData, n, n, n),
        dispose: () => (a.dispose(), b.dispose()),
      };
    },
  },
};

/** The browser's WebGPU adapter as plain data (null when there is none). */
async function adapterReport() {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const i = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  return {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    features: [...adapter.features].sort(),
  };
}

function param(q, name, fallback) {
  const v = q.get(name);
  return v == null || v === '' || !Number.isFinite(Number(v)) ? fallback : Number(v);
}

async function main() {
  const q = new URLSearchParams(location.search);
  const n = param(q, 'n', 512);
  const rounds = param(q, 'rounds', 7);
  const warmup = param(q, 'warmup', 2);
  const only = q.get('only')?.split(',').filter(Boolean);
  const keys = Object.keys(workloads).filter((k) => !only || only.includes(k));
  const status = document.getElementById('status');
  const state = { status: 'running', adapter: null, n, rounds, warmup, results: [] };
  window.__bench = state;
  const say = (text) => (status.textContent = text);
  try {
    state.adapter = await adapterReport();
    if (!state.adapter) throw new Error('no WebGPU adapter (navigator.gpu missing or null)');
    const a = state.adapter;
    document.getElementById('adapter').textContent =
      `adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')}`;
    if (!keys.length) throw new Error(`no workload matches only=${q.get('only')}`);

    const ready = [];
    for (const key of keys) {
      say(`setting up ${key}…`);
      const w = await workloads[key].setup(n);
      const checksum = await w.check();
      ready.push({ key, w, checksum });
    }
    say(`timing ${ready.length} workload(s): ${warmup} warmup + ${rounds} rounds…`);
    const timed = await alternate(ready.map((r) => r.w), {
      rounds, warmup, onRound: (r) => say(`round ${r + 1}/${rounds}…`),
    });
    state.results = timed.map((t, i) => {
      const { key, w, checksum } = ready[i];
      const flops = workloads[key].flops(n);
      return {
        key, ...t, gflops: flops / t.median_ms / 1e6, checksum, expected: w.expected,
        rel_err: Math.abs(checksum - w.expected) / Math.max(1, Math.abs(w.expected)), info: w.info,
      };
    });
    for (const { w } of ready) w.dispose?.();

    const body = document.querySelector('#results tbody');
    for (const r of state.results) {
      const tr = document.createElement('tr');
      for (const v of [r.name, r.median_ms.toFixed(2), r.gflops.toFixed(2),
        r.checksum.toPrecision(10), r.expected.toPrecision(10)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      body.append(tr);
    }
    state.status = 'done';
    say('done');
  } catch (e) {
    state.status = 'error';
    state.error = String(e?.stack ?? e);
    say(`error: ${e?.message ?? e}`);
  }
  status.dataset.state = state.status;
  document.getElementById('json').textContent = JSON.stringify(state, null, 1);
}

if (document.body?.dataset.bench === 'peers') main();
