// A hand-written canvas line chart with a one-method API: `lineChart(canvas, opts).update(data)`.
// Draws several series against the step axis, on a linear or log2 y axis, with optional vertical
// markers (e.g. skipped steps) and horizontal reference lines (e.g. scale = 1). It only draws: no
// state beyond the last data (kept to redraw on resize), no DOM outside its canvas.

const PAD = { l: 48, r: 10, t: 10, b: 22 };

/** Sizes the canvas backing store to its CSS box (times devicePixelRatio); returns the 2-D context. */
export function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(50, Math.round(canvas.clientWidth || canvas.width));
  const h = Math.max(40, Math.round(canvas.clientHeight || canvas.height));
  if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : String(+v.toPrecision(3)));

/**
 * `opts`: { log2?: boolean, yMin?: number, yMax?: number, xLabel?: string }.
 * `update({ series: [{ name, color, points: [[x, y], …], dashed?, stepped? }], markers?: [{ x, color }],
 *           hlines?: [{ y, color, label }] })`.
 */
export function lineChart(canvas, opts = {}) {
  let last = null;
  const tf = (y) => (typeof y !== 'number' ? NaN : opts.log2 ? Math.log2(y) : y);
  function update(data) {
    last = data;
    const { ctx, w, h } = fitCanvas(canvas);
    const pts = data.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(tf(y)));
    const refs = (data.hlines || []).map((l) => tf(l.y));
    if (!pts.length) {
      ctx.fillStyle = '#5b6475';
      ctx.fillText(data.empty || 'no data yet', PAD.l, h / 2);
      return;
    }
    let x0 = Math.min(...pts.map((p) => p[0]));
    let x1 = Math.max(...pts.map((p) => p[0]));
    if (x1 === x0) x1 = x0 + 1;
    const ys = pts.map((p) => tf(p[1])).concat(refs);
    let y0 = opts.yMin ?? Math.min(...ys);
    let y1 = opts.yMax ?? Math.max(...ys);
    if (opts.log2) { y0 = Math.floor(y0) - 1; y1 = Math.ceil(y1) + 1; }
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    const X = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (w - PAD.l - PAD.r);
    const Y = (y) => h - PAD.b - ((y - y0) / (y1 - y0)) * (h - PAD.t - PAD.b);
    // axes and ticks
    ctx.strokeStyle = '#dfe3ec';
    ctx.fillStyle = '#5b6475';
    ctx.lineWidth = 1;
    const ticks = 4;
    for (let i = 0; i <= ticks; i++) {
      const yv = y0 + ((y1 - y0) * i) / ticks;
      const yy = Y(yv);
      ctx.beginPath(); ctx.moveTo(PAD.l, yy); ctx.lineTo(w - PAD.r, yy); ctx.stroke();
      const label = opts.log2 ? `2^${Math.round(yv)}` : fmt(yv);
      ctx.fillText(label, 2, yy + 4);
    }
    ctx.fillText(String(Math.round(x0)), PAD.l, h - 6);
    const xr = String(Math.round(x1));
    ctx.fillText(xr, w - PAD.r - ctx.measureText(xr).width, h - 6);
    if (opts.xLabel) ctx.fillText(opts.xLabel, w / 2 - 12, h - 6);
    // vertical markers under the lines
    for (const m of data.markers || []) {
      ctx.strokeStyle = m.color || '#b3261e';
      ctx.beginPath(); ctx.moveTo(X(m.x), PAD.t); ctx.lineTo(X(m.x), h - PAD.b); ctx.stroke();
    }
    for (const l of data.hlines || []) {
      ctx.strokeStyle = l.color || '#b3261e';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(PAD.l, Y(tf(l.y))); ctx.lineTo(w - PAD.r, Y(tf(l.y))); ctx.stroke();
      ctx.setLineDash([]);
      if (l.label) { ctx.fillStyle = l.color || '#b3261e'; ctx.fillText(l.label, w - PAD.r - ctx.measureText(l.label).width, Y(tf(l.y)) - 3); }
    }
    // series
    ctx.lineWidth = 1.6;
    for (const s of data.series) {
      ctx.strokeStyle = s.color;
      ctx.setLineDash(s.dashed ? [5, 3] : []);
      ctx.beginPath();
      let pen = false;
      let lastY = 0;
      for (const [x, y] of s.points) {
        const ty = tf(y);
        if (!Number.isFinite(ty)) { pen = false; continue; }
        if (pen && s.stepped) ctx.lineTo(X(x), lastY); // hold the value until the next point
        if (pen) ctx.lineTo(X(x), Y(ty)); else ctx.moveTo(X(x), Y(ty));
        lastY = Y(ty);
        pen = true;
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // legend
    let lx = PAD.l + 6;
    for (const s of data.series) {
      if (!s.name) continue;
      ctx.fillStyle = s.color;
      ctx.fillRect(lx, PAD.t + 2, 10, 3);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(s.name, lx + 13, PAD.t + 7);
      lx += 20 + ctx.measureText(s.name).width;
    }
  }
  return { update, redraw: () => last && update(last) };
}
