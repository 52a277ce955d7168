// The page's engine: a dedicated Web Worker that owns the wasm module, the WebGPU device and the
// two training runs, so no wasm call ever runs on the page's main thread (a slow CPU step, a
// 2048³ matmul check, calibration or the memory table's steps only delay this worker). It
// answers the requests of engine.js, one message each: `{id, op, args}` → `{id, ok, value}` or
// `{id, ok: false, error: {name, message}}`; long requests may send `{id, progress}` first.
// Errors keep their `name` (the wasm surface names device errors `GpuDeviceError`), which
// structured cloning of an Error would lose. Not here: the fallback rule (runner.js) or drawing.

import init, { Playground, Trainer } from './pkg/quantplay.js';

// Every GPUDevice the wasm opens in this worker, so `destroyDevices` (the e2e tests' real device
// loss) can call the browser's own GPUDevice.destroy() on it. Wrapped before any device is
// requested: module code runs before the first `open`. `lowerGpuLimits` (another test hook)
// makes later devices ask the browser for lower limits than the adapter's, which the browser
// then enforces, as on a smaller GPU.
self.__quantplayDevices = [];
let lowerLimits = null;
if (self.GPUAdapter?.prototype.requestDevice) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (desc = {}, ...rest) {
    if (lowerLimits) desc = { ...desc, requiredLimits: { ...desc.requiredLimits, ...lowerLimits } };
    const device = await requestDevice.call(this, desc, ...rest);
    self.__quantplayDevices.push(device);
    return device;
  };
}

let playground = null;
const runs = {}; // which ('fp32' | 'main') → Trainer

/** The CPU matmul check runs in this many row blocks (B is copied into wasm once per block). */
const MATMUL_BLOCKS = 16;

function freeRun(which) {
  try {
    runs[which]?.free();
  } catch {
    // a lost device may refuse; the run is dropped anyway
  }
  delete runs[which];
}

/** `config` (Trainer config JSON) on the backend `pg` really opened: "webgpu" becomes "cpu"
 * when no GPU opened, as the runner does (runner.js `backend`). */
function onActive(config, pg) {
  const c = JSON.parse(config);
  if (c.backend === 'webgpu' && pg.active_backend() !== 'webgpu') c.backend = 'cpu';
  return JSON.stringify(c);
}

function trainer(which) {
  const t = runs[which];
  if (!t) throw new Error(`no run "${which}" (open one with create or restore first)`);
  return t;
}

/** `A (m, k) · B (k, n)` on `backend`, in row blocks on the CPU so `progress(done)` can report. */
async function matmulRows(backend, a, b, m, k, n, progress) {
  if (backend !== 'cpu') return playground.matmul(backend, a, b, m, k, n);
  const rows = Math.ceil(m / MATMUL_BLOCKS);
  const out = new Float32Array(m * n);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    out.set(await playground.matmul(backend, a.subarray(r0 * k, r1 * k), b, r1 - r0, k, n), r0 * n);
    progress(r1 / m);
  }
  return out;
}

const ops = {
  /** Loads the wasm (once) and opens a Playground; resolves to its info and active backend. */
  async open({ useGpu, wasmUrl, checks = [] }) {
    await init(wasmUrl ? { module_or_path: wasmUrl } : undefined);
    const devices = self.__quantplayDevices.length;
    const next = await Playground.create(useGpu);
    // A backend switch checks its new runs here first: on a refusal (a ResourceLimitError) the
    // new Playground goes and the old one, with its runs, stays as it was.
    try {
      for (const config of checks) Trainer.check(next, onActive(config, next));
    } catch (e) {
      next.free();
      self.__quantplayDevices.splice(devices); // the checked device is not a live one
      throw e;
    }
    for (const which of Object.keys(runs)) freeRun(which);
    playground?.free();
    playground = next;
    return { info: JSON.parse(playground.info_json()), active: playground.active_backend() };
  },
  create({ which, config }) {
    freeRun(which);
    runs[which] = Trainer.create(playground, config);
    return true;
  },
  restore({ which, snapshot, backend }) {
    freeRun(which);
    runs[which] = Trainer.restore(playground, snapshot, backend);
    return true;
  },
  /** The plan check of a config (Trainer.check): throws a ResourceLimitError, allocates nothing. */
  check({ config }) {
    Trainer.check(playground, config);
    return true;
  },
  free({ which }) {
    freeRun(which);
    return true;
  },
  /** Test hook: GPUDevice.destroy() on every device opened here (a real loss); resolves to how
   * many were live. The browser then rejects maps and drops submissions on its own. */
  destroyDevices() {
    let live = 0;
    for (const d of self.__quantplayDevices.splice(0)) {
      live++;
      d.destroy();
    }
    return live;
  },
  /** Test hook: devices opened from now on get these limits (e.g. `{maxStorageBufferBindingSize:
   * 67108864}`) instead of the adapter's; null for the adapter's own. */
  lowerGpuLimits({ limits }) {
    lowerLimits = limits;
    return true;
  },
  /** Calls one Trainer method by name; awaits it when it returns a Promise. */
  async call({ which, method, args = [] }) {
    const t = trainer(which);
    if (typeof t[method] !== 'function') throw new Error(`Trainer has no method "${method}"`);
    return t[method](...args);
  },
  /** The seeded CPU-vs-WebGPU matmul check, timed here; the CPU side reports progress. */
  async matmul({ m, k, n, seed, gpu: wantGpu = true }, progress) {
    const a = Playground.random(m * k, seed, -1, 1);
    // B's seed stays a u32 (the page allows seeds up to 2^32 - 1; random() rejects 2^32)
    const b = Playground.random(k * n, (seed + 1) >>> 0, -1, 1);
    const gpuToo = wantGpu && playground.active_backend() === 'webgpu';
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

self.onmessage = async ({ data: { id, op, args } }) => {
  const progress = (p) => self.postMessage({ id, progress: p });
  try {
    if (!ops[op]) throw new Error(`unknown engine request "${op}"`);
    if (op !== 'open' && !playground) throw new Error('the engine is not open yet');
    const value = await ops[op](args || {}, progress);
    // the matmul check's result arrays move to the page instead of being copied
    const transfer = op === 'matmul' ? [value.cpu.out.buffer, value.gpu?.out.buffer].filter(Boolean) : [];
    self.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: { name: e?.name || 'Error', message: String(e?.message ?? e) } });
  }
};
