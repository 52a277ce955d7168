// The data of tests/e2e/wasm-surface.test.mjs: every export of the wasm surface with its
// parameters (names as in www/pkg/quantplay.d.ts), a good value for each, and the bad values
// tried per kind of parameter, each tagged with its bad-input class (the rows of the table in
// docs/reliability.md). A kind's `ok(v)` says which of the generic values it accepts, so a case
// knows whether it must reject. Not here: calling anything (the test does that).

export const LIMIT = { elements: 2 ** 24, chars: 2 ** 27, steps: 100_000, res: 512 };

/** Values every parameter is tried with, by class. */
export const GENERIC = [
  ['wrong type', 'undefined', undefined],
  ['wrong type', 'null', null],
  ['wrong type', 'string "abc"', 'abc'],
  ['wrong type', 'string "1"', '1'],
  ['wrong type', 'object {}', {}],
  ['wrong type', 'array []', []],
  ['wrong type', 'boolean true', true],
  ['wrong type', 'bigint 1n', 1n],
  ['wrong type', 'Symbol', Symbol('s')],
  ['wrong type', 'function', () => 1],
  ['NaN or infinite', 'NaN', NaN],
  ['NaN or infinite', 'Infinity', Infinity],
  ['NaN or infinite', '-Infinity', -Infinity],
  ['negative', '-1', -1],
  ['zero', '0', 0],
  ['non-integer', '1.5', 1.5],
  ['huge', '2^32', 2 ** 32],
  ['huge', '2^53', 2 ** 53],
  ['huge', '1e12', 1e12],
  ['huge', '1e39 (above f32)', 1e39],
];

/** Whether a plain Array element `x` fits the typed array `type`'s element range. */
function elemOk(type, x) {
  const range = { Int32Array: [-(2 ** 31), 2 ** 31 - 1], Uint8Array: [0, 255], Int8Array: [-128, 127] }[type.name];
  return !range || (Number.isInteger(x) && x >= range[0] && x <= range[1]);
}
const isInt = (v, lo, hi) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const f32s = (n, x = 0.5) => new Float32Array(n).fill(x);
let bigF32 = null; // 2^24 + 1 values (64 MiB), made once
const oversizedF32 = () => (bigF32 ??= new Float32Array(LIMIT.elements + 1));
let bigString = null; // 2^27 + 1 characters, made once
const oversizedString = () => (bigString ??= '{'.padEnd(LIMIT.chars + 1, ' '));

/** Kinds of parameters: which generic values pass, and the extra bad values of the kind. */
export const KINDS = {
  bool: { ok: (v) => typeof v === 'boolean', extra: () => [] },
  size: {
    ok: (v) => isInt(v, 1, LIMIT.elements),
    extra: () => [['over the limit', '2^24 + 1', LIMIT.elements + 1]],
  },
  seed: { ok: (v) => isInt(v, 0, 2 ** 32 - 1), extra: () => [['huge', '2^32 + 1', 2 ** 32 + 1]] },
  f32: {
    ok: (v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 3.4028234663852886e38,
    extra: () => [],
  },
  steps: {
    ok: (v) => isInt(v, 0, LIMIT.steps),
    extra: () => [['over the limit', 'MAX_STEPS_PER_CALL + 1', LIMIT.steps + 1]],
  },
  res: { ok: (v) => isInt(v, 1, LIMIT.res), extra: () => [['over the limit', '513', LIMIT.res + 1]] },
  zp_u8: { ok: (v) => isInt(v, 0, 255), extra: () => [['over the limit', '256', 256]] },
  zp_i8: { ok: (v) => isInt(v, -128, 127), extra: () => [['over the limit', '128', 128], ['over the limit', '-129', -129]] },
  name: {
    ok: () => false, // the good value is set per parameter; no generic value is a valid name
    extra: () => [
      ['bad name', 'empty string', ''],
      ['bad name', 'upper case', 'CPU'],
      ['bad name', 'a NUL', 'cpu\u0000'],
      ['oversized', 'string over 2^27 characters', oversizedString()],
    ],
  },
  json: {
    ok: () => false,
    extra: () => [
      ['malformed JSON', 'empty string', ''],
      ['malformed JSON', 'unclosed {', '{'],
      ['malformed JSON', 'trailing comma', '{"a":1,}'],
      ['malformed JSON', 'NaN literal', '{"a":NaN}'],
      ['malformed JSON', '1000 nested arrays', '['.repeat(1000) + ']'.repeat(1000)],
      ['malformed JSON', 'lone surrogate', '{"a":"\ud800"'],
      ['JSON not an object', 'array', '[]'],
      ['JSON not an object', 'number', '42'],
      ['JSON not an object', 'null', 'null'],
      ['oversized', 'string over 2^27 characters', oversizedString()],
    ],
  },
  // Arrays: `o.type` is the typed array the parameter takes (a plain Array of numbers in its
  // element range works too); `o.want` the exact length it needs in the call, or `o.multiple`
  // a positive multiple; neither: any length.
  array: {
    ok: (v, o) => {
      const n = v?.length;
      const typed = v instanceof o.type;
      const plain = Array.isArray(v) && n <= LIMIT.elements && v.every((x) => typeof x === 'number' && elemOk(o.type, x));
      if (!(typed || plain) || n > LIMIT.elements) return false;
      if (o.want !== undefined) return n === o.want;
      if (o.multiple !== undefined) return n > 0 && n % o.multiple === 0;
      return true;
    },
    extra: (o) => {
      const wrong = o.type === Float32Array ? Int32Array : Float32Array;
      const n = o.want ?? 4;
      return [
        ['empty array', `empty ${o.type.name}`, new o.type(0)],
        ['empty array', 'empty Array', []],
        ['wrong length', `${o.type.name} of ${n + 1}`, new o.type(n + 1)],
        ['wrong length', `Array of ${n + 1} zeros`, new Array(n + 1).fill(0)],
        ['wrong element type', `${wrong.name} of ${n}`, new wrong(n)],
        ['wrong element type', `Float64Array of ${n}`, new Float64Array(n)],
        ['wrong element type', `Array of ${n} strings`, new Array(n).fill('x')],
        ['wrong element type', `Array of ${n} with a null`, [...new Array(n - 1).fill(0), null]],
        ['wrong element type', `Array of ${n} with 1.5`, [...new Array(n - 1).fill(0), 1.5]],
        ['wrong element type', 'ArrayBuffer', new ArrayBuffer(4 * n)],
        ['oversized', 'Float32Array of 2^24 + 1', oversizedF32()],
        ['oversized', 'holey Array of 2^24 + 1', new Array(LIMIT.elements + 1)],
      ];
    },
  },
  instance: { ok: () => false, extra: () => [] }, // class arguments: see CLASS_CASES in the test
  // A lesson's input object (`lesson(name, input)`): `o.base` is a good input; no generic value
  // is one ({} lacks the fields).
  object: {
    ok: () => false,
    extra: (o) => {
      const cycle = { ...o.base };
      cycle.self = cycle;
      return [
        ['malformed JSON', 'an object with a cycle', cycle],
        ['malformed JSON', 'a BigInt field', { ...o.base, seed: 1n }],
        ['bad JSON field', 'an unknown field', { ...o.base, bogus: 1 }],
        ['bad JSON field', 'a field of the wrong type', Object.fromEntries(Object.entries(o.base).map(([k, v]) => [k, typeof v === 'string' ? 7 : 'x']))],
        ['bad JSON field', 'NaN in every number (JSON null)', Object.fromEntries(Object.entries(o.base).map(([k, v]) => [k, typeof v === 'number' ? NaN : Array.isArray(v) ? v.map(() => NaN) : v]))],
        ['bad JSON field', 'a missing field', Object.fromEntries(Object.entries(o.base).slice(1))],
      ];
    },
  },
};

/** Good inputs of lesson 1 and of lesson 8 (small: every good call trains). */
const AFFINE = { values: [-1, 0.5, 2], dtype: 'quint8', qscheme: 'per_tensor_affine', reduce_range: false };
const PIPELINE = { hidden: [4], precision: '16-mixed', steps: 3, lr: 0.01, seed: 1, calib: 4, qconfig: 'x86', keep_float: 'auto' };

/** Session configs (the `config_json` of Trainer.create and a snapshot's `config`). */
export const TINY = { dataset: 'circle', samples: 20, hidden: [4], batch: 4, seed: 3, precision: '16-mixed' };

/** Bad config fields, each a [class, label, patch] merged into TINY. */
export const BAD_CONFIGS = [
  ['bad JSON field', 'samples 1e12 (integer)', { samples: 1e12 }],
  ['bad JSON field', 'samples 2^32 + 4', { samples: 2 ** 32 + 4 }],
  ['bad JSON field', 'samples -1', { samples: -1 }],
  ['bad JSON field', 'samples "20"', { samples: '20' }],
  ['bad JSON field', 'hidden 65 layers', { hidden: new Array(65).fill(1) }],
  ['bad JSON field', 'hidden [8192 × 3] (over the host budget)', { hidden: [8192, 8192, 8192] }],
  ['bad JSON field', 'hidden [4096] × 1e6 samples (activations)', { hidden: [4096], samples: 1_000_000 }],
  ['bad JSON field', 'hidden [0]', { hidden: [0] }],
  ['bad JSON field', 'hidden [1.5]', { hidden: [1.5] }],
  ['bad JSON field', 'hidden "16,16"', { hidden: '16,16' }],
  ['bad JSON field', 'batch 0', { batch: 0 }],
  ['bad JSON field', 'batch 2^32 + 1', { batch: 2 ** 32 + 1 }],
  ['bad JSON field', 'seed -1', { seed: -1 }],
  ['bad JSON field', 'seed 1.5', { seed: 1.5 }],
  ['bad JSON field', 'lr -1', { lr: -1 }],
  ['bad JSON field', 'lr 1e400 (inf in JSON)', '{"lr":1e400}'],
  ['bad JSON field', 'noise 2', { noise: 2 }],
  ['bad JSON field', 'train_ratio 1', { train_ratio: 1 }],
  ['bad JSON field', 'dataset "moons"', { dataset: 'moons' }],
  ['bad JSON field', 'dataset 1', { dataset: 1 }],
  ['bad JSON field', 'precision "int8"', { precision: 'int8' }],
  ['bad JSON field', 'precision 8', { precision: 8 }],
  ['bad JSON field', 'optimizer "lbfgs"', { optimizer: 'lbfgs' }],
  ['bad JSON field', 'loss "l1"', { loss: 'l1' }],
  ['bad JSON field', 'backend "tpu"', { backend: 'tpu' }],
  ['bad JSON field', 'scaler.init_scale 0', { scaler: { init_scale: 0 } }],
  ['bad JSON field', 'scaler.init_scale 1e39', { scaler: { init_scale: 1e39 } }],
  ['bad JSON field', 'scaler.growth_interval 2^31', { scaler: { growth_interval: 2 ** 31 } }],
  ['bad JSON field', 'scaler.growth_factor 1', { scaler: { growth_factor: 1 } }],
  ['bad JSON field', 'loss_multiplier 0', { loss_multiplier: 0 }],
];

/** Bad PTQ options (Trainer.quantize, Playground.quantize_mlp), patched onto {}. */
export const BAD_OPTIONS = [
  ['bad JSON field', 'qconfig "int4"', { qconfig: 'int4' }],
  ['bad JSON field', 'qconfig 1', { qconfig: 1 }],
  ['bad JSON field', 'observer "max"', { observer: 'max' }],
  ['bad JSON field', 'per_tensor "yes"', { per_tensor: 'yes' }],
  ['bad JSON field', 'fuse 1', { fuse: 1 }],
  ['bad JSON field', 'calib_batch 0', { calib_batch: 0 }],
  ['bad JSON field', 'calib_batch 2^32 (0 as a wasm32 usize)', { calib_batch: 2 ** 32 }],
  ['bad JSON field', 'calib_batch -1', { calib_batch: -1 }],
  ['bad JSON field', 'calib_size 0', { calib_size: 0 }],
  ['bad JSON field', 'calib_size 2^32 + 1 (1 as a wasm32 usize)', { calib_size: 2 ** 32 + 1 }],
  ['bad JSON field', 'calib_size 1e9', { calib_size: 1e9 }],
  ['bad JSON field', 'backend "tpu"', { backend: 'tpu' }],
  ['bad JSON field', 'backend 7', { backend: 7 }],
  ['bad JSON field', 'unknown field', { bogus: true }],
  // Trainer.quantize's modes (crate/src/app/page_qmodes.rs); Playground.quantize_mlp has no `mode`.
  ['bad JSON field', 'mode "fp8"', { mode: 'fp8' }],
  ['bad JSON field', 'mode 1', { mode: 1 }],
  ['bad JSON field', 'qat_steps 0', { mode: 'qat', qat_steps: 0 }],
  ['bad JSON field', 'qat_steps 2^32 + 1 (1 as a wasm32 usize)', { mode: 'qat', qat_steps: 2 ** 32 + 1 }],
  ['bad JSON field', 'qat_lr -1', { mode: 'qat', qat_lr: -1 }],
  ['bad JSON field', 'qat_batch 0', { mode: 'qat', qat_batch: 0 }],
];

/** Bad numeric-debugger options (Trainer.quantize only; app/ptq_debug.rs take_page_options). */
export const BAD_DEBUG_OPTIONS = [
  ['bad JSON field', 'sweep "yes"', { sweep: 'yes' }],
  ['bad JSON field', 'debug 1', { debug: 1 }],
  ['bad JSON field', 'keep_float "fc1" (not a list)', { keep_float: 'fc1' }],
  ['bad JSON field', 'keep_float [1]', { keep_float: [1] }],
  ['bad JSON field', 'keep_float ["nope"] (no such layer)', { keep_float: ['nope'] }],
];

/** A tiny float MLP for Playground.quantize_mlp: 2 → 3 → 2. */
export const MLP = { sizes: [2, 3, 2], weights: [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [0.2, 0.1, -0.1, 0.3, 0.2, -0.4]], biases: [[0, 0.1, 0], [0.05, -0.05]] };

/** Bad `model_json` values (patched onto MLP). */
export const BAD_MODELS = [
  ['bad JSON field', 'sizes []', { sizes: [], weights: [], biases: [] }],
  ['bad JSON field', 'sizes [2]', { sizes: [2], weights: [], biases: [] }],
  ['bad JSON field', 'sizes [0, 3, 2]', { sizes: [0, 3, 2] }],
  ['bad JSON field', 'sizes [65536, 65536] (2^32 wraps to 0)', { sizes: [65536, 65536], weights: [[]], biases: [[]] }],
  ['bad JSON field', 'sizes [2^32, 1]', { sizes: [2 ** 32, 1], weights: [[]], biases: [[0]] }],
  ['bad JSON field', 'sizes of 67 layers', { sizes: new Array(67).fill(1) }],
  ['bad JSON field', 'weights too short', { weights: [[0.1], MLP.weights[1]] }],
  ['bad JSON field', 'biases too long', { biases: [[0, 0, 0, 0], MLP.biases[1]] }],
  ['bad JSON field', 'weights missing', { weights: undefined }],
  ['bad JSON field', 'weights of strings', { weights: [['a', 'b', 'c', 'd', 'e', 'f'], MLP.weights[1]] }],
  ['bad JSON field', 'sizes -1', { sizes: [-1, 3, 2] }],
];

/** Snapshot edits (applied to a real snapshot's parsed JSON). */
export const BAD_SNAPSHOTS = [
  ['bad snapshot', 'no config', (s) => { delete s.config; }],
  ['bad snapshot', 'config not JSON', (s) => { s.config = '{'; }],
  ['bad snapshot', 'config samples 1e12', (s) => { s.config = JSON.stringify({ ...JSON.parse(s.config), samples: 1e12 }); }],
  ['bad snapshot', 'steps_done 2^53', (s) => { s.steps_done = 2 ** 53; }],
  ['bad snapshot', 'steps_done 2^23 + 1', (s) => { s.steps_done = 2 ** 23 + 1; }],
  ['bad snapshot', 'steps_done -1', (s) => { s.steps_done = -1; }],
  ['bad snapshot', 'steps_done "5"', (s) => { s.steps_done = '5'; }],
  ['bad snapshot', 'optimizer_step 2^32 + 5', (s) => { s.optimizer_step = 2 ** 32 + 5; }],
  ['bad snapshot', 'optimizer_step 2^40 (Adam table)', (s) => { s.optimizer_step = 2 ** 40; }],
  ['bad snapshot', 'adam_count 1e30', (s) => { s.adam_count = 1e30; }],
  ['bad snapshot', 'adam_count -1', (s) => { s.adam_count = -1; }],
  ['bad snapshot', 'overflow_count 2^60', (s) => { s.overflow_count = 2 ** 60; }],
  ['bad snapshot', 'params missing', (s) => { delete s.params; }],
  ['bad snapshot', 'params one short', (s) => { s.params.pop(); }],
  ['bad snapshot', 'a value array one short', (s) => { s.params[0].value.pop(); }],
  ['bad snapshot', 'a value array empty', (s) => { s.params[0].value = []; }],
  ['bad snapshot', 'a value bit pattern -1', (s) => { s.params[0].value[0] = -1; }],
  ['bad snapshot', 'a value bit pattern "x"', (s) => { s.params[0].value[0] = 'x'; }],
  ['bad snapshot', 'scaler.scale 2^32', (s) => { s.scaler.scale = 2 ** 32; }],
  ['bad snapshot', 'scaler.scale missing', (s) => { delete s.scaler.scale; }],
  ['bad snapshot', 'scaler.growth_tracker 2^40', (s) => { s.scaler.growth_tracker = 2 ** 40; }],
];

/**
 * Every export: `[class or null, static?, name, [[param, kind, good, opts?]…]]`. `good` is a
 * function of the test's context `c` (a Playground `c.pg`, a Trainer `c.tr`, a snapshot
 * `c.snap`), so one list serves targeted and random calls. A new export without a row here
 * fails the test.
 */
export const EXPORTS = [
  ['Playground', true, 'create', [['use_gpu', 'bool', () => false]]],
  ['Playground', false, 'info_json', []],
  ['Playground', false, 'active_backend', []],
  ['Playground', true, 'random', [['len', 'size', () => 4], ['seed', 'seed', () => 1], ['lo', 'f32', () => -1], ['hi', 'f32', () => 1]]],
  ['Playground', false, 'matmul', [
    ['backend', 'name', () => 'cpu'],
    ['a', 'array', () => f32s(4, 1), { want: 4, type: Float32Array }],
    ['b', 'array', () => f32s(4, 2), { want: 4, type: Float32Array }],
    ['m', 'size', () => 2], ['k', 'size', () => 2], ['n', 'size', () => 2],
  ]],
  ['Playground', true, 'compare', [
    ['got', 'array', () => f32s(3), { type: Float32Array }],
    ['want', 'array', () => f32s(3), { type: Float32Array }],
    ['tolerance_name', 'name', () => 'exact'],
  ]],
  ['Playground', false, 'quantize_mlp', [
    ['model_json', 'json', () => JSON.stringify(MLP), { fields: BAD_MODELS, base: MLP }],
    ['calib_x', 'array', () => f32s(8, 0.3), { type: Float32Array, multiple: 2 }],
    ['eval_x', 'array', () => f32s(4, 0.3), { want: 4, type: Float32Array }],
    ['eval_y', 'array', () => new Int32Array([0, 1]), { want: 2, type: Int32Array }],
    ['options_json', 'json', () => '{}', { fields: BAD_OPTIONS.filter(([, l]) => !l.startsWith('calib_size')), base: {} }],
  ]],
  ['Trainer', true, 'create', [
    ['playground', 'instance', (c) => c.pg],
    ['config_json', 'json', () => JSON.stringify(TINY), { fields: BAD_CONFIGS, base: TINY }],
  ]],
  ['Trainer', true, 'check', [
    ['playground', 'instance', (c) => c.pg],
    ['config_json', 'json', () => JSON.stringify(TINY), { fields: BAD_CONFIGS, base: TINY }],
  ]],
  ['Trainer', true, 'restore', [
    ['playground', 'instance', (c) => c.pg],
    ['snapshot', 'json', (c) => c.snap, { snapshots: BAD_SNAPSHOTS }],
    ['backend', 'name', () => 'cpu'],
  ]],
  ['Trainer', false, 'run', [['steps', 'steps', () => 1]]],
  ['Trainer', false, 'inject_overflow', []],
  ['Trainer', false, 'evaluate', []],
  ['Trainer', false, 'predict_grid', [['res', 'res', () => 3]]],
  ['Trainer', false, 'effective_precision_json', []],
  ['Trainer', false, 'memory_json', []],
  ['Trainer', false, 'trace_json', []],
  ['Trainer', false, 'grad_magnitudes_json', []],
  ['Trainer', false, 'snapshot', []],
  ['Trainer', false, 'backend', []],
  ['Trainer', false, 'quantize', [['options_json', 'json', () => '{"calib_size":8}', { fields: [...BAD_OPTIONS, ...BAD_DEBUG_OPTIONS], base: {} }]]],
  ['Trainer', false, 'data_json', []],
  ['BenchWorkload', true, 'f32_gemm', [
    ['m', 'size', () => 2], ['k', 'size', () => 2], ['n', 'size', () => 2],
    ['a', 'array', () => f32s(4, 1), { want: 4, type: Float32Array }],
    ['b', 'array', () => f32s(4, 1), { want: 4, type: Float32Array }],
  ]],
  ['BenchWorkload', true, 'int8_gemm', [
    ['m', 'size', () => 2], ['k', 'size', () => 2], ['n', 'size', () => 2],
    ['a', 'array', () => new Uint8Array(4).fill(3), { want: 4, type: Uint8Array }],
    ['b', 'array', () => new Int8Array(4).fill(-2), { want: 4, type: Int8Array }],
    ['a_zero_point', 'zp_u8', () => 1], ['b_zero_point', 'zp_i8', () => 0],
  ]],
  ['BenchWorkload', false, 'run', []],
  // No WebGPU in node: create rejects with the reason once its arguments pass, so only argument
  // errors and the no-GPU rejection are tried; run is tried with a bad `this` only.
  ['GpuBenchWorkload', true, 'create', [
    ['n', 'size', () => 2],
    ['a', 'array', () => f32s(4), { want: 4, type: Float32Array }],
    ['b', 'array', () => f32s(4), { want: 4, type: Float32Array }],
    ['kernel', 'name', () => 'tiled'],
  ]],
  ['GpuBenchWorkload', false, 'run', []],
  [null, true, 'last_panic', []],
  [null, true, 'lesson', [['name', 'name', () => 'affine'], ['input', 'object', () => AFFINE, { base: AFFINE }]]],
  [null, true, 'lessonNames', []],
  [null, true, 'lessonPipelineWithFile', [['input', 'object', () => PIPELINE, { base: PIPELINE }]]],
];

/**
 * What a bad value's message must mention, per parameter, when it is not the parameter's own
 * name: a JSON parameter's errors name the field (or the parameter as the library calls it),
 * a class argument's error is wasm-bindgen's "expected instance of Playground".
 */
export const NAMES = {
  config_json: /config/,
  options_json: /option|calib_size|backend/,
  model_json: /model|sizes|weights|biases/,
  snapshot: /snapshot|config|samples/,
  playground: /Playground|null pointer passed to rust/, // wasm-bindgen's own checks (a freed one: null)
  tolerance_name: /tolerance/,
  name: /lesson/, // lesson(name, …): an unknown name is "invalid lesson …"
};
