// Shared by every bench workload, in node and in the browser (no imports, no node APIs):
// deterministic inputs, so that each peer multiplies the same matrices; the expected sum of
// outputs, computed without doing the product (sum(A·B) = Σ_k colsum(A)[k] · rowsum(B)[k]) so
// each check() can be compared with one number; median; and alternate(), the round-robin timer.

/** 32-bit LCG (Numerical Recipes constants); returns a function giving uint32 values. */
export function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** Float32Array of `len` values in [-1, 1), from `seed`. */
export function f32Matrix(len, seed) {
  const next = lcg(seed);
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = (next() >>> 8) / 8388608 - 1;
  return out;
}

/** Uint8Array of `len` values in [0, 255], from `seed`. */
export function u8Matrix(len, seed) {
  const next = lcg(seed);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = next() >>> 24;
  return out;
}

/** Int8Array of `len` values in [-128, 127], from `seed`. */
export function i8Matrix(len, seed) {
  const next = lcg(seed);
  const out = new Int8Array(len);
  for (let i = 0; i < len; i++) out[i] = (next() >>> 24) - 128;
  return out;
}

/**
 * Exact (f64) sum of all entries of (A − aZero)[m,k] · (B − bZero)[k,n], row-major inputs.
 * For integer inputs it is exact; for f32 inputs it is the f64 value the f32 sum should approach.
 */
export function expectedSum(a, b, m, k, n, aZero = 0, bZero = 0) {
  const colA = new Float64Array(k);
  const rowB = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) colA[p] += a[i * k + p] - aZero;
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) rowB[p] += b[p * n + j] - bZero;
  let s = 0;
  for (let p = 0; p < k; p++) s += colA[p] * rowB[p];
  return s;
}

/** Sum of a typed array in f64. */
export function sum(arr) {
  let s = 0;
  for (let i = 0; i < arr.length; i++) s += arr[i];
  return s;
}

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Seeds every peer uses, so A and B are the same matrices everywhere. */
export const SEED_A = 1;
export const SEED_B = 2;
/** Zero points of the integer workload (A uint8, B int8). */
export const A_ZERO = 128;
export const B_ZERO = -3;

/**
 * Times workloads alternately: `warmup` untimed rounds, then `rounds` rounds in which each
 * workload's run() is awaited once in turn, so drifting machine load hits all of them alike.
 * Returns [{ name, median_ms, runs_ms }] in the workloads' order. `onRound(r)` is called after
 * each timed round (for progress).
 */
export async function alternate(workloads, { rounds = 7, warmup = 2, onRound = null } = {}) {
  for (let r = 0; r < warmup; r++) for (const w of workloads) await w.run();
  const times = workloads.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < workloads.length; i++) {
      const t0 = performance.now();
      await workloads[i].run();
      times[i].push(performance.now() - t0);
    }
    onRound?.(r);
  }
  return workloads.map((w, i) => ({
    name: w.name,
    median_ms: median(times[i]),
    runs_ms: times[i].map((t) => Math.round(t * 1000) / 1000),
  }));
}
