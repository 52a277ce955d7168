// Axis ticks and number text for the charts, as pure functions (tested in node, no DOM):
// round linear ticks (1, 2 or 5 times a power of ten), log2 ticks at integer exponents only,
// and exact text for f32 values. An f32 reaches JS as its shortest decimal (serde_json writes
// 2^28 as 268435460, which is the f32 268435456 but not the double); `f32Text` prints the f32's
// exact value for integers and its shortest round-tripping decimal otherwise.
// Not here: drawing (chart.js).

/** Round ticks covering [lo, hi], at most about `max` of them: `{ ticks, lo, hi, step }` with
 * lo/hi widened to the outer ticks.
 * @param {number} lo @param {number} hi @param {number} [max]
 * @returns {{ ticks: number[], lo: number, hi: number, step: number }} */
export function niceTicks(lo, hi, max = 5) {
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const raw = (hi - lo) / Math.max(1, max);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = a; v <= b + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return { ticks, lo: a, hi: b, step };
}

/** Integer exponents for a log2 axis over [e0, e1] (exponents, may be fractional): a step of
 * 1, 2, 4, 8, … so that at most about `max` lines show; every tick is a whole power of two.
 * @param {number} e0 @param {number} e1 @param {number} [max]
 * @returns {{ ticks: number[], lo: number, hi: number, step: number }} */
export function log2Ticks(e0, e1, max = 6) {
  let lo = Math.floor(e0);
  let hi = Math.ceil(e1);
  if (hi === lo) { lo -= 1; hi += 1; }
  let step = 1;
  while ((hi - lo) / step > max) step *= 2;
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let e = lo; e <= hi; e += step) ticks.push(e);
  return { ticks, lo, hi, step };
}

/** Text of a linear tick: plain for 0.01 ≤ |v| < 10^5, else one-digit exponent form. */
/** @param {number} v @param {number} [step] @returns {string} */
export function tickText(v, step = 0) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-2) return v.toExponential(step && Math.abs(step) < a / 10 ? 1 : 0);
  const digits = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 2;
  return v.toFixed(Math.min(digits, 4));
}

/** Exact text of the f32 nearest `x`: an integer in full (2^28 → "268435456"), else the
 * shortest decimal that reads back as the same f32. Non-numbers and non-finite as they are. */
/** @param {unknown} x @returns {string} */
export function f32Text(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  const v = Math.fround(x);
  if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? v.toFixed(0) : BigInt(v).toString();
  for (let p = 1; p <= 9; p++) {
    const s = String(Number(v.toPrecision(p)));
    if (Math.fround(Number(s)) === v) return s;
  }
  return String(v);
}

/** A power of two as "2^k"; another positive value as "2^k.kk"; zero and others as f32Text. */
/** @param {number} x @returns {string} */
export function pow2Text(x) {
  if (!(x > 0)) return f32Text(x);
  const e = Math.log2(Math.fround(x));
  return Number.isInteger(e) ? `2^${e}` : `2^${e.toFixed(2)}`;
}
