// The training runner: owns the two runs (32-true on the left, the chosen precision on the
// right, same seed), whose Trainers live in the engine worker (engine.js); serialises every call
// on them (a Trainer rejects overlapping calls with "busy"), steps them in chunks sized to a
// time budget, and on WebGPU takes each run's state with every chunk, so when WebGPU fails both
// runs move to the CPU from the last step the page shows, none lost or redone (docs/
// reliability.md); "retry WebGPU" moves them back onto a new device. No wasm runs on the main
// thread: a chunk only awaits the worker.
// Not here: drawing (training-panel.js etc.) and the URL (state.js).

import { trainerConfig } from './state.js';
import { createJumpWatch } from './divergence.js';
import { createHistory } from './history.js';
import { isPacked, unpack } from './record-columns.js';

/** @typedef {import('./types.js').Run} Run */
/** @typedef {import('./types.js').TrainerHandle} TrainerHandle */

const TARGET_MS = 150; // time budget of one chunk (the worker's time; the page keeps drawing meanwhile)

/**
 * Creates the runner's part of the app state; `app` must have engine, active, state.
 * @param {{ engine: import('./types.js').Engine, active: string, state: import('./types.js').State,
 *   fullLog?: import('./types.js').FullLog }} app
 * @param {import('./types.js').RunnerHooks} hooks
 */
export function createRunner(app, hooks) {
  const engine = app.engine;
  const r = {
    // { fp32: Run, main: Run }; Run = { which, precision, trainer, history (history.js), watch
    // (divergence.js), snapshot (its state after step snapStep, taken on snapBackend) }
    runs: /** @type {{ fp32: Run, main: Run } | null} */ (null),
    running: false,
    chunk: 2,
    queue: /** @type {Promise<unknown>} */ (Promise.resolve()),
    // cpu-reference (the plain-loop oracle) only when the URL asks for it; else what opened.
    backend: app.state.backend === 'cpu-reference' ? 'cpu-reference' : app.active,
    generation: 0,
    starts: 0, // loops started (a reset tells a Start pressed while it was pending)
    /** The last fallback: { steps: {fp32, main} restored at, snapshots: {fp32, main}, taken: {fp32, main} backends }. */
    fallbackFrom: /** @type {{ steps: object, snapshots: object, taken: object } | null} */ (null),
  };

  /**
   * Runs `fn` after every earlier call; resolves/rejects with its result.
   * @template T
   * @param {() => T | Promise<T>} fn
   * @returns {Promise<T>}
   */
  function exclusive(fn) {
    const p = r.queue.then(fn);
    r.queue = p.catch(() => {});
    return p;
  }

  /**
   * Creates (or, from a snapshot, restores) run `which` in the worker on r.backend.
   * @param {string} which
   * @param {string} precision
   * @param {unknown} [snapshot]
   */
  function open(which, precision, snapshot) {
    if (snapshot) return engine.request('restore', { which, snapshot, backend: r.backend });
    return engine.request('create', { which, config: trainerConfig(app.state, precision, r.backend) });
  }

  async function freeAll() {
    for (const which of Object.keys(r.runs || {})) await engine.request('free', { which });
    r.runs = null;
  }

  /**
   * Replaces the runs with new ones from the current settings (a new seed = a new run). The new
   * settings are checked first (Trainer.check: every tensor against the adapter's limits and the
   * host budget, nothing allocated); if that fails (a ResourceLimitError, a bad value) the error
   * is thrown with `keptRuns` set and the old runs, the loop and the snapshots are untouched.
   * Only then are the old runs freed and the new ones created.
   */
  function reset() {
    const configs = [['fp32', '32-true'], ['main', app.state.precision]].map(([, p]) => trainerConfig(app.state, p, r.backend));
    // One queued call, check and all, so nothing queued after a reset (a step, a read) can run
    // between the check and the new runs and see the old ones.
    const starts = r.starts;
    return exclusive(async () => {
      try {
        for (const config of configs) await engine.request('check', { config });
      } catch (e) {
        if (r.runs && e && typeof e === 'object') /** @type {{ keptRuns?: boolean }} */ (e).keptRuns = true;
        throw e;
      }
      // A loop running since before the reset stops, as a reset always did; a Start pressed
      // while the check was pending is the user's wish for the new runs: it resumes on them.
      const resume = r.running && r.starts !== starts;
      r.running = false;
      r.generation++;
      await freeAll();
      const runs = /** @type {{ fp32: Run, main: Run }} */ ({}); // both set just below
      for (const [which, precision] of /** @type {['fp32' | 'main', string][]} */ ([['fp32', '32-true'], ['main', app.state.precision]])) {
        await open(which, precision);
        runs[which] = { which, precision, trainer: engine.trainer(which), history: createHistory(), watch: createJumpWatch(), snapshot: null, snapStep: 0, snapBackend: r.backend };
      }
      r.runs = runs;
      await hooks.onReset();
      if (resume) start(); // its first chunk queues behind this call
    });
  }

  /** Steps `run` `k` steps; on WebGPU takes its state after them in the same queued call, and
   * shows the records only once both came back (a step is finished when both are held).
   * @param {Run} run
   * @param {number} k */
  async function stepRun(run, k) {
    const gpu = r.backend === 'webgpu';
    // the worker sends a chunk's records as typed-array columns (record-columns.js); a test's
    // stand-in trainer may still answer with their JSON
    const out = await run.trainer.run(k);
    const recs = /** @type {import('./types.js').StepRecord[]} */ (isPacked(out) ? unpack(out) : JSON.parse(out));
    const snapshot = gpu ? await run.trainer.snapshot() : null;
    run.history.push(recs);
    app.fullLog?.append(run.which, recs); // exactly what the history holds: a redo never reaches it
    run.watch.push(recs);
    if (gpu) Object.assign(run, { snapshot, snapStep: run.history.length, snapBackend: 'webgpu' });
  }

  /** One chunk of `k` steps on both runs (inside exclusive). @param {number} k */
  async function chunk(k) {
    // r.runs is set: step() runs this only while its generation holds, and a reset sets both runs
    for (const run of Object.values(/** @type {{ fp32: Run, main: Run }} */ (r.runs))) await stepRun(run, k);
    await app.fullLog?.flush(); // the full log is written once per chunk (full-log.js)
  }

  /**
   * Moves both runs to the CPU after a GPU failure, each from its last finished step (its
   * snapshot; step 0 without one), so no shown step is lost or redone. When the failure came
   * between the two runs' chunks, the run that finished its chunk is ahead: the CPU steps the
   * other one up to it, so both stay in step.
   * @param {Error} err
   */
  async function fallback(err) {
    r.backend = 'cpu';
    const runs = Object.values(/** @type {{ fp32: Run, main: Run }} */ (r.runs)); // guarded() checked it
    const from = { steps: {}, snapshots: {}, taken: {} };
    for (const run of runs) {
      await open(run.which, run.precision, run.snapshot); // replaces (frees) the worker's run
      run.history.truncate(run.snapshot ? run.snapStep : 0); // a no-op: only finished steps are shown
      Object.assign(from, {
        steps: { ...from.steps, [run.which]: run.history.length },
        snapshots: { ...from.snapshots, [run.which]: run.snapshot },
        taken: { ...from.taken, [run.which]: run.snapshot ? run.snapBackend : null },
      });
    }
    r.fallbackFrom = from;
    const target = Math.max(...runs.map((run) => run.history.length));
    for (const run of runs) if (run.history.length < target) await stepRun(run, target - run.history.length);
    await app.fullLog?.flush();
    await hooks.onFallback(`WebGPU failed (${err.message || err}); continuing on the CPU from step ${target}, the last finished step: no step lost or redone.`);
  }

  /**
   * "Retry WebGPU": opens a new device (a new Playground in the worker, which drops the runs
   * there) and restores both runs on it from their state now, so training goes on from the same
   * step. Resolves to the open's `{ info, active }`; when no GPU opens, the runs stay on the CPU.
   */
  function retryGpu() {
    return exclusive(async () => {
      if (!r.runs) return null;
      const runs = Object.values(r.runs);
      /** @type {{ [which: string]: unknown }} */
      const snaps = {};
      for (const run of runs) snaps[run.which] = await run.trainer.snapshot();
      const opened = await engine.request('open', { useGpu: true });
      const restoreAll = async () => {
        for (const run of runs) {
          await open(run.which, run.precision, snaps[run.which]);
          Object.assign(run, { snapshot: snaps[run.which], snapStep: run.history.length, snapBackend: 'cpu' });
        }
      };
      r.backend = opened.active === 'webgpu' ? 'webgpu' : 'cpu';
      try {
        await restoreAll();
      } catch (e) {
        if (e?.name !== 'GpuDeviceError') throw e;
        r.backend = 'cpu'; // the new device failed at once: the runs stay on the CPU
        await restoreAll();
        opened.active = 'cpu';
      }
      await hooks.onGpuRetry(opened);
      return opened;
    });
  }

  /**
   * Runs `fn` exclusively. A device error (the wasm surface names it `GpuDeviceError`: no
   * adapter, a lost device, a GPU failure) moves both runs to the CPU and resolves null; any
   * other error (a bad argument, "busy") is rethrown and changes nothing. This is the backend
   * rule of crate/src/backend/kind.rs.
   * @template T
   * @param {() => T | Promise<T>} fn
   * @returns {Promise<T | null>}
   */
  async function guarded(fn) {
    try {
      return await exclusive(fn);
    } catch (e) {
      if (r.backend !== 'webgpu' || !r.runs || e?.name !== 'GpuDeviceError') throw e;
      await exclusive(() => fallback(e));
      return null;
    }
  }

  /** Runs `k` steps on both; on a GPU error falls back to the CPU, reports, and runs the
   * chunk there (its steps were never shown, so this is their first run as far as the log goes).
   * @param {number} k */
  async function step(k) {
    const gen = r.generation;
    const once = () => guarded(async () => {
      if (gen !== r.generation) return false;
      await chunk(k);
      return true;
    });
    if ((await once()) === null && r.backend === 'cpu') await once();
    hooks.onRecords();
  }

  /** Starts the chunked loop; it yields to the browser between chunks and stops on pause. */
  async function start() {
    if (r.running) return;
    r.running = true;
    r.starts++;
    hooks.onRunning(true);
    const gen = r.generation;
    try {
      while (r.running && gen === r.generation) {
        const t0 = performance.now();
        await step(r.chunk);
        const dt = performance.now() - t0;
        const ratio = TARGET_MS / Math.max(1, dt);
        if (ratio > 1.2) r.chunk = Math.min(25, Math.max(r.chunk + 1, Math.round(r.chunk * Math.min(ratio, 1.5))));
        else if (ratio < 0.7) r.chunk = Math.max(1, Math.floor(r.chunk * Math.max(ratio, 0.5)));
        await hooks.onChunk();
        await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
      }
    } catch (e) {
      hooks.onError(e);
    } finally {
      if (gen === r.generation) r.running = false;
      if (!r.running) hooks.onRunning(false); // else a newer loop runs (a Start during a reset)
    }
  }

  function pause() {
    r.running = false;
  }

  /** Queues a wasm call on one run's trainer: `call('main', (t) => t.evaluate())`; null when
   * there is no run or the call failed on the GPU (the runs then continue on the CPU).
   * @template T
   * @param {'fp32' | 'main'} which
   * @param {(t: TrainerHandle) => T | Promise<T>} fn
   * @returns {Promise<T | null>} */
  function call(which, fn) {
    return guarded(() => (r.runs ? fn(r.runs[which].trainer) : null));
  }

  /** Moves the runs to the CPU now, for a GPU failure seen by a call that did not fail: a
   * quantize job that the wasm's backend rule (app::backends) already reran on the CPU.
   * @param {string} reason */
  function fallBackNow(reason) {
    return exclusive(async () => {
      if (r.backend === 'webgpu' && r.runs) await fallback(new Error(reason));
    });
  }

  /** Stops the loop and frees both trainers (before the playground is replaced). */
  function dispose() {
    r.running = false;
    r.generation++;
    return exclusive(freeAll);
  }

  return Object.assign(r, { reset, start, pause, step, call, exclusive, dispose, retryGpu, fallBackNow });
}
