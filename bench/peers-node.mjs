// Peer workloads for the quantplay benchmark, in node: tfjs-backend-wasm (XNNPACK, SIMD, one
// thread) and onnxruntime-web (wasm execution provider, SIMD, one thread) on n×n×n matmuls.
// Each setup*() builds its inputs and runtime once and returns { name, run, check, expected }:
//   run()      one timed unit of work, awaited to completion (results read back and freed);
//   check()    one run on the deterministic inputs of common.mjs, returning the sum of outputs;
//   expected   the f64 sum those outputs should have (exact for the integer workload).
// alternate() times several workloads round by round, so drifting machine load hits all alike.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  A_ZERO, B_ZERO, SEED_A, SEED_B, alternate, expectedSum, f32Matrix, i8Matrix, sum, u8Matrix,
} from './common.mjs';
import { matMulIntegerModel, matMulModel } from './onnx-model.mjs';

const require = createRequire(import.meta.url);

/** Directory of an installed package (resolved through its package.json). */
function pkgDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

let tfPromise = null;

/** tfjs-core with the wasm backend active: SIMD binary, one XNNPACK thread. Done once. */
async function tfWasm() {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The backend reads .wasm files through emscripten's node loader (fs), so a plain directory
    // path with a trailing separator works as the prefix.
    wasm.setWasmPaths(join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/');
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: wasm backend failed to initialise');
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (!simd) throw new Error('tfjs: wasm SIMD not available, would time the scalar binary');
    return { tf, info: { simd, threadedBinary: threads, threads: wasm.getThreadsCount() } };
  })();
  return tfPromise;
}

/** tfjs-backend-wasm f32 matmul n×n×n on two tensors made once. */
export async function setupTfjsWasmMatmul(n) {
  const { tf, info } = await tfWasm();
  const aData = f32Matrix(n * n, SEED_A);
  const bData = f32Matrix(n * n, SEED_B);
  const a = tf.tensor2d(aData, [n, n], 'float32');
  const b = tf.tensor2d(bData, [n, n], 'float32');
  const once = async () => {
    const c = tf.matMul(a, b);
    try {
      return await c.data();
    } finally {
      c.dispose();
    }
  };
  return {
    name: `tfjs-wasm f32 matmul ${n}^3`,
    info,
    run: async () => void (await once()),
    check: async () => sum(await once()),
    expected: expectedSum(aData, bData, n, n, n),
    dispose: () => (a.dispose(), b.dispose()),
  };
}

let ortPromise = null;

/** onnxruntime-web configured for the wasm EP with one thread and SIMD. Done once. */
async function ortWasm() {
  ortPromise ??= (async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortPromise;
}

/** Session options every ORT workload uses. */
const SESSION_OPTIONS = {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};

/** Wraps an ORT session with fixed feeds into run/check closures. */
function ortWorkload(name, session, feeds, expected, info) {
  const once = async () => {
    const out = await session.run(feeds);
    const y = out.Y;
    const data = y.data; // CPU tensor: already materialised when run() resolves
    return { y, data };
  };
  return {
    name,
    info,
    run: async () => {
      const { y } = await once();
      y.dispose();
    },
    check: async () => {
      const { y, data } = await once();
      const s = sum(data);
      y.dispose();
      return s;
    },
    expected,
    dispose: () => session.release(),
  };
}

/**
 * onnxruntime-web MatMul, f32 A[n,n] · B[n,n]. `constB: true` makes B an initializer (weights
 * ORT can prepack) instead of a graph input fed every run like A.
 */
export async function setupOrtMatMul(n, { constB = false } = {}) {
  const ort = await ortWasm();
  const aData = f32Matrix(n * n, SEED_A);
  const bData = f32Matrix(n * n, SEED_B);
  const bytes = matMulModel(n, n, n, { b: constB ? bData : null });
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const feeds = { A: new ort.Tensor('float32', aData, [n, n]) };
  if (!constB) feeds.B = new ort.Tensor('float32', bData, [n, n]);
  return ortWorkload(`ort-wasm f32 MatMul ${n}^3${constB ? ' (B const)' : ''}`, session, feeds,
    expectedSum(aData, bData, n, n, n), { threads: ort.env.wasm.numThreads, constB });
}

/**
 * onnxruntime-web MatMulInteger: uint8 A[n,n] (zero point A_ZERO) · int8 B[n,n] (zero point
 * B_ZERO) → int32. `constB` as for setupOrtMatMul.
 */
export async function setupOrtMatMulInteger(n, { constB = false } = {}) {
  const ort = await ortWasm();
  const aData = u8Matrix(n * n, SEED_A);
  const bData = i8Matrix(n * n, SEED_B);
  const bytes = matMulIntegerModel(n, n, n, { aZero: A_ZERO, bZero: B_ZERO,
    b: constB ? bData : null });
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const feeds = { A: new ort.Tensor('uint8', aData, [n, n]) };
  if (!constB) feeds.B = new ort.Tensor('int8', bData, [n, n]);
  return ortWorkload(`ort-wasm u8·i8 MatMulInteger ${n}^3${constB ? ' (B const)' : ''}`, session,
    feeds, expectedSum(aData, bData, n, n, n, A_ZERO, B_ZERO),
    { threads: ort.env.wasm.numThreads, constB });
}

/** The round-robin timer (bench/common.mjs), re-exported for node callers. */
export { alternate };
