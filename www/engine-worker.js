// The page's engine: a dedicated Web Worker that owns the wasm module, the WebGPU device and the
// two training runs, so no wasm call ever runs on the page's main thread (a slow CPU step, a
// 2048³ matmul check, calibration or the memory table's steps only delay this worker). It
// answers the requests of engine.js, one message each: `{id, op, args}` → `{id, ok, value}` or
// `{id, ok: false, error: {name, message}}`; long requests may send `{id, progress}` first.
// Errors keep their `name` (the wasm surface names device errors `GpuDeviceError`), which
// structured cloning of an Error would lose. Not here: the fallback rule (runner.js) or drawing.

import init, { Playground, Trainer } from './pkg/quantplay.js';
import { pack } from './record-columns.js';

// Every GPUDevice the wasm opens in this worker, so `destroyDevices` (the e2e tests' real device
// loss) can call the browser's own GPUDevice.destroy() on it. Wrapped before any device is
// requested: module code runs before the first `open`. `lowerGpuLimits` (another test hook)
// makes later devices ask the browser for lower limits than the adapter's, which the browser
// then enforces, as on a smaller GPU.
/** This worker's global scope with the devices list the test hooks read. */
const scope = /** @type {DedicatedWorkerGlobalScope & { __quantplayDevices: GPUDevice[] }} */ (/** @type {unknown} */ (self));
scope.__quantplayDevices = [];
/** @type {Record<string, number> | null} */
let lowerLimits = null;
// GPUAdapter is missing where the browser has no WebGPU (the lib types say it is always there)
if (/** @type {{ GPUAdapter?: typeof GPUAdapter }} */ (self).GPUAdapter?.prototype.requestDevice) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  /** @this {GPUAdapter} @param {GPUDeviceDescriptor} [desc] */
  GPUAdapter.prototype.requestDevice = async function (desc = {}) {
    if (lowerLimits) desc = { ...desc, requiredLimits: { ...desc.requiredLimits, ...lowerLimits } };
    const device = await requestDevice.call(this, desc);
    scope.__quantplayDevices.push(device);
    return device;
  };
}

/** @type {Playground | null} */
let playground = null;
/** @type {{ [which: string]: Trainer }} */
const runs = {}; // which ('fp32' | 'main') → Trainer

/** The CPU matmul check runs in this many row blocks (B is copied into wasm once per block). */
const MATMUL_BLOCKS = 16;

/** @param {string} which */
function freeRun(which) {
  try {
    runs[which]?.free();
  } catch {
    // a lost device may refuse; the run is dropped anyway
  }
  delete runs[which];
}

/** `config` (Trainer config JSON) on the backend `pg` really opened: "webgpu" becomes "cpu"
 * when no GPU opened, as the runner does (runner.js `backend`).
 * @param {string} config @param {Playground} pg @returns {string} */
function onActive(config, pg) {
  const c = JSON.parse(config);
  if (c.backend === 'webgpu' && pg.active_backend() !== 'webgpu') c.backend = 'cpu';
  return JSON.stringify(c);
}

/** @param {string} which @returns {Trainer} */
function trainer(which) {
  const t = runs[which];
  if (!t) throw new Error(`no run "${which}" (open one with create or restore first)`);
  return t;
}

/**
 * `A (m, k) · B (k, n)` on `backend`, in row blocks on the CPU so `progress(done)` can report.
 * @param {string} backend @param {Float32Array} a @param {Float32Array} b
 * @param {number} m @param {number} k @param {number} n
 * @param {(done: number) => void} progress
 * @returns {Promise<Float32Array>}
 */
async function matmulRows(backend, a, b, m, k, n, progress) {
  const pg = /** @type {Playground} */ (playground); // onmessage checked it is open
  if (backend !== 'cpu') return pg.matmul(backend, a, b, m, k, n);
  const rows = Math.ceil(m / MATMUL_BLOCKS);
  const out = new Float32Array(m * n);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    out.set(await pg.matmul(backend, a.subarray(r0 * k, r1 * k), b, r1 - r0, k, n), r0 * n);
    progress(r1 / m);
  }
  return out;
}

const ops = {
  /** Loads the wasm (once) and opens a Playground; resolves to its info and active backend. */
  /** @param {{ useGpu: boolean, wasmUrl?: string, checks?: string[] }} args */
  async open({ useGpu, wasmUrl, checks = [] }) {
    await init(wasmUrl ? { module_or_path: wasmUrl } : undefined);
    const devices = scope.__quantplayDevices.length;
    const next = await Playground.create(useGpu);
    // A backend switch checks its new runs here first: on a refusal (a ResourceLimitError) the
    // new Playground goes and the old one, with its runs, stays as it was.
    try {
      for (const config of checks) Trainer.check(next, onActive(config, next));
    } catch (e) {
      next.free();
      scope.__quantplayDevices.splice(devices); // the checked device is not a live one
      throw e;
    }
    for (const which of Object.keys(runs)) freeRun(which);
    playground?.free();
    playground = next;
    return { info: JSON.parse(playground.info_json()), active: playground.active_backend() };
  },
  /** @param {{ which: string, config: string }} args */
  create({ which, config }) {
    freeRun(which);
    runs[which] = Trainer.create(/** @type {Playground} */ (playground), config);
    return true;
  },
  /** @param {{ which: string, snapshot: unknown, backend: string }} args */
  restore({ which, snapshot, backend }) {
    freeRun(which);
    runs[which] = Trainer.restore(/** @type {Playground} */ (playground), snapshot, backend);
    return true;
  },
  /** The plan check of a config (Trainer.check): throws a ResourceLimitError, allocates nothing. */
  /** @param {{ config: string }} args */
  check({ config }) {
    Trainer.check(/** @type {Playground} */ (playground), config);
    return true;
  },
  /** @param {{ which: string }} args */
  free({ which }) {
    freeRun(which);
    return true;
  },
  /** Test hook: GPUDevice.destroy() on every device opened here (a real loss); resolves to how
   * many were live. The browser then rejects maps and drops submissions on its own. */
  destroyDevices() {
    let live = 0;
    for (const d of scope.__quantplayDevices.splice(0)) {
      live++;
      d.destroy();
    }
    return live;
  },
  /** Test hook: devices opened from now on get these limits (e.g. `{maxStorageBufferBindingSize:
   * 67108864}`) instead of the adapter's; null for the adapter's own. */
  /** @param {{ limits: Record<string, number> | null }} args */
  lowerGpuLimits({ limits }) {
    lowerLimits = limits;
    return true;
  },
  /** Calls one Trainer method by name; awaits it when it returns a Promise. */
  /** @param {{ which: string, method: string, args?: unknown[] }} request */
  async call({ which, method, args = [] }) {
    const t = /** @type {Trainer & { [method: string]: unknown }} */ (trainer(which));
    if (typeof t[method] !== 'function') throw new Error(`Trainer has no method "${method}"`);
    return /** @type {(...a: unknown[]) => unknown} */ (t[method]).call(t, ...args);
  },
  /** The seeded CPU-vs-WebGPU matmul check, timed here; the CPU side reports progress. */
  /**
   * @param {{ m: number, k: number, n: number, seed: number, gpu?: boolean }} sizes
   * @param {(p: { backend: string, done: number }) => void} progress
   */
  async matmul({ m, k, n, seed, gpu: wantGpu = true }, progress) {
    const pg = /** @type {Playground} */ (playground); // onmessage checked it is open
    const a = Playground.random(m * k, seed, -1, 1);
    // B's seed stays a u32 (the page allows seeds up to 2^32 - 1; random() rejects 2^32)
    const b = Playground.random(k * n, (seed + 1) >>> 0, -1, 1);
    const gpuToo = wantGpu && pg.active_backend() === 'webgpu';
    /** @param {string} backend @param {(f: number) => number} part */
    const timed = async (backend, part) => {
      const t0 = performance.now();
      const out = await matmulRows(backend, a, b, m, k, n, (f) => progress({ backend, done: part(f) }));
      return { out, time: performance.now() - t0 };
    };
    const cpu = await timed('cpu', (f) => (gpuToo ? f / 2 : f));
    const gpu = gpuToo ? await timed('webgpu', (f) => 0.5 + f / 2) : null;
    const report = gpu ? JSON.parse(Playground.compare(gpu.out, cpu.out, 'f32_matmul')) : null;
    return { m, k, n, seed, cpu, gpu, report };
  },
};

/** The page's requests by op name, for the lookup below (each op types its own args). */
const byName = /** @type {{ [op: string]: ((args: any, progress: (p: unknown) => void) => unknown) | undefined }} */ (ops);

/** @param {MessageEvent<{ id: number, op: string, args?: object }>} event */
scope.onmessage = async ({ data: { id, op, args } }) => {
  /** @param {unknown} p */
  const progress = (p) => scope.postMessage({ id, progress: p });
  try {
    const run = byName[op];
    if (!run) throw new Error(`unknown engine request "${op}"`);
    if (op !== 'open' && !playground) throw new Error('the engine is not open yet');
    let value = /** @type {any} */ (await run(args || {}, progress));
    // the matmul check's result arrays move to the page instead of being copied
    let transfer = op === 'matmul' ? [value.cpu.out.buffer, value.gpu?.out.buffer].filter(Boolean) : [];
    // a chunk's step records travel as typed-array columns, parsed here and moved (record-columns.js)
    if (op === 'call' && /** @type {{ method?: string }} */ (args)?.method === 'run' && typeof value === 'string') {
      ({ packed: value, transfer } = pack(JSON.parse(value)));
    }
    scope.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    scope.postMessage({ id, ok: false, error: { name: e?.name || 'Error', message: String(e?.message ?? e) } });
  }
};
