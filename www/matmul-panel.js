// The CPU-vs-WebGPU matmul check: the engine worker runs the same seeded A·B on both backends,
// times each and lets Rust compare them (quantplay::parity); this file renders the verdict plus
// a heatmap of |gpu − cpu| per entry relative to its tolerance.

import { drawHeatmap, emptyHeatmap } from './heatmap.js';

/**
 * The worker's `matmul` answer (engine-worker.js, crate/src/web/playground.rs matmul_check):
 * both products, their times, and the comparison when WebGPU ran too.
 * @typedef {{ m: number, k: number, n: number, cpu: { time: number, out: ArrayLike<number> },
 *   gpu?: { time: number, out: ArrayLike<number> } | null, report?: { ok: boolean, agreement: {
 *   tolerance: { atol: number, rtol: number, why: string }, max_abs_diff: number,
 *   bit_differences: number, len: number, mismatches: number, worst_index: number } } | null }} MatmulResult
 */

/** @param {number} t */
const ms = (t) => `${t.toFixed(1)} ms`;
/** @param {number} x */
const num = (x) => String(Number(x.toPrecision(3))); // f32 values arrive widened: 1e-4 not 0.0000999…

/** Runs the check in the engine worker (progress: `{backend, done}`); resolves to a plain
 * result object (also read by the e2e test via the DOM).
 * @param {import('./types.js').Engine} engine
 * @param {{ m: number, k: number, n: number, seed: number }} sizes the state's m, k, n and seed
 * @param {boolean} gpu whether WebGPU runs it too
 * @param {(progress: { backend: string, done: number }) => void} onProgress
 * @returns {Promise<MatmulResult>} */
export function runMatmul(engine, { m, k, n, seed }, gpu, onProgress) {
  return engine.request('matmul', { m, k, n, seed, gpu }, onProgress);
}

/**
 * Renders a result from runMatmul into `el` and the heatmap canvas.
 * @param {HTMLElement} el
 * @param {HTMLCanvasElement} canvas
 * @param {MatmulResult} result
 */
export function renderMatmul(el, canvas, { m, k, n, cpu, gpu, report }) {
  const lines = [`C is (${m}, ${n}); CPU (fast path) ${ms(cpu.time)}.`];
  el.dataset.ok = report ? String(report.ok) : 'cpu-only';
  if (!report) {
    lines.push('WebGPU is not in use, so there is nothing to compare: switch it on in the Backend panel.');
    el.replaceChildren(...lines.map(para));
    emptyHeatmap(canvas, 'Switch WebGPU on in the Backend panel, then run the check: each entry of C is shaded by |gpu − cpu| over its tolerance.');
    return;
  }
  const { agreement: ag } = report;
  const g = /** @type {NonNullable<typeof gpu>} */ (gpu); // a report means WebGPU ran too
  const tol = ag.tolerance;
  el.dataset.maxAbsDiff = String(ag.max_abs_diff);
  lines.push(`WebGPU ${ms(g.time)} (upload, dispatch and readback; software adapters say nothing of real GPU speed).`);
  const verdict = report.ok
    ? `Agree ✓ — max |gpu − cpu| = ${ag.max_abs_diff.toExponential(2)}; ${ag.bit_differences} of ${ag.len} entries differ in any bit.`
    : `Disagree ✗ — ${ag.mismatches} of ${ag.len} entries outside the tolerance; worst |gpu − cpu| = ${ag.max_abs_diff.toExponential(2)} at index ${ag.worst_index}.`;
  lines.push(`Tolerance: atol ${num(tol.atol)}, rtol ${num(tol.rtol)} — ${tol.why}.`);
  const verdictEl = para(verdict);
  verdictEl.className = report.ok ? 'ok' : 'bad';
  verdictEl.id = 'matmul-verdict';
  el.replaceChildren(verdictEl, ...lines.map(para));
  /** @param {number} i */
  const rel = (i) => Math.abs(g.out[i] - cpu.out[i]) / (tol.atol + tol.rtol * Math.abs(cpu.out[i]));
  delete canvas.dataset.empty;
  drawHeatmap(canvas, rel, m, n);
}

/** @param {string} text */
function para(text) {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}

/** The heatmap before any check: what to press. @param {HTMLCanvasElement} canvas */
export function matmulEmpty(canvas) {
  emptyHeatmap(canvas, 'Press "Run on both backends": each entry of C is shaded here by |gpu − cpu| over its tolerance.');
}
