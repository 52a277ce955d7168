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
 * One training step's record (crate/src/app/metrics.rs; the fields the page reads): `amp/loss_scale` only on a run
 * with a GradScaler (16-mixed), `loss` null or non-finite when the step overflowed.
 * @typedef {{ step: number, loss?: number | null, skipped?: boolean, injected?: boolean,
 *   'amp/loss_scale'?: number, grad_norm?: number | null }} StepRecord
 */

/**
 * A wasm Trainer as the page sees it: each method of www/pkg's `Trainer` (but `free` and the
 * statics) called in the engine worker, so every result comes back as a promise (engine.js).
 * @typedef {{ [K in Exclude<keyof import('./pkg/quantplay.js').Trainer, 'free' | typeof Symbol.dispose>]:
 *   import('./pkg/quantplay.js').Trainer[K] extends (...args: infer A) => infer R
 *     ? (...args: A) => Promise<Awaited<R>> : never }} TrainerHandle
 */

/**
 * The engine worker's requests (engine-worker.js `ops`): each op's `args` and the `value` it
 * resolves to. `call` runs a Trainer method by name, so its value is that method's (untyped).
 * @typedef {{
 *   open: { args: { useGpu: boolean, wasmUrl?: string, checks?: string[] }, value: Opened },
 *   create: { args: { which: string, config: string }, value: true },
 *   restore: { args: { which: string, snapshot: unknown, backend: string }, value: true },
 *   check: { args: { config: string }, value: true },
 *   free: { args: { which: string }, value: true },
 *   destroyDevices: { args: {}, value: number },
 *   lowerGpuLimits: { args: { limits: Record<string, number> | null }, value: true },
 *   call: { args: { which: string, method: string, args?: unknown[] }, value: any },
 *   matmul: { args: { m: number, k: number, n: number, seed: number, gpu?: boolean },
 *     value: import('./matmul-panel.js').MatmulResult },
 * }} EngineOps
 */

/**
 * The engine worker's main-thread side (engine.js startEngine): `request(op, args)` resolves to
 * the worker's answer for `op` (EngineOps); `onProgress` gets the progress a long op reports.
 * @typedef {{
 *   request: <K extends keyof EngineOps>(op: K, args?: EngineOps[K]['args'],
 *     onProgress?: (progress: any) => void) => Promise<EngineOps[K]['value']>,
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
/** @typedef {ReturnType<typeof import('./full-log.js').createFullLog>} FullLog */

/**
 * The page's one app object (main.js): settings, engine, runner, views and what they last read.
 * @typedef {{
 *   state: State, applied?: State, evals: { [which: string]: Eval[] },
 *   engine: Engine, info: SystemInfo, active: string, backendLabel: string,
 *   runner: Runner, views: Views, data?: import('./data-panel.js').Data, lastRefresh?: number, runError?: boolean,
 *   fullLog?: FullLog,
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

/**
 * Trainer.quantize's result JSON (crate/src/web/trainer_quant.rs, crate/src/app/ptq_debug.rs,
 * crate/src/app/page_qmodes.rs): the fields the page reads. `sweep`, `debug` and `keep_float`
 * come only with the debugger's options; a dynamic or QAT result has `mode` and no activations.
 * @typedef {{
 *   report: QuantReport, activations: Activation[], observers: ObserverRow[],
 *   placement?: { [stage: string]: string }, fallback?: string | null, calib_size: number,
 *   ran_on: string, mode?: string,
 *   sweep?: { rows: { name: string, gain: number, accuracy: number }[], float: number, int8: number },
 *   debug?: { activations: { name: string, sqnr_db: number | null, cosine_similarity: number | null,
 *     max_abs_error: number | null, clip_percent: number | null, at_max_percent: number | null }[] },
 *   keep_float?: { layers: string[], accuracy: number, int8: number, change: number },
 * }} QuantResult
 */
/**
 * @typedef {{
 *   accuracy?: { float: number, int8: number, agreement: number } | null, layers: QuantLayer[],
 *   input?: { scale: number, zero_point: number } | null, float_modules?: string[][],
 *   warnings?: string[], calibration_vs_cpu?: Parameters<typeof import('./calib-compare.js').calibCompareView>[0],
 *   steps?: { loss: number | null }[],
 * }} QuantReport
 */
/**
 * One Linear of the converted model (dynamic results add the input qparams).
 * @typedef {{ name: string, weight_qscheme?: string | null, weight_scale: number[], weight_axis?: number,
 *   weight_histogram: number[], sqnr_db: number | null, input_scale?: number, input_zero_point?: number }} QuantLayer
 */
/**
 * One calibrated activation: its histogram over [lo, hi], qparams and clip range.
 * @typedef {{ name: string, lo: number, hi: number, counts: number[], quant_min: number,
 *   quant_max: number, zero_point: number, scale: number, clip_lo: number, clip_hi: number }} Activation
 */
/**
 * One row of the observer comparison table.
 * @typedef {{ name: string, observer: string, kind: string, scale: number, zero_point: number,
 *   clip_percent: number | null, sqnr_db: number | null }} ObserverRow
 */

export {};
