// The Quantize panel's one wasm call: Trainer.quantize on the 32-true run (calibrates on the
// first calib_size training samples, evaluates on the test split). Until Trainer.quantize exists
// in the wasm package (it is being added on main), the same flow runs through
// Playground.quantize_mlp with the run's float weights (from its snapshot) and its split (from
// Trainer.data_json). Only arguments are reshaped here; the quantization runs in Rust.

/** Resolves to the quantize result JSON string for `trainer` with `options` (a JSON string). */
export async function quantizeRun(playground, trainer, options) {
  if (typeof trainer.quantize === 'function') return trainer.quantize(options);
  const opts = JSON.parse(options);
  const data = JSON.parse(trainer.data_json());
  const snap = JSON.parse(await trainer.snapshot());
  const f32 = (bits) => Array.from(new Float32Array(new Uint32Array(bits).buffer));
  const layers = snap.params.length / 2;
  const weights = snap.params.slice(0, layers);
  const sizes = [data.d, ...weights.map((p) => p.shape[0])];
  const model = { sizes, weights: weights.map((p) => f32(p.value)), biases: snap.params.slice(layers).map((p) => f32(p.value)) };
  const n = opts.calib_size;
  if (!(n >= 1 && n <= data.train_len)) throw new Error(`calib_size ${n} is not an integer in 1..=${data.train_len} (the training split's size)`);
  delete opts.calib_size;
  const calib = data.train.x.slice(0, n * data.d);
  const out = JSON.parse(await playground.quantize_mlp(JSON.stringify(model), calib, data.test.x, Int32Array.from(data.test.y), JSON.stringify(opts)));
  return JSON.stringify({ ...out, calib_size: n, backend: opts.backend });
}
