// The page's whole state lives in location.hash (as in TensorFlow Playground), so a reload or a
// shared link restores the same run, seed included. parseHash never throws: bad values fall back
// to defaults and are reported, so the page can say what it ignored. This file only parses and
// serialises; it holds no state itself and touches no DOM.

/** Default state: also the list of known keys, in the order they appear in the hash. */
export const DEFAULTS = Object.freeze({
  backend: 'webgpu',
  // Data
  dataset: 'spiral', noise: 0.1, ratio: 0.8, seed: 1, samples: 400,
  // Model
  hidden: '16,16',
  // Training (the right-hand run; the left-hand run is always 32-true on the same seed)
  precision: '16-mixed', optimizer: 'adam', lr: 0.005, batch: 32,
  init_scale: 65536, growth_factor: 2, growth_interval: 50, backoff_factor: 0.5,
  // Quantize
  qconfig: 'x86', observer: 'default', granularity: 'per-channel', reduce_range: 'default', calib: 128, fuse: 1,
  // Quantize mode: static PTQ, dynamic (quantize_dynamic), or QAT fine-tuning of the 32-true run
  qmode: 'static', qat_steps: 50, qat_lr: 0.01,
  // CPU vs WebGPU matmul check
  m: 128, k: 128, n: 128,
  // Record full log: every step of both runs to a file (full-log.js); not a run setting
  full_log: 0,
});

export const DATASETS = ['circle', 'xor', 'gauss', 'spiral', 'digits'];
export const PRECISIONS = ['32-true', '16-mixed', 'bf16-mixed', '16-true', 'bf16-true'];

/** @typedef {import('./types.js').State} State */
/** @typedef {(raw: string) => string | number | { error: string }} Rule */

/** @param {number} lo @param {number} hi @returns {Rule} */
const int = (lo, hi) => (raw) => {
  const v = Number(raw);
  return raw !== '' && Number.isInteger(v) && v >= lo && v <= hi ? v + 0 : { error: `an integer in ${lo}..${hi}` };
};
/** @param {number} lo @param {number} hi @param {string} [what] @returns {Rule} */
const real = (lo, hi, what = `a number in [${lo}, ${hi}]`) => (raw) => {
  const v = Number(raw);
  // -0 is 0 (it serialises as "0"), so a hash with -0 round-trips
  return raw !== '' && Number.isFinite(v) && v >= lo && v <= hi ? v + 0 : { error: what };
};
/** @param {...string} valid @returns {Rule} */
const oneOf = (...valid) => (raw) => (valid.includes(raw) ? raw : { error: `one of ${valid.join(', ')}` });
// "16,16", "16, 16" and " 16 ,16 " are the same widths; the hash always gets "16,16". Widths go
// up to the engine's 8192 (crate/src/app/session_config.rs): whether a run of them fits the
// adapter and the host budget is the engine's plan check (Trainer.check), shown by name.
const MAX_WIDTH = 8192;
/** @type {Rule} */
const widths = (raw) => {
  const parts = String(raw).split(',').map((p) => p.trim());
  const ok = parts.length >= 1 && parts.length <= 4 && parts.every((p) => /^\d+$/.test(p) && +p >= 1 && +p <= MAX_WIDTH);
  return ok ? parts.map(Number).join(',') : { error: `1 to 4 comma-separated widths in 1..${MAX_WIDTH}, e.g. 16,16` };
};

/**
 * Validators per key: return the parsed value or `{ error: 'what was expected' }`.
 * @type {{ [key: string]: Rule }}
 */
export const RULES = {
  // The backend names of crate/src/backend/kind.rs; `gpu` is an alias of `webgpu`.
  backend: (raw) => (raw === 'gpu' ? 'webgpu' : oneOf('webgpu', 'cpu', 'cpu-reference')(raw)),
  dataset: oneOf(...DATASETS),
  noise: real(0, 0.5),
  ratio: real(0.1, 0.9),
  seed: int(0, 2 ** 32 - 1),
  samples: int(20, 100000), // large sets reach the adapter's limits in an evaluation; the plan check names them
  hidden: widths,
  precision: oneOf(...PRECISIONS),
  optimizer: oneOf('adam', 'sgd'),
  lr: real(0, 10),
  batch: int(1, 1024),
  init_scale: real(2 ** -24, 2 ** 64, 'a number in [2^-24, 2^64]'),
  growth_factor: real(1.0001, 16, 'a number in (1, 16]'),
  growth_interval: int(1, 100000),
  backoff_factor: real(0.01, 0.99, 'a number in (0, 1)'),
  qconfig: oneOf('x86', 'fbgemm', 'qnnpack'),
  observer: oneOf('default', 'minmax', 'moving_average', 'histogram'),
  granularity: oneOf('per-channel', 'per-tensor'),
  reduce_range: oneOf('default', 'on', 'off'),
  calib: int(1, 2000),
  fuse: int(0, 1),
  qmode: oneOf('static', 'dynamic', 'qat'),
  qat_steps: int(1, 2000), // crate/src/app/page_qmodes.rs MAX_PAGE_QAT_STEPS
  qat_lr: real(1e-6, 10, 'a number in (0, 10]'),
  m: int(1, 2048),
  k: int(1, 2048),
  n: int(1, 2048),
  full_log: int(0, 1),
};

/**
 * Settings a dataset ignores, each with the reason shown on its disabled control.
 * @param {State} state
 * @returns {{ [key: string]: string }}
 */
export function ignoredKeys(state) {
  if (state.dataset !== 'digits') return {};
  const why = 'digits is a fixed set (1797 scikit-learn images): samples and noise do not apply';
  return { samples: why, noise: why };
}

/** A value as a message quotes it: at most 40 characters. @param {string} x */
const clip = (x) => (x.length > 40 ? `${x.slice(0, 40)}…` : x);

/**
 * Parses `#backend=cpu&dataset=xor...` into `{ state, problems }`; `problems` lists each ignored
 * entry with the values that would have been valid.
 * @param {string | null | undefined} hash
 * @returns {{ state: State, problems: string[] }}
 */
export function parseHash(hash) {
  /** @type {State} */
  const state = { ...DEFAULTS };
  const problems = [];
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  for (const [key, raw] of params) {
    // own keys only: "valueOf" or "__proto__" in a hash must not reach Object.prototype
    const rule = Object.hasOwn(RULES, key) ? RULES[key] : null;
    if (!rule) {
      problems.push(`unknown setting "${clip(key)}"`);
      continue;
    }
    const v = rule(raw);
    if (v && typeof v === 'object' && 'error' in v) problems.push(`${key}=${clip(raw)} is not ${v.error}`);
    else state[key] = v;
  }
  return { state, problems };
}

/**
 * Serialises a state to a hash, in a stable key order.
 * @param {State} state
 * @returns {string}
 */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) params.set(key, String(state[key]));
  return `#${params}`;
}

/**
 * Validates one control's value for `key` (a key of RULES): the parsed value, or `{ error }`.
 * @param {string} key
 * @param {string | number} raw
 * @returns {string | number | { error: string }}
 */
export function check(key, raw) {
  return RULES[key](String(raw));
}

/**
 * The Trainer config JSON (crate/src/nn/session_config.rs) for `precision` on `backend`.
 * @param {State} state
 * @param {string} precision
 * @param {string} backend
 * @returns {string}
 */
export function trainerConfig(state, precision, backend) {
  return JSON.stringify({
    dataset: state.dataset,
    samples: state.samples,
    noise: state.noise,
    train_ratio: state.ratio,
    hidden: state.hidden.split(',').map(Number),
    precision,
    optimizer: state.optimizer,
    lr: state.lr,
    batch: state.batch,
    seed: state.seed,
    scaler: {
      init_scale: state.init_scale,
      growth_factor: state.growth_factor,
      growth_interval: state.growth_interval,
      backoff_factor: state.backoff_factor,
    },
    backend,
  });
}

/**
 * The Trainer.quantize options JSON (crate/src/web/trainer_quant.rs).
 * @param {State} state
 * @param {string} backend
 * @returns {string}
 */
export function quantizeOptions(state, backend) {
  return JSON.stringify({
    qconfig: state.qconfig,
    observer: state.observer === 'default' ? null : state.observer,
    per_tensor: state.granularity === 'per-tensor',
    reduce_range: state.reduce_range === 'default' ? null : state.reduce_range === 'on',
    fuse: state.fuse === 1,
    calib_size: state.calib,
    backend,
    mode: state.qmode,
    ...(state.qmode === 'qat' ? { qat_steps: state.qat_steps, qat_lr: state.qat_lr, qat_batch: state.batch } : {}),
    // On WebGPU a static run also compares the GPU's calibration with the CPU's (calib-compare.js).
    compare_cpu: backend === 'webgpu' && state.qmode !== 'dynamic' && state.qmode !== 'qat',
  });
}
