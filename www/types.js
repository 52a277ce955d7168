// The JSDoc types the page's modules share: the URL state, the engine and its Trainer handles,
// a run's step records, the runner and the app object main.js passes around. Types only: no
// module imports this file at run time (they name its types in `import('./types.js').X`), it
// holds no code, and `tsc -p tsconfig.json` (scripts/typecheck) is what reads it. Not here: the
// wasm surface's own declarations (www/pkg/quantplay.d.ts, written by wasm-bindgen).

/**
 * The page's settings, as state.js DEFAULTS lists them (location.hash holds them all). Indexed
 * by key too: controls.js and url-sync.js read and write `state[key]` for any known key.
 * @typedef {{
 *   backend: string, dataset: string, noise: number, ratio: number, seed: number,
 *   samples: number, hidden: string, precision: string, optimizer: string, lr: number,
 *   batch: number, init_scale: number, growth_factor: number, growth_interval: number,
 *   backoff_factor: number, qconfig: string, observer: string, granularity: string,
 *   reduce_range: string, calib: number, fuse: number, qmode: string, qat_steps: number,
 *   qat_lr: number, m: number, k: number, n: number,
 * } & { [key: string]: string | number }} State
 */

/**
 * One training step's record (crate/src/web/trainer.rs `run`): `amp/loss_scale` only on a run
 * with a GradScaler (16-mixed), `loss` null or non-finite when the step overflowed.
 * @typedef {{ step: number, loss?: number | null, skipped?: boolean, injected?: boolean,
 *   'amp/loss_scale'?: number }} StepRecord
 */

/**
 * A wasm Trainer as the page sees it: each method of www/pkg's `Trainer` (but `free` and the
 * statics) called in the engine worker, so every result comes back as a promise (engine.js).
 * @typedef {{ [K in Exclude<keyof import('./pkg/quantplay.js').Trainer, 'free' | typeof Symbol.dispose>]:
 *   import('./pkg/quantplay.js').Trainer[K] extends (...args: infer A) => infer R
 *     ? (...args: A) => Promise<Awaited<R>> : never }} TrainerHandle
 */

/**
 * The engine worker's main-thread side (engine.js startEngine). `request` resolves to the
 * worker's answer for `op`, which is whatever engine-worker.js returns for it: untyped here.
 * @typedef {{
 *   request: (op: string, args?: object, onProgress?: (progress: any) => void) => Promise<any>,
 *   trainer: (which: string) => TrainerHandle,
 *   terminate: () => void,
 * }} Engine
 */

/**
 * One of the runner's two runs (runner.js reset).
 * @typedef {{
 *   which: 'fp32' | 'main', precision: string, label?: string, trainer: TrainerHandle,
 *   history: History, watch: JumpWatch,
 *   snapshot: any, snapStep: number, snapBackend: string,
 * }} Run
 */

/**
 * What the runner tells the page (main.js hooks, gpu-notice.js gpuHooks).
 * @typedef {{
 *   onReset: () => Promise<void>, onRecords: () => void, onChunk: () => Promise<void>,
 *   onRunning: (on: boolean) => void, onError: (e: unknown) => void,
 *   onFallback: (text: string) => Promise<void>, onGpuRetry: (opened: Opened) => Promise<void>,
 * }} RunnerHooks
 */

/**
 * The answer of the worker's `open`: the SystemInfo JSON (crate/src/info.rs) and the backend
 * that opened.
 * @typedef {{ info: SystemInfo, active: string }} Opened
 */

/**
 * crate/src/info.rs SystemInfo, the fields the page reads.
 * @typedef {{
 *   active_backend: string, gpu_unavailable_reason?: string | null,
 *   cpu: { simd: string[] },
 *   gpu?: { vendor: string, architecture: string, name: string, is_fallback: boolean,
 *     shader_f16: boolean, packed_int8_dot: boolean, max_storage_buffer_binding_size: number } | null,
 * }} SystemInfo
 */

/** @typedef {ReturnType<typeof import('./runner.js').createRunner>} Runner */
/** @typedef {ReturnType<typeof import('./history.js').createHistory>} History */
/** @typedef {ReturnType<typeof import('./divergence.js').createJumpWatch>} JumpWatch */

/**
 * The page's one app object (main.js): settings, engine, runner, views and what they last read.
 * @typedef {{
 *   state: State, applied?: State, evals: { [which: string]: Eval[] },
 *   engine: Engine, info: SystemInfo, active: string, backendLabel: string,
 *   runner: Runner, views: Views, data?: any, lastRefresh?: number, runError?: boolean,
 * }} App
 */

/**
 * One evaluation point of a run (Trainer.evaluate's JSON plus the step it was taken at).
 * @typedef {{ step: number, [key: string]: any }} Eval
 */

/**
 * The panels main.js draws into.
 * @typedef {{
 *   training: ReturnType<typeof import('./training-panel.js').trainingViews>,
 *   f16: ReturnType<typeof import('./f16-panel.js').f16Panel>,
 *   quant: ReturnType<typeof import('./quant-panel.js').quantViews>,
 *   debug: ReturnType<typeof import('./debug-panel.js').debugViews>,
 *   data: ReturnType<typeof import('./data-panel.js').dataViews>,
 * }} Views
 */

export {};
