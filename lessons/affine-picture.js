// Lesson 1's picture: each value x (top row) joined to its dequantized x̂ (on the code grid
// below), the grid's ticks at the floats the codes stand for, and the representable range's ends.
// Draws only what the library returned (`lesson('affine', …)`: rows, grid, range_lo/hi); no
// quantization math here. Not here: the widget's controls (affine.js).
import { fitCanvas } from '../www/chart.js';

/**
 * Draws `out` (the affine lesson's output) on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {any} out
 */
export function drawAffine(canvas, out) {
  const { ctx, w, h } = fitCanvas(canvas);
  const pad = 24;
  const xs = out.rows.flatMap((/** @type {any} */ r) => [r.x, r.dequantized]);
  const lo = Math.min(...xs, out.grid[0]?.value ?? 0, 0);
  const hi = Math.max(...xs, out.grid.at(-1)?.value ?? 0, 0);
  /** @param {number} v */
  const X = (v) => pad + ((v - lo) / (hi - lo || 1)) * (w - 2 * pad);
  const top = 34, base = h - 44;
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#1d2330';
  ctx.fillText('x (your values)', pad, 14);
  ctx.fillText('x̂ on the code grid: one tick per code', pad, base + 30);
  // the grid: one tick per code, thinned when denser than 3 px; labels at the ends and the zero point
  const step = Math.max(1, Math.ceil(out.grid.length / ((w - 2 * pad) / 3)));
  ctx.fillStyle = '#5b6475';
  ctx.fillRect(pad, base, w - 2 * pad, 1);
  out.grid.forEach((/** @type {any} */ g, /** @type {number} */ i) => {
    if (i % step && g.code !== out.zero_point) return;
    ctx.fillRect(X(g.value), base - 4, 1, 9);
  });
  for (const g of [out.grid[0], out.grid.find((/** @type {any} */ g) => g.code === out.zero_point), out.grid.at(-1)]) {
    if (!g) continue;
    const t = `q=${g.code}`;
    const tw = ctx.measureText(t).width;
    ctx.fillText(t, Math.min(w - tw - 2, Math.max(2, X(g.value) - tw / 2)), base + 17);
  }
  // the representable range's ends (values beyond them are clamped)
  ctx.strokeStyle = '#b3261e';
  ctx.setLineDash([4, 3]);
  for (const v of [out.range_lo, out.range_hi]) {
    if (v < lo || v > hi) continue;
    ctx.beginPath(); ctx.moveTo(X(v), top - 8); ctx.lineTo(X(v), base + 6); ctx.stroke();
  }
  ctx.setLineDash([]);
  // each value and where it lands
  for (const r of out.rows) {
    const color = r.clamped ? '#b3261e' : '#2f5fd0';
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.beginPath(); ctx.moveTo(X(r.x), top); ctx.lineTo(X(r.dequantized), base); ctx.stroke();
    ctx.beginPath(); ctx.arc(X(r.x), top, 4, 0, 2 * Math.PI); ctx.fill();
    ctx.beginPath(); ctx.arc(X(r.dequantized), base, 3, 0, 2 * Math.PI); ctx.fill();
  }
  canvas.dataset.drawn = String(out.rows.length);
  canvas.dataset.ticks = String(out.grid.length);
}
