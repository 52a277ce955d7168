// Two small canvas charts for the Quantize panel, each with a one-method API:
//   barChart(canvas).update({ bars: [{ label, value }], unit })      — e.g. SQNR per layer;
//   histChart(canvas).update({ lo, hi, counts, ticks, clip, note })  — a histogram over [lo, hi]
//     with the quantization grid (ticks at representable values) and the clip range drawn on it.
// Notes wrap onto lines above the plot instead of running off the canvas. They only draw what
// they are given; an empty chart says what to do (`empty`).

import { fitCanvas, wrapText } from './chart.js';

/**
 * Bars to draw: a non-finite value is drawn full length as "∞ (exact)".
 * @typedef {{ bars: { label: string, value: number | null, color?: string }[], unit?: string, empty?: string }} BarData
 */
/**
 * A histogram to draw: `counts` over equal bins of [lo, hi], representable values `ticks`, the
 * clip range `[a, b]`.
 * @typedef {{ lo?: number, hi?: number, counts?: number[], ticks?: number[], clip?: [number, number],
 *   note?: string, color?: string, xLabel?: string, empty?: string }} HistData
 */

/** A bar's value as a number, when it is a finite one (null: a non-finite f32 from serde_json).
 * @param {number | null} v @returns {v is number} */
const finite = (v) => Number.isFinite(v);

/** Horizontal bars, one per item, labelled with the value. @param {HTMLCanvasElement} canvas */
export function barChart(canvas) {
  /** @type {BarData | null} */
  let last = null;
  /** @param {BarData} data */
  function update(data) {
    last = data;
    const { ctx, w, h } = fitCanvas(canvas);
    const bars = data.bars;
    if (!bars.length) { ctx.fillStyle = '#5b6475'; wrapText(ctx, data.empty || 'no data', 8, h / 2, w - 16); canvas.dataset.empty = data.empty || 'no data'; return; }
    delete canvas.dataset.empty;
    const max = Math.max(1, ...bars.map((b) => (finite(b.value) ? b.value : 0)));
    const rowH = Math.min(28, (h - 8) / bars.length);
    const labelW = Math.max(...bars.map((b) => ctx.measureText(b.label).width)) + 8;
    bars.forEach((b, i) => {
      const y = 4 + i * rowH;
      const v = finite(b.value) ? Math.max(0, b.value) : max;
      const len = (v / max) * (w - labelW - 70);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(b.label, 2, y + rowH / 2 + 4);
      ctx.fillStyle = b.color || '#2f5fd0';
      ctx.fillRect(labelW, y + 3, len, rowH - 6);
      ctx.fillStyle = '#1d2330';
      const text = finite(b.value) ? `${b.value.toFixed(1)} ${data.unit || ''}` : '∞ (exact)';
      ctx.fillText(text, labelW + len + 4, y + rowH / 2 + 4);
    });
  }
  return { update, redraw: () => last && update(last) };
}

/** A histogram of `counts` over equal bins spanning [lo, hi], with grid ticks and clip lines.
 * @param {HTMLCanvasElement} canvas */
export function histChart(canvas) {
  /** @type {HistData | null} */
  let last = null;
  /** @param {HistData} data */
  function update(data) {
    last = data;
    const { ctx, w, h } = fitCanvas(canvas);
    const { lo = 0, hi = 1, counts } = data; // lo and hi may be left out only with no counts
    if (!counts?.length) { ctx.fillStyle = '#5b6475'; wrapText(ctx, data.empty || 'no data', 8, h / 2, w - 16); delete canvas.dataset.note; canvas.dataset.empty = data.empty || 'no data'; return; }
    delete canvas.dataset.empty;
    const pad = 14;
    // the note on its own lines above the plot, split at ', ' where it is wider than the canvas
    /** @type {string[]} */
    const noteLines = [];
    for (const part of (data.note || '').split(', ').filter(Boolean)) {
      const next = noteLines.length ? `${noteLines.at(-1)}, ${part}` : part;
      if (noteLines.length && ctx.measureText(next).width <= w - 2 * pad) noteLines[noteLines.length - 1] = next;
      else noteLines.push(part);
    }
    const top = 4 + 13 * noteLines.length;
    ctx.fillStyle = '#1d2330';
    noteLines.forEach((l, i) => ctx.fillText(l, pad, 13 + 13 * i));
    canvas.dataset.note = JSON.stringify(noteLines.map((l) => ({ text: l, width: Math.round(ctx.measureText(l).width), room: w - 2 * pad })));
    /** @param {number} v */
    const X = (v) => pad + ((v - lo) / (hi - lo || 1)) * (w - 2 * pad);
    const base = h - 18;
    const max = Math.max(1, ...counts);
    const bw = (w - 2 * pad) / counts.length;
    // clip range shading first, so bars and ticks sit on top of it
    if (data.clip) {
      const [a, b] = data.clip;
      ctx.fillStyle = 'rgba(179,38,30,0.08)';
      if (a > lo) ctx.fillRect(pad, top, X(a) - pad, base - top);
      if (b < hi) ctx.fillRect(X(b), top, w - pad - X(b), base - top);
    }
    ctx.fillStyle = data.color || '#2f5fd0';
    counts.forEach((c, i) => {
      if (!c) return;
      const len = Math.max(1, Math.sqrt(c / max) * (base - top - 4));
      ctx.fillRect(pad + i * bw, base - len, Math.max(1, bw - (bw > 3 ? 1 : 0)), len);
    });
    // quantization grid: one tick per representable value (thinned when denser than 3 px)
    const ticks = data.ticks || [];
    const step = Math.max(1, Math.ceil(ticks.length / ((w - 2 * pad) / 3)));
    ctx.fillStyle = '#1d2330';
    for (let i = 0; i < ticks.length; i += step) {
      if (ticks[i] < lo || ticks[i] > hi) continue;
      ctx.fillRect(X(ticks[i]), base, 1, 5);
    }
    if (data.clip) {
      ctx.strokeStyle = '#b3261e';
      ctx.lineWidth = 1.5;
      for (const v of data.clip) {
        if (v < lo || v > hi) continue;
        ctx.beginPath(); ctx.moveTo(X(v), top); ctx.lineTo(X(v), base + 5); ctx.stroke();
      }
    }
    ctx.fillStyle = '#5b6475';
    ctx.fillText(String(+lo.toPrecision(3)), pad, h - 2);
    const r = String(+hi.toPrecision(3));
    ctx.fillText(r, w - pad - ctx.measureText(r).width, h - 2);
    if (data.xLabel) ctx.fillText(data.xLabel, w / 2 - ctx.measureText(data.xLabel).width / 2, h - 2);
  }
  return { update, redraw: () => last && update(last) };
}
