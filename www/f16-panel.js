// The f16 range panel: a number line on a log2 axis with f16's zones (rounds to 0 below 2^-24,
// subnormal up to 2^-14, normal up to 65504, inf above) and, on it, the last step's gradient
// magnitude histograms from Trainer.grad_magnitudes_json: unscaled below the line, times the loss
// scale above. Every label is drawn last, on a backing box, clear of the others (labels.js).
// Draws and summarises counts only; the histograms are computed in Rust.

import { fitCanvas } from './chart.js';
import { drawLabels } from './labels.js';
import { f32Text } from './axes.js';

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * A |gradient| histogram: counts[i] values in [2^(log2_min + i), 2^(log2_min + i + 1)), plus the
 * exact zeros and the non-finite values.
 * @typedef {{ log2_min: number, counts: number[], zeros: number, nonfinite: number }} GradHist
 */
/** f16's limits as log2 exponents and its largest finite value. @typedef {{ min_subnormal_log2: number, min_normal_log2: number, max: number }} F16Range */
/**
 * Trainer.grad_magnitudes_json: the last step's histograms unscaled and times the loss scale
 * (`scale` null without a GradScaler).
 * @typedef {{ f16?: F16Range, unscaled: GradHist, scaled: GradHist, scale: number | null }} GradMagnitudes
 */

/** Share of values per zone from a `{log2_min, counts, zeros, nonfinite}` histogram.
 * @param {GradHist} h @param {F16Range} f16 */
function zones(h, f16) {
  // Exact zeros (dead ReLUs) are zero in any format: counted apart from f16 underflow.
  let zero = 0, sub = 0, normal = 0, over = h.nonfinite;
  h.counts.forEach((c, i) => {
    const e = h.log2_min + i; // values in [2^e, 2^(e+1))
    if (e < f16.min_subnormal_log2) zero += c;
    else if (e < f16.min_normal_log2) sub += c;
    else if (2 ** e > f16.max) over += c;
    else normal += c;
  });
  const n = zero + sub + normal + over;
  const d = n || 1;
  return { zero: zero / d, sub: sub / d, normal: normal / d, over: over / d, n, exact: h.zeros };
}

/** @param {number} x */
const pct = (x) => `${(100 * x).toFixed(1)} %`;

/** Returns `{ update(json | null) }` drawing on #f16-line and writing #f16-summary. */
export function f16Panel() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('f16-line'));
  /** @type {GradMagnitudes | null} */
  let last = null;
  /** @param {GradMagnitudes | null} g */
  function update(g) {
    last = g;
    const { ctx, w, h } = fitCanvas(canvas);
    const f16 = g?.f16 ?? { min_subnormal_log2: -24, min_normal_log2: -14, max: 65504 };
    /** @param {GradHist} hist @returns {number[]} */
    const used = (hist) => hist.counts.map((c, i) => (c ? hist.log2_min + i : null)).filter((e) => e !== null);
    const es = g ? [...used(g.unscaled), ...used(g.scaled)] : [];
    const lo = Math.min(-30, ...es) - 1;
    const hi = Math.max(20, ...es) + 2;
    /** @param {number} e */
    const X = (e) => 10 + ((e - lo) / (hi - lo)) * (w - 20);
    const mid = h / 2;
    // zones
    /** @type {Parameters<typeof drawLabels>[4]} */
    const labels = []; // drawn last, on top of the bars
    /** @param {number} a @param {number} b @param {string} color @param {string} label */
    const zone = (a, b, color, label) => {
      ctx.fillStyle = color;
      ctx.fillRect(X(a), 14, X(b) - X(a), h - 34);
      labels.push({ text: label, x: X(a) + 3, y: 11, dir: 1 });
    };
    zone(lo, f16.min_subnormal_log2, '#e4e6eb', 'rounds to 0');
    zone(f16.min_subnormal_log2, f16.min_normal_log2, '#fde9c8', 'subnormal');
    zone(f16.min_normal_log2, Math.log2(f16.max), '#ffffff', 'normal f16');
    zone(Math.log2(f16.max), hi, '#f7cfcb', '> 65504: inf');
    // axis
    ctx.strokeStyle = '#1d2330';
    ctx.beginPath(); ctx.moveTo(X(lo), mid); ctx.lineTo(X(hi), mid); ctx.stroke();
    ctx.fillStyle = '#5b6475';
    for (let e = Math.ceil(lo / 8) * 8; e <= hi; e += 8) {
      ctx.fillRect(X(e), mid - 3, 1, 6);
      labels.push({ text: `2^${e}`, x: X(e) - 10, y: h - 6, color: '#5b6475', dir: -1 });
    }
    for (const [e, label] of /** @type {[number, string][]} */ ([[f16.min_subnormal_log2, '6e-8'], [f16.min_normal_log2, '6.1e-5'], [Math.log2(f16.max), '65504']])) {
      ctx.fillStyle = '#b3261e';
      ctx.fillRect(X(e), 14, 1, h - 34);
      labels.push({ text: label, x: X(e) + 2, y: mid + 14, color: '#b3261e', dir: 1 });
    }
    if (!g) {
      labels.push({ text: 'Take a training step (Step or Start) to see the gradients on this line.', x: X(lo) + 6, y: mid - 8, color: '#5b6475', dir: -1 });
      drawLabels(canvas, ctx, w, h, labels);
      $('f16-summary').textContent = '';
      return;
    }
    /** @param {GradHist} hist @param {boolean} up @param {string} color */
    const bars = (hist, up, color) => {
      const max = Math.max(1, ...hist.counts);
      const bw = Math.max(1, X(1) - X(0) - 1);
      ctx.fillStyle = color;
      hist.counts.forEach((c, i) => {
        if (!c) return;
        const len = (Math.sqrt(c / max) * (h / 2 - 30));
        const x = X(hist.log2_min + i);
        if (up) ctx.fillRect(x, mid - len, bw, len); else ctx.fillRect(x, mid, bw, len);
      });
    };
    bars(g.unscaled, false, 'rgba(47,95,208,0.85)');
    if (g.scale !== null) bars(g.scaled, true, 'rgba(208,99,47,0.85)');
    const lx = X(f16.min_normal_log2) + 6;
    labels.push({ text: '|grad| unscaled ↓', x: lx, y: h - 24, color: '#2f5fd0', dir: -1 });
    if (g.scale !== null) labels.push({ text: `|grad|·s ↑ (s = ${f32Text(g.scale)})`, x: lx, y: 28, color: '#d0632f', dir: 1 });
    drawLabels(canvas, ctx, w, h, labels);
    const u = zones(g.unscaled, f16);
    const text = [`${u.n} non-zero gradient values (${u.exact} exactly 0, e.g. behind dead ReLUs, not shown). Unscaled: ${pct(u.zero)} would round to 0 in f16, ${pct(u.sub)} subnormal, ${pct(u.over)} inf.`];
    if (g.scale !== null) {
      const s = zones(g.scaled, f16);
      text.push(`Times s = ${f32Text(g.scale)}: ${pct(s.zero)} round to 0, ${pct(s.sub)} subnormal, ${pct(s.over)} overflow.`);
    } else {
      text.push('This precision has no loss scale.');
    }
    const el = $('f16-summary');
    el.textContent = text.join(' ');
    el.dataset.values = String(u.n);
  }
  return { update, redraw: () => update(last) };
}
