// A hand-written canvas line chart with a one-method API: `lineChart(canvas, opts).update(data)`.
// Draws several series against the step axis on a linear or log2 y axis (round ticks; log2
// gridlines only at integer exponents), a legend in its own strip above the plot, horizontal
// reference lines, and events along the bottom as a rug (e.g. skipped steps: one short tick per
// pixel column, taller where denser) with triangles for marked ones (e.g. injected overflows).
// Every series is reduced to first/min/max/last per pixel column before drawing, so the cost is
// bounded by the canvas width, not the number of points. It only draws; what it drew (ticks,
// legend, points drawn) is left in the canvas's data attributes for tests. No DOM outside its
// canvas. Not here: keeping the data (history.js).

import { log2Ticks, niceTicks, tickText, pow2Text } from './axes.js';

/** A point `[x, y]`; a y that is not a finite number (null, NaN, ±∞) is a gap. @typedef {[number, number | null | undefined]} Point */
/**
 * One line: its points, an optional band `[x, lo, hi]` behind it.
 * @typedef {{ name?: string, color: string, points: Point[], dashed?: boolean, stepped?: boolean,
 *   band?: [number, number, number][] }} Series
 */
/**
 * What `update` draws (see lineChart).
 * @typedef {{ series: Series[], rug?: { items: [number, number][], color?: string, label: string },
 *   marks?: { items: number[], color?: string, label: string },
 *   hlines?: { y: number, color?: string, label?: string }[], empty?: string }} ChartData
 */
/** @typedef {{ log2?: boolean, yMin?: number, yMax?: number, xLabel?: string }} ChartOptions */
/** @typedef {{ text: string, color: string, dashed?: boolean, kind: 'line' | 'rug' | 'mark', x: number, y: number }} LegendEntry */

const PAD = { l: 50, r: 12, t: 20, b: 30 };
const RUG_H = 12; // the rug's tallest tick, px

/**
 * Sizes the canvas backing store to its CSS box (times devicePixelRatio); returns the 2-D context.
 * @param {HTMLCanvasElement} canvas
 * @returns {{ ctx: CanvasRenderingContext2D, w: number, h: number }} the context and the CSS size
 */
export function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(50, Math.round(canvas.clientWidth || canvas.width));
  const h = Math.max(40, Math.round(canvas.clientHeight || canvas.height));
  if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')); // a 2-D canvas never answers null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

/**
 * Writes `text` in lines that fit `width` (split at spaces), from (x, y) down.
 * @param {CanvasRenderingContext2D} ctx
 * @param {unknown} text
 * @param {number} x @param {number} y @param {number} width @param {number} [lineH]
 */
export function wrapText(ctx, text, x, y, width, lineH = 14) {
  let line = '';
  for (const word of String(text).split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) { ctx.fillText(line, x, y); y += lineH; line = word; } else line = next;
  }
  if (line) ctx.fillText(line, x, y);
}

/**
 * Per pixel column, the first, min, max and last point of a series (in order of x); null for a gap.
 * @param {Point[]} points @param {(x: number) => number} X @param {(y: unknown) => number} tf
 * @returns {(Point | null)[]}
 */
function decimate(points, X, tf) {
  /** @type {(Point | null)[]} */
  const out = [];
  /** @type {number | null} */
  let col = null;
  // set together when the first point of a column arrives (col === null until then)
  /** @type {Point} */ let first = [0, 0];
  /** @type {Point} */ let lo = first;
  /** @type {Point} */ let hi = first;
  /** @type {Point} */ let last = first;
  const flush = () => {
    if (col === null) return;
    const keep = [first, lo, hi, last].sort((a, b) => a[0] - b[0]);
    for (const p of keep) if (out.at(-1) !== p) out.push(p);
  };
  for (const p of points) {
    const y = tf(p[1]);
    if (!Number.isFinite(y)) { flush(); col = null; out.push(null); continue; } // a gap
    const c = Math.round(X(p[0]));
    if (c !== col) { flush(); col = c; first = lo = hi = last = p; continue; }
    if (tf(p[1]) < tf(lo[1])) lo = p;
    if (tf(p[1]) > tf(hi[1])) hi = p;
    last = p;
  }
  flush();
  return out;
}

/**
 * `opts`: { log2?: boolean, yMin?: number, yMax?: number, xLabel?: string (default 'step') }.
 * `update({ series: [{ name, color, points: [[x, y], …], dashed?, stepped?, band?: [[x, lo, hi], …] }],
 *           rug?: { items: [[x, count], …], color, label }, marks?: { items: [x, …], color, label },
 *           hlines?: [{ y, color, label }], empty?: string })`.
 * @param {HTMLCanvasElement} canvas
 * @param {ChartOptions} [opts]
 */
export function lineChart(canvas, opts = {}) {
  /** @type {ChartData | null} */
  let last = null;
  /** @param {unknown} y */
  const tf = (y) => (typeof y !== 'number' ? NaN : opts.log2 ? Math.log2(y) : y);
  /** @param {ChartData} data */
  function update(data) {
    last = data;
    const { ctx, w, h } = fitCanvas(canvas);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of data.series) {
      for (const p of s.points) {
        const y = tf(p[1]);
        if (!Number.isFinite(y)) continue;
        if (p[0] < x0) x0 = p[0];
        if (p[0] > x1) x1 = p[0];
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      for (const [, lo, hi] of s.band || []) {
        if (Number.isFinite(tf(lo)) && tf(lo) < y0) y0 = tf(lo);
        if (Number.isFinite(tf(hi)) && tf(hi) > y1) y1 = tf(hi);
      }
    }
    Object.assign(canvas.dataset, { yTicks: '', xTicks: '', legend: '', drawn: '0' });
    if (x0 === Infinity) {
      ctx.fillStyle = '#5b6475';
      wrapText(ctx, data.empty || 'no data yet', 12, h / 2 - 4, w - 24);
      canvas.dataset.empty = data.empty || 'no data yet';
      return;
    }
    delete canvas.dataset.empty;
    // the legend: lines, then the rug and the marks, laid out in rows above the plot
    /** @type {LegendEntry[]} */
    const entries = data.series.filter((s) => s.name).map((s) => ({ text: String(s.name), color: s.color, dashed: s.dashed, kind: 'line', x: 0, y: 0 }));
    if (data.rug?.items?.length) entries.push({ text: `${data.rug.label} (${data.rug.items.reduce((a, [, c]) => a + c, 0)})`, color: data.rug.color || '#b3261e', kind: 'rug', x: 0, y: 0 });
    if (data.marks?.items?.length) entries.push({ text: `▲ ${data.marks.label} (${data.marks.items.length})`, color: data.marks.color || '#6a1b9a', kind: 'mark', x: 0, y: 0 });
    let lx = PAD.l, row = 0, legendRight = PAD.l;
    for (const e of entries) {
      const ew = (e.kind === 'line' ? 15 : 0) + ctx.measureText(e.text).width;
      if (lx > PAD.l && lx + ew > w - 4) { row++; lx = PAD.l; }
      Object.assign(e, { x: lx, y: 12 + 14 * row });
      lx += ew + 14;
      legendRight = Math.max(legendRight, lx - 14);
    }
    const top = entries.length ? PAD.t + 14 * row : 10;
    for (const l of data.hlines || []) { const y = tf(l.y); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const rug = data.rug?.items?.length || data.marks?.items?.length;
    const bottom = h - PAD.b - (rug ? RUG_H + 2 : 0);
    // y axis
    let yt;
    if (opts.log2) yt = log2Ticks(y0 - 0.5, y1 + 0.5);
    else yt = niceTicks(opts.yMin ?? y0, opts.yMax ?? y1, 4);
    const ylo = opts.yMin ?? yt.lo, yhi = opts.yMax ?? yt.hi;
    // x axis: whole steps
    if (x1 === x0) x1 = x0 + 1;
    const xt = niceTicks(x0, x1, Math.max(2, Math.floor((w - PAD.l - PAD.r) / 70)));
    const xstep = Math.max(1, xt.step);
    /** @param {number} x */
    const X = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (w - PAD.l - PAD.r);
    /** @param {number} y */
    const Y = (y) => bottom - ((y - ylo) / (yhi - ylo || 1)) * (bottom - top);
    ctx.lineWidth = 1;
    /** @type {string[]} */
    const yLabels = [];
    for (const v of yt.ticks) {
      if (v < ylo - 1e-9 || v > yhi + 1e-9) continue;
      const yy = Math.round(Y(v)) + 0.5;
      ctx.strokeStyle = '#dfe3ec';
      ctx.beginPath(); ctx.moveTo(PAD.l, yy); ctx.lineTo(w - PAD.r, yy); ctx.stroke();
      const label = opts.log2 ? pow2Text(2 ** v) : tickText(v, yt.step);
      yLabels.push(label);
      ctx.fillStyle = '#5b6475';
      ctx.fillText(label, PAD.l - 4 - ctx.measureText(label).width, yy + 4);
    }
    /** @type {string[]} */
    const xLabels = [];
    for (let v = Math.ceil(x0 / xstep) * xstep; v <= x1; v += xstep) {
      const xx = Math.round(X(v)) + 0.5;
      ctx.fillStyle = '#5b6475';
      ctx.fillRect(xx, bottom, 1, 4);
      const label = String(Math.round(v));
      xLabels.push(label);
      const lw = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(w - 2 - lw, Math.max(2, xx - lw / 2)), h - PAD.b + 14);
    }
    const xName = opts.xLabel ?? 'step';
    ctx.fillText(xName, w - PAD.r - ctx.measureText(xName).width, h - 3);
    ctx.strokeStyle = '#9aa3b5';
    ctx.beginPath(); ctx.moveTo(PAD.l, top); ctx.lineTo(PAD.l, bottom); ctx.lineTo(w - PAD.r, bottom); ctx.stroke();
    // the rug: events per pixel column, below the plot
    if (data.rug?.items?.length) {
      const cols = new Map();
      for (const [x, c] of data.rug.items) { const k = Math.round(X(x)); cols.set(k, (cols.get(k) || 0) + c); }
      const max = Math.max(...cols.values());
      ctx.fillStyle = data.rug.color || '#b3261e';
      for (const [k, c] of cols) {
        const len = 3 + (RUG_H - 3) * (Math.log1p(c) / Math.log1p(max));
        ctx.fillRect(k, bottom + 2 + RUG_H - len, 1, len);
      }
    }
    if (data.marks?.items?.length) {
      ctx.fillStyle = data.marks.color || '#6a1b9a';
      for (const x of data.marks.items) {
        const k = X(x);
        ctx.beginPath(); ctx.moveTo(k, bottom - 9); ctx.lineTo(k - 4, bottom - 1); ctx.lineTo(k + 4, bottom - 1); ctx.closePath(); ctx.fill();
      }
    }
    for (const l of data.hlines || []) {
      const yy = Y(tf(l.y));
      ctx.strokeStyle = l.color || '#b3261e';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(PAD.l, yy); ctx.lineTo(w - PAD.r, yy); ctx.stroke();
      ctx.setLineDash([]);
      if (l.label) { ctx.fillStyle = l.color || '#b3261e'; ctx.fillText(l.label, w - PAD.r - ctx.measureText(l.label).width, yy - 3); }
    }
    // series
    let drawn = 0;
    ctx.save();
    ctx.beginPath(); ctx.rect(PAD.l, top - 2, w - PAD.l - PAD.r, bottom - top + 4); ctx.clip();
    for (const s of data.series) {
      if (s.band?.length) {
        ctx.strokeStyle = s.color;
        ctx.globalAlpha = 0.25;
        ctx.beginPath();
        for (const [x, lo, hi] of s.band) {
          if (!(tf(hi) > tf(lo))) continue;
          const xx = Math.round(X(x)) + 0.5;
          ctx.moveTo(xx, Y(tf(lo))); ctx.lineTo(xx, Y(tf(hi)));
        }
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.6;
      ctx.setLineDash(s.dashed ? [5, 3] : []);
      ctx.beginPath();
      let pen = false, lastY = 0;
      for (const p of decimate(s.points, X, tf)) {
        if (p === null) { pen = false; continue; }
        const yy = Y(tf(p[1]));
        if (pen && s.stepped) ctx.lineTo(X(p[0]), lastY); // hold the value until the next point
        if (pen) ctx.lineTo(X(p[0]), yy); else ctx.moveTo(X(p[0]), yy);
        lastY = yy;
        pen = true;
        drawn++;
      }
      ctx.stroke();
    }
    ctx.restore();
    ctx.setLineDash([]);
    // legend strip above the plot
    for (const e of entries) {
      ctx.fillStyle = e.color;
      if (e.kind === 'line') ctx.fillRect(e.x, e.y - 4, 12, e.dashed ? 2 : 3);
      ctx.fillStyle = e.kind === 'line' ? '#1d2330' : e.color;
      ctx.fillText(e.text, e.kind === 'line' ? e.x + 15 : e.x, e.y);
    }
    Object.assign(canvas.dataset, {
      yTicks: yLabels.join('|'), xTicks: xLabels.join('|'), legend: entries.map((l) => l.text).join('|'),
      drawn: String(drawn), legendRight: String(Math.round(legendRight)), plotTop: String(top), plotBottom: String(Math.round(bottom)),
      plotLeft: String(PAD.l), plotRight: String(w - PAD.r),
    });
  }
  return { update, redraw: () => last && update(last) };
}
